//! What the admin API speaks: the JSON views of the node's records, and a typed client.
//!
//! Views are camelCase, numbers are JSON numbers (wei amounts are decimal strings, as they can
//! pass 2^53), hashes and proofs are 0x-hex.

use alloy::primitives::{B256, Bytes};
use jsonrpsee::proc_macros::rpc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use vouch_node::model::{CheckpointRecord, Landed, SessionKind, SessionRecord};

/// `vouch_status`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusView {
    /// The node's version.
    pub version: String,
    /// L1 head seen by the follower (0 before its first sync).
    pub l1_head: u64,
    /// Last L1 block processed.
    pub synced_l1_block: Option<u64>,
    /// The L2 slot of that block.
    pub synced_slot: Option<u64>,
    /// Slots between the wall clock and the synced slot.
    pub follower_lag_slots: Option<u64>,
    /// Last proposed checkpoint.
    pub pending_checkpoint: u64,
    /// Last proven checkpoint.
    pub proven_checkpoint: u64,
    /// Proven checkpoint as of the finalized L1 block.
    pub finalized_checkpoint: u64,
    /// Epoch of the proven tip (`None`: nothing proven beyond genesis).
    pub last_proven_epoch: Option<u64>,
    /// Sessions not yet ended.
    pub open_sessions: usize,
    /// The oldest epoch with an open session, and the seconds left before its window closes
    /// (negative: closed).
    pub oldest_unproven_epoch: Option<EpochSlack>,
    /// The proving broker.
    pub broker: BrokerView,
    /// Local proving agents.
    pub agents: usize,
    /// Whether a publisher is configured.
    pub publishing_enabled: bool,
    /// Whether an operator paused publishing.
    pub publishing_paused: bool,
}

/// An epoch and its remaining submission time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpochSlack {
    /// Epoch.
    pub epoch: u64,
    /// Seconds until its proof-submission deadline (negative: past).
    pub deadline_slack_s: i64,
}

/// Broker counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerView {
    /// Jobs waiting for an agent.
    pub queued: usize,
    /// Jobs leased to an agent.
    pub active: usize,
    /// Proven jobs still held.
    pub done: usize,
    /// Jobs given up.
    pub failed: usize,
    /// The same per job kind (`checkpoint`, `epoch`).
    pub by_kind: BTreeMap<String, JobCounts>,
}

/// Jobs of one kind.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobCounts {
    /// Waiting.
    pub queued: usize,
    /// Leased.
    pub active: usize,
    /// Leased more than once (a retry or an expired lease).
    pub retried: usize,
}

/// A session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// Id.
    pub id: u64,
    /// Epoch.
    pub epoch: u64,
    /// `full` or `partial`.
    pub kind: String,
    /// First checkpoint.
    pub from: u64,
    /// Last checkpoint.
    pub to: u64,
    /// State (`awaiting_checkpoints`, `awaiting_root`, `publishing`, `completed`, …).
    pub state: String,
    /// Why it ended, when it did not complete.
    pub reason: Option<String>,
    /// Created (ms since the Unix epoch).
    pub created_ms: u64,
    /// Every leaf proof ready.
    pub leaves_ready_ms: Option<u64>,
    /// Epoch proof ready.
    pub proof_ready_ms: Option<u64>,
    /// Ended.
    pub finished_ms: Option<u64>,
    /// Where its proof landed.
    pub landed: Option<LandedView>,
    /// An L1 reorg removed the landed proof afterwards.
    pub reverted: bool,
}

/// A landed proof.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LandedView {
    /// L1 block of `submitEpochProof`.
    pub l1_block: u64,
    /// Its timestamp.
    pub l1_timestamp: u64,
    /// The transaction.
    pub tx: B256,
    /// Gas of the whole submission.
    pub gas: u64,
    /// Transactions sent.
    pub txs: usize,
    /// Fees paid (wei, decimal).
    pub fee_wei: String,
    /// Fee bumps.
    pub replacements: u32,
    /// Seconds from the last checkpoint landing to the proof landing.
    pub latency_s: Option<u64>,
}

/// A checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckpointView {
    /// Number.
    pub number: u64,
    /// Slot.
    pub slot: u64,
    /// Epoch.
    pub epoch: u64,
    /// Archive root after it.
    pub archive: B256,
    /// `keccak256(abi.encode(header))`.
    pub header_hash: B256,
    /// L1 block it landed in.
    pub l1_block: u64,
    /// `proving`, `proven`, `unprovable` or `failed`.
    pub status: String,
    /// Why it is unprovable or failed.
    pub error: Option<String>,
    /// Registered (ms since the Unix epoch).
    pub registered_ms: u64,
    /// Leaf proof first seen done.
    pub proven_ms: Option<u64>,
}

/// A proof the node holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofView {
    /// `checkpoint` or `epoch`.
    pub kind: String,
    /// Epoch.
    pub epoch: u64,
    /// First checkpoint covered.
    pub from: u64,
    /// Last checkpoint covered.
    pub to: u64,
    /// The session that built it (epoch proofs).
    pub session: Option<u64>,
    /// The proof envelope (backend, kind and body), as the node publishes it.
    pub proof: Bytes,
}

/// `vouch_getSessions` filters (every field optional).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SessionFilter {
    /// Only this epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<u64>,
    /// Only sessions in this state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Only open (`true`) or ended (`false`) sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<bool>,
    /// The newest this many.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// One streamed change (`vouch_subscribeEvents`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum EventView {
    /// A session opened or changed state (publication states included).
    Session {
        /// The session now.
        session: SessionView,
    },
    /// A checkpoint registered or changed prover state.
    Checkpoint {
        /// The checkpoint now.
        checkpoint: CheckpointView,
    },
    /// A checkpoint left the node (pruned, reorged away, expired).
    CheckpointRemoved {
        /// Number.
        number: u64,
        /// Archive root (its identity with the number).
        archive: B256,
    },
    /// Publishing paused or resumed.
    Publishing {
        /// Paused.
        paused: bool,
    },
    /// The subscriber fell behind and missed this many events.
    Lagged {
        /// Events missed.
        missed: u64,
    },
}

/// The admin API, as clients call it (`vouch_` namespace).
#[rpc(client, namespace = "vouch")]
pub trait VouchApi {
    /// Sync, tips, sessions, broker and publishing at a glance.
    #[method(name = "status")]
    async fn status(&self) -> RpcResult<StatusView>;
    /// Sessions, newest first, filtered.
    #[method(name = "getSessions")]
    async fn get_sessions(&self, filter: Option<SessionFilter>) -> RpcResult<Vec<SessionView>>;
    /// One session.
    #[method(name = "getSession")]
    async fn get_session(&self, id: u64) -> RpcResult<SessionView>;
    /// The registered checkpoints of an epoch.
    #[method(name = "getCheckpoints")]
    async fn get_checkpoints(&self, epoch: u64) -> RpcResult<Vec<CheckpointView>>;
    /// A checkpoint's leaf proof.
    #[method(name = "getCheckpointProof")]
    async fn get_checkpoint_proof(&self, number: u64) -> RpcResult<ProofView>;
    /// An epoch's proof.
    #[method(name = "getEpochProof")]
    async fn get_epoch_proof(&self, epoch: u64) -> RpcResult<ProofView>;
    /// The running configuration, secrets redacted.
    #[method(name = "getConfig")]
    async fn get_config(&self) -> RpcResult<serde_json::Value>;
    /// Proves (part of) an epoch now; returns the session id. JWT.
    #[method(name = "startProof")]
    async fn start_proof(&self, epoch: u64, to_checkpoint: Option<u64>) -> RpcResult<u64>;
    /// Withdraws a session. JWT.
    #[method(name = "cancelSession")]
    async fn cancel_session(&self, id: u64) -> RpcResult<bool>;
    /// Holds ready proofs back from L1. JWT.
    #[method(name = "pausePublishing")]
    async fn pause_publishing(&self) -> RpcResult<bool>;
    /// Lets them go again. JWT.
    #[method(name = "resumePublishing")]
    async fn resume_publishing(&self) -> RpcResult<bool>;
    /// Session, checkpoint and publication changes as they happen.
    #[subscription(name = "subscribeEvents" => "event", unsubscribe = "unsubscribeEvents", item = EventView)]
    async fn subscribe_events(&self) -> SubscriptionResult;
}

impl SessionView {
    /// The view of a record.
    pub fn of(s: &SessionRecord) -> Self {
        Self {
            id: s.id,
            epoch: s.epoch,
            kind: match s.kind {
                SessionKind::Full => "full",
                SessionKind::Partial => "partial",
            }
            .into(),
            from: s.from(),
            to: s.to(),
            state: s.state.name().into(),
            reason: s.reason.clone(),
            created_ms: s.created_ms,
            leaves_ready_ms: s.leaves_ready_ms,
            proof_ready_ms: s.proof_ready_ms,
            finished_ms: s.finished_ms,
            landed: s.landed.as_ref().map(LandedView::of),
            reverted: s.reverted,
        }
    }
}

impl LandedView {
    /// The view of a landing.
    pub fn of(l: &Landed) -> Self {
        Self {
            l1_block: l.l1_block,
            l1_timestamp: l.l1_timestamp,
            tx: l.tx,
            gas: l.gas,
            txs: l.txs,
            fee_wei: l.fee_wei.to_string(),
            replacements: l.replacements,
            latency_s: l.latency_s(),
        }
    }
}

impl CheckpointView {
    /// The view of a record.
    pub fn of(c: &CheckpointRecord) -> Self {
        let (status, error) = (c.status.name(), c.status.error().map(str::to_string));
        Self {
            number: c.id.number,
            slot: c.id.slot,
            epoch: c.epoch,
            archive: c.id.archive,
            header_hash: c.header_hash,
            l1_block: c.l1_block,
            status: status.into(),
            error,
            registered_ms: c.registered_ms,
            proven_ms: c.proven_ms,
        }
    }
}
