//! The admin API against a running node on anvil (real contracts, real Plonky3 proofs and the
//! real Solidity verifier): every method through a jsonrpsee client, the JWT's negative cases
//! changing nothing, malformed parameters, the event stream, and hostile bodies.

use alloy_rpc_types_engine::{Claims, JwtSecret};
use jsonrpsee::core::client::{Subscription, SubscriptionClientT};
use jsonrpsee::http_client::{HeaderMap, HeaderValue, HttpClient, HttpClientBuilder};
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use proptest::prelude::*;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use vouch_admin::api::{EventView, SessionFilter, VouchApiClient};
use vouch_admin::{AdminConfig, AdminServer, RpcLimits};
use vouch_l1_contracts::bindings::Rollup;
use vouch_l1_contracts::deploy::VerifierChoice;
use vouch_node::publisher::VerifierMode;
use vouch_node::{NodeConfig, NodeHandle, PublisherChoice};
use vouch_testnet::devnet::{DEVNET_CHAIN_ID, Devnet, DevnetConfig};
use vouch_testnet::harness::{http_get, metric};
use vouch_testnet::wait_until;

const MINUTE: Duration = Duration::from_secs(60);

/// One proving test at a time: two on 2 cores would starve each other's proofs.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Running {
    devnet: Devnet,
    node: Arc<NodeHandle>,
    server: AdminServer,
    secret: JwtSecret,
    _dir: tempfile::TempDir,
}

async fn start(publish: bool, tx_rate: f64) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let devnet = Devnet::start(DevnetConfig {
        l1_port: None,
        slot_duration: 4,
        epoch_duration: 4,
        proof_submission_epochs: 3,
        tx_rate,
        accounts: 8,
        blocks_per_checkpoint: 2,
        max_txs_per_block: 200,
        datadir: dir.path().join("devnet"),
        sequencer_rpc: "127.0.0.1:0".parse().unwrap(),
        verifier: VerifierChoice::Plonky3,
        deposit_interval: None,
    })
    .await
    .expect("devnet starts");
    let epoch_verifier = devnet
        .deployment
        .epoch_verifier
        .as_ref()
        .expect("a Plonky3 verifier")
        .epoch_verifier;
    let node = Arc::new(
        NodeHandle::start(NodeConfig {
            l1_rpc_urls: vec![devnet.anvil.http_url()],
            l1_start_block: devnet.deployment.constants.l1_start_block,
            rollup: devnet.deployment.rollup,
            datadir: dir.path().join("node"),
            genesis: devnet.genesis.clone(),
            l2_chain_id: DEVNET_CHAIN_ID,
            backend: vouch_prover::backend::BackendChoice::Plonky3,
            agents: 1,
            max_pending_sessions: 10,
            publisher: if publish {
                PublisherChoice::Evm {
                    signer: devnet.anvil.dev_signer(1),
                    verifier: Some(VerifierMode::Plonky3 { epoch_verifier }),
                    dry_run: false,
                }
            } else {
                PublisherChoice::Disabled
            },
            poll_interval: Duration::from_millis(250),
            prove_at_epoch_end: false,
            dev_throttle_proving: Duration::ZERO,
            dev_hold_epoch_proofs: None,
        })
        .await
        .expect("node starts"),
    );
    let secret = JwtSecret::random();
    let server = AdminServer::start(
        node.clone(),
        AdminConfig {
            rpc_addr: "127.0.0.1:0".parse().unwrap(),
            metrics_addr: Some("127.0.0.1:0".parse().unwrap()),
            allow_external: false,
            jwt: secret,
            limits: RpcLimits {
                max_request_body_bytes: 64 * 1024,
                ..RpcLimits::default()
            },
            health: vouch_admin::metrics::HealthConfig { max_lag_slots: 2 },
            config_view: serde_json::json!({"rollup": devnet.deployment.rollup, "rpc": {"port": 0}}),
        },
    )
    .await
    .expect("admin server starts");
    Running {
        devnet,
        node,
        server,
        secret,
        _dir: dir,
    }
}

fn http(addr: SocketAddr, token: Option<String>) -> HttpClient {
    let mut headers = HeaderMap::new();
    if let Some(t) = token {
        headers.insert(
            http::header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {t}")).unwrap(),
        );
    }
    HttpClientBuilder::default()
        .set_headers(headers)
        .max_response_size(64 << 20)
        .build(format!("http://{addr}"))
        .unwrap()
}

/// A client whose token carries `claims`, signed with `secret`.
fn signed(addr: SocketAddr, secret: &JwtSecret, claims: Claims) -> HttpClient {
    http(addr, Some(secret.encode(&claims).unwrap()))
}

/// Polls `f` every 200 ms until it yields a value; panics naming `what` after `timeout`.
async fn poll<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The JSON-RPC error code of a failed call.
fn code<T: std::fmt::Debug>(r: Result<T, jsonrpsee::core::ClientError>) -> (i32, String) {
    match r {
        Err(jsonrpsee::core::ClientError::Call(e)) => (e.code(), e.message().to_string()),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

/// A raw HTTP POST; returns the status code and body.
fn post(addr: SocketAddr, body: &[u8]) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    // The server may answer (413) and close before reading a huge body: ignore write errors.
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_on_a_proving_node() {
    let _heavy = HEAVY.lock().await;
    let r = start(true, 2.0).await;
    let addr = r.server.rpc_addr;
    let open = http(addr, None);
    let admin = signed(addr, &r.secret, Claims::with_current_timestamp());
    let ws: WsClient = WsClientBuilder::default()
        .build(format!("ws://{addr}"))
        .await
        .unwrap();
    let mut events: Subscription<EventView> = ws
        .subscribe(
            "vouch_subscribeEvents",
            jsonrpsee::rpc_params![],
            "vouch_unsubscribeEvents",
        )
        .await
        .unwrap();

    // Hold proofs back: an epoch proof becomes ready and stays off L1.
    assert!(admin.pause_publishing().await.unwrap());
    assert!(!admin.pause_publishing().await.unwrap(), "already paused");
    assert!(open.status().await.unwrap().publishing_paused);

    // Mutations without a valid token fail and change nothing.
    let expired = signed(
        addr,
        &r.secret,
        Claims {
            iat: Claims::with_current_timestamp().iat - 120,
            exp: None,
        },
    );
    let foreign = http(
        addr,
        Some(
            JwtSecret::random()
                .encode(&Claims::with_current_timestamp())
                .unwrap(),
        ),
    );
    let garbage = http(addr, Some("not.a.jwt".into()));
    for client in [&open, &expired, &foreign, &garbage] {
        let (c, m) = code(client.resume_publishing().await);
        assert_eq!(c, vouch_admin::auth::UNAUTHORIZED_CODE, "{m}");
        assert!(m.contains("unauthorized"), "{m}");
        let before = open.get_sessions(None).await.unwrap().len();
        let (c, _) = code(client.start_proof(0, None).await);
        assert_eq!(c, vouch_admin::auth::UNAUTHORIZED_CODE);
        assert_eq!(open.get_sessions(None).await.unwrap().len(), before);
    }
    assert!(
        open.status().await.unwrap().publishing_paused,
        "still paused"
    );

    // A full epoch proves and waits, paused, in `publishing`.
    let waiting = poll("an epoch proof ready while paused", 3 * MINUTE, || {
        let open = open.clone();
        async move {
            open.get_sessions(Some(SessionFilter {
                state: Some("publishing".into()),
                ..Default::default()
            }))
            .await
            .unwrap()
            .first()
            .cloned()
        }
    })
    .await;
    let rollup = Rollup::new(r.devnet.deployment.rollup, &r.devnet.provider);
    assert_eq!(
        rollup.provenCheckpointNumber().call().await.unwrap(),
        0,
        "nothing lands while paused"
    );
    // Its proofs are served.
    let epoch_proof = open.get_epoch_proof(waiting.epoch).await.unwrap();
    assert_eq!(
        (epoch_proof.from, epoch_proof.to),
        (waiting.from, waiting.to)
    );
    assert_eq!(epoch_proof.session, Some(waiting.id));
    assert!(epoch_proof.proof.len() > 1000);
    let leaf = open.get_checkpoint_proof(waiting.to).await.unwrap();
    assert_eq!(leaf.kind, "checkpoint");
    assert!(!leaf.proof.is_empty());
    let checkpoints = open.get_checkpoints(waiting.epoch).await.unwrap();
    assert_eq!(checkpoints.len() as u64, waiting.to - waiting.from + 1);
    assert!(checkpoints.iter().all(|c| c.status == "proven"));
    assert_eq!(open.get_session(waiting.id).await.unwrap().id, waiting.id);
    assert_eq!(
        open.get_config().await.unwrap()["rollup"],
        serde_json::json!(r.devnet.deployment.rollup)
    );

    // An operator's partial proof of a later epoch, then its cancellation.
    let constants = r.node.constants();
    let partial = poll("a partial proof accepted", 2 * MINUTE, || {
        let admin = admin.clone();
        let open = open.clone();
        async move {
            let s = open.status().await.unwrap();
            let epoch = constants
                .epoch_at_timestamp(vouch_broker::now_ms() / 1000)
                .map_or(0, |e| e.get());
            let c = open
                .get_checkpoints(epoch)
                .await
                .unwrap()
                .into_iter()
                .find(|c| c.number > s.proven_checkpoint)?;
            admin.start_proof(c.epoch, Some(c.number)).await.ok()
        }
    })
    .await;
    let session = open.get_session(partial).await.unwrap();
    assert_eq!(session.kind, "partial");
    assert!(admin.cancel_session(partial).await.unwrap());
    assert_eq!(open.get_session(partial).await.unwrap().state, "cancelled");
    assert!(
        !admin.cancel_session(partial).await.unwrap(),
        "already ended"
    );

    // Malformed parameters name what is wrong.
    let raw = |body: &str| post(addr, body.as_bytes());
    let (_, b) = raw(r#"{"jsonrpc":"2.0","id":1,"method":"vouch_getSession","params":[-1]}"#);
    assert!(b.contains("-32602") && b.contains("`id`"), "{b}");
    let (_, b) = raw(r#"{"jsonrpc":"2.0","id":1,"method":"vouch_getSession","params":["7"]}"#);
    assert!(b.contains("-32602") && b.contains("the string"), "{b}");
    let (_, b) =
        raw(r#"{"jsonrpc":"2.0","id":1,"method":"vouch_getCheckpoints","params":[99999999999]}"#);
    assert!(b.contains("-32602") && b.contains("future"), "{b}");
    let (_, b) = raw(
        r#"{"jsonrpc":"2.0","id":1,"method":"vouch_getSessions","params":[{"state":"bogus"}]}"#,
    );
    assert!(
        b.contains("-32602") && b.contains("awaiting_checkpoints"),
        "{b}"
    );
    let (_, b) = raw(
        r#"{"jsonrpc":"2.0","id":1,"method":"vouch_getCheckpointProof","params":[18446744073709551615]}"#,
    );
    assert!(b.contains("-32602") && b.contains("not on L1"), "{b}");
    let (c, m) = code(admin.cancel_session(987_654).await);
    assert_eq!(c, -32602);
    assert!(m.contains("no session 987654"), "{m}");
    let (c, m) = code(admin.start_proof(u64::MAX, None).await);
    assert_eq!(c, -32602, "{m}");
    // A batch beyond the limit is refused as a whole.
    let batch: Vec<serde_json::Value> = (0..21)
        .map(|i| serde_json::json!({"jsonrpc":"2.0","id":i,"method":"vouch_status"}))
        .collect();
    let (_, b) = raw(&serde_json::to_string(&batch).unwrap());
    assert!(
        b.contains("-32010") || b.contains("too large") || b.contains("limit"),
        "{b}"
    );

    // Resume: the ready proof lands, and the stream tells it.
    assert!(admin.resume_publishing().await.unwrap());
    let mut saw_paused_event = false;
    let landed = tokio::time::timeout(3 * MINUTE, async {
        loop {
            match events.next().await.expect("the stream stays open").unwrap() {
                EventView::Publishing { paused } => saw_paused_event |= !paused,
                EventView::Session { session }
                    if session.id == waiting.id && session.state == "completed" =>
                {
                    return session;
                }
                _ => {}
            }
        }
    })
    .await
    .expect("the proof lands after resuming");
    assert!(saw_paused_event, "the resume was streamed");
    let l = landed.landed.expect("where it landed");
    assert!(l.gas > 0 && l.txs >= 2, "{l:?}");
    assert!(rollup.provenCheckpointNumber().call().await.unwrap() >= waiting.to);
    let completed = open
        .get_sessions(Some(SessionFilter {
            state: Some("completed".into()),
            ..Default::default()
        }))
        .await
        .unwrap();
    assert!(completed.iter().all(|s| s.state == "completed") && !completed.is_empty());
    // The node's tips follow L1 a block behind the receipt its publisher saw.
    let (node, to) = (&open, waiting.to);
    wait_until("the proven tip in vouch_status", MINUTE, || async move {
        node.status().await.unwrap().proven_checkpoint >= to
    })
    .await;
    let status = open.status().await.unwrap();
    assert_eq!(
        status.last_proven_epoch,
        Some(waiting.epoch).max(status.last_proven_epoch)
    );
    assert!(status.l1_head > 0 && status.agents == 1);

    // Metrics and health.
    let metrics_port = r.server.metrics_addr.unwrap().port();
    wait_until("the landing in /metrics", MINUTE, || async move {
        metric(metrics_port, "vouch_epoch_proofs_landed_total").is_some_and(|n| n > 0.0)
    })
    .await;
    let (_, text) = http_get(metrics_port, "/metrics").expect("/metrics answers");
    for (name, _, _) in vouch_admin::metrics::METRICS {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
    let (code_health, body) = http_get(metrics_port, "/health").expect("/health answers");
    assert_eq!(code_health, 200, "{body}");

    drop(events);
    r.server.stop().await;
    r.node.shutdown().await;
    r.devnet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_bodies_never_break_the_server() {
    let _heavy = HEAVY.lock().await;
    let r = start(false, 0.0).await;
    let addr = r.server.rpc_addr;
    let open = http(addr, None);
    open.status().await.expect("serves status");
    let rss = || {
        std::fs::read_to_string("/proc/self/statm")
            .ok()
            .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
            .unwrap_or(0)
            * 4096
    };
    let before = rss();
    let bodies = tokio::task::spawn_blocking(move || {
        let mut sent = 0usize;
        // Fixed shapes: huge, deeply nested, wrong types, batches of junk.
        let fixed: Vec<Vec<u8>> = vec![
            vec![b'['; 200_000],
            format!("{}1{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
            format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"vouch_getSession","params":[{}]}}"#,
                "[".repeat(3000) + &"]".repeat(3000)
            )
            .into_bytes(),
            vec![b'x'; 3 << 20],
            br#"{"jsonrpc":"2.0","id":1,"method":"vouch_startProof","params":{"epoch":{"a":[1,2]}}}"#.to_vec(),
            br#"[{"jsonrpc":"2.0","id":1,"method":"vouch_status"},1,"x",null,{}]"#.to_vec(),
            br#"{"jsonrpc":"2.0","id":1,"method":"vouch_getSessions","params":[{"limit":-5}]}"#.to_vec(),
            br#"{"jsonrpc":"2.0","id":1,"method":"vouch_getSessions","params":[{"limit":1e400}]}"#.to_vec(),
            b"\xff\xfe\x00garbage".to_vec(),
            br#"{"jsonrpc":"2.0","id":{"nested":[1]},"method":"vouch_status"}"#.to_vec(),
        ];
        for body in &fixed {
            let (status, _) = post(addr, body);
            assert!(status > 0, "the server answers every request");
            sent += 1;
        }
        // Random bodies: JSON-ish fragments, methods and params of any type.
        let methods = [
            "vouch_status",
            "vouch_getSession",
            "vouch_getSessions",
            "vouch_getCheckpoints",
            "vouch_getCheckpointProof",
            "vouch_getEpochProof",
            "vouch_startProof",
            "vouch_cancelSession",
            "vouch_pausePublishing",
            "vouch_subscribeEvents",
            "nope",
        ];
        let value = prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| {
            serde_json::Value::String(String::from_utf8_lossy(&b).to_string())
        });
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(|f| serde_json::json!(f)),
            value,
        ];
        let json = leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        });
        let call = (0..methods.len(), json.clone()).prop_map(move |(m, params)| {
            serde_json::json!({"jsonrpc":"2.0","id":1,"method":methods[m],"params":params})
        });
        let body = prop_oneof![
            call.clone().prop_map(|c| c.to_string().into_bytes()),
            prop::collection::vec(call, 0..30)
                .prop_map(|b| serde_json::Value::Array(b).to_string().into_bytes()),
            json.prop_map(|j| j.to_string().into_bytes()),
            prop::collection::vec(any::<u8>(), 0..512),
        ];
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 300,
            failure_persistence: None,
            ..ProptestConfig::default()
        });
        runner
            .run(&body, |b| {
                let (status, _) = post(addr, &b);
                prop_assert!(status > 0, "no answer");
                Ok(())
            })
            .unwrap();
        sent + 300
    })
    .await
    .unwrap();
    // Still serving, nothing mutated (no token was ever sent), memory bounded.
    let status = open.status().await.expect("still serves status");
    assert!(!status.publishing_paused);
    assert!(
        open.get_sessions(None)
            .await
            .unwrap()
            .iter()
            .all(|s| s.kind == "full"),
        "no operator session was created"
    );
    let grown = rss().saturating_sub(before);
    assert!(
        grown < 256 << 20,
        "{bodies} hostile bodies grew the process by {} MiB",
        grown >> 20
    );
    r.server.stop().await;
    r.node.shutdown().await;
    r.devnet.stop().await;
}
