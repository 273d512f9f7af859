//! The proving broker: a durable job queue between the node and the agents that prove.
//!
//! The node describes proving work as [`JobSpec`]s and submits them; agents lease the most
//! urgent job, prove it, and report the output or an error. Invariants:
//!
//! * **Content-addressed.** A job's [`JobId`] is derived by the submitter from what it proves
//!   (a checkpoint's content, or an epoch range's member ids), so submitting the same work
//!   twice — after a reorg that restores a checkpoint, a session recreated over the same
//!   survivors, or a restart — finds the existing job and its stored output: identical work is
//!   done once.
//! * **Priorities.** Jobs are leased in `(epoch, rank)` order: older epochs first, and within an
//!   epoch the lower rank first, so an epoch proof (rank 0) runs before the checkpoint proofs
//!   (rank 1) of any later epoch.
//! * **Leases.** A lease lasts [`BrokerConfig::lease`]; the agent extends it by heartbeats. An
//!   expired lease (a dead agent) is leased again. A result from an agent whose job was
//!   cancelled or already settled is ignored.
//! * **Bounded retries.** A retryable error re-queues the job until it has been attempted
//!   [`BrokerConfig::max_attempts`] times; then (or on a permanent error at once) it ends
//!   [`JobState::Failed`] with the error.
//! * **Durability.** Every state change is one atomic batch on the [`Kv`]: a crash leaves each
//!   job in a whole state. On RocksDB ([`vouch_storage::RocksKv`]) jobs and outputs survive
//!   restarts; [`vouch_storage::MemoryKv`] is the in-memory twin for tests.
//!
//! [`ProvingBroker`] is the seam: [`KvBroker`] is the embedded implementation; a PostgreSQL
//! broker serving remote `vouch agent` processes would implement the same trait. [`agent`]
//! runs local agents on worker threads.

pub mod agent;
mod kv_broker;

pub use agent::{AgentConfig, JobError, JobRunner, default_agent_count, spawn_local_agents};
pub use kv_broker::{KvBroker, TABLES};

use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::watch;

/// A job's content-derived identity (32 bytes, chosen by the submitter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct JobId(pub [u8; 32]);

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in &self.0[..6] {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// What to prove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobSpec {
    /// Content-derived id.
    pub id: JobId,
    /// What kind of work (`checkpoint`, `epoch`): for the runner and for operators.
    pub kind: String,
    /// The epoch it belongs to (priority and clean-up).
    pub epoch: u64,
    /// Order within the epoch: lower first.
    pub rank: u8,
    /// The runner's input.
    pub input: Vec<u8>,
}

/// Where a job is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobState {
    /// Waiting for an agent.
    Queued,
    /// An agent works on it until `expires_ms` unless it heartbeats.
    Leased {
        /// The agent.
        agent: String,
        /// Lease expiry (ms since the Unix epoch).
        expires_ms: u64,
    },
    /// Proven; the output is stored.
    Done,
    /// Given up, with the last error.
    Failed {
        /// Why.
        error: String,
    },
    /// Withdrawn by the node.
    Cancelled,
}

impl JobState {
    /// Done, failed or cancelled.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Done | Self::Failed { .. } | Self::Cancelled)
    }
}

/// A job as the broker keeps it (without its input and output).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Id.
    pub id: JobId,
    /// Kind.
    pub kind: String,
    /// Epoch.
    pub epoch: u64,
    /// Rank.
    pub rank: u8,
    /// State.
    pub state: JobState,
    /// Leases handed out so far.
    pub attempts: u32,
    /// Submission order (ties in priority go first-come).
    pub seq: u64,
    /// Last error, also while retrying.
    pub last_error: Option<String>,
    /// When submitted (ms since the Unix epoch).
    pub created_ms: u64,
    /// When it became done or failed.
    pub finished_ms: Option<u64>,
}

/// A leased job: what the agent needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeasedJob {
    /// The record at lease time.
    pub record: JobRecord,
    /// The input.
    pub input: Vec<u8>,
}

/// What a result report did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Stored; the job is done.
    Accepted,
    /// The job was cancelled, settled or is unknown: the result is dropped.
    Ignored,
}

/// Broker settings.
#[derive(Clone, Copy, Debug)]
pub struct BrokerConfig {
    /// How long a lease lasts without a heartbeat.
    pub lease: Duration,
    /// Leases a job gets before a retryable error fails it.
    pub max_attempts: u32,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            lease: Duration::from_secs(30),
            max_attempts: 3,
        }
    }
}

/// Broker failure.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// Storage failed.
    #[error(transparent)]
    Kv(#[from] vouch_storage::KvError),
    /// A stored record does not decode.
    #[error("corrupt broker record {what}: {detail}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Why.
        detail: String,
    },
    /// A job was submitted again with other content under the same id.
    #[error("job {id} exists with kind {existing}, submitted again as {submitted}")]
    IdCollision {
        /// Id.
        id: JobId,
        /// Stored kind.
        existing: String,
        /// Submitted kind.
        submitted: String,
    },
}

/// The job queue the node and the agents share.
pub trait ProvingBroker: Send + Sync {
    /// Adds a job, or returns the existing one with this id: done jobs keep their output
    /// (reuse), queued and leased ones are left alone, a cancelled one is queued again, a
    /// failed one stays failed (its failure is a property of its content).
    fn submit(&self, spec: JobSpec) -> Result<JobRecord, BrokerError>;
    /// A job's record.
    fn status(&self, id: &JobId) -> Result<Option<JobRecord>, BrokerError>;
    /// A done job's output.
    fn output(&self, id: &JobId) -> Result<Option<Vec<u8>>, BrokerError>;
    /// Leases the most urgent queued (or lease-expired) job to `agent`.
    fn lease(&self, agent: &str) -> Result<Option<LeasedJob>, BrokerError>;
    /// Extends `agent`'s lease; `false` when it no longer holds the job (cancelled, settled
    /// or re-leased): the agent should stop.
    fn heartbeat(&self, id: &JobId, agent: &str) -> Result<bool, BrokerError>;
    /// Stores a job's output. Accepted unless the job is terminal or unknown.
    fn complete(&self, id: &JobId, agent: &str, output: Vec<u8>)
    -> Result<Completion, BrokerError>;
    /// Reports an error: a retryable one re-queues the job while attempts remain.
    fn fail(
        &self,
        id: &JobId,
        agent: &str,
        error: &str,
        retryable: bool,
    ) -> Result<Option<JobState>, BrokerError>;
    /// Withdraws a job unless it is done or failed; returns whether it changed.
    fn cancel(&self, id: &JobId) -> Result<bool, BrokerError>;
    /// Re-queues every job leased by an agent whose name starts with `prefix` (the local
    /// agents of a previous process, known dead at startup); returns how many.
    fn release_leases(&self, prefix: &str) -> Result<usize, BrokerError>;
    /// Deletes every job of `epoch` with its input and output (the epoch is proven or
    /// expired); returns how many.
    fn remove_epoch(&self, epoch: u64) -> Result<usize, BrokerError>;
    /// Every job, in priority order.
    fn jobs(&self) -> Result<Vec<JobRecord>, BrokerError>;
    /// Ticks on every change (a new job, a state change).
    fn subscribe(&self) -> watch::Receiver<u64>;
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
