//! Re-deriving the L2 chain from L1 alone: proposals, their calldata and deposits, executed
//! with the reference rollup's STF on a fresh state.

use alloy::primitives::Address;
use alloy::providers::Provider;
use vouch_l1_contracts::reader::{ProposedCheckpoint, fetch_deposits, fetch_proposals};
use vouch_primitives::{BlockNumber, CheckpointNumber, Slot};
use vouch_rollup::checkpoint::{
    CheckpointBody, CheckpointContext, CheckpointExecution, execute_checkpoint,
};
use vouch_rollup::genesis::Genesis;
use vouch_rollup::state::{MemoryStore, StateOverlay};
use vouch_rollup::tx::Deposit;

/// One checkpoint as posted and as re-executed.
pub struct ReplayedCheckpoint {
    /// What L1 has.
    pub proposal: ProposedCheckpoint,
    /// What re-execution produced.
    pub execution: CheckpointExecution,
}

/// Reads every proposal and deposit in `[from_block, to_block]` and re-executes the chain from
/// `genesis`. Proposals later replaced after a prune are skipped: for each number the last
/// proposal wins, and the chain is rebuilt in order.
pub async fn replay_from_l1<P: Provider>(
    provider: &P,
    rollup: Address,
    from_block: u64,
    to_block: u64,
    genesis: &Genesis,
    chain_id: u64,
) -> Result<Vec<ReplayedCheckpoint>, String> {
    let mut proposals = fetch_proposals(provider, rollup, from_block, to_block)
        .await
        .map_err(|e| e.to_string())?;
    // A prune makes numbers repeat; keep the chain that ends at the last proposal.
    let mut chain: Vec<ProposedCheckpoint> = Vec::new();
    for p in proposals.drain(..) {
        chain.truncate(p.header.number as usize - 1);
        chain.push(p);
    }
    let deposits: Vec<Deposit> = fetch_deposits(provider, rollup, from_block, to_block)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|d| Deposit {
            queue_index: d.index,
            recipient: d.recipient,
            amount: d.amount,
        })
        .collect();

    let store = MemoryStore::default();
    let roots = genesis.commit(&store).map_err(|e| e.to_string())?;
    let mut archive = roots.archive;
    let mut last_block = BlockNumber(0);
    let mut out = Vec::with_capacity(chain.len());
    for proposal in chain {
        let h = &proposal.header;
        let body = CheckpointBody::decode(&proposal.tx_data)
            .map_err(|e| format!("checkpoint {}: {e}", h.number))?;
        let ctx = CheckpointContext {
            number: CheckpointNumber(h.number),
            slot: Slot(h.slot),
            timestamp: h.timestamp,
            previous_archive: archive,
            previous_block: last_block,
            deposit_start: h.depositStart,
            chain_id,
        };
        let mut state = StateOverlay::new(&store, Some(h.number - 1));
        let available = deposits.get(h.depositStart as usize..).unwrap_or(&[]);
        let execution = execute_checkpoint(&mut state, &ctx, &body, available)
            .map_err(|e| format!("checkpoint {}: {e}", h.number))?;
        state.commit(h.number).map_err(|e| e.to_string())?;
        archive = execution.archive;
        last_block = execution.blocks.last().map_or(last_block, |b| b.number);
        out.push(ReplayedCheckpoint {
            proposal,
            execution,
        });
    }
    Ok(out)
}
