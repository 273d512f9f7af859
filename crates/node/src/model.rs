//! What the node records: checkpoint provers and epoch sessions.

use alloy::primitives::{B256, keccak256};
use serde::{Deserialize, Serialize};
use vouch_archiver::ArchivedCheckpoint;
use vouch_broker::JobId;

/// A checkpoint's content identity: number, slot and archive root. The archive root commits to
/// every block before it, so two checkpoints with the same id have the same pre-state, and a
/// reorged replacement at the same number has another id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CheckpointId {
    /// Number.
    pub number: u64,
    /// Slot.
    pub slot: u64,
    /// Archive root after it.
    pub archive: B256,
}

impl CheckpointId {
    /// The id of an archived checkpoint.
    pub fn of(c: &ArchivedCheckpoint) -> Self {
        Self {
            number: c.number.get(),
            slot: c.slot.get(),
            archive: c.archive,
        }
    }

    /// The broker job that proves it.
    pub fn leaf_job(&self) -> JobId {
        JobId(
            keccak256(
                [
                    b"vouch.leaf.v1".as_slice(),
                    &self.number.to_be_bytes(),
                    &self.slot.to_be_bytes(),
                    self.archive.as_slice(),
                ]
                .concat(),
            )
            .0,
        )
    }

    /// Storage key: number first, so records sort by number.
    pub fn key(&self) -> Vec<u8> {
        [
            self.number.to_be_bytes().as_slice(),
            self.archive.as_slice(),
        ]
        .concat()
    }
}

impl std::fmt::Display for CheckpointId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{:.10}", self.number, self.slot, self.archive)
    }
}

/// The broker job of an epoch proof over `members` (in order).
pub fn epoch_job(epoch: u64, members: &[CheckpointId]) -> JobId {
    let mut bytes = b"vouch.epoch.v1".to_vec();
    bytes.extend_from_slice(&epoch.to_be_bytes());
    for m in members {
        bytes.extend_from_slice(&m.key());
        bytes.extend_from_slice(&m.slot.to_be_bytes());
    }
    JobId(keccak256(bytes).0)
}

/// A checkpoint prover's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProverStatus {
    /// Its leaf proof is queued or running.
    Proving,
    /// Its leaf proof exists.
    Proven,
    /// It cannot be proven: an invalid transaction, a root or commitment that does not match
    /// what it posted, or a parent that could not be executed. Never retried.
    Unprovable {
        /// Block, position and reason.
        reason: String,
    },
    /// Its leaf job failed after its retries.
    Failed {
        /// The job's error.
        error: String,
    },
}

impl ProverStatus {
    /// Every status name, for operators' tables and metric labels.
    pub const NAMES: [&'static str; 4] = ["proving", "proven", "unprovable", "failed"];

    /// The status's name (one of [`Self::NAMES`]).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Proving => "proving",
            Self::Proven => "proven",
            Self::Unprovable { .. } => "unprovable",
            Self::Failed { .. } => "failed",
        }
    }

    /// Why it is unprovable or failed.
    pub fn error(&self) -> Option<&str> {
        match self {
            Self::Unprovable { reason } => Some(reason),
            Self::Failed { error } => Some(error),
            Self::Proving | Self::Proven => None,
        }
    }
}

/// A registered checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointRecord {
    /// Content id.
    pub id: CheckpointId,
    /// `keccak256(abi.encode(header))` as on L1.
    pub header_hash: B256,
    /// Its epoch.
    pub epoch: u64,
    /// The L1 block it landed in.
    pub l1_block: u64,
    /// Prover state.
    pub status: ProverStatus,
    /// When the node registered it (ms since the Unix epoch).
    pub registered_ms: u64,
    /// When its leaf proof was first seen done.
    pub proven_ms: Option<u64>,
}

/// Full epoch or an operator's prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// Every checkpoint of the epoch.
    Full,
    /// The epoch's first checkpoints up to `to` (requested through [`crate::NodeHandle`]).
    Partial,
}

/// An epoch session's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionState {
    /// Waiting for its checkpoints' leaf proofs.
    AwaitingCheckpoints,
    /// The epoch proof (aggregation) is being built.
    AwaitingRoot,
    /// Handed to publishing.
    Publishing,
    /// Its proof landed on L1.
    Completed,
    /// Someone else (another prover, or a fuller proof) covered it first.
    Superseded,
    /// It could not be proven or published.
    Failed,
    /// Its checkpoint set changed (prune, reorg) or an operator withdrew it.
    Cancelled,
    /// Its submission window closed.
    TimedOut,
    /// Publishing ran as a dry run: estimated, not sent (the estimate is in the reason).
    Estimated,
}

impl SessionState {
    /// Every state, for operators' tables and metric labels.
    pub const ALL: [SessionState; 9] = [
        Self::AwaitingCheckpoints,
        Self::AwaitingRoot,
        Self::Publishing,
        Self::Completed,
        Self::Superseded,
        Self::Failed,
        Self::Cancelled,
        Self::TimedOut,
        Self::Estimated,
    ];

    /// The state's snake-case name (metric labels, tables).
    pub fn name(&self) -> &'static str {
        match self {
            Self::AwaitingCheckpoints => "awaiting_checkpoints",
            Self::AwaitingRoot => "awaiting_root",
            Self::Publishing => "publishing",
            Self::Completed => "completed",
            Self::Superseded => "superseded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::TimedOut => "timed_out",
            Self::Estimated => "estimated",
        }
    }

    /// Whether the session has ended.
    pub fn is_terminal(&self) -> bool {
        !matches!(
            self,
            Self::AwaitingCheckpoints | Self::AwaitingRoot | Self::Publishing
        )
    }
}

/// Where a published proof landed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Landed {
    /// L1 block of `submitEpochProof`.
    pub l1_block: u64,
    /// Its timestamp.
    pub l1_timestamp: u64,
    /// The transaction.
    pub tx: B256,
    /// Gas of the whole submission (verification session and `submitEpochProof`).
    pub gas: u64,
    /// Transactions sent.
    pub txs: usize,
    /// Fees paid over the whole submission (wei).
    #[serde(default)]
    pub fee_wei: u128,
    /// Replacements (fee bumps) signed before the transactions landed.
    #[serde(default)]
    pub replacements: u32,
    /// Timestamp of the L1 block that holds the range's last checkpoint (0: unknown): the
    /// epoch latency is `l1_timestamp` minus it.
    #[serde(default)]
    pub checkpoint_l1_timestamp: u64,
}

impl Landed {
    /// Seconds from the range's last checkpoint landing on L1 to its proof landing.
    pub fn latency_s(&self) -> Option<u64> {
        (self.checkpoint_l1_timestamp > 0).then(|| {
            self.l1_timestamp
                .saturating_sub(self.checkpoint_l1_timestamp)
        })
    }
}

/// One attempt to prove and publish (part of) an epoch over a frozen checkpoint set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Id (increasing).
    pub id: u64,
    /// Epoch.
    pub epoch: u64,
    /// Full or partial.
    pub kind: SessionKind,
    /// The frozen checkpoint set, in order (the first is the epoch's first checkpoint).
    pub members: Vec<CheckpointId>,
    /// State.
    pub state: SessionState,
    /// Why it ended, when it did not complete.
    pub reason: Option<String>,
    /// The epoch proof job, once submitted.
    pub epoch_job: Option<JobId>,
    /// Created (ms since the Unix epoch).
    pub created_ms: u64,
    /// Every leaf proof ready.
    pub leaves_ready_ms: Option<u64>,
    /// The earliest of its leaf proofs (ms since the Unix epoch).
    pub first_leaf_proven_ms: Option<u64>,
    /// Epoch proof ready.
    pub proof_ready_ms: Option<u64>,
    /// Ended.
    pub finished_ms: Option<u64>,
    /// Where its proof landed.
    pub landed: Option<Landed>,
    /// The archive saw the proven tip reach its range after it landed (or was superseded).
    #[serde(default)]
    pub seen_on_l1: bool,
    /// An L1 reorg removed the proof that covered it, and this session does not publish it
    /// again (another prover's proof, its window closed, or its checkpoints changed): the
    /// epoch gets a new session if it still can.
    #[serde(default)]
    pub reverted: bool,
}

impl SessionRecord {
    /// First checkpoint.
    pub fn from(&self) -> u64 {
        self.members.first().map_or(0, |m| m.number)
    }

    /// Last checkpoint.
    pub fn to(&self) -> u64 {
        self.members.last().map_or(0, |m| m.number)
    }
}

/// A proof ready for L1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishRequest {
    /// The session.
    pub session: u64,
    /// Epoch.
    pub epoch: u64,
    /// Range.
    pub from: u64,
    /// Range end.
    pub to: u64,
    /// The epoch proof envelope.
    pub proof: Vec<u8>,
}

/// How publishing ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublishOutcome {
    /// On L1.
    Published(Landed),
    /// The range was proven by someone else first.
    Superseded(String),
    /// The window closed first.
    TimedOut(String),
    /// Refused before sending, or reverted.
    Failed(String),
    /// Dry run: what publishing would cost; nothing was sent.
    DryRun {
        /// Transactions.
        txs: usize,
        /// Gas of all of them (simulated).
        gas: u64,
        /// Upper bound of the fees at the current max fee per gas (wei).
        max_fee_wei: u128,
    },
}
