//! Operator scenarios end to end on anvil (real proofs, real verifier), driven only through what
//! an operator has: the `vouch` CLI, the admin RPC and L1.

use alloy::providers::Provider;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use vouch_admin::api::{SessionFilter, SessionView, VouchApiClient};
use vouch_l1_contracts::bindings::Rollup;
use vouch_testnet::harness::{
    NodeProcess, free_port, node_args_with_ports, proving_devnet, vouch_cli, write_genesis,
};

const VOUCH: &str = env!("CARGO_BIN_EXE_vouch");

/// One proving scenario at a time: two would starve each other's proofs on 2 cores.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn admin(rpc_port: u16) -> HttpClient {
    HttpClientBuilder::default()
        .build(format!("http://127.0.0.1:{rpc_port}"))
        .unwrap()
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

/// The completed full session of `epoch`, once there is one (3 minutes at most).
async fn full_epoch_landed(client: &HttpClient, epoch: u64) -> SessionView {
    poll(
        &format!("epoch {epoch}'s full session to land"),
        Duration::from_secs(180),
        || async move {
            client
                .get_sessions(Some(SessionFilter {
                    epoch: Some(epoch),
                    state: Some("completed".into()),
                    ..Default::default()
                }))
                .await
                .ok()?
                .into_iter()
                .find(|s| s.kind == "full")
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_partial_proof_moves_the_proven_tip_to_its_checkpoint() {
    let _heavy = HEAVY.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let devnet = proving_devnet(dir.path(), 3.0, 2).await;
    let genesis = write_genesis(dir.path(), &devnet);
    let key = format!("{:#x}", devnet.anvil.dev_signer(1).to_bytes());
    let rpc_port = free_port();
    let _node = NodeProcess::spawn(
        VOUCH,
        &node_args_with_ports(&devnet, dir.path(), "node", &genesis, rpc_port, 0),
        &key,
    );
    let client = admin(rpc_port);
    let jwt = dir.path().join("node/jwt.hex").display().to_string();
    let url = format!("http://127.0.0.1:{rpc_port}");
    let constants = devnet.deployment.constants;
    // A running epoch whose first checkpoint follows the proven tip and which has a proven
    // leaf: ask for the prefix ending there, with the CLI.
    let (session, target) = poll("a partial proof accepted", Duration::from_secs(180), || {
        let client = client.clone();
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
    let landed = completed(&client, session, Duration::from_secs(120)).await;
    assert_eq!(landed.kind, "partial");
    assert_eq!(landed.to, target);
    let at = landed.landed.as_ref().expect("where it landed").l1_block;
    let rollup = Rollup::new(devnet.deployment.rollup, &devnet.provider);
    let proven_then = rollup
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
    devnet.stop().await;
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
    let _heavy = HEAVY.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let devnet = proving_devnet(dir.path(), 3.0, 2).await;
    let genesis = write_genesis(dir.path(), &devnet);
    let key = format!("{:#x}", devnet.anvil.dev_signer(1).to_bytes());
    let constants = devnet.deployment.constants;
    let rollup = Rollup::new(devnet.deployment.rollup, &devnet.provider);
    // Wait until an epoch is two checkpoints in (and is not epoch 0, which may start before
    // the sequencer).
    let (epoch, pending_before) = poll("an epoch two slots in", Duration::from_secs(120), || {
        let devnet = &devnet;
        let rollup = &rollup;
        async move {
            let head = devnet
                .provider
                .get_block_by_number(Default::default())
                .await
                .ok()??;
            let ts = head.header.timestamp;
            let slot = constants.slot_at_timestamp(ts)?;
            let epoch = constants.epoch_at_slot(slot);
            let first = constants.first_slot_of_epoch(epoch)?;
            let pending = rollup.pendingCheckpointNumber().call().await.ok()?;
            (epoch.get() > 0 && slot.get() >= first.get() + 2 && pending > 0)
                .then_some((epoch.get(), pending))
        }
    })
    .await;
    let rpc_port = free_port();
    let _node = NodeProcess::spawn(
        VOUCH,
        &node_args_with_ports(&devnet, dir.path(), "node", &genesis, rpc_port, 0),
        &key,
    );
    let client = admin(rpc_port);
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
    let session = full_epoch_landed(&client, epoch).await;
    stop.store(true, Ordering::Relaxed);
    hostile.join().unwrap();
    // The epoch's checkpoints from before the node started are in its proof.
    assert!(
        session.from <= pending_before,
        "the proof starts at {}, after the {pending_before} checkpoints proposed before the \
         node started",
        session.from
    );
    assert!(rollup.provenCheckpointNumber().call().await.unwrap() >= session.to);
    let status = client.status().await.expect("still serving");
    assert!(
        !status.publishing_paused,
        "no hostile call paused publishing"
    );
    assert!(
        answered.load(Ordering::Relaxed) > 50,
        "hostile bodies answered: {}",
        answered.load(Ordering::Relaxed)
    );
    devnet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prover_too_slow_for_the_window_sends_nothing_late_and_proves_after_the_prune() {
    let _heavy = HEAVY.lock().await;
    let dir = tempfile::tempdir().unwrap();
    // A one-epoch window (16 s after the epoch ends).
    let devnet = proving_devnet(dir.path(), 2.0, 1).await;
    let genesis = write_genesis(dir.path(), &devnet);
    let prover = devnet.anvil.dev_signer(1);
    let key = format!("{:#x}", prover.to_bytes());
    let rpc_port = free_port();
    let args = node_args_with_ports(&devnet, dir.path(), "node", &genesis, rpc_port, 0);
    // 20 s per proving job: a leaf and the epoch proof alone outlast any epoch's window.
    let mut slow_args = args.clone();
    slow_args.extend(["--dev.throttle-proving-ms".into(), "20000".into()]);
    let mut slow = NodeProcess::spawn(VOUCH, &slow_args, &key);
    let client = admin(rpc_port);
    let rollup = Rollup::new(devnet.deployment.rollup, &devnet.provider);

    // The window closes: the node gives the epoch up, and L1 prunes the unproven chain.
    let given_up = poll("a timed-out session", Duration::from_secs(240), || {
        let client = client.clone();
        async move {
            client
                .get_sessions(Some(SessionFilter {
                    state: Some("timed_out".into()),
                    ..Default::default()
                }))
                .await
                .ok()?
                .into_iter()
                .next()
        }
    })
    .await;
    let mut highest = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let pending = rollup.pendingCheckpointNumber().call().await.unwrap();
        if pending < highest {
            break;
        }
        highest = highest.max(pending);
        assert!(Instant::now() < deadline, "L1 never pruned");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        devnet
            .provider
            .get_transaction_count(prover.address())
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
    let _fast = NodeProcess::spawn(VOUCH, &args, &key);
    poll(
        "an epoch proven after the prune",
        Duration::from_secs(180),
        || {
            let rollup = &rollup;
            async move { (rollup.provenCheckpointNumber().call().await.ok()? > 0).then_some(()) }
        },
    )
    .await;
    devnet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mid_epoch_reorg_proves_the_replacement_and_not_the_orphan() {
    let _heavy = HEAVY.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let devnet = proving_devnet(dir.path(), 3.0, 2).await;
    let genesis = write_genesis(dir.path(), &devnet);
    let key = format!("{:#x}", devnet.anvil.dev_signer(1).to_bytes());
    let rpc_port = free_port();
    let _node = NodeProcess::spawn(
        VOUCH,
        &node_args_with_ports(&devnet, dir.path(), "node", &genesis, rpc_port, 0),
        &key,
    );
    let client = admin(rpc_port);
    let constants = devnet.deployment.constants;
    let rollup = Rollup::new(devnet.deployment.rollup, &devnet.provider);
    // A checkpoint that just landed in the second slot of an epoch (not epoch 0): the node
    // registered it; its replacement will land in the same epoch.
    let (orphan, head) = poll(
        "a checkpoint in an epoch's second slot",
        Duration::from_secs(180),
        || {
            let (client, devnet) = (client.clone(), &devnet);
            async move {
                let head = devnet
                    .provider
                    .get_block_by_number(Default::default())
                    .await
                    .ok()??;
                let slot = constants.slot_at_timestamp(head.header.timestamp)?;
                let epoch = constants.epoch_at_slot(slot);
                let first = constants.first_slot_of_epoch(epoch)?;
                if epoch.get() == 0 || slot.get() != first.get() + 1 {
                    return None;
                }
                let c = client
                    .get_checkpoints(epoch.get())
                    .await
                    .ok()?
                    .into_iter()
                    .find(|c| c.slot == slot.get())?;
                Some((c, head.header.number))
            }
        },
    )
    .await;
    vouch_testnet::L1Control::new(&devnet.provider)
        .reorg(head - orphan.l1_block + 1)
        .await
        .expect("anvil reorgs");
    // The sequencer re-proposes at the same number, normally later in the same epoch (a slot
    // it misses can push it into the next one); the node drops the orphan and proves the
    // replacement.
    let replacement = poll("the replacement on L1", Duration::from_secs(60), || {
        let (rollup, orphan) = (&rollup, &orphan);
        async move {
            let c = rollup.checkpoint(orphan.number).call().await.ok()?;
            (c.archive != orphan.archive && !c.archive.is_zero()).then_some(c)
        }
    })
    .await;
    assert!(replacement.slot > orphan.slot);
    let epoch = constants
        .epoch_at_slot(vouch_primitives::Slot(replacement.slot))
        .get();
    let session = full_epoch_landed(&client, epoch).await;
    assert!(session.from <= orphan.number && orphan.number <= session.to);
    assert!(rollup.provenCheckpointNumber().call().await.unwrap() >= orphan.number);
    for e in [orphan.epoch, epoch] {
        let held = client.get_checkpoints(e).await.unwrap();
        assert!(
            held.iter().all(|c| c.archive != orphan.archive),
            "the orphan is gone from the node"
        );
    }
    assert!(
        client
            .get_checkpoints(epoch)
            .await
            .unwrap()
            .iter()
            .any(|c| c.archive == replacement.archive && c.status == "proven"),
        "the replacement is proven"
    );
    devnet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorg_of_the_last_slot_checkpoint_proves_the_rest_of_the_epoch() {
    let _heavy = HEAVY.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let devnet = proving_devnet(dir.path(), 3.0, 2).await;
    let genesis = write_genesis(dir.path(), &devnet);
    let key = format!("{:#x}", devnet.anvil.dev_signer(1).to_bytes());
    let rpc_port = free_port();
    let _node = NodeProcess::spawn(
        VOUCH,
        &node_args_with_ports(&devnet, dir.path(), "node", &genesis, rpc_port, 0),
        &key,
    );
    let client = admin(rpc_port);
    let constants = devnet.deployment.constants;
    let rollup = Rollup::new(devnet.deployment.rollup, &devnet.provider);
    // The checkpoint of an epoch's last slot (not epoch 0), as soon as the node has it: its
    // session may already be open, since nothing can follow it in the epoch.
    let (orphan, head) = poll("a last-slot checkpoint", Duration::from_secs(180), || {
        let (client, devnet) = (client.clone(), &devnet);
        async move {
            let head = devnet
                .provider
                .get_block_by_number(Default::default())
                .await
                .ok()??;
            let slot = constants.slot_at_timestamp(head.header.timestamp)?;
            let epoch = constants.epoch_at_slot(slot);
            let last = constants.last_slot_of_epoch(epoch)?;
            if epoch.get() == 0 || slot != last {
                return None;
            }
            let c = client
                .get_checkpoints(epoch.get())
                .await
                .ok()?
                .into_iter()
                .find(|c| c.slot == slot.get())?;
            Some((c, head.header.number))
        }
    })
    .await;
    vouch_testnet::L1Control::new(&devnet.provider)
        .reorg(head - orphan.l1_block + 1)
        .await
        .expect("anvil reorgs");
    // Its epoch is proven without it; the sequencer's replacement lands in the next epoch.
    let session = full_epoch_landed(&client, orphan.epoch).await;
    assert_eq!(
        session.to,
        orphan.number - 1,
        "the survivors, and only them"
    );
    let replacement = poll("the replacement on L1", Duration::from_secs(60), || {
        let rollup = &rollup;
        let orphan = &orphan;
        async move {
            let c = rollup.checkpoint(orphan.number).call().await.ok()?;
            (c.archive != orphan.archive && !c.archive.is_zero()).then_some(c)
        }
    })
    .await;
    assert!(
        replacement.slot > orphan.slot,
        "the replacement is in a later slot"
    );
    assert!(
        client
            .get_checkpoints(orphan.epoch)
            .await
            .unwrap()
            .iter()
            .all(|c| c.archive != orphan.archive),
        "the orphan is gone from the node"
    );
    assert!(rollup.provenCheckpointNumber().call().await.unwrap() >= session.to);
    devnet.stop().await;
}
