//! Contract bindings generated from the forge artifacts.
#![allow(missing_docs, clippy::too_many_arguments)]

use alloy::sol;

sol!(
    #[sol(rpc, all_derives)]
    Rollup,
    "artifacts/Rollup.json"
);

sol!(
    #[sol(rpc, all_derives)]
    MockVerifier,
    "artifacts/MockVerifier.json"
);

sol!(
    #[sol(rpc, all_derives)]
    IVerifier,
    "artifacts/IVerifier.json"
);

sol!(
    #[sol(rpc, all_derives)]
    VerifierGateway,
    "artifacts/VerifierGateway.json"
);

sol!(
    #[sol(rpc, all_derives)]
    EpochVerifier,
    "artifacts/EpochVerifier.json"
);

sol!(
    #[sol(rpc, all_derives)]
    EpochConstraints,
    "artifacts/EpochConstraints.json"
);

sol!(
    #[sol(rpc, all_derives)]
    EpochConstraintsData0,
    "artifacts/EpochConstraintsData0.json"
);

sol!(
    #[sol(rpc, all_derives)]
    EpochConstraintsData1,
    "artifacts/EpochConstraintsData1.json"
);

sol!(
    #[sol(rpc, all_derives)]
    EpochConstraintsData2,
    "artifacts/EpochConstraintsData2.json"
);

sol!(
    #[sol(rpc, all_derives)]
    EpochConstraintsData3,
    "artifacts/EpochConstraintsData3.json"
);

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    /// Fails when `artifacts/` no longer matches a fresh `forge build` of `contracts/`.
    #[test]
    fn artifacts_are_fresh() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let status = Command::new("bash")
            .arg(root.join("anvil-scripts/bindings.sh"))
            .arg("--check")
            .status()
            .expect("run anvil-scripts/bindings.sh (needs bash)");
        assert!(
            status.success(),
            "binding artifacts are stale or forge is missing: run anvil-scripts/install-toolchain.sh \
             and anvil-scripts/bindings.sh"
        );
    }
}
