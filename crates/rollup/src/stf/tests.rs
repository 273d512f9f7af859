use super::*;
use crate::checkpoint::{
    BlockBody, CheckpointBody, CheckpointContext, StepWitness, execute_checkpoint, genesis_archive,
};
use crate::genesis::{Genesis, devnet_signer};
use crate::state::MemoryStore;
use crate::tx::Transfer;
use alloy::signers::local::PrivateKeySigner;
use proptest::prelude::*;
use vouch_primitives::{BlockNumber, CheckpointNumber, Slot};

const CHAIN: u64 = 77;

fn signers(n: u32) -> Vec<PrivateKeySigner> {
    (0..n).map(|i| devnet_signer(1, i)).collect()
}

/// Accounts 0..n funded with `balance`; account n is the fee account.
fn setup(store: &MemoryStore, signers: &[PrivateKeySigner], balance: u64) {
    let mut accounts: Vec<(Address, u64)> =
        signers.iter().map(|s| (s.address(), balance)).collect();
    accounts.push((Address::repeat_byte(0xfe), 0));
    Genesis { accounts }.commit(store).unwrap();
}

fn total(state: &StateOverlay<'_, MemoryStore>, n: u32) -> u128 {
    (0..n)
        .map(|i| state.account(AccountIndex(i)).unwrap().balance as u128)
        .sum()
}

#[test]
fn valid_transfer_moves_funds_and_bumps_nonce() {
    let s = signers(2);
    let store = MemoryStore::default();
    setup(&store, &s, 100);
    let mut state = StateOverlay::new(&store, Some(0));
    let tx = Transfer {
        from: AccountIndex(0),
        to: AccountIndex(1),
        amount: 30,
        fee: 2,
        nonce: 0,
    }
    .sign(&s[0], CHAIN);
    let w = apply_transfer(&mut state, &tx, CHAIN).unwrap();
    assert_eq!(state.account(AccountIndex(0)).unwrap().balance, 68);
    assert_eq!(state.account(AccountIndex(0)).unwrap().nonce, 1);
    assert_eq!(state.account(AccountIndex(1)).unwrap().balance, 130);
    assert_eq!(
        w.sender_path.root_for(w.sender_before.leaf_hash()),
        w.root_before
    );
    assert_eq!(
        w.recipient_path
            .root_for(state.account(AccountIndex(1)).unwrap().leaf_hash()),
        w.root_after
    );
}

#[test]
fn invalid_transactions_are_typed_and_change_nothing() {
    let s = signers(2);
    let store = MemoryStore::default();
    setup(&store, &s, 100);
    let mut state = StateOverlay::new(&store, Some(0));
    let root = state.root().unwrap();
    let t = Transfer {
        from: AccountIndex(0),
        to: AccountIndex(1),
        amount: 10,
        fee: 1,
        nonce: 0,
    };
    let cases: Vec<(SignedTransfer, TxError)> = vec![
        (
            t.sign(&s[1], CHAIN),
            TxError::NotOwner {
                account: AccountIndex(0),
                owner: s[0].address(),
                signer: s[1].address(),
            },
        ),
        (
            Transfer { nonce: 1, ..t }.sign(&s[0], CHAIN),
            TxError::WrongNonce {
                expected: 0,
                got: 1,
            },
        ),
        (
            Transfer { amount: 100, ..t }.sign(&s[0], CHAIN),
            TxError::InsufficientBalance {
                balance: 100,
                needed: 101,
            },
        ),
        (
            Transfer {
                amount: u64::MAX,
                ..t
            }
            .sign(&s[0], CHAIN),
            TxError::InsufficientBalance {
                balance: 100,
                needed: u64::MAX,
            },
        ),
        (
            Transfer {
                to: AccountIndex(9),
                ..t
            }
            .sign(&s[0], CHAIN),
            TxError::UnknownAccount(AccountIndex(9)),
        ),
        (
            Transfer {
                to: AccountIndex(0),
                ..t
            }
            .sign(&s[0], CHAIN),
            TxError::SelfTransfer(AccountIndex(0)),
        ),
    ];
    for (tx, expected) in cases {
        match apply_transfer(&mut state, &tx, CHAIN) {
            Err(StfError::InvalidTransaction { error, .. }) => assert_eq!(error, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
        assert_eq!(state.root().unwrap(), root, "state untouched");
    }
    // A signature for another chain recovers to some other address.
    let wrong_chain = t.sign(&s[0], CHAIN + 1);
    assert!(matches!(
        apply_transfer(&mut state, &wrong_chain, CHAIN),
        Err(StfError::InvalidTransaction {
            error: TxError::NotOwner { .. },
            ..
        })
    ));
    // Replay: the same transaction twice.
    let ok = t.sign(&s[0], CHAIN);
    apply_transfer(&mut state, &ok, CHAIN).unwrap();
    assert!(matches!(
        apply_transfer(&mut state, &ok, CHAIN),
        Err(StfError::InvalidTransaction {
            error: TxError::WrongNonce {
                expected: 1,
                got: 0
            },
            ..
        })
    ));
}

#[test]
fn deposit_creates_then_credits() {
    let store = MemoryStore::default();
    setup(&store, &signers(1), 5);
    let mut state = StateOverlay::new(&store, Some(0));
    let who = Address::repeat_byte(0x33);
    let w = apply_deposit(
        &mut state,
        &Deposit {
            queue_index: 0,
            recipient: who,
            amount: 7,
        },
    )
    .unwrap();
    assert_eq!(
        w.index,
        AccountIndex(2),
        "next free index after 2 genesis accounts"
    );
    assert!(w.before.is_empty());
    apply_deposit(
        &mut state,
        &Deposit {
            queue_index: 1,
            recipient: who,
            amount: 3,
        },
    )
    .unwrap();
    assert_eq!(state.account(AccountIndex(2)).unwrap().balance, 10);
    assert_eq!(state.index_of(&who).unwrap(), Some(AccountIndex(2)));
}

fn ctx(deposit_start: u64) -> CheckpointContext {
    CheckpointContext {
        number: CheckpointNumber(1),
        slot: Slot(3),
        timestamp: 1_000,
        previous_archive: genesis_archive(&crate::hash::Digest::ZERO),
        previous_block: BlockNumber(0),
        deposit_start,
        chain_id: CHAIN,
    }
}

#[test]
fn checkpoint_with_invalid_transaction_is_reported() {
    let s = signers(2);
    let store = MemoryStore::default();
    setup(&store, &s, 100);
    let mut state = StateOverlay::new(&store, Some(0));
    let good = Transfer {
        from: AccountIndex(0),
        to: AccountIndex(1),
        amount: 1,
        fee: 0,
        nonce: 0,
    }
    .sign(&s[0], CHAIN);
    let replay = good;
    let body = CheckpointBody {
        fee_account: AccountIndex(2),
        blocks: vec![
            BlockBody {
                deposit_count: 0,
                txs: vec![good],
            },
            BlockBody {
                deposit_count: 0,
                txs: vec![replay],
            },
        ],
    };
    let err = execute_checkpoint(&mut state, &ctx(0), &body, &[]).unwrap_err();
    assert!(err.to_string().contains("block 1, transaction 0"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random transfer sequences: invalid ones are rejected without effect; the sum of balances
    /// is constant (fees go to the fee account); deposits add exactly their amount; nonces only
    /// grow, by one per applied transfer; every witness path verifies.
    #[test]
    fn conservation_nonces_and_witnesses(
        steps in proptest::collection::vec((0u32..4, 0u32..5, 0u64..60, 0u64..4, 0u32..3, any::<bool>()), 1..40),
        deposits in proptest::collection::vec(1u64..50, 0..4),
    ) {
        let n = 4u32;
        let s = signers(n);
        let store = MemoryStore::default();
        setup(&store, &s, 100);
        let fee_account = AccountIndex(n);
        let mut state = StateOverlay::new(&store, Some(0));
        let before_total = total(&state, n + 1);
        let mut nonces = vec![0u32; n as usize];
        let mut applied = 0usize;
        let deposits: Vec<Deposit> = deposits.iter().enumerate().map(|(i, a)| Deposit {
            queue_index: i as u64, recipient: s[i % n as usize].address(), amount: *a,
        }).collect();
        let deposited: u128 = deposits.iter().map(|d| d.amount as u128).sum();

        let mut txs = Vec::new();
        for (from, to, amount, fee, nonce_skew, good_sig) in steps {
            let nonce = nonces[from as usize] + if nonce_skew == 2 { 1 } else { 0 };
            let signer = if good_sig { &s[from as usize] } else { &s[((from + 1) % n) as usize] };
            let tx = Transfer { from: AccountIndex(from), to: AccountIndex(to), amount, fee, nonce }.sign(signer, CHAIN);
            let check = check_transfer(&state, &tx, CHAIN);
            if check.is_ok() {
                nonces[from as usize] += 1;
                applied += 1;
                // Keep the overlay in step so later checks see the effect.
                apply_transfer(&mut state, &tx, CHAIN).unwrap();
                txs.push(tx);
            }
        }
        // Re-run the accepted transfers as one checkpoint from genesis, with the deposits first.
        let mut fresh = StateOverlay::new(&store, Some(0));
        let body = CheckpointBody {
            fee_account,
            blocks: vec![BlockBody { deposit_count: deposits.len() as u16, txs: txs.clone() }],
        };
        let exec = execute_checkpoint(&mut fresh, &ctx(0), &body, &deposits);
        // Deposits before the transfers only add funds, so every accepted transfer stays valid.
        let exec = exec.unwrap();
        prop_assert_eq!(total(&fresh, n + 1), before_total + deposited);
        for i in 0..n {
            prop_assert_eq!(fresh.account(AccountIndex(i)).unwrap().nonce, nonces[i as usize]);
        }
        prop_assert_eq!(exec.witnesses.iter().filter(|w| matches!(w, StepWitness::Transfer(_))).count(), applied);
        let mut root = exec.pre_state_root;
        for w in &exec.witnesses {
            match w {
                StepWitness::Transfer(t) => {
                    prop_assert_eq!(t.root_before, root);
                    prop_assert_eq!(t.sender_path.root_for(t.sender_before.leaf_hash()), root);
                    root = t.root_after;
                }
                StepWitness::Deposit(c) | StepWitness::Fees(c) => {
                    prop_assert_eq!(c.root_before, root);
                    prop_assert_eq!(c.path.root_for(c.before.leaf_hash()), root);
                    root = c.root_after;
                }
            }
        }
        prop_assert_eq!(root, exec.state_root);
    }
}
