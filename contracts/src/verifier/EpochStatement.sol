// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {CheckpointHeader, EpochPublicValues, CheckpointLib} from "../CheckpointLib.sol";
import {Poseidon2KoalaBear} from "./Poseidon2KoalaBear.sol";

/// @title EpochStatement
/// @notice Turns what the rollup commits to for an epoch proof (the ABI-encoded
///         `EpochPublicValues` of `Rollup.submitEpochProof`) plus the range's L1 headers into
///         the 66 public values of the epoch STARK, mirroring `EpochStatement::from_l1` and
///         `EpochStatement::public_values` of `vouch-prover`:
///         `[startStateRoot, startArchive, endStateRoot, endArchive, chain,
///         startDepositAccumulator, endDepositAccumulator]`, 8 field elements each (a digest's
///         big-endian u32 limbs, element 0 first), then the prover's address as ten 16-bit
///         limbs (least significant first), where
///         `chain = fold(0, chain -> compress(chain, CheckpointLib.sealDigest(header)))` over
///         the headers in order: every header field the rollup stored, and the tx data's evaluation
///         `propose` checked, enter the statement.
/// @dev The headers are bound to the values through `checkpointsHash` (the keccak chain of
///      `CheckpointLib.headerHash`), so once it matches the headers are the ones the rollup
///      stored; the remaining checks (numbering, archive chain, range end, canonical limbs)
///      are the ones the Rust side makes before it trusts a statement.
library EpochStatement {
    /// @notice No headers.
    error EmptyRange();
    /// @notice `headers.length` is not `toCheckpoint - fromCheckpoint + 1`.
    error HeaderCountMismatch(uint256 fromCheckpoint, uint256 toCheckpoint, uint256 headers);
    /// @notice Header `index` is not checkpoint `fromCheckpoint + index`.
    error WrongCheckpointNumber(uint256 index, uint256 expected, uint256 got);
    /// @notice Header `index` does not extend the previous archive (`startArchive` for the first).
    error ArchiveChainBroken(uint256 index, bytes32 expected, bytes32 got);
    /// @notice The keccak chain of the headers is not `checkpointsHash`.
    error CheckpointsHashMismatch(bytes32 expected, bytes32 computed);
    /// @notice The last header's archive or state root is not the range's end.
    error RangeEndMismatch();
    /// @notice A digest limb is not below the KoalaBear prime.
    error NonCanonicalDigest(bytes32 digest);

    /// @notice Number of STARK public values: seven digests of eight elements and the prover.
    uint256 internal constant NUM_PUBLIC_VALUES = 66;

    /// @notice The epoch STARK's public values for `epochPublicValues` (an ABI-encoded
    ///         `EpochPublicValues`) and the range's headers; reverts unless the headers are
    ///         exactly the range the values commit to.
    function publicValues(bytes calldata epochPublicValues, CheckpointHeader[] calldata headers)
        internal
        pure
        returns (uint256[NUM_PUBLIC_VALUES] memory pv)
    {
        EpochPublicValues memory v = abi.decode(epochPublicValues, (EpochPublicValues));
        uint256 n = headers.length;
        if (n == 0) revert EmptyRange();
        uint256 from = v.fromCheckpoint;
        if (v.toCheckpoint < from || v.toCheckpoint - from + 1 != n) {
            revert HeaderCountMismatch(from, v.toCheckpoint, n);
        }
        _requireCanonical(v.startStateRoot);
        _requireCanonical(v.startArchive);
        _requireCanonical(v.startDepositAccumulator);
        _requireCanonical(v.endDepositAccumulator);

        bytes32 acc;
        bytes32 chain;
        bytes32 previous = v.startArchive;
        for (uint256 i; i < n; i++) {
            CheckpointHeader calldata h = headers[i];
            if (h.number != from + i) revert WrongCheckpointNumber(i, from + i, h.number);
            if (h.previousArchive != previous) revert ArchiveChainBroken(i, previous, h.previousArchive);
            previous = h.archive;
            bytes32 txCommitment = h.txCommitment;
            bytes32 stateRoot = h.stateRoot;
            _requireCanonical(previous);
            _requireCanonical(stateRoot);
            _requireCanonical(txCommitment);
            _requireCanonical(h.dataEvaluation);
            acc = CheckpointLib.chainHeaders(acc, CheckpointLib.headerHash(h));
            chain = Poseidon2KoalaBear.compressCanonical(chain, CheckpointLib.sealDigest(h));
        }
        if (acc != v.checkpointsHash) revert CheckpointsHashMismatch(v.checkpointsHash, acc);
        CheckpointHeader calldata last = headers[n - 1];
        if (last.archive != v.endArchive || last.stateRoot != v.endStateRoot) revert RangeEndMismatch();

        _store(pv, 0, v.startStateRoot);
        _store(pv, 1, v.startArchive);
        _store(pv, 2, last.stateRoot);
        _store(pv, 3, last.archive);
        _store(pv, 4, chain);
        _store(pv, 5, v.startDepositAccumulator);
        _store(pv, 6, v.endDepositAccumulator);
        uint256 prover = uint256(uint160(v.prover));
        for (uint256 i; i < 10; i++) {
            pv[56 + i] = (prover >> (16 * i)) & 0xffff;
        }
    }

    function _requireCanonical(bytes32 digest) private pure {
        if (!Poseidon2KoalaBear.isCanonical(digest)) revert NonCanonicalDigest(digest);
    }

    /// @dev Writes `digest`'s eight limbs as public values `8 * slot .. 8 * slot + 7`.
    function _store(uint256[NUM_PUBLIC_VALUES] memory pv, uint256 slot, bytes32 digest) private pure {
        assembly ("memory-safe") {
            let ptr := add(pv, shl(8, slot))
            for { let i := 0 } lt(i, 8) { i := add(i, 1) } {
                mstore(add(ptr, shl(5, i)), and(shr(sub(224, shl(5, i)), digest), 0xffffffff))
            }
        }
    }
}
