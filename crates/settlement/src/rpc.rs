//! Fallback RPC URLs with backoff on every call.

use crate::SettlementError;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tracing::warn;

/// L1 endpoints in order of preference; a failed call moves to the next and is retried.
pub struct Fallback {
    providers: Vec<(String, DynProvider)>,
    current: AtomicUsize,
    /// Attempts per call (over all URLs).
    pub attempts: usize,
    /// First retry delay (doubles per attempt, up to 5 s).
    pub backoff: Duration,
}

impl Fallback {
    /// Providers for `urls` (HTTP; connected lazily, so a dead URL is not an error here).
    pub fn new(urls: &[String]) -> Result<Self, SettlementError> {
        if urls.is_empty() {
            return Err(SettlementError::Rpc("no L1 RPC URL".into()));
        }
        let providers = urls
            .iter()
            .map(|u| {
                let url = u
                    .parse()
                    .map_err(|e| SettlementError::Rpc(format!("bad URL {u}: {e}")))?;
                Ok((u.clone(), ProviderBuilder::new().connect_http(url).erased()))
            })
            .collect::<Result<Vec<_>, SettlementError>>()?;
        Ok(Self {
            providers,
            current: AtomicUsize::new(0),
            attempts: 2 * urls.len() + 2,
            backoff: Duration::from_millis(200),
        })
    }

    /// The provider in use.
    pub fn current(&self) -> &DynProvider {
        let i = self.current.load(Ordering::Relaxed) % self.providers.len();
        &self.providers[i].1
    }

    /// Moves to the next URL (after a failure the caller handles itself).
    pub fn rotate(&self) {
        self.current.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs `call` against the current provider, rotating and backing off on errors.
    pub async fn call<T, E: std::fmt::Display, F, Fut>(
        &self,
        what: &str,
        mut call: F,
    ) -> Result<T, SettlementError>
    where
        F: FnMut(DynProvider) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut delay = self.backoff;
        let mut errors = Vec::new();
        for attempt in 0..self.attempts {
            let i = self.current.load(Ordering::Relaxed) % self.providers.len();
            let (url, provider) = &self.providers[i];
            match call(provider.clone()).await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    warn!(what, url, attempt, error = %e, "L1 call failed; trying the next URL");
                    errors.push(format!("{url}: {e}"));
                    self.rotate();
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
        Err(SettlementError::Rpc(format!(
            "{what} failed on every URL: {}",
            errors.join("; ")
        )))
    }
}
