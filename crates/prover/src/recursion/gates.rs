//! One gate vocabulary, two evaluators: [`CircuitBuilder`] records gates into a circuit, and
//! [`Native`] computes them on values and checks every assertion.
//!
//! Verifier code written once against [`Gates`] therefore runs two ways: natively, as a
//! reference verifier that also collects the circuit's private inputs in the order the circuit
//! reads them, and as circuit construction. The two cannot drift apart.

use super::circuit::{CircuitBuilder, D, Ext, PERM_WIDTH, Wire, base, coords, is_base};
use super::gadgets::VAL_BITS;
use crate::config::Val;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, PrimeField32};
use p3_symmetric::Permutation;

/// The gates verifier code is written in. Values are [`Ext`] elements; "base" wires hold
/// elements of the base field.
pub trait Gates {
    /// A value: a circuit wire, or the value itself.
    type W: Copy + std::fmt::Debug;

    /// The constant `v`.
    fn constant(&mut self, v: Ext) -> Self::W;

    /// `qm·a·b + ql·a + qr·b + c`.
    fn alu(&mut self, a: Self::W, b: Self::W, c: Self::W, qm: Val, ql: Val, qr: Val) -> Self::W;

    /// Asserts `out = qm·a·b + ql·a + qr·b + c`.
    #[allow(clippy::too_many_arguments)]
    fn alu_into(
        &mut self,
        a: Self::W,
        b: Self::W,
        c: Self::W,
        out: Self::W,
        qm: Val,
        ql: Val,
        qr: Val,
    );

    /// Poseidon2 of `input`, halves swapped first when the boolean `swap` is one.
    fn permute_swapped(
        &mut self,
        swap: Self::W,
        input: [Self::W; PERM_WIDTH],
    ) -> [Self::W; PERM_WIDTH];

    /// The extension element with base coordinates `coords`.
    fn pack(&mut self, coords: [Self::W; D]) -> Self::W;

    /// The base coordinates of `ext`.
    fn unpack(&mut self, ext: Self::W) -> [Self::W; D];

    /// An unconstrained claim of `1/a` (zero when `a = 0`); see [`Gates::inverse`].
    fn inverse_hint(&mut self, a: Self::W) -> Self::W;

    /// An unconstrained claim of the canonical little-endian bits of the base value `x`;
    /// see [`super::gadgets::to_bits`].
    fn bits_hint(&mut self, x: Self::W) -> [Self::W; VAL_BITS];

    /// Names the check the following gates make (the reference verifier reports it with a
    /// failure; a circuit ignores it).
    fn context(&mut self, _what: &'static str) {}

    /// The zero constant.
    fn zero(&mut self) -> Self::W {
        self.constant(Ext::ZERO)
    }

    /// The one constant.
    fn one(&mut self) -> Self::W {
        self.constant(Ext::ONE)
    }

    /// A base-field constant.
    fn constant_base(&mut self, v: Val) -> Self::W {
        self.constant(Ext::from(v))
    }

    /// `a + b`.
    fn add(&mut self, a: Self::W, b: Self::W) -> Self::W {
        let z = self.zero();
        self.alu(a, b, z, Val::ZERO, Val::ONE, Val::ONE)
    }

    /// `a − b`.
    fn sub(&mut self, a: Self::W, b: Self::W) -> Self::W {
        let z = self.zero();
        self.alu(a, b, z, Val::ZERO, Val::ONE, Val::NEG_ONE)
    }

    /// `a·b`.
    fn mul(&mut self, a: Self::W, b: Self::W) -> Self::W {
        let z = self.zero();
        self.alu(a, b, z, Val::ONE, Val::ZERO, Val::ZERO)
    }

    /// `a·b + c`.
    fn mul_add(&mut self, a: Self::W, b: Self::W, c: Self::W) -> Self::W {
        self.alu(a, b, c, Val::ONE, Val::ZERO, Val::ZERO)
    }

    /// `k·a` for a base-field `k`.
    fn scale(&mut self, a: Self::W, k: Val) -> Self::W {
        let z = self.zero();
        self.alu(a, z, z, Val::ZERO, k, Val::ZERO)
    }

    /// `k·a + c` for a base-field `k`.
    fn scale_add(&mut self, a: Self::W, k: Val, c: Self::W) -> Self::W {
        let z = self.zero();
        self.alu(a, z, c, Val::ZERO, k, Val::ZERO)
    }

    /// Asserts `a = 0`.
    fn assert_zero(&mut self, a: Self::W) {
        let z = self.zero();
        self.alu_into(a, z, z, z, Val::ZERO, Val::ONE, Val::ZERO);
    }

    /// Asserts `a = b`.
    fn assert_eq(&mut self, a: Self::W, b: Self::W) {
        let z = self.zero();
        self.alu_into(a, b, z, z, Val::ZERO, Val::ONE, Val::NEG_ONE);
    }

    /// Asserts `b ∈ {0, 1}`.
    fn assert_bool(&mut self, b: Self::W) {
        let z = self.zero();
        self.alu_into(b, b, z, z, Val::ONE, Val::NEG_ONE, Val::ZERO);
    }

    /// `bit ? x : y` for a boolean `bit` (not checked here).
    fn select(&mut self, bit: Self::W, x: Self::W, y: Self::W) -> Self::W {
        let d = self.sub(x, y);
        self.mul_add(bit, d, y)
    }

    /// `1/a`; fails unless `a ≠ 0`.
    fn inverse(&mut self, a: Self::W) -> Self::W {
        let inv = self.inverse_hint(a);
        let minus_one = self.constant(Ext::NEG_ONE);
        let z = self.zero();
        self.alu_into(a, inv, minus_one, z, Val::ONE, Val::ZERO, Val::ZERO);
        inv
    }

    /// `a/b`; fails unless `b ≠ 0`.
    fn div(&mut self, a: Self::W, b: Self::W) -> Self::W {
        let inv = self.inverse(b);
        self.mul(a, inv)
    }

    /// Poseidon2 of `input`.
    fn permute(&mut self, input: [Self::W; PERM_WIDTH]) -> [Self::W; PERM_WIDTH] {
        let z = self.zero();
        self.permute_swapped(z, input)
    }
}

impl Gates for CircuitBuilder {
    type W = Wire;

    fn constant(&mut self, v: Ext) -> Wire {
        CircuitBuilder::constant(self, v)
    }

    fn alu(&mut self, a: Wire, b: Wire, c: Wire, qm: Val, ql: Val, qr: Val) -> Wire {
        CircuitBuilder::alu(self, a, b, c, qm, ql, qr)
    }

    fn alu_into(&mut self, a: Wire, b: Wire, c: Wire, out: Wire, qm: Val, ql: Val, qr: Val) {
        CircuitBuilder::alu_into(self, a, b, c, out, qm, ql, qr)
    }

    fn permute_swapped(&mut self, swap: Wire, input: [Wire; PERM_WIDTH]) -> [Wire; PERM_WIDTH] {
        CircuitBuilder::permute_swapped(self, swap, input)
    }

    fn pack(&mut self, coords: [Wire; D]) -> Wire {
        CircuitBuilder::pack(self, coords)
    }

    fn unpack(&mut self, ext: Wire) -> [Wire; D] {
        CircuitBuilder::unpack(self, ext)
    }

    fn inverse_hint(&mut self, a: Wire) -> Wire {
        self.hint(&[a], 1, |v| vec![v[0].try_inverse().unwrap_or(Ext::ZERO)])[0]
    }

    fn bits_hint(&mut self, x: Wire) -> [Wire; VAL_BITS] {
        self.hint(&[x], VAL_BITS, |v| canonical_bits(&v[0]).to_vec())
            .try_into()
            .expect("VAL_BITS hint outputs")
    }
}

fn canonical_bits(v: &Ext) -> [Ext; VAL_BITS] {
    let n = base(v).as_canonical_u32();
    std::array::from_fn(|i| Ext::from(Val::from_u32((n >> i) & 1)))
}

/// Evaluates gates on values. The first failed assertion is kept (with how many assertions
/// held before it); later gates still compute so a caller can keep going and report it.
#[derive(Debug, Default)]
pub struct Native {
    checks: usize,
    context: &'static str,
    failure: Option<String>,
}

impl Native {
    /// A fresh evaluator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Why the first failed assertion failed, if one did.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// `Ok` when every assertion held.
    pub fn result(&self) -> Result<(), String> {
        match &self.failure {
            None => Ok(()),
            Some(f) => Err(f.clone()),
        }
    }

    /// Records a failed check unless one is already recorded.
    pub fn fail(&mut self, why: impl Into<String>) {
        if self.failure.is_none() {
            self.failure = Some(format!(
                "{} (check #{}): {}",
                self.context,
                self.checks,
                why.into()
            ));
        }
    }

    fn check(&mut self, ok: bool, why: &str) {
        if !ok {
            self.fail(why);
        }
        self.checks += 1;
    }
}

impl Gates for Native {
    type W = Ext;

    fn context(&mut self, what: &'static str) {
        self.context = what;
    }

    fn constant(&mut self, v: Ext) -> Ext {
        v
    }

    fn alu(&mut self, a: Ext, b: Ext, c: Ext, qm: Val, ql: Val, qr: Val) -> Ext {
        a * b * qm + a * ql + b * qr + c
    }

    fn alu_into(&mut self, a: Ext, b: Ext, c: Ext, out: Ext, qm: Val, ql: Val, qr: Val) {
        let v = self.alu(a, b, c, qm, ql, qr);
        self.check(v == out, "alu relation");
    }

    fn permute_swapped(&mut self, swap: Ext, input: [Ext; PERM_WIDTH]) -> [Ext; PERM_WIDTH] {
        self.check(swap == Ext::ZERO || swap == Ext::ONE, "swap bit is boolean");
        self.check(
            input.iter().all(is_base),
            "permutation input in the base field",
        );
        let mut state: [Val; PERM_WIDTH] = std::array::from_fn(|i| base(&input[i]));
        if swap == Ext::ONE {
            state.rotate_left(PERM_WIDTH / 2);
        }
        super::poseidon2().permute_mut(&mut state);
        state.map(Ext::from)
    }

    fn pack(&mut self, cs: [Ext; D]) -> Ext {
        self.check(
            cs.iter().all(is_base),
            "packed coordinates in the base field",
        );
        Ext::from_basis_coefficients_fn(|i| base(&cs[i]))
    }

    fn unpack(&mut self, ext: Ext) -> [Ext; D] {
        let cs = coords(&ext);
        std::array::from_fn(|i| Ext::from(cs[i]))
    }

    fn inverse_hint(&mut self, a: Ext) -> Ext {
        a.try_inverse().unwrap_or(Ext::ZERO)
    }

    fn bits_hint(&mut self, x: Ext) -> [Ext; VAL_BITS] {
        canonical_bits(&x)
    }
}
