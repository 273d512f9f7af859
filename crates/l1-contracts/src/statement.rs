//! The epoch statement as L1 holds it: the proof's statement rebuilt from the rollup's
//! `EpochPublicValues` and the range's headers, and the header of an executed checkpoint.
//! (This lives with the bindings, so the prover does not depend on them.)

use crate::bindings::Rollup::CheckpointHeader;
use crate::epoch::{EpochPublicValues, checkpoints_hash};
use crate::header::checkpoint_header;
use vouch_prover::circuit::CheckpointWitness;
use vouch_prover::proof::{EpochStatement, ProofError};
use vouch_rollup::checkpoint::SealedCheckpoint;
use vouch_rollup::data::DataEvaluation;
use vouch_rollup::hash::Digest;

/// What `Rollup.epochPublicValues` returns for executed consecutive `witnesses` of `epoch`
/// proven by `prover` (`None` for an empty range).
pub fn epoch_public_values(
    epoch: u64,
    witnesses: &[CheckpointWitness],
    prover: alloy::primitives::Address,
) -> Option<EpochPublicValues> {
    let (first, last) = (witnesses.first()?, witnesses.last()?);
    let headers: Vec<_> = witnesses.iter().map(l1_header).collect();
    EpochPublicValues::compute(
        epoch,
        first.ctx.previous_archive.to_b256(),
        first.execution.pre_state_root.to_b256(),
        (
            first.deposit_accumulator.to_b256(),
            last.deposit_accumulator_end().to_b256(),
        ),
        &headers,
        prover,
    )
}

/// The L1 header the sequencer posts for an executed checkpoint.
pub fn l1_header(witness: &CheckpointWitness) -> CheckpointHeader {
    checkpoint_header(&witness.ctx, &witness.body, &witness.execution)
}

fn digest(what: &str, value: &alloy::primitives::B256) -> Result<Digest, ProofError> {
    Digest::from_b256(value).map_err(|e| ProofError::Statement(format!("{what}: {e}")))
}

/// Builds an [`EpochStatement`] from what L1 holds.
pub trait EpochStatementFromL1: Sized {
    /// The statement behind the contract's public values: `headers` must be the range's L1
    /// headers, whose hash chain the contract committed to in `values.checkpointsHash`.
    fn from_l1(
        values: &EpochPublicValues,
        headers: &[CheckpointHeader],
    ) -> Result<Self, ProofError>;
}

impl EpochStatementFromL1 for EpochStatement {
    fn from_l1(
        values: &EpochPublicValues,
        headers: &[CheckpointHeader],
    ) -> Result<Self, ProofError> {
        let bad = |m: String| Err(ProofError::Statement(m));
        let expected = values
            .toCheckpoint
            .checked_sub(values.fromCheckpoint)
            .map(|d| d + 1);
        if expected != Some(headers.len() as u64) {
            return bad(format!(
                "{} headers for checkpoints {}..={}",
                headers.len(),
                values.fromCheckpoint,
                values.toCheckpoint
            ));
        }
        if checkpoints_hash(headers) != values.checkpointsHash {
            return bad("the headers do not hash to checkpointsHash".into());
        }
        let mut previous = values.startArchive;
        for (i, h) in headers.iter().enumerate() {
            if h.number != values.fromCheckpoint + i as u64 || h.previousArchive != previous {
                return bad(format!("header of checkpoint {} does not chain", h.number));
            }
            previous = h.archive;
        }
        let last = headers.last().expect("length checked above");
        if last.archive != values.endArchive || last.stateRoot != values.endStateRoot {
            return bad("the last header is not the range's end".into());
        }
        Ok(Self {
            epoch: values.epoch,
            start_state_root: digest("start state root", &values.startStateRoot)?,
            start_archive: digest("start archive", &values.startArchive)?,
            start_deposit_accumulator: digest(
                "start deposit accumulator",
                &values.startDepositAccumulator,
            )?,
            end_deposit_accumulator: digest(
                "end deposit accumulator",
                &values.endDepositAccumulator,
            )?,
            checkpoints: headers
                .iter()
                .map(|h| {
                    Ok(SealedCheckpoint {
                        number: h.number,
                        slot: h.slot,
                        timestamp: h.timestamp,
                        deposit_start: h.depositStart,
                        deposit_count: h.depositCount,
                        block_count: h.blockCount.into(),
                        tx_commitment: digest("tx commitment", &h.txCommitment)?,
                        state_root: digest("state root", &h.stateRoot)?,
                        archive: digest("archive", &h.archive)?,
                        data: DataEvaluation(digest("data evaluation", &h.dataEvaluation)?),
                    })
                })
                .collect::<Result<_, ProofError>>()?,
            prover: values.prover,
        })
    }
}
