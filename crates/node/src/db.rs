//! The node's own tables: its identity, what its state tree executed, checkpoint provers and
//! session records. Each change is one atomic batch.

use crate::NodeError;
use crate::model::{CheckpointId, CheckpointRecord, SessionRecord};
use alloy::primitives::{Address, B256};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use vouch_storage::{Kv, Table, Write};

const META: Table = Table::new("node_meta");
const EXECUTED: Table = Table::new("node_executed");
const CHECKPOINTS: Table = Table::new("node_checkpoints");
const SESSIONS: Table = Table::new("node_sessions");

/// The node's tables.
pub const TABLES: [Table; 4] = [META, EXECUTED, CHECKPOINTS, SESSIONS];

const IDENTITY: &[u8] = b"identity";
const NEXT_SESSION: &[u8] = b"next_session";

/// What a datadir belongs to. A datadir of another chain or rollup is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// The `Rollup` contract.
    pub rollup: Address,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// Genesis archive root.
    pub genesis_archive: B256,
}

/// A checkpoint the state tree executed as version `number`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Executed {
    /// `keccak256(abi.encode(header))`.
    pub header_hash: B256,
    /// Archive root after it.
    pub archive: B256,
    /// Its last L2 block number.
    pub last_block: u64,
    /// The rollup's deposit accumulator after its last deposit (what the next checkpoint's
    /// proof starts from).
    pub deposit_accumulator: B256,
}

/// The node's tables over a [`Kv`].
pub struct NodeDb<K: Kv> {
    kv: Arc<K>,
}

impl<K: Kv> Clone for NodeDb<K> {
    fn clone(&self) -> Self {
        Self {
            kv: self.kv.clone(),
        }
    }
}

fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    what: impl FnOnce() -> String,
) -> Result<T, NodeError> {
    serde_json::from_slice(bytes).map_err(|e| NodeError::Corrupt(format!("{}: {e}", what())))
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("node records serialize")
}

impl<K: Kv> NodeDb<K> {
    /// The tables over `kv`.
    pub fn new(kv: Arc<K>) -> Self {
        Self { kv }
    }

    /// Records `identity` in an empty datadir, or checks it against the recorded one and names
    /// what differs.
    pub fn check_identity(&self, identity: &Identity) -> Result<(), NodeError> {
        match self.kv.get(META, IDENTITY)? {
            None => {
                self.kv
                    .write(vec![(META, IDENTITY.to_vec(), Some(encode(identity)))])?;
                Ok(())
            }
            Some(bytes) => {
                let stored: Identity = decode(&bytes, || "datadir identity".into())?;
                let fields = [
                    (
                        "L1 chain id",
                        stored.l1_chain_id.to_string(),
                        identity.l1_chain_id.to_string(),
                    ),
                    (
                        "rollup",
                        stored.rollup.to_string(),
                        identity.rollup.to_string(),
                    ),
                    (
                        "L2 chain id",
                        stored.l2_chain_id.to_string(),
                        identity.l2_chain_id.to_string(),
                    ),
                    (
                        "genesis archive",
                        stored.genesis_archive.to_string(),
                        identity.genesis_archive.to_string(),
                    ),
                ];
                let diffs: Vec<String> = fields
                    .iter()
                    .filter(|(_, datadir, configured)| datadir != configured)
                    .map(|(what, datadir, configured)| {
                        format!("{what} {datadir} (datadir) vs {configured} (configured)")
                    })
                    .collect();
                if diffs.is_empty() {
                    Ok(())
                } else {
                    Err(NodeError::WrongDatadir(diffs.join("; ")))
                }
            }
        }
    }

    /// What version `number` of the state tree was built from.
    pub fn executed(&self, number: u64) -> Result<Option<Executed>, NodeError> {
        self.kv
            .get(EXECUTED, &number.to_be_bytes())?
            .map(|b| decode(&b, || format!("executed record {number}")))
            .transpose()
    }

    /// Records version `number`.
    pub fn put_executed(&self, number: u64, executed: &Executed) -> Result<(), NodeError> {
        self.kv.write(vec![(
            EXECUTED,
            number.to_be_bytes().to_vec(),
            Some(encode(executed)),
        )])?;
        Ok(())
    }

    /// Forgets versions above `number`.
    pub fn drop_executed_above(&self, number: u64) -> Result<(), NodeError> {
        let doomed = self
            .kv
            .range(EXECUTED, &(number + 1).to_be_bytes(), &[0xff; 9])?;
        let writes = doomed
            .into_iter()
            .map(|(k, _)| (EXECUTED, k, None))
            .collect();
        self.kv.write(writes)?;
        Ok(())
    }

    fn all<T: DeserializeOwned>(&self, table: Table, what: &str) -> Result<Vec<T>, NodeError> {
        self.kv
            .range(table, &[], &[0xff; 64])?
            .into_iter()
            .map(|(_, v)| decode(&v, || what.to_string()))
            .collect()
    }

    /// Every checkpoint record.
    pub fn checkpoints(&self) -> Result<Vec<CheckpointRecord>, NodeError> {
        self.all(CHECKPOINTS, "checkpoint record")
    }

    /// Writes checkpoint records and deletes others, atomically.
    pub fn update_checkpoints(
        &self,
        put: &[&CheckpointRecord],
        delete: &[CheckpointId],
    ) -> Result<(), NodeError> {
        let mut writes: Vec<Write> = put
            .iter()
            .map(|r| (CHECKPOINTS, r.id.key(), Some(encode(*r))))
            .collect();
        writes.extend(delete.iter().map(|id| (CHECKPOINTS, id.key(), None)));
        self.kv.write(writes)?;
        Ok(())
    }

    /// Every session record.
    pub fn sessions(&self) -> Result<Vec<SessionRecord>, NodeError> {
        self.all(SESSIONS, "session record")
    }

    /// Writes a session record.
    pub fn put_session(&self, session: &SessionRecord) -> Result<(), NodeError> {
        self.kv.write(vec![(
            SESSIONS,
            session.id.to_be_bytes().to_vec(),
            Some(encode(session)),
        )])?;
        Ok(())
    }

    /// Deletes session records.
    pub fn delete_sessions(&self, ids: &[u64]) -> Result<(), NodeError> {
        self.kv.write(
            ids.iter()
                .map(|id| (SESSIONS, id.to_be_bytes().to_vec(), None))
                .collect(),
        )?;
        Ok(())
    }

    /// Allocates a session id.
    pub fn next_session_id(&self) -> Result<u64, NodeError> {
        let next = match self.kv.get(META, NEXT_SESSION)? {
            None => 1,
            Some(b) => u64::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| NodeError::Corrupt("session counter".into()))?,
            ),
        };
        self.kv.write(vec![(
            META,
            NEXT_SESSION.to_vec(),
            Some((next + 1).to_be_bytes().to_vec()),
        )])?;
        Ok(next)
    }
}
