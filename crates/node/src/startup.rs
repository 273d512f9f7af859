//! Where proving starts, from the proven tip (the startup table of the design).
//!
//! | proven state | prove from | last fully proven epoch |
//! |---|---|---|
//! | nothing proven | checkpoint 1 | none |
//! | proven tip is the last checkpoint of its epoch | proven + 1 | that epoch |
//! | proven tip is mid-epoch | first checkpoint of that epoch | that epoch − 1 |
//!
//! An epoch proof always starts at its epoch's first checkpoint, so a partially proven epoch
//! is proven again from its start. The node executes every checkpoint into its state tree
//! regardless; the seed only decides which ones get provers.

use vouch_archiver::{ArchiveError, L2BlockSource};
use vouch_primitives::CheckpointNumber;

/// Where proving starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seed {
    /// The first checkpoint that gets a prover.
    pub first_to_prove: u64,
    /// The newest epoch that is fully proven.
    pub last_fully_proven_epoch: Option<u64>,
}

/// The proven tip as the table needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvenTip {
    /// The proven checkpoint (0: nothing proven).
    pub number: u64,
    /// Its epoch.
    pub epoch: u64,
    /// The first checkpoint of that epoch.
    pub epoch_first: u64,
    /// Whether it is the last checkpoint of its epoch (a later epoch's checkpoint follows it,
    /// or its epoch has ended on L1).
    pub is_epoch_last: bool,
}

/// The table.
pub fn seed(tip: Option<ProvenTip>) -> Seed {
    match tip {
        None => Seed {
            first_to_prove: 1,
            last_fully_proven_epoch: None,
        },
        Some(t) if t.is_epoch_last => Seed {
            first_to_prove: t.number + 1,
            last_fully_proven_epoch: Some(t.epoch),
        },
        Some(t) => Seed {
            first_to_prove: t.epoch_first,
            last_fully_proven_epoch: t.epoch.checked_sub(1),
        },
    }
}

/// The proven tip read from the archive.
pub fn proven_tip(source: &dyn L2BlockSource) -> Result<Option<ProvenTip>, ArchiveError> {
    let tips = source.tips()?;
    if tips.proven.get() == 0 {
        return Ok(None);
    }
    let constants = source.l1_constants();
    let Some(proven) = source.checkpoint(tips.proven)? else {
        return Ok(None);
    };
    let epoch = constants.epoch_at_slot(proven.slot);
    let epoch_first = source
        .checkpoints_of_epoch(epoch)?
        .first()
        .map_or(proven.number.get(), |c| c.number.get());
    let next_in_later_epoch = source
        .checkpoint(CheckpointNumber(proven.number.get() + 1))?
        .is_some_and(|n| constants.epoch_at_slot(n.slot) > epoch);
    let epoch_over = source
        .synced_l2_slot()?
        .is_some_and(|s| constants.epoch_at_slot(s) > epoch);
    Ok(Some(ProvenTip {
        number: proven.number.get(),
        epoch: epoch.get(),
        epoch_first,
        is_epoch_last: next_in_later_epoch || epoch_over,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_proven_starts_at_checkpoint_one() {
        assert_eq!(
            seed(None),
            Seed {
                first_to_prove: 1,
                last_fully_proven_epoch: None
            }
        );
    }

    #[test]
    fn a_proven_epoch_end_starts_after_it() {
        let tip = ProvenTip {
            number: 8,
            epoch: 3,
            epoch_first: 5,
            is_epoch_last: true,
        };
        assert_eq!(
            seed(Some(tip)),
            Seed {
                first_to_prove: 9,
                last_fully_proven_epoch: Some(3)
            }
        );
    }

    #[test]
    fn a_mid_epoch_tip_restarts_its_epoch() {
        let tip = ProvenTip {
            number: 6,
            epoch: 3,
            epoch_first: 5,
            is_epoch_last: false,
        };
        assert_eq!(
            seed(Some(tip)),
            Seed {
                first_to_prove: 5,
                last_fully_proven_epoch: Some(2)
            }
        );
        let first_epoch = ProvenTip {
            number: 1,
            epoch: 0,
            epoch_first: 1,
            is_epoch_last: false,
        };
        assert_eq!(seed(Some(first_epoch)).last_fully_proven_epoch, None);
    }
}
