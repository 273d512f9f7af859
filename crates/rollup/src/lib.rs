//! The Vouch reference rollup: what the devnet sequencer runs and the node proves.
//!
//! * **State** ([`state`]): accounts `(owner, balance, nonce)` at the leaves of a depth-32
//!   sparse Merkle tree indexed by [`AccountIndex`], hashed with Poseidon2 over KoalaBear
//!   ([`hash`]). Storage sits behind [`state::VersionedStore`]: every checkpoint writes its
//!   changes under its own version, so the state *before any checkpoint* is readable and a prune
//!   is a rollback. [`state::MemoryStore`] serves tests; `vouch-state-db` is the RocksDB one.
//! * **Transactions** ([`tx`]): signed transfers between existing accounts, and deposits from
//!   the L1 queue (which create the recipient's account on first use).
//! * **State transition** ([`stf`]): applies blocks, enforces every rule, and returns per
//!   transaction the witness a circuit needs (leaves and sibling paths before/after).
//! * **Checkpoints** ([`checkpoint`]): the `propose` calldata format, L2 block headers, the
//!   archive chain and the transaction commitment; [`data`] binds the posted calldata to the
//!   records a proof absorbs.
//!
//! Amounts are whole gwei (`u64`), as on the `Rollup` contract's deposit queue.

pub mod account;
pub mod checkpoint;
pub mod data;
pub mod genesis;
pub mod hash;
pub mod state;
pub mod stf;
pub mod tx;

pub use account::{Account, AccountIndex};
pub use hash::{Digest, F};
