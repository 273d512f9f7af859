//! Security levels of a proof, from Plonky3's estimators.

use crate::config::Val;
use p3_air::Air;
use p3_field::coset::TwoAdicMultiplicativeCoset;
use p3_field::{ExtensionField, PrimeCharacteristicRing};
use p3_fri::FriParameters;
use p3_uni_stark::{AirLayout, OpeningShape, StarkSecurityParams, SymbolicAirBuilder};
use serde::Serialize;

/// Collision resistance assumed for Poseidon2 with 8-element (248-bit) digests, in bits.
pub const POSEIDON2_COLLISION_BITS: usize = 124;
/// Collision resistance of Keccak-256, in bits.
pub const KECCAK_COLLISION_BITS: usize = 128;

/// Security of one configuration for one AIR at one trace size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SecurityReport {
    /// FRI alone, ethSTARK conjecture: `log_blowup · queries + query PoW`.
    pub fri_conjectured_bits: usize,
    /// Whole STARK, conjectured (Plonky3 `ConjecturedSecurity`).
    pub conjectured_bits: usize,
    /// Whole STARK, proven (Plonky3 `ProvenSecurity`, list/unique decoding).
    pub proven_bits: usize,
}

/// Security of proving `air` over `2^log_rows` rows with `fri` and challenge field `EF`.
/// `max_combo` is 1 for an AIR that reads only the current row, 2 if it reads the next.
pub fn security_report<EF, A, M>(
    air: &A,
    fri: &FriParameters<M>,
    log_rows: usize,
    collision_bits: usize,
    max_combo: usize,
) -> SecurityReport
where
    EF: ExtensionField<Val>,
    A: Air<SymbolicAirBuilder<Val, EF>>,
{
    let params = StarkSecurityParams::from_air::<Val, EF, A>(
        fri.security_regime(),
        air,
        AirLayout::from_air::<Val>(air),
        TwoAdicMultiplicativeCoset::new(Val::ONE, log_rows)
            .expect("trace size within KoalaBear's two-adicity"),
        EF::bits(),
        collision_bits,
        max_combo,
        OpeningShape::new(),
        fri.grinding_sites(),
    );
    SecurityReport {
        fri_conjectured_bits: fri.conjectured_soundness_bits(),
        conjectured_bits: p3_uni_stark::ConjecturedSecurity::compute_from_params(&params, log_rows)
            .security_bits,
        proven_bits: p3_uni_stark::ProvenSecurity::compute_from_proof(log_rows, &params)
            .security_bits(),
    }
}

/// Security of a checkpoint proof (transition AIR, Poseidon2 configuration) over `2^log_rows`
/// rows. The AIR reads the next row, hence a combination factor of 2.
pub fn checkpoint_security(log_rows: usize) -> SecurityReport {
    security_report::<crate::config::LeafChallenge, _, _>(
        &crate::circuit::TransitionAir,
        &crate::config::leaf_fri_parameters(()),
        log_rows,
        POSEIDON2_COLLISION_BITS,
        2,
    )
}

/// Security of an epoch proof (transition AIR, Keccak configuration) over `2^log_rows` rows.
pub fn epoch_security(log_rows: usize) -> SecurityReport {
    epoch_security_with(crate::config::EVM_FRI, log_rows)
}

/// [`epoch_security`] under another FRI setting.
pub fn epoch_security_with(setting: crate::config::FriSetting, log_rows: usize) -> SecurityReport {
    security_report::<crate::config::EvmChallenge, _, _>(
        &crate::circuit::TransitionAir,
        &crate::config::evm_fri_parameters_with(setting, ()),
        log_rows,
        KECCAK_COLLISION_BITS,
        2,
    )
}

/// Security of a recursion proof (checkpoint leaves made for aggregation, and aggregation
/// proofs) whose tallest table has `2^log_rows` rows, under the recursion FRI parameters.
/// Plonky3's estimators take one AIR: this is the transition AIR's estimate (531 columns,
/// constraint degree 3, reads the next row) at that height, a stand-in for the batch of
/// recursion tables (degree 3 too). The FRI term does not depend on the AIR.
pub fn recursion_security(log_rows: usize) -> SecurityReport {
    security_report::<crate::config::LeafChallenge, _, _>(
        &crate::circuit::TransitionAir,
        &crate::config::recursion_fri_parameters(()),
        log_rows,
        POSEIDON2_COLLISION_BITS,
        2,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_epoch_proof_l1_trusts_has_100_proven_bits() {
        for log_rows in [10, 16, 20] {
            let e = epoch_security(log_rows);
            assert!(e.proven_bits >= 100, "epoch at 2^{log_rows}: {e:?}");
        }
    }

    #[test]
    fn recursion_proofs_reach_100_conjectured_bits() {
        for log_rows in 11..=22 {
            let r = recursion_security(log_rows);
            assert!(
                r.conjectured_bits >= 100,
                "recursion at 2^{log_rows}: {r:?}"
            );
        }
    }

    #[test]
    fn both_transition_configurations_reach_100_conjectured_bits() {
        for log_rows in [10, 16, 20] {
            let (c, e) = (checkpoint_security(log_rows), epoch_security(log_rows));
            assert!(
                c.conjectured_bits >= 100,
                "checkpoint at 2^{log_rows}: {c:?}"
            );
            assert!(e.conjectured_bits >= 100, "epoch at 2^{log_rows}: {e:?}");
        }
    }
}
