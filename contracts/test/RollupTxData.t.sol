// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {RollupTestBase} from "./RollupTestBase.sol";
import {Rollup} from "../src/Rollup.sol";
import {CheckpointHeader, CheckpointLib} from "../src/CheckpointLib.sol";

/// @notice `propose` decodes the tx data and checks the header's data evaluation, which an
///         epoch proof's seal binds to the records it proves (`vouch_rollup::data`).
contract RollupTxDataTest is RollupTestBase {
    event log_named_uint(string key, uint256 val);

    /// One signed transfer's 93 bytes: `from ‖ to ‖ amount ‖ fee ‖ nonce ‖ r ‖ s ‖ parity`.
    function _transfer(uint32 from, uint32 to, uint64 amount, uint64 fee, uint32 nonce)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(
            from, to, amount, fee, nonce, keccak256(abi.encode("r", nonce)), keccak256(abi.encode("s", nonce)), uint8(0)
        );
    }

    /// Version 1, fee account 7, one block consuming no deposits with `n` transfers.
    function _oneBlock(uint256 n) internal pure returns (bytes memory txData) {
        // forge-lint: disable-next-line(unsafe-typecast)
        txData = abi.encodePacked(uint8(1), uint32(7), uint16(1), uint16(0), uint16(n));
        for (uint256 i; i < n; i++) {
            // forge-lint: disable-next-line(unsafe-typecast)
            txData = abi.encodePacked(txData, _transfer(1, 70_000, 1000 + uint64(i), 3, uint32(i)));
        }
    }

    function _evaluate(CheckpointHeader memory header, bytes memory txData) internal view returns (bytes32) {
        return rollup.dataEvaluation(header, txData);
    }

    function test_proposeAcceptsTheEvaluationAndRejectsAnyOther() public {
        _warpToSlot(0);
        CheckpointHeader memory header = _nextHeader(0);
        bytes memory txData = _oneBlock(3);
        bytes32 honest = _evaluate(header, txData);
        header.dataEvaluation = honest ^ bytes32(uint256(1));
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongDataEvaluation.selector, honest, header.dataEvaluation));
        rollup.propose(header, txData);
        header.dataEvaluation = honest;
        vm.prank(SEQUENCER);
        rollup.propose(header, txData);
        assertEq(rollup.pendingCheckpointNumber(), 1, "proposed");
    }

    /// Every field the circuit absorbs moves the value at a fixed point; the point itself moves
    /// with the tx data's hash and with the tx commitment.
    function test_evaluationBindsEveryRecordField() public view {
        CheckpointHeader memory header = _nextHeader(0);
        bytes memory txData = _oneBlock(2);
        bytes32 honest = _evaluate(header, txData);
        // Byte offsets of the second transfer's fields (7-byte prefix, 4-byte block header).
        uint256 second = 11 + 93;
        uint256[6] memory offsets = [uint256(4), second + 1, second + 7, second + 15, second + 23, second + 27];
        for (uint256 i; i < offsets.length; i++) {
            bytes memory changed = bytes.concat(txData);
            changed[offsets[i]] = bytes1(uint8(changed[offsets[i]]) ^ 1);
            assertTrue(_evaluate(header, changed) != honest, "a changed field changes the evaluation");
        }
        bytes32 otherCommitment = header.txCommitment ^ bytes32(uint256(1));
        header.txCommitment = otherCommitment;
        assertTrue(
            bytes16(_evaluate(header, txData)) != bytes16(honest), "the point depends on the tx commitment"
        );
    }

    function test_malformedTxDataIsRefused() public {
        CheckpointHeader memory header = _nextHeader(0);
        bytes memory good = _oneBlock(1);
        _expectMalformed(header, hex"01000000", 4, "truncated header");
        bytes memory wrongVersion = bytes.concat(good);
        wrongVersion[0] = 0x02;
        _expectMalformed(header, wrongVersion, 0, "unknown version");
        header.blockCount = 2;
        _expectMalformed(header, good, 5, "block count differs from the header");
        header.blockCount = 1;
        _expectMalformed(header, bytes.concat(good, hex"00"), good.length, "trailing bytes");
        bytes memory cut = new bytes(good.length - 1);
        for (uint256 i; i < cut.length; i++) {
            cut[i] = good[i];
        }
        _expectMalformed(header, cut, 11, "truncated transfers");
        bytes memory bigNonce = bytes.concat(good);
        bigNonce[11 + 24] = 0x40; // nonce 2^30
        _expectMalformed(header, bigNonce, 11 + 24, "nonce too large");
        bytes memory parity = bytes.concat(good);
        parity[11 + 92] = 0x1b;
        _expectMalformed(header, parity, 11 + 92, "bad signature parity");
        header.depositCount = 1;
        _expectMalformed(header, good, 7, "deposit count differs from the header");
    }

    function _expectMalformed(
        CheckpointHeader memory header,
        bytes memory txData,
        uint256 offset,
        string memory reason
    ) internal {
        vm.expectRevert(abi.encodeWithSelector(CheckpointLib.MalformedTxData.selector, offset, reason));
        rollup.dataEvaluation(header, txData);
    }

    /// What a sequencer pays: `propose` of one block with 0, 1, 20 and 100 transfers, and the
    /// evaluation alone (logged; `forge test --match-test test_proposeGas -vv`).
    function test_proposeGas() public {
        uint256[4] memory sizes = [uint256(0), 1, 20, 100];
        for (uint256 i; i < sizes.length; i++) {
            uint64 slot = uint64(i);
            _warpToSlot(slot);
            CheckpointHeader memory header = _nextHeader(slot);
            bytes memory txData = _oneBlock(sizes[i]);
            header.dataEvaluation = _evaluate(header, txData);
            vm.prank(SEQUENCER);
            uint256 before = gasleft();
            rollup.propose(header, txData);
            emit log_named_uint(string.concat("propose gas, transfers: ", vm.toString(sizes[i])), before - gasleft());
            before = gasleft();
            CheckpointLib.dataEvaluation(txData, keccak256(txData), header.txCommitment, 1, 0);
            emit log_named_uint(string.concat("evaluation gas, transfers: ", vm.toString(sizes[i])), before - gasleft());
        }
    }
}
