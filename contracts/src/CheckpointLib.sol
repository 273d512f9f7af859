// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice What the sequencer posts for one checkpoint (one slot's worth of L2 blocks).
/// @dev The Rust side (`vouch-l1-contracts`) uses the generated binding of this struct; the
///      encodings below are mirrored there and pinned by shared test vectors.
struct CheckpointHeader {
    /// Checkpoint number: previous + 1, no gaps.
    uint64 number;
    /// L1 slot the checkpoint is proposed in; must be the current slot.
    uint64 slot;
    /// L2 timestamp of the checkpoint: the start of its slot.
    uint64 timestamp;
    /// Archive root of the previous checkpoint (the chain of L2 blocks before this one).
    bytes32 previousArchive;
    /// Archive root after this checkpoint's blocks.
    bytes32 archive;
    /// L2 state root after this checkpoint's blocks.
    bytes32 stateRoot;
    /// Commitment to the checkpoint's transactions (defined by the reference rollup).
    bytes32 txCommitment;
    /// Index of the first L1 deposit this checkpoint consumes; equals the rollup's cursor.
    uint64 depositStart;
    /// Number of deposits consumed, in queue order.
    uint64 depositCount;
    /// Number of L2 blocks in the checkpoint (at least one).
    uint32 blockCount;
}

/// @notice What the rollup keeps per checkpoint: everything an epoch proof must match.
struct StoredCheckpoint {
    uint64 slot;
    /// Deposit queue cursor after this checkpoint (restored on prune).
    uint64 depositEnd;
    bytes32 archive;
    bytes32 stateRoot;
    bytes32 txCommitment;
    /// keccak256 of the `propose` tx data, as posted.
    bytes32 txDataHash;
    /// `CheckpointLib.headerHash` of the header as posted.
    bytes32 headerHash;
}

/// @notice The statement an epoch proof proves, as the rollup computes it from storage.
struct EpochPublicValues {
    uint64 epoch;
    uint64 fromCheckpoint;
    uint64 toCheckpoint;
    /// Archive and state root of checkpoint `fromCheckpoint - 1` (the range's pre-state).
    bytes32 startArchive;
    bytes32 startStateRoot;
    /// Archive and state root of checkpoint `toCheckpoint`.
    bytes32 endArchive;
    bytes32 endStateRoot;
    /// Hash chain over the range's header hashes, see `CheckpointLib.chainHeaders`.
    bytes32 checkpointsHash;
}

/// @title CheckpointLib
/// @notice Canonical hashes of checkpoint headers and deposits, shared with the Rust node.
library CheckpointLib {
    /// @notice Content identity of a header: keccak256 of its ABI encoding.
    function headerHash(CheckpointHeader calldata header) internal pure returns (bytes32) {
        return keccak256(abi.encode(header));
    }

    /// @notice Extends the checkpoints hash chain: `keccak256(acc ‖ headerHash)`, starting at 0.
    function chainHeaders(bytes32 acc, bytes32 hdrHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(acc, hdrHash));
    }

    /// @notice Identity of a queued deposit: keccak256(index ‖ recipient ‖ amount), packed.
    function depositHash(uint64 index, address l2Recipient, uint64 amount) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(index, l2Recipient, amount));
    }
}
