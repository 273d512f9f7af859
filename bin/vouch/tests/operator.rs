//! Operator scenarios end to end on anvil (real proofs, real verifier), driven only through what
//! an operator has: the `vouch` CLI, the admin RPC and L1.

use alloy::providers::{DynProvider, Provider};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vouch_admin::api::{CheckpointView, SessionFilter, SessionView, VouchApiClient};
use vouch_l1_contracts::bindings::Rollup;
use vouch_primitives::L1RollupConstants;
use vouch_testnet::devnet::Devnet;
use vouch_testnet::harness::{
    NodeProcess, free_port, metric, node_args_with_ports, proving_devnet, vouch_cli, write_genesis,
};

const VOUCH: &str = env!("CARGO_BIN_EXE_vouch");
const MINUTE: Duration = Duration::from_secs(60);

/// One proving scenario at a time: two would starve each other's proofs on 2 cores.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn admin(rpc_port: u16) -> HttpClient {
    HttpClientBuilder::default()
        .build(format!("http://127.0.0.1:{rpc_port}"))
        .unwrap()
}

/// One scenario's world: a proving devnet (anvil, contracts, sequencer, load), and the
/// flags, key, ports and admin client of the `vouch node` it runs beside it.
struct Scenario {
    dir: tempfile::TempDir,
    devnet: Devnet,
    args: Vec<String>,
    key: String,
    rpc_port: u16,
    metrics_port: u16,
    client: HttpClient,
    _heavy: tokio::sync::MutexGuard<'static, ()>,
}

/// The L1 head, placed in the rollup's time.
struct Head {
    number: u64,
    slot: u64,
    epoch: u64,
    first_slot: u64,
}

impl Scenario {
    /// A devnet with `tx_rate` transfers a second and a window of `window` epochs.
    async fn new(tx_rate: f64, window: u64) -> Self {
        let heavy = HEAVY.lock().await;
        let dir = tempfile::tempdir().unwrap();
        let devnet = proving_devnet(dir.path(), tx_rate, window).await;
        let genesis = write_genesis(dir.path(), &devnet);
        let key = format!("{:#x}", devnet.anvil.dev_signer(1).to_bytes());
        let (rpc_port, metrics_port) = (free_port(), free_port());
        let args = node_args_with_ports(
            &devnet,
            dir.path(),
            "node",
            &genesis,
            rpc_port,
            metrics_port,
        );
        Self {
            client: admin(rpc_port),
            dir,
            devnet,
            args,
            key,
            rpc_port,
            metrics_port,
            _heavy: heavy,
        }
    }

    /// Starts the node with the scenario's flags and `extra`.
    fn node(&self, extra: &[&str]) -> NodeProcess {
        let mut args = self.args.clone();
        args.extend(extra.iter().map(|a| a.to_string()));
        NodeProcess::spawn(VOUCH, &args, &self.key)
    }

    fn rollup(&self) -> Rollup::RollupInstance<&DynProvider> {
        Rollup::new(self.devnet.deployment.rollup, &self.devnet.provider)
    }

    fn constants(&self) -> L1RollupConstants {
        self.devnet.deployment.constants
    }

    /// A metric of the node, summed over its labels (0 until it answers).
    fn metric(&self, name: &str) -> f64 {
        metric(self.metrics_port, name).unwrap_or(0.0)
    }

    async fn head(&self) -> Option<Head> {
        let head = self
            .devnet
            .provider
            .get_block_by_number(Default::default())
            .await
            .ok()??;
        let c = self.constants();
        let slot = c.slot_at_timestamp(head.header.timestamp)?;
        let epoch = c.epoch_at_slot(slot);
        Some(Head {
            number: head.header.number,
            slot: slot.get(),
            epoch: epoch.get(),
            first_slot: c.first_slot_of_epoch(epoch)?.get(),
        })
    }

    /// The checkpoint that just landed in slot `index` of an epoch (not epoch 0, which may
    /// start before the sequencer), as soon as the node registered it, with the L1 head then.
    async fn landed_in_slot(&self, index: u64) -> (CheckpointView, u64) {
        poll(
            &format!("a checkpoint in slot {index} of an epoch"),
            3 * MINUTE,
            || async move {
                let head = self.head().await?;
                if head.epoch == 0 || head.slot != head.first_slot + index {
                    return None;
                }
                let c = self
                    .client
                    .get_checkpoints(head.epoch)
                    .await
                    .ok()?
                    .into_iter()
                    .find(|c| c.slot == head.slot)?;
                Some((c, head.number))
            },
        )
        .await
    }

    /// The checkpoint L1 holds for slot `index` of an epoch (not epoch 0) while that slot is
    /// current, read from L1 alone (no node needed): its number and epoch.
    async fn on_l1_in_slot(&self, index: u64) -> (u64, u64) {
        poll(
            &format!("a checkpoint on L1 in slot {index} of an epoch"),
            3 * MINUTE,
            || async move {
                let head = self.head().await?;
                if head.epoch == 0 || head.slot != head.first_slot + index {
                    return None;
                }
                let rollup = self.rollup();
                let pending = rollup.pendingCheckpointNumber().call().await.ok()?;
                let tip = rollup.checkpoint(pending).call().await.ok()?;
                (pending > 0 && tip.slot == head.slot).then_some((pending, head.epoch))
            },
        )
        .await
    }

    /// The checkpoints the node holds for `epoch`.
    async fn checkpoints(&self, epoch: u64) -> Vec<CheckpointView> {
        self.client
            .get_checkpoints(epoch)
            .await
            .expect("vouch_getCheckpoints")
    }

    /// Reorgs L1 back to the block before `l1_block` (empty blocks replace it and every later
    /// one).
    async fn reorg_from(&self, l1_block: u64) {
        let head = self.devnet.provider.get_block_number().await.unwrap();
        vouch_testnet::L1Control::new(&self.devnet.provider)
            .reorg(head - l1_block + 1)
            .await
            .expect("anvil reorgs");
    }

    /// The checkpoint at `number` on L1 once it differs from `orphan` (its replacement).
    async fn replacement_of(&self, orphan: &CheckpointView) -> Rollup::StoredCheckpoint {
        poll("the replacement on L1", MINUTE, || async move {
            let c = self.rollup().checkpoint(orphan.number).call().await.ok()?;
            (c.archive != orphan.archive && !c.archive.is_zero()).then_some(c)
        })
        .await
    }

    async fn stop(self) {
        self.devnet.stop().await;
    }
}

/// Polls `f` every 250 ms until it yields a value; panics naming `what` after `timeout`.
async fn poll<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The completed session `id`, once it is.
async fn completed(client: &HttpClient, id: u64, timeout: Duration) -> SessionView {
    poll(&format!("session {id} to land"), timeout, || async move {
        let s = client.get_session(id).await.ok()?;
        assert!(
            !["failed", "timed_out", "cancelled"].contains(&s.state.as_str()),
            "session {id} ended {}: {:?}",
            s.state,
            s.reason
        );
        (s.state == "completed").then_some(s)
    })
    .await
}

/// The node's sessions in `state` (of `epoch`, if given); empty while it does not answer.
async fn sessions(client: &HttpClient, epoch: Option<u64>, state: &str) -> Vec<SessionView> {
    client
        .get_sessions(Some(SessionFilter {
            epoch,
            state: Some(state.into()),
            ..Default::default()
        }))
        .await
        .unwrap_or_default()
}

/// The first session in `state` (of `epoch`, if given) that `pick` accepts, once there is one.
async fn session_where(
    client: &HttpClient,
    what: &str,
    timeout: Duration,
    (epoch, state): (Option<u64>, &str),
    pick: impl Fn(&SessionView) -> bool,
) -> SessionView {
    let pick = &pick;
    poll(what, timeout, || async move {
        sessions(client, epoch, state).await.into_iter().find(pick)
    })
    .await
}

/// The completed full session of `epoch`, once there is one (3 minutes at most).
async fn full_epoch_landed(client: &HttpClient, epoch: u64) -> SessionView {
    session_where(
        client,
        &format!("epoch {epoch}'s full session to land"),
        3 * MINUTE,
        (Some(epoch), "completed"),
        |s| s.kind == "full",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_partial_proof_moves_the_proven_tip_to_its_checkpoint() {
    let s = Scenario::new(3.0, 2).await;
    let _node = s.node(&[]);
    let client = &s.client;
    let jwt = s.dir.path().join("node/jwt.hex").display().to_string();
    let url = format!("http://127.0.0.1:{}", s.rpc_port);
    let constants = s.constants();
    // A running epoch whose first checkpoint follows the proven tip and which has a proven
    // leaf: ask for the prefix ending there, with the CLI.
    let (session, target) = poll("a partial proof accepted", 3 * MINUTE, || {
        let (jwt, url) = (jwt.clone(), url.clone());
        async move {
            let status = client.status().await.ok()?;
            let now = vouch_broker::now_ms() / 1000;
            let epoch = constants.epoch_at_timestamp(now)?.get();
            let checkpoints = client.get_checkpoints(epoch).await.ok()?;
            let first = checkpoints.iter().map(|c| c.number).min()?;
            if first != status.proven_checkpoint + 1 {
                return None; // the epochs before are not on L1 yet
            }
            let target = checkpoints
                .iter()
                .filter(|c| c.status == "proven")
                .map(|c| c.number)
                .max()?;
            let (ok, out) = vouch_cli(
                VOUCH,
                &[
                    "prove".into(),
                    epoch.to_string(),
                    "--to".into(),
                    target.to_string(),
                    "--jwt-secret".into(),
                    jwt,
                    "--rpc-url".into(),
                    url,
                    "--json".into(),
                ],
            );
            ok.then(|| (out["session"].as_u64().expect("a session id"), target))
        }
    })
    .await;
    let landed = completed(client, session, 2 * MINUTE).await;
    assert_eq!(landed.kind, "partial");
    assert_eq!(landed.to, target);
    let at = landed.landed.as_ref().expect("where it landed").l1_block;
    let proven_then = s
        .rollup()
        .provenCheckpointNumber()
        .block(at.into())
        .call()
        .await
        .unwrap();
    assert_eq!(
        proven_then, target,
        "the proven tip moved to the operator's checkpoint"
    );
    // The CLI shows it.
    let (ok, sessions) = vouch_cli(
        VOUCH,
        &[
            "sessions".into(),
            "--state".into(),
            "completed".into(),
            "--rpc-url".into(),
            url,
            "--json".into(),
        ],
    );
    assert!(ok);
    assert!(
        sessions
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == session && s["kind"] == "partial"),
        "{sessions}"
    );
    s.stop().await;
}

/// Junk for the admin port: wrong types, deep nesting, oversized bodies, batches, garbage.
fn hostile_body(i: usize) -> Vec<u8> {
    match i % 6 {
        0 => format!(r#"{{"jsonrpc":"2.0","id":{i},"method":"vouch_startProof","params":[-{i}]}}"#)
            .into_bytes(),
        1 => format!("{}{}", "[".repeat(4000 + i % 100), "]".repeat(4000)).into_bytes(),
        2 => vec![b'{'; 2 << 20],
        3 => format!(
            r#"[{{"jsonrpc":"2.0","id":1,"method":"vouch_cancelSession","params":{{"id":"{i}"}}}},{{"jsonrpc":"2.0","id":2,"method":"vouch_pausePublishing"}}]"#
        )
        .into_bytes(),
        4 => (0..1000u32).map(|k| (k.wrapping_mul(2654435761) >> 24) as u8).collect(),
        _ => br#"{"jsonrpc":"2.0","id":1,"method":"vouch_getSessions","params":[{"limit":"all"}]}"#
            .to_vec(),
    }
}

fn post(port: u16, body: &[u8]) -> bool {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    response.starts_with(b"HTTP/1.1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_started_mid_epoch_proves_the_whole_epoch_under_hostile_admin_input() {
    let s = Scenario::new(3.0, 2).await;
    // Wait until an epoch (not 0) is two checkpoints in.
    let (second, epoch) = s.on_l1_in_slot(1).await;
    let rpc_port = s.rpc_port;
    let _node = s.node(&[]);
    // Hostile input the whole time it proves.
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let hostile = {
        let (stop, answered) = (stop.clone(), answered.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                if post(rpc_port, &hostile_body(i)) {
                    answered.fetch_add(1, Ordering::Relaxed);
                } else {
                    std::thread::sleep(Duration::from_millis(50)); // not listening yet
                }
                i += 1;
            }
        })
    };
    let session = full_epoch_landed(&s.client, epoch).await;
    stop.store(true, Ordering::Relaxed);
    hostile.join().unwrap();
    // The epoch's checkpoints from before the node started are in its proof.
    assert!(
        session.from < second,
        "the proof starts at {}, after the checkpoints proposed before the node started",
        session.from
    );
    assert!(s.rollup().provenCheckpointNumber().call().await.unwrap() >= session.to);
    let status = s.client.status().await.expect("still serving");
    assert!(
        !status.publishing_paused,
        "no hostile call paused publishing"
    );
    assert!(
        answered.load(Ordering::Relaxed) > 50,
        "hostile bodies answered: {}",
        answered.load(Ordering::Relaxed)
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prover_too_slow_for_the_window_sends_nothing_late_and_proves_after_the_prune() {
    // A one-epoch window (16 s after the epoch ends).
    let s = Scenario::new(2.0, 1).await;
    let prover = s.devnet.anvil.dev_address(1);
    // 20 s per proving job: a leaf and the epoch proof alone outlast any epoch's window.
    let mut slow = s.node(&["--dev.throttle-proving-ms", "20000"]);
    let rollup = s.rollup();

    // The window closes: the node gives the epoch up, and L1 prunes the unproven chain.
    let given_up = session_where(
        &s.client,
        "a timed-out session",
        4 * MINUTE,
        (None, "timed_out"),
        |_| true,
    )
    .await;
    pruned(&rollup).await;
    assert_eq!(
        s.devnet
            .provider
            .get_transaction_count(prover)
            .await
            .unwrap(),
        0,
        "no proof transaction was sent for an epoch it could not make (epoch {}: {:?})",
        given_up.epoch,
        given_up.reason
    );
    assert_eq!(rollup.provenCheckpointNumber().call().await.unwrap(), 0);
    slow.interrupt();

    // At full speed on the same datadir, the epochs after the prune are proven.
    let _fast = s.node(&[]);
    poll("an epoch proven after the prune", 3 * MINUTE, || async {
        (rollup.provenCheckpointNumber().call().await.ok()? > 0).then_some(())
    })
    .await;
    s.stop().await;
}

/// Waits until L1's pending tip falls below the highest it reached while waiting: a prune
/// (2 minutes at most).
async fn pruned(rollup: &Rollup::RollupInstance<&DynProvider>) {
    let mut highest = 0;
    let deadline = Instant::now() + 2 * MINUTE;
    loop {
        let pending = rollup.pendingCheckpointNumber().call().await.unwrap();
        if pending < highest {
            return;
        }
        highest = highest.max(pending);
        assert!(Instant::now() < deadline, "L1 never pruned");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mid_epoch_reorg_proves_the_replacement_and_not_the_orphan() {
    let s = Scenario::new(3.0, 2).await;
    let _node = s.node(&[]);
    // A checkpoint that just landed in the second slot of an epoch: the node registered it.
    let (orphan, _) = s.landed_in_slot(1).await;
    s.reorg_from(orphan.l1_block).await;
    // The sequencer re-proposes at the same number, normally later in the same epoch (a slot
    // it misses can push it into the next one); the node drops the orphan and proves the
    // replacement.
    let replacement = s.replacement_of(&orphan).await;
    assert!(replacement.slot > orphan.slot);
    let epoch = s
        .constants()
        .epoch_at_slot(vouch_primitives::Slot(replacement.slot))
        .get();
    let session = full_epoch_landed(&s.client, epoch).await;
    assert!(session.from <= orphan.number && orphan.number <= session.to);
    assert!(s.rollup().provenCheckpointNumber().call().await.unwrap() >= orphan.number);
    for e in [orphan.epoch, epoch] {
        let held = s.checkpoints(e).await;
        assert!(
            held.iter().all(|c| c.archive != orphan.archive),
            "the orphan is gone from the node"
        );
    }
    assert!(
        s.checkpoints(epoch)
            .await
            .iter()
            .any(|c| c.archive == replacement.archive && c.status == "proven"),
        "the replacement is proven"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mid_epoch_reorg_without_replacement_proves_exactly_the_survivors() {
    let s = Scenario::new(3.0, 2).await;
    let _node = s.node(&[]);
    // A checkpoint in an epoch's second slot; the sequencer stops proposing, and L1 loses
    // it (and anything after it).
    let (orphan, _) = s.landed_in_slot(1).await;
    s.devnet.sequencer().hold_proposals(true).await;
    s.reorg_from(orphan.l1_block).await;
    assert_eq!(
        s.rollup().pendingCheckpointNumber().call().await.unwrap(),
        orphan.number - 1,
        "the reorg took the orphan and everything after it"
    );
    // Nothing replaces it before the epoch ends.
    poll("the epoch to end", MINUTE, || async {
        (s.head().await?.epoch > orphan.epoch).then_some(())
    })
    .await;
    s.devnet.sequencer().hold_proposals(false).await;
    let session = full_epoch_landed(&s.client, orphan.epoch).await;
    assert_eq!(
        session.to,
        orphan.number - 1,
        "the epoch proof ends at the last survivor"
    );
    assert!(session.from <= session.to);
    let at = session.landed.as_ref().expect("where it landed").l1_block;
    assert_eq!(
        s.rollup()
            .provenCheckpointNumber()
            .block(at.into())
            .call()
            .await
            .unwrap(),
        session.to,
        "L1 proved exactly the survivors"
    );
    assert!(
        s.checkpoints(orphan.epoch)
            .await
            .iter()
            .all(|c| c.number < orphan.number && c.status == "proven"),
        "the node holds the survivors only, all proven"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_of_the_last_slot_checkpoint_proves_the_rest_of_the_epoch() {
    let s = Scenario::new(3.0, 2).await;
    let _node = s.node(&[]);
    // The checkpoint of an epoch's last slot, as soon as the node has it: its session may
    // already be open, since nothing can follow it in the epoch.
    let last = s.constants().epoch_duration - 1;
    let (orphan, _) = s.landed_in_slot(last).await;
    s.reorg_from(orphan.l1_block).await;
    // Its epoch is proven without it; the sequencer's replacement lands in the next epoch.
    let session = full_epoch_landed(&s.client, orphan.epoch).await;
    assert_eq!(
        session.to,
        orphan.number - 1,
        "the survivors, and only them"
    );
    let replacement = s.replacement_of(&orphan).await;
    assert!(
        replacement.slot > orphan.slot,
        "the replacement is in a later slot"
    );
    assert!(
        s.checkpoints(orphan.epoch)
            .await
            .iter()
            .all(|c| c.archive != orphan.archive),
        "the orphan is gone from the node"
    );
    assert!(s.rollup().provenCheckpointNumber().call().await.unwrap() >= session.to);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_while_the_epoch_proof_is_built_rebuilds_it_from_the_survivors() {
    let s = Scenario::new(3.0, 2).await;
    let gate = s.dir.path().join("hold-epoch-proofs");
    let _node = s.node(&["--dev.hold-epoch-proofs", &gate.display().to_string()]);
    // An epoch three checkpoints in: from now on its epoch proof waits at the gate.
    let (third, _) = s.landed_in_slot(2).await;
    let epoch = third.epoch;
    std::fs::write(&gate, b"held by the test").unwrap();
    let building = session_where(
        &s.client,
        "the epoch proof being built",
        MINUTE,
        (Some(epoch), "awaiting_root"),
        |x| x.kind == "full",
    )
    .await;
    // L1 loses the epoch's last checkpoint under the running epoch proof.
    let orphan = s
        .client
        .get_checkpoints(epoch)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.number == building.to)
        .expect("the session's last checkpoint");
    s.reorg_from(orphan.l1_block).await;
    poll("the node to drop the orphan", MINUTE, || async {
        let held = s.client.get_checkpoints(epoch).await.ok()?;
        held.iter()
            .all(|c| c.archive != orphan.archive)
            .then_some(())
    })
    .await;
    // Nothing has been proven since the gate closed (one agent, held): count from here.
    let leaves_before = s.metric("vouch_checkpoint_proofs_total");
    std::fs::remove_file(&gate).unwrap();
    let session = full_epoch_landed(&s.client, epoch).await;
    assert_ne!(session.id, building.id);
    assert_eq!(session.from, building.from);
    assert_eq!(session.to, orphan.number - 1, "rebuilt from the survivors");
    assert!(s.rollup().provenCheckpointNumber().call().await.unwrap() >= session.to);
    // Every leaf proven since is of a later epoch: the survivors' proofs were reused.
    let leaves = s.metric("vouch_checkpoint_proofs_total") - leaves_before;
    let mut later = 0;
    for e in epoch + 1..=epoch + 3 {
        // (An epoch still in the future is refused.)
        let held = s.client.get_checkpoints(e).await.unwrap_or_default();
        later += held.iter().filter(|c| c.status == "proven").count();
    }
    assert!(
        leaves <= later as f64,
        "{leaves} leaf proofs since the reorg, only {later} of later epochs"
    );
    let cancelled = s.client.get_session(building.id).await.unwrap();
    assert_eq!(cancelled.state, "cancelled", "{:?}", cancelled.reason);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_transaction_reorged_out_is_sent_again_while_the_window_is_open() {
    let s = Scenario::new(3.0, 2).await;
    let _node = s.node(&[]);
    let first = session_where(
        &s.client,
        "an epoch proof on L1",
        3 * MINUTE,
        (None, "completed"),
        |x| x.kind == "full" && x.epoch > 0,
    )
    .await;
    let landed = first.landed.clone().expect("where it landed");
    let head = s.devnet.provider.get_block_number().await.unwrap();
    s.reorg_from(landed.l1_block).await;
    // The same session lands again: the same signed transaction, in a block after the reorg.
    let again = poll("the proof on L1 again", 2 * MINUTE, || async {
        let x = s.client.get_session(first.id).await.ok()?;
        let l = x.landed.clone()?;
        (x.state == "completed" && l.l1_block > head).then_some(x)
    })
    .await;
    let relanded = again.landed.expect("where it landed");
    assert_eq!(
        relanded.tx, landed.tx,
        "the journalled transaction was sent again"
    );
    let receipt = s
        .devnet
        .provider
        .get_transaction_receipt(landed.tx)
        .await
        .unwrap()
        .expect("on L1");
    assert!(receipt.block_number.unwrap() > head && receipt.status());
    assert!(s.rollup().provenCheckpointNumber().call().await.unwrap() >= first.to);
    assert!(s.metric("vouch_proofs_republished_total") >= 1.0);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unprovable_checkpoint_is_reported_and_the_epochs_after_the_prune_are_proven() {
    // A one-epoch window, so the prune comes soon.
    let s = Scenario::new(3.0, 1).await;
    let _node = s.node(&[]);
    let rollup = s.rollup();
    // Two checkpoints into an epoch, the sequencer posts its next one with a state root its
    // execution does not reach (L1 cannot check it; truncated calldata it would refuse).
    let (second, _) = s.landed_in_slot(1).await;
    s.devnet.sequencer().corrupt_next_proposal();
    let bad = poll("a checkpoint reported unprovable", MINUTE, || async {
        let mut found = Vec::new();
        for e in second.epoch..=second.epoch + 1 {
            found.extend(
                s.client
                    .get_checkpoints(e)
                    .await
                    .ok()?
                    .into_iter()
                    .filter(|c| c.status == "unprovable"),
            );
        }
        found.into_iter().min_by_key(|c| c.number)
    })
    .await;
    let reason = bad.error.clone().unwrap_or_default();
    assert!(!reason.is_empty(), "the reason is reported");
    assert!(bad.number > second.number);
    // Its epoch cannot be proven whole: the honest checkpoints before it are proven on their
    // own, so the prune at the window's end takes only the bad one and its descendants.
    let mut kept = 0;
    if bad.epoch == second.epoch {
        let salvage = session_where(
            &s.client,
            "the prefix proven",
            2 * MINUTE,
            (Some(bad.epoch), "completed"),
            |x| x.kind == "partial",
        )
        .await;
        assert_eq!(salvage.to, bad.number - 1);
        assert!(salvage.from <= second.number);
        kept = salvage.to;
    }
    // L1 prunes when the window closes, the sequencer re-proposes, and the node proves the
    // new chain past the bad checkpoint.
    pruned(&rollup).await;
    assert!(
        rollup.pendingCheckpointNumber().call().await.unwrap() >= kept,
        "the prune kept the proven prefix"
    );
    poll(
        "the chain proven past the bad checkpoint",
        3 * MINUTE,
        || async {
            (rollup.provenCheckpointNumber().call().await.ok()? >= bad.number).then_some(())
        },
    )
    .await;
    let now = rollup.checkpoint(bad.number).call().await.unwrap();
    assert_ne!(now.archive, bad.archive, "a new checkpoint at its number");
    let landed = sessions(&s.client, Some(bad.epoch), "completed").await;
    assert!(
        landed.iter().all(|x| x.to < bad.number),
        "nothing past the bad checkpoint was published: {landed:?}"
    );
    s.client.status().await.expect("the node kept running");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_l1_outage_mid_epoch_is_caught_up_and_the_epoch_proven() {
    let mut s = Scenario::new(3.0, 2).await;
    let _node = s.node(&[]);
    let (second, _) = s.landed_in_slot(1).await;
    let errors_before = s.metric("vouch_l1_sync_errors_total");
    // anvil stops mid-epoch and comes back from its state file 8 s later.
    s.devnet
        .restart_l1(Duration::from_secs(8))
        .await
        .expect("anvil restarts from its state");
    let session = full_epoch_landed(&s.client, second.epoch).await;
    assert!(session.from <= second.number && second.number <= session.to);
    assert!(s.rollup().provenCheckpointNumber().call().await.unwrap() >= session.to);
    assert!(
        s.metric("vouch_l1_sync_errors_total") > errors_before,
        "the node saw the outage"
    );
    // Its own view caught up with L1.
    poll("the node's proven tip", MINUTE, || async {
        let status = s.client.status().await.ok()?;
        (status.proven_checkpoint >= session.to).then_some(())
    })
    .await;
    s.stop().await;
}
