//! The sequencer's JSON-RPC API (namespace `vouch`).

use alloy::primitives::{Address, B256, Bytes};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use serde::{Deserialize, Serialize};
use vouch_rollup::checkpoint::L2BlockHeader;
use vouch_rollup::{AccountIndex, Digest};

/// Where a transaction stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxStatus {
    /// In the mempool.
    Pending,
    /// In a block of a proposed checkpoint.
    Included {
        /// Checkpoint number.
        checkpoint: u64,
        /// L2 block number.
        block: u64,
    },
    /// Dropped while building a block.
    Dropped {
        /// Why.
        reason: String,
    },
}

/// An account as the sequencer's latest state has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// Tree index.
    pub index: AccountIndex,
    /// Owner address.
    pub owner: Address,
    /// Balance (gwei).
    pub balance: u64,
    /// Next nonce (committed state; pending mempool transactions not counted).
    pub nonce: u32,
    /// Transactions of this sender waiting in the mempool.
    pub pending: u32,
}

/// A proposed checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointInfo {
    /// Number.
    pub number: u64,
    /// Slot.
    pub slot: u64,
    /// State root after it.
    pub state_root: Digest,
    /// Archive after it.
    pub archive: Digest,
    /// Poseidon2 tx commitment.
    pub tx_commitment: Digest,
    /// L1 transaction that proposed it.
    pub l1_tx: B256,
    /// Its blocks.
    pub blocks: Vec<L2BlockHeader>,
}

/// Sequencer status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequencerStatus {
    /// L2 chain id.
    pub chain_id: u64,
    /// Last proposed checkpoint (0 = genesis).
    pub checkpoint: u64,
    /// Last L2 block.
    pub block: u64,
    /// Transactions waiting.
    pub mempool: usize,
    /// Transfers included so far.
    pub included_txs: u64,
}

/// The `vouch_*` methods.
#[rpc(server, client, namespace = "vouch")]
pub trait SequencerApi {
    /// Submits a signed transfer (its 93-byte encoding); returns its hash.
    #[method(name = "sendTransaction")]
    async fn send_transaction(&self, raw: Bytes) -> RpcResult<B256>;

    /// Status of a submitted transaction; `null` if unknown.
    #[method(name = "getTransactionReceipt")]
    async fn get_transaction_receipt(&self, hash: B256) -> RpcResult<Option<TxStatus>>;

    /// The account at an index (decimal) or of an owner address (0x…); `null` if none.
    #[method(name = "getAccount")]
    async fn get_account(&self, who: String) -> RpcResult<Option<AccountInfo>>;

    /// An L2 block header; `null` if not (yet) produced.
    #[method(name = "getBlock")]
    async fn get_block(&self, number: u64) -> RpcResult<Option<L2BlockHeader>>;

    /// A proposed checkpoint; `null` if unknown.
    #[method(name = "getCheckpoint")]
    async fn get_checkpoint(&self, number: u64) -> RpcResult<Option<CheckpointInfo>>;

    /// Tips and counters.
    #[method(name = "status")]
    async fn status(&self) -> RpcResult<SequencerStatus>;
}
