//! Accounts and their leaf encoding.

use crate::hash::{Digest, F, WIDTH, hash_leaf, limbs16};
use alloy::primitives::Address;
use p3_field::PrimeCharacteristicRing;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Position of an account in the state tree (depth 32, so every `u32` is a leaf).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct AccountIndex(pub u32);

impl fmt::Display for AccountIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "account #{}", self.0)
    }
}

/// Largest nonce: nonces are one field element in the circuit and must not wrap.
pub const MAX_NONCE: u32 = (1 << 30) - 1;

/// Leaf tag: the 16th leaf element, so a leaf preimage never looks like a node's.
pub const LEAF_TAG: u32 = 0x4c454146; // "LEAF" truncated below the prime by construction

/// An account. The zero account (owner zero) is an empty leaf.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Ethereum-style address whose key signs this account's transfers.
    pub owner: Address,
    /// Balance in gwei.
    pub balance: u64,
    /// Number of transfers sent so far; the next transfer must carry this nonce.
    pub nonce: u32,
}

impl Account {
    /// An empty leaf.
    pub fn is_empty(&self) -> bool {
        self.owner == Address::ZERO
    }

    /// Field encoding of the leaf: owner as 10 × 16-bit limbs (big-endian address read as a
    /// little-endian limb sequence), balance as 4 × 16-bit limbs, nonce, tag. 16 elements.
    pub fn to_fields(&self) -> [F; WIDTH] {
        let mut out = [F::ZERO; WIDTH];
        let owner = u128::from_be_bytes(self.owner.0[4..20].try_into().expect("16 bytes"));
        let owner_hi = u32::from_be_bytes(self.owner.0[0..4].try_into().expect("4 bytes"));
        out[..8].copy_from_slice(&limbs16::<8>(owner));
        out[8..10].copy_from_slice(&limbs16::<2>(owner_hi as u128));
        out[10..14].copy_from_slice(&limbs16::<4>(self.balance as u128));
        out[14] = F::from_u32(self.nonce);
        out[15] = F::from_u32(LEAF_TAG);
        out
    }

    /// Leaf digest; the empty account hashes to [`Digest::ZERO`].
    pub fn leaf_hash(&self) -> Digest {
        if self.is_empty() {
            Digest::ZERO
        } else {
            hash_leaf(&self.to_fields())
        }
    }

    /// Fixed 32-byte storage encoding: owner (20) ‖ balance (8, BE) ‖ nonce (4, BE).
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[..20].copy_from_slice(self.owner.as_slice());
        out[20..28].copy_from_slice(&self.balance.to_be_bytes());
        out[28..].copy_from_slice(&self.nonce.to_be_bytes());
        out
    }

    /// Decodes [`Self::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; 32] = bytes.try_into().ok()?;
        Some(Self {
            owner: Address::from_slice(&bytes[..20]),
            balance: u64::from_be_bytes(bytes[20..28].try_into().ok()?),
            nonce: u32::from_be_bytes(bytes[28..].try_into().ok()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bytes_round_trip(owner in any::<[u8; 20]>(), balance in any::<u64>(), nonce in any::<u32>()) {
            let a = Account { owner: Address::from(owner), balance, nonce };
            prop_assert_eq!(Account::from_bytes(&a.to_bytes()), Some(a));
        }

        #[test]
        fn leaf_binds_every_field(owner in any::<[u8; 20]>(), balance in any::<u64>(), nonce in 0..MAX_NONCE) {
            prop_assume!(owner != [0u8; 20]);
            let a = Account { owner: Address::from(owner), balance, nonce };
            let mut b = a;
            b.balance ^= 1;
            let mut c = a;
            c.nonce ^= 1;
            let mut d = a;
            d.owner.0[0] ^= 0x80;
            prop_assert_ne!(a.leaf_hash(), b.leaf_hash());
            prop_assert_ne!(a.leaf_hash(), c.leaf_hash());
            prop_assert_ne!(a.leaf_hash(), d.leaf_hash());
        }
    }
}
