//! Reading the rollup's history from L1: proposals with their calldata, and deposits.
//!
//! These are plain range reads (`eth_getLogs` over `[from, to]` plus the proposing
//! transactions); reorg tracking belongs to the node's follower, which calls them per range.

use crate::bindings::Rollup::{self, CheckpointHeader, CheckpointProposed, DepositQueued};
use alloy::consensus::Transaction as _;
use alloy::primitives::{Address, B256, Bytes};
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::{SolCall, SolEvent};

/// A `propose` call found on L1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProposedCheckpoint {
    /// The header as posted.
    pub header: CheckpointHeader,
    /// The `txData` as posted.
    pub tx_data: Bytes,
    /// L1 block that included it.
    pub l1_block: u64,
    /// L1 transaction hash.
    pub l1_tx: B256,
}

/// A deposit queued on L1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedDeposit {
    /// Queue index.
    pub index: u64,
    /// L2 recipient.
    pub recipient: Address,
    /// Gwei.
    pub amount: u64,
    /// L1 block.
    pub l1_block: u64,
}

/// Why a range could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// RPC failure.
    #[error("rpc error: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    /// A log did not decode as the expected event.
    #[error("undecodable {event} log in tx {tx:?}: {source}")]
    Log {
        /// Event name.
        event: &'static str,
        /// Transaction.
        tx: Option<B256>,
        /// Decode error.
        #[source]
        source: alloy::sol_types::Error,
    },
    /// The proposing transaction is missing or not a direct `propose` call.
    #[error("checkpoint {number} was proposed by tx {tx}, which is not a direct propose call")]
    NotDirectPropose {
        /// Checkpoint number from the event.
        number: u64,
        /// Transaction hash.
        tx: B256,
    },
    /// A log lacks block or tx metadata (pending log).
    #[error("log without block metadata")]
    Pending,
}

/// Every `CheckpointProposed` in `[from_block, to_block]`, with header and calldata decoded
/// from the proposing transaction, in log order.
pub async fn fetch_proposals<P: Provider>(
    provider: &P,
    rollup: Address,
    from_block: u64,
    to_block: u64,
) -> Result<Vec<ProposedCheckpoint>, ReadError> {
    let filter = Filter::new()
        .address(rollup)
        .event_signature(CheckpointProposed::SIGNATURE_HASH)
        .from_block(from_block)
        .to_block(to_block);
    let mut out = Vec::new();
    for log in provider.get_logs(&filter).await? {
        out.push(proposal_from_log(provider, &log).await?);
    }
    Ok(out)
}

/// Decodes one `CheckpointProposed` log and fetches its transaction for the header and
/// calldata; checks the transaction proposes the number the event names.
pub async fn proposal_from_log<P: Provider>(
    provider: &P,
    log: &Log,
) -> Result<ProposedCheckpoint, ReadError> {
    let tx_hash = log.transaction_hash.ok_or(ReadError::Pending)?;
    let l1_block = log.block_number.ok_or(ReadError::Pending)?;
    let event = CheckpointProposed::decode_log(&log.inner).map_err(|source| ReadError::Log {
        event: "CheckpointProposed",
        tx: Some(tx_hash),
        source,
    })?;
    let number = event.checkpointNumber;
    let tx =
        provider
            .get_transaction_by_hash(tx_hash)
            .await?
            .ok_or(ReadError::NotDirectPropose {
                number,
                tx: tx_hash,
            })?;
    let call =
        Rollup::proposeCall::abi_decode(tx.input()).map_err(|_| ReadError::NotDirectPropose {
            number,
            tx: tx_hash,
        })?;
    if call.header.number != number {
        return Err(ReadError::NotDirectPropose {
            number,
            tx: tx_hash,
        });
    }
    Ok(ProposedCheckpoint {
        header: call.header,
        tx_data: call.txData,
        l1_block,
        l1_tx: tx_hash,
    })
}

/// Every `DepositQueued` in `[from_block, to_block]`, in queue order.
pub async fn fetch_deposits<P: Provider>(
    provider: &P,
    rollup: Address,
    from_block: u64,
    to_block: u64,
) -> Result<Vec<QueuedDeposit>, ReadError> {
    let filter = Filter::new()
        .address(rollup)
        .event_signature(DepositQueued::SIGNATURE_HASH)
        .from_block(from_block)
        .to_block(to_block);
    let mut out = Vec::new();
    for log in provider.get_logs(&filter).await? {
        let l1_block = log.block_number.ok_or(ReadError::Pending)?;
        let event = DepositQueued::decode_log(&log.inner).map_err(|source| ReadError::Log {
            event: "DepositQueued",
            tx: log.transaction_hash,
            source,
        })?;
        out.push(QueuedDeposit {
            index: event.index,
            recipient: event.l2Recipient,
            amount: event.amount,
            l1_block,
        });
    }
    out.sort_by_key(|d| d.index);
    Ok(out)
}
