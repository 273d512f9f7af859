//! Load generator: a steady rate of valid transfers between the devnet's funded accounts.

use crate::api::SequencerApiClient;
use alloy::primitives::Bytes;
use alloy::signers::local::PrivateKeySigner;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use rand::Rng;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};
use vouch_rollup::genesis::{devnet_account_index, devnet_signer};
use vouch_rollup::tx::Transfer;

/// Load settings.
#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// Sequencer JSON-RPC URL.
    pub rpc_url: String,
    /// L2 chain id.
    pub chain_id: u64,
    /// Seed of the devnet keys (see `vouch_rollup::genesis::devnet_genesis`).
    pub seed: u64,
    /// Number of funded load accounts.
    pub accounts: u32,
    /// Transfers per second.
    pub rate_per_sec: f64,
}

/// What the generator did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Accepted by the sequencer.
    pub sent: u64,
    /// Refused by the sequencer.
    pub refused: u64,
}

/// Sends transfers until cancelled.
pub async fn run_load(config: LoadConfig, cancel: CancellationToken) -> Result<LoadStats, String> {
    if config.accounts < 2 {
        return Err("the load generator needs at least 2 accounts".into());
    }
    if !(config.rate_per_sec > 0.0 && config.rate_per_sec.is_finite()) {
        return Err(format!(
            "tx rate must be positive, got {}",
            config.rate_per_sec
        ));
    }
    let client = HttpClientBuilder::default()
        .build(&config.rpc_url)
        .map_err(|e| e.to_string())?;
    let signers: Vec<PrivateKeySigner> = (0..config.accounts)
        .map(|i| devnet_signer(config.seed, i))
        .collect();
    let mut nonces: Vec<Option<u32>> = vec![None; signers.len()];
    let mut stats = LoadStats::default();
    let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / config.rate_per_sec));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    info!(
        rate = config.rate_per_sec,
        accounts = config.accounts,
        "load generator started"
    );
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = interval.tick() => {}
        }
        let (from, to, amount) = {
            let mut rng = rand::rng();
            let from = rng.random_range(0..config.accounts);
            let to = (from + rng.random_range(1..config.accounts)) % config.accounts;
            (from, to, rng.random_range(1..1_000u64))
        };
        let nonce = match nonces[from as usize] {
            Some(n) => n,
            None => match next_nonce(&client, from).await {
                Ok(n) => n,
                Err(e) => {
                    debug!(error = %e, "sequencer not answering yet");
                    continue;
                }
            },
        };
        let transfer = Transfer {
            from: devnet_account_index(from),
            to: devnet_account_index(to),
            amount,
            fee: 1,
            nonce,
        };
        let raw = Bytes::from(
            transfer
                .sign(&signers[from as usize], config.chain_id)
                .to_bytes()
                .to_vec(),
        );
        match client.send_transaction(raw).await {
            Ok(_) => {
                stats.sent += 1;
                nonces[from as usize] = Some(nonce + 1);
            }
            Err(e) => {
                stats.refused += 1;
                nonces[from as usize] = None; // resynchronise from the sequencer
                warn!(error = %e, "transfer refused");
            }
        }
    }
    info!(
        sent = stats.sent,
        refused = stats.refused,
        "load generator stopped"
    );
    Ok(stats)
}

async fn next_nonce(client: &HttpClient, account: u32) -> Result<u32, String> {
    let index = devnet_account_index(account);
    let info = client
        .get_account(index.0.to_string())
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{index} does not exist"))?;
    Ok(info.nonce + info.pending)
}
