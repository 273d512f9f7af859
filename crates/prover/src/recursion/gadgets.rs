//! Circuit gadgets that replay, gate for gate, what Plonky3's native verifier computes with
//! Poseidon2: the duplex challenger (`DuplexChallenger<_, _, 16, 8>`), the Merkle leaf hash
//! (`PaddingFreeSponge<_, 16, 8, 8>`), node compression (`TruncatedPermutation<_, 2, 8, 16>`),
//! and the canonical bit decomposition `sample_bits` needs.

use super::circuit::{CircuitBuilder, Ext, PERM_WIDTH, Wire, base};
use crate::config::Val;
use p3_field::{PrimeCharacteristicRing, PrimeField32};

/// Sponge rate of the challenger and the leaf hash.
pub const RATE: usize = 8;
/// Digest length (field elements).
pub const DIGEST: usize = 8;
/// Bits of a canonical KoalaBear element.
pub const VAL_BITS: usize = 31;
/// KoalaBear's order is `2^31 − 2^24 + 1`: an element whose bits 24..30 are all set must have
/// bits 0..23 clear.
const HIGH_BITS_FROM: usize = 24;

/// A digest in the circuit.
pub type DigestWires = [Wire; DIGEST];

/// The little-endian bits of a base-field wire, with the decomposition proven canonical
/// (the bits spell the element's representative below `p`, not that plus `p`).
pub fn to_bits(b: &mut CircuitBuilder, x: Wire) -> [Wire; VAL_BITS] {
    let bits: [Wire; VAL_BITS] = b
        .hint(&[x], VAL_BITS, |v| {
            let n = base(&v[0]).as_canonical_u32();
            (0..VAL_BITS)
                .map(|i| Ext::from(Val::from_u32((n >> i) & 1)))
                .collect()
        })
        .try_into()
        .expect("VAL_BITS hint outputs");
    assert_canonical_bits(b, x, &bits);
    bits
}

/// Asserts `bits` are the canonical little-endian bits of the base-field wire `x`.
pub fn assert_canonical_bits(b: &mut CircuitBuilder, x: Wire, bits: &[Wire; VAL_BITS]) {
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
pub fn from_bits(b: &mut CircuitBuilder, bits: &[Wire]) -> Wire {
    let mut acc = b.zero();
    for (i, bit) in bits.iter().enumerate() {
        acc = b.scale_add(*bit, Val::from_u32(1 << i), acc);
    }
    acc
}

/// One Poseidon2 permutation of the overwrite-mode sponge state.
fn permute(b: &mut CircuitBuilder, state: &mut [Wire; PERM_WIDTH]) {
    *state = b.permute(*state);
}

/// `PaddingFreeSponge<Perm16, 16, 8, 8>`: absorb in blocks of eight by overwriting the rate,
/// permuting after each (a final partial block overwrites its prefix only); the digest is the
/// first eight elements. The empty input hashes to zeros.
pub fn hash_slice(b: &mut CircuitBuilder, values: &[Wire]) -> DigestWires {
    let mut state = [b.zero(); PERM_WIDTH];
    for block in values.chunks(RATE) {
        state[..block.len()].copy_from_slice(block);
        permute(b, &mut state);
    }
    state[..DIGEST].try_into().expect("digest prefix")
}

/// `TruncatedPermutation<Perm16, 2, 8, 16>`: the first eight elements of the permuted
/// `left ‖ right`.
pub fn compress(b: &mut CircuitBuilder, left: &DigestWires, right: &DigestWires) -> DigestWires {
    let mut state = [b.zero(); PERM_WIDTH];
    state[..DIGEST].copy_from_slice(left);
    state[DIGEST..].copy_from_slice(right);
    permute(b, &mut state);
    state[..DIGEST].try_into().expect("digest prefix")
}

/// One Merkle step: `compress(node, sibling)` when `bit` is 0, `compress(sibling, node)` when
/// it is 1 (`bit` is the node's position, the low bit of its index).
pub fn merkle_step(
    b: &mut CircuitBuilder,
    bit: Wire,
    node: &DigestWires,
    sibling: &DigestWires,
) -> DigestWires {
    let mut state = [b.zero(); PERM_WIDTH];
    state[..DIGEST].copy_from_slice(node);
    state[DIGEST..].copy_from_slice(sibling);
    let out = b.permute_swapped(bit, state);
    out[..DIGEST].try_into().expect("digest prefix")
}

/// `DuplexChallenger<Val, Perm16, 16, 8>` in the circuit: the same absorb, squeeze and
/// length-tag rules, so it draws exactly the native challenger's values from the same inputs.
#[derive(Clone, Debug)]
pub struct CircuitChallenger {
    state: [Wire; PERM_WIDTH],
    input: Vec<Wire>,
    output: Vec<Wire>,
}

impl CircuitChallenger {
    /// The challenger's initial (all-zero) state.
    pub fn new(b: &CircuitBuilder) -> Self {
        Self {
            state: [b.zero(); PERM_WIDTH],
            input: Vec::new(),
            output: Vec::new(),
        }
    }

    fn duplex(&mut self, b: &mut CircuitBuilder) {
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
    pub fn observe(&mut self, b: &mut CircuitBuilder, w: Wire) {
        self.output.clear();
        self.input.push(w);
        if self.input.len() == RATE {
            self.duplex(b);
        }
    }

    /// Absorbs base-field wires in order.
    pub fn observe_all(&mut self, b: &mut CircuitBuilder, ws: &[Wire]) {
        for w in ws {
            self.observe(b, *w);
        }
    }

    /// Absorbs an extension wire as its eight coordinates.
    pub fn observe_ext(&mut self, b: &mut CircuitBuilder, w: Wire) {
        let coords = b.unpack(w);
        self.observe_all(b, &coords);
    }

    /// Absorbs a base-field constant.
    pub fn observe_constant(&mut self, b: &mut CircuitBuilder, v: Val) {
        let w = b.constant_base(v);
        self.observe(b, w);
    }

    /// Squeezes one base-field element.
    pub fn sample(&mut self, b: &mut CircuitBuilder) -> Wire {
        if !self.input.is_empty() || self.output.is_empty() {
            self.duplex(b);
        }
        self.output.pop().expect("a duplexing refills the output")
    }

    /// Squeezes an extension element (coordinate `i` is the `i`-th squeeze).
    pub fn sample_ext(&mut self, b: &mut CircuitBuilder) -> Wire {
        let mut coords = [b.zero(); super::circuit::D];
        for c in coords.iter_mut() {
            *c = self.sample(b);
        }
        b.pack(coords)
    }

    /// `sample_bits(bits)`: the low `bits` bits of a squeezed element, little-endian.
    pub fn sample_bits(&mut self, b: &mut CircuitBuilder, bits: usize) -> Vec<Wire> {
        assert!(bits < VAL_BITS);
        let x = self.sample(b);
        to_bits(b, x)[..bits].to_vec()
    }

    /// `check_witness(bits, witness)`: absorbs the witness and asserts the next `bits` sampled
    /// bits are zero. Zero bits absorb nothing, as natively.
    pub fn check_witness(&mut self, b: &mut CircuitBuilder, bits: usize, witness: Wire) {
        if bits == 0 {
            return;
        }
        self.observe(b, witness);
        for bit in self.sample_bits(b, bits) {
            b.assert_zero(bit);
        }
    }
}
