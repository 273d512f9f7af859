//! The `CheckpointStore`: one prover record per checkpoint content id.

use crate::model::{CheckpointId, CheckpointRecord};
use std::collections::BTreeMap;

/// Why a checkpoint could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("slot {slot} already holds checkpoint {existing}; prune it before adding {added}")]
pub struct SlotTaken {
    /// The slot.
    pub slot: u64,
    /// What is there.
    pub existing: CheckpointId,
    /// What was added.
    pub added: CheckpointId,
}

/// What [`CheckpointStore::add_or_update`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A new prover.
    New,
    /// The same content was registered already: its prover (and proof) is reused.
    Reused,
}

/// Checkpoint provers keyed by content id. An orphan and its reorg replacement at the same
/// number coexist until the orphan is removed; a slot holds at most one checkpoint.
#[derive(Debug, Default, Clone)]
pub struct CheckpointStore {
    by_id: BTreeMap<CheckpointId, CheckpointRecord>,
}

impl CheckpointStore {
    /// A store holding `records`.
    pub fn from_records(records: impl IntoIterator<Item = CheckpointRecord>) -> Self {
        Self {
            by_id: records.into_iter().map(|r| (r.id, r)).collect(),
        }
    }

    /// A prover.
    pub fn get(&self, id: &CheckpointId) -> Option<&CheckpointRecord> {
        self.by_id.get(id)
    }

    /// A prover, mutably.
    pub fn get_mut(&mut self, id: &CheckpointId) -> Option<&mut CheckpointRecord> {
        self.by_id.get_mut(id)
    }

    /// Adds a prover, or finds the one of identical content.
    pub fn add_or_update(&mut self, record: CheckpointRecord) -> Result<Added, SlotTaken> {
        if self.by_id.contains_key(&record.id) {
            return Ok(Added::Reused);
        }
        if let Some(existing) = self.by_id.keys().find(|id| id.slot == record.id.slot) {
            return Err(SlotTaken {
                slot: record.id.slot,
                existing: *existing,
                added: record.id,
            });
        }
        self.by_id.insert(record.id, record);
        Ok(Added::New)
    }

    /// Removes every prover above checkpoint `number`; returns them.
    pub fn cancel_and_remove_above(&mut self, number: u64) -> Vec<CheckpointRecord> {
        let doomed: Vec<CheckpointId> = self
            .by_id
            .keys()
            .filter(|id| id.number > number)
            .copied()
            .collect();
        doomed
            .iter()
            .filter_map(|id| self.by_id.remove(id))
            .collect()
    }

    /// Removes one prover.
    pub fn remove(&mut self, id: &CheckpointId) -> Option<CheckpointRecord> {
        self.by_id.remove(id)
    }

    /// Removes every prover of `epoch` (its window closed); returns them.
    pub fn reap_expired(&mut self, epoch: u64) -> Vec<CheckpointRecord> {
        let doomed: Vec<CheckpointId> = self
            .by_id
            .values()
            .filter(|r| r.epoch == epoch)
            .map(|r| r.id)
            .collect();
        doomed
            .iter()
            .filter_map(|id| self.by_id.remove(id))
            .collect()
    }

    /// Every prover, by number.
    pub fn iter(&self) -> impl Iterator<Item = &CheckpointRecord> {
        self.by_id.values()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProverStatus;
    use alloy::primitives::B256;

    fn record(number: u64, slot: u64, tag: u8) -> CheckpointRecord {
        CheckpointRecord {
            id: CheckpointId {
                number,
                slot,
                archive: B256::repeat_byte(tag),
            },
            header_hash: B256::repeat_byte(tag),
            epoch: slot / 4,
            l1_block: 0,
            status: ProverStatus::Proving,
            registered_ms: 0,
            proven_ms: None,
        }
    }

    #[test]
    fn identical_content_reuses_and_a_replacement_coexists_until_removed() {
        let mut store = CheckpointStore::default();
        assert_eq!(store.add_or_update(record(1, 4, 1)), Ok(Added::New));
        assert_eq!(store.add_or_update(record(1, 4, 1)), Ok(Added::Reused));
        // A replacement at the same number in another slot coexists with the orphan.
        assert_eq!(store.add_or_update(record(1, 5, 2)), Ok(Added::New));
        assert_eq!(store.len(), 2);
        // A different checkpoint at an occupied slot is refused.
        let err = store.add_or_update(record(2, 5, 3)).unwrap_err();
        assert_eq!(err.slot, 5);
        assert_eq!(err.existing.archive, B256::repeat_byte(2));
        assert!(store.remove(&record(1, 4, 1).id).is_some());
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn the_id_contains_the_archive_root() {
        let a = record(1, 4, 1).id;
        let b = record(1, 4, 2).id;
        assert_ne!(a, b);
        assert_ne!(a.leaf_job(), b.leaf_job());
        assert!(a.to_string().starts_with("1:4:0x0101"));
    }

    #[test]
    fn remove_above_and_reap_expired_take_exactly_their_provers() {
        let mut store = CheckpointStore::from_records([
            record(1, 1, 1),
            record(2, 2, 2),
            record(3, 5, 3),
            record(4, 9, 4),
        ]);
        let removed: Vec<u64> = store
            .cancel_and_remove_above(2)
            .iter()
            .map(|r| r.id.number)
            .collect();
        assert_eq!(removed, vec![3, 4]);
        assert_eq!(store.reap_expired(0).len(), 2);
        assert!(store.is_empty());
    }
}
