//! Harness for end-to-end tests against a real anvil.
//!
//! The L1 tools themselves (anvil as a child process, dev-RPC control, the devnet, the direct
//! proposer) live in `vouch-devnet`, which the shipped binary uses; they are re-exported here
//! so tests import one crate. This crate adds what only tests need: [`wait_until`] (poll a
//! condition with a timeout, never a fixed sleep), [`repo_root`] and
//! [`replay::replay_from_l1`], which re-derives and re-executes the L2 chain from L1 alone.
//!
//! End-to-end tests live in `testnet/tests/`; each starts its own anvil on a free port, so
//! they run in parallel without sharing state.

pub mod harness;
pub mod replay;
mod wait;

pub use vouch_devnet::{
    AnvilConfig, AnvilError, AnvilProcess, L1Control, L1ControlError, anvil_binary, devnet,
    proposer,
};
pub use wait::wait_until;

/// The repository root (where `node_modules/` and `contracts/` live), for tests.
pub fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testnet/ has a parent")
        .to_path_buf()
}
