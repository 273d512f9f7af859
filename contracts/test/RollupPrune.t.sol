// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {RollupTestBase} from "./RollupTestBase.sol";
import {Rollup} from "../src/Rollup.sol";
import {CheckpointHeader} from "../src/CheckpointLib.sol";

contract RollupPruneTest is RollupTestBase {
    event ChainPruned(uint64 provenCheckpoint, uint64 prunedFrom, uint64 prunedTo);

    function test_canPruneOnlyOnceWindowCloses() public {
        _proposeAt(1);
        _proposeAt(5);
        vm.warp(_slotStart(2 * EPOCH) - 1);
        assertFalse(rollup.canPrune(), "open window");
        vm.expectRevert(Rollup.NothingToPrune.selector);
        rollup.prune();
        vm.warp(_slotStart(2 * EPOCH));
        assertTrue(rollup.canPrune(), "closed window");
    }

    function test_pruneDropsPendingChainToProvenTip() public {
        _proposeAt(0);
        _proposeAt(1);
        _proposeAt(4);
        _proposeAt(5);
        _prove(0, 1, 2);
        // Epoch 1 is now the oldest unproven epoch; its deadline is the first slot of epoch 3.
        vm.warp(_slotStart(3 * EPOCH) - 1);
        assertFalse(rollup.canPrune(), "epoch 1 window open");
        vm.warp(_slotStart(3 * EPOCH));
        vm.expectEmit(false, false, false, true, address(rollup));
        emit ChainPruned(2, 3, 4);
        rollup.prune();
        assertEq(rollup.pendingCheckpointNumber(), 2, "pending back at proven tip");
        assertEq(rollup.provenCheckpointNumber(), 2, "proven unchanged");
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownCheckpoint.selector, uint64(3), uint64(2)));
        rollup.checkpoint(3);
    }

    function test_nothingToPruneWhenAllProven() public {
        _proposeAt(0);
        _prove(0, 1, 1);
        vm.warp(_slotStart(100));
        assertFalse(rollup.canPrune(), "nothing pending");
        vm.expectRevert(Rollup.NothingToPrune.selector);
        rollup.prune();
    }

    function test_proposeImplicitlyPrunesAndRebuildsFromProvenTip() public {
        _proposeAt(0);
        _proposeAt(1);
        uint64 slot = 2 * EPOCH;
        _warpToSlot(slot);
        CheckpointHeader memory header = _nextHeader(slot);
        // Still built on the stale tip: must be rejected once the implicit prune ran.
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongCheckpointNumber.selector, uint64(1), uint64(3)));
        rollup.propose(header, "");

        header.number = 1;
        header.previousArchive = GENESIS_ARCHIVE;
        vm.expectEmit(false, false, false, true, address(rollup));
        emit ChainPruned(0, 1, 2);
        _propose(header);
        assertEq(rollup.pendingCheckpointNumber(), 1, "re-proposed checkpoint 1");
        assertEq(rollup.checkpoint(1).slot, slot, "at the new slot");

        // The re-proposed chain is provable in its own epoch.
        _prove(2, 1, 1);
        assertEq(rollup.provenCheckpointNumber(), 1, "proven after re-propose");
    }

    function test_proofOfLaterEpochCannotSurviveEarlierEpochsPrune() public {
        _proposeAt(0); // epoch 0
        _proposeAt(4); // epoch 1
        bytes memory publicValues = rollup.epochPublicValues(0, 1, 1, address(this));
        _warpToSlot(2 * EPOCH); // epoch 0's window closed, epoch 1's still open
        // Epoch 1 cannot be proven: its first checkpoint is past the proven tip, and the
        // implicit prune drops it anyway.
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidCheckpointRange.selector, uint64(2), uint64(2), uint64(0)));
        rollup.submitEpochProof(1, 2, 2, publicValues, hex"01");
        assertEq(rollup.pendingCheckpointNumber(), 2, "revert undid the implicit prune");
    }
}
