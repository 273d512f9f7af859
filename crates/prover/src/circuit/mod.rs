//! The state-transition AIR of the reference rollup.
//!
//! **Shape.** One trace row carries two Poseidon2 width-16 permutations, `a` and `b` (the same
//! permutation and round constants as the state tree, see [`crate::raw::round_constants`]),
//! plus control and register columns ([`Cols`]). Every row is exactly one *kind*:
//!
//! | kind | `a` | `b` |
//! |---|---|---|
//! | `HDR`, `ADEP`, `ATX`, `ABLK` (absorb) | first half of a record into the tx sponge | second half |
//! | `LSEND`, `LRECV`, `LDEP`, `LFEE` (leaf) | old leaf hash | new leaf hash |
//! | `PATH` | old Merkle node at this level | new Merkle node, same sibling |
//! | `BLOCK` | `compress(state_root, meta)` | `archive' = compress(archive, ·)` |
//! | `DACC` | `compress(deposit record)` | `dacc' = compress(dacc, ·)` |
//! | `SEAL` | `compress(tx_commitment, state_root)` | `compress(archive, header fields)` |
//! | `DATA` | `compress(seal.a, seal.b)` | `compress(·, (z, P(z)))`, the seal's digest |
//! | `CHAIN` | unconstrained | `chain' = compress(chain, data.b)` |
//! | `PAD` | unconstrained permutation | unconstrained permutation |
//!
//! A leaf update is a leaf row and 32 path rows: the old and the new path share each level's
//! sibling and index bit, so one pass proves `old root → new root`. The 32 index bits are
//! bound to the account index as two 16-bit halves; the same rows carry six range-check lanes
//! (one bit per lane per row, 16 rows per value), which prove that every new balance limb,
//! every amount and fee limb and the per-block fee accumulator are below 2^16, so limb
//! arithmetic with carries is exact integer arithmetic (no wrap-around in the field).
//!
//! A checkpoint is `HDR (block)+ SEAL DATA CHAIN` where a block is
//! `(ADEP DACC LDEP·PATH³²)* (ATX LSEND·PATH³² LRECV·PATH³²)* [LFEE·PATH³²] ABLK BLOCK`,
//! enforced by transition constraints (a deposit row after a transfer of its block is refused:
//! the block's transfer counter must be zero on it); an epoch trace is several checkpoints back
//! to back, then `PAD` rows up to a power of two. Registers (state root, archive, checkpoint
//! chain, deposit accumulator, sponge state, the current record, the checkpoint's header
//! fields, counters, the fee accumulator) hold the value *after* their row and may only change
//! on the rows that own them.
//!
//! **What L1 holds is bound.** Each deposit record the circuit applies is absorbed into the
//! deposit accumulator the `Rollup` contract keeps over its queue
//! ([`vouch_rollup::checkpoint::accumulate_deposit`]), whose values before and after the range
//! are public: a minted, skipped, reordered or altered deposit cannot reach L1's value. Each
//! checkpoint's seal hashes its tx commitment, state root, archive and L1 header fields
//! (number, slot, timestamp, deposit range, block count; computed from the header record and
//! the counters) into the checkpoint chain ([`vouch_rollup::checkpoint::SealedCheckpoint`]),
//! which the contract recomputes from the headers it stored. The seal also hashes the
//! checkpoint's data evaluation `(z, P(z))` ([`vouch_rollup::data`]): the header, transfer and
//! block records the circuit absorbs are the coefficients of `P`, evaluated in `F⁴` at the
//! checkpoint's `z` (columns `dz` = `z¹..z⁷`, constant within a checkpoint; two Horner steps
//! of seven per record through `dmid` into `dv`), and `propose` checked the same evaluation
//! of the posted calldata, so the proven records are the published ones. The prover's address
//! is a public value: absorbed into the Fiat–Shamir transcript, it makes a copied proof
//! worthless to anyone else.
//!
//! **Rules enforced** (everything the STF checks except signatures, which the sequencer and
//! every node check natively; see the README's security section): the sender's nonce equals
//! the transfer's and increments; `balance ≥ amount + fee` and the recipient's balance does
//! not overflow `u64` (limb arithmetic with boolean carries, all limbs range-checked); sender
//! ≠ recipient; owners are unchanged; fees accumulate per block and are credited to the
//! checkpoint's fee account at the block's end; a deposit credits an account owned by its
//! recipient, either an existing one or a new one in an empty leaf; every leaf is opened and
//! updated against the current root; the tx commitment (record sponge), the archive (one
//! `compress(state_root, meta)` per block) and the checkpoint chain are computed in-circuit.
//!
//! **Not enforced in-circuit** (the node's re-execution catches them): that a new deposit
//! account sits at the *next free* index and that an address owns only one account (the tree
//! has no address index); that a nonce stays below `2^30` (it would take 2^30 transfers from
//! one account to wrap).
//!
//! **Public values** (66 elements, offsets in [`pv`]): start state root, start archive, end
//! state root, end archive, the checkpoint chain `fold(ZERO, |c, k| compress(c, seal_k))` over
//! the proven checkpoints (see [`vouch_rollup::checkpoint::chain_checkpoint`]), the deposit
//! accumulator before and after the range, and the prover's address (ten 16-bit limbs).

// Constraints index several parallel column arrays by the same position.
#![allow(clippy::needless_range_loop)]

mod trace;
pub(crate) use trace::fill_perm;

pub use trace::{
    CheckpointWitness, TraceError, generate_trace, generate_trace_padded, prover_limbs,
};

use crate::config::Val;
use crate::raw::{HALF_FULL_ROUNDS, PARTIAL_ROUNDS, SBOX_DEGREE, WIDTH as POSEIDON2_WIDTH};
use core::mem::{align_of, size_of};
use p3_air::{Air, AirBuilder, BaseAir, WindowAccess};
use p3_field::PrimeCharacteristicRing;
use p3_koala_bear::{
    GenericPoseidon2LinearLayersKoalaBear, KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL,
    KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL, KOALABEAR_POSEIDON2_RC_16_INTERNAL,
};
use p3_poseidon2::GenericPoseidon2LinearLayers;
use p3_poseidon2_air::Poseidon2Cols;
use vouch_rollup::account::LEAF_TAG;
use vouch_rollup::checkpoint::record_tag;
use vouch_rollup::data::{DATA_COEFFS, DATA_DEGREE};
use vouch_rollup::hash::domain;

/// Poseidon2 columns of one permutation (width 16, x³ S-box, 4+4 full and 20 partial rounds).
pub type PermCols<T> =
    Poseidon2Cols<T, POSEIDON2_WIDTH, SBOX_DEGREE, 0, HALF_FULL_ROUNDS, PARTIAL_ROUNDS>;

/// Range-check lanes per row.
pub const LANES: usize = 6;
/// Public values: start root, start archive, end root, end archive, checkpoint chain (8 each),
/// deposit accumulator at the start and at the end (8 each), prover address (10 × 16 bits).
pub const NUM_PUBLIC_VALUES: usize = 66;
/// Offsets of the public values' parts.
pub mod pv {
    /// State root before the range.
    pub const START_ROOT: usize = 0;
    /// Archive before the range.
    pub const START_ARCHIVE: usize = 8;
    /// State root after the range.
    pub const END_ROOT: usize = 16;
    /// Archive after the range.
    pub const END_ARCHIVE: usize = 24;
    /// Checkpoint chain over the range.
    pub const CHAIN: usize = 32;
    /// Deposit accumulator before the range's first deposit.
    pub const START_DEPOSITS: usize = 40;
    /// Deposit accumulator after the range's last deposit.
    pub const END_DEPOSITS: usize = 48;
    /// The prover's address, ten 16-bit limbs, least significant first.
    pub const PROVER: usize = 56;
    /// Limbs of the prover's address.
    pub const PROVER_LIMBS: usize = 10;
}
/// Permutations per trace row.
pub const PERMS_PER_ROW: usize = 2;
/// Trace rows per transfer: its record, the sender's and the recipient's leaf updates.
pub const ROWS_PER_TRANSFER: usize = 1 + 2 * (1 + vouch_rollup::state::TREE_DEPTH);

/// Row kinds (indices into [`Cols::kind`]).
pub mod kind {
    /// Checkpoint header record.
    pub const HDR: usize = 0;
    /// Deposit record.
    pub const ADEP: usize = 1;
    /// Transfer record.
    pub const ATX: usize = 2;
    /// Block-closing record.
    pub const ABLK: usize = 3;
    /// Sender leaf of a transfer.
    pub const LSEND: usize = 4;
    /// Recipient leaf of a transfer.
    pub const LRECV: usize = 5;
    /// Deposit leaf.
    pub const LDEP: usize = 6;
    /// Fee-account leaf.
    pub const LFEE: usize = 7;
    /// Merkle path level.
    pub const PATH: usize = 8;
    /// Archive extension.
    pub const BLOCK: usize = 9;
    /// Checkpoint seal (extends the checkpoint chain).
    pub const SEAL: usize = 10;
    /// Padding.
    pub const PAD: usize = 11;
    /// Deposit accumulator step (follows each deposit record).
    pub const DACC: usize = 12;
    /// Checkpoint digest into the checkpoint chain (follows each data row).
    pub const CHAIN: usize = 13;
    /// The seal's digest joined with the data evaluation (follows each seal).
    pub const DATA: usize = 14;
    /// Number of kinds.
    pub const COUNT: usize = 15;
}

/// The columns of one row.
#[repr(C)]
pub struct Cols<T> {
    /// First permutation.
    pub a: PermCols<T>,
    /// Second permutation.
    pub b: PermCols<T>,
    /// One-hot row kind.
    pub kind: [T; kind::COUNT],
    /// Index bit of this path level.
    pub bit: T,
    /// Path level, 1..=32.
    pub lvl: T,
    /// `2^((lvl-1) mod 16)`.
    pub w: T,
    /// `lvl == 16`.
    pub f16: T,
    /// Inverse of `lvl - 16` when it exists.
    pub inv16: T,
    /// `lvl == 32` (the root level).
    pub f32: T,
    /// Inverse of `lvl - 32` when it exists.
    pub inv32: T,
    /// Index-bit accumulator of the current 16-level half.
    pub iacc: T,
    /// Sibling at this level.
    pub sib: [T; 8],
    /// Old-path node after this row.
    pub cur_a: [T; 8],
    /// New-path node after this row.
    pub cur_b: [T; 8],
    /// State root.
    pub root: [T; 8],
    /// Archive.
    pub arch: [T; 8],
    /// Checkpoint chain.
    pub chain: [T; 8],
    /// Tx-commitment sponge state.
    pub sp: [T; 16],
    /// The current record.
    pub op: [T; 16],
    /// Checkpoint fields: fee account lo/hi, number, slot, timestamp lo/hi, deposit start,
    /// first block number.
    pub hdr: [T; 8],
    /// Deposit accumulator (see [`vouch_rollup::checkpoint::accumulate_deposit`]).
    pub dacc: [T; 8],
    /// Number of the last L2 block.
    pub bnum: T,
    /// Next deposit queue index.
    pub didx: T,
    /// Deposits in the current block.
    pub nd: T,
    /// Transfers in the current block.
    pub nt: T,
    /// The block's fee accumulator, 16-bit limbs.
    pub facc: [T; 4],
    /// Borrow/carry bits (limbs 1..3).
    pub u: [T; 3],
    /// Second borrow bits of a sender update (a borrow may be 2).
    pub v: [T; 3],
    /// Fee-accumulator carries.
    pub fc: [T; 3],
    /// Range-check bits.
    pub rb: [T; LANES],
    /// Range-check accumulators.
    pub racc: [T; LANES],
    /// Range-check targets: lanes' first halves, then second halves.
    pub tgt: [T; 2 * LANES],
    /// Old leaf is empty (a deposit creating an account).
    pub e: T,
    /// Inside a sender update (a recipient update follows).
    pub pend_recv: T,
    /// Inside a fee update (the block closes next).
    pub pend_fee: T,
    /// Witnesses of `from != to`.
    pub na: T,
    /// See `na`.
    pub nb: T,
    /// Account index, low 16 bits.
    pub idx_lo: T,
    /// Account index, high 16 bits.
    pub idx_hi: T,
    /// Powers `z¹..z⁷` of the checkpoint's data point (see [`vouch_rollup::data`]), each as
    /// four coordinates of `F⁴`.
    pub dz: [[T; DATA_DEGREE]; DATA_CHUNK],
    /// The data polynomial after the first half of the current record's coefficients.
    pub dmid: [T; DATA_DEGREE],
    /// The data polynomial over the records absorbed so far.
    pub dv: [T; DATA_DEGREE],
}

/// Coefficients per half record of the data polynomial: a record's 14 coefficients are
/// absorbed in two Horner steps of seven, so the columns hold `z¹..z⁷` and one midpoint.
pub const DATA_CHUNK: usize = DATA_COEFFS / 2;

/// Trace width.
pub const WIDTH: usize = size_of::<Cols<u8>>();

/// Views a row slice as [`Cols`].
pub fn cols<T>(row: &[T]) -> &Cols<T> {
    assert_eq!(row.len(), WIDTH, "row width");
    assert_eq!(align_of::<Cols<T>>(), align_of::<T>());
    // SAFETY: `Cols<T>` is `repr(C)` and consists only of `T`s (arrays and nested `repr(C)`
    // structs of `T`), so it has the layout of `[T; WIDTH]`; length and alignment checked above.
    unsafe { &*(row.as_ptr() as *const Cols<T>) }
}

/// Mutable [`cols`].
pub fn cols_mut<T>(row: &mut [T]) -> &mut Cols<T> {
    assert_eq!(row.len(), WIDTH, "row width");
    assert_eq!(align_of::<Cols<T>>(), align_of::<T>());
    // SAFETY: as in `cols`.
    unsafe { &mut *(row.as_mut_ptr() as *mut Cols<T>) }
}

/// Output of a permutation's columns.
pub fn perm_out<T: Copy>(p: &PermCols<T>) -> [T; 16] {
    p.ending_full_rounds[HALF_FULL_ROUNDS - 1].post
}

/// The state-transition AIR.
#[derive(Clone, Copy, Debug, Default)]
pub struct TransitionAir;

impl BaseAir<Val> for TransitionAir {
    fn width(&self) -> usize {
        WIDTH
    }

    fn max_constraint_degree(&self) -> Option<usize> {
        Some(3)
    }

    fn num_public_values(&self) -> usize {
        NUM_PUBLIC_VALUES
    }
}

pub(crate) fn eval_perm<AB: AirBuilder<F = Val>>(builder: &mut AB, p: &PermCols<AB::Var>) {
    type L = GenericPoseidon2LinearLayersKoalaBear;
    let mut state: [AB::Expr; 16] = p.inputs.map(Into::into);
    L::external_linear_layer(&mut state);
    let full =
        |builder: &mut AB, state: &mut [AB::Expr; 16], rc: &[Val; 16], post: &[AB::Var; 16]| {
            for (s, c) in state.iter_mut().zip(rc) {
                *s = (s.clone() + AB::Expr::from(*c)).cube();
            }
            L::external_linear_layer(state);
            for (s, p) in state.iter_mut().zip(post) {
                builder.assert_eq(s.clone(), *p);
                *s = (*p).into();
            }
        };
    for (round, rc) in KOALABEAR_POSEIDON2_RC_16_EXTERNAL_INITIAL
        .iter()
        .enumerate()
    {
        full(
            builder,
            &mut state,
            rc,
            &p.beginning_full_rounds[round].post,
        );
    }
    for (round, rc) in KOALABEAR_POSEIDON2_RC_16_INTERNAL.iter().enumerate() {
        let x = (state[0].clone() + AB::Expr::from(*rc)).cube();
        let post = p.partial_rounds[round].post_sbox;
        builder.assert_eq(x, post);
        state[0] = post.into();
        L::internal_linear_layer(&mut state);
    }
    for (round, rc) in KOALABEAR_POSEIDON2_RC_16_EXTERNAL_FINAL.iter().enumerate() {
        full(builder, &mut state, rc, &p.ending_full_rounds[round].post);
    }
}

fn c<AB: AirBuilder>(v: u32) -> AB::Expr {
    AB::Expr::from_u32(v)
}

/// A product in `F⁴ = F[X]/(X⁴ − 3)` (the data evaluation's field), coordinates low first.
fn ext_mul<AB: AirBuilder>(
    a: &[AB::Expr; DATA_DEGREE],
    b: &[AB::Expr; DATA_DEGREE],
) -> [AB::Expr; DATA_DEGREE] {
    let mut out: [AB::Expr; DATA_DEGREE] = core::array::from_fn(|_| AB::Expr::ZERO);
    for i in 0..DATA_DEGREE {
        for j in 0..DATA_DEGREE {
            let p = a[i].clone() * b[j].clone();
            if i + j < DATA_DEGREE {
                out[i + j] += p;
            } else {
                out[i + j - DATA_DEGREE] += p * c::<AB>(DATA_W);
            }
        }
    }
    out
}

/// `X⁴ = 3` in the data evaluation's field (KoalaBear's quartic binomial extension).
const DATA_W: u32 = 3;

impl<AB: AirBuilder<F = Val>> Air<AB> for TransitionAir {
    fn eval(&self, builder: &mut AB) {
        let main = builder.main();
        let l = cols::<AB::Var>(main.current_slice());
        let n = cols::<AB::Var>(main.next_slice());
        let pv: Vec<AB::Expr> = builder.public_values().iter().map(|&x| x.into()).collect();
        eval_perm(builder, &l.a);
        eval_perm(builder, &l.b);
        let x = |v: AB::Var| -> AB::Expr { v.into() };
        let two16 = c::<AB>(1 << 16);

        // ---- kinds -----------------------------------------------------------------------
        let mut sum = AB::Expr::ZERO;
        for k in l.kind {
            builder.assert_bool(k);
            sum += x(k);
        }
        builder.assert_one(sum);
        let k = |r: &Cols<AB::Var>, i: usize| -> AB::Expr { r.kind[i].into() };
        let absorb = |r: &Cols<AB::Var>| {
            k(r, kind::HDR) + k(r, kind::ADEP) + k(r, kind::ATX) + k(r, kind::ABLK)
        };
        let leaf = |r: &Cols<AB::Var>| {
            k(r, kind::LSEND) + k(r, kind::LRECV) + k(r, kind::LDEP) + k(r, kind::LFEE)
        };
        let (hdr, adep, atx, ablk) = (
            k(l, kind::HDR),
            k(l, kind::ADEP),
            k(l, kind::ATX),
            k(l, kind::ABLK),
        );
        let (lsend, lrecv, ldep, lfee) = (
            k(l, kind::LSEND),
            k(l, kind::LRECV),
            k(l, kind::LDEP),
            k(l, kind::LFEE),
        );
        let (path, block, seal) = (k(l, kind::PATH), k(l, kind::BLOCK), k(l, kind::SEAL));
        let (dacc_k, chain_k) = (k(l, kind::DACC), k(l, kind::CHAIN));
        let l_leaf = leaf(l);
        let l_absorb = absorb(l);
        let a_in = l.a.inputs;
        let b_in = l.b.inputs;
        let a_out = perm_out(&l.a);
        let b_out = perm_out(&l.b);
        let na_in = n.a.inputs;
        let nb_in = n.b.inputs;
        let nb_out = perm_out(&n.b);

        // ---- booleans ----------------------------------------------------------------------
        for v in [l.bit, l.f16, l.f32, l.e, l.pend_recv, l.pend_fee] {
            builder.assert_bool(v);
        }
        for v in l.u.iter().chain(&l.v).chain(&l.fc).chain(&l.rb) {
            builder.assert_bool(*v);
        }

        // ---- boundaries --------------------------------------------------------------------
        {
            let mut b = builder.when_first_row();
            b.assert_one(hdr.clone());
            for i in 0..8 {
                b.assert_eq(l.root[i], pv[pv::START_ROOT + i].clone());
                b.assert_eq(l.arch[i], pv[pv::START_ARCHIVE + i].clone());
                b.assert_zero(l.chain[i]);
                b.assert_eq(l.dacc[i], pv[pv::START_DEPOSITS + i].clone());
            }
        }
        {
            let mut b = builder.when_last_row();
            b.assert_one(chain_k.clone() + k(l, kind::PAD));
            for i in 0..8 {
                b.assert_eq(l.root[i], pv[pv::END_ROOT + i].clone());
                b.assert_eq(l.arch[i], pv[pv::END_ARCHIVE + i].clone());
                b.assert_eq(l.chain[i], pv[pv::CHAIN + i].clone());
                b.assert_eq(l.dacc[i], pv[pv::END_DEPOSITS + i].clone());
            }
        }

        // ---- sequencing ----------------------------------------------------------------------
        {
            let mut t = builder.when_transition();
            t.assert_eq(k(n, kind::PATH), l_leaf.clone() + path.clone() - x(l.f32));
            t.assert_eq(k(n, kind::LRECV), x(l.f32) * x(l.pend_recv));
            t.assert_zero(x(l.f32) * x(l.pend_fee) * (AB::Expr::ONE - k(n, kind::ABLK)));
            t.assert_eq(k(n, kind::LSEND), atx.clone());
            t.assert_eq(k(n, kind::DACC), adep.clone());
            t.assert_eq(k(n, kind::LDEP), dacc_k.clone());
            t.assert_eq(k(n, kind::BLOCK), ablk.clone());
            t.assert_zero(k(n, kind::SEAL) * (AB::Expr::ONE - block.clone()));
            t.assert_eq(k(n, kind::DATA), seal.clone());
            t.assert_eq(k(n, kind::CHAIN), k(l, kind::DATA));
            t.assert_zero(k(n, kind::PAD) * (AB::Expr::ONE - chain_k.clone() - k(l, kind::PAD)));
            t.assert_zero(k(l, kind::PAD) * (AB::Expr::ONE - k(n, kind::PAD)));
            t.assert_zero(k(n, kind::HDR) * (AB::Expr::ONE - chain_k.clone()));
            t.assert_zero(chain_k.clone() * (AB::Expr::ONE - k(n, kind::HDR) - k(n, kind::PAD)));
        }

        // ---- path mechanics ------------------------------------------------------------------
        builder.assert_zero(x(l.f16) * (AB::Expr::ONE - path.clone()));
        builder.assert_zero(x(l.f32) * (AB::Expr::ONE - path.clone()));
        builder.assert_zero(x(l.f16) * (x(l.lvl) - c::<AB>(16)));
        builder.assert_zero(x(l.f32) * (x(l.lvl) - c::<AB>(32)));
        builder.assert_zero(
            path.clone() * ((x(l.lvl) - c::<AB>(16)) * x(l.inv16) - AB::Expr::ONE + x(l.f16)),
        );
        builder.assert_zero(
            path.clone() * ((x(l.lvl) - c::<AB>(32)) * x(l.inv32) - AB::Expr::ONE + x(l.f32)),
        );
        builder.assert_zero(x(l.f16) * (x(l.iacc) - x(l.idx_lo)));
        builder.assert_zero(x(l.f32) * (x(l.iacc) - x(l.idx_hi)));
        for j in 0..LANES {
            builder.assert_zero(x(l.f16) * (x(l.racc[j]) - x(l.tgt[j])));
            builder.assert_zero(x(l.f32) * (x(l.racc[j]) - x(l.tgt[LANES + j])));
        }
        for i in 0..8 {
            builder.assert_zero(path.clone() * (x(l.cur_a[i]) - x(a_out[i])));
            builder.assert_zero(path.clone() * (x(l.cur_b[i]) - x(b_out[i])));
        }
        {
            let np = k(n, kind::PATH);
            let mut t = builder.when_transition();
            let bit = x(n.bit);
            for i in 0..8 {
                let sib = x(n.sib[i]);
                for (cur, inp) in [(l.cur_a[i], na_in), (l.cur_b[i], nb_in)] {
                    let cur = x(cur);
                    t.assert_zero(
                        np.clone()
                            * (x(inp[i]) - cur.clone() - bit.clone() * (sib.clone() - cur.clone())),
                    );
                    t.assert_zero(
                        np.clone()
                            * (x(inp[8 + i]) - sib.clone() - bit.clone() * (cur - sib.clone())),
                    );
                }
            }
            let local_path = path.clone() * x(l.lvl);
            t.assert_zero(np.clone() * (x(n.lvl) - local_path - AB::Expr::ONE));
            let restart = l_leaf.clone() + x(l.f16);
            let carry_on = path.clone() - x(l.f16);
            t.assert_zero(np.clone() * (x(n.w) - restart - carry_on.clone() * x(l.w) * c::<AB>(2)));
            t.assert_zero(
                np.clone() * (x(n.iacc) - bit.clone() * x(n.w) - carry_on.clone() * x(l.iacc)),
            );
            for j in 0..LANES {
                t.assert_zero(
                    np.clone()
                        * (x(n.racc[j]) - x(n.rb[j]) * x(n.w) - carry_on.clone() * x(l.racc[j])),
                );
            }
            for (a, b) in [
                (n.idx_lo, l.idx_lo),
                (n.idx_hi, l.idx_hi),
                (n.pend_recv, l.pend_recv),
                (n.pend_fee, l.pend_fee),
            ] {
                t.assert_zero(np.clone() * (x(a) - x(b)));
            }
            for j in 0..2 * LANES {
                t.assert_zero(np.clone() * (x(n.tgt[j]) - x(l.tgt[j])));
            }
        }

        // ---- state root --------------------------------------------------------------------
        {
            let mut t = builder.when_transition();
            for i in 0..8 {
                let r = x(l.root[i]);
                t.assert_zero(x(n.root[i]) - r.clone() - x(n.f32) * (x(n.cur_b[i]) - r.clone()));
                t.assert_zero(x(n.f32) * (x(n.cur_a[i]) - r));
            }
        }

        // ---- leaf rows ---------------------------------------------------------------------
        let tag = c::<AB>(LEAF_TAG);
        builder.assert_zero(l_leaf.clone() * (x(b_in[15]) - tag.clone()));
        builder.assert_zero(l_leaf.clone() * (AB::Expr::ONE - x(l.e)) * (x(a_in[15]) - tag));
        builder.assert_zero(x(l.e) * (AB::Expr::ONE - ldep.clone()));
        for v in a_in {
            builder.assert_zero(x(l.e) * x(v));
        }
        for i in 0..8 {
            builder.assert_zero(
                l_leaf.clone() * (x(l.cur_a[i]) - (AB::Expr::ONE - x(l.e)) * x(a_out[i])),
            );
            builder.assert_zero(l_leaf.clone() * (x(l.cur_b[i]) - x(b_out[i])));
        }
        builder.assert_zero(l_leaf.clone() * (x(l.pend_recv) - lsend.clone()));
        builder.assert_zero(l_leaf.clone() * (x(l.pend_fee) - lfee.clone()));
        let keeps_owner = lsend.clone() + lrecv.clone() + lfee.clone();
        for j in 0..10 {
            builder.assert_zero(keeps_owner.clone() * (x(b_in[j]) - x(a_in[j])));
            builder.assert_zero(ldep.clone() * (x(b_in[j]) - x(l.op[2 + j])));
            builder.assert_zero(
                ldep.clone() * (AB::Expr::ONE - x(l.e)) * (x(a_in[j]) - x(l.op[2 + j])),
            );
        }
        // Nonces.
        builder.assert_zero(lsend.clone() * (x(a_in[14]) - x(l.op[13])));
        builder.assert_zero(lsend.clone() * (x(b_in[14]) - x(a_in[14]) - AB::Expr::ONE));
        builder.assert_zero(
            (lrecv.clone() + ldep.clone() + lfee.clone()) * (x(b_in[14]) - x(a_in[14])),
        );
        // Indices.
        builder.assert_zero(lsend.clone() * (x(l.idx_lo) - x(l.op[1])));
        builder.assert_zero(lsend.clone() * (x(l.idx_hi) - x(l.op[2])));
        builder.assert_zero(lrecv.clone() * (x(l.idx_lo) - x(l.op[3])));
        builder.assert_zero(lrecv.clone() * (x(l.idx_hi) - x(l.op[4])));
        builder.assert_zero(lfee.clone() * (x(l.idx_lo) - x(l.hdr[0])));
        builder.assert_zero(lfee.clone() * (x(l.idx_hi) - x(l.hdr[1])));
        builder.assert_zero(
            lsend.clone()
                * ((x(l.op[1]) - x(l.op[3])) * x(l.na) + (x(l.op[2]) - x(l.op[4])) * x(l.nb)
                    - AB::Expr::ONE),
        );
        // Balances: limb arithmetic with carries; carry 0 in, carry 0 out.
        let carry = |r: &Cols<AB::Var>, i: usize| -> AB::Expr {
            if i == 0 || i == 4 {
                AB::Expr::ZERO
            } else {
                x(r.u[i - 1])
            }
        };
        let borrow = |r: &Cols<AB::Var>, i: usize| -> AB::Expr {
            if i == 0 || i == 4 {
                AB::Expr::ZERO
            } else {
                x(r.u[i - 1]) + x(r.v[i - 1])
            }
        };
        for i in 0..4 {
            let (a, nw) = (x(a_in[10 + i]), x(b_in[10 + i]));
            let (amt, fee) = (x(l.op[5 + i]), x(l.op[9 + i]));
            builder.assert_zero(
                lsend.clone()
                    * (nw.clone() - a.clone() + amt.clone() + fee.clone() + borrow(l, i)
                        - two16.clone() * borrow(l, i + 1)),
            );
            let credit = |amount: AB::Expr| {
                nw.clone() - a.clone() - amount - carry(l, i) + two16.clone() * carry(l, i + 1)
            };
            builder.assert_zero(lrecv.clone() * credit(amt.clone()));
            builder.assert_zero(ldep.clone() * credit(x(l.op[12 + i])));
            builder.when_transition().assert_zero(
                k(n, kind::LFEE)
                    * (x(n.b.inputs[10 + i]) - x(n.a.inputs[10 + i]) - x(l.facc[i]) - carry(n, i)
                        + two16.clone() * carry(n, i + 1)),
            );
            // Range-check targets.
            builder.assert_zero(l_leaf.clone() * (x(l.tgt[i]) - nw));
            builder.assert_zero(lsend.clone() * (x(l.tgt[4 + i]) - amt));
            builder.assert_zero(lrecv.clone() * (x(l.tgt[4 + i]) - fee));
            builder.assert_zero(ldep.clone() * (x(l.tgt[4 + i]) - x(l.op[12 + i])));
            builder
                .when_transition()
                .assert_zero(k(n, kind::LFEE) * (x(n.tgt[4 + i]) - x(l.facc[i])));
            builder.assert_zero(lsend.clone() * (x(l.tgt[8 + i]) - x(l.facc[i])));
            builder.assert_zero((lrecv.clone() + ldep.clone() + lfee.clone()) * x(l.tgt[8 + i]));
        }

        // ---- fee accumulator ---------------------------------------------------------------
        {
            let fcarry = |r: &Cols<AB::Var>, i: usize| -> AB::Expr {
                if i == 0 || i == 4 {
                    AB::Expr::ZERO
                } else {
                    x(r.fc[i - 1])
                }
            };
            let n_send = k(n, kind::LSEND);
            let n_fee = k(n, kind::LFEE);
            let mut t = builder.when_transition();
            for i in 0..4 {
                t.assert_zero(
                    (AB::Expr::ONE - n_send.clone() - n_fee.clone())
                        * (x(n.facc[i]) - x(l.facc[i])),
                );
                t.assert_zero(
                    n_send.clone()
                        * (x(n.facc[i]) - x(l.facc[i]) - x(n.op[9 + i]) - fcarry(n, i)
                            + two16.clone() * fcarry(n, i + 1)),
                );
            }
        }
        for i in 0..4 {
            builder.assert_zero(lfee.clone() * x(l.facc[i]));
            builder.assert_zero(ablk.clone() * x(l.facc[i]));
            builder.assert_zero(hdr.clone() * x(l.facc[i]));
        }

        // ---- absorb rows and the sponge ----------------------------------------------------
        for i in 0..8 {
            builder.assert_zero(l_absorb.clone() * (x(l.op[i]) - x(a_in[i])));
            builder.assert_zero(l_absorb.clone() * (x(l.op[8 + i]) - x(b_in[i])));
            builder.assert_zero(l_absorb.clone() * (x(b_in[8 + i]) - x(a_out[8 + i])));
        }
        for j in 0..16 {
            builder.assert_zero(l_absorb.clone() * (x(l.sp[j]) - x(b_out[j])));
        }
        builder.assert_zero(hdr.clone() * (x(a_in[8]) - c::<AB>(domain::TX_COMMITMENT)));
        for i in 9..16 {
            builder.assert_zero(hdr.clone() * x(a_in[i]));
        }
        {
            let n_absorb = absorb(n);
            let n_continue = n_absorb.clone() - k(n, kind::HDR);
            let mut t = builder.when_transition();
            for i in 0..8 {
                t.assert_zero(n_continue.clone() * (x(na_in[8 + i]) - x(l.sp[8 + i])));
            }
            for j in 0..16 {
                t.assert_zero((AB::Expr::ONE - n_absorb.clone()) * (x(n.sp[j]) - x(l.sp[j])));
                t.assert_zero((AB::Expr::ONE - n_absorb.clone()) * (x(n.op[j]) - x(l.op[j])));
            }
        }
        builder.assert_zero(hdr.clone() * (x(l.op[0]) - c::<AB>(record_tag::HEADER)));
        builder.assert_zero(adep.clone() * (x(l.op[0]) - c::<AB>(record_tag::DEPOSIT)));
        builder.assert_zero(atx.clone() * (x(l.op[0]) - c::<AB>(record_tag::TRANSFER)));
        builder.assert_zero(ablk.clone() * (x(l.op[0]) - c::<AB>(record_tag::BLOCK)));
        for i in 9..16 {
            builder.assert_zero(hdr.clone() * x(l.op[i]));
        }
        builder.assert_zero(atx.clone() * x(l.op[14]));
        builder.assert_zero(atx.clone() * x(l.op[15]));
        builder.assert_zero(ablk.clone() * (x(l.op[1]) - x(l.nd)));
        builder.assert_zero(ablk.clone() * (x(l.op[2]) - x(l.nt)));
        for i in 3..16 {
            builder.assert_zero(ablk.clone() * x(l.op[i]));
        }
        builder.assert_zero(adep.clone() * (x(l.op[1]) - x(l.didx) + AB::Expr::ONE));
        // A block applies its deposits before its transfers: no transfer precedes a deposit
        // row in its block (the counter restarts after each block row and at each header).
        builder.assert_zero(adep.clone() * x(l.nt));

        // ---- checkpoint header fields and counters -----------------------------------------
        for j in 0..8 {
            builder.assert_zero(hdr.clone() * (x(l.hdr[j]) - x(l.op[1 + j])));
        }
        builder.assert_zero(hdr.clone() * (x(l.didx) - x(l.op[7])));
        builder.assert_zero(hdr.clone() * (x(l.bnum) - x(l.op[8]) + AB::Expr::ONE));
        builder.assert_zero(hdr.clone() * x(l.nd));
        builder.assert_zero(hdr.clone() * x(l.nt));
        {
            let n_hdr = k(n, kind::HDR);
            let not_hdr = AB::Expr::ONE - n_hdr.clone();
            let mut t = builder.when_transition();
            for j in 0..8 {
                t.assert_zero(not_hdr.clone() * (x(n.hdr[j]) - x(l.hdr[j])));
            }
            t.assert_zero(n_hdr.clone() * (x(n.op[7]) - x(l.didx)));
            t.assert_zero(n_hdr * (x(n.op[8]) - x(l.bnum) - AB::Expr::ONE));
            t.assert_zero(not_hdr.clone() * (x(n.didx) - x(l.didx) - k(n, kind::ADEP)));
            t.assert_zero(not_hdr.clone() * (x(n.bnum) - x(l.bnum) - k(n, kind::BLOCK)));
            let keep = AB::Expr::ONE - block.clone();
            t.assert_zero(not_hdr.clone() * (x(n.nd) - keep.clone() * x(l.nd) - k(n, kind::ADEP)));
            t.assert_zero(not_hdr * (x(n.nt) - keep * x(l.nt) - k(n, kind::ATX)));
        }

        // ---- data polynomial ---------------------------------------------------------------
        // `dz` holds z¹..z⁷ (each power the previous times z), constant within a checkpoint;
        // each header, transfer and block record extends `dv` by its 14 coefficients in two
        // Horner steps of seven through `dmid` (see `vouch_rollup::data`).
        {
            let e = |v: &[AB::Var; DATA_DEGREE]| -> [AB::Expr; DATA_DEGREE] { v.map(Into::into) };
            let pow = |r: &Cols<AB::Var>, j: usize| -> [AB::Expr; DATA_DEGREE] {
                if j == 0 {
                    core::array::from_fn(|c| {
                        if c == 0 {
                            AB::Expr::ONE
                        } else {
                            AB::Expr::ZERO
                        }
                    })
                } else {
                    e(&r.dz[j - 1])
                }
            };
            // Σ op[first + i]·z^(DATA_CHUNK - 1 - i) over the given positions.
            let terms = |r: &Cols<AB::Var>, first: usize, count: usize| {
                let mut acc: [AB::Expr; DATA_DEGREE] = core::array::from_fn(|_| AB::Expr::ZERO);
                for i in 0..count {
                    let p = pow(r, DATA_CHUNK - 1 - i);
                    for c in 0..DATA_DEGREE {
                        acc[c] += x(r.op[first + i]) * p[c].clone();
                    }
                }
                acc
            };
            let z7 = |r: &Cols<AB::Var>| e(&r.dz[DATA_CHUNK - 1]);
            for j in 1..DATA_CHUNK {
                let p = ext_mul::<AB>(&e(&l.dz[j - 1]), &e(&l.dz[0]));
                for c in 0..DATA_DEGREE {
                    builder.assert_eq(x(l.dz[j][c]), p[c].clone());
                }
            }
            // Header: `[1, fee_lo, fee_hi, 0…]` from zero.
            let head = terms(l, 0, 3);
            let mid_z7 = ext_mul::<AB>(&e(&l.dmid), &z7(l));
            let tail = terms(l, DATA_CHUNK, DATA_CHUNK);
            let record = atx.clone() + ablk.clone();
            for c in 0..DATA_DEGREE {
                builder.assert_zero(hdr.clone() * (x(l.dmid[c]) - head[c].clone()));
                builder.assert_zero(hdr.clone() * (x(l.dv[c]) - mid_z7[c].clone()));
                builder.assert_zero(
                    record.clone() * (x(l.dv[c]) - mid_z7[c].clone() - tail[c].clone()),
                );
            }
            let n_hdr = k(n, kind::HDR);
            let n_record = k(n, kind::ATX) + k(n, kind::ABLK);
            let carried = ext_mul::<AB>(&e(&l.dv), &z7(n));
            let first_half = terms(n, 0, DATA_CHUNK);
            let mut t = builder.when_transition();
            for c in 0..DATA_DEGREE {
                t.assert_zero((AB::Expr::ONE - n_hdr.clone()) * (x(n.dz[0][c]) - x(l.dz[0][c])));
                t.assert_zero(
                    n_record.clone() * (x(n.dmid[c]) - carried[c].clone() - first_half[c].clone()),
                );
                t.assert_zero(
                    (AB::Expr::ONE - n_hdr.clone() - n_record.clone()) * (x(n.dv[c]) - x(l.dv[c])),
                );
            }
        }

        // ---- block rows: archive -----------------------------------------------------------
        let meta = [
            x(l.bnum),
            x(l.hdr[2]),
            x(l.hdr[3]),
            x(l.hdr[4]),
            x(l.hdr[5]),
            x(l.didx) - x(l.nd),
            x(l.nd),
            x(l.nt),
        ];
        for (i, m) in meta.into_iter().enumerate() {
            builder.assert_zero(block.clone() * (x(a_in[i]) - x(l.root[i])));
            builder.assert_zero(block.clone() * (x(a_in[8 + i]) - m));
            builder.assert_zero(block.clone() * (x(b_in[8 + i]) - x(a_out[i])));
            builder.assert_zero(seal.clone() * (x(a_in[i]) - x(l.sp[i])));
            builder.assert_zero(seal.clone() * (x(a_in[8 + i]) - x(l.root[i])));
            builder.assert_zero(seal.clone() * (x(b_in[i]) - x(l.arch[i])));
        }
        // The seal row's `b` hashes the archive with the checkpoint's L1 header fields.
        let seal_meta = [
            x(l.hdr[2]),
            x(l.hdr[3]),
            x(l.hdr[4]),
            x(l.hdr[5]),
            x(l.hdr[6]),
            x(l.didx) - x(l.hdr[6]),
            x(l.bnum) - x(l.hdr[7]) + AB::Expr::ONE,
            AB::Expr::ZERO,
        ];
        for (i, m) in seal_meta.into_iter().enumerate() {
            builder.assert_zero(seal.clone() * (x(b_in[8 + i]) - m));
        }
        // The data row: `a` joins the seal's two digests, `b` hashes them with the data
        // evaluation `(z, P(z))`; the chain row's `b` extends the chain with that.
        let data_k = k(l, kind::DATA);
        for i in 0..8 {
            builder.assert_zero(data_k.clone() * (x(b_in[i]) - x(a_out[i])));
        }
        for j in 0..DATA_DEGREE {
            builder.assert_zero(data_k.clone() * (x(b_in[8 + j]) - x(l.dz[0][j])));
            builder.assert_zero(data_k.clone() * (x(b_in[8 + DATA_DEGREE + j]) - x(l.dv[j])));
        }
        // The deposit accumulator row: `a` hashes the deposit record, `b` extends the
        // accumulator with it.
        for i in 0..16 {
            builder.assert_zero(dacc_k.clone() * (x(a_in[i]) - x(l.op[i])));
        }
        for i in 0..8 {
            builder.assert_zero(dacc_k.clone() * (x(b_in[8 + i]) - x(a_out[i])));
        }
        {
            let (n_block, n_chain, n_dacc, n_data) = (
                k(n, kind::BLOCK),
                k(n, kind::CHAIN),
                k(n, kind::DACC),
                k(n, kind::DATA),
            );
            let mut t = builder.when_transition();
            for i in 0..8 {
                t.assert_zero(n_block.clone() * (x(nb_in[i]) - x(l.arch[i])));
                t.assert_zero(
                    x(n.arch[i]) - x(l.arch[i]) - n_block.clone() * (x(nb_out[i]) - x(l.arch[i])),
                );
                t.assert_zero(n_data.clone() * (x(na_in[i]) - x(a_out[i])));
                t.assert_zero(n_data.clone() * (x(na_in[8 + i]) - x(b_out[i])));
                t.assert_zero(n_chain.clone() * (x(nb_in[i]) - x(l.chain[i])));
                t.assert_zero(n_chain.clone() * (x(nb_in[8 + i]) - x(b_out[i])));
                t.assert_zero(
                    x(n.chain[i])
                        - x(l.chain[i])
                        - n_chain.clone() * (x(nb_out[i]) - x(l.chain[i])),
                );
                t.assert_zero(n_dacc.clone() * (x(nb_in[i]) - x(l.dacc[i])));
                t.assert_zero(
                    x(n.dacc[i]) - x(l.dacc[i]) - n_dacc.clone() * (x(nb_out[i]) - x(l.dacc[i])),
                );
            }
        }
    }
}

#[cfg(test)]
mod attacks;
#[cfg(test)]
mod rules;
#[cfg(test)]
mod tests;
