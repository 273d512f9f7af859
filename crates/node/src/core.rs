//! [`NodeCore`]: the node's decisions, synchronous and single-threaded. The service feeds it
//! stream events, broker changes, ticks, publishing outcomes and operator requests one at a
//! time (the serial reconcile queue); everything it decides is persisted before it returns.

use crate::NodeError;
use crate::checkpoints::{Added, CheckpointStore};
use crate::db::{Executed, NodeDb};
use crate::execution::{execute, executed_record};
use crate::model::{
    CheckpointId, CheckpointRecord, Landed, ProverStatus, PublishOutcome, PublishRequest,
    SessionKind, SessionRecord, SessionState, epoch_job,
};
use crate::runner::JobInput;
use crate::startup::{proven_tip, seed};
use alloy::primitives::B256;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};
use tracing::{info, info_span, warn};
use vouch_archiver::{Archive, ArchivedCheckpoint, ChainEvent, L2BlockSource};
use vouch_broker::{JobSpec, JobState, ProvingBroker, now_ms};
use vouch_primitives::{CheckpointNumber, EpochNumber, L1RollupConstants, Slot};
use vouch_rollup::genesis::GenesisRoots;
use vouch_rollup::state::VersionedStore;
use vouch_storage::Kv;

/// Rank of epoch proofs in the broker (before the leaves of later epochs).
const EPOCH_RANK: u8 = 0;
/// Rank of checkpoint proofs.
const LEAF_RANK: u8 = 1;
/// Ended sessions kept after their epoch is finalized (job history).
const FINALIZED_EPOCHS_KEPT: u64 = 16;

/// Core settings.
#[derive(Clone, Copy, Debug)]
pub struct CoreConfig {
    /// Live sessions at most.
    pub max_pending_sessions: usize,
    /// L2 chain id (signature domain).
    pub l2_chain_id: u64,
    /// Baseline for benchmarks: queue a checkpoint's proof only once its epoch is complete on
    /// L1, instead of the moment it lands (optimistic proving, the default).
    pub prove_at_epoch_end: bool,
}

/// The node's state and decisions.
pub struct NodeCore<K: Kv, S: VersionedStore> {
    pub(crate) archive: Archive<K>,
    pub(crate) db: NodeDb<K>,
    pub(crate) state: Arc<S>,
    pub(crate) state_lock: Arc<RwLock<()>>,
    pub(crate) broker: Arc<dyn ProvingBroker>,
    constants: L1RollupConstants,
    config: CoreConfig,
    store: CheckpointStore,
    sessions: BTreeMap<u64, SessionRecord>,
    outbox: Vec<PublishRequest>,
}

impl<K: Kv, S: VersionedStore> NodeCore<K, S> {
    /// Loads the node's records; commits the genesis state into an empty state tree.
    pub fn open(
        archive: Archive<K>,
        db: NodeDb<K>,
        state: Arc<S>,
        broker: Arc<dyn ProvingBroker>,
        genesis: (&vouch_rollup::genesis::Genesis, GenesisRoots),
        config: CoreConfig,
    ) -> Result<Self, NodeError> {
        let state_err = |e: S::Error| NodeError::State(e.to_string());
        match state.latest_version().map_err(state_err)? {
            None => {
                let roots = genesis
                    .0
                    .commit(state.as_ref())
                    .map_err(|e| NodeError::State(e.to_string()))?;
                if roots != genesis.1 {
                    return Err(NodeError::Config(
                        "the genesis accounts do not produce the configured genesis roots".into(),
                    ));
                }
                db.put_executed(
                    0,
                    &Executed {
                        header_hash: B256::ZERO,
                        archive: roots.archive.to_b256(),
                        last_block: 0,
                        deposit_accumulator: B256::ZERO,
                    },
                )?;
            }
            Some(_) => {
                let stored = db.executed(0)?.ok_or_else(|| {
                    NodeError::Corrupt("the state tree has no genesis record".into())
                })?;
                if stored.archive != genesis.1.archive.to_b256() {
                    return Err(NodeError::WrongDatadir(format!(
                        "genesis archive {} (datadir) vs {} (configured)",
                        stored.archive,
                        genesis.1.archive.to_b256()
                    )));
                }
            }
        }
        let store = CheckpointStore::from_records(db.checkpoints()?);
        let sessions = db.sessions()?.into_iter().map(|s| (s.id, s)).collect();
        let constants = archive.l1_constants();
        let mut core = Self {
            archive,
            db,
            state,
            state_lock: Arc::new(RwLock::new(())),
            broker,
            constants,
            config,
            store,
            sessions,
            outbox: Vec::new(),
        };
        // Sessions that were publishing when the node stopped publish again (the proof is in
        // the broker; the publisher re-checks L1 before sending anything).
        let publishing = core.session_ids(|s| s.state == SessionState::Publishing);
        for id in publishing {
            core.enqueue_publish(id)?;
        }
        Ok(core)
    }

    fn session_ids(&self, pick: impl Fn(&SessionRecord) -> bool) -> Vec<u64> {
        self.sessions
            .values()
            .filter(|s| pick(s))
            .map(|s| s.id)
            .collect()
    }

    /// Drops state-tree versions above `to` (and their records).
    fn rollback_tree(&self, to: u64) -> Result<(), NodeError> {
        let latest = self
            .state
            .latest_version()
            .map_err(|e| NodeError::State(e.to_string()))?
            .unwrap_or(0);
        if latest > to {
            self.state
                .rollback_to(to)
                .map_err(|e| NodeError::State(e.to_string()))?;
        }
        self.db.drop_executed_above(to)
    }

    fn live_sessions(&self) -> usize {
        self.sessions
            .values()
            .filter(|s| !s.state.is_terminal())
            .count()
    }

    /// The sessions, oldest first.
    pub fn sessions(&self) -> Vec<SessionRecord> {
        self.sessions.values().cloned().collect()
    }

    /// The registered checkpoints.
    pub fn checkpoints(&self) -> Vec<CheckpointRecord> {
        self.store.iter().cloned().collect()
    }

    /// Proofs ready for L1 since the last call.
    pub fn take_publish_requests(&mut self) -> Vec<PublishRequest> {
        std::mem::take(&mut self.outbox)
    }

    fn synced_slot(&self) -> Result<Option<Slot>, NodeError> {
        Ok(self.archive.synced_l2_slot()?)
    }

    fn expired(&self, epoch: u64, synced: Option<Slot>) -> bool {
        synced.is_some_and(|s| self.constants.is_epoch_expired(EpochNumber(epoch), s))
    }

    /// Handles one stream event (idempotent: a repeated event changes nothing). A new
    /// checkpoint is registered (and its proof queued) at once; the reconcile that may open a
    /// session follows from the caller's next [`Self::reconcile`], so a backlog registers in
    /// linear time. Prunes and tip moves reconcile at once.
    pub fn handle(&mut self, event: ChainEvent) -> Result<(), NodeError> {
        match event {
            ChainEvent::ChainCheckpointed { checkpoint } => return self.on_checkpoint(&checkpoint),
            ChainEvent::ChainPruned { to_checkpoint } => self.on_pruned(to_checkpoint.get())?,
            ChainEvent::ChainProven { checkpoint } => self.on_proven(checkpoint.get())?,
            ChainEvent::ChainFinalized { checkpoint } => self.on_finalized(checkpoint)?,
        }
        self.reconcile()
    }

    fn on_checkpoint(&mut self, checkpoint: &ArchivedCheckpoint) -> Result<(), NodeError> {
        let n = checkpoint.number.get();
        let epoch = self.constants.epoch_at_slot(checkpoint.slot).get();
        let id = CheckpointId::of(checkpoint);
        let _span = info_span!("checkpoint", checkpoint = n, epoch).entered();
        let outcome = self.execute_into_tree(checkpoint)?;
        // Decide whether it gets a prover.
        let synced = self.synced_slot()?;
        if self.expired(epoch, synced) {
            info!(%id, "epoch past its window; not proving");
            return Ok(());
        }
        let seed = seed(proven_tip(&self.archive)?);
        if n < seed.first_to_prove {
            info!(%id, first_to_prove = seed.first_to_prove, "epoch already proven; not proving");
            return Ok(());
        }
        // Anything registered above this number, or other content at its number or slot, is
        // from a chain that is gone (normally a `ChainPruned` removed it already).
        self.remove_above(n, "replaced")?;
        let stale: Vec<CheckpointId> = self
            .store
            .iter()
            .filter(|r| (r.id.slot == id.slot || r.id.number == n) && r.id != id)
            .map(|r| r.id)
            .collect();
        for s in stale {
            self.remove(&s, "replaced")?;
        }
        let status = match &outcome {
            Ok(()) => ProverStatus::Proving,
            Err(reason) => {
                warn!(%id, %reason, "checkpoint is unprovable");
                ProverStatus::Unprovable {
                    reason: reason.clone(),
                }
            }
        };
        let record = CheckpointRecord {
            id,
            header_hash: checkpoint.header_hash,
            epoch,
            l1_block: checkpoint.l1_block,
            status,
            registered_ms: now_ms(),
            proven_ms: None,
        };
        match self.store.add_or_update(record.clone()) {
            Ok(Added::Reused) => return Ok(()),
            Ok(Added::New) => {}
            Err(e) => return Err(NodeError::Store(e.to_string())),
        }
        if record.status == ProverStatus::Proving {
            if self.leaf_due(epoch, synced)? {
                let job = self.submit_leaf(id, epoch)?;
                info!(%id, job = %job.id, reused = job.state == JobState::Done, "checkpoint registered; proving");
            } else {
                info!(%id, "checkpoint registered; proving once its epoch is complete");
            }
        }
        let stored = self.store.get(&id).cloned().expect("just added");
        self.db.update_checkpoints(&[&stored], &[])?;
        Ok(())
    }

    /// The settings, for tests that switch modes.
    #[cfg(test)]
    pub(crate) fn config_mut(&mut self) -> &mut CoreConfig {
        &mut self.config
    }

    /// Whether a checkpoint of `epoch` should be proving now: always, unless the node runs
    /// the prove-at-epoch-end baseline and the epoch is still open on L1.
    fn leaf_due(&self, epoch: u64, synced: Option<Slot>) -> Result<bool, NodeError> {
        if !self.config.prove_at_epoch_end {
            return Ok(true);
        }
        let on_chain = self.archive.checkpoints_of_epoch(EpochNumber(epoch))?;
        Ok(self.epoch_complete(epoch, synced, &on_chain))
    }

    /// Whether `epoch` is complete on L1 (`on_chain`: its checkpoints there): the synced slot
    /// is past its last slot, or a checkpoint already landed in its last slot — one per slot,
    /// so nothing can follow it. Waiting for the slot to end instead cost up to a slot of
    /// latency per epoch (`vouch bench latency`).
    fn epoch_complete(
        &self,
        epoch: u64,
        synced: Option<Slot>,
        on_chain: &[ArchivedCheckpoint],
    ) -> bool {
        let Some(last) = self.constants.last_slot_of_epoch(EpochNumber(epoch)) else {
            return false;
        };
        synced.is_some_and(|s| s > last) || on_chain.last().is_some_and(|c| c.slot == last)
    }

    /// Queues (or finds) the leaf proof of `id`.
    fn submit_leaf(
        &self,
        id: CheckpointId,
        epoch: u64,
    ) -> Result<vouch_broker::JobRecord, NodeError> {
        Ok(self.broker.submit(JobSpec {
            id: id.leaf_job(),
            kind: "checkpoint".into(),
            epoch,
            rank: LEAF_RANK,
            input: JobInput::Leaf { id }.encode(),
        })?)
    }

    /// Executes `checkpoint` into the state tree as version `n` unless that version already is
    /// it. `Err(reason)` when it cannot be executed.
    fn execute_into_tree(
        &mut self,
        checkpoint: &ArchivedCheckpoint,
    ) -> Result<Result<(), String>, NodeError> {
        let n = checkpoint.number.get();
        let _write = self.state_lock.write().unwrap_or_else(|p| p.into_inner());
        if self
            .db
            .executed(n)?
            .is_some_and(|e| e.header_hash == checkpoint.header_hash)
        {
            return Ok(Ok(()));
        }
        self.rollback_tree(n - 1)?;
        let Some(previous) = self.db.executed(n - 1)? else {
            return Ok(Err(format!(
                "checkpoint {n} builds on checkpoint {}, which could not be executed",
                n - 1
            )));
        };
        match execute(
            self.state.as_ref(),
            &self.archive,
            checkpoint,
            &previous,
            self.config.l2_chain_id,
            true,
        )? {
            Ok(witness) => {
                self.db
                    .put_executed(n, &executed_record(checkpoint, &witness))?;
                Ok(Ok(()))
            }
            Err(reason) => Ok(Err(reason)),
        }
    }

    fn remove(&mut self, id: &CheckpointId, why: &str) -> Result<(), NodeError> {
        if let Some(r) = self.store.remove(id) {
            self.broker.cancel(&r.id.leaf_job())?;
            self.db.update_checkpoints(&[], &[r.id])?;
            info!(id = %r.id, why, "checkpoint prover removed");
        }
        Ok(())
    }

    fn remove_above(&mut self, number: u64, why: &str) -> Result<usize, NodeError> {
        let removed = self.store.cancel_and_remove_above(number);
        for r in &removed {
            self.broker.cancel(&r.id.leaf_job())?;
            info!(id = %r.id, why, "checkpoint prover cancelled");
        }
        let ids: Vec<CheckpointId> = removed.iter().map(|r| r.id).collect();
        self.db.update_checkpoints(&[], &ids)?;
        Ok(removed.len())
    }

    fn on_pruned(&mut self, to: u64) -> Result<(), NodeError> {
        metrics::counter!("vouch_prunes_total").increment(1);
        {
            let _write = self.state_lock.write().unwrap_or_else(|p| p.into_inner());
            self.rollback_tree(to)?;
        }
        let removed = self.remove_above(to, "pruned")?;
        let affected: Vec<u64> = self.session_ids(|s| !s.state.is_terminal() && s.to() > to);
        for id in &affected {
            self.end_session(
                *id,
                SessionState::Cancelled,
                Some(format!("checkpoints above {to} were pruned")),
            )?;
        }
        info!(
            to,
            removed,
            cancelled_sessions = affected.len(),
            "chain pruned"
        );
        Ok(())
    }

    fn on_proven(&mut self, proven: u64) -> Result<(), NodeError> {
        info!(proven, "proven tip moved");
        let mut changed = Vec::new();
        for s in self.sessions.values_mut().filter(|s| {
            matches!(s.state, SessionState::Completed | SessionState::Superseded) && !s.reverted
        }) {
            if proven >= s.to() && !s.seen_on_l1 {
                s.seen_on_l1 = true;
                changed.push(s.clone());
            } else if proven < s.to() && s.seen_on_l1 {
                s.seen_on_l1 = false;
                if s.state == SessionState::Superseded {
                    // Another prover's proof is gone: the epoch is ours to publish again.
                    warn!(
                        session = s.id,
                        epoch = s.epoch,
                        proven,
                        "an L1 reorg removed the proof that covered this session; the epoch is proven again if its window is open"
                    );
                    s.reverted = true;
                }
                changed.push(s.clone());
            }
        }
        for s in changed {
            self.db.put_session(&s)?;
        }
        Ok(())
    }

    /// Our landed proofs an L1 reorg removed. Once the archive has synced past the block a
    /// proof landed in and the proven tip is still below its range, the same session publishes
    /// again while its window is open and its checkpoints are unchanged: its journalled
    /// transactions go out as signed, nothing is re-proven. Otherwise it is marked reverted,
    /// and a new session proves the epoch if it still can. Decided from the archive's state,
    /// not from events, so a proof that was reorged out before the node saw it is caught too.
    fn republish_removed(&mut self, synced: Option<Slot>, proven: u64) -> Result<(), NodeError> {
        let Some(l1_synced) = self.archive.synced_block()? else {
            return Ok(());
        };
        let removed = self.session_ids(|s| {
            s.state == SessionState::Completed
                && !s.reverted
                && s.epoch_job.is_some()
                && proven < s.to()
                && s.landed.as_ref().is_some_and(|l| l.l1_block <= l1_synced)
        });
        for id in removed {
            let s = &self.sessions[&id];
            let (epoch, from, to) = (s.epoch, s.from(), s.to());
            let why_not = if self.expired(epoch, synced) {
                Some("its window is closed".to_string())
            } else {
                self.members_changed(&s.members)?
            };
            let rec = self.sessions.get_mut(&id).expect("listed above");
            match why_not {
                Some(why) => {
                    warn!(session = id, epoch, from, to, proven, %why, "an L1 reorg removed this session's proof; not sending it again");
                    rec.reverted = true;
                    let rec = rec.clone();
                    self.db.put_session(&rec)?;
                }
                None => {
                    warn!(
                        session = id,
                        epoch,
                        from,
                        to,
                        proven,
                        "an L1 reorg removed this session's proof; sending it again while the window is open"
                    );
                    metrics::counter!("vouch_proofs_republished_total").increment(1);
                    rec.state = SessionState::Publishing;
                    rec.seen_on_l1 = false;
                    rec.finished_ms = None;
                    let rec = rec.clone();
                    self.db.put_session(&rec)?;
                    self.enqueue_publish(id)?;
                }
            }
        }
        Ok(())
    }

    fn on_finalized(&mut self, finalized: CheckpointNumber) -> Result<(), NodeError> {
        let Some(cp) = self.archive.checkpoint(finalized)? else {
            return Ok(());
        };
        let epoch = self.constants.epoch_at_slot(cp.slot).get();
        let old: Vec<u64> =
            self.session_ids(|s| s.state.is_terminal() && s.epoch + FINALIZED_EPOCHS_KEPT < epoch);
        if !old.is_empty() {
            self.db.delete_sessions(&old)?;
            for id in &old {
                self.sessions.remove(id);
            }
        }
        Ok(())
    }

    fn end_session(
        &mut self,
        id: u64,
        state: SessionState,
        reason: Option<String>,
    ) -> Result<(), NodeError> {
        let Some(s) = self.sessions.get_mut(&id) else {
            return Ok(());
        };
        if s.state.is_terminal() {
            return Ok(()); // a cancel (or any end) always wins over later transitions
        }
        if let Some(job) = s.epoch_job
            && state != SessionState::Completed
        {
            self.broker.cancel(&job)?;
        }
        info!(
            session = id,
            epoch = s.epoch,
            from = s.from(),
            to = s.to(),
            ?state,
            reason = reason.as_deref().unwrap_or(""),
            "session ended"
        );
        metrics::counter!("vouch_sessions_ended_total", "state" => state.name()).increment(1);
        s.state = state;
        s.reason = reason;
        s.finished_ms = Some(now_ms());
        let s = s.clone();
        self.db.put_session(&s)?;
        Ok(())
    }

    /// One reconcile pass: leaf statuses, expiry, session steps, new sessions.
    pub fn reconcile(&mut self) -> Result<(), NodeError> {
        let synced = self.synced_slot()?;
        self.refresh_leaves()?;
        self.expire(synced)?;
        let proven = self.archive.tips()?.proven.get();
        self.republish_removed(synced, proven)?;
        let live: Vec<u64> = self.session_ids(|s| !s.state.is_terminal());
        for id in live {
            self.step_session(id, synced)?;
        }
        self.open_full_sessions(synced, proven)
    }

    fn refresh_leaves(&mut self) -> Result<(), NodeError> {
        let synced = self.synced_slot()?;
        let proving: Vec<CheckpointId> = self
            .store
            .iter()
            .filter(|r| r.status == ProverStatus::Proving)
            .map(|r| r.id)
            .collect();
        for id in proving {
            let job = self.broker.status(&id.leaf_job())?;
            let status = match job.map(|j| j.state) {
                Some(JobState::Done) => ProverStatus::Proven,
                Some(JobState::Failed { error }) => ProverStatus::Failed { error },
                Some(JobState::Queued | JobState::Leased { .. }) => continue,
                Some(JobState::Cancelled) | None => {
                    let epoch = self.store.get(&id).map_or(0, |r| r.epoch);
                    if self.leaf_due(epoch, synced)? {
                        self.submit_leaf(id, epoch)?;
                    }
                    continue;
                }
            };
            if let Some(r) = self.store.get_mut(&id) {
                if status == ProverStatus::Proven {
                    r.proven_ms = Some(now_ms());
                    info!(%id, "checkpoint proven");
                } else {
                    warn!(%id, ?status, "checkpoint proof failed");
                }
                r.status = status;
                let r = r.clone();
                self.db.update_checkpoints(&[&r], &[])?;
            }
        }
        Ok(())
    }

    fn expire(&mut self, synced: Option<Slot>) -> Result<(), NodeError> {
        let mut epochs: BTreeSet<u64> = self.store.iter().map(|r| r.epoch).collect();
        epochs.extend(
            self.sessions
                .values()
                .filter(|s| !s.state.is_terminal())
                .map(|s| s.epoch),
        );
        for epoch in epochs {
            if !self.expired(epoch, synced) {
                continue;
            }
            let _span = info_span!("expiry", epoch).entered();
            let live: Vec<u64> = self.session_ids(|s| s.epoch == epoch && !s.state.is_terminal());
            for id in live {
                self.end_session(
                    id,
                    SessionState::TimedOut,
                    Some("the submission window closed".into()),
                )?;
            }
            let reaped = self.store.reap_expired(epoch);
            let ids: Vec<CheckpointId> = reaped.iter().map(|r| r.id).collect();
            self.db.update_checkpoints(&[], &ids)?;
            let jobs = self.broker.remove_epoch(epoch)?;
            info!(provers = ids.len(), jobs, "epoch expired; released");
        }
        Ok(())
    }

    /// Why `members` no longer describe the chain (`None`: they still do).
    fn members_changed(&self, members: &[CheckpointId]) -> Result<Option<String>, NodeError> {
        for m in members {
            let on_chain = self.archive.checkpoint(CheckpointNumber(m.number))?;
            if on_chain.as_ref().map(CheckpointId::of) != Some(*m) {
                return Ok(Some(format!("checkpoint {m} is no longer on the chain")));
            }
            if self.store.get(m).is_none() {
                return Ok(Some(format!("checkpoint {m} is no longer registered")));
            }
        }
        Ok(None)
    }

    fn step_session(&mut self, id: u64, synced: Option<Slot>) -> Result<(), NodeError> {
        let s = self.sessions[&id].clone();
        let _span = info_span!("session", session = id, epoch = s.epoch).entered();
        if self.expired(s.epoch, synced) {
            return self.end_session(
                id,
                SessionState::TimedOut,
                Some("the submission window closed".into()),
            );
        }
        if s.state == SessionState::Publishing {
            return Ok(()); // the publisher reports the outcome
        }
        let proven = self.archive.tips()?.proven.get();
        if proven >= s.to() {
            return self.end_session(
                id,
                SessionState::Superseded,
                Some(format!(
                    "checkpoints up to {proven} are already proven on L1"
                )),
            );
        }
        if let Some(reason) = self.members_changed(&s.members)? {
            return self.end_session(id, SessionState::Cancelled, Some(reason));
        }
        match s.state {
            SessionState::AwaitingCheckpoints => {
                let mut all_proven = true;
                for (i, m) in s.members.iter().enumerate() {
                    match &self.store.get(m).expect("checked above").status {
                        ProverStatus::Proven => {}
                        ProverStatus::Proving => all_proven = false,
                        ProverStatus::Unprovable { reason } => {
                            self.end_session(id, SessionState::Failed, Some(reason.clone()))?;
                            if s.kind == SessionKind::Full && i > 0 {
                                self.salvage_prefix(s.epoch, s.members[i - 1].number)?;
                            }
                            return Ok(());
                        }
                        ProverStatus::Failed { error } => {
                            return self.end_session(
                                id,
                                SessionState::Failed,
                                Some(format!("checkpoint {m}: {error}")),
                            );
                        }
                    }
                }
                if all_proven {
                    self.submit_epoch_job(id)?;
                }
                Ok(())
            }
            SessionState::AwaitingRoot => {
                let job = s.epoch_job.expect("an awaiting-root session has its job");
                match self.broker.status(&job)?.map(|j| j.state) {
                    Some(JobState::Done) => {
                        let rec = self.sessions.get_mut(&id).expect("live");
                        rec.proof_ready_ms = Some(now_ms());
                        rec.state = SessionState::Publishing;
                        let rec = rec.clone();
                        self.db.put_session(&rec)?;
                        info!(
                            from = rec.from(),
                            to = rec.to(),
                            "epoch proof ready; publishing"
                        );
                        self.enqueue_publish(id)
                    }
                    Some(JobState::Failed { error }) => {
                        self.end_session(id, SessionState::Failed, Some(error))
                    }
                    Some(JobState::Cancelled) | None => self.submit_epoch_job(id),
                    _ => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// Once an epoch failed on an unprovable checkpoint, proves the checkpoints before it (up
    /// to `to`) in a partial session: the prune at the window's end then takes only the
    /// unprovable checkpoint and what follows it, not the honest ones before.
    fn salvage_prefix(&mut self, epoch: u64, to: u64) -> Result<(), NodeError> {
        match self.start_proof(epoch, Some(to)) {
            Ok(session) => {
                info!(
                    session,
                    epoch, to, "proving the checkpoints before the unprovable one on their own"
                );
                Ok(())
            }
            Err(NodeError::Refused(why)) => {
                info!(epoch, to, %why, "the checkpoints before the unprovable one are not proven on their own");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn submit_epoch_job(&mut self, id: u64) -> Result<(), NodeError> {
        let first_leaf = self.sessions[&id]
            .members
            .iter()
            .filter_map(|m| self.store.get(m).and_then(|r| r.proven_ms))
            .min();
        let rec = self.sessions.get_mut(&id).expect("live session");
        if rec.first_leaf_proven_ms.is_none() {
            rec.first_leaf_proven_ms = first_leaf;
        }
        let job = epoch_job(rec.epoch, &rec.members);
        self.broker.submit(JobSpec {
            id: job,
            kind: "epoch".into(),
            epoch: rec.epoch,
            rank: EPOCH_RANK,
            input: JobInput::Epoch {
                epoch: rec.epoch,
                members: rec.members.clone(),
            }
            .encode(),
        })?;
        if rec.state == SessionState::AwaitingCheckpoints {
            let now = now_ms();
            rec.leaves_ready_ms = Some(now);
            rec.state = SessionState::AwaitingRoot;
            info!(session = id, epoch = rec.epoch, job = %job, "every checkpoint proven; building the epoch proof");
        }
        rec.epoch_job = Some(job);
        let rec = rec.clone();
        self.db.put_session(&rec)
    }

    fn enqueue_publish(&mut self, id: u64) -> Result<(), NodeError> {
        let s = &self.sessions[&id];
        let job = s.epoch_job.expect("a publishing session has its job");
        match self.broker.output(&job)? {
            Some(proof) => {
                self.outbox.push(PublishRequest {
                    session: id,
                    epoch: s.epoch,
                    from: s.from(),
                    to: s.to(),
                    proof,
                });
                Ok(())
            }
            None => self.end_session(
                id,
                SessionState::Failed,
                Some("the epoch proof is gone from the broker".into()),
            ),
        }
    }

    fn open_full_sessions(&mut self, synced: Option<Slot>, proven: u64) -> Result<(), NodeError> {
        let Some(synced) = synced else {
            return Ok(());
        };
        let epochs: BTreeSet<u64> = self.store.iter().map(|r| r.epoch).collect();
        for epoch in epochs {
            let e = EpochNumber(epoch);
            if self.expired(epoch, Some(synced)) {
                continue; // too late
            }
            let live_full = self
                .sessions
                .values()
                .any(|s| s.epoch == epoch && s.kind == SessionKind::Full && !s.state.is_terminal());
            if live_full {
                continue;
            }
            let on_chain = self.archive.checkpoints_of_epoch(e)?;
            if !self.epoch_complete(epoch, Some(synced), &on_chain) {
                continue; // not complete on L1 yet
            }
            // The epoch is over on L1, so it is fully proven once its last checkpoint is.
            if on_chain.last().is_some_and(|c| c.number.get() <= proven) {
                continue;
            }
            let members: Vec<CheckpointId> = on_chain.iter().map(CheckpointId::of).collect();
            if members.is_empty() || members.iter().any(|m| self.store.get(m).is_none()) {
                continue;
            }
            let settled = self.sessions.values().rev().any(|s| {
                s.epoch == epoch
                    && s.members == members
                    && match s.state {
                        // Its failure is a property of this checkpoint set.
                        SessionState::Failed => true,
                        // Landed (by us, or by another prover first); only an L1 reorg that
                        // removes it (the proven tip moving back below it) publishes the epoch
                        // again.
                        SessionState::Completed | SessionState::Superseded => !s.reverted,
                        // A dry run estimates each checkpoint set once.
                        SessionState::Estimated => true,
                        _ => false,
                    }
            });
            if settled {
                continue;
            }
            let live = self.live_sessions();
            if live >= self.config.max_pending_sessions {
                tracing::debug!(epoch, live, "session limit reached; epoch waits");
                continue;
            }
            self.create_session(epoch, SessionKind::Full, members)?;
        }
        Ok(())
    }

    fn create_session(
        &mut self,
        epoch: u64,
        kind: SessionKind,
        members: Vec<CheckpointId>,
    ) -> Result<u64, NodeError> {
        let id = self.db.next_session_id()?;
        let rec = SessionRecord {
            id,
            epoch,
            kind,
            members,
            state: SessionState::AwaitingCheckpoints,
            reason: None,
            epoch_job: None,
            created_ms: now_ms(),
            leaves_ready_ms: None,
            first_leaf_proven_ms: None,
            proof_ready_ms: None,
            finished_ms: None,
            landed: None,
            seen_on_l1: false,
            reverted: false,
        };
        self.db.put_session(&rec)?;
        info!(
            session = id,
            epoch,
            ?kind,
            from = rec.from(),
            to = rec.to(),
            "session opened"
        );
        self.sessions.insert(id, rec);
        self.step_session(id, self.synced_slot()?)?;
        Ok(id)
    }

    /// Requests a proof of `epoch`'s first checkpoints up to `to` (default: the last one on
    /// the chain so far). Returns the session id at once; a live session over the same range
    /// is reused.
    pub fn start_proof(&mut self, epoch: u64, to: Option<u64>) -> Result<u64, NodeError> {
        let on_chain = self.archive.checkpoints_of_epoch(EpochNumber(epoch))?;
        let Some(last) = on_chain.last() else {
            return Err(NodeError::Refused(format!(
                "epoch {epoch} has no checkpoints"
            )));
        };
        if self.expired(epoch, self.synced_slot()?) {
            return Err(NodeError::Refused(format!(
                "epoch {epoch} is past its submission window"
            )));
        }
        let to = to.unwrap_or(last.number.get());
        let members: Vec<CheckpointId> = on_chain
            .iter()
            .take_while(|c| c.number.get() <= to)
            .map(CheckpointId::of)
            .collect();
        if members.last().map(|m| m.number) != Some(to) {
            return Err(NodeError::Refused(format!(
                "checkpoint {to} is not in epoch {epoch} (its checkpoints are {}..={})",
                on_chain[0].number.get(),
                last.number.get()
            )));
        }
        if self.archive.tips()?.proven.get() >= to {
            return Err(NodeError::Refused(format!(
                "checkpoints up to {to} are already proven"
            )));
        }
        if let Some(s) = self
            .sessions
            .values()
            .find(|s| !s.state.is_terminal() && s.members == members)
        {
            return Ok(s.id);
        }
        if let Some(missing) = members.iter().find(|m| self.store.get(m).is_none()) {
            return Err(NodeError::Refused(format!(
                "checkpoint {missing} is not registered yet"
            )));
        }
        let live = self.live_sessions();
        if live >= self.config.max_pending_sessions {
            return Err(NodeError::Refused(format!(
                "{live} sessions are live, the limit is {}",
                self.config.max_pending_sessions
            )));
        }
        let kind = if to == last.number.get()
            && self.epoch_complete(epoch, self.synced_slot()?, &on_chain)
        {
            SessionKind::Full
        } else {
            SessionKind::Partial
        };
        self.create_session(epoch, kind, members)
    }

    /// Withdraws a live session (an operator's cancel).
    pub fn cancel_session(&mut self, id: u64, reason: &str) -> Result<(), NodeError> {
        if !self.sessions.contains_key(&id) {
            return Err(NodeError::Refused(format!("no session {id}")));
        }
        self.end_session(id, SessionState::Cancelled, Some(reason.to_string()))
    }

    /// Metrics of a landed proof: cost, latency and the slack left before the deadline.
    fn record_landing(&self, id: u64, landed: &Landed) {
        metrics::counter!("vouch_epoch_proofs_landed_total").increment(1);
        metrics::counter!("vouch_l1_gas_used_total").increment(landed.gas);
        metrics::counter!("vouch_l1_fees_gwei_total")
            .increment((landed.fee_wei / 1_000_000_000) as u64);
        metrics::counter!("vouch_l1_tx_replacements_total").increment(landed.replacements.into());
        metrics::counter!("vouch_l1_txs_total").increment(landed.txs as u64);
        if let Some(latency) = landed.latency_s() {
            metrics::histogram!("vouch_epoch_latency_seconds").record(latency as f64);
        }
        let deadline = self.sessions.get(&id).and_then(|s| {
            self.constants
                .proof_submission_deadline_timestamp(EpochNumber(s.epoch))
        });
        if let Some(deadline) = deadline {
            let slack = deadline as f64 - landed.l1_timestamp as f64;
            metrics::histogram!("vouch_deadline_slack_seconds").record(slack);
            metrics::gauge!("vouch_last_deadline_slack_seconds").set(slack);
        }
    }

    /// Records how publishing a session ended.
    pub fn on_published(&mut self, id: u64, outcome: PublishOutcome) -> Result<(), NodeError> {
        match outcome {
            PublishOutcome::Published(landed) => {
                self.record_landing(id, &landed);
                if let Some(s) = self.sessions.get_mut(&id) {
                    s.landed = Some(landed);
                }
                // The epoch's jobs stay until it expires: an L1 reorg that removes the
                // submission must find the proof again.
                self.end_session(id, SessionState::Completed, None)?;
            }
            PublishOutcome::Superseded(r) => {
                metrics::counter!("vouch_lost_races_total").increment(1);
                self.end_session(id, SessionState::Superseded, Some(r))?
            }
            PublishOutcome::TimedOut(r) => self.end_session(id, SessionState::TimedOut, Some(r))?,
            PublishOutcome::Failed(r) => self.end_session(id, SessionState::Failed, Some(r))?,
            PublishOutcome::DryRun {
                txs,
                gas,
                max_fee_wei,
            } => self.end_session(
                id,
                SessionState::Estimated,
                Some(format!(
                    "dry run: {txs} transactions, {gas} gas, at most {max_fee_wei} wei"
                )),
            )?,
        }
        self.reconcile()
    }
}
