//! Driving a verification session of the Plonky3 epoch verifier (`EpochVerifier.sol`):
//! `begin`, one `verifyQueries` per batch, then the proof the rollup's `submitEpochProof`
//! takes. The calldata comes from `vouch_prover::evm::calldata`; this module only sends it.

use crate::bindings::EpochVerifier::{self, CheckpointHeader};
use crate::bindings::Rollup;
use crate::deploy::plonky3_epoch_selector;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, keccak256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::{SolCall, SolValue};
use std::time::Duration;
use tracing::info;

/// EIP-7825: the most gas one transaction may use.
pub const MAX_TX_GAS: u64 = 1 << 24;
/// geth's transaction pool refuses transactions over 128 KiB.
pub const MAX_TX_BYTES: usize = 128 * 1024;
/// Gas limit the session's transactions are sent with (anvil enforces neither cap, so the
/// costs are checked against them after the fact).
const SESSION_TX_GAS_LIMIT: u64 = 30_000_000;

/// The calldata of one session, as `vouch_prover::evm::calldata::EpochCalldata` encodes it.
#[derive(Clone, Debug)]
pub struct SessionCalldata<'a> {
    /// `begin`'s proof argument.
    pub proof: &'a [u8],
    /// The state `begin` commits to.
    pub state: &'a [u8],
    /// `verifyQueries` batches.
    pub batches: &'a [Vec<u8>],
    /// The trace commitment.
    pub trace_root: B256,
}

impl<'a> From<&'a vouch_prover::evm::calldata::EpochCalldata> for SessionCalldata<'a> {
    fn from(cd: &'a vouch_prover::evm::calldata::EpochCalldata) -> Self {
        Self {
            proof: &cd.proof,
            state: &cd.state,
            batches: &cd.batches,
            trace_root: cd.trace_root,
        }
    }
}

/// What one transaction of a session cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TxCost {
    /// Gas used (receipt).
    pub gas: u64,
    /// Calldata bytes.
    pub calldata_bytes: usize,
}

impl TxCost {
    /// Whether it fits Ethereum's per-transaction caps (`envelope` bytes besides calldata).
    pub fn within_limits(&self, envelope: usize) -> bool {
        self.gas <= MAX_TX_GAS && self.calldata_bytes + envelope <= MAX_TX_BYTES
    }
}

/// A finished session.
#[derive(Clone, Debug)]
pub struct Session {
    /// Its id (`keccak256(owner ‖ keccak256(publicValues) ‖ traceRoot)`).
    pub id: B256,
    /// The trace commitment.
    pub trace_root: B256,
    /// `begin` first, then each batch.
    pub costs: Vec<TxCost>,
}

impl Session {
    /// The `proof` argument of `EpochVerifier.verify`.
    pub fn verifier_proof(&self) -> Bytes {
        (self.id, self.trace_root).abi_encode_params().into()
    }

    /// The `proof` argument of `Rollup.submitEpochProof` through a `VerifierGateway`:
    /// the Plonky3 route's selector, then [`Self::verifier_proof`].
    pub fn gateway_proof(&self) -> Bytes {
        [
            plonky3_epoch_selector().as_slice(),
            self.verifier_proof().as_ref(),
        ]
        .concat()
        .into()
    }
}

/// Why a session failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A transaction was refused (its revert reason).
    #[error("{step}: {reason}")]
    Rejected {
        /// `begin` or `batch i`.
        step: String,
        /// The node's error.
        reason: String,
    },
}

async fn send<P: Provider>(
    provider: &P,
    from: Address,
    to: Address,
    input: Vec<u8>,
    step: &str,
) -> Result<TxCost, SessionError> {
    let rejected = |reason: String| SessionError::Rejected {
        step: step.to_string(),
        reason,
    };
    let calldata_bytes = input.len();
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(Bytes::from(input))
        .with_gas_limit(SESSION_TX_GAS_LIMIT);
    // A call first: a proof the verifier refuses is reported with its reason, not mined.
    provider
        .call(tx.clone())
        .await
        .map_err(|e| rejected(e.to_string()))?;
    let receipt = provider
        .send_transaction(tx)
        .await
        .map_err(|e| rejected(e.to_string()))?
        .with_timeout(Some(Duration::from_secs(120)))
        .get_receipt()
        .await
        .map_err(|e| rejected(e.to_string()))?;
    if !receipt.status() {
        return Err(rejected("reverted".into()));
    }
    Ok(TxCost {
        gas: receipt.gas_used,
        calldata_bytes,
    })
}

/// The id `begin` gives the session of `owner` for `public_values` and `trace_root`.
pub fn session_id(owner: Address, public_values: &[u8], trace_root: B256) -> B256 {
    keccak256((owner, keccak256(public_values), trace_root).abi_encode_params())
}

/// The session's transactions to the `EpochVerifier`, in order: `("begin", calldata)`, then
/// `("batch i", calldata)` per query batch.
pub fn session_calls(
    owner: Address,
    public_values: &[u8],
    headers: &[Rollup::CheckpointHeader],
    calldata: &SessionCalldata<'_>,
) -> (B256, Vec<(String, Vec<u8>)>) {
    let headers: Vec<CheckpointHeader> = headers.iter().map(to_verifier_header).collect();
    let mut calls = vec![(
        "begin".to_string(),
        EpochVerifier::beginCall {
            publicValues: public_values.to_vec().into(),
            headers,
            proof: calldata.proof.to_vec().into(),
        }
        .abi_encode(),
    )];
    let id = session_id(owner, public_values, calldata.trace_root);
    for (i, batch) in calldata.batches.iter().enumerate() {
        calls.push((
            format!("batch {i}"),
            EpochVerifier::verifyQueriesCall {
                session: id,
                state: calldata.state.to_vec().into(),
                batch: batch.clone().into(),
            }
            .abi_encode(),
        ));
    }
    (id, calls)
}

/// The custom error (or panic) in revert data from the rollup, the gateway or the verifier.
pub fn decode_revert(data: &[u8]) -> Option<String> {
    use alloy::sol_types::SolInterface;
    if let Ok(e) = Rollup::RollupErrors::abi_decode(data) {
        return Some(format!("Rollup.{e:?}"));
    }
    if let Ok(e) = EpochVerifier::EpochVerifierErrors::abi_decode(data) {
        return Some(format!("EpochVerifier.{e:?}"));
    }
    if let Ok(e) = crate::bindings::VerifierGateway::VerifierGatewayErrors::abi_decode(data) {
        return Some(format!("VerifierGateway.{e:?}"));
    }
    None
}

/// Runs a whole session from `owner` (the provider's signer) against the `EpochVerifier` at
/// `verifier`, for the statement `public_values` (the rollup's ABI-encoded
/// `EpochPublicValues`) over `headers`.
pub async fn run_session<P: Provider>(
    provider: &P,
    verifier: Address,
    owner: Address,
    public_values: &[u8],
    headers: &[Rollup::CheckpointHeader],
    calldata: &SessionCalldata<'_>,
) -> Result<Session, SessionError> {
    let (id, calls) = session_calls(owner, public_values, headers, calldata);
    let mut costs = Vec::with_capacity(calls.len());
    for (step, input) in calls {
        costs.push(send(provider, owner, verifier, input, &step).await?);
    }
    info!(
        session = %id,
        txs = costs.len(),
        gas = costs.iter().map(|c| c.gas).sum::<u64>(),
        "epoch proof verified on L1"
    );
    Ok(Session {
        id,
        trace_root: calldata.trace_root,
        costs,
    })
}

/// The same header as the verifier's binding type.
pub fn to_verifier_header(h: &Rollup::CheckpointHeader) -> CheckpointHeader {
    CheckpointHeader {
        number: h.number,
        slot: h.slot,
        timestamp: h.timestamp,
        previousArchive: h.previousArchive,
        archive: h.archive,
        stateRoot: h.stateRoot,
        txCommitment: h.txCommitment,
        depositStart: h.depositStart,
        depositCount: h.depositCount,
        blockCount: h.blockCount,
        dataEvaluation: h.dataEvaluation,
    }
}
