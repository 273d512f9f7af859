//! The devnet sequencer of the Vouch reference rollup.
//!
//! It accepts signed transfers over JSON-RPC ([`api`]), keeps them in a [`mempool`], and once
//! per L1 slot builds a checkpoint — the queued L1 deposits, then up to
//! `max_txs_per_block` transfers per block — executes it with the rollup's STF, and proposes it
//! to the `Rollup` contract ([`service`]). Only a successful proposal commits the new state (as
//! the checkpoint's version in the RocksDB state store); a failed one returns its transactions
//! to the mempool. When the contract has pruned (or will prune) the pending chain, or an L1
//! reorg removed proposals, the sequencer rolls its state back to L1's tip and re-proposes from
//! there, returning the dropped checkpoints' transactions to the mempool.
//!
//! [`loadgen`] sends a steady rate of valid transfers between the devnet's funded accounts.
//!
//! This is a development sequencer: one process, trusted, restarted only from a fresh data dir.

pub mod api;
pub mod l1;
pub mod loadgen;
pub mod mempool;
pub mod service;

pub use service::{Sequencer, SequencerConfig, SequencerError, SequencerHandle};
