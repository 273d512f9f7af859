// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {KoalaBear} from "./KoalaBear.sol";

/// @title KeccakTranscript
/// @notice The Fiat-Shamir transcript of the epoch proof, byte for byte as Plonky3's
///         `SerializingChallenger32<KoalaBear, HashChallenger<u8, Keccak256Hash, 32>>`:
///         - observing appends bytes to an input buffer (a field element as its *Montgomery*
///           form `v·2^32 mod p` in 4 little-endian bytes, which is what KoalaBear's
///           `to_unique_u32` returns; a digest as its 32 bytes) and discards unread output;
///         - sampling a byte pops the last unread byte of the output; when none is left the
///           output becomes `keccak256(input)` and the input restarts as that digest;
///         - a `u32` sample is 4 popped bytes read little-endian; a field sample keeps the low
///           31 bits and retries until below `p`; an extension sample is 8 field samples;
///         - a proof-of-work witness passes when, after one squeezed byte, observing it and
///           sampling leaves the requested low bits zero.
/// @dev The input buffer is preallocated with a capacity; observing past it reverts.
library KeccakTranscript {
    struct Transcript {
        /// Memory address of the input buffer.
        uint256 buf;
        /// Bytes in the input buffer.
        uint256 len;
        /// Capacity of the input buffer.
        uint256 cap;
        /// The current output block.
        bytes32 out;
        /// Unread bytes of `out` (read from the end).
        uint256 outLen;
    }

    error TranscriptFull(uint256 capacity);
    error NotCanonical(uint256 value);

    /// @notice A transcript with an empty initial state and room for `cap` input bytes.
    function init(uint256 cap) internal pure returns (Transcript memory t) {
        if (cap < 32) cap = 32;
        uint256 buf;
        assembly ("memory-safe") {
            buf := mload(0x40)
            mstore(0x40, add(buf, and(add(cap, 31), not(31))))
        }
        t.buf = buf;
        t.cap = cap;
    }

    function _reserve(Transcript memory t, uint256 n) private pure returns (uint256 at) {
        if (t.len + n > t.cap) revert TranscriptFull(t.cap);
        at = t.buf + t.len;
        t.len += n;
        t.outLen = 0;
    }

    /// @notice Observes a canonical base-field element.
    function observeField(Transcript memory t, uint256 value) internal pure {
        if (value >= KoalaBear.P) revert NotCanonical(value);
        uint256 at = _reserve(t, 4);
        value = mulmod(value, 1 << 32, KoalaBear.P);
        // Little-endian: byte i of the value at address at + i.
        uint256 le = ((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >> 8) & 0xff00) | (value >> 24);
        assembly ("memory-safe") {
            // Write 4 bytes without touching the bytes after them.
            let word := mload(at)
            mstore(at, or(and(word, not(shl(224, 0xffffffff))), shl(224, le)))
        }
    }

    /// @notice Observes the 8 coefficients of an extension element at memory `ptr`.
    function observeExt(Transcript memory t, uint256 ptr) internal pure {
        for (uint256 i; i < 8; i++) {
            uint256 v;
            assembly ("memory-safe") {
                v := mload(add(ptr, mul(i, 32)))
            }
            observeField(t, v);
        }
    }

    /// @notice Observes `len` raw bytes of calldata at `offset` (field elements already in
    ///         Plonky3's serialized form: Montgomery, 4 bytes little-endian).
    function observeCalldata(Transcript memory t, uint256 offset, uint256 len) internal pure {
        uint256 at = _reserve(t, len);
        assembly ("memory-safe") {
            calldatacopy(at, offset, len)
        }
    }

    /// @notice Observes a 32-byte digest (a Merkle root).
    function observeDigest(Transcript memory t, bytes32 digest) internal pure {
        uint256 at = _reserve(t, 32);
        assembly ("memory-safe") {
            mstore(at, digest)
        }
    }

    function _sampleByte(Transcript memory t) private pure returns (uint256 b) {
        if (t.outLen == 0) {
            uint256 buf = t.buf;
            uint256 len = t.len;
            bytes32 out;
            assembly ("memory-safe") {
                out := keccak256(buf, len)
                mstore(buf, out)
            }
            t.out = out;
            t.len = 32;
            t.outLen = 32;
        }
        t.outLen -= 1;
        b = uint8(t.out[t.outLen]);
    }

    /// @notice A `u32` from 4 sampled bytes, little-endian in sampling order.
    function sampleU32(Transcript memory t) internal pure returns (uint256 v) {
        v = _sampleByte(t);
        v |= _sampleByte(t) << 8;
        v |= _sampleByte(t) << 16;
        v |= _sampleByte(t) << 24;
    }

    /// @notice A uniformly sampled base-field element.
    function sampleField(Transcript memory t) internal pure returns (uint256 v) {
        while (true) {
            v = sampleU32(t) & 0x7fffffff;
            if (v < KoalaBear.P) return v;
        }
    }

    /// @notice Samples an extension element into memory `ptr`.
    function sampleExt(Transcript memory t, uint256 ptr) internal pure {
        for (uint256 i; i < 8; i++) {
            uint256 v = sampleField(t);
            assembly ("memory-safe") {
                mstore(add(ptr, mul(i, 32)), v)
            }
        }
    }

    /// @notice `bits` random bits (`bits` < 31).
    function sampleBits(Transcript memory t, uint256 bits) internal pure returns (uint256) {
        return sampleU32(t) & ((1 << bits) - 1);
    }

    /// @notice Whether `witness` is a valid `bits`-bit proof of work at this point; consumes
    ///         the transcript as the prover's check does.
    function checkWitness(Transcript memory t, uint256 bits, uint256 witness) internal pure returns (bool) {
        if (bits == 0) return true;
        _sampleByte(t);
        observeField(t, witness);
        return sampleBits(t, bits) == 0;
    }
}
