//! The node's storage seam: named tables of ordered byte keys, written in atomic batches.
//!
//! Every component that persists something (the archiver, the block stream's cursor, the
//! proving broker, the node's checkpoint and session records) writes through [`Kv`]:
//!
//! * a [`Table`] is a name (a RocksDB column family); a component declares the tables it uses
//!   as constants and the database is opened with the union of them;
//! * [`Kv::write`] applies a batch of puts and deletes across tables **atomically**, and on
//!   RocksDB durably (fsynced): after a crash the store holds all of a batch or none of it;
//! * [`Kv::range`] reads keys in ascending byte order, so big-endian numbers in keys sort
//!   numerically.
//!
//! [`RocksKv`] is the production store; [`MemoryKv`] is its in-memory twin for unit tests.
//! Errors are typed ([`KvError`]) and carry their source; a table the database was not opened
//! with is an error, never a panic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A named table (a RocksDB column family).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Table(&'static str);

impl Table {
    /// The table called `name`.
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// Its name.
    pub const fn name(self) -> &'static str {
        self.0
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// One write: `Some` puts, `None` deletes.
pub type Write = (Table, Vec<u8>, Option<Vec<u8>>);

/// Key-value pairs read by a range.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Storage failure.
#[derive(Debug, thiserror::Error)]
pub enum KvError {
    /// RocksDB refused an operation.
    #[error("rocksdb {operation} failed")]
    Rocks {
        /// What was being done (`open /path`, `get archive`, `write batch`, …).
        operation: String,
        /// RocksDB's error.
        #[source]
        source: rocksdb::Error,
    },
    /// The database was not opened with this table.
    #[error("table {0} is not open in this database")]
    UnknownTable(Table),
}

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

/// In-memory tables for unit tests. Every table exists.
#[derive(Debug, Default)]
pub struct MemoryKv {
    tables: Mutex<BTreeMap<TableKey, Vec<u8>>>,
}

impl MemoryKv {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<TableKey, Vec<u8>>> {
        // A panic while holding the lock cannot leave a half-applied batch: writes are applied
        // to the map one by one only after nothing can fail, so the data is still consistent.
        self.tables
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Kv for MemoryKv {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.lock().get(&(table, key.to_vec())).cloned())
    }

    fn range(&self, table: Table, from: &[u8], to: &[u8]) -> Result<Entries, KvError> {
        if from >= to {
            return Ok(Vec::new());
        }
        Ok(self
            .lock()
            .range((table, from.to_vec())..(table, to.to_vec()))
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect())
    }

    fn write(&self, writes: Vec<Write>) -> Result<(), KvError> {
        let mut tables = self.lock();
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
    path: PathBuf,
}

impl std::fmt::Debug for RocksKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksKv").field("path", &self.path).finish()
    }
}

impl RocksKv {
    /// Opens or creates the database at `path` with (at least) `tables`. Column families
    /// already in the database stay open too: RocksDB refuses to open a database without all
    /// of them, and dropping one would lose data.
    pub fn open(path: impl AsRef<Path>, tables: &[Table]) -> Result<Self, KvError> {
        let path = path.as_ref().to_path_buf();
        let rocks = |operation: String| move |source| KvError::Rocks { operation, source };
        let mut options = rocksdb::Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let mut names: Vec<String> = tables.iter().map(|t| t.name().to_string()).collect();
        if path.join("CURRENT").exists() {
            let existing = rocksdb::DB::list_cf(&options, &path)
                .map_err(rocks(format!("list tables of {}", path.display())))?;
            for name in existing {
                if name != "default" && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        let cfs = names
            .iter()
            .map(|n| rocksdb::ColumnFamilyDescriptor::new(n, rocksdb::Options::default()));
        let db = rocksdb::DB::open_cf_descriptors(&options, &path, cfs)
            .map_err(rocks(format!("open {}", path.display())))?;
        Ok(Self { db, path })
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn cf(&self, table: Table) -> Result<&rocksdb::ColumnFamily, KvError> {
        self.db
            .cf_handle(table.name())
            .ok_or(KvError::UnknownTable(table))
    }
}

fn rocks_err(operation: &str, table: Table) -> impl FnOnce(rocksdb::Error) -> KvError {
    let operation = format!("{operation} {table}");
    move |source| KvError::Rocks { operation, source }
}

impl Kv for RocksKv {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        self.db
            .get_cf(self.cf(table)?, key)
            .map_err(rocks_err("get", table))
    }

    fn range(&self, table: Table, from: &[u8], to: &[u8]) -> Result<Entries, KvError> {
        let mode = rocksdb::IteratorMode::From(from, rocksdb::Direction::Forward);
        let mut out = Vec::new();
        for item in self.db.iterator_cf(self.cf(table)?, mode) {
            let (k, v) = item.map_err(rocks_err("range", table))?;
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
            let cf = self.cf(table)?;
            match value {
                Some(v) => batch.put_cf(cf, key, v),
                None => batch.delete_cf(cf, key),
            }
        }
        let mut options = rocksdb::WriteOptions::default();
        options.set_sync(true);
        self.db
            .write_opt(batch, &options)
            .map_err(|source| KvError::Rocks {
                operation: "write batch".into(),
                source,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Table = Table::new("a");
    const B: Table = Table::new("b");

    fn exercise(kv: &dyn Kv) {
        kv.write(vec![
            (A, b"k1".to_vec(), Some(b"1".to_vec())),
            (A, b"k2".to_vec(), Some(b"2".to_vec())),
            (B, b"k1".to_vec(), Some(b"b".to_vec())),
        ])
        .unwrap();
        assert_eq!(kv.get(A, b"k1").unwrap(), Some(b"1".to_vec()));
        assert_eq!(kv.get(B, b"k1").unwrap(), Some(b"b".to_vec()));
        assert_eq!(kv.range(A, b"k", b"l").unwrap().len(), 2);
        assert_eq!(kv.range(A, b"k2", b"k1").unwrap().len(), 0);
        kv.write(vec![(A, b"k1".to_vec(), None)]).unwrap();
        assert_eq!(kv.get(A, b"k1").unwrap(), None);
        assert_eq!(
            kv.range(A, b"", b"z").unwrap(),
            vec![(b"k2".to_vec(), b"2".to_vec())]
        );
    }

    #[test]
    fn memory_and_rocks_agree() {
        exercise(&MemoryKv::default());
        let dir = tempfile::tempdir().unwrap();
        exercise(&RocksKv::open(dir.path(), &[A, B]).unwrap());
    }

    #[test]
    fn reopening_keeps_tables_it_was_not_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        {
            let kv = RocksKv::open(dir.path(), &[A, B]).unwrap();
            kv.write(vec![(B, b"x".to_vec(), Some(b"y".to_vec()))])
                .unwrap();
        }
        let kv = RocksKv::open(dir.path(), &[A]).unwrap();
        assert_eq!(kv.get(B, b"x").unwrap(), Some(b"y".to_vec()));
        let c = Table::new("c");
        assert!(matches!(kv.get(c, b"x"), Err(KvError::UnknownTable(t)) if t == c));
        assert!(matches!(
            kv.write(vec![(c, b"x".to_vec(), None)]),
            Err(KvError::UnknownTable(_))
        ));
    }

    #[test]
    fn a_directory_that_is_not_a_database_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("CURRENT"), b"garbage").unwrap();
        assert!(matches!(
            RocksKv::open(dir.path(), &[A]),
            Err(KvError::Rocks { .. })
        ));
    }
}
