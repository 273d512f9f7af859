//! Reading a deployed rollup's timing constants.

use crate::bindings::Rollup;
use alloy::primitives::Address;
use alloy::providers::Provider;
use vouch_primitives::{InvalidConstants, L1RollupConstants};

/// Why the constants of a rollup could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadConstantsError {
    /// No contract code at the given address.
    #[error("no contract deployed at {0}")]
    NoCode(Address),
    /// An RPC call failed.
    #[error("reading rollup constants from {address}: {source}")]
    Call {
        /// The rollup address.
        address: Address,
        /// The underlying error.
        #[source]
        source: alloy::contract::Error,
    },
    /// The transport failed.
    #[error("rpc error: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    /// The contract reported constants no rollup can run with.
    #[error("rollup at {address} has invalid constants: {source}")]
    Invalid {
        /// The rollup address.
        address: Address,
        /// What is wrong.
        #[source]
        source: InvalidConstants,
    },
}

/// Reads genesis time, slot/epoch durations and proof-submission epochs of the `Rollup` at
/// `address`. `l1_start_block` is the block to start following from (the deployment block).
pub async fn read_rollup_constants<P: Provider>(
    provider: &P,
    address: Address,
    l1_start_block: u64,
) -> Result<L1RollupConstants, ReadConstantsError> {
    if provider.get_code_at(address).await?.is_empty() {
        return Err(ReadConstantsError::NoCode(address));
    }
    let rollup = Rollup::new(address, provider);
    let call_err = |source| ReadConstantsError::Call { address, source };
    let constants = L1RollupConstants {
        l1_start_block,
        genesis_time: rollup.genesisTime().call().await.map_err(call_err)?,
        slot_duration: rollup.slotDuration().call().await.map_err(call_err)?,
        epoch_duration: rollup.epochDuration().call().await.map_err(call_err)?,
        proof_submission_epochs: rollup
            .proofSubmissionEpochs()
            .call()
            .await
            .map_err(call_err)?,
    };
    constants
        .validate()
        .map_err(|source| ReadConstantsError::Invalid { address, source })?;
    Ok(constants)
}
