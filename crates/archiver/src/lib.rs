//! The node's eyes: following L1, archiving the rollup, and streaming L2 chain events.
//!
//! * [`kv`]: the storage seam — a tiny table/key/value trait with a RocksDB implementation
//!   and an in-memory one for unit tests. Every write is one atomic batch.
//! * [`archive`]: the archiver. It applies the rollup's L1 events block by block
//!   (`CheckpointProposed` with its calldata, `ChainPruned`, `EpochProven`, `DepositQueued`) and
//!   records, per L1 block, the previous value of every key it changed (an undo log). An L1
//!   reorg is unwound by replaying those undo records from the tip down to the divergence
//!   point, so exactly what the removed blocks did is undone — including checkpoints that a
//!   reorged-out prune had removed. It serves the node through [`L2BlockSource`].
//! * [`follower`]: the L1 follower. It polls (and, given a WebSocket URL, is woken by) new
//!   heads, finds a reorg's true divergence point by walking back the stored block hashes,
//!   ingests backlogs in `eth_getLogs` batches, tracks the finalized block, and survives RPC
//!   failures by backing off and rotating through fallback URLs. On restart it re-checks the
//!   stored hashes before trusting them.
//! * [`stream`]: the L2 block stream. It diffs the archive against its persisted cursor and
//!   emits, within one pass and in this order, `ChainPruned`, `ChainCheckpointed`,
//!   `ChainProven`, `ChainFinalized`. The cursor advances only after the handler returns
//!   `Ok`, so a failing handler sees the same event again: delivery is **at least once** and
//!   **handlers must be idempotent**.

pub mod archive;
pub mod follower;
pub mod kv;
pub mod model;
pub mod stream;

pub use archive::{Archive, ArchiveError, L2BlockSource};
pub use follower::{FollowerConfig, L1Follower};
pub use model::{ArchivedCheckpoint, ChainEvent, ChainTips};
pub use stream::{L2BlockStream, StreamHandler};
