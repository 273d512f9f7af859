// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IVerifier} from "./IVerifier.sol";

/// @title MockVerifier
/// @notice INSECURE. Development and test double for `IVerifier`: accepts every proof unless
///         told to reject. It checks nothing. Deployments only use it when the operator names it
///         explicitly (`vouch deploy --verifier insecure-mock`); it is never a default.
contract MockVerifier is IVerifier {
    /// @notice Emitted whenever the verdict the mock returns is changed.
    event VerdictSet(bool accept);

    /// @notice The verdict `verify` returns.
    bool public accept = true;

    /// @notice Sets the verdict returned by `verify` (lets tests exercise the rejection path).
    function setAccept(bool accept_) external {
        accept = accept_;
        emit VerdictSet(accept_);
    }

    /// @inheritdoc IVerifier
    function verify(bytes calldata, bytes calldata) external view returns (bool) {
        return accept;
    }
}
