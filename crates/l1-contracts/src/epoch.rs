//! The statement of an epoch proof as the `Rollup` contract computes it
//! (`Rollup.epochPublicValues`, `CheckpointLib.headerHash` / `chainHeaders`), mirrored here and
//! pinned against the contract by the shared vector `contracts/test/EpochVector.t.sol`.

use crate::bindings::Rollup::CheckpointHeader;
use alloy::primitives::{Address, B256, keccak256};
use alloy::sol_types::SolValue;

alloy::sol! {
    /// `EpochPublicValues` of `contracts/src/CheckpointLib.sol`.
    #[derive(Debug, PartialEq, Eq)]
    struct EpochPublicValues {
        uint64 epoch;
        uint64 fromCheckpoint;
        uint64 toCheckpoint;
        bytes32 startArchive;
        bytes32 startStateRoot;
        bytes32 endArchive;
        bytes32 endStateRoot;
        bytes32 checkpointsHash;
        bytes32 startDepositAccumulator;
        bytes32 endDepositAccumulator;
        address prover;
    }
}

/// `CheckpointLib.headerHash`: keccak256 of the header's ABI encoding.
pub fn header_hash(header: &CheckpointHeader) -> B256 {
    keccak256(header.abi_encode())
}

/// `CheckpointLib.chainHeaders` folded over `headers`, starting at zero.
pub fn checkpoints_hash<'a>(headers: impl IntoIterator<Item = &'a CheckpointHeader>) -> B256 {
    headers.into_iter().fold(B256::ZERO, |acc, h| {
        keccak256([acc.as_slice(), header_hash(h).as_slice()].concat())
    })
}

impl EpochPublicValues {
    /// What the contract computes for `headers` (consecutive, at least one) of `epoch` proven
    /// by `prover`, given the archive and state root of the checkpoint before them and the
    /// deposit accumulator before and after the range's deposits.
    pub fn compute(
        epoch: u64,
        start_archive: B256,
        start_state_root: B256,
        deposit_accumulators: (B256, B256),
        headers: &[CheckpointHeader],
        prover: Address,
    ) -> Option<Self> {
        let (first, last) = (headers.first()?, headers.last()?);
        Some(Self {
            epoch,
            fromCheckpoint: first.number,
            toCheckpoint: last.number,
            startArchive: start_archive,
            startStateRoot: start_state_root,
            endArchive: last.archive,
            endStateRoot: last.stateRoot,
            checkpointsHash: checkpoints_hash(headers),
            startDepositAccumulator: deposit_accumulators.0,
            endDepositAccumulator: deposit_accumulators.1,
            prover,
        })
    }

    /// The bytes `submitEpochProof` takes as `publicValues` (`abi.encode(values)`).
    pub fn encode(&self) -> Vec<u8> {
        self.abi_encode()
    }

    /// Decodes [`Self::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, alloy::sol_types::Error> {
        <Self as SolValue>::abi_decode(bytes)
    }
}
