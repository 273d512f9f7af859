// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

// forgefmt: disable-next-item
import {
    P2_RC_INITIAL_0_0, P2_RC_INITIAL_0_1, P2_RC_INITIAL_0_2, P2_RC_INITIAL_0_3,
    P2_RC_INITIAL_1_0, P2_RC_INITIAL_1_1, P2_RC_INITIAL_1_2, P2_RC_INITIAL_1_3,
    P2_RC_INITIAL_2_0, P2_RC_INITIAL_2_1, P2_RC_INITIAL_2_2, P2_RC_INITIAL_2_3,
    P2_RC_INITIAL_3_0, P2_RC_INITIAL_3_1, P2_RC_INITIAL_3_2, P2_RC_INITIAL_3_3,
    P2_RC_TERMINAL_0_0, P2_RC_TERMINAL_0_1, P2_RC_TERMINAL_0_2, P2_RC_TERMINAL_0_3,
    P2_RC_TERMINAL_1_0, P2_RC_TERMINAL_1_1, P2_RC_TERMINAL_1_2, P2_RC_TERMINAL_1_3,
    P2_RC_TERMINAL_2_0, P2_RC_TERMINAL_2_1, P2_RC_TERMINAL_2_2, P2_RC_TERMINAL_2_3,
    P2_RC_TERMINAL_3_0, P2_RC_TERMINAL_3_1, P2_RC_TERMINAL_3_2, P2_RC_TERMINAL_3_3,
    P2_RC_PARTIAL_0, P2_RC_PARTIAL_1, P2_RC_PARTIAL_2, P2_RC_PARTIAL_3, P2_RC_PARTIAL_4,
    P2_RC_PARTIAL_5, P2_RC_PARTIAL_6, P2_RC_PARTIAL_7, P2_RC_PARTIAL_8, P2_RC_PARTIAL_9,
    P2_RC_PARTIAL_10, P2_RC_PARTIAL_11, P2_RC_PARTIAL_12, P2_RC_PARTIAL_13, P2_RC_PARTIAL_14,
    P2_RC_PARTIAL_15, P2_RC_PARTIAL_16, P2_RC_PARTIAL_17, P2_RC_PARTIAL_18, P2_RC_PARTIAL_19,
    P2_DIAG_0, P2_DIAG_1, P2_DIAG_2, P2_DIAG_3, P2_DIAG_4, P2_DIAG_5, P2_DIAG_6, P2_DIAG_7,
    P2_DIAG_8, P2_DIAG_9, P2_DIAG_10, P2_DIAG_11, P2_DIAG_12, P2_DIAG_13, P2_DIAG_14, P2_DIAG_15
} from "./generated/Poseidon2Constants.sol";

/// @title Poseidon2KoalaBear
/// @notice The rollup's hash: Poseidon2 over KoalaBear (`p = 2^31 - 2^24 + 1`), width 16,
///         x^3 S-box, 4 + 4 full rounds and 20 partial rounds with Plonky3's default constants
///         (`p3_koala_bear::default_koalabear_poseidon2_16`, which `vouch_rollup::hash` uses).
///         `compress(l, r)` is the first 8 elements of `P(l ‖ r)`; a digest's `bytes32` form is
///         its 8 canonical elements as big-endian `u32`s, element 0 in the top bytes.
/// @dev How it is fast:
///      * Full rounds run on four stack words: word `k` holds the elements `k, k+4, k+8, k+12`
///        in 64-bit lanes (lane `j` = element `4j + k`). The external layer (the 4x4 MDS `M4`
///        on each block of four, then `state[i] += Σ_j state[4j + i % 4]`) is then additions of
///        whole words: `M4` on all four blocks at once, and the per-position sums are lane sums
///        broadcast back with one multiplication. Only the S-box unpacks lanes.
///      * Partial rounds stay packed too: element 0 is taken out for its S-box, the sum of all
///        16 elements is two folds of the sum of the words, and each lane is multiplied by its
///        entry of the internal diagonal with `mulmod`; no memory is touched.
///      * Reduction is lazy. An S-box output is canonical (< 2^31) and a partial round's lanes
///        are below 2p; the external layer multiplies bounds by at most 35, so lanes stay below
///        2^38, never carry into the next lane, and `x^3 < 2^117` needs a single `mod`.
///      * The 64-bit lane mask is passed around on the stack: the optimizer would otherwise
///        rebuild the constant with three opcodes at every use.
library Poseidon2KoalaBear {
    uint256 internal constant P = 0x7f000001;

    /// @notice A digest limb (32-bit big-endian element) is not below `p`.
    error NonCanonicalDigest(bytes32 digest);

    /// @notice Applies the permutation to `state` in place. Inputs are taken modulo `p`; the
    ///         outputs are canonical.
    function permute(uint256[16] memory state) internal pure {
        uint256 w0;
        uint256 w1;
        uint256 w2;
        uint256 w3;
        assembly ("memory-safe") {
            function pack(ptr) -> w {
                w := or(
                    or(mod(mload(ptr), P), shl(64, mod(mload(add(ptr, 128)), P))),
                    or(shl(128, mod(mload(add(ptr, 256)), P)), shl(192, mod(mload(add(ptr, 384)), P)))
                )
            }
            w0 := pack(state)
            w1 := pack(add(state, 32))
            w2 := pack(add(state, 64))
            w3 := pack(add(state, 96))
        }
        (w0, w1, w2, w3) = _permutePacked(w0, w1, w2, w3);
        assembly ("memory-safe") {
            function unpack(ptr, w) {
                let m := 0xffffffffffffffff
                mstore(ptr, mod(and(w, m), P))
                mstore(add(ptr, 128), mod(and(shr(64, w), m), P))
                mstore(add(ptr, 256), mod(and(shr(128, w), m), P))
                mstore(add(ptr, 384), mod(shr(192, w), P))
            }
            unpack(state, w0)
            unpack(add(state, 32), w1)
            unpack(add(state, 64), w2)
            unpack(add(state, 96), w3)
        }
    }

    /// @notice `truncate₈(P(left ‖ right))` on the digests' `bytes32` forms. Reverts with
    ///         `NonCanonicalDigest` when a limb of either input is not below `p`.
    function compress(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        if (!isCanonical(left)) revert NonCanonicalDigest(left);
        if (!isCanonical(right)) revert NonCanonicalDigest(right);
        return compressCanonical(left, right);
    }

    /// @notice `compress` for inputs the caller has already checked with `isCanonical`. It
    ///         hashes the limbs' residues, so without the check two encodings of one digest
    ///         would compress alike.
    function compressCanonical(bytes32 left, bytes32 right) internal pure returns (bytes32 out) {
        uint256 w0;
        uint256 w1;
        uint256 w2;
        uint256 w3;
        assembly ("memory-safe") {
            // Limb i of a digest sits at bit 224 - 32i. Element 4j + k goes to lane j of word k:
            // left's limbs k and 4 + k to lanes 0 and 1, right's to lanes 2 and 3.
            function lanes(l, r, shift) -> w {
                let m32 := 0xffffffff
                w := or(
                    or(and(shr(add(shift, 128), l), m32), shl(64, and(shr(shift, l), m32))),
                    or(shl(128, and(shr(add(shift, 128), r), m32)), shl(192, and(shr(shift, r), m32)))
                )
            }
            w0 := lanes(left, right, 96)
            w1 := lanes(left, right, 64)
            w2 := lanes(left, right, 32)
            w3 := lanes(left, right, 0)
        }
        (w0, w1, w2, w3) = _permutePacked(w0, w1, w2, w3);
        assembly ("memory-safe") {
            let m := 0xffffffffffffffff
            out := or(
                or(
                    or(shl(224, mod(and(w0, m), P)), shl(192, mod(and(w1, m), P))),
                    or(shl(160, mod(and(w2, m), P)), shl(128, mod(and(w3, m), P)))
                ),
                or(
                    or(shl(96, mod(and(shr(64, w0), m), P)), shl(64, mod(and(shr(64, w1), m), P))),
                    or(shl(32, mod(and(shr(64, w2), m), P)), mod(and(shr(64, w3), m), P))
                )
            )
        }
    }

    /// @notice Whether all eight 32-bit limbs of `digest` are below `p`.
    function isCanonical(bytes32 digest) internal pure returns (bool ok) {
        assembly ("memory-safe") {
            // Limbs 1, 3, 5, 7 and 0, 2, 4, 6 in the low halves of 64-bit lanes; adding
            // 2^32 - p carries into bit 32 of a lane exactly when its limb is >= p.
            let lo := 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff
            let bias := 0x0000000080ffffff0000000080ffffff0000000080ffffff0000000080ffffff
            let carry := 0x0000000100000000000000010000000000000001000000000000000100000000
            let odd := add(and(digest, lo), bias)
            let even := add(and(shr(32, digest), lo), bias)
            ok := iszero(and(or(odd, even), carry))
        }
    }

    /// @dev The permutation on the packed state (see the library docs). Input lanes must be
    ///      below 2^32; output lanes are below 2^38 and still to be reduced modulo `p`.
    function _permutePacked(uint256 w0, uint256 w1, uint256 w2, uint256 w3)
        private
        pure
        returns (uint256, uint256, uint256, uint256)
    {
        assembly ("memory-safe") {
            // x^3 mod p of each 64-bit lane (lanes below 2^85); `m` is the lane mask.
            function sbox4(w, m) -> r {
                let x0 := and(w, m)
                let x1 := and(shr(64, w), m)
                let x2 := and(shr(128, w), m)
                let x3 := shr(192, w)
                r := or(
                    or(mod(mul(mul(x0, x0), x0), P), shl(64, mod(mul(mul(x1, x1), x1), P))),
                    or(shl(128, mod(mul(mul(x2, x2), x2), P)), shl(192, mod(mul(mul(x3, x3), x3), P)))
                )
            }
            // The external linear layer: M4 on each block (Plonky3's `apply_mat4`), then the
            // circulant of blocks: the sum of a word's four lanes is added to each of its lanes.
            function external(a, b, c, d) -> y0, y1, y2, y3 {
                let t01 := add(a, b)
                let t23 := add(c, d)
                y0 := add(add(t01, t23), b) // x0 + 2x1 + x2 + x3
                y3 := add(add(t01, t23), d) // x0 + x1 + x2 + 2x3
                y1 := add(y0, add(c, c))
                y0 := add(y0, t01)
                y2 := add(y3, t23)
                y3 := add(y3, add(a, a))
                let m := 0xffffffffffffffff
                let h := add(y0, shr(128, y0))
                y0 := add(
                    y0,
                    mul(and(add(h, shr(64, h)), m), 0x0000000000000001000000000000000100000000000000010000000000000001)
                )
                h := add(y1, shr(128, y1))
                y1 := add(
                    y1,
                    mul(and(add(h, shr(64, h)), m), 0x0000000000000001000000000000000100000000000000010000000000000001)
                )
                h := add(y2, shr(128, y2))
                y2 := add(
                    y2,
                    mul(and(add(h, shr(64, h)), m), 0x0000000000000001000000000000000100000000000000010000000000000001)
                )
                h := add(y3, shr(128, y3))
                y3 := add(
                    y3,
                    mul(and(add(h, shr(64, h)), m), 0x0000000000000001000000000000000100000000000000010000000000000001)
                )
            }
            // One partial round; lane 0 of w0 already holds x_0 + rc. Element 0 gets the S-box,
            // then every element becomes `sum + d_i * x_i` (the internal layer `1 + diag(d)`),
            // with `sum` reduced and `d_i * x_i` by `mulmod`, so lanes come out below 2p.
            function partial(a, b, c, d, m) -> r0, r1, r2, r3 {
                {
                    let x := and(a, m)
                    a := or(xor(a, x), mod(mul(mul(x, x), x), P))
                }
                let t := add(add(a, b), add(c, d))
                t := add(t, shr(128, t))
                t := mul(
                    mod(and(add(t, shr(64, t)), m), P),
                    0x0000000000000001000000000000000100000000000000010000000000000001
                )
                r0 := add(
                    add(add(t, mulmod(and(a, m), P2_DIAG_0, P)), shl(64, mulmod(and(shr(64, a), m), P2_DIAG_4, P))),
                    add(
                        shl(128, mulmod(and(shr(128, a), m), P2_DIAG_8, P)),
                        shl(192, mulmod(shr(192, a), P2_DIAG_12, P))
                    )
                )
                r1 := add(
                    add(add(t, mulmod(and(b, m), P2_DIAG_1, P)), shl(64, mulmod(and(shr(64, b), m), P2_DIAG_5, P))),
                    add(
                        shl(128, mulmod(and(shr(128, b), m), P2_DIAG_9, P)),
                        shl(192, mulmod(shr(192, b), P2_DIAG_13, P))
                    )
                )
                r2 := add(
                    add(add(t, mulmod(and(c, m), P2_DIAG_2, P)), shl(64, mulmod(and(shr(64, c), m), P2_DIAG_6, P))),
                    add(
                        shl(128, mulmod(and(shr(128, c), m), P2_DIAG_10, P)),
                        shl(192, mulmod(shr(192, c), P2_DIAG_14, P))
                    )
                )
                r3 := add(
                    add(add(t, mulmod(and(d, m), P2_DIAG_3, P)), shl(64, mulmod(and(shr(64, d), m), P2_DIAG_7, P))),
                    add(
                        shl(128, mulmod(and(shr(128, d), m), P2_DIAG_11, P)),
                        shl(192, mulmod(shr(192, d), P2_DIAG_15, P))
                    )
                )
            }

            let m := 0xffffffffffffffff
            w0, w1, w2, w3 := external(w0, w1, w2, w3)
            w0, w1, w2, w3 :=
                external(
                sbox4(add(w0, P2_RC_INITIAL_0_0), m),
                sbox4(add(w1, P2_RC_INITIAL_0_1), m),
                sbox4(add(w2, P2_RC_INITIAL_0_2), m),
                sbox4(add(w3, P2_RC_INITIAL_0_3), m)
            )
            w0, w1, w2, w3 :=
                external(
                sbox4(add(w0, P2_RC_INITIAL_1_0), m),
                sbox4(add(w1, P2_RC_INITIAL_1_1), m),
                sbox4(add(w2, P2_RC_INITIAL_1_2), m),
                sbox4(add(w3, P2_RC_INITIAL_1_3), m)
            )
            w0, w1, w2, w3 :=
                external(
                sbox4(add(w0, P2_RC_INITIAL_2_0), m),
                sbox4(add(w1, P2_RC_INITIAL_2_1), m),
                sbox4(add(w2, P2_RC_INITIAL_2_2), m),
                sbox4(add(w3, P2_RC_INITIAL_2_3), m)
            )
            w0, w1, w2, w3 :=
                external(
                sbox4(add(w0, P2_RC_INITIAL_3_0), m),
                sbox4(add(w1, P2_RC_INITIAL_3_1), m),
                sbox4(add(w2, P2_RC_INITIAL_3_2), m),
                sbox4(add(w3, P2_RC_INITIAL_3_3), m)
            )

            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_0), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_1), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_2), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_3), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_4), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_5), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_6), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_7), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_8), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_9), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_10), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_11), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_12), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_13), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_14), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_15), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_16), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_17), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_18), w1, w2, w3, m)
            w0, w1, w2, w3 := partial(add(w0, P2_RC_PARTIAL_19), w1, w2, w3, m)

            w0, w1, w2, w3 :=
                external(
                sbox4(add(w0, P2_RC_TERMINAL_0_0), m),
                sbox4(add(w1, P2_RC_TERMINAL_0_1), m),
                sbox4(add(w2, P2_RC_TERMINAL_0_2), m),
                sbox4(add(w3, P2_RC_TERMINAL_0_3), m)
            )
            w0, w1, w2, w3 :=
                external(
                sbox4(add(w0, P2_RC_TERMINAL_1_0), m),
                sbox4(add(w1, P2_RC_TERMINAL_1_1), m),
                sbox4(add(w2, P2_RC_TERMINAL_1_2), m),
                sbox4(add(w3, P2_RC_TERMINAL_1_3), m)
            )
            w0, w1, w2, w3 :=
                external(
                sbox4(add(w0, P2_RC_TERMINAL_2_0), m),
                sbox4(add(w1, P2_RC_TERMINAL_2_1), m),
                sbox4(add(w2, P2_RC_TERMINAL_2_2), m),
                sbox4(add(w3, P2_RC_TERMINAL_2_3), m)
            )
            w0, w1, w2, w3 :=
                external(
                sbox4(add(w0, P2_RC_TERMINAL_3_0), m),
                sbox4(add(w1, P2_RC_TERMINAL_3_1), m),
                sbox4(add(w2, P2_RC_TERMINAL_3_2), m),
                sbox4(add(w3, P2_RC_TERMINAL_3_3), m)
            )
        }
        return (w0, w1, w2, w3);
    }
}
