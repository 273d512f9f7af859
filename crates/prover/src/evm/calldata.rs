//! The epoch proof as calldata for the Solidity verifier (`contracts/src/verifier/EpochVerifier.sol`).
//!
//! A Plonky3 epoch proof is 150–250 KB, over the 128 KB a transaction may carry, and its
//! verification costs more than one transaction's gas, so it is verified in a session:
//!
//! 1. `begin(publicValues, headers, proof)` takes [`EpochCalldata::proof`]: commitments, the
//!    claimed evaluations at ζ, the final polynomial, the query proof-of-work witness and the
//!    domain-separation seeds. It replays the transcript, checks the out-of-domain constraint
//!    identity and commits to the session [`EpochCalldata::state`] (challenges, query
//!    indices, the query-independent parts of the DEEP quotient) by its hash.
//! 2. `verifyQueries(session, state, batch)` once per [`EpochCalldata::batches`] entry: a
//!    subset of the 55 FRI queries with their opened rows, their own Merkle multiproofs (built
//!    here from the proof's pruned paths), and the FRI sibling values.
//! 3. `Rollup.submitEpochProof(…, abi.encode(session))` accepts once every query is marked.
//!
//! Field elements travel as Plonky3 serializes and hashes them (Montgomery form, 4 bytes
//! little-endian), so the verifier hashes calldata as it stands. The layouts are documented
//! on [`EpochCalldata`]. The transcript is replayed here with Plonky3's own challenger, so a
//! mismatch between this module and the contract shows up as a rejected `state`.

use super::seeds::{self, FINAL_POLY_LEN, NUM_QUERIES, QUERY_POW_BITS, fold_schedule, monty_le};
use crate::config::{EvmChallenge as EF, EvmChallenger, EvmConfig, Val};
use alloy::primitives::{Address, B256, keccak256};
use p3_challenger::{CanObserve, CanSampleBits, FieldChallenger, GrindingChallenger};
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing, PrimeField32, TwoAdicField};
use p3_keccak::Keccak256Hash;
use p3_uni_stark::Proof;
use std::collections::HashMap;

/// Columns of the epoch AIR's main trace.
pub const TRACE_WIDTH: usize = crate::circuit::WIDTH;
/// Values per quotient-domain row (2 chunks × 8 base coefficients).
pub const QUOTIENT_WIDTH: usize = 16;
/// Public values of the epoch AIR.
pub const NUM_PUBLIC_VALUES: usize = crate::circuit::NUM_PUBLIC_VALUES;
/// A batch may not exceed this many bytes by default (geth's pool takes 128 KiB per
/// transaction, which also carries the session state and the ABI head).
pub const DEFAULT_BATCH_BYTES: usize = 100_000;

/// Why a proof cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// Not a postcard `Proof<EvmConfig>`.
    #[error("malformed epoch proof: {0}")]
    Malformed(String),
    /// A proof of another shape than the epoch AIR's with the EVM parameters.
    #[error("unexpected proof shape: {0}")]
    Shape(String),
    /// The proof does not verify (the encoder replays the whole verification).
    #[error("proof does not verify: {0}")]
    Invalid(&'static str),
}

/// Calldata of one epoch proof's verification session.
///
/// `proof` (argument of `begin`):
/// ```text
/// u8 degreeBits ‖ u8 rounds ‖ traceRoot ‖ quotientRoot ‖ rounds × commitRoot
/// ‖ (2W + 16) × EF opened values (trace@ζ W, trace@ζω W, quotient chunk 0 (8), chunk 1 (8))
/// ‖ 32 × EF final polynomial ‖ F query PoW witness ‖ seeds (stark ‖ pcs ‖ fri)
/// ```
/// where `W` is [`TRACE_WIDTH`], `F` is 4 bytes (Montgomery, little-endian) and `EF` 8 such
/// coefficients.
///
/// `state` (32-byte words; `E` = an extension element as 8 canonical big-endian `u32`s):
/// ```text
/// pvHash, traceRoot, quotientRoot, degreeBits, rounds, E ζ, E friAlpha,
/// E A = Σ α^i·local_i, E B = Σ α^i·next_i, E C = Σ α^j·quotient_j, E α^W, E α^2W,
/// rounds × commitRoot, rounds × E β_r, 32 × E final polynomial,
/// 7 words of query indices (8 big-endian u32 per word, query 0 first)
/// ```
///
/// Each batch:
/// ```text
/// u8 n ‖ n × u8 query position (strictly ascending, < 55)
/// ‖ per query: W × F trace row ‖ 16 × F quotient row
/// ‖ u16 k ‖ k × 32 trace-tree siblings ‖ u16 k ‖ k × 32 quotient-tree siblings
/// ‖ per round: per query (2^arity − 1) × EF sibling values ‖ u16 k ‖ k × 32 siblings
/// ```
#[derive(Clone, Debug)]
pub struct EpochCalldata {
    /// `log2` of the trace height.
    pub degree_bits: usize,
    /// Argument of `begin`.
    pub proof: Vec<u8>,
    /// The session state `begin` commits to.
    pub state: Vec<u8>,
    /// Arguments of `verifyQueries`, one transaction each.
    pub batches: Vec<Vec<u8>>,
    /// The trace commitment (part of the session id).
    pub trace_root: B256,
    /// The query indices, in transcript order.
    pub query_indices: Vec<usize>,
}

impl EpochCalldata {
    /// The id `begin` gives the session of `owner` (the `begin` caller) for `pv_hash`
    /// (`keccak256(publicValues)`).
    pub fn session_id(&self, owner: Address, pv_hash: B256) -> B256 {
        keccak256(
            [
                owner.into_word().as_slice(),
                pv_hash.as_slice(),
                self.trace_root.as_slice(),
            ]
            .concat(),
        )
    }
}

fn ef_words(e: &EF) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, c) in
        out.chunks_exact_mut(4)
            .zip(<EF as BasedVectorSpace<Val>>::as_basis_coefficients_slice(
                e,
            ))
    {
        chunk.copy_from_slice(&c.as_canonical_u32().to_be_bytes());
    }
    out
}

fn ef_monty(e: &EF) -> Vec<u8> {
    monty_le(e.as_basis_coefficients_slice())
}

fn word(v: usize) -> [u8; 32] {
    B256::from(alloy::primitives::U256::from(v)).0
}

fn reverse_bits(x: usize, bits: usize) -> usize {
    if bits == 0 {
        0
    } else {
        x.reverse_bits() >> (usize::BITS as usize - bits)
    }
}

/// The nodes of one Merkle tree that a full multiproof reveals, level by level.
struct KnownTree {
    levels: Vec<HashMap<usize, [u8; 32]>>,
}

fn compress(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    keccak256([l.as_slice(), r.as_slice()].concat()).0
}

fn sorted_unique(leaves: &[(usize, [u8; 32])]) -> Result<Vec<(usize, [u8; 32])>, EncodeError> {
    let mut layer = leaves.to_vec();
    layer.sort_by_key(|x| x.0);
    let mut out: Vec<(usize, [u8; 32])> = Vec::with_capacity(layer.len());
    for (i, d) in layer {
        match out.last() {
            Some(&(j, e)) if j == i => {
                if e != d {
                    return Err(EncodeError::Invalid(
                        "two queries open one leaf differently",
                    ));
                }
            }
            _ => out.push((i, d)),
        }
    }
    Ok(out)
}

/// One level of a multiproof walk (Plonky3's wire order): pairs of present siblings hash
/// together; every other node takes its sibling from `sibling(index)`. Returns the parents.
fn level(
    layer: &[(usize, [u8; 32])],
    mut sibling: impl FnMut(usize) -> Result<[u8; 32], EncodeError>,
) -> Result<Vec<(usize, [u8; 32])>, EncodeError> {
    let mut parents = Vec::with_capacity(layer.len());
    let mut i = 0;
    while i < layer.len() {
        let (idx, d) = layer[i];
        if idx % 2 == 0 && i + 1 < layer.len() && layer[i + 1].0 == idx + 1 {
            parents.push((idx / 2, compress(&d, &layer[i + 1].1)));
            i += 2;
        } else {
            let s = sibling(idx ^ 1)?;
            let p = if idx % 2 == 0 {
                compress(&d, &s)
            } else {
                compress(&s, &d)
            };
            parents.push((idx / 2, p));
            i += 1;
        }
    }
    Ok(parents)
}

/// Walks Plonky3's pruned multiproof (sorted unique leaves, level-major siblings) and keeps
/// every node it sees; fails unless it ends at `root` having used every sibling.
fn walk(
    root: &[u8; 32],
    depth: usize,
    leaves: &[(usize, [u8; 32])],
    siblings: &[[u8; 32]],
) -> Result<KnownTree, EncodeError> {
    let mut layer = sorted_unique(leaves)?;
    let mut levels = Vec::with_capacity(depth);
    let mut next_sibling = siblings.iter();
    for _ in 0..depth {
        let mut known: HashMap<usize, [u8; 32]> = layer.iter().copied().collect();
        layer = level(&layer, |at| {
            let s = *next_sibling
                .next()
                .ok_or(EncodeError::Invalid("Merkle multiproof too short"))?;
            known.insert(at, s);
            Ok(s)
        })?;
        levels.push(known);
    }
    if next_sibling.next().is_some() {
        return Err(EncodeError::Invalid("Merkle multiproof too long"));
    }
    if layer.len() != 1 || layer[0].0 != 0 || layer[0].1 != *root {
        return Err(EncodeError::Invalid("Merkle root mismatch"));
    }
    Ok(KnownTree { levels })
}

impl KnownTree {
    /// The multiproof of a subset of the walked leaves, in the same wire order.
    fn prove(&self, leaves: &[(usize, [u8; 32])]) -> Result<Vec<[u8; 32]>, EncodeError> {
        let mut layer = sorted_unique(leaves)?;
        let mut out = vec![];
        for known in &self.levels {
            layer = level(&layer, |at| {
                let s = *known
                    .get(&at)
                    .ok_or(EncodeError::Invalid("subset leaves outside the proof"))?;
                out.push(s);
                Ok(s)
            })?;
        }
        Ok(out)
    }
}

fn leaf_hash(values: &[Val]) -> [u8; 32] {
    keccak256(monty_le(values)).0
}

/// The interpolant of degree `< xs.len()` through `(xs, ys)`, evaluated at `z` (plain
/// Lagrange form: the contract folds pairwise instead, so the two are independent).
fn lagrange_at(xs: &[Val], ys: &[EF], z: EF) -> EF {
    let mut r = EF::ZERO;
    for i in 0..xs.len() {
        let mut num = EF::ONE;
        let mut den = Val::ONE;
        for j in 0..xs.len() {
            if i != j {
                num *= z - xs[j];
                den *= xs[i] - xs[j];
            }
        }
        r += ys[i] * num * den.inverse();
    }
    r
}

fn push_siblings(out: &mut Vec<u8>, siblings: &[[u8; 32]]) -> Result<(), EncodeError> {
    let n = u16::try_from(siblings.len())
        .map_err(|_| EncodeError::Shape("more than 65535 siblings".into()))?;
    out.extend_from_slice(&n.to_be_bytes());
    for s in siblings {
        out.extend_from_slice(s);
    }
    Ok(())
}

/// Encodes a postcard `Proof<EvmConfig>` of the epoch AIR for the Solidity verifier, batches
/// of at most `max_batch_bytes` bytes each. `public_values` are the STARK's public values ([`NUM_PUBLIC_VALUES`]),
/// `pv_hash` is `keccak256` of the ABI-encoded `EpochPublicValues` the rollup computes.
///
/// Replays Plonky3's verification on the way (transcript, Merkle multiproofs, folding, final
/// polynomial), so an invalid proof is an error here rather than a reverted transaction.
pub fn encode(
    proof_bytes: &[u8],
    public_values: &[Val],
    pv_hash: B256,
    max_batch_bytes: usize,
) -> Result<EpochCalldata, EncodeError> {
    let proof: Proof<EvmConfig> =
        postcard::from_bytes(proof_bytes).map_err(|e| EncodeError::Malformed(e.to_string()))?;
    let shape = |what: &str| EncodeError::Shape(what.to_string());
    if public_values.len() != NUM_PUBLIC_VALUES {
        return Err(shape("the number of public values"));
    }
    let db = proof.degree_bits;
    if !(seeds::MIN_DEGREE_BITS..=seeds::MAX_DEGREE_BITS).contains(&db) {
        return Err(shape("degree_bits out of range"));
    }
    let h = db + seeds::LOG_BLOWUP;
    let arities = fold_schedule(db);
    let rounds = arities.len();
    let ov = &proof.opened_values;
    let fp = &proof.opening_proof;
    let trace_next = ov.trace_next.as_ref().ok_or_else(|| shape("trace_next"))?;
    if ov.trace_local.len() != TRACE_WIDTH
        || trace_next.len() != TRACE_WIDTH
        || ov.quotient_chunks.len() != 2
        || ov.quotient_chunks.iter().any(|c| c.len() != 8)
        || ov.preprocessed_local().is_some()
        || ov.random.is_some()
        || proof.commitments.random.is_some()
        || fp.final_poly.len() != FINAL_POLY_LEN
        || fp.commit_phase_commits.len() != rounds
        || fp.commit_phase_openings.len() != rounds
        || fp.input_openings.len() != 2
    {
        return Err(shape("openings"));
    }
    if proof.ood_pow_witness != Val::ZERO
        || fp.batch_pow_witness != Val::ZERO
        || fp.commit_pow_witnesses.len() != rounds
        || fp.commit_pow_witnesses.iter().any(|w| *w != Val::ZERO)
    {
        return Err(shape("zero-bit proof-of-work witnesses must be zero"));
    }
    let one_root = |cap: &p3_symmetric::MerkleCap<Val, [u8; 32]>| -> Result<[u8; 32], EncodeError> {
        match cap.roots() {
            [r] => Ok(*r),
            _ => Err(shape("caps of one root")),
        }
    };
    let trace_root = one_root(&proof.commitments.trace)?;
    let quotient_root = one_root(&proof.commitments.quotient_chunks)?;
    let commit_roots: Vec<[u8; 32]> = fp
        .commit_phase_commits
        .iter()
        .map(one_root)
        .collect::<Result<_, _>>()?;
    let seeds = seeds::seeds(db);

    // ---- transcript, with Plonky3's own challenger ----
    let mut ch = EvmChallenger::from_hasher(vec![], Keccak256Hash {});
    seeds.stark.iter().for_each(|v| ch.observe(*v));
    ch.observe(&proof.commitments.trace);
    public_values.iter().for_each(|v| ch.observe(*v));
    let alpha: EF = ch.sample_algebra_element();
    let _ = alpha;
    ch.observe(&proof.commitments.quotient_chunks);
    let zeta: EF = ch.sample_algebra_element();
    seeds.pcs.iter().for_each(|v| ch.observe(*v));
    let quotient_values: Vec<EF> = ov.quotient_chunks.iter().flatten().copied().collect();
    for e in ov
        .trace_local
        .iter()
        .chain(trace_next)
        .chain(&quotient_values)
    {
        ch.observe_algebra_element(*e);
    }
    let fri_alpha: EF = ch.sample_algebra_element();
    seeds.fri.iter().for_each(|v| ch.observe(*v));
    let mut betas = Vec::with_capacity(rounds);
    for c in &fp.commit_phase_commits {
        ch.observe(c);
        betas.push(ch.sample_algebra_element::<EF>());
    }
    for e in &fp.final_poly {
        ch.observe_algebra_element(*e);
    }
    if !ch.check_witness(QUERY_POW_BITS, fp.query_pow_witness) {
        return Err(EncodeError::Invalid("query proof of work"));
    }
    let indices: Vec<usize> = (0..NUM_QUERIES).map(|_| ch.sample_bits(h)).collect();

    // ---- query-independent parts of the DEEP quotient ----
    let horner = |values: &[EF]| {
        values
            .iter()
            .rev()
            .fold(EF::ZERO, |acc, v| acc * fri_alpha + *v)
    };
    let a = horner(&ov.trace_local);
    let b = horner(trace_next);
    let c = horner(&quotient_values);
    let alpha_w = fri_alpha.exp_u64(TRACE_WIDTH as u64);
    let alpha_2w = alpha_w * alpha_w;

    // ---- per query: input leaves, reduced opening, folding, final polynomial ----
    let [trace_batch, quotient_batch] = &fp.input_openings[..] else {
        return Err(shape("two input batches"));
    };
    let query_rows = |q: usize| -> Result<(&[Val], Vec<Val>), EncodeError> {
        let t = trace_batch
            .opened_values
            .get(q)
            .ok_or_else(|| shape("trace rows"))?;
        let qv = quotient_batch
            .opened_values
            .get(q)
            .ok_or_else(|| shape("quotient rows"))?;
        if t.len() != 1
            || t[0].len() != TRACE_WIDTH
            || qv.len() != 2
            || qv.iter().any(|r| r.len() != 8)
        {
            return Err(shape("row widths"));
        }
        Ok((&t[0], qv.concat()))
    };
    let zeta_next = zeta * Val::two_adic_generator(db);
    let mut trace_leaves = vec![];
    let mut quotient_leaves = vec![];
    let mut round_leaves: Vec<Vec<(usize, [u8; 32])>> = vec![vec![]; rounds];
    for (q, &idx) in indices.iter().enumerate() {
        let (trow, qrow) = query_rows(q)?;
        trace_leaves.push((idx, leaf_hash(trow)));
        quotient_leaves.push((idx, leaf_hash(&qrow)));
        let x = Val::GENERATOR * Val::two_adic_generator(h).exp_u64(reverse_bits(idx, h) as u64);
        let s = trow
            .iter()
            .rev()
            .fold(EF::ZERO, |acc, v| acc * fri_alpha + *v);
        let sq = qrow
            .iter()
            .rev()
            .fold(EF::ZERO, |acc, v| acc * fri_alpha + *v);
        let (d1, d2) = (zeta - x, zeta_next - x);
        if d1 == EF::ZERO || d2 == EF::ZERO {
            return Err(EncodeError::Invalid("query point equals an opening point"));
        }
        let mut cur =
            ((a - s) + alpha_2w * (c - sq)) * d1.inverse() + alpha_w * (b - s) * d2.inverse();
        let mut ix = idx;
        let mut lh = h;
        for (r, &k) in arities.iter().enumerate() {
            let arity = 1usize << k;
            let sib = fp.commit_phase_openings[r]
                .sibling_values
                .get(q)
                .filter(|s| s.len() == arity - 1)
                .ok_or_else(|| shape("sibling values"))?;
            let pos = ix % arity;
            let mut row: Vec<EF> = sib.clone();
            row.insert(pos, cur);
            ix >>= k;
            lh -= k;
            let flat: Vec<Val> = row
                .iter()
                .flat_map(|e| e.as_basis_coefficients_slice().to_vec())
                .collect();
            round_leaves[r].push((ix, leaf_hash(&flat)));
            let s = Val::two_adic_generator(lh + k).exp_u64(reverse_bits(ix, lh) as u64);
            let w = Val::two_adic_generator(k);
            let xs: Vec<Val> = (0..arity)
                .map(|j| s * w.exp_u64(reverse_bits(j, k) as u64))
                .collect();
            cur = lagrange_at(&xs, &row, betas[r]);
        }
        let xf = Val::two_adic_generator(lh).exp_u64(reverse_bits(ix, lh) as u64);
        let eval = fp
            .final_poly
            .iter()
            .rev()
            .fold(EF::ZERO, |acc, c| acc * xf + *c);
        if eval != cur {
            return Err(EncodeError::Invalid("final polynomial"));
        }
    }
    let trace_tree = walk(
        &trace_root,
        h,
        &trace_leaves,
        &trace_batch.opening_proof.sibling_hashes,
    )?;
    let quotient_tree = walk(
        &quotient_root,
        h,
        &quotient_leaves,
        &quotient_batch.opening_proof.sibling_hashes,
    )?;
    let mut round_trees = Vec::with_capacity(rounds);
    let mut depth = h;
    for (r, &k) in arities.iter().enumerate() {
        depth -= k;
        round_trees.push(walk(
            &commit_roots[r],
            depth,
            &round_leaves[r],
            &fp.commit_phase_openings[r].opening_proof.sibling_hashes,
        )?);
    }

    // ---- begin() calldata ----
    let mut begin = vec![db as u8, rounds as u8];
    begin.extend_from_slice(&trace_root);
    begin.extend_from_slice(&quotient_root);
    commit_roots.iter().for_each(|r| begin.extend_from_slice(r));
    for e in ov
        .trace_local
        .iter()
        .chain(trace_next)
        .chain(&quotient_values)
    {
        begin.extend(ef_monty(e));
    }
    fp.final_poly.iter().for_each(|e| begin.extend(ef_monty(e)));
    begin.extend(monty_le(&[fp.query_pow_witness]));
    begin.extend(seeds.blob());

    // ---- session state ----
    let mut state = vec![];
    state.extend_from_slice(pv_hash.as_slice());
    state.extend_from_slice(&trace_root);
    state.extend_from_slice(&quotient_root);
    state.extend_from_slice(&word(db));
    state.extend_from_slice(&word(rounds));
    for e in [zeta, fri_alpha, a, b, c, alpha_w, alpha_2w] {
        state.extend_from_slice(&ef_words(&e));
    }
    commit_roots.iter().for_each(|r| state.extend_from_slice(r));
    betas
        .iter()
        .for_each(|e| state.extend_from_slice(&ef_words(e)));
    fp.final_poly
        .iter()
        .for_each(|e| state.extend_from_slice(&ef_words(e)));
    let mut index_words = [0u8; 32 * NUM_QUERIES.div_ceil(8)];
    for (q, &idx) in indices.iter().enumerate() {
        index_words[q * 4..q * 4 + 4].copy_from_slice(&(idx as u32).to_be_bytes());
    }
    state.extend_from_slice(&index_words);

    // ---- query batches, grouped by index so neighbouring paths share siblings ----
    let mut order: Vec<usize> = (0..NUM_QUERIES).collect();
    order.sort_by_key(|&q| indices[q]);
    let build = |positions: &[usize]| -> Result<Vec<u8>, EncodeError> {
        let mut positions = positions.to_vec();
        positions.sort_unstable();
        let mut out = vec![positions.len() as u8];
        out.extend(positions.iter().map(|&q| q as u8));
        let pick = |leaves: &[(usize, [u8; 32])]| -> Vec<(usize, [u8; 32])> {
            positions.iter().map(|&q| leaves[q]).collect()
        };
        for &q in &positions {
            let (trow, qrow) = query_rows(q)?;
            out.extend(monty_le(trow));
            out.extend(monty_le(&qrow));
        }
        push_siblings(&mut out, &trace_tree.prove(&pick(&trace_leaves))?)?;
        push_siblings(&mut out, &quotient_tree.prove(&pick(&quotient_leaves))?)?;
        for r in 0..rounds {
            for &q in &positions {
                for e in &fp.commit_phase_openings[r].sibling_values[q] {
                    out.extend(ef_monty(e));
                }
            }
            let leaves: Vec<(usize, [u8; 32])> =
                positions.iter().map(|&q| round_leaves[r][q]).collect();
            push_siblings(&mut out, &round_trees[r].prove(&leaves)?)?;
        }
        Ok(out)
    };
    let mut batch_count = 1;
    let batches = loop {
        let per = NUM_QUERIES.div_ceil(batch_count);
        let batches: Vec<Vec<u8>> = order.chunks(per).map(build).collect::<Result<_, _>>()?;
        if batches.iter().all(|b| b.len() <= max_batch_bytes) || per == 1 {
            break batches;
        }
        batch_count += 1;
    };
    Ok(EpochCalldata {
        degree_bits: db,
        proof: begin,
        state,
        batches,
        trace_root: B256::from(trace_root),
        query_indices: indices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::evm_config;
    use crate::fixture::{FixtureSpec, build};
    use crate::proof::prove_trace;

    fn proof(checkpoints: usize) -> (Vec<u8>, [Val; NUM_PUBLIC_VALUES]) {
        let fx = build(FixtureSpec {
            accounts: 5,
            checkpoints,
            blocks: 2,
            transfers_per_block: 2,
            deposits_per_block: 1,
            seed: 11,
            vary: false,
        });
        prove_trace(&evm_config(), &fx.checkpoints, &Address::repeat_byte(9)).expect("prove")
    }

    #[test]
    fn encodes_a_valid_proof_and_refuses_tampering() {
        let (bytes, pv) = proof(3);
        let cd = encode(&bytes, &pv, B256::ZERO, DEFAULT_BATCH_BYTES).expect("encode");
        assert_eq!(cd.query_indices.len(), NUM_QUERIES);
        let rounds = fold_schedule(cd.degree_bits).len();
        assert_eq!(
            cd.state.len(),
            32 * (12 + 2 * rounds + FINAL_POLY_LEN + NUM_QUERIES.div_ceil(8))
        );
        assert!(
            cd.batches.len() >= 2,
            "a whole proof does not fit one batch"
        );
        assert!(cd.batches.iter().all(|b| b.len() <= DEFAULT_BATCH_BYTES));
        let covered: usize = cd.batches.iter().map(|b| b[0] as usize).sum();
        assert_eq!(covered, NUM_QUERIES);

        let mut wrong_pv = pv;
        wrong_pv[0] += Val::ONE;
        // Other public values: other challenges, so the query PoW (almost surely) fails.
        assert!(encode(&bytes, &wrong_pv, B256::ZERO, DEFAULT_BATCH_BYTES).is_err());
        assert!(matches!(
            encode(
                &bytes[..bytes.len() - 1],
                &pv,
                B256::ZERO,
                DEFAULT_BATCH_BYTES
            ),
            Err(EncodeError::Malformed(_))
        ));
    }
}
