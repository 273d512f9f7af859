use super::circuit::{CircuitBuilder, Ext, Wire};
use super::gadgets::{CircuitChallenger, Digest};
use super::gates::{Gates, Native};
use super::pcs::{
    BatchClaim, ClaimShape, FriSettings, InputFriSource, MatrixClaim, MatrixShape, NativeFriProof,
    NativeFriSource, verify_pcs,
};
use super::poseidon2;
use super::stark::CircuitKey;
use crate::config::{LeafChallenger, Val, leaf_val_mmcs, recursion_fri_parameters};
use p3_challenger::{CanObserve, CanSample};
use p3_commit::{CommitmentOpening, MatrixOpening, OpeningRequest, Pcs, PointOpening};
use p3_field::PrimeCharacteristicRing;
use p3_matrix::dense::RowMajorMatrix;
use p3_uni_stark::StarkGenericConfig;

type Commitment = <crate::config::LeafPcs as Pcs<Ext, LeafChallenger>>::Commitment;

fn shape() -> ClaimShape {
    let m = |log_degree, width, points| MatrixShape {
        log_degree,
        width,
        points,
    };
    ClaimShape {
        batches: vec![vec![m(5, 3, 2), m(3, 5, 1)], vec![m(4, 2, 1)]],
    }
}

fn settings(pow_bits: usize) -> FriSettings {
    let mut params = recursion_fri_parameters(());
    params.query_proof_of_work_bits = pow_bits;
    FriSettings::of(&params).unwrap()
}

fn config(pow_bits: usize) -> crate::config::LeafConfig {
    crate::config::poseidon2_config(|mmcs| {
        let mut params = recursion_fri_parameters(mmcs);
        params.query_proof_of_work_bits = pow_bits;
        params
    })
}

const POW: usize = 16;

/// A real opening of two commitments (three matrices, two heights in one commitment, one
/// matrix at two points), made and checked by Plonky3's own PCS.
struct Opening {
    pow_bits: usize,
    commitments: Vec<Commitment>,
    /// Per commitment, per matrix, per point: the values.
    values: Vec<Vec<Vec<Vec<Ext>>>>,
    proof: NativeFriProof,
}

fn points_of(ch: &mut LeafChallenger) -> [Ext; 3] {
    std::array::from_fn(|_| CanSample::<Ext>::sample(ch))
}

fn opening(pow_bits: usize) -> Opening {
    let config = config(pow_bits);
    let pcs = config.pcs();
    let s = shape();
    let mut seed = 1u32;
    let mut commitments = Vec::new();
    let mut data = Vec::new();
    for ms in &s.batches {
        let mats = ms.iter().map(|m| {
            let n = (1usize << m.log_degree) * m.width;
            let values = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(0x9E37_79B9).wrapping_add(7);
                    Val::from_u32(seed >> 2)
                })
                .collect();
            let domain =
                <_ as Pcs<Ext, LeafChallenger>>::natural_domain_for_degree(pcs, 1 << m.log_degree);
            (domain, RowMajorMatrix::new(values, m.width))
        });
        let (c, d) =
            <_ as Pcs<Ext, LeafChallenger>>::commit(pcs, mats.collect::<Vec<_>>()).unwrap();
        commitments.push(c);
        data.push(d);
    }
    let mut ch = LeafChallenger::new(poseidon2());
    commitments.iter().for_each(|c| ch.observe(c.clone()));
    let [z1, z2, z3] = points_of(&mut ch);
    let requests = vec![
        OpeningRequest {
            prover_data: &data[0],
            points: vec![vec![z1, z2], vec![z1]],
        },
        OpeningRequest {
            prover_data: &data[1],
            points: vec![vec![z3]],
        },
    ];
    let (values, proof) = pcs.open(requests, &mut ch).unwrap();
    let opening = Opening {
        pow_bits,
        commitments,
        values,
        proof,
    };
    native_verify(&opening).expect("Plonky3 accepts its own opening");
    opening
}

fn claims_of(
    o: &Opening,
) -> Vec<CommitmentOpening<Ext, Commitment, p3_field::coset::TwoAdicMultiplicativeCoset<Val>>> {
    let config = config(o.pow_bits);
    let pcs = config.pcs();
    let mut ch = LeafChallenger::new(poseidon2());
    o.commitments.iter().for_each(|c| ch.observe(c.clone()));
    let zs = points_of(&mut ch);
    let pts = [vec![zs[0], zs[1]], vec![zs[0]], vec![zs[2]]];
    let s = shape();
    let mut k = 0;
    s.batches
        .iter()
        .enumerate()
        .map(|(bi, ms)| CommitmentOpening {
            commitment: o.commitments[bi].clone(),
            matrices: ms
                .iter()
                .enumerate()
                .map(|(mi, m)| {
                    let points = pts[k].clone();
                    k += 1;
                    MatrixOpening {
                        domain: <_ as Pcs<Ext, LeafChallenger>>::natural_domain_for_degree(
                            pcs,
                            1 << m.log_degree,
                        ),
                        points: points
                            .into_iter()
                            .zip(&o.values[bi][mi])
                            .map(|(point, values)| PointOpening {
                                point,
                                values: values.clone(),
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect()
}

fn native_verify(o: &Opening) -> Result<(), String> {
    let config = config(o.pow_bits);
    let mut ch = LeafChallenger::new(poseidon2());
    o.commitments.iter().for_each(|c| ch.observe(c.clone()));
    let _ = points_of(&mut ch);
    config
        .pcs()
        .verify(claims_of(o), &o.proof, &mut ch)
        .map_err(|e| format!("{e:?}"))
}

/// The test's own statement: commitments observed, three points drawn, values claimed.
fn statement<G: Gates>(
    g: &mut G,
    commitments: Vec<Digest<G::W>>,
    values: &[Vec<Vec<Vec<G::W>>>],
) -> (CircuitChallenger<G::W>, Vec<BatchClaim<G::W>>) {
    let mut ch = CircuitChallenger::new(g);
    for c in &commitments {
        ch.observe_all(g, c);
    }
    let zs: Vec<G::W> = (0..3).map(|_| ch.sample_ext(g)).collect();
    let pts = [vec![zs[0], zs[1]], vec![zs[0]], vec![zs[2]]];
    let mut k = 0;
    let claims = commitments
        .into_iter()
        .zip(values)
        .map(|(commitment, ms)| BatchClaim {
            commitment,
            matrices: ms
                .iter()
                .map(|points| {
                    let claim = MatrixClaim {
                        openings: pts[k].iter().copied().zip(points.iter().cloned()).collect(),
                    };
                    k += 1;
                    claim
                })
                .collect(),
        })
        .collect();
    (ch, claims)
}

/// Runs the generic verifier natively: the circuit's inputs in reading order (with what each
/// proof value is), and whether every check held.
struct NativeRun {
    inputs: Vec<Ext>,
    labels: Vec<&'static str>,
    result: Result<(), String>,
}

fn run_native(o: &Opening) -> NativeRun {
    let mut g = Native::new();
    let commitments: Vec<Digest<Ext>> = o
        .commitments
        .iter()
        .map(|c| std::array::from_fn(|i| Ext::from(c.roots()[0][i])))
        .collect();
    let mut inputs: Vec<Ext> = commitments.iter().flatten().copied().collect();
    inputs.extend(o.values.iter().flatten().flatten().flatten().copied());
    let mut labels = vec!["statement"; inputs.len()];
    let (mut ch, claims) = statement(&mut g, commitments, &o.values);
    let (s, st) = (shape(), settings(o.pow_bits));
    let mmcs = leaf_val_mmcs();
    let mut src = NativeFriSource::new(&o.proof, &mmcs, &st, &s);
    verify_pcs(&mut g, &mut ch, &st, &s, &claims, &mut src);
    inputs.extend(src.tape);
    labels.extend(src.labels);
    NativeRun {
        inputs,
        labels,
        result: g.result(),
    }
}

fn circuit(pow_bits: usize) -> super::circuit::Circuit {
    let mut b = CircuitBuilder::new();
    let s = shape();
    let commitments: Vec<Digest<Wire>> =
        (0..2).map(|_| std::array::from_fn(|_| b.input())).collect();
    let values: Vec<Vec<Vec<Vec<Wire>>>> = s
        .batches
        .iter()
        .map(|ms| {
            ms.iter()
                .map(|m| {
                    (0..m.points)
                        .map(|_| (0..m.width).map(|_| b.input()).collect())
                        .collect()
                })
                .collect()
        })
        .collect();
    let (mut ch, claims) = statement(&mut b, commitments, &values);
    let st = settings(pow_bits);
    let mut src = InputFriSource::new(&st, &s);
    verify_pcs(&mut b, &mut ch, &st, &s, &claims, &mut src);
    b.build()
}

#[test]
fn the_circuit_accepts_a_real_opening_and_proves_it() {
    let o = opening(POW);
    let run = run_native(&o);
    run.result
        .expect("the reference verifier accepts what Plonky3 accepts");
    let c = circuit(POW);
    eprintln!("PCS verifier circuit: {:?}", c.size());
    let w = c
        .execute(&[], &run.inputs)
        .expect("the circuit accepts it too");
    let key = CircuitKey::new(c).unwrap();
    let proof = key.prove(&w).unwrap();
    key.verify(&proof, &[]).unwrap();
}

/// Tampered proofs are refused by Plonky3 and by the reference verifier alike.
#[test]
fn plonky3_and_the_reference_verifier_refuse_the_same_tampering() {
    type Tamper = Box<dyn Fn(&mut Opening)>;
    let tamper: Vec<(&str, Tamper)> = vec![
        (
            "claimed value",
            Box::new(|o| o.values[0][0][1][2] += Ext::ONE),
        ),
        (
            "opened row",
            Box::new(|o| o.proof.input_openings[0].opened_values[7][1][0] += Val::ONE),
        ),
        (
            "folding sibling",
            Box::new(|o| o.proof.commit_phase_openings[2].sibling_values[5][0] += Ext::ONE),
        ),
        (
            "final polynomial",
            Box::new(|o| o.proof.final_poly[0] += Ext::ONE),
        ),
        (
            "grinding witness",
            Box::new(|o| o.proof.query_pow_witness += Val::ONE),
        ),
    ];
    for pow in [0, POW] {
        for (what, f) in &tamper {
            if pow == 0 && *what == "grinding witness" {
                continue;
            }
            let mut o = opening(pow);
            f(&mut o);
            assert!(native_verify(&o).is_err(), "{what}: Plonky3 must refuse");
            let why = run_native(&o).result.expect_err(what);
            eprintln!("pow {pow}, {what}: {why}");
        }
    }
}

/// The circuit refuses every kind of proof value changed in its inputs. Without grinding, a
/// change to an absorbed value reaches the folding and final checks instead of the grinding.
#[test]
fn the_circuit_refuses_any_changed_proof_value() {
    for pow in [0, POW] {
        let o = opening(pow);
        let run = run_native(&o);
        run.result.clone().unwrap();
        let c = circuit(pow);
        for label in [
            "statement",
            "commit_root",
            "final_poly",
            "query_pow",
            "row",
            "path",
            "sibling",
            "commit_path",
        ] {
            if pow == 0 && label == "query_pow" {
                continue;
            }
            let at: Vec<usize> = (0..run.labels.len())
                .filter(|i| run.labels[*i] == label)
                .collect();
            assert!(!at.is_empty(), "{label} values exist");
            for i in [at[0], at[at.len() / 2], at[at.len() - 1]] {
                let mut inputs = run.inputs.clone();
                inputs[i] += Ext::ONE;
                let err = c.execute(&[], &inputs).expect_err(label);
                eprintln!("pow {pow}, {label} #{i}: {err}");
            }
        }
    }
}
