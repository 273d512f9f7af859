//! What a proving job does: rebuild the witnesses from the archive and the state tree, then
//! prove with the configured backend.

use crate::db::NodeDb;
use crate::execution::execute;
use crate::model::CheckpointId;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use vouch_archiver::{Archive, L2BlockSource};
use vouch_broker::{JobError, JobRunner, LeasedJob};
use vouch_primitives::CheckpointNumber;
use vouch_prover::backend::ProvingBackend;
use vouch_prover::circuit::CheckpointWitness;
use vouch_prover::proof::ProofError;
use vouch_rollup::state::VersionedStore;
use vouch_storage::Kv;

/// A job's input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobInput {
    /// A checkpoint proof.
    Leaf {
        /// The checkpoint.
        id: CheckpointId,
    },
    /// An epoch proof over consecutive checkpoints: the v1 aggregation re-proves the range
    /// from their witnesses (recursive aggregation of the leaf proofs would replace it here).
    Epoch {
        /// Epoch.
        epoch: u64,
        /// The range, in order.
        members: Vec<CheckpointId>,
    },
}

impl JobInput {
    /// Encoded for the broker.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("job inputs serialize")
    }
}

/// Counters of the jobs this process ran.
#[derive(Debug, Default)]
pub struct RunnerStats {
    /// Leaf proofs produced.
    pub leaves_proven: AtomicU64,
    /// Leaf proofs of checkpoints that were already proven when the node started (a restart
    /// that loses nothing keeps this at 0).
    pub leaves_reproved: AtomicU64,
    /// Epoch proofs produced.
    pub epochs_proven: AtomicU64,
}

/// Runs the node's jobs.
pub struct ProofRunner<K: Kv, S: VersionedStore> {
    pub(crate) archive: Archive<K>,
    pub(crate) db: NodeDb<K>,
    pub(crate) state: Arc<S>,
    pub(crate) state_lock: Arc<RwLock<()>>,
    pub(crate) backend: Arc<dyn ProvingBackend>,
    pub(crate) l2_chain_id: u64,
    /// The address epoch proofs name as their prover (the publisher's; zero without one).
    pub(crate) prover: alloy::primitives::Address,
    pub(crate) proven_at_start: HashSet<CheckpointId>,
    pub(crate) stats: Arc<RunnerStats>,
    /// Development and tests only: a pause before every job (a slow prover).
    pub(crate) throttle: std::time::Duration,
    /// Development and tests only: epoch proofs wait while this file exists.
    pub(crate) epoch_gate: Option<std::path::PathBuf>,
}

impl<K: Kv, S: VersionedStore> ProofRunner<K, S> {
    /// Rebuilds a checkpoint's witness (the state tree's lock is held only while executing).
    fn witness(&self, id: &CheckpointId) -> Result<CheckpointWitness, JobError> {
        let transient = |m: String| JobError::retryable(m);
        let _read = self.state_lock.read().unwrap_or_else(|p| p.into_inner());
        let checkpoint = self
            .archive
            .checkpoint(CheckpointNumber(id.number))
            .map_err(|e| transient(e.to_string()))?
            .filter(|c| CheckpointId::of(c) == *id)
            .ok_or_else(|| transient(format!("checkpoint {id} is not on the chain")))?;
        let executed = self
            .db
            .executed(id.number)
            .map_err(|e| transient(e.to_string()))?;
        if executed.as_ref().map(|e| e.header_hash) != Some(checkpoint.header_hash) {
            return Err(transient(format!(
                "the state tree does not hold checkpoint {id} (yet)"
            )));
        }
        let previous = self
            .db
            .executed(id.number - 1)
            .map_err(|e| transient(e.to_string()))?
            .ok_or_else(|| transient(format!("no state before checkpoint {id}")))?;
        execute(
            self.state.as_ref(),
            &self.archive,
            &checkpoint,
            &previous,
            self.l2_chain_id,
            false,
        )
        .map_err(|e| transient(e.to_string()))?
        .map_err(|reason| transient(format!("re-execution differs from registration: {reason}")))
    }
}

fn proof_error(e: ProofError) -> JobError {
    match e {
        ProofError::Unsatisfied(_) | ProofError::Trace(_) | ProofError::Statement(_) => {
            JobError::permanent(e.to_string())
        }
        other => JobError::retryable(other.to_string()),
    }
}

impl<K: Kv + 'static, S: VersionedStore + 'static> JobRunner for ProofRunner<K, S> {
    fn run(&self, job: &LeasedJob) -> Result<Vec<u8>, JobError> {
        let input: JobInput = serde_json::from_slice(&job.input)
            .map_err(|e| JobError::permanent(format!("undecodable job input: {e}")))?;
        if !self.throttle.is_zero() {
            std::thread::sleep(self.throttle);
        }
        match input {
            JobInput::Leaf { id } => {
                let started = std::time::Instant::now();
                let witness = self.witness(&id)?;
                let proof = self
                    .backend
                    .prove_checkpoint(&witness)
                    .map_err(proof_error)?;
                metrics::histogram!("vouch_checkpoint_proving_seconds")
                    .record(started.elapsed().as_secs_f64());
                metrics::counter!("vouch_checkpoint_proofs_total").increment(1);
                self.stats.leaves_proven.fetch_add(1, Ordering::Relaxed);
                if self.proven_at_start.contains(&id) {
                    self.stats.leaves_reproved.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!("vouch_reproved_leaves_total").increment(1);
                }
                Ok(proof)
            }
            JobInput::Epoch { members, .. } => {
                if let Some(gate) = &self.epoch_gate {
                    while gate.exists() {
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                }
                let started = std::time::Instant::now();
                let witnesses = members
                    .iter()
                    .map(|id| self.witness(id))
                    .collect::<Result<Vec<_>, _>>()?;
                let proof = self
                    .backend
                    .prove_epoch(&witnesses, &self.prover)
                    .map_err(proof_error)?;
                metrics::histogram!("vouch_epoch_proving_seconds")
                    .record(started.elapsed().as_secs_f64());
                metrics::counter!("vouch_epoch_proofs_total").increment(1);
                self.stats.epochs_proven.fetch_add(1, Ordering::Relaxed);
                Ok(proof)
            }
        }
    }
}
