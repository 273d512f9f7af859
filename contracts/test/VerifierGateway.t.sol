// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {RollupTestBase} from "./RollupTestBase.sol";
import {IVerifier} from "../src/IVerifier.sol";
import {MockVerifier} from "../src/MockVerifier.sol";
import {Rollup} from "../src/Rollup.sol";
import {VerifierGateway} from "../src/VerifierGateway.sol";

/// @notice Records what it was asked to verify.
contract RecordingVerifier is IVerifier {
    bytes public lastPublicValues;
    bytes public lastProof;

    function verify(bytes calldata publicValues, bytes calldata proof) external returns (bool) {
        lastPublicValues = publicValues;
        lastProof = proof;
        return true;
    }
}

contract VerifierGatewayTest is RollupTestBase {
    bytes4 internal constant V1 = bytes4(keccak256("vouch-plonky3-epoch-v1"));
    bytes4 internal constant V2 = bytes4(keccak256("vouch-plonky3-epoch-v2"));
    address internal constant OWNER = address(0x0A11);

    event RouteAdded(bytes4 indexed selector, address indexed verifier);
    event RouteFrozen(bytes4 indexed selector, address indexed verifier);

    VerifierGateway internal gateway;
    RecordingVerifier internal recorder;

    function setUp() public override {
        super.setUp();
        gateway = new VerifierGateway(OWNER);
        recorder = new RecordingVerifier();
        vm.prank(OWNER);
        gateway.addRoute(V1, recorder);
    }

    function test_routesBySelectorAndStripsIt() public {
        assertTrue(gateway.verify(hex"aa", abi.encodePacked(V1, hex"0102")), "verdict");
        assertEq(keccak256(recorder.lastProof()), keccak256(hex"0102"), "proof without selector");
        assertEq(keccak256(recorder.lastPublicValues()), keccak256(hex"aa"), "public values");
    }

    function test_unknownSelectorAndShortProofRevert() public {
        vm.expectRevert(abi.encodeWithSelector(VerifierGateway.RouteNotFound.selector, V2));
        gateway.verify(hex"", abi.encodePacked(V2));
        vm.expectRevert(abi.encodeWithSelector(VerifierGateway.ProofTooShort.selector, uint256(3)));
        gateway.verify(hex"", hex"010203");
    }

    function test_onlyTheOwnerChangesRoutes() public {
        vm.expectRevert(abi.encodeWithSelector(VerifierGateway.NotOwner.selector, address(this)));
        gateway.addRoute(V2, recorder);
        vm.expectRevert(abi.encodeWithSelector(VerifierGateway.NotOwner.selector, address(this)));
        gateway.freezeRoute(V1);
        vm.expectRevert(abi.encodeWithSelector(VerifierGateway.NotOwner.selector, address(this)));
        gateway.transferOwnership(address(this));
    }

    function test_aSelectorIsNeverRepointed() public {
        MockVerifier other = new MockVerifier();
        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(VerifierGateway.RouteExists.selector, V1, address(recorder)));
        gateway.addRoute(V1, other);
    }

    function test_freezingIsFinalAndEmitted() public {
        vm.expectEmit(true, true, false, true, address(gateway));
        emit RouteFrozen(V1, address(recorder));
        vm.prank(OWNER);
        gateway.freezeRoute(V1);
        vm.expectRevert(abi.encodeWithSelector(VerifierGateway.RouteIsFrozen.selector, V1));
        gateway.verify(hex"", abi.encodePacked(V1));
        vm.prank(OWNER);
        vm.expectRevert(abi.encodeWithSelector(VerifierGateway.RouteIsFrozen.selector, V1));
        gateway.freezeRoute(V1);
        // A new version takes over under a new selector.
        MockVerifier next = new MockVerifier();
        vm.expectEmit(true, true, false, true, address(gateway));
        emit RouteAdded(V2, address(next));
        vm.prank(OWNER);
        gateway.addRoute(V2, next);
        assertTrue(gateway.verify(hex"", abi.encodePacked(V2)), "v2 accepts");
    }

    function test_ownershipTransfers() public {
        vm.prank(OWNER);
        gateway.transferOwnership(address(this));
        gateway.addRoute(V2, recorder);
        vm.expectRevert(VerifierGateway.ZeroAddress.selector);
        gateway.transferOwnership(address(0));
    }

    /// A rollup whose verifier is the gateway settles a proof routed to the v1 verifier, and a
    /// rejecting verifier behind a route makes the submission revert.
    function test_rollupSettlesThroughTheGateway() public {
        MockVerifier mock = new MockVerifier();
        vm.prank(OWNER);
        gateway.addRoute(V2, mock);
        rollup = new Rollup(_config(SLOT, EPOCH, SUBMISSION_EPOCHS, address(gateway)));
        _proposeAt(1);
        _proposeAt(2);
        bytes memory publicValues = rollup.epochPublicValues(0, 1, 2, address(this));
        mock.setAccept(false);
        vm.expectRevert(Rollup.InvalidProof.selector);
        rollup.submitEpochProof(0, 1, 2, publicValues, abi.encodePacked(V2, hex"00"));
        rollup.submitEpochProof(0, 1, 2, publicValues, abi.encodePacked(V1, hex"00"));
        assertEq(rollup.provenCheckpointNumber(), 2, "proven through v1");
    }
}
