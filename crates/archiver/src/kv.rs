//! The archiver's tables on the shared storage seam ([`vouch_storage`]).

pub use vouch_storage::{Entries, Kv, KvError, MemoryKv, RocksKv, Table, Write};

/// Archived rollup state (checkpoints, deposits, proofs, block hashes, meta).
pub const ARCHIVE: Table = Table::new("archive");
/// Undo records per L1 block.
pub const UNDO: Table = Table::new("undo");
/// Block-stream cursors.
pub const STREAM: Table = Table::new("stream");

/// Every table the archiver and its streams use: open a database with (at least) these.
pub const TABLES: [Table; 3] = [ARCHIVE, UNDO, STREAM];
