//! Circuit gadgets that replay, gate for gate, what Plonky3's native verifier computes with
//! Poseidon2: the duplex challenger (`DuplexChallenger<_, _, 16, 8>`), the Merkle leaf hash
//! (`PaddingFreeSponge<_, 16, 8, 8>`), node compression (`TruncatedPermutation<_, 2, 8, 16>`),
//! and the canonical bit decomposition `sample_bits` needs.

use super::circuit::PERM_WIDTH;
use super::gates::Gates;
use crate::config::Val;
use p3_field::PrimeCharacteristicRing;

/// Sponge rate of the challenger and the leaf hash.
pub const RATE: usize = 8;
/// Digest length (field elements).
pub const DIGEST: usize = 8;
/// Bits of a canonical KoalaBear element.
pub const VAL_BITS: usize = 31;
/// KoalaBear's order is `2^31 − 2^24 + 1`: an element whose bits 24..30 are all set must have
/// bits 0..23 clear.
const HIGH_BITS_FROM: usize = 24;

/// A digest.
pub type Digest<W> = [W; DIGEST];

/// The little-endian bits of a base-field wire, with the decomposition proven canonical
/// (the bits spell the element's representative below `p`, not that plus `p`).
pub fn to_bits<G: Gates>(b: &mut G, x: G::W) -> [G::W; VAL_BITS] {
    let bits = b.bits_hint(x);
    assert_canonical_bits(b, x, &bits);
    bits
}

/// Asserts `bits` are the canonical little-endian bits of the base-field wire `x`.
pub fn assert_canonical_bits<G: Gates>(b: &mut G, x: G::W, bits: &[G::W; VAL_BITS]) {
    let mut acc = b.zero();
    let mut low = acc;
    for (i, bit) in bits.iter().enumerate() {
        b.assert_bool(*bit);
        acc = b.scale_add(*bit, Val::from_u32(1 << i), acc);
        if i + 1 == HIGH_BITS_FROM {
            low = acc;
        }
    }
    b.assert_eq(acc, x);
    let mut high = bits[HIGH_BITS_FROM];
    for bit in &bits[HIGH_BITS_FROM + 1..] {
        high = b.mul(high, *bit);
    }
    // All high bits set ⇒ the low part is zero (otherwise the bits exceed p − 1).
    let z = b.zero();
    b.alu_into(high, low, z, z, Val::ONE, Val::ZERO, Val::ZERO);
}

/// The integer `Σ bits[i]·2^i` as a field wire (the bits are assumed boolean).
pub fn from_bits<G: Gates>(b: &mut G, bits: &[G::W]) -> G::W {
    let mut acc = b.zero();
    for (i, bit) in bits.iter().enumerate() {
        acc = b.scale_add(*bit, Val::from_u32(1 << i), acc);
    }
    acc
}

/// One Poseidon2 permutation of the overwrite-mode sponge state.
fn permute<G: Gates>(b: &mut G, state: &mut [G::W; PERM_WIDTH]) {
    *state = b.permute(*state);
}

/// `PaddingFreeSponge<Perm16, 16, 8, 8>`: absorb in blocks of eight by overwriting the rate,
/// permuting after each (a final partial block overwrites its prefix only); the digest is the
/// first eight elements. The empty input hashes to zeros.
pub fn hash_slice<G: Gates>(b: &mut G, values: &[G::W]) -> Digest<G::W> {
    let mut state = [b.zero(); PERM_WIDTH];
    for block in values.chunks(RATE) {
        state[..block.len()].copy_from_slice(block);
        permute(b, &mut state);
    }
    state[..DIGEST].try_into().expect("digest prefix")
}

/// `TruncatedPermutation<Perm16, 2, 8, 16>`: the first eight elements of the permuted
/// `left ‖ right`.
pub fn compress<G: Gates>(b: &mut G, left: &Digest<G::W>, right: &Digest<G::W>) -> Digest<G::W> {
    let mut state = [b.zero(); PERM_WIDTH];
    state[..DIGEST].copy_from_slice(left);
    state[DIGEST..].copy_from_slice(right);
    permute(b, &mut state);
    state[..DIGEST].try_into().expect("digest prefix")
}

/// One Merkle step: `compress(node, sibling)` when `bit` is 0, `compress(sibling, node)` when
/// it is 1 (`bit` is the node's position, the low bit of its index).
pub fn merkle_step<G: Gates>(
    b: &mut G,
    bit: G::W,
    node: &Digest<G::W>,
    sibling: &Digest<G::W>,
) -> Digest<G::W> {
    let mut state = [b.zero(); PERM_WIDTH];
    state[..DIGEST].copy_from_slice(node);
    state[DIGEST..].copy_from_slice(sibling);
    let out = b.permute_swapped(bit, state);
    out[..DIGEST].try_into().expect("digest prefix")
}

/// `DuplexChallenger<Val, Perm16, 16, 8>` in the circuit: the same absorb, squeeze and
/// length-tag rules, so it draws exactly the native challenger's values from the same inputs.
#[derive(Clone, Debug)]
pub struct CircuitChallenger<W> {
    state: [W; PERM_WIDTH],
    input: Vec<W>,
    output: Vec<W>,
}

impl<W: Copy + std::fmt::Debug> CircuitChallenger<W> {
    /// The challenger's initial (all-zero) state.
    pub fn new<G: Gates<W = W>>(b: &mut G) -> Self {
        Self {
            state: [b.zero(); PERM_WIDTH],
            input: Vec::new(),
            output: Vec::new(),
        }
    }

    fn duplex<G: Gates<W = W>>(&mut self, b: &mut G) {
        let n = self.input.len();
        debug_assert!(n <= RATE);
        for (i, w) in self.input.drain(..).enumerate() {
            self.state[i] = w;
        }
        if n > 0 {
            let z = b.zero();
            self.state[n..RATE].fill(z);
            let tag = b.constant_base(Val::from_usize(n));
            self.state[RATE] = b.add(self.state[RATE], tag);
        }
        permute(b, &mut self.state);
        self.output = self.state[..RATE].to_vec();
    }

    /// Absorbs one base-field wire.
    pub fn observe<G: Gates<W = W>>(&mut self, b: &mut G, w: W) {
        self.output.clear();
        self.input.push(w);
        if self.input.len() == RATE {
            self.duplex(b);
        }
    }

    /// Absorbs base-field wires in order.
    pub fn observe_all<G: Gates<W = W>>(&mut self, b: &mut G, ws: &[W]) {
        for w in ws {
            self.observe(b, *w);
        }
    }

    /// Absorbs an extension wire as its eight coordinates.
    pub fn observe_ext<G: Gates<W = W>>(&mut self, b: &mut G, w: W) {
        let coords = b.unpack(w);
        self.observe_all(b, &coords);
    }

    /// Absorbs a base-field constant.
    pub fn observe_constant<G: Gates<W = W>>(&mut self, b: &mut G, v: Val) {
        let w = b.constant_base(v);
        self.observe(b, w);
    }

    /// Squeezes one base-field element.
    pub fn sample<G: Gates<W = W>>(&mut self, b: &mut G) -> W {
        if !self.input.is_empty() || self.output.is_empty() {
            self.duplex(b);
        }
        self.output.pop().expect("a duplexing refills the output")
    }

    /// Squeezes an extension element (coordinate `i` is the `i`-th squeeze).
    pub fn sample_ext<G: Gates<W = W>>(&mut self, b: &mut G) -> W {
        let mut coords = [b.zero(); super::circuit::D];
        for c in coords.iter_mut() {
            *c = self.sample(b);
        }
        b.pack(coords)
    }

    /// `sample_bits(bits)`: the low `bits` bits of a squeezed element, little-endian.
    pub fn sample_bits<G: Gates<W = W>>(&mut self, b: &mut G, bits: usize) -> Vec<W> {
        assert!(bits < VAL_BITS);
        let x = self.sample(b);
        to_bits(b, x)[..bits].to_vec()
    }

    /// `check_witness(bits, witness)`: absorbs the witness and asserts the next `bits` sampled
    /// bits are zero. Zero bits absorb nothing, as natively.
    pub fn check_witness<G: Gates<W = W>>(&mut self, b: &mut G, bits: usize, witness: W) {
        if bits == 0 {
            return;
        }
        self.observe(b, witness);
        for bit in self.sample_bits(b, bits) {
            b.assert_zero(bit);
        }
    }
}
