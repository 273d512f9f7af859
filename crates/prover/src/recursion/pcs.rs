//! Plonky3's FRI PCS verifier (`TwoAdicFriPcs::verify` at `=0.9.0-rc.2`, Poseidon2 Merkle
//! commitments, arity-2 folding, a constant final polynomial) written once against [`Gates`]:
//! run on [`super::gates::Native`] it is a reference verifier that also records the proof's
//! values in the order the circuit reads them; run on a circuit builder it emits the same
//! checks as gates.
//!
//! The steps, in transcript order: the PCS domain separator; every claimed evaluation; the
//! batching challenge `α`; the FRI domain separator; per folding round the commitment and
//! `β`; the final polynomial; the query proof of work; the query indices. Then, per query:
//! each committed batch's row and Merkle path, the reduced opening
//! `Σ αᵏ·(p(z) − p(x))/(z − x)` per height, the folding chain with its Merkle paths, and the
//! final value.

use super::circuit::{CircuitBuilder, D, Ext, Wire, base, coords};
use super::gadgets::{CircuitChallenger, Digest, compress, hash_slice, merkle_step};
use super::gates::Gates;
use super::gates::Native;
use crate::config::{LeafPcs, LeafValMmcs, Val};
use p3_challenger::CanObserve;
use p3_commit::Pcs;
use p3_field::{Field, PrimeCharacteristicRing, PrimeField32, TwoAdicField};
use p3_fri::{FriParameters, FriShape, PcsShape};
use p3_matrix::Dimensions;

/// The FRI parameters the in-circuit verifier supports, taken from [`FriParameters`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FriSettings {
    /// Log of the LDE blowup.
    pub log_blowup: usize,
    /// Queries.
    pub num_queries: usize,
    /// Proof-of-work bits before the queries.
    pub query_pow_bits: usize,
}

impl FriSettings {
    /// The settings of `params`, or why the circuit cannot verify them (it folds by two down
    /// to a constant and supports query grinding only).
    pub fn of<M>(params: &FriParameters<M>) -> Result<Self, String> {
        if params.log_final_poly_len != 0
            || params.max_log_arity != 1
            || params.batch_proof_of_work_bits != 0
            || params.commit_proof_of_work_bits != 0
        {
            return Err(
                "the recursive verifier supports arity 2, a constant final polynomial \
                        and query grinding only"
                    .into(),
            );
        }
        Ok(Self {
            log_blowup: params.log_blowup,
            num_queries: params.num_queries,
            query_pow_bits: params.query_proof_of_work_bits,
        })
    }

    fn fri_parameters(&self) -> FriParameters<()> {
        FriParameters {
            log_blowup: self.log_blowup,
            log_final_poly_len: 0,
            max_log_arity: 1,
            num_queries: self.num_queries,
            batch_proof_of_work_bits: 0,
            commit_proof_of_work_bits: 0,
            query_proof_of_work_bits: self.query_pow_bits,
            mmcs: (),
        }
    }
}

/// One committed matrix: its trace degree, width and how many points it is opened at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatrixShape {
    /// Log of the polynomial degree bound (the trace height).
    pub log_degree: usize,
    /// Columns.
    pub width: usize,
    /// Opening points.
    pub points: usize,
}

/// What a PCS opening claims, fixed when the circuit is built: per commitment, its matrices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimShape {
    /// Commitments, each a list of matrices.
    pub batches: Vec<Vec<MatrixShape>>,
}

/// Claimed evaluations of one matrix: per point, the point and one value per column.
#[derive(Clone, Debug)]
pub struct MatrixClaim<W> {
    /// `(z, values at z)` per point.
    pub openings: Vec<(W, Vec<W>)>,
}

/// One commitment and the claims about its matrices.
#[derive(Clone, Debug)]
pub struct BatchClaim<W> {
    /// The Merkle root.
    pub commitment: Digest<W>,
    /// Claims per matrix, in commitment order.
    pub matrices: Vec<MatrixClaim<W>>,
}

/// One batch's opening at one query: the rows of its matrices and the Merkle path
/// (one sibling per level, leaf first).
#[derive(Clone, Debug)]
pub struct BatchOpening<W> {
    /// Rows, in matrix order.
    pub rows: Vec<Vec<W>>,
    /// Siblings, leaf level first.
    pub path: Vec<Digest<W>>,
}

/// Where the proof's values come from: circuit inputs, or a native proof (recorded in order).
pub trait FriSource<G: Gates> {
    /// The commitments of the `rounds` folding rounds.
    fn commit_roots(&mut self, g: &mut G, rounds: usize) -> Vec<Digest<G::W>>;
    /// The final (constant) polynomial.
    fn final_poly(&mut self, g: &mut G) -> G::W;
    /// The query proof-of-work witness.
    fn query_pow_witness(&mut self, g: &mut G) -> G::W;
    /// Batch `batch`'s openings at every query; `index_bits[q]` are query `q`'s index bits
    /// into the batch's tallest matrix (low bit first).
    fn input_openings(
        &mut self,
        g: &mut G,
        batch: usize,
        index_bits: &[Vec<G::W>],
    ) -> Vec<BatchOpening<G::W>>;
    /// The sibling evaluation of round `round` at every query.
    fn siblings(&mut self, g: &mut G, round: usize) -> Vec<G::W>;
    /// Round `round`'s Merkle paths at every query, given each query's leaf `[e₀, e₁]` and
    /// its index bits (low bit first).
    fn commit_paths(
        &mut self,
        g: &mut G,
        round: usize,
        leaves: &[[G::W; 2]],
        index_bits: &[Vec<G::W>],
    ) -> Vec<Vec<Digest<G::W>>>;
}

/// Absorbs a Plonky3 domain separator's seed as constants.
struct SeedRecorder(Vec<Val>);

impl CanObserve<Val> for SeedRecorder {
    fn observe(&mut self, value: Val) {
        self.0.push(value);
    }
}

fn pcs_seed(shape: &ClaimShape) -> Vec<Val> {
    let counts = shape
        .batches
        .iter()
        .map(|ms| ms.iter().map(|m| vec![m.width; m.points]).collect())
        .collect();
    let ds = PcsShape {
        claimed_evaluation_counts: counts,
        batch_pow_bits: 0,
    }
    .domain_separator::<Val, Ext>();
    let mut rec = SeedRecorder(Vec::new());
    ds.seed(&mut rec);
    rec.0
}

fn fri_seed(settings: &FriSettings, max_bits: usize) -> Vec<Val> {
    let rounds = max_bits - settings.log_blowup;
    let ds = FriShape::with_schedule(&settings.fri_parameters(), vec![1; rounds], max_bits)
        .domain_separator::<Val, Ext>();
    let mut rec = SeedRecorder(Vec::new());
    ds.seed(&mut rec);
    rec.0
}

impl ClaimShape {
    /// Log of the tallest LDE.
    pub fn max_lde_bits(&self, settings: &FriSettings) -> usize {
        self.batches
            .iter()
            .flatten()
            .map(|m| m.log_degree + settings.log_blowup)
            .max()
            .unwrap_or(0)
    }
}

/// `g^(Σ bits[k]·2^k)` for a base constant `g`: one gate per bit.
fn pow_bits<G: Gates>(g: &mut G, base: Val, bits: &[G::W]) -> G::W {
    let mut acc = g.one();
    let mut p = base;
    for bit in bits {
        // acc·(1 + (p − 1)·bit) = (p − 1)·acc·bit + acc
        acc = g.alu(acc, *bit, acc, p - Val::ONE, Val::ZERO, Val::ZERO);
        p = p.square();
    }
    acc
}

/// Verifies a PCS opening. `ch` must be the caller's challenger, positioned where the native
/// verifier calls `Pcs::verify`.
pub fn verify_pcs<G: Gates, S: FriSource<G>>(
    g: &mut G,
    ch: &mut CircuitChallenger<G::W>,
    settings: &FriSettings,
    shape: &ClaimShape,
    claims: &[BatchClaim<G::W>],
    source: &mut S,
) {
    assert_eq!(claims.len(), shape.batches.len(), "claims follow the shape");
    let h = shape.max_lde_bits(settings);
    assert!(
        h > settings.log_blowup,
        "the tallest matrix has at least two rows"
    );
    let min_lh = shape
        .batches
        .iter()
        .flatten()
        .map(|m| m.log_degree + settings.log_blowup)
        .min()
        .unwrap_or(h);
    // Fold by two down to the blowup (a constant polynomial's LDE).
    let rounds = h - settings.log_blowup;

    // Transcript: claims, α, FRI rounds, final polynomial, grinding, indices.
    for v in pcs_seed(shape) {
        ch.observe_constant(g, v);
    }
    for (claim, ms) in claims.iter().zip(&shape.batches) {
        assert_eq!(
            claim.matrices.len(),
            ms.len(),
            "matrix claims follow the shape"
        );
        for (m, mshape) in claim.matrices.iter().zip(ms) {
            assert_eq!(m.openings.len(), mshape.points, "points follow the shape");
            for (_, values) in &m.openings {
                assert_eq!(values.len(), mshape.width, "values follow the shape");
                for v in values {
                    ch.observe_ext(g, *v);
                }
            }
        }
    }
    let alpha = ch.sample_ext(g);
    for v in fri_seed(settings, h) {
        ch.observe_constant(g, v);
    }
    let roots = source.commit_roots(g, rounds);
    let betas: Vec<G::W> = roots
        .iter()
        .map(|root| {
            ch.observe_all(g, root);
            ch.sample_ext(g)
        })
        .collect();
    let final_poly = source.final_poly(g);
    ch.observe_ext(g, final_poly);
    let pow = source.query_pow_witness(g);
    g.context("FRI query grinding");
    ch.check_witness(g, settings.query_pow_bits, pow);
    g.context("FRI query indices");
    let bits: Vec<Vec<G::W>> = (0..settings.num_queries)
        .map(|_| ch.sample_bits(g, h))
        .collect();

    // α powers, offsets per (batch, matrix, point) within its height, and Σ αᵏ·p(z).
    let mut counter = vec![0usize; h + 1];
    let mut offsets = Vec::new();
    for ms in &shape.batches {
        for m in ms {
            let lh = m.log_degree + settings.log_blowup;
            for _ in 0..m.points {
                offsets.push((lh, counter[lh]));
                counter[lh] += m.width;
            }
        }
    }
    let max_power = counter.iter().copied().max().unwrap_or(0);
    let mut alpha_pows = Vec::with_capacity(max_power);
    let mut p = g.one();
    for _ in 0..max_power {
        alpha_pows.push(p);
        p = g.mul(p, alpha);
    }
    let mut at_z = Vec::new();
    for claim in claims {
        for m in &claim.matrices {
            for (_, values) in &m.openings {
                let off = offsets[at_z.len()].1;
                let mut acc = g.zero();
                for (c, v) in values.iter().enumerate() {
                    acc = g.mul_add(alpha_pows[off + c], *v, acc);
                }
                at_z.push(acc);
            }
        }
    }

    // Per query: the folding points. s[r] = g_{h−r}^{rev(i >> (r+1), h−r−1)}, and the input
    // point at LDE height lh is x = 3·s[h−lh]·(−1)^{bit h−lh}.
    let shift = Val::GENERATOR;
    let s: Vec<Vec<G::W>> = bits
        .iter()
        .map(|b| {
            let top: Vec<G::W> = (0..h - 1).map(|k| b[h - 1 - k]).collect();
            let needed = (h - min_lh).max(rounds - 1);
            let mut s = vec![pow_bits(g, Val::two_adic_generator(h), &top)];
            for r in 0..needed {
                let t = g.mul(s[r], s[r]);
                let next = g.alu(t, b[r + 1], t, -Val::TWO, Val::ZERO, Val::ZERO);
                s.push(next);
            }
            s
        })
        .collect();
    let x_at = |g: &mut G, q: usize, lh: usize| -> G::W {
        let r = h - lh;
        let z = g.zero();
        g.alu(s[q][r], bits[q][r], z, -(shift + shift), shift, Val::ZERO)
    };

    // Input openings: Merkle paths, then the reduced openings per height.
    let mut ro: Vec<Vec<Option<G::W>>> = vec![vec![None; h + 1]; settings.num_queries];
    let mut flat = 0;
    for (bi, (claim, ms)) in claims.iter().zip(&shape.batches).enumerate() {
        let lhs: Vec<usize> = ms
            .iter()
            .map(|m| m.log_degree + settings.log_blowup)
            .collect();
        let hb = *lhs.iter().max().expect("a batch commits a matrix");
        let reduced: Vec<Vec<G::W>> = bits.iter().map(|b| b[h - hb..].to_vec()).collect();
        g.context("Merkle openings of the committed traces");
        let openings = source.input_openings(g, bi, &reduced);
        for (q, opening) in openings.iter().enumerate() {
            assert_eq!(opening.rows.len(), ms.len(), "one row per matrix");
            verify_batch_path(g, &claim.commitment, &lhs, hb, &reduced[q], opening);
            g.context("reduced openings");
            let mut k = flat;
            for (mi, m) in claim.matrices.iter().enumerate() {
                let lh = lhs[mi];
                let x = x_at(g, q, lh);
                let row = &opening.rows[mi];
                for (z, _) in &m.openings {
                    let off = offsets[k].1;
                    let mut at_x = g.zero();
                    for (c, v) in row.iter().enumerate() {
                        at_x = g.mul_add(alpha_pows[off + c], *v, at_x);
                    }
                    let num = g.sub(at_z[k], at_x);
                    let den = g.sub(*z, x);
                    let inv = g.inverse(den);
                    let acc = ro[q][lh].unwrap_or_else(|| g.zero());
                    ro[q][lh] = Some(g.mul_add(num, inv, acc));
                    k += 1;
                }
            }
        }
        flat += claim
            .matrices
            .iter()
            .map(|m| m.openings.len())
            .sum::<usize>();
    }

    // Folding, round by round over all queries.
    let half = Val::TWO.inverse();
    let mut folded: Vec<G::W> = ro
        .iter()
        .map(|r| r[h].expect("the tallest height has an opening"))
        .collect();
    for r in 0..rounds {
        g.context("FRI folding");
        let siblings = source.siblings(g, r);
        let beta_sq = g.mul(betas[r], betas[r]);
        let mut leaves = Vec::with_capacity(folded.len());
        for q in 0..folded.len() {
            let bit = bits[q][r];
            let (sib, f) = (siblings[q], folded[q]);
            let d = g.sub(sib, f);
            let e0 = g.mul_add(bit, d, f);
            let sum = g.add(sib, f);
            let e1 = g.sub(sum, e0);
            leaves.push([e0, e1]);
            // ((e0 + e1) + (e0 − e1)·β/s)/2
            let z = g.zero();
            let diff = g.alu(e0, sum, z, Val::ZERO, Val::TWO, Val::NEG_ONE);
            let t = g.mul(diff, betas[r]);
            let inv_s = g.inverse(s[q][r]);
            let u = g.mul(t, inv_s);
            let mut next = g.alu(sum, u, z, Val::ZERO, half, half);
            let lh = h - r - 1;
            if let Some(extra) = ro[q][lh] {
                if lh == settings.log_blowup {
                    g.assert_zero(extra);
                }
                next = g.mul_add(beta_sq, extra, next);
            }
            folded[q] = next;
        }
        let parents: Vec<Vec<G::W>> = bits.iter().map(|b| b[r + 1..].to_vec()).collect();
        g.context("FRI folding commitments");
        let paths = source.commit_paths(g, r, &leaves, &parents);
        for q in 0..folded.len() {
            let [e0, e1] = leaves[q];
            let mut row = g.unpack(e0).to_vec();
            row.extend(g.unpack(e1));
            let mut node = hash_slice(g, &row);
            assert_eq!(paths[q].len(), parents[q].len(), "one sibling per level");
            for (bit, sib) in parents[q].iter().zip(&paths[q]) {
                node = merkle_step(g, *bit, &node, sib);
            }
            for (a, b) in node.iter().zip(&roots[r]) {
                g.assert_eq(*a, *b);
            }
        }
    }
    g.context("FRI final polynomial");
    for f in folded {
        g.assert_eq(f, final_poly);
    }
}

/// A batch's Merkle path: the leaf hashes the rows of the tallest matrices; after each level,
/// the rows of matrices of the new height are hashed and compressed in on the right.
fn verify_batch_path<G: Gates>(
    g: &mut G,
    root: &Digest<G::W>,
    lhs: &[usize],
    hb: usize,
    bits: &[G::W],
    opening: &BatchOpening<G::W>,
) {
    assert_eq!(opening.path.len(), hb, "one sibling per level");
    let rows_at = |height: usize| -> Vec<G::W> {
        lhs.iter()
            .zip(&opening.rows)
            .filter(|(lh, _)| **lh == height)
            .flat_map(|(_, row)| row.iter().copied())
            .collect()
    };
    let leaf = rows_at(hb);
    let mut node = hash_slice(g, &leaf);
    for (level, (bit, sib)) in bits.iter().zip(&opening.path).enumerate() {
        node = merkle_step(g, *bit, &node, sib);
        let height = hb - level - 1;
        if lhs.contains(&height) {
            let injected = rows_at(height);
            let digest = hash_slice(g, &injected);
            node = compress(g, &node, &digest);
        }
    }
    for (a, b) in node.iter().zip(root) {
        g.assert_eq(*a, *b);
    }
}

/// The proof's values as circuit inputs, allocated in the order [`verify_pcs`] reads them.
pub struct InputFriSource<'a> {
    settings: &'a FriSettings,
    shape: &'a ClaimShape,
}

impl<'a> InputFriSource<'a> {
    /// Inputs for a proof of `shape`.
    pub fn new(settings: &'a FriSettings, shape: &'a ClaimShape) -> Self {
        Self { settings, shape }
    }
}

fn digest_inputs(g: &mut CircuitBuilder) -> Digest<Wire> {
    std::array::from_fn(|_| g.input())
}

impl FriSource<CircuitBuilder> for InputFriSource<'_> {
    fn commit_roots(&mut self, g: &mut CircuitBuilder, rounds: usize) -> Vec<Digest<Wire>> {
        (0..rounds).map(|_| digest_inputs(g)).collect()
    }

    fn final_poly(&mut self, g: &mut CircuitBuilder) -> Wire {
        g.input()
    }

    fn query_pow_witness(&mut self, g: &mut CircuitBuilder) -> Wire {
        g.input()
    }

    fn input_openings(
        &mut self,
        g: &mut CircuitBuilder,
        batch: usize,
        index_bits: &[Vec<Wire>],
    ) -> Vec<BatchOpening<Wire>> {
        let ms = &self.shape.batches[batch];
        index_bits
            .iter()
            .map(|bits| BatchOpening {
                rows: ms
                    .iter()
                    .map(|m| (0..m.width).map(|_| g.input()).collect())
                    .collect(),
                path: bits.iter().map(|_| digest_inputs(g)).collect(),
            })
            .collect()
    }

    fn siblings(&mut self, g: &mut CircuitBuilder, _round: usize) -> Vec<Wire> {
        (0..self.settings.num_queries).map(|_| g.input()).collect()
    }

    fn commit_paths(
        &mut self,
        g: &mut CircuitBuilder,
        _round: usize,
        _leaves: &[[Wire; 2]],
        index_bits: &[Vec<Wire>],
    ) -> Vec<Vec<Digest<Wire>>> {
        index_bits
            .iter()
            .map(|bits| bits.iter().map(|_| digest_inputs(g)).collect())
            .collect()
    }
}

/// A native FRI proof of the recursion/checkpoint configuration.
pub type NativeFriProof = <LeafPcs as Pcs<Ext, crate::config::LeafChallenger>>::Proof;

/// A native proof's values, handed to [`verify_pcs`] on [`Native`] and recorded in reading
/// order: the circuit's private inputs. Malformed proofs are reported through
/// [`Native::fail`] (with zeros handed out in place of missing values).
pub struct NativeFriSource<'a> {
    proof: &'a NativeFriProof,
    mmcs: &'a LeafValMmcs,
    shape: &'a ClaimShape,
    settings: &'a FriSettings,
    /// Every value handed out, in order.
    pub tape: Vec<Ext>,
    /// What each value of [`Self::tape`] is: `commit_root`, `final_poly`, `query_pow`, `row`,
    /// `path`, `sibling` or `commit_path`.
    pub labels: Vec<&'static str>,
    label: &'static str,
}

impl<'a> NativeFriSource<'a> {
    /// Values of `proof`, whose input commitments were made with `mmcs`.
    pub fn new(
        proof: &'a NativeFriProof,
        mmcs: &'a LeafValMmcs,
        settings: &'a FriSettings,
        shape: &'a ClaimShape,
    ) -> Self {
        Self {
            proof,
            mmcs,
            shape,
            settings,
            tape: Vec::new(),
            labels: Vec::new(),
            label: "",
        }
    }

    /// Records `v` (labelled `label`) and hands it out.
    pub(crate) fn give_value(&mut self, v: Ext, label: &'static str) -> Ext {
        self.label = label;
        self.give(v)
    }

    fn give(&mut self, v: Ext) -> Ext {
        self.tape.push(v);
        self.labels.push(self.label);
        v
    }

    fn give_base(&mut self, v: Val) -> Ext {
        self.give(Ext::from(v))
    }

    fn give_digest(&mut self, d: &[Val; 8]) -> Digest<Ext> {
        std::array::from_fn(|i| self.give_base(d[i]))
    }
}

fn index_of(bits: &[Ext]) -> usize {
    bits.iter()
        .enumerate()
        .map(|(i, b)| (base(b).as_canonical_u32() as usize) << i)
        .sum()
}

impl FriSource<Native> for NativeFriSource<'_> {
    fn commit_roots(&mut self, g: &mut Native, rounds: usize) -> Vec<Digest<Ext>> {
        self.label = "commit_root";
        if self.proof.commit_phase_commits.len() != rounds {
            g.fail(format!(
                "{} folding commitments, expected {rounds}",
                self.proof.commit_phase_commits.len()
            ));
        }
        (0..rounds)
            .map(|r| {
                let root = self
                    .proof
                    .commit_phase_commits
                    .get(r)
                    .and_then(|c| c.roots().first().copied())
                    .unwrap_or([Val::ZERO; 8]);
                self.give_digest(&root)
            })
            .collect()
    }

    fn final_poly(&mut self, g: &mut Native) -> Ext {
        self.label = "final_poly";
        if self.proof.final_poly.len() != 1 {
            g.fail("the final polynomial is not a constant");
        }
        let v = self.proof.final_poly.first().copied().unwrap_or(Ext::ZERO);
        self.give(v)
    }

    fn query_pow_witness(&mut self, _g: &mut Native) -> Ext {
        self.label = "query_pow";
        self.give_base(self.proof.query_pow_witness)
    }

    fn input_openings(
        &mut self,
        g: &mut Native,
        batch: usize,
        index_bits: &[Vec<Ext>],
    ) -> Vec<BatchOpening<Ext>> {
        let ms = &self.shape.batches[batch];
        let indices: Vec<usize> = index_bits.iter().map(|b| index_of(b)).collect();
        let dims: Vec<Dimensions> = ms
            .iter()
            .map(|m| Dimensions {
                width: m.width,
                height: 1 << (m.log_degree + self.settings.log_blowup),
            })
            .collect();
        let levels = index_bits.first().map_or(0, Vec::len);
        let restored = self.proof.input_openings.get(batch).and_then(|o| {
            self.mmcs
                .restore_and_recompute_paths(&dims, &indices, &o.opened_values, &o.opening_proof)
                .ok()
                .map(|paths| (o, paths))
        });
        self.label = "row";
        let Some((opening, paths)) = restored else {
            g.fail(format!(
                "batch {batch}'s openings do not restore to Merkle paths"
            ));
            return indices
                .iter()
                .map(|_| BatchOpening {
                    rows: ms
                        .iter()
                        .map(|m| (0..m.width).map(|_| self.give(Ext::ZERO)).collect())
                        .collect(),
                    path: (0..levels)
                        .map(|_| self.give_digest(&[Val::ZERO; 8]))
                        .collect(),
                })
                .collect();
        };
        let mut out = Vec::with_capacity(indices.len());
        for (q, path) in paths.iter().enumerate() {
            self.label = "row";
            let rows = ms
                .iter()
                .enumerate()
                .map(|(mi, m)| {
                    let row = opening.opened_values[q]
                        .get(mi)
                        .cloned()
                        .unwrap_or_default();
                    if row.len() != m.width {
                        g.fail(format!(
                            "batch {batch} matrix {mi}: row of {} values",
                            row.len()
                        ));
                    }
                    (0..m.width)
                        .map(|c| self.give_base(row.get(c).copied().unwrap_or(Val::ZERO)))
                        .collect()
                })
                .collect();
            if path.siblings.len() != levels {
                g.fail(format!(
                    "batch {batch}: path of {} siblings",
                    path.siblings.len()
                ));
            }
            self.label = "path";
            let path = (0..levels)
                .map(|l| {
                    let d = path.siblings.get(l).copied().unwrap_or([Val::ZERO; 8]);
                    self.give_digest(&d)
                })
                .collect();
            out.push(BatchOpening { rows, path });
        }
        out
    }

    fn siblings(&mut self, g: &mut Native, round: usize) -> Vec<Ext> {
        self.label = "sibling";
        let step = self.proof.commit_phase_openings.get(round);
        (0..self.settings.num_queries)
            .map(|q| {
                let v = step
                    .and_then(|s| s.sibling_values.get(q))
                    .filter(|v| v.len() == 1)
                    .map(|v| v[0]);
                if v.is_none() {
                    g.fail(format!("round {round}: no sibling value for query {q}"));
                }
                self.give(v.unwrap_or(Ext::ZERO))
            })
            .collect()
    }

    fn commit_paths(
        &mut self,
        g: &mut Native,
        round: usize,
        leaves: &[[Ext; 2]],
        index_bits: &[Vec<Ext>],
    ) -> Vec<Vec<Digest<Ext>>> {
        self.label = "commit_path";
        let levels = index_bits.first().map_or(0, Vec::len);
        let indices: Vec<usize> = index_bits.iter().map(|b| index_of(b)).collect();
        let rows: Vec<Vec<Vec<Val>>> = leaves
            .iter()
            .map(|[e0, e1]| vec![coords(e0).iter().chain(coords(e1)).copied().collect()])
            .collect();
        let dims = [Dimensions {
            width: 2 * D,
            height: 1 << levels,
        }];
        let restored = self.proof.commit_phase_openings.get(round).and_then(|s| {
            self.mmcs
                .restore_and_recompute_paths(&dims, &indices, &rows, &s.opening_proof)
                .ok()
        });
        let Some(paths) = restored else {
            g.fail(format!(
                "round {round}'s openings do not restore to Merkle paths"
            ));
            return indices
                .iter()
                .map(|_| {
                    (0..levels)
                        .map(|_| self.give_digest(&[Val::ZERO; 8]))
                        .collect()
                })
                .collect();
        };
        paths
            .iter()
            .map(|p| {
                if p.siblings.len() != levels {
                    g.fail(format!(
                        "round {round}: path of {} siblings",
                        p.siblings.len()
                    ));
                }
                (0..levels)
                    .map(|l| {
                        let d = p.siblings.get(l).copied().unwrap_or([Val::ZERO; 8]);
                        self.give_digest(&d)
                    })
                    .collect()
            })
            .collect()
    }
}
