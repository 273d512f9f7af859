// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title KoalaBear
/// @notice Arithmetic in the KoalaBear field `p = 2^31 - 2^24 + 1` and its degree-8 binomial
///         extension `F[x]/(x^8 - 3)` (Plonky3's `BinomialExtensionField<KoalaBear, 8>`), the
///         challenge field of the epoch proof. Extension elements live in memory as 8 words
///         (coefficient of x^0 first), each a canonical value below `p`; functions take and write
///         memory pointers so a verifier can keep its temporaries in a fixed scratch area.
/// @dev Products of two canonical values are below 2^62, so a whole coefficient of an
///      extension product is accumulated with plain `mul`/`add` and reduced once; the
///      multiplication keeps half of `b` on the stack at a time.
library KoalaBear {
    uint256 internal constant P = 0x7f000001;
    /// @notice `W` of the extension: `x^8 = W`.
    uint256 internal constant W = 3;

    /// @notice `r = a * b` in the extension (`r` may alias neither input).
    function extMul(uint256 a, uint256 b, uint256 r) internal pure {
        assembly ("memory-safe") {
            {
                let b0 := mload(add(b, 0))
                let b1 := mload(add(b, 32))
                let b2 := mload(add(b, 64))
                let b3 := mload(add(b, 96))
                mstore(
                    add(r, 0),
                    add(
                        mul(mload(add(a, 0)), b0),
                        mul(
                            3,
                            add(
                                add(mul(mload(add(a, 160)), b3), mul(mload(add(a, 192)), b2)),
                                mul(mload(add(a, 224)), b1)
                            )
                        )
                    )
                )
                mstore(
                    add(r, 32),
                    add(
                        add(mul(mload(add(a, 0)), b1), mul(mload(add(a, 32)), b0)),
                        mul(3, add(mul(mload(add(a, 192)), b3), mul(mload(add(a, 224)), b2)))
                    )
                )
                mstore(
                    add(r, 64),
                    add(
                        add(add(mul(mload(add(a, 0)), b2), mul(mload(add(a, 32)), b1)), mul(mload(add(a, 64)), b0)),
                        mul(3, mul(mload(add(a, 224)), b3))
                    )
                )
                mstore(
                    add(r, 96),
                    add(
                        add(add(mul(mload(add(a, 0)), b3), mul(mload(add(a, 32)), b2)), mul(mload(add(a, 64)), b1)),
                        mul(mload(add(a, 96)), b0)
                    )
                )
                mstore(
                    add(r, 128),
                    add(
                        add(add(mul(mload(add(a, 32)), b3), mul(mload(add(a, 64)), b2)), mul(mload(add(a, 96)), b1)),
                        mul(mload(add(a, 128)), b0)
                    )
                )
                mstore(
                    add(r, 160),
                    add(
                        add(add(mul(mload(add(a, 64)), b3), mul(mload(add(a, 96)), b2)), mul(mload(add(a, 128)), b1)),
                        mul(mload(add(a, 160)), b0)
                    )
                )
                mstore(
                    add(r, 192),
                    add(
                        add(add(mul(mload(add(a, 96)), b3), mul(mload(add(a, 128)), b2)), mul(mload(add(a, 160)), b1)),
                        mul(mload(add(a, 192)), b0)
                    )
                )
                mstore(
                    add(r, 224),
                    add(
                        add(add(mul(mload(add(a, 128)), b3), mul(mload(add(a, 160)), b2)), mul(mload(add(a, 192)), b1)),
                        mul(mload(add(a, 224)), b0)
                    )
                )
            }
            {
                let b0 := mload(add(b, 128))
                let b1 := mload(add(b, 160))
                let b2 := mload(add(b, 192))
                let b3 := mload(add(b, 224))
                mstore(
                    add(r, 0),
                    mod(
                        add(
                            mload(add(r, 0)),
                            mul(
                                3,
                                add(
                                    add(
                                        add(mul(mload(add(a, 32)), b3), mul(mload(add(a, 64)), b2)),
                                        mul(mload(add(a, 96)), b1)
                                    ),
                                    mul(mload(add(a, 128)), b0)
                                )
                            )
                        ),
                        P
                    )
                )
                mstore(
                    add(r, 32),
                    mod(
                        add(
                            mload(add(r, 32)),
                            mul(
                                3,
                                add(
                                    add(
                                        add(mul(mload(add(a, 64)), b3), mul(mload(add(a, 96)), b2)),
                                        mul(mload(add(a, 128)), b1)
                                    ),
                                    mul(mload(add(a, 160)), b0)
                                )
                            )
                        ),
                        P
                    )
                )
                mstore(
                    add(r, 64),
                    mod(
                        add(
                            mload(add(r, 64)),
                            mul(
                                3,
                                add(
                                    add(
                                        add(mul(mload(add(a, 96)), b3), mul(mload(add(a, 128)), b2)),
                                        mul(mload(add(a, 160)), b1)
                                    ),
                                    mul(mload(add(a, 192)), b0)
                                )
                            )
                        ),
                        P
                    )
                )
                mstore(
                    add(r, 96),
                    mod(
                        add(
                            mload(add(r, 96)),
                            mul(
                                3,
                                add(
                                    add(
                                        add(mul(mload(add(a, 128)), b3), mul(mload(add(a, 160)), b2)),
                                        mul(mload(add(a, 192)), b1)
                                    ),
                                    mul(mload(add(a, 224)), b0)
                                )
                            )
                        ),
                        P
                    )
                )
                mstore(
                    add(r, 128),
                    mod(
                        add(
                            mload(add(r, 128)),
                            add(
                                mul(mload(add(a, 0)), b0),
                                mul(
                                    3,
                                    add(
                                        add(mul(mload(add(a, 160)), b3), mul(mload(add(a, 192)), b2)),
                                        mul(mload(add(a, 224)), b1)
                                    )
                                )
                            )
                        ),
                        P
                    )
                )
                mstore(
                    add(r, 160),
                    mod(
                        add(
                            mload(add(r, 160)),
                            add(
                                add(mul(mload(add(a, 0)), b1), mul(mload(add(a, 32)), b0)),
                                mul(3, add(mul(mload(add(a, 192)), b3), mul(mload(add(a, 224)), b2)))
                            )
                        ),
                        P
                    )
                )
                mstore(
                    add(r, 192),
                    mod(
                        add(
                            mload(add(r, 192)),
                            add(
                                add(
                                    add(mul(mload(add(a, 0)), b2), mul(mload(add(a, 32)), b1)),
                                    mul(mload(add(a, 64)), b0)
                                ),
                                mul(3, mul(mload(add(a, 224)), b3))
                            )
                        ),
                        P
                    )
                )
                mstore(
                    add(r, 224),
                    mod(
                        add(
                            mload(add(r, 224)),
                            add(
                                add(
                                    add(mul(mload(add(a, 0)), b3), mul(mload(add(a, 32)), b2)),
                                    mul(mload(add(a, 64)), b1)
                                ),
                                mul(mload(add(a, 96)), b0)
                            )
                        ),
                        P
                    )
                )
            }
        }
    }

    /// @notice `r = a + b` in the extension (`r` may alias an input).
    function extAdd(uint256 a, uint256 b, uint256 r) internal pure {
        assembly ("memory-safe") {
            mstore(add(r, 0), addmod(mload(add(a, 0)), mload(add(b, 0)), P))
            mstore(add(r, 32), addmod(mload(add(a, 32)), mload(add(b, 32)), P))
            mstore(add(r, 64), addmod(mload(add(a, 64)), mload(add(b, 64)), P))
            mstore(add(r, 96), addmod(mload(add(a, 96)), mload(add(b, 96)), P))
            mstore(add(r, 128), addmod(mload(add(a, 128)), mload(add(b, 128)), P))
            mstore(add(r, 160), addmod(mload(add(a, 160)), mload(add(b, 160)), P))
            mstore(add(r, 192), addmod(mload(add(a, 192)), mload(add(b, 192)), P))
            mstore(add(r, 224), addmod(mload(add(a, 224)), mload(add(b, 224)), P))
        }
    }

    /// @notice `r = a - b` in the extension (`r` may alias an input).
    function extSub(uint256 a, uint256 b, uint256 r) internal pure {
        assembly ("memory-safe") {
            mstore(add(r, 0), addmod(mload(add(a, 0)), sub(P, mload(add(b, 0))), P))
            mstore(add(r, 32), addmod(mload(add(a, 32)), sub(P, mload(add(b, 32))), P))
            mstore(add(r, 64), addmod(mload(add(a, 64)), sub(P, mload(add(b, 64))), P))
            mstore(add(r, 96), addmod(mload(add(a, 96)), sub(P, mload(add(b, 96))), P))
            mstore(add(r, 128), addmod(mload(add(a, 128)), sub(P, mload(add(b, 128))), P))
            mstore(add(r, 160), addmod(mload(add(a, 160)), sub(P, mload(add(b, 160))), P))
            mstore(add(r, 192), addmod(mload(add(a, 192)), sub(P, mload(add(b, 192))), P))
            mstore(add(r, 224), addmod(mload(add(a, 224)), sub(P, mload(add(b, 224))), P))
        }
    }

    /// @notice `r = a * s` for a base-field `s` (`r` may alias `a`).
    function extMulBase(uint256 a, uint256 s, uint256 r) internal pure {
        assembly ("memory-safe") {
            mstore(add(r, 0), mulmod(mload(add(a, 0)), s, P))
            mstore(add(r, 32), mulmod(mload(add(a, 32)), s, P))
            mstore(add(r, 64), mulmod(mload(add(a, 64)), s, P))
            mstore(add(r, 96), mulmod(mload(add(a, 96)), s, P))
            mstore(add(r, 128), mulmod(mload(add(a, 128)), s, P))
            mstore(add(r, 160), mulmod(mload(add(a, 160)), s, P))
            mstore(add(r, 192), mulmod(mload(add(a, 192)), s, P))
            mstore(add(r, 224), mulmod(mload(add(a, 224)), s, P))
        }
    }

    /// @notice `a^-1` in the base field (Fermat, `a^(p-2)`); reverts on zero.
    function inv(uint256 a) internal pure returns (uint256 r) {
        require(a % P != 0, "KoalaBear: inverse of zero");
        r = 1;
        uint256 base = a % P;
        uint256 e = P - 2;
        assembly ("memory-safe") {
            for {} e { e := shr(1, e) } {
                if and(e, 1) { r := mulmod(r, base, P) }
                base := mulmod(base, base, P)
            }
        }
    }

    /// @notice Allocates a zeroed extension element.
    function extNew() internal pure returns (uint256 ptr) {
        assembly ("memory-safe") {
            ptr := mload(0x40)
            mstore(0x40, add(ptr, 256))
            calldatacopy(ptr, calldatasize(), 256)
        }
    }
}
