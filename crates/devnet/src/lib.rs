//! The local devnet Vouch ships with (`vouch devnet`), and the L1 tools it is made of.
//!
//! * [`AnvilProcess`] spawns the native anvil binary — found at run time through
//!   `$VOUCH_ANVIL`, a checkout's `node_modules/` (installed by
//!   `anvil-scripts/install-toolchain.sh`) or `PATH` — waits until it answers JSON-RPC, and
//!   kills it when dropped, so nothing leaks an L1.
//! * [`L1Control`] drives anvil's dev RPCs: time warps, mining, snapshot/revert and reorgs.
//! * [`devnet::Devnet`] runs anvil, the contracts, the sequencer and the load generator in one
//!   process (the node joins in `vouch devnet`).
//! * [`proposer::DirectProposer`] proposes checkpoints straight to the `Rollup` (no
//!   sequencer), for benches and tests that need exact control of L1.
//!
//! The end-to-end test harness (`vouch-testnet`) builds on this crate; the shipped binary links
//! this one only.

mod anvil;
mod control;
pub mod devnet;
pub mod proposer;

pub use anvil::{AnvilConfig, AnvilError, AnvilProcess, anvil_binary};
pub use control::{L1Control, L1ControlError};
