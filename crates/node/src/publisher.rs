//! Publishing: each ready epoch proof in chain order, re-checking L1 right before sending;
//! every transaction lands through a [`Settlement`] (nonce ownership, fee bumping, receipts
//! through reorgs, fallbacks).

use crate::model::{Landed, PublishOutcome, PublishRequest};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, keccak256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::rpc::types::simulate::{SimBlock, SimulatePayload};
use alloy::sol_types::SolCall;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tracing::{info, warn};
use vouch_archiver::{Archive, L2BlockSource};
use vouch_l1_contracts::bindings::Rollup;
use vouch_l1_contracts::epoch::EpochPublicValues;
use vouch_l1_contracts::statement::EpochStatementFromL1;
use vouch_l1_contracts::verifier::{
    MAX_TX_GAS, Session, SessionCalldata, decode_revert, session_calls,
};
use vouch_primitives::{CheckpointNumber, EpochNumber, L1RollupConstants};
use vouch_prover::backend::{BackendId, ProofKind, open};
use vouch_prover::evm::calldata::{DEFAULT_BATCH_BYTES, encode};
use vouch_prover::proof::EpochStatement;
use vouch_settlement::{Included, Settlement, SettlementError, TxIntent};
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

/// Publishes through alloy: reads on `providers`, transactions through `settlement`.
pub struct EvmPublisher<K: Kv> {
    /// Lands the transactions (journalled nonces, fee bumping, fallbacks).
    pub settlement: std::sync::Arc<dyn Settlement>,
    /// Reads: the L1 RPC URLs, primary first; the next is used after a failed attempt.
    pub reads: vouch_settlement::rpc::Fallback,
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
    /// Estimate gas and fees (simulating every transaction) instead of sending.
    pub dry_run: bool,
}

/// What a submission's transactions cost.
#[derive(Default)]
struct Tally {
    txs: usize,
    gas: u64,
    fee_wei: u128,
    replacements: u32,
}

impl Tally {
    fn add(&mut self, included: &Included) {
        self.txs += 1;
        self.gas += included.gas_used;
        self.fee_wei += included.gas_used as u128 * included.effective_gas_price;
        self.replacements += included.replacements;
    }
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
        dataEvaluation: c.data_evaluation,
    }
}

impl<K: Kv + 'static> EvmPublisher<K> {
    fn constants(&self) -> L1RollupConstants {
        self.archive.l1_constants()
    }

    async fn attempt(&self, r: &PublishRequest) -> Attempt {
        let failed = |m: String| Attempt::Done(PublishOutcome::Failed(m));
        let provider = self.reads.current();
        let rollup = Rollup::new(self.rollup, provider);
        let head = match provider.get_block_by_number(Default::default()).await {
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
        let key = |step: &str| {
            format!(
                "epoch {} session {} checkpoints {}..={} {step}",
                r.epoch, r.session, r.from, r.to
            )
        };
        // Our own submission, sent before a restart, is followed to its receipt below.
        if proven >= r.to && !self.settlement.is_journalled(&key("submit")) {
            return Attempt::Done(PublishOutcome::Superseded(format!(
                "the proven tip is already {proven}"
            )));
        }
        if proven + 1 < r.from {
            return Attempt::Wait; // an earlier epoch has not landed yet
        }
        // What the contract will compare against: refuse a doomed transaction.
        let values = match rollup
            .epochPublicValues(r.epoch, r.from, r.to, self.owner)
            .call()
            .await
        {
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
        let deadline = (deadline != u64::MAX).then_some(deadline);
        // Every transaction of the submission, in order: the verification session's, then
        // `submitEpochProof`.
        let mut steps: Vec<(String, Address, Vec<u8>)> = Vec::new();
        let proof = match self.verifier {
            VerifierMode::InsecureMock => Bytes::new(),
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
                let (id, calls) =
                    session_calls(self.owner, &values, &headers, &SessionCalldata::from(&cd));
                steps.extend(
                    calls
                        .into_iter()
                        .map(|(step, input)| (step, epoch_verifier, input)),
                );
                Session {
                    id,
                    trace_root: cd.trace_root,
                    costs: Vec::new(),
                }
                .gateway_proof()
            }
        };
        let submit = Rollup::submitEpochProofCall {
            epoch: r.epoch,
            fromCheckpoint: r.from,
            toCheckpoint: r.to,
            publicValues: values,
            proof,
        }
        .abi_encode();
        steps.push(("submit".into(), self.rollup, submit));
        if self.dry_run {
            return Attempt::Done(self.estimate(provider, &steps).await);
        }
        // Too late for every step at the current inclusion rate: do not start.
        let needed = self.inclusion_seconds(provider).await * steps.len() as u64;
        if deadline.is_some_and(|d| head + needed >= d) {
            return Attempt::Done(PublishOutcome::TimedOut(format!(
                "{} transactions need about {needed} s of L1 time, the deadline is in {} s",
                steps.len(),
                deadline.unwrap_or(head).saturating_sub(head)
            )));
        }
        let mut tally = Tally::default();
        let mut last = None;
        for (step, to, input) in steps {
            match self
                .land(provider, &key(&step), r.to, to, input.into(), deadline)
                .await
            {
                Ok(included) => {
                    tally.add(&included);
                    last = Some(included);
                }
                Err(attempt) => return attempt,
            }
        }
        let included = last.expect("a submission has at least submitEpochProof");
        // For the latency: when the range's last checkpoint reached L1 (best effort).
        let checkpoint_l1_timestamp = match self.archive.checkpoint(CheckpointNumber(r.to)) {
            Ok(Some(c)) => provider
                .get_block_by_number(c.l1_block.into())
                .await
                .ok()
                .flatten()
                .map_or(0, |b| b.header.timestamp),
            _ => 0,
        };
        Attempt::Done(PublishOutcome::Published(Landed {
            checkpoint_l1_timestamp,
            l1_block: included.block,
            l1_timestamp: included.timestamp,
            tx: included.tx,
            gas: tally.gas,
            txs: tally.txs,
            fee_wei: tally.fee_wei,
            replacements: tally.replacements,
        }))
    }

    /// Dry run: the submission's transactions simulated in order on top of the latest block
    /// (`eth_simulateV1`, state carried from one to the next), their gas summed and priced at
    /// the current fee estimate. Nothing is signed or sent.
    async fn estimate(
        &self,
        provider: &DynProvider,
        steps: &[(String, Address, Vec<u8>)],
    ) -> PublishOutcome {
        let calls: Vec<TransactionRequest> = steps
            .iter()
            .map(|(_, to, input)| {
                TransactionRequest::default()
                    .with_from(self.owner)
                    .with_to(*to)
                    .with_input(Bytes::from(input.clone()))
                    .with_gas_limit(MAX_TX_GAS)
            })
            .collect();
        let payload = SimulatePayload {
            block_state_calls: vec![SimBlock {
                block_overrides: None,
                state_overrides: None,
                calls,
            }],
            ..SimulatePayload::default()
        };
        let blocks = match provider.simulate(&payload).await {
            Ok(b) => b,
            Err(e) => return PublishOutcome::Failed(format!("dry run: simulation failed: {e}")),
        };
        let results: Vec<_> = blocks.iter().flat_map(|b| b.calls.iter()).collect();
        for ((step, _, _), result) in steps.iter().zip(&results) {
            if !result.status {
                let reason = decode_revert(&result.return_data)
                    .unwrap_or_else(|| format!("{:?}", result.error));
                return PublishOutcome::Failed(format!("dry run: {step} would revert: {reason}"));
            }
        }
        let gas: u64 = results.iter().map(|r| r.gas_used).sum();
        let max_fee = provider
            .estimate_eip1559_fees()
            .await
            .map_or(0, |f| f.max_fee_per_gas);
        PublishOutcome::DryRun {
            txs: steps.len(),
            gas,
            max_fee_wei: gas as u128 * max_fee,
        }
    }

    /// Lands one transaction of the submission. A transaction not yet journalled is checked
    /// with a call first, so a doomed one is never sent; a journalled one is resumed.
    async fn land(
        &self,
        provider: &DynProvider,
        key: &str,
        range_end: u64,
        to: Address,
        input: Bytes,
        deadline: Option<u64>,
    ) -> Result<Included, Attempt> {
        if !self.settlement.is_journalled(key) {
            let call = TransactionRequest::default()
                .with_from(self.owner)
                .with_to(to)
                .with_input(input.clone());
            if let Err(e) = provider.call(call).await {
                let reason = e
                    .as_error_resp()
                    .and_then(|r| r.as_revert_data())
                    .and_then(|d| decode_revert(&d))
                    .unwrap_or_else(|| e.to_string());
                return Err(self
                    .lost_race_or(provider, range_end, reason, |r| {
                        Attempt::Transient(format!("{key} would revert: {r}"))
                    })
                    .await);
            }
        }
        let intent = TxIntent {
            key: key.to_string(),
            to,
            input,
            gas_limit: MAX_TX_GAS,
            deadline,
        };
        match self.settlement.send(&intent).await {
            Ok(included) => Ok(included),
            Err(SettlementError::Deadline { deadline, now }) => Err(Attempt::Done(
                PublishOutcome::TimedOut(format!("deadline {deadline} passed at L1 time {now}")),
            )),
            Err(SettlementError::Reverted { tx, reason }) => Err(self
                .lost_race_or(provider, range_end, reason, |r| {
                    Attempt::Done(PublishOutcome::Failed(format!(
                        "{key}: transaction {tx} reverted: {r}"
                    )))
                })
                .await),
            Err(e) => Err(Attempt::Transient(format!("{key}: {e}"))),
        }
    }

    /// Seconds of L1 time one transaction takes to land: the mean block interval over the
    /// last 10 blocks (at least 1 s; 12 s when it cannot be read).
    async fn inclusion_seconds(&self, provider: &DynProvider) -> u64 {
        let interval = async {
            let head = provider
                .get_block_by_number(Default::default())
                .await
                .ok()??;
            let n = head.header.number;
            let back = n.checked_sub(10)?;
            let old = provider.get_block_by_number(back.into()).await.ok()??;
            Some((head.header.timestamp - old.header.timestamp).div_ceil(10))
        };
        interval.await.unwrap_or(12).max(1)
    }

    async fn proven(&self, provider: &DynProvider) -> Option<u64> {
        Rollup::new(self.rollup, provider)
            .provenCheckpointNumber()
            .call()
            .await
            .ok()
    }

    /// A revert once the proven tip reached `range_end` is a lost race (another prover landed
    /// the range first); any other revert is `other(reason)`.
    async fn lost_race_or(
        &self,
        provider: &DynProvider,
        range_end: u64,
        reason: String,
        other: impl FnOnce(String) -> Attempt,
    ) -> Attempt {
        match self.proven(provider).await {
            Some(proven) if proven >= range_end => Attempt::Done(PublishOutcome::Superseded(
                format!("lost the race: the proven tip is {proven} ({reason})"),
            )),
            _ => other(reason),
        }
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
                        self.reads.rotate();
                        warn!(session = request.session, epoch = request.epoch, error = %e, "publishing attempt failed; retrying while the window is open");
                    }
                }
                tokio::time::sleep(self.poll).await;
            }
        })
    }
}
