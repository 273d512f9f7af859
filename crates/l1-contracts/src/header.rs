//! The L1 header of an executed checkpoint.

use crate::bindings::Rollup::CheckpointHeader;
use vouch_rollup::checkpoint::{CheckpointBody, CheckpointContext, CheckpointExecution};

/// The header `propose` posts for `body` executed in `ctx`: what the sequencer sends and what
/// the prover's statements are checked against.
pub fn checkpoint_header(
    ctx: &CheckpointContext,
    body: &CheckpointBody,
    execution: &CheckpointExecution,
) -> CheckpointHeader {
    CheckpointHeader {
        number: ctx.number.get(),
        slot: ctx.slot.get(),
        timestamp: ctx.timestamp,
        previousArchive: ctx.previous_archive.to_b256(),
        archive: execution.archive.to_b256(),
        stateRoot: execution.state_root.to_b256(),
        txCommitment: execution.tx_commitment.to_b256(),
        depositStart: ctx.deposit_start,
        depositCount: execution.deposit_count,
        blockCount: body.blocks.len() as u32,
        dataEvaluation: execution.data.0.to_b256(),
    }
}
