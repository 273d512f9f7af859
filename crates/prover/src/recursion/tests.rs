use super::air::TableKind;
use super::circuit::{CircuitBuilder, CircuitError, D, Ext, PERM_WIDTH, Wire};
use super::gates::Gates;
use super::poseidon2;
use super::stark::CircuitKey;
use crate::config::Val;
use p3_field::{BasedVectorSpace, PrimeCharacteristicRing};
use p3_matrix::dense::RowMajorMatrix;
use p3_symmetric::Permutation;

fn ext(seed: u32) -> Ext {
    Ext::from_basis_coefficients_fn(|i| {
        Val::from_u32(seed.wrapping_mul(0x9E37_79B9) ^ (i as u32 * 77 + 5))
    })
}

/// A circuit touching every gate: publics `(p0, p1)`, inputs `(x, y)`;
/// `z = x·y + p0`, `t = z/x`, one permutation of `(p0, p1, 0…)`, the unpacked coordinates of
/// `z` re-packed, and `t·x = z` asserted. Public `p2` must equal the permutation's first output.
struct Sample {
    key: CircuitKey,
    perm_out: Wire,
}

fn sample() -> Sample {
    let mut b = CircuitBuilder::new();
    let p0 = b.public();
    let p1 = b.public();
    let p2 = b.public();
    let x = b.input();
    let y = b.input();
    let z = b.mul_add(x, y, p0);
    let t = b.div(z, x);
    let back = b.mul(t, x);
    b.assert_eq(back, z);
    let coords = b.unpack(z);
    let again = b.pack(coords);
    b.assert_eq(again, z);
    let zero = b.zero();
    let mut state = [zero; PERM_WIDTH];
    state[0] = p0;
    state[1] = p1;
    let out = b.permute(state);
    b.assert_eq(out[0], p2);
    let k = b.constant(ext(9));
    let s = b.scale_add(k, Val::from_u32(3), t);
    b.assert_bool(b.one());
    let _ = s;
    Sample {
        key: CircuitKey::new(b.build()).expect("key"),
        perm_out: out[0],
    }
}

fn publics() -> Vec<Val> {
    let (p0, p1) = (Val::from_u32(11), Val::from_u32(22));
    let mut state = [Val::ZERO; PERM_WIDTH];
    state[0] = p0;
    state[1] = p1;
    poseidon2().permute_mut(&mut state);
    vec![p0, p1, state[0]]
}

#[test]
fn a_satisfied_circuit_proves_and_verifies() {
    let s = sample();
    let pv = publics();
    let w = s
        .key
        .circuit()
        .execute(&pv, &[ext(1), ext(2)])
        .expect("satisfied");
    assert_eq!(w.value(s.perm_out), Ext::from(pv[2]));
    let proof = s.key.prove(&w).expect("prove");
    s.key.verify(&proof, &pv).expect("verify");

    // The same proof under other public values fails.
    let mut other = pv.clone();
    other[1] += Val::ONE;
    assert!(s.key.verify(&proof, &other).is_err());
}

#[test]
fn execution_reports_the_broken_gate() {
    let s = sample();
    let mut pv = publics();
    pv[2] += Val::ONE;
    let err = s.key.circuit().execute(&pv, &[ext(1), ext(2)]).unwrap_err();
    assert!(
        matches!(err, CircuitError::Unsatisfied { gate: "alu", .. }),
        "{err}"
    );
    // x = 0 has no inverse.
    let err = s
        .key
        .circuit()
        .execute(&publics(), &[Ext::ZERO, ext(2)])
        .unwrap_err();
    assert!(
        matches!(err, CircuitError::Unsatisfied { gate: "alu", .. }),
        "{err}"
    );
    let err = s.key.circuit().execute(&publics(), &[ext(1)]).unwrap_err();
    assert!(
        matches!(err, CircuitError::Arity { what: "inputs", .. }),
        "{err}"
    );
}

pub(super) fn table(key: &CircuitKey, kind: TableKind) -> usize {
    key.heights()
        .iter()
        .position(|(k, _)| *k == kind)
        .expect("kind")
}

/// Sets `wire` to `v` everywhere the traces hold it: the witness table and every gate row
/// reading it. The bus still balances, so only the relations of the gates touching `wire`
/// can catch the change.
pub(super) fn set_wire(key: &CircuitKey, traces: &mut [RowMajorMatrix<Val>], wire: Wire, v: Ext) {
    let c = key.circuit();
    let coords = super::circuit::coords(&v);
    let mut put = |t: TableKind, row: usize, col: usize, vals: &[Val]| {
        let m = &mut traces[table(key, t)];
        let w = m.width;
        m.values[row * w + col..row * w + col + vals.len()].copy_from_slice(vals);
    };
    put(TableKind::Witness, wire.index(), 1, coords);
    for (i, p) in c.publics.iter().enumerate() {
        if *p == wire {
            put(TableKind::Public, i, 0, &coords[..1]);
        }
    }
    for (i, g) in c.alu.iter().enumerate() {
        for (slot, x) in [g.a, g.b, g.c, g.out].into_iter().enumerate() {
            if x == wire {
                put(TableKind::Alu, i, slot * D, coords);
            }
        }
    }
    let perm_cols = super::air::PERM_TABLE_COLS;
    for (i, g) in c.perm.iter().enumerate() {
        for j in 0..PERM_WIDTH {
            if g.input[j] == wire {
                put(TableKind::Perm, i, j, &coords[..1]);
            }
            if g.output[j] == wire {
                put(TableKind::Perm, i, perm_cols - PERM_WIDTH + j, &coords[..1]);
            }
        }
        if g.swap == wire {
            put(TableKind::Perm, i, PERM_WIDTH, &coords[..1]);
        }
    }
    for (i, g) in c.pack.iter().enumerate() {
        if g.ext == wire {
            put(TableKind::Pack, i, 0, coords);
        }
        for j in 0..D {
            if g.coords[j] == wire {
                put(TableKind::Pack, i, j, &coords[..1]);
            }
        }
    }
}

fn rejected(key: &CircuitKey, traces: &[RowMajorMatrix<Val>], pv: &[Val]) -> bool {
    match key.prove_traces(traces, pv) {
        Err(e) => {
            eprintln!("rejected while proving: {e}");
            true
        }
        Ok(p) => key
            .verify(&p, pv)
            .inspect_err(|e| eprintln!("rejected: {e}"))
            .is_err(),
    }
}

#[test]
fn the_forging_helper_leaves_an_honest_witness_honest() {
    let s = sample();
    let pv = publics();
    let w = s.key.circuit().execute(&pv, &[ext(1), ext(2)]).unwrap();
    let mut traces = s.key.traces(&w).unwrap();
    for wire in [
        s.perm_out,
        s.key.circuit().inputs[0],
        s.key.circuit().alu[3].out,
    ] {
        set_wire(&s.key, &mut traces, wire, w.value(wire));
    }
    assert!(!rejected(&s.key, &traces, &pv));
}

#[test]
fn a_false_alu_relation_with_consistent_wiring_is_rejected() {
    let s = sample();
    let pv = publics();
    let w = s.key.circuit().execute(&pv, &[ext(1), ext(2)]).unwrap();
    let mut traces = s.key.traces(&w).unwrap();
    // `z = x·y + p0` claimed as something else, everywhere `z` is read.
    let z = s.key.circuit().alu[0].out;
    set_wire(&s.key, &mut traces, z, ext(77));
    assert!(
        rejected(&s.key, &traces, &pv),
        "a false ALU row must not verify"
    );
}

#[test]
fn a_read_that_disagrees_with_the_witness_table_is_rejected() {
    let s = sample();
    let pv = publics();
    let w = s.key.circuit().execute(&pv, &[ext(1), ext(2)]).unwrap();
    let mut traces = s.key.traces(&w).unwrap();
    // One wire's value changed in the witness table only: every read of it now misses.
    let wt = table(&s.key, TableKind::Witness);
    let width = traces[wt].width;
    let x = s.key.circuit().inputs[0];
    traces[wt].values[x.index() * width + 1] += Val::ONE;
    assert!(rejected(&s.key, &traces, &pv));
}

#[test]
fn a_false_permutation_output_is_rejected() {
    let s = sample();
    let mut pv = publics();
    let w = s.key.circuit().execute(&pv, &[ext(1), ext(2)]).unwrap();
    let mut traces = s.key.traces(&w).unwrap();
    // Claim another first output and make the public value agree: only the Poseidon2 round
    // constraints are left to catch it.
    pv[2] += Val::ONE;
    let forged = Ext::from(pv[2]);
    set_wire(&s.key, &mut traces, s.perm_out, forged);
    set_wire(&s.key, &mut traces, s.key.circuit().publics[2], forged);
    assert!(rejected(&s.key, &traces, &pv));
}

#[test]
fn a_false_pack_is_rejected() {
    let s = sample();
    let pv = publics();
    let w = s.key.circuit().execute(&pv, &[ext(1), ext(2)]).unwrap();
    let mut traces = s.key.traces(&w).unwrap();
    // A coordinate of the unpacked `z` changed: the pack row reads `z` whole and the
    // coordinate separately, so the two reads cannot both match.
    let g = s.key.circuit().pack[0];
    let c0 = w.value(g.coords[0]) + Ext::ONE;
    set_wire(&s.key, &mut traces, g.coords[0], c0);
    assert!(rejected(&s.key, &traces, &pv));
}

#[test]
fn a_swap_bit_that_disagrees_with_the_permuted_order_is_rejected() {
    // Two Merkle-style permutations, one swapped; then claim the swapped one did not swap.
    let mut b = CircuitBuilder::new();
    let x = b.input();
    let bit = b.input();
    b.assert_bool(bit);
    let z = b.zero();
    let mut state = [z; PERM_WIDTH];
    state[0] = x;
    let out = b.permute_swapped(bit, state);
    let y = b.public();
    b.assert_eq(out[0], y);
    let key = CircuitKey::new(b.build()).unwrap();
    let mut native = [Val::ZERO; PERM_WIDTH];
    native[8] = Val::from_u32(5);
    poseidon2().permute_mut(&mut native);
    let pv = vec![native[0]];
    let w = key
        .circuit()
        .execute(&pv, &[Ext::from(Val::from_u32(5)), Ext::ONE])
        .unwrap();
    let mut traces = key.traces(&w).unwrap();
    assert!(!rejected(&key, &traces, &pv));
    // The permutation columns stay those of the swapped input; only the bit changes (the
    // ALU booleanity gate still holds for 0).
    set_wire(&key, &mut traces, bit, Ext::ZERO);
    assert!(rejected(&key, &traces, &pv));
}
