//! Trace generation: the STF's witnesses of one or more checkpoints → rows of [`TransitionAir`].
//!
//! [`TransitionAir`]: super::TransitionAir

use super::{
    Cols, DATA_CHUNK, LANES, NUM_PUBLIC_VALUES, PermCols, WIDTH, cols_mut, kind, perm_out, pv,
};
use crate::config::Val;
use crate::raw::{HALF_FULL_ROUNDS, PARTIAL_ROUNDS, SBOX_DEGREE, WIDTH as POSEIDON2_WIDTH};
use alloy::primitives::Address;
use core::mem::MaybeUninit;
use p3_field::{BasedVectorSpace, Field, PrimeCharacteristicRing};
use p3_koala_bear::GenericPoseidon2LinearLayersKoalaBear;
use p3_matrix::dense::RowMajorMatrix;
use p3_poseidon2_air::generate_trace_rows_for_perm;
use vouch_rollup::account::Account;
use vouch_rollup::checkpoint::{
    CheckpointBody, CheckpointContext, CheckpointExecution, RecordSponge, StepWitness,
    accumulate_deposit, block_record, deposit_record, header_record, transfer_record,
};
use vouch_rollup::data::{DATA_DEGREE, DataField, record_coefficients};
use vouch_rollup::hash::{Digest, limbs16};
use vouch_rollup::state::{MerklePath, TREE_DEPTH};
use vouch_rollup::tx::Deposit;

/// Everything needed to prove one checkpoint: where it sits, what it posted, the deposits it
/// consumed, and its execution with the STF's witnesses.
#[derive(Clone, Debug)]
pub struct CheckpointWitness {
    /// Its context.
    pub ctx: CheckpointContext,
    /// Its body.
    pub body: CheckpointBody,
    /// The deposits it consumed, in queue order.
    pub deposits: Vec<Deposit>,
    /// The rollup's deposit accumulator before its first deposit (after deposit
    /// `ctx.deposit_start - 1`; [`Digest::ZERO`] when it starts at deposit 0).
    pub deposit_accumulator: Digest,
    /// Its execution.
    pub execution: CheckpointExecution,
}

impl CheckpointWitness {
    /// The deposit accumulator after its last deposit.
    pub fn deposit_accumulator_end(&self) -> Digest {
        self.deposits
            .iter()
            .take(self.execution.deposit_count as usize)
            .fold(self.deposit_accumulator, |acc, d| {
                accumulate_deposit(&acc, d)
            })
    }
}

/// Witnesses that do not describe a checkpoint's execution.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceError {
    /// No checkpoints.
    #[error("nothing to prove: no checkpoints")]
    Empty,
    /// The witness steps do not match the body's blocks.
    #[error("checkpoint {checkpoint}: witness steps do not match the body ({0})", .detail)]
    Shape {
        /// Checkpoint number.
        checkpoint: u64,
        /// What differs.
        detail: String,
    },
    /// A Merkle path does not have [`TREE_DEPTH`] siblings.
    #[error("checkpoint {checkpoint}: a Merkle path has {got} siblings, expected {TREE_DEPTH}")]
    PathLength {
        /// Checkpoint number.
        checkpoint: u64,
        /// Siblings given.
        got: usize,
    },
    /// Consecutive checkpoints do not chain.
    #[error("checkpoint {checkpoint} does not start where the previous one ended")]
    Discontinuous {
        /// Checkpoint number.
        checkpoint: u64,
    },
}

#[derive(Clone, Default)]
struct Regs {
    root: [Val; 8],
    arch: [Val; 8],
    chain: [Val; 8],
    dacc: [Val; 8],
    sp: [Val; 16],
    op: [Val; 16],
    hdr: [Val; 8],
    bnum: Val,
    didx: Val,
    nd: u32,
    nt: u32,
    facc: u64,
    pend_recv: bool,
    pend_fee: bool,
    idx: u32,
    tgt: [u32; 2 * LANES],
    /// The data point's powers z¹..z⁷.
    dz: [DataField; DATA_CHUNK],
    dmid: DataField,
    dv: DataField,
}

fn coords(v: DataField) -> [Val; DATA_DEGREE] {
    v.as_basis_coefficients_slice()
        .try_into()
        .expect("4 coordinates")
}

/// `Σ c[i]·z^(DATA_CHUNK - 1 - i)` for the given powers `z¹..z⁷`.
fn chunk_terms(dz: &[DataField; DATA_CHUNK], c: &[Val]) -> DataField {
    c.iter().enumerate().fold(DataField::ZERO, |acc, (i, ci)| {
        let e = DATA_CHUNK - 1 - i;
        acc + if e == 0 { DataField::ONE } else { dz[e - 1] } * *ci
    })
}

/// Extra witness columns of a leaf row.
#[derive(Default)]
struct LeafAux {
    e: bool,
    u: [u32; 3],
    v: [u32; 3],
    fc: [u32; 3],
    na: Val,
    nb: Val,
}

struct Builder {
    values: Vec<Val>,
    regs: Regs,
    /// The previous row closed a block: the per-block counters restart.
    after_block: bool,
}

pub(crate) fn fill_perm(p: &mut PermCols<Val>, input: [Val; 16]) -> [Val; 16] {
    // SAFETY: `MaybeUninit<Val>` has the layout of `Val`; the generator only writes.
    let p: &mut PermCols<MaybeUninit<Val>> =
        unsafe { &mut *(p as *mut PermCols<Val> as *mut PermCols<MaybeUninit<Val>>) };
    generate_trace_rows_for_perm::<
        Val,
        GenericPoseidon2LinearLayersKoalaBear,
        POSEIDON2_WIDTH,
        SBOX_DEGREE,
        0,
        HALF_FULL_ROUNDS,
        PARTIAL_ROUNDS,
    >(p, input, &crate::raw::round_constants());
    // SAFETY: every cell was just written.
    let p: &PermCols<Val> =
        unsafe { &*(p as *mut PermCols<MaybeUninit<Val>> as *const PermCols<Val>) };
    perm_out(p)
}

fn digest8(v: &[Val]) -> [Val; 8] {
    v[..8].try_into().expect("8 elements")
}

fn split(a: &[Val; 8], b: &[Val; 8]) -> [Val; 16] {
    let mut out = [Val::ZERO; 16];
    out[..8].copy_from_slice(a);
    out[8..].copy_from_slice(b);
    out
}

fn limbs(value: u64) -> [u32; 4] {
    core::array::from_fn(|i| ((value >> (16 * i)) & 0xffff) as u32)
}

/// Carries of `a + b` limb-wise (index i = carry into limb i+1).
fn add_carries(a: u64, b: u64) -> [u32; 3] {
    let (la, lb) = (limbs(a), limbs(b));
    let mut out = [0u32; 3];
    let mut carry = 0u32;
    for i in 0..3 {
        carry = (la[i] + lb[i] + carry) >> 16;
        out[i] = carry;
    }
    out
}

impl Builder {
    /// Appends a row: `setup` fills the kind-specific columns and returns the inputs of `a`;
    /// `b_input` computes `b`'s input from `a`'s output.
    fn row(
        &mut self,
        k: usize,
        a_in: [Val; 16],
        b_input: impl FnOnce(&[Val; 16]) -> [Val; 16],
        setup: impl FnOnce(&mut Cols<Val>, &mut Regs, &[Val; 16], &[Val; 16]),
    ) {
        if self.after_block {
            self.regs.nd = 0;
            self.regs.nt = 0;
        }
        self.after_block = k == kind::BLOCK;
        let start = self.values.len();
        self.values.resize(start + WIDTH, Val::ZERO);
        let row = cols_mut(&mut self.values[start..]);
        let a_out = fill_perm(&mut row.a, a_in);
        let b_out = fill_perm(&mut row.b, b_input(&a_out));
        row.kind[k] = Val::ONE;
        setup(row, &mut self.regs, &a_out, &b_out);
        let r = &self.regs;
        row.root = r.root;
        row.arch = r.arch;
        row.chain = r.chain;
        row.dacc = r.dacc;
        row.sp = r.sp;
        row.op = r.op;
        row.hdr = r.hdr;
        row.bnum = r.bnum;
        row.didx = r.didx;
        row.nd = Val::from_u32(r.nd);
        row.nt = Val::from_u32(r.nt);
        row.facc = limbs(r.facc).map(Val::from_u32);
        row.pend_recv = Val::from_bool(r.pend_recv);
        row.pend_fee = Val::from_bool(r.pend_fee);
        row.idx_lo = Val::from_u32(r.idx & 0xffff);
        row.idx_hi = Val::from_u32(r.idx >> 16);
        row.tgt = r.tgt.map(Val::from_u32);
        row.dz = r.dz.map(coords);
        row.dmid = coords(r.dmid);
        row.dv = coords(r.dv);
    }

    /// Starts a checkpoint's data polynomial at `point`.
    fn data_point(&mut self, point: &[Val; DATA_DEGREE]) {
        let z = DataField::from_basis_coefficients_fn(|i| point[i]);
        let mut power = DataField::ONE;
        for p in self.regs.dz.iter_mut() {
            power *= z;
            *p = power;
        }
    }

    fn absorb(&mut self, k: usize, record: [Val; 16]) {
        let cap: [Val; 8] = if k == kind::HDR {
            RecordSponge::initial_capacity()
        } else {
            digest8(&self.regs.sp[8..])
        };
        let first = split(&digest8(&record[..8]), &cap);
        let second_half = digest8(&record[8..]);
        self.row(
            k,
            first,
            |a_out| split(&second_half, &digest8(&a_out[8..])),
            |_, regs, _, b_out| {
                regs.sp = *b_out;
                regs.op = record;
                if k != kind::ADEP {
                    let c = record_coefficients(&record);
                    let z7 = regs.dz[DATA_CHUNK - 1];
                    let before = if k == kind::HDR {
                        DataField::ZERO
                    } else {
                        regs.dv
                    };
                    regs.dmid = before * z7 + chunk_terms(&regs.dz, &c[..DATA_CHUNK]);
                    regs.dv = regs.dmid * z7 + chunk_terms(&regs.dz, &c[DATA_CHUNK..]);
                }
                match k {
                    kind::HDR => {
                        regs.hdr.copy_from_slice(&record[1..9]);
                        regs.didx = record[7];
                        regs.bnum = record[8] - Val::ONE;
                        regs.nd = 0;
                        regs.nt = 0;
                    }
                    kind::ADEP => {
                        regs.didx += Val::ONE;
                        regs.nd += 1;
                    }
                    kind::ATX => regs.nt += 1,
                    _ => {}
                }
            },
        );
    }

    /// A leaf row and its 32 path rows.
    #[allow(clippy::too_many_arguments)]
    fn update(
        &mut self,
        k: usize,
        old: Option<&Account>,
        new: &Account,
        path: &MerklePath,
        tgt: [u64; 3],
        aux: LeafAux,
        facc_after: u64,
    ) {
        let old_fields = old.map(|a| a.to_fields()).unwrap_or([Val::ZERO; 16]);
        let new_fields = new.to_fields();
        let targets: [u32; 2 * LANES] = {
            let mut t = [0u32; 2 * LANES];
            for (i, value) in tgt.iter().enumerate() {
                t[4 * i..4 * i + 4].copy_from_slice(&limbs(*value));
            }
            t
        };
        let empty = aux.e;
        self.row(
            k,
            old_fields,
            |_| new_fields,
            |row, regs, a_out, b_out| {
                row.e = Val::from_bool(aux.e);
                row.u = aux.u.map(Val::from_u32);
                row.v = aux.v.map(Val::from_u32);
                row.fc = aux.fc.map(Val::from_u32);
                row.na = aux.na;
                row.nb = aux.nb;
                row.cur_a = if empty {
                    [Val::ZERO; 8]
                } else {
                    digest8(a_out)
                };
                row.cur_b = digest8(b_out);
                regs.pend_recv = k == kind::LSEND;
                regs.pend_fee = k == kind::LFEE;
                regs.idx = path.index.0;
                regs.tgt = targets;
                regs.facc = facc_after;
            },
        );
        let start = self.values.len() - WIDTH;
        let mut cur_a = cols_mut(&mut self.values[start..]).cur_a;
        let mut cur_b = cols_mut(&mut self.values[start..]).cur_b;
        let (mut iacc, mut racc) = (0u32, [0u32; LANES]);
        for (level, sibling) in path.siblings.iter().enumerate() {
            let bit = (path.index.0 >> level) & 1;
            let lvl = level as u32 + 1;
            let half = level % 16;
            let w = 1u32 << half;
            if half == 0 {
                iacc = 0;
                racc = [0; LANES];
            }
            let idx_half = if level < 16 {
                path.index.0 & 0xffff
            } else {
                path.index.0 >> 16
            };
            iacc += ((idx_half >> half) & 1) * w;
            let lane_base = if level < 16 { 0 } else { LANES };
            let rb: [u32; LANES] = core::array::from_fn(|j| (targets[lane_base + j] >> half) & 1);
            for j in 0..LANES {
                racc[j] += rb[j] * w;
            }
            let order = |node: &[Val; 8]| {
                if bit == 0 {
                    split(node, &sibling.0)
                } else {
                    split(&sibling.0, node)
                }
            };
            let (a_in, b_in) = (order(&cur_a), order(&cur_b));
            let top = level + 1 == TREE_DEPTH;
            self.row(
                kind::PATH,
                a_in,
                |_| b_in,
                |row, regs, a_out, b_out| {
                    row.bit = Val::from_u32(bit);
                    row.lvl = Val::from_u32(lvl);
                    row.w = Val::from_u32(w);
                    row.f16 = Val::from_bool(lvl == 16);
                    row.f32 = Val::from_bool(lvl == 32);
                    row.inv16 = (Val::from_u32(lvl) - Val::from_u32(16))
                        .try_inverse()
                        .unwrap_or(Val::ZERO);
                    row.inv32 = (Val::from_u32(lvl) - Val::from_u32(32))
                        .try_inverse()
                        .unwrap_or(Val::ZERO);
                    row.iacc = Val::from_u32(iacc);
                    row.rb = rb.map(Val::from_u32);
                    row.racc = racc.map(Val::from_u32);
                    row.sib = sibling.0;
                    row.cur_a = digest8(a_out);
                    row.cur_b = digest8(b_out);
                    cur_a = row.cur_a;
                    cur_b = row.cur_b;
                    if top {
                        regs.root = row.cur_b;
                    }
                },
            );
        }
    }

    fn block(&mut self, meta: [Val; 8]) {
        let root = self.regs.root;
        let arch = self.regs.arch;
        self.row(
            kind::BLOCK,
            split(&root, &meta),
            |a_out| split(&arch, &digest8(a_out)),
            |_, regs, _, b_out| {
                regs.arch = digest8(b_out);
                regs.bnum += Val::ONE;
            },
        );
    }

    /// The accumulator step after a deposit record (the record is still in `op`).
    fn accumulate(&mut self) {
        let (record, dacc) = (self.regs.op, self.regs.dacc);
        self.row(
            kind::DACC,
            record,
            |a_out| split(&dacc, &digest8(a_out)),
            |_, regs, _, b_out| regs.dacc = digest8(b_out),
        );
    }

    /// The seal row (`compress(tx_commitment, root)`, `compress(archive, header fields)`),
    /// the data row that joins them and hashes in `(z, P(z))`, and the chain row that extends
    /// the checkpoint chain with the result.
    fn seal(&mut self) {
        let r = &self.regs;
        let (sp, root, arch) = (digest8(&r.sp), r.root, r.arch);
        let meta = [
            r.hdr[2],
            r.hdr[3],
            r.hdr[4],
            r.hdr[5],
            r.hdr[6],
            r.didx - r.hdr[6],
            r.bnum - r.hdr[7] + Val::ONE,
            Val::ZERO,
        ];
        let mut joined = [Val::ZERO; 16];
        self.row(
            kind::SEAL,
            split(&sp, &root),
            |_| split(&arch, &meta),
            |_, _, a_out, b_out| joined = split(&digest8(a_out), &digest8(b_out)),
        );
        let mut data = [Val::ZERO; 8];
        data[..DATA_DEGREE].copy_from_slice(&coords(self.regs.dz[0]));
        data[DATA_DEGREE..].copy_from_slice(&coords(self.regs.dv));
        let mut digest = [Val::ZERO; 8];
        self.row(
            kind::DATA,
            joined,
            |a_out| split(&digest8(a_out), &data),
            |_, _, _, b_out| digest = digest8(b_out),
        );
        let chain = self.regs.chain;
        self.row(
            kind::CHAIN,
            [Val::ZERO; 16],
            |_| split(&chain, &digest),
            |_, regs, _, b_out| regs.chain = digest8(b_out),
        );
    }

    fn pad(&mut self) {
        self.row(
            kind::PAD,
            [Val::ZERO; 16],
            |_| [Val::ZERO; 16],
            |_, _, _, _| {},
        );
    }
}

fn shape(checkpoint: u64, detail: impl Into<String>) -> TraceError {
    TraceError::Shape {
        checkpoint,
        detail: detail.into(),
    }
}

/// The prover's address as public values: ten 16-bit limbs, least significant first.
pub fn prover_limbs(prover: &Address) -> [Val; pv::PROVER_LIMBS] {
    let low = u128::from_be_bytes(prover.0[4..20].try_into().expect("16 bytes"));
    let high = u32::from_be_bytes(prover.0[..4].try_into().expect("4 bytes"));
    let mut out = [Val::ZERO; pv::PROVER_LIMBS];
    out[..8].copy_from_slice(&limbs16::<8>(low));
    out[8..].copy_from_slice(&limbs16::<2>(high as u128));
    out
}

/// The trace of `checkpoints` (consecutive) proven by `prover`, and its public values.
pub fn generate_trace(
    checkpoints: &[CheckpointWitness],
    prover: &Address,
) -> Result<(RowMajorMatrix<Val>, [Val; NUM_PUBLIC_VALUES]), TraceError> {
    generate_trace_padded(checkpoints, prover, 4)
}

/// [`generate_trace`] padded to at least `min_rows` rows (a power of two): a fixed height for
/// proofs a recursive verifier checks.
pub fn generate_trace_padded(
    checkpoints: &[CheckpointWitness],
    prover: &Address,
    min_rows: usize,
) -> Result<(RowMajorMatrix<Val>, [Val; NUM_PUBLIC_VALUES]), TraceError> {
    let first = checkpoints.first().ok_or(TraceError::Empty)?;
    let rows_hint: usize = checkpoints
        .iter()
        .map(|c| 4 + 35 * c.body.blocks.len() + 35 * c.deposits.len() + 67 * c.body.tx_count())
        .sum();
    let mut b = Builder {
        values: Vec::with_capacity(rows_hint.next_power_of_two() * WIDTH),
        regs: Regs {
            root: first.execution.pre_state_root.0,
            arch: first.ctx.previous_archive.0,
            dacc: first.deposit_accumulator.0,
            ..Regs::default()
        },
        after_block: false,
    };
    let mut pv = [Val::ZERO; NUM_PUBLIC_VALUES];
    pv[pv::START_ROOT..][..8].copy_from_slice(&first.execution.pre_state_root.0);
    pv[pv::START_ARCHIVE..][..8].copy_from_slice(&first.ctx.previous_archive.0);
    pv[pv::START_DEPOSITS..][..8].copy_from_slice(&first.deposit_accumulator.0);
    pv[pv::PROVER..][..pv::PROVER_LIMBS].copy_from_slice(&prover_limbs(prover));
    for cp in checkpoints {
        let number = cp.ctx.number.get();
        if Digest(b.regs.root) != cp.execution.pre_state_root
            || Digest(b.regs.arch) != cp.ctx.previous_archive
            || Digest(b.regs.dacc) != cp.deposit_accumulator
        {
            return Err(TraceError::Discontinuous { checkpoint: number });
        }
        b.data_point(&cp.execution.data.point());
        b.absorb(kind::HDR, header_record(&cp.ctx, cp.body.fee_account));
        let mut steps = cp.execution.witnesses.iter();
        let mut deposits = cp.deposits.iter();
        for (block_pos, body) in cp.body.blocks.iter().enumerate() {
            // The steps in the witness's order (the STF applies a block's deposits first; the
            // circuit enforces that order rather than assuming it).
            let mut txs = body.txs.iter().enumerate();
            let mut deposits_left = body.deposit_count as usize;
            let mut fees = 0u64;
            for _ in 0..body.deposit_count as usize + body.txs.len() {
                let step = steps.next();
                if let Some(StepWitness::Deposit(w)) = step {
                    let (true, Some(dep)) = (deposits_left > 0, deposits.next()) else {
                        return Err(shape(number, format!("block {block_pos}: extra deposit")));
                    };
                    deposits_left -= 1;
                    check_path(number, &w.path)?;
                    b.absorb(kind::ADEP, deposit_record(dep));
                    b.accumulate();
                    let after = Account {
                        owner: dep.recipient,
                        balance: w.before.balance + w.amount,
                        nonce: w.before.nonce,
                    };
                    let e = w.before.is_empty();
                    let aux = LeafAux {
                        e,
                        u: add_carries(w.before.balance, w.amount),
                        ..LeafAux::default()
                    };
                    let old = (!e).then_some(&w.before);
                    let facc = b.regs.facc;
                    b.update(
                        kind::LDEP,
                        old,
                        &after,
                        &w.path,
                        [after.balance, w.amount, 0],
                        aux,
                        facc,
                    );
                    continue;
                }
                let (Some(StepWitness::Transfer(w)), Some((position, tx))) = (step, txs.next())
                else {
                    return Err(shape(
                        number,
                        format!("block {block_pos}: a step is missing"),
                    ));
                };
                check_path(number, &w.sender_path)?;
                check_path(number, &w.recipient_path)?;
                let t = &w.transfer;
                if *t != tx.transfer {
                    return Err(shape(
                        number,
                        format!("block {block_pos}: transfer {position} differs"),
                    ));
                }
                b.absorb(kind::ATX, transfer_record(t));
                let sender_after = Account {
                    balance: w
                        .sender_before
                        .balance
                        .wrapping_sub(t.amount)
                        .wrapping_sub(t.fee),
                    nonce: w.sender_before.nonce + 1,
                    ..w.sender_before
                };
                let (from, to) = (limbs16::<2>(t.from.0 as u128), limbs16::<2>(t.to.0 as u128));
                let (na, nb) = if from[0] != to[0] {
                    ((from[0] - to[0]).inverse(), Val::ZERO)
                } else if from[1] != to[1] {
                    (Val::ZERO, (from[1] - to[1]).inverse())
                } else {
                    (Val::ZERO, Val::ZERO)
                };
                let (u, v) = sub_borrows(w.sender_before.balance, t.amount, t.fee);
                let facc_after = fees.wrapping_add(t.fee);
                let aux = LeafAux {
                    u,
                    v,
                    fc: add_carries(fees, t.fee),
                    na,
                    nb,
                    ..LeafAux::default()
                };
                b.update(
                    kind::LSEND,
                    Some(&w.sender_before),
                    &sender_after,
                    &w.sender_path,
                    [sender_after.balance, t.amount, facc_after],
                    aux,
                    facc_after,
                );
                fees = facc_after;
                let recipient_after = Account {
                    balance: w.recipient_before.balance.wrapping_add(t.amount),
                    ..w.recipient_before
                };
                let aux = LeafAux {
                    u: add_carries(w.recipient_before.balance, t.amount),
                    ..LeafAux::default()
                };
                b.update(
                    kind::LRECV,
                    Some(&w.recipient_before),
                    &recipient_after,
                    &w.recipient_path,
                    [recipient_after.balance, t.fee, 0],
                    aux,
                    fees,
                );
            }
            if fees > 0 {
                let Some(StepWitness::Fees(w)) = steps.next() else {
                    return Err(shape(
                        number,
                        format!("block {block_pos}: missing fee credit"),
                    ));
                };
                check_path(number, &w.path)?;
                if w.amount != fees || w.index != cp.body.fee_account {
                    return Err(shape(
                        number,
                        format!("block {block_pos}: fee credit differs"),
                    ));
                }
                let after = Account {
                    balance: w.before.balance.wrapping_add(fees),
                    ..w.before
                };
                let aux = LeafAux {
                    u: add_carries(w.before.balance, fees),
                    ..LeafAux::default()
                };
                b.update(
                    kind::LFEE,
                    Some(&w.before),
                    &after,
                    &w.path,
                    [after.balance, fees, 0],
                    aux,
                    0,
                );
            }
            b.absorb(
                kind::ABLK,
                block_record(body.deposit_count, body.txs.len() as u16),
            );
            let header = cp
                .execution
                .blocks
                .get(block_pos)
                .ok_or_else(|| shape(number, format!("block {block_pos}: no header")))?;
            b.block(header.meta());
        }
        if steps.next().is_some() {
            return Err(shape(number, "more witness steps than the body has"));
        }
        b.seal();
    }
    let rows = b.values.len() / WIDTH;
    for _ in rows..rows.next_power_of_two().max(min_rows).max(4) {
        b.pad();
    }
    pv[pv::END_ROOT..][..8].copy_from_slice(&b.regs.root);
    pv[pv::END_ARCHIVE..][..8].copy_from_slice(&b.regs.arch);
    pv[pv::CHAIN..][..8].copy_from_slice(&b.regs.chain);
    pv[pv::END_DEPOSITS..][..8].copy_from_slice(&b.regs.dacc);
    Ok((RowMajorMatrix::new(b.values, WIDTH), pv))
}

fn check_path(checkpoint: u64, path: &MerklePath) -> Result<(), TraceError> {
    if path.siblings.len() != TREE_DEPTH {
        return Err(TraceError::PathLength {
            checkpoint,
            got: path.siblings.len(),
        });
    }
    Ok(())
}

/// Borrows of `a - amount - fee` limb-wise, split into two bits each (a borrow may be 2).
fn sub_borrows(a: u64, amount: u64, fee: u64) -> ([u32; 3], [u32; 3]) {
    let (la, lm, lf) = (limbs(a), limbs(amount), limbs(fee));
    let (mut u, mut v) = ([0u32; 3], [0u32; 3]);
    let mut borrow = 0i64;
    for i in 0..3 {
        let t = la[i] as i64 - lm[i] as i64 - lf[i] as i64 - borrow;
        borrow = if t < 0 { (-t + 0xffff) >> 16 } else { 0 };
        u[i] = (borrow >= 1) as u32;
        v[i] = (borrow >= 2) as u32;
    }
    (u, v)
}
