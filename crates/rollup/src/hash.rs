//! Poseidon2 over KoalaBear: the one permutation the whole rollup hashes with.
//!
//! * [`compress`]: two digests → one, `truncate₈(P(left ‖ right))` (Plonky3's
//!   `TruncatedPermutation`), used for Merkle nodes and the archive chain.
//! * [`hash_fields`]: a sponge over any number of field elements, rate 8, capacity 8; the
//!   capacity starts as `[domain, len, 0, …]` so messages of different kinds or lengths never
//!   share a state. Blocks of 8 overwrite the rate part; the last block is zero-padded.
//! * [`hash_leaf`]: exactly 16 elements → one digest with a single permutation (leaves).
//!
//! A [`Digest`] is 8 KoalaBear elements; its 32-byte form (used on L1) is the 8 canonical
//! values as big-endian `u32`s. Decoding rejects non-canonical values.

use p3_field::{PrimeCharacteristicRing, PrimeField32, integers::QuotientMap};
use p3_koala_bear::{KoalaBear, Poseidon2KoalaBear, default_koalabear_poseidon2_16};
use p3_symmetric::Permutation;
use std::fmt;
use std::sync::OnceLock;

/// The base field.
pub type F = KoalaBear;
/// Permutation width.
pub const WIDTH: usize = 16;
/// Elements per digest.
pub const DIGEST_ELEMS: usize = 8;
/// Sponge rate.
pub const RATE: usize = 8;

/// The shared Poseidon2 width-16 permutation (Plonky3's default KoalaBear constants).
pub fn permutation() -> &'static Poseidon2KoalaBear<WIDTH> {
    static PERM: OnceLock<Poseidon2KoalaBear<WIDTH>> = OnceLock::new();
    PERM.get_or_init(default_koalabear_poseidon2_16)
}

/// A Poseidon2 digest: 8 field elements.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Digest(pub [F; DIGEST_ELEMS]);

/// Bytes that are not a canonical digest encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("digest element {index} is {value:#x}, not below the KoalaBear prime")]
pub struct NonCanonicalDigest {
    /// Which element.
    pub index: usize,
    /// Its value.
    pub value: u32,
}

impl Digest {
    /// The all-zero digest (the empty leaf).
    pub const ZERO: Self = Self([F::ZERO; DIGEST_ELEMS]);

    /// 32-byte big-endian encoding.
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (chunk, e) in out.chunks_exact_mut(4).zip(self.0.iter()) {
            chunk.copy_from_slice(&e.as_canonical_u32().to_be_bytes());
        }
        out
    }

    /// Decodes [`Self::to_bytes`]; rejects non-canonical elements.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, NonCanonicalDigest> {
        let mut out = [F::ZERO; DIGEST_ELEMS];
        for (index, chunk) in bytes.chunks_exact(4).enumerate() {
            let value = u32::from_be_bytes(chunk.try_into().expect("4 bytes"));
            out[index] =
                F::from_canonical_checked(value).ok_or(NonCanonicalDigest { index, value })?;
        }
        Ok(Self(out))
    }

    /// As an alloy `B256` (for contract calls).
    pub fn to_b256(&self) -> alloy::primitives::B256 {
        alloy::primitives::B256::from(self.to_bytes())
    }

    /// From an alloy `B256`.
    pub fn from_b256(value: &alloy::primitives::B256) -> Result<Self, NonCanonicalDigest> {
        Self::from_bytes(&value.0)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x")?;
        for b in self.to_bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_b256().serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = alloy::primitives::B256::deserialize(deserializer)?;
        Digest::from_b256(&raw).map_err(serde::de::Error::custom)
    }
}

/// `truncate₈(P(left ‖ right))`.
pub fn compress(left: &Digest, right: &Digest) -> Digest {
    let mut state = [F::ZERO; WIDTH];
    state[..DIGEST_ELEMS].copy_from_slice(&left.0);
    state[DIGEST_ELEMS..].copy_from_slice(&right.0);
    permutation().permute_mut(&mut state);
    Digest(state[..DIGEST_ELEMS].try_into().expect("8 elements"))
}

/// `truncate₈(P(elements))` for exactly 16 elements.
pub fn hash_leaf(elements: &[F; WIDTH]) -> Digest {
    let mut state = *elements;
    permutation().permute_mut(&mut state);
    Digest(state[..DIGEST_ELEMS].try_into().expect("8 elements"))
}

/// Domain tags of [`hash_fields`].
pub mod domain {
    /// L2 block header hash.
    pub const BLOCK_HEADER: u32 = 1;
    /// Transaction commitment of a checkpoint.
    pub const TX_COMMITMENT: u32 = 2;
    /// Genesis archive.
    pub const GENESIS_ARCHIVE: u32 = 3;
}

/// Sponge hash of `elements` under `domain` (see the module docs).
pub fn hash_fields(domain: u32, elements: &[F]) -> Digest {
    let mut state = [F::ZERO; WIDTH];
    state[RATE] = F::from_u32(domain);
    state[RATE + 1] = F::from_u64(elements.len() as u64);
    let perm = permutation();
    if elements.is_empty() {
        perm.permute_mut(&mut state);
    }
    for chunk in elements.chunks(RATE) {
        state[..RATE].fill(F::ZERO);
        state[..chunk.len()].copy_from_slice(chunk);
        perm.permute_mut(&mut state);
    }
    Digest(state[..DIGEST_ELEMS].try_into().expect("8 elements"))
}

/// Splits `value` into `N` little-endian 16-bit limbs as field elements.
pub fn limbs16<const N: usize>(value: u128) -> [F; N] {
    let mut out = [F::ZERO; N];
    for (i, limb) in out.iter_mut().enumerate() {
        *limb = F::from_u32(((value >> (16 * i)) & 0xffff) as u32);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn compress_is_not_symmetric_and_not_identity() {
        let a = hash_fields(9, &[F::ONE]);
        let b = hash_fields(9, &[F::TWO]);
        assert_ne!(compress(&a, &b), compress(&b, &a));
        assert_ne!(compress(&a, &b), a);
    }

    #[test]
    fn domain_and_length_separate() {
        assert_ne!(hash_fields(1, &[F::ZERO]), hash_fields(2, &[F::ZERO]));
        assert_ne!(hash_fields(1, &[]), hash_fields(1, &[F::ZERO]));
        let eight = [F::ONE; 8];
        let nine = [F::ONE; 9];
        assert_ne!(hash_fields(1, &eight), hash_fields(1, &nine));
    }

    #[test]
    fn non_canonical_bytes_rejected() {
        let mut bytes = [0u8; 32];
        bytes[4..8].copy_from_slice(&0x7f00_0001u32.to_be_bytes()); // the prime itself
        assert_eq!(
            Digest::from_bytes(&bytes),
            Err(NonCanonicalDigest {
                index: 1,
                value: 0x7f00_0001
            })
        );
    }

    proptest! {
        #[test]
        fn digest_bytes_round_trip(values in proptest::array::uniform8(0u32..0x7f00_0001)) {
            let d = Digest(values.map(F::from_u32));
            prop_assert_eq!(Digest::from_bytes(&d.to_bytes()).unwrap(), d);
        }
    }
}
