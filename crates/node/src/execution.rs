//! Re-executing checkpoints from L1 data alone, into the node's own versioned state tree.
//!
//! Checkpoint `n` is executed on the state as of version `n - 1` and committed as version `n`
//! (`vouch_state_db`), so the state before any checkpoint stays readable: a checkpoint's
//! witness can be rebuilt at any time from the archive (calldata, deposits) and the tree, and
//! a prune is a rollback. The sequencer is never consulted.

use crate::NodeError;
use crate::db::Executed;
use vouch_archiver::model::ArchivedDeposit;
use vouch_archiver::{ArchivedCheckpoint, L2BlockSource};
use vouch_primitives::{BlockNumber, CheckpointNumber};
use vouch_prover::circuit::CheckpointWitness;
use vouch_rollup::checkpoint::{CheckpointBody, CheckpointContext, execute_checkpoint};
use vouch_rollup::hash::Digest;
use vouch_rollup::state::{StateOverlay, VersionedStore};
use vouch_rollup::tx::Deposit;

/// Executing a checkpoint either yields its witness or shows it cannot be proven.
pub type Outcome = Result<CheckpointWitness, String>;

/// Executes `checkpoint` on version `number - 1` of `store`, whose record is `previous`.
/// `Ok(Err(reason))` when the checkpoint cannot be proven (with the block, position and rule
/// for an invalid transaction); `Err` only when storage fails. With `commit`, a provable
/// checkpoint's changes become version `number`.
pub fn execute<S: VersionedStore>(
    store: &S,
    source: &dyn L2BlockSource,
    checkpoint: &ArchivedCheckpoint,
    previous: &Executed,
    l2_chain_id: u64,
    commit: bool,
) -> Result<Outcome, NodeError> {
    let n = checkpoint.number.get();
    if checkpoint.previous_archive != previous.archive {
        return Ok(Err(format!(
            "checkpoint {n} does not extend checkpoint {}: previous archive {} but that \
             checkpoint's archive is {}",
            n - 1,
            checkpoint.previous_archive,
            previous.archive
        )));
    }
    // Read before executing, so a corrupt record stops us before anything is committed.
    let deposit_accumulator = match Digest::from_b256(&previous.deposit_accumulator) {
        Ok(d) => d,
        Err(e) => {
            return Err(NodeError::Corrupt(format!(
                "checkpoint {}: stored deposit accumulator: {e}",
                n - 1
            )));
        }
    };
    let body = match CheckpointBody::decode(&checkpoint.tx_data) {
        Ok(b) => b,
        Err(e) => return Ok(Err(format!("checkpoint {n}: calldata: {e}"))),
    };
    let deposits: Vec<Deposit> = source
        .deposits(checkpoint.deposit_start, checkpoint.deposit_count)?
        .iter()
        .map(ArchivedDeposit::to_deposit)
        .collect();
    let previous_archive = match Digest::from_b256(&checkpoint.previous_archive) {
        Ok(d) => d,
        Err(e) => return Ok(Err(format!("checkpoint {n}: previous archive: {e}"))),
    };
    let ctx = CheckpointContext {
        number: CheckpointNumber(n),
        slot: checkpoint.slot,
        timestamp: checkpoint.timestamp,
        previous_archive,
        previous_block: BlockNumber(previous.last_block),
        deposit_start: checkpoint.deposit_start,
        chain_id: l2_chain_id,
    };
    let mut state = StateOverlay::new(store, Some(n - 1));
    let execution = match execute_checkpoint(&mut state, &ctx, &body, &deposits) {
        Ok(e) => e,
        Err(e) => return Ok(Err(format!("checkpoint {n}: {e}"))),
    };
    let mismatches: Vec<String> = [
        (
            "state root",
            execution.state_root.to_b256(),
            checkpoint.state_root,
        ),
        ("archive", execution.archive.to_b256(), checkpoint.archive),
        (
            "tx commitment",
            execution.tx_commitment.to_b256(),
            checkpoint.tx_commitment,
        ),
        (
            "data evaluation",
            execution.data.0.to_b256(),
            checkpoint.data_evaluation,
        ),
    ]
    .into_iter()
    .filter(|(_, ours, posted)| ours != posted)
    .map(|(what, ours, posted)| format!("{what}: executed {ours}, posted {posted}"))
    .chain(
        (execution.deposit_count != checkpoint.deposit_count).then(|| {
            format!(
                "deposits: consumed {}, posted {}",
                execution.deposit_count, checkpoint.deposit_count
            )
        }),
    )
    .chain(
        (body.blocks.len() as u32 != checkpoint.block_count).then(|| {
            format!(
                "blocks: calldata has {}, header declares {}",
                body.blocks.len(),
                checkpoint.block_count
            )
        }),
    )
    .collect();
    if !mismatches.is_empty() {
        return Ok(Err(format!(
            "checkpoint {n} does not match what it posted: {}",
            mismatches.join("; ")
        )));
    }
    if commit {
        state
            .commit(n)
            .map_err(|e| NodeError::State(e.to_string()))?;
    }
    Ok(Ok(CheckpointWitness {
        ctx,
        body,
        deposits,
        deposit_accumulator,
        execution,
    }))
}

/// The record of a witness's checkpoint as the state tree keeps it.
pub fn executed_record(checkpoint: &ArchivedCheckpoint, witness: &CheckpointWitness) -> Executed {
    Executed {
        header_hash: checkpoint.header_hash,
        archive: checkpoint.archive,
        last_block: witness
            .execution
            .blocks
            .last()
            .map_or(witness.ctx.previous_block.get(), |b| b.number.get()),
        deposit_accumulator: witness.deposit_accumulator_end().to_b256(),
    }
}
