//! The node end to end on anvil with real Plonky3 proofs and the real Solidity verifier:
//! `vouch devnet --epochs 4 --json` proves four epochs in a row on L1, and a `vouch node` killed with SIGKILL
//! mid-epoch resumes on the same datadir without re-proving a leaf.

use std::process::{Command, Stdio};
use std::time::Duration;
use vouch_l1_contracts::bindings::Rollup;
use vouch_testnet::harness::{
    NodeProcess, free_port, http_get, node_args, node_args_with_ports, proving_devnet,
    write_genesis,
};
use vouch_testnet::wait_until;

const VOUCH: &str = env!("CARGO_BIN_EXE_vouch");

/// Both tests prove for real on a 2-core machine: run them one at a time, so neither starves
/// the other's proofs past a submission window.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Polls `vouch status --json` until the node reports a pending checkpoint (5 minutes at most).
fn status_with_a_checkpoint(rpc_port: u16) -> serde_json::Value {
    (0..600)
        .find_map(|_| {
            let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
                .args(["status", "--json", "--rpc-url"])
                .arg(format!("http://127.0.0.1:{rpc_port}"))
                .output()
                .unwrap();
            let parsed: Option<serde_json::Value> = out
                .status
                .success()
                .then(|| serde_json::from_slice(&out.stdout).ok())
                .flatten();
            match parsed {
                Some(s) if s["pendingCheckpoint"].as_u64() > Some(0) => Some(s),
                _ => {
                    std::thread::sleep(Duration::from_millis(500));
                    None
                }
            }
        })
        .expect("vouch status --json reports a pending checkpoint")
}

#[test]
fn devnet_stops_cleanly_on_ctrl_c() {
    let _heavy = HEAVY.blocking_lock();
    let dir = tempfile::tempdir().unwrap();
    let (l1_port, rpc_port) = (free_port(), free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args([
            "devnet",
            "--l1-port",
            &l1_port.to_string(),
            "--sequencer-rpc",
        ])
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--datadir")
        .arg(dir.path().join("devnet"))
        .args(["--rpc.port", &rpc_port.to_string(), "--metrics.port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("vouch devnet runs");
    status_with_a_checkpoint(rpc_port);
    let interrupted = std::time::Instant::now();
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            interrupted.elapsed() < Duration::from_secs(15),
            "vouch devnet still running 15 s after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!("devnet stopped {:?} after Ctrl-C", interrupted.elapsed());
    assert!(status.success(), "{status:?}");
    // anvil (a child process) is gone with it, and so is the admin server.
    assert!(std::net::TcpStream::connect(("127.0.0.1", l1_port)).is_err());
    assert!(std::net::TcpStream::connect(("127.0.0.1", rpc_port)).is_err());
}

/// Every metric name a PromQL expression of the dashboard refers to.
fn dashboard_metrics() -> std::collections::BTreeSet<String> {
    let path = vouch_testnet::repo_root().join("testnet/ops/grafana-dashboard.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // The schema Grafana imports: a title, a uid, panels with a type, a grid position and
    // Prometheus targets.
    assert!(dashboard["title"].is_string() && dashboard["uid"].is_string());
    let mut names = std::collections::BTreeSet::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        assert!(
            panel["type"].is_string() && panel["title"].is_string(),
            "{panel}"
        );
        for key in ["x", "y", "w", "h"] {
            assert!(panel["gridPos"][key].is_u64(), "{panel}");
        }
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty());
        for t in targets {
            let expr = t["expr"].as_str().expect("a PromQL expr");
            let mut rest = expr;
            while let Some(i) = rest.find("vouch_") {
                let name: String = rest[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                rest = &rest[i + name.len()..];
                // Histograms are queried through their `_bucket` series.
                names.insert(name.trim_end_matches("_bucket").to_string());
            }
        }
    }
    names
}

/// Runs `vouch devnet --epochs N --json` with `shape` flags; checks its status, metrics and
/// summary while and after it proves `epochs` epochs on L1.
fn devnet_proves(epochs: u64, shape: &[&str]) {
    let _heavy = HEAVY.blocking_lock();
    let dir = tempfile::tempdir().unwrap();
    let (rpc_port, metrics_port) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args([
            "devnet",
            "--epochs",
            &epochs.to_string(),
            "--json",
            "--l1-port",
        ])
        .arg(free_port().to_string())
        .arg("--sequencer-rpc")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--datadir")
        .arg(dir.path().join("devnet"))
        .args(["--rpc.port", &rpc_port.to_string()])
        .args(["--metrics.port", &metrics_port.to_string()])
        .args(shape)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("vouch devnet runs");
    // While it runs: `vouch status --json` and /metrics answer, and every metric the
    // dashboard queries is exported.
    let status = status_with_a_checkpoint(rpc_port);
    assert!(status["l1Head"].as_u64() > Some(0), "{status}");
    let expected = dashboard_metrics();
    assert!(expected.len() > 20, "{expected:?}");
    let (code, text) = http_get(metrics_port, "/metrics").expect("/metrics answers");
    assert_eq!(code, 200);
    for name in &expected {
        assert!(
            text.contains(name.as_str()),
            "the dashboard queries {name}, /metrics lacks it"
        );
    }
    let out = child.wait_with_output().expect("vouch devnet ends");
    assert!(
        out.status.success(),
        "vouch devnet failed: {:?}",
        out.status
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(stdout.lines().last().expect("a summary line")).unwrap();
    eprintln!("summary: {summary}");
    assert!(summary["epochs_proven"].as_u64().unwrap() >= epochs);
    assert!(summary["checkpoints_proven"].as_u64().unwrap() >= epochs);
    assert_eq!(summary["reproved_leaves"], 0);
    for epoch in summary["epochs"].as_array().unwrap() {
        assert_eq!(epoch["first_leaf_proof_before_epoch_end"], true, "{epoch}");
        assert!(epoch["deadline_slack_ms"].as_i64().unwrap() > 0, "{epoch}");
        assert!(epoch["latency_ms"].as_u64().is_some(), "{epoch}");
    }
}

#[test]
fn devnet_proves_four_epochs_on_l1_and_reports_them() {
    devnet_proves(4, &[]);
}

/// The slow, realistic run (not in CI): Ethereum's 12 s slots, 32-slot epochs, two epochs
/// (about 15 minutes). `cargo test -p vouch --test node -- --ignored`.
#[test]
#[ignore = "slow and realistic: about 15 minutes"]
fn a_realistic_devnet_proves_epochs_of_32_slots_of_12_s() {
    devnet_proves(
        2,
        &[
            "--slot-duration",
            "12",
            "--epoch-duration",
            "32",
            "--proof-submission-epochs",
            "1",
            "--tx-rate",
            "5",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_epoch_resumes_without_reproving() {
    let _heavy = HEAVY.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let devnet = proving_devnet(dir.path(), 5.0, 2).await;
    let genesis = write_genesis(dir.path(), &devnet);
    let key = format!("{:#x}", devnet.anvil.dev_signer(1).to_bytes());
    let args = node_args(&devnet, dir.path(), "node", &genesis);
    let rollup = Rollup::new(devnet.deployment.rollup, &devnet.provider);

    let mut first = NodeProcess::spawn(VOUCH, &args, &key);
    wait_until("a leaf proof", Duration::from_secs(120), || async {
        first.saw("checkpoint proven")
    })
    .await;
    let pending_at_kill = rollup.pendingCheckpointNumber().call().await.unwrap();
    first.kill9();

    // The restarted node's primary L1 URL is dead: it runs on the fallback.
    let mut fallback_args = args.clone();
    fallback_args[1] = format!(
        "http://127.0.0.1:{},{}",
        free_port(),
        devnet.anvil.http_url()
    );
    let mut second = NodeProcess::spawn(VOUCH, &fallback_args, &key);
    wait_until(
        "the epoch being proven at the kill lands on L1",
        Duration::from_secs(180),
        || async { rollup.provenCheckpointNumber().call().await.unwrap_or(0) >= pending_at_kill },
    )
    .await;
    second.interrupt();
    assert!(
        second.saw("reproved_leaves=0"),
        "the restarted node re-proved a leaf"
    );
    assert!(
        second.saw("resumed_after_ms="),
        "the restart reports when it resumed"
    );
    devnet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_racing_land_each_epoch_once() {
    use alloy::providers::Provider;
    use alloy::rpc::types::Filter;
    use alloy::sol_types::SolEvent;
    let _heavy = HEAVY.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let devnet = proving_devnet(dir.path(), 3.0, 2).await;
    let genesis = write_genesis(dir.path(), &devnet);

    let key = |i: usize| format!("{:#x}", devnet.anvil.dev_signer(i).to_bytes());
    let (metrics_a, metrics_b) = (free_port(), free_port());
    let mut a = NodeProcess::spawn(
        VOUCH,
        &node_args_with_ports(&devnet, dir.path(), "a", &genesis, 0, metrics_a),
        &key(1),
    );
    let mut b = NodeProcess::spawn(
        VOUCH,
        &node_args_with_ports(&devnet, dir.path(), "b", &genesis, 0, metrics_b),
        &key(2),
    );
    let rollup = Rollup::new(devnet.deployment.rollup, &devnet.provider);
    let proven_events = || async {
        let logs = devnet
            .provider
            .get_logs(
                &Filter::new()
                    .address(devnet.deployment.rollup)
                    .event_signature(Rollup::EpochProven::SIGNATURE_HASH)
                    .from_block(0),
            )
            .await
            .unwrap();
        logs.iter()
            .map(|l| {
                Rollup::EpochProven::decode_log_data(l.data())
                    .unwrap()
                    .epoch
            })
            .collect::<Vec<u64>>()
    };
    wait_until(
        "two epochs proven on L1",
        Duration::from_secs(240),
        || async {
            let mut epochs = proven_events().await;
            epochs.dedup();
            epochs.len() >= 2
        },
    )
    .await;
    // Give the slower node time to finish its attempt at the same epochs.
    let proven = rollup.provenCheckpointNumber().call().await.unwrap();
    wait_until(
        "both nodes settled their sessions",
        Duration::from_secs(60),
        || async { a.saw("Superseded") || b.saw("Superseded") },
    )
    .await;
    let epochs = proven_events().await;
    let mut unique = epochs.clone();
    unique.dedup();
    assert_eq!(epochs, unique, "an epoch proven twice: {epochs:?}");
    assert!(proven > 0);
    // Both healthy: synced and with agents, the loser included.
    for port in [metrics_a, metrics_b] {
        let (code, body) = http_get(port, "/health").expect("/health answers");
        assert_eq!(code, 200, "{body}");
    }
    a.interrupt();
    b.interrupt();
    assert!(
        a.saw("node stopped") && b.saw("node stopped"),
        "both kept running"
    );
    devnet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_right_after_broadcasting_resumes_the_same_transaction() {
    use alloy::providers::Provider;
    let _heavy = HEAVY.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let devnet = proving_devnet(dir.path(), 3.0, 2).await;
    let genesis = write_genesis(dir.path(), &devnet);
    let signer = devnet.anvil.dev_signer(1);
    let key = format!("{:#x}", signer.to_bytes());
    let datadir = dir.path().join("node");
    let args = node_args(&devnet, dir.path(), "node", &genesis);
    let rollup = Rollup::new(devnet.deployment.rollup, &devnet.provider);
    let mut first = NodeProcess::spawn(VOUCH, &args, &key);
    wait_until(
        "a proof transaction broadcast",
        Duration::from_secs(180),
        || async { first.saw("transaction signed and journalled") },
    )
    .await;
    first.kill9();
    let mut second = NodeProcess::spawn(VOUCH, &args, &key);
    wait_until(
        "an epoch proven on L1",
        Duration::from_secs(180),
        || async { rollup.provenCheckpointNumber().call().await.unwrap_or(0) > 0 },
    )
    .await;
    second.interrupt();
    assert!(
        second.saw("resuming a journalled transaction"),
        "the restart resumed"
    );
    // Every nonce the prover used belongs to exactly one journalled step: nothing was sent
    // twice with a new nonce, and nothing outside the journal.
    let sent = devnet
        .provider
        .get_transaction_count(signer.address())
        .await
        .unwrap();
    let kv = std::sync::Arc::new(
        vouch_storage::RocksKv::open(datadir.join("db"), &vouch_settlement::journal::TABLES)
            .unwrap(),
    );
    let journal = vouch_settlement::journal::Journal::new(kv);
    let mut keys = std::collections::HashSet::new();
    for nonce in 0..sent {
        let entry = journal
            .entry(nonce)
            .unwrap()
            .unwrap_or_else(|| panic!("nonce {nonce} used outside the journal"));
        assert!(
            keys.insert(entry.key.clone()),
            "step {} sent twice",
            entry.key
        );
    }
    assert!(sent >= 4, "a whole epoch submission: {sent} transactions");
    devnet.stop().await;
}
