//! The Vouch prover node: proves every checkpoint the moment it lands on L1, builds each
//! epoch's proof as soon as the epoch is complete, and hands it to publishing — through
//! reorgs, prunes, expiry and restarts, without losing proven work.
//!
//! # How it fits together
//! ```text
//! L1Follower ─► Archive ─► L2BlockStream ──events──► NodeCore ◄── ticks, broker changes,
//!                                                     │  ▲       operator requests
//!                                   jobs (leaf, epoch)│  │publish outcomes
//!                                                     ▼  │
//!                            ProvingBroker ◄─► local agents     Publisher ─► L1
//! ```
//! * [`execution`]: every checkpoint is re-executed from L1 data alone (calldata, deposits,
//!   the previous archive) into the node's own versioned state tree (`vouch_state_db`),
//!   version `n` for checkpoint `n`; a prune is a rollback. A checkpoint whose transactions
//!   break a rule or whose roots or commitment differ from what it posted is **unprovable**
//!   (reported with block, position and reason, never retried).
//! * [`checkpoints::CheckpointStore`]: a prover record per checkpoint content id
//!   (number, slot, archive root), registered when the checkpoint arrives — mid-epoch — and
//!   its leaf proof queued on the broker at once. Job ids are derived from content, so a
//!   proof is made once and reused across sessions, prunes that spare it, and restarts.
//! * [`core::NodeCore`]: the serial reconcile step. Sessions ([`model::SessionRecord`]) are
//!   opened over a frozen checkpoint set once an epoch is complete on L1 and all of its
//!   checkpoints are registered; a session whose set no longer matches the chain is cancelled
//!   and a fresh one opened over the survivors, reusing their leaf proofs. A session waits for
//!   its leaves, builds the epoch proof (the "aggregate" step: v1 re-proves the range from the
//!   witnesses, see [`runner::JobInput::Epoch`]), and is handed to publishing. Its one
//!   deadline is the epoch's submission window; any end (a cancel included) is final.
//! * [`runner`]: what an agent runs for a job — witnesses rebuilt from the archive and the
//!   state tree (so witnesses are durable without being copied), proven by the configured
//!   backend.
//! * [`publisher`]: in epoch order, once the proven tip reaches the range: re-reads the
//!   rollup's public values and replays the proof against them first (a doomed proof is never
//!   sent), then lands the verification session and `submitEpochProof` through
//!   `vouch_settlement` (journalled nonces, fee bumping, fallbacks); a range another prover
//!   landed ends superseded.
//! * [`service`]: the composition root — follower, stream, core loop, agents and publisher
//!   under one `CancellationToken`, every task tracked.
//!
//! # Durability
//! The archive, the stream cursor, broker jobs and outputs, checkpoint and session records all
//! live in one RocksDB under the datadir (`db/`), the state tree in another (`state/`). Every
//! decision is persisted before the event that caused it is acknowledged, and events are
//! delivered at least once, so a `kill -9` at any point resumes without re-proving anything
//! proven. A datadir of another L1 chain, rollup, L2 chain or genesis is refused at start.

pub mod checkpoints;
pub mod core;
pub mod db;
pub mod execution;
pub mod model;
pub mod publisher;
pub mod runner;
pub mod service;
pub mod startup;

pub use model::{CheckpointId, PublishOutcome, PublishRequest, SessionRecord, SessionState};
pub use service::{NodeConfig, NodeEvent, NodeHandle, NodeStatus, PublisherChoice};

/// Node failure.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Storage.
    #[error(transparent)]
    Kv(#[from] vouch_storage::KvError),
    /// The archive.
    #[error(transparent)]
    Archive(#[from] vouch_archiver::ArchiveError),
    /// The broker.
    #[error(transparent)]
    Broker(#[from] vouch_broker::BrokerError),
    /// The state tree.
    #[error("state tree: {0}")]
    State(String),
    /// A stored record does not decode: the datadir is corrupt (nothing is overwritten).
    #[error("corrupt node database: {0}")]
    Corrupt(String),
    /// The datadir belongs to another chain or rollup.
    #[error("the datadir belongs to another deployment: {0}")]
    WrongDatadir(String),
    /// The checkpoint store refused a registration.
    #[error("checkpoint store: {0}")]
    Store(String),
    /// An operator request that cannot be honoured.
    #[error("refused: {0}")]
    Refused(String),
    /// Bad settings.
    #[error("config: {0}")]
    Config(String),
    /// L1.
    #[error("L1: {0}")]
    L1(String),
    /// The node stopped.
    #[error("the node is stopped")]
    Stopped,
}

#[cfg(test)]
mod tests;
