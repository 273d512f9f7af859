//! `vouch node`: configuration from flags, the genesis file and the prover key.

use crate::cli::NodeArgs;
use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::Path;
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
fn prover_key(args: &NodeArgs) -> Result<PrivateKeySigner> {
    if let Some(keystore) = &args.prover_keystore {
        let password_file = args
            .prover_keystore_password_file
            .as_ref()
            .context("--prover-keystore needs --prover-keystore-password-file")?;
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

/// Builds the node's configuration from the flags.
pub fn config(args: &NodeArgs) -> Result<NodeConfig> {
    let genesis = GenesisFile::read(&args.genesis)?;
    let backend = args
        .backend
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--backend: {e}"))?;
    let publisher = if args.no_publish {
        PublisherChoice::Disabled
    } else {
        PublisherChoice::Evm {
            signer: prover_key(args)?,
            verifier: args
                .insecure_mock_verifier
                .then_some(VerifierMode::InsecureMock),
            dry_run: args.dry_run,
        }
    };
    Ok(NodeConfig {
        l1_rpc_urls: args.l1_rpc_urls.iter().map(|u| u.to_string()).collect(),
        l1_start_block: args.l1_start_block,
        rollup: args.rollup,
        datadir: args.datadir.clone(),
        genesis: genesis.genesis(),
        l2_chain_id: genesis.l2_chain_id,
        backend,
        agents: args
            .agents
            .unwrap_or_else(vouch_broker::agent::default_agent_count),
        max_pending_sessions: args.max_pending_sessions.max(1),
        publisher,
        poll_interval: Duration::from_millis(500),
    })
}

/// Runs the node until Ctrl-C.
pub async fn run(args: NodeArgs) -> Result<()> {
    let node = NodeHandle::start(config(&args)?).await?;
    tokio::signal::ctrl_c().await?;
    tracing::info!("Ctrl-C: stopping");
    node.shutdown().await;
    Ok(())
}
