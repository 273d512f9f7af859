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
}

/// `vouch node`.
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// L1 JSON-RPC URL; repeat for fallbacks (the first is primary).
    #[arg(long = "l1.rpc-url", env = "VOUCH_L1_RPC_URL", value_parser = parse_rpc_url, value_delimiter = ',', required = true)]
    pub l1_rpc_urls: Vec<Url>,
    /// L1 block the rollup was deployed at (following starts there).
    #[arg(
        long = "l1.start-block",
        env = "VOUCH_L1_START_BLOCK",
        default_value_t = 0
    )]
    pub l1_start_block: u64,
    /// The `Rollup` contract.
    #[arg(long, env = "VOUCH_ROLLUP")]
    pub rollup: Address,
    /// Data directory (created if missing; a datadir of another deployment is refused).
    #[arg(long, env = "VOUCH_DATADIR", default_value = ".vouch")]
    pub datadir: std::path::PathBuf,
    /// The L2 genesis: JSON `{"l2_chain_id": N, "accounts": [{"owner": "0x…", "balance": N}]}`
    /// (`vouch devnet` writes one to its datadir).
    #[arg(long, env = "VOUCH_GENESIS")]
    pub genesis: std::path::PathBuf,
    /// Proving backend: `plonky3`, or `insecure-fake` (proves nothing; development only).
    #[arg(long, env = "VOUCH_BACKEND", default_value = "plonky3")]
    pub backend: String,
    /// Local proving agents (default: one per two cores; each proof uses every core).
    #[arg(long, env = "VOUCH_AGENTS")]
    pub agents: Option<usize>,
    /// Live epoch sessions at most.
    #[arg(long, default_value_t = 10)]
    pub max_pending_sessions: usize,
    /// Encrypted keystore (Web3 secret storage) of the prover's L1 key. Without it the key is
    /// read from `VOUCH_PROVER_KEY`; never from a flag.
    #[arg(long, env = "VOUCH_PROVER_KEYSTORE")]
    pub prover_keystore: Option<std::path::PathBuf>,
    /// File holding the keystore's password.
    #[arg(long, env = "VOUCH_PROVER_KEYSTORE_PASSWORD_FILE")]
    pub prover_keystore_password_file: Option<std::path::PathBuf>,
    /// Prove but do not publish.
    #[arg(long)]
    pub no_publish: bool,
    /// Publish as a dry run: simulate every transaction (`eth_simulateV1`) and log the gas and
    /// fee estimate instead of sending.
    #[arg(long)]
    pub dry_run: bool,
    /// The rollup uses the INSECURE mock verifier (publish empty proofs).
    #[arg(long)]
    pub insecure_mock_verifier: bool,
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

fn parse_rpc_url(s: &str) -> Result<Url, String> {
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

/// Installs the global tracing subscriber (`RUST_LOG` filters, default `info`).
pub fn init_tracing(args: &LogArgs) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
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
