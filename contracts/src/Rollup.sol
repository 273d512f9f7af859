// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IVerifier} from "./IVerifier.sol";
import {CheckpointHeader, StoredCheckpoint, EpochPublicValues, CheckpointLib} from "./CheckpointLib.sol";

/// @notice Deployment parameters of a `Rollup`.
struct RollupConfig {
    /// L1 timestamp at which slot 0 starts.
    uint64 genesisTime;
    /// Seconds per slot (> 0).
    uint64 slotDuration;
    /// Slots per epoch (> 0).
    uint64 epochDuration;
    /// Epochs after epoch E during which E may still be proven; E's deadline is the first slot
    /// of epoch `E + proofSubmissionEpochs + 1`.
    uint64 proofSubmissionEpochs;
    /// Archive root of checkpoint 0 (genesis).
    bytes32 genesisArchive;
    /// L2 state root of checkpoint 0 (genesis).
    bytes32 genesisStateRoot;
    /// Epoch-proof verifier; must be named explicitly (no default).
    address verifier;
    /// Initial sequencer allow-list.
    address[] sequencers;
}

/// @title Rollup
/// @notice The L1 side of the Vouch reference rollup. Sequencers propose one checkpoint per
///         slot; provers settle contiguous ranges of an epoch's checkpoints with one epoch proof
///         before the epoch's proof-submission window closes. When the oldest unproven epoch's
///         window has closed, the whole pending chain is pruned back to the proven tip (and
///         the deposits it consumed go back into the queue) so the sequencer re-proposes.
/// @dev Invariants: `provenCheckpointNumber <= pendingCheckpointNumber`; stored checkpoints
///      1..pending have strictly increasing slots; the deposit cursor equals the `depositEnd`
///      of the pending tip.
contract Rollup {
    using CheckpointLib for CheckpointHeader;

    // ---------------------------------------------------------------- errors
    error InvalidConfiguration(string reason);
    error NotOwner(address caller);
    error NotSequencer(address caller);
    error BeforeGenesis(uint256 timestamp, uint64 genesisTime);
    error WrongSlot(uint64 expected, uint64 got);
    error SlotAlreadyTaken(uint64 slot, uint64 lastSlot);
    error WrongCheckpointNumber(uint64 expected, uint64 got);
    error WrongPreviousArchive(bytes32 expected, bytes32 got);
    error WrongTimestamp(uint64 expected, uint64 got);
    error EmptyCheckpoint();
    error WrongDepositStart(uint64 expected, uint64 got);
    error DepositsNotQueued(uint64 end, uint64 queued);
    error UnknownCheckpoint(uint64 number, uint64 pending);
    error NothingToPrune();
    error InvalidCheckpointRange(uint64 fromCheckpoint, uint64 toCheckpoint, uint64 pending);
    error ProofStartsPastProvenTip(uint64 fromCheckpoint, uint64 proven);
    error AlreadyProven(uint64 toCheckpoint, uint64 proven);
    error CheckpointOutsideEpoch(uint64 checkpoint, uint64 checkpointEpoch, uint64 epoch);
    error NotFirstCheckpointOfEpoch(uint64 fromCheckpoint, uint64 epoch);
    error ProofWindowClosed(uint64 epoch, uint256 deadlineSlot, uint64 currentSlot);
    error PublicValuesMismatch(bytes32 expectedHash, bytes32 gotHash);
    error InvalidProof();
    error InvalidDeposit(uint256 value);
    /// @notice Deposits to the zero address are refused: on L2 an account owned by the zero
    ///         address is an empty leaf, so the credit could not be represented.
    error ZeroRecipient();
    /// @notice The header's `dataEvaluation` is not the one of the posted tx data.
    error WrongDataEvaluation(bytes32 expected, bytes32 got);

    // ---------------------------------------------------------------- events
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
    event ChainPruned(uint64 provenCheckpoint, uint64 prunedFrom, uint64 prunedTo);
    event EpochProven(uint64 indexed epoch, uint64 fromCheckpoint, uint64 toCheckpoint, address indexed prover);
    event DepositQueued(uint64 indexed index, address indexed l2Recipient, uint64 amount, bytes32 depositHash);
    event SequencerUpdated(address indexed sequencer, bool allowed);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice L2 amounts are whole gwei: a deposit of `v` wei credits `v / 1 gwei` on L2.
    uint256 public constant DEPOSIT_UNIT = 1 gwei;

    uint64 public immutable genesisTime;
    uint64 public immutable slotDuration;
    uint64 public immutable epochDuration;
    uint64 public immutable proofSubmissionEpochs;
    IVerifier public immutable verifier;

    address public owner;
    mapping(address => bool) public isSequencer;

    uint64 public pendingCheckpointNumber;
    uint64 public provenCheckpointNumber;
    /// @notice Index of the next deposit a checkpoint must consume.
    uint64 public nextDepositToConsume;
    /// @notice Prover of each epoch's latest accepted proof (a per-prover record for rewards).
    mapping(uint64 => address) public epochProver;

    mapping(uint64 => StoredCheckpoint) private checkpoints;
    /// @dev Entry i: the deposit accumulator after deposit i (`CheckpointLib.accumulateDeposit`),
    ///      which is what an epoch proof binds; the deposit's keccak identity is only emitted.
    bytes32[] private depositAccumulators;

    constructor(RollupConfig memory config) {
        if (config.slotDuration == 0) revert InvalidConfiguration("slotDuration is zero");
        if (config.epochDuration == 0) revert InvalidConfiguration("epochDuration is zero");
        if (config.verifier.code.length == 0) revert InvalidConfiguration("verifier has no code");
        genesisTime = config.genesisTime;
        slotDuration = config.slotDuration;
        epochDuration = config.epochDuration;
        proofSubmissionEpochs = config.proofSubmissionEpochs;
        verifier = IVerifier(config.verifier);
        owner = msg.sender;
        emit OwnershipTransferred(address(0), msg.sender);
        for (uint256 i = 0; i < config.sequencers.length; i++) {
            isSequencer[config.sequencers[i]] = true;
            emit SequencerUpdated(config.sequencers[i], true);
        }
        checkpoints[0] = StoredCheckpoint({
            slot: 0,
            depositEnd: 0,
            archive: config.genesisArchive,
            stateRoot: config.genesisStateRoot,
            txCommitment: bytes32(0),
            txDataHash: bytes32(0),
            headerHash: bytes32(0)
        });
    }

    // ---------------------------------------------------------------- admin
    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Adds or removes a sequencer from the allow-list.
    function setSequencer(address sequencer, bool allowed) external onlyOwner {
        isSequencer[sequencer] = allowed;
        emit SequencerUpdated(sequencer, allowed);
    }

    /// @notice Hands the admin role to `newOwner`.
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert InvalidConfiguration("owner is zero");
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    // ---------------------------------------------------------------- deposits
    /// @notice Queues a deposit of `msg.value` to `l2Recipient`; checkpoints consume the queue in order.
    function deposit(address l2Recipient) external payable returns (uint64 index) {
        if (l2Recipient == address(0)) revert ZeroRecipient();
        uint256 amount = msg.value / DEPOSIT_UNIT;
        if (amount == 0 || msg.value % DEPOSIT_UNIT != 0 || amount > type(uint64).max) {
            revert InvalidDeposit(msg.value);
        }
        index = uint64(depositAccumulators.length);
        // forge-lint: disable-next-line(unsafe-typecast)
        uint64 units = uint64(amount); // checked against type(uint64).max above
        bytes32 hash = CheckpointLib.depositHash(index, l2Recipient, units);
        depositAccumulators.push(
            CheckpointLib.accumulateDeposit(_depositAccumulatorAt(index), index, l2Recipient, units)
        );
        emit DepositQueued(index, l2Recipient, units, hash);
    }

    /// @notice Number of deposits ever queued.
    function depositCount() external view returns (uint64) {
        return uint64(depositAccumulators.length);
    }

    /// @notice The deposit accumulator after the first `count` deposits (zero for none): what an
    ///         epoch proof's circuit reaches by absorbing exactly those deposits in order.
    function depositAccumulator(uint64 count) external view returns (bytes32) {
        if (count > depositAccumulators.length) revert DepositsNotQueued(count, uint64(depositAccumulators.length));
        return _depositAccumulatorAt(count);
    }

    function _depositAccumulatorAt(uint64 count) internal view returns (bytes32) {
        return count == 0 ? bytes32(0) : depositAccumulators[count - 1];
    }

    // ---------------------------------------------------------------- proposing
    /// @notice Proposes the next checkpoint for the current slot. Prunes first when due.
    /// @param txData the checkpoint's transactions; the node derives every L2 block from it. It
    ///        must decode (`CheckpointLib.MalformedTxData` otherwise), and the header's
    ///        `dataEvaluation` must be its evaluation, which binds it to the records an epoch
    ///        proof proves.
    function propose(CheckpointHeader calldata header, bytes calldata txData) external {
        if (!isSequencer[msg.sender]) revert NotSequencer(msg.sender);
        _pruneIfDue();

        uint64 slot = currentSlot();
        if (header.slot != slot) revert WrongSlot(slot, header.slot);
        uint64 parentNumber = pendingCheckpointNumber;
        StoredCheckpoint storage parent = checkpoints[parentNumber];
        if (parentNumber != 0 && header.slot <= parent.slot) revert SlotAlreadyTaken(header.slot, parent.slot);
        if (header.number != parentNumber + 1) revert WrongCheckpointNumber(parentNumber + 1, header.number);
        if (header.previousArchive != parent.archive) revert WrongPreviousArchive(parent.archive, header.previousArchive);
        uint64 slotStart = uint64(_slotStart(slot));
        if (header.timestamp != slotStart) revert WrongTimestamp(slotStart, header.timestamp);
        if (header.blockCount == 0) revert EmptyCheckpoint();
        if (header.depositStart != nextDepositToConsume) revert WrongDepositStart(nextDepositToConsume, header.depositStart);
        uint64 depositEnd = header.depositStart + header.depositCount;
        if (depositEnd > depositAccumulators.length) {
            revert DepositsNotQueued(depositEnd, uint64(depositAccumulators.length));
        }

        bytes32 txDataHash = keccak256(txData);
        bytes32 evaluation = CheckpointLib.dataEvaluation(
            txData, txDataHash, header.txCommitment, header.blockCount, header.depositCount
        );
        if (header.dataEvaluation != evaluation) revert WrongDataEvaluation(evaluation, header.dataEvaluation);
        bytes32 hdrHash = header.headerHash();
        checkpoints[header.number] = StoredCheckpoint({
            slot: header.slot,
            depositEnd: depositEnd,
            archive: header.archive,
            stateRoot: header.stateRoot,
            txCommitment: header.txCommitment,
            txDataHash: txDataHash,
            headerHash: hdrHash
        });
        pendingCheckpointNumber = header.number;
        nextDepositToConsume = depositEnd;
        emit CheckpointProposed(
            header.number, header.slot, header.archive, header.stateRoot, header.txCommitment, txDataHash, hdrHash, depositEnd
        );
    }

    /// @notice The `dataEvaluation` a header with these fields must carry for `txData` (what
    ///         `propose` checks); reverts `MalformedTxData` on tx data it would refuse.
    function dataEvaluation(CheckpointHeader calldata header, bytes calldata txData)
        external
        pure
        returns (bytes32)
    {
        return CheckpointLib.dataEvaluation(
            txData, keccak256(txData), header.txCommitment, header.blockCount, header.depositCount
        );
    }

    // ---------------------------------------------------------------- pruning
    /// @notice True when the oldest unproven epoch's proof-submission window has closed.
    function canPrune() public view returns (bool) {
        if (pendingCheckpointNumber == provenCheckpointNumber) return false;
        uint64 oldestUnprovenEpoch = epochAt(checkpoints[provenCheckpointNumber + 1].slot);
        return currentSlot() >= _deadlineSlot(oldestUnprovenEpoch);
    }

    /// @notice Drops the pending chain back to the proven tip; reverts when not due.
    function prune() external {
        if (!_pruneIfDue()) revert NothingToPrune();
    }

    function _pruneIfDue() internal returns (bool) {
        if (block.timestamp < genesisTime || !canPrune()) return false;
        uint64 proven = provenCheckpointNumber;
        uint64 prunedTo = pendingCheckpointNumber;
        pendingCheckpointNumber = proven;
        nextDepositToConsume = checkpoints[proven].depositEnd;
        emit ChainPruned(proven, proven + 1, prunedTo);
        return true;
    }

    // ---------------------------------------------------------------- proving
    /// @notice Settles checkpoints `fromCheckpoint..=toCheckpoint` of `epoch` with one proof.
    /// @dev `fromCheckpoint` must be the epoch's first checkpoint and may start inside the
    ///      proven range (re-proving a prefix is allowed) but not past the proven tip + 1; the
    ///      range may end before the epoch's last checkpoint (a partial epoch proof). The
    ///      public values name `msg.sender` as the prover, and the proof must have been made
    ///      for them: a proof copied from another prover does not verify.
    function submitEpochProof(
        uint64 epoch,
        uint64 fromCheckpoint,
        uint64 toCheckpoint,
        bytes calldata publicValues,
        bytes calldata proof
    ) external {
        uint64 slot = currentSlot();
        uint256 deadline = _deadlineSlot(epoch);
        if (slot >= deadline) revert ProofWindowClosed(epoch, deadline, slot);
        _pruneIfDue();

        bytes memory expected = _epochPublicValues(epoch, fromCheckpoint, toCheckpoint, msg.sender);
        if (keccak256(publicValues) != keccak256(expected)) {
            revert PublicValuesMismatch(keccak256(expected), keccak256(publicValues));
        }
        if (!verifier.verify(publicValues, proof)) revert InvalidProof();

        provenCheckpointNumber = toCheckpoint;
        epochProver[epoch] = msg.sender;
        emit EpochProven(epoch, fromCheckpoint, toCheckpoint, msg.sender);
    }

    /// @notice The ABI-encoded `EpochPublicValues` a proof of this range by `prover` must
    ///         carry. Reverts with the reason a submission of this range would be rejected for.
    function epochPublicValues(uint64 epoch, uint64 fromCheckpoint, uint64 toCheckpoint, address prover)
        external
        view
        returns (bytes memory)
    {
        return _epochPublicValues(epoch, fromCheckpoint, toCheckpoint, prover);
    }

    function _epochPublicValues(uint64 epoch, uint64 fromCheckpoint, uint64 toCheckpoint, address prover)
        internal
        view
        returns (bytes memory)
    {
        uint64 pending = pendingCheckpointNumber;
        uint64 proven = provenCheckpointNumber;
        if (fromCheckpoint == 0 || fromCheckpoint > toCheckpoint || toCheckpoint > pending) {
            revert InvalidCheckpointRange(fromCheckpoint, toCheckpoint, pending);
        }
        if (fromCheckpoint > proven + 1) revert ProofStartsPastProvenTip(fromCheckpoint, proven);
        if (toCheckpoint <= proven) revert AlreadyProven(toCheckpoint, proven);
        uint64 fromEpoch = epochAt(checkpoints[fromCheckpoint].slot);
        if (fromEpoch != epoch) revert CheckpointOutsideEpoch(fromCheckpoint, fromEpoch, epoch);
        uint64 toEpoch = epochAt(checkpoints[toCheckpoint].slot);
        if (toEpoch != epoch) revert CheckpointOutsideEpoch(toCheckpoint, toEpoch, epoch);
        if (fromCheckpoint > 1 && epochAt(checkpoints[fromCheckpoint - 1].slot) == epoch) {
            revert NotFirstCheckpointOfEpoch(fromCheckpoint, epoch);
        }

        bytes32 acc;
        for (uint64 n = fromCheckpoint; n <= toCheckpoint; n++) {
            acc = CheckpointLib.chainHeaders(acc, checkpoints[n].headerHash);
        }
        StoredCheckpoint storage start = checkpoints[fromCheckpoint - 1];
        StoredCheckpoint storage end = checkpoints[toCheckpoint];
        return abi.encode(
            EpochPublicValues({
                epoch: epoch,
                fromCheckpoint: fromCheckpoint,
                toCheckpoint: toCheckpoint,
                startArchive: start.archive,
                startStateRoot: start.stateRoot,
                endArchive: end.archive,
                endStateRoot: end.stateRoot,
                checkpointsHash: acc,
                startDepositAccumulator: _depositAccumulatorAt(start.depositEnd),
                endDepositAccumulator: _depositAccumulatorAt(end.depositEnd),
                prover: prover
            })
        );
    }

    // ---------------------------------------------------------------- views
    /// @notice The stored record of checkpoint `number` (0 is genesis).
    function checkpoint(uint64 number) external view returns (StoredCheckpoint memory) {
        if (number > pendingCheckpointNumber) revert UnknownCheckpoint(number, pendingCheckpointNumber);
        return checkpoints[number];
    }

    /// @notice The slot of the current L1 block; reverts before genesis.
    function currentSlot() public view returns (uint64) {
        return slotAt(block.timestamp);
    }

    /// @notice The slot containing L1 timestamp `timestamp`; reverts before genesis.
    function slotAt(uint256 timestamp) public view returns (uint64) {
        if (timestamp < genesisTime) revert BeforeGenesis(timestamp, genesisTime);
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint64((timestamp - genesisTime) / slotDuration); // < 2^64 for any real timestamp
    }

    /// @notice The epoch containing `slot`.
    function epochAt(uint64 slot) public view returns (uint64) {
        return slot / epochDuration;
    }

    /// @notice First slot of `epoch`.
    function firstSlotOfEpoch(uint64 epoch) public view returns (uint256) {
        return uint256(epoch) * epochDuration;
    }

    /// @notice Last slot of `epoch`.
    function lastSlotOfEpoch(uint64 epoch) external view returns (uint256) {
        return firstSlotOfEpoch(epoch) + epochDuration - 1;
    }

    /// @notice L1 timestamp at which `slot` starts.
    function slotStartTimestamp(uint64 slot) external view returns (uint256) {
        return _slotStart(slot);
    }

    /// @notice The epoch whose first slot closes `epoch`'s proof-submission window.
    function proofDeadlineEpoch(uint64 epoch) public view returns (uint256) {
        return uint256(epoch) + proofSubmissionEpochs + 1;
    }

    /// @notice First L1 timestamp at which a proof of `epoch` is no longer accepted.
    function proofDeadlineTimestamp(uint64 epoch) external view returns (uint256) {
        return uint256(genesisTime) + _deadlineSlot(epoch) * slotDuration;
    }

    function _deadlineSlot(uint64 epoch) internal view returns (uint256) {
        return proofDeadlineEpoch(epoch) * epochDuration;
    }

    function _slotStart(uint64 slot) internal view returns (uint256) {
        return uint256(genesisTime) + uint256(slot) * slotDuration;
    }
}
