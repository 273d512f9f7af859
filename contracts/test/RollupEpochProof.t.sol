// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {RollupTestBase} from "./RollupTestBase.sol";
import {Rollup} from "../src/Rollup.sol";
import {EpochPublicValues, StoredCheckpoint} from "../src/CheckpointLib.sol";

contract RollupEpochProofTest is RollupTestBase {
    event EpochProven(uint64 indexed epoch, uint64 fromCheckpoint, uint64 toCheckpoint, address indexed prover);

    /// Checkpoints 1..3 in epoch 0 (slots 0, 1, 3), 4..5 in epoch 1 (slots 4, 6).
    function _twoEpochs() internal {
        _proposeAt(0);
        _proposeAt(1);
        _proposeAt(3);
        _proposeAt(4);
        _proposeAt(6);
    }

    function test_submitEpochProofAdvancesProvenTip() public {
        _twoEpochs();
        vm.expectEmit(true, true, false, true, address(rollup));
        emit EpochProven(0, 1, 3, PROVER);
        _prove(0, 1, 3);
        assertEq(rollup.provenCheckpointNumber(), 3, "proven");
        assertEq(rollup.epochProver(0), PROVER, "prover record");
        _prove(1, 4, 5);
        assertEq(rollup.provenCheckpointNumber(), 5, "proven epoch 1");
    }

    function test_publicValuesCommitToStoredCheckpoints() public {
        _twoEpochs();
        EpochPublicValues memory pv = abi.decode(rollup.epochPublicValues(0, 1, 3, address(this)), (EpochPublicValues));
        assertEq(pv.epoch, 0, "epoch");
        assertEq(pv.fromCheckpoint, 1, "from");
        assertEq(pv.toCheckpoint, 3, "to");
        assertEq(pv.startArchive, GENESIS_ARCHIVE, "start archive");
        assertEq(pv.startStateRoot, GENESIS_STATE, "start state");
        StoredCheckpoint memory last = rollup.checkpoint(3);
        assertEq(pv.endArchive, last.archive, "end archive");
        assertEq(pv.endStateRoot, last.stateRoot, "end state");
        bytes32 acc;
        for (uint64 n = 1; n <= 3; n++) {
            acc = keccak256(abi.encodePacked(acc, rollup.checkpoint(n).headerHash));
        }
        assertEq(pv.checkpointsHash, acc, "checkpoints hash chain");
    }

    function test_partialEpochProofThenRest() public {
        _twoEpochs();
        _prove(0, 1, 2);
        assertEq(rollup.provenCheckpointNumber(), 2, "partial");
        // A later proof of the same epoch starts at the epoch's first checkpoint again.
        _prove(0, 1, 3);
        assertEq(rollup.provenCheckpointNumber(), 3, "rest");
    }

    function test_proofThatStartsPastProvenTipReverts() public {
        _twoEpochs();
        vm.expectRevert(abi.encodeWithSelector(Rollup.ProofStartsPastProvenTip.selector, uint64(4), uint64(0)));
        rollup.submitEpochProof(1, 4, 5, "", "");
    }

    function test_proofNotStartingAtEpochFirstCheckpointReverts() public {
        _twoEpochs();
        _prove(0, 1, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotFirstCheckpointOfEpoch.selector, uint64(2), uint64(0)));
        rollup.submitEpochProof(0, 2, 3, "", "");
    }

    function test_proofSpanningTwoEpochsReverts() public {
        _twoEpochs();
        vm.expectRevert(
            abi.encodeWithSelector(Rollup.CheckpointOutsideEpoch.selector, uint64(4), uint64(1), uint64(0))
        );
        rollup.submitEpochProof(0, 1, 4, "", "");
    }

    function test_proofForWrongEpochReverts() public {
        _twoEpochs();
        vm.expectRevert(
            abi.encodeWithSelector(Rollup.CheckpointOutsideEpoch.selector, uint64(1), uint64(0), uint64(1))
        );
        rollup.submitEpochProof(1, 1, 3, "", "");
    }

    function test_invalidRangeReverts() public {
        _twoEpochs();
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidCheckpointRange.selector, uint64(0), uint64(3), uint64(5)));
        rollup.submitEpochProof(0, 0, 3, "", "");
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidCheckpointRange.selector, uint64(3), uint64(2), uint64(5)));
        rollup.submitEpochProof(0, 3, 2, "", "");
        vm.expectRevert(abi.encodeWithSelector(Rollup.InvalidCheckpointRange.selector, uint64(4), uint64(6), uint64(5)));
        rollup.submitEpochProof(1, 4, 6, "", "");
    }

    function test_alreadyProvenReverts() public {
        _twoEpochs();
        _prove(0, 1, 3);
        vm.expectRevert(abi.encodeWithSelector(Rollup.AlreadyProven.selector, uint64(2), uint64(3)));
        rollup.submitEpochProof(0, 1, 2, "", "");
    }

    function test_publicValuesMismatchReverts() public {
        _twoEpochs();
        bytes memory good = rollup.epochPublicValues(0, 1, 3, address(this));
        bytes memory bad = bytes.concat(good);
        bad[bad.length - 1] ^= 0x01;
        vm.expectRevert(abi.encodeWithSelector(Rollup.PublicValuesMismatch.selector, keccak256(good), keccak256(bad)));
        rollup.submitEpochProof(0, 1, 3, bad, hex"01");
    }

    function test_rejectedProofReverts() public {
        _twoEpochs();
        verifier.setAccept(false);
        bytes memory publicValues = rollup.epochPublicValues(0, 1, 3, address(this));
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.submitEpochProof(0, 1, 3, publicValues, hex"01");
        assertEq(rollup.provenCheckpointNumber(), 0, "nothing proven");
    }

    /// Epoch 0's window (1 submission epoch, 4-slot epochs) closes at the first slot of epoch 2.
    function test_proofAcceptedInLastSecondBeforeDeadline() public {
        _twoEpochs();
        vm.warp(_slotStart(2 * EPOCH) - 1);
        _prove(0, 1, 3);
        assertEq(rollup.provenCheckpointNumber(), 3, "proven at the edge");
    }

    function test_proofRejectedAtFirstSecondOfDeadline() public {
        _twoEpochs();
        bytes memory publicValues = rollup.epochPublicValues(0, 1, 3, address(this));
        vm.warp(_slotStart(2 * EPOCH));
        vm.expectRevert(
            abi.encodeWithSelector(Rollup.ProofWindowClosed.selector, uint64(0), uint256(2 * EPOCH), uint64(2 * EPOCH))
        );
        rollup.submitEpochProof(0, 1, 3, publicValues, hex"01");
    }

    function test_deadlineViewsAgree() public view {
        assertEq(rollup.proofDeadlineEpoch(0), 2, "deadline epoch");
        assertEq(rollup.proofDeadlineTimestamp(0), _slotStart(2 * EPOCH), "deadline timestamp");
        assertEq(rollup.proofDeadlineEpoch(7), 9, "deadline epoch 7");
    }
}
