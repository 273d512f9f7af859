//! The Solidity epoch verifier (`contracts/src/verifier/EpochVerifier.sol`) against Plonky3.

mod common;

use common::check_rendered;

#[test]
fn verifier_params_are_fresh() {
    check_rendered(
        "src/verifier/generated/EpochVerifierParams.sol",
        "evm_verifier",
        &vouch_prover::evm::seeds::render_params_sol(),
    );
}

/// The Solidity verifier's hand-written constants follow the AIR, the statement and the FRI
/// setting it verifies (a changed AIR width or query count fails here, not on anvil).
#[test]
fn verifier_constants_follow_the_air_and_fri() {
    use vouch_prover::circuit::{NUM_PUBLIC_VALUES, WIDTH};
    use vouch_prover::config::EVM_FRI;
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/src/verifier/EpochVerifier.sol");
    let sol = std::fs::read_to_string(&path).unwrap();
    let seeds = vouch_prover::evm::seeds::seeds(10);
    for (name, value) in [
        ("WIDTH", WIDTH),
        ("NUM_PV", NUM_PUBLIC_VALUES),
        ("NUM_QUERIES", EVM_FRI.num_queries),
        ("POW_BITS", EVM_FRI.query_pow_bits),
        ("LOG_BLOWUP", EVM_FRI.log_blowup),
        ("STARK_SEED_BYTES", 4 * seeds.stark.len()),
        ("PCS_SEED_BYTES", 4 * seeds.pcs.len()),
    ] {
        let line = format!("uint256 internal constant {name} = {value};");
        assert!(
            sol.contains(&line),
            "EpochVerifier.sol does not declare `{line}`"
        );
    }
}
