//! Landing transactions on L1 — the `Settlement` seam and its EVM backend.
//!
//! A caller describes *what* must land as a [`TxIntent`] with a stable key (for an epoch proof:
//! its session and step); [`EvmSettlement`] owns *how*:
//!
//! * **Owned nonce stream.** Nonces are allocated from the journal, never from the node's
//!   pending count, so one dropped transaction cannot stall the stream and two intents never
//!   share a nonce.
//! * **Write-ahead journal.** Every signed transaction is written (fsynced) to the datadir
//!   before it is broadcast ([`journal`]). After a crash, sending the same intent resumes
//!   tracking the journalled transaction at its nonce: nothing is sent twice with a new nonce
//!   and nothing in flight is forgotten.
//! * **Fees.** EIP-1559, estimated from `eth_feeHistory`; a transaction not included within
//!   [`SettlementConfig::bump_after`] is replaced at the same nonce with **both** the max fee
//!   and the priority fee raised by at least 12.5 % (nodes refuse a replacement otherwise), up
//!   to [`SettlementConfig::max_fee_cap`].
//! * **Receipts** are followed to [`SettlementConfig::confirmations`]; a receipt that vanishes
//!   (an L1 reorg) puts the transaction back to pending and it is broadcast again; past the
//!   intent's deadline nothing more is sent.
//! * **RPC.** Every call goes through [`rpc::Fallback`]: the URLs in order, backing off and
//!   rotating on failure. Only standard `eth_` methods are used (no `debug_`/`trace_`).
//! * **Reverts** are decoded to the contract's custom error by the caller's decoder.
//!
//! The trait is shaped so a Solana backend can implement it: an intent is opaque bytes to an
//! address, the result a landing position.

pub mod evm;
pub mod journal;
pub mod rpc;

pub use evm::{EvmSettlement, SettlementConfig};

use alloy::primitives::{Address, B256, Bytes};
use std::future::Future;
use std::pin::Pin;

/// One transaction that must land.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxIntent {
    /// Stable identity (e.g. `epoch 7 session 12 begin`): sending the same key again resumes
    /// the journalled transaction instead of sending a new one.
    pub key: String,
    /// Destination.
    pub to: Address,
    /// Calldata.
    pub input: Bytes,
    /// Gas limit.
    pub gas_limit: u64,
    /// L1 timestamp from which nothing more may be sent (the submission window's end).
    pub deadline: Option<u64>,
}

/// Where a transaction landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Included {
    /// The transaction that landed (the last replacement, or an earlier version).
    pub tx: B256,
    /// Its block.
    pub block: u64,
    /// Its block's timestamp.
    pub timestamp: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Price paid per gas.
    pub effective_gas_price: u128,
    /// Its nonce.
    pub nonce: u64,
    /// How many replacements were signed before it landed.
    pub replacements: u32,
}

/// Why a transaction did not land.
#[derive(Debug, thiserror::Error)]
pub enum SettlementError {
    /// It was included and reverted.
    #[error("transaction {tx} reverted: {reason}")]
    Reverted {
        /// The transaction.
        tx: B256,
        /// The decoded custom error (or the raw data).
        reason: String,
    },
    /// The deadline passed before it landed; nothing more is sent.
    #[error("deadline {deadline} passed at L1 time {now} before the transaction landed")]
    Deadline {
        /// The intent's deadline.
        deadline: u64,
        /// L1 time.
        now: u64,
    },
    /// Every RPC URL failed.
    #[error("L1 RPC: {0}")]
    Rpc(String),
    /// Signing failed.
    #[error("signing: {0}")]
    Sign(String),
    /// The journal.
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
}

/// Lands transactions.
pub trait Settlement: Send + Sync {
    /// Drives `intent` to inclusion with the configured confirmations (or an error).
    fn send<'a>(
        &'a self,
        intent: &'a TxIntent,
    ) -> Pin<Box<dyn Future<Output = Result<Included, SettlementError>> + Send + 'a>>;
    /// The sending account.
    fn sender(&self) -> Address;
    /// Whether a transaction for `key` was ever signed (it is resumed, not pre-checked again).
    fn is_journalled(&self, key: &str) -> bool;
}
