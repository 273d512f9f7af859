//! L2 transactions and their encodings.
//!
//! **Byte encoding** of a [`SignedTransfer`] (calldata; [`TRANSFER_BYTES`] = 93 bytes):
//! `from u32 ‖ to u32 ‖ amount u64 ‖ fee u64 ‖ nonce u32 ‖ r 32 ‖ s 32 ‖ y_parity u8`, integers
//! big-endian. Decoding checks the length, the nonce bound and the parity byte and never panics.
//!
//! **Field encoding** of a [`Transfer`] (circuit; [`TRANSFER_FIELDS`] = 13 elements):
//! `from` and `to` as 2 × 16-bit limbs, `amount` and `fee` as 4 × 16-bit limbs (little-endian
//! limb order), `nonce` as one element (< 2^30). The signature is not part of it: signatures
//! are checked by the sequencer and the node, not in the circuit.
//!
//! **Signing**: the owner signs (secp256k1, prehash) `keccak256("vouch-transfer-v1" ‖ chain_id
//! u64 ‖ from ‖ to ‖ amount ‖ fee ‖ nonce)`; the recovered address must own `from`.

use crate::account::{AccountIndex, MAX_NONCE};
use crate::hash::{F, limbs16};
use alloy::primitives::{Address, B256, Signature, U256, keccak256};
use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use p3_field::{PrimeCharacteristicRing, PrimeField32};
use serde::{Deserialize, Serialize};

/// Size of an encoded signed transfer.
pub const TRANSFER_BYTES: usize = 93;
/// Field elements per transfer in the circuit encoding.
pub const TRANSFER_FIELDS: usize = 13;
const SIGNING_DOMAIN: &[u8] = b"vouch-transfer-v1";

/// A transfer of `amount` gwei from one account to another, paying `fee` to the sequencer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transfer {
    /// Sender account.
    pub from: AccountIndex,
    /// Recipient account (must exist).
    pub to: AccountIndex,
    /// Gwei moved.
    pub amount: u64,
    /// Gwei paid to the sequencer's fee account.
    pub fee: u64,
    /// Must equal the sender's nonce.
    pub nonce: u32,
}

/// A transfer with its owner's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignedTransfer {
    /// The transfer.
    pub transfer: Transfer,
    /// secp256k1 signature over [`Transfer::signing_hash`].
    pub signature: Signature,
}

/// A deposit from the L1 queue, as emitted by `Rollup.DepositQueued`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Deposit {
    /// Position in the L1 queue.
    pub queue_index: u64,
    /// L2 owner address credited (its account is created on first deposit).
    pub recipient: Address,
    /// Gwei.
    pub amount: u64,
}

/// Bytes that are not a valid transfer encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxDecodeError {
    /// Wrong length.
    #[error("a signed transfer is {TRANSFER_BYTES} bytes, got {0}")]
    Length(usize),
    /// Nonce above [`MAX_NONCE`].
    #[error("nonce {0} exceeds the maximum {MAX_NONCE}")]
    NonceTooLarge(u32),
    /// Parity byte not 0 or 1.
    #[error("signature parity byte must be 0 or 1, got {0}")]
    Parity(u8),
    /// Field elements out of range.
    #[error("field element {index} ({value}) is not a valid limb")]
    FieldLimb {
        /// Position.
        index: usize,
        /// Its value.
        value: u32,
    },
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b.try_into().expect("caller passes 4 bytes"))
}
fn be_u64(b: &[u8]) -> u64 {
    u64::from_be_bytes(b.try_into().expect("caller passes 8 bytes"))
}

impl Transfer {
    /// The digest the owner signs.
    pub fn signing_hash(&self, chain_id: u64) -> B256 {
        let mut msg = Vec::with_capacity(SIGNING_DOMAIN.len() + 36);
        msg.extend_from_slice(SIGNING_DOMAIN);
        msg.extend_from_slice(&chain_id.to_be_bytes());
        msg.extend_from_slice(&self.from.0.to_be_bytes());
        msg.extend_from_slice(&self.to.0.to_be_bytes());
        msg.extend_from_slice(&self.amount.to_be_bytes());
        msg.extend_from_slice(&self.fee.to_be_bytes());
        msg.extend_from_slice(&self.nonce.to_be_bytes());
        keccak256(msg)
    }

    /// Signs with `signer` for L2 chain `chain_id`.
    pub fn sign(self, signer: &PrivateKeySigner, chain_id: u64) -> SignedTransfer {
        let signature = signer
            .sign_hash_sync(&self.signing_hash(chain_id))
            .expect("local secp256k1 signing does not fail");
        SignedTransfer {
            transfer: self,
            signature,
        }
    }

    /// Field encoding (see module docs).
    pub fn to_fields(&self) -> [F; TRANSFER_FIELDS] {
        let mut out = [F::ZERO; TRANSFER_FIELDS];
        out[0..2].copy_from_slice(&limbs16::<2>(self.from.0 as u128));
        out[2..4].copy_from_slice(&limbs16::<2>(self.to.0 as u128));
        out[4..8].copy_from_slice(&limbs16::<4>(self.amount as u128));
        out[8..12].copy_from_slice(&limbs16::<4>(self.fee as u128));
        out[12] = F::from_u32(self.nonce);
        out
    }

    /// Decodes [`Self::to_fields`]; rejects limbs ≥ 2^16 and nonces above [`MAX_NONCE`].
    pub fn from_fields(fields: &[F; TRANSFER_FIELDS]) -> Result<Self, TxDecodeError> {
        let mut limbs = [0u64; 12];
        for (index, (limb, f)) in limbs.iter_mut().zip(fields.iter()).enumerate() {
            let value = f.as_canonical_u32();
            if value > 0xffff {
                return Err(TxDecodeError::FieldLimb { index, value });
            }
            *limb = value as u64;
        }
        let join = |l: &[u64]| l.iter().rev().fold(0u64, |acc, x| (acc << 16) | x);
        let nonce = fields[12].as_canonical_u32();
        if nonce > MAX_NONCE {
            return Err(TxDecodeError::NonceTooLarge(nonce));
        }
        Ok(Self {
            from: AccountIndex(join(&limbs[0..2]) as u32),
            to: AccountIndex(join(&limbs[2..4]) as u32),
            amount: join(&limbs[4..8]),
            fee: join(&limbs[8..12]),
            nonce,
        })
    }
}

impl SignedTransfer {
    /// Canonical byte encoding (see module docs).
    pub fn to_bytes(&self) -> [u8; TRANSFER_BYTES] {
        let t = &self.transfer;
        let mut out = [0u8; TRANSFER_BYTES];
        out[0..4].copy_from_slice(&t.from.0.to_be_bytes());
        out[4..8].copy_from_slice(&t.to.0.to_be_bytes());
        out[8..16].copy_from_slice(&t.amount.to_be_bytes());
        out[16..24].copy_from_slice(&t.fee.to_be_bytes());
        out[24..28].copy_from_slice(&t.nonce.to_be_bytes());
        out[28..60].copy_from_slice(&self.signature.r().to_be_bytes::<32>());
        out[60..92].copy_from_slice(&self.signature.s().to_be_bytes::<32>());
        out[92] = self.signature.v() as u8;
        out
    }

    /// Decodes untrusted bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TxDecodeError> {
        if bytes.len() != TRANSFER_BYTES {
            return Err(TxDecodeError::Length(bytes.len()));
        }
        let nonce = be_u32(&bytes[24..28]);
        if nonce > MAX_NONCE {
            return Err(TxDecodeError::NonceTooLarge(nonce));
        }
        let parity = match bytes[92] {
            0 => false,
            1 => true,
            other => return Err(TxDecodeError::Parity(other)),
        };
        let r = U256::from_be_slice(&bytes[28..60]);
        let s = U256::from_be_slice(&bytes[60..92]);
        Ok(Self {
            transfer: Transfer {
                from: AccountIndex(be_u32(&bytes[0..4])),
                to: AccountIndex(be_u32(&bytes[4..8])),
                amount: be_u64(&bytes[8..16]),
                fee: be_u64(&bytes[16..24]),
                nonce,
            },
            signature: Signature::new(r, s, parity),
        })
    }

    /// The address that signed, if the signature is valid for `chain_id`.
    pub fn recover_signer(&self, chain_id: u64) -> Option<Address> {
        self.signature
            .recover_address_from_prehash(&self.transfer.signing_hash(chain_id))
            .ok()
    }

    /// Identifier: keccak256 of the byte encoding.
    pub fn hash(&self) -> B256 {
        keccak256(self.to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn transfer() -> impl Strategy<Value = Transfer> {
        (
            any::<u32>(),
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
            0..=MAX_NONCE,
        )
            .prop_map(|(from, to, amount, fee, nonce)| Transfer {
                from: AccountIndex(from),
                to: AccountIndex(to),
                amount,
                fee,
                nonce,
            })
    }

    proptest! {
        #[test]
        fn field_encoding_round_trips(t in transfer()) {
            prop_assert_eq!(Transfer::from_fields(&t.to_fields()).unwrap(), t);
        }

        #[test]
        fn byte_encoding_round_trips(t in transfer(), key in 1u64..u64::MAX) {
            let signer = PrivateKeySigner::from_bytes(&B256::from(U256::from(key))).unwrap();
            let signed = t.sign(&signer, 7);
            let decoded = SignedTransfer::from_bytes(&signed.to_bytes()).unwrap();
            prop_assert_eq!(decoded, signed);
            prop_assert_eq!(decoded.recover_signer(7), Some(signer.address()));
            prop_assert_ne!(decoded.recover_signer(8), Some(signer.address()));
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = SignedTransfer::from_bytes(&bytes);
        }
    }

    #[test]
    fn decode_errors_are_typed() {
        assert_eq!(
            SignedTransfer::from_bytes(&[0; 92]),
            Err(TxDecodeError::Length(92))
        );
        let mut b = [0u8; TRANSFER_BYTES];
        b[92] = 27;
        assert_eq!(
            SignedTransfer::from_bytes(&b),
            Err(TxDecodeError::Parity(27))
        );
        b[92] = 0;
        b[24..28].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            SignedTransfer::from_bytes(&b),
            Err(TxDecodeError::NonceTooLarge(u32::MAX))
        );
    }
}
