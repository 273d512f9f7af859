//! Newtypes for the counters the node handles.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! counter_newtype {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The zero value.
            pub const ZERO: Self = Self(0);

            /// Creates the value.
            pub const fn new(value: u64) -> Self {
                Self(value)
            }

            /// The raw number.
            pub const fn get(self) -> u64 {
                self.0
            }

            /// The next value, or `None` on overflow.
            pub const fn checked_next(self) -> Option<Self> {
                match self.0.checked_add(1) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }

            /// The previous value, or `None` below zero.
            pub const fn checked_prev(self) -> Option<Self> {
                match self.0.checked_sub(1) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($label, " {}"), self.0)
            }
        }

        impl From<u64> for $name {
            fn from(value: u64) -> Self {
                Self(value)
            }
        }

        impl From<$name> for u64 {
            fn from(value: $name) -> u64 {
                value.0
            }
        }
    };
}

counter_newtype!(
    /// An L1 slot: `(l1_timestamp - genesis_time) / slot_duration`.
    Slot,
    "slot"
);
counter_newtype!(
    /// An epoch: `slot / epoch_duration`.
    EpochNumber,
    "epoch"
);
counter_newtype!(
    /// A rollup checkpoint number; 0 is genesis, proposals start at 1 with no gaps.
    CheckpointNumber,
    "checkpoint"
);
counter_newtype!(
    /// A block number (L1 or L2, by context).
    BlockNumber,
    "block"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_kind() {
        assert_eq!(Slot(7).to_string(), "slot 7");
        assert_eq!(EpochNumber(2).to_string(), "epoch 2");
        assert_eq!(CheckpointNumber(9).to_string(), "checkpoint 9");
        assert_eq!(BlockNumber(1).to_string(), "block 1");
    }

    #[test]
    fn checked_steps_stop_at_the_edges() {
        assert_eq!(Slot(0).checked_prev(), None);
        assert_eq!(Slot(u64::MAX).checked_next(), None);
        assert_eq!(
            CheckpointNumber(4).checked_next(),
            Some(CheckpointNumber(5))
        );
    }

    #[test]
    fn serde_is_a_bare_number() {
        assert_eq!(serde_json::to_string(&EpochNumber(12)).unwrap(), "12");
        assert_eq!(serde_json::from_str::<Slot>("3").unwrap(), Slot(3));
    }
}
