//! One malicious trace per STF rule, each built from a *raw* execution: leaf writes computed as
//! the trace generator computes them (wrapping arithmetic, no rule checked), with Merkle paths
//! read from a real state tree, so every opening is valid and the rule under test is the only
//! thing wrong. Each test asserts that exactly the rows the rule's constraints guard fail: a
//! dropped constraint leaves the trace satisfied and the test fails.

use super::{CheckpointWitness, TransitionAir, generate_trace, kind};
use crate::config::Val;
use crate::fixture::CHAIN_ID;
use alloy::primitives::Address;
use p3_field::PrimeCharacteristicRing;
use p3_matrix::Matrix;
use p3_matrix::dense::RowMajorMatrix;
use vouch_primitives::{BlockNumber, CheckpointNumber, Slot};
use vouch_rollup::account::{Account, AccountIndex};
use vouch_rollup::checkpoint::{
    BlockBody, CheckpointBody, CheckpointContext, CheckpointExecution, L2BlockHeader, StepWitness,
};
use vouch_rollup::genesis::{GenesisRoots, devnet_account_index, devnet_genesis, devnet_signer};
use vouch_rollup::hash::Digest;
use vouch_rollup::state::{MemoryStore, StateOverlay};
use vouch_rollup::stf::{CreditWitness, TransferWitness};
use vouch_rollup::tx::{Deposit, Transfer};

const SEED: u64 = 7;
const FEE_ACCOUNT: AccountIndex = AccountIndex(0);

/// A state tree with `n` funded devnet accounts of `balance` each (account 0 is the fee
/// account), and a raw executor over it.
struct Raw {
    store: MemoryStore,
    genesis: GenesisRoots,
}

/// One raw step.
enum Step {
    Deposit(Deposit, AccountIndex),
    Transfer(Transfer),
}

impl Raw {
    fn new(n: u32, balance: u64) -> Self {
        let store = MemoryStore::default();
        let genesis = devnet_genesis(Address::repeat_byte(0xfe), SEED, n, balance)
            .commit(&store)
            .unwrap();
        Self { store, genesis }
    }

    /// Checkpoint 1 with one block of `steps` (deposits credit the given index), executed
    /// raw. `tweak` edits the witness before the trace is built.
    fn checkpoint(&self, steps: Vec<Step>) -> CheckpointWitness {
        let mut state = StateOverlay::new(&self.store, Some(0));
        let pre_state_root = state.root().unwrap();
        let mut witnesses = Vec::new();
        let (mut txs, mut deposits, mut fees) = (Vec::new(), Vec::new(), 0u64);
        for step in steps {
            match step {
                Step::Deposit(d, index) => {
                    let before = state.account(index).unwrap();
                    let after = Account {
                        owner: d.recipient,
                        balance: before.balance.wrapping_add(d.amount),
                        nonce: before.nonce,
                    };
                    witnesses.push(StepWitness::Deposit(credit(
                        &mut state, index, after, d.amount,
                    )));
                    deposits.push(d);
                }
                Step::Transfer(t) => {
                    let root_before = state.root().unwrap();
                    let sender_before = state.account(t.from).unwrap();
                    let sender_after = Account {
                        balance: sender_before
                            .balance
                            .wrapping_sub(t.amount)
                            .wrapping_sub(t.fee),
                        nonce: sender_before.nonce + 1,
                        ..sender_before
                    };
                    let sender_path = state.set_account(t.from, sender_after).unwrap();
                    let recipient_before = state.account(t.to).unwrap();
                    let recipient_after = Account {
                        balance: recipient_before.balance.wrapping_add(t.amount),
                        ..recipient_before
                    };
                    let recipient_path = state.set_account(t.to, recipient_after).unwrap();
                    witnesses.push(StepWitness::Transfer(Box::new(TransferWitness {
                        transfer: t,
                        root_before,
                        sender_before,
                        sender_path,
                        recipient_before,
                        recipient_path,
                        root_after: state.root().unwrap(),
                    })));
                    fees = fees.wrapping_add(t.fee);
                    let signer = devnet_signer(SEED, t.from.0.saturating_sub(1));
                    txs.push(t.sign(&signer, CHAIN_ID));
                }
            }
        }
        if fees > 0 {
            let before = state.account(FEE_ACCOUNT).unwrap();
            let after = Account {
                balance: before.balance.wrapping_add(fees),
                ..before
            };
            witnesses.push(StepWitness::Fees(credit(
                &mut state,
                FEE_ACCOUNT,
                after,
                fees,
            )));
        }
        let ctx = CheckpointContext {
            number: CheckpointNumber(1),
            slot: Slot(102),
            timestamp: 1_800_001_224,
            previous_archive: self.genesis.archive,
            previous_block: BlockNumber(0),
            deposit_start: 0,
            chain_id: CHAIN_ID,
        };
        let state_root = state.root().unwrap();
        let block = L2BlockHeader {
            number: BlockNumber(1),
            checkpoint: ctx.number,
            slot: ctx.slot,
            timestamp: ctx.timestamp,
            deposit_start: 0,
            deposit_count: deposits.len() as u16,
            tx_count: txs.len() as u16,
            state_root,
            archive: Digest::ZERO,
        };
        CheckpointWitness {
            ctx,
            body: CheckpointBody {
                fee_account: FEE_ACCOUNT,
                blocks: vec![BlockBody {
                    deposit_count: deposits.len() as u16,
                    txs,
                }],
            },
            deposit_accumulator: Digest::ZERO,
            execution: CheckpointExecution {
                pre_state_root,
                state_root,
                archive: Digest::ZERO,
                tx_commitment: Digest::ZERO,
                blocks: vec![block],
                witnesses,
                deposit_count: deposits.len() as u64,
                data: Default::default(),
            },
            deposits,
        }
    }
}

fn credit(
    state: &mut StateOverlay<'_, MemoryStore>,
    index: AccountIndex,
    after: Account,
    amount: u64,
) -> CreditWitness {
    let root_before = state.root().unwrap();
    let before = state.account(index).unwrap();
    let path = state.set_account(index, after).unwrap();
    CreditWitness {
        index,
        before,
        path,
        amount,
        root_before,
        root_after: state.root().unwrap(),
    }
}

fn transfer(from: u32, to: u32, amount: u64, fee: u64, nonce: u32) -> Transfer {
    Transfer {
        from: devnet_account_index(from),
        to: devnet_account_index(to),
        amount,
        fee,
        nonce,
    }
}

/// The rows of `trace` whose constraints fail under `pv`, in order (shared with the attacks).
pub(super) fn failing_rows_in(trace: &RowMajorMatrix<Val>, pv: &[Val]) -> Vec<usize> {
    let mut rows: Vec<usize> =
        p3_air::check_all_constraints::<Val, TransitionAir>(&TransitionAir, trace, pv, None)
            .failures
            .iter()
            .map(|f| f.row)
            .collect();
    rows.dedup();
    rows
}

/// The rows of `trace` of kind `k`, in order (shared with the attacks).
pub(super) fn kind_rows(trace: &RowMajorMatrix<Val>, k: usize) -> Vec<usize> {
    let width = trace.width();
    let col = core::mem::offset_of!(super::Cols<u8>, kind) + k;
    (0..trace.height())
        .filter(|&r| trace.values[r * width + col] == Val::ONE)
        .collect()
}

/// The rows whose constraints fail.
fn failing_rows(witnesses: &[CheckpointWitness]) -> Vec<usize> {
    let (trace, pv) = generate_trace(witnesses, &Address::ZERO).expect("a trace");
    failing_rows_in(&trace, &pv)
}

/// Rows of kind `k`, in order.
fn rows_of(witnesses: &[CheckpointWitness], k: usize) -> Vec<usize> {
    kind_rows(
        &generate_trace(witnesses, &Address::ZERO)
            .expect("a trace")
            .0,
        k,
    )
}

#[test]
fn the_raw_executor_builds_honest_traces() {
    let raw = Raw::new(3, 1 << 40);
    let w = raw.checkpoint(vec![
        Step::Deposit(
            Deposit {
                queue_index: 0,
                recipient: devnet_signer(SEED, 0).address(),
                amount: 10,
            },
            devnet_account_index(0),
        ),
        Step::Transfer(transfer(0, 1, 5, 2, 0)),
    ]);
    assert_eq!(failing_rows(&[w]), Vec::<usize>::new());
}

#[test]
fn sender_and_recipient_must_differ() {
    let raw = Raw::new(3, 1 << 40);
    let w = [raw.checkpoint(vec![Step::Transfer(transfer(1, 1, 5, 2, 0))])];
    assert_eq!(failing_rows(&w), rows_of(&w, kind::LSEND));
}

#[test]
fn a_recipient_balance_cannot_overflow() {
    let raw = Raw::new(3, u64::MAX - 3);
    let w = [raw.checkpoint(vec![Step::Transfer(transfer(1, 2, 10, 0, 0))])];
    assert_eq!(failing_rows(&w), rows_of(&w, kind::LRECV));
}

#[test]
fn a_blocks_fee_total_cannot_overflow() {
    let raw = Raw::new(3, u64::MAX - 3);
    let half = 1u64 << 63;
    let w = [raw.checkpoint(vec![
        Step::Transfer(transfer(0, 2, 1, half, 0)),
        Step::Transfer(transfer(1, 2, 1, half, 0)),
    ])];
    // The second transfer's fee wraps the block's accumulator to zero (so no fee credit
    // follows): the carry out is refused by the transition into its sender row (checked on
    // the row before it).
    assert_eq!(failing_rows(&w), vec![rows_of(&w, kind::LSEND)[1] - 1]);
}

#[test]
fn a_deposit_credits_only_an_account_its_recipient_owns() {
    let raw = Raw::new(3, 1 << 40);
    // Deposit to signer 0's address, credited to signer 1's account (owner rewritten).
    let w = [raw.checkpoint(vec![Step::Deposit(
        Deposit {
            queue_index: 0,
            recipient: devnet_signer(SEED, 0).address(),
            amount: 10,
        },
        devnet_account_index(1),
    )])];
    assert_eq!(failing_rows(&w), rows_of(&w, kind::LDEP));
}

#[test]
fn the_block_meta_is_the_blocks_counts() {
    let raw = Raw::new(3, 1 << 40);
    let mut w = [raw.checkpoint(vec![Step::Transfer(transfer(1, 2, 5, 2, 0))])];
    w[0].execution.blocks[0].tx_count += 1;
    assert_eq!(failing_rows(&w), rows_of(&w, kind::BLOCK));
}

#[test]
fn checkpoints_chain_their_block_numbers() {
    let fx = crate::fixture::build(crate::fixture::FixtureSpec {
        accounts: 3,
        checkpoints: 2,
        blocks: 1,
        transfers_per_block: 1,
        deposits_per_block: 0,
        seed: 3,
        vary: false,
    });
    let mut ws = fx.checkpoints;
    // The second checkpoint claims to start one block later, consistently with itself.
    ws[1].ctx.previous_block = BlockNumber(ws[1].ctx.previous_block.get() + 1);
    for b in &mut ws[1].execution.blocks {
        b.number = BlockNumber(b.number.get() + 1);
    }
    // The transition into the second header row (checked on the chain row before it).
    assert_eq!(failing_rows(&ws), vec![rows_of(&ws, kind::HDR)[1] - 1]);
}

/// A transfer to an account that does not exist (an empty leaf), with the trace forged the
/// only way its openings can hold: the recipient row claims the empty-leaf flag that only a
/// deposit may use (old leaf zero, so the old path opens the tree's empty leaf). Only that row
/// breaks a rule.
#[test]
fn a_transfer_cannot_credit_an_account_that_does_not_exist() {
    let raw = Raw::new(3, 1 << 40);
    let nobody = 50u32; // far past the funded accounts: an empty leaf
    let w = [raw.checkpoint(vec![Step::Transfer(transfer(1, nobody, 5, 0, 0))])];
    let (mut trace, pv) = generate_trace(&w, &Address::ZERO).unwrap();
    let width = trace.width();
    let recv = kind_rows(&trace, kind::LRECV)[0];
    // The recipient row: empty old leaf (all-zero inputs, node zero).
    let row = super::cols_mut(&mut trace.values[recv * width..][..width]);
    row.e = Val::ONE;
    let _ = super::fill_perm(&mut row.a, [Val::ZERO; 16]);
    row.cur_a = [Val::ZERO; 8];
    // Its 32 path rows: the old path recomputed from the zero leaf, same siblings and bits,
    // reaches the root before the update (the leaf is empty in the tree).
    let before = row_mut(&mut trace, recv).root;
    assert_eq!(
        rehash_path(&mut trace, recv, [Val::ZERO; 8], Side::Old),
        before
    );
    assert_eq!(
        failing_rows_in(&trace, &pv),
        vec![recv],
        "only the empty-leaf flag on a transfer row is wrong"
    );
}

// ---- forged leaf writes ------------------------------------------------------------------
//
// A leaf write the generator would never produce changes the leaf's hash, so the new path,
// the state root and everything hashed from it after that row. `rehash_after_leaf` redoes
// exactly that for the *last* leaf update of a one-checkpoint trace, so the forged write is
// the only thing wrong and the trace claims its own (forged) end root, archive and chain.

fn row_mut(trace: &mut RowMajorMatrix<Val>, r: usize) -> &mut super::Cols<Val> {
    let width = trace.width();
    super::cols_mut(&mut trace.values[r * width..][..width])
}

fn join(left: &[Val; 8], right: &[Val; 8]) -> [Val; 16] {
    let mut out = [Val::ZERO; 16];
    out[..8].copy_from_slice(left);
    out[8..].copy_from_slice(right);
    out
}

fn digest_of(out: &[Val; 16]) -> [Val; 8] {
    out[..8].try_into().expect("8 elements")
}

/// Which of a leaf update's two paths: the old leaf's (`a`) or the new leaf's (`b`).
#[derive(Clone, Copy)]
enum Side {
    Old,
    New,
}

/// Recomputes one path of the leaf update at row `leaf` from `node` (that side's leaf hash)
/// through its 32 path rows, same siblings and bits; returns the root it reaches.
fn rehash_path(
    trace: &mut RowMajorMatrix<Val>,
    leaf: usize,
    mut node: [Val; 8],
    side: Side,
) -> [Val; 8] {
    for r in leaf + 1..=leaf + vouch_rollup::state::TREE_DEPTH {
        let row = row_mut(trace, r);
        let input = if row.bit == Val::ZERO {
            join(&node, &row.sib)
        } else {
            join(&row.sib, &node)
        };
        let (perm, cur) = match side {
            Side::Old => (&mut row.a, &mut row.cur_a),
            Side::New => (&mut row.b, &mut row.cur_b),
        };
        node = digest_of(&super::fill_perm(perm, input));
        *cur = node;
    }
    node
}

/// Re-hashes the leaf row `leaf` from its (edited) `b` inputs, its new path, and every row
/// after it (block, seal, data and chain rows; padding carries the registers). Returns the
/// public values the forged trace claims (`pv` with its end root, end archive and chain).
fn rehash_after_leaf(trace: &mut RowMajorMatrix<Val>, leaf: usize, pv: &[Val]) -> Vec<Val> {
    use super::{fill_perm, pv as at};
    let row = row_mut(trace, leaf);
    let inputs = row.b.inputs;
    let node = digest_of(&fill_perm(&mut row.b, inputs));
    row.cur_b = node;
    let depth = vouch_rollup::state::TREE_DEPTH;
    let root = rehash_path(trace, leaf, node, Side::New);
    let mut arch = row_mut(trace, leaf).arch;
    let mut chain = row_mut(trace, leaf).chain;
    let (mut seal, mut data) = ([Val::ZERO; 16], [Val::ZERO; 16]);
    for r in leaf + depth..trace.height() {
        let row = row_mut(trace, r);
        row.root = root;
        let k = |i: usize| row.kind[i] == Val::ONE;
        if k(kind::BLOCK) {
            let mut input = row.a.inputs;
            input[..8].copy_from_slice(&root);
            let a = fill_perm(&mut row.a, input);
            arch = digest_of(&fill_perm(&mut row.b, join(&arch, &digest_of(&a))));
        } else if k(kind::SEAL) {
            let mut input = row.a.inputs;
            input[8..].copy_from_slice(&root);
            let a = fill_perm(&mut row.a, input);
            let mut input = row.b.inputs;
            input[..8].copy_from_slice(&arch);
            let b = fill_perm(&mut row.b, input);
            seal = join(&digest_of(&a), &digest_of(&b));
        } else if k(kind::DATA) {
            let a = fill_perm(&mut row.a, seal);
            let mut input = row.b.inputs;
            input[..8].copy_from_slice(&digest_of(&a));
            data = fill_perm(&mut row.b, input);
        } else if k(kind::CHAIN) {
            chain = digest_of(&fill_perm(&mut row.b, join(&chain, &digest_of(&data))));
        } else {
            assert!(
                r == leaf + depth || k(kind::ABLK) || k(kind::PAD),
                "row {r} is not after the last leaf update"
            );
        }
        row.arch = arch;
        row.chain = chain;
    }
    let mut claimed = pv.to_vec();
    claimed[at::END_ROOT..][..8].copy_from_slice(&root);
    claimed[at::END_ARCHIVE..][..8].copy_from_slice(&arch);
    claimed[at::CHAIN..][..8].copy_from_slice(&chain);
    claimed
}

/// One fee-less transfer between accounts holding `balance`: its recipient update is the
/// trace's last leaf update. Returns the trace, its public values and the recipient row.
fn last_update_is_the_recipient(
    balance: u64,
    amount: u64,
) -> (RowMajorMatrix<Val>, Vec<Val>, usize) {
    let raw = Raw::new(3, balance);
    let w = [raw.checkpoint(vec![Step::Transfer(transfer(1, 2, amount, 0, 0))])];
    let (trace, pv) = generate_trace(&w, &Address::ZERO).unwrap();
    let recv = kind_rows(&trace, kind::LRECV)[0];
    assert!(
        kind_rows(&trace, kind::LFEE).is_empty(),
        "no fee credit follows"
    );
    (trace, pv.to_vec(), recv)
}

#[test]
fn the_re_hash_tool_keeps_an_honest_trace_honest() {
    let (mut trace, pv, recv) = last_update_is_the_recipient(1 << 40, 5);
    let claimed = rehash_after_leaf(&mut trace, recv, &pv);
    assert_eq!(claimed, pv, "nothing forged, nothing changed");
    assert_eq!(failing_rows_in(&trace, &claimed), Vec::<usize>::new());
}

/// The recipient's leaf is rewritten with another owner (its balance credited honestly).
#[test]
fn a_transfer_keeps_the_recipients_owner() {
    let (mut trace, pv, recv) = last_update_is_the_recipient(1 << 40, 5);
    row_mut(&mut trace, recv).b.inputs[3] += Val::ONE;
    let claimed = rehash_after_leaf(&mut trace, recv, &pv);
    assert_eq!(failing_rows_in(&trace, &claimed), vec![recv]);
}

/// `0xffff + 1` credited as a low limb of `0x10000` with no carry: the limb arithmetic holds
/// in the field, and only the range lane of that limb (checked on the 16th path row, where
/// the lane's bits must add up to the limb) refuses it.
#[test]
fn a_balance_limb_must_fit_its_range_lane() {
    let (mut trace, pv, recv) = last_update_is_the_recipient(0xffff, 1);
    forge_wide_limb(&mut trace, recv);
    let claimed = rehash_after_leaf(&mut trace, recv, &pv);
    let level16 = recv + 16;
    assert_eq!(row_mut(&mut trace, level16).f16, Val::ONE);
    assert_eq!(failing_rows_in(&trace, &claimed), vec![level16]);
}

/// As above, with the lane's top bit set to 2 so the bits do add up to `0x10000`: only the
/// bits' booleanity refuses it.
#[test]
fn range_bits_are_booleans() {
    let (mut trace, pv, recv) = last_update_is_the_recipient(0xffff, 1);
    forge_wide_limb(&mut trace, recv);
    let level16 = recv + 16;
    let row = row_mut(&mut trace, level16);
    row.rb[0] = Val::from_u32(2);
    row.racc[0] = Val::from_u32(0x10000);
    let claimed = rehash_after_leaf(&mut trace, recv, &pv);
    assert_eq!(failing_rows_in(&trace, &claimed), vec![level16]);
}

/// The recipient's new balance `0x10000` written as limbs `[0x10000, 0, 0, 0]` with no carry
/// (honestly `[0, 1, 0, 0]` with a carry out of limb 0), the lane target following it.
fn forge_wide_limb(trace: &mut RowMajorMatrix<Val>, recv: usize) {
    let row = row_mut(trace, recv);
    assert_eq!(row.b.inputs[10], Val::ZERO);
    assert_eq!(row.b.inputs[11], Val::ONE);
    row.b.inputs[10] = Val::from_u32(0x10000);
    row.b.inputs[11] = Val::ZERO;
    row.u[0] = Val::ZERO;
    for r in recv..=recv + vouch_rollup::state::TREE_DEPTH {
        let row = row_mut(trace, r);
        row.tgt[0] = Val::from_u32(0x10000);
        row.tgt[1] = Val::ZERO;
        if r == recv || r > recv + 16 {
            continue;
        }
        // Lane 0's bits stay those of the honest limb 0; lane 1's become those of 0 too.
        assert_eq!(row.rb[0], Val::ZERO);
        row.rb[1] = Val::ZERO;
        row.racc[1] = Val::ZERO;
    }
}

/// A deposit record naming another queue index than the next one (the deposit is absorbed
/// and accumulated as named, so only the queue-order constraint on its record row fails).
#[test]
fn deposits_are_applied_in_queue_order() {
    let raw = Raw::new(3, 1 << 40);
    let w = [raw.checkpoint(vec![Step::Deposit(
        Deposit {
            queue_index: 5,
            recipient: devnet_signer(SEED, 0).address(),
            amount: 10,
        },
        devnet_account_index(0),
    )])];
    assert_eq!(failing_rows(&w), rows_of(&w, kind::ADEP));
}

/// The chain row relabelled as padding, so the checkpoint's digest never enters the chain
/// (the chain register keeps its old value): the rows may not run `DATA` into `PAD`.
#[test]
fn a_checkpoint_cannot_leave_the_chain() {
    let raw = Raw::new(3, 1 << 40);
    let w = [raw.checkpoint(vec![Step::Transfer(transfer(1, 2, 5, 2, 0))])];
    let (mut trace, pv) = generate_trace(&w, &Address::ZERO).unwrap();
    let chain_row = kind_rows(&trace, kind::CHAIN)[0];
    for r in chain_row..trace.height() {
        let row = row_mut(&mut trace, r);
        row.kind[kind::CHAIN] = Val::ZERO;
        row.kind[kind::PAD] = Val::ONE;
        row.chain = [Val::ZERO; 8];
    }
    let mut claimed = pv.to_vec();
    claimed[super::pv::CHAIN..][..8].copy_from_slice(&[Val::ZERO; 8]);
    assert_eq!(failing_rows_in(&trace, &claimed), vec![chain_row - 1]);
}
