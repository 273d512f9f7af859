//! The plain Poseidon2 permutation AIR: the throughput bound of any circuit built from it.

use crate::config::{self, Val};
use crate::security::{self, SecurityReport};
use p3_air::{Air, DebugConstraintBuilder};
use p3_challenger::GrindingChallenger;
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::{
    GenericPoseidon2LinearLayersKoalaBear, KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS,
    KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16, KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL, KOALABEAR_POSEIDON2_RC_16_INTERNAL,
    KOALABEAR_S_BOX_DEGREE,
};
use p3_matrix::dense::RowMajorMatrix;
use p3_poseidon2_air::{RoundConstants, VectorizedPoseidon2Air, generate_vectorized_trace_rows};
use p3_uni_stark::{
    QuotientAir, StarkGenericConfig, Val as ValOf, VerifierConstraintFolder, prove, verify,
};
use serde::Serialize;
use std::time::Instant;

/// Permutation width.
pub const WIDTH: usize = 16;
/// Full rounds at each end.
pub const HALF_FULL_ROUNDS: usize = KOALABEAR_POSEIDON2_HALF_FULL_ROUNDS;
/// Partial rounds.
pub const PARTIAL_ROUNDS: usize = KOALABEAR_POSEIDON2_PARTIAL_ROUNDS_16;
/// S-box degree (x³; no extra S-box columns).
pub const SBOX_DEGREE: u64 = KOALABEAR_S_BOX_DEGREE;
/// Permutations side by side in one trace row.
pub const PERMS_PER_ROW: usize = 8;

/// Poseidon2 width 16 over KoalaBear, degree-3 S-box constraints, 8 permutations per row.
pub type Poseidon2Air16 = VectorizedPoseidon2Air<
    Val,
    GenericPoseidon2LinearLayersKoalaBear,
    WIDTH,
    SBOX_DEGREE,
    0,
    HALF_FULL_ROUNDS,
    PARTIAL_ROUNDS,
    PERMS_PER_ROW,
>;

/// The round constants of `p3_koala_bear::default_koalabear_poseidon2_16`, which the state
/// tree hashes with, so the AIR proves exactly that permutation.
pub fn round_constants() -> RoundConstants<Val, WIDTH, HALF_FULL_ROUNDS, PARTIAL_ROUNDS> {
    RoundConstants::new(
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL,
        KOALABEAR_POSEIDON2_RC_16_INTERNAL,
        KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    )
}

/// The AIR.
pub fn air() -> Poseidon2Air16 {
    Poseidon2Air16::new(round_constants())
}

/// Trace of the permutations of `inputs` (a power-of-two multiple of [`PERMS_PER_ROW`]).
pub fn trace(inputs: Vec<[Val; WIDTH]>, log_blowup: usize) -> RowMajorMatrix<Val> {
    generate_vectorized_trace_rows::<
        Val,
        GenericPoseidon2LinearLayersKoalaBear,
        WIDTH,
        SBOX_DEGREE,
        0,
        HALF_FULL_ROUNDS,
        PARTIAL_ROUNDS,
        PERMS_PER_ROW,
    >(inputs, &round_constants(), log_blowup)
}

/// Deterministic distinct inputs.
pub fn inputs(count: usize) -> Vec<[Val; WIDTH]> {
    (0..count)
        .map(|i| core::array::from_fn(|j| Val::from_u64((i * WIDTH + j) as u64 * 0x9E37_79B9 + 1)))
        .collect()
}

/// One measured proof.
#[derive(Clone, Debug, Serialize)]
pub struct RawRun {
    /// Configuration name.
    pub config: &'static str,
    /// Permutations proven.
    pub permutations: usize,
    /// log2 of trace rows.
    pub log_rows: usize,
    /// Proving time.
    pub prove_seconds: f64,
    /// Verification time.
    pub verify_ms: f64,
    /// postcard-serialized proof size.
    pub proof_bytes: usize,
    /// Permutations per second.
    pub permutations_per_sec: f64,
    /// Security of this proof.
    pub security: SecurityReport,
}

/// Why a raw proof failed.
#[derive(Debug, thiserror::Error)]
pub enum RawProofError {
    /// Not a power of two multiple of the row width.
    #[error("permutation count {0} must be a power of two of at least {PERMS_PER_ROW}")]
    Count(usize),
    /// Proving failed.
    #[error("proving failed: {0}")]
    Prove(String),
    /// Verification failed.
    #[error("verification failed: {0}")]
    Verify(String),
}

fn run<SC>(
    config: &SC,
    name: &'static str,
    permutations: usize,
    log_blowup: usize,
    security: SecurityReport,
) -> Result<RawRun, RawProofError>
where
    SC: StarkGenericConfig<Challenger: GrindingChallenger<Witness = ValOf<SC>>>,
    ValOf<SC>: Into<Val> + From<Val>,
    Poseidon2Air16: QuotientAir<SC>
        + for<'a> Air<VerifierConstraintFolder<'a, SC>>
        + for<'a> Air<DebugConstraintBuilder<'a, ValOf<SC>>>,
    RowMajorMatrix<Val>: Into<RowMajorMatrix<ValOf<SC>>>,
{
    let air = air();
    let trace = trace(inputs(permutations), log_blowup).into();
    let t = Instant::now();
    let proof =
        prove(config, &air, trace, &[]).map_err(|e| RawProofError::Prove(format!("{e:?}")))?;
    let prove_seconds = t.elapsed().as_secs_f64();
    let proof_bytes = postcard::to_allocvec(&proof)
        .map_err(|e| RawProofError::Prove(e.to_string()))?
        .len();
    let t = Instant::now();
    verify(config, &air, &proof, &[]).map_err(|e| RawProofError::Verify(format!("{e:?}")))?;
    Ok(RawRun {
        config: name,
        permutations,
        log_rows: (permutations / PERMS_PER_ROW).trailing_zeros() as usize,
        prove_seconds,
        verify_ms: t.elapsed().as_secs_f64() * 1e3,
        proof_bytes,
        permutations_per_sec: permutations as f64 / prove_seconds,
        security,
    })
}

fn check_count(permutations: usize) -> Result<usize, RawProofError> {
    if permutations < PERMS_PER_ROW || !permutations.is_power_of_two() {
        return Err(RawProofError::Count(permutations));
    }
    Ok((permutations / PERMS_PER_ROW).trailing_zeros() as usize)
}

/// Proves and verifies `permutations` Poseidon2 permutations with the checkpoint configuration.
pub fn prove_leaf(permutations: usize) -> Result<RawRun, RawProofError> {
    let log_rows = check_count(permutations)?;
    let fri = config::leaf_fri_parameters(());
    let sec = security::security_report::<config::LeafChallenge, _, _>(
        &air(),
        &fri,
        log_rows,
        security::POSEIDON2_COLLISION_BITS,
        1,
    );
    run(
        &config::leaf_config(),
        "leaf-poseidon2",
        permutations,
        fri.log_blowup,
        sec,
    )
}

/// Proves and verifies `permutations` Poseidon2 permutations with the EVM configuration.
pub fn prove_evm(permutations: usize) -> Result<RawRun, RawProofError> {
    let log_rows = check_count(permutations)?;
    let fri = config::evm_fri_parameters(());
    let sec = security::security_report::<config::EvmChallenge, _, _>(
        &air(),
        &fri,
        log_rows,
        security::KECCAK_COLLISION_BITS,
        1,
    );
    run(
        &config::evm_config(),
        "epoch-keccak-evm",
        permutations,
        fri.log_blowup,
        sec,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_symmetric::Permutation;

    #[test]
    fn air_constants_are_the_state_tree_permutation() {
        let input = inputs(PERMS_PER_ROW);
        let first = input[0];
        let t = trace(input, 0);
        let cols_per_perm = t.width / PERMS_PER_ROW;
        let native = p3_koala_bear::default_koalabear_poseidon2_16().permute(first);
        assert_eq!(&t.values[cols_per_perm - WIDTH..cols_per_perm], &native[..]);
    }

    #[test]
    fn both_configurations_prove_and_verify() {
        for run in [prove_leaf(1 << 10).unwrap(), prove_evm(1 << 10).unwrap()] {
            assert!(run.proof_bytes > 0);
            assert!(run.security.conjectured_bits >= 100, "{run:?}");
        }
    }

    #[test]
    fn bad_counts_are_errors() {
        assert!(matches!(prove_leaf(3), Err(RawProofError::Count(3))));
        assert!(matches!(prove_evm(12), Err(RawProofError::Count(12))));
    }
}
