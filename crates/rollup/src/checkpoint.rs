//! Checkpoints: the `propose` calldata, L2 block headers, the archive and the tx commitment.
//!
//! **Calldata** (`txData` of `Rollup.propose`, format version 1), integers big-endian:
//! ```text
//! version u8 = 1 ‖ fee_account u32 ‖ block_count u16 ‖
//!   block_count × ( deposit_count u16 ‖ tx_count u16 ‖ tx_count × signed transfer (93 bytes) )
//! ```
//! Deposits are not repeated in calldata: block `i` applies the next `deposit_count` entries of
//! the L1 queue (read from `DepositQueued` events), which the header's deposit range covers.
//!
//! **Tx commitment** (the checkpoint's *record sponge*): a Poseidon2 sponge (rate 8, capacity 8,
//! capacity starting as `[TX_COMMITMENT, 0, …]`) that absorbs fixed 16-element records, each as
//! two blocks of 8 that overwrite the rate part, in execution order:
//! ```text
//! header  [1, fee_lo, fee_hi, checkpoint, slot, ts_lo, ts_hi, deposit_start, first_block, 0…]
//! deposit [2, queue_index, owner (10 × 16-bit limbs), amount (4 × 16-bit limbs)]
//! transfer[3, 13 transfer field elements, 0, 0]
//! block   [4, deposit_count, tx_count, 0…]            (closes each block)
//! ```
//! The digest is the first 8 state elements after the last record. Every record is tagged and
//! fixed-size, so the record sequence is recoverable from its preimage. It commits to the
//! transfers, the deposits' contents and the checkpoint's place (number, slot, timestamp, first
//! block, deposit cursor). It is Poseidon2 so the circuit absorbs one record per trace row;
//! the contract cannot afford to recompute it, so the posted calldata is bound to the records
//! by the data evaluation the header carries ([`crate::data`]).
//!
//! **Archive**: `archive₀ = hash_fields(GENESIS_ARCHIVE, genesis state root)`, and every block
//! extends it: `archive = compress(archive_prev, block_hash)` with
//! `block_hash = compress(state_root, meta)`, `meta = [number, checkpoint, slot, ts_lo, ts_hi,
//! deposit_start, deposit_count, tx_count]` (integers reduced into the field; `ts_lo` is the low
//! 16 bits of the timestamp). A checkpoint's archive is the archive after its last block.

use crate::account::AccountIndex;
use crate::data::DataEvaluation;
use crate::hash::{
    DIGEST_ELEMS, Digest, F, RATE, WIDTH, compress, domain, hash_fields, limbs16, permutation,
};
use crate::state::{StateOverlay, VersionedStore};
use crate::stf::{
    CreditWitness, StfError, TransferWitness, apply_deposit, apply_transfer, credit_fees,
};
use crate::tx::{Deposit, SignedTransfer, TRANSFER_BYTES, Transfer, TxDecodeError};
use alloy::primitives::keccak256;
use p3_field::PrimeCharacteristicRing;
use p3_symmetric::Permutation;
use serde::{Deserialize, Serialize};
use vouch_primitives::{BlockNumber, CheckpointNumber, Slot};

/// Calldata format version.
pub const CALLDATA_VERSION: u8 = 1;

/// One L2 block's content.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BlockBody {
    /// Deposits applied at the block's start, from the L1 queue in order.
    pub deposit_count: u16,
    /// Transfers in order.
    pub txs: Vec<SignedTransfer>,
}

/// What a checkpoint posts: the fee account and its blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointBody {
    /// Account credited with the checkpoint's fees.
    pub fee_account: AccountIndex,
    /// At least one block.
    pub blocks: Vec<BlockBody>,
}

/// Calldata that is not a valid checkpoint body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalldataError {
    /// Ran out of bytes.
    #[error("calldata truncated at byte {at}: needed {needed} more bytes")]
    Truncated {
        /// Offset.
        at: usize,
        /// Bytes missing.
        needed: usize,
    },
    /// Unknown format version.
    #[error("unknown calldata version {0} (expected {CALLDATA_VERSION})")]
    Version(u8),
    /// No blocks.
    #[error("a checkpoint has at least one block")]
    NoBlocks,
    /// Bytes after the last block.
    #[error("{0} trailing bytes after the last block")]
    Trailing(usize),
    /// A transfer did not decode.
    #[error("block {block}, transaction {position}: {error}")]
    Tx {
        /// Block position.
        block: usize,
        /// Transaction position.
        position: usize,
        /// Decode error.
        error: TxDecodeError,
    },
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CalldataError> {
        let remaining = self.bytes.len() - self.at;
        if remaining < n {
            return Err(CalldataError::Truncated {
                at: self.at,
                needed: n - remaining,
            });
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8, CalldataError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, CalldataError> {
        Ok(u16::from_be_bytes(
            self.take(2)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self) -> Result<u32, CalldataError> {
        Ok(u32::from_be_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
}

impl CheckpointBody {
    /// Total deposits consumed.
    pub fn deposit_count(&self) -> u64 {
        self.blocks.iter().map(|b| b.deposit_count as u64).sum()
    }

    /// Total transfers.
    pub fn tx_count(&self) -> usize {
        self.blocks.iter().map(|b| b.txs.len()).sum()
    }

    /// Encodes as `propose` calldata.
    pub fn encode(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(7 + self.blocks.len() * 4 + self.tx_count() * TRANSFER_BYTES);
        out.push(CALLDATA_VERSION);
        out.extend_from_slice(&self.fee_account.0.to_be_bytes());
        out.extend_from_slice(&(self.blocks.len() as u16).to_be_bytes());
        for block in &self.blocks {
            out.extend_from_slice(&block.deposit_count.to_be_bytes());
            out.extend_from_slice(&(block.txs.len() as u16).to_be_bytes());
            for tx in &block.txs {
                out.extend_from_slice(&tx.to_bytes());
            }
        }
        out
    }

    /// Decodes untrusted calldata; never panics.
    pub fn decode(bytes: &[u8]) -> Result<Self, CalldataError> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.u8()?;
        if version != CALLDATA_VERSION {
            return Err(CalldataError::Version(version));
        }
        let fee_account = AccountIndex(r.u32()?);
        let block_count = r.u16()?;
        if block_count == 0 {
            return Err(CalldataError::NoBlocks);
        }
        let mut blocks = Vec::with_capacity(block_count as usize);
        for block in 0..block_count as usize {
            let deposit_count = r.u16()?;
            let tx_count = r.u16()? as usize;
            let mut txs = Vec::with_capacity(tx_count.min(bytes.len() / TRANSFER_BYTES));
            for position in 0..tx_count {
                let raw = r.take(TRANSFER_BYTES)?;
                txs.push(
                    SignedTransfer::from_bytes(raw).map_err(|error| CalldataError::Tx {
                        block,
                        position,
                        error,
                    })?,
                );
            }
            blocks.push(BlockBody { deposit_count, txs });
        }
        if r.at != bytes.len() {
            return Err(CalldataError::Trailing(bytes.len() - r.at));
        }
        Ok(Self {
            fee_account,
            blocks,
        })
    }

    /// The record-sponge tx commitment (see module docs). `deposits` are the queue entries the
    /// body consumes, in order (at least [`Self::deposit_count`] of them).
    pub fn tx_commitment(&self, ctx: &CheckpointContext, deposits: &[Deposit]) -> Digest {
        let mut sponge = RecordSponge::new();
        sponge.absorb(&header_record(ctx, self.fee_account));
        let mut next = deposits.iter();
        for block in &self.blocks {
            for deposit in next.by_ref().take(block.deposit_count as usize) {
                sponge.absorb(&deposit_record(deposit));
            }
            for tx in &block.txs {
                sponge.absorb(&transfer_record(&tx.transfer));
            }
            sponge.absorb(&block_record(block.deposit_count, block.txs.len() as u16));
        }
        sponge.digest()
    }
}

/// Elements of one record of the record sponge.
pub const RECORD_ELEMS: usize = 16;
/// Record tags.
pub mod record_tag {
    /// Checkpoint header record.
    pub const HEADER: u32 = 1;
    /// Deposit record.
    pub const DEPOSIT: u32 = 2;
    /// Transfer record.
    pub const TRANSFER: u32 = 3;
    /// Block-closing record.
    pub const BLOCK: u32 = 4;
}

/// A record of the tx-commitment sponge.
pub type Record = [F; RECORD_ELEMS];

/// The sponge of the tx commitment (see module docs).
#[derive(Clone, Debug)]
pub struct RecordSponge {
    state: [F; WIDTH],
}

impl Default for RecordSponge {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordSponge {
    /// Initial capacity of the sponge.
    pub fn initial_capacity() -> [F; DIGEST_ELEMS] {
        let mut cap = [F::ZERO; DIGEST_ELEMS];
        cap[0] = F::from_u32(domain::TX_COMMITMENT);
        cap
    }

    /// A fresh sponge.
    pub fn new() -> Self {
        let mut state = [F::ZERO; WIDTH];
        state[RATE..].copy_from_slice(&Self::initial_capacity());
        Self { state }
    }

    /// Absorbs one record (two permutations).
    pub fn absorb(&mut self, record: &Record) {
        for half in record.chunks_exact(RATE) {
            self.state[..RATE].copy_from_slice(half);
            permutation().permute_mut(&mut self.state);
        }
    }

    /// The full state (the circuit carries it between rows).
    pub fn state(&self) -> [F; WIDTH] {
        self.state
    }

    /// The commitment so far.
    pub fn digest(&self) -> Digest {
        Digest(self.state[..DIGEST_ELEMS].try_into().expect("8 elements"))
    }
}

fn field(value: u64) -> F {
    F::from_u64(value)
}

/// The header record of a checkpoint.
pub fn header_record(ctx: &CheckpointContext, fee_account: AccountIndex) -> Record {
    let mut r = [F::ZERO; RECORD_ELEMS];
    let fee = limbs16::<2>(fee_account.0 as u128);
    r[0] = F::from_u32(record_tag::HEADER);
    r[1] = fee[0];
    r[2] = fee[1];
    r[3] = field(ctx.number.get());
    r[4] = field(ctx.slot.get());
    r[5] = field(ctx.timestamp & 0xffff);
    r[6] = field(ctx.timestamp >> 16);
    r[7] = field(ctx.deposit_start);
    r[8] = field(ctx.previous_block.get() + 1);
    r
}

/// The record of an applied deposit.
pub fn deposit_record(deposit: &Deposit) -> Record {
    let mut r = [F::ZERO; RECORD_ELEMS];
    r[0] = F::from_u32(record_tag::DEPOSIT);
    r[1] = field(deposit.queue_index);
    let owner = crate::account::Account {
        owner: deposit.recipient,
        balance: deposit.amount,
        nonce: 0,
    }
    .to_fields();
    r[2..12].copy_from_slice(&owner[..10]);
    r[12..16].copy_from_slice(&owner[10..14]);
    r
}

/// The record of a transfer.
pub fn transfer_record(transfer: &Transfer) -> Record {
    let mut r = [F::ZERO; RECORD_ELEMS];
    r[0] = F::from_u32(record_tag::TRANSFER);
    r[1..14].copy_from_slice(&transfer.to_fields());
    r
}

/// The record closing a block.
pub fn block_record(deposit_count: u16, tx_count: u16) -> Record {
    let mut r = [F::ZERO; RECORD_ELEMS];
    r[0] = F::from_u32(record_tag::BLOCK);
    r[1] = F::from_u32(deposit_count as u32);
    r[2] = F::from_u32(tx_count as u32);
    r
}

/// A checkpoint as its L1 header states it: what the checkpoint chain of an epoch proof
/// commits to, so the rollup contract can compare every field with what it stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedCheckpoint {
    /// Number.
    pub number: u64,
    /// Slot.
    pub slot: u64,
    /// Timestamp (its slot's start).
    pub timestamp: u64,
    /// First deposit queue index consumed.
    pub deposit_start: u64,
    /// Deposits consumed.
    pub deposit_count: u64,
    /// L2 blocks.
    pub block_count: u64,
    /// Tx commitment.
    pub tx_commitment: Digest,
    /// State root after it.
    pub state_root: Digest,
    /// Archive after it.
    pub archive: Digest,
    /// The posted calldata's evaluation `(z, P(z))` ([`crate::data`]).
    pub data: DataEvaluation,
}

impl SealedCheckpoint {
    /// The sealed form of an executed checkpoint.
    pub fn of(ctx: &CheckpointContext, execution: &CheckpointExecution) -> Self {
        Self {
            number: ctx.number.get(),
            slot: ctx.slot.get(),
            timestamp: ctx.timestamp,
            deposit_start: ctx.deposit_start,
            deposit_count: execution.deposit_count,
            block_count: execution.blocks.len() as u64,
            tx_commitment: execution.tx_commitment,
            state_root: execution.state_root,
            archive: execution.archive,
            data: execution.data,
        }
    }

    /// The header fields as eight elements: `[number, slot, ts_lo, ts_hi, deposit_start,
    /// deposit_count, block_count, 0]` (integers reduced into the field, `ts_lo` the low 16
    /// bits of the timestamp).
    pub fn meta(&self) -> [F; DIGEST_ELEMS] {
        [
            field(self.number),
            field(self.slot),
            field(self.timestamp & 0xffff),
            field(self.timestamp >> 16),
            field(self.deposit_start),
            field(self.deposit_count),
            field(self.block_count),
            F::ZERO,
        ]
    }

    /// `compress(compress(compress(tx_commitment, state_root), compress(archive, meta)), data)`.
    pub fn digest(&self) -> Digest {
        compress(
            &compress(
                &compress(&self.tx_commitment, &self.state_root),
                &compress(&self.archive, &Digest(self.meta())),
            ),
            &self.data.0,
        )
    }
}

/// One link of the checkpoint chain an epoch proof exposes:
/// `chain' = compress(chain, checkpoint.digest())`, starting from [`Digest::ZERO`].
pub fn chain_checkpoint(chain: &Digest, checkpoint: &SealedCheckpoint) -> Digest {
    compress(chain, &checkpoint.digest())
}

/// One step of the deposit accumulator the rollup contract keeps over its deposit queue:
/// `acc' = compress(acc, compress(record[..8], record[8..]))` with the deposit's
/// [`deposit_record`], starting from [`Digest::ZERO`] before deposit 0.
pub fn accumulate_deposit(acc: &Digest, deposit: &Deposit) -> Digest {
    let record = deposit_record(deposit);
    let half = |r: &[F]| Digest(r.try_into().expect("8 elements"));
    compress(acc, &compress(&half(&record[..8]), &half(&record[8..])))
}

/// The archive of the genesis state.
pub fn genesis_archive(genesis_state_root: &Digest) -> Digest {
    hash_fields(domain::GENESIS_ARCHIVE, &genesis_state_root.0)
}

/// Header of an executed L2 block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct L2BlockHeader {
    /// Global L2 block number (1-based).
    pub number: BlockNumber,
    /// Checkpoint containing the block.
    pub checkpoint: CheckpointNumber,
    /// Slot of the checkpoint.
    pub slot: Slot,
    /// Timestamp (the checkpoint's slot start).
    pub timestamp: u64,
    /// First deposit queue index applied.
    pub deposit_start: u64,
    /// Deposits applied.
    pub deposit_count: u16,
    /// Transfers applied.
    pub tx_count: u16,
    /// State root after the block.
    pub state_root: Digest,
    /// Archive after the block.
    pub archive: Digest,
}

impl L2BlockHeader {
    /// The 8 metadata elements hashed with the state root (see module docs).
    pub fn meta(&self) -> [F; DIGEST_ELEMS] {
        [
            field(self.number.get()),
            field(self.checkpoint.get()),
            field(self.slot.get()),
            field(self.timestamp & 0xffff),
            field(self.timestamp >> 16),
            field(self.deposit_start),
            F::from_u32(self.deposit_count as u32),
            F::from_u32(self.tx_count as u32),
        ]
    }

    /// `compress(state_root, meta)` (without `archive`, which it feeds).
    pub fn hash(&self) -> Digest {
        compress(&self.state_root, &Digest(self.meta()))
    }
}

/// Where a checkpoint sits: everything execution needs besides its body and deposits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckpointContext {
    /// Its number.
    pub number: CheckpointNumber,
    /// Its slot.
    pub slot: Slot,
    /// Its timestamp (slot start).
    pub timestamp: u64,
    /// Archive of the previous checkpoint.
    pub previous_archive: Digest,
    /// Number of the last L2 block before it.
    pub previous_block: BlockNumber,
    /// First deposit queue index it consumes.
    pub deposit_start: u64,
    /// L2 chain id (signature domain).
    pub chain_id: u64,
}

/// Witness of one step of a block, in execution order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepWitness {
    /// A deposit credit.
    Deposit(CreditWitness),
    /// A transfer.
    Transfer(Box<TransferWitness>),
    /// The block's fee credit.
    Fees(CreditWitness),
}

/// Result of executing a checkpoint.
#[derive(Clone, Debug)]
pub struct CheckpointExecution {
    /// State root before.
    pub pre_state_root: Digest,
    /// State root after.
    pub state_root: Digest,
    /// Archive after.
    pub archive: Digest,
    /// Poseidon2 tx commitment.
    pub tx_commitment: Digest,
    /// Executed blocks.
    pub blocks: Vec<L2BlockHeader>,
    /// Witnesses per step, all blocks in order.
    pub witnesses: Vec<StepWitness>,
    /// Deposits consumed.
    pub deposit_count: u64,
    /// The calldata's evaluation (of `body.encode()`, which is the posted calldata byte for
    /// byte whenever it decodes).
    pub data: DataEvaluation,
}

/// Executes `body` on `state`. `deposits` must be the queue entries starting at
/// `ctx.deposit_start`, at least `body.deposit_count()` of them. On error the overlay may hold
/// partial changes: discard it.
pub fn execute_checkpoint<S: VersionedStore>(
    state: &mut StateOverlay<'_, S>,
    ctx: &CheckpointContext,
    body: &CheckpointBody,
    deposits: &[Deposit],
) -> Result<CheckpointExecution, ExecuteError> {
    if body.blocks.is_empty() {
        return Err(ExecuteError::NoBlocks);
    }
    let needed = body.deposit_count();
    if (deposits.len() as u64) < needed {
        return Err(ExecuteError::MissingDeposits {
            needed,
            available: deposits.len() as u64,
        });
    }
    let pre_state_root = state.root()?;
    let mut archive = ctx.previous_archive;
    let mut number = ctx.previous_block;
    let mut next_deposit = 0usize;
    let mut blocks = Vec::with_capacity(body.blocks.len());
    let mut witnesses = Vec::new();
    for (block_pos, block) in body.blocks.iter().enumerate() {
        let deposit_start = ctx.deposit_start + next_deposit as u64;
        for deposit in &deposits[next_deposit..next_deposit + block.deposit_count as usize] {
            if deposit.queue_index != ctx.deposit_start + next_deposit as u64 {
                return Err(ExecuteError::DepositOrder {
                    expected: ctx.deposit_start + next_deposit as u64,
                    got: deposit.queue_index,
                });
            }
            witnesses.push(StepWitness::Deposit(apply_deposit(state, deposit)?));
            next_deposit += 1;
        }
        let mut fees: u64 = 0;
        for (position, tx) in block.txs.iter().enumerate() {
            let witness = apply_transfer(state, tx, ctx.chain_id).map_err(|e| match e {
                StfError::InvalidTransaction { error, .. } => StfError::InvalidTransaction {
                    block: block_pos,
                    position,
                    error,
                },
                other => other,
            })?;
            fees = fees
                .checked_add(tx.transfer.fee)
                .ok_or(StfError::FeeAccount(crate::stf::TxError::BalanceOverflow(
                    body.fee_account,
                )))?;
            witnesses.push(StepWitness::Transfer(Box::new(witness)));
        }
        if fees > 0 {
            witnesses.push(StepWitness::Fees(credit_fees(
                state,
                body.fee_account,
                fees,
            )?));
        }
        number = BlockNumber(number.get() + 1);
        let mut header = L2BlockHeader {
            number,
            checkpoint: ctx.number,
            slot: ctx.slot,
            timestamp: ctx.timestamp,
            deposit_start,
            deposit_count: block.deposit_count,
            tx_count: block.txs.len() as u16,
            state_root: state.root()?,
            archive: Digest::ZERO,
        };
        archive = compress(&archive, &header.hash());
        header.archive = archive;
        blocks.push(header);
    }
    let tx_commitment = body.tx_commitment(ctx, deposits);
    Ok(CheckpointExecution {
        pre_state_root,
        state_root: state.root()?,
        archive,
        tx_commitment,
        blocks,
        witnesses,
        deposit_count: needed,
        data: DataEvaluation::of(&keccak256(body.encode()), &tx_commitment, body),
    })
}

/// Why a checkpoint could not be executed.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// No blocks.
    #[error("a checkpoint has at least one block")]
    NoBlocks,
    /// Fewer deposits known than the body consumes.
    #[error("checkpoint consumes {needed} deposits but only {available} are known")]
    MissingDeposits {
        /// Consumed.
        needed: u64,
        /// Known.
        available: u64,
    },
    /// Deposits passed out of queue order.
    #[error("deposit {got} passed where queue index {expected} was expected")]
    DepositOrder {
        /// Expected index.
        expected: u64,
        /// Given index.
        got: u64,
    },
    /// A transaction or credit broke a rule, or storage failed.
    #[error(transparent)]
    Stf(#[from] StfError),
}

impl From<crate::state::StateError> for ExecuteError {
    fn from(e: crate::state::StateError) -> Self {
        ExecuteError::Stf(StfError::State(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountIndex;
    use crate::tx::Transfer;
    use alloy::signers::local::PrivateKeySigner;
    use proptest::prelude::*;

    fn body(txs_per_block: &[usize]) -> CheckpointBody {
        let signer = PrivateKeySigner::random();
        CheckpointBody {
            fee_account: AccountIndex(3),
            blocks: txs_per_block
                .iter()
                .map(|n| BlockBody {
                    deposit_count: 1,
                    txs: (0..*n)
                        .map(|i| {
                            Transfer {
                                from: AccountIndex(1),
                                to: AccountIndex(2),
                                amount: 5,
                                fee: 1,
                                nonce: i as u32,
                            }
                            .sign(&signer, 1)
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn calldata_round_trips() {
        let b = body(&[0, 3, 1]);
        assert_eq!(CheckpointBody::decode(&b.encode()).unwrap(), b);
    }

    #[test]
    fn calldata_errors_are_typed() {
        let encoded = body(&[2]).encode();
        assert_eq!(
            CheckpointBody::decode(&[]),
            Err(CalldataError::Truncated { at: 0, needed: 1 })
        );
        assert_eq!(CheckpointBody::decode(&[9]), Err(CalldataError::Version(9)));
        assert!(matches!(
            CheckpointBody::decode(&encoded[..encoded.len() - 1]),
            Err(CalldataError::Truncated { .. })
        ));
        let mut trailing = encoded.clone();
        trailing.push(0);
        assert_eq!(
            CheckpointBody::decode(&trailing),
            Err(CalldataError::Trailing(1))
        );
        assert_eq!(
            CheckpointBody::decode(&[1, 0, 0, 0, 0, 0, 0]),
            Err(CalldataError::NoBlocks)
        );
        let mut bad_parity = encoded;
        let last = bad_parity.len() - 1;
        bad_parity[last] = 7;
        assert!(matches!(
            CheckpointBody::decode(&bad_parity),
            Err(CalldataError::Tx {
                block: 0,
                position: 1,
                ..
            })
        ));
    }

    fn ctx() -> CheckpointContext {
        CheckpointContext {
            number: CheckpointNumber(4),
            slot: Slot(9),
            timestamp: 1_700_000_000,
            previous_archive: Digest::ZERO,
            previous_block: BlockNumber(7),
            deposit_start: 2,
            chain_id: 1,
        }
    }

    fn deposits(n: u64) -> Vec<Deposit> {
        (0..n)
            .map(|i| Deposit {
                queue_index: 2 + i,
                recipient: alloy::primitives::Address::repeat_byte(i as u8 + 1),
                amount: 10 + i,
            })
            .collect()
    }

    #[test]
    fn tx_commitment_binds_order_blocks_deposits_and_place() {
        let b = body(&[2, 1]);
        let (c, d) = (ctx(), deposits(2));
        let base = b.tx_commitment(&c, &d);
        let mut swapped = b.clone();
        swapped.blocks[0].txs.swap(0, 1);
        assert_ne!(base, swapped.tx_commitment(&c, &d));
        let mut regrouped = b.clone();
        let moved = regrouped.blocks[0].txs.pop().unwrap();
        regrouped.blocks[1].txs.insert(0, moved);
        assert_ne!(base, regrouped.tx_commitment(&c, &d));
        let mut other_deposit = d.clone();
        other_deposit[1].amount += 1;
        assert_ne!(base, b.tx_commitment(&c, &other_deposit));
        let mut later = c;
        later.slot = Slot(10);
        assert_ne!(base, b.tx_commitment(&later, &d));
        let mut fee = b.clone();
        fee.fee_account = AccountIndex(4);
        assert_ne!(base, fee.tx_commitment(&c, &d));
    }

    proptest! {
        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = CheckpointBody::decode(&bytes);
        }

        /// Any bytes that decode re-encode to themselves, so the node's evaluation of
        /// `keccak256(body.encode())` is the one the contract made of the posted bytes.
        #[test]
        fn decodable_bytes_reencode_exactly(
            tx_bytes in proptest::collection::vec(any::<u8>(), TRANSFER_BYTES * 2),
            fee in any::<u32>(),
            deposits in any::<u16>(),
        ) {
            let mut bytes = vec![CALLDATA_VERSION];
            bytes.extend_from_slice(&fee.to_be_bytes());
            bytes.extend_from_slice(&1u16.to_be_bytes());
            bytes.extend_from_slice(&deposits.to_be_bytes());
            bytes.extend_from_slice(&2u16.to_be_bytes());
            let mut tx_bytes = tx_bytes;
            for tx in tx_bytes.chunks_exact_mut(TRANSFER_BYTES) {
                // Mostly valid nonces and parities, so most cases decode.
                tx[24] &= 0x3f;
                tx[92] &= 1;
            }
            bytes.extend_from_slice(&tx_bytes);
            if let Ok(body) = CheckpointBody::decode(&bytes) {
                prop_assert_eq!(body.encode(), bytes);
            }
        }

        #[test]
        fn truncation_is_always_an_error(cut in 0usize..200) {
            let encoded = body(&[1, 1]).encode();
            prop_assume!(cut < encoded.len());
            prop_assert!(CheckpointBody::decode(&encoded[..cut]).is_err());
        }
    }
}
