//! The sequencer's view of L1: head time, deposits, and proposing.

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, Bytes};
use alloy::providers::Provider;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use vouch_l1_contracts::bindings::Rollup::{self, CheckpointHeader, RollupErrors};
use vouch_l1_contracts::reader::{QueuedDeposit, ReadError, fetch_deposits};

/// Gas for a `propose` with `calldata_len` bytes of tx data: fixed storage and event work plus
/// the EIP-7623 floor for the data, which also covers decoding it and its data evaluation
/// (about 2 400 gas per 93-byte transfer). Explicit, so no estimate runs against a stale block.
pub fn propose_gas_limit(calldata_len: usize) -> u64 {
    400_000 + 64 * calldata_len as u64
}

/// Latest L1 block number and the timestamp the next block will most likely carry.
pub async fn head<P: Provider>(
    provider: &P,
) -> Result<(u64, u64), alloy::transports::TransportError> {
    let block = provider
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .ok_or_else(|| {
            alloy::transports::TransportErrorKind::custom_str("node has no latest block")
        })?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // The next block's timestamp, by the chain's own clock while its head is recent: a chain
    // running a little behind the wall clock (anvil after a reorg) stamps its blocks by its
    // clock, and the wall clock would name the next slot a second early (`WrongSlot`). An idle
    // chain's next block comes at the wall clock.
    let next = block.header.timestamp + 1;
    let next = if now.saturating_sub(block.header.timestamp) <= 3 {
        next
    } else {
        next.max(now)
    };
    Ok((block.header.number, next))
}

/// Deposits queued on L1, fetched incrementally.
#[derive(Debug, Default)]
pub struct DepositQueue {
    deposits: Vec<QueuedDeposit>,
    scanned_to: Option<u64>,
}

impl DepositQueue {
    /// Reads `DepositQueued` logs from the last scanned block (or `start_block`) to `head`.
    pub async fn sync<P: Provider>(
        &mut self,
        provider: &P,
        rollup: Address,
        start_block: u64,
        head: u64,
    ) -> Result<(), ReadError> {
        let from = self.scanned_to.map_or(start_block, |b| b + 1);
        if from > head {
            return Ok(());
        }
        for d in fetch_deposits(provider, rollup, from, head).await? {
            if d.index as usize == self.deposits.len() {
                self.deposits.push(d);
            }
        }
        self.scanned_to = Some(head);
        Ok(())
    }

    /// Known deposits from queue index `start` on.
    pub fn from_index(&self, start: u64) -> &[QueuedDeposit] {
        self.deposits.get(start as usize..).unwrap_or(&[])
    }
}

/// Outcome of a proposal.
#[derive(Debug)]
pub enum ProposeOutcome {
    /// Mined and succeeded.
    Accepted {
        /// L1 transaction.
        tx: B256,
        /// L1 block.
        block: u64,
    },
    /// Reverted, failed to send, or not mined in time.
    Rejected(String),
}

/// Sends `propose(header, tx_data)` and waits for its receipt.
pub async fn propose<P: Provider>(
    provider: &P,
    rollup: Address,
    header: CheckpointHeader,
    tx_data: Bytes,
    timeout: Duration,
) -> ProposeOutcome {
    let contract = Rollup::new(rollup, provider);
    let gas = propose_gas_limit(tx_data.len());
    let pending = match contract.propose(header, tx_data).gas(gas).send().await {
        Ok(p) => p,
        Err(e) => {
            let reason = e
                .as_decoded_interface_error::<RollupErrors>()
                .map(|err| format!("{err:?}"))
                .unwrap_or_else(|| e.to_string());
            return ProposeOutcome::Rejected(reason);
        }
    };
    let tx = *pending.tx_hash();
    match pending.with_timeout(Some(timeout)).get_receipt().await {
        Ok(receipt) if receipt.status() => ProposeOutcome::Accepted {
            tx,
            block: receipt.block_number.unwrap_or_default(),
        },
        Ok(_) => ProposeOutcome::Rejected(format!("propose tx {tx} reverted")),
        Err(e) => ProposeOutcome::Rejected(format!("propose tx {tx}: {e}")),
    }
}
