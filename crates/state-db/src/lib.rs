//! RocksDB storage for the reference rollup's versioned state.
//!
//! Implements [`vouch_rollup::state::VersionedStore`]. Layout (three column families):
//! * `state`: `key bytes ‖ version (u64 BE)` → value. The value of a key at version `v` is
//!   found with one `seek_for_prev(key ‖ v)`: the newest write at or below `v`. Reading an old
//!   checkpoint's state therefore costs the same as reading the newest — snapshots are free.
//! * `versions`: `version (u64 BE)` → the keys that version wrote (length-prefixed), so a
//!   rollback deletes exactly what the undone checkpoints wrote.
//! * `meta`: `latest` → newest committed version.
//!
//! Every commit and rollback is one atomic, fsynced `WriteBatch`: after a crash the store is at
//! a whole version, never between two. Old versions are kept; compacting history below the
//! finalized checkpoint is future work.

use rocksdb::{
    ColumnFamilyDescriptor, DB, Direction, IteratorMode, Options, WriteBatch, WriteOptions,
};
use std::path::Path;
use vouch_rollup::state::{StateKey, Version, VersionedStore};

const CF_STATE: &str = "state";
const CF_VERSIONS: &str = "versions";
const CF_META: &str = "meta";
const LATEST: &[u8] = b"latest";

/// Errors of the RocksDB state store.
#[derive(Debug, thiserror::Error)]
pub enum StateDbError {
    /// RocksDB failed.
    #[error("rocksdb: {0}")]
    Rocks(#[from] rocksdb::Error),
    /// A stored entry does not decode: the database is corrupt. Nothing is overwritten.
    #[error("corrupt state database: {0}")]
    Corrupt(String),
    /// A commit skipped or repeated a version.
    #[error("commit of version {got} but the next version is {expected}")]
    NonSequentialVersion {
        /// The version that may be committed.
        expected: Version,
        /// The version given.
        got: Version,
    },
}

/// The RocksDB-backed versioned state store.
pub struct RocksStateStore {
    db: DB,
}

impl std::fmt::Debug for RocksStateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RocksStateStore")
            .field("path", &self.db.path())
            .finish()
    }
}

fn versioned_key(key: &StateKey, version: Version) -> Vec<u8> {
    let mut k = key.to_bytes();
    k.extend_from_slice(&version.to_be_bytes());
    k
}

impl RocksStateStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StateDbError> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.create_missing_column_families(true);
        let cfs = [CF_STATE, CF_VERSIONS, CF_META]
            .map(|name| ColumnFamilyDescriptor::new(name, Options::default()));
        let db = DB::open_cf_descriptors(&options, path, cfs)?;
        let store = Self { db };
        store.latest_version()?; // fail early on a corrupt meta entry
        Ok(store)
    }

    fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        self.db
            .cf_handle(name)
            .expect("column families are created at open")
    }

    fn keys_of_version(&self, version: Version) -> Result<Vec<Vec<u8>>, StateDbError> {
        let Some(raw) = self
            .db
            .get_cf(self.cf(CF_VERSIONS), version.to_be_bytes())?
        else {
            return Ok(vec![]);
        };
        let mut keys = Vec::new();
        let mut at = 0usize;
        while at < raw.len() {
            let len = *raw
                .get(at)
                .ok_or_else(|| StateDbError::Corrupt(format!("key list of version {version}")))?
                as usize;
            let key = raw.get(at + 1..at + 1 + len).ok_or_else(|| {
                StateDbError::Corrupt(format!("key list of version {version} truncated"))
            })?;
            keys.push(key.to_vec());
            at += 1 + len;
        }
        Ok(keys)
    }

    fn sync_options() -> WriteOptions {
        let mut options = WriteOptions::default();
        options.set_sync(true);
        options
    }
}

impl VersionedStore for RocksStateStore {
    type Error = StateDbError;

    fn get(&self, key: &StateKey, version: Version) -> Result<Option<Vec<u8>>, Self::Error> {
        let prefix = key.to_bytes();
        let mut iter = self.db.raw_iterator_cf(self.cf(CF_STATE));
        iter.seek_for_prev(versioned_key(key, version));
        iter.status()?;
        match (iter.key(), iter.value()) {
            (Some(found), Some(value))
                if found.len() == prefix.len() + 8 && found.starts_with(&prefix) =>
            {
                Ok(Some(value.to_vec()))
            }
            _ => Ok(None),
        }
    }

    fn commit(&self, version: Version, changes: &[(StateKey, Vec<u8>)]) -> Result<(), Self::Error> {
        let expected = self.latest_version()?.map_or(0, |v| v + 1);
        if version != expected {
            return Err(StateDbError::NonSequentialVersion {
                expected,
                got: version,
            });
        }
        let mut batch = WriteBatch::default();
        let mut key_list = Vec::new();
        for (key, value) in changes {
            let raw = key.to_bytes();
            key_list.push(raw.len() as u8);
            key_list.extend_from_slice(&raw);
            batch.put_cf(self.cf(CF_STATE), versioned_key(key, version), value);
        }
        batch.put_cf(self.cf(CF_VERSIONS), version.to_be_bytes(), key_list);
        batch.put_cf(self.cf(CF_META), LATEST, version.to_be_bytes());
        self.db.write_opt(batch, &Self::sync_options())?;
        Ok(())
    }

    fn rollback_to(&self, version: Version) -> Result<(), Self::Error> {
        let Some(latest) = self.latest_version()? else {
            return Ok(());
        };
        if latest <= version {
            return Ok(());
        }
        let mut batch = WriteBatch::default();
        let start = (version + 1).to_be_bytes();
        let iter = self.db.iterator_cf(
            self.cf(CF_VERSIONS),
            IteratorMode::From(&start, Direction::Forward),
        );
        for item in iter {
            let (raw_version, _) = item?;
            let v = Version::from_be_bytes(
                raw_version
                    .as_ref()
                    .try_into()
                    .map_err(|_| StateDbError::Corrupt("version key".into()))?,
            );
            for key in self.keys_of_version(v)? {
                let mut k = key;
                k.extend_from_slice(&v.to_be_bytes());
                batch.delete_cf(self.cf(CF_STATE), k);
            }
            batch.delete_cf(self.cf(CF_VERSIONS), raw_version);
        }
        batch.put_cf(self.cf(CF_META), LATEST, version.to_be_bytes());
        self.db.write_opt(batch, &Self::sync_options())?;
        Ok(())
    }

    fn latest_version(&self) -> Result<Option<Version>, Self::Error> {
        match self.db.get_cf(self.cf(CF_META), LATEST)? {
            None => Ok(None),
            Some(raw) => {
                let bytes: [u8; 8] = raw.as_slice().try_into().map_err(|_| {
                    StateDbError::Corrupt(format!("meta/latest is {} bytes, expected 8", raw.len()))
                })?;
                Ok(Some(Version::from_be_bytes(bytes)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_free::*;
    use vouch_rollup::account::{Account, AccountIndex};
    use vouch_rollup::state::{MemoryStore, StateOverlay};

    mod alloy_free {
        pub fn owner(byte: u8) -> vouch_rollup::account::Account {
            vouch_rollup::account::Account {
                owner: [byte; 20].into(),
                balance: byte as u64 * 10,
                nonce: 0,
            }
        }
    }

    fn write_versions<S: VersionedStore>(store: &S, n: u8) -> Vec<vouch_rollup::Digest> {
        let mut roots = vec![];
        let mut state = StateOverlay::new(store, None);
        for v in 0..n {
            state
                .set_account(AccountIndex(v as u32 * 7), owner(v + 1))
                .unwrap();
            if v > 0 {
                let mut a: Account = state.account(AccountIndex(0)).unwrap();
                a.nonce += 1;
                state.set_account(AccountIndex(0), a).unwrap();
            }
            state.commit(v as u64).unwrap();
            roots.push(state.root().unwrap());
        }
        roots
    }

    #[test]
    fn matches_memory_store_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let memory_roots = write_versions(&MemoryStore::default(), 5);
        {
            let store = RocksStateStore::open(dir.path()).unwrap();
            assert_eq!(write_versions(&store, 5), memory_roots);
        }
        let store = RocksStateStore::open(dir.path()).unwrap();
        assert_eq!(store.latest_version().unwrap(), Some(4));
        for (v, root) in memory_roots.iter().enumerate() {
            assert_eq!(
                &StateOverlay::new(&store, Some(v as u64)).root().unwrap(),
                root,
                "snapshot {v}"
            );
        }
        store.rollback_to(2).unwrap();
        assert_eq!(store.latest_version().unwrap(), Some(2));
        assert_eq!(
            StateOverlay::new(&store, Some(9)).root().unwrap(),
            memory_roots[2]
        );
        assert_eq!(
            StateOverlay::new(&store, Some(2))
                .account(AccountIndex(0))
                .unwrap()
                .nonce,
            2
        );
        // Versions continue after the rollback.
        assert!(matches!(
            store.commit(4, &[]),
            Err(StateDbError::NonSequentialVersion {
                expected: 3,
                got: 4
            })
        ));
        store.commit(3, &[]).unwrap();
    }

    #[test]
    fn corrupt_meta_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = RocksStateStore::open(dir.path()).unwrap();
            store.db.put_cf(store.cf(CF_META), LATEST, b"xyz").unwrap();
        }
        let err = RocksStateStore::open(dir.path()).unwrap_err();
        assert!(err.to_string().contains("corrupt state database"), "{err}");
    }

    #[test]
    fn corrupt_value_is_reported_by_the_overlay() {
        let dir = tempfile::tempdir().unwrap();
        let store = RocksStateStore::open(dir.path()).unwrap();
        write_versions(&store, 2);
        let key = StateKey::Account(AccountIndex(0));
        store
            .db
            .put_cf(store.cf(CF_STATE), versioned_key(&key, 1), b"short")
            .unwrap();
        let err = StateOverlay::new(&store, Some(1))
            .account(AccountIndex(0))
            .unwrap_err();
        assert!(err.to_string().contains("corrupt"), "{err}");
    }
}
