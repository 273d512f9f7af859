//! The archive: rollup state derived from L1 events, with per-L1-block undo records.

use crate::kv::{ARCHIVE, Kv, KvError, UNDO, Write};
use crate::model::{ArchivedCheckpoint, ArchivedDeposit, ArchivedProof, ChainTips};
use alloy::primitives::B256;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::watch;
use vouch_primitives::{CheckpointNumber, EpochNumber, L1RollupConstants, Slot};
use vouch_rollup::checkpoint::{CalldataError, CheckpointBody};

/// One rollup event, in L1 log order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RollupEvent {
    /// `CheckpointProposed` with its header and calldata.
    Proposed(Box<ArchivedCheckpoint>),
    /// `ChainPruned`.
    Pruned {
        /// Surviving tip.
        proven: CheckpointNumber,
    },
    /// `EpochProven`.
    Proven(ArchivedProof),
    /// `DepositQueued`.
    Deposit(ArchivedDeposit),
}

/// The rollup events of one L1 block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct L1BlockEvents {
    /// Block number.
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Events in log order.
    pub events: Vec<RollupEvent>,
}

/// Archive failures.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Storage failed.
    #[error(transparent)]
    Kv(#[from] KvError),
    /// A stored record does not decode: the database is corrupt.
    #[error("corrupt archive entry {0}")]
    Corrupt(String),
    /// Blocks applied out of order.
    #[error("block {got} applied after synced block {synced}")]
    OutOfOrder {
        /// Last synced block.
        synced: u64,
        /// Block given.
        got: u64,
    },
    /// Calldata of an archived checkpoint does not decode.
    #[error("checkpoint {number}: {source}")]
    Calldata {
        /// Checkpoint.
        number: u64,
        /// Why.
        #[source]
        source: CalldataError,
    },
}

/// Read access to the archived L2 chain: what the rest of the node uses.
pub trait L2BlockSource: Send + Sync {
    /// Tips.
    fn tips(&self) -> Result<ChainTips, ArchiveError>;
    /// A checkpoint on the current chain.
    fn checkpoint(
        &self,
        number: CheckpointNumber,
    ) -> Result<Option<ArchivedCheckpoint>, ArchiveError>;
    /// The current chain's checkpoints whose slot is in `epoch`, in order.
    fn checkpoints_of_epoch(
        &self,
        epoch: EpochNumber,
    ) -> Result<Vec<ArchivedCheckpoint>, ArchiveError>;
    /// Blocks (decoded calldata) of a checkpoint.
    fn checkpoint_body(
        &self,
        number: CheckpointNumber,
    ) -> Result<Option<CheckpointBody>, ArchiveError>;
    /// Deposits `[from, from + count)` that are known.
    fn deposits(&self, from: u64, count: u64) -> Result<Vec<ArchivedDeposit>, ArchiveError>;
    /// The L2 slot of the last synced L1 block.
    fn synced_l2_slot(&self) -> Result<Option<Slot>, ArchiveError>;
    /// The rollup's constants.
    fn l1_constants(&self) -> L1RollupConstants;
}

mod keys {
    pub fn checkpoint(n: u64) -> Vec<u8> {
        [b"c".as_slice(), &n.to_be_bytes()].concat()
    }
    pub fn deposit(i: u64) -> Vec<u8> {
        [b"d".as_slice(), &i.to_be_bytes()].concat()
    }
    pub fn proof(l1_block: u64, seq: u64) -> Vec<u8> {
        [b"e".as_slice(), &l1_block.to_be_bytes(), &seq.to_be_bytes()].concat()
    }
    pub fn block_hash(n: u64) -> Vec<u8> {
        [b"h".as_slice(), &n.to_be_bytes()].concat()
    }
    pub const PENDING: &[u8] = b"mpending";
    pub const PROVEN: &[u8] = b"mproven";
    pub const SYNCED: &[u8] = b"msynced";
    pub const SYNCED_TS: &[u8] = b"msynced_ts";
    pub const FINALIZED_L1: &[u8] = b"mfinalized_l1";
}

fn u64_value(v: Option<Vec<u8>>, what: &str) -> Result<Option<u64>, ArchiveError> {
    v.map(|b| {
        <[u8; 8]>::try_from(b.as_slice())
            .map(u64::from_be_bytes)
            .map_err(|_| ArchiveError::Corrupt(what.to_string()))
    })
    .transpose()
}

fn json<T: serde::de::DeserializeOwned>(v: &[u8], what: &str) -> Result<T, ArchiveError> {
    serde_json::from_slice(v).map_err(|e| ArchiveError::Corrupt(format!("{what}: {e}")))
}

/// Collects one batch of tracked writes: the current value of every touched key, plus per L1
/// block the value each key had before that block touched it.
struct Tracker<'a, K: Kv> {
    kv: &'a K,
    current: HashMap<Vec<u8>, Option<Vec<u8>>>,
    block_undo: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    block_touched: HashSet<Vec<u8>>,
    writes: Vec<Write>,
}

impl<'a, K: Kv> Tracker<'a, K> {
    fn new(kv: &'a K) -> Self {
        Self {
            kv,
            current: HashMap::new(),
            block_undo: vec![],
            block_touched: HashSet::new(),
            writes: vec![],
        }
    }
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ArchiveError> {
        match self.current.get(key) {
            Some(v) => Ok(v.clone()),
            None => Ok(self.kv.get(ARCHIVE, key)?),
        }
    }
    fn set(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) -> Result<(), ArchiveError> {
        if self.block_touched.insert(key.clone()) {
            let previous = self.get(&key)?;
            self.block_undo.push((key.clone(), previous));
        }
        self.current.insert(key.clone(), value.clone());
        self.writes.push((ARCHIVE, key, value));
        Ok(())
    }
    fn end_block(&mut self, number: u64) {
        let undo = std::mem::take(&mut self.block_undo);
        self.block_touched.clear();
        let encoded = serde_json::to_vec(&undo).expect("byte vectors serialize");
        self.writes
            .push((UNDO, number.to_be_bytes().to_vec(), Some(encoded)));
    }
}

/// The archive over a [`Kv`].
pub struct Archive<K: Kv> {
    kv: Arc<K>,
    constants: L1RollupConstants,
    changed: watch::Sender<u64>,
}

impl<K: Kv> Clone for Archive<K> {
    fn clone(&self) -> Self {
        Self {
            kv: self.kv.clone(),
            constants: self.constants,
            changed: self.changed.clone(),
        }
    }
}

impl<K: Kv> Archive<K> {
    /// An archive over `kv` for the rollup with `constants`.
    pub fn new(kv: Arc<K>, constants: L1RollupConstants) -> Self {
        Self {
            kv,
            constants,
            changed: watch::channel(0).0,
        }
    }

    /// The underlying store (the stream keeps its cursor there too).
    pub fn kv(&self) -> &Arc<K> {
        &self.kv
    }

    /// Ticks whenever the archive changes.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v += 1);
    }

    /// Last synced L1 block.
    pub fn synced_block(&self) -> Result<Option<u64>, ArchiveError> {
        u64_value(self.kv.get(ARCHIVE, keys::SYNCED)?, "synced block")
    }

    /// Stored hash of L1 block `n`, if recorded.
    pub fn block_hash(&self, n: u64) -> Result<Option<B256>, ArchiveError> {
        Ok(self
            .kv
            .get(ARCHIVE, &keys::block_hash(n))?
            .map(|b| B256::from_slice(&b)))
    }

    /// The `limit` most recent recorded L1 block hashes, newest first.
    pub fn recent_block_hashes(&self, limit: usize) -> Result<Vec<(u64, B256)>, ArchiveError> {
        let all = self
            .kv
            .range(ARCHIVE, &keys::block_hash(0), &keys::block_hash(u64::MAX))?;
        Ok(all
            .iter()
            .rev()
            .take(limit)
            .map(|(k, v)| {
                (
                    u64::from_be_bytes(k[1..9].try_into().expect("8 bytes")),
                    B256::from_slice(v),
                )
            })
            .collect())
    }

    /// Applies blocks `blocks` (ascending, above the synced block) and marks `tip` (≥ the last
    /// of them) as synced, atomically.
    pub fn apply(
        &self,
        blocks: &[L1BlockEvents],
        tip: (u64, B256, u64),
        finalized_l1: Option<u64>,
    ) -> Result<(), ArchiveError> {
        let synced = self.synced_block()?;
        let mut t = Tracker::new(self.kv.as_ref());
        let mut proof_seq = 0u64;
        for block in blocks {
            if synced.is_some_and(|s| block.number <= s) {
                return Err(ArchiveError::OutOfOrder {
                    synced: synced.unwrap_or(0),
                    got: block.number,
                });
            }
            t.set(keys::block_hash(block.number), Some(block.hash.to_vec()))?;
            for event in &block.events {
                match event {
                    RollupEvent::Proposed(c) => {
                        t.set(
                            keys::checkpoint(c.number.get()),
                            Some(serde_json::to_vec(c.as_ref()).expect("serializable")),
                        )?;
                        t.set(
                            keys::PENDING.to_vec(),
                            Some(c.number.get().to_be_bytes().to_vec()),
                        )?;
                    }
                    RollupEvent::Pruned { proven } => {
                        let pending = u64_value(t.get(keys::PENDING)?, "pending")?.unwrap_or(0);
                        for n in proven.get() + 1..=pending {
                            t.set(keys::checkpoint(n), None)?;
                        }
                        t.set(
                            keys::PENDING.to_vec(),
                            Some(proven.get().to_be_bytes().to_vec()),
                        )?;
                    }
                    RollupEvent::Proven(p) => {
                        t.set(
                            keys::proof(block.number, proof_seq),
                            Some(serde_json::to_vec(p).expect("serializable")),
                        )?;
                        proof_seq += 1;
                        t.set(
                            keys::PROVEN.to_vec(),
                            Some(p.to.get().to_be_bytes().to_vec()),
                        )?;
                    }
                    RollupEvent::Deposit(d) => {
                        t.set(
                            keys::deposit(d.index),
                            Some(serde_json::to_vec(d).expect("serializable")),
                        )?;
                    }
                }
            }
            // Each recorded block moves the synced mark, so unwinding to any block leaves the
            // mark at the newest surviving one.
            t.set(
                keys::SYNCED.to_vec(),
                Some(block.number.to_be_bytes().to_vec()),
            )?;
            if block.number != tip.0 {
                t.end_block(block.number);
            }
        }
        let (tip_number, tip_hash, tip_ts) = tip;
        t.set(keys::block_hash(tip_number), Some(tip_hash.to_vec()))?;
        t.set(
            keys::SYNCED.to_vec(),
            Some(tip_number.to_be_bytes().to_vec()),
        )?;
        t.set(
            keys::SYNCED_TS.to_vec(),
            Some(tip_ts.to_be_bytes().to_vec()),
        )?;
        t.end_block(tip_number);
        let mut writes = t.writes;
        if let Some(f) = finalized_l1 {
            // Not undone by reorgs: finality only moves forward.
            writes.push((
                ARCHIVE,
                keys::FINALIZED_L1.to_vec(),
                Some(f.to_be_bytes().to_vec()),
            ));
        }
        self.kv.write(writes)?;
        self.bump();
        Ok(())
    }

    /// Undoes every recorded L1 block above `ancestor` (newest first), atomically.
    pub fn unwind_to(&self, ancestor: u64) -> Result<usize, ArchiveError> {
        let records =
            self.kv
                .range(UNDO, &(ancestor + 1).to_be_bytes(), &u64::MAX.to_be_bytes())?;
        let mut current: HashMap<Vec<u8>, Option<Vec<u8>>> = HashMap::new();
        let mut writes = Vec::new();
        for (block_key, undo) in records.iter().rev() {
            let undo: Vec<(Vec<u8>, Option<Vec<u8>>)> = json(undo, "undo record")?;
            for (key, previous) in undo {
                current.insert(key, previous);
            }
            writes.push((UNDO, block_key.clone(), None));
        }
        writes.extend(current.into_iter().map(|(k, v)| (ARCHIVE, k, v)));
        self.kv.write(writes)?;
        self.bump();
        Ok(records.len())
    }

    fn proofs_up_to(&self, l1_block: u64) -> Result<Vec<ArchivedProof>, ArchiveError> {
        let entries = self
            .kv
            .range(ARCHIVE, &keys::proof(0, 0), &keys::proof(l1_block + 1, 0))?;
        entries.iter().map(|(_, v)| json(v, "proof")).collect()
    }
}

impl<K: Kv> L2BlockSource for Archive<K> {
    fn tips(&self) -> Result<ChainTips, ArchiveError> {
        let get = |k: &[u8], what: &str| -> Result<Option<u64>, ArchiveError> {
            u64_value(self.kv.get(ARCHIVE, k)?, what)
        };
        let finalized_l1 = get(keys::FINALIZED_L1, "finalized l1")?;
        let finalized = match finalized_l1 {
            Some(f) => self
                .proofs_up_to(f)?
                .last()
                .map_or(CheckpointNumber(0), |p| p.to),
            None => CheckpointNumber(0),
        };
        Ok(ChainTips {
            pending: CheckpointNumber(get(keys::PENDING, "pending")?.unwrap_or(0)),
            proven: CheckpointNumber(get(keys::PROVEN, "proven")?.unwrap_or(0)),
            finalized,
            synced_l1_block: get(keys::SYNCED, "synced")?,
            synced_l1_timestamp: get(keys::SYNCED_TS, "synced ts")?.unwrap_or(0),
            finalized_l1_block: finalized_l1,
        })
    }

    fn checkpoint(
        &self,
        number: CheckpointNumber,
    ) -> Result<Option<ArchivedCheckpoint>, ArchiveError> {
        self.kv
            .get(ARCHIVE, &keys::checkpoint(number.get()))?
            .map(|v| json(&v, "checkpoint"))
            .transpose()
    }

    fn checkpoints_of_epoch(
        &self,
        epoch: EpochNumber,
    ) -> Result<Vec<ArchivedCheckpoint>, ArchiveError> {
        let pending = self.tips()?.pending.get();
        let (Some(first_slot), Some(last_slot)) = (
            self.constants.first_slot_of_epoch(epoch),
            self.constants.last_slot_of_epoch(epoch),
        ) else {
            return Ok(Vec::new());
        };
        let slot_of = |n: u64| -> Result<Slot, ArchiveError> {
            self.checkpoint(CheckpointNumber(n))?
                .map(|c| c.slot)
                .ok_or_else(|| {
                    ArchiveError::Corrupt(format!("checkpoint {n} missing below the pending tip"))
                })
        };
        // Slots increase with checkpoint numbers (at most one per slot): binary search for the
        // epoch's first checkpoint instead of scanning the chain.
        let (mut lo, mut hi) = (1u64, pending + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if slot_of(mid)? < first_slot {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let end = pending.min(lo.saturating_add(self.constants.epoch_duration));
        let entries = self
            .kv
            .range(ARCHIVE, &keys::checkpoint(lo), &keys::checkpoint(end + 1))?;
        let mut out = Vec::new();
        for (_, v) in entries {
            let c: ArchivedCheckpoint = json(&v, "checkpoint")?;
            if c.slot > last_slot {
                break;
            }
            out.push(c);
        }
        Ok(out)
    }

    fn checkpoint_body(
        &self,
        number: CheckpointNumber,
    ) -> Result<Option<CheckpointBody>, ArchiveError> {
        match self.checkpoint(number)? {
            None => Ok(None),
            Some(c) => CheckpointBody::decode(&c.tx_data)
                .map(Some)
                .map_err(|source| ArchiveError::Calldata {
                    number: number.get(),
                    source,
                }),
        }
    }

    fn deposits(&self, from: u64, count: u64) -> Result<Vec<ArchivedDeposit>, ArchiveError> {
        let entries = self.kv.range(
            ARCHIVE,
            &keys::deposit(from),
            &keys::deposit(from.saturating_add(count)),
        )?;
        entries.iter().map(|(_, v)| json(v, "deposit")).collect()
    }

    fn synced_l2_slot(&self) -> Result<Option<Slot>, ArchiveError> {
        let tips = self.tips()?;
        Ok(tips
            .synced_l1_block
            .and_then(|_| self.constants.slot_at_timestamp(tips.synced_l1_timestamp)))
    }

    fn l1_constants(&self) -> L1RollupConstants {
        self.constants
    }
}

#[cfg(test)]
mod tests;
