//! The epoch proof's Fiat-Shamir transcript in Solidity
//! (`contracts/src/verifier/KeccakTranscript.sol`) against Plonky3's challenger: a scripted
//! session (observations of field elements, extension elements and digests, samples of every
//! kind, a proof-of-work witness) is rendered with Plonky3's answers into the forge test
//! `contracts/test/TranscriptVector.t.sol`. This test fails when the checked-in forge test
//! differs; `VOUCH_REGENERATE=1` rewrites it.

mod common;

use alloy::primitives::keccak256;
use common::{EXT_HELPERS, check_rendered, ext_sol, preamble};
use p3_challenger::{CanObserve, CanSample, CanSampleBits, FieldChallenger, GrindingChallenger};
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing, PrimeField32};
use p3_keccak::Keccak256Hash;
use p3_symmetric::Hash;
use std::fmt::Write as _;
use vouch_prover::config::{EvmChallenge, EvmChallenger, Val};

/// The smallest valid proof-of-work witness (Plonky3's `grind` returns any valid one, found in
/// parallel, which would make the rendered vector differ between runs).
fn smallest_witness(ch: &EvmChallenger, bits: usize) -> Val {
    (0u32..)
        .map(Val::from_u32)
        .find(|w| ch.clone().check_witness(bits, *w))
        .expect("a witness exists")
}

#[test]
fn solidity_transcript_vector_is_fresh() {
    let mut ch = EvmChallenger::from_hasher(vec![], Keccak256Hash {});
    let mut s = String::new();
    let mut body = String::new();
    let w = |body: &mut String, line: String| writeln!(body, "        {line}").unwrap();
    let mut seed = 7u32;
    let mut field = || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        Val::from_u32(seed % 0x7f00_0001)
    };
    for round in 0..5 {
        for _ in 0..3 + round {
            let v = field();
            ch.observe(v);
            w(
                &mut body,
                format!("t.observeField({});", v.as_canonical_u32()),
            );
        }
        let digest = keccak256([round as u8]).0;
        ch.observe(Hash::<Val, u8, 32>::from(digest));
        w(
            &mut body,
            format!("t.observeDigest(0x{});", alloy::hex::encode(digest)),
        );
        let e = EvmChallenge::from_basis_coefficients_fn(|_| field());
        ch.observe_algebra_element(e);
        w(
            &mut body,
            format!("KeccakTranscript.observeExt(t, _p({}));", ext_sol(&e)),
        );
        let sampled: EvmChallenge = ch.sample();
        w(&mut body, "t.sampleExt(_p(r));".to_string());
        w(
            &mut body,
            format!("_check(r, {}, \"ext {round}\");", ext_sol(&sampled)),
        );
        let bits = ch.sample_bits(3 + round);
        w(
            &mut body,
            format!(
                "assertEq(t.sampleBits({}), {bits}, \"bits {round}\");",
                3 + round
            ),
        );
        let f: Val = ch.sample();
        w(
            &mut body,
            format!(
                "assertEq(t.sampleField(), {}, \"field {round}\");",
                f.as_canonical_u32()
            ),
        );
        if round % 2 == 1 {
            let witness = smallest_witness(&ch, 8);
            assert!(ch.check_witness(8, witness));
            w(
                &mut body,
                format!(
                    "assertTrue(t.checkWitness(8, {}), \"pow {round}\");",
                    witness.as_canonical_u32()
                ),
            );
        }
    }
    let last: EvmChallenge = ch.sample();

    s.push_str(&preamble(
        "transcript_vector",
        &[
            "{TestBase} from \"./utils/TestBase.sol\"",
            "{KeccakTranscript} from \"../src/verifier/KeccakTranscript.sol\"",
        ],
    ));
    writeln!(
        s,
        "/// @notice A transcript session replayed against Plonky3's `SerializingChallenger32`."
    )
    .unwrap();
    writeln!(s, "contract TranscriptVectorTest is TestBase {{").unwrap();
    writeln!(
        s,
        "    using KeccakTranscript for KeccakTranscript.Transcript;\n"
    )
    .unwrap();
    s.push_str(EXT_HELPERS);
    s.push('\n');
    writeln!(
        s,
        "    function test_sessionMatchesPlonky3() public pure {{"
    )
    .unwrap();
    writeln!(
        s,
        "        KeccakTranscript.Transcript memory t = KeccakTranscript.init(1024);"
    )
    .unwrap();
    writeln!(s, "        uint256[8] memory r;").unwrap();
    s.push_str(&body);
    writeln!(s, "        t.sampleExt(_p(r));").unwrap();
    writeln!(s, "        _check(r, {}, \"last\");", ext_sol(&last)).unwrap();
    writeln!(s, "    }}\n").unwrap();
    writeln!(s, "    function test_aWrongWitnessFails() public pure {{").unwrap();
    writeln!(
        s,
        "        KeccakTranscript.Transcript memory t = KeccakTranscript.init(64);"
    )
    .unwrap();
    writeln!(s, "        t.observeField(1);").unwrap();
    let mut probe = EvmChallenger::from_hasher(vec![], Keccak256Hash {});
    probe.observe(Val::ONE);
    let good = smallest_witness(&probe, 12);
    let bad = (1..)
        .map(|i| good + Val::from_u32(i))
        .find(|c| !probe.clone().check_witness(12, *c))
        .unwrap();
    writeln!(
        s,
        "        KeccakTranscript.Transcript memory u = KeccakTranscript.init(64);"
    )
    .unwrap();
    writeln!(s, "        u.observeField(1);").unwrap();
    writeln!(
        s,
        "        assertTrue(t.checkWitness(12, {}), \"good witness\");",
        good.as_canonical_u32()
    )
    .unwrap();
    writeln!(
        s,
        "        assertFalse(u.checkWitness(12, {}), \"bad witness\");",
        bad.as_canonical_u32()
    )
    .unwrap();
    writeln!(s, "    }}").unwrap();
    writeln!(s, "}}").unwrap();

    check_rendered("test/TranscriptVector.t.sol", "transcript_vector", &s);
}
