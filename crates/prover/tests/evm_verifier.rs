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
