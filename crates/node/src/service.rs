//! The composition root: follower → archive → stream → core, agents and publisher, under one
//! `CancellationToken`, every task tracked.

use crate::NodeError;
use crate::core::{CoreConfig, NodeCore};
use crate::db::{Identity, NodeDb};
use crate::model::{CheckpointId, CheckpointRecord, PublishOutcome, PublishRequest, SessionRecord};
use crate::publisher::{EvmPublisher, Publisher, VerifierMode};
use crate::runner::{ProofRunner, RunnerStats};
use alloy::primitives::Address;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{Instrument, error, info, info_span, warn};
use vouch_archiver::{
    Archive, ChainEvent, ChainTips, FollowerConfig, L1Follower, L2BlockSource, L2BlockStream,
    StreamHandler,
};
use vouch_broker::{
    AgentConfig, BrokerConfig, JobRecord, KvBroker, ProvingBroker, spawn_local_agents,
};
use vouch_primitives::L1RollupConstants;
use vouch_prover::backend::BackendChoice;
use vouch_rollup::genesis::Genesis;
use vouch_state_db::RocksStateStore;
use vouch_storage::RocksKv;

/// Who publishes proofs.
#[derive(Clone, Debug)]
pub enum PublisherChoice {
    /// Nobody: sessions stop at "epoch proof ready" (they time out unless someone else lands
    /// the epoch).
    Disabled,
    /// Publish on the EVM with this key (through `vouch_settlement`).
    Evm {
        /// The prover's key (from a keystore or the environment; never logged).
        signer: PrivateKeySigner,
        /// `None`: the Plonky3 verifier found through the rollup's gateway.
        verifier: Option<VerifierMode>,
        /// Estimate gas and fees instead of sending.
        dry_run: bool,
    },
}

/// Node settings.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// L1 JSON-RPC URLs (the first is primary).
    pub l1_rpc_urls: Vec<String>,
    /// L1 block the rollup was deployed at (where following starts).
    pub l1_start_block: u64,
    /// The `Rollup` contract.
    pub rollup: Address,
    /// Data directory.
    pub datadir: PathBuf,
    /// The L2 genesis.
    pub genesis: Genesis,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// Proving backend.
    pub backend: BackendChoice,
    /// Local proving agents.
    pub agents: usize,
    /// Live sessions at most.
    pub max_pending_sessions: usize,
    /// Publishing.
    pub publisher: PublisherChoice,
    /// L1 poll interval.
    pub poll_interval: Duration,
    /// Benchmark baseline: prove a checkpoint only once its epoch is complete (see
    /// [`CoreConfig::prove_at_epoch_end`]); `false` is optimistic proving.
    pub prove_at_epoch_end: bool,
    /// Development and tests only: a pause before every proving job, to simulate a prover too
    /// slow for the window. Zero in production.
    pub dev_throttle_proving: Duration,
    /// Development and tests only: epoch proofs wait while this file exists (a gate a test
    /// holds to change the chain under a running epoch proof). `None` in production.
    pub dev_hold_epoch_proofs: Option<std::path::PathBuf>,
}

/// A snapshot of the node for operators and tests.
#[derive(Clone, Debug, Default)]
pub struct NodeStatus {
    /// Sessions, oldest first (finished ones included).
    pub sessions: Vec<SessionRecord>,
    /// Registered checkpoints.
    pub checkpoints: Vec<CheckpointRecord>,
    /// The chain as the archive sees it.
    pub tips: ChainTips,
    /// The L2 slot of the last L1 block processed.
    pub synced_slot: Option<u64>,
    /// The L1 head seen by the follower's last successful sync (0 before it).
    pub l1_head: u64,
    /// The broker's jobs, in priority order.
    pub jobs: Vec<JobRecord>,
    /// Local proving agents.
    pub agents: usize,
    /// Whether an operator paused publishing.
    pub publishing_paused: bool,
    /// Whether a publisher is configured (`false` with `--no-publish`).
    pub publishing_enabled: bool,
    /// When the snapshot was taken (ms since the Unix epoch; 0: no step yet).
    pub updated_ms: u64,
}

/// A state change, streamed to subscribers ([`NodeHandle::subscribe`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeEvent {
    /// A session opened or changed state (publication included: `Publishing`, then
    /// `Completed` with where it landed, or how it ended).
    Session(Box<SessionRecord>),
    /// A checkpoint was registered or its prover changed state.
    Checkpoint(Box<CheckpointRecord>),
    /// A checkpoint left the node (pruned, reorged away, or its epoch expired).
    CheckpointRemoved(CheckpointId),
    /// An operator paused (`true`) or resumed (`false`) publishing.
    PublishingPaused(bool),
}

enum Command {
    Event(ChainEvent, oneshot::Sender<Result<(), NodeError>>),
    StartProof(u64, Option<u64>, oneshot::Sender<Result<u64, NodeError>>),
    Cancel(u64, oneshot::Sender<Result<(), NodeError>>),
}

/// A running node.
pub struct NodeHandle {
    commands: mpsc::Sender<Command>,
    status: Arc<Mutex<NodeStatus>>,
    events: broadcast::Sender<NodeEvent>,
    paused: watch::Sender<bool>,
    broker: Arc<dyn ProvingBroker>,
    l1_head: Arc<AtomicU64>,
    constants: L1RollupConstants,
    stats: Arc<RunnerStats>,
    cancel: CancellationToken,
    tracker: TaskTracker,
    started: std::time::Instant,
    resumed_ms: Arc<std::sync::OnceLock<u64>>,
}

/// Forwards stream events to the core loop and waits for its verdict, so the stream's cursor
/// moves only after the core persisted what the event changed.
struct CoreHandler {
    commands: mpsc::Sender<Command>,
}

impl StreamHandler for CoreHandler {
    type Error = NodeError;

    async fn handle(&mut self, event: ChainEvent) -> Result<(), NodeError> {
        request(&self.commands, |tx| Command::Event(event, tx)).await
    }
}

/// Sends a command to the core loop and waits for its answer.
async fn request<T>(
    commands: &mpsc::Sender<Command>,
    command: impl FnOnce(oneshot::Sender<Result<T, NodeError>>) -> Command,
) -> Result<T, NodeError> {
    let (tx, rx) = oneshot::channel();
    commands
        .send(command(tx))
        .await
        .map_err(|_| NodeError::Stopped)?;
    rx.await.map_err(|_| NodeError::Stopped)?
}

impl NodeHandle {
    /// Starts a node.
    pub async fn start(config: NodeConfig) -> Result<Self, NodeError> {
        let started = std::time::Instant::now();
        if config.l1_rpc_urls.is_empty() {
            return Err(NodeError::Config("no L1 RPC URL".into()));
        }
        // The first URL that answers serves the startup reads; the follower and the publisher
        // rotate through all of them on failures.
        let mut failures = Vec::new();
        let mut reachable = None;
        for url in &config.l1_rpc_urls {
            let provider = ProviderBuilder::new()
                .connect_http(
                    url.parse()
                        .map_err(|e| NodeError::Config(format!("L1 URL {url}: {e}")))?,
                )
                .erased();
            match tokio::time::timeout(Duration::from_secs(10), provider.get_chain_id()).await {
                Ok(Ok(id)) => {
                    reachable = Some((url.clone(), provider, id));
                    break;
                }
                Ok(Err(e)) => failures.push(format!("{url}: {e}")),
                Err(_) => failures.push(format!("{url}: no answer within 10 s")),
            }
        }
        let Some((url, read_provider, l1_chain_id)) = reachable else {
            return Err(NodeError::L1(format!(
                "no L1 RPC URL answers: {}",
                failures.join("; ")
            )));
        };
        if !failures.is_empty() {
            warn!(failed = %failures.join("; "), using = %url, "L1 RPC fallback in use");
        }
        // The answering URL first, then the others in their configured order.
        let l1_urls: Vec<String> = std::iter::once(url.clone())
            .chain(config.l1_rpc_urls.iter().filter(|u| **u != url).cloned())
            .collect();
        let constants = vouch_l1_contracts::read_rollup_constants(
            &read_provider,
            config.rollup,
            config.l1_start_block,
        )
        .await
        .map_err(|e| NodeError::L1(e.to_string()))?;
        let genesis_roots = config.genesis.roots();
        let on_l1 = vouch_l1_contracts::bindings::Rollup::new(config.rollup, &read_provider)
            .checkpoint(0)
            .call()
            .await
            .map_err(|e| NodeError::L1(format!("genesis record: {e}")))?;
        if on_l1.archive != genesis_roots.archive.to_b256() {
            return Err(NodeError::Config(format!(
                "the genesis does not match the rollup: archive {} here, {} on L1",
                genesis_roots.archive.to_b256(),
                on_l1.archive
            )));
        }

        std::fs::create_dir_all(&config.datadir)
            .map_err(|e| NodeError::Config(format!("datadir {}: {e}", config.datadir.display())))?;
        let tables: Vec<_> = vouch_archiver::kv::TABLES
            .iter()
            .chain(vouch_broker::TABLES.iter())
            .chain(crate::db::TABLES.iter())
            .chain(vouch_settlement::journal::TABLES.iter())
            .copied()
            .collect();
        let kv = Arc::new(RocksKv::open(config.datadir.join("db"), &tables)?);
        let db = NodeDb::new(kv.clone());
        db.check_identity(&Identity {
            l1_chain_id,
            rollup: config.rollup,
            l2_chain_id: config.l2_chain_id,
            genesis_archive: genesis_roots.archive.to_b256(),
        })?;
        let state = Arc::new(
            RocksStateStore::open(config.datadir.join("state"))
                .map_err(|e| NodeError::State(e.to_string()))?,
        );
        let archive = Archive::new(kv.clone(), constants);
        let broker: Arc<dyn ProvingBroker> =
            Arc::new(KvBroker::new(kv.clone(), BrokerConfig::default()));
        let released = broker.release_leases("local")?;
        let core = NodeCore::open(
            archive.clone(),
            db.clone(),
            state.clone(),
            broker.clone(),
            (&config.genesis, genesis_roots),
            CoreConfig {
                max_pending_sessions: config.max_pending_sessions,
                l2_chain_id: config.l2_chain_id,
                prove_at_epoch_end: config.prove_at_epoch_end,
            },
        )?;
        let proven_at_start: HashSet<_> = core
            .checkpoints()
            .iter()
            .filter(|c| c.status == crate::model::ProverStatus::Proven)
            .map(|c| c.id)
            .collect();
        info!(
            datadir = %config.datadir.display(),
            rollup = %config.rollup,
            proven_checkpoints = proven_at_start.len(),
            sessions = core.sessions().len(),
            released_leases = released,
            "node state loaded"
        );

        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let stats = Arc::new(RunnerStats::default());
        let runner = Arc::new(ProofRunner {
            archive: archive.clone(),
            db: db.clone(),
            state: state.clone(),
            state_lock: core.state_lock.clone(),
            backend: Arc::from(config.backend.build()),
            l2_chain_id: config.l2_chain_id,
            prover: match &config.publisher {
                PublisherChoice::Evm { signer, .. } => signer.address(),
                PublisherChoice::Disabled => Address::ZERO,
            },
            proven_at_start,
            stats: stats.clone(),
            throttle: config.dev_throttle_proving,
            epoch_gate: config.dev_hold_epoch_proofs.clone(),
        });
        spawn_local_agents(
            broker.clone(),
            runner,
            &AgentConfig::local(config.agents.max(1)),
            &tracker,
            cancel.child_token(),
        );

        let mut follower_config =
            FollowerConfig::new(url.clone(), config.rollup, constants.l1_start_block);
        follower_config.rpc_urls = l1_urls.clone();
        follower_config.poll_interval = config.poll_interval;
        let follower = L1Follower::new(follower_config, archive.clone())
            .map_err(|e| NodeError::L1(e.to_string()))?;
        let l1_head = follower.head();
        tracker.spawn(follower.run(cancel.child_token()));

        let (commands, command_rx) = mpsc::channel(64);
        let stream = L2BlockStream::new(archive.clone(), "node");
        tracker.spawn(
            stream
                .run(
                    CoreHandler {
                        commands: commands.clone(),
                    },
                    config.poll_interval,
                    cancel.child_token(),
                )
                .instrument(info_span!("stream")),
        );

        let (publish_tx, publish_rx) = mpsc::unbounded_channel();
        let (outcome_tx, outcome_rx) = mpsc::unbounded_channel();
        let (paused, paused_rx) = watch::channel(false);
        let publishing_enabled = !matches!(config.publisher, PublisherChoice::Disabled);
        if !config.dev_throttle_proving.is_zero() {
            warn!(throttle = ?config.dev_throttle_proving, "DEVELOPMENT: every proving job is delayed");
        }
        if let Some(gate) = &config.dev_hold_epoch_proofs {
            warn!(gate = %gate.display(), "DEVELOPMENT: epoch proofs wait while this file exists");
        }
        if let PublisherChoice::Evm {
            signer,
            verifier,
            dry_run,
        } = &config.publisher
        {
            let owner = signer.address();
            let reads = vouch_settlement::rpc::Fallback::new(&l1_urls)
                .map_err(|e| NodeError::Config(e.to_string()))?;
            let verifier = match verifier {
                Some(v) => *v,
                None => discover_verifier(&read_provider, config.rollup).await?,
            };
            info!(prover = %owner, ?verifier, "publishing enabled");
            let mut settlement_config =
                vouch_settlement::SettlementConfig::new(l1_urls.clone(), l1_chain_id);
            // Replace a transaction that missed about one L2 slot of L1 blocks.
            settlement_config.bump_after = Duration::from_secs(constants.slot_duration.max(2));
            let settlement = vouch_settlement::EvmSettlement::new(
                settlement_config,
                signer.clone(),
                kv.clone(),
                Arc::new(|data: &[u8]| vouch_l1_contracts::verifier::decode_revert(data)),
            )
            .map_err(|e| NodeError::Config(e.to_string()))?;
            let publisher = EvmPublisher {
                settlement: Arc::new(settlement),
                reads,
                owner,
                rollup: config.rollup,
                verifier,
                archive: archive.clone(),
                poll: config.poll_interval,
                dry_run: *dry_run,
            };
            tracker.spawn(
                publish_loop(
                    publisher,
                    publish_rx,
                    outcome_tx,
                    paused_rx,
                    cancel.child_token(),
                )
                .instrument(info_span!("publisher")),
            );
        } else {
            warn!("publishing disabled: proofs stop at ready");
        }

        let status = Arc::new(Mutex::new(NodeStatus {
            agents: config.agents.max(1),
            publishing_enabled,
            ..NodeStatus::default()
        }));
        let resumed_ms = Arc::new(std::sync::OnceLock::new());
        let (events, _) = broadcast::channel(1024);
        tracker.spawn(
            core_loop(
                core,
                CoreChannels {
                    commands: command_rx,
                    publish: publish_tx,
                    outcomes: outcome_rx,
                    status: status.clone(),
                    events: events.clone(),
                },
                cancel.child_token(),
                started,
                resumed_ms.clone(),
            )
            .instrument(info_span!("node")),
        );
        Ok(Self {
            commands,
            status,
            events,
            paused,
            broker,
            l1_head,
            constants,
            stats,
            cancel,
            tracker,
            started,
            resumed_ms,
        })
    }

    /// The latest snapshot.
    pub fn status(&self) -> NodeStatus {
        let mut status = self
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        status.l1_head = self.l1_head.load(Ordering::Relaxed);
        status.publishing_paused = *self.paused.borrow();
        // Read here, when someone asks, not on every step of the node.
        status.jobs = self.broker.jobs().unwrap_or_default();
        status
    }

    /// The rollup's constants (slots, epochs, submission window).
    pub fn constants(&self) -> L1RollupConstants {
        self.constants
    }

    /// Streams state changes from now on (a slow subscriber misses events and is told how
    /// many by the receiver's `Lagged` error).
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.events.subscribe()
    }

    /// Pauses (`true`) or resumes publishing. Paused, ready proofs queue; a submission already
    /// under way finishes. Returns whether this changed anything.
    pub fn set_publishing_paused(&self, paused: bool) -> bool {
        let changed = self
            .paused
            .send_if_modified(|p| std::mem::replace(p, paused) != paused);
        if changed {
            info!(
                paused,
                "publishing {}",
                if paused { "paused" } else { "resumed" }
            );
            let _ = self.events.send(NodeEvent::PublishingPaused(paused));
        }
        changed
    }

    /// The leaf proof of checkpoint `number` (of the registered checkpoint with that number,
    /// the proven one first), while the node holds it (until its epoch expires).
    pub fn checkpoint_proof(
        &self,
        number: u64,
    ) -> Result<Option<(CheckpointRecord, Vec<u8>)>, NodeError> {
        let mut candidates: Vec<CheckpointRecord> = self
            .status()
            .checkpoints
            .into_iter()
            .filter(|c| c.id.number == number)
            .collect();
        candidates.sort_by_key(|c| c.status != crate::model::ProverStatus::Proven);
        for c in candidates {
            if let Some(proof) = self.broker.output(&c.id.leaf_job())? {
                return Ok(Some((c, proof)));
            }
        }
        Ok(None)
    }

    /// The newest epoch proof of `epoch` the node holds (a completed session's first), with
    /// its session.
    pub fn epoch_proof(&self, epoch: u64) -> Result<Option<(SessionRecord, Vec<u8>)>, NodeError> {
        let mut sessions: Vec<SessionRecord> = self
            .status()
            .sessions
            .into_iter()
            .filter(|s| s.epoch == epoch && s.epoch_job.is_some())
            .collect();
        sessions.sort_by_key(|s| {
            (
                s.state != crate::model::SessionState::Completed,
                std::cmp::Reverse(s.id),
            )
        });
        for s in sessions {
            if let Some(job) = s.epoch_job
                && let Some(proof) = self.broker.output(&job)?
            {
                return Ok(Some((s, proof)));
            }
        }
        Ok(None)
    }

    /// What this process's agents proved.
    pub fn stats(&self) -> &RunnerStats {
        &self.stats
    }

    /// Leaf proofs this process made of checkpoints already proven when it started.
    pub fn reproved_leaves(&self) -> u64 {
        self.stats.leaves_reproved.load(Ordering::Relaxed)
    }

    /// Milliseconds from start until the core first reconciled (resumed its work).
    pub fn resumed_after_ms(&self) -> Option<u64> {
        self.resumed_ms.get().copied()
    }

    /// Requests a (partial) proof of `epoch` up to checkpoint `to`; returns the session id.
    pub async fn start_proof(&self, epoch: u64, to: Option<u64>) -> Result<u64, NodeError> {
        request(&self.commands, |tx| Command::StartProof(epoch, to, tx)).await
    }

    /// Withdraws a session.
    pub async fn cancel_session(&self, id: u64) -> Result<(), NodeError> {
        request(&self.commands, |tx| Command::Cancel(id, tx)).await
    }

    /// Stops every task and waits for them (a proof in progress finishes first).
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
        info!(
            uptime_ms = self.started.elapsed().as_millis() as u64,
            leaves_proven = self.stats.leaves_proven.load(Ordering::Relaxed),
            reproved_leaves = self.reproved_leaves(),
            epochs_proven = self.stats.epochs_proven.load(Ordering::Relaxed),
            resumed_after_ms = ?self.resumed_after_ms(),
            "node stopped"
        );
    }
}

async fn discover_verifier(
    provider: &alloy::providers::DynProvider,
    rollup: Address,
) -> Result<VerifierMode, NodeError> {
    use vouch_l1_contracts::bindings::{Rollup, VerifierGateway};
    let gateway = Rollup::new(rollup, provider)
        .verifier()
        .call()
        .await
        .map_err(|e| NodeError::L1(format!("rollup verifier: {e}")))?;
    let selector = vouch_l1_contracts::deploy::plonky3_epoch_selector();
    let route = VerifierGateway::new(gateway, provider)
        .routes(selector.into())
        .call()
        .await
        .map_err(|e| {
            NodeError::Config(format!(
                "the rollup's verifier {gateway} is not a VerifierGateway with a Plonky3 route \
                 ({e}); name the verifier explicitly"
            ))
        })?;
    if route.verifier == Address::ZERO {
        return Err(NodeError::Config(format!(
            "the gateway {gateway} has no Plonky3 epoch route"
        )));
    }
    Ok(VerifierMode::Plonky3 {
        epoch_verifier: route.verifier,
    })
}

async fn publish_loop<P: Publisher>(
    publisher: P,
    mut requests: mpsc::UnboundedReceiver<PublishRequest>,
    outcomes: mpsc::UnboundedSender<(u64, PublishOutcome)>,
    mut paused: watch::Receiver<bool>,
    cancel: CancellationToken,
) {
    // Ready proofs in chain order: the lowest epoch (then the longest range) goes first.
    let mut pending: BTreeMap<(u64, std::cmp::Reverse<u64>, u64), PublishRequest> = BTreeMap::new();
    loop {
        while let Ok(r) = requests.try_recv() {
            pending.insert((r.epoch, std::cmp::Reverse(r.to), r.session), r);
        }
        if *paused.borrow_and_update() {
            tokio::select! {
                _ = cancel.cancelled() => return,
                changed = paused.changed() => if changed.is_err() { return },
                r = requests.recv() => match r {
                    Some(r) => { pending.insert((r.epoch, std::cmp::Reverse(r.to), r.session), r); }
                    None => return,
                },
            }
            continue;
        }
        let Some((_, next)) = pending.pop_first() else {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = paused.changed() => {}
                r = requests.recv() => match r {
                    Some(r) => { pending.insert((r.epoch, std::cmp::Reverse(r.to), r.session), r); }
                    None => return,
                },
            }
            continue;
        };
        let span = info_span!("publish", session = next.session, epoch = next.epoch);
        let outcome = tokio::select! {
            _ = cancel.cancelled() => return,
            o = publisher.publish(&next).instrument(span) => o,
        };
        if outcomes.send((next.session, outcome)).is_err() {
            return;
        }
    }
}

/// What the core loop talks through.
struct CoreChannels {
    commands: mpsc::Receiver<Command>,
    publish: mpsc::UnboundedSender<PublishRequest>,
    outcomes: mpsc::UnboundedReceiver<(u64, PublishOutcome)>,
    status: Arc<Mutex<NodeStatus>>,
    events: broadcast::Sender<NodeEvent>,
}

/// Emits an event for every session and checkpoint that is new or changed since `before`, and
/// for every checkpoint gone.
fn emit_changes(before: &NodeStatus, after: &NodeStatus, events: &broadcast::Sender<NodeEvent>) {
    if events.receiver_count() == 0 {
        return;
    }
    let sessions: std::collections::HashMap<u64, &SessionRecord> =
        before.sessions.iter().map(|s| (s.id, s)).collect();
    for s in &after.sessions {
        if sessions.get(&s.id) != Some(&s) {
            let _ = events.send(NodeEvent::Session(Box::new(s.clone())));
        }
    }
    let checkpoints: std::collections::HashMap<CheckpointId, &CheckpointRecord> =
        before.checkpoints.iter().map(|c| (c.id, c)).collect();
    for c in &after.checkpoints {
        if checkpoints.get(&c.id) != Some(&c) {
            let _ = events.send(NodeEvent::Checkpoint(Box::new(c.clone())));
        }
    }
    let now: HashSet<CheckpointId> = after.checkpoints.iter().map(|c| c.id).collect();
    for c in &before.checkpoints {
        if !now.contains(&c.id) {
            let _ = events.send(NodeEvent::CheckpointRemoved(c.id));
        }
    }
}

async fn core_loop<
    K: vouch_storage::Kv + 'static,
    S: vouch_rollup::state::VersionedStore + 'static,
>(
    mut core: NodeCore<K, S>,
    channels: CoreChannels,
    cancel: CancellationToken,
    started: std::time::Instant,
    resumed_ms: Arc<std::sync::OnceLock<u64>>,
) {
    let CoreChannels {
        mut commands,
        publish,
        mut outcomes,
        status,
        events,
    } = channels;
    let mut broker_changes = core.broker.subscribe();
    // Reconcile after changes (new checkpoints, finished jobs) at most every 200 ms, and at
    // least every second.
    let mut dirty = true;
    let mut due = tokio::time::interval(Duration::from_millis(200));
    due.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let result = tokio::select! {
            _ = cancel.cancelled() => break,
            c = commands.recv() => match c {
                None => break,
                Some(Command::Event(event, reply)) => {
                    dirty = true;
                    let r = core.handle(event);
                    let failed = r.as_ref().err().map(|e| e.to_string());
                    let _ = reply.send(r);
                    match failed {
                        Some(e) => Err(e),
                        None => Ok(()),
                    }
                }
                Some(Command::StartProof(epoch, to, reply)) => {
                    let _ = reply.send(core.start_proof(epoch, to));
                    Ok(())
                }
                Some(Command::Cancel(id, reply)) => {
                    let _ = reply.send(core.cancel_session(id, "cancelled by the operator"));
                    Ok(())
                }
            },
            Some((session, outcome)) = outcomes.recv() => core.on_published(session, outcome).map_err(|e| e.to_string()),
            _ = broker_changes.changed() => {
                dirty = true;
                Ok(())
            }
            _ = due.tick(), if dirty => {
                dirty = false;
                core.reconcile().map_err(|e| e.to_string())
            }
            _ = tick.tick() => core.reconcile().map_err(|e| e.to_string()),
        };
        if let Err(e) = result {
            error!(error = %e, "node step failed; it is retried on the next event or tick");
        }
        if resumed_ms.get().is_none() {
            let ms = started.elapsed().as_millis() as u64;
            let _ = resumed_ms.set(ms);
            info!(
                resumed_after_ms = ms,
                "node resumed: state loaded, first step done"
            );
        }
        for request in core.take_publish_requests() {
            let _ = publish.send(request);
        }
        let tips = core.archive.tips().unwrap_or_default();
        let synced_slot = core
            .archive
            .synced_l2_slot()
            .ok()
            .flatten()
            .map(|s| s.get());
        let mut guard = status.lock().unwrap_or_else(|p| p.into_inner());
        let next = NodeStatus {
            sessions: core.sessions(),
            checkpoints: core.checkpoints(),
            tips,
            synced_slot,
            updated_ms: vouch_broker::now_ms(),
            ..guard.clone()
        };
        emit_changes(&guard, &next, &events);
        *guard = next;
    }
}
