// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {KoalaBear} from "../src/verifier/KoalaBear.sol";

/// @notice Gas per extension-field operation, the unit of the epoch verifier's cost model.
///         Bounds are the measured cost plus ~10 %, so a regression fails here.
contract KoalaBearGasTest is TestBase {
    uint256 internal constant N = 100;

    function assertLe(uint256 got, uint256 bound, string memory what) internal pure {
        if (got > bound) revert AssertionFailed(what, got, bound);
    }

    function _operands() internal pure returns (uint256 a, uint256 b, uint256 r) {
        uint256[8] memory x = [uint256(1), 2, 3, 4, 5, 6, 7, 0x7f000000];
        uint256[8] memory y = [uint256(0x12345), 0x7effffff, 9, 10, 11, 12, 13, 14];
        uint256[8] memory z;
        assembly {
            a := x
            b := y
            r := z
        }
    }

    function test_extMulGas() public view {
        (uint256 a, uint256 b, uint256 r) = _operands();
        uint256 g = gasleft();
        for (uint256 i; i < N; i++) {
            KoalaBear.extMul(a, b, r);
        }
        uint256 per = (g - gasleft()) / N;
        assertLe(per, 2250, "gas per ext mul (measured 2050)");
    }

    function test_extAddGas() public view {
        (uint256 a, uint256 b, uint256 r) = _operands();
        uint256 g = gasleft();
        for (uint256 i; i < N; i++) {
            KoalaBear.extAdd(a, b, r);
        }
        uint256 per = (g - gasleft()) / N;
        assertLe(per, 500, "gas per ext add (measured 451)");
    }

    function test_baseInverseGas() public view {
        uint256 g = gasleft();
        uint256 acc;
        for (uint256 i = 1; i <= N; i++) {
            acc ^= KoalaBear.inv(i);
        }
        uint256 per = (g - gasleft()) / N;
        assertTrue(acc != 0, "inverses computed");
        assertLe(per, 4100, "gas per base inverse (measured 3707)");
    }
}
