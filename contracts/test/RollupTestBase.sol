// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./utils/TestBase.sol";
import {Rollup, RollupConfig} from "../src/Rollup.sol";
import {MockVerifier} from "../src/MockVerifier.sol";
import {CheckpointHeader, StoredCheckpoint, CheckpointLib} from "../src/CheckpointLib.sol";

/// @notice Shared fixture: a rollup with 12 s slots, 4-slot epochs and 1 submission epoch, so
///         epoch E may be proven until the first slot of epoch E + 2.
abstract contract RollupTestBase is TestBase {
    uint64 internal constant GENESIS = 1_000_000;
    uint64 internal constant SLOT = 12;
    uint64 internal constant EPOCH = 4;
    uint64 internal constant SUBMISSION_EPOCHS = 1;
    bytes32 internal constant GENESIS_ARCHIVE = keccak256("genesis archive");
    bytes32 internal constant GENESIS_STATE = keccak256("genesis state");

    address internal constant SEQUENCER = address(0x5E9);
    address internal constant PROVER = address(0xB0B);

    Rollup internal rollup;
    MockVerifier internal verifier;

    function setUp() public virtual {
        vm.warp(GENESIS);
        verifier = new MockVerifier();
        rollup = new Rollup(_config(SLOT, EPOCH, SUBMISSION_EPOCHS, address(verifier)));
    }

    function _config(uint64 slotDuration, uint64 epochDuration, uint64 submissionEpochs, address verifierAddr)
        internal
        pure
        returns (RollupConfig memory config)
    {
        address[] memory sequencers = new address[](1);
        sequencers[0] = SEQUENCER;
        config = RollupConfig({
            genesisTime: GENESIS,
            slotDuration: slotDuration,
            epochDuration: epochDuration,
            proofSubmissionEpochs: submissionEpochs,
            genesisArchive: GENESIS_ARCHIVE,
            genesisStateRoot: GENESIS_STATE,
            verifier: verifierAddr,
            sequencers: sequencers
        });
    }

    function _slotStart(uint64 slot) internal pure returns (uint64) {
        return GENESIS + slot * SLOT;
    }

    function _warpToSlot(uint64 slot) internal {
        vm.warp(_slotStart(slot));
    }

    /// A valid header for the next checkpoint in `slot` (which must be the current slot).
    function _nextHeader(uint64 slot) internal view returns (CheckpointHeader memory header) {
        uint64 number = rollup.pendingCheckpointNumber() + 1;
        StoredCheckpoint memory parent = rollup.checkpoint(number - 1);
        header = CheckpointHeader({
            number: number,
            slot: slot,
            timestamp: _slotStart(slot),
            previousArchive: parent.archive,
            archive: keccak256(abi.encode("archive", number, slot)),
            stateRoot: keccak256(abi.encode("state", number, slot)),
            txCommitment: keccak256(abi.encode("txs", number, slot)),
            depositStart: rollup.nextDepositToConsume(),
            depositCount: 0,
            blockCount: 1,
            dataEvaluation: bytes32(0)
        });
    }

    /// Tx data for `header` (its blocks without transfers, the first consuming every deposit,
    /// fees to account `slot`), and the header's `dataEvaluation` set to match it.
    function _fill(CheckpointHeader memory header) internal pure returns (bytes memory txData) {
        // forge-lint: disable-next-line(unsafe-typecast)
        txData = abi.encodePacked(uint8(1), uint32(header.slot), uint16(header.blockCount));
        for (uint256 b; b < header.blockCount; b++) {
            // forge-lint: disable-next-line(unsafe-typecast)
            uint16 deposits = b == 0 ? uint16(header.depositCount) : 0;
            txData = abi.encodePacked(txData, deposits, uint16(0));
        }
        header.dataEvaluation = CheckpointLib.dataEvaluation(
            txData, keccak256(txData), header.txCommitment, header.blockCount, header.depositCount
        );
    }

    /// Proposes `header` as the sequencer, with tx data `_fill` makes for it.
    function _propose(CheckpointHeader memory header) internal {
        bytes memory txData = _fill(header);
        vm.prank(SEQUENCER);
        rollup.propose(header, txData);
    }

    /// Warps to `slot` and proposes the next checkpoint there.
    function _proposeAt(uint64 slot) internal returns (CheckpointHeader memory header) {
        _warpToSlot(slot);
        header = _nextHeader(slot);
        _propose(header);
    }

    /// Submits a (mock-verified) proof of `from..=to` with the public values the rollup expects.
    function _prove(uint64 epoch, uint64 from, uint64 to) internal {
        bytes memory publicValues = rollup.epochPublicValues(epoch, from, to, PROVER);
        vm.prank(PROVER);
        rollup.submitEpochProof(epoch, from, to, publicValues, hex"01");
    }
}
