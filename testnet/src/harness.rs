//! `vouch` processes for end-to-end tests: a proving devnet, the genesis file and flags a node
//! needs, node child processes (logs collected and echoed, so a failing test shows them, and
//! killed when dropped, even on a panic), and the operator's CLI.

use crate::devnet::{DEVNET_CHAIN_ID, Devnet, DevnetConfig};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use vouch_l1_contracts::deploy::VerifierChoice;

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Logs of in-process components (the devnet's sequencer, load generator) into the test's
/// output, which the test runner prints when the test fails. `RUST_LOG` filters; default
/// `info`. Idempotent.
pub fn test_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// A proving devnet: 4 s slots, 4-slot epochs, a window of `window_epochs`, real Plonky3
/// verifier. Its logs go to the test's output ([`test_logging`]).
pub async fn proving_devnet(dir: &Path, tx_rate: f64, window_epochs: u64) -> Devnet {
    test_logging();
    Devnet::start(DevnetConfig {
        l1_port: None,
        slot_duration: 4,
        epoch_duration: 4,
        proof_submission_epochs: window_epochs,
        tx_rate,
        accounts: 8,
        blocks_per_checkpoint: 2,
        max_txs_per_block: 200,
        datadir: dir.join("devnet"),
        sequencer_rpc: "127.0.0.1:0".parse().expect("an address"),
        verifier: VerifierChoice::Plonky3,
        // Deposits every two slots: every scenario proves deposits, across prunes and reorgs.
        deposit_interval: Some(std::time::Duration::from_secs(8)),
    })
    .await
    .expect("devnet starts")
}

/// Writes the devnet's genesis file for `vouch node --genesis`.
pub fn write_genesis(dir: &Path, devnet: &Devnet) -> PathBuf {
    let path = dir.join("genesis.json");
    let accounts: Vec<serde_json::Value> = devnet
        .genesis
        .accounts
        .iter()
        .map(|(owner, balance)| serde_json::json!({"owner": owner, "balance": balance}))
        .collect();
    std::fs::write(
        &path,
        serde_json::json!({"l2_chain_id": DEVNET_CHAIN_ID, "accounts": accounts}).to_string(),
    )
    .expect("genesis written");
    path
}

/// `vouch node` flags for `devnet` with its datadir under `dir/name` and the admin servers on
/// `rpc_port` and `metrics_port` (0: any free port).
pub fn node_args_with_ports(
    devnet: &Devnet,
    dir: &Path,
    name: &str,
    genesis: &Path,
    rpc_port: u16,
    metrics_port: u16,
) -> Vec<String> {
    vec![
        "--l1.rpc-url".into(),
        devnet.anvil.http_url(),
        "--rollup".into(),
        devnet.deployment.rollup.to_string(),
        "--datadir".into(),
        dir.join(name).display().to_string(),
        "--genesis".into(),
        genesis.display().to_string(),
        "--rpc.port".into(),
        rpc_port.to_string(),
        "--metrics.port".into(),
        metrics_port.to_string(),
    ]
}

/// [`node_args_with_ports`] on any free ports (several nodes run at once in tests).
pub fn node_args(devnet: &Devnet, dir: &Path, name: &str, genesis: &Path) -> Vec<String> {
    node_args_with_ports(devnet, dir, name, genesis, 0, 0)
}

/// A `vouch node` child process whose log lines are collected and echoed as `node| …` (test
/// output, which the test runner prints for a failing test).
pub struct NodeProcess {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl NodeProcess {
    /// Starts `vouch node` (the binary at `vouch`) with `args` and the prover key `key`.
    pub fn spawn(vouch: &str, args: &[String], key: &str) -> Self {
        let mut child = Command::new(vouch)
            .arg("node")
            .args(args)
            .env("VOUCH_PROVER_KEY", key)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("vouch node starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let streams: [Box<dyn std::io::Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("piped stdout")),
            Box::new(child.stderr.take().expect("piped stderr")),
        ];
        for stream in streams {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    eprintln!("node| {line}");
                    log.lock().unwrap_or_else(|p| p.into_inner()).push(line);
                }
            });
        }
        Self { child, log }
    }

    /// Whether a log line contains `needle`.
    pub fn saw(&self, needle: &str) -> bool {
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|l| l.contains(needle))
    }

    /// SIGKILL, and waits for it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Ctrl-C, then waits for a clean exit (60 s at most).
    pub fn interrupt(&mut self) {
        Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.child.try_wait().ok().flatten().is_none() {
            assert!(Instant::now() < deadline, "node did not stop");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GET on `127.0.0.1:port`: the status code and the whole response; `None` while nothing
/// listens.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let code = response.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, response))
}

/// The value of metric `name` on a node's metrics port, summed over its label sets; `None`
/// while nothing listens or the node does not export it.
pub fn metric(port: u16, name: &str) -> Option<f64> {
    let (_, text) = http_get(port, "/metrics")?;
    let values: Vec<f64> = text
        .lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

/// Runs an operator command (`vouch status --json …`); returns its exit success and stdout
/// parsed as JSON (`Null` when it is not JSON).
pub fn vouch_cli(vouch: &str, args: &[String]) -> (bool, serde_json::Value) {
    let out = Command::new(vouch).args(args).output().expect("vouch runs");
    if !out.status.success() {
        eprintln!(
            "vouch {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (
        out.status.success(),
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null),
    )
}
