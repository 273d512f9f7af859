//! The L2 block stream: archive changes as ordered events, with a persisted cursor.

use crate::archive::{Archive, ArchiveError, L2BlockSource};
use crate::kv::{Kv, STREAM};
use crate::model::ChainEvent;
use alloy::primitives::B256;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};
use vouch_primitives::CheckpointNumber;

/// Receives stream events. Must be idempotent: an event whose handling failed (or whose
/// cursor update was lost in a crash) is delivered again.
pub trait StreamHandler: Send {
    /// Why handling failed (the consumer's own error type).
    type Error: std::error::Error + Send + Sync + 'static;
    /// Handles one event; `Err` leaves the cursor where it was.
    fn handle(&mut self, event: ChainEvent)
    -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Stream failure.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// Reading the archive or the cursor failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// Writing the cursor failed.
    #[error(transparent)]
    Kv(#[from] crate::kv::KvError),
    /// The handler refused an event; it will be delivered again.
    #[error("handler failed on {event}")]
    Handler {
        /// Which event.
        event: String,
        /// The handler's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Renders an error with its sources (`a: b: c`), for logs.
pub struct DisplayChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

/// A named stream over an archive; its cursor lives in the same database.
pub struct L2BlockStream<K: Kv> {
    archive: Archive<K>,
    name: String,
}

fn cursor_key(name: &str, field: &str) -> Vec<u8> {
    format!("{name}/{field}").into_bytes()
}

fn delivered_key(name: &str, n: u64) -> Vec<u8> {
    [cursor_key(name, "c/").as_slice(), &n.to_be_bytes()].concat()
}

impl<K: Kv> L2BlockStream<K> {
    /// The stream called `name` (one cursor per consumer).
    pub fn new(archive: Archive<K>, name: impl Into<String>) -> Self {
        Self {
            archive,
            name: name.into(),
        }
    }

    fn kv(&self) -> &K {
        self.archive.kv().as_ref()
    }

    fn get_u64(&self, field: &str) -> Result<u64, ArchiveError> {
        match self.kv().get(STREAM, &cursor_key(&self.name, field))? {
            None => Ok(0),
            Some(v) => <[u8; 8]>::try_from(v.as_slice())
                .map(u64::from_be_bytes)
                .map_err(|_| ArchiveError::Corrupt(format!("stream cursor {field}"))),
        }
    }

    fn delivered_hash(&self, n: u64) -> Result<Option<B256>, ArchiveError> {
        Ok(self
            .kv()
            .get(STREAM, &delivered_key(&self.name, n))?
            .map(|v| B256::from_slice(&v)))
    }

    /// The last checkpoint delivered.
    pub fn cursor_tip(&self) -> Result<CheckpointNumber, ArchiveError> {
        Ok(CheckpointNumber(self.get_u64("tip")?))
    }

    async fn deliver<H: StreamHandler>(
        &self,
        handler: &mut H,
        event: ChainEvent,
    ) -> Result<(), StreamError> {
        let label = format!("{event:?}").chars().take(80).collect::<String>();
        handler
            .handle(event)
            .await
            .map_err(|e| StreamError::Handler {
                event: label,
                source: Box::new(e),
            })
    }

    /// One pass: emits what changed since the cursor, in the order pruned, checkpointed,
    /// proven, finalized. Returns how many events were delivered.
    pub async fn pass<H: StreamHandler>(&self, handler: &mut H) -> Result<usize, StreamError> {
        let tips = self.archive.tips()?;
        let mut delivered = 0;
        let mut local_tip = self.get_u64("tip")?;

        // Pruned: the highest delivered checkpoint that is still on the chain.
        let mut keep = local_tip.min(tips.pending.get());
        while keep > 0 {
            let ours = self.delivered_hash(keep)?;
            let theirs = self
                .archive
                .checkpoint(CheckpointNumber(keep))?
                .map(|c| c.header_hash);
            if ours.is_some() && ours == theirs {
                break;
            }
            keep -= 1;
        }
        if keep < local_tip {
            self.deliver(
                handler,
                ChainEvent::ChainPruned {
                    to_checkpoint: CheckpointNumber(keep),
                },
            )
            .await?;
            let mut writes: Vec<crate::kv::Write> = (keep + 1..=local_tip)
                .map(|n| (STREAM, delivered_key(&self.name, n), None))
                .collect();
            writes.push((
                STREAM,
                cursor_key(&self.name, "tip"),
                Some(keep.to_be_bytes().to_vec()),
            ));
            self.kv().write(writes)?;
            local_tip = keep;
            delivered += 1;
        }

        // Checkpointed.
        for n in local_tip + 1..=tips.pending.get() {
            let Some(checkpoint) = self.archive.checkpoint(CheckpointNumber(n))? else {
                return Err(ArchiveError::Corrupt(format!(
                    "checkpoint {n} missing below pending tip"
                ))
                .into());
            };
            let hash = checkpoint.header_hash;
            self.deliver(
                handler,
                ChainEvent::ChainCheckpointed {
                    checkpoint: Box::new(checkpoint),
                },
            )
            .await?;
            self.kv().write(vec![
                (STREAM, delivered_key(&self.name, n), Some(hash.to_vec())),
                (
                    STREAM,
                    cursor_key(&self.name, "tip"),
                    Some(n.to_be_bytes().to_vec()),
                ),
            ])?;
            delivered += 1;
        }

        let moved = [
            (
                "proven",
                tips.proven,
                ChainEvent::ChainProven {
                    checkpoint: tips.proven,
                },
            ),
            (
                "finalized",
                tips.finalized,
                ChainEvent::ChainFinalized {
                    checkpoint: tips.finalized,
                },
            ),
        ];
        for (field, value, event) in moved {
            if self.get_u64(field)? != value.get() {
                self.deliver(handler, event).await?;
                self.kv().write(vec![(
                    STREAM,
                    cursor_key(&self.name, field),
                    Some(value.get().to_be_bytes().to_vec()),
                )])?;
                delivered += 1;
            }
        }
        Ok(delivered)
    }

    /// Runs passes whenever the archive changes (and every `poll` as a fallback) until
    /// cancelled. A failing pass is retried on the next wake-up.
    pub async fn run<H: StreamHandler>(
        self,
        mut handler: H,
        poll: Duration,
        cancel: CancellationToken,
    ) -> H {
        let mut changes = self.archive.subscribe();
        loop {
            match self.pass(&mut handler).await {
                Ok(n) if n > 0 => debug!(events = n, stream = %self.name, "stream pass"),
                Ok(_) => {}
                Err(e) => {
                    warn!(error = %DisplayChain(&e), stream = %self.name, "stream pass failed; will retry")
                }
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = changes.changed() => {}
                _ = tokio::time::sleep(poll) => {}
            }
        }
        handler
    }
}
