// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {RollupTestBase} from "./RollupTestBase.sol";
import {Rollup} from "../src/Rollup.sol";
import {CheckpointHeader, CheckpointLib} from "../src/CheckpointLib.sol";

contract RollupDepositsTest is RollupTestBase {
    event DepositQueued(uint64 indexed index, address indexed l2Recipient, uint64 amount, bytes32 depositHash);

    address internal constant ALICE = address(0xA11CE);

    function setUp() public override {
        super.setUp();
        vm.deal(address(this), 1_000 ether);
    }

    function test_depositQueuesAndEmits() public {
        bytes32 expectedHash = keccak256(abi.encodePacked(uint64(0), ALICE, uint64(3e9)));
        vm.expectEmit(true, true, false, true, address(rollup));
        emit DepositQueued(0, ALICE, 3e9, expectedHash);
        uint64 index = rollup.deposit{value: 3 ether}(ALICE);
        assertEq(index, 0, "index");
        assertEq(rollup.depositCount(), 1, "count");
        // The accumulator the epoch proof binds (the Rust mirror is pinned by EpochVector).
        assertEq(
            rollup.depositAccumulator(1),
            CheckpointLib.accumulateDeposit(bytes32(0), 0, ALICE, 3e9),
            "accumulator"
        );
        assertEq(rollup.depositAccumulator(0), bytes32(0), "empty accumulator");
        assertEq(address(rollup).balance, 3 ether, "escrow");
    }

    function test_depositToTheZeroAddressReverts() public {
        vm.deal(address(this), 1 ether);
        vm.expectRevert(Rollup.ZeroRecipient.selector);
        rollup.deposit{value: 1 gwei}(address(0));
    }

    function test_depositRejectsZeroAndDust() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidDeposit.selector, uint256(0)));
        rollup.deposit{value: 0}(ALICE);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidDeposit.selector, uint256(1 gwei + 1)));
        rollup.deposit{value: 1 gwei + 1}(ALICE);
    }

    function testFuzz_depositAmountInGwei(uint64 units) public {
        vm.assume(units > 0);
        vm.deal(address(this), uint256(units) * 1 gwei);
        vm.expectEmit(true, true, false, true, address(rollup));
        emit DepositQueued(0, ALICE, units, keccak256(abi.encodePacked(uint64(0), ALICE, units)));
        rollup.deposit{value: uint256(units) * 1 gwei}(ALICE);
        assertEq(
            rollup.depositAccumulator(1), CheckpointLib.accumulateDeposit(bytes32(0), 0, ALICE, units), "accumulator"
        );
    }

    function test_checkpointsConsumeDepositsInOrder() public {
        rollup.deposit{value: 1 ether}(ALICE);
        rollup.deposit{value: 2 ether}(ALICE);
        rollup.deposit{value: 3 ether}(ALICE);

        _warpToSlot(0);
        CheckpointHeader memory header = _nextHeader(0);
        header.depositCount = 2;
        _propose(header);
        assertEq(rollup.nextDepositToConsume(), 2, "cursor after first");
        assertEq(rollup.checkpoint(1).depositEnd, 2, "stored end");

        _warpToSlot(1);
        header = _nextHeader(1);
        header.depositStart = 0; // tries to consume deposit 0 again
        header.depositCount = 1;
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongDepositStart.selector, uint64(2), uint64(0)));
        rollup.propose(header, "");

        header.depositStart = 2;
        header.depositCount = 2; // only one more is queued
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Rollup.DepositsNotQueued.selector, uint64(4), uint64(3)));
        rollup.propose(header, "");

        header.depositCount = 1;
        _propose(header);
        assertEq(rollup.nextDepositToConsume(), 3, "cursor after second");
    }

    function test_pruneReturnsConsumedDepositsToQueue() public {
        rollup.deposit{value: 1 ether}(ALICE);
        _warpToSlot(0);
        CheckpointHeader memory header = _nextHeader(0);
        header.depositCount = 1;
        _propose(header);
        assertEq(rollup.nextDepositToConsume(), 1, "consumed");

        // Epoch 0's deadline is the first slot of epoch 2.
        _warpToSlot(2 * EPOCH);
        rollup.prune();
        assertEq(rollup.nextDepositToConsume(), 0, "deposit back in the queue");

        header = _nextHeader(2 * EPOCH);
        assertEq(header.number, 1, "re-proposes checkpoint 1");
        header.depositCount = 1;
        _propose(header);
        assertEq(rollup.nextDepositToConsume(), 1, "consumed again");
    }
}
