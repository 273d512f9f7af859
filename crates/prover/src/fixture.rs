//! Deterministic checkpoints executed by the real STF, for tests and `vouch bench prove`.

use crate::circuit::CheckpointWitness;
use alloy::primitives::Address;
use vouch_primitives::{BlockNumber, CheckpointNumber, Slot};
use vouch_rollup::account::AccountIndex;
use vouch_rollup::checkpoint::{BlockBody, CheckpointBody, CheckpointContext, execute_checkpoint};
use vouch_rollup::genesis::{GenesisRoots, devnet_account_index, devnet_genesis, devnet_signer};
use vouch_rollup::hash::Digest;
use vouch_rollup::state::{MemoryStore, StateOverlay};
use vouch_rollup::tx::{Deposit, Transfer};

/// Chain id the fixtures sign for.
pub const CHAIN_ID: u64 = 0x766f7563;
/// L1 timestamp of slot 0 of the fixtures' rollup.
pub const GENESIS_TIME: u64 = 1_800_000_000;
/// Seconds per slot of the fixtures' rollup.
pub const SLOT_DURATION: u64 = 12;
/// Slots per epoch of the fixtures' rollup.
pub const EPOCH_DURATION: u64 = 32;

/// Slot of fixture checkpoint `k` (1-based): 100 + 2k, so the first 14 share epoch 3.
pub fn slot_of(k: u64) -> u64 {
    100 + 2 * k
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct FixtureSpec {
    /// Funded accounts (besides the fee account 0).
    pub accounts: u32,
    /// Checkpoints.
    pub checkpoints: usize,
    /// Blocks per checkpoint.
    pub blocks: usize,
    /// Transfers per block.
    pub transfers_per_block: usize,
    /// Deposits per block (every other one creates a new account).
    pub deposits_per_block: usize,
    /// Seed of the amounts and account choice.
    pub seed: u64,
    /// When set, each block draws its transfer and deposit counts from `0..=` the numbers above
    /// (empty blocks, deposit-only blocks, fee-less blocks), instead of using them exactly.
    pub vary: bool,
}

/// The genesis roots and the executed checkpoints.
pub struct Fixture {
    /// Genesis.
    pub genesis: GenesisRoots,
    /// Checkpoints 1.., consecutive.
    pub checkpoints: Vec<CheckpointWitness>,
}

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Generates and executes checkpoints per `spec`.
pub fn build(spec: FixtureSpec) -> Fixture {
    let store = MemoryStore::default();
    let genesis = devnet_genesis(Address::repeat_byte(0xfe), 7, spec.accounts, 1 << 40)
        .commit(&store)
        .expect("memory store");
    let signers: Vec<_> = (0..spec.accounts).map(|i| devnet_signer(7, i)).collect();
    let mut nonces = vec![0u32; spec.accounts as usize];
    let mut rng = Rng(spec.seed | 1);
    let mut archive = genesis.archive;
    let mut previous_block = 0u64;
    let mut deposit_index = 0u64;
    let mut deposit_accumulator = Digest::ZERO;
    let mut checkpoints = Vec::with_capacity(spec.checkpoints);
    for k in 1..=spec.checkpoints as u64 {
        let mut blocks = Vec::with_capacity(spec.blocks);
        let mut deposits = Vec::new();
        for _ in 0..spec.blocks {
            let (deposit_count, transfer_count) = if spec.vary {
                (
                    rng.below(spec.deposits_per_block as u64 + 1) as usize,
                    rng.below(spec.transfers_per_block as u64 + 1) as usize,
                )
            } else {
                (spec.deposits_per_block, spec.transfers_per_block)
            };
            for d in 0..deposit_count {
                let recipient = if d % 2 == 0 {
                    signers[rng.below(spec.accounts as u64) as usize].address()
                } else {
                    Address::from_word(alloy::primitives::keccak256(deposit_index.to_be_bytes()))
                };
                deposits.push(Deposit {
                    queue_index: deposit_index,
                    recipient,
                    amount: 1 + rng.below(1 << 33),
                });
                deposit_index += 1;
            }
            let txs = (0..transfer_count)
                .map(|_| {
                    let from = rng.below(spec.accounts as u64) as u32;
                    let to =
                        (from + 1 + rng.below(spec.accounts as u64 - 1) as u32) % spec.accounts;
                    let nonce = nonces[from as usize];
                    nonces[from as usize] += 1;
                    Transfer {
                        from: devnet_account_index(from),
                        to: devnet_account_index(to),
                        amount: rng.below(1 << 20) * 65_537,
                        fee: rng.below(70_000),
                        nonce,
                    }
                    .sign(&signers[from as usize], CHAIN_ID)
                })
                .collect();
            blocks.push(BlockBody {
                deposit_count: deposit_count as u16,
                txs,
            });
        }
        let body = CheckpointBody {
            fee_account: AccountIndex(0),
            blocks,
        };
        let ctx = CheckpointContext {
            number: CheckpointNumber(k),
            slot: Slot(slot_of(k)),
            timestamp: GENESIS_TIME + SLOT_DURATION * slot_of(k),
            previous_archive: archive,
            previous_block: BlockNumber(previous_block),
            deposit_start: deposit_index - deposits.len() as u64,
            chain_id: CHAIN_ID,
        };
        let mut state = StateOverlay::new(&store, Some(k - 1));
        let execution =
            execute_checkpoint(&mut state, &ctx, &body, &deposits).expect("fixture is valid");
        state.commit(k).expect("memory store");
        archive = execution.archive;
        previous_block += body.blocks.len() as u64;
        let witness = CheckpointWitness {
            ctx,
            body,
            deposits,
            deposit_accumulator,
            execution,
        };
        deposit_accumulator = witness.deposit_accumulator_end();
        checkpoints.push(witness);
    }
    Fixture {
        genesis,
        checkpoints,
    }
}
