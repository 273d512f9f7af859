//! Command-line interface: flags > environment variables (> TOML, added with the node config).

use alloy::primitives::{Address, B256};
use clap::{Args, Parser, Subcommand, ValueEnum};
use url::Url;
use vouch_l1_contracts::deploy::VerifierChoice;

/// Vouch: a prover sidecar node for ZK rollups.
#[derive(Debug, Parser)]
#[command(name = "vouch", version, about)]
pub struct Cli {
    /// Logging options.
    #[command(flatten)]
    pub log: LogArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Logging flags.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Log format.
    #[arg(long, global = true, env = "VOUCH_LOG_FORMAT", default_value = "human")]
    pub log_format: LogFormat,
}

/// How logs are printed.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deploy the Rollup contract and print the deployment as JSON.
    Deploy(DeployArgs),
    /// Print a deployed rollup's constants and tips as JSON.
    RollupInfo(RollupInfoArgs),
    /// Run the prover node: follow L1, prove every checkpoint, build and settle epoch proofs.
    Node(NodeArgs),
    /// Run a local devnet: anvil, the contracts, the sequencer, a transaction generator and
    /// the node.
    Devnet(DevnetArgs),
    /// Benchmarks, printed as JSON.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// A running node's status: sync, tips, sessions, broker, publishing.
    Status(ClientArgs),
    /// A running node's sessions, newest first.
    Sessions(SessionsArgs),
    /// Ask a running node to prove (part of) an epoch now (JWT).
    Prove(ProveArgs),
    /// Withdraw a session (JWT).
    Cancel(CancelArgs),
    /// Pause or resume publishing (JWT).
    Publishing(PublishingArgs),
    /// Save an epoch's (or a checkpoint's) proof from a running node.
    Proof(ProofArgs),
    /// Configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// `vouch node`. Every option can also come from the TOML file (`--config`; `vouch config
/// example` prints one) and from its `VOUCH_*` variable; flags win over both.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// TOML configuration file.
    #[arg(long, env = "VOUCH_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// L1 JSON-RPC URL; repeat or comma-separate for fallbacks (the first is primary).
    /// [config: l1.rpc_urls; required]
    #[arg(long = "l1.rpc-url", env = "VOUCH_L1_RPC_URL", value_parser = parse_rpc_url, value_delimiter = ',')]
    pub l1_rpc_urls: Vec<Url>,
    /// L1 block the rollup was deployed at (following starts there). [config: l1.start_block;
    /// default: 0]
    #[arg(long = "l1.start-block", env = "VOUCH_L1_START_BLOCK")]
    pub l1_start_block: Option<u64>,
    /// The `Rollup` contract. [config: rollup; required]
    #[arg(long, env = "VOUCH_ROLLUP")]
    pub rollup: Option<Address>,
    /// Data directory (created if missing; a datadir of another deployment is refused).
    /// [config: datadir; default: .vouch]
    #[arg(long, env = "VOUCH_DATADIR")]
    pub datadir: Option<std::path::PathBuf>,
    /// The L2 genesis: JSON `{"l2_chain_id": N, "accounts": [{"owner": "0x…", "balance": N}]}`
    /// (`vouch devnet` writes one to its datadir). [config: genesis; required]
    #[arg(long, env = "VOUCH_GENESIS")]
    pub genesis: Option<std::path::PathBuf>,
    /// Proving backend: `plonky3`, or `insecure-fake` (proves nothing; development only).
    /// [config: prover.backend; default: plonky3]
    #[arg(long, env = "VOUCH_BACKEND")]
    pub backend: Option<String>,
    /// Local proving agents. [config: prover.agents; default: one per two cores]
    #[arg(long, env = "VOUCH_AGENTS")]
    pub agents: Option<usize>,
    /// Live epoch sessions at most. [config: prover.max_pending_sessions; default: 10]
    #[arg(long, env = "VOUCH_MAX_PENDING_SESSIONS")]
    pub max_pending_sessions: Option<usize>,
    /// Encrypted keystore (Web3 secret storage) of the prover's L1 key. Without it the key is
    /// read from `VOUCH_PROVER_KEY`; never from a flag. [config: prover.keystore]
    #[arg(long, env = "VOUCH_PROVER_KEYSTORE")]
    pub prover_keystore: Option<std::path::PathBuf>,
    /// File holding the keystore's password. [config: prover.keystore_password_file]
    #[arg(long, env = "VOUCH_PROVER_KEYSTORE_PASSWORD_FILE")]
    pub prover_keystore_password_file: Option<std::path::PathBuf>,
    /// Benchmark baseline: prove checkpoints only once their epoch is complete on L1 instead
    /// of the moment each lands. [config: prover.prove_at_epoch_end; default: false]
    #[arg(long)]
    pub prove_at_epoch_end: bool,
    /// DEVELOPMENT AND TESTS ONLY: pause this many ms before every proving job, to simulate a
    /// prover too slow for the window. [config: prover.dev_throttle_proving_ms; default: 0]
    #[arg(long = "dev.throttle-proving-ms")]
    pub dev_throttle_proving_ms: Option<u64>,
    /// DEVELOPMENT AND TESTS ONLY: epoch proofs wait while this file exists (tests gate the
    /// epoch proof with it). [config: prover.dev_hold_epoch_proofs; default: none]
    #[arg(long = "dev.hold-epoch-proofs", value_name = "FILE")]
    pub dev_hold_epoch_proofs: Option<std::path::PathBuf>,
    /// Prove but do not publish. [config: publisher.enabled = false]
    #[arg(long)]
    pub no_publish: bool,
    /// Publish as a dry run: simulate every transaction (`eth_simulateV1`) and log the gas and
    /// fee estimate instead of sending. [config: publisher.dry_run; default: false]
    #[arg(long)]
    pub dry_run: bool,
    /// The rollup uses the INSECURE mock verifier (publish empty proofs).
    /// [config: publisher.insecure_mock_verifier; default: false]
    #[arg(long)]
    pub insecure_mock_verifier: bool,
    /// Admin servers.
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// Flags of the admin JSON-RPC and metrics servers (`vouch node`, `vouch devnet`).
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// Admin JSON-RPC listen address. [config: rpc.addr; default: 127.0.0.1]
    #[arg(long = "rpc.addr", env = "VOUCH_RPC_ADDR")]
    pub rpc_addr: Option<std::net::IpAddr>,
    /// Admin JSON-RPC port (HTTP and WebSocket). [config: rpc.port; default: 8550]
    #[arg(long = "rpc.port", env = "VOUCH_RPC_PORT")]
    pub rpc_port: Option<u16>,
    /// Allow a non-loopback admin address (logged as a warning). [config: rpc.allow_external]
    #[arg(long = "rpc.allow-external")]
    pub rpc_allow_external: bool,
    /// Metrics and health listen address. [config: metrics.addr; default: 127.0.0.1]
    #[arg(long = "metrics.addr", env = "VOUCH_METRICS_ADDR")]
    pub metrics_addr: Option<std::net::IpAddr>,
    /// Metrics and health port. [config: metrics.port; default: 9550]
    #[arg(long = "metrics.port", env = "VOUCH_METRICS_PORT")]
    pub metrics_port: Option<u16>,
    /// JWT secret file for mutating admin calls (32 bytes hex); generated (mode 0600) when
    /// absent. [config: rpc.jwt_secret; default: <datadir>/jwt.hex]
    #[arg(long = "jwt-secret", env = "VOUCH_JWT_SECRET")]
    pub jwt_secret: Option<std::path::PathBuf>,
}

impl AdminArgs {
    /// The flags given, as a partial settings tree.
    pub fn overrides(&self) -> serde_json::Value {
        let mut rpc = serde_json::Map::new();
        let mut metrics = serde_json::Map::new();
        if let Some(a) = self.rpc_addr {
            rpc.insert("addr".into(), a.to_string().into());
        }
        if let Some(p) = self.rpc_port {
            rpc.insert("port".into(), p.into());
        }
        if self.rpc_allow_external {
            rpc.insert("allow_external".into(), true.into());
        }
        if let Some(j) = &self.jwt_secret {
            rpc.insert("jwt_secret".into(), j.display().to_string().into());
        }
        if let Some(a) = self.metrics_addr {
            metrics.insert("addr".into(), a.to_string().into());
        }
        if let Some(p) = self.metrics_port {
            metrics.insert("port".into(), p.into());
        }
        serde_json::json!({ "rpc": rpc, "metrics": metrics })
    }
}

impl NodeArgs {
    /// The flags (and their environment variables) given, as a partial settings tree.
    pub fn overrides(&self) -> serde_json::Value {
        let mut root = self.admin.overrides();
        let mut put = |path: &[&str], v: serde_json::Value| {
            let mut at = &mut root;
            for key in &path[..path.len() - 1] {
                at = at
                    .as_object_mut()
                    .expect("objects all the way")
                    .entry(key.to_string())
                    .or_insert_with(|| serde_json::json!({}));
            }
            at.as_object_mut()
                .expect("objects all the way")
                .insert(path[path.len() - 1].to_string(), v);
        };
        if !self.l1_rpc_urls.is_empty() {
            put(
                &["l1", "rpc_urls"],
                self.l1_rpc_urls.iter().map(|u| u.to_string()).collect(),
            );
        }
        if let Some(b) = self.l1_start_block {
            put(&["l1", "start_block"], b.into());
        }
        if let Some(r) = self.rollup {
            put(&["rollup"], r.to_string().into());
        }
        if let Some(d) = &self.datadir {
            put(&["datadir"], d.display().to_string().into());
        }
        if let Some(g) = &self.genesis {
            put(&["genesis"], g.display().to_string().into());
        }
        if let Some(b) = &self.backend {
            put(&["prover", "backend"], b.clone().into());
        }
        if let Some(a) = self.agents {
            put(&["prover", "agents"], a.into());
        }
        if let Some(m) = self.max_pending_sessions {
            put(&["prover", "max_pending_sessions"], m.into());
        }
        if let Some(k) = &self.prover_keystore {
            put(&["prover", "keystore"], k.display().to_string().into());
        }
        if let Some(p) = &self.prover_keystore_password_file {
            put(
                &["prover", "keystore_password_file"],
                p.display().to_string().into(),
            );
        }
        if let Some(ms) = self.dev_throttle_proving_ms {
            put(&["prover", "dev_throttle_proving_ms"], ms.into());
        }
        if let Some(p) = &self.dev_hold_epoch_proofs {
            put(
                &["prover", "dev_hold_epoch_proofs"],
                p.display().to_string().into(),
            );
        }
        if self.prove_at_epoch_end {
            put(&["prover", "prove_at_epoch_end"], true.into());
        }
        if self.no_publish {
            put(&["publisher", "enabled"], false.into());
        }
        if self.dry_run {
            put(&["publisher", "dry_run"], true.into());
        }
        if self.insecure_mock_verifier {
            put(&["publisher", "insecure_mock_verifier"], true.into());
        }
        root
    }
}

/// How a client command reaches the node.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// The node's admin JSON-RPC URL.
    #[arg(long, env = "VOUCH_RPC_URL", default_value = "http://127.0.0.1:8550", value_parser = parse_rpc_url)]
    pub rpc_url: Url,
    /// The node's JWT secret file (needed by commands that change something).
    #[arg(long = "jwt-secret", env = "VOUCH_JWT_SECRET")]
    pub jwt_secret: Option<std::path::PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `vouch sessions`.
#[derive(Debug, Args)]
pub struct SessionsArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// Only this epoch.
    #[arg(long)]
    pub epoch: Option<u64>,
    /// Only this state (awaiting_checkpoints, awaiting_root, publishing, completed, superseded,
    /// failed, cancelled, timed_out, estimated).
    #[arg(long)]
    pub state: Option<String>,
    /// Only open sessions.
    #[arg(long)]
    pub open: bool,
    /// The newest this many.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

/// `vouch prove`.
#[derive(Debug, Args)]
pub struct ProveArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The epoch.
    pub epoch: u64,
    /// Prove only up to this checkpoint (a partial proof).
    #[arg(long)]
    pub to: Option<u64>,
}

/// `vouch cancel`.
#[derive(Debug, Args)]
pub struct CancelArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The session id.
    pub id: u64,
}

/// `vouch publishing`.
#[derive(Debug, Args)]
pub struct PublishingArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// `pause` or `resume`.
    pub action: PublishingAction,
}

/// What to do with publishing.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PublishingAction {
    /// Hold ready proofs back from L1.
    Pause,
    /// Let them go.
    Resume,
}

/// `vouch proof`.
#[derive(Debug, Args)]
pub struct ProofArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The epoch (or, with --checkpoint, ignored).
    pub epoch: u64,
    /// A checkpoint's leaf proof instead of the epoch proof.
    #[arg(long)]
    pub checkpoint: Option<u64>,
    /// Where to write the proof bytes.
    #[arg(long)]
    pub out: std::path::PathBuf,
}

/// `vouch config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a commented configuration file with every default.
    Example,
    /// Load a configuration (file, environment, flags), check it and print it as TOML.
    Check(Box<NodeArgs>),
}

/// `vouch devnet`.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// anvil port.
    #[arg(long, default_value_t = 8545)]
    pub l1_port: u16,
    /// Seconds per slot (≥ 2).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(2..))]
    pub slot_duration: u64,
    /// Slots per epoch.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..))]
    pub epoch_duration: u64,
    /// Epochs an epoch stays provable after it ends.
    #[arg(long, default_value_t = 1)]
    pub proof_submission_epochs: u64,
    /// Transfers per second sent by the load generator (0: none).
    #[arg(long, default_value_t = 5.0)]
    pub tx_rate: f64,
    /// Milliseconds between L1 deposits (0: none); alternately to a load account and to a
    /// fresh address, so epochs prove deposits that credit and that create accounts.
    #[arg(long, default_value_t = 3000)]
    pub deposit_interval_ms: u64,
    /// Funded load accounts.
    #[arg(long, default_value_t = 16)]
    pub accounts: u32,
    /// L2 blocks per checkpoint.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub blocks_per_checkpoint: u64,
    /// Transfers per block at most.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=65535))]
    pub max_txs_per_block: u64,
    /// Data directory (wiped at start: a devnet is ephemeral).
    #[arg(long, env = "VOUCH_DATADIR", default_value = ".devnet")]
    pub datadir: std::path::PathBuf,
    /// Sequencer JSON-RPC listen address.
    #[arg(long, default_value = "127.0.0.1:8547")]
    pub sequencer_rpc: std::net::SocketAddr,
    /// Stop after this many epochs (0: run until Ctrl-C).
    #[arg(long, default_value_t = 0)]
    pub epochs: u64,
    /// Deploy the INSECURE mock verifier (accepts every proof) instead of the real Plonky3
    /// epoch verifier (the default).
    #[arg(long)]
    pub insecure_mock_verifier: bool,
    /// Print the summary as one line of JSON.
    #[arg(long)]
    pub json: bool,
    /// Admin servers of the devnet's node (JWT secret: <datadir>/node/jwt.hex).
    #[command(flatten)]
    pub admin: AdminArgs,
}

/// `vouch bench …`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// State transition: transfers per second with signature checks and witness generation.
    Stf(StfBenchArgs),
    /// Follower catch-up: checkpoints ingested per second from a backlog on anvil.
    Catchup(CatchupBenchArgs),
    /// Node catch-up: checkpoints of an archived backlog the node re-executes and registers
    /// per second (RocksDB state tree, broker and records), against plain re-execution.
    Register(RegisterBenchArgs),
    /// Proving: checkpoint and epoch proofs of the transition AIR against the raw Poseidon2 AIR
    /// (the physical bound) at the same size, under both STARK configurations.
    Prove(ProveBenchArgs),
    /// On-chain verification: gas and calldata of verifying one epoch proof with the real
    /// Solidity verifier on anvil (every transaction of the session).
    Gas(GasBenchArgs),
    /// Epoch latency on a devnet (last checkpoint on L1 → proof on L1): optimistic proving
    /// against the prove-at-epoch-end baseline, the same workload run twice.
    Latency(LatencyBenchArgs),
    /// Epoch-proof FRI settings side by side (blowup, queries, grinding): proving time, proof
    /// size and proven/conjectured security bits, against the previous 43-query setting.
    Fri(FriBenchArgs),
    /// Recursive aggregation: a checkpoint proof, one aggregation step, and a whole epoch
    /// reduced to one proof as a tree and as an accumulator, against re-proving the epoch.
    Aggregate(AggregateBenchArgs),
}

/// `vouch bench aggregate`.
#[derive(Debug, Args)]
pub struct AggregateBenchArgs {
    /// Checkpoints in the epoch (a power of two, for the tree).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(2..=16))]
    pub checkpoints: u64,
    /// Transfers per block (2 blocks and 2 deposits per checkpoint).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=30))]
    pub transfers_per_block: u64,
    /// One-line JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vouch bench fri`.
#[derive(Debug, Args)]
pub struct FriBenchArgs {
    /// Transfers per block of the measured 4-checkpoint epoch (2 blocks per checkpoint).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=200))]
    pub transfers_per_block: u64,
    /// One-line JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vouch bench latency`.
#[derive(Debug, Args)]
pub struct LatencyBenchArgs {
    /// Whole epochs measured per mode.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=20))]
    pub epochs: u64,
    /// Checkpoints (4 s slots) per epoch.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(2..=32))]
    pub checkpoints: u64,
    /// Transfers per second.
    #[arg(long, default_value_t = 5.0)]
    pub tx_rate: f64,
    /// One-line JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vouch bench gas`.
#[derive(Debug, Args)]
pub struct GasBenchArgs {
    /// Checkpoints in the epoch (2 blocks each). The default is a devnet epoch (4 slots).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=14))]
    pub checkpoints: u64,
    /// Transfers per block. The default is the devnet's load (5 tx/s, 4 s slots, 2 blocks per
    /// checkpoint).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(0..=200))]
    pub transfers_per_block: u64,
    /// One-line JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vouch bench prove`.
#[derive(Debug, Args)]
pub struct ProveBenchArgs {
    /// log2 of the trace rows of the checkpoint proof (2 permutations per row); the raw AIR
    /// proves as many permutations, and the epoch proof spans 4 checkpoints of the same size.
    #[arg(long, default_value_t = 13, value_parser = clap::value_parser!(u32).range(9..=20))]
    pub log_rows: u32,
    /// One-line JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vouch bench register`.
#[derive(Debug, Args)]
pub struct RegisterBenchArgs {
    /// Checkpoints in the backlog (2 blocks of 5 transfers and a deposit each).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=5000))]
    pub checkpoints: u64,
    /// One-line JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vouch bench catchup`.
#[derive(Debug, Args)]
pub struct CatchupBenchArgs {
    /// Checkpoints in the backlog.
    #[arg(long, default_value_t = 500)]
    pub checkpoints: u64,
    /// One-line JSON.
    #[arg(long)]
    pub json: bool,
}

/// `vouch bench stf`.
#[derive(Debug, Args)]
pub struct StfBenchArgs {
    /// Transfers to execute.
    #[arg(long, default_value_t = 5_000)]
    pub transfers: usize,
    /// Accounts.
    #[arg(long, default_value_t = 1_000)]
    pub accounts: u32,
    /// Transfers per checkpoint (one commit each).
    #[arg(long, default_value_t = 500)]
    pub per_checkpoint: usize,
    /// One-line JSON.
    #[arg(long)]
    pub json: bool,
}

/// Connection to L1.
#[derive(Debug, Args)]
pub struct L1Args {
    /// L1 JSON-RPC URL (http, https, ws or wss).
    #[arg(long, env = "VOUCH_L1_RPC_URL", value_parser = parse_rpc_url)]
    pub rpc_url: Url,
}

/// `vouch deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    #[command(flatten)]
    pub l1: L1Args,
    /// Private key (0x-hex) of the deploying account; it becomes the rollup's owner.
    #[arg(long, env = "VOUCH_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: String,
    /// Epoch-proof verifier: `plonky3` deploys the real Plonky3 epoch verifier behind a
    /// VerifierGateway; or the address of a deployed IVerifier; or `insecure-mock` to deploy a
    /// MockVerifier that accepts every proof (development only). No default.
    #[arg(long, env = "VOUCH_VERIFIER")]
    pub verifier: VerifierChoice,
    /// Seconds per slot.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..))]
    pub slot_duration: u64,
    /// Slots per epoch.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..))]
    pub epoch_duration: u64,
    /// Epochs an epoch stays provable after it ends.
    #[arg(long, default_value_t = 1)]
    pub proof_submission_epochs: u64,
    /// L1 timestamp of slot 0 (default: the latest block's timestamp).
    #[arg(long)]
    pub genesis_time: Option<u64>,
    /// Archive root of checkpoint 0.
    #[arg(long, default_value_t = B256::ZERO)]
    pub genesis_archive: B256,
    /// L2 state root of checkpoint 0.
    #[arg(long, default_value_t = B256::ZERO)]
    pub genesis_state_root: B256,
    /// Allowed sequencer (repeatable). Default: the deployer.
    #[arg(long = "sequencer")]
    pub sequencers: Vec<Address>,
}

/// `vouch rollup-info`.
#[derive(Debug, Args)]
pub struct RollupInfoArgs {
    #[command(flatten)]
    pub l1: L1Args,
    /// Address of the Rollup contract.
    #[arg(long, env = "VOUCH_ROLLUP")]
    pub rollup: Address,
}

pub fn parse_rpc_url(s: &str) -> Result<Url, String> {
    if !s.contains("://") {
        return Err(format!(
            "`{s}` has no scheme; expected e.g. http://127.0.0.1:8545"
        ));
    }
    let url = Url::parse(s)
        .map_err(|e| format!("not a URL ({e}); expected e.g. http://127.0.0.1:8545"))?;
    match url.scheme() {
        "http" | "https" | "ws" | "wss" => {}
        other => {
            return Err(format!(
                "unsupported scheme `{other}`: use http, https, ws or wss"
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    Ok(url)
}

/// Installs the global tracing subscriber (`RUST_LOG` filters, else `default_level`).
pub fn init_tracing(args: &LogArgs, default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    match args.log_format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_url_validation() {
        assert!(parse_rpc_url("http://127.0.0.1:8545").is_ok());
        assert!(parse_rpc_url("wss://node.example/ws").is_ok());
        assert!(
            parse_rpc_url("127.0.0.1:8545")
                .unwrap_err()
                .contains("scheme")
        );
        assert!(
            parse_rpc_url("http://[::1")
                .unwrap_err()
                .contains("not a URL")
        );
        assert!(
            parse_rpc_url("ftp://x")
                .unwrap_err()
                .contains("unsupported scheme")
        );
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
