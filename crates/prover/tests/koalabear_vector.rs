//! KoalaBear and its degree-8 extension in Solidity (`contracts/src/verifier/KoalaBear.sol`,
//! the arithmetic `EpochVerifier` runs on) against Plonky3: random operands and Plonky3's
//! results (products, sums, differences, inverses, Frobenius maps) are rendered into the forge
//! test `contracts/test/KoalaBearVector.t.sol`, which checks the library reproduces them. This
//! test fails when the checked-in forge test differs from what it renders;
//! `VOUCH_REGENERATE=1` rewrites it.

mod common;

use common::{check_rendered, ext_sol as sol, preamble};
use p3_field::extension::HasFrobenius;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, PrimeField32};
use std::fmt::Write as _;
use vouch_prover::config::{EvmChallenge, Val};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % 0x7f00_0001) as u32
    }
    fn ext(&mut self) -> EvmChallenge {
        EvmChallenge::from_basis_coefficients_fn(|_| Val::from_u32(self.next()))
    }
}

/// Test helpers: literals are 8 canonical coefficients; the library works on its packed
/// 4-word form, so operands are packed in place and results reduced before comparing.
const HELPERS: &str = "    /// An element from 8 canonical coefficients (packed in place).
    function _e(uint256[8] memory c) internal pure returns (uint256 ptr) {
        assembly {
            ptr := c
        }
        KoalaBear.extFrom8(ptr);
    }

    function _check(uint256 got, uint256[8] memory want, string memory what) internal pure {
        KoalaBear.extMulBase(got, got, 1); // reduces unreduced lanes
        assertEq(KoalaBear.extToPacked(got), KoalaBear.extToPacked(_e(want)), what);
    }
";

#[test]
fn solidity_field_arithmetic_vector_is_fresh() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut s = String::new();
    s.push_str(&preamble(
        "koalabear_vector",
        &[
            "{TestBase} from \"./utils/TestBase.sol\"",
            "{KoalaBear} from \"../src/verifier/KoalaBear.sol\"",
        ],
    ));
    writeln!(
        s,
        "/// @notice Results computed by Plonky3 (`BinomialExtensionField<KoalaBear, 8>`)."
    )
    .unwrap();
    writeln!(s, "contract KoalaBearVectorTest is TestBase {{").unwrap();
    s.push_str(HELPERS);
    for case in 0..6 {
        let (a, b) = (rng.ext(), rng.ext());
        let scalar = Val::from_u32(rng.next());
        let ops: [(&str, EvmChallenge, &str); 7] = [
            ("KoalaBear.extMul(r, a, b)", a * b, "mul"),
            ("KoalaBear.extAdd(r, a, b)", a + b, "add"),
            ("KoalaBear.extSub(r, a, b)", a - b, "sub"),
            ("KoalaBear.extInv(r, a)", a.inverse(), "inverse"),
            ("KoalaBear.extFrob(r, a, 1)", a.frobenius(), "frobenius"),
            (
                "KoalaBear.extFrob(r, a, 3)",
                a.repeated_frobenius(3),
                "frobenius^3",
            ),
            (
                &format!("KoalaBear.extMulBase(r, a, {})", scalar.as_canonical_u32()),
                a * scalar,
                "mul by base",
            ),
        ];
        writeln!(s, "\n    function test_case{case}() public pure {{").unwrap();
        writeln!(s, "        uint256 a = _e({});", sol(&a)).unwrap();
        writeln!(s, "        uint256 b = _e({});", sol(&b)).unwrap();
        writeln!(s, "        uint256 r = KoalaBear.extNew();").unwrap();
        for (call, want, what) in ops {
            writeln!(s, "        {call};").unwrap();
            writeln!(s, "        _check(r, {}, \"{what}\");", sol(&want)).unwrap();
        }
        writeln!(
            s,
            "        assertEq(KoalaBear.inv({}), {}, \"base inverse\");",
            scalar.as_canonical_u32(),
            scalar.inverse().as_canonical_u32()
        )
        .unwrap();
        writeln!(s, "    }}").unwrap();
    }
    writeln!(s, "}}").unwrap();

    check_rendered("test/KoalaBearVector.t.sol", "koalabear_vector", &s);
}
