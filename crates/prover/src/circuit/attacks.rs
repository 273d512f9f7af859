//! The attacks the epoch statement must stop, built as the attacker would: a trace generated
//! from the attacker's own witnesses (internally consistent), then either proven and checked
//! against what L1 holds, or forced to claim L1's public values.

use super::rules::{failing_rows_in, kind_rows};
use super::{CheckpointWitness, generate_trace, kind, pv};
use crate::config::{Val, leaf_config};
use crate::fixture::{CHAIN_ID, FixtureSpec, build};
use crate::proof::{EpochStatement, prove_trace, verify_trace};
use alloy::primitives::Address;
use p3_field::PrimeCharacteristicRing;
use p3_matrix::Matrix;
use vouch_primitives::{BlockNumber, CheckpointNumber, Slot};
use vouch_rollup::checkpoint::{BlockBody, CheckpointBody, CheckpointContext, execute_checkpoint};
use vouch_rollup::genesis::{devnet_account_index, devnet_genesis, devnet_signer};
use vouch_rollup::state::{MemoryStore, StateOverlay};
use vouch_rollup::tx::{Deposit, Transfer};

const PROVER: Address = Address::repeat_byte(0x42);

/// Two checkpoints of one block each, with deposits and transfers.
fn honest() -> Vec<CheckpointWitness> {
    build(FixtureSpec {
        accounts: 4,
        checkpoints: 2,
        blocks: 1,
        transfers_per_block: 1,
        deposits_per_block: 2,
        seed: 17,
        vary: false,
    })
    .checkpoints
}

/// What L1 holds for the honest chain (the contract's statement for `PROVER`).
fn l1_statement() -> EpochStatement {
    EpochStatement::of(1, &honest(), PROVER).expect("two checkpoints")
}

/// The attacker proves its own witnesses: does the proof verify against L1's statement?
fn accepted(witnesses: &[CheckpointWitness], l1: &EpochStatement) -> bool {
    let config = leaf_config();
    let pv = l1.public_values().expect("non-empty");
    match prove_trace(&config, witnesses, &l1.prover) {
        Err(_) => false,
        Ok((proof, _)) => verify_trace(&config, &proof, &pv).is_ok(),
    }
}

/// The attacker's trace made to claim L1's public values: is every constraint satisfied?
fn forced(witnesses: &[CheckpointWitness], l1: &EpochStatement) -> bool {
    let (trace, _) = generate_trace(witnesses, &l1.prover).expect("consistent witnesses");
    failing_rows_in(&trace, &l1.public_values().expect("non-empty")).is_empty()
}

/// The attacker's witnesses are a valid execution of *something*: only L1's statement stops them.
fn consistent(witnesses: &[CheckpointWitness]) {
    crate::proof::check_witnesses(witnesses).expect("the attacker's trace is self-consistent");
}

/// The honest first checkpoint's context with another body and deposits, executed for real
/// on the fixture's genesis (an attacker's self-consistent checkpoint).
fn first_reexecuted(body: CheckpointBody, deposits: Vec<Deposit>) -> CheckpointWitness {
    let ctx = honest()[0].ctx;
    let store = MemoryStore::default();
    devnet_genesis(Address::repeat_byte(0xfe), 7, 4, 1 << 40)
        .commit(&store)
        .unwrap();
    let mut state = StateOverlay::new(&store, Some(0));
    let execution = execute_checkpoint(&mut state, &ctx, &body, &deposits).unwrap();
    CheckpointWitness {
        ctx,
        body,
        deposits,
        deposit_accumulator: vouch_rollup::Digest::ZERO,
        execution,
    }
}

#[test]
fn the_honest_chain_meets_l1s_statement() {
    let l1 = l1_statement();
    assert!(accepted(&honest(), &l1));
    assert!(forced(&honest(), &l1));
}

#[test]
fn a_minted_or_changed_deposit_cannot_reach_l1s_accumulator() {
    let l1 = l1_of_first();
    for delta in [1_000_000i64, -1] {
        let first = &honest()[0];
        let mut deposits = first.deposits.clone();
        deposits[0].amount = deposits[0].amount.checked_add_signed(delta).unwrap();
        let ws = &[first_reexecuted(first.body.clone(), deposits)];
        consistent(ws);
        assert!(!accepted(ws, &l1), "amount changed by {delta}");
        assert!(!forced(ws, &l1), "amount changed by {delta}");
        // Claiming only L1's accumulator (its own roots otherwise), with the register forced
        // to that value from the last accumulator row on: the accumulator's transition breaks.
        let (mut trace, mut claimed) = generate_trace(ws, &PROVER).unwrap();
        let honest_end = l1.end_deposit_accumulator.0;
        claimed[pv::END_DEPOSITS..][..8].copy_from_slice(&honest_end);
        let width = trace.width();
        let last_dacc = *kind_rows(&trace, kind::DACC).last().expect("a deposit");
        for r in last_dacc..trace.height() {
            super::cols_mut(&mut trace.values[r * width..][..width]).dacc = honest_end;
        }
        assert!(
            !failing_rows_in(&trace, &claimed).is_empty(),
            "a forced accumulator was accepted"
        );
    }
}

fn l1_of_first() -> EpochStatement {
    EpochStatement::of(1, &honest()[..1], PROVER).unwrap()
}

/// The checkpoint consumes two queue entries on L1 (its header's deposit range) but credits
/// only the first on L2: a deposit stolen by skipping it. The attacker's execution is real.
#[test]
fn a_skipped_deposit_cannot_reach_l1s_accumulator() {
    let honest = honest();
    let mut body = honest[0].body.clone();
    assert_eq!(body.blocks[0].deposit_count, 2);
    body.blocks[0].deposit_count = 1;
    let skipped = [first_reexecuted(body, honest[0].deposits[..1].to_vec())];
    consistent(&skipped);
    let l1 = l1_of_first();
    assert!(!accepted(&skipped, &l1));
    assert!(!forced(&skipped, &l1));
}

#[test]
fn a_wrong_intermediate_archive_or_header_field_is_not_l1s_statement() {
    let ws = honest();
    let honest_statement = l1_statement();
    let proof = prove_trace(&leaf_config(), &ws, &PROVER).unwrap().0;
    let verifies = |s: &EpochStatement| {
        verify_trace(&leaf_config(), &proof, &s.public_values().unwrap()).is_ok()
    };
    assert!(verifies(&honest_statement));
    type Edit = fn(&mut EpochStatement);
    let edits: [(&str, Edit); 7] = [
        ("intermediate archive", |s| {
            s.checkpoints[0].archive.0[2] += Val::ONE
        }),
        ("intermediate state root", |s| {
            s.checkpoints[0].state_root.0[0] += Val::ONE
        }),
        ("header slot", |s| s.checkpoints[1].slot += 1),
        ("header timestamp", |s| s.checkpoints[0].timestamp += 12),
        ("header number", |s| s.checkpoints[1].number += 1),
        ("deposit range", |s| {
            s.checkpoints[1].deposit_start += 1;
            s.checkpoints[0].deposit_count += 1;
        }),
        ("block count", |s| s.checkpoints[0].block_count += 1),
    ];
    for (what, edit) in edits {
        let mut s = honest_statement.clone();
        edit(&mut s);
        assert!(!verifies(&s), "a proof verified with a wrong {what}");
    }
}

#[test]
fn a_checkpoint_proven_at_another_slot_is_not_the_one_l1_stored() {
    // The sequencer posts slot S on L1 but proves its checkpoint as if at slot S + 2 (the
    // header record, and so the blocks' metadata, say S + 2).
    let mut ws = honest();
    let w = &mut ws[1];
    w.ctx.slot = Slot(w.ctx.slot.get() + 2);
    for b in &mut w.execution.blocks {
        b.slot = w.ctx.slot;
    }
    consistent(&ws);
    assert!(!accepted(&ws, &l1_statement()));
    assert!(!forced(&ws, &l1_statement()));
}

#[test]
fn a_proof_credits_only_the_prover_it_names() {
    let ws = honest();
    let proof = prove_trace(&leaf_config(), &ws, &PROVER).unwrap().0;
    let mut thief = l1_statement();
    assert!(verify_trace(&leaf_config(), &proof, &thief.public_values().unwrap()).is_ok());
    thief.prover = Address::repeat_byte(0x66);
    assert!(verify_trace(&leaf_config(), &proof, &thief.public_values().unwrap()).is_err());
}

/// A block whose transfer precedes its deposit, executed for real in that order (so every
/// Merkle opening is valid): only the row-order rule rejects it, at the deposit's row.
#[test]
fn a_deposit_after_a_transfer_in_its_block_is_rejected_at_the_deposit_row() {
    let store = MemoryStore::default();
    let genesis = devnet_genesis(Address::repeat_byte(0xfe), 7, 3, 1 << 40)
        .commit(&store)
        .unwrap();
    let signer = devnet_signer(7, 1);
    let tx = Transfer {
        from: devnet_account_index(1),
        to: devnet_account_index(2),
        amount: 5,
        fee: 0,
        nonce: 0,
    }
    .sign(&signer, CHAIN_ID);
    let deposit = Deposit {
        queue_index: 0,
        recipient: Address::repeat_byte(0x77),
        amount: 9,
    };
    let ctx = CheckpointContext {
        number: CheckpointNumber(1),
        slot: Slot(102),
        timestamp: 1_800_001_224,
        previous_archive: genesis.archive,
        previous_block: BlockNumber(0),
        deposit_start: 0,
        chain_id: CHAIN_ID,
    };
    // The transfer alone, then the deposit alone on the resulting state.
    let transfer_only = CheckpointBody {
        fee_account: vouch_rollup::AccountIndex(0),
        blocks: vec![BlockBody {
            deposit_count: 0,
            txs: vec![tx],
        }],
    };
    let mut state = StateOverlay::new(&store, Some(0));
    let mut a = execute_checkpoint(&mut state, &ctx, &transfer_only, &[]).unwrap();
    state.commit(1).unwrap();
    let deposit_only = CheckpointBody {
        fee_account: vouch_rollup::AccountIndex(0),
        blocks: vec![BlockBody {
            deposit_count: 1,
            txs: vec![],
        }],
    };
    let mut state = StateOverlay::new(&store, Some(1));
    let b = execute_checkpoint(
        &mut state,
        &ctx,
        &deposit_only,
        std::slice::from_ref(&deposit),
    )
    .unwrap();
    // One block: the transfer's steps, then the deposit's.
    assert_eq!(a.witnesses.len(), 1, "a fee-less transfer has no fee step");
    a.witnesses.extend(b.witnesses);
    a.blocks[0].deposit_count = 1;
    a.deposit_count = 1;
    let w = CheckpointWitness {
        ctx,
        body: CheckpointBody {
            fee_account: vouch_rollup::AccountIndex(0),
            blocks: vec![BlockBody {
                deposit_count: 1,
                txs: vec![tx],
            }],
        },
        deposits: vec![deposit],
        deposit_accumulator: vouch_rollup::Digest::ZERO,
        execution: a,
    };
    let (trace, pv) = generate_trace(std::slice::from_ref(&w), &PROVER).unwrap();
    let adep_row = kind_rows(&trace, kind::ADEP)[0];
    let atx_row = kind_rows(&trace, kind::ATX)[0];
    assert!(atx_row < adep_row, "the malicious order is in the trace");
    assert_eq!(
        failing_rows_in(&trace, &pv),
        vec![adep_row],
        "exactly the deposit row breaks a rule"
    );
}

/// The sequencer posts calldata that differs from the records it proves (one transfer's
/// amount raised by one): the contract evaluates the posted bytes at the point drawn from
/// them and the tx commitment, the circuit evaluates the records it absorbs at that point.
#[test]
fn posted_tx_data_must_be_the_proven_records() {
    use super::{cols_mut, fill_perm};
    use p3_matrix::dense::RowMajorMatrix;
    use vouch_rollup::data::DataEvaluation;
    let first = honest()[0].clone();
    let mut posted = first.body.clone();
    posted.blocks[0].txs[0].transfer.amount += 1;
    let on_l1 = DataEvaluation::of(
        &alloy::primitives::keccak256(posted.encode()),
        &first.execution.tx_commitment,
        &posted,
    );
    let mut l1 = l1_of_first();
    l1.checkpoints[0].data = on_l1;
    // The prover evaluates its records at L1's point.
    let mut ws = vec![first];
    ws[0].execution.data = on_l1;
    consistent(&ws);
    assert!(!accepted(&ws, &l1), "a proof of other records was accepted");
    assert!(
        !forced(&ws, &l1),
        "a trace of other records met L1's values"
    );

    // The malicious trace: the value register forced to the posted evaluation from the last
    // record on, the data and chain rows re-hashed with it. Only that record's row fails.
    let (mut trace, _) = generate_trace(&ws, &PROVER).unwrap();
    let last_record = *kind_rows(&trace, kind::ABLK).last().expect("a block");
    let (data_row, chain_row) = (
        kind_rows(&trace, kind::DATA)[0],
        kind_rows(&trace, kind::CHAIN)[0],
    );
    fn row(trace: &mut RowMajorMatrix<Val>, r: usize) -> &mut super::Cols<Val> {
        let width = trace.width();
        cols_mut(&mut trace.values[r * width..][..width])
    }
    let height = trace.height();
    for r in last_record..height {
        row(&mut trace, r).dv = on_l1.value();
    }
    let data = row(&mut trace, data_row);
    let mut input = data.b.inputs;
    input[12..].copy_from_slice(&on_l1.value());
    let digest = fill_perm(&mut data.b, input);
    let before = row(&mut trace, chain_row - 1).chain;
    let chain = row(&mut trace, chain_row);
    let mut input = chain.b.inputs;
    input[..8].copy_from_slice(&before);
    input[8..].copy_from_slice(&digest[..8]);
    let chained = fill_perm(&mut chain.b, input);
    for r in chain_row..height {
        row(&mut trace, r).chain.copy_from_slice(&chained[..8]);
    }
    assert_eq!(
        failing_rows_in(&trace, &l1.public_values().unwrap()),
        vec![last_record],
        "exactly the record row whose evaluation was forced fails"
    );
}
