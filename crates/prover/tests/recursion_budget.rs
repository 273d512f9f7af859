//! The budget of a recursive verifier (issue 16): how many Poseidon2 permutations Plonky3's
//! verifier runs to check one real checkpoint proof, split into the transcript (duplex
//! challenger) and the Merkle openings (trace, quotient and FRI commitments). A recursive
//! verifier proves at least these permutations, two per row of a Poseidon2 AIR such as ours,
//! so this bounds the trace of one aggregation step from below.
//!
//! The proof is made with the production checkpoint configuration and verified, byte for byte,
//! under the same configuration whose permutation counts its calls.
//! `cargo test -p vouch-prover --test recursion_budget -- --nocapture` prints the counts.

use p3_challenger::DuplexChallenger;
use p3_commit::ExtensionMmcs;
use p3_field::Field;
use p3_fri::TwoAdicFriPcs;
use p3_koala_bear::default_koalabear_poseidon2_16;
use p3_matrix::Matrix;
use p3_merkle_tree::MerkleTreeMmcs;
use p3_symmetric::{
    CryptographicPermutation, PaddingFreeSponge, Permutation, TruncatedPermutation,
};
use p3_uni_stark::StarkConfig;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use vouch_prover::circuit::generate_trace;
use vouch_prover::config::{Dft, LeafChallenge, Perm16, Val, leaf_fri_parameters};
use vouch_prover::fixture::{FixtureSpec, build};
use vouch_prover::proof::{prove_checkpoint, verify_trace};

/// Poseidon2 that counts its calls (a packed call counts once per lane group, but verifying
/// hashes scalars only).
#[derive(Clone)]
struct Counting {
    inner: Perm16,
    calls: Arc<AtomicUsize>,
}

impl<T: Clone> Permutation<[T; 16]> for Counting
where
    Perm16: Permutation<[T; 16]>,
{
    fn permute_mut(&self, input: &mut [T; 16]) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.permute_mut(input);
    }
}

impl<T: Clone> CryptographicPermutation<[T; 16]> for Counting where
    Perm16: CryptographicPermutation<[T; 16]>
{
}

type Hash = PaddingFreeSponge<Counting, 16, 8, 8>;
type Compress = TruncatedPermutation<Counting, 2, 8, 16>;
type ValMmcs =
    MerkleTreeMmcs<<Val as Field>::Packing, <Val as Field>::Packing, Hash, Compress, 2, 8>;
type ChallengeMmcs = ExtensionMmcs<Val, LeafChallenge, ValMmcs>;
type Challenger = DuplexChallenger<Val, Counting, 16, 8>;
type Pcs = TwoAdicFriPcs<Val, Dft, ValMmcs, ChallengeMmcs>;
type CountingConfig = StarkConfig<Pcs, LeafChallenge, Challenger>;

/// The checkpoint configuration with counting permutations: (config, Merkle calls,
/// transcript calls).
fn counting_config() -> (CountingConfig, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let (merkle, transcript) = (Arc::default(), Arc::<AtomicUsize>::default());
    let perm = |calls: &Arc<AtomicUsize>| Counting {
        inner: default_koalabear_poseidon2_16(),
        calls: calls.clone(),
    };
    let val_mmcs = ValMmcs::new(Hash::new(perm(&merkle)), Compress::new(perm(&merkle)), 0);
    let fri = leaf_fri_parameters(ChallengeMmcs::new(val_mmcs.clone()));
    let config = CountingConfig::new(
        Pcs::new(Dft::default(), val_mmcs, fri),
        Challenger::new(perm(&transcript)),
    );
    (config, merkle, transcript)
}

#[test]
fn permutations_a_recursive_verifier_must_prove_per_checkpoint_proof() {
    // A checkpoint of the gas benchmark's size: 2 blocks of 10 transfers and a deposit each.
    let fx = build(FixtureSpec {
        accounts: 16,
        checkpoints: 1,
        blocks: 2,
        transfers_per_block: 10,
        deposits_per_block: 1,
        seed: 1,
        vary: false,
    });
    let witness = &fx.checkpoints[0];
    let (trace, pv) = generate_trace(core::slice::from_ref(witness), &Default::default()).unwrap();
    let proof = prove_checkpoint(witness).expect("prove");
    let (config, merkle, transcript) = counting_config();
    verify_trace(&config, &proof, &pv).expect("the counting configuration verifies the proof");
    let (merkle, transcript) = (
        merkle.load(Ordering::Relaxed),
        transcript.load(Ordering::Relaxed),
    );
    let queries = 100;
    println!(
        "checkpoint proof: 2^{} rows, {} columns, {} bytes; verifying it runs {} Poseidon2 \
         permutations ({merkle} in Merkle openings, {} per query; {transcript} in the \
         transcript)",
        trace.height().ilog2(),
        vouch_prover::circuit::WIDTH,
        proof.len(),
        merkle + transcript,
        merkle / queries,
    );
    // Every query opens the trace row (531 values: 67 sponge permutations) and its path, and
    // every FRI round: far more than the transcript, and at least a row hash per query.
    assert!(merkle >= queries * vouch_prover::circuit::WIDTH.div_ceil(8));
    assert!(transcript > 0 && transcript < merkle);
}
