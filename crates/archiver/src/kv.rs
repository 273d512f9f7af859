//! Table/key/value storage with atomic batches.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

/// The tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// Archived rollup state (checkpoints, deposits, proofs, block hashes, meta).
    Archive,
    /// Undo records per L1 block.
    Undo,
    /// Block-stream cursors.
    Stream,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Archive => "archive",
            Table::Undo => "undo",
            Table::Stream => "stream",
        }
    }
    const ALL: [Table; 3] = [Table::Archive, Table::Undo, Table::Stream];
}

/// One write: `Some` puts, `None` deletes.
pub type Write = (Table, Vec<u8>, Option<Vec<u8>>);

/// Key-value pairs read by a range.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Storage failure.
#[derive(Debug, thiserror::Error)]
#[error("storage: {0}")]
pub struct KvError(pub String);

/// Ordered key-value tables with atomic multi-table batches.
pub trait Kv: Send + Sync {
    /// One value.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError>;
    /// Entries with `from <= key < to`, ascending.
    fn range(&self, table: Table, from: &[u8], to: &[u8]) -> Result<Entries, KvError>;
    /// Applies all writes atomically (durably, for the RocksDB store).
    fn write(&self, writes: Vec<Write>) -> Result<(), KvError>;
}

type TableKey = (Table, Vec<u8>);

/// In-memory tables for unit tests.
#[derive(Debug, Default)]
pub struct MemoryKv {
    tables: Mutex<BTreeMap<TableKey, Vec<u8>>>,
}

impl Kv for MemoryKv {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self
            .tables
            .lock()
            .expect("kv lock")
            .get(&(table, key.to_vec()))
            .cloned())
    }

    fn range(&self, table: Table, from: &[u8], to: &[u8]) -> Result<Entries, KvError> {
        let tables = self.tables.lock().expect("kv lock");
        Ok(tables
            .range((table, from.to_vec())..(table, to.to_vec()))
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    fn write(&self, writes: Vec<Write>) -> Result<(), KvError> {
        let mut tables = self.tables.lock().expect("kv lock");
        for (table, key, value) in writes {
            match value {
                Some(v) => tables.insert((table, key), v),
                None => tables.remove(&(table, key)),
            };
        }
        Ok(())
    }
}

/// RocksDB tables (one column family each); batches are fsynced.
pub struct RocksKv {
    db: rocksdb::DB,
}

impl std::fmt::Debug for RocksKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksKv")
            .field("path", &self.db.path())
            .finish()
    }
}

impl RocksKv {
    /// Opens or creates the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, KvError> {
        let mut options = rocksdb::Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let cfs = Table::ALL
            .map(|t| rocksdb::ColumnFamilyDescriptor::new(t.name(), rocksdb::Options::default()));
        let db = rocksdb::DB::open_cf_descriptors(&options, path, cfs)
            .map_err(|e| KvError(e.to_string()))?;
        Ok(Self { db })
    }

    fn cf(&self, table: Table) -> &rocksdb::ColumnFamily {
        self.db
            .cf_handle(table.name())
            .expect("column families are created at open")
    }
}

impl Kv for RocksKv {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.db
            .get_cf(self.cf(table), key)
            .map_err(|e| KvError(e.to_string()))
    }

    fn range(&self, table: Table, from: &[u8], to: &[u8]) -> Result<Entries, KvError> {
        let mode = rocksdb::IteratorMode::From(from, rocksdb::Direction::Forward);
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(table), mode) {
            let (k, v) = item.map_err(|e| KvError(e.to_string()))?;
            if k.as_ref() >= to {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn write(&self, writes: Vec<Write>) -> Result<(), KvError> {
        let mut batch = rocksdb::WriteBatch::default();
        for (table, key, value) in writes {
            match value {
                Some(v) => batch.put_cf(self.cf(table), key, v),
                None => batch.delete_cf(self.cf(table), key),
            }
        }
        let mut options = rocksdb::WriteOptions::default();
        options.set_sync(true);
        self.db
            .write_opt(batch, &options)
            .map_err(|e| KvError(e.to_string()))
    }
}
