//! Aggregation over real checkpoint proofs of real STF executions (issue 16): proofs that
//! verify, and every way of fooling an aggregation refused — by the reference verifier (the
//! same code as the circuit, run on values) and by the circuit itself.

use alloy::primitives::Address;
use p3_field::PrimeCharacteristicRing;
use std::sync::OnceLock;
use std::time::Instant;
use vouch_prover::config::{Val, leaf_config};
use vouch_prover::fixture::{FixtureSpec, build};
use vouch_prover::proof::CheckpointStatement;
use vouch_prover::recursion::aggregate::{
    AggStatement, Aggregator, CheckpointProver, InnerKind, InnerProof, LeafProof,
};
use vouch_prover::recursion::circuit::Ext;
use vouch_rollup::hash::Digest;

const LOG_ROWS: usize = 11;

struct Leaves {
    prover: CheckpointProver,
    proofs: Vec<(LeafProof, CheckpointStatement)>,
    agg: Aggregator,
}

/// Four consecutive checkpoints (two blocks of five transfers and a deposit each), proven as
/// leaves, and the leaf-pair aggregation circuit. Built once per test binary.
fn leaves() -> &'static Leaves {
    static LEAVES: OnceLock<Leaves> = OnceLock::new();
    LEAVES.get_or_init(|| {
        let fx = build(FixtureSpec {
            accounts: 16,
            checkpoints: 4,
            blocks: 2,
            transfers_per_block: 5,
            deposits_per_block: 1,
            seed: 7,
            vary: false,
        });
        let prover = CheckpointProver::new(LOG_ROWS).unwrap();
        let proofs: Vec<_> = fx
            .checkpoints
            .iter()
            .map(|w| prover.prove(w).unwrap())
            .collect();
        for (p, s) in &proofs {
            prover.verify(p, s).unwrap();
        }
        let leaf = InnerKind::Checkpoint(prover.spec().clone());
        let agg = Aggregator::new(leaf.clone(), leaf).unwrap();
        Leaves {
            prover,
            proofs,
            agg,
        }
    })
}

fn leaf(i: usize) -> InnerProof<'static> {
    let (p, s) = &leaves().proofs[i];
    InnerProof::Checkpoint(p, s)
}

/// The honest joined statement of checkpoints `i` and `i + 1`, its chain starting at `chain`.
fn joined(i: usize, chain: Digest) -> AggStatement {
    let l = leaves();
    let a = AggStatement::of_checkpoint(&l.proofs[i].1, chain, Address::ZERO);
    let b = AggStatement::of_checkpoint(&l.proofs[i + 1].1, a.chain_end, Address::ZERO);
    a.join(&b, Address::ZERO).unwrap()
}

/// Refused twice: by the reference verifier, and by the circuit on the same inputs.
fn refused(
    agg: &Aggregator,
    left: InnerProof<'_>,
    right: InnerProof<'_>,
    j: &AggStatement,
    what: &str,
    check: &str,
) {
    let (inputs, result) = agg.run(left, right, j).expect(what);
    let why = result.expect_err(what);
    assert!(
        why.starts_with(check),
        "{what}: refused by another check: {why}"
    );
    let err = agg
        .circuit()
        .execute(&j.public_values(), &inputs)
        .expect_err(what);
    eprintln!("{what}: reference: {why}; circuit: {err}");
}

/// Aggregation proofs of checkpoints 0–1 and 2–3 (made once per test binary).
fn pairs() -> &'static [(vouch_prover::recursion::stark::CircuitProof, AggStatement); 2] {
    static PAIRS: OnceLock<[(vouch_prover::recursion::stark::CircuitProof, AggStatement); 2]> =
        OnceLock::new();
    PAIRS.get_or_init(|| {
        let l = leaves();
        eprintln!(
            "leaf-pair circuit: {:?} {:?}",
            l.agg.circuit().size(),
            l.agg.key().heights()
        );
        let j01 = joined(0, Digest::ZERO);
        let j23 = joined(2, j01.chain_end);
        let t = Instant::now();
        let p01 = l.agg.prove(leaf(0), leaf(1), &j01).unwrap();
        eprintln!("aggregation proven in {:?}", t.elapsed());
        let p23 = l.agg.prove(leaf(2), leaf(3), &j23).unwrap();
        [(p01, j01), (p23, j23)]
    })
}

#[test]
fn two_checkpoint_proofs_aggregate_and_the_proof_verifies() {
    let l = leaves();
    let (proof, j) = &pairs()[0];
    let (proof, j) = (proof, *j);
    l.agg.verify(proof, &j).unwrap();
    // The same proof under another joined statement does not verify.
    let mut other = j;
    other.end_root = Digest::ZERO;
    assert!(l.agg.verify(proof, &other).is_err());
    let mut other = j;
    other.prover = Address::repeat_byte(1);
    assert!(l.agg.verify(proof, &other).is_err(), "the prover is bound");
}

#[test]
fn an_aggregation_of_aggregations_verifies() {
    let l = leaves();
    let [(p01, j01), (p23, j23)] = pairs();
    let kind = l.agg.as_inner().unwrap();
    let t = Instant::now();
    let node = Aggregator::new(kind.clone(), kind).unwrap();
    eprintln!(
        "node circuit built in {:?}: {:?} {:?}",
        t.elapsed(),
        node.circuit().size(),
        node.key().heights()
    );
    let j = j01.join(j23, Address::ZERO).unwrap();
    let t = Instant::now();
    let proof = node
        .prove(
            InnerProof::Aggregation(p01, j01),
            InnerProof::Aggregation(p23, j23),
            &j,
        )
        .unwrap();
    eprintln!("aggregation of aggregations proven in {:?}", t.elapsed());
    node.verify(&proof, &j).unwrap();
    assert_eq!(j.chain_start, Digest::ZERO);
    assert_eq!(j.end_root, l.proofs[3].1.checkpoint.state_root);
    // The two halves in the wrong order do not chain.
    let reversed = AggStatement {
        start_root: j23.start_root,
        start_archive: j23.start_archive,
        chain_start: j23.chain_start,
        start_deposits: j23.start_deposits,
        ..*j01
    };
    refused(
        &node,
        InnerProof::Aggregation(p23, j23),
        InnerProof::Aggregation(p01, j01),
        &reversed,
        "reversed halves",
        "the two ranges chain",
    );
    // A leaf-pair proof under another statement than it proves.
    let mut lie = *j23;
    lie.end_root = l.proofs[2].1.checkpoint.state_root;
    let lie_joined = j01.join(&lie, Address::ZERO).unwrap();
    refused(
        &node,
        InnerProof::Aggregation(p01, j01),
        InnerProof::Aggregation(p23, &lie),
        &lie_joined,
        "an inner statement the proof does not prove",
        "FRI query grinding",
    );
}

#[test]
fn statements_that_do_not_chain_are_refused() {
    let l = leaves();
    // Checkpoints 0 and 2: checkpoint 1 is skipped.
    let a = AggStatement::of_checkpoint(&l.proofs[0].1, Digest::ZERO, Address::ZERO);
    let c = AggStatement::of_checkpoint(&l.proofs[2].1, a.chain_end, Address::ZERO);
    let j = AggStatement {
        end_root: c.end_root,
        end_archive: c.end_archive,
        chain_end: c.chain_end,
        end_deposits: c.end_deposits,
        ..a
    };
    refused(
        &l.agg,
        leaf(0),
        leaf(2),
        &j,
        "a gap",
        "the two ranges chain",
    );
    // The right order reversed.
    let b = AggStatement::of_checkpoint(&l.proofs[1].1, Digest::ZERO, Address::ZERO);
    let j = AggStatement {
        end_root: a.end_root,
        end_archive: a.end_archive,
        chain_end: compress_chain(&b.chain_end, &l.proofs[0].1),
        end_deposits: a.end_deposits,
        ..b
    };
    refused(
        &l.agg,
        leaf(1),
        leaf(0),
        &j,
        "reversed order",
        "the two ranges chain",
    );
}

fn compress_chain(chain: &Digest, s: &CheckpointStatement) -> Digest {
    vouch_rollup::checkpoint::chain_checkpoint(chain, &s.checkpoint)
}

#[test]
fn a_wrong_joined_statement_is_refused() {
    let l = leaves();
    let honest = joined(0, Digest::ZERO);
    let mut fields: Vec<(&str, AggStatement)> = Vec::new();
    let flip = |d: &Digest| {
        let mut d = *d;
        d.0[0] += Val::ONE;
        d
    };
    for (name, f) in [
        (
            "start root",
            (|s: &mut AggStatement, d: Digest| s.start_root = d) as fn(&mut AggStatement, Digest),
        ),
        ("start archive", |s, d| s.start_archive = d),
        ("end root", |s, d| s.end_root = d),
        ("end archive", |s, d| s.end_archive = d),
        ("chain start", |s, d| s.chain_start = d),
        ("chain end", |s, d| s.chain_end = d),
        ("start deposits", |s, d| s.start_deposits = d),
        ("end deposits", |s, d| s.end_deposits = d),
    ] {
        let mut s = honest;
        let current = match name {
            "start root" => s.start_root,
            "start archive" => s.start_archive,
            "end root" => s.end_root,
            "end archive" => s.end_archive,
            "chain start" => s.chain_start,
            "chain end" => s.chain_end,
            "start deposits" => s.start_deposits,
            _ => s.end_deposits,
        };
        f(&mut s, flip(&current));
        fields.push((name, s));
    }
    for (name, s) in fields {
        refused(&l.agg, leaf(0), leaf(1), &s, name, "the joined statement");
    }
}

#[test]
fn a_changed_value_in_any_section_of_an_inner_proof_is_refused() {
    let l = leaves();
    let j = joined(0, Digest::ZERO);
    let (p, s) = &l.proofs[0];
    type Tamper = fn(&mut LeafProof);
    // Everything the transcript absorbs moves the query indices, so the 20-bit grinding
    // witness no longer grinds; what it does not absorb meets its own check.
    const GRIND: &str = "FRI query grinding";
    let tampers: [(&str, &str, Tamper); 10] = [
        ("main commitment", GRIND, |p| {
            let mut r = p.commitments.main.roots().to_vec();
            r[0][0] += Val::ONE;
            p.commitments.main = r.into();
        }),
        ("quotient commitment", GRIND, |p| {
            let mut r = p.commitments.quotient_chunks.roots().to_vec();
            r[0][5] += Val::ONE;
            p.commitments.quotient_chunks = r.into();
        }),
        ("trace opening", GRIND, |p| {
            p.opened_values.instances[0].base_opened_values.trace_local[100] += Ext::ONE
        }),
        ("next-row opening", GRIND, |p| {
            p.opened_values.instances[0]
                .base_opened_values
                .trace_next
                .as_mut()
                .unwrap()[7] += Ext::ONE
        }),
        ("quotient opening", GRIND, |p| {
            p.opened_values.instances[0]
                .base_opened_values
                .quotient_chunks[0][3] += Ext::ONE
        }),
        ("FRI folding commitment", GRIND, |p| {
            let mut r = p.opening_proof.commit_phase_commits[2].roots().to_vec();
            r[0][1] += Val::ONE;
            p.opening_proof.commit_phase_commits[2] = r.into();
        }),
        ("FRI final polynomial", GRIND, |p| {
            p.opening_proof.final_poly[0] += Ext::ONE
        }),
        ("FRI grinding witness", GRIND, |p| {
            p.opening_proof.query_pow_witness += Val::ONE
        }),
        (
            "opened trace row",
            "Merkle openings of the committed traces",
            |p| p.opening_proof.input_openings[0].opened_values[3][0][17] += Val::ONE,
        ),
        ("folding sibling", "FRI folding commitments", |p| {
            p.opening_proof.commit_phase_openings[4].sibling_values[9][0] += Ext::ONE
        }),
    ];
    for (what, check, f) in tampers {
        let mut bad: LeafProof = postcard::from_bytes(&postcard::to_allocvec(p).unwrap()).unwrap();
        f(&mut bad);
        assert!(
            l.prover.verify(&bad, s).is_err(),
            "{what}: Plonky3 refuses it too"
        );
        refused(
            &l.agg,
            InnerProof::Checkpoint(&bad, s),
            leaf(1),
            &j,
            what,
            check,
        );
    }
}

#[test]
fn a_proof_of_another_configuration_or_air_is_refused() {
    let l = leaves();
    let j = joined(0, Digest::ZERO);
    // The same checkpoint proven at another height: another shape.
    let fx = build(FixtureSpec {
        accounts: 16,
        checkpoints: 1,
        blocks: 2,
        transfers_per_block: 5,
        deposits_per_block: 1,
        seed: 7,
        vary: false,
    });
    let taller = CheckpointProver::new(LOG_ROWS + 1).unwrap();
    let (p, s) = taller.prove(&fx.checkpoints[0]).unwrap();
    assert_eq!(s, l.proofs[0].1, "the same checkpoint");
    let (inputs, result) = l
        .agg
        .run(InnerProof::Checkpoint(&p, &s), leaf(1), &j)
        .unwrap();
    assert!(result.is_err(), "another height");
    assert!(
        l.agg
            .circuit()
            .execute(&j.public_values(), &inputs)
            .is_err()
    );
    // The node's checkpoint configuration (blowup 2, 100 queries), same AIR and height.
    let other = vouch_prover::recursion::aggregate::prove_leaf_with(
        &leaf_config(),
        LOG_ROWS,
        &fx.checkpoints[0],
    )
    .unwrap();
    let (inputs, result) = l
        .agg
        .run(InnerProof::Checkpoint(&other, &s), leaf(1), &j)
        .unwrap();
    assert!(result.is_err(), "another configuration");
    assert!(
        l.agg
            .circuit()
            .execute(&j.public_values(), &inputs)
            .is_err()
    );
    // A proof offered as an aggregation where this step takes a checkpoint: the step's input
    // kinds (and so their verifying keys) are fixed.
    assert!(
        l.agg
            .run(InnerProof::Aggregation(&l.proofs[0].0, &j), leaf(1), &j)
            .is_err()
    );
}
