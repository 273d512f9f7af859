//! The timing rules of the `Rollup` contract and the slot/epoch arithmetic on them.

use crate::{EpochNumber, Slot};
use serde::{Deserialize, Serialize};

/// Timing constants of a deployed `Rollup` contract.
///
/// Epoch `E` may be proven while the current slot is before the first slot of epoch
/// `E + proof_submission_epochs + 1` (its *deadline epoch*); from that slot on it has expired
/// and its pending checkpoints can be pruned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1RollupConstants {
    /// L1 block number the rollup was deployed at (where followers start reading).
    pub l1_start_block: u64,
    /// L1 timestamp at which slot 0 starts.
    pub genesis_time: u64,
    /// Seconds per slot (> 0).
    pub slot_duration: u64,
    /// Slots per epoch (> 0).
    pub epoch_duration: u64,
    /// Epochs after an epoch during which it may still be proven.
    pub proof_submission_epochs: u64,
}

/// Constants that cannot describe a working rollup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidConstants {
    /// `slot_duration` was zero.
    #[error("slot duration must be at least one second, got 0")]
    ZeroSlotDuration,
    /// `epoch_duration` was zero.
    #[error("epoch duration must be at least one slot, got 0")]
    ZeroEpochDuration,
}

impl L1RollupConstants {
    /// Checks the constants; every other method assumes they passed.
    pub fn validate(&self) -> Result<(), InvalidConstants> {
        if self.slot_duration == 0 {
            return Err(InvalidConstants::ZeroSlotDuration);
        }
        if self.epoch_duration == 0 {
            return Err(InvalidConstants::ZeroEpochDuration);
        }
        Ok(())
    }

    /// Slot containing L1 timestamp `timestamp`; `None` before genesis.
    pub fn slot_at_timestamp(&self, timestamp: u64) -> Option<Slot> {
        let since_genesis = timestamp.checked_sub(self.genesis_time)?;
        Some(Slot(since_genesis / self.slot_duration))
    }

    /// L1 timestamp at which `slot` starts; `None` past `u64` time.
    pub fn slot_start_timestamp(&self, slot: Slot) -> Option<u64> {
        slot.0
            .checked_mul(self.slot_duration)?
            .checked_add(self.genesis_time)
    }

    /// Epoch containing `slot`.
    pub fn epoch_at_slot(&self, slot: Slot) -> EpochNumber {
        EpochNumber(slot.0 / self.epoch_duration)
    }

    /// Epoch containing L1 timestamp `timestamp`; `None` before genesis.
    pub fn epoch_at_timestamp(&self, timestamp: u64) -> Option<EpochNumber> {
        self.slot_at_timestamp(timestamp)
            .map(|slot| self.epoch_at_slot(slot))
    }

    /// First slot of `epoch`; `None` on overflow.
    pub fn first_slot_of_epoch(&self, epoch: EpochNumber) -> Option<Slot> {
        epoch.0.checked_mul(self.epoch_duration).map(Slot)
    }

    /// Last slot of `epoch`; `None` on overflow.
    pub fn last_slot_of_epoch(&self, epoch: EpochNumber) -> Option<Slot> {
        let first = self.first_slot_of_epoch(epoch)?;
        first.0.checked_add(self.epoch_duration - 1).map(Slot)
    }

    /// The epoch whose first slot closes `epoch`'s proof-submission window:
    /// `epoch + proof_submission_epochs + 1`.
    pub fn proof_submission_deadline_epoch(&self, epoch: EpochNumber) -> Option<EpochNumber> {
        epoch
            .0
            .checked_add(self.proof_submission_epochs)?
            .checked_add(1)
            .map(EpochNumber)
    }

    /// First slot at which a proof of `epoch` is no longer accepted.
    pub fn proof_submission_deadline_slot(&self, epoch: EpochNumber) -> Option<Slot> {
        self.first_slot_of_epoch(self.proof_submission_deadline_epoch(epoch)?)
    }

    /// First L1 timestamp at which a proof of `epoch` is no longer accepted.
    pub fn proof_submission_deadline_timestamp(&self, epoch: EpochNumber) -> Option<u64> {
        self.slot_start_timestamp(self.proof_submission_deadline_slot(epoch)?)
    }

    /// Whether `epoch`'s proof-submission window has closed once `current_slot` is reached.
    /// An epoch whose deadline lies beyond `u64` slots never expires.
    pub fn is_epoch_expired(&self, epoch: EpochNumber, current_slot: Slot) -> bool {
        self.proof_submission_deadline_slot(epoch)
            .is_some_and(|deadline| current_slot >= deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn constants(genesis: u64, slot: u64, epoch: u64, submission: u64) -> L1RollupConstants {
        L1RollupConstants {
            l1_start_block: 0,
            genesis_time: genesis,
            slot_duration: slot,
            epoch_duration: epoch,
            proof_submission_epochs: submission,
        }
    }

    #[test]
    fn validate_rejects_zero_durations() {
        assert_eq!(
            constants(0, 0, 4, 1).validate(),
            Err(InvalidConstants::ZeroSlotDuration)
        );
        assert_eq!(
            constants(0, 12, 0, 1).validate(),
            Err(InvalidConstants::ZeroEpochDuration)
        );
        assert_eq!(constants(0, 12, 4, 1).validate(), Ok(()));
    }

    #[test]
    fn known_values() {
        let c = constants(1_000, 12, 4, 1);
        assert_eq!(c.slot_at_timestamp(999), None);
        assert_eq!(c.slot_at_timestamp(1_000), Some(Slot(0)));
        assert_eq!(c.slot_at_timestamp(1_011), Some(Slot(0)));
        assert_eq!(c.slot_at_timestamp(1_012), Some(Slot(1)));
        assert_eq!(c.epoch_at_slot(Slot(3)), EpochNumber(0));
        assert_eq!(c.epoch_at_slot(Slot(4)), EpochNumber(1));
        assert_eq!(
            c.proof_submission_deadline_epoch(EpochNumber(0)),
            Some(EpochNumber(2))
        );
        assert_eq!(
            c.proof_submission_deadline_slot(EpochNumber(0)),
            Some(Slot(8))
        );
        assert_eq!(
            c.proof_submission_deadline_timestamp(EpochNumber(0)),
            Some(1_096)
        );
        assert!(!c.is_epoch_expired(EpochNumber(0), Slot(7)));
        assert!(c.is_epoch_expired(EpochNumber(0), Slot(8)));
    }

    #[test]
    fn overflow_is_none_not_panic() {
        let c = constants(u64::MAX - 5, u64::MAX, u64::MAX, u64::MAX);
        assert_eq!(c.slot_start_timestamp(Slot(2)), None);
        assert_eq!(c.first_slot_of_epoch(EpochNumber(2)), None);
        assert_eq!(c.proof_submission_deadline_epoch(EpochNumber(1)), None);
        assert!(!c.is_epoch_expired(EpochNumber(1), Slot(u64::MAX)));
    }

    proptest! {
        #[test]
        fn slot_contains_its_timestamp(
            genesis in 0u64..1 << 40, slot_d in 1u64..1 << 20, epoch_d in 1u64..1 << 16, dt in 0u64..1 << 40,
        ) {
            let c = constants(genesis, slot_d, epoch_d, 1);
            let t = genesis + dt;
            let slot = c.slot_at_timestamp(t).unwrap();
            let start = c.slot_start_timestamp(slot).unwrap();
            prop_assert!(start <= t && t < start + slot_d);
            let epoch = c.epoch_at_slot(slot);
            let first = c.first_slot_of_epoch(epoch).unwrap();
            let last = c.last_slot_of_epoch(epoch).unwrap();
            prop_assert!(first <= slot && slot <= last);
            prop_assert_eq!(last.0 - first.0 + 1, epoch_d);
        }

        #[test]
        fn deadline_is_first_second_of_deadline_epoch(
            slot_d in 1u64..3600, epoch_d in 1u64..1024, submission in 0u64..64, epoch in 0u64..1 << 20,
        ) {
            let c = constants(1_000, slot_d, epoch_d, submission);
            let epoch = EpochNumber(epoch);
            let deadline_epoch = c.proof_submission_deadline_epoch(epoch).unwrap();
            let deadline = c.proof_submission_deadline_timestamp(epoch).unwrap();
            prop_assert_eq!(c.epoch_at_timestamp(deadline), Some(deadline_epoch));
            prop_assert!(c.epoch_at_timestamp(deadline - 1).unwrap() < deadline_epoch);
            let deadline_slot = c.proof_submission_deadline_slot(epoch).unwrap();
            prop_assert!(c.is_epoch_expired(epoch, deadline_slot));
            prop_assert!(!c.is_epoch_expired(epoch, Slot(deadline_slot.0 - 1)));
        }
    }
}
