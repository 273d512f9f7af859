//! What the archiver stores and the stream emits.

use alloy::primitives::{Address, B256, Bytes};
use serde::{Deserialize, Serialize};
use vouch_primitives::{CheckpointNumber, EpochNumber, Slot};

/// A checkpoint as proposed on L1: the header as posted, its calldata and where it landed.
/// Identified by content: `header_hash` is `keccak256(abi.encode(header))`, as the contract
/// computes it, so a reorged replacement at the same number has a different identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedCheckpoint {
    /// Checkpoint number.
    pub number: CheckpointNumber,
    /// L1 slot.
    pub slot: Slot,
    /// Content identity.
    pub header_hash: B256,
    /// Archive root after it.
    pub archive: B256,
    /// Archive root before it.
    pub previous_archive: B256,
    /// State root after it.
    pub state_root: B256,
    /// Poseidon2 tx commitment as posted.
    pub tx_commitment: B256,
    /// Slot start timestamp.
    pub timestamp: u64,
    /// First deposit consumed.
    pub deposit_start: u64,
    /// Deposits consumed.
    pub deposit_count: u64,
    /// Blocks declared.
    pub block_count: u32,
    /// The calldata's evaluation `(z, P(z))` the contract checked (`vouch_rollup::data`).
    pub data_evaluation: B256,
    /// The `propose` calldata (`txData`).
    pub tx_data: Bytes,
    /// L1 block and its hash.
    pub l1_block: u64,
    /// Hash of that L1 block.
    pub l1_block_hash: B256,
    /// Proposing L1 transaction.
    pub l1_tx: B256,
}

impl ArchivedCheckpoint {
    /// The record of a `CheckpointProposed` with header `h` and calldata `tx_data`, proposed by
    /// transaction `l1_tx` in L1 block `l1_block` (hash `l1_block_hash`).
    pub fn from_l1(
        h: &vouch_l1_contracts::bindings::Rollup::CheckpointHeader,
        tx_data: Bytes,
        l1_block: u64,
        l1_block_hash: B256,
        l1_tx: B256,
    ) -> Self {
        Self {
            number: CheckpointNumber(h.number),
            slot: Slot(h.slot),
            header_hash: vouch_l1_contracts::epoch::header_hash(h),
            archive: h.archive,
            previous_archive: h.previousArchive,
            state_root: h.stateRoot,
            tx_commitment: h.txCommitment,
            timestamp: h.timestamp,
            deposit_start: h.depositStart,
            deposit_count: h.depositCount,
            block_count: h.blockCount,
            data_evaluation: h.dataEvaluation,
            tx_data,
            l1_block,
            l1_block_hash,
            l1_tx,
        }
    }
}

/// A deposit queued on L1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedDeposit {
    /// Queue index.
    pub index: u64,
    /// L2 recipient.
    pub recipient: Address,
    /// Gwei.
    pub amount: u64,
    /// L1 block.
    pub l1_block: u64,
}

impl ArchivedDeposit {
    /// The record of `deposit`, queued in L1 block `l1_block`.
    pub fn of(deposit: &vouch_rollup::tx::Deposit, l1_block: u64) -> Self {
        Self {
            index: deposit.queue_index,
            recipient: deposit.recipient,
            amount: deposit.amount,
            l1_block,
        }
    }

    /// The deposit as the STF consumes it.
    pub fn to_deposit(&self) -> vouch_rollup::tx::Deposit {
        vouch_rollup::tx::Deposit {
            queue_index: self.index,
            recipient: self.recipient,
            amount: self.amount,
        }
    }
}

/// An accepted epoch proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedProof {
    /// Epoch.
    pub epoch: EpochNumber,
    /// First checkpoint.
    pub from: CheckpointNumber,
    /// Last checkpoint (the new proven tip).
    pub to: CheckpointNumber,
    /// Prover.
    pub prover: Address,
    /// L1 block.
    pub l1_block: u64,
}

/// The tips as the archive sees them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainTips {
    /// Last proposed checkpoint on the (surviving) L1 chain.
    pub pending: CheckpointNumber,
    /// Last proven checkpoint.
    pub proven: CheckpointNumber,
    /// Proven tip as of the finalized L1 block.
    pub finalized: CheckpointNumber,
    /// Last L1 block processed.
    pub synced_l1_block: Option<u64>,
    /// Timestamp of that block.
    pub synced_l1_timestamp: u64,
    /// Finalized L1 block.
    pub finalized_l1_block: Option<u64>,
}

/// An event of the L2 block stream. Within one pass they come in this order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainEvent {
    /// Every checkpoint above `to_checkpoint` is gone (window prune or L1 reorg).
    ChainPruned {
        /// The surviving tip.
        to_checkpoint: CheckpointNumber,
    },
    /// A new checkpoint on L1.
    ChainCheckpointed {
        /// It.
        checkpoint: Box<ArchivedCheckpoint>,
    },
    /// The proven tip is now `checkpoint` (it moves back if a reorg removed a proof).
    ChainProven {
        /// The proven tip.
        checkpoint: CheckpointNumber,
    },
    /// The finalized tip is now `checkpoint`.
    ChainFinalized {
        /// The finalized tip.
        checkpoint: CheckpointNumber,
    },
}
