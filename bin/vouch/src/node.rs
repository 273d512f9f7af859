//! `vouch node`: configuration from flags, the genesis file and the prover key.

use crate::cli::NodeArgs;
use crate::config::NodeSettings;
use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use vouch_node::publisher::VerifierMode;
use vouch_node::{NodeConfig, NodeHandle, PublisherChoice};
use vouch_rollup::genesis::Genesis;

/// The genesis file.
#[derive(Debug, Serialize, Deserialize)]
pub struct GenesisFile {
    /// L2 chain id (the signature domain).
    pub l2_chain_id: u64,
    /// Funded accounts in index order.
    pub accounts: Vec<GenesisAccount>,
}

/// One funded account.
#[derive(Debug, Serialize, Deserialize)]
pub struct GenesisAccount {
    /// Owner.
    pub owner: Address,
    /// Gwei.
    pub balance: u64,
}

impl GenesisFile {
    /// The file of `genesis`.
    pub fn of(l2_chain_id: u64, genesis: &Genesis) -> Self {
        Self {
            l2_chain_id,
            accounts: genesis
                .accounts
                .iter()
                .map(|(owner, balance)| GenesisAccount {
                    owner: *owner,
                    balance: *balance,
                })
                .collect(),
        }
    }

    /// Reads and checks one.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the genesis file {}", path.display()))?;
        let file: Self = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a genesis file", path.display()))?;
        let mut owners = std::collections::HashSet::new();
        for a in &file.accounts {
            if a.owner == Address::ZERO || !owners.insert(a.owner) {
                bail!(
                    "{}: account owners must be distinct and non-zero ({} repeats or is zero)",
                    path.display(),
                    a.owner
                );
            }
        }
        Ok(file)
    }

    /// The genesis.
    pub fn genesis(&self) -> Genesis {
        Genesis {
            accounts: self.accounts.iter().map(|a| (a.owner, a.balance)).collect(),
        }
    }
}

/// The prover's key: a keystore with a password file, or `VOUCH_PROVER_KEY`.
fn prover_key(settings: &NodeSettings) -> Result<PrivateKeySigner> {
    if let Some(keystore) = &settings.prover.keystore {
        let password_file = settings
            .prover
            .keystore_password_file
            .as_ref()
            .context("`prover.keystore` needs `prover.keystore_password_file`")?;
        let password = std::fs::read_to_string(password_file).with_context(|| {
            format!("cannot read the password file {}", password_file.display())
        })?;
        return PrivateKeySigner::decrypt_keystore(
            keystore,
            password.trim_end_matches(['\n', '\r']),
        )
        .with_context(|| format!("cannot decrypt the keystore {}", keystore.display()));
    }
    let key = std::env::var("VOUCH_PROVER_KEY").context(
        "no prover key: pass --prover-keystore with a password file, set VOUCH_PROVER_KEY, or \
         run with --no-publish",
    )?;
    key.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("VOUCH_PROVER_KEY is not a 32-byte hex private key"))
}

/// Builds the node's configuration from checked settings.
pub fn config(settings: &NodeSettings) -> Result<NodeConfig> {
    let genesis_path = settings
        .genesis
        .as_deref()
        .context("`genesis` is required")?;
    let genesis = GenesisFile::read(genesis_path)?;
    let backend = settings
        .prover
        .backend
        .parse()
        .map_err(|e: String| anyhow::anyhow!("`prover.backend`: {e}"))?;
    let publisher = if !settings.publisher.enabled {
        PublisherChoice::Disabled
    } else {
        PublisherChoice::Evm {
            signer: prover_key(settings)?,
            verifier: settings
                .publisher
                .insecure_mock_verifier
                .then_some(VerifierMode::InsecureMock),
            dry_run: settings.publisher.dry_run,
        }
    };
    Ok(NodeConfig {
        l1_rpc_urls: settings.l1.rpc_urls.clone(),
        l1_start_block: settings.l1.start_block,
        rollup: settings.rollup.context("`rollup` is required")?,
        datadir: settings.datadir.clone(),
        genesis: genesis.genesis(),
        l2_chain_id: genesis.l2_chain_id,
        backend,
        agents: settings
            .prover
            .agents
            .unwrap_or_else(vouch_broker::agent::default_agent_count),
        max_pending_sessions: settings.prover.max_pending_sessions.max(1),
        publisher,
        poll_interval: Duration::from_millis(settings.l1.poll_interval_ms),
        prove_at_epoch_end: settings.prover.prove_at_epoch_end,
        dev_throttle_proving: Duration::from_millis(settings.prover.dev_throttle_proving_ms),
        dev_hold_epoch_proofs: settings.prover.dev_hold_epoch_proofs.clone(),
    })
}

/// The admin servers' configuration (the JWT secret is read or generated here).
pub fn admin_config(settings: &NodeSettings) -> Result<vouch_admin::AdminConfig> {
    let jwt = vouch_admin::auth::load_or_create_secret(&settings.jwt_secret_path())?;
    Ok(vouch_admin::AdminConfig {
        rpc_addr: settings.rpc_addr(),
        metrics_addr: settings.metrics_addr(),
        allow_external: settings.rpc.allow_external,
        jwt,
        limits: settings.rpc.limits,
        health: vouch_admin::metrics::HealthConfig {
            max_lag_slots: settings.metrics.max_lag_slots,
        },
        config_view: settings.redacted(),
    })
}

/// Loads `vouch node`'s settings from its flags and `--config`.
pub fn settings(args: &NodeArgs) -> Result<NodeSettings> {
    NodeSettings::load(args.config.as_deref(), args.overrides())
}

/// Runs the node and its admin servers until Ctrl-C (or SIGTERM).
pub async fn run(args: NodeArgs) -> Result<()> {
    let settings = settings(&args)?;
    let node_config = config(&settings)?;
    let admin = admin_config(&settings)?;
    let node = Arc::new(NodeHandle::start(node_config).await?);
    let server = match vouch_admin::AdminServer::start(node.clone(), admin).await {
        Ok(s) => s,
        Err(e) => {
            node.shutdown().await;
            return Err(e.into());
        }
    };
    shutdown_signal().await;
    tracing::info!("stopping");
    server.stop().await;
    node.shutdown().await;
    Ok(())
}

/// Ctrl-C or SIGTERM (systemd's stop).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
