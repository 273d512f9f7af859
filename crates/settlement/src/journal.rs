//! The write-ahead journal of signed transactions.
//!
//! Layout (table `settlement`): `n ‖ nonce (u64 BE)` → JSON [`JournalEntry`]; `k ‖ key` → nonce;
//! `next_nonce` → the next nonce to allocate. An entry is written, with every version of its
//! transaction, before that version is broadcast.

use alloy::primitives::{B256, Bytes};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use vouch_storage::{Kv, Table};

const TABLE: Table = Table::new("settlement");
const NEXT_NONCE: &[u8] = b"next_nonce";

/// The journal's tables.
pub const TABLES: [Table; 1] = [TABLE];

/// Journal failure.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Storage.
    #[error(transparent)]
    Kv(#[from] vouch_storage::KvError),
    /// A record does not decode.
    #[error("corrupt settlement journal: {0}")]
    Corrupt(String),
}

/// One signed version of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedVersion {
    /// Its hash.
    pub hash: B256,
    /// The EIP-2718 encoding, as broadcast.
    pub raw: Bytes,
    /// Max fee per gas.
    pub max_fee: u128,
    /// Max priority fee per gas.
    pub tip: u128,
}

/// A nonce's transaction and its versions (replacements), oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The intent's key.
    pub key: String,
    /// Nonce.
    pub nonce: u64,
    /// Versions, oldest first.
    pub versions: Vec<SignedVersion>,
    /// Landed (with confirmations) in this block, by this version.
    pub included: Option<(u64, B256)>,
}

/// The journal over a [`Kv`].
pub struct Journal<K: Kv> {
    kv: Arc<K>,
    lock: Mutex<()>,
}

fn nonce_key(nonce: u64) -> Vec<u8> {
    [b"n".as_slice(), &nonce.to_be_bytes()].concat()
}

fn intent_key(key: &str) -> Vec<u8> {
    [b"k".as_slice(), key.as_bytes()].concat()
}

impl<K: Kv> Journal<K> {
    /// The journal in `kv` (opened with [`TABLES`]).
    pub fn new(kv: Arc<K>) -> Self {
        Self {
            kv,
            lock: Mutex::new(()),
        }
    }

    fn u64_at(&self, key: &[u8]) -> Result<Option<u64>, JournalError> {
        self.kv
            .get(TABLE, key)?
            .map(|v| {
                <[u8; 8]>::try_from(v.as_slice())
                    .map(u64::from_be_bytes)
                    .map_err(|_| JournalError::Corrupt(format!("{} bytes for a nonce", v.len())))
            })
            .transpose()
    }

    /// The entry of an intent, if it was ever signed.
    pub fn entry_of(&self, key: &str) -> Result<Option<JournalEntry>, JournalError> {
        match self.u64_at(&intent_key(key))? {
            None => Ok(None),
            Some(nonce) => self.entry(nonce),
        }
    }

    /// The entry at a nonce.
    pub fn entry(&self, nonce: u64) -> Result<Option<JournalEntry>, JournalError> {
        self.kv
            .get(TABLE, &nonce_key(nonce))?
            .map(|v| {
                serde_json::from_slice(&v)
                    .map_err(|e| JournalError::Corrupt(format!("nonce {nonce}: {e}")))
            })
            .transpose()
    }

    /// The nonce a new intent gets: the journal's next, or the account's confirmed count
    /// when that is higher. Callers hold their own lock from here to [`Self::record_new`].
    pub fn next_nonce(&self, chain_nonce: u64) -> Result<u64, JournalError> {
        Ok(self.u64_at(NEXT_NONCE)?.unwrap_or(0).max(chain_nonce))
    }

    /// Records a new intent's first signed version at its nonce, and advances the next nonce,
    /// in one batch — before the version is broadcast.
    pub fn record_new(&self, entry: &JournalEntry) -> Result<(), JournalError> {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        self.kv.write(vec![
            (
                TABLE,
                nonce_key(entry.nonce),
                Some(serde_json::to_vec(entry).expect("serializes")),
            ),
            (
                TABLE,
                intent_key(&entry.key),
                Some(entry.nonce.to_be_bytes().to_vec()),
            ),
            (
                TABLE,
                NEXT_NONCE.to_vec(),
                Some((entry.nonce + 1).to_be_bytes().to_vec()),
            ),
        ])?;
        Ok(())
    }

    /// Rewrites an entry (a new version, or its inclusion).
    pub fn update(&self, entry: &JournalEntry) -> Result<(), JournalError> {
        self.kv.write(vec![(
            TABLE,
            nonce_key(entry.nonce),
            Some(serde_json::to_vec(entry).expect("serializes")),
        )])?;
        Ok(())
    }
}
