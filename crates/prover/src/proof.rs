//! Checkpoint proofs (Poseidon2 configuration) and epoch proofs (Keccak/EVM configuration) of
//! the [`TransitionAir`], and the statements they prove.
//!
//! **The epoch proof re-proves its checkpoints.** There is no recursion library for Plonky3 on
//! crates.io yet (the `p3-recursion` crates are placeholders), so an epoch proof is a fresh
//! STARK over the concatenated traces of the epoch's checkpoints, built from the witnesses
//! the node keeps while the epoch runs; a checkpoint proof is the same AIR over one
//! checkpoint, proven the moment it lands so bad witnesses surface early. Recursive
//! aggregation of the checkpoint proofs is the later goal.

use crate::circuit::{
    CheckpointWitness, NUM_PUBLIC_VALUES, TraceError, TransitionAir, generate_trace, prover_limbs,
    pv,
};
use crate::config::{self, Val};
use alloy::primitives::Address;
use p3_air::{Air, DebugConstraintBuilder};
use p3_challenger::GrindingChallenger;
use p3_matrix::dense::RowMajorMatrix;
use p3_uni_stark::{
    Proof, QuotientAir, StarkGenericConfig, Val as ValOf, VerifierConstraintFolder, prove, verify,
};
use serde::{Deserialize, Serialize};
use vouch_rollup::checkpoint::{SealedCheckpoint, chain_checkpoint};
use vouch_rollup::hash::Digest;

/// What a checkpoint proof proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointStatement {
    /// State root before.
    pub pre_state_root: Digest,
    /// Archive before.
    pub previous_archive: Digest,
    /// Deposit accumulator before its first deposit.
    pub deposit_accumulator: Digest,
    /// The checkpoint as its L1 header states it.
    pub checkpoint: SealedCheckpoint,
    /// Deposit accumulator after its last deposit.
    pub deposit_accumulator_end: Digest,
}

impl CheckpointStatement {
    /// The statement of an executed checkpoint.
    pub fn of(witness: &CheckpointWitness) -> Self {
        Self {
            pre_state_root: witness.execution.pre_state_root,
            previous_archive: witness.ctx.previous_archive,
            deposit_accumulator: witness.deposit_accumulator,
            checkpoint: SealedCheckpoint::of(&witness.ctx, &witness.execution),
            deposit_accumulator_end: witness.deposit_accumulator_end(),
        }
    }

    /// The STARK public values (checkpoint proofs name no prover: the zero address).
    pub fn public_values(&self) -> [Val; NUM_PUBLIC_VALUES] {
        let c = &self.checkpoint;
        pack(
            &[
                self.pre_state_root,
                self.previous_archive,
                c.state_root,
                c.archive,
                chain_checkpoint(&Digest::ZERO, c),
                self.deposit_accumulator,
                self.deposit_accumulator_end,
            ],
            &Address::ZERO,
        )
    }
}

/// What an epoch proof proves: from the state and archive before `checkpoints[0]`, executing
/// each listed checkpoint's committed transactions and the deposits between the two
/// accumulator values in order reaches each listed state root and archive, with each listed
/// header field; and that `prover` made the proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochStatement {
    /// Epoch number.
    pub epoch: u64,
    /// State root before the range.
    pub start_state_root: Digest,
    /// Archive before the range.
    pub start_archive: Digest,
    /// The rollup's deposit accumulator before the range's first deposit.
    pub start_deposit_accumulator: Digest,
    /// The rollup's deposit accumulator after the range's last deposit.
    pub end_deposit_accumulator: Digest,
    /// The range, in order (at least one).
    pub checkpoints: Vec<SealedCheckpoint>,
    /// Who is credited on L1 (absorbed into the transcript, so a copied proof earns nothing).
    pub prover: Address,
}

impl EpochStatement {
    /// The statement of consecutive executed checkpoints proven by `prover`.
    pub fn of(epoch: u64, witnesses: &[CheckpointWitness], prover: Address) -> Option<Self> {
        let first = witnesses.first()?;
        let last = witnesses.last()?;
        Some(Self {
            epoch,
            start_state_root: first.execution.pre_state_root,
            start_archive: first.ctx.previous_archive,
            start_deposit_accumulator: first.deposit_accumulator,
            end_deposit_accumulator: last.deposit_accumulator_end(),
            checkpoints: witnesses
                .iter()
                .map(|w| SealedCheckpoint::of(&w.ctx, &w.execution))
                .collect(),
            prover,
        })
    }

    /// The checkpoint chain over the range.
    pub fn chain(&self) -> Digest {
        self.checkpoints
            .iter()
            .fold(Digest::ZERO, |chain, c| chain_checkpoint(&chain, c))
    }

    /// The STARK public values; `None` for an empty range.
    pub fn public_values(&self) -> Option<[Val; NUM_PUBLIC_VALUES]> {
        let last = self.checkpoints.last()?;
        Some(pack(
            &[
                self.start_state_root,
                self.start_archive,
                last.state_root,
                last.archive,
                self.chain(),
                self.start_deposit_accumulator,
                self.end_deposit_accumulator,
            ],
            &self.prover,
        ))
    }
}

/// Public values in [`crate::circuit::pv`] order.
fn pack(digests: &[Digest; 7], prover: &Address) -> [Val; NUM_PUBLIC_VALUES] {
    let mut out = [Val::default(); NUM_PUBLIC_VALUES];
    for (chunk, d) in out[..pv::PROVER].chunks_exact_mut(8).zip(digests) {
        chunk.copy_from_slice(&d.0);
    }
    out[pv::PROVER..].copy_from_slice(&prover_limbs(prover));
    out
}

/// Why proving or verifying failed.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The witnesses do not describe an execution.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The witnesses violate the circuit's rules (an invalid checkpoint).
    #[error("the witnesses violate the circuit: {0}")]
    Unsatisfied(String),
    /// Plonky3 could not prove.
    #[error("proving failed: {0}")]
    Prove(String),
    /// The proof does not verify against the statement.
    #[error("proof rejected: {0}")]
    Rejected(String),
    /// Proof bytes do not decode.
    #[error("malformed proof: {0}")]
    Malformed(String),
    /// The statement is empty or inconsistent.
    #[error("bad statement: {0}")]
    Statement(String),
}

/// Proves `witnesses` under `config`; returns postcard-encoded proof bytes and the public
/// values the trace reached.
pub fn prove_trace<SC>(
    config: &SC,
    witnesses: &[CheckpointWitness],
    prover: &Address,
) -> Result<(Vec<u8>, [Val; NUM_PUBLIC_VALUES]), ProofError>
where
    SC: StarkGenericConfig<Challenger: GrindingChallenger<Witness = ValOf<SC>>>,
    ValOf<SC>: Into<Val> + From<Val>,
    TransitionAir: QuotientAir<SC>
        + for<'a> Air<VerifierConstraintFolder<'a, SC>>
        + for<'a> Air<DebugConstraintBuilder<'a, ValOf<SC>>>,
    RowMajorMatrix<Val>: Into<RowMajorMatrix<ValOf<SC>>>,
    Proof<SC>: Serialize,
{
    let (trace, pv) = generate_trace(witnesses, prover)?;
    let pv_sc: Vec<ValOf<SC>> = pv.iter().map(|v| (*v).into()).collect();
    let trace: RowMajorMatrix<ValOf<SC>> = trace.into();
    let proof = prove(config, &TransitionAir, trace, &pv_sc)
        .map_err(|e| ProofError::Prove(format!("{e:?}")))?;
    let bytes = postcard::to_allocvec(&proof).map_err(|e| ProofError::Prove(e.to_string()))?;
    Ok((bytes, pv))
}

/// `log2` of the trace height of `witnesses` (the proof's degree bits).
pub fn trace_log_rows(witnesses: &[CheckpointWitness]) -> Result<usize, ProofError> {
    use p3_matrix::Matrix;
    let (trace, _) = generate_trace(witnesses, &Address::ZERO)?;
    Ok(trace.height().trailing_zeros() as usize)
}

/// Checks every constraint of the witnesses' trace row by row, without proving: the early,
/// precise diagnosis of an invalid witness (the prover itself does not check; a proof of an
/// invalid witness fails verification).
pub fn check_witnesses(witnesses: &[CheckpointWitness]) -> Result<(), ProofError> {
    let (trace, pv) = generate_trace(witnesses, &Address::ZERO)?;
    match p3_air::check_all_constraints::<Val, TransitionAir>(
        &TransitionAir,
        &trace,
        &pv[..],
        Some(1),
    )
    .failures
    .first()
    {
        Some(failure) => Err(ProofError::Unsatisfied(format!(
            "row {}, constraint #{}",
            failure.row, failure.constraint
        ))),
        None => Ok(()),
    }
}

/// Verifies postcard-encoded proof bytes against public values under `config`.
pub fn verify_trace<SC>(
    config: &SC,
    proof: &[u8],
    pv: &[Val; NUM_PUBLIC_VALUES],
) -> Result<(), ProofError>
where
    SC: StarkGenericConfig<Challenger: GrindingChallenger<Witness = ValOf<SC>>>,
    ValOf<SC>: From<Val>,
    TransitionAir: QuotientAir<SC> + for<'a> Air<VerifierConstraintFolder<'a, SC>>,
    Proof<SC>: for<'de> Deserialize<'de>,
{
    let (proof, rest): (Proof<SC>, _) =
        postcard::take_from_bytes(proof).map_err(|e| ProofError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        // One proof has one encoding: bytes after it are refused, not ignored.
        return Err(ProofError::Malformed(format!(
            "{} trailing bytes after the proof",
            rest.len()
        )));
    }
    let pv: Vec<ValOf<SC>> = pv.iter().map(|v| (*v).into()).collect();
    verify(config, &TransitionAir, &proof, &pv).map_err(|e| ProofError::Rejected(format!("{e:?}")))
}

/// Proves one checkpoint with the checkpoint (Poseidon2) configuration.
pub fn prove_checkpoint(witness: &CheckpointWitness) -> Result<Vec<u8>, ProofError> {
    Ok(prove_trace(
        &config::leaf_config(),
        std::slice::from_ref(witness),
        &Address::ZERO,
    )?
    .0)
}

/// Verifies a checkpoint proof.
pub fn verify_checkpoint(statement: &CheckpointStatement, proof: &[u8]) -> Result<(), ProofError> {
    verify_trace(&config::leaf_config(), proof, &statement.public_values())
}

/// Proves consecutive checkpoints with the epoch (Keccak/EVM) configuration, for `prover`.
pub fn prove_epoch(
    witnesses: &[CheckpointWitness],
    prover: &Address,
) -> Result<Vec<u8>, ProofError> {
    Ok(prove_trace(&config::evm_config(), witnesses, prover)?.0)
}

/// Verifies an epoch proof.
pub fn verify_epoch(statement: &EpochStatement, proof: &[u8]) -> Result<(), ProofError> {
    let pv = statement
        .public_values()
        .ok_or_else(|| ProofError::Statement("an epoch proves at least one checkpoint".into()))?;
    verify_trace(&config::evm_config(), proof, &pv)
}
