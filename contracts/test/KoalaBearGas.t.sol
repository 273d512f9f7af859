// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {KoalaBear} from "../src/verifier/KoalaBear.sol";

/// @notice Gas per field operation, the unit of the epoch verifier's cost model.
///         Bounds are the measured cost plus ~10 %, so a regression fails here.
contract KoalaBearGasTest is TestBase {
    uint256 internal constant N = 100;

    function assertLe(uint256 got, uint256 bound, string memory what) internal pure {
        if (got > bound) revert AssertionFailed(what, got, bound);
    }

    function _operands() internal pure returns (uint256 a, uint256 b, uint256 r) {
        uint256[8] memory x = [uint256(1), 2, 3, 4, 5, 6, 7, 0x7f000000];
        uint256[8] memory y = [uint256(0x12345), 0x7effffff, 9, 10, 11, 12, 13, 14];
        assembly {
            a := x
            b := y
        }
        KoalaBear.extFrom8(a);
        KoalaBear.extFrom8(b);
        r = KoalaBear.extNew();
    }

    function test_extMulGas() public view {
        (uint256 a, uint256 b, uint256 r) = _operands();
        uint256 g = gasleft();
        for (uint256 i; i < N; i++) {
            KoalaBear.extMul(r, a, b);
        }
        uint256 per = (g - gasleft()) / N;
        assertLe(per, 1000, "gas per ext mul (measured 903)");
    }

    function test_extAddGas() public view {
        (uint256 a, uint256 b, uint256 r) = _operands();
        uint256 g = gasleft();
        for (uint256 i; i < N; i++) {
            KoalaBear.extAdd(r, a, b);
        }
        uint256 per = (g - gasleft()) / N;
        assertLe(per, 210, "gas per ext add, unreduced (measured 190)");
    }

    function test_extInverseGas() public view {
        (uint256 a,, uint256 r) = _operands();
        uint256 g = gasleft();
        for (uint256 i; i < N; i++) {
            KoalaBear.extInv(r, a);
        }
        uint256 per = (g - gasleft()) / N;
        assertLe(per, 14700, "gas per ext inverse (measured 13330)");
    }

    function test_baseInverseGas() public view {
        uint256 g = gasleft();
        uint256 acc;
        for (uint256 i = 1; i <= N; i++) {
            acc ^= KoalaBear.inv(i);
        }
        uint256 per = (g - gasleft()) / N;
        assertTrue(acc != 0, "inverses computed");
        assertLe(per, 4100, "gas per base inverse (measured 3915)");
    }
}
