//! The sequencing loop and the RPC server around it.

use crate::api::{AccountInfo, CheckpointInfo, SequencerApiServer, SequencerStatus, TxStatus};
use crate::l1::{DepositQueue, ProposeOutcome, head, propose};
use crate::mempool::{MAX_PENDING, Mempool};
use alloy::network::EthereumWallet;
use alloy::primitives::{Address, B256, Bytes};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use jsonrpsee::core::RpcResult;
use jsonrpsee::server::{Server, ServerHandle};
use jsonrpsee::types::ErrorObjectOwned;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info, info_span, warn};
use vouch_l1_contracts::bindings::Rollup;
use vouch_l1_contracts::header::checkpoint_header;
use vouch_l1_contracts::read_rollup_constants;
use vouch_primitives::{BlockNumber, CheckpointNumber, L1RollupConstants, Slot};
use vouch_rollup::checkpoint::{
    BlockBody, CheckpointBody, CheckpointContext, CheckpointExecution, L2BlockHeader,
    execute_checkpoint,
};
use vouch_rollup::genesis::{Genesis, GenesisRoots};
use vouch_rollup::state::{StateOverlay, VersionedStore};
use vouch_rollup::stf::{StfError, apply_deposit, apply_transfer, check_transfer};
use vouch_rollup::tx::{Deposit, SignedTransfer};
use vouch_rollup::{AccountIndex, Digest};
use vouch_state_db::RocksStateStore;

/// Sequencer settings.
#[derive(Clone, Debug)]
pub struct SequencerConfig {
    /// L1 JSON-RPC URL.
    pub l1_rpc_url: String,
    /// The `Rollup` contract.
    pub rollup: Address,
    /// Its deployment block (deposits are read from there).
    pub l1_start_block: u64,
    /// Allow-listed sequencer key that signs `propose`.
    pub signer: PrivateKeySigner,
    /// L2 chain id (transfer signature domain).
    pub chain_id: u64,
    /// Account credited with fees.
    pub fee_account: AccountIndex,
    /// Genesis accounts; must match the rollup's genesis state root.
    pub genesis: Genesis,
    /// Transfers per block at most.
    pub max_txs_per_block: usize,
    /// Blocks per checkpoint.
    pub blocks_per_checkpoint: usize,
    /// Propose checkpoints with no transactions and no deposits (keeps every slot filled).
    pub propose_empty: bool,
    /// JSON-RPC listen address (port 0 picks one).
    pub rpc_listen: SocketAddr,
    /// Data directory (state database); must be fresh or hold only genesis.
    pub datadir: PathBuf,
    /// How often L1 is polled.
    pub poll_interval: Duration,
}

/// Why the sequencer could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum SequencerError {
    /// Configuration problem.
    #[error("sequencer config: {0}")]
    Config(String),
    /// L1 problem.
    #[error("L1: {0}")]
    L1(String),
    /// State database problem.
    #[error("state: {0}")]
    State(String),
    /// RPC server problem.
    #[error("rpc server: {0}")]
    Rpc(String),
}

/// A checkpoint this sequencer proposed and L1 accepted.
#[derive(Clone, Debug)]
struct Produced {
    slot: Slot,
    body: CheckpointBody,
    execution: CheckpointExecution,
    deposit_start: u64,
    l1_tx: B256,
}

/// The produced chain. The worker owns it and publishes a copy after every change
/// ([`Shared::publish`]); the RPC reads the last copy ([`Shared::chain`]).
#[derive(Clone, Debug)]
struct Chain {
    genesis: GenesisRoots,
    /// Index `i` holds checkpoint `i + 1` (shared with the published copies).
    checkpoints: Vec<Arc<Produced>>,
    included_txs: u64,
}

impl Chain {
    fn tip(&self) -> u64 {
        self.checkpoints.len() as u64
    }
    fn archive(&self) -> Digest {
        self.checkpoints
            .last()
            .map_or(self.genesis.archive, |c| c.execution.archive)
    }
    fn last_block(&self) -> BlockNumber {
        self.checkpoints
            .last()
            .and_then(|c| c.execution.blocks.last())
            .map_or(BlockNumber(0), |b| b.number)
    }
    fn deposit_cursor(&self) -> u64 {
        self.checkpoints
            .last()
            .map_or(0, |c| c.deposit_start + c.execution.deposit_count)
    }
}

struct Shared {
    chain_id: u64,
    store: RocksStateStore,
    mempool: Mutex<Mempool>,
    /// The worker's chain as last published. Its lock is held only to copy or swap the
    /// pointer (in [`Shared::chain`] and [`Shared::publish`]), so no other lock is ever taken
    /// under it and the lock order with the mempool cannot go wrong.
    chain: Mutex<Arc<Chain>>,
    /// Test control: propose nothing while set.
    hold: AtomicBool,
    /// Held by the worker for each tick (so a hold can wait for a proposal in flight).
    ticking: tokio::sync::Mutex<()>,
    /// Test control: post the next proposal with a state root its execution does not reach.
    corrupt_next: AtomicBool,
}

impl Shared {
    /// The last published chain.
    fn chain(&self) -> Arc<Chain> {
        self.chain.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Publishes the worker's chain.
    fn publish(&self, chain: &Chain) {
        let copy = Arc::new(chain.clone());
        *self.chain.lock().unwrap_or_else(|p| p.into_inner()) = copy;
    }
}

/// A running sequencer.
pub struct SequencerHandle {
    shared: Arc<Shared>,
    rpc_addr: SocketAddr,
    cancel: CancellationToken,
    loop_task: JoinHandle<()>,
    rpc: ServerHandle,
}

impl SequencerHandle {
    /// Where the JSON-RPC server listens.
    pub fn rpc_addr(&self) -> SocketAddr {
        self.rpc_addr
    }

    /// HTTP URL of the JSON-RPC server.
    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc_addr)
    }

    /// Test control: while `hold` is set, propose nothing (L1 reorgs then leave no
    /// replacement behind). Returns once no proposal is in flight.
    pub async fn hold_proposals(&self, hold: bool) {
        info!(hold, "test control: holding proposals");
        self.shared.hold.store(hold, Ordering::SeqCst);
        drop(self.shared.ticking.lock().await);
    }

    /// Test control: post the next checkpoint with a state root its execution does not reach,
    /// as a faulty (allow-listed) sequencer would. L1 accepts it (`propose` decodes and
    /// evaluates the calldata, but cannot check a state root); no prover can prove it.
    /// (Truncated calldata, the earlier fault, is now refused by `propose` itself.)
    pub fn corrupt_next_proposal(&self) {
        info!("test control: the next proposal's state root will be wrong");
        self.shared.corrupt_next.store(true, Ordering::SeqCst);
    }

    /// Stops the loop and the server and waits for both.
    pub async fn stop(self) {
        self.cancel.cancel();
        let _ = self.loop_task.await;
        let _ = self.rpc.stop();
        self.rpc.stopped().await;
    }
}

/// The sequencer.
pub struct Sequencer;

impl Sequencer {
    /// Opens the state, checks genesis against the rollup, starts the RPC server and the loop.
    pub async fn start(config: SequencerConfig) -> Result<SequencerHandle, SequencerError> {
        if config.blocks_per_checkpoint == 0 || config.max_txs_per_block == 0 {
            return Err(SequencerError::Config(
                "blocks per checkpoint and txs per block must be positive".into(),
            ));
        }
        let provider = ProviderBuilder::new()
            // Nonces from the node each time (`pending` count): the recommended fillers cache
            // them, and a proposal an L1 reorg dropped would leave a gap no later one passes.
            .disable_recommended_fillers()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(config.signer.clone()))
            .connect(&config.l1_rpc_url)
            .await
            .map_err(|e| SequencerError::L1(format!("connect {}: {e}", config.l1_rpc_url)))?
            .erased();
        let constants = read_rollup_constants(&provider, config.rollup, config.l1_start_block)
            .await
            .map_err(|e| SequencerError::L1(e.to_string()))?;
        let rollup = Rollup::new(config.rollup, &provider);
        let l1_genesis = rollup
            .checkpoint(0)
            .call()
            .await
            .map_err(|e| SequencerError::L1(e.to_string()))?;
        let l1_pending = rollup
            .pendingCheckpointNumber()
            .call()
            .await
            .map_err(|e| SequencerError::L1(e.to_string()))?;
        if l1_pending != 0 {
            return Err(SequencerError::Config(format!(
                "the rollup already has {l1_pending} checkpoints; the devnet sequencer only starts a fresh chain"
            )));
        }

        std::fs::create_dir_all(&config.datadir)
            .map_err(|e| SequencerError::State(e.to_string()))?;
        let store = RocksStateStore::open(config.datadir.join("state"))
            .map_err(|e| SequencerError::State(e.to_string()))?;
        let genesis = match store
            .latest_version()
            .map_err(|e| SequencerError::State(e.to_string()))?
        {
            None => config
                .genesis
                .commit(&store)
                .map_err(|e| SequencerError::State(e.to_string()))?,
            Some(_) => {
                store
                    .rollback_to(0)
                    .map_err(|e| SequencerError::State(e.to_string()))?;
                let root = StateOverlay::new(&store, Some(0))
                    .root()
                    .map_err(|e| SequencerError::State(e.to_string()))?;
                GenesisRoots {
                    state_root: root,
                    archive: vouch_rollup::checkpoint::genesis_archive(&root),
                }
            }
        };
        if genesis.state_root.to_b256() != l1_genesis.stateRoot
            || genesis.archive.to_b256() != l1_genesis.archive
        {
            return Err(SequencerError::Config(format!(
                "genesis mismatch: local state root {} / archive {}, rollup has {} / {}",
                genesis.state_root, genesis.archive, l1_genesis.stateRoot, l1_genesis.archive
            )));
        }

        let shared = Arc::new(Shared {
            chain_id: config.chain_id,
            store,
            mempool: Mutex::new(Mempool::default()),
            chain: Mutex::new(Arc::new(Chain {
                genesis,
                checkpoints: vec![],
                included_txs: 0,
            })),
            hold: AtomicBool::new(false),
            ticking: tokio::sync::Mutex::new(()),
            corrupt_next: AtomicBool::new(false),
        });
        let server = Server::builder()
            .build(config.rpc_listen)
            .await
            .map_err(|e| SequencerError::Rpc(format!("bind {}: {e}", config.rpc_listen)))?;
        let rpc_addr = server
            .local_addr()
            .map_err(|e| SequencerError::Rpc(e.to_string()))?;
        let rpc = server.start(
            RpcImpl {
                shared: shared.clone(),
            }
            .into_rpc(),
        );
        info!(%rpc_addr, rollup = %config.rollup, "sequencer started");

        let cancel = CancellationToken::new();
        let worker = Worker {
            config,
            constants,
            provider,
            chain: Chain::clone(&shared.chain()),
            shared: shared.clone(),
            deposits: DepositQueue::default(),
            last_slot: None,
        };
        let loop_task = tokio::spawn(worker.run(cancel.clone()));
        Ok(SequencerHandle {
            shared,
            rpc_addr,
            cancel,
            loop_task,
            rpc,
        })
    }
}

struct Worker {
    config: SequencerConfig,
    constants: L1RollupConstants,
    provider: DynProvider,
    /// The chain; only the worker changes it.
    chain: Chain,
    shared: Arc<Shared>,
    deposits: DepositQueue,
    last_slot: Option<Slot>,
}

impl Worker {
    async fn run(mut self, cancel: CancellationToken) {
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(self.config.poll_interval) => {}
            }
            let shared = self.shared.clone();
            let _ticking = shared.ticking.lock().await;
            if let Err(e) = self.tick().await {
                warn!(error = %e, "sequencer tick failed; retrying");
            }
        }
        info!("sequencer stopped");
    }

    async fn tick(&mut self) -> Result<(), SequencerError> {
        if self.shared.hold.load(Ordering::SeqCst) {
            return Ok(());
        }
        let (head_block, next_ts) = head(&self.provider)
            .await
            .map_err(|e| SequencerError::L1(e.to_string()))?;
        let Some(slot) = self.constants.slot_at_timestamp(next_ts) else {
            return Ok(());
        };
        if self.last_slot.is_some_and(|last| slot <= last) {
            return Ok(());
        }
        let slot_end = self
            .constants
            .slot_start_timestamp(Slot(slot.get() + 1))
            .unwrap_or(u64::MAX);
        if slot_end <= next_ts {
            return Ok(()); // no block of this slot left to land in
        }
        self.last_slot = Some(slot);
        self.deposits
            .sync(
                &self.provider,
                self.config.rollup,
                self.config.l1_start_block,
                head_block,
            )
            .await
            .map_err(|e| SequencerError::L1(e.to_string()))?;
        self.reconcile(slot).await?;
        let span = info_span!(
            "checkpoint",
            slot = slot.get(),
            epoch = self.constants.epoch_at_slot(slot).get()
        );
        self.build_and_propose(slot).instrument(span).await
    }

    /// Rolls local state back to what L1 will accept in `slot`: L1's pending tip, or the proven
    /// tip when the contract will prune before our proposal.
    async fn reconcile(&mut self, slot: Slot) -> Result<(), SequencerError> {
        let rollup = Rollup::new(self.config.rollup, &self.provider);
        let pending = rollup
            .pendingCheckpointNumber()
            .call()
            .await
            .map_err(|e| SequencerError::L1(e.to_string()))?;
        let proven = rollup
            .provenCheckpointNumber()
            .call()
            .await
            .map_err(|e| SequencerError::L1(e.to_string()))?;
        let local_tip = self.chain.tip();
        if pending > local_tip {
            return Err(SequencerError::L1(format!(
                "L1 has {pending} checkpoints but this sequencer produced {local_tip}: another sequencer is active"
            )));
        }
        let mut base = pending;
        if pending > proven {
            let oldest_unproven_slot = self.chain.checkpoints[proven as usize].slot;
            let epoch = self.constants.epoch_at_slot(oldest_unproven_slot);
            if self.constants.is_epoch_expired(epoch, slot) {
                info!(%epoch, proven, pending, "epoch's proof window closed: the rollup prunes to the proven tip");
                base = proven;
            }
        }
        if base < local_tip {
            self.rollback(base)?;
        }
        Ok(())
    }

    fn rollback(&mut self, base: u64) -> Result<(), SequencerError> {
        // The tip and the requeued transactions change together, under the mempool lock.
        let mut mempool = self.shared.mempool.lock().expect("mempool lock");
        let dropped = self.chain.checkpoints.split_off(base as usize);
        self.shared.publish(&self.chain);
        self.shared
            .store
            .rollback_to(base)
            .map_err(|e| SequencerError::State(e.to_string()))?;
        let txs: Vec<SignedTransfer> = dropped
            .iter()
            .flat_map(|p| p.body.blocks.iter().flat_map(|b| b.txs.iter().copied()))
            .collect();
        warn!(
            to = base,
            dropped = dropped.len(),
            requeued_txs = txs.len(),
            "rolled back to L1's tip; re-proposing from there"
        );
        mempool.requeue_included(txs);
        Ok(())
    }

    /// Picks deposits and transfers for the next checkpoint against a scratch state.
    fn assemble(
        &self,
        base: u64,
        deposit_start: u64,
    ) -> Result<(CheckpointBody, Vec<Deposit>), SequencerError> {
        let state_err = |e: vouch_rollup::state::StateError| SequencerError::State(e.to_string());
        let mut scratch = StateOverlay::new(&self.shared.store, Some(base));
        let deposits: Vec<Deposit> = self
            .deposits
            .from_index(deposit_start)
            .iter()
            .take(u16::MAX as usize)
            .map(|d| Deposit {
                queue_index: d.index,
                recipient: d.recipient,
                amount: d.amount,
            })
            .collect();
        let mut applied_deposits = Vec::with_capacity(deposits.len());
        for d in &deposits {
            match apply_deposit(&mut scratch, d) {
                Ok(_) => applied_deposits.push(*d),
                Err(StfError::State(e)) => return Err(state_err(e)),
                Err(e) => {
                    // An overflowing deposit blocks the queue; it must still be consumed in
                    // order, so stop here and leave it for an operator to look at.
                    warn!(queue_index = d.queue_index, error = %e, "deposit cannot be applied; holding the queue");
                    break;
                }
            }
        }
        let mut blocks = Vec::with_capacity(self.config.blocks_per_checkpoint);
        let mut mempool = self.shared.mempool.lock().expect("mempool lock");
        for i in 0..self.config.blocks_per_checkpoint {
            let mut txs = Vec::new();
            while txs.len() < self.config.max_txs_per_block {
                let Some(tx) = mempool.take_one() else { break };
                match apply_transfer(&mut scratch, &tx, self.shared.chain_id) {
                    Ok(_) => txs.push(tx),
                    Err(StfError::State(e)) => return Err(state_err(e)),
                    Err(e) => {
                        debug!(tx = %tx.hash(), error = %e, "dropping invalid transaction");
                        mempool.finish(
                            &tx,
                            TxStatus::Dropped {
                                reason: e.to_string(),
                            },
                        );
                    }
                }
            }
            let deposit_count = if i == 0 {
                applied_deposits.len() as u16
            } else {
                0
            };
            blocks.push(BlockBody { deposit_count, txs });
        }
        Ok((
            CheckpointBody {
                fee_account: self.config.fee_account,
                blocks,
            },
            applied_deposits,
        ))
    }

    async fn build_and_propose(&mut self, slot: Slot) -> Result<(), SequencerError> {
        let (base, previous_archive, previous_block, deposit_start) = (
            self.chain.tip(),
            self.chain.archive(),
            self.chain.last_block(),
            self.chain.deposit_cursor(),
        );
        let (body, deposits) = self.assemble(base, deposit_start)?;
        if !self.config.propose_empty && body.tx_count() == 0 && deposits.is_empty() {
            return Ok(());
        }
        let timestamp = self
            .constants
            .slot_start_timestamp(slot)
            .unwrap_or(u64::MAX);
        let ctx = CheckpointContext {
            number: CheckpointNumber(base + 1),
            slot,
            timestamp,
            previous_archive,
            previous_block,
            deposit_start,
            chain_id: self.shared.chain_id,
        };
        let mut overlay = StateOverlay::new(&self.shared.store, Some(base));
        let execution = match execute_checkpoint(&mut overlay, &ctx, &body, &deposits) {
            Ok(e) => e,
            Err(e) => {
                // Cannot happen for a body assembled above; never propose an unprovable one.
                warn!(error = %e, "assembled checkpoint does not execute; discarding it");
                self.return_txs(&body);
                return Ok(());
            }
        };
        let mut header = checkpoint_header(&ctx, &body, &execution);
        if self.shared.corrupt_next.swap(false, Ordering::SeqCst) {
            let root = execution.state_root;
            header.stateRoot = vouch_rollup::hash::compress(&root, &root).to_b256();
            warn!(
                checkpoint = ctx.number.get(),
                "test control: posting a state root the checkpoint does not reach"
            );
        }
        let calldata = Bytes::from(body.encode());
        let timeout = Duration::from_secs(self.constants.slot_duration.max(2) * 3);
        match propose(
            &self.provider,
            self.config.rollup,
            header,
            calldata,
            timeout,
        )
        .await
        {
            ProposeOutcome::Accepted { tx, block } => {
                overlay
                    .commit(ctx.number.get())
                    .map_err(|e| SequencerError::State(e.to_string()))?;
                let txs = body.tx_count();
                info!(
                    checkpoint = ctx.number.get(),
                    txs,
                    deposits = execution.deposit_count,
                    l1_block = block,
                    state_root = %execution.state_root,
                    "proposed checkpoint"
                );
                // The included transactions and the new tip change together, under the
                // mempool lock (the order everywhere: mempool, then chain).
                let mut mempool = self.shared.mempool.lock().expect("mempool lock");
                for (block, header) in body.blocks.iter().zip(&execution.blocks) {
                    for t in &block.txs {
                        mempool.finish(
                            t,
                            TxStatus::Included {
                                checkpoint: ctx.number.get(),
                                block: header.number.get(),
                            },
                        );
                    }
                }
                self.chain.included_txs += txs as u64;
                self.chain.checkpoints.push(Arc::new(Produced {
                    slot,
                    body,
                    execution: strip(execution),
                    deposit_start,
                    l1_tx: tx,
                }));
                self.shared.publish(&self.chain);
            }
            ProposeOutcome::Rejected(reason) => {
                warn!(checkpoint = ctx.number.get(), %reason, "proposal rejected; transactions go back to the mempool");
                self.return_txs(&body);
            }
        }
        Ok(())
    }

    fn return_txs(&self, body: &CheckpointBody) {
        let txs: Vec<SignedTransfer> = body
            .blocks
            .iter()
            .flat_map(|b| b.txs.iter().copied())
            .collect();
        self.shared
            .mempool
            .lock()
            .expect("mempool lock")
            .return_front(txs);
    }
}

/// Witnesses are for provers; the sequencer keeps only headers.
fn strip(mut execution: CheckpointExecution) -> CheckpointExecution {
    execution.witnesses = Vec::new();
    execution
}

struct RpcImpl {
    shared: Arc<Shared>,
}

fn invalid_params(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        jsonrpsee::types::error::INVALID_PARAMS_CODE,
        msg.into(),
        None::<()>,
    )
}

fn internal(msg: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        jsonrpsee::types::error::INTERNAL_ERROR_CODE,
        msg.into(),
        None::<()>,
    )
}

impl RpcImpl {
    fn tip(&self) -> u64 {
        self.shared.chain().tip()
    }
}

#[jsonrpsee::core::async_trait]
impl SequencerApiServer for RpcImpl {
    async fn send_transaction(&self, raw: Bytes) -> RpcResult<B256> {
        let tx = SignedTransfer::from_bytes(&raw)
            .map_err(|e| invalid_params(format!("undecodable transaction: {e}")))?;
        let hash = tx.hash();
        // Mempool, then chain (the worker changes both under the mempool lock): the tip and
        // the pending nonces read here belong together.
        let mut mempool = self.shared.mempool.lock().expect("mempool lock");
        let tip = self.tip();
        if mempool.knows(&hash) {
            return Err(invalid_params(format!("transaction {hash} already known")));
        }
        if mempool.len() >= MAX_PENDING {
            return Err(internal("mempool full; retry later"));
        }
        let state = StateOverlay::new(&self.shared.store, Some(tip));
        let sender = state
            .account(tx.transfer.from)
            .map_err(|e| internal(e.to_string()))?;
        let pending = mempool.pending_of(tx.transfer.from);
        let expected_nonce = sender.nonce.saturating_add(pending);
        if tx.transfer.nonce != expected_nonce {
            return Err(invalid_params(format!(
                "wrong nonce {}: next nonce of {} is {expected_nonce} ({} committed + {pending} pending)",
                tx.transfer.nonce, tx.transfer.from, sender.nonce
            )));
        }
        // With nothing pending the full rule set applies now; behind pending transactions only
        // the signature can be checked (balances are re-checked when the block is built).
        if pending == 0 {
            check_transfer(&state, &tx, self.shared.chain_id)
                .map_err(|e| invalid_params(strip_position(e)))?;
        } else if tx.recover_signer(self.shared.chain_id) != Some(sender.owner) {
            return Err(invalid_params(
                "signature does not match the sender account's owner",
            ));
        }
        mempool.push(tx);
        Ok(hash)
    }

    async fn get_transaction_receipt(&self, hash: B256) -> RpcResult<Option<TxStatus>> {
        Ok(self
            .shared
            .mempool
            .lock()
            .expect("mempool lock")
            .status(&hash))
    }

    async fn get_account(&self, who: String) -> RpcResult<Option<AccountInfo>> {
        let state = StateOverlay::new(&self.shared.store, Some(self.tip()));
        let index = if who.starts_with("0x") {
            let owner: Address = who
                .parse()
                .map_err(|_| invalid_params(format!("`{who}` is not an address")))?;
            match state
                .index_of(&owner)
                .map_err(|e| internal(e.to_string()))?
            {
                Some(i) => i,
                None => return Ok(None),
            }
        } else {
            AccountIndex(who.parse().map_err(|_| {
                invalid_params(format!(
                    "`{who}` is neither an account index nor a 0x address"
                ))
            })?)
        };
        let account = state.account(index).map_err(|e| internal(e.to_string()))?;
        if account.is_empty() {
            return Ok(None);
        }
        let pending = self
            .shared
            .mempool
            .lock()
            .expect("mempool lock")
            .pending_of(index);
        Ok(Some(AccountInfo {
            index,
            owner: account.owner,
            balance: account.balance,
            nonce: account.nonce,
            pending,
        }))
    }

    async fn get_block(&self, number: u64) -> RpcResult<Option<L2BlockHeader>> {
        let chain = self.shared.chain();
        Ok(chain
            .checkpoints
            .iter()
            .flat_map(|c| c.execution.blocks.iter())
            .find(|b| b.number.get() == number)
            .cloned())
    }

    async fn get_checkpoint(&self, number: u64) -> RpcResult<Option<CheckpointInfo>> {
        let chain = self.shared.chain();
        let Some(c) = number
            .checked_sub(1)
            .and_then(|i| chain.checkpoints.get(i as usize))
        else {
            return Ok(None);
        };
        Ok(Some(CheckpointInfo {
            number,
            slot: c.slot.get(),
            state_root: c.execution.state_root,
            archive: c.execution.archive,
            tx_commitment: c.execution.tx_commitment,
            l1_tx: c.l1_tx,
            blocks: c.execution.blocks.clone(),
        }))
    }

    async fn status(&self) -> RpcResult<SequencerStatus> {
        let chain = self.shared.chain();
        Ok(SequencerStatus {
            chain_id: self.shared.chain_id,
            checkpoint: chain.tip(),
            block: chain.last_block().get(),
            mempool: self.shared.mempool.lock().expect("mempool lock").len(),
            included_txs: chain.included_txs,
        })
    }
}

fn strip_position(e: StfError) -> String {
    match e {
        StfError::InvalidTransaction { error, .. } => error.to_string(),
        other => other.to_string(),
    }
}
