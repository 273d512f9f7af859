//! The minimal honest submission: publish each ready epoch proof in chain order, re-checking
//! L1 right before sending. (Fee bumping, nonce ownership and receipt tracking through reorgs
//! belong to the settlement service that replaces this.)

use crate::model::{Landed, PublishOutcome, PublishRequest};
use alloy::primitives::{Address, Bytes, keccak256};
use alloy::providers::{DynProvider, Provider};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tracing::{info, warn};
use vouch_archiver::{Archive, L2BlockSource};
use vouch_l1_contracts::bindings::Rollup;
use vouch_l1_contracts::epoch::EpochPublicValues;
use vouch_l1_contracts::statement::EpochStatementFromL1;
use vouch_l1_contracts::verifier::{SessionCalldata, run_session};
use vouch_primitives::{CheckpointNumber, EpochNumber, L1RollupConstants};
use vouch_prover::backend::{BackendId, ProofKind, open};
use vouch_prover::evm::calldata::{DEFAULT_BATCH_BYTES, encode};
use vouch_prover::proof::EpochStatement;
use vouch_storage::Kv;

/// Publishes one proof.
pub trait Publisher: Send + Sync + 'static {
    /// Drives `request` to an outcome (waits for its turn in chain order).
    fn publish<'a>(
        &'a self,
        request: &'a PublishRequest,
    ) -> Pin<Box<dyn Future<Output = PublishOutcome> + Send + 'a>>;
}

/// How the rollup verifies proofs.
#[derive(Clone, Copy, Debug)]
pub enum VerifierMode {
    /// The Plonky3 `EpochVerifier` behind the rollup's gateway.
    Plonky3 {
        /// The `EpochVerifier`.
        epoch_verifier: Address,
    },
    /// **Insecure** development mock: an empty proof is accepted.
    InsecureMock,
}

/// Publishes through alloy with the operator's key.
pub struct EvmPublisher<K: Kv> {
    /// Provider with the prover's wallet.
    pub provider: DynProvider,
    /// The prover's address.
    pub owner: Address,
    /// The rollup.
    pub rollup: Address,
    /// Its verifier.
    pub verifier: VerifierMode,
    /// Headers come from here.
    pub archive: Archive<K>,
    /// Re-check period while waiting for the proven tip.
    pub poll: Duration,
}

enum Attempt {
    Done(PublishOutcome),
    Wait,
    Transient(String),
}

fn header_of(c: &vouch_archiver::ArchivedCheckpoint) -> Rollup::CheckpointHeader {
    Rollup::CheckpointHeader {
        number: c.number.get(),
        slot: c.slot.get(),
        timestamp: c.timestamp,
        previousArchive: c.previous_archive,
        archive: c.archive,
        stateRoot: c.state_root,
        txCommitment: c.tx_commitment,
        depositStart: c.deposit_start,
        depositCount: c.deposit_count,
        blockCount: c.block_count,
    }
}

impl<K: Kv + 'static> EvmPublisher<K> {
    fn constants(&self) -> L1RollupConstants {
        self.archive.l1_constants()
    }

    async fn attempt(&self, r: &PublishRequest) -> Attempt {
        let failed = |m: String| Attempt::Done(PublishOutcome::Failed(m));
        let rollup = Rollup::new(self.rollup, &self.provider);
        let head = match self.provider.get_block_by_number(Default::default()).await {
            Ok(Some(b)) => b.header.timestamp,
            Ok(None) => return Attempt::Transient("no L1 head".into()),
            Err(e) => return Attempt::Transient(format!("L1 head: {e}")),
        };
        let deadline = self
            .constants()
            .proof_submission_deadline_timestamp(EpochNumber(r.epoch))
            .unwrap_or(u64::MAX);
        // The next block must land before the deadline.
        if head + 1 >= deadline {
            return Attempt::Done(PublishOutcome::TimedOut(format!(
                "L1 time {head}, deadline {deadline}"
            )));
        }
        let proven = match rollup.provenCheckpointNumber().call().await {
            Ok(p) => p,
            Err(e) => return Attempt::Transient(format!("proven tip: {e}")),
        };
        if proven >= r.to {
            return Attempt::Done(PublishOutcome::Superseded(format!(
                "the proven tip is already {proven}"
            )));
        }
        if proven + 1 < r.from {
            return Attempt::Wait; // an earlier epoch has not landed yet
        }
        // What the contract will compare against: refuse a doomed transaction.
        let values = match rollup.epochPublicValues(r.epoch, r.from, r.to).call().await {
            Ok(v) => v,
            Err(e) => {
                return failed(format!(
                    "refused before sending: the rollup rejects range {}..={}: {e}",
                    r.from, r.to
                ));
            }
        };
        let mut headers = Vec::new();
        for n in r.from..=r.to {
            match self.archive.checkpoint(CheckpointNumber(n)) {
                Ok(Some(c)) => headers.push(header_of(&c)),
                Ok(None) => return failed(format!("checkpoint {n} is no longer archived")),
                Err(e) => return Attempt::Transient(e.to_string()),
            }
        }
        let (proof, txs_before, gas_before) = match self.verifier {
            VerifierMode::InsecureMock => (Bytes::new(), 0, 0),
            VerifierMode::Plonky3 { epoch_verifier } => {
                let decoded = match EpochPublicValues::decode(&values) {
                    Ok(v) => v,
                    Err(e) => return failed(format!("undecodable public values: {e}")),
                };
                let statement = match EpochStatement::from_l1(&decoded, &headers) {
                    Ok(s) => s,
                    Err(e) => return failed(format!("L1's statement: {e}")),
                };
                let Some(pv) = statement.public_values() else {
                    return failed("empty range".into());
                };
                let body = match open(&r.proof, BackendId::Plonky3, ProofKind::Epoch) {
                    Ok(b) => b,
                    Err(e) => return failed(format!("not a Plonky3 epoch proof: {e}")),
                };
                let cd = match encode(body, &pv, keccak256(&values), DEFAULT_BATCH_BYTES) {
                    Ok(cd) => cd,
                    Err(e) => {
                        return failed(format!(
                            "refused before sending: the proof does not verify for L1's statement: {e}"
                        ));
                    }
                };
                let session = match run_session(
                    &self.provider,
                    epoch_verifier,
                    self.owner,
                    &values,
                    &headers,
                    &SessionCalldata::from(&cd),
                )
                .await
                {
                    Ok(s) => s,
                    Err(e) => return Attempt::Transient(format!("verification session: {e}")),
                };
                let gas = session.costs.iter().map(|c| c.gas).sum();
                (session.gateway_proof(), session.costs.len(), gas)
            }
        };
        let call = rollup.submitEpochProof(r.epoch, r.from, r.to, values, proof);
        if let Err(e) = call.call().await {
            let proven = rollup.provenCheckpointNumber().call().await.unwrap_or(0);
            if proven >= r.to {
                return Attempt::Done(PublishOutcome::Superseded(format!(
                    "lost the race: the proven tip is {proven}"
                )));
            }
            return Attempt::Transient(format!("submitEpochProof would revert: {e}"));
        }
        let receipt = match call.send().await {
            Ok(pending) => {
                pending
                    .with_timeout(Some(Duration::from_secs(60)))
                    .get_receipt()
                    .await
            }
            Err(e) => return Attempt::Transient(format!("send: {e}")),
        };
        let receipt = match receipt {
            Ok(r) => r,
            Err(e) => return Attempt::Transient(format!("receipt: {e}")),
        };
        if !receipt.status() {
            return Attempt::Transient("submitEpochProof reverted".into());
        }
        let l1_block = receipt.block_number.unwrap_or_default();
        let l1_timestamp = match self.provider.get_block_by_number(l1_block.into()).await {
            Ok(Some(b)) => b.header.timestamp,
            _ => head,
        };
        Attempt::Done(PublishOutcome::Published(Landed {
            l1_block,
            l1_timestamp,
            tx: receipt.transaction_hash,
            gas: gas_before + receipt.gas_used,
            txs: txs_before + 1,
        }))
    }
}

impl<K: Kv + 'static> Publisher for EvmPublisher<K> {
    fn publish<'a>(
        &'a self,
        request: &'a PublishRequest,
    ) -> Pin<Box<dyn Future<Output = PublishOutcome> + Send + 'a>> {
        Box::pin(async move {
            loop {
                match self.attempt(request).await {
                    Attempt::Done(outcome) => {
                        info!(
                            session = request.session,
                            epoch = request.epoch,
                            ?outcome,
                            "publishing ended"
                        );
                        return outcome;
                    }
                    Attempt::Wait => {}
                    Attempt::Transient(e) => {
                        warn!(session = request.session, epoch = request.epoch, error = %e, "publishing attempt failed; retrying while the window is open");
                    }
                }
                tokio::time::sleep(self.poll).await;
            }
        })
    }
}
