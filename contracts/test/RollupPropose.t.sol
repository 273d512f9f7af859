// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {RollupTestBase} from "./RollupTestBase.sol";
import {Rollup, RollupConfig} from "../src/Rollup.sol";
import {CheckpointHeader, StoredCheckpoint} from "../src/CheckpointLib.sol";

contract RollupProposeTest is RollupTestBase {
    event CheckpointProposed(
        uint64 indexed checkpointNumber,
        uint64 indexed slot,
        bytes32 archive,
        bytes32 stateRoot,
        bytes32 txCommitment,
        bytes32 txDataHash,
        bytes32 headerHash,
        uint64 depositEnd
    );
    event SequencerUpdated(address indexed sequencer, bool allowed);

    function test_proposeStoresCheckpointAndEmits() public {
        _warpToSlot(3);
        CheckpointHeader memory header = _nextHeader(3);
        bytes memory txData = _fill(header);
        vm.expectEmit(true, true, false, true, address(rollup));
        emit CheckpointProposed(
            1,
            3,
            header.archive,
            header.stateRoot,
            header.txCommitment,
            keccak256(txData),
            keccak256(abi.encode(header)),
            0
        );
        vm.prank(SEQUENCER);
        rollup.propose(header, txData);

        assertEq(rollup.pendingCheckpointNumber(), 1, "pending");
        assertEq(rollup.provenCheckpointNumber(), 0, "proven");
        StoredCheckpoint memory stored = rollup.checkpoint(1);
        assertEq(stored.slot, 3, "slot");
        assertEq(stored.archive, header.archive, "archive");
        assertEq(stored.stateRoot, header.stateRoot, "state root");
        assertEq(stored.txDataHash, keccak256(txData), "tx data hash");
    }

    function test_proposeSequentialCheckpointsAcrossSlots() public {
        // Slots 0..7 span epochs 0 and 1: epoch 0's window is still open throughout.
        for (uint64 slot = 0; slot < 8; slot += 2) {
            _proposeAt(slot);
        }
        assertEq(rollup.pendingCheckpointNumber(), 4, "pending");
        assertEq(rollup.checkpoint(4).slot, 6, "last slot");
    }

    function test_proposeRejectsWrongSequencer() public {
        CheckpointHeader memory header = _nextHeader(0);
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotSequencer.selector, address(0xBAD)));
        rollup.propose(header, "");
    }

    function test_proposeRejectsRemovedSequencer() public {
        vm.expectEmit(true, false, false, true, address(rollup));
        emit SequencerUpdated(SEQUENCER, false);
        rollup.setSequencer(SEQUENCER, false);
        CheckpointHeader memory header = _nextHeader(0);
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotSequencer.selector, SEQUENCER));
        rollup.propose(header, "");
    }

    function test_setSequencerOnlyOwner() public {
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotOwner.selector, address(0xBAD)));
        rollup.setSequencer(address(0xBAD), true);
    }

    function test_proposeRejectsFutureSlot() public {
        _warpToSlot(2);
        CheckpointHeader memory header = _nextHeader(3);
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongSlot.selector, uint64(2), uint64(3)));
        rollup.propose(header, "");
    }

    function test_proposeRejectsPastSlot() public {
        _warpToSlot(5);
        CheckpointHeader memory header = _nextHeader(4);
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongSlot.selector, uint64(5), uint64(4)));
        rollup.propose(header, "");
    }

    function test_proposeAcceptsLastSecondOfSlot() public {
        vm.warp(_slotStart(2) + SLOT - 1);
        CheckpointHeader memory header = _nextHeader(2);
        _propose(header);
        assertEq(rollup.pendingCheckpointNumber(), 1, "pending");
    }

    function test_proposeRejectsSecondCheckpointInSameSlot() public {
        _proposeAt(1);
        CheckpointHeader memory header = _nextHeader(1);
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Rollup.SlotAlreadyTaken.selector, uint64(1), uint64(1)));
        rollup.propose(header, "");
    }

    function test_proposeRejectsNumberGap() public {
        CheckpointHeader memory header = _nextHeader(0);
        header.number = 2;
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongCheckpointNumber.selector, uint64(1), uint64(2)));
        rollup.propose(header, "");
    }

    function test_proposeRejectsWrongPreviousArchive() public {
        CheckpointHeader memory header = _nextHeader(0);
        header.previousArchive = bytes32(uint256(1));
        vm.prank(SEQUENCER);
        vm.expectRevert(
            abi.encodeWithSelector(Rollup.WrongPreviousArchive.selector, GENESIS_ARCHIVE, bytes32(uint256(1)))
        );
        rollup.propose(header, "");
    }

    function test_proposeRejectsWrongTimestamp() public {
        CheckpointHeader memory header = _nextHeader(0);
        header.timestamp = GENESIS + 1;
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Rollup.WrongTimestamp.selector, GENESIS, GENESIS + 1));
        rollup.propose(header, "");
    }

    function test_proposeRejectsEmptyCheckpoint() public {
        CheckpointHeader memory header = _nextHeader(0);
        header.blockCount = 0;
        vm.prank(SEQUENCER);
        vm.expectRevert(Rollup.EmptyCheckpoint.selector);
        rollup.propose(header, "");
    }

    function test_proposeBeforeGenesisReverts() public {
        vm.warp(GENESIS - 1);
        CheckpointHeader memory header = _nextHeader(0);
        vm.prank(SEQUENCER);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BeforeGenesis.selector, uint256(GENESIS - 1), GENESIS));
        rollup.propose(header, "");
    }

    function test_checkpointViewRejectsUnknownNumber() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.UnknownCheckpoint.selector, uint64(1), uint64(0)));
        rollup.checkpoint(1);
    }

    function test_constructorRejectsBadConfig() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidConfiguration.selector, "slotDuration is zero"));
        new Rollup(_config(0, EPOCH, SUBMISSION_EPOCHS, address(verifier)));
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidConfiguration.selector, "epochDuration is zero"));
        new Rollup(_config(SLOT, 0, SUBMISSION_EPOCHS, address(verifier)));
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidConfiguration.selector, "verifier has no code"));
        new Rollup(_config(SLOT, EPOCH, SUBMISSION_EPOCHS, address(0x1234)));
    }
}
