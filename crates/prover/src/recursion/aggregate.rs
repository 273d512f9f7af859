//! Aggregation: one proof that two proofs verify and that their statements chain.
//!
//! **Leaves** are checkpoint proofs made for recursion: the transition AIR proven alone in a
//! batch STARK ([`CheckpointProver`]) at a fixed height. **Aggregation proofs** prove a circuit
//! ([`Aggregator`]) that runs [`verify_batch`] on its two inputs — each a checkpoint proof or
//! a proof of a known aggregation circuit, whose verifying key (the commitment to its
//! preprocessed columns) is a constant of the circuit — and checks:
//!
//! * the left input's end state root, archive and deposit accumulator are the right input's
//!   start ones (the archive is a hash chain of the checkpoints, so their numbers follow);
//! * the checkpoint chain continues: an aggregation statement carries the chain value before
//!   and after its range (`chain_end = fold(chain_start, seals)`), and a checkpoint enters
//!   with its seal digest `s`, checked against its own proof's chain value `compress(0, s)`;
//! * the joined statement, its public values, is the left input's start and the right
//!   input's end.
//!
//! The epoch's statement for L1 is then an aggregation statement whose chain starts at zero:
//! the same chain L1 computes over the epoch's headers.

use super::circuit::{Circuit, CircuitBuilder, Ext, Wire};
use super::gadgets::{Digest, compress};
use super::gates::{Gates, Native};
use super::stark::{CircuitKey, CircuitProof, StarkError};
use super::verifier::{BatchSource, BatchSpec, InputBatchSource, NativeBatchSource, verify_batch};
use crate::circuit::{
    CheckpointWitness, NUM_PUBLIC_VALUES, TransitionAir, generate_trace_padded, pv,
};
use crate::config::{LeafConfig, Val, leaf_val_mmcs, recursion_config};
use crate::proof::{CheckpointStatement, ProofError};
use alloy::primitives::Address;
use p3_batch_stark::{
    BatchProof, ProverData, StarkInstance, prove_batch, verify_batch as p3_verify,
};
use p3_field::PrimeCharacteristicRing;
use vouch_rollup::hash::Digest as RollupDigest;

/// Public values of an aggregation proof: start and end state root, archive, chain and
/// deposit accumulator (8 each), then the prover's address (ten 16-bit limbs).
pub const AGG_PUBLIC_VALUES: usize = 8 * 8 + pv::PROVER_LIMBS;

/// Offsets into an aggregation proof's public values.
pub mod apv {
    /// State root before the range.
    pub const START_ROOT: usize = 0;
    /// Archive before the range.
    pub const START_ARCHIVE: usize = 8;
    /// State root after the range.
    pub const END_ROOT: usize = 16;
    /// Archive after the range.
    pub const END_ARCHIVE: usize = 24;
    /// Checkpoint chain before the range.
    pub const CHAIN_START: usize = 32;
    /// Checkpoint chain after the range.
    pub const CHAIN_END: usize = 40;
    /// Deposit accumulator before the range.
    pub const START_DEPOSITS: usize = 48;
    /// Deposit accumulator after the range.
    pub const END_DEPOSITS: usize = 56;
    /// The prover's address limbs.
    pub const PROVER: usize = 64;
}

/// What an aggregation proof proves about a range of consecutive checkpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggStatement {
    /// State root before.
    pub start_root: RollupDigest,
    /// Archive before.
    pub start_archive: RollupDigest,
    /// State root after.
    pub end_root: RollupDigest,
    /// Archive after.
    pub end_archive: RollupDigest,
    /// Chain value before the range's first checkpoint.
    pub chain_start: RollupDigest,
    /// Chain value after its last.
    pub chain_end: RollupDigest,
    /// Deposit accumulator before.
    pub start_deposits: RollupDigest,
    /// Deposit accumulator after.
    pub end_deposits: RollupDigest,
    /// Who made the proof (bound by the transcript).
    pub prover: Address,
}

impl AggStatement {
    /// The public values, in [`apv`] order.
    pub fn public_values(&self) -> [Val; AGG_PUBLIC_VALUES] {
        let mut out = [Val::ZERO; AGG_PUBLIC_VALUES];
        let parts = [
            (apv::START_ROOT, self.start_root),
            (apv::START_ARCHIVE, self.start_archive),
            (apv::END_ROOT, self.end_root),
            (apv::END_ARCHIVE, self.end_archive),
            (apv::CHAIN_START, self.chain_start),
            (apv::CHAIN_END, self.chain_end),
            (apv::START_DEPOSITS, self.start_deposits),
            (apv::END_DEPOSITS, self.end_deposits),
        ];
        for (at, d) in parts {
            out[at..at + 8].copy_from_slice(&d.0);
        }
        out[apv::PROVER..].copy_from_slice(&crate::circuit::prover_limbs(&self.prover));
        out
    }

    /// The statement of one checkpoint, its chain continuing from `chain_start`.
    pub fn of_checkpoint(
        s: &CheckpointStatement,
        chain_start: RollupDigest,
        prover: Address,
    ) -> Self {
        Self {
            start_root: s.pre_state_root,
            start_archive: s.previous_archive,
            end_root: s.checkpoint.state_root,
            end_archive: s.checkpoint.archive,
            chain_start,
            chain_end: vouch_rollup::checkpoint::chain_checkpoint(&chain_start, &s.checkpoint),
            start_deposits: s.deposit_accumulator,
            end_deposits: s.deposit_accumulator_end,
            prover,
        }
    }

    /// `self` followed by `next` (which must start where `self` ends).
    pub fn join(&self, next: &Self, prover: Address) -> Option<Self> {
        (self.end_root == next.start_root
            && self.end_archive == next.start_archive
            && self.chain_end == next.chain_start
            && self.end_deposits == next.start_deposits)
            .then_some(Self {
                end_root: next.end_root,
                end_archive: next.end_archive,
                chain_end: next.chain_end,
                end_deposits: next.end_deposits,
                prover,
                ..*self
            })
    }
}

/// Proves single checkpoints as batch STARKs of a fixed height, the leaves of aggregation.
pub struct CheckpointProver {
    log_rows: usize,
    config: LeafConfig,
    prover_data: ProverData<LeafConfig>,
    spec: BatchSpec,
}

impl std::fmt::Debug for CheckpointProver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointProver")
            .field("log_rows", &self.log_rows)
            .finish()
    }
}

/// A checkpoint proof for recursion.
pub type LeafProof = BatchProof<LeafConfig>;

impl CheckpointProver {
    /// Checkpoint proofs of `2^log_rows` rows.
    pub fn new(log_rows: usize) -> Result<Self, StarkError> {
        let config = recursion_config();
        let prover_data = ProverData::from_airs_and_degrees(&config, &[TransitionAir], &[log_rows])
            .map_err(|e| StarkError::Prove(format!("{e:?}")))?;
        let spec = BatchSpec::new(&config, &[TransitionAir], &[log_rows], &prover_data.common)
            .map_err(StarkError::Prove)?;
        Ok(Self {
            log_rows,
            config,
            prover_data,
            spec,
        })
    }

    /// The fixed shape of its proofs.
    pub fn spec(&self) -> &BatchSpec {
        &self.spec
    }

    /// Proves one checkpoint (its trace padded to the fixed height).
    pub fn prove(
        &self,
        witness: &CheckpointWitness,
    ) -> Result<(LeafProof, CheckpointStatement), ProofError> {
        let (trace, pv) = generate_trace_padded(
            std::slice::from_ref(witness),
            &Address::ZERO,
            1 << self.log_rows,
        )?;
        if trace.values.len() / trace.width != 1 << self.log_rows {
            return Err(ProofError::Statement(format!(
                "the checkpoint needs more than 2^{} rows",
                self.log_rows
            )));
        }
        let statement = CheckpointStatement::of(witness);
        debug_assert_eq!(statement.public_values(), pv);
        let instances = [StarkInstance {
            air: &TransitionAir,
            trace: &trace,
            public_values: pv.to_vec(),
        }];
        let proof = prove_batch(&self.config, &instances, &self.prover_data)
            .map_err(|e| ProofError::Prove(format!("{e:?}")))?;
        Ok((proof, statement))
    }

    /// Verifies a leaf proof natively (Plonky3's verifier).
    pub fn verify(
        &self,
        proof: &LeafProof,
        statement: &CheckpointStatement,
    ) -> Result<(), ProofError> {
        p3_verify(
            &self.config,
            &[TransitionAir],
            proof,
            &[statement.public_values().to_vec()],
            &self.prover_data.common,
        )
        .map_err(|e| ProofError::Rejected(format!("{e:?}")))
    }
}

/// Proves one checkpoint as a batch STARK of `2^log_rows` rows under any Poseidon2
/// configuration (tests: a proof of another configuration than the aggregation expects).
pub fn prove_leaf_with(
    config: &LeafConfig,
    log_rows: usize,
    witness: &CheckpointWitness,
) -> Result<LeafProof, ProofError> {
    let (trace, pv) =
        generate_trace_padded(std::slice::from_ref(witness), &Address::ZERO, 1 << log_rows)?;
    let prover_data = ProverData::from_airs_and_degrees(config, &[TransitionAir], &[log_rows])
        .map_err(|e| ProofError::Prove(format!("{e:?}")))?;
    let instances = [StarkInstance {
        air: &TransitionAir,
        trace: &trace,
        public_values: pv.to_vec(),
    }];
    prove_batch(config, &instances, &prover_data).map_err(|e| ProofError::Prove(format!("{e:?}")))
}

/// One input of an aggregation circuit.
#[derive(Clone, Debug)]
pub enum InnerKind {
    /// A checkpoint proof of this shape.
    Checkpoint(BatchSpec),
    /// A proof of an aggregation circuit: its shape and verifying key.
    Aggregation(BatchSpec, [Val; 8]),
}

/// An input proof with its statement.
#[derive(Clone, Copy)]
pub enum InnerProof<'a> {
    /// A checkpoint proof.
    Checkpoint(&'a LeafProof, &'a CheckpointStatement),
    /// An aggregation proof.
    Aggregation(&'a CircuitProof, &'a AggStatement),
}

/// Where a side's values come from: its proof's values plus its statement (and, for a
/// checkpoint, its seal digest).
trait SideSource<G: Gates> {
    type Batch: BatchSource<G>;
    fn public_values(&mut self, g: &mut G, n: usize) -> Vec<G::W>;
    fn seal(&mut self, g: &mut G) -> Digest<G::W>;
    fn batch(&mut self) -> &mut Self::Batch;
}

/// A side's statement, as the aggregation reads it.
struct Side<W> {
    start_root: Digest<W>,
    start_archive: Digest<W>,
    end_root: Digest<W>,
    end_archive: Digest<W>,
    chain_start: Digest<W>,
    chain_end: Digest<W>,
    start_deposits: Digest<W>,
    end_deposits: Digest<W>,
}

fn digest_at<W: Copy>(v: &[W], at: usize) -> Digest<W> {
    std::array::from_fn(|i| v[at + i])
}

fn assert_digest<G: Gates>(g: &mut G, a: &Digest<G::W>, b: &Digest<G::W>) {
    for (x, y) in a.iter().zip(b) {
        g.assert_eq(*x, *y);
    }
}

/// Verifies one side and reads its statement. `chain_start` is where a checkpoint's chain
/// continues from (ignored for an aggregation, which carries its own).
fn side<G: Gates, S: SideSource<G>>(
    g: &mut G,
    kind: &InnerKind,
    chain_start: Digest<G::W>,
    src: &mut S,
) -> Side<G::W> {
    match kind {
        InnerKind::Checkpoint(spec) => {
            let pvs = src.public_values(g, NUM_PUBLIC_VALUES);
            let seal = src.seal(g);
            verify_batch(g, spec, std::slice::from_ref(&pvs), None, src.batch());
            g.context("the checkpoint's seal");
            // The proof's chain value is compress(0, seal): the seal is the checkpoint's.
            let zero = [g.zero(); 8];
            let own = compress(g, &zero, &seal);
            assert_digest(g, &own, &digest_at(&pvs, pv::CHAIN));
            let chain_end = compress(g, &chain_start, &seal);
            Side {
                start_root: digest_at(&pvs, pv::START_ROOT),
                start_archive: digest_at(&pvs, pv::START_ARCHIVE),
                end_root: digest_at(&pvs, pv::END_ROOT),
                end_archive: digest_at(&pvs, pv::END_ARCHIVE),
                chain_start,
                chain_end,
                start_deposits: digest_at(&pvs, pv::START_DEPOSITS),
                end_deposits: digest_at(&pvs, pv::END_DEPOSITS),
            }
        }
        InnerKind::Aggregation(spec, vk) => {
            let pvs = src.public_values(g, AGG_PUBLIC_VALUES);
            let vk: Digest<G::W> = vk.map(|v| g.constant_base(v));
            let per_instance: Vec<Vec<G::W>> = spec
                .public_value_counts()
                .iter()
                .map(|&n| if n == 0 { vec![] } else { pvs.clone() })
                .collect();
            verify_batch(g, spec, &per_instance, Some(&vk), src.batch());
            Side {
                start_root: digest_at(&pvs, apv::START_ROOT),
                start_archive: digest_at(&pvs, apv::START_ARCHIVE),
                end_root: digest_at(&pvs, apv::END_ROOT),
                end_archive: digest_at(&pvs, apv::END_ARCHIVE),
                chain_start: digest_at(&pvs, apv::CHAIN_START),
                chain_end: digest_at(&pvs, apv::CHAIN_END),
                start_deposits: digest_at(&pvs, apv::START_DEPOSITS),
                end_deposits: digest_at(&pvs, apv::END_DEPOSITS),
            }
        }
    }
}

/// The aggregation logic: both sides verify, they chain, and `joined` is their union.
fn aggregate<G: Gates, L: SideSource<G>, R: SideSource<G>>(
    g: &mut G,
    kinds: &[InnerKind; 2],
    joined: &[G::W],
    left_src: &mut L,
    right_src: &mut R,
) {
    let chain_start = digest_at(joined, apv::CHAIN_START);
    let left = side(g, &kinds[0], chain_start, left_src);
    let right = side(g, &kinds[1], left.chain_end, right_src);
    g.context("the two ranges chain");
    // The two ranges chain.
    assert_digest(g, &left.end_root, &right.start_root);
    assert_digest(g, &left.end_archive, &right.start_archive);
    assert_digest(g, &left.end_deposits, &right.start_deposits);
    assert_digest(g, &left.chain_end, &right.chain_start);
    g.context("the joined statement");
    // The joined statement is their union.
    assert_digest(g, &digest_at(joined, apv::START_ROOT), &left.start_root);
    assert_digest(
        g,
        &digest_at(joined, apv::START_ARCHIVE),
        &left.start_archive,
    );
    assert_digest(
        g,
        &digest_at(joined, apv::START_DEPOSITS),
        &left.start_deposits,
    );
    assert_digest(g, &chain_start, &left.chain_start);
    assert_digest(g, &digest_at(joined, apv::END_ROOT), &right.end_root);
    assert_digest(g, &digest_at(joined, apv::END_ARCHIVE), &right.end_archive);
    assert_digest(
        g,
        &digest_at(joined, apv::END_DEPOSITS),
        &right.end_deposits,
    );
    assert_digest(g, &digest_at(joined, apv::CHAIN_END), &right.chain_end);
}

struct InputSide<'a>(InputBatchSource<'a>);

impl<'a> SideSource<CircuitBuilder> for InputSide<'a> {
    type Batch = InputBatchSource<'a>;
    fn batch(&mut self) -> &mut Self::Batch {
        &mut self.0
    }
    fn public_values(&mut self, g: &mut CircuitBuilder, n: usize) -> Vec<Wire> {
        (0..n).map(|_| g.input()).collect()
    }
    fn seal(&mut self, g: &mut CircuitBuilder) -> Digest<Wire> {
        std::array::from_fn(|_| g.input())
    }
}

struct NativeSide<'a> {
    inner: NativeBatchSource<'a>,
    public_values: Vec<Val>,
    seal: RollupDigest,
}

impl<'a> SideSource<Native> for NativeSide<'a> {
    type Batch = NativeBatchSource<'a>;
    fn batch(&mut self) -> &mut Self::Batch {
        &mut self.inner
    }
    fn public_values(&mut self, g: &mut Native, n: usize) -> Vec<Ext> {
        if self.public_values.len() != n {
            g.fail("the statement has the wrong number of public values");
        }
        (0..n)
            .map(|i| {
                let v = Ext::from(self.public_values.get(i).copied().unwrap_or(Val::ZERO));
                self.inner.fri.give_value(v, "statement")
            })
            .collect()
    }
    fn seal(&mut self, _g: &mut Native) -> Digest<Ext> {
        std::array::from_fn(|i| self.inner.fri.give_value(Ext::from(self.seal.0[i]), "seal"))
    }
}

fn native_side<'a>(
    p: InnerProof<'a>,
    kind: &'a InnerKind,
    mmcs: &'a crate::config::LeafValMmcs,
) -> Result<NativeSide<'a>, String> {
    Ok(match (p, kind) {
        (InnerProof::Checkpoint(proof, st), InnerKind::Checkpoint(spec)) => NativeSide {
            inner: NativeBatchSource::new(proof, spec, mmcs),
            public_values: st.public_values().to_vec(),
            seal: st.checkpoint.digest(),
        },
        (InnerProof::Aggregation(proof, st), InnerKind::Aggregation(spec, _)) => NativeSide {
            inner: NativeBatchSource::new(proof, spec, mmcs),
            public_values: st.public_values().to_vec(),
            seal: RollupDigest::ZERO,
        },
        _ => return Err("an input of the wrong kind".into()),
    })
}

/// One aggregation step, compiled: the circuit verifying two inputs of fixed kinds.
pub struct Aggregator {
    kinds: [InnerKind; 2],
    key: CircuitKey,
}

impl std::fmt::Debug for Aggregator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aggregator")
            .field("key", &self.key)
            .finish()
    }
}

impl Aggregator {
    /// The aggregation circuit for inputs of these kinds.
    pub fn new(left: InnerKind, right: InnerKind) -> Result<Self, StarkError> {
        let kinds = [left, right];
        let mut b = CircuitBuilder::new();
        let joined: Vec<Wire> = (0..AGG_PUBLIC_VALUES).map(|_| b.public()).collect();
        let spec_of = |k: &InnerKind| match k {
            InnerKind::Checkpoint(s) | InnerKind::Aggregation(s, _) => s.clone(),
        };
        let (ls, rs) = (spec_of(&kinds[0]), spec_of(&kinds[1]));
        let mut left = InputSide(InputBatchSource::new(&ls));
        let mut right = InputSide(InputBatchSource::new(&rs));
        aggregate(&mut b, &kinds, &joined, &mut left, &mut right);
        let key = CircuitKey::new(b.build())?;
        Ok(Self { kinds, key })
    }

    /// The circuit and its verifying key.
    pub fn key(&self) -> &CircuitKey {
        &self.key
    }

    /// What a proof of this step is, as an input of another step.
    pub fn as_inner(&self) -> Result<InnerKind, StarkError> {
        let spec = BatchSpec::new(
            self.key.config(),
            self.key.tables(),
            &self.key.degree_bits(),
            self.key.common(),
        )
        .map_err(StarkError::Prove)?;
        Ok(InnerKind::Aggregation(
            spec,
            self.key.preprocessed_commitment(),
        ))
    }

    /// Runs the reference verifier of this step on `left` and `right` under the claimed `joined`
    /// statement: the circuit's inputs (in reading order, complete even when a check fails) and
    /// the first failed check, if any.
    pub fn run(
        &self,
        left: InnerProof<'_>,
        right: InnerProof<'_>,
        joined: &AggStatement,
    ) -> Result<(Vec<Ext>, Result<(), String>), String> {
        let mmcs = leaf_val_mmcs();
        let mut g = Native::new();
        let joined_pv: Vec<Ext> = joined
            .public_values()
            .iter()
            .map(|v| Ext::from(*v))
            .collect();
        let mut l = native_side(left, &self.kinds[0], &mmcs)?;
        let mut r = native_side(right, &self.kinds[1], &mmcs)?;
        aggregate(&mut g, &self.kinds, &joined_pv, &mut l, &mut r);
        let mut inputs = l.inner.tape().to_vec();
        inputs.extend(r.inner.tape());
        Ok((inputs, g.result()))
    }

    /// The circuit's inputs for `left` and `right` under `joined`, once the reference verifier
    /// accepts them; `Err` names the first failed check.
    pub fn inputs(
        &self,
        left: InnerProof<'_>,
        right: InnerProof<'_>,
        joined: &AggStatement,
    ) -> Result<Vec<Ext>, String> {
        let (inputs, result) = self.run(left, right, joined)?;
        result.map(|()| inputs)
    }

    /// Proves that `left` and `right` verify and chain into `joined`.
    pub fn prove(
        &self,
        left: InnerProof<'_>,
        right: InnerProof<'_>,
        joined: &AggStatement,
    ) -> Result<CircuitProof, StarkError> {
        let inputs = self
            .inputs(left, right, joined)
            .map_err(StarkError::Prove)?;
        let witness = self
            .key
            .circuit()
            .execute(&joined.public_values(), &inputs)
            .map_err(|e| StarkError::Prove(e.to_string()))?;
        self.key.prove(&witness)
    }

    /// Verifies an aggregation proof of this step against its joined statement.
    pub fn verify(&self, proof: &CircuitProof, joined: &AggStatement) -> Result<(), StarkError> {
        self.key.verify(proof, &joined.public_values())
    }

    /// The compiled circuit.
    pub fn circuit(&self) -> &Circuit {
        self.key.circuit()
    }
}
