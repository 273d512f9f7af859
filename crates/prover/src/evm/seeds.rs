//! The domain-separation seeds Plonky3 0.9 absorbs at the start of each of the epoch proof's
//! three transcript layers (uni-stark, PCS, FRI), and the FRI folding schedule.
//!
//! The seeds are constants of the AIR's shape and the FRI parameters, and the uni-stark and
//! FRI seeds also depend on `degree_bits`. They are taken from Plonky3's own shape types here,
//! so the Solidity verifier never re-derives the pattern hashes: it receives the seed bytes in
//! calldata and checks them against `keccak256` constants generated from this module
//! (`contracts/src/verifier/generated/EpochVerifierParams.sol`).

use crate::circuit::TransitionAir;
use crate::config::{EvmChallenge, Val, evm_fri_parameters};
use p3_challenger::CanObserve;
use p3_field::PrimeField32;

/// Query indices drawn by FRI.
pub const NUM_QUERIES: usize = 43;
/// Proof-of-work bits before the query indices.
pub const QUERY_POW_BITS: usize = 20;
/// Log of the LDE blowup.
pub const LOG_BLOWUP: usize = 3;
/// Coefficients of FRI's final polynomial.
pub const FINAL_POLY_LEN: usize = 32;
/// Log of the codeword height FRI folds down to (`log_blowup + log_final_poly_len`).
pub const LOG_FINAL_HEIGHT: usize = 8;
/// Largest log-arity of one folding round.
pub const MAX_LOG_ARITY: usize = 3;
/// Quotient chunks of the AIR (its constraint degree is 3).
pub const NUM_QUOTIENT_CHUNKS: usize = 2;
/// Smallest `degree_bits` Plonky3 proves with these parameters (the LDE must exceed the final
/// height).
pub const MIN_DEGREE_BITS: usize = 6;
/// Largest `degree_bits` (KoalaBear's two-adicity 24 minus the blowup).
pub const MAX_DEGREE_BITS: usize = 21;

/// Log-arities of FRI's commit rounds for a trace of `2^degree_bits` rows.
pub fn fold_schedule(degree_bits: usize) -> Vec<usize> {
    p3_fri::fold_schedule(&[degree_bits + LOG_BLOWUP], LOG_FINAL_HEIGHT, MAX_LOG_ARITY)
}

/// The field elements each layer absorbs first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seeds {
    /// Uni-stark layer.
    pub stark: Vec<Val>,
    /// PCS layer.
    pub pcs: Vec<Val>,
    /// FRI layer.
    pub fri: Vec<Val>,
}

#[derive(Default)]
struct Recorder(Vec<Val>);

impl CanObserve<Val> for Recorder {
    fn observe(&mut self, value: Val) {
        self.0.push(value);
    }
}

/// The seeds of an epoch proof over `2^degree_bits` rows.
pub fn seeds(degree_bits: usize) -> Seeds {
    let air = TransitionAir;
    let stark = p3_uni_stark::StarkShape::new::<Val, _>(
        &air,
        0,
        degree_bits,
        degree_bits,
        NUM_QUOTIENT_CHUNKS,
        false,
        0,
    );
    let mut s = Recorder::default();
    stark.domain_separator::<Val, EvmChallenge>().seed(&mut s);
    let width = p3_air::BaseAir::<Val>::width(&air);
    let mut counts = vec![vec![vec![width, width]]];
    counts.push((0..NUM_QUOTIENT_CHUNKS).map(|_| vec![8usize]).collect());
    let pcs = p3_fri::PcsShape {
        claimed_evaluation_counts: counts,
        batch_pow_bits: 0,
    };
    let mut p = Recorder::default();
    pcs.domain_separator::<Val, EvmChallenge>().seed(&mut p);
    let h = degree_bits + LOG_BLOWUP;
    let fri = p3_fri::FriShape::new(&evm_fri_parameters(()), &[h], h);
    let mut f = Recorder::default();
    fri.domain_separator::<Val, EvmChallenge>().seed(&mut f);
    Seeds {
        stark: s.0,
        pcs: p.0,
        fri: f.0,
    }
}

/// `v·2^32 mod p`, the Montgomery form Plonky3 serializes.
pub fn monty(v: Val) -> u32 {
    ((u64::from(v.as_canonical_u32()) << 32) % u64::from(Val::ORDER_U32)) as u32
}

/// Field elements as Plonky3 absorbs and hashes them: Montgomery form, 4 bytes little-endian.
pub fn monty_le(values: &[Val]) -> Vec<u8> {
    values
        .iter()
        .flat_map(|v| monty(*v).to_le_bytes())
        .collect()
}

impl Seeds {
    /// `stark ‖ pcs ‖ fri`, each as [`monty_le`]: the bytes the verifier absorbs and hashes.
    pub fn blob(&self) -> Vec<u8> {
        let mut out = monty_le(&self.stark);
        out.extend(monty_le(&self.pcs));
        out.extend(monty_le(&self.fri));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_cover_the_folding_height() {
        for db in MIN_DEGREE_BITS..=MAX_DEGREE_BITS {
            let s = fold_schedule(db);
            assert_eq!(s.iter().sum::<usize>(), db + LOG_BLOWUP - LOG_FINAL_HEIGHT);
            assert!(s.iter().all(|&k| (1..=MAX_LOG_ARITY).contains(&k)));
        }
        assert_eq!(fold_schedule(11), vec![3, 3]);
        assert_eq!(fold_schedule(12), vec![3, 3, 1]);
    }

    #[test]
    fn seed_lengths_match_the_notes() {
        let s = seeds(11);
        assert_eq!(s.stark.len() * 4, 268);
        assert_eq!(s.pcs.len() * 4, 236);
        assert_eq!(s.fri.len() * 4, 204);
        assert_ne!(seeds(11).stark, seeds(12).stark);
        assert_eq!(seeds(11).pcs, seeds(12).pcs);
    }
}

/// `contracts/src/verifier/generated/EpochVerifierParams.sol`: `keccak256` of the seed blob
/// ([`Seeds::blob`]) for every supported `degree_bits`, so the verifier accepts exactly
/// Plonky3's seeds. Checked against the file by `tests/evm_verifier.rs`.
pub fn render_params_sol() -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    s.push_str("// SPDX-License-Identifier: Apache-2.0\n");
    s.push_str("// GENERATED by vouch_prover::evm::seeds::render_params_sol (`VOUCH_REGENERATE=1 cargo test -p vouch-prover --test evm_verifier`). Do not edit.\n");
    s.push_str("pragma solidity ^0.8.28;\n\n");
    s.push_str("/// @notice Constants of the epoch proof's transcript taken from Plonky3 0.9.0-rc.2: the\n");
    s.push_str("///         hash of the domain-separation seeds (uni-stark ‖ PCS ‖ FRI, as absorbed) per\n");
    s.push_str("///         `degree_bits`.\n");
    s.push_str("library EpochVerifierParams {\n");
    s.push_str("    /// @notice `keccak256` of the seeds for `degreeBits`; zero when unsupported.\n");
    s.push_str("    function seedHash(uint256 degreeBits) internal pure returns (bytes32) {\n");
    for db in MIN_DEGREE_BITS..=MAX_DEGREE_BITS {
        let h = alloy::primitives::keccak256(seeds(db).blob());
        writeln!(s, "        if (degreeBits == {db}) return {h};").unwrap();
    }
    s.push_str("        return bytes32(0);\n    }\n}\n");
    s
}
