//! KoalaBear and its degree-8 extension in Solidity (`contracts/src/verifier/KoalaBear.sol`)
//! against Plonky3: random operands and Plonky3's results are rendered into the forge test
//! `contracts/test/KoalaBearVector.t.sol`, which checks the library reproduces them. This
//! test fails when the checked-in forge test differs from what it renders;
//! `VOUCH_REGENERATE=1` rewrites it.

mod common;

use common::{EXT_HELPERS, check_rendered, ext_sol as sol, preamble};
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
    s.push_str(EXT_HELPERS);
    for case in 0..6 {
        let (a, b) = (rng.ext(), rng.ext());
        let scalar = Val::from_u32(rng.next());
        writeln!(s, "\n    function test_case{case}() public pure {{").unwrap();
        writeln!(s, "        uint256[8] memory a = {};", sol(&a)).unwrap();
        writeln!(s, "        uint256[8] memory b = {};", sol(&b)).unwrap();
        writeln!(s, "        uint256[8] memory r;").unwrap();
        writeln!(s, "        KoalaBear.extMul(_p(a), _p(b), _p(r));").unwrap();
        writeln!(s, "        _check(r, {}, \"mul\");", sol(&(a * b))).unwrap();
        writeln!(s, "        KoalaBear.extAdd(_p(a), _p(b), _p(r));").unwrap();
        writeln!(s, "        _check(r, {}, \"add\");", sol(&(a + b))).unwrap();
        writeln!(s, "        KoalaBear.extSub(_p(a), _p(b), _p(r));").unwrap();
        writeln!(s, "        _check(r, {}, \"sub\");", sol(&(a - b))).unwrap();
        writeln!(
            s,
            "        KoalaBear.extMulBase(_p(a), {}, _p(r));",
            scalar.as_canonical_u32()
        )
        .unwrap();
        writeln!(
            s,
            "        _check(r, {}, \"mul by base\");",
            sol(&(a * scalar))
        )
        .unwrap();
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
