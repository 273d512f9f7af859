//! A whole devnet in one process: anvil, the contracts, the sequencer and the load generator.

use crate::{AnvilConfig, AnvilError, AnvilProcess};
use alloy::network::EthereumWallet;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use vouch_l1_contracts::deploy::{Deployment, RollupDeployConfig, VerifierChoice, deploy_rollup};
use vouch_rollup::AccountIndex;
use vouch_rollup::genesis::{Genesis, devnet_genesis};
use vouch_sequencer::loadgen::{LoadConfig, LoadStats, run_load};
use vouch_sequencer::{Sequencer, SequencerConfig, SequencerHandle};

/// L2 chain id of the devnet.
pub const DEVNET_CHAIN_ID: u64 = 0x766f_7563; // "vouc"
/// Seed of the devnet's load accounts.
pub const DEVNET_SEED: u64 = 1;
/// Genesis balance of each load account (gwei).
pub const DEVNET_BALANCE: u64 = 1_000_000_000_000;

/// Devnet settings.
#[derive(Clone, Debug)]
pub struct DevnetConfig {
    /// anvil port (`None`: any free port).
    pub l1_port: Option<u16>,
    /// Seconds per slot.
    pub slot_duration: u64,
    /// Slots per epoch.
    pub epoch_duration: u64,
    /// Proof-submission epochs.
    pub proof_submission_epochs: u64,
    /// Transfers per second from the load generator (0 disables it).
    pub tx_rate: f64,
    /// Funded load accounts.
    pub accounts: u32,
    /// Blocks per checkpoint.
    pub blocks_per_checkpoint: usize,
    /// Transfers per block at most.
    pub max_txs_per_block: usize,
    /// Data directory; wiped at start (a devnet is ephemeral).
    pub datadir: PathBuf,
    /// Sequencer JSON-RPC address.
    pub sequencer_rpc: SocketAddr,
    /// The verifier the rollup uses (`vouch devnet` names `Plonky3` unless the mock is asked
    /// for); it must be named.
    pub verifier: VerifierChoice,
    /// L1 deposits: one every interval from anvil's account 2, alternately to a load account
    /// and to a fresh address (`None`: no deposits).
    pub deposit_interval: Option<Duration>,
}

/// Why the devnet could not start.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// anvil.
    #[error(transparent)]
    Anvil(#[from] AnvilError),
    /// Data directory.
    #[error("data directory {path}: {source}")]
    Datadir {
        /// The directory.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Deployment.
    #[error(transparent)]
    Deploy(#[from] vouch_l1_contracts::deploy::DeployError),
    /// Sequencer.
    #[error(transparent)]
    Sequencer(#[from] vouch_sequencer::SequencerError),
    /// Bad settings.
    #[error("devnet config: {0}")]
    Config(String),
}

/// A running devnet; stopping (or dropping) it ends the load, the sequencer and anvil.
pub struct Devnet {
    /// The L1.
    pub anvil: AnvilProcess,
    /// Where the contracts are.
    pub deployment: Deployment,
    /// The genesis state.
    pub genesis: Genesis,
    /// L1 provider (dev account 0).
    pub provider: DynProvider,
    anvil_config: AnvilConfig,
    sequencer: SequencerHandle,
    load_cancel: CancellationToken,
    load: Option<JoinHandle<Result<LoadStats, String>>>,
    deposits: Option<JoinHandle<u64>>,
}

impl Devnet {
    /// Starts everything.
    pub async fn start(config: DevnetConfig) -> Result<Self, DevnetError> {
        if config.slot_duration < 2 {
            return Err(DevnetError::Config(
                "slot duration must be at least 2 s (anvil mines every second)".into(),
            ));
        }
        if config.tx_rate > 0.0 && config.accounts < 2 {
            return Err(DevnetError::Config(
                "the load generator needs at least 2 accounts".into(),
            ));
        }
        let datadir_err = |source| DevnetError::Datadir {
            path: config.datadir.clone(),
            source,
        };
        if config.datadir.exists() {
            std::fs::remove_dir_all(&config.datadir).map_err(datadir_err)?;
        }
        std::fs::create_dir_all(&config.datadir).map_err(datadir_err)?;
        let mut anvil_config = AnvilConfig {
            port: config.l1_port,
            block_time: Some(1),
            // Written only when anvil is stopped gracefully ([`Devnet::restart_l1`]).
            state_file: Some(config.datadir.join("anvil-state.json")),
            log_file: Some(config.datadir.join("anvil.log")),
            ..AnvilConfig::default()
        };
        let anvil = AnvilProcess::spawn(&anvil_config)?;
        anvil_config.port = Some(anvil.port());
        let sequencer_key = anvil.dev_signer(0);
        let provider = ProviderBuilder::new()
            // Nonces from the node each time (`pending` count): the recommended fillers cache
            // them, and a proposal an L1 reorg dropped would leave a gap no later one passes.
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(sequencer_key.clone()))
            .connect_http(anvil.http_url().parse().expect("valid url"))
            .erased();

        let genesis = devnet_genesis(
            sequencer_key.address(),
            DEVNET_SEED,
            config.accounts,
            DEVNET_BALANCE,
        );
        let roots = genesis.roots();
        let deployment = deploy_rollup(
            &provider,
            &RollupDeployConfig {
                genesis_time: None,
                slot_duration: config.slot_duration,
                epoch_duration: config.epoch_duration,
                proof_submission_epochs: config.proof_submission_epochs,
                genesis_archive: roots.archive.to_b256(),
                genesis_state_root: roots.state_root.to_b256(),
                sequencers: vec![sequencer_key.address()],
                verifier: config.verifier,
            },
        )
        .await?;
        let sequencer = Sequencer::start(SequencerConfig {
            l1_rpc_url: anvil.http_url(),
            rollup: deployment.rollup,
            l1_start_block: deployment.constants.l1_start_block,
            signer: sequencer_key,
            chain_id: DEVNET_CHAIN_ID,
            fee_account: AccountIndex(0),
            genesis: genesis.clone(),
            max_txs_per_block: config.max_txs_per_block,
            blocks_per_checkpoint: config.blocks_per_checkpoint,
            propose_empty: true,
            rpc_listen: config.sequencer_rpc,
            datadir: config.datadir.join("sequencer"),
            poll_interval: Duration::from_millis(200),
        })
        .await?;
        let load_cancel = CancellationToken::new();
        let load = (config.tx_rate > 0.0).then(|| {
            tokio::spawn(run_load(
                LoadConfig {
                    rpc_url: sequencer.rpc_url(),
                    chain_id: DEVNET_CHAIN_ID,
                    seed: DEVNET_SEED,
                    accounts: config.accounts,
                    rate_per_sec: config.tx_rate,
                },
                load_cancel.clone(),
            ))
        });
        let deposits = config.deposit_interval.map(|every| {
            let depositor = ProviderBuilder::new()
                .disable_recommended_fillers()
                .with_gas_estimation()
                .with_simple_nonce_management()
                .fetch_chain_id()
                .wallet(EthereumWallet::from(anvil.dev_signer(2)))
                .connect_http(anvil.http_url().parse().expect("valid url"))
                .erased();
            tokio::spawn(run_deposits(
                depositor,
                deployment.rollup,
                every,
                config.accounts,
                load_cancel.clone(),
            ))
        });
        Ok(Self {
            anvil,
            anvil_config,
            deployment,
            genesis,
            provider,
            sequencer,
            load_cancel,
            load,
            deposits,
        })
    }

    /// The sequencer (tests hold its proposals or make it post a faulty one).
    pub fn sequencer(&self) -> &SequencerHandle {
        &self.sequencer
    }

    /// An L1 outage: stops anvil gracefully (it writes its blocks, receipts and accounts to
    /// its state file), keeps it down for `down`, and starts it again from that state on the
    /// same port. Everything talking to L1 sees connection errors meanwhile, then the same
    /// chain (less any block mined after the dump), continuing on the wall clock.
    pub async fn restart_l1(&mut self, down: Duration) -> Result<(), DevnetError> {
        self.anvil
            .stop_and_dump(Duration::from_secs(20))
            .map_err(AnvilError::Io)?;
        tracing::warn!(?down, port = self.anvil.port(), "L1 stopped");
        tokio::time::sleep(down).await;
        // Spawned from this (runtime) thread, not a blocking-pool one: anvil dies with the
        // thread that started it (`PR_SET_PDEATHSIG`), and pool threads exit when idle.
        self.anvil = AnvilProcess::spawn(&self.anvil_config)?;
        tracing::warn!(port = self.anvil.port(), "L1 restarted from its state");
        Ok(())
    }

    /// The sequencer's JSON-RPC URL.
    pub fn sequencer_url(&self) -> String {
        self.sequencer.rpc_url()
    }

    /// Current number of checkpoints on L1.
    pub async fn l1_pending_checkpoints(&self) -> Result<u64, alloy::contract::Error> {
        vouch_l1_contracts::bindings::Rollup::new(self.deployment.rollup, &self.provider)
            .pendingCheckpointNumber()
            .call()
            .await
    }

    /// Latest L1 block number.
    pub async fn l1_head(&self) -> Result<u64, alloy::transports::TransportError> {
        self.provider.get_block_number().await
    }

    /// Stops the load generator and the sequencer (anvil stops when `self` drops).
    pub async fn stop(mut self) -> (Option<LoadStats>, AnvilProcess, Deployment) {
        self.load_cancel.cancel();
        let stats = match self.load.take() {
            Some(task) => task.await.ok().and_then(Result::ok),
            None => None,
        };
        if let Some(task) = self.deposits.take() {
            let _ = task.await;
        }
        self.sequencer.stop().await;
        (stats, self.anvil, self.deployment)
    }
}

/// Sends an L1 deposit every `every` until cancelled, alternately to load account `i` (an
/// existing L2 account) and to a fresh address (a new one); amounts of 1–5 million gwei.
/// Failures (an L1 outage) are logged and the next deposit is tried on schedule. Returns the
/// deposits that landed.
async fn run_deposits(
    provider: DynProvider,
    rollup: alloy::primitives::Address,
    every: Duration,
    accounts: u32,
    cancel: CancellationToken,
) -> u64 {
    use alloy::primitives::{Address, U256, keccak256};
    let rollup = vouch_l1_contracts::bindings::Rollup::new(rollup, &provider);
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut landed = 0u64;
    for i in 0u64.. {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = ticker.tick() => {}
        }
        let recipient = if i % 2 == 0 && accounts > 0 {
            vouch_rollup::genesis::devnet_signer(DEVNET_SEED, (i / 2 % accounts as u64) as u32)
                .address()
        } else {
            Address::from_word(keccak256(format!("vouch devnet deposit {i}")))
        };
        let gwei = 1_000_000 * (1 + i % 5);
        let sent = rollup
            .deposit(recipient)
            .value(U256::from(gwei) * U256::from(1_000_000_000u64))
            .send()
            .await;
        let outcome = match sent {
            Ok(pending) => pending
                .with_timeout(Some(Duration::from_secs(30)))
                .get_receipt()
                .await
                .map(|r| r.status())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(true) => {
                landed += 1;
                tracing::debug!(%recipient, gwei, "deposit landed on L1");
            }
            Ok(false) => tracing::warn!(%recipient, "deposit reverted"),
            Err(e) => tracing::warn!(%recipient, error = %e, "deposit not sent"),
        }
    }
    tracing::info!(landed, "depositor stopped");
    landed
}
