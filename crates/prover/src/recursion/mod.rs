//! Recursive verification: circuits over the challenge field, proven by a batch STARK whose
//! tables are joined by a LogUp bus (issue 16, in progress).
//!
//! * [`circuit`] — the circuit model ([`circuit::CircuitBuilder`]) and its execution;
//! * [`air`] — one AIR per gate kind and the witness table;
//! * [`stark`] — trace generation, proving and verification ([`stark::CircuitKey`]).

pub mod aggregate;
pub mod air;
pub mod circuit;
#[cfg(test)]
mod gadget_tests;
pub mod gadgets;
pub mod gates;
pub mod pcs;
#[cfg(test)]
mod pcs_tests;
pub mod stark;
#[cfg(test)]
mod tests;
pub mod verifier;
#[cfg(test)]
mod verifier_tests;

use crate::config::Perm16;

/// The Poseidon2 permutation circuits prove (the one every Vouch commitment hashes with).
pub fn poseidon2() -> Perm16 {
    p3_koala_bear::default_koalabear_poseidon2_16()
}
