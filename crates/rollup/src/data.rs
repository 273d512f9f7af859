//! The data evaluation: what binds a checkpoint's posted `txData` to the records its proof
//! absorbs.
//!
//! The tx commitment ([`crate::checkpoint`]) is a Poseidon2 sponge the circuit computes, but
//! the `Rollup` contract cannot afford it (two permutations per transfer), so on its own it
//! says nothing about the bytes the sequencer posted. Instead both sides evaluate the same
//! polynomial at the same point:
//!
//! * **Coefficients.** The checkpoint's records in absorption order, *without* the deposit
//!   records (they are not in calldata; the deposit accumulator binds them), each as
//!   [`DATA_COEFFS`] = 14 field elements:
//!   - header: `[1, fee_lo, fee_hi, 0 × 11]` (the rest of the header record is bound by the
//!     seal's header fields);
//!   - transfer: `[3, from_lo, from_hi, to_lo, to_hi, amount × 4, fee × 4, nonce]`, the first
//!     14 elements of the transfer record;
//!   - block: `[4, deposit_count, tx_count, 0 × 11]`.
//!
//!   The polynomial is `P(z) = Σ cᵢ·z^(n−1−i)` over the concatenation (Horner from zero). The
//!   first coefficient is the header tag 1, so sequences of different lengths never share a
//!   polynomial. Signatures are not coefficients: the circuit does not check them.
//! * **Field.** `F⁴ = KoalaBear[X]/(X⁴ − 3)`, about 2^124 elements.
//! * **Point.** `z = keccak256(keccak256(txData) ‖ txCommitment)` as four big-endian 64-bit
//!   words, each reduced modulo p (element 0 from the top word). Both the posted bytes and the
//!   proven records (through the tx commitment) are fixed before `z` exists, so a sequencer
//!   who posts data differing from the records must hit a root of a nonzero polynomial of
//!   degree < 14·(records): probability below 2^−100 per attempt for any real checkpoint.
//!
//! The contract evaluates the polynomial over the calldata in `propose`
//! (`CheckpointLib.dataEvaluation`) and requires the header's `dataEvaluation` to equal
//! `(z, P(z))`; the circuit evaluates the records it absorbs and hashes `(z, P(z))` into the
//! checkpoint's seal ([`crate::checkpoint::SealedCheckpoint::digest`]).

use crate::account::AccountIndex;
use crate::checkpoint::{CheckpointBody, Record, block_record, record_tag, transfer_record};
use crate::hash::{DIGEST_ELEMS, Digest, F, limbs16};
use alloy::primitives::{B256, keccak256};
use p3_field::extension::BinomialExtensionField;
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use serde::{Deserialize, Serialize};

/// Coefficients per record.
pub const DATA_COEFFS: usize = 14;
/// Degree of the evaluation field over KoalaBear.
pub const DATA_DEGREE: usize = 4;
/// The evaluation field `KoalaBear[X]/(X⁴ − 3)`.
pub type DataField = BinomialExtensionField<F, DATA_DEGREE>;

/// A point or value of the evaluation field as its four coordinates.
pub type Coords = [F; DATA_DEGREE];

/// `(z, P(z))` of one checkpoint, as the header's `dataEvaluation` carries it: eight elements
/// `[z₀..z₃, v₀..v₃]`, encoded like a digest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DataEvaluation(pub Digest);

impl DataEvaluation {
    /// The evaluation of `body` (whose calldata hashes to `tx_data_hash`) at the point
    /// derived from it and the checkpoint's tx commitment.
    pub fn of(tx_data_hash: &B256, tx_commitment: &Digest, body: &CheckpointBody) -> Self {
        let point = data_point(tx_data_hash, tx_commitment);
        Self::at(point, evaluate(&point, body.data_coefficients()))
    }

    /// The pair `(point, value)`.
    pub fn at(point: Coords, value: Coords) -> Self {
        let mut e = [F::ZERO; DIGEST_ELEMS];
        e[..DATA_DEGREE].copy_from_slice(&point);
        e[DATA_DEGREE..].copy_from_slice(&value);
        Self(Digest(e))
    }

    /// The evaluation point `z`.
    pub fn point(&self) -> Coords {
        self.0.0[..DATA_DEGREE].try_into().expect("4 elements")
    }

    /// The value `P(z)`.
    pub fn value(&self) -> Coords {
        self.0.0[DATA_DEGREE..].try_into().expect("4 elements")
    }
}

/// The evaluation point of a checkpoint (see module docs).
pub fn data_point(tx_data_hash: &B256, tx_commitment: &Digest) -> Coords {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(tx_data_hash.as_slice());
    preimage[32..].copy_from_slice(tx_commitment.to_b256().as_slice());
    let h = keccak256(preimage);
    core::array::from_fn(|i| {
        let word = u64::from_be_bytes(h[8 * i..8 * i + 8].try_into().expect("8 bytes"));
        F::from_u64(word)
    })
}

/// `P(z)` over `coefficients` by Horner from zero.
pub fn evaluate(point: &Coords, coefficients: impl IntoIterator<Item = F>) -> Coords {
    let z = DataField::from_basis_coefficients_fn(|i| point[i]);
    let v = coefficients
        .into_iter()
        .fold(DataField::ZERO, |acc, c| acc * z + c);
    v.as_basis_coefficients_slice()
        .try_into()
        .expect("4 coordinates")
}

/// The coefficients a record contributes (its first [`DATA_COEFFS`] elements; for the header,
/// only the tag and the fee account).
pub fn record_coefficients(record: &Record) -> [F; DATA_COEFFS] {
    let mut c: [F; DATA_COEFFS] = record[..DATA_COEFFS].try_into().expect("14 elements");
    if record[0] == F::from_u32(record_tag::HEADER) {
        c[3..].fill(F::ZERO);
    }
    c
}

/// The header's coefficients: `[1, fee_lo, fee_hi, 0 × 11]`.
pub fn header_coefficients(fee_account: AccountIndex) -> [F; DATA_COEFFS] {
    let mut c = [F::ZERO; DATA_COEFFS];
    let fee = limbs16::<2>(fee_account.0 as u128);
    c[0] = F::from_u32(record_tag::HEADER);
    c[1] = fee[0];
    c[2] = fee[1];
    c
}

impl CheckpointBody {
    /// The data polynomial's coefficients, highest power first (see [`crate::data`]).
    pub fn data_coefficients(&self) -> impl Iterator<Item = F> + '_ {
        let header = header_coefficients(self.fee_account);
        let blocks = self.blocks.iter().flat_map(|block| {
            let transfers = block
                .txs
                .iter()
                .map(|tx| record_coefficients(&transfer_record(&tx.transfer)));
            let close =
                record_coefficients(&block_record(block.deposit_count, block.txs.len() as u16));
            transfers.chain(core::iter::once(close))
        });
        core::iter::once(header).chain(blocks).flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::BlockBody;
    use crate::tx::Transfer;
    use alloy::signers::local::PrivateKeySigner;

    fn body() -> CheckpointBody {
        let signer = PrivateKeySigner::random();
        let tx = |nonce| {
            Transfer {
                from: AccountIndex(1),
                to: AccountIndex(70_000),
                amount: 5,
                fee: 1,
                nonce,
            }
            .sign(&signer, 1)
        };
        CheckpointBody {
            fee_account: AccountIndex(3),
            blocks: vec![
                BlockBody {
                    deposit_count: 2,
                    txs: vec![tx(0), tx(1)],
                },
                BlockBody {
                    deposit_count: 0,
                    txs: vec![tx(2)],
                },
            ],
        }
    }

    #[test]
    fn coefficients_follow_the_records() {
        let b = body();
        let c: Vec<F> = b.data_coefficients().collect();
        // Header, three transfers, two block records.
        assert_eq!(c.len(), 6 * DATA_COEFFS);
        assert_eq!(c[0], F::ONE);
        assert_eq!(c[1], F::from_u32(3));
        assert!(c[3..DATA_COEFFS].iter().all(|x| *x == F::ZERO));
        assert_eq!(c[DATA_COEFFS], F::from_u32(record_tag::TRANSFER));
        // `to` = 70 000 = 0x1_1170: low limb 0x1170, high limb 1.
        assert_eq!(c[DATA_COEFFS + 3], F::from_u32(0x1170));
        assert_eq!(c[DATA_COEFFS + 4], F::ONE);
        assert_eq!(c[3 * DATA_COEFFS], F::from_u32(record_tag::BLOCK));
        assert_eq!(c[3 * DATA_COEFFS + 1], F::from_u32(2));
        assert_eq!(c[3 * DATA_COEFFS + 2], F::from_u32(2));
    }

    #[test]
    fn evaluation_is_horner_in_the_quartic_field() {
        let z = [F::from_u32(2), F::ZERO, F::ZERO, F::ZERO];
        // 1·z² + 2·z + 3 at z = 2.
        let v = evaluate(&z, [F::ONE, F::from_u32(2), F::from_u32(3)]);
        assert_eq!(v, [F::from_u32(11), F::ZERO, F::ZERO, F::ZERO]);
        // X · X³ = X⁴ = 3.
        let x = [F::ZERO, F::ONE, F::ZERO, F::ZERO];
        let v = evaluate(&x, [F::ONE, F::ZERO, F::ZERO, F::ZERO, F::ZERO]);
        assert_eq!(v, [F::from_u32(3), F::ZERO, F::ZERO, F::ZERO]);
    }

    #[test]
    fn any_changed_field_changes_the_value() {
        let b = body();
        let hash = keccak256(b.encode());
        let commitment = Digest([F::from_u32(9); DIGEST_ELEMS]);
        let honest = DataEvaluation::of(&hash, &commitment, &b);
        let mut variants = Vec::new();
        let mut fee = b.clone();
        fee.fee_account = AccountIndex(4);
        variants.push(fee);
        let mut amount = b.clone();
        amount.blocks[0].txs[1].transfer.amount += 1;
        variants.push(amount);
        let mut nonce = b.clone();
        nonce.blocks[1].txs[0].transfer.nonce += 1;
        variants.push(nonce);
        let mut deposits = b.clone();
        deposits.blocks[1].deposit_count = 1;
        variants.push(deposits);
        let mut dropped = b.clone();
        dropped.blocks[0].txs.pop();
        variants.push(dropped);
        let mut moved = b.clone();
        let tx = moved.blocks[0].txs.pop().expect("a transfer");
        moved.blocks[1].txs.insert(0, tx);
        variants.push(moved);
        for other in variants {
            let at_same_point = evaluate(&honest.point(), other.data_coefficients());
            assert_ne!(at_same_point, honest.value(), "{other:?}");
        }
        // The point depends on both the data and the commitment.
        let other_commitment = Digest([F::from_u32(8); DIGEST_ELEMS]);
        assert_ne!(data_point(&hash, &other_commitment), honest.point());
        assert_ne!(data_point(&B256::ZERO, &commitment), honest.point());
    }
}
