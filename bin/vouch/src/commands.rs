//! Subcommand implementations.

use crate::cli::{Command, DeployArgs, L1Args, RollupInfoArgs};
use alloy::network::EthereumWallet;
use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use anyhow::{Context, Result};
use serde_json::json;
use std::time::Duration;
use vouch_l1_contracts::bindings::Rollup;
use vouch_l1_contracts::deploy::{RollupDeployConfig, deploy_rollup};
use vouch_l1_contracts::read_rollup_constants;

/// How long the first call to a fresh RPC endpoint may take before we call it unreachable.
const RPC_PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs one subcommand.
pub async fn run(command: Command) -> Result<()> {
    match command {
        Command::Deploy(args) => deploy(args).await,
        Command::RollupInfo(args) => rollup_info(args).await,
    }
}

/// Checks the endpoint answers, so an unreachable URL gives one clear error.
async fn probe_chain_id<P: Provider>(provider: &P, l1: &L1Args) -> Result<u64> {
    tokio::time::timeout(RPC_PROBE_TIMEOUT, provider.get_chain_id())
        .await
        .with_context(|| {
            format!(
                "L1 RPC {} did not answer within {RPC_PROBE_TIMEOUT:?}",
                l1.rpc_url
            )
        })?
        .with_context(|| format!("cannot reach L1 RPC {}", l1.rpc_url))
}

async fn deploy(args: DeployArgs) -> Result<()> {
    let signer: PrivateKeySigner = args
        .private_key
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--private-key is not a 32-byte hex private key"))?;
    let deployer = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect(args.l1.rpc_url.as_str())
        .await
        .with_context(|| format!("cannot connect to L1 RPC {}", args.l1.rpc_url))?;
    probe_chain_id(&provider, &args.l1).await?;
    let sequencers = if args.sequencers.is_empty() {
        vec![deployer]
    } else {
        args.sequencers
    };
    let config = RollupDeployConfig {
        genesis_time: args.genesis_time,
        slot_duration: args.slot_duration,
        epoch_duration: args.epoch_duration,
        proof_submission_epochs: args.proof_submission_epochs,
        genesis_archive: args.genesis_archive,
        genesis_state_root: args.genesis_state_root,
        sequencers,
        verifier: args.verifier,
    };
    let deployment = deploy_rollup(&provider, &config).await?;
    println!("{}", serde_json::to_string_pretty(&deployment)?);
    Ok(())
}

async fn rollup_info(args: RollupInfoArgs) -> Result<()> {
    let provider = ProviderBuilder::new()
        .connect(args.l1.rpc_url.as_str())
        .await
        .with_context(|| format!("cannot connect to L1 RPC {}", args.l1.rpc_url))?;
    let chain_id = probe_chain_id(&provider, &args.l1).await?;
    let constants = read_rollup_constants(&provider, args.rollup, 0).await?;
    let rollup = Rollup::new(args.rollup, &provider);
    let pending = rollup.pendingCheckpointNumber().call().await?;
    let proven = rollup.provenCheckpointNumber().call().await?;
    let info = json!({
        "chain_id": chain_id,
        "rollup": args.rollup,
        "constants": constants,
        "pending_checkpoint": pending,
        "proven_checkpoint": proven,
    });
    println!("{}", serde_json::to_string_pretty(&info)?);
    Ok(())
}
