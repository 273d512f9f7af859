//! The node's decisions against an in-memory L1 (a real archive and block stream over memory
//! tables), an in-memory broker and state tree, real STF execution, and the insecure fake
//! backend (orchestration only: proofs are tested in `vouch-prover` and on anvil).

use crate::core::{CoreConfig, NodeCore};
use crate::db::{Identity, NodeDb};
use crate::model::{ProverStatus, PublishOutcome, PublishRequest, SessionKind, SessionState};
use crate::runner::{ProofRunner, RunnerStats};
use crate::{CheckpointId, NodeError};
use alloy::primitives::{Address, B256, keccak256};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use vouch_archiver::archive::{L1BlockEvents, RollupEvent};
use vouch_archiver::kv::MemoryKv;
use vouch_archiver::model::{ArchivedCheckpoint, ArchivedDeposit, ArchivedProof};
use vouch_archiver::{Archive, ChainEvent, L2BlockSource, L2BlockStream, StreamHandler};
use vouch_broker::{BrokerConfig, JobRunner, JobState, KvBroker, ProvingBroker};
use vouch_l1_contracts::statement::l1_header;
use vouch_primitives::{CheckpointNumber, EpochNumber, L1RollupConstants, Slot};
use vouch_prover::backend::BackendChoice;
use vouch_prover::circuit::CheckpointWitness;
use vouch_prover::fixture::{self, FixtureSpec};
use vouch_prover::proof::EpochStatement;
use vouch_rollup::checkpoint::{CheckpointContext, execute_checkpoint};
use vouch_rollup::genesis::{Genesis, GenesisRoots};
use vouch_rollup::state::{MemoryStore, StateOverlay, VersionedStore};
use vouch_storage::Kv;

/// Fixture checkpoint k sits at slot 100 + 2k; with 8-slot epochs: k = 1 is epoch 12,
/// k = 2..=5 epoch 13, k = 6..=9 epoch 14, k = 10..=13 epoch 15.
const EPOCH_DURATION: u64 = 8;

fn constants() -> L1RollupConstants {
    L1RollupConstants {
        l1_start_block: 0,
        genesis_time: fixture::GENESIS_TIME,
        slot_duration: fixture::SLOT_DURATION,
        epoch_duration: EPOCH_DURATION,
        proof_submission_epochs: 1,
    }
}

fn slot_ts(slot: u64) -> u64 {
    fixture::GENESIS_TIME + fixture::SLOT_DURATION * slot
}

fn fixture_genesis() -> Genesis {
    // The fixture's genesis (see `vouch_prover::fixture::build`).
    vouch_rollup::genesis::devnet_genesis(Address::repeat_byte(0xfe), 7, 4, 1 << 40)
}

fn witnesses(n: usize) -> (GenesisRoots, Vec<CheckpointWitness>) {
    let fx = fixture::build(FixtureSpec {
        accounts: 4,
        checkpoints: n,
        blocks: 1,
        transfers_per_block: 2,
        deposits_per_block: 1,
        seed: 11,
        vary: false,
    });
    (fx.genesis, fx.checkpoints)
}

fn archived(w: &CheckpointWitness, l1_block: u64) -> ArchivedCheckpoint {
    ArchivedCheckpoint::from_l1(
        &l1_header(w),
        w.body.encode().into(),
        l1_block,
        B256::ZERO,
        B256::ZERO,
    )
}

/// Re-executes `w`'s body at another slot on top of `chain` (its predecessors): a reorg
/// replacement with other content at the same number.
fn replacement(
    genesis: &Genesis,
    chain: &[CheckpointWitness],
    w: &CheckpointWitness,
    slot: u64,
) -> CheckpointWitness {
    let store = MemoryStore::default();
    genesis.commit(&store).unwrap();
    for (i, c) in chain.iter().enumerate() {
        let mut state = StateOverlay::new(&store, Some(i as u64));
        execute_checkpoint(&mut state, &c.ctx, &c.body, &c.deposits).unwrap();
        state.commit(i as u64 + 1).unwrap();
    }
    let ctx = CheckpointContext {
        slot: Slot(slot),
        timestamp: slot_ts(slot),
        ..w.ctx
    };
    let mut state = StateOverlay::new(&store, Some(chain.len() as u64));
    let execution = execute_checkpoint(&mut state, &ctx, &w.body, &w.deposits).unwrap();
    CheckpointWitness {
        ctx,
        body: w.body.clone(),
        deposits: w.deposits.clone(),
        deposit_accumulator: w.deposit_accumulator,
        execution,
    }
}

struct CoreRef<'a>(&'a mut NodeCore<MemoryKv, MemoryStore>);

impl StreamHandler for CoreRef<'_> {
    type Error = NodeError;
    async fn handle(&mut self, event: ChainEvent) -> Result<(), NodeError> {
        self.0.handle(event)
    }
}

struct Harness {
    kv: Arc<MemoryKv>,
    archive: Archive<MemoryKv>,
    state: Arc<MemoryStore>,
    broker: Arc<dyn ProvingBroker>,
    core: NodeCore<MemoryKv, MemoryStore>,
    genesis: Genesis,
    roots: GenesisRoots,
    w: Vec<CheckpointWitness>,
    /// Next L1 block number, and a fork counter so replaced blocks get new hashes.
    l1: u64,
    fork: u64,
    stats: Arc<RunnerStats>,
    proven_at_start: HashSet<CheckpointId>,
    published: Vec<PublishRequest>,
}

fn open_core(
    kv: &Arc<MemoryKv>,
    archive: &Archive<MemoryKv>,
    state: &Arc<MemoryStore>,
    broker: &Arc<dyn ProvingBroker>,
    genesis: &Genesis,
    roots: GenesisRoots,
) -> Result<NodeCore<MemoryKv, MemoryStore>, NodeError> {
    NodeCore::open(
        archive.clone(),
        NodeDb::new(kv.clone()),
        state.clone(),
        broker.clone(),
        (genesis, roots),
        CoreConfig {
            max_pending_sessions: 10,
            l2_chain_id: fixture::CHAIN_ID,
            prove_at_epoch_end: false,
        },
    )
}

impl Harness {
    fn new(checkpoints: usize) -> Self {
        let (roots, w) = witnesses(checkpoints);
        let kv = Arc::new(MemoryKv::default());
        let archive = Archive::new(kv.clone(), constants());
        let state = Arc::new(MemoryStore::default());
        let broker: Arc<dyn ProvingBroker> =
            Arc::new(KvBroker::new(kv.clone(), BrokerConfig::default()));
        let genesis = fixture_genesis();
        assert_eq!(
            genesis.roots(),
            roots,
            "the harness mirrors the fixture's genesis"
        );
        let core = open_core(&kv, &archive, &state, &broker, &genesis, roots).unwrap();
        Self {
            kv,
            archive,
            state,
            broker,
            core,
            genesis,
            roots,
            w,
            l1: 1,
            fork: 0,
            stats: Arc::new(RunnerStats::default()),
            proven_at_start: HashSet::new(),
            published: Vec::new(),
        }
    }

    fn block(&mut self, ts: u64, events: Vec<RollupEvent>) -> u64 {
        let number = self.l1;
        self.l1 += 1;
        let hash = keccak256([number.to_be_bytes(), self.fork.to_be_bytes()].concat());
        self.archive
            .apply(
                &[L1BlockEvents {
                    number,
                    hash,
                    events,
                }],
                (number, hash, ts),
                None,
            )
            .unwrap();
        number
    }

    /// Proposes checkpoints `k` (1-based) of the fixture, one L1 block each; returns the
    /// block of the first.
    fn propose(&mut self, ks: std::ops::RangeInclusive<usize>) -> u64 {
        let mut first = None;
        for k in ks {
            let w = self.w[k - 1].clone();
            first.get_or_insert(self.l1);
            self.propose_witness(&w, |_| {});
        }
        first.expect("at least one checkpoint")
    }

    fn propose_witness(
        &mut self,
        w: &CheckpointWitness,
        tamper: impl FnOnce(&mut ArchivedCheckpoint),
    ) -> u64 {
        let mut events: Vec<RollupEvent> = w
            .deposits
            .iter()
            .map(|d| RollupEvent::Deposit(ArchivedDeposit::of(d, self.l1)))
            .collect();
        let mut cp = archived(w, self.l1);
        tamper(&mut cp);
        events.push(RollupEvent::Proposed(Box::new(cp)));
        self.block(w.ctx.timestamp, events)
    }

    fn advance_to_slot(&mut self, slot: u64) {
        self.block(slot_ts(slot), vec![]);
    }

    fn prove_on_l1(&mut self, epoch: u64, from: u64, to: u64, slot: u64) {
        let l1_block = self.l1;
        self.block(
            slot_ts(slot),
            vec![RollupEvent::Proven(ArchivedProof {
                epoch: EpochNumber(epoch),
                from: CheckpointNumber(from),
                to: CheckpointNumber(to),
                prover: Address::repeat_byte(1),
                l1_block,
            })],
        );
    }

    /// An L1 reorg back to block `ancestor`.
    fn reorg_to(&mut self, ancestor: u64) {
        self.archive.unwind_to(ancestor).unwrap();
        self.l1 = ancestor + 1;
        self.fork += 1;
    }

    async fn sync(&mut self) {
        let stream = L2BlockStream::new(self.archive.clone(), "node");
        stream.pass(&mut CoreRef(&mut self.core)).await.unwrap();
        self.core.reconcile().unwrap();
        self.published.extend(self.core.take_publish_requests());
    }

    fn runner(&self) -> ProofRunner<MemoryKv, MemoryStore> {
        ProofRunner {
            archive: self.archive.clone(),
            db: NodeDb::new(self.kv.clone()),
            state: self.state.clone(),
            state_lock: self.core.state_lock.clone(),
            backend: Arc::from(BackendChoice::InsecureFake.build()),
            l2_chain_id: fixture::CHAIN_ID,
            prover: alloy::primitives::Address::ZERO,
            proven_at_start: self.proven_at_start.clone(),
            stats: self.stats.clone(),
            throttle: std::time::Duration::ZERO,
            epoch_gate: None,
        }
    }

    /// Runs every queued job (leaves, then the epoch proofs they unlock) and reconciles.
    fn prove_all(&mut self) -> usize {
        let runner = self.runner();
        let mut total = 0;
        loop {
            let mut ran = 0;
            while let Some(job) = self.broker.lease("test").unwrap() {
                match runner.run(&job) {
                    Ok(out) => {
                        self.broker.complete(&job.record.id, "test", out).unwrap();
                    }
                    Err(e) => {
                        self.broker
                            .fail(&job.record.id, "test", &e.message, e.retryable)
                            .unwrap();
                    }
                }
                ran += 1;
            }
            self.core.reconcile().unwrap();
            self.published.extend(self.core.take_publish_requests());
            if ran == 0 {
                return total;
            }
            total += ran;
        }
    }

    /// Runs only the queued leaf jobs.
    fn prove_leaves(&mut self) -> usize {
        let runner = self.runner();
        let mut ran = 0;
        let mut skipped = Vec::new();
        while let Some(job) = self.broker.lease("test").unwrap() {
            if job.record.kind != "checkpoint" {
                skipped.push(job.record.id);
                continue;
            }
            let out = runner.run(&job).unwrap();
            self.broker.complete(&job.record.id, "test", out).unwrap();
            ran += 1;
        }
        // Put the epoch jobs back as a lease expiry would.
        self.broker.release_leases("test").unwrap();
        self.core.reconcile().unwrap();
        self.published.extend(self.core.take_publish_requests());
        ran
    }

    fn leaves_proven(&self) -> u64 {
        self.stats.leaves_proven.load(Ordering::SeqCst)
    }

    /// The broker state of registered checkpoint `k`'s leaf job (`None`: no job).
    fn leaf_job_state(&self, k: u64) -> Option<JobState> {
        let c = self
            .core
            .checkpoints()
            .into_iter()
            .find(|c| c.id.number == k)
            .expect("registered");
        self.broker
            .status(&c.id.leaf_job())
            .unwrap()
            .map(|j| j.state)
    }

    fn status_of(&self, k: u64) -> Option<ProverStatus> {
        self.core
            .checkpoints()
            .into_iter()
            .find(|c| c.id.number == k)
            .map(|c| c.status)
    }

    fn sessions_of(&self, epoch: u64) -> Vec<crate::SessionRecord> {
        self.core
            .sessions()
            .into_iter()
            .filter(|s| s.epoch == epoch)
            .collect()
    }

    fn published_for(&self, epoch: u64) -> Vec<(u64, u64)> {
        self.published
            .iter()
            .filter(|r| r.epoch == epoch)
            .map(|r| (r.from, r.to))
            .collect()
    }

    /// Checks a published epoch proof against the statement of the fixture's checkpoints.
    fn verify_published(&self, epoch: u64, members: &[CheckpointWitness]) {
        let request = self
            .published
            .iter()
            .rev()
            .find(|r| r.epoch == epoch)
            .expect("published");
        let backend = BackendChoice::InsecureFake.build();
        let statement =
            EpochStatement::of(epoch, members, alloy::primitives::Address::ZERO).unwrap();
        backend.verify_epoch(&statement, &request.proof).unwrap();
    }
}

#[tokio::test]
async fn a_checkpoint_starts_proving_the_moment_it_lands_mid_epoch() {
    let mut h = Harness::new(3);
    h.propose(1..=3);
    h.sync().await;
    // Epoch 13 (checkpoints 2, 3) is still running: no session, but both are proving.
    assert!(h.sessions_of(13).is_empty());
    for k in 2..=3u64 {
        assert_eq!(h.status_of(k), Some(ProverStatus::Proving));
        assert_eq!(h.leaf_job_state(k), Some(JobState::Queued));
    }
    assert_eq!(h.prove_leaves(), 3);
    assert_eq!(h.status_of(3), Some(ProverStatus::Proven));
    let synced = h.archive.synced_l2_slot().unwrap().unwrap();
    assert_eq!(
        constants().epoch_at_slot(synced).get(),
        13,
        "proven before epoch 13 ended"
    );
    // Epoch 12 (checkpoint 1) was complete: its session ran.
    assert_eq!(h.published_for(12), vec![]);
    h.prove_all();
    assert_eq!(h.published_for(12), vec![(1, 1)]);
}

#[tokio::test]
async fn the_prove_at_epoch_end_baseline_waits_for_the_epoch_to_end() {
    let mut h = Harness::new(3);
    h.core.config_mut().prove_at_epoch_end = true;
    h.propose(1..=3);
    h.sync().await;
    // Epoch 12 (checkpoint 1) is complete: proving. Epoch 13 (2, 3) is open: registered, no
    // job yet.
    for k in 2..=3u64 {
        assert_eq!(h.status_of(k), Some(ProverStatus::Proving));
        assert_eq!(h.leaf_job_state(k), None);
    }
    assert_eq!(h.prove_leaves(), 1);
    h.sync().await;
    assert_eq!(h.prove_leaves(), 0, "epoch 13 still open");
    let next = constants().first_slot_of_epoch(EpochNumber(14)).unwrap();
    h.advance_to_slot(next.get());
    h.sync().await;
    assert_eq!(h.prove_leaves(), 2, "queued once epoch 13 ended");
    h.sync().await;
    assert_eq!(h.status_of(3), Some(ProverStatus::Proven));
}

#[tokio::test]
async fn a_complete_epoch_is_proven_and_published_once() {
    let (mut h, _) = Harness::epoch_13_publishing().await;
    assert_eq!(h.published_for(13), vec![(2, 5)]);
    h.verify_published(13, &h.w[1..5]);
    let session = h.sessions_of(13).pop().unwrap();
    assert_eq!(session.state, SessionState::Publishing);
    assert!(session.first_leaf_proven_ms.is_some() && session.proof_ready_ms.is_some());
    // Delivered again (at least once): nothing new.
    h.sync().await;
    h.prove_all();
    assert_eq!(h.published_for(13).len(), 1);
    // It lands in the next L1 block (where `prove_on_l1` below puts its event).
    let landing = h.l1;
    h.core.on_published(session.id, landed(landing)).unwrap();
    h.prove_all();
    assert_eq!(
        h.sessions_of(13).len(),
        1,
        "a landed proof is not published again"
    );
    h.prove_on_l1(13, 2, 5, 113);
    h.sync().await;
    h.prove_all();
    let sessions = h.sessions_of(13);
    assert_eq!(sessions.len(), 1, "a proven epoch gets no new session");
    assert_eq!(sessions[0].state, SessionState::Completed);
    assert!(sessions[0].seen_on_l1);
    assert_eq!(
        h.leaves_proven(),
        4,
        "epoch 12 expired at slot 112: only 13's leaves"
    );
    // An L1 reorg removes the submission while the window is open: the same session
    // publishes again (its journalled transactions), from the stored proof.
    h.reorg_to(landing - 1);
    h.advance_to_slot(114);
    h.sync().await;
    h.prove_all();
    let sessions = h.sessions_of(13);
    assert_eq!(sessions.len(), 1, "no new session for the same checkpoints");
    assert_eq!(sessions[0].state, SessionState::Publishing);
    assert!(!sessions[0].seen_on_l1 && !sessions[0].reverted);
    assert_eq!(h.published_for(13), vec![(2, 5), (2, 5)]);
    assert_eq!(
        h.stats.epochs_proven.load(Ordering::SeqCst),
        1,
        "the proof is reused"
    );
}

/// What the publisher reports for a proof that landed in `l1_block`.
fn landed(l1_block: u64) -> PublishOutcome {
    PublishOutcome::Published(crate::model::Landed {
        l1_block,
        l1_timestamp: slot_ts(113),
        tx: B256::ZERO,
        gas: 1,
        txs: 1,
        fee_wei: 1,
        replacements: 0,
        checkpoint_l1_timestamp: 0,
    })
}

impl Harness {
    /// Epoch 13's five checkpoints proposed, its epoch ended, everything proven: its one
    /// session is publishing.
    async fn epoch_13_publishing() -> (Self, crate::SessionRecord) {
        let mut h = Harness::new(5);
        h.propose(1..=5);
        h.advance_to_slot(112);
        h.sync().await;
        h.prove_all();
        let session = h.sessions_of(13).pop().unwrap();
        (h, session)
    }
}

#[tokio::test]
async fn a_landing_the_archive_never_shows_is_published_again() {
    let (mut h, session) = Harness::epoch_13_publishing().await;
    // Reported landed in a block the archive has not reached: wait for it.
    let ahead = h.l1 + 1;
    h.core.on_published(session.id, landed(ahead)).unwrap();
    h.sync().await;
    assert_eq!(h.sessions_of(13)[0].state, SessionState::Completed);
    // The archive passes that block without the proof in it (a reorg took it before the
    // node saw it): the same session publishes again, once.
    h.advance_to_slot(113);
    h.advance_to_slot(114);
    h.sync().await;
    h.sync().await;
    let sessions = h.sessions_of(13);
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].state, SessionState::Publishing);
    assert_eq!(h.published_for(13), vec![(2, 5), (2, 5)]);
    // Past the window it is not sent again, and no new session opens.
    let landing = h.l1;
    h.core.on_published(session.id, landed(landing)).unwrap();
    let deadline = constants()
        .first_slot_of_epoch(EpochNumber(15))
        .unwrap()
        .get();
    h.advance_to_slot(deadline + 1);
    h.sync().await;
    h.prove_all();
    assert_eq!(h.published_for(13).len(), 2);
}

#[tokio::test]
async fn a_lost_race_does_not_reopen_the_epoch() {
    let (mut h, session) = Harness::epoch_13_publishing().await;
    h.core
        .on_published(
            session.id,
            PublishOutcome::Superseded("lost the race: the proven tip is 5".into()),
        )
        .unwrap();
    // The archive has not seen the other prover's EpochProven yet.
    h.sync().await;
    h.prove_all();
    let sessions = h.sessions_of(13);
    assert_eq!(sessions.len(), 1, "no churn of new sessions");
    assert_eq!(sessions[0].state, SessionState::Superseded);
    assert_eq!(h.published_for(13).len(), 1);
}

#[tokio::test]
async fn the_same_checkpoint_delivered_twice_changes_nothing() {
    let mut h = Harness::new(2);
    h.propose(1..=2);
    let cp = h.archive.checkpoint(CheckpointNumber(2)).unwrap().unwrap();
    for _ in 0..2 {
        h.core
            .handle(ChainEvent::ChainCheckpointed {
                checkpoint: Box::new(cp.clone()),
            })
            .unwrap();
    }
    h.sync().await;
    assert_eq!(h.core.checkpoints().len(), 2);
    assert_eq!(h.broker.jobs().unwrap().len(), 2);
    assert_eq!(h.state.latest_version().unwrap(), Some(2));
}

#[tokio::test]
async fn a_mid_epoch_prune_without_replacement_proves_the_survivors_and_reuses_their_proofs() {
    let mut h = Harness::new(5);
    h.propose(1..=3);
    let fourth = h.propose(4..=5);
    h.sync().await;
    assert_eq!(h.prove_leaves(), 5);
    h.reorg_to(fourth - 1);
    h.sync().await;
    assert_eq!(h.status_of(4), None, "pruned provers are removed");
    assert_eq!(
        h.state.latest_version().unwrap(),
        Some(3),
        "state rolled back"
    );
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_all();
    assert_eq!(h.published_for(13), vec![(2, 3)]);
    h.verify_published(13, &h.w[1..3]);
    assert_eq!(
        h.leaves_proven(),
        5,
        "the survivors' leaf proofs are reused"
    );
}

#[tokio::test]
async fn a_mid_epoch_replacement_coexists_then_replaces_the_orphan() {
    let mut h = Harness::new(5);
    h.propose(1..=3);
    let fourth = h.propose(4..=5);
    h.sync().await;
    h.prove_leaves();
    let orphan = h
        .core
        .checkpoints()
        .into_iter()
        .find(|c| c.id.number == 4)
        .unwrap()
        .id;
    h.reorg_to(fourth - 1);
    let replaced = replacement(&h.genesis, &h.w[..3], &h.w[3], 109);
    h.propose_witness(&replaced, |_| {});
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_all();
    let fourth_now = h
        .core
        .checkpoints()
        .into_iter()
        .find(|c| c.id.number == 4)
        .unwrap();
    assert_ne!(fourth_now.id, orphan);
    assert_eq!(fourth_now.id.slot, 109);
    assert_eq!(h.published_for(13), vec![(2, 4)]);
    let mut members = h.w[1..3].to_vec();
    members.push(replaced);
    h.verify_published(13, &members);
    assert_eq!(
        h.leaves_proven(),
        6,
        "one new leaf (the replacement), the rest reused"
    );
}

#[tokio::test]
async fn a_prune_while_the_epoch_proof_runs_cancels_and_rebuilds_from_the_survivors() {
    let mut h = Harness::new(5);
    h.propose(1..=4);
    let last_slot = h.propose(5..=5); // checkpoint 5: epoch 13's last slot (110)
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_leaves(); // leaves done, epoch 13's proof job queued but not run
    let first = h.sessions_of(13).pop().unwrap();
    assert_eq!(first.state, SessionState::AwaitingRoot);
    let job = first.epoch_job.unwrap();
    h.reorg_to(last_slot - 1);
    h.sync().await;
    let first = h
        .sessions_of(13)
        .into_iter()
        .find(|s| s.id == first.id)
        .unwrap();
    assert_eq!(first.state, SessionState::Cancelled);
    assert_eq!(
        h.broker.status(&job).unwrap().unwrap().state,
        JobState::Cancelled
    );
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_all();
    assert_eq!(h.published_for(13), vec![(2, 4)]);
    assert_eq!(
        h.leaves_proven(),
        4,
        "no leaf proven twice (epoch 12 expired at 112)"
    );
}

#[tokio::test]
async fn a_prune_of_the_last_slot_checkpoint_proves_the_rest_of_the_epoch() {
    let mut h = Harness::new(5);
    h.propose(1..=4);
    // Checkpoint 5 lands in epoch 13's last slot (111).
    let in_last_slot = replacement(&h.genesis, &h.w[..4], &h.w[4], 111);
    let last = h.propose_witness(&in_last_slot, |_| {});
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_leaves();
    assert_eq!(h.sessions_of(13)[0].to(), 5);
    h.reorg_to(last - 1);
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_all();
    let sessions = h.sessions_of(13);
    assert_eq!(sessions[0].state, SessionState::Cancelled);
    assert_eq!(h.published_for(13), vec![(2, 4)]);
    assert_eq!(h.leaves_proven(), 4, "the survivors' proofs are reused");
}

#[tokio::test]
async fn every_checkpoint_pruned_cancels_and_publishes_nothing() {
    let mut h = Harness::new(5);
    h.propose(1..=1);
    let second = h.propose(2..=5);
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_leaves();
    assert_eq!(h.sessions_of(13).len(), 1);
    h.reorg_to(second - 1);
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_all();
    assert!(h.published_for(13).is_empty());
    let sessions = h.sessions_of(13);
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].state, SessionState::Cancelled);
    assert!(sessions[0].reason.as_deref().unwrap().contains("pruned"));
}

#[tokio::test]
async fn proven_and_expired_epochs_are_not_proven_again() {
    let mut h = Harness::new(9);
    h.propose(1..=7);
    h.prove_on_l1(13, 2, 5, 114); // epoch 13 fully proven, 12 expired at slot 112
    h.propose(8..=9);
    h.sync().await;
    let registered: Vec<u64> = h.core.checkpoints().iter().map(|c| c.id.number).collect();
    assert_eq!(registered, vec![6, 7, 8, 9]);
    assert_eq!(h.state.latest_version().unwrap(), Some(9), "all executed");
}

#[tokio::test]
async fn a_mid_epoch_proven_tip_restarts_its_epoch() {
    let mut h = Harness::new(5);
    h.propose(1..=3);
    h.prove_on_l1(13, 2, 3, 107); // a partial proof of epoch 13
    h.propose(4..=5);
    h.sync().await;
    let registered: Vec<u64> = h.core.checkpoints().iter().map(|c| c.id.number).collect();
    assert_eq!(
        registered,
        vec![2, 3, 4, 5],
        "epoch 12 is fully proven, 13 starts over"
    );
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_all();
    assert_eq!(
        h.published_for(13),
        vec![(2, 5)],
        "the full epoch extends the partial proof"
    );
}

#[tokio::test]
async fn expiry_releases_everything_held_for_the_epoch() {
    let mut h = Harness::new(5);
    h.propose(1..=5);
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_leaves();
    assert!(!h.broker.jobs().unwrap().is_empty());
    h.advance_to_slot(120); // epoch 15: epoch 13's deadline
    h.sync().await;
    let s = h.sessions_of(13).pop().unwrap();
    assert_eq!(s.state, SessionState::TimedOut);
    assert!(h.core.checkpoints().iter().all(|c| c.epoch > 13));
    assert!(h.broker.jobs().unwrap().iter().all(|j| j.epoch > 13));
    h.prove_all();
    assert!(h.published_for(13).is_empty());
}

#[tokio::test]
async fn a_restart_resumes_with_zero_reproved_leaves() {
    let mut h = Harness::new(5);
    h.propose(1..=5);
    h.sync().await;
    assert_eq!(h.prove_leaves(), 5);
    // "kill -9": the core and runner go; storage stays.
    h.proven_at_start = h
        .core
        .checkpoints()
        .iter()
        .filter(|c| c.status == ProverStatus::Proven)
        .map(|c| c.id)
        .collect();
    assert_eq!(h.proven_at_start.len(), 5);
    h.broker = Arc::new(KvBroker::new(h.kv.clone(), BrokerConfig::default()));
    h.core = open_core(&h.kv, &h.archive, &h.state, &h.broker, &h.genesis, h.roots).unwrap();
    h.stats = Arc::new(RunnerStats::default());
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_all();
    assert_eq!(h.published_for(13), vec![(2, 5)]);
    assert_eq!(h.leaves_proven(), 0);
    assert_eq!(h.stats.leaves_reproved.load(Ordering::SeqCst), 0);
    assert_eq!(h.stats.epochs_proven.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unprovable_checkpoint_fails_its_epoch_and_later_epochs_go_on() {
    let mut h = Harness::new(5);
    h.propose(1..=2);
    h.sync().await;
    h.prove_all();
    assert_eq!(
        h.published_for(12),
        vec![(1, 1)],
        "the epoch before is proven"
    );
    let third = h.l1;
    let w3 = h.w[2].clone();
    h.propose_witness(&w3, |c| {
        c.state_root = B256::repeat_byte(7);
        c.header_hash = B256::repeat_byte(8);
    });
    h.sync().await;
    match h.status_of(3) {
        Some(ProverStatus::Unprovable { reason }) => {
            assert!(reason.contains("state root"), "{reason}")
        }
        other => panic!("checkpoint 3 is {other:?}"),
    }
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_all();
    let sessions = h.sessions_of(13);
    let failed = sessions
        .iter()
        .find(|s| s.kind == SessionKind::Full)
        .unwrap();
    assert_eq!(failed.state, SessionState::Failed);
    assert!(failed.reason.clone().unwrap().contains("state root"));
    // The honest checkpoint before it is proven on its own, so the prune does not take it.
    let salvage = sessions
        .iter()
        .find(|s| s.kind == SessionKind::Partial)
        .expect("a partial session for the prefix");
    assert_eq!((salvage.from(), salvage.to()), (2, 2));
    assert_eq!(h.published_for(13), vec![(2, 2)]);
    // Nothing is retried for the same set.
    h.sync().await;
    h.prove_all();
    assert_eq!(h.sessions_of(13).len(), 2);
    // The chain is repaired (a reorg replaces checkpoint 3 with the honest one): the epoch
    // is proven after all.
    h.reorg_to(third - 1);
    h.propose(3..=5);
    h.advance_to_slot(112);
    h.sync().await;
    h.prove_all();
    assert_eq!(h.published_for(13), vec![(2, 2), (2, 5)]);
}

#[tokio::test]
async fn an_operator_can_prove_a_prefix_of_a_running_epoch() {
    let mut h = Harness::new(4);
    h.propose(1..=4);
    h.sync().await;
    let id = h.core.start_proof(13, Some(3)).unwrap();
    assert_eq!(
        h.core.start_proof(13, Some(3)).unwrap(),
        id,
        "the live session is reused"
    );
    assert!(matches!(
        h.core.start_proof(13, Some(9)),
        Err(NodeError::Refused(_))
    ));
    assert!(matches!(
        h.core.start_proof(20, None),
        Err(NodeError::Refused(_))
    ));
    h.prove_all();
    let s = h.sessions_of(13).into_iter().find(|s| s.id == id).unwrap();
    assert_eq!(s.kind, SessionKind::Partial);
    assert_eq!(h.published_for(13), vec![(2, 3)]);
    h.verify_published(13, &h.w[1..3]);
    h.core.cancel_session(id, "test").unwrap();
    assert_eq!(
        h.sessions_of(13)
            .into_iter()
            .find(|s| s.id == id)
            .unwrap()
            .state,
        SessionState::Cancelled,
        "a cancel wins over publishing"
    );
}

#[test]
fn a_datadir_of_another_deployment_is_refused_naming_what_differs() {
    let db = NodeDb::new(Arc::new(MemoryKv::default()));
    let ours = Identity {
        l1_chain_id: 31337,
        rollup: Address::repeat_byte(1),
        l2_chain_id: 5,
        genesis_archive: B256::repeat_byte(2),
    };
    db.check_identity(&ours).unwrap();
    db.check_identity(&ours).unwrap();
    let other = Identity {
        rollup: Address::repeat_byte(9),
        ..ours.clone()
    };
    match db.check_identity(&other) {
        Err(NodeError::WrongDatadir(m)) => assert!(m.contains("rollup"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_corrupt_record_is_refused_at_open() {
    let h = Harness::new(1);
    h.kv.write(vec![(
        vouch_storage::Table::new("node_sessions"),
        7u64.to_be_bytes().to_vec(),
        Some(b"not json".to_vec()),
    )])
    .unwrap();
    let err = open_core(&h.kv, &h.archive, &h.state, &h.broker, &h.genesis, h.roots)
        .err()
        .expect("refused");
    assert!(matches!(err, NodeError::Corrupt(_)), "{err}");
}
