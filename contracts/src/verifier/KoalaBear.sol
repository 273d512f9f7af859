// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title KoalaBear
/// @notice Arithmetic in the KoalaBear field `p = 2^31 - 2^24 + 1` and its degree-8 binomial
///         extension `F[X]/(X^8 - 3)` (Plonky3's `BinomialExtensionField<KoalaBear, 8>`), the
///         challenge field of the epoch proof, as `EpochVerifier` uses it.
/// @dev An extension element lives in memory as 4 words (128 bytes): word I holds
///      c_{2I} + c_{2I+1}·2^80, two 80-bit lanes, so a product is 16 `mul`s (Kronecker
///      substitution). Lanes are canonical (< p) unless a comment says otherwise ("unreduced"
///      after an addition or subtraction); the bounds each function needs are stated on it.
///      Functions take and write memory pointers, so a verifier keeps its temporaries in a
///      fixed scratch area.
library KoalaBear {
    uint256 internal constant P = 0x7f000001;
    /// @notice `W` of the extension: `X^8 = W`.
    uint256 internal constant W = 3;
    /// @notice `2^32 mod p`: canonical to Montgomery form.
    uint256 internal constant R = 0x01fffffe;
    // Frobenius twist: ω^i with ω = 3^((p-1)/8), for i = 0..7.
    uint256 internal constant FROB = 0x67b1c9b100feffff16cd01b77f000000174e36507e0100026832fe4a00000001;

    error InverseOfZero();

    /// @notice `base^e` in the base field.
    function pow(uint256 base, uint256 e) internal pure returns (uint256 r) {
        r = 1;
        assembly ("memory-safe") {
            for {} e { e := shr(1, e) } {
                if and(e, 1) { r := mulmod(r, base, P) }
                base := mulmod(base, base, P)
            }
        }
    }

    /// @notice `a^-1` in the base field (Fermat); reverts on zero.
    function inv(uint256 a) internal pure returns (uint256) {
        if (a % P == 0) revert InverseOfZero();
        return pow(a, P - 2);
    }

    /// A zeroed element.
    function extNew() internal pure returns (uint256 r) {
        assembly ("memory-safe") {
            r := mload(0x40)
            mstore(0x40, add(r, 128))
            calldatacopy(r, calldatasize(), 128)
        }
    }

    function extCopy(uint256 r, uint256 a) internal pure {
        assembly ("memory-safe") {
            mcopy(r, a, 128)
        }
    }

    function extSetOne(uint256 r) internal pure {
        assembly ("memory-safe") {
            mstore(r, 1)
            mstore(add(r, 32), 0)
            mstore(add(r, 64), 0)
            mstore(add(r, 96), 0)
        }
    }

    /// 8 canonical words at `e` (coefficient 0 first) → an element, in place (word I is
    /// written after words 2I and 2I+1 are read, and word I ≤ 2I was read before).
    function extFrom8(uint256 e) internal pure {
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, 128) { i := add(i, 32) } {
                let at := add(e, shl(1, i))
                mstore(add(e, i), or(mload(at), shl(80, mload(add(at, 32)))))
            }
        }
    }

    /// A packed word (8 big-endian u32, c0 first, canonical) → an element.
    function extFromPacked(uint256 r, uint256 w) internal pure {
        assembly ("memory-safe") {
            let m := 0xffffffff
            mstore(r, or(shr(224, w), shl(80, and(shr(192, w), m))))
            mstore(add(r, 32), or(and(shr(160, w), m), shl(80, and(shr(128, w), m))))
            mstore(add(r, 64), or(and(shr(96, w), m), shl(80, and(shr(64, w), m))))
            mstore(add(r, 96), or(and(shr(32, w), m), shl(80, and(w, m))))
        }
    }

    /// An element → a packed word (8 big-endian u32, c0 first).
    function extToPacked(uint256 a) internal pure returns (uint256 w) {
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, 4) { i := add(i, 1) } {
                let x := mload(add(a, shl(5, i)))
                let sh := sub(224, shl(6, i))
                w := or(w, or(shl(sh, and(x, 0xffffffffffffffffffff)), shl(sub(sh, 32), shr(80, x))))
            }
        }
    }

    /// An element → 32 bytes of Montgomery little-endian coefficients (as Plonky3 hashes it).
    function extToMont(uint256 a) internal pure returns (uint256 w) {
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, 4) { i := add(i, 1) } {
                let x := mload(add(a, shl(5, i)))
                let sh := sub(224, shl(6, i))
                w := or(
                    w,
                    or(
                        shl(sh, mulmod(and(x, 0xffffffffffffffffffff), R, P)),
                        shl(sub(sh, 32), mulmod(shr(80, x), R, P))
                    )
                )
            }
            let m8 := 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff
            w := or(and(shr(8, w), m8), shl(8, and(w, m8)))
            let m16 := 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff
            w := or(and(shr(16, w), m16), shl(16, and(w, m16)))
        }
    }

    /// `r = a·b` (`r` may alias either). Kronecker substitution: the product of words I and J
    /// has lanes at bits 0, 80, 160 holding c_{2I}d_{2J}, c_{2I}d_{2J+1} + c_{2I+1}d_{2J},
    /// c_{2I+1}d_{2J+1}; `u_S` sums the products with I + J ≡ S (mod 4), times 3 (X^8 = 3) when
    /// I + J ≥ 4, and lane 160 of `u_{S-1}` belongs to lane 0 of `u_S` (of `u_0`: ×3 again).
    /// Bound: with input lanes < 2^35 a result lane gathers at most 22 products below 2^70
    /// (lane 0 of `u_0`: 1 + 3·3 direct, 3·4 from `u_3`), below 2^75: lanes never carry.
    function extMul(uint256 r, uint256 a, uint256 b) internal pure {
        assembly ("memory-safe") {
            let u0
            let u1
            let u2
            let u3
            {
                let b0 := mload(b)
                let b1 := mload(add(b, 32))
                let b2 := mload(add(b, 64))
                let b3 := mload(add(b, 96))
                let x := mload(a)
                u0 := mul(x, b0)
                u1 := mul(x, b1)
                u2 := mul(x, b2)
                u3 := mul(x, b3)
                x := mload(add(a, 32))
                u1 := add(u1, mul(x, b0))
                u2 := add(u2, mul(x, b1))
                u3 := add(u3, mul(x, b2))
                u0 := add(u0, mul(mul(3, x), b3))
                x := mload(add(a, 64))
                u2 := add(u2, mul(x, b0))
                u3 := add(u3, mul(x, b1))
                x := mul(3, x)
                u0 := add(u0, mul(x, b2))
                u1 := add(u1, mul(x, b3))
                x := mload(add(a, 96))
                u3 := add(u3, mul(x, b0))
                x := mul(3, x)
                u0 := add(u0, mul(x, b1))
                u1 := add(u1, mul(x, b2))
                u2 := add(u2, mul(x, b3))
            }
            let lane := 0xffffffffffffffffffff
            let v := add(u3, shr(160, u2))
            mstore(add(r, 96), or(mod(and(v, lane), P), shl(80, mod(and(shr(80, v), lane), P))))
            v := add(u2, shr(160, u1))
            mstore(add(r, 64), or(mod(and(v, lane), P), shl(80, mod(and(shr(80, v), lane), P))))
            v := add(u1, shr(160, u0))
            mstore(add(r, 32), or(mod(and(v, lane), P), shl(80, mod(and(shr(80, v), lane), P))))
            v := add(u0, mul(3, shr(160, u3)))
            mstore(r, or(mod(and(v, lane), P), shl(80, mod(and(shr(80, v), lane), P))))
        }
    }

    /// `r = a·s` for a base-field `s`, reduced (`r` may alias `a`; lanes of `a` < 2^49).
    function extMulBase(uint256 r, uint256 a, uint256 s) internal pure {
        assembly ("memory-safe") {
            let lane := 0xffffffffffffffffffff
            let v := mul(mload(a), s)
            mstore(r, or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P))))
            v := mul(mload(add(a, 32)), s)
            mstore(add(r, 32), or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P))))
            v := mul(mload(add(a, 64)), s)
            mstore(add(r, 64), or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P))))
            v := mul(mload(add(a, 96)), s)
            mstore(add(r, 96), or(mod(and(v, lane), P), shl(80, mod(shr(80, v), P))))
        }
    }

    /// `r = a + b`, unreduced: lanes are the sums of the lanes.
    function extAdd(uint256 r, uint256 a, uint256 b) internal pure {
        assembly ("memory-safe") {
            mstore(r, add(mload(a), mload(b)))
            mstore(add(r, 32), add(mload(add(a, 32)), mload(add(b, 32))))
            mstore(add(r, 64), add(mload(add(a, 64)), mload(add(b, 64))))
            mstore(add(r, 96), add(mload(add(a, 96)), mload(add(b, 96))))
        }
    }

    /// `r = a - b`, unreduced: lanes `a + p - b` (`b` canonical).
    function extSub(uint256 r, uint256 a, uint256 b) internal pure {
        assembly ("memory-safe") {
            let pp := 0x7f0000010000000000007f000001 // p in both lanes
            mstore(r, add(mload(a), sub(pp, mload(b))))
            mstore(add(r, 32), add(mload(add(a, 32)), sub(pp, mload(add(b, 32)))))
            mstore(add(r, 64), add(mload(add(a, 64)), sub(pp, mload(add(b, 64)))))
            mstore(add(r, 96), add(mload(add(a, 96)), sub(pp, mload(add(b, 96)))))
        }
    }

    /// `r = a - v` for a base-field `v < p`.
    function extSubBase(uint256 r, uint256 a, uint256 v) internal pure {
        assembly ("memory-safe") {
            mcopy(r, a, 128)
            let w := mload(r)
            let lane := 0xffffffffffffffffffff
            mstore(r, or(and(w, not(lane)), addmod(and(w, lane), sub(P, v), P)))
        }
    }

    function extIsZero(uint256 a) internal pure returns (bool z) {
        assembly ("memory-safe") {
            z := iszero(or(or(mload(a), mload(add(a, 32))), or(mload(add(a, 64)), mload(add(a, 96)))))
        }
    }

    function extEq(uint256 a, uint256 b) internal pure returns (bool e) {
        assembly ("memory-safe") {
            e := and(
                and(eq(mload(a), mload(b)), eq(mload(add(a, 32)), mload(add(b, 32)))),
                and(eq(mload(add(a, 64)), mload(add(b, 64))), eq(mload(add(a, 96)), mload(add(b, 96))))
            )
        }
    }

    /// Frobenius `r = a^(p^k)`: coefficient `i` times `ω^(k·i)`.
    function extFrob(uint256 r, uint256 a, uint256 k) internal pure {
        assembly ("memory-safe") {
            let m := 0xffffffff
            for { let i := 0 } lt(i, 4) { i := add(i, 1) } {
                let x := mload(add(a, shl(5, i)))
                let t0 := and(shr(shl(5, mod(mul(k, shl(1, i)), 8)), FROB), m)
                let t1 := and(shr(shl(5, mod(mul(k, add(shl(1, i), 1)), 8)), FROB), m)
                mstore(
                    add(r, shl(5, i)),
                    or(mulmod(and(x, 0xffffffffffffffffffff), t0, P), shl(80, mulmod(shr(80, x), t1, P)))
                )
            }
        }
    }

    /// `r = a^-1` (`a` ≠ 0 canonical, `r` may alias it) through the norm: `u = a^(p + … + p^7)`,
    /// `N(a) = a·u ∈ F`, `a^-1 = u / N(a)`. Uses 512 bytes past the free memory pointer.
    function extInv(uint256 r, uint256 a) internal pure {
        uint256 f1;
        assembly ("memory-safe") {
            f1 := mload(0x40)
        }
        uint256 f12 = f1 + 128;
        uint256 u = f1 + 256;
        uint256 t = f1 + 384;
        extFrob(f1, a, 1);
        extFrob(t, f1, 1);
        extMul(f12, f1, t); // a^(p + p²)
        extFrob(t, f12, 2);
        extMul(u, f12, t); // a^(p + … + p⁴)
        extFrob(t, f12, 4);
        extMul(u, u, t); // a^(p + … + p⁶)
        extFrob(t, f1, 6);
        extMul(u, u, t); // a^(p + … + p⁷)
        uint256 norm;
        assembly ("memory-safe") {
            // N(a) = (a·u)_0 = a0·u0 + 3·Σ_{i≥1} a_i·u_{8-i}: 22 products below 2^62 at most.
            let lane := 0xffffffffffffffffffff
            let a0 := mload(a)
            let a1 := mload(add(a, 32))
            let a2 := mload(add(a, 64))
            let a3 := mload(add(a, 96))
            let u0 := mload(u)
            let u1 := mload(add(u, 32))
            let u2 := mload(add(u, 64))
            let u3 := mload(add(u, 96))
            let s :=
                add(
                    add(
                        add(mul(shr(80, a0), shr(80, u3)), mul(and(a1, lane), and(u3, lane))),
                        mul(shr(80, a1), shr(80, u2))
                    ),
                    add(
                        add(mul(and(a2, lane), and(u2, lane)), mul(shr(80, a2), shr(80, u1))),
                        add(mul(and(a3, lane), and(u1, lane)), mul(shr(80, a3), shr(80, u0)))
                    )
                )
            norm := mod(add(mul(and(a0, lane), and(u0, lane)), mul(3, s)), P)
        }
        if (norm == 0) revert InverseOfZero();
        extMulBase(r, u, pow(norm, P - 2));
    }
}
