//! Aggregation over real checkpoint proofs of real STF executions (issue 16).

use alloy::primitives::Address;
use std::time::Instant;
use vouch_prover::fixture::{FixtureSpec, build};
use vouch_prover::recursion::aggregate::{
    AggStatement, Aggregator, CheckpointProver, InnerKind, InnerProof,
};
use vouch_rollup::hash::Digest;

fn fixture(checkpoints: usize) -> vouch_prover::fixture::Fixture {
    build(FixtureSpec {
        accounts: 16,
        checkpoints,
        blocks: 2,
        transfers_per_block: 5,
        deposits_per_block: 1,
        seed: 7,
        vary: false,
    })
}

#[test]
fn two_checkpoint_proofs_aggregate() {
    let fx = fixture(2);
    let t = Instant::now();
    let leaf = CheckpointProver::new(11).unwrap();
    let proofs: Vec<_> = fx
        .checkpoints
        .iter()
        .map(|w| leaf.prove(w).unwrap())
        .collect();
    for (p, s) in &proofs {
        leaf.verify(p, s).unwrap();
    }
    eprintln!("2 leaves proven in {:?}", t.elapsed());
    let t = Instant::now();
    let agg = Aggregator::new(
        InnerKind::Checkpoint(leaf.spec().clone()),
        InnerKind::Checkpoint(leaf.spec().clone()),
    )
    .unwrap();
    eprintln!(
        "aggregator built in {:?}: {:?} {:?}",
        t.elapsed(),
        agg.circuit().size(),
        agg.key().heights()
    );
    let a = AggStatement::of_checkpoint(&proofs[0].1, Digest::ZERO, Address::ZERO);
    let b = AggStatement::of_checkpoint(&proofs[1].1, a.chain_end, Address::ZERO);
    let joined = a.join(&b, Address::ZERO).unwrap();
    let t = Instant::now();
    let proof = agg
        .prove(
            InnerProof::Checkpoint(&proofs[0].0, &proofs[0].1),
            InnerProof::Checkpoint(&proofs[1].0, &proofs[1].1),
            &joined,
        )
        .unwrap();
    eprintln!("aggregation proven in {:?}", t.elapsed());
    agg.verify(&proof, &joined).unwrap();
}
