//! Typed numbers and L1 rollup constants shared by every Vouch component.
//!
//! Vouch reasons about four kinds of counters that must never be mixed up: L1 [`Slot`]s,
//! [`EpochNumber`]s, rollup [`CheckpointNumber`]s and L1/L2 [`BlockNumber`]s. Each is a newtype
//! over `u64`, so passing a slot where an epoch is expected is a compile error.
//!
//! [`L1RollupConstants`] carries the timing rules of the `Rollup` contract (genesis time, slot
//! and epoch durations, proof-submission epochs) and the arithmetic the node needs on them:
//! slot of a timestamp, epoch of a slot, the first and last slot of an epoch and an epoch's
//! proof-submission deadline. These functions mirror the contract's views one for one and are
//! checked against them on a live anvil (`testnet/tests/epoch_arithmetic.rs`).
//!
//! Arithmetic that can overflow `u64` returns `Option` (`None` means "beyond any reachable
//! time"), so no helper panics on adversarial constants.

mod constants;
mod numbers;

pub use constants::{InvalidConstants, L1RollupConstants};
pub use numbers::{BlockNumber, CheckpointNumber, EpochNumber, Slot};
