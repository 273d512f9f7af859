//! [`EvmSettlement`]: the EVM backend (alloy).

use crate::journal::{Journal, JournalEntry, SignedVersion};
use crate::rpc::Fallback;
use crate::{Included, Settlement, SettlementError, TxIntent};
use alloy::eips::BlockNumberOrTag;
use alloy::network::eip2718::Encodable2718;
use alloy::network::{Ethereum, EthereumWallet, NetworkTransactionBuilder, TransactionBuilder};
use alloy::primitives::{Address, Bytes};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, info, warn};
use vouch_storage::Kv;

/// Turns revert data into the contract's custom error (e.g. `ProofWindowClosed(3, 12, 12)`).
pub type RevertDecoder = Arc<dyn Fn(&[u8]) -> Option<String> + Send + Sync>;

/// Settlement settings.
#[derive(Clone, Debug)]
pub struct SettlementConfig {
    /// L1 JSON-RPC URLs, primary first.
    pub rpc_urls: Vec<String>,
    /// L1 chain id (signed into every transaction).
    pub chain_id: u64,
    /// Blocks on top of the including one (1: included is enough).
    pub confirmations: u64,
    /// A transaction not included for this long is replaced with higher fees.
    pub bump_after: Duration,
    /// The most either fee may reach (wei per gas).
    pub max_fee_cap: u128,
    /// Receipt poll period.
    pub poll: Duration,
}

impl SettlementConfig {
    /// Defaults for `rpc_urls` on chain `chain_id`: 1 confirmation, bump after 12 s, fees
    /// capped at 500 gwei, polling every 500 ms.
    pub fn new(rpc_urls: Vec<String>, chain_id: u64) -> Self {
        Self {
            rpc_urls,
            chain_id,
            confirmations: 1,
            bump_after: Duration::from_secs(12),
            max_fee_cap: 500_000_000_000,
            poll: Duration::from_millis(500),
        }
    }
}

/// Lands intents from one account with an owned, journalled nonce stream.
pub struct EvmSettlement<K: Kv> {
    config: SettlementConfig,
    rpc: Fallback,
    wallet: EthereumWallet,
    sender: Address,
    journal: Journal<K>,
    allocation: tokio::sync::Mutex<()>,
    decode_revert: RevertDecoder,
}

/// At least 12.5 % more (rounded up): what nodes require of a replacement.
fn bumped(value: u128) -> u128 {
    value.saturating_mul(9).div_ceil(8).max(value + 1)
}

impl<K: Kv> EvmSettlement<K> {
    /// Settlement from `signer`'s account, journalled in `kv` (opened with
    /// [`crate::journal::TABLES`]).
    pub fn new(
        config: SettlementConfig,
        signer: PrivateKeySigner,
        kv: Arc<K>,
        decode_revert: RevertDecoder,
    ) -> Result<Self, SettlementError> {
        Ok(Self {
            rpc: Fallback::new(&config.rpc_urls)?,
            sender: signer.address(),
            wallet: EthereumWallet::from(signer),
            journal: Journal::new(kv),
            allocation: tokio::sync::Mutex::new(()),
            decode_revert,
            config,
        })
    }

    /// The journal (for operators and tests).
    pub fn journal(&self) -> &Journal<K> {
        &self.journal
    }

    async fn sign(
        &self,
        intent: &TxIntent,
        nonce: u64,
        max_fee: u128,
        tip: u128,
    ) -> Result<SignedVersion, SettlementError> {
        let request = TransactionRequest::default()
            .with_from(self.sender)
            .with_to(intent.to)
            .with_input(intent.input.clone())
            .with_nonce(nonce)
            .with_chain_id(self.config.chain_id)
            .with_gas_limit(intent.gas_limit)
            .with_max_fee_per_gas(max_fee)
            .with_max_priority_fee_per_gas(tip);
        let envelope = <TransactionRequest as NetworkTransactionBuilder<Ethereum>>::build(
            request,
            &self.wallet,
        )
        .await
        .map_err(|e| SettlementError::Sign(e.to_string()))?;
        Ok(SignedVersion {
            hash: *envelope.tx_hash(),
            raw: Bytes::from(envelope.encoded_2718()),
            max_fee,
            tip,
        })
    }

    /// Current fee suggestion `(max fee, tip)`, within the cap.
    async fn fees(&self) -> Result<(u128, u128), SettlementError> {
        let estimate = self
            .rpc
            .call("fee estimate", |p| async move {
                p.estimate_eip1559_fees().await
            })
            .await?;
        let cap = self.config.max_fee_cap;
        let tip = estimate.max_priority_fee_per_gas.max(1).min(cap);
        Ok((estimate.max_fee_per_gas.max(tip).min(cap), tip))
    }

    async fn broadcast(&self, version: &SignedVersion) {
        let raw = version.raw.clone();
        let sent = self
            .rpc
            .call("send", |p| {
                let raw = raw.clone();
                async move {
                    match p.send_raw_transaction(&raw).await {
                        Ok(_) => Ok(()),
                        // The pool has it, or it is mined: not a failure of this URL.
                        Err(e) if is_known(&e.to_string()) => Ok(()),
                        Err(e) => Err(e),
                    }
                }
            })
            .await;
        match sent {
            Ok(()) => debug!(tx = %version.hash, "broadcast"),
            Err(e) => warn!(tx = %version.hash, error = %e, "broadcast failed; retried next round"),
        }
    }

    /// Re-broadcasts every journalled transaction with a nonce between the account's mined
    /// nonce and `below` (the version that was included, else the newest): after an L1 reorg
    /// drops one, the transactions above it wait on the gap until it is filled.
    async fn fill_nonce_gap(&self, below: u64) -> Result<(), SettlementError> {
        let sender = self.sender;
        let mined = self
            .rpc
            .call("nonce", |p| async move {
                p.get_transaction_count(sender).latest().await
            })
            .await?;
        for nonce in mined..below {
            let Some(earlier) = self.journal.entry(nonce)? else {
                continue;
            };
            let included = earlier
                .included
                .and_then(|(_, hash)| earlier.versions.iter().find(|v| v.hash == hash));
            if let Some(version) = included.or(earlier.versions.last()) {
                info!(key = %earlier.key, nonce, tx = %version.hash, "re-sending a transaction an L1 reorg dropped");
                self.broadcast(version).await;
            }
        }
        Ok(())
    }

    /// Signs (or finds in the journal) the intent's transaction and broadcasts its newest
    /// version. The journal entry is durable before anything is broadcast.
    pub async fn sign_and_broadcast(
        &self,
        intent: &TxIntent,
    ) -> Result<JournalEntry, SettlementError> {
        if let Some(entry) = self.journal.entry_of(&intent.key)? {
            info!(key = %intent.key, nonce = entry.nonce, versions = entry.versions.len(), "resuming a journalled transaction");
            if let Some(v) = entry.versions.last() {
                self.broadcast(v).await;
            }
            return Ok(entry);
        }
        let _allocating = self.allocation.lock().await;
        let sender = self.sender;
        let chain_nonce = self
            .rpc
            .call("nonce", |p| async move {
                p.get_transaction_count(sender).latest().await
            })
            .await?;
        let nonce = self.journal.next_nonce(chain_nonce)?;
        let (max_fee, tip) = self.fees().await?;
        let version = self.sign(intent, nonce, max_fee, tip).await?;
        let entry = JournalEntry {
            key: intent.key.clone(),
            nonce,
            versions: vec![version],
            included: None,
        };
        self.journal.record_new(&entry)?;
        info!(key = %intent.key, nonce, tx = %entry.versions[0].hash, max_fee, tip, "transaction signed and journalled");
        self.broadcast(&entry.versions[0]).await;
        Ok(entry)
    }

    /// A replacement with both fees raised ≥ 12.5 %, or `None` when the cap forbids it.
    async fn replacement(
        &self,
        intent: &TxIntent,
        entry: &JournalEntry,
    ) -> Result<Option<SignedVersion>, SettlementError> {
        let last = entry.versions.last().expect("an entry has a version");
        let (suggested_max, suggested_tip) = self.fees().await?;
        let tip = bumped(last.tip).max(suggested_tip);
        let max_fee = bumped(last.max_fee).max(suggested_max).max(tip);
        if max_fee > self.config.max_fee_cap {
            warn!(key = %intent.key, max_fee, cap = self.config.max_fee_cap, "replacement would exceed the fee cap; waiting");
            return Ok(None);
        }
        Ok(Some(self.sign(intent, entry.nonce, max_fee, tip).await?))
    }

    async fn head(&self) -> Result<(u64, u64), SettlementError> {
        let block = self
            .rpc
            .call("head", |p| async move {
                p.get_block_by_number(BlockNumberOrTag::Latest).await
            })
            .await?
            .ok_or_else(|| SettlementError::Rpc("no latest block".into()))?;
        Ok((block.header.number, block.header.timestamp))
    }

    async fn revert_reason(&self, intent: &TxIntent, block: u64) -> String {
        let request = TransactionRequest::default()
            .with_from(self.sender)
            .with_to(intent.to)
            .with_input(intent.input.clone())
            .with_gas_limit(intent.gas_limit);
        let replay = self
            .rpc
            .call("replay", |p| {
                let request = request.clone();
                async move {
                    Ok::<_, String>(
                        p.call(request)
                            .block(block.saturating_sub(1).into())
                            .await
                            .err()
                            .and_then(|e| e.as_error_resp().and_then(|r| r.as_revert_data())),
                    )
                }
            })
            .await;
        match replay {
            Ok(Some(data)) => {
                (self.decode_revert)(&data).unwrap_or_else(|| format!("revert data {data}"))
            }
            _ => "reverted (no revert data)".into(),
        }
    }

    async fn drive(&self, intent: &TxIntent) -> Result<Included, SettlementError> {
        let mut entry = self.sign_and_broadcast(intent).await?;
        let mut last_version_at = Instant::now();
        loop {
            let mut receipt = None;
            for version in entry.versions.iter().rev() {
                let hash = version.hash;
                if let Some(r) = self
                    .rpc
                    .call("receipt", |p| async move {
                        p.get_transaction_receipt(hash).await
                    })
                    .await?
                {
                    receipt = Some(r);
                    break;
                }
            }
            let (head, now) = self.head().await?;
            if let Some(r) = receipt {
                let block = r.block_number.unwrap_or(head);
                if head + 1 >= block + self.config.confirmations {
                    if !r.status() {
                        return Err(SettlementError::Reverted {
                            tx: r.transaction_hash,
                            reason: self.revert_reason(intent, block).await,
                        });
                    }
                    entry.included = Some((block, r.transaction_hash));
                    self.journal.update(&entry)?;
                    let timestamp = match self
                        .rpc
                        .call("block", |p| async move {
                            p.get_block_by_number(block.into()).await
                        })
                        .await?
                    {
                        Some(b) => b.header.timestamp,
                        None => now,
                    };
                    info!(key = %intent.key, tx = %r.transaction_hash, block, gas = r.gas_used, replacements = entry.versions.len() - 1, "transaction landed");
                    return Ok(Included {
                        tx: r.transaction_hash,
                        block,
                        timestamp,
                        gas_used: r.gas_used,
                        effective_gas_price: r.effective_gas_price,
                        nonce: entry.nonce,
                        replacements: entry.versions.len() as u32 - 1,
                    });
                }
            } else {
                if let Some(deadline) = intent.deadline
                    && now >= deadline
                {
                    return Err(SettlementError::Deadline { deadline, now });
                }
                if last_version_at.elapsed() >= self.config.bump_after {
                    if let Some(v) = self.replacement(intent, &entry).await? {
                        info!(key = %intent.key, nonce = entry.nonce, tx = %v.hash, max_fee = v.max_fee, tip = v.tip, "replacing a stuck transaction");
                        entry.versions.push(v);
                        self.journal.update(&entry)?;
                    }
                    last_version_at = Instant::now();
                }
                // An earlier transaction of ours that an L1 reorg dropped leaves a nonce gap
                // this one cannot pass: once it has waited a few polls, re-send the
                // journalled ones below it.
                if last_version_at.elapsed() >= self.config.poll * 4 {
                    self.fill_nonce_gap(entry.nonce).await?;
                }
                // Also re-sends a version an L1 reorg dropped, or a node forgot.
                self.broadcast(entry.versions.last().expect("a version"))
                    .await;
            }
            tokio::time::sleep(self.config.poll).await;
        }
    }
}

fn is_known(error: &str) -> bool {
    let e = error.to_ascii_lowercase();
    e.contains("already known") || e.contains("already imported") || e.contains("nonce too low")
}

impl<K: Kv> Settlement for EvmSettlement<K> {
    fn send<'a>(
        &'a self,
        intent: &'a TxIntent,
    ) -> Pin<Box<dyn Future<Output = Result<Included, SettlementError>> + Send + 'a>> {
        Box::pin(self.drive(intent))
    }

    fn sender(&self) -> Address {
        self.sender
    }

    fn is_journalled(&self, key: &str) -> bool {
        matches!(self.journal.entry_of(key), Ok(Some(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::bumped;

    #[test]
    fn a_bump_is_at_least_an_eighth_more() {
        for v in [0u128, 1, 7, 8, 9, 1_000, 1_000_000_007, u128::MAX / 16] {
            let b = bumped(v);
            assert!(b * 8 >= v * 9, "{v} -> {b}");
            assert!(b > v);
        }
    }
}
