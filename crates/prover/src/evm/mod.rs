//! The epoch proof on the EVM: what the Solidity verifier (`contracts/src/verifier/`) needs
//! from the Rust side — the transcript seeds, the calldata encoding of a proof and its query
//! batches, and the generated constraint evaluation.

pub mod calldata;
pub mod constraints;
pub mod seeds;
