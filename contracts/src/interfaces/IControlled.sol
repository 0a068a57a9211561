// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IController} from "./IController.sol";

/// @title IControlled
/// @notice What every protocol contract behind a `ControlledProxy` shares: the Controller it answers
/// to, and the errors of its access and pause checks.
interface IControlled {
    /// @notice A governance-only function was called by someone else.
    /// @param caller The caller.
    error NotGovernance(address caller);

    /// @notice A state-changing function was called while the Controller has the protocol paused.
    error ProtocolIsPaused();

    /// @notice A function reserved to one registered protocol contract was called by another address.
    /// @param caller The caller.
    /// @param id The identifier of the contract that may call it.
    error NotRegisteredCaller(address caller, bytes32 id);

    /// @notice The Controller this contract answers to.
    /// @return The Controller.
    function controller() external view returns (IController);
}
