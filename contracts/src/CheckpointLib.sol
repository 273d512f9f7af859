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
    /// `(z, P(z))`: the tx data's evaluation at the point derived from it and the tx
    /// commitment, see `CheckpointLib.dataEvaluation`. Eight field elements, packed like a digest.
    bytes32 dataEvaluation;
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
    ///         `compress(compress(compress(txCommitment, stateRoot), compress(archive, meta)),
    ///         dataEvaluation)` with
    ///         `meta = [number, slot, timestamp mod 2^16, timestamp >> 16, depositStart,
    ///         depositCount, blockCount, 0]` (each reduced modulo p). The digests must be
    ///         canonical (the caller checks).
    function sealDigest(CheckpointHeader calldata h) internal pure returns (bytes32) {
        uint256 meta = ((uint256(h.number) % P) << 224) | ((uint256(h.slot) % P) << 192)
            | (uint256(h.timestamp & 0xffff) << 160) | (((uint256(h.timestamp) >> 16) % P) << 128)
            | ((uint256(h.depositStart) % P) << 96) | ((uint256(h.depositCount) % P) << 64)
            | (uint256(h.blockCount) << 32);
        return Poseidon2KoalaBear.compressCanonical(
            Poseidon2KoalaBear.compressCanonical(
                Poseidon2KoalaBear.compressCanonical(h.txCommitment, h.stateRoot),
                Poseidon2KoalaBear.compressCanonical(h.archive, bytes32(meta))
            ),
            h.dataEvaluation
        );
    }

    /// @notice `txData` does not have the reference rollup's calldata format (version 1): the
    ///         byte `offset` where it went wrong and why.
    error MalformedTxData(uint256 offset, string reason);

    uint256 internal constant CALLDATA_VERSION = 1;
    uint256 internal constant TRANSFER_BYTES = 93;
    uint256 internal constant MAX_NONCE = (1 << 30) - 1;

    /// @notice The data evaluation of a checkpoint, mirroring `vouch_rollup::data`: the
    ///         polynomial whose coefficients are the records the epoch circuit absorbs (minus
    ///         deposits), read from `txData` — per record 14 elements: the header
    ///         `[1, fee_lo, fee_hi, 0…]`, each transfer `[3, from_lo, from_hi, to_lo, to_hi,
    ///         amount (4 limbs), fee (4 limbs), nonce]`, each block's closing `[4, deposits,
    ///         transfers, 0…]` (16-bit limbs, least significant first) — evaluated by Horner
    ///         over `F[X]/(X^4 - 3)` at `z = keccak256(txDataHash ‖ txCommitment)` (four
    ///         big-endian 64-bit words, each reduced mod p). Returns `[z0..z3, v0..v3]` packed
    ///         like a digest. Reverts `MalformedTxData` unless `txData` decodes exactly as the
    ///         node decodes it, with `blockCount` blocks consuming `depositCount` deposits.
    function dataEvaluation(
        bytes memory txData,
        bytes32 txDataHash,
        bytes32 txCommitment,
        uint256 blockCount,
        uint256 depositCount
    ) internal pure returns (bytes32) {
        uint256 z = _dataPoint(txDataHash, txCommitment);
        uint256 pw = _powers(z);
        uint256 acc = _header(txData, pw, blockCount);
        uint256 at = 7;
        uint256 deposits;
        for (uint256 b; b < blockCount; b++) {
            uint256 blockDeposits;
            (acc, at, blockDeposits) = _block(txData, pw, acc, at);
            deposits += blockDeposits;
        }
        if (at != txData.length) revert MalformedTxData(at, "trailing bytes");
        if (deposits != depositCount) revert MalformedTxData(7, "deposit count differs from the header");
        uint256 out;
        for (uint256 i; i < 4; i++) {
            out |= ((z >> (64 * i)) & 0xffffffff) << (224 - 32 * i);
            out |= ((acc >> (64 * i)) & 0xffffffff) << (96 - 32 * i);
        }
        return bytes32(out);
    }

    /// @dev `z` as four 64-bit lanes, coordinate 0 lowest.
    function _dataPoint(bytes32 txDataHash, bytes32 txCommitment) private pure returns (uint256) {
        uint256 h = uint256(keccak256(abi.encodePacked(txDataHash, txCommitment)));
        uint256 m = type(uint64).max;
        return ((h >> 192) % P) | ((((h >> 128) & m) % P) << 64) | ((((h >> 64) & m) % P) << 128)
            | (((h & m) % P) << 192);
    }

    /// @dev Checks the 7-byte prefix `version ‖ fee account ‖ block count`; the header
    ///      record's coefficients from zero.
    function _header(bytes memory txData, uint256 pw, uint256 blockCount) private pure returns (uint256) {
        if (txData.length < 7) revert MalformedTxData(txData.length, "truncated header");
        uint256 word = _load(txData, 0);
        if (word >> 248 != CALLDATA_VERSION) revert MalformedTxData(0, "unknown version");
        if ((word >> 200) & 0xffff != blockCount) revert MalformedTxData(5, "block count differs from the header");
        uint256 fee = (word >> 216) & 0xffffffff;
        return _short(0, pw, 1, fee & 0xffff, fee >> 16);
    }

    /// @dev One block at `at`: its transfers' records and its closing record.
    function _block(bytes memory txData, uint256 pw, uint256 acc, uint256 at)
        private
        pure
        returns (uint256, uint256, uint256 deposits)
    {
        if (at + 4 > txData.length) revert MalformedTxData(at, "truncated block");
        uint256 word = _load(txData, at);
        deposits = word >> 240;
        uint256 txs = (word >> 224) & 0xffff;
        at += 4;
        if (at + txs * TRANSFER_BYTES > txData.length) revert MalformedTxData(at, "truncated transfers");
        uint256 end = at + txs * TRANSFER_BYTES;
        // In bounds: `end <= txData.length` was checked above.
        while (at < end) {
            uint256 parity;
            assembly ("memory-safe") {
                let p := add(add(txData, 32), at)
                word := mload(p)
                parity := byte(0, mload(add(p, 92)))
            }
            if ((word >> 32) & 0xffffffff > MAX_NONCE) revert MalformedTxData(at + 24, "nonce too large");
            if (parity > 1) revert MalformedTxData(at + 92, "bad signature parity");
            acc = _transfer(acc, pw, word);
            unchecked {
                at += TRANSFER_BYTES;
            }
        }
        acc = _short(acc, pw, 4, deposits, txs);
        return (acc, at, deposits);
    }

    /// @dev The 32 bytes of `data` from `at` (zero past the end).
    function _load(bytes memory data, uint256 at) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(data, 32), at))
        }
        uint256 avail = data.length - at;
        if (avail < 32) w &= ~(type(uint256).max >> (8 * avail));
    }

    /// @dev One record with coefficients `[c0, c1, c2, 0…]` (header, block): `acc·z^14 +
    ///      c0·z^13 + c1·z^12 + c2·z^11`.
    function _short(uint256 acc, uint256 pw, uint256 c0, uint256 c1, uint256 c2) private pure returns (uint256) {
        (uint256 even, uint256 odd) = _timesZ14(acc, pw);
        assembly ("memory-safe") {
            let k := add(pw, 1792)
            even := add(even, add(mul(c0, mload(add(k, 768))), add(mul(c1, mload(add(k, 704))), mul(c2, mload(add(k, 640))))))
            odd := add(odd, add(mul(c0, mload(add(k, 800))), add(mul(c1, mload(add(k, 736))), mul(c2, mload(add(k, 672))))))
        }
        return _reduce(even, odd);
    }

    /// @dev One transfer record from its first 32 encoded bytes (`from u32 ‖ to u32 ‖ amount
    ///      u64 ‖ fee u64 ‖ nonce u32 ‖ …`): `acc·z^14 + Σ c_i·z^(13-i)` over `[3, from_lo,
    ///      from_hi, to_lo, to_hi, amount (4 limbs), fee (4 limbs), nonce]`.
    function _transfer(uint256 acc, uint256 pw, uint256 word) private pure returns (uint256) {
        (uint256 even, uint256 odd) = _timesZ14(acc, pw);
        assembly ("memory-safe") {
            let k := add(pw, 1792)
            let c
            c := 3
            even := add(even, mul(c, mload(add(k, 768))))
            odd := add(odd, mul(c, mload(add(k, 800))))
            c := and(shr(224, word), 0xffff)
            even := add(even, mul(c, mload(add(k, 704))))
            odd := add(odd, mul(c, mload(add(k, 736))))
            c := shr(240, word)
            even := add(even, mul(c, mload(add(k, 640))))
            odd := add(odd, mul(c, mload(add(k, 672))))
            c := and(shr(192, word), 0xffff)
            even := add(even, mul(c, mload(add(k, 576))))
            odd := add(odd, mul(c, mload(add(k, 608))))
            c := and(shr(208, word), 0xffff)
            even := add(even, mul(c, mload(add(k, 512))))
            odd := add(odd, mul(c, mload(add(k, 544))))
            c := and(shr(128, word), 0xffff)
            even := add(even, mul(c, mload(add(k, 448))))
            odd := add(odd, mul(c, mload(add(k, 480))))
            c := and(shr(144, word), 0xffff)
            even := add(even, mul(c, mload(add(k, 384))))
            odd := add(odd, mul(c, mload(add(k, 416))))
            c := and(shr(160, word), 0xffff)
            even := add(even, mul(c, mload(add(k, 320))))
            odd := add(odd, mul(c, mload(add(k, 352))))
            c := and(shr(176, word), 0xffff)
            even := add(even, mul(c, mload(add(k, 256))))
            odd := add(odd, mul(c, mload(add(k, 288))))
            c := and(shr(64, word), 0xffff)
            even := add(even, mul(c, mload(add(k, 192))))
            odd := add(odd, mul(c, mload(add(k, 224))))
            c := and(shr(80, word), 0xffff)
            even := add(even, mul(c, mload(add(k, 128))))
            odd := add(odd, mul(c, mload(add(k, 160))))
            c := and(shr(96, word), 0xffff)
            even := add(even, mul(c, mload(add(k, 64))))
            odd := add(odd, mul(c, mload(add(k, 96))))
            c := and(shr(112, word), 0xffff)
            even := add(even, mul(c, mload(add(k, 0))))
            odd := add(odd, mul(c, mload(add(k, 32))))
            even := add(even, and(shr(32, word), 0xffffffff))
        }
        return _reduce(even, odd);
    }

    /// @dev The powers of `z` in fresh memory: `z^1..z^14` unpacked (power `j`'s coordinate
    ///      `k` at `pw + 128·(j-1) + 32·k`), and `z^1..z^13` packed for one-`mul` products by a
    ///      coefficient (`c0 | c2 << 128`, `c1 | c3 << 128` at `pw + 1792 + 64·(j-1)`). All
    ///      canonical. `z` is four 64-bit lanes, coordinate 0 lowest.
    function _powers(uint256 z) private pure returns (uint256 pw) {
        assembly ("memory-safe") {
            pw := mload(0x40)
            mstore(0x40, add(pw, 2624))
            let z0 := and(z, 0xffffffffffffffff)
            let z1 := and(shr(64, z), 0xffffffffffffffff)
            let z2 := and(shr(128, z), 0xffffffffffffffff)
            let z3 := shr(192, z)
            mstore(pw, z0)
            mstore(add(pw, 32), z1)
            mstore(add(pw, 64), z2)
            mstore(add(pw, 96), z3)
            for { let q := pw } lt(q, add(pw, 1664)) { q := add(q, 128) } {
                let a0 := mload(q)
                let a1 := mload(add(q, 32))
                let a2 := mload(add(q, 64))
                let a3 := mload(add(q, 96))
                mstore(add(q, 128), mod(add(mul(a0, z0), mul(3, add(add(mul(a1, z3), mul(a2, z2)), mul(a3, z1)))), P))
                mstore(add(q, 160), mod(add(add(mul(a0, z1), mul(a1, z0)), mul(3, add(mul(a2, z3), mul(a3, z2)))), P))
                mstore(add(q, 192), mod(add(add(add(mul(a0, z2), mul(a1, z1)), mul(a2, z0)), mul(3, mul(a3, z3))), P))
                mstore(add(q, 224), mod(add(add(mul(a0, z3), mul(a1, z2)), add(mul(a2, z1), mul(a3, z0))), P))
            }
            for { let j := 0 } lt(j, 13) { j := add(j, 1) } {
                let q := add(pw, shl(7, j))
                let k := add(add(pw, 1792), shl(6, j))
                mstore(k, or(mload(q), shl(128, mload(add(q, 64)))))
                mstore(add(k, 32), or(mload(add(q, 32)), shl(128, mload(add(q, 96)))))
            }
        }
    }

    /// @dev `acc·z^14` as two words of two 128-bit lanes (`even`: coordinates 0 and 2, `odd`:
    ///      1 and 3), unreduced. `acc` is four canonical 64-bit lanes. A lane gathers 4
    ///      products times at most 3 (< 2^66) here and at most 13 products below 2^63 more from
    ///      the record's coefficients, so no lane reaches 2^128.
    function _timesZ14(uint256 acc, uint256 pw) private pure returns (uint256 even, uint256 odd) {
        assembly ("memory-safe") {
            let a0 := and(acc, 0xffffffffffffffff)
            let a1 := and(shr(64, acc), 0xffffffffffffffff)
            let a2 := and(shr(128, acc), 0xffffffffffffffff)
            let a3 := shr(192, acc)
            let q := add(pw, 1664)
            let w0 := mload(q)
            let w1 := mload(add(q, 32))
            let w2 := mload(add(q, 64))
            let w3 := mload(add(q, 96))
            even := add(
                add(mul(a0, w0), mul(3, add(add(mul(a1, w3), mul(a2, w2)), mul(a3, w1)))),
                shl(128, add(add(add(mul(a0, w2), mul(a1, w1)), mul(a2, w0)), mul(3, mul(a3, w3))))
            )
            odd := add(
                add(add(mul(a0, w1), mul(a1, w0)), mul(3, add(mul(a2, w3), mul(a3, w2)))),
                shl(128, add(add(mul(a0, w3), mul(a1, w2)), add(mul(a2, w1), mul(a3, w0))))
            )
        }
    }

    /// @dev Two words of 128-bit lanes (`_timesZ14`) → four canonical 64-bit lanes.
    function _reduce(uint256 even, uint256 odd) private pure returns (uint256 r) {
        assembly ("memory-safe") {
            let m := 0xffffffffffffffffffffffffffffffff
            r := or(
                or(mod(and(even, m), P), shl(64, mod(and(odd, m), P))),
                or(shl(128, mod(shr(128, even), P)), shl(192, mod(shr(128, odd), P)))
            )
        }
    }

    /// @notice Identity of a queued deposit: keccak256(index ‖ recipient ‖ amount), packed.
    function depositHash(uint64 index, address l2Recipient, uint64 amount) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(index, l2Recipient, amount));
    }
}
