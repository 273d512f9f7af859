//! The L1 follower: heads, reorgs, batched catch-up, fallback RPCs.

use crate::archive::{Archive, ArchiveError, L1BlockEvents, RollupEvent};
use crate::kv::Kv;
use crate::model::{ArchivedCheckpoint, ArchivedDeposit, ArchivedProof};
use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256};
use alloy::providers::WsConnect;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, info, info_span, warn};
use vouch_l1_contracts::bindings::Rollup::{
    ChainPruned, CheckpointProposed, DepositQueued, EpochProven,
};
use vouch_l1_contracts::reader::{ReadError, proposal_from_log};
use vouch_primitives::{CheckpointNumber, EpochNumber};

/// Follower settings.
#[derive(Clone, Debug)]
pub struct FollowerConfig {
    /// L1 JSON-RPC URLs: the first is primary, the rest are tried in order when it fails.
    pub rpc_urls: Vec<String>,
    /// The `Rollup` contract.
    pub rollup: Address,
    /// Its deployment block.
    pub start_block: u64,
    /// Most L1 blocks per `eth_getLogs` batch.
    pub batch_blocks: u64,
    /// Optional WebSocket URL: new-head notifications wake the follower at once; polling
    /// stays on as the fallback.
    pub ws_url: Option<String>,
    /// Poll interval for new heads.
    pub poll_interval: Duration,
    /// How many recent stored block hashes are re-checked every sync (and at restart).
    pub recheck_depth: usize,
    /// First retry delay after an RPC failure (doubles up to 30 s).
    pub backoff: Duration,
}

impl FollowerConfig {
    /// Defaults for `rpc_url` and `rollup` deployed at `start_block`.
    pub fn new(rpc_url: impl Into<String>, rollup: Address, start_block: u64) -> Self {
        Self {
            rpc_urls: vec![rpc_url.into()],
            rollup,
            start_block,
            batch_blocks: 2_000,
            ws_url: None,
            poll_interval: Duration::from_millis(500),
            recheck_depth: 8,
            backoff: Duration::from_millis(200),
        }
    }
}

/// Follower failure (one sync attempt).
#[derive(Debug, thiserror::Error)]
pub enum FollowerError {
    /// RPC.
    #[error("L1 rpc {url}: {message}")]
    Rpc {
        /// Endpoint.
        url: String,
        /// What failed.
        message: String,
    },
    /// Archive.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A rollup log or transaction that does not decode.
    #[error("undecodable rollup data in L1 block {block}: {message}")]
    Decode {
        /// L1 block.
        block: u64,
        /// What.
        message: String,
    },
}

/// What one sync did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// L1 blocks unwound by a reorg.
    pub unwound_blocks: usize,
    /// L1 head reached.
    pub head: u64,
    /// Checkpoint proposals ingested.
    pub proposals: usize,
}

/// Follows L1 into an [`Archive`].
pub struct L1Follower<K: Kv> {
    config: FollowerConfig,
    providers: Vec<(String, DynProvider)>,
    current: usize,
    archive: Archive<K>,
    checked_at_start: bool,
    head: Arc<std::sync::atomic::AtomicU64>,
}

impl<K: Kv> L1Follower<K> {
    /// A follower; connects lazily (HTTP), so an unreachable RPC is not an error here.
    pub fn new(config: FollowerConfig, archive: Archive<K>) -> Result<Self, FollowerError> {
        let mut providers = Vec::new();
        for url in &config.rpc_urls {
            let parsed = url.parse().map_err(|e| FollowerError::Rpc {
                url: url.clone(),
                message: format!("bad URL: {e}"),
            })?;
            providers.push((
                url.clone(),
                ProviderBuilder::new().connect_http(parsed).erased(),
            ));
        }
        if providers.is_empty() {
            return Err(FollowerError::Rpc {
                url: String::new(),
                message: "no L1 RPC URL configured".into(),
            });
        }
        Ok(Self {
            config,
            providers,
            current: 0,
            archive,
            checked_at_start: false,
            head: Arc::default(),
        })
    }

    /// The L1 head seen by the last successful sync (0 before the first), shared with status
    /// readers.
    pub fn head(&self) -> Arc<std::sync::atomic::AtomicU64> {
        self.head.clone()
    }

    /// Sets (or clears) the WebSocket URL used for new-head wake-ups by [`Self::run`].
    pub fn set_ws_url(&mut self, url: Option<String>) {
        self.config.ws_url = url;
    }

    fn provider(&self) -> &DynProvider {
        &self.providers[self.current].1
    }

    fn rpc_err(&self, e: impl std::fmt::Display) -> FollowerError {
        FollowerError::Rpc {
            url: self.providers[self.current].0.clone(),
            message: e.to_string(),
        }
    }

    async fn block_hash(&self, n: u64) -> Result<Option<(B256, u64)>, FollowerError> {
        let block = self
            .provider()
            .get_block_by_number(n.into())
            .await
            .map_err(|e| self.rpc_err(e))?;
        Ok(block.map(|b| (b.header.hash, b.header.timestamp)))
    }

    /// Re-checks the newest stored block hashes against the chain (more of them on the first
    /// sync after a start); on a mismatch walks further back to the newest stored block that
    /// is still canonical — the common ancestor — and unwinds everything above it.
    async fn check_reorg(&mut self) -> Result<usize, FollowerError> {
        let depth = if self.checked_at_start {
            self.config.recheck_depth
        } else {
            self.config.recheck_depth.max(64)
        };
        let window = self.archive.recent_block_hashes(depth)?;
        let mut oldest_mismatch = None;
        for (i, (n, hash)) in window.iter().enumerate() {
            if self.block_hash(*n).await?.map(|(h, _)| h) != Some(*hash) {
                oldest_mismatch = Some(i);
            }
        }
        self.checked_at_start = true;
        let Some(mismatch) = oldest_mismatch else {
            return Ok(0);
        };
        let older = if mismatch + 1 < window.len() {
            window[mismatch + 1..].to_vec()
        } else {
            self.archive
                .recent_block_hashes(usize::MAX)?
                .split_off(window.len())
        };
        let mut ancestor = self.config.start_block.saturating_sub(1);
        for (n, hash) in older {
            if self.block_hash(n).await?.map(|(h, _)| h) == Some(hash) {
                ancestor = n;
                break;
            }
        }
        let unwound = self.archive.unwind_to(ancestor)?;
        warn!(
            divergence = ancestor + 1,
            unwound_blocks = unwound,
            "L1 reorg: unwound the archive to the common ancestor"
        );
        Ok(unwound)
    }

    /// One sync: reorg check, then ingest up to the current head in batches.
    pub async fn sync_once(&mut self) -> Result<SyncReport, FollowerError> {
        let mut report = SyncReport {
            unwound_blocks: self.check_reorg().await?,
            ..Default::default()
        };
        let head = self
            .provider()
            .get_block_number()
            .await
            .map_err(|e| self.rpc_err(e))?;
        let finalized = self
            .provider()
            .get_block_by_number(BlockNumberOrTag::Finalized)
            .await
            .ok()
            .flatten()
            .map(|b| b.header.number);
        report.head = head;
        let mut from = self
            .archive
            .synced_block()?
            .map_or(self.config.start_block, |s| s + 1);
        while from <= head {
            let to = head.min(from + self.config.batch_blocks - 1);
            let span = info_span!("l1_batch", from, to);
            report.proposals += self.ingest(from, to, finalized).instrument(span).await?;
            from = to + 1;
        }
        Ok(report)
    }

    async fn ingest(
        &self,
        from: u64,
        to: u64,
        finalized: Option<u64>,
    ) -> Result<usize, FollowerError> {
        let filter = Filter::new()
            .address(self.config.rollup)
            .from_block(from)
            .to_block(to);
        let logs = self
            .provider()
            .get_logs(&filter)
            .await
            .map_err(|e| self.rpc_err(e))?;
        let Some((tip_hash, tip_ts)) = self.block_hash(to).await? else {
            return Err(self.rpc_err(format!("block {to} not found")));
        };
        let mut blocks: BTreeMap<u64, L1BlockEvents> = BTreeMap::new();
        let mut proposals = 0;
        for log in logs {
            let (Some(number), Some(hash)) = (log.block_number, log.block_hash) else {
                continue; // pending logs are not part of the chain yet
            };
            let event = self.decode(&log, number).await?;
            if matches!(event, Some(RollupEvent::Proposed(_))) {
                proposals += 1;
            }
            let entry = blocks.entry(number).or_insert_with(|| L1BlockEvents {
                number,
                hash,
                events: vec![],
            });
            entry.events.extend(event);
        }
        // The logs and the tip hash come from two calls; a reorg in between would mix forks.
        // Check the newest event block is still canonical (its ancestors then are too).
        if let Some(newest) = blocks.values().next_back() {
            let canonical = if newest.number == to {
                Some(tip_hash)
            } else {
                self.block_hash(newest.number).await?.map(|(h, _)| h)
            };
            if canonical != Some(newest.hash) {
                return Err(self.rpc_err(format!(
                    "L1 block {} changed while reading logs; retrying",
                    newest.number
                )));
            }
        }
        let blocks: Vec<L1BlockEvents> = blocks.into_values().collect();
        self.archive
            .apply(&blocks, (to, tip_hash, tip_ts), finalized)?;
        debug!(from, to, proposals, "ingested L1 range");
        Ok(proposals)
    }

    async fn decode(&self, log: &Log, block: u64) -> Result<Option<RollupEvent>, FollowerError> {
        let decode_err = |message: String| FollowerError::Decode { block, message };
        let Some(topic0) = log.topic0() else {
            return Ok(None);
        };
        let event = match *topic0 {
            CheckpointProposed::SIGNATURE_HASH => {
                let p = proposal_from_log(self.provider(), log)
                    .await
                    .map_err(|e| match e {
                        ReadError::Rpc(e) => self.rpc_err(e),
                        other => decode_err(other.to_string()),
                    })?;
                RollupEvent::Proposed(Box::new(ArchivedCheckpoint::from_l1(
                    &p.header,
                    p.tx_data,
                    block,
                    log.block_hash.unwrap_or_default(),
                    p.l1_tx,
                )))
            }
            ChainPruned::SIGNATURE_HASH => {
                let e =
                    ChainPruned::decode_log(&log.inner).map_err(|e| decode_err(e.to_string()))?;
                RollupEvent::Pruned {
                    proven: CheckpointNumber(e.provenCheckpoint),
                }
            }
            EpochProven::SIGNATURE_HASH => {
                let e =
                    EpochProven::decode_log(&log.inner).map_err(|e| decode_err(e.to_string()))?;
                RollupEvent::Proven(ArchivedProof {
                    epoch: EpochNumber(e.epoch),
                    from: CheckpointNumber(e.fromCheckpoint),
                    to: CheckpointNumber(e.toCheckpoint),
                    prover: e.prover,
                    l1_block: block,
                })
            }
            DepositQueued::SIGNATURE_HASH => {
                let e =
                    DepositQueued::decode_log(&log.inner).map_err(|e| decode_err(e.to_string()))?;
                RollupEvent::Deposit(ArchivedDeposit {
                    index: e.index,
                    recipient: e.l2Recipient,
                    amount: e.amount,
                    l1_block: block,
                })
            }
            _ => return Ok(None),
        };
        Ok(Some(event))
    }

    /// Syncs until cancelled: after each success waits for the poll interval; after a failure
    /// backs off (doubling, capped at 30 s) and rotates to the next RPC URL.
    pub async fn run(mut self, cancel: CancellationToken) {
        let heads = Arc::new(Notify::new());
        if let Some(url) = self.config.ws_url.clone() {
            tokio::spawn(watch_heads(url, heads.clone(), cancel.clone()));
        }
        let mut backoff = self.config.backoff;
        loop {
            let wait = match self.sync_once().await {
                Ok(report) => {
                    self.head
                        .store(report.head, std::sync::atomic::Ordering::Relaxed);
                    metrics::gauge!("vouch_l1_head_block").set(report.head as f64);
                    if report.unwound_blocks > 0 {
                        metrics::counter!("vouch_l1_reorgs_total").increment(1);
                        metrics::counter!("vouch_l1_reorged_blocks_total")
                            .increment(report.unwound_blocks as u64);
                    }
                    if report.proposals > 0 || report.unwound_blocks > 0 {
                        info!(
                            head = report.head,
                            proposals = report.proposals,
                            unwound = report.unwound_blocks,
                            "L1 synced"
                        );
                    }
                    backoff = self.config.backoff;
                    self.config.poll_interval
                }
                Err(e) => {
                    metrics::counter!("vouch_l1_sync_errors_total").increment(1);
                    warn!(error = %e, retry_in = ?backoff, "L1 sync failed");
                    self.current = (self.current + 1) % self.providers.len();
                    let wait = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    wait
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
                _ = heads.notified() => {}
            }
        }
    }
}

/// Subscribes to new heads over WebSocket and pings `heads` for each; reconnects with a delay
/// when the socket drops. Polling keeps the follower going meanwhile.
async fn watch_heads(url: String, heads: Arc<Notify>, cancel: CancellationToken) {
    while !cancel.is_cancelled() {
        let subscribed = async {
            let provider = ProviderBuilder::new()
                .connect_ws(WsConnect::new(url.clone()))
                .await?;
            let mut sub = provider.subscribe_blocks().await?;
            debug!(%url, "subscribed to new L1 heads");
            while sub.recv().await.is_ok() {
                heads.notify_one();
            }
            Ok::<_, alloy::transports::TransportError>(())
        };
        tokio::select! {
            _ = cancel.cancelled() => return,
            result = subscribed => {
                if let Err(e) = result {
                    debug!(%url, error = %e, "new-head subscription failed; polling meanwhile");
                }
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}
