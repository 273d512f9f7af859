//! Subcommand implementations.

use crate::cli::{BenchCommand, Command, DeployArgs, DevnetArgs, L1Args, RollupInfoArgs};
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
        Command::Devnet(args) => devnet(args).await,
        Command::Bench(BenchCommand::Prove(a)) => {
            tokio::task::spawn_blocking(move || crate::bench::prove(a.log_rows, a.json)).await?
        }
        Command::Bench(BenchCommand::Gas(a)) => {
            crate::bench::gas(
                a.checkpoints as usize,
                a.transfers_per_block as usize,
                a.json,
            )
            .await
        }
        Command::Bench(BenchCommand::Catchup(a)) => {
            crate::bench::catchup(a.checkpoints, a.json).await
        }
        Command::Bench(BenchCommand::Stf(a)) => {
            tokio::task::spawn_blocking(move || {
                crate::bench::stf(a.transfers, a.accounts, a.per_checkpoint, a.json)
            })
            .await?
        }
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

async fn devnet(args: DevnetArgs) -> Result<()> {
    use vouch_l1_contracts::deploy::VerifierChoice;
    use vouch_testnet::devnet::{Devnet, DevnetConfig};
    anyhow::ensure!(
        args.tx_rate >= 0.0 && args.tx_rate.is_finite(),
        "--tx-rate must be a non-negative number"
    );
    let devnet = Devnet::start(DevnetConfig {
        l1_port: Some(args.l1_port),
        slot_duration: args.slot_duration,
        epoch_duration: args.epoch_duration,
        proof_submission_epochs: args.proof_submission_epochs,
        tx_rate: args.tx_rate,
        accounts: args.accounts,
        blocks_per_checkpoint: args.blocks_per_checkpoint as usize,
        max_txs_per_block: args.max_txs_per_block as usize,
        datadir: args.datadir.clone(),
        sequencer_rpc: args.sequencer_rpc,
        verifier: if args.insecure_mock_verifier {
            VerifierChoice::InsecureMock
        } else {
            VerifierChoice::Plonky3
        },
    })
    .await?;
    std::fs::write(
        args.datadir.join("deployment.json"),
        serde_json::to_string_pretty(&devnet.deployment)?,
    )?;
    tracing::info!(
        l1 = %devnet.anvil.http_url(),
        sequencer = %devnet.sequencer_url(),
        rollup = %devnet.deployment.rollup,
        verifier = %devnet.deployment.verifier,
        insecure_mock_verifier = devnet.deployment.verifier_is_insecure_mock,
        "devnet running; Ctrl-C to stop"
    );
    let constants = devnet.deployment.constants;
    let rollup =
        vouch_l1_contracts::bindings::Rollup::new(devnet.deployment.rollup, &devnet.provider);
    let head_epoch = || async {
        let ts = devnet
            .provider
            .get_block_by_number(Default::default())
            .await?
            .map_or(0, |b| b.header.timestamp);
        anyhow::Ok(constants.epoch_at_timestamp(ts).map_or(0, |e| e.get()))
    };
    let first_epoch = head_epoch().await?;
    // Slot of every checkpoint on L1, index n-1 for checkpoint n; re-read after a prune.
    let mut slots: Vec<u64> = Vec::new();
    let mut prunes = 0u64;
    let mut ticker = tokio::time::interval(Duration::from_secs(constants.slot_duration));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = ticker.tick() => {}
        }
        let pending = rollup.pendingCheckpointNumber().call().await?;
        let proven = rollup.provenCheckpointNumber().call().await?;
        let replaced = match slots.last() {
            Some(&slot) => {
                (slots.len() as u64 > pending)
                    || rollup.checkpoint(slots.len() as u64).call().await?.slot != slot
            }
            None => false,
        };
        if replaced {
            prunes += 1;
            slots.truncate(proven as usize);
        }
        for n in slots.len() as u64 + 1..=pending {
            slots.push(rollup.checkpoint(n).call().await?.slot);
        }
        let epoch = head_epoch().await?;
        let in_epoch = slots
            .iter()
            .filter(|s| constants.epoch_at_slot(vouch_primitives::Slot(**s)).get() == epoch)
            .count();
        tracing::info!(
            epoch,
            checkpoints_in_epoch = in_epoch,
            pending_checkpoint = pending,
            proven_checkpoint = proven,
            prunes,
            "progress"
        );
        if args.epochs > 0 && epoch >= first_epoch + args.epochs {
            break;
        }
    }
    let mut per_epoch: std::collections::BTreeMap<u64, u64> = Default::default();
    for slot in &slots {
        *per_epoch
            .entry(constants.epoch_at_slot(vouch_primitives::Slot(*slot)).get())
            .or_default() += 1;
    }
    let (stats, _anvil, _) = devnet.stop().await;
    let summary = json!({
        "pending_chain_checkpoints_per_epoch": per_epoch,
        "prunes_seen": prunes,
        "transfers_sent": stats.map(|s| s.sent),
    });
    println!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}
