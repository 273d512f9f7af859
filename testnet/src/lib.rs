//! Harness for running Vouch against a real anvil.
//!
//! * [`AnvilProcess`] spawns the repo's native anvil binary (installed by
//!   `anvil-scripts/install-toolchain.sh`), waits until it answers JSON-RPC, and kills it when
//!   dropped, so a test or `vouch devnet` never leaks an L1.
//! * [`L1Control`] drives anvil's dev RPCs: time warps, mining, snapshot/revert and reorgs.
//! * [`devnet::Devnet`] runs anvil, the contracts, the sequencer and the load generator in one
//!   process (what `vouch devnet` shows); [`replay::replay_from_l1`] re-derives and
//!   re-executes the L2 chain from L1 alone.
//!
//! End-to-end tests live in `testnet/tests/`; each starts its own anvil on a free port, so
//! they run in parallel without sharing state.

mod anvil;
mod control;
pub mod devnet;
pub mod proposer;
pub mod replay;
mod wait;

pub use anvil::{AnvilConfig, AnvilError, AnvilProcess, anvil_binary, repo_root};
pub use control::{L1Control, L1ControlError};
pub use wait::wait_until;
