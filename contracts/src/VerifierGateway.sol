// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IVerifier} from "./IVerifier.sol";

/// @title VerifierGateway
/// @notice Routes an epoch proof to the verifier of its proof version, so verifiers can be added
///         and retired without redeploying `Rollup` (whose `verifier` is immutable: it points
///         here). A proof is `selector (4 bytes) ‖ verifier-specific bytes`; the selector names
///         the proof system and version. A route is never re-pointed: a new verifier gets a new
///         selector, and a broken one is frozen, which is final. Only the owner changes routes.
contract VerifierGateway is IVerifier {
    /// @notice A registered verifier and whether it was frozen.
    struct Route {
        IVerifier verifier;
        bool frozen;
    }

    /// @notice Emitted when `selector` starts routing to `verifier`.
    event RouteAdded(bytes4 indexed selector, address indexed verifier);
    /// @notice Emitted when `selector` stops accepting proofs, for good.
    event RouteFrozen(bytes4 indexed selector, address indexed verifier);
    /// @notice Emitted when the owner changes.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error NotOwner(address caller);
    error ZeroAddress();
    error RouteExists(bytes4 selector, address verifier);
    error RouteNotFound(bytes4 selector);
    error RouteIsFrozen(bytes4 selector);
    error ProofTooShort(uint256 length);

    /// @notice Who may add and freeze routes.
    address public owner;
    /// @notice Routes by proof selector.
    mapping(bytes4 selector => Route route) public routes;

    constructor(address owner_) {
        if (owner_ == address(0)) revert ZeroAddress();
        owner = owner_;
        emit OwnershipTransferred(address(0), owner_);
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        _;
    }

    /// @notice Routes proofs starting with `selector` to `verifier`. A selector is used once.
    function addRoute(bytes4 selector, IVerifier verifier) external onlyOwner {
        if (address(verifier) == address(0)) revert ZeroAddress();
        address existing = address(routes[selector].verifier);
        if (existing != address(0)) revert RouteExists(selector, existing);
        routes[selector] = Route({verifier: verifier, frozen: false});
        emit RouteAdded(selector, address(verifier));
    }

    /// @notice Stops accepting proofs of `selector`; irreversible.
    function freezeRoute(bytes4 selector) external onlyOwner {
        Route storage route = routes[selector];
        if (address(route.verifier) == address(0)) revert RouteNotFound(selector);
        if (route.frozen) revert RouteIsFrozen(selector);
        route.frozen = true;
        emit RouteFrozen(selector, address(route.verifier));
    }

    /// @notice Hands route management to `newOwner`.
    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert ZeroAddress();
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    /// @inheritdoc IVerifier
    /// @dev Passes the proof without its selector to the routed verifier.
    function verify(bytes calldata publicValues, bytes calldata proof) external returns (bool) {
        if (proof.length < 4) revert ProofTooShort(proof.length);
        bytes4 selector = bytes4(proof[:4]);
        Route memory route = routes[selector];
        if (address(route.verifier) == address(0)) revert RouteNotFound(selector);
        if (route.frozen) revert RouteIsFrozen(selector);
        return route.verifier.verify(publicValues, proof[4:]);
    }
}
