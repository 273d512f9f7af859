// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IVerifier
/// @notice Verifies an epoch proof against its ABI-encoded public values.
/// @dev `Rollup.submitEpochProof` computes the public values itself from the checkpoints it
///      stored and only then calls the verifier, so a verifier never has to trust the caller's
///      view of the chain. Not `view`: a verifier may keep state across the transactions of a
///      verification that is split to fit the per-transaction gas and calldata caps.
interface IVerifier {
    /// @return valid true when `proof` proves the statement committed to by `publicValues`.
    function verify(bytes calldata publicValues, bytes calldata proof) external returns (bool valid);
}
