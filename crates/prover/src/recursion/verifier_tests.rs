use super::circuit::{Circuit, CircuitBuilder, Ext, PERM_WIDTH, Wire};
use super::gadgets::Digest;
use super::gates::{Gates, Native};
use super::stark::{CircuitKey, CircuitProof};
use super::verifier::{BatchSpec, InputBatchSource, NativeBatchSource, verify_batch};
use crate::config::{Val, leaf_val_mmcs};
use p3_field::PrimeCharacteristicRing;

/// A small inner circuit: public `(a, b)`, input `x`; asserts `x·x = a`, `(x·x)·k = k·(x·x)`
/// with the constant `k`, and exposes a Poseidon2 output as `b`.
fn inner(k: u32) -> (CircuitKey, Vec<Val>, Vec<Ext>) {
    let mut b = CircuitBuilder::new();
    let a = b.public();
    let out = b.public();
    let x = b.input();
    let sq = b.mul(x, x);
    b.assert_eq(sq, a);
    let z = b.zero();
    let mut state = [z; PERM_WIDTH];
    state[0] = x;
    let p = b.permute(state);
    b.assert_eq(p[3], out);
    let coords = b.unpack(sq);
    let back = b.pack(coords);
    let kw = b.constant_base(Val::from_u32(k));
    let t = b.mul(back, kw);
    let t2 = b.scale(sq, Val::from_u32(k));
    b.assert_eq(t, t2);
    let key = CircuitKey::new(b.build()).unwrap();
    let xv = Val::from_u32(12345);
    let mut st = [Val::ZERO; PERM_WIDTH];
    st[0] = xv;
    p3_symmetric::Permutation::permute_mut(&super::poseidon2(), &mut st);
    (key, vec![xv * xv, st[3]], vec![Ext::from(xv)])
}

struct Inner {
    key: CircuitKey,
    spec: BatchSpec,
    publics: Vec<Val>,
    proof: CircuitProof,
}

fn proven_inner() -> Inner {
    proven_inner_with(7)
}

fn proven_inner_with(k: u32) -> Inner {
    let (key, publics, inputs) = inner(k);
    let w = key.circuit().execute(&publics, &inputs).unwrap();
    let proof = key.prove(&w).unwrap();
    key.verify(&proof, &publics).unwrap();
    let spec =
        BatchSpec::new(key.config(), key.tables(), &key.degree_bits(), key.common()).unwrap();
    Inner {
        key,
        spec,
        publics,
        proof,
    }
}

fn instance_publics<W: Copy>(spec: &BatchSpec, publics: &[W]) -> Vec<Vec<W>> {
    spec.public_value_counts()
        .iter()
        .map(|&n| if n == 0 { vec![] } else { publics.to_vec() })
        .collect()
}

/// The reference run: the inputs of the verifying circuit (inner publics, then the proof) and
/// whether every check held.
fn run_native(
    inner: &Inner,
    proof: &CircuitProof,
) -> (Vec<Ext>, Vec<&'static str>, Result<(), String>) {
    let mut g = Native::new();
    let publics: Vec<Ext> = inner.publics.iter().map(|v| Ext::from(*v)).collect();
    let vk: Digest<Ext> = inner.key.preprocessed_commitment().map(Ext::from);
    let mmcs = leaf_val_mmcs();
    let mut src = NativeBatchSource::new(proof, &inner.spec, &mmcs);
    verify_batch(
        &mut g,
        &inner.spec,
        &instance_publics(&inner.spec, &publics),
        Some(&vk),
        &mut src,
    );
    let mut inputs = publics;
    inputs.extend(src.tape());
    let mut labels = vec!["public"; inner.publics.len()];
    labels.extend(src.fri.labels.iter().copied());
    (inputs, labels, g.result())
}

/// The verifying circuit: the inner verifying key is a constant, the inner publics inputs.
fn verifier_circuit(inner: &Inner) -> Circuit {
    let mut b = CircuitBuilder::new();
    let publics: Vec<Wire> = inner.publics.iter().map(|_| b.input()).collect();
    let vk: Digest<Wire> = inner
        .key
        .preprocessed_commitment()
        .map(|v| b.constant_base(v));
    let mut src = InputBatchSource::new(&inner.spec);
    verify_batch(
        &mut b,
        &inner.spec,
        &instance_publics(&inner.spec, &publics),
        Some(&vk),
        &mut src,
    );
    b.build()
}

#[test]
fn a_batch_proof_verifies_in_the_circuit_and_the_circuit_proves() {
    let inner = proven_inner();
    let (inputs, _, result) = run_native(&inner, &inner.proof);
    result.expect("the reference verifier accepts what Plonky3 accepts");
    let c = verifier_circuit(&inner);
    eprintln!("inner heights {:?}", inner.key.heights());
    eprintln!("batch verifier circuit: {:?}", c.size());
    let w = c.execute(&[], &inputs).expect("the circuit accepts it");
    let key = CircuitKey::new(c).unwrap();
    let t = std::time::Instant::now();
    let proof = key.prove(&w).unwrap();
    eprintln!(
        "outer heights {:?}, proved in {:?}",
        key.heights(),
        t.elapsed()
    );
    key.verify(&proof, &[]).unwrap();
}

#[test]
fn the_circuit_refuses_any_changed_proof_value() {
    let inner = proven_inner();
    let (inputs, labels, result) = run_native(&inner, &inner.proof);
    result.unwrap();
    let c = verifier_circuit(&inner);
    let mut kinds: Vec<&str> = labels.clone();
    kinds.dedup();
    kinds.sort();
    kinds.dedup();
    for label in kinds {
        let at: Vec<usize> = (0..labels.len()).filter(|i| labels[*i] == label).collect();
        for i in [at[0], at[at.len() / 2], at[at.len() - 1]] {
            let mut bad = inputs.clone();
            bad[i] += Ext::ONE;
            let err = c.execute(&[], &bad).expect_err(label);
            eprintln!("{label} #{i}: {err}");
        }
    }
}

#[test]
fn a_proof_of_another_circuit_or_statement_is_refused() {
    let inner = proven_inner();
    // Another statement: the same proof against other public values.
    let mut other = proven_inner();
    other.publics[0] += Val::ONE;
    assert!(run_native(&other, &inner.proof).2.is_err());
    // Another circuit of the same shape: a different constant changes the verifying key.
    let other = proven_inner_with(8);
    assert_eq!(other.key.heights(), inner.key.heights(), "same shape");
    assert_ne!(
        other.key.preprocessed_commitment(),
        inner.key.preprocessed_commitment()
    );
    let (inputs, _, result) = run_native(&inner, &other.proof);
    assert!(result.is_err(), "a proof under another verifying key");
    assert!(verifier_circuit(&inner).execute(&[], &inputs).is_err());
}

/// Proves the inner circuit's honest traces after `forge`: a prover that lies in the trace
/// itself (Plonky3's prover does not check the constraints it proves).
fn forged_proof(
    inner: &Inner,
    forge: impl FnOnce(&CircuitKey, &mut [p3_matrix::dense::RowMajorMatrix<Val>]),
) -> CircuitProof {
    let (_, _, inputs) = inner_inputs();
    let w = inner
        .key
        .circuit()
        .execute(&inner.publics, &inputs)
        .unwrap();
    let mut traces = inner.key.traces(&w).unwrap();
    forge(&inner.key, &mut traces);
    inner.key.prove_traces(&traces, &inner.publics).unwrap()
}

fn inner_inputs() -> (CircuitKey, Vec<Val>, Vec<Ext>) {
    inner(7)
}

/// A trace whose ALU relation is false but whose wiring is consistent: Plonky3 refuses it at
/// the out-of-domain check, and so do the reference verifier and the circuit (no grinding or
/// Merkle check can: the proof is well formed).
#[test]
fn a_proof_of_a_false_constraint_is_refused_by_the_constraint_check() {
    let inner = proven_inner();
    let sq = inner.key.circuit().alu[0].out;
    let proof = forged_proof(&inner, |key, traces| {
        super::tests::set_wire(key, traces, sq, Ext::from(Val::from_u32(99)));
    });
    let native = inner
        .key
        .verify(&proof, &inner.publics)
        .unwrap_err()
        .to_string();
    assert!(native.contains("OodEvaluationMismatch"), "{native}");
    let (inputs, _, result) = run_native(&inner, &proof);
    let why = result.unwrap_err();
    assert!(
        why.starts_with("constraints at the out-of-domain point"),
        "{why}"
    );
    let err = verifier_circuit(&inner).execute(&[], &inputs).unwrap_err();
    eprintln!("false constraint: reference: {why}; circuit: {err}");
}

/// A read that misses the witness table: the LogUp terminals no longer sum to zero.
#[test]
fn a_proof_of_an_unbalanced_bus_is_refused_by_the_terminal_sum() {
    let inner = proven_inner();
    let x = inner.key.circuit().inputs[0];
    let proof = forged_proof(&inner, |key, traces| {
        let wt = super::tests::table(key, super::air::TableKind::Witness);
        let width = traces[wt].width;
        traces[wt].values[x.index() * width + 2] += Val::ONE;
    });
    let native = inner
        .key
        .verify(&proof, &inner.publics)
        .unwrap_err()
        .to_string();
    assert!(native.contains("TerminalSumNonZero"), "{native}");
    let (inputs, _, result) = run_native(&inner, &proof);
    let why = result.unwrap_err();
    assert!(why.starts_with("LogUp terminal sum"), "{why}");
    let err = verifier_circuit(&inner).execute(&[], &inputs).unwrap_err();
    eprintln!("unbalanced bus: reference: {why}; circuit: {err}");
}
