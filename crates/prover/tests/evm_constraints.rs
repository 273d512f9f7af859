//! The generated Solidity constraint fold (`contracts/src/verifier/generated/EpochConstraints.sol`).
//!
//! The checked-in contract must equal the generator's output, and the generator's op stream,
//! run by its bit-exact Rust mirror, must agree with Plonky3's own `VerifierConstraintFolder` on
//! random points and on the opened values of a real epoch proof (where the fold also equals
//! `quotient(ζ)·Z_H(ζ)`). The same vectors are rendered into the forge test
//! `contracts/test/EpochConstraints.t.sol`, which runs the deployed contracts on them.
//! `VOUCH_REGENERATE=1` rewrites both files.

mod common;

use alloy::hex;
use alloy::primitives::keccak256;
use common::{check_rendered, preamble};
use p3_air::{Air, RowWindow};
use p3_challenger::{CanObserve, FieldChallenger};
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, PrimeField32, TwoAdicField};
use p3_keccak::Keccak256Hash;
use p3_matrix::dense::RowMajorMatrixView;
use p3_matrix::stack::VerticalPair;
use p3_uni_stark::{Proof, VerifierConstraintFolder};
use std::fmt::Write as _;
use vouch_prover::circuit::TransitionAir;
use vouch_prover::config::{EvmChallenge as EF, EvmChallenger, EvmConfig, Val, evm_config};
use vouch_prover::evm::calldata::{NUM_PUBLIC_VALUES, TRACE_WIDTH};
use vouch_prover::evm::constraints::{
    EpochConstraintProgram, FoldInput, INPUT_EXTENSION_ELEMENTS, INPUT_LEN,
    render_epoch_constraints,
};
use vouch_prover::evm::seeds;
use vouch_prover::fixture::{FixtureSpec, build};

const P: u32 = 0x7f00_0001;
/// Seeds of the random vectors; the forge test derives the same inputs from them.
const RANDOM_SEEDS: [u64; 3] = [1, 2, 3];

/// The fold computed by Plonky3's verifier folder (independent of the generator).
fn p3_fold(input: &FoldInput) -> EF {
    let main = VerticalPair::new(
        RowMajorMatrixView::new_row(&input.trace_local),
        RowMajorMatrixView::new_row(&input.trace_next),
    );
    let empty: [EF; 0] = [];
    let mut folder = VerifierConstraintFolder::<EvmConfig> {
        main,
        preprocessed: VerticalPair::new(
            RowMajorMatrixView::new(&empty, 0),
            RowMajorMatrixView::new(&empty, 0),
        ),
        preprocessed_window: RowWindow::from_two_rows(&empty, &empty),
        periodic_values: &[],
        public_values: &input.public_values,
        is_first_row: input.selectors[0],
        is_last_row: input.selectors[1],
        is_transition: input.selectors[2],
        alpha: input.alpha,
        accumulator: EF::ZERO,
    };
    TransitionAir.eval(&mut folder);
    folder.accumulator
}

fn coefficients(e: &EF) -> [u32; 8] {
    let c: &[Val] = e.as_basis_coefficients_slice();
    std::array::from_fn(|i| c[i].as_canonical_u32())
}

/// Word `i` of a random vector: `keccak256(seed ‖ i)` (two 32-byte words), each 32-bit lane
/// (most significant first) reduced mod p. Public value `j` is lane 0 of word `968 + j`.
fn random_lanes(seed: u64, i: usize) -> [u32; 8] {
    let mut pre = [0u8; 64];
    pre[24..32].copy_from_slice(&seed.to_be_bytes());
    pre[56..64].copy_from_slice(&(i as u64).to_be_bytes());
    let h = keccak256(pre);
    std::array::from_fn(|k| u32::from_be_bytes(h[4 * k..4 * k + 4].try_into().unwrap()) % P)
}

fn random_input(seed: u64) -> FoldInput {
    let ef = |i: usize| {
        EF::from_basis_coefficients_iter(random_lanes(seed, i).into_iter().map(Val::new)).unwrap()
    };
    let w = TRACE_WIDTH;
    FoldInput {
        trace_local: (0..w).map(ef).collect(),
        trace_next: (w..2 * w).map(ef).collect(),
        selectors: [ef(2 * w), ef(2 * w + 1), ef(2 * w + 2)],
        alpha: ef(2 * w + 3),
        public_values: (0..NUM_PUBLIC_VALUES)
            .map(|j| Val::new(random_lanes(seed, INPUT_EXTENSION_ELEMENTS + j)[0]))
            .collect(),
    }
}

/// A real epoch proof's opened values with its alpha and the selectors at its zeta; checks
/// that Plonky3's fold equals `quotient(ζ)·Z_H(ζ)`.
fn real_input() -> FoldInput {
    let fx = build(FixtureSpec {
        accounts: 4,
        checkpoints: 2,
        blocks: 1,
        transfers_per_block: 1,
        deposits_per_block: 1,
        seed: 5,
        vary: false,
    });
    let (bytes, pv) = vouch_prover::proof::prove_trace(
        &evm_config(),
        &fx.checkpoints,
        &alloy::primitives::Address::repeat_byte(3),
    )
    .unwrap();
    let proof: Proof<EvmConfig> = postcard::from_bytes(&bytes).unwrap();
    let db = proof.degree_bits;
    let ov = &proof.opened_values;

    // Plonky3's transcript up to zeta (docs/plonky3-evm-verifier §1).
    let mut ch = EvmChallenger::from_hasher(vec![], Keccak256Hash {});
    seeds::seeds(db).stark.iter().for_each(|v| ch.observe(*v));
    ch.observe(&proof.commitments.trace);
    pv.iter().for_each(|v| ch.observe(*v));
    let alpha: EF = ch.sample_algebra_element();
    ch.observe(&proof.commitments.quotient_chunks);
    let zeta: EF = ch.sample_algebra_element();

    // Selectors at zeta over the trace domain <ω>, not normalized (§4).
    let n = 1u64 << db;
    let omega_inv = Val::two_adic_generator(db).inverse();
    let z_h = zeta.exp_u64(n) - EF::ONE;
    let selectors = [
        z_h * (zeta - EF::ONE).inverse(),
        z_h * (zeta - EF::from(omega_inv)).inverse(),
        zeta - EF::from(omega_inv),
    ];
    let input = FoldInput {
        trace_local: ov.trace_local.clone(),
        trace_next: ov.trace_next.clone().unwrap(),
        selectors,
        alpha,
        public_values: pv.to_vec(),
    };

    // quotient(ζ) = Σ_i zp_i·Q_i over the chunk cosets s_i·<ω>, s_i = 3·g_{db+1}^i.
    let shifts: Vec<Val> = (0..2u64)
        .map(|i| Val::GENERATOR * Val::two_adic_generator(db + 1).exp_u64(i))
        .collect();
    let z = |x: EF, s: Val| (x * s.inverse()).exp_u64(n) - EF::ONE;
    let quotient: EF = (0..2)
        .map(|i| {
            let zp: EF = (0..2)
                .filter(|&j| j != i)
                .map(|j| z(zeta, shifts[j]) * z(EF::from(shifts[i]), shifts[j]).inverse())
                .product();
            let chunk: EF = (0..8)
                .map(|k| {
                    <EF as BasedVectorSpace<Val>>::ith_basis_element(k).unwrap()
                        * ov.quotient_chunks[i][k]
                })
                .sum();
            zp * chunk
        })
        .sum();
    assert_eq!(
        p3_fold(&input),
        quotient * z_h,
        "the real vector's OOD identity"
    );
    input
}

fn acc_sol(c: &[u32; 8]) -> String {
    let c: Vec<String> = c.iter().map(u32::to_string).collect();
    format!("[uint256({}), {}]", c[0], c[1..].join(", "))
}

/// Per input region (trace_local, trace_next, is_first_row, is_last_row, is_transition,
/// alpha, public values — alpha last), the first byte whose flip changes Plonky3's fold.
fn flip_positions(real: &FoldInput) -> Vec<usize> {
    let bytes = real.encode();
    let want = p3_fold(real);
    let w = TRACE_WIDTH;
    let regions = [
        (0, 32 * w),
        (32 * w, 64 * w),
        (64 * w, 64 * w + 32),
        (64 * w + 32, 64 * w + 64),
        (64 * w + 64, 64 * w + 96),
        (32 * INPUT_EXTENSION_ELEMENTS, INPUT_LEN),
        (64 * w + 96, 64 * w + 128),
    ];
    regions
        .iter()
        .map(|&(from, to)| {
            (from..to)
                .rev()
                .step_by(5)
                .find(|&at| {
                    let mut flipped = bytes.clone();
                    flipped[at] ^= 1;
                    p3_fold(&decode(&flipped)) != want
                })
                .expect("some byte of every region matters")
        })
        .collect()
}

/// Inverse of `FoldInput::encode` (values may be non-canonical after a flip: reduced here).
fn decode(bytes: &[u8]) -> FoldInput {
    let u = |at: usize| Val::from_u32(u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()));
    let ef =
        |i: usize| EF::from_basis_coefficients_iter((0..8).map(|k| u(32 * i + 4 * k))).unwrap();
    let w = TRACE_WIDTH;
    FoldInput {
        trace_local: (0..w).map(ef).collect(),
        trace_next: (w..2 * w).map(ef).collect(),
        selectors: [ef(2 * w), ef(2 * w + 1), ef(2 * w + 2)],
        alpha: ef(2 * w + 3),
        public_values: (0..NUM_PUBLIC_VALUES)
            .map(|j| u(32 * INPUT_EXTENSION_ELEMENTS + 4 * j))
            .collect(),
    }
}

fn render_test(
    real: &FoldInput,
    real_acc: &[u32; 8],
    random: &[(u64, [u32; 8])],
    code_len: usize,
) -> String {
    let mut s = preamble(
        "evm_constraints",
        &[
            "{TestBase} from \"./utils/TestBase.sol\"",
            "{EpochConstraints, EpochConstraintsDeploy} from \"../src/verifier/generated/EpochConstraints.sol\"",
        ],
    );
    let _ = code_len;
    let w = &mut s;
    writeln!(
        w,
        "/// @notice Shared vectors: the generated constraint fold against Plonky3's own folder, on"
    )
    .unwrap();
    writeln!(
        w,
        "///         random points and on the opened values of a real epoch proof."
    )
    .unwrap();
    writeln!(w, "contract EpochConstraintsTest is TestBase {{").unwrap();
    writeln!(w, "    uint256 internal constant P = 0x7f000001;").unwrap();
    writeln!(
        w,
        "    uint256 internal constant INPUT_LENGTH = {INPUT_LEN};"
    )
    .unwrap();
    writeln!(
        w,
        "    uint256 internal constant EXTENSION_ELEMENTS = {INPUT_EXTENSION_ELEMENTS};"
    )
    .unwrap();
    writeln!(
        w,
        "    uint256 internal constant PUBLIC_VALUES = {NUM_PUBLIC_VALUES};"
    )
    .unwrap();
    writeln!(
        w,
        "    /// Measured gas of one `fold` of the real vector (+ ~10 %)."
    )
    .unwrap();
    writeln!(
        w,
        "    uint256 internal constant FOLD_GAS_BOUND = FOLD_GAS_BOUND_VALUE;"
    )
    .unwrap();
    writeln!(w).unwrap();
    writeln!(w, "    /// A real epoch proof's trace_local ‖ trace_next ‖ selectors at ζ ‖ alpha ‖ public values.").unwrap();
    writeln!(
        w,
        "    bytes internal constant REAL = hex\"{}\";",
        hex::encode(real.encode())
    )
    .unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "    function _realAcc() internal pure returns (uint256[8] memory) {{"
    )
    .unwrap();
    writeln!(w, "        return {};", acc_sol(real_acc)).unwrap();
    writeln!(w, "    }}").unwrap();
    writeln!(w).unwrap();
    writeln!(
        w,
        "    function _randomAcc(uint256 seed) internal pure returns (uint256[8] memory) {{"
    )
    .unwrap();
    for (seed, acc) in random {
        writeln!(w, "        if (seed == {seed}) return {};", acc_sol(acc)).unwrap();
    }
    writeln!(w, "        revert(\"no such vector\");").unwrap();
    writeln!(w, "    }}").unwrap();
    s.push_str(FORGE_BODY);
    let flips: Vec<String> = flip_positions(real)
        .iter()
        .map(|x| format!("uint256({x})"))
        .collect();
    let s = s
        .replace("FLIP_POSITIONS", &flips.join(", "))
        .replace("FLIP_COUNT", &flips.len().to_string());
    let seeds: Vec<String> = RANDOM_SEEDS
        .iter()
        .map(|x| format!("uint256({x})"))
        .collect();
    s.replace("RANDOM_SEEDS_LIST", &seeds.join(", "))
}

const FORGE_BODY: &str = r#"
    /// Word i = keccak256(seed ‖ i), each 32-bit lane reduced mod p; public value j is lane 0
    /// of word EXTENSION_ELEMENTS + j (as the Rust test derives it).
    function _randomInput(uint256 seed) internal pure returns (bytes memory input) {
        input = new bytes(INPUT_LENGTH);
        for (uint256 i; i < EXTENSION_ELEMENTS; i++) {
            uint256 h = uint256(keccak256(abi.encode(seed, i)));
            uint256 word;
            for (uint256 k; k < 8; k++) {
                word |= ((h >> (224 - 32 * k)) & 0xffffffff) % P << (224 - 32 * k);
            }
            assembly {
                mstore(add(add(input, 32), mul(i, 32)), word)
            }
        }
        for (uint256 j; j < PUBLIC_VALUES; j++) {
            uint256 v = (uint256(keccak256(abi.encode(seed, EXTENSION_ELEMENTS + j))) >> 224) % P;
            for (uint256 b; b < 4; b++) {
                input[EXTENSION_ELEMENTS * 32 + 4 * j + b] = bytes1(uint8(v >> (24 - 8 * b)));
            }
        }
    }

    function _check(uint256[8] memory got, uint256[8] memory want, string memory what) internal pure {
        assertEq(keccak256(abi.encode(got)), keccak256(abi.encode(want)), what);
    }

    function test_realProofVector() public {
        EpochConstraints c = EpochConstraintsDeploy.deploy();
        _check(c.fold(REAL), _realAcc(), "fold of a real proof's openings");
    }

    function test_randomVectors() public {
        EpochConstraints c = EpochConstraintsDeploy.deploy();
        uint256[RANDOM_COUNT] memory seeds = [RANDOM_SEEDS_LIST];
        for (uint256 i; i < seeds.length; i++) {
            _check(c.fold(_randomInput(seeds[i])), _randomAcc(seeds[i]), "fold of a random vector");
        }
    }

    function test_flippedCoefficientChangesTheFold() public {
        EpochConstraints c = EpochConstraintsDeploy.deploy();
        uint256[8] memory want = _realAcc();
        // A coefficient of trace_local, trace_next, each selector, alpha and a public value
        // (bytes whose flip changes Plonky3's fold, chosen by the Rust test).
        uint256[FLIP_COUNT] memory at = [FLIP_POSITIONS];
        for (uint256 i; i < at.length; i++) {
            bytes memory input = REAL;
            input[at[i]] = input[at[i]] ^ 0x01;
            uint256[8] memory got = c.fold(input);
            assertTrue(keccak256(abi.encode(got)) != keccak256(abi.encode(want)), "a flipped input changes the fold");
        }
    }

    function test_codeSizesWithinEip170() public {
        EpochConstraints c = EpochConstraintsDeploy.deploy();
        assertTrue(address(c).code.length <= 24576, "EpochConstraints within EIP-170");
        address[] memory data = c.dataContracts();
        for (uint256 i; i < data.length; i++) {
            assertTrue(data[i].code.length > 1, "data contract deployed");
            assertTrue(data[i].code.length <= 24576, "data contract within EIP-170");
        }
    }

    function test_wrongInputLengthReverts() public {
        EpochConstraints c = EpochConstraintsDeploy.deploy();
        bytes memory short = new bytes(INPUT_LENGTH - 1);
        vm.expectRevert(abi.encodeWithSelector(EpochConstraints.InvalidInputLength.selector, INPUT_LENGTH - 1));
        c.fold(short);
        bytes memory long = new bytes(INPUT_LENGTH + 4);
        vm.expectRevert(abi.encodeWithSelector(EpochConstraints.InvalidInputLength.selector, INPUT_LENGTH + 4));
        c.fold(long);
    }

    function test_foldGas() public {
        EpochConstraints c = EpochConstraintsDeploy.deploy();
        bytes memory input = REAL;
        uint256 g = gasleft();
        c.fold(input);
        g -= gasleft();
        if (g > FOLD_GAS_BOUND) revert AssertionFailed("gas of one fold", g, FOLD_GAS_BOUND);
    }
}
"#;

#[test]
fn generated_fold_matches_plonky3_and_the_checked_in_contracts() {
    let program = EpochConstraintProgram::build();
    eprintln!("{:?}, code {} bytes", program.stats, program.code.len());
    let mut random = Vec::new();
    for seed in RANDOM_SEEDS {
        let input = random_input(seed);
        let want = coefficients(&p3_fold(&input));
        assert_eq!(program.eval(&input.encode()), want, "random vector {seed}");
        random.push((seed, want));
    }
    let real = real_input();
    let real_acc = coefficients(&p3_fold(&real));
    assert_eq!(program.eval(&real.encode()), real_acc, "real vector");

    check_rendered(
        "src/verifier/generated/EpochConstraints.sol",
        "evm_constraints",
        &render_epoch_constraints(),
    );
    let rendered = render_test(&real, &real_acc, &random, program.code.len())
        .replace("RANDOM_COUNT", &RANDOM_SEEDS.len().to_string())
        .replace("FOLD_GAS_BOUND_VALUE", &FOLD_GAS_BOUND.to_string());
    check_rendered("test/EpochConstraints.t.sol", "evm_constraints", &rendered);
}

/// Gas of `fold` on the real vector, measured in the forge test (4 886 232, including the
/// external call; 4 193 778 before the data-evaluation columns), plus ~10 %.
const FOLD_GAS_BOUND: u64 = 5_380_000;
