//! Where an aggregation step's proving time goes, span by span (Plonky3's tracing spans):
//! `cargo test -p vouch-prover --test profile_agg -- --ignored --nocapture`.

use alloy::primitives::Address;
use tracing_subscriber::fmt::format::FmtSpan;
use vouch_prover::fixture::{FixtureSpec, build};
use vouch_prover::recursion::aggregate::{
    AggStatement, Aggregator, CheckpointProver, InnerKind, InnerProof,
};
use vouch_rollup::hash::Digest;

#[test]
#[ignore]
fn profile() {
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_span_events(FmtSpan::CLOSE)
        .with_max_level(tracing_subscriber::filter::LevelFilter::DEBUG)
        .with_writer(std::io::stderr)
        .init();
    let fx = build(FixtureSpec {
        accounts: 16,
        checkpoints: 2,
        blocks: 2,
        transfers_per_block: 5,
        deposits_per_block: 1,
        seed: 7,
        vary: false,
    });
    let leaf = CheckpointProver::new(11).unwrap();
    let proofs: Vec<_> = fx
        .checkpoints
        .iter()
        .map(|w| leaf.prove(w).unwrap())
        .collect();
    let agg = Aggregator::new(
        InnerKind::Checkpoint(leaf.spec().clone()),
        InnerKind::Checkpoint(leaf.spec().clone()),
    )
    .unwrap();
    let a = AggStatement::of_checkpoint(&proofs[0].1, Digest::ZERO, Address::ZERO);
    let b = AggStatement::of_checkpoint(&proofs[1].1, a.chain_end, Address::ZERO);
    let joined = a.join(&b, Address::ZERO).unwrap();
    let t = std::time::Instant::now();
    let inputs = agg
        .inputs(
            InnerProof::Checkpoint(&proofs[0].0, &proofs[0].1),
            InnerProof::Checkpoint(&proofs[1].0, &proofs[1].1),
            &joined,
        )
        .unwrap();
    eprintln!("native inputs {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let w = agg
        .circuit()
        .execute(&joined.public_values(), &inputs)
        .unwrap();
    eprintln!("execute {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let traces = agg.key().traces(&w).unwrap();
    eprintln!("traces {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let p = agg
        .key()
        .prove_traces(&traces, &joined.public_values())
        .unwrap();
    eprintln!("prove {:?}", t.elapsed());
    agg.verify(&p, &joined).unwrap();
}
