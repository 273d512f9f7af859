//! `vouch node` settings: defaults < TOML file (`--config`) < environment < flags.
//!
//! Layering is figment's: the defaults, the file and the flags (clap reads the `VOUCH_*`
//! environment variables into the same flags, so a flag beats its variable) are merged and
//! extracted once; a bad value is refused naming its key.

use alloy::primitives::Address;
use anyhow::{Result, bail};
use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use url::Url;
use vouch_admin::RpcLimits;

/// Every setting of `vouch node`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeSettings {
    /// Data directory.
    pub datadir: PathBuf,
    /// The `Rollup` contract.
    pub rollup: Option<Address>,
    /// The L2 genesis file.
    pub genesis: Option<PathBuf>,
    /// L1 connection.
    pub l1: L1Settings,
    /// Proving.
    pub prover: ProverSettings,
    /// Publishing.
    pub publisher: PublisherSettings,
    /// Admin JSON-RPC.
    pub rpc: RpcSettings,
    /// Metrics and health.
    pub metrics: MetricsSettings,
}

/// `[l1]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct L1Settings {
    /// JSON-RPC URLs, the first primary.
    pub rpc_urls: Vec<String>,
    /// Block the rollup was deployed at.
    pub start_block: u64,
    /// Poll interval (ms).
    pub poll_interval_ms: u64,
}

/// `[prover]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProverSettings {
    /// `plonky3` or `insecure-fake`.
    pub backend: String,
    /// Local agents (`None`: one per two cores).
    pub agents: Option<usize>,
    /// Live sessions at most.
    pub max_pending_sessions: usize,
    /// Encrypted keystore of the prover's L1 key.
    pub keystore: Option<PathBuf>,
    /// Its password file.
    pub keystore_password_file: Option<PathBuf>,
    /// Benchmark baseline: prove checkpoints only once their epoch is complete.
    pub prove_at_epoch_end: bool,
    /// Development and tests only: a pause before every proving job (ms; 0: none).
    pub dev_throttle_proving_ms: u64,
    /// Development and tests only: epoch proofs wait while this file exists.
    pub dev_hold_epoch_proofs: Option<PathBuf>,
}

/// `[publisher]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PublisherSettings {
    /// Publish proofs on L1.
    pub enabled: bool,
    /// Simulate instead of sending.
    pub dry_run: bool,
    /// The rollup uses the INSECURE mock verifier.
    pub insecure_mock_verifier: bool,
}

/// `[rpc]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RpcSettings {
    /// Listen address.
    pub addr: IpAddr,
    /// Port (0: any free port).
    pub port: u16,
    /// Allow a non-loopback address.
    pub allow_external: bool,
    /// JWT secret file (`None`: `<datadir>/jwt.hex`, generated when absent).
    pub jwt_secret: Option<PathBuf>,
    /// Request bounds.
    pub limits: RpcLimits,
}

/// `[metrics]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSettings {
    /// Serve `/metrics` and `/health`.
    pub enabled: bool,
    /// Listen address.
    pub addr: IpAddr,
    /// Port.
    pub port: u16,
    /// `/health` fails when the synced slot trails the clock by more slots than this.
    pub max_lag_slots: u64,
}

/// Default admin JSON-RPC port.
pub const DEFAULT_RPC_PORT: u16 = 8550;
/// Default metrics port.
pub const DEFAULT_METRICS_PORT: u16 = 9550;
const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

impl Default for NodeSettings {
    fn default() -> Self {
        Self {
            datadir: PathBuf::from(".vouch"),
            rollup: None,
            genesis: None,
            l1: L1Settings::default(),
            prover: ProverSettings::default(),
            publisher: PublisherSettings::default(),
            rpc: RpcSettings::default(),
            metrics: MetricsSettings::default(),
        }
    }
}

impl Default for L1Settings {
    fn default() -> Self {
        Self {
            rpc_urls: Vec::new(),
            start_block: 0,
            poll_interval_ms: 500,
        }
    }
}

impl Default for ProverSettings {
    fn default() -> Self {
        Self {
            backend: "plonky3".into(),
            agents: None,
            max_pending_sessions: 10,
            keystore: None,
            keystore_password_file: None,
            prove_at_epoch_end: false,
            dev_throttle_proving_ms: 0,
            dev_hold_epoch_proofs: None,
        }
    }
}

impl Default for PublisherSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            dry_run: false,
            insecure_mock_verifier: false,
        }
    }
}

impl Default for RpcSettings {
    fn default() -> Self {
        Self {
            addr: LOCALHOST,
            port: DEFAULT_RPC_PORT,
            allow_external: false,
            jwt_secret: None,
            limits: RpcLimits::default(),
        }
    }
}

impl Default for MetricsSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            addr: LOCALHOST,
            port: DEFAULT_METRICS_PORT,
            max_lag_slots: 2,
        }
    }
}

impl NodeSettings {
    /// Merges the defaults, the file at `path` (when given; it must exist) and `overrides` (the
    /// flags and environment, as a partial settings tree), then checks the result.
    pub fn load(path: Option<&Path>, overrides: serde_json::Value) -> Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Self::default()));
        if let Some(path) = path {
            if !path.is_file() {
                bail!("config file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file(path));
        }
        let settings: Self = figment
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(describe)?;
        settings.check()?;
        Ok(settings)
    }

    /// Refuses what parses but cannot work, naming the key.
    pub fn check(&self) -> Result<()> {
        if self.rollup.is_none() {
            bail!("`rollup` is required: the Rollup contract's address (--rollup)");
        }
        if self.genesis.is_none() {
            bail!("`genesis` is required: the L2 genesis file (--genesis)");
        }
        if self.l1.rpc_urls.is_empty() {
            bail!("`l1.rpc_urls` is required: at least one L1 JSON-RPC URL (--l1.rpc-url)");
        }
        for url in &self.l1.rpc_urls {
            crate::cli::parse_rpc_url(url).map_err(|e| anyhow::anyhow!("`l1.rpc_urls`: {e}"))?;
        }
        self.prover
            .backend
            .parse::<vouch_prover::backend::BackendChoice>()
            .map_err(|e| anyhow::anyhow!("`prover.backend`: {e}"))?;
        if self.prover.agents == Some(0) {
            bail!("`prover.agents`: expected at least 1");
        }
        if self.prover.max_pending_sessions == 0 {
            bail!("`prover.max_pending_sessions`: expected at least 1");
        }
        if self.prover.keystore.is_some() != self.prover.keystore_password_file.is_some() {
            bail!("`prover.keystore` and `prover.keystore_password_file` go together");
        }
        if self.l1.poll_interval_ms == 0 {
            bail!("`l1.poll_interval_ms`: expected at least 1");
        }
        if self.metrics.enabled
            && self.rpc.port != 0
            && self.rpc.port == self.metrics.port
            && self.rpc.addr == self.metrics.addr
        {
            bail!(
                "`rpc.port` and `metrics.port` are both {}: they need two ports",
                self.rpc.port
            );
        }
        let l = &self.rpc.limits;
        for (key, v) in [
            ("max_request_body_bytes", l.max_request_body_bytes),
            ("max_response_body_bytes", l.max_response_body_bytes),
            ("max_connections", l.max_connections),
            ("max_batch_requests", l.max_batch_requests),
            (
                "max_subscriptions_per_connection",
                l.max_subscriptions_per_connection,
            ),
        ] {
            if v == 0 {
                bail!("`rpc.limits.{key}`: expected at least 1");
            }
        }
        Ok(())
    }

    /// The JWT secret file.
    pub fn jwt_secret_path(&self) -> PathBuf {
        self.rpc
            .jwt_secret
            .clone()
            .unwrap_or_else(|| self.datadir.join("jwt.hex"))
    }

    /// The admin JSON-RPC address.
    pub fn rpc_addr(&self) -> SocketAddr {
        SocketAddr::new(self.rpc.addr, self.rpc.port)
    }

    /// The metrics address, when served.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics
            .enabled
            .then(|| SocketAddr::new(self.metrics.addr, self.metrics.port))
    }

    /// What `vouch_getConfig` shows: everything, with credentials in L1 URLs (user info, paths
    /// and queries, where providers put API keys) redacted. The prover key is never a setting.
    pub fn redacted(&self) -> serde_json::Value {
        let mut shown = self.clone();
        shown.l1.rpc_urls = self.l1.rpc_urls.iter().map(|u| redact_url(u)).collect();
        serde_json::to_value(&shown).unwrap_or_default()
    }
}

/// Every error of a failed extraction, each naming its key and where the value came from.
fn describe(error: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = error
        .into_iter()
        .map(|e| {
            let from = e
                .metadata
                .as_ref()
                .and_then(|m| m.source.as_ref())
                .map(|s| format!(" (from {s})"))
                .unwrap_or_default();
            if e.path.is_empty() {
                format!("{}{from}", e.kind)
            } else {
                format!("`{}`: {}{from}", e.path.join("."), e.kind)
            }
        })
        .collect();
    anyhow::anyhow!("invalid configuration: {}", lines.join("; "))
}

/// `scheme://host:port` plus `/…` when the URL had a path, query or user info.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("");
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            let hidden = !u.username().is_empty()
                || u.password().is_some()
                || u.path() != "/" && !u.path().is_empty()
                || u.query().is_some();
            format!(
                "{}://{host}{port}{}",
                u.scheme(),
                if hidden { "/<redacted>" } else { "" }
            )
        }
        Err(_) => "<redacted>".into(),
    }
}

/// `vouch config example`: every setting with its default, commented.
pub const EXAMPLE: &str = r#"# Vouch node configuration (`vouch node --config vouch.toml`).
# Precedence: command-line flags > VOUCH_* environment variables > this file > defaults.
# Every value below is the default unless marked "required".

# Where the node keeps its RocksDB state, proofs and the JWT secret.
datadir = "/var/lib/vouch"
# Required: the Rollup contract on L1.
rollup = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
# Required: the L2 genesis (JSON: {"l2_chain_id": N, "accounts": [{"owner": "0x…", "balance": N}]}).
genesis = "/etc/vouch/genesis.json"

[l1]
# Required: L1 JSON-RPC URLs; the first is primary, the others are fallbacks.
rpc_urls = ["http://127.0.0.1:8545"]
# The L1 block the rollup was deployed at (following starts there).
start_block = 0
# How often the follower polls L1 (ms).
poll_interval_ms = 500

[prover]
# "plonky3", or "insecure-fake" (proves nothing; development only).
backend = "plonky3"
# Local proving agents; unset: one per two cores (each proof uses every core).
# agents = 1
# Epoch sessions alive at once, at most.
max_pending_sessions = 10
# The prover's L1 key: an encrypted keystore and its password file. Without them the key is
# read from the VOUCH_PROVER_KEY environment variable, never from this file or a flag.
# keystore = "/etc/vouch/prover-keystore.json"
# keystore_password_file = "/etc/vouch/prover-keystore.pass"
# Benchmark baseline: prove checkpoints only once their epoch is complete on L1, instead of
# the moment each lands (optimistic proving). Not for production.
prove_at_epoch_end = false
# Development and tests only: pause this many ms before every proving job (a slow prover).
dev_throttle_proving_ms = 0
# Development and tests only: epoch proofs wait while this file exists (a gate for tests).
# dev_hold_epoch_proofs = "/tmp/vouch-hold"

[publisher]
# Publish epoch proofs on L1 (false: prove only).
enabled = true
# Simulate every transaction and log the gas and fee instead of sending.
dry_run = false
# The rollup was deployed with the INSECURE mock verifier (development only).
insecure_mock_verifier = false

[rpc]
# Admin JSON-RPC (HTTP and WebSocket on one port). Non-loopback addresses need allow_external.
addr = "127.0.0.1"
port = 8550
allow_external = false
# HS256 secret (32 bytes hex) for mutating calls; unset: <datadir>/jwt.hex, created (0600) if absent.
# jwt_secret = "/etc/vouch/jwt.hex"

[rpc.limits]
max_request_body_bytes = 1048576
max_response_body_bytes = 67108864
max_connections = 64
max_batch_requests = 20
max_subscriptions_per_connection = 16

[metrics]
# Prometheus /metrics and /health.
enabled = true
addr = "127.0.0.1"
port = 9550
# /health answers 503 when the synced slot trails the wall clock by more slots than this.
max_lag_slots = 2
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    #[test]
    fn example_is_valid_and_matches_the_defaults() {
        let f = write(EXAMPLE);
        let s = NodeSettings::load(Some(f.path()), json!({})).unwrap();
        let d = NodeSettings::default();
        assert_eq!(s.l1.start_block, d.l1.start_block);
        assert_eq!(s.l1.poll_interval_ms, d.l1.poll_interval_ms);
        assert_eq!(s.prover, d.prover);
        assert_eq!(s.publisher, d.publisher);
        assert_eq!(s.rpc, d.rpc);
        assert_eq!(s.metrics, d.metrics);
    }

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let f = write(
            "rollup = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\ngenesis = \"g.json\"\n\
             [l1]\nrpc_urls = [\"http://a:1\"]\n[rpc]\nport = 7000\n[metrics]\nport = 7001\n",
        );
        let s = NodeSettings::load(Some(f.path()), json!({"rpc": {"port": 7100}})).unwrap();
        assert_eq!(s.rpc.port, 7100);
        assert_eq!(s.metrics.port, 7001);
        assert_eq!(s.prover.max_pending_sessions, 10);
    }

    #[test]
    fn bad_values_name_their_key() {
        let base = "rollup = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\ngenesis = \"g\"\n\
                    [l1]\nrpc_urls = [\"http://a:1\"]\n";
        let cases = [
            ("[rpc]\nport = \"high\"\n", "port"),
            ("[rpc]\nport = 70000\n", "port"),
            ("[prover]\nagents = -1\n", "agents"),
            ("[prover]\nbackend = \"gpu\"\n", "prover.backend"),
            ("[metrics]\nprot = 1\n", "prot"),
            ("[l1]\n", "duplicate"),
        ];
        for (extra, key) in cases {
            let f = write(&format!("{base}{extra}"));
            let e = NodeSettings::load(Some(f.path()), json!({}))
                .unwrap_err()
                .to_string();
            assert!(e.contains(key), "{extra:?}: {e}");
        }
        let e = NodeSettings::load(None, json!({})).unwrap_err().to_string();
        assert!(e.contains("`rollup` is required"), "{e}");
        let e = NodeSettings::load(Some(Path::new("/nonexistent/v.toml")), json!({}))
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not exist"), "{e}");
    }

    #[test]
    fn shipped_sample_is_the_example() {
        assert_eq!(
            include_str!("../../../testnet/ops/vouch.toml"),
            EXAMPLE,
            "regenerate it: vouch config example > testnet/ops/vouch.toml"
        );
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("https://eth-mainnet.example/v2/SECRETKEY"),
            "https://eth-mainnet.example/<redacted>"
        );
        assert_eq!(redact_url("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(
            redact_url("https://user:pw@host/"),
            "https://host/<redacted>"
        );
    }
}
