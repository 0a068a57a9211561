// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IControlled} from "./interfaces/IControlled.sol";
import {IController} from "./interfaces/IController.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";

/// @title Controlled
/// @notice Base of every upgradeable protocol contract. The Controller is an immutable of the
/// implementation (no storage read per check); the implementation's own initializers are disabled
/// at construction so that nobody can take it over directly.
abstract contract Controlled is IControlled, Initializable {
    /// @inheritdoc IControlled
    IController public immutable controller;

    /// @param controller_ The Controller of the deployment this implementation serves.
    constructor(IController controller_) {
        controller = controller_;
        _disableInitializers();
    }

    /// @dev Reverts unless the caller is governance (the Controller's owner).
    modifier onlyGovernance() {
        if (msg.sender != controller.owner()) revert NotGovernance(msg.sender);
        _;
    }

    /// @dev Reverts while the Controller has the protocol paused.
    modifier whenNotPaused() {
        if (controller.paused()) revert ProtocolIsPaused();
        _;
    }

    /// @dev Reverts unless the caller is the contract registered under `id`.
    modifier onlyRegistered(bytes32 id) {
        if (msg.sender != controller.getContract(id)) revert NotRegisteredCaller(msg.sender, id);
        _;
    }
}
