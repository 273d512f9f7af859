//! The account tree and its versioned storage.
//!
//! The tree has depth [`TREE_DEPTH`] = 32; node `(level, index)` has children
//! `(level-1, 2·index)` and `(level-1, 2·index+1)`; level 0 holds leaf digests, level 32 the
//! root. Only non-empty nodes are stored: a missing node is the empty subtree of its level.
//!
//! Storage is a [`VersionedStore`]: a key's value *at version v* is the last value written at a
//! version ≤ v. Version `n` holds what checkpoint `n` changed (0 is genesis), so reading at
//! `n - 1` gives the state before checkpoint `n` without copying anything, and
//! [`VersionedStore::rollback_to`] undoes checkpoints after a prune. A [`StateOverlay`] collects
//! one checkpoint's changes in memory over a base version and commits them in one batch.

use crate::account::{Account, AccountIndex};
use crate::hash::{Digest, compress};
use alloy::primitives::Address;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

/// Depth of the account tree.
pub const TREE_DEPTH: usize = 32;

/// A state version: the checkpoint number whose changes it holds (0 = genesis).
pub type Version = u64;

/// What the store keeps, per version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StateKey {
    /// Tree node (level 1..=32; level 0 is the leaf digest).
    Node {
        /// 0 = leaves, 32 = root.
        level: u8,
        /// Index within the level.
        index: u64,
    },
    /// Account at a leaf.
    Account(AccountIndex),
    /// Index of the account an owner address received on its first deposit.
    OwnerIndex(Address),
    /// Number of accounts ever created (the next free index).
    AccountCount,
}

impl StateKey {
    /// Fixed-length, order-preserving byte encoding (one tag byte per kind).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            StateKey::Node { level, index } => {
                let mut v = vec![b'n', *level];
                v.extend_from_slice(&index.to_be_bytes());
                v
            }
            StateKey::Account(i) => {
                let mut v = vec![b'a'];
                v.extend_from_slice(&i.0.to_be_bytes());
                v
            }
            StateKey::OwnerIndex(address) => {
                let mut v = vec![b'o'];
                v.extend_from_slice(address.as_slice());
                v
            }
            StateKey::AccountCount => vec![b'c'],
        }
    }
}

/// Versioned key-value storage of the state.
pub trait VersionedStore: Send + Sync {
    /// Storage error.
    type Error: std::error::Error + Send + Sync + 'static;
    /// The value of `key` as of `version` (last write at a version ≤ `version`).
    fn get(&self, key: &StateKey, version: Version) -> Result<Option<Vec<u8>>, Self::Error>;
    /// Writes `changes` atomically as version `version`, which must be `latest + 1` (or 0 on
    /// an empty store).
    fn commit(&self, version: Version, changes: &[(StateKey, Vec<u8>)]) -> Result<(), Self::Error>;
    /// Removes every version above `version`.
    fn rollback_to(&self, version: Version) -> Result<(), Self::Error>;
    /// The newest committed version, `None` when empty.
    fn latest_version(&self) -> Result<Option<Version>, Self::Error>;
}

/// Errors of the in-memory store (only misuse).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemoryStoreError {
    /// A commit skipped or repeated a version.
    #[error("commit of version {got} but the next version is {expected}")]
    NonSequentialVersion {
        /// The version that may be committed.
        expected: Version,
        /// The version given.
        got: Version,
    },
}

/// In-memory [`VersionedStore`] for tests and benchmarks.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<MemoryInner>,
}

#[derive(Debug, Default)]
struct MemoryInner {
    values: BTreeMap<(StateKey, Version), Vec<u8>>,
    keys_by_version: BTreeMap<Version, Vec<StateKey>>,
}

impl VersionedStore for MemoryStore {
    type Error = MemoryStoreError;

    fn get(&self, key: &StateKey, version: Version) -> Result<Option<Vec<u8>>, Self::Error> {
        let inner = self.inner.lock().expect("memory store lock");
        Ok(inner
            .values
            .range((*key, 0)..=(*key, version))
            .next_back()
            .map(|(_, v)| v.clone()))
    }

    fn commit(&self, version: Version, changes: &[(StateKey, Vec<u8>)]) -> Result<(), Self::Error> {
        let mut inner = self.inner.lock().expect("memory store lock");
        let expected = inner
            .keys_by_version
            .keys()
            .next_back()
            .map_or(0, |v| v + 1);
        if version != expected {
            return Err(MemoryStoreError::NonSequentialVersion {
                expected,
                got: version,
            });
        }
        for (key, value) in changes {
            inner.values.insert((*key, version), value.clone());
        }
        inner
            .keys_by_version
            .insert(version, changes.iter().map(|(k, _)| *k).collect());
        Ok(())
    }

    fn rollback_to(&self, version: Version) -> Result<(), Self::Error> {
        let mut inner = self.inner.lock().expect("memory store lock");
        let doomed: Vec<Version> = inner
            .keys_by_version
            .range(version + 1..)
            .map(|(v, _)| *v)
            .collect();
        for v in doomed {
            for key in inner.keys_by_version.remove(&v).unwrap_or_default() {
                inner.values.remove(&(key, v));
            }
        }
        Ok(())
    }

    fn latest_version(&self) -> Result<Option<Version>, Self::Error> {
        Ok(self
            .inner
            .lock()
            .expect("memory store lock")
            .keys_by_version
            .keys()
            .next_back()
            .copied())
    }
}

/// Digest of an empty subtree at each level (0 = empty leaf).
pub fn empty_subtree(level: usize) -> Digest {
    static EMPTY: OnceLock<[Digest; TREE_DEPTH + 1]> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let mut out = [Digest::ZERO; TREE_DEPTH + 1];
        for l in 1..=TREE_DEPTH {
            out[l] = compress(&out[l - 1], &out[l - 1]);
        }
        out
    })[level]
}

/// Sibling digests from the leaf level up (index 0 is the leaf's sibling).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerklePath {
    /// Leaf position.
    pub index: AccountIndex,
    /// `TREE_DEPTH` siblings, leaf level first.
    pub siblings: Vec<Digest>,
}

impl MerklePath {
    /// The root obtained by hashing `leaf` up this path.
    pub fn root_for(&self, leaf: Digest) -> Digest {
        let mut node = leaf;
        let mut index = self.index.0 as u64;
        for sibling in &self.siblings {
            node = if index & 1 == 0 {
                compress(&node, sibling)
            } else {
                compress(sibling, &node)
            };
            index >>= 1;
        }
        node
    }
}

/// Storage failure seen through a state view.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The store failed.
    #[error("state store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored value did not decode: the database is corrupt.
    #[error("corrupt state entry {key:?}")]
    Corrupt {
        /// The key.
        key: StateKey,
    },
    /// All 2^32 leaves are used.
    #[error("the account tree is full")]
    TreeFull,
}

/// One checkpoint's pending changes over the state at `base` version.
pub struct StateOverlay<'s, S: VersionedStore> {
    store: &'s S,
    base: Option<Version>,
    changes: HashMap<StateKey, Vec<u8>>,
}

impl<'s, S: VersionedStore> StateOverlay<'s, S> {
    /// A view of the state at `base` (`None`: the empty state before genesis).
    pub fn new(store: &'s S, base: Option<Version>) -> Self {
        Self {
            store,
            base,
            changes: HashMap::new(),
        }
    }

    /// The version this overlay reads through to.
    pub fn base(&self) -> Option<Version> {
        self.base
    }

    fn raw(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StateError> {
        if let Some(v) = self.changes.get(key) {
            return Ok(Some(v.clone()));
        }
        match self.base {
            None => Ok(None),
            Some(version) => self
                .store
                .get(key, version)
                .map_err(|e| StateError::Store(Box::new(e))),
        }
    }

    fn node(&self, level: usize, index: u64) -> Result<Digest, StateError> {
        let key = StateKey::Node {
            level: level as u8,
            index,
        };
        match self.raw(&key)? {
            None => Ok(empty_subtree(level)),
            Some(bytes) => {
                let bytes: [u8; 32] = bytes.try_into().map_err(|_| StateError::Corrupt { key })?;
                Digest::from_bytes(&bytes).map_err(|_| StateError::Corrupt { key })
            }
        }
    }

    /// The state root.
    pub fn root(&self) -> Result<Digest, StateError> {
        self.node(TREE_DEPTH, 0)
    }

    /// The account at `index` (empty if none).
    pub fn account(&self, index: AccountIndex) -> Result<Account, StateError> {
        let key = StateKey::Account(index);
        match self.raw(&key)? {
            None => Ok(Account::default()),
            Some(bytes) => Account::from_bytes(&bytes).ok_or(StateError::Corrupt { key }),
        }
    }

    /// The account index of `owner`, if it has one.
    pub fn index_of(&self, owner: &Address) -> Result<Option<AccountIndex>, StateError> {
        let key = StateKey::OwnerIndex(*owner);
        match self.raw(&key)? {
            None => Ok(None),
            Some(bytes) => {
                let bytes: [u8; 4] = bytes.try_into().map_err(|_| StateError::Corrupt { key })?;
                Ok(Some(AccountIndex(u32::from_be_bytes(bytes))))
            }
        }
    }

    /// Number of accounts created so far.
    pub fn account_count(&self) -> Result<u64, StateError> {
        let key = StateKey::AccountCount;
        match self.raw(&key)? {
            None => Ok(0),
            Some(bytes) => {
                let bytes: [u8; 8] = bytes.try_into().map_err(|_| StateError::Corrupt { key })?;
                Ok(u64::from_be_bytes(bytes))
            }
        }
    }

    /// The sibling path of leaf `index` in the current (overlaid) tree.
    pub fn path(&self, index: AccountIndex) -> Result<MerklePath, StateError> {
        let mut siblings = Vec::with_capacity(TREE_DEPTH);
        let mut i = index.0 as u64;
        for level in 0..TREE_DEPTH {
            siblings.push(self.node(level, i ^ 1)?);
            i >>= 1;
        }
        Ok(MerklePath { index, siblings })
    }

    /// Writes `account` at `index`, rehashing the path; returns the path (valid both before
    /// and after: siblings do not change).
    pub fn set_account(
        &mut self,
        index: AccountIndex,
        account: Account,
    ) -> Result<MerklePath, StateError> {
        let path = self.path(index)?;
        let mut node = account.leaf_hash();
        let mut i = index.0 as u64;
        self.put_node(0, i, node);
        for (level, sibling) in path.siblings.iter().enumerate() {
            node = if i & 1 == 0 {
                compress(&node, sibling)
            } else {
                compress(sibling, &node)
            };
            i >>= 1;
            self.put_node(level + 1, i, node);
        }
        self.changes
            .insert(StateKey::Account(index), account.to_bytes().to_vec());
        Ok(path)
    }

    fn put_node(&mut self, level: usize, index: u64, digest: Digest) {
        self.changes.insert(
            StateKey::Node {
                level: level as u8,
                index,
            },
            digest.to_bytes().to_vec(),
        );
    }

    /// Assigns the next free index to `owner` (no leaf is written yet).
    pub fn create_index(&mut self, owner: Address) -> Result<AccountIndex, StateError> {
        let count = self.account_count()?;
        let index = u32::try_from(count).map_err(|_| StateError::TreeFull)?;
        self.changes
            .insert(StateKey::OwnerIndex(owner), index.to_be_bytes().to_vec());
        self.changes
            .insert(StateKey::AccountCount, (count + 1).to_be_bytes().to_vec());
        Ok(AccountIndex(index))
    }

    /// Writes the overlay as `version` and returns to reading at it.
    pub fn commit(&mut self, version: Version) -> Result<(), StateError> {
        let mut changes: Vec<(StateKey, Vec<u8>)> = self.changes.drain().collect();
        changes.sort_by_key(|(key, _)| *key);
        self.store
            .commit(version, &changes)
            .map_err(|e| StateError::Store(Box::new(e)))?;
        self.base = Some(version);
        Ok(())
    }

    /// Number of keys changed so far.
    pub fn changed_keys(&self) -> usize {
        self.changes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn acct(byte: u8, balance: u64) -> Account {
        Account {
            owner: Address::repeat_byte(byte),
            balance,
            nonce: 0,
        }
    }

    #[test]
    fn empty_tree_root_is_empty_subtree() {
        let store = MemoryStore::default();
        let overlay = StateOverlay::new(&store, None);
        assert_eq!(overlay.root().unwrap(), empty_subtree(TREE_DEPTH));
    }

    #[test]
    fn versions_are_snapshots_and_rollback_restores() {
        let store = MemoryStore::default();
        let mut s = StateOverlay::new(&store, None);
        s.set_account(AccountIndex(1), acct(1, 10)).unwrap();
        s.commit(0).unwrap();
        let root0 = s.root().unwrap();
        s.set_account(AccountIndex(1), acct(1, 20)).unwrap();
        s.commit(1).unwrap();
        let root1 = s.root().unwrap();
        assert_ne!(root0, root1);
        assert_eq!(StateOverlay::new(&store, Some(0)).root().unwrap(), root0);
        assert_eq!(
            StateOverlay::new(&store, Some(0))
                .account(AccountIndex(1))
                .unwrap()
                .balance,
            10
        );
        store.rollback_to(0).unwrap();
        assert_eq!(store.latest_version().unwrap(), Some(0));
        assert_eq!(StateOverlay::new(&store, Some(1)).root().unwrap(), root0);
    }

    #[test]
    fn commit_must_be_sequential() {
        let store = MemoryStore::default();
        assert!(store.commit(1, &[]).is_err());
        store.commit(0, &[]).unwrap();
        assert!(store.commit(0, &[]).is_err());
    }

    proptest! {
        /// The root depends only on the final content, not on the order of insertion.
        #[test]
        fn root_is_insertion_order_independent(
            entries in proptest::collection::btree_map(any::<u32>(), 1u64..u64::MAX, 1..24),
            seed in any::<u64>(),
        ) {
            let entries: Vec<(u32, u64)> = entries.into_iter().collect();
            let mut shuffled = entries.clone();
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let build = |items: &[(u32, u64)]| {
                let store = MemoryStore::default();
                let mut s = StateOverlay::new(&store, None);
                for (i, b) in items {
                    s.set_account(AccountIndex(*i), acct(7, *b)).unwrap();
                }
                s.root().unwrap()
            };
            prop_assert_eq!(build(&entries), build(&shuffled));
        }

        /// Every stored leaf has a path that hashes to the root.
        #[test]
        fn paths_verify(entries in proptest::collection::btree_map(any::<u32>(), 1u64..1000, 1..16)) {
            let store = MemoryStore::default();
            let mut s = StateOverlay::new(&store, None);
            for (i, b) in &entries {
                s.set_account(AccountIndex(*i), acct(3, *b)).unwrap();
            }
            let root = s.root().unwrap();
            for (i, b) in &entries {
                let path = s.path(AccountIndex(*i)).unwrap();
                prop_assert_eq!(path.root_for(acct(3, *b).leaf_hash()), root);
                prop_assert_ne!(path.root_for(acct(3, *b + 1).leaf_hash()), root);
            }
        }
    }
}
