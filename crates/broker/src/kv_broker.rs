//! [`KvBroker`]: the embedded broker on the storage seam.
//!
//! Layout: `broker_jobs` id → JSON [`JobRecord`]; `broker_inputs` and `broker_outputs` id →
//! bytes; `broker_queue` `epoch (u64 BE) ‖ rank ‖ seq (u64 BE) ‖ id` → empty, one entry per job
//! that is not terminal, so leasing walks the queue in priority order; `broker_meta` holds the
//! submission counter. Each operation is one atomic batch under one lock.

use crate::{
    BrokerConfig, BrokerError, Completion, JobId, JobRecord, JobSpec, JobState, LeasedJob,
    ProvingBroker, now_ms,
};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;
use tracing::{debug, warn};
use vouch_storage::{Kv, Table, Write};

const JOBS: Table = Table::new("broker_jobs");
const INPUTS: Table = Table::new("broker_inputs");
const OUTPUTS: Table = Table::new("broker_outputs");
const QUEUE: Table = Table::new("broker_queue");
const META: Table = Table::new("broker_meta");
const SEQ: &[u8] = b"seq";

/// The broker's tables: open the database with these.
pub const TABLES: [Table; 5] = [JOBS, INPUTS, OUTPUTS, QUEUE, META];

type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The embedded broker over any [`Kv`] (RocksDB in the node, memory in tests).
pub struct KvBroker<K: Kv> {
    kv: Arc<K>,
    config: BrokerConfig,
    clock: Clock,
    lock: Mutex<()>,
    changed: watch::Sender<u64>,
}

fn queue_key(r: &JobRecord) -> Vec<u8> {
    let mut k = Vec::with_capacity(49);
    k.extend_from_slice(&r.epoch.to_be_bytes());
    k.push(r.rank);
    k.extend_from_slice(&r.seq.to_be_bytes());
    k.extend_from_slice(&r.id.0);
    k
}

impl<K: Kv> KvBroker<K> {
    /// A broker over `kv` (opened with [`TABLES`]).
    pub fn new(kv: Arc<K>, config: BrokerConfig) -> Self {
        Self::with_clock(kv, config, Arc::new(now_ms))
    }

    /// The same with an injected clock (ms), for tests of lease expiry.
    pub fn with_clock(kv: Arc<K>, config: BrokerConfig, clock: Clock) -> Self {
        Self {
            kv,
            config,
            clock,
            lock: Mutex::new(()),
            changed: watch::channel(0).0,
        }
    }

    fn guard(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, id: &JobId) -> Result<Option<JobRecord>, BrokerError> {
        self.kv
            .get(JOBS, &id.0)?
            .map(|v| {
                serde_json::from_slice(&v).map_err(|e| BrokerError::Corrupt {
                    what: format!("job {id}"),
                    detail: e.to_string(),
                })
            })
            .transpose()
    }

    fn put(record: &JobRecord) -> Write {
        (
            JOBS,
            record.id.0.to_vec(),
            Some(serde_json::to_vec(record).expect("a job record serializes")),
        )
    }

    /// Writes `record` and keeps the queue index in step with its state.
    fn store(&self, record: &JobRecord, mut extra: Vec<Write>) -> Result<(), BrokerError> {
        let index = if record.state.is_terminal() {
            None
        } else {
            Some(Vec::new())
        };
        extra.push(Self::put(record));
        extra.push((QUEUE, queue_key(record), index));
        self.kv.write(extra)?;
        self.changed.send_modify(|v| *v += 1);
        Ok(())
    }

    fn next_seq(&self) -> Result<u64, BrokerError> {
        Ok(match self.kv.get(META, SEQ)? {
            None => 0,
            Some(v) => {
                u64::from_be_bytes(v.as_slice().try_into().map_err(|_| BrokerError::Corrupt {
                    what: "submission counter".into(),
                    detail: format!("{} bytes", v.len()),
                })?)
            }
        })
    }
}

impl<K: Kv> ProvingBroker for KvBroker<K> {
    fn submit(&self, spec: JobSpec) -> Result<JobRecord, BrokerError> {
        let _g = self.guard();
        if let Some(mut existing) = self.record(&spec.id)? {
            if existing.kind != spec.kind {
                return Err(BrokerError::IdCollision {
                    id: spec.id,
                    existing: existing.kind,
                    submitted: spec.kind,
                });
            }
            if existing.state == JobState::Cancelled {
                existing.state = JobState::Queued;
                existing.attempts = 0;
                existing.last_error = None;
                self.store(
                    &existing,
                    vec![(INPUTS, spec.id.0.to_vec(), Some(spec.input))],
                )?;
                debug!(job = %spec.id, kind = %existing.kind, "cancelled job queued again");
            }
            return Ok(existing);
        }
        let seq = self.next_seq()?;
        let record = JobRecord {
            id: spec.id,
            kind: spec.kind,
            epoch: spec.epoch,
            rank: spec.rank,
            state: JobState::Queued,
            attempts: 0,
            seq,
            last_error: None,
            created_ms: (self.clock)(),
            finished_ms: None,
        };
        self.store(
            &record,
            vec![
                (INPUTS, spec.id.0.to_vec(), Some(spec.input)),
                (META, SEQ.to_vec(), Some((seq + 1).to_be_bytes().to_vec())),
            ],
        )?;
        debug!(job = %record.id, kind = %record.kind, epoch = record.epoch, "job queued");
        Ok(record)
    }

    fn status(&self, id: &JobId) -> Result<Option<JobRecord>, BrokerError> {
        self.record(id)
    }

    fn output(&self, id: &JobId) -> Result<Option<Vec<u8>>, BrokerError> {
        Ok(self.kv.get(OUTPUTS, &id.0)?)
    }

    fn lease(&self, agent: &str) -> Result<Option<LeasedJob>, BrokerError> {
        let _g = self.guard();
        let now = (self.clock)();
        for (key, _) in self.kv.range(QUEUE, &[], &[0xff; 50])? {
            let id = JobId(
                key[key.len() - 32..]
                    .try_into()
                    .map_err(|_| BrokerError::Corrupt {
                        what: "queue entry".into(),
                        detail: format!("{} bytes", key.len()),
                    })?,
            );
            let Some(mut record) = self.record(&id)? else {
                continue;
            };
            let free = match &record.state {
                JobState::Queued => true,
                JobState::Leased { expires_ms, agent } if *expires_ms <= now => {
                    warn!(job = %id, kind = %record.kind, dead_agent = %agent, "lease expired; leasing again");
                    metrics::counter!("vouch_broker_lease_timeouts_total", "kind" => record.kind.clone())
                        .increment(1);
                    true
                }
                _ => false,
            };
            if !free {
                continue;
            }
            let input = self.kv.get(INPUTS, &id.0)?.unwrap_or_default();
            record.state = JobState::Leased {
                agent: agent.to_string(),
                expires_ms: now + self.config.lease.as_millis() as u64,
            };
            record.attempts += 1;
            self.store(&record, vec![])?;
            return Ok(Some(LeasedJob { record, input }));
        }
        Ok(None)
    }

    fn heartbeat(&self, id: &JobId, agent: &str) -> Result<bool, BrokerError> {
        let _g = self.guard();
        let Some(mut record) = self.record(id)? else {
            return Ok(false);
        };
        match &record.state {
            JobState::Leased { agent: holder, .. } if holder == agent => {
                record.state = JobState::Leased {
                    agent: agent.to_string(),
                    expires_ms: (self.clock)() + self.config.lease.as_millis() as u64,
                };
                self.kv.write(vec![Self::put(&record)])?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn complete(
        &self,
        id: &JobId,
        agent: &str,
        output: Vec<u8>,
    ) -> Result<Completion, BrokerError> {
        let _g = self.guard();
        let Some(mut record) = self.record(id)? else {
            return Ok(Completion::Ignored);
        };
        if record.state.is_terminal() {
            debug!(job = %id, agent, state = ?record.state, "late result ignored");
            return Ok(Completion::Ignored);
        }
        // A result from an agent whose lease expired is still a valid proof of the same
        // content: take it rather than prove again.
        record.state = JobState::Done;
        record.finished_ms = Some((self.clock)());
        self.store(&record, vec![(OUTPUTS, id.0.to_vec(), Some(output))])?;
        Ok(Completion::Accepted)
    }

    fn fail(
        &self,
        id: &JobId,
        agent: &str,
        error: &str,
        retryable: bool,
    ) -> Result<Option<JobState>, BrokerError> {
        let _g = self.guard();
        let Some(mut record) = self.record(id)? else {
            return Ok(None);
        };
        let holds = matches!(&record.state, JobState::Leased { agent: a, .. } if a == agent);
        if !holds {
            return Ok(Some(record.state));
        }
        record.last_error = Some(error.to_string());
        record.state = if retryable && record.attempts < self.config.max_attempts {
            warn!(job = %id, kind = %record.kind, attempts = record.attempts, error, "job failed; retrying");
            metrics::counter!("vouch_broker_job_retries_total", "kind" => record.kind.clone())
                .increment(1);
            JobState::Queued
        } else {
            warn!(job = %id, kind = %record.kind, attempts = record.attempts, error, "job failed");
            metrics::counter!("vouch_broker_jobs_failed_total", "kind" => record.kind.clone())
                .increment(1);
            record.finished_ms = Some((self.clock)());
            JobState::Failed {
                error: error.to_string(),
            }
        };
        self.store(&record, vec![])?;
        Ok(Some(record.state))
    }

    fn cancel(&self, id: &JobId) -> Result<bool, BrokerError> {
        let _g = self.guard();
        let Some(mut record) = self.record(id)? else {
            return Ok(false);
        };
        if record.state.is_terminal() {
            return Ok(false);
        }
        record.state = JobState::Cancelled;
        self.store(&record, vec![])?;
        Ok(true)
    }

    fn release_leases(&self, prefix: &str) -> Result<usize, BrokerError> {
        let _g = self.guard();
        let mut released = 0;
        for (key, _) in self.kv.range(QUEUE, &[], &[0xff; 50])? {
            let id = JobId(key[key.len() - 32..].try_into().unwrap_or([0; 32]));
            let Some(mut record) = self.record(&id)? else {
                continue;
            };
            if matches!(&record.state, JobState::Leased { agent, .. } if agent.starts_with(prefix))
            {
                record.state = JobState::Queued;
                self.store(&record, vec![])?;
                released += 1;
            }
        }
        Ok(released)
    }

    fn remove_epoch(&self, epoch: u64) -> Result<usize, BrokerError> {
        let _g = self.guard();
        let mut writes = Vec::new();
        let mut removed = 0;
        for record in self.all()? {
            if record.epoch != epoch {
                continue;
            }
            writes.extend([
                (JOBS, record.id.0.to_vec(), None),
                (INPUTS, record.id.0.to_vec(), None),
                (OUTPUTS, record.id.0.to_vec(), None),
                (QUEUE, queue_key(&record), None),
            ]);
            removed += 1;
        }
        if removed > 0 {
            self.kv.write(writes)?;
            self.changed.send_modify(|v| *v += 1);
        }
        Ok(removed)
    }

    fn jobs(&self) -> Result<Vec<JobRecord>, BrokerError> {
        let mut all = self.all()?;
        all.sort_by_key(|r| (r.epoch, r.rank, r.seq));
        Ok(all)
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }
}

impl<K: Kv> KvBroker<K> {
    fn all(&self) -> Result<Vec<JobRecord>, BrokerError> {
        self.kv
            .range(JOBS, &[], &[0xff; 33])?
            .into_iter()
            .map(|(k, v)| {
                serde_json::from_slice(&v).map_err(|e| BrokerError::Corrupt {
                    what: format!("job record of {} bytes key", k.len()),
                    detail: e.to_string(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
