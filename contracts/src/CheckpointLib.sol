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
    /// The deposit accumulator before the range's first deposit and after its last one
    /// (`CheckpointLib.accumulateDeposit`; zero before deposit 0).
    bytes32 startDepositAccumulator;
    bytes32 endDepositAccumulator;
    /// Who submits the proof and is credited: the proof names it, so a copy earns nothing.
    address prover;
}

import {Poseidon2KoalaBear} from "./verifier/Poseidon2KoalaBear.sol";

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

    /// @notice KoalaBear's prime: header integers enter Poseidon2 reduced modulo it.
    uint256 internal constant P = 0x7f000001;
    /// @notice Record tag of a deposit (`vouch_rollup::checkpoint::record_tag::DEPOSIT`).
    uint256 internal constant DEPOSIT_TAG = 2;

    /// @notice The deposit accumulator after one more deposit, mirroring
    ///         `vouch_rollup::checkpoint::accumulate_deposit`:
    ///         `compress(acc, compress(record[0..8], record[8..16]))` over the deposit's record
    ///         `[2, index, recipient as ten 16-bit limbs, amount as four 16-bit limbs]` (least
    ///         significant limb first), which the epoch circuit absorbs for each deposit it applies.
    function accumulateDeposit(bytes32 acc, uint64 index, address l2Recipient, uint64 amount)
        internal
        pure
        returns (bytes32)
    {
        uint256 r = uint256(uint160(l2Recipient));
        uint256 lo = (DEPOSIT_TAG << 224) | ((uint256(index) % P) << 192);
        for (uint256 i; i < 6; i++) {
            lo |= ((r >> (16 * i)) & 0xffff) << (160 - 32 * i);
        }
        uint256 hi;
        for (uint256 i = 6; i < 10; i++) {
            hi |= ((r >> (16 * i)) & 0xffff) << (224 - 32 * (i - 6));
        }
        for (uint256 i; i < 4; i++) {
            hi |= ((uint256(amount) >> (16 * i)) & 0xffff) << (96 - 32 * i);
        }
        return Poseidon2KoalaBear.compressCanonical(
            acc, Poseidon2KoalaBear.compressCanonical(bytes32(lo), bytes32(hi))
        );
    }

    /// @notice The digest an epoch proof's checkpoint chain absorbs for `header`, mirroring
    ///         `vouch_rollup::checkpoint::SealedCheckpoint::digest`:
    ///         `compress(compress(txCommitment, stateRoot), compress(archive, meta))` with
    ///         `meta = [number, slot, timestamp mod 2^16, timestamp >> 16, depositStart,
    ///         depositCount, blockCount, 0]` (each reduced modulo p). The digests must be
    ///         canonical (the caller checks).
    function sealDigest(CheckpointHeader calldata h) internal pure returns (bytes32) {
        uint256 meta = ((uint256(h.number) % P) << 224) | ((uint256(h.slot) % P) << 192)
            | (uint256(h.timestamp & 0xffff) << 160) | (((uint256(h.timestamp) >> 16) % P) << 128)
            | ((uint256(h.depositStart) % P) << 96) | ((uint256(h.depositCount) % P) << 64)
            | (uint256(h.blockCount) << 32);
        return Poseidon2KoalaBear.compressCanonical(
            Poseidon2KoalaBear.compressCanonical(h.txCommitment, h.stateRoot),
            Poseidon2KoalaBear.compressCanonical(h.archive, bytes32(meta))
        );
    }

    /// @notice Identity of a queued deposit: keccak256(index ‖ recipient ‖ amount), packed.
    function depositHash(uint64 index, address l2Recipient, uint64 amount) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(index, l2Recipient, amount));
    }
}
