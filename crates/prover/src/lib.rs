//! Plonky3 proving for Vouch.
//!
//! Two STARK configurations over KoalaBear (`p3-*` pinned to `=0.9.0-rc.2`), see [`config`]:
//! * [`config::LeafConfig`] — checkpoint proofs: Poseidon2 Merkle commitments and a Poseidon2
//!   duplex challenger, degree-8 extension (a degree-4 one caps the whole-STARK estimate
//!   below 100 bits), FRI blowup 2 (100 queries). Fast to prove. Recursion proofs
//!   ([`config::recursion_config`]) use the same hash, challenger and field with FRI blowup 8
//!   and 28 queries.
//! * [`config::EvmConfig`] — the epoch proof the `Rollup` contract verifies: Keccak-256 Merkle
//!   commitments (`SerializingHasher` leaves, `CompressionFunctionFromHasher` nodes) and a
//!   Keccak hash challenger, degree-8 extension, FRI blowup 8 with 8-way folding, a final
//!   polynomial of 32 coefficients, 55 queries and 20 bits of query proof-of-work.
//!
//! [`security`] reports conjectured and proven security bits of a proof under each
//! configuration with Plonky3's own estimators.
//!
//! [`raw`] proves the plain Poseidon2 permutation AIR (`p3-poseidon2-air`, with the same round
//! constants as the rollup's state tree): the physical bound the state-transition circuit is
//! measured against (`vouch bench prove`).
//!
//! [`recursion`] proves circuits over the challenge field with a batch STARK, runs Plonky3's
//! PCS and batch-STARK verifiers as such circuits, and aggregates checkpoint proofs (and
//! aggregation proofs) into one proof whose statement chains theirs.
//!
//! [`circuit`] is the state-transition AIR of the reference rollup and its trace generator;
//! [`proof`] proves and verifies checkpoints (Poseidon2 configuration) and epochs (Keccak
//! configuration) of it and defines their statements; [`backend`] is the trait the node calls,
//! with a versioned proof envelope; [`fixture`] executes deterministic checkpoints with the
//! real STF for tests and benches.

pub mod backend;
pub mod circuit;
pub mod config;
pub mod evm;
pub mod fixture;
pub mod proof;
pub mod raw;
pub mod recursion;
pub mod security;
