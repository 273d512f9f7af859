//! Plonky3's batch-STARK verifier (`p3_batch_stark::verify_batch` at `=0.9.0-rc.2`, no ZK,
//! Poseidon2 configuration) written once against [`Gates`], like [`super::pcs`]: natively a
//! reference verifier that records the proof's values, in a circuit the same checks as gates.
//!
//! What a circuit built from a [`BatchSpec`] checks of a proof: the transcript (domain
//! separator, degree bits, commitments, public values, LogUp challenges and terminals, the
//! constraint challenge, `ζ`), the PCS opening of every round at `ζ` (and `ζ·ω` where rows are
//! read), each instance's constraints — generated from the AIR's symbolic form, LogUp's
//! included — folded at `ζ` and compared with the recomposed quotient, and the LogUp terminals
//! summing to zero. The shape (AIRs, heights, lookups, FRI settings) is fixed by the spec.

use super::circuit::{D, Ext};
use super::gadgets::{CircuitChallenger, Digest};
use super::gates::{Gates, Native};
use super::pcs::{
    BatchClaim, BatchOpening, ClaimShape, FriSettings, FriSource, InputFriSource, MatrixClaim,
    MatrixShape, NativeFriProof, NativeFriSource, verify_pcs,
};
use crate::config::{LeafConfig, LeafValMmcs, Val};
use p3_air::symbolic::{
    BaseEntry, BaseLeaf, ExtEntry, ExtLeaf, SymbolicExpr, SymbolicExpression, SymbolicExpressionExt,
};
use p3_air::{Air, AirLayout, BaseAir};
use p3_batch_stark::symbolic::{
    get_constraint_layout, get_log_num_quotient_chunks_for_domain, get_symbolic_constraints,
};
use p3_batch_stark::{BatchProof, BatchShape, CommonData};
use p3_challenger::CanObserve;
use p3_field::coset::TwoAdicMultiplicativeCoset;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, TwoAdicField};
use p3_lookup::{InteractionSymbolicBuilder, Kind, LogUpGadget, Lookup};
use std::collections::HashMap;
use std::sync::Arc;

/// One constraint of an instance, in emission order.
#[derive(Clone, Debug)]
enum Constraint {
    Base(SymbolicExpression<Val>),
    Ext(SymbolicExpressionExt<Val, Ext>),
}

/// Everything fixed about one instance of the verified batch.
#[derive(Clone, Debug)]
struct InstanceSpec {
    degree_bits: usize,
    width: usize,
    main_next: bool,
    num_public: usize,
    preprocessed_width: usize,
    preprocessed_next: bool,
    lookups: Vec<Lookup<Val>>,
    /// Bus id of each lookup slot.
    buses: Vec<usize>,
    log_quotient_chunks: usize,
    constraints: Vec<Constraint>,
}

impl InstanceSpec {
    /// Base-flattened LogUp columns (0 without lookups).
    fn permutation_width(&self) -> usize {
        if self.lookups.is_empty() {
            0
        } else {
            D * (self.lookups.len() + 1)
        }
    }

    /// Committed quotient chunks.
    fn quotient_chunks(&self) -> usize {
        1 << self.log_quotient_chunks
    }
}

/// The fixed shape of the batch proofs a circuit verifies.
#[derive(Clone, Debug)]
pub struct BatchSpec {
    instances: Vec<InstanceSpec>,
    has_preprocessed: bool,
    /// Instance of each preprocessed matrix, in commitment order.
    preprocessed_order: Vec<usize>,
    max_message_width: usize,
    seed: Vec<Val>,
    settings: FriSettings,
    claim_shape: ClaimShape,
}

struct SeedRecorder(Vec<Val>);

impl CanObserve<Val> for SeedRecorder {
    fn observe(&mut self, value: Val) {
        self.0.push(value);
    }
}

impl BatchSpec {
    /// The shape of proofs of `airs` at `degree_bits` with `common` (its lookups and
    /// preprocessed commitment layout) under `config`.
    pub fn new<A>(
        config: &LeafConfig,
        airs: &[A],
        degree_bits: &[usize],
        common: &CommonData<LeafConfig>,
    ) -> Result<Self, String>
    where
        A: Air<InteractionSymbolicBuilder<Val, Ext>> + BaseAir<Val>,
    {
        use p3_uni_stark::StarkGenericConfig;
        if config.lookup_proof_of_work_bits() != 0 || config.ood_proof_of_work_bits() != 0 {
            return Err("the recursive verifier supports no lookup or OOD grinding".into());
        }
        let settings = FriSettings::of(&crate::config::recursion_fri_parameters(()))?;
        let gadget = LogUpGadget::new();
        let mut next_bus = 0usize;
        let mut bus_ids: HashMap<String, usize> = HashMap::new();
        let mut max_message_width = 1usize;
        let mut instances = Vec::with_capacity(airs.len());
        for (i, (air, &db)) in airs.iter().zip(degree_bits).enumerate() {
            let lookups: Vec<Lookup<Val>> = common.lookups[i].to_vec();
            let buses = lookups
                .iter()
                .map(|l| match &l.kind {
                    Kind::Global(name) => *bus_ids.entry(name.clone()).or_insert_with(|| {
                        next_bus += 1;
                        next_bus - 1
                    }),
                    Kind::Local => {
                        next_bus += 1;
                        next_bus - 1
                    }
                })
                .collect();
            for l in &lookups {
                if l.flags.is_some() {
                    return Err("exclusive lookups are not supported".into());
                }
                for e in &l.elements {
                    max_message_width = max_message_width.max(e.len());
                }
            }
            let layout = AirLayout::from_air(air);
            let domain = TwoAdicMultiplicativeCoset::new(Val::ONE, db)
                .ok_or("trace height beyond KoalaBear's two-adicity")?;
            let log_quotient_chunks = get_log_num_quotient_chunks_for_domain::<Val, Ext, A, _>(
                air, layout, domain, &lookups, 0, &gadget,
            );
            let (base, ext) =
                get_symbolic_constraints::<Val, Ext, A, _>(air, layout, &lookups, &gadget);
            let order = get_constraint_layout::<Val, Ext, A, _>(air, layout, &lookups, &gadget);
            let mut constraints = vec![None; order.total_constraints()];
            for (j, c) in order.base_indices.iter().zip(base) {
                constraints[*j] = Some(Constraint::Base(c));
            }
            for (j, c) in order.ext_indices.iter().zip(ext) {
                constraints[*j] = Some(Constraint::Ext(c));
            }
            let constraints = constraints
                .into_iter()
                .map(|c| c.ok_or("the constraint layout has a gap"))
                .collect::<Result<Vec<_>, _>>()?;
            instances.push(InstanceSpec {
                degree_bits: db,
                width: air.width(),
                main_next: !air.main_next_row_columns().is_empty(),
                num_public: air.num_public_values(),
                preprocessed_width: air.preprocessed_width(),
                preprocessed_next: !air.preprocessed_next_row_columns().is_empty()
                    && air.preprocessed_width() > 0,
                lookups,
                buses,
                log_quotient_chunks,
                constraints,
            });
        }
        // LogUp's multiplicities must not wrap modulo p: Plonky3 refuses every proof of a
        // shape that fails this, so the spec does too.
        p3_lookup::check_multiplicity_height_bound(
            &common.lookups,
            &degree_bits
                .iter()
                .map(|db| 1usize << db)
                .collect::<Vec<_>>(),
        )
        .map_err(|e| format!("{e:?}"))?;
        let preprocessed_order = common
            .preprocessed
            .as_ref()
            .map(|p| p.matrix_to_instance.clone())
            .unwrap_or_default();
        let shape = BatchShape {
            trace_widths: instances.iter().map(|s| s.width).collect(),
            public_value_counts: instances.iter().map(|s| s.num_public).collect(),
            preprocessed_widths: instances.iter().map(|s| s.preprocessed_width).collect(),
            has_preprocessed_commitment: common.preprocessed.is_some(),
            num_lookup_instances: instances.iter().filter(|s| !s.lookups.is_empty()).count(),
            lookup_pow_bits: 0,
            has_randomization_commitment: false,
            ood_pow_bits: 0,
        };
        let mut rec = SeedRecorder(Vec::new());
        shape.domain_separator::<Val, Ext>().seed(&mut rec);
        let mut spec = Self {
            instances,
            has_preprocessed: common.preprocessed.is_some(),
            preprocessed_order,
            max_message_width,
            seed: rec.0,
            settings,
            claim_shape: ClaimShape { batches: vec![] },
        };
        spec.claim_shape = spec.claims_shape();
        Ok(spec)
    }

    /// The PCS rounds: main, quotient, preprocessed (if any), permutation (if any lookups).
    fn claims_shape(&self) -> ClaimShape {
        let mut batches = vec![
            self.instances
                .iter()
                .map(|s| MatrixShape {
                    log_degree: s.degree_bits,
                    width: s.width,
                    points: 1 + usize::from(s.main_next),
                })
                .collect(),
            self.instances
                .iter()
                .flat_map(|s| {
                    (0..s.quotient_chunks()).map(move |_| MatrixShape {
                        log_degree: s.degree_bits,
                        width: D,
                        points: 1,
                    })
                })
                .collect(),
        ];
        if self.has_preprocessed {
            batches.push(
                self.preprocessed_order
                    .iter()
                    .map(|&i| {
                        let s = &self.instances[i];
                        MatrixShape {
                            log_degree: s.degree_bits,
                            width: s.preprocessed_width,
                            points: 1 + usize::from(s.preprocessed_next),
                        }
                    })
                    .collect(),
            );
        }
        if self.has_lookups() {
            batches.push(
                self.instances
                    .iter()
                    .filter(|s| !s.lookups.is_empty())
                    .map(|s| MatrixShape {
                        log_degree: s.degree_bits,
                        width: s.permutation_width(),
                        points: 2,
                    })
                    .collect(),
            );
        }
        ClaimShape { batches }
    }

    fn has_lookups(&self) -> bool {
        self.instances.iter().any(|s| !s.lookups.is_empty())
    }

    /// Public values per instance.
    pub fn public_value_counts(&self) -> Vec<usize> {
        self.instances.iter().map(|s| s.num_public).collect()
    }

    /// The PCS claim shape (for sources).
    pub fn claim_shape(&self) -> &ClaimShape {
        &self.claim_shape
    }

    /// The FRI settings.
    pub fn settings(&self) -> &FriSettings {
        &self.settings
    }
}

/// The opened values of one instance.
#[derive(Clone, Debug)]
pub struct InstanceOpening<W> {
    /// Main row at `ζ`.
    pub trace_local: Vec<W>,
    /// Main row at `ζ·ω` (when read).
    pub trace_next: Vec<W>,
    /// Per quotient chunk, its eight base-coordinate evaluations at `ζ`.
    pub quotient_chunks: Vec<Vec<W>>,
    /// Preprocessed row at `ζ`.
    pub preprocessed_local: Vec<W>,
    /// Preprocessed row at `ζ·ω` (when read).
    pub preprocessed_next: Vec<W>,
    /// LogUp columns at `ζ`, base-flattened.
    pub permutation_local: Vec<W>,
    /// LogUp columns at `ζ·ω`, base-flattened.
    pub permutation_next: Vec<W>,
}

/// Where a batch proof's own values come from (the PCS part through [`FriSource`]).
pub trait BatchSource<G: Gates>: FriSource<G> {
    /// The main-trace commitment.
    fn main_commitment(&mut self, g: &mut G) -> Digest<G::W>;
    /// The LogUp commitment.
    fn permutation_commitment(&mut self, g: &mut G) -> Digest<G::W>;
    /// Instance `instance`'s LogUp terminal.
    fn terminal(&mut self, g: &mut G, instance: usize) -> G::W;
    /// The quotient commitment.
    fn quotient_commitment(&mut self, g: &mut G) -> Digest<G::W>;
    /// Instance `instance`'s opened values.
    fn opening(&mut self, g: &mut G, spec: &BatchSpec, instance: usize) -> InstanceOpening<G::W>;
}

/// A gate-level term that folds base-field constants into gate coefficients.
#[derive(Clone, Copy, Debug)]
enum Term<W> {
    Const(Ext),
    Wire(W),
}

fn wire<G: Gates>(g: &mut G, t: Term<G::W>) -> G::W {
    match t {
        Term::Const(c) => g.constant(c),
        Term::Wire(w) => w,
    }
}

fn as_base(c: &Ext) -> Option<Val> {
    let cs = BasedVectorSpace::<Val>::as_basis_coefficients_slice(c);
    cs[1..].iter().all(|x| x.is_zero()).then_some(cs[0])
}

fn t_add<G: Gates>(g: &mut G, a: Term<G::W>, b: Term<G::W>, sign: Val) -> Term<G::W> {
    match (a, b) {
        (Term::Const(x), Term::Const(y)) => Term::Const(x + y * sign),
        _ => {
            let (a, b) = (wire(g, a), wire(g, b));
            let z = g.zero();
            Term::Wire(g.alu(a, b, z, Val::ZERO, Val::ONE, sign))
        }
    }
}

fn t_mul<G: Gates>(g: &mut G, a: Term<G::W>, b: Term<G::W>) -> Term<G::W> {
    match (a, b) {
        (Term::Const(x), Term::Const(y)) => Term::Const(x * y),
        (Term::Const(c), Term::Wire(w)) | (Term::Wire(w), Term::Const(c)) => match as_base(&c) {
            Some(k) => Term::Wire(g.scale(w, k)),
            None => {
                let c = g.constant(c);
                Term::Wire(g.mul(w, c))
            }
        },
        (Term::Wire(x), Term::Wire(y)) => Term::Wire(g.mul(x, y)),
    }
}

/// What the leaves of an instance's constraints evaluate to.
struct Leaves<'a, W> {
    local: &'a [W],
    next: &'a [W],
    pre_local: &'a [W],
    pre_next: &'a [W],
    publics: &'a [W],
    perm_local: &'a [W],
    perm_next: &'a [W],
    challenges: &'a [W],
    terminal: Option<W>,
    first: W,
    last: W,
    transition: W,
    zero: W,
}

/// Translates symbolic constraints into gates, sharing every sub-expression Plonky3 shares.
struct Translator<'a, G: Gates> {
    leaves: Leaves<'a, G::W>,
    base_memo: HashMap<*const SymbolicExpression<Val>, Term<G::W>>,
    ext_memo: HashMap<*const SymbolicExpressionExt<Val, Ext>, Term<G::W>>,
}

impl<G: Gates> Translator<'_, G> {
    fn base_child(&mut self, g: &mut G, e: &Arc<SymbolicExpression<Val>>) -> Term<G::W> {
        let key = Arc::as_ptr(e);
        if let Some(t) = self.base_memo.get(&key) {
            return *t;
        }
        let t = self.base(g, e);
        self.base_memo.insert(key, t);
        t
    }

    fn base(&mut self, g: &mut G, e: &SymbolicExpression<Val>) -> Term<G::W> {
        let l = &self.leaves;
        match e {
            SymbolicExpr::Leaf(leaf) => match leaf {
                BaseLeaf::Variable(v) => Term::Wire(match v.entry {
                    BaseEntry::Main { offset: 0 } => l.local[v.index],
                    BaseEntry::Main { .. } => l.next.get(v.index).copied().unwrap_or(l.zero),
                    BaseEntry::Preprocessed { offset: 0 } => l.pre_local[v.index],
                    BaseEntry::Preprocessed { .. } => {
                        l.pre_next.get(v.index).copied().unwrap_or(l.zero)
                    }
                    BaseEntry::Public => l.publics[v.index],
                    BaseEntry::Periodic => panic!("periodic columns are not supported"),
                }),
                BaseLeaf::IsFirstRow => Term::Wire(l.first),
                BaseLeaf::IsLastRow => Term::Wire(l.last),
                BaseLeaf::IsTransition => Term::Wire(l.transition),
                BaseLeaf::Constant(c) => Term::Const(Ext::from(*c)),
            },
            SymbolicExpr::Add { x, y, .. } => {
                let (a, b) = (self.base_child(g, x), self.base_child(g, y));
                t_add(g, a, b, Val::ONE)
            }
            SymbolicExpr::Sub { x, y, .. } => {
                let (a, b) = (self.base_child(g, x), self.base_child(g, y));
                t_add(g, a, b, Val::NEG_ONE)
            }
            SymbolicExpr::Neg { x, .. } => {
                let a = self.base_child(g, x);
                t_mul(g, a, Term::Const(Ext::NEG_ONE))
            }
            SymbolicExpr::Mul { x, y, .. } => {
                let (a, b) = (self.base_child(g, x), self.base_child(g, y));
                t_mul(g, a, b)
            }
        }
    }

    fn ext_child(&mut self, g: &mut G, e: &Arc<SymbolicExpressionExt<Val, Ext>>) -> Term<G::W> {
        let key = Arc::as_ptr(e);
        if let Some(t) = self.ext_memo.get(&key) {
            return *t;
        }
        let t = self.ext(g, e);
        self.ext_memo.insert(key, t);
        t
    }

    fn ext(&mut self, g: &mut G, e: &SymbolicExpressionExt<Val, Ext>) -> Term<G::W> {
        match e {
            SymbolicExpr::Leaf(leaf) => match leaf {
                ExtLeaf::Base(b) => self.base(g, b),
                ExtLeaf::ExtConstant(c) => Term::Const(*c),
                ExtLeaf::ExtVariable(v) => {
                    let l = &self.leaves;
                    Term::Wire(match v.entry {
                        ExtEntry::Permutation { offset: 0 } => l.perm_local[v.index],
                        ExtEntry::Permutation { .. } => l.perm_next[v.index],
                        ExtEntry::Challenge => l.challenges[v.index],
                        ExtEntry::PermutationValue => l.terminal.expect("an AIR with lookups"),
                    })
                }
            },
            SymbolicExpr::Add { x, y, .. } => {
                let (a, b) = (self.ext_child(g, x), self.ext_child(g, y));
                t_add(g, a, b, Val::ONE)
            }
            SymbolicExpr::Sub { x, y, .. } => {
                let (a, b) = (self.ext_child(g, x), self.ext_child(g, y));
                t_add(g, a, b, Val::NEG_ONE)
            }
            SymbolicExpr::Neg { x, .. } => {
                let a = self.ext_child(g, x);
                t_mul(g, a, Term::Const(Ext::NEG_ONE))
            }
            SymbolicExpr::Mul { x, y, .. } => {
                let (a, b) = (self.ext_child(g, x), self.ext_child(g, y));
                t_mul(g, a, b)
            }
        }
    }
}

/// `x^(2^k)`.
fn pow2k<G: Gates>(g: &mut G, mut x: G::W, k: usize) -> G::W {
    for _ in 0..k {
        x = g.mul(x, x);
    }
    x
}

/// `Σ_k X^k·coords[k]`: an extension element from the evaluations of its coordinate columns.
fn recompose<G: Gates>(g: &mut G, coords: &[G::W]) -> G::W {
    let mut acc = g.zero();
    for (k, c) in coords.iter().enumerate() {
        let xk = g.constant(<Ext as BasedVectorSpace<Val>>::ith_basis_element(k).expect("k < D"));
        acc = g.mul_add(xk, *c, acc);
    }
    acc
}

/// Verifies a batch proof of `spec`'s shape with the given public values (per instance),
/// against `preprocessed` (the committed preprocessed columns, when the batch has any).
pub fn verify_batch<G: Gates, S: BatchSource<G>>(
    g: &mut G,
    spec: &BatchSpec,
    public_values: &[Vec<G::W>],
    preprocessed: Option<&Digest<G::W>>,
    source: &mut S,
) {
    assert_eq!(
        public_values.len(),
        spec.instances.len(),
        "public values per instance"
    );
    assert_eq!(
        preprocessed.is_some(),
        spec.has_preprocessed,
        "preprocessed commitment"
    );
    g.context("batch transcript");
    let mut ch = CircuitChallenger::new(g);
    for v in &spec.seed {
        ch.observe_constant(g, *v);
    }
    for s in &spec.instances {
        ch.observe_constant(g, Val::from_usize(s.degree_bits));
        for _ in 1..D {
            ch.observe_constant(g, Val::ZERO);
        }
    }
    let main = source.main_commitment(g);
    ch.observe_all(g, &main);
    for (s, pv) in spec.instances.iter().zip(public_values) {
        assert_eq!(pv.len(), s.num_public, "public values of an instance");
        ch.observe_all(g, pv);
    }
    if let Some(p) = preprocessed {
        ch.observe_all(g, p);
    }
    let mut challenges: Vec<Vec<G::W>> = vec![Vec::new(); spec.instances.len()];
    let mut terminals: Vec<Option<G::W>> = vec![None; spec.instances.len()];
    let mut permutation = None;
    if spec.has_lookups() {
        let alpha_l = ch.sample_ext(g);
        let beta_l = ch.sample_ext(g);
        let mut gamma = g.one();
        for _ in 0..spec.max_message_width {
            gamma = g.mul(gamma, beta_l);
        }
        let buses = spec
            .instances
            .iter()
            .flat_map(|s| s.buses.iter())
            .max()
            .map_or(0, |b| b + 1);
        let mut prefixes = Vec::with_capacity(buses);
        let mut prefix = alpha_l;
        for _ in 0..buses {
            prefix = g.add(prefix, gamma);
            prefixes.push(prefix);
        }
        for (i, s) in spec.instances.iter().enumerate() {
            for bus in &s.buses {
                challenges[i].push(prefixes[*bus]);
                challenges[i].push(beta_l);
            }
        }
        let commitment = source.permutation_commitment(g);
        ch.observe_all(g, &commitment);
        permutation = Some(commitment);
        for (i, s) in spec.instances.iter().enumerate() {
            if !s.lookups.is_empty() {
                let t = source.terminal(g, i);
                ch.observe_ext(g, t);
                terminals[i] = Some(t);
            }
        }
    }
    let alpha = ch.sample_ext(g);
    let quotient = source.quotient_commitment(g);
    ch.observe_all(g, &quotient);
    let zeta = ch.sample_ext(g);

    // The opening claims, round by round.
    let openings: Vec<InstanceOpening<G::W>> = (0..spec.instances.len())
        .map(|i| source.opening(g, spec, i))
        .collect();
    let zeta_next: Vec<G::W> = spec
        .instances
        .iter()
        .map(|s| g.scale(zeta, Val::two_adic_generator(s.degree_bits)))
        .collect();
    let mut claims = vec![
        BatchClaim {
            commitment: main,
            matrices: openings
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let mut pts = vec![(zeta, o.trace_local.clone())];
                    if spec.instances[i].main_next {
                        pts.push((zeta_next[i], o.trace_next.clone()));
                    }
                    MatrixClaim { openings: pts }
                })
                .collect(),
        },
        BatchClaim {
            commitment: quotient,
            matrices: openings
                .iter()
                .flat_map(|o| o.quotient_chunks.iter())
                .map(|c| MatrixClaim {
                    openings: vec![(zeta, c.clone())],
                })
                .collect(),
        },
    ];
    if let Some(p) = preprocessed {
        claims.push(BatchClaim {
            commitment: *p,
            matrices: spec
                .preprocessed_order
                .iter()
                .map(|&i| {
                    let o = &openings[i];
                    let mut pts = vec![(zeta, o.preprocessed_local.clone())];
                    if spec.instances[i].preprocessed_next {
                        pts.push((zeta_next[i], o.preprocessed_next.clone()));
                    }
                    MatrixClaim { openings: pts }
                })
                .collect(),
        });
    }
    if let Some(p) = permutation {
        claims.push(BatchClaim {
            commitment: p,
            matrices: openings
                .iter()
                .enumerate()
                .filter(|(i, _)| !spec.instances[*i].lookups.is_empty())
                .map(|(i, o)| MatrixClaim {
                    openings: vec![
                        (zeta, o.permutation_local.clone()),
                        (zeta_next[i], o.permutation_next.clone()),
                    ],
                })
                .collect(),
        });
    }
    verify_pcs(
        g,
        &mut ch,
        &spec.settings,
        &spec.claim_shape,
        &claims,
        source,
    );

    // Each instance's constraints at ζ against its quotient.
    g.context("constraints at the out-of-domain point");
    let shift = Val::GENERATOR;
    for (i, (s, o)) in spec.instances.iter().zip(&openings).enumerate() {
        let n_bits = s.degree_bits;
        let zeta_n = pow2k(g, zeta, n_bits);
        let one = g.one();
        let vanishing = g.sub(zeta_n, one);
        let inv_vanishing = g.inverse(vanishing);
        let omega_inv = Val::two_adic_generator(n_bits).inverse();
        let minus_one = g.constant_base(Val::NEG_ONE);
        let transition = {
            let c = g.constant_base(-omega_inv);
            g.add(zeta, c)
        };
        let first = {
            let d = g.add(zeta, minus_one);
            g.div(vanishing, d)
        };
        let last = g.div(vanishing, transition);

        // quotient(ζ) = Σ_c zps_c · Σ_k X^k·chunk_c[k]
        let k_chunks = s.quotient_chunks();
        let omega_k = Val::two_adic_generator(s.log_quotient_chunks);
        let shift_n_inv = shift.exp_power_of_2(n_bits).inverse();
        let mut quotient_at_zeta = g.zero();
        for (c, chunk) in o.quotient_chunks.iter().enumerate() {
            let mut zps = g.one();
            let mut denominator = Val::ONE;
            for j in 0..k_chunks {
                if j == c {
                    continue;
                }
                // (ζ/s_j)^N − 1 with s_j = 3·ω_K'^j, (s_j)^N = 3^N·ω_K^j
                let coeff = shift_n_inv * omega_k.exp_u64(j as u64).inverse();
                let term = g.scale_add(zeta_n, coeff, minus_one);
                zps = g.mul(zps, term);
                denominator *=
                    omega_k.exp_u64(c as u64) * omega_k.exp_u64(j as u64).inverse() - Val::ONE;
            }
            let q = recompose(g, chunk);
            let zq = g.mul(zps, q);
            quotient_at_zeta = g.scale_add(zq, denominator.inverse(), quotient_at_zeta);
        }

        let perm_local: Vec<G::W> = o
            .permutation_local
            .chunks(D)
            .map(|c| recompose(g, c))
            .collect();
        let perm_next: Vec<G::W> = o
            .permutation_next
            .chunks(D)
            .map(|c| recompose(g, c))
            .collect();
        let zero = g.zero();
        let mut tr = Translator::<G> {
            leaves: Leaves {
                local: &o.trace_local,
                next: &o.trace_next,
                pre_local: &o.preprocessed_local,
                pre_next: &o.preprocessed_next,
                publics: &public_values[i],
                perm_local: &perm_local,
                perm_next: &perm_next,
                challenges: &challenges[i],
                terminal: terminals[i],
                first,
                last,
                transition,
                zero,
            },
            base_memo: HashMap::new(),
            ext_memo: HashMap::new(),
        };
        let mut acc = g.zero();
        for c in &s.constraints {
            let t = match c {
                Constraint::Base(e) => tr.base(g, e),
                Constraint::Ext(e) => tr.ext(g, e),
            };
            let t = wire(g, t);
            acc = g.mul_add(acc, alpha, t);
        }
        let folded = g.mul(acc, inv_vanishing);
        g.assert_eq(folded, quotient_at_zeta);
    }
    g.context("LogUp terminal sum");
    let mut sum = g.zero();
    for t in terminals.iter().flatten() {
        sum = g.add(sum, *t);
    }
    g.assert_zero(sum);
}

/// A batch proof's values as circuit inputs, in the order [`verify_batch`] reads them.
pub struct InputBatchSource<'a> {
    fri: InputFriSource<'a>,
}

impl<'a> InputBatchSource<'a> {
    /// Inputs for a proof of `spec`'s shape.
    pub fn new(spec: &'a BatchSpec) -> Self {
        Self {
            fri: InputFriSource::new(&spec.settings, &spec.claim_shape),
        }
    }
}

macro_rules! delegate_fri {
    ($g:ty, $w:ty) => {
        fn commit_roots(&mut self, g: &mut $g, rounds: usize) -> Vec<Digest<$w>> {
            self.fri.commit_roots(g, rounds)
        }
        fn final_poly(&mut self, g: &mut $g) -> $w {
            self.fri.final_poly(g)
        }
        fn query_pow_witness(&mut self, g: &mut $g) -> $w {
            self.fri.query_pow_witness(g)
        }
        fn input_openings(
            &mut self,
            g: &mut $g,
            batch: usize,
            index_bits: &[Vec<$w>],
        ) -> Vec<BatchOpening<$w>> {
            self.fri.input_openings(g, batch, index_bits)
        }
        fn siblings(&mut self, g: &mut $g, round: usize) -> Vec<$w> {
            self.fri.siblings(g, round)
        }
        fn commit_paths(
            &mut self,
            g: &mut $g,
            round: usize,
            leaves: &[[$w; 2]],
            index_bits: &[Vec<$w>],
        ) -> Vec<Vec<Digest<$w>>> {
            self.fri.commit_paths(g, round, leaves, index_bits)
        }
    };
}

use super::circuit::{CircuitBuilder, Wire};

impl FriSource<CircuitBuilder> for InputBatchSource<'_> {
    delegate_fri!(CircuitBuilder, Wire);
}

fn inputs(g: &mut CircuitBuilder, n: usize) -> Vec<Wire> {
    (0..n).map(|_| g.input()).collect()
}

impl BatchSource<CircuitBuilder> for InputBatchSource<'_> {
    fn main_commitment(&mut self, g: &mut CircuitBuilder) -> Digest<Wire> {
        std::array::from_fn(|_| g.input())
    }

    fn permutation_commitment(&mut self, g: &mut CircuitBuilder) -> Digest<Wire> {
        std::array::from_fn(|_| g.input())
    }

    fn terminal(&mut self, g: &mut CircuitBuilder, _instance: usize) -> Wire {
        g.input()
    }

    fn quotient_commitment(&mut self, g: &mut CircuitBuilder) -> Digest<Wire> {
        std::array::from_fn(|_| g.input())
    }

    fn opening(
        &mut self,
        g: &mut CircuitBuilder,
        spec: &BatchSpec,
        instance: usize,
    ) -> InstanceOpening<Wire> {
        let s = &spec.instances[instance];
        let perm = s.permutation_width();
        InstanceOpening {
            trace_local: inputs(g, s.width),
            trace_next: inputs(g, if s.main_next { s.width } else { 0 }),
            quotient_chunks: (0..s.quotient_chunks()).map(|_| inputs(g, D)).collect(),
            preprocessed_local: inputs(g, s.preprocessed_width),
            preprocessed_next: inputs(
                g,
                if s.preprocessed_next {
                    s.preprocessed_width
                } else {
                    0
                },
            ),
            permutation_local: inputs(g, perm),
            permutation_next: inputs(g, perm),
        }
    }
}

/// A native batch proof's values, recorded in reading order (see [`NativeFriSource`]).
pub struct NativeBatchSource<'a> {
    proof: &'a BatchProof<LeafConfig>,
    /// The PCS part; its tape is the whole recording.
    pub fri: NativeFriSource<'a>,
}

impl<'a> NativeBatchSource<'a> {
    /// Values of `proof` of `spec`'s shape.
    pub fn new(
        proof: &'a BatchProof<LeafConfig>,
        spec: &'a BatchSpec,
        mmcs: &'a LeafValMmcs,
    ) -> Self {
        let fri_proof: &'a NativeFriProof = &proof.opening_proof;
        Self {
            proof,
            fri: NativeFriSource::new(fri_proof, mmcs, &spec.settings, &spec.claim_shape),
        }
    }

    /// The recorded values: the circuit's inputs.
    pub fn tape(&self) -> &[Ext] {
        &self.fri.tape
    }

    fn digest(&mut self, d: Option<&[Val; 8]>, g: &mut Native, what: &str) -> Digest<Ext> {
        if d.is_none() {
            g.fail(format!("the proof has no {what} commitment"));
        }
        let d = d.copied().unwrap_or([Val::ZERO; 8]);
        std::array::from_fn(|i| self.fri.give_value(Ext::from(d[i]), "commitment"))
    }

    fn values(&mut self, g: &mut Native, v: Option<&[Ext]>, n: usize, what: &str) -> Vec<Ext> {
        let v = v.unwrap_or(&[]);
        if v.len() != n {
            g.fail(format!("{what}: {} values, expected {n}", v.len()));
        }
        (0..n)
            .map(|k| {
                self.fri
                    .give_value(v.get(k).copied().unwrap_or(Ext::ZERO), "opened")
            })
            .collect()
    }
}

impl FriSource<Native> for NativeBatchSource<'_> {
    delegate_fri!(Native, Ext);
}

impl BatchSource<Native> for NativeBatchSource<'_> {
    fn main_commitment(&mut self, g: &mut Native) -> Digest<Ext> {
        let root = self.proof.commitments.main.roots().first().copied();
        self.digest(root.as_ref(), g, "main")
    }

    fn permutation_commitment(&mut self, g: &mut Native) -> Digest<Ext> {
        let root = self
            .proof
            .commitments
            .permutation
            .as_ref()
            .and_then(|c| c.roots().first().copied());
        self.digest(root.as_ref(), g, "permutation")
    }

    fn terminal(&mut self, g: &mut Native, instance: usize) -> Ext {
        let t = self
            .proof
            .lookup_terminals
            .get(instance)
            .and_then(|t| t.as_ref())
            .map(|t| t.0);
        if t.is_none() {
            g.fail(format!("instance {instance} has no LogUp terminal"));
        }
        self.fri.give_value(t.unwrap_or(Ext::ZERO), "terminal")
    }

    fn quotient_commitment(&mut self, g: &mut Native) -> Digest<Ext> {
        let root = self
            .proof
            .commitments
            .quotient_chunks
            .roots()
            .first()
            .copied();
        self.digest(root.as_ref(), g, "quotient")
    }

    fn opening(
        &mut self,
        g: &mut Native,
        spec: &BatchSpec,
        instance: usize,
    ) -> InstanceOpening<Ext> {
        let s = &spec.instances[instance];
        if self.proof.degree_bits.get(instance) != Some(&s.degree_bits) {
            g.fail(format!("instance {instance} has another height"));
        }
        let Some(o) = self.proof.opened_values.instances.get(instance) else {
            g.fail(format!("no opened values for instance {instance}"));
            return InstanceOpening {
                trace_local: vec![],
                trace_next: vec![],
                quotient_chunks: vec![],
                preprocessed_local: vec![],
                preprocessed_next: vec![],
                permutation_local: vec![],
                permutation_next: vec![],
            };
        };
        let b = &o.base_opened_values;
        let perm = s.permutation_width();
        let chunks = s.quotient_chunks();
        InstanceOpening {
            trace_local: self.values(g, Some(&b.trace_local), s.width, "trace row"),
            trace_next: self.values(
                g,
                b.trace_next.as_deref(),
                if s.main_next { s.width } else { 0 },
                "next trace row",
            ),
            quotient_chunks: (0..chunks)
                .map(|c| {
                    self.values(
                        g,
                        b.quotient_chunks.get(c).map(Vec::as_slice),
                        D,
                        "quotient",
                    )
                })
                .collect(),
            preprocessed_local: self.values(
                g,
                b.preprocessed_local(),
                s.preprocessed_width,
                "preprocessed row",
            ),
            preprocessed_next: self.values(
                g,
                b.preprocessed_next(),
                if s.preprocessed_next {
                    s.preprocessed_width
                } else {
                    0
                },
                "next preprocessed row",
            ),
            permutation_local: self.values(g, Some(&o.permutation_local), perm, "LogUp row"),
            permutation_next: self.values(g, Some(&o.permutation_next), perm, "next LogUp row"),
        }
    }
}
