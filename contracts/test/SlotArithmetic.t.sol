// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {Rollup, RollupConfig} from "../src/Rollup.sol";
import {MockVerifier} from "../src/MockVerifier.sol";

/// Fuzzes the slot/epoch arithmetic over many configurations.
contract SlotArithmeticTest is TestBase {
    MockVerifier internal verifier = new MockVerifier();

    function _rollup(uint64 genesis, uint64 slotDuration, uint64 epochDuration, uint64 submissionEpochs)
        internal
        returns (Rollup)
    {
        return new Rollup(
            RollupConfig({
                genesisTime: genesis,
                slotDuration: slotDuration,
                epochDuration: epochDuration,
                proofSubmissionEpochs: submissionEpochs,
                genesisArchive: bytes32(0),
                genesisStateRoot: bytes32(0),
                verifier: address(verifier),
                sequencers: new address[](0)
            })
        );
    }

    function testFuzz_slotContainsItsTimestamp(uint64 genesis, uint64 slotDuration, uint64 epochDuration, uint64 dt)
        public
    {
        genesis = uint64(bound(genesis, 0, 1 << 40));
        slotDuration = uint64(bound(slotDuration, 1, 1 << 20));
        epochDuration = uint64(bound(epochDuration, 1, 1 << 16));
        dt = uint64(bound(dt, 0, 1 << 40));
        Rollup rollup = _rollup(genesis, slotDuration, epochDuration, 1);
        uint256 t = uint256(genesis) + dt;

        uint64 slot = rollup.slotAt(t);
        uint256 start = rollup.slotStartTimestamp(slot);
        assertTrue(start <= t && t < start + slotDuration, "slot contains timestamp");

        uint64 epoch = rollup.epochAt(slot);
        assertTrue(rollup.firstSlotOfEpoch(epoch) <= slot, "first slot <= slot");
        assertTrue(slot <= rollup.lastSlotOfEpoch(epoch), "slot <= last slot");
        assertEq(rollup.lastSlotOfEpoch(epoch) + 1 - rollup.firstSlotOfEpoch(epoch), epochDuration, "epoch length");
    }

    function testFuzz_windowEdges(uint64 slotDuration, uint64 epochDuration, uint64 submissionEpochs, uint64 epoch)
        public
    {
        slotDuration = uint64(bound(slotDuration, 1, 3600));
        epochDuration = uint64(bound(epochDuration, 1, 1024));
        submissionEpochs = uint64(bound(submissionEpochs, 0, 64));
        epoch = uint64(bound(epoch, 0, 1 << 20));
        Rollup rollup = _rollup(1000, slotDuration, epochDuration, submissionEpochs);

        uint256 deadlineEpoch = rollup.proofDeadlineEpoch(epoch);
        assertEq(deadlineEpoch, uint256(epoch) + submissionEpochs + 1, "deadline epoch");
        uint256 deadline = rollup.proofDeadlineTimestamp(epoch);
        assertEq(deadline, 1000 + deadlineEpoch * epochDuration * slotDuration, "deadline timestamp");
        // The last second before the deadline still belongs to an earlier epoch; the deadline
        // second itself is the first second of the deadline epoch.
        assertTrue(rollup.epochAt(rollup.slotAt(deadline - 1)) < deadlineEpoch, "before deadline");
        assertEq(rollup.epochAt(rollup.slotAt(deadline)), deadlineEpoch, "at deadline");
    }

    function test_beforeGenesisReverts() public {
        Rollup rollup = _rollup(1000, 12, 32, 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BeforeGenesis.selector, uint256(999), uint64(1000)));
        rollup.slotAt(999);
    }
}
