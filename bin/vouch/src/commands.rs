//! Subcommand implementations.

use crate::cli::{
    BenchCommand, Command, ConfigCommand, DeployArgs, DevnetArgs, L1Args, RollupInfoArgs,
};
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
        Command::Node(args) => crate::node::run(args).await,
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
        Command::Bench(BenchCommand::Latency(a)) => {
            anyhow::ensure!(
                a.tx_rate >= 0.0 && a.tx_rate.is_finite(),
                "--tx-rate must be a non-negative number"
            );
            crate::bench::latency(a.epochs as usize, a.checkpoints, a.tx_rate, a.json).await
        }
        Command::Bench(BenchCommand::Aggregate(a)) => {
            tokio::task::spawn_blocking(move || {
                crate::bench::aggregate(
                    a.checkpoints as usize,
                    a.transfers_per_block as usize,
                    a.json,
                )
            })
            .await?
        }
        Command::Bench(BenchCommand::Fri(a)) => {
            tokio::task::spawn_blocking(move || {
                crate::bench::fri(a.transfers_per_block as usize, a.json)
            })
            .await?
        }
        Command::Bench(BenchCommand::Register(a)) => {
            crate::bench::register(a.checkpoints as usize, a.json).await
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
        Command::Status(a) => crate::client::status(a).await,
        Command::Sessions(a) => crate::client::sessions(a).await,
        Command::Prove(a) => crate::client::prove(a).await,
        Command::Cancel(a) => crate::client::cancel(a).await,
        Command::Publishing(a) => crate::client::publishing(a).await,
        Command::Proof(a) => crate::client::proof(a).await,
        Command::Config(ConfigCommand::Example) => {
            print!("{}", crate::config::EXAMPLE);
            Ok(())
        }
        Command::Config(ConfigCommand::Check(a)) => {
            let settings = crate::node::settings(&a)?;
            print!("{}", toml::to_string(&settings)?);
            Ok(())
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
    use vouch_devnet::devnet::{DEVNET_CHAIN_ID, Devnet, DevnetConfig};
    use vouch_l1_contracts::deploy::VerifierChoice;
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
        deposit_interval: (args.deposit_interval_ms > 0)
            .then(|| Duration::from_millis(args.deposit_interval_ms)),
    })
    .await?;
    std::fs::write(
        args.datadir.join("deployment.json"),
        serde_json::to_string_pretty(&devnet.deployment)?,
    )?;
    let genesis_file = crate::node::GenesisFile::of(DEVNET_CHAIN_ID, &devnet.genesis);
    std::fs::write(
        args.datadir.join("genesis.json"),
        serde_json::to_string_pretty(&genesis_file)?,
    )?;
    let node_datadir = args.datadir.join("node");
    let node = std::sync::Arc::new(
        vouch_node::NodeHandle::start(devnet_node_config(
            &devnet,
            node_datadir.clone(),
            args.insecure_mock_verifier,
        )?)
        .await?,
    );
    let mut settings = crate::config::NodeSettings {
        datadir: node_datadir,
        ..Default::default()
    };
    let overrides: crate::config::NodeSettings =
        figment::Figment::from(figment::providers::Serialized::defaults(settings.clone()))
            .merge(figment::providers::Serialized::defaults(
                args.admin.overrides(),
            ))
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid admin flags: {e}"))?;
    settings.rpc = overrides.rpc;
    settings.metrics = overrides.metrics;
    let admin =
        vouch_admin::AdminServer::start(node.clone(), crate::node::admin_config(&settings)?)
            .await?;
    tracing::info!(
        l1 = %devnet.anvil.http_url(),
        sequencer = %devnet.sequencer_url(),
        rollup = %devnet.deployment.rollup,
        verifier = %devnet.deployment.verifier,
        insecure_mock_verifier = devnet.deployment.verifier_is_insecure_mock,
        admin_rpc = %admin.rpc_addr,
        metrics = ?admin.metrics_addr,
        jwt_secret = %settings.jwt_secret_path().display(),
        "devnet running with the node; Ctrl-C to stop"
    );
    let live = std::io::IsTerminal::is_terminal(&std::io::stdout()) && !args.json;
    let mut progress = crate::progress::Progress::new(live);
    let stop = crate::node::shutdown_signal();
    tokio::pin!(stop);
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
    // Enough epochs for `--epochs` proofs, their windows and a margin: past it, fail.
    let give_up_epoch = first_epoch + args.epochs + constants.proof_submission_epochs + 3;
    let mut ticker = tokio::time::interval(Duration::from_secs(constants.slot_duration));
    let mut reports: std::collections::BTreeMap<u64, serde_json::Value> = Default::default();
    let mut prunes = 0u64;
    let mut last_pending = 0u64;
    let outcome = loop {
        tokio::select! {
            _ = &mut stop => break Ok(()),
            _ = ticker.tick() => {}
        }
        let pending = rollup.pendingCheckpointNumber().call().await?;
        let proven = rollup.provenCheckpointNumber().call().await?;
        if pending < last_pending {
            prunes += 1;
        }
        last_pending = pending;
        let status = node.status();
        progress.update(&status, &constants);
        for s in status
            .sessions
            .iter()
            .filter(|s| s.state == vouch_node::SessionState::Completed)
        {
            if reports.contains_key(&s.epoch) {
                continue;
            }
            let Some(landed) = &s.landed else { continue };
            let epoch = vouch_primitives::EpochNumber(s.epoch);
            let epoch_end_ms = constants
                .last_slot_of_epoch(epoch)
                .and_then(|l| constants.slot_start_timestamp(vouch_primitives::Slot(l.get() + 1)))
                .unwrap_or(0)
                * 1000;
            let deadline_ms = constants
                .proof_submission_deadline_timestamp(epoch)
                .unwrap_or(0)
                * 1000;
            let report = json!({
                "epoch": s.epoch,
                "from": s.from(),
                "to": s.to(),
                "first_leaf_proof_before_epoch_end": s.first_leaf_proven_ms.is_some_and(|t| t < epoch_end_ms),
                "latency_ms": landed.latency_s().map(|l| l * 1000),
                "deadline_slack_ms": deadline_ms as i64 - (landed.l1_timestamp * 1000) as i64,
                "proof_ready_after_leaves_ms": s.proof_ready_ms.zip(s.leaves_ready_ms).map(|(p, l)| p.saturating_sub(l)),
                "verify_gas": landed.gas,
                "txs": landed.txs,
                "fee_wei": landed.fee_wei.to_string(),
                "replacements": landed.replacements,
            });
            tracing::debug!(%report, "epoch proven on L1");
            reports.insert(s.epoch, report);
        }
        let epoch = head_epoch().await?;
        let live = status
            .sessions
            .iter()
            .filter(|s| !s.state.is_terminal())
            .count();
        let failed: Vec<String> = status
            .sessions
            .iter()
            .filter(|s| {
                matches!(
                    s.state,
                    vouch_node::SessionState::Failed | vouch_node::SessionState::TimedOut
                )
            })
            .map(|s| {
                format!(
                    "epoch {} ({:?}): {}",
                    s.epoch,
                    s.state,
                    s.reason.clone().unwrap_or_default()
                )
            })
            .collect();
        tracing::debug!(
            epoch,
            pending_checkpoint = pending,
            proven_checkpoint = proven,
            epochs_proven = reports.len(),
            live_sessions = live,
            prunes,
            "progress"
        );
        if args.epochs > 0 && reports.len() as u64 >= args.epochs {
            break Ok(());
        }
        if args.epochs > 0 && epoch >= give_up_epoch {
            break Err(anyhow::anyhow!(
                "only {} of {} epochs proven by L1 epoch {epoch}; failed or timed out: [{}]",
                reports.len(),
                args.epochs,
                failed.join("; ")
            ));
        }
    };
    progress.finish();
    let reproved = node.reproved_leaves();
    let leaves = node
        .stats()
        .leaves_proven
        .load(std::sync::atomic::Ordering::Relaxed);
    admin.stop().await;
    node.shutdown().await;
    let (stats, _anvil, _) = devnet.stop().await;
    let checkpoints_proven: u64 = reports
        .values()
        .map(|r| r["to"].as_u64().unwrap_or(0) - r["from"].as_u64().unwrap_or(0) + 1)
        .sum();
    let summary = json!({
        "epochs_proven": reports.len(),
        "checkpoints_proven": checkpoints_proven,
        "leaf_proofs": leaves,
        "reproved_leaves": reproved,
        "epochs": reports.values().collect::<Vec<_>>(),
        "prunes_seen": prunes,
        "transfers_sent": stats.map(|s| s.sent),
    });
    if args.json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        println!("{}", summary_table(&summary));
    }
    outcome
}

/// The configuration of the node a devnet runs: real Plonky3 proofs, publishing from anvil
/// account 1 (the sequencer proposes from account 0) through the deployed verifier.
pub fn devnet_node_config(
    devnet: &vouch_devnet::devnet::Devnet,
    datadir: std::path::PathBuf,
    insecure_mock_verifier: bool,
) -> Result<vouch_node::NodeConfig> {
    use vouch_node::publisher::VerifierMode;
    let verifier = match (&devnet.deployment.epoch_verifier, insecure_mock_verifier) {
        (_, true) => VerifierMode::InsecureMock,
        (Some(ev), false) => VerifierMode::Plonky3 {
            epoch_verifier: ev.epoch_verifier,
        },
        (None, false) => anyhow::bail!("the devnet deployed no epoch verifier"),
    };
    Ok(vouch_node::NodeConfig {
        l1_rpc_urls: vec![devnet.anvil.http_url()],
        l1_start_block: devnet.deployment.constants.l1_start_block,
        rollup: devnet.deployment.rollup,
        datadir,
        genesis: devnet.genesis.clone(),
        l2_chain_id: vouch_devnet::devnet::DEVNET_CHAIN_ID,
        backend: vouch_prover::backend::BackendChoice::Plonky3,
        agents: vouch_broker::agent::default_agent_count(),
        max_pending_sessions: 10,
        publisher: vouch_node::PublisherChoice::Evm {
            signer: devnet.anvil.dev_signer(1),
            verifier: Some(verifier),
            dry_run: false,
        },
        poll_interval: Duration::from_millis(250),
        prove_at_epoch_end: false,
        dev_throttle_proving: Duration::ZERO,
        dev_hold_epoch_proofs: None,
    })
}

/// The devnet's closing table: one row per epoch proven on L1, then the totals.
fn summary_table(summary: &serde_json::Value) -> String {
    let mut out = vec![format!(
        "{:>6}  {:>9}  {:>8}  {:>8}  {:>9}  {:>4}",
        "EPOCH", "RANGE", "LATENCY", "SLACK", "GAS", "TXS"
    )];
    for e in summary["epochs"].as_array().into_iter().flatten() {
        let secs = |v: &serde_json::Value| {
            v.as_i64()
                .map_or("?".to_string(), |ms| format!("{:.1} s", ms as f64 / 1000.0))
        };
        out.push(format!(
            "{:>6}  {:>9}  {:>8}  {:>8}  {:>7.1} M  {:>4}",
            e["epoch"].to_string(),
            format!("{}..={}", e["from"], e["to"]),
            secs(&e["latency_ms"]),
            secs(&e["deadline_slack_ms"]),
            e["verify_gas"].as_u64().unwrap_or(0) as f64 / 1e6,
            e["txs"].to_string()
        ));
    }
    out.push(format!(
        "{} epochs ({} checkpoints) proven and settled on L1; {} leaf proofs, {} re-proved; \
         {} prunes seen; {} transfers sent",
        summary["epochs_proven"],
        summary["checkpoints_proven"],
        summary["leaf_proofs"],
        summary["reproved_leaves"],
        summary["prunes_seen"],
        summary["transfers_sent"]
    ));
    out.join("\n")
}
