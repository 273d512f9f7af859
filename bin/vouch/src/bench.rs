//! `vouch bench …`: measured numbers, printed as JSON.

use anyhow::{Context, Result};
use serde_json::json;
use std::time::{Duration, Instant};
use vouch_primitives::{BlockNumber, CheckpointNumber, Slot};
use vouch_rollup::checkpoint::{BlockBody, CheckpointBody, CheckpointContext, execute_checkpoint};
use vouch_rollup::genesis::{devnet_account_index, devnet_genesis, devnet_signer};
use vouch_rollup::state::{MemoryStore, StateOverlay, VersionedStore};
use vouch_rollup::tx::{SignedTransfer, Transfer};
use vouch_rollup::{AccountIndex, Digest};
use vouch_state_db::RocksStateStore;

const CHAIN_ID: u64 = 1;

/// `vouch bench stf`: STF execution with signature checks and witness generation.
pub fn stf(transfers: usize, accounts: u32, per_checkpoint: usize, json_out: bool) -> Result<()> {
    anyhow::ensure!(
        accounts >= 2 && transfers > 0 && per_checkpoint > 0,
        "need ≥2 accounts and positive counts"
    );
    let signers: Vec<_> = (0..accounts).map(|i| devnet_signer(7, i)).collect();
    let genesis = devnet_genesis(
        alloy::primitives::Address::repeat_byte(0xfe),
        7,
        accounts,
        1 << 40,
    );
    let mut nonces = vec![0u32; accounts as usize];
    let mut x: u64 = 0x9E37_79B9;
    let txs: Vec<SignedTransfer> = (0..transfers)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let from = (x % accounts as u64) as u32;
            let to = (from + 1 + (x >> 32) as u32 % (accounts - 1)) % accounts;
            let nonce = nonces[from as usize];
            nonces[from as usize] += 1;
            Transfer {
                from: devnet_account_index(from),
                to: devnet_account_index(to),
                amount: 3,
                fee: 1,
                nonce,
            }
            .sign(&signers[from as usize], CHAIN_ID)
        })
        .collect();
    let bodies: Vec<CheckpointBody> = txs
        .chunks(per_checkpoint)
        .map(|chunk| CheckpointBody {
            fee_account: AccountIndex(0),
            blocks: vec![BlockBody {
                deposit_count: 0,
                txs: chunk.to_vec(),
            }],
        })
        .collect();

    // Signature recovery alone, for context.
    let t0 = Instant::now();
    for tx in &txs {
        std::hint::black_box(tx.recover_signer(CHAIN_ID));
    }
    let sig_secs = t0.elapsed().as_secs_f64();

    let memory = MemoryStore::default();
    let (memory_secs, memory_root, witnesses) = run(&memory, &genesis, &bodies)?;
    let dir = tempfile::tempdir().context("temp dir")?;
    let rocks = RocksStateStore::open(dir.path()).context("open RocksDB")?;
    let (rocks_secs, rocks_root, _) = run(&rocks, &genesis, &bodies)?;
    anyhow::ensure!(
        memory_root == rocks_root,
        "stores disagree on the final root"
    );

    let report = json!({
        "bench": "stf",
        "transfers": transfers,
        "accounts": accounts,
        "transfers_per_checkpoint": per_checkpoint,
        "tree_depth": vouch_rollup::state::TREE_DEPTH,
        "witness_steps": witnesses,
        "signature_recoveries_per_sec": transfers as f64 / sig_secs,
        "memory_store": { "seconds": memory_secs, "transfers_per_sec": transfers as f64 / memory_secs },
        "rocksdb_store": { "seconds": rocks_secs, "transfers_per_sec": transfers as f64 / rocks_secs },
        "includes": "signature check, rule checks, Poseidon2 path updates, witness generation, commit per checkpoint",
    });
    if json_out {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}

fn run<S: VersionedStore>(
    store: &S,
    genesis: &vouch_rollup::genesis::Genesis,
    bodies: &[CheckpointBody],
) -> Result<(f64, Digest, usize)> {
    let roots = genesis.commit(store)?;
    let mut archive = roots.archive;
    let mut last_block = BlockNumber(0);
    let mut witnesses = 0;
    let t0 = Instant::now();
    for (i, body) in bodies.iter().enumerate() {
        let number = i as u64 + 1;
        let ctx = CheckpointContext {
            number: CheckpointNumber(number),
            slot: Slot(number),
            timestamp: number,
            previous_archive: archive,
            previous_block: last_block,
            deposit_start: 0,
            chain_id: CHAIN_ID,
        };
        let mut state = StateOverlay::new(store, Some(number - 1));
        let exec = execute_checkpoint(&mut state, &ctx, body, &[])?;
        state.commit(number)?;
        witnesses += exec.witnesses.len();
        archive = exec.archive;
        last_block = exec.blocks.last().map_or(last_block, |b| b.number);
    }
    let secs = t0.elapsed().as_secs_f64();
    let root = StateOverlay::new(store, Some(bodies.len() as u64)).root()?;
    Ok((secs, root, witnesses))
}

/// `vouch bench catchup`: how fast a fresh follower ingests a backlog of checkpoints.
pub async fn catchup(checkpoints: u64, json_out: bool) -> Result<()> {
    use std::sync::Arc;
    use vouch_archiver::archive::L2BlockSource;
    use vouch_archiver::kv::RocksKv;
    use vouch_archiver::{Archive, FollowerConfig, L1Follower};
    use vouch_devnet::proposer::DirectProposer;
    use vouch_devnet::{AnvilConfig, AnvilProcess};

    anyhow::ensure!(checkpoints > 0, "need at least one checkpoint");
    let anvil = AnvilProcess::spawn(&AnvilConfig::default())?;
    let l1 = DirectProposer::deploy(&anvil, 1, 1_000_000, 1_000).await;
    let t0 = Instant::now();
    for slot in 0..checkpoints {
        l1.propose_at(slot, 1).await;
    }
    let backlog_secs = t0.elapsed().as_secs_f64();

    let dir = tempfile::tempdir()?;
    let archive = Archive::new(
        Arc::new(RocksKv::open(dir.path(), &vouch_archiver::kv::TABLES)?),
        l1.constants(),
    );
    let config = FollowerConfig::new(
        anvil.http_url(),
        l1.address(),
        l1.deployment.constants.l1_start_block,
    );
    let batch_blocks = config.batch_blocks;
    let mut follower = L1Follower::new(config, archive.clone())?;
    let t1 = Instant::now();
    let report = follower.sync_once().await?;
    let secs = t1.elapsed().as_secs_f64();
    let pending = archive.tips()?.pending.get();
    anyhow::ensure!(
        pending == checkpoints,
        "archived {pending} of {checkpoints} checkpoints"
    );
    let out = json!({
        "bench": "catchup",
        "checkpoints": checkpoints,
        "l1_blocks": report.head - l1.deployment.constants.l1_start_block,
        "batch_blocks": batch_blocks,
        "seconds": secs,
        "checkpoints_per_sec": checkpoints as f64 / secs,
        "goal_checkpoints_per_sec": 200,
        "backlog_build_seconds": backlog_secs,
        "store": "rocksdb (fsync per batch)",
    });
    if json_out {
        println!("{out}")
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?)
    }
    Ok(())
}

/// `vouch bench register`: a node catching up on an archived backlog. Baseline, same run: the
/// same checkpoints re-executed into a fresh RocksDB state tree with nothing else.
pub async fn register(checkpoints: usize, json_out: bool) -> Result<()> {
    use std::sync::Arc;
    use vouch_archiver::archive::{L1BlockEvents, RollupEvent};
    use vouch_archiver::kv::RocksKv;
    use vouch_archiver::model::{ArchivedCheckpoint, ArchivedDeposit};
    use vouch_archiver::{Archive, ChainEvent, L2BlockStream, StreamHandler};
    use vouch_broker::{BrokerConfig, KvBroker, ProvingBroker};
    use vouch_l1_contracts::statement::l1_header;
    use vouch_node::NodeError;
    use vouch_node::core::{CoreConfig, NodeCore};
    use vouch_node::db::NodeDb;
    use vouch_primitives::L1RollupConstants;
    use vouch_prover::fixture::{self, FixtureSpec};

    struct Register<'a>(&'a mut NodeCore<RocksKv, RocksStateStore>);
    impl StreamHandler for Register<'_> {
        type Error = NodeError;
        async fn handle(&mut self, event: ChainEvent) -> Result<(), NodeError> {
            self.0.handle(event)
        }
    }

    let fx = tokio::task::spawn_blocking(move || {
        fixture::build(FixtureSpec {
            accounts: 64,
            checkpoints,
            blocks: 2,
            transfers_per_block: 5,
            deposits_per_block: 1,
            seed: 5,
            vary: false,
        })
    })
    .await?;
    let genesis = vouch_rollup::genesis::devnet_genesis(
        alloy::primitives::Address::repeat_byte(0xfe),
        7,
        64,
        1 << 40,
    );
    anyhow::ensure!(
        genesis.roots() == fx.genesis,
        "bench genesis mirrors the fixture's"
    );

    // Baseline: re-execution alone.
    let dir = tempfile::tempdir()?;
    let store = RocksStateStore::open(dir.path().join("baseline"))?;
    genesis.commit(&store)?;
    let t0 = Instant::now();
    for (i, w) in fx.checkpoints.iter().enumerate() {
        let mut state = StateOverlay::new(&store, Some(i as u64));
        execute_checkpoint(&mut state, &w.ctx, &w.body, &w.deposits)?;
        state.commit(i as u64 + 1)?;
    }
    let baseline_secs = t0.elapsed().as_secs_f64();

    // The node: the backlog archived as the follower would (one batch), then one stream pass.
    let constants = L1RollupConstants {
        l1_start_block: 0,
        genesis_time: fixture::GENESIS_TIME,
        slot_duration: fixture::SLOT_DURATION,
        epoch_duration: fixture::EPOCH_DURATION,
        proof_submission_epochs: 1_000, // nothing expires: everything gets a prover
    };
    let tables: Vec<_> = vouch_archiver::kv::TABLES
        .iter()
        .chain(vouch_broker::TABLES.iter())
        .chain(vouch_node::db::TABLES.iter())
        .copied()
        .collect();
    let kv = Arc::new(RocksKv::open(dir.path().join("db"), &tables)?);
    let archive = Archive::new(kv.clone(), constants);
    let blocks: Vec<L1BlockEvents> = fx
        .checkpoints
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let number = i as u64 + 1;
            let mut events: Vec<RollupEvent> = w
                .deposits
                .iter()
                .map(|d| RollupEvent::Deposit(ArchivedDeposit::of(d, number)))
                .collect();
            events.push(RollupEvent::Proposed(Box::new(
                ArchivedCheckpoint::from_l1(
                    &l1_header(w),
                    w.body.encode().into(),
                    number,
                    alloy::primitives::B256::ZERO,
                    alloy::primitives::B256::ZERO,
                ),
            )));
            L1BlockEvents {
                number,
                hash: alloy::primitives::keccak256(number.to_be_bytes()),
                events,
            }
        })
        .collect();
    let last = fx.checkpoints.last().expect("at least one");
    let tip = blocks.len() as u64 + 1;
    archive.apply(
        &blocks,
        (
            tip,
            alloy::primitives::keccak256(tip.to_be_bytes()),
            last.ctx.timestamp,
        ),
        None,
    )?;
    let state = Arc::new(RocksStateStore::open(dir.path().join("state"))?);
    let broker: Arc<dyn ProvingBroker> =
        Arc::new(KvBroker::new(kv.clone(), BrokerConfig::default()));
    let mut core = NodeCore::open(
        archive.clone(),
        NodeDb::new(kv.clone()),
        state,
        broker.clone(),
        (&genesis, fx.genesis),
        CoreConfig {
            max_pending_sessions: 10,
            l2_chain_id: fixture::CHAIN_ID,
            prove_at_epoch_end: false,
        },
    )?;
    let stream = L2BlockStream::new(archive, "node");
    let t1 = Instant::now();
    stream.pass(&mut Register(&mut core)).await?;
    core.reconcile()?; // what the node does right after (it opens the complete epochs' sessions)
    let node_secs = t1.elapsed().as_secs_f64();
    let registered = core.checkpoints().len();
    anyhow::ensure!(
        registered == checkpoints,
        "registered {registered} of {checkpoints}"
    );
    let out = json!({
        "bench": "register",
        "checkpoints": checkpoints,
        "transfers_per_checkpoint": 10,
        "registered_per_sec": checkpoints as f64 / node_secs,
        "baseline_execute_per_sec": checkpoints as f64 / baseline_secs,
        "ratio": baseline_secs / node_secs,
        "leaf_jobs_queued": broker.jobs()?.len(),
        "node_seconds": node_secs,
        "baseline_seconds": baseline_secs,
        "store": "rocksdb (fsync per write batch)",
    });
    if json_out {
        println!("{out}")
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?)
    }
    Ok(())
}

/// Peak resident set size of this process so far, in bytes (Linux `VmHWM`).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Transfers that fill a checkpoint trace of `2^log_rows` rows: one block, no deposits; rows
/// are header + seal + chain + fee update (33) + block close (2) + 67 per transfer.
fn transfers_filling(log_rows: u32) -> usize {
    ((1usize << log_rows) - 38) / vouch_prover::circuit::ROWS_PER_TRANSFER
}

/// `vouch bench fri`: one devnet-sized epoch (4 checkpoints, 2 blocks each, a deposit per
/// block) proven and verified under several epoch-proof FRI settings in one run, with the
/// proving time as a ratio to the previous setting (43 queries, 84 proven bits).
pub fn fri(transfers_per_block: usize, json_out: bool) -> Result<()> {
    use vouch_prover::config::{EVM_FRI, FriSetting, evm_config_with};
    use vouch_prover::fixture::{FixtureSpec, build};
    use vouch_prover::proof::{EpochStatement, prove_trace, verify_trace};
    use vouch_prover::security::epoch_security_with;

    let fx = build(FixtureSpec {
        accounts: 16,
        checkpoints: 4,
        blocks: 2,
        transfers_per_block,
        deposits_per_block: 1,
        seed: 1,
        vary: false,
    });
    let prover = alloy::primitives::Address::repeat_byte(0x42);
    let pv = EpochStatement::of(3, &fx.checkpoints, prover)
        .and_then(|s| s.public_values())
        .expect("four checkpoints");
    let setting = |log_blowup, num_queries, query_pow_bits| FriSetting {
        log_blowup,
        num_queries,
        query_pow_bits,
    };
    let previous = setting(3, 43, 20);
    let settings = [previous, EVM_FRI, setting(3, 51, 24), setting(4, 41, 20)];
    let degree_bits = vouch_prover::proof::trace_log_rows(&fx.checkpoints)?;
    let mut rows = Vec::new();
    let mut baseline = None;
    for s in settings {
        let config = evm_config_with(s);
        // Two runs, the faster kept: the first warms the allocator and the thread pool.
        let mut best = f64::INFINITY;
        let mut proof = Vec::new();
        for _ in 0..2 {
            let (p, seconds) = timed(|| prove_trace(&config, &fx.checkpoints, &prover));
            proof = p?.0;
            best = best.min(seconds);
        }
        let (verified, verify_seconds) = timed(|| verify_trace(&config, &proof, &pv));
        verified?;
        let base = *baseline.get_or_insert(best);
        rows.push(json!({
            "log_blowup": s.log_blowup,
            "queries": s.num_queries,
            "query_pow_bits": s.query_pow_bits,
            "chosen": s == EVM_FRI,
            "prove_seconds": best,
            "prove_ratio_to_previous": best / base,
            "verify_ms": verify_seconds * 1e3,
            "proof_bytes": proof.len(),
            "security_bits": epoch_security_with(s, degree_bits),
        }));
    }
    let out = json!({
        "bench": "fri",
        "checkpoints": 4,
        "transfers": 4 * 2 * transfers_per_block,
        "log_rows": degree_bits,
        "previous": previous,
        "settings": rows,
        "note": "the Solidity verifier verifies the chosen setting only; its gas is `vouch bench gas`",
    });
    if json_out {
        println!("{out}")
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?)
    }
    Ok(())
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed().as_secs_f64())
}

/// `vouch bench prove`: a checkpoint proof (Poseidon2 configuration) and an epoch proof of four
/// such checkpoints (Keccak configuration) of the transition AIR, from STF witnesses, against
/// the raw Poseidon2 AIR proving the same number of permutations in the same run. Checkpoint
/// and epoch times include trace generation; the raw times do not, so the ratio is
/// conservative.
pub fn prove(log_rows: u32, json_out: bool) -> Result<()> {
    use vouch_prover::circuit::{PERMS_PER_ROW, ROWS_PER_TRANSFER};
    use vouch_prover::fixture::{FixtureSpec, build};
    use vouch_prover::proof::{self, CheckpointStatement, EpochStatement};
    use vouch_prover::security;

    let transfers = transfers_filling(log_rows);
    let perms = (1usize << log_rows) * PERMS_PER_ROW;
    let (fx, fixture_seconds) = timed(|| {
        build(FixtureSpec {
            accounts: 64,
            checkpoints: 4,
            blocks: 1,
            transfers_per_block: transfers,
            deposits_per_block: 0,
            seed: 1,
            vary: false,
        })
    });
    let leaf = vouch_prover::raw::prove_leaf(perms)?;
    let evm = vouch_prover::raw::prove_evm(perms)?;

    let first = &fx.checkpoints[0];
    let (checkpoint_proof, checkpoint_seconds) = timed(|| proof::prove_checkpoint(first));
    let checkpoint_proof = checkpoint_proof?;
    let (verified, checkpoint_verify_seconds) =
        timed(|| proof::verify_checkpoint(&CheckpointStatement::of(first), &checkpoint_proof));
    verified?;

    let (epoch_proof, epoch_seconds) =
        timed(|| proof::prove_epoch(&fx.checkpoints, &alloy::primitives::Address::ZERO));
    let epoch_proof = epoch_proof?;
    let statement = EpochStatement::of(3, &fx.checkpoints, alloy::primitives::Address::ZERO)
        .expect("four checkpoints");
    let (verified, epoch_verify_seconds) = timed(|| proof::verify_epoch(&statement, &epoch_proof));
    verified?;
    let epoch_log_rows = log_rows + 2;

    let perms_per_transfer = ROWS_PER_TRANSFER * PERMS_PER_ROW;
    let checkpoint_tps = transfers as f64 / checkpoint_seconds;
    let epoch_tps = (4 * transfers) as f64 / epoch_seconds;
    let bound = leaf.permutations_per_sec / perms_per_transfer as f64;
    let bound_evm = evm.permutations_per_sec / perms_per_transfer as f64;
    let out = json!({
        "bench": "prove",
        "log_rows": log_rows,
        "transfers_per_checkpoint": transfers,
        "permutations_per_transfer": perms_per_transfer,
        "raw_poseidon2_perms_per_sec": leaf.permutations_per_sec,
        "raw_poseidon2_perms_per_sec_evm_config": evm.permutations_per_sec,
        "checkpoint_transfers_per_sec": checkpoint_tps,
        "epoch_transfers_per_sec": epoch_tps,
        "bound_transfers_per_sec": bound,
        "ratio": checkpoint_tps / bound,
        "epoch_ratio_vs_evm_bound": epoch_tps / bound_evm,
        "goal_ratio": 0.5,
        "checkpoint": {
            "prove_seconds": checkpoint_seconds,
            "verify_ms": checkpoint_verify_seconds * 1e3,
            "proof_bytes": checkpoint_proof.len(),
            "security_bits": security::checkpoint_security(log_rows as usize),
        },
        "epoch": {
            "checkpoints": 4,
            "log_rows": epoch_log_rows,
            "prove_seconds": epoch_seconds,
            "verify_ms": epoch_verify_seconds * 1e3,
            "proof_bytes": epoch_proof.len(),
            "security_bits": security::epoch_security(epoch_log_rows as usize),
        },
        "raw_leaf_config": leaf,
        "raw_evm_config": evm,
        "fixture_seconds": fixture_seconds,
        "trace_width": vouch_prover::circuit::WIDTH,
        "peak_rss_bytes": peak_rss_bytes(),
    });
    if json_out {
        println!("{out}")
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?)
    }
    Ok(())
}

/// `vouch bench gas`: verifies one epoch proof on anvil with the real `EpochVerifier` (a
/// devnet-sized epoch by default) and reports the gas and calldata of every transaction.
pub async fn gas(checkpoints: usize, transfers_per_block: usize, json_out: bool) -> Result<()> {
    use alloy::network::EthereumWallet;
    use alloy::primitives::keccak256;
    use alloy::providers::ProviderBuilder;
    use vouch_devnet::{AnvilConfig, AnvilProcess};
    use vouch_l1_contracts::bindings::EpochVerifier;
    use vouch_l1_contracts::statement::{epoch_public_values, l1_header};
    use vouch_l1_contracts::verifier::{MAX_TX_BYTES, MAX_TX_GAS, SessionCalldata, run_session};
    use vouch_prover::evm::calldata::{DEFAULT_BATCH_BYTES, encode};
    use vouch_prover::fixture::{FixtureSpec, build};
    use vouch_prover::proof::prove_trace;

    anyhow::ensure!(
        (1..=14).contains(&checkpoints),
        "--checkpoints must be 1..=14"
    );
    let fx = build(FixtureSpec {
        accounts: 16,
        checkpoints,
        blocks: 2,
        transfers_per_block,
        deposits_per_block: 1,
        seed: 1,
        vary: false,
    });
    let anvil = AnvilProcess::spawn(&AnvilConfig::default())?;
    let owner = anvil.dev_address(0);
    let headers: Vec<_> = fx.checkpoints.iter().map(l1_header).collect();
    let values = epoch_public_values(3, &fx.checkpoints, owner)
        .ok_or_else(|| anyhow::anyhow!("empty epoch"))?
        .encode();
    let witnesses = fx.checkpoints.clone();
    let (proof, pv) = tokio::task::spawn_blocking(move || {
        prove_trace(&vouch_prover::config::evm_config(), &witnesses, &owner)
    })
    .await??;
    let cd = encode(&proof, &pv, keccak256(&values), DEFAULT_BATCH_BYTES)?;

    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(anvil.dev_signer(0)))
        .connect_http(anvil.http_url().parse()?);
    let deployment = vouch_l1_contracts::deploy::deploy_epoch_verifier(&provider).await?;
    let session = run_session(
        &provider,
        deployment.epoch_verifier,
        owner,
        &values,
        &headers,
        &SessionCalldata::from(&cd),
    )
    .await?;
    let accepted = EpochVerifier::new(deployment.epoch_verifier, &provider)
        .verify(values.clone().into(), session.verifier_proof())
        .from(owner)
        .call()
        .await?;
    anyhow::ensure!(
        accepted,
        "the verifier did not accept the completed session"
    );
    let propose = propose_costs(&provider, &anvil, &fx).await?;
    let costs = &session.costs;
    let verify_gas: u64 = costs.iter().map(|c| c.gas).sum();
    let max_tx_gas = costs.iter().map(|c| c.gas).max().unwrap_or(0);
    let max_tx_calldata = costs.iter().map(|c| c.calldata_bytes).max().unwrap_or(0);
    let out = json!({
        "bench": "gas",
        "checkpoints": checkpoints,
        "transfers": checkpoints * 2 * transfers_per_block,
        "degree_bits": cd.degree_bits,
        "verify_gas": verify_gas,
        "txs": costs.len(),
        "max_tx_gas": max_tx_gas,
        "max_tx_calldata_bytes": max_tx_calldata,
        "proof_bytes": proof.len(),
        "calldata_bytes": costs.iter().map(|c| c.calldata_bytes).sum::<usize>(),
        "per_tx": costs,
        "limits": {"max_tx_gas": MAX_TX_GAS, "max_tx_bytes": MAX_TX_BYTES},
        "within_limits": costs.iter().all(|c| c.within_limits(300)),
        "goal_verify_gas": 5_000_000u64,
        "propose": propose,
        "note": "verify_gas sums begin and every verifyQueries transaction (gas used, intrinsic and calldata included); the rollup's submitEpochProof adds its own ~60k. propose: the sequencer's Rollup.propose of each checkpoint (gas used, intrinsic and calldata included; it decodes the tx data and checks its data evaluation)",
    });
    if json_out {
        println!("{out}")
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?)
    }
    Ok(())
}

/// What the sequencer's `propose` of one fixture checkpoint cost.
#[derive(Clone, Debug, serde::Serialize)]
struct ProposeCost {
    checkpoint: u64,
    transfers: usize,
    calldata_bytes: usize,
    gas: u64,
}

/// Deploys a `Rollup` on `anvil` (after whatever ran there: its genesis is the fixture's, in
/// the future), queues the fixture's deposits and proposes its checkpoints, one per slot.
async fn propose_costs<P: alloy::providers::Provider + Clone>(
    provider: &P,
    anvil: &vouch_devnet::AnvilProcess,
    fx: &vouch_prover::fixture::Fixture,
) -> Result<Vec<ProposeCost>> {
    use alloy::primitives::U256;
    use vouch_devnet::L1Control;
    use vouch_l1_contracts::bindings::Rollup;
    use vouch_l1_contracts::deploy::{RollupDeployConfig, deploy_rollup};
    use vouch_l1_contracts::statement::l1_header;
    use vouch_prover::fixture::GENESIS_TIME;

    let config = RollupDeployConfig::for_fixture(&fx.genesis, anvil.dev_address(0));
    let deployment = deploy_rollup(provider, &config).await?;
    let control = L1Control::new(provider.clone());
    control.mine_at(GENESIS_TIME).await?;
    let rollup = Rollup::new(deployment.rollup, provider.clone());
    let receipt = |b: alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>| async move {
        let r = b
            .with_timeout(Some(std::time::Duration::from_secs(60)))
            .get_receipt()
            .await?;
        anyhow::ensure!(r.status(), "transaction {} reverted", r.transaction_hash);
        Ok::<_, anyhow::Error>(r)
    };
    for d in fx.checkpoints.iter().flat_map(|c| &c.deposits) {
        let wei = U256::from(d.amount) * U256::from(1_000_000_000u64);
        receipt(rollup.deposit(d.recipient).value(wei).send().await?).await?;
    }
    let mut out = Vec::new();
    for cp in &fx.checkpoints {
        let header = l1_header(cp);
        let data = cp.body.encode();
        control.set_next_block_timestamp(header.timestamp).await?;
        let r = receipt(
            rollup
                .propose(header.clone(), data.clone().into())
                .send()
                .await?,
        )
        .await?;
        out.push(ProposeCost {
            checkpoint: header.number,
            transfers: cp.body.tx_count(),
            calldata_bytes: data.len(),
            gas: r.gas_used,
        });
    }
    Ok(out)
}

/// One epoch as the latency benchmark measured it.
#[derive(Clone, Debug, serde::Serialize)]
struct EpochLatency {
    epoch: u64,
    checkpoints: usize,
    /// L1 timestamp of the block holding the last checkpoint → of `submitEpochProof` (s).
    latency_ms: u64,
    /// Node clock: last checkpoint registered → its epoch's leaf proofs all done.
    leaves_after_last_checkpoint_ms: u64,
    /// Leaf proofs all done → epoch proof ready.
    epoch_proof_ms: u64,
    /// Epoch proof ready → landed (the L1 transactions).
    l1_ms: u64,
    gas: u64,
}

/// Runs the devnet workload with one node until `epochs` full epochs land; returns them.
async fn measure_epochs(
    epochs: usize,
    slots_per_epoch: u64,
    tx_rate: f64,
    prove_at_epoch_end: bool,
) -> Result<Vec<EpochLatency>> {
    use std::collections::HashMap;
    use vouch_devnet::devnet::{Devnet, DevnetConfig};
    use vouch_node::model::SessionKind;
    let dir = tempfile::tempdir()?;
    let devnet = Devnet::start(DevnetConfig {
        l1_port: None,
        slot_duration: 4,
        epoch_duration: slots_per_epoch,
        proof_submission_epochs: 1,
        tx_rate,
        accounts: 16,
        blocks_per_checkpoint: 2,
        max_txs_per_block: 500,
        datadir: dir.path().join("devnet"),
        sequencer_rpc: "127.0.0.1:0".parse()?,
        verifier: vouch_l1_contracts::deploy::VerifierChoice::Plonky3,
        // The devnet's deposit load (as `vouch devnet`), in both modes alike.
        deposit_interval: Some(Duration::from_secs(3)),
    })
    .await?;
    let node = vouch_node::NodeHandle::start(vouch_node::NodeConfig {
        prove_at_epoch_end,
        ..crate::commands::devnet_node_config(&devnet, dir.path().join("node"), false)?
    })
    .await?;
    // Checkpoint records are released when their epoch expires: remember when each was
    // registered while they are there.
    let mut registered: HashMap<u64, u64> = HashMap::new();
    let mut done: Vec<EpochLatency> = Vec::new();
    let give_up =
        Instant::now() + Duration::from_secs(4 * slots_per_epoch * (epochs as u64 + 3) + 60);
    let outcome = loop {
        if Instant::now() > give_up {
            break Err(anyhow::anyhow!(
                "only {} of {epochs} epochs landed in time",
                done.len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let status = node.status();
        for c in &status.checkpoints {
            registered.entry(c.id.number).or_insert(c.registered_ms);
        }
        for s in status.sessions.iter().filter(|s| {
            s.kind == SessionKind::Full && s.state == vouch_node::SessionState::Completed
        }) {
            // The first epoch can start before the node does: measure whole epochs only.
            let first_slot = devnet
                .deployment
                .constants
                .first_slot_of_epoch(vouch_primitives::EpochNumber(s.epoch))
                .map_or(0, |x| x.get());
            if s.members.first().is_none_or(|m| m.slot < first_slot)
                || s.epoch == 0
                || done.iter().any(|d| d.epoch == s.epoch)
            {
                continue;
            }
            let (Some(landed), Some(leaves), Some(proof), Some(finished)) = (
                &s.landed,
                s.leaves_ready_ms,
                s.proof_ready_ms,
                s.finished_ms,
            ) else {
                continue;
            };
            let last_seen = registered.get(&s.to()).copied().unwrap_or(leaves);
            done.push(EpochLatency {
                epoch: s.epoch,
                checkpoints: s.members.len(),
                latency_ms: landed.latency_s().unwrap_or(0) * 1000,
                leaves_after_last_checkpoint_ms: leaves.saturating_sub(last_seen),
                epoch_proof_ms: proof.saturating_sub(leaves),
                l1_ms: finished.saturating_sub(proof),
                gas: landed.gas,
            });
        }
        if done.len() >= epochs {
            break Ok(());
        }
    };
    node.shutdown().await;
    devnet.stop().await;
    outcome?;
    done.sort_by_key(|d| d.epoch);
    done.truncate(epochs);
    Ok(done)
}

fn mean(values: impl Iterator<Item = u64>) -> u64 {
    let v: Vec<u64> = values.collect();
    if v.is_empty() {
        0
    } else {
        v.iter().sum::<u64>() / v.len() as u64
    }
}

/// `vouch bench latency`: the same devnet workload with optimistic proving and with the
/// prove-at-epoch-end baseline, one after the other in one run.
pub async fn latency(
    epochs: usize,
    slots_per_epoch: u64,
    tx_rate: f64,
    json_out: bool,
) -> Result<()> {
    let optimistic = measure_epochs(epochs, slots_per_epoch, tx_rate, false).await?;
    let baseline = measure_epochs(epochs, slots_per_epoch, tx_rate, true).await?;
    let summary = |runs: &[EpochLatency]| {
        json!({
            "latency_ms": mean(runs.iter().map(|r| r.latency_ms)),
            "leaves_after_last_checkpoint_ms": mean(runs.iter().map(|r| r.leaves_after_last_checkpoint_ms)),
            "epoch_proof_ms": mean(runs.iter().map(|r| r.epoch_proof_ms)),
            "l1_ms": mean(runs.iter().map(|r| r.l1_ms)),
            "epochs": runs,
        })
    };
    let o = mean(optimistic.iter().map(|r| r.latency_ms));
    let b = mean(baseline.iter().map(|r| r.latency_ms));
    let report = json!({
        "checkpoints_per_epoch": slots_per_epoch,
        "slot_s": 4,
        "tx_rate": tx_rate,
        "optimistic_latency_ms": o,
        "baseline_latency_ms": b,
        "ratio": if o > 0 { b as f64 / o as f64 } else { 0.0 },
        "optimistic": summary(&optimistic),
        "baseline": summary(&baseline),
        "note": "latency: L1 timestamp of the last checkpoint's block to submitEpochProof's (1 s blocks); \
                 the breakdown is on the node's clock",
    });
    if json_out {
        println!("{report}");
    } else {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}

/// Resets the peak resident set size (Linux `clear_refs`), so [`peak_rss_bytes`] measures
/// the next phase alone.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Time and peak memory of one phase.
fn phase<T>(f: impl FnOnce() -> T) -> (T, serde_json::Value) {
    reset_peak_rss();
    let (out, seconds) = timed(f);
    (
        out,
        json!({ "seconds": seconds, "peak_rss_bytes": peak_rss_bytes() }),
    )
}

fn seconds_of(v: &serde_json::Value) -> f64 {
    v["seconds"].as_f64().unwrap_or(f64::NAN)
}

/// `vouch bench aggregate`: an epoch of devnet-sized checkpoints proven as recursion leaves,
/// one aggregation step, and the whole epoch reduced to one proof as a binary tree and as a
/// running accumulator, all in one run, against the baseline the node runs today (re-proving
/// the epoch at its end). Latency after the last checkpoint: its leaf proof plus the
/// aggregation steps that must follow it (the tree's height; one accumulator step).
pub fn aggregate(checkpoints: usize, transfers_per_block: usize, json_out: bool) -> Result<()> {
    use alloy::primitives::Address;
    use vouch_prover::fixture::{FixtureSpec, build};
    use vouch_prover::recursion::aggregate::{
        AggStatement, Aggregator, CheckpointProver, InnerKind, InnerProof,
    };
    use vouch_rollup::hash::Digest;

    anyhow::ensure!(
        checkpoints.is_power_of_two(),
        "--checkpoints must be a power of two"
    );
    let fx = build(FixtureSpec {
        accounts: 16,
        checkpoints,
        blocks: 2,
        transfers_per_block,
        deposits_per_block: 1,
        seed: 1,
        vary: false,
    });
    let log_rows = fx
        .checkpoints
        .iter()
        .map(|c| vouch_prover::proof::trace_log_rows(std::slice::from_ref(c)))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max()
        .unwrap_or(2);
    let prover = Address::repeat_byte(0x42);

    // Baseline: the epoch re-proven at its end (the node's epoch proof, EVM configuration).
    let (baseline, baseline_phase) =
        phase(|| vouch_prover::proof::prove_epoch(&fx.checkpoints, &prover));
    baseline?;

    // Leaves.
    let (leaf_prover, setup_leaf) = phase(|| CheckpointProver::new(log_rows));
    let leaf_prover = leaf_prover.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut leaves = Vec::new();
    let mut leaf_phases = Vec::new();
    for w in &fx.checkpoints {
        let (p, ph) = phase(|| leaf_prover.prove(w));
        leaves.push(p?);
        leaf_phases.push(ph);
    }
    let statements: Vec<AggStatement> = {
        let mut chain = Digest::ZERO;
        leaves
            .iter()
            .map(|(_, s)| {
                let a = AggStatement::of_checkpoint(s, chain, prover);
                chain = a.chain_end;
                a
            })
            .collect()
    };
    let leaf_kind = InnerKind::Checkpoint(leaf_prover.spec().clone());
    let err = |e: vouch_prover::recursion::stark::StarkError| anyhow::anyhow!("{e}");

    // The tree: level 1 pairs leaves, each further level pairs the level below.
    let (level1, setup_tree1) = phase(|| Aggregator::new(leaf_kind.clone(), leaf_kind.clone()));
    let level1 = level1.map_err(err)?;
    let mut tree_levels = Vec::new();
    let mut nodes = Vec::new();
    let mut step_phases = Vec::new();
    for pair in 0..checkpoints / 2 {
        let (a, b) = (2 * pair, 2 * pair + 1);
        let joined = statements[a]
            .join(&statements[b], prover)
            .expect("consecutive");
        let (p, ph) = phase(|| {
            level1.prove(
                InnerProof::Checkpoint(&leaves[a].0, &leaves[a].1),
                InnerProof::Checkpoint(&leaves[b].0, &leaves[b].1),
                &joined,
            )
        });
        nodes.push((p.map_err(err)?, joined));
        step_phases.push(ph);
    }
    let one_step = step_phases[0].clone();
    tree_levels.push(json!({
        "level": 1,
        "circuit": level1.circuit().size(),
        "heights": level1.key().heights(),
        "steps": step_phases,
    }));
    let mut below = level1;
    let mut level = 1;
    while nodes.len() > 1 {
        level += 1;
        let kind = below.as_inner().map_err(err)?;
        let (agg, setup) = phase(|| Aggregator::new(kind.clone(), kind));
        let agg = agg.map_err(err)?;
        let mut next = Vec::new();
        let mut phases = Vec::new();
        for pair in nodes.chunks(2) {
            let joined = pair[0].1.join(&pair[1].1, prover).expect("consecutive");
            let (p, ph) = phase(|| {
                agg.prove(
                    InnerProof::Aggregation(&pair[0].0, &pair[0].1),
                    InnerProof::Aggregation(&pair[1].0, &pair[1].1),
                    &joined,
                )
            });
            next.push((p.map_err(err)?, joined));
            phases.push(ph);
        }
        tree_levels.push(json!({
            "level": level,
            "setup": setup,
            "circuit": agg.circuit().size(),
            "heights": agg.key().heights(),
            "steps": phases,
        }));
        nodes = next;
        below = agg;
    }
    let (tree_proof, tree_statement) = nodes.pop().expect("one root");
    let tree_verified = below.verify(&tree_proof, &tree_statement).is_ok()
        && tree_statement.chain_start == Digest::ZERO;
    let tree_bytes = postcard::to_allocvec(&tree_proof)?.len();

    // The accumulator: absorb each checkpoint as it arrives (a circuit per position, each
    // with the previous one's verifying key; position 1 is the tree's level-1 circuit).
    let checkpoint = |k: usize| InnerProof::Checkpoint(&leaves[k].0, &leaves[k].1);
    let (first, setup) = phase(|| Aggregator::new(leaf_kind.clone(), leaf_kind.clone()));
    let mut acc_agg = first.map_err(err)?;
    let mut acc_statement = statements[0]
        .join(&statements[1], prover)
        .expect("consecutive");
    let (p, ph) = phase(|| acc_agg.prove(checkpoint(0), checkpoint(1), &acc_statement));
    let mut acc_proof = p.map_err(err)?;
    let mut acc_steps = vec![json!({ "absorbs": 1, "setup": setup, "step": ph })];
    for (k, statement) in statements.iter().enumerate().skip(2) {
        let kind = acc_agg.as_inner().map_err(err)?;
        let (next, setup) = phase(|| Aggregator::new(kind, leaf_kind.clone()));
        let next = next.map_err(err)?;
        let joined = acc_statement.join(statement, prover).expect("consecutive");
        let (p, ph) = phase(|| {
            next.prove(
                InnerProof::Aggregation(&acc_proof, &acc_statement),
                checkpoint(k),
                &joined,
            )
        });
        acc_proof = p.map_err(err)?;
        acc_steps.push(json!({
            "absorbs": k,
            "setup": setup,
            "circuit": next.circuit().size(),
            "heights": next.key().heights(),
            "step": ph,
        }));
        acc_agg = next;
        acc_statement = joined;
    }
    let acc_verified =
        acc_agg.verify(&acc_proof, &acc_statement).is_ok() && acc_statement == tree_statement;

    let leaf_seconds = seconds_of(leaf_phases.last().expect("a leaf"));
    let step_seconds = seconds_of(&one_step);
    let levels = checkpoints.trailing_zeros() as f64;
    let tree_latency = leaf_seconds
        + tree_levels
            .iter()
            .map(|l| seconds_of(&l["steps"][0]))
            .sum::<f64>();
    let acc_latency = leaf_seconds + seconds_of(&acc_steps.last().expect("a step")["step"]);
    let baseline_seconds = seconds_of(&baseline_phase);
    let security = vouch_prover::security::recursion_security(
        below
            .key()
            .heights()
            .iter()
            .map(|(_, h)| h.trailing_zeros() as usize)
            .max()
            .unwrap_or(0),
    );
    let out = json!({
        "bench": "aggregate",
        "checkpoints": checkpoints,
        "transfers_per_checkpoint": 2 * transfers_per_block,
        "leaf_log_rows": log_rows,
        "baseline_epoch_reproof": baseline_phase,
        "leaf_setup": setup_leaf,
        "checkpoint_proof": leaf_phases.last(),
        "checkpoint_proofs": leaf_phases,
        "tree_level1_setup": setup_tree1,
        "aggregation_step": one_step,
        "ratio_step_to_checkpoint": step_seconds / leaf_seconds,
        "tree": {
            "levels": tree_levels,
            "latency_after_last_checkpoint_seconds": tree_latency,
            "proof_bytes": tree_bytes,
        },
        "accumulator": {
            "steps": acc_steps,
            "latency_after_last_checkpoint_seconds": acc_latency,
            "proof_bytes": postcard::to_allocvec(&acc_proof)?.len(),
        },
        "tree_height": levels,
        "latency_ratio_tree": baseline_seconds / tree_latency,
        "latency_ratio_accumulator": baseline_seconds / acc_latency,
        "security_bits": security,
        "verified": tree_verified && acc_verified,
    });
    if json_out {
        println!("{out}")
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?)
    }
    Ok(())
}
