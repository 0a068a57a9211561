// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controller} from "../contracts/src/Controller.sol";
import {IController} from "../contracts/src/interfaces/IController.sol";
import {ContractIds} from "../contracts/src/libraries/ContractIds.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title GovernanceDeployer
/// @notice Hands a deployment's Controller to an OpenZeppelin `TimelockController`: from then on every
/// parameter change, registry change and upgrade is scheduled as one batch by a proposer and executed
/// after the delay. A guardian, registered by the timelock under `ContractIds.PAUSE_GUARDIAN`, keeps the fast path
/// for pausing only.
/// @dev The handover is atomic from the deployer's point of view: the timelock is created with a zero
/// delay and the deployer as its temporary admin, executes `acceptOwnership`, the guardian's
/// registration and `updateDelay` as one batch, then the deployer gives the final roles and renounces all of its own.
abstract contract GovernanceDeployer {
    /// @notice Who governs a deployment.
    struct GovernanceConfig {
        /// @dev Minimum delay between scheduling and executing, in seconds.
        uint256 minDelay;
        /// @dev May schedule (and cancel) batches.
        address[] proposers;
        /// @dev May execute ready batches; `address(0)` in the list opens execution to anyone.
        address[] executors;
        /// @dev May pause the protocol (and lift its own pause) without delay; zero for none.
        address guardian;
    }

    /// @dev Moves `controller`'s ownership from `deployer` (its current owner, the caller) to a new
    /// timelock configured by `cfg`, and returns the timelock. `deployer` keeps no role.
    function _installTimelock(Controller controller, address deployer, GovernanceConfig memory cfg)
        internal
        returns (TimelockController timelock)
    {
        address[] memory self = new address[](1);
        self[0] = deployer;
        timelock = new TimelockController(0, self, self, deployer);
        controller.transferOwnership(address(timelock));

        address[] memory targets = new address[](3);
        uint256[] memory values = new uint256[](3);
        bytes[] memory payloads = new bytes[](3);
        targets[0] = address(controller);
        payloads[0] = abi.encodeCall(controller.acceptOwnership, ());
        targets[1] = address(controller);
        payloads[1] = abi.encodeCall(IController.setContract, (ContractIds.PAUSE_GUARDIAN, cfg.guardian));
        targets[2] = address(timelock);
        payloads[2] = abi.encodeCall(TimelockController.updateDelay, (cfg.minDelay));
        bytes32 salt = keccak256("streamflow.governance.install");
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), salt, 0);
        timelock.executeBatch(targets, values, payloads, bytes32(0), salt);

        for (uint256 i = 0; i < cfg.proposers.length; ++i) {
            timelock.grantRole(timelock.PROPOSER_ROLE(), cfg.proposers[i]);
            timelock.grantRole(timelock.CANCELLER_ROLE(), cfg.proposers[i]);
        }
        for (uint256 i = 0; i < cfg.executors.length; ++i) {
            timelock.grantRole(timelock.EXECUTOR_ROLE(), cfg.executors[i]);
        }
        // renounceRole is a no-op when the deployer was also given the role in `cfg`.
        if (!_listed(cfg.proposers, deployer)) {
            timelock.renounceRole(timelock.PROPOSER_ROLE(), deployer);
            timelock.renounceRole(timelock.CANCELLER_ROLE(), deployer);
        }
        if (!_listed(cfg.executors, deployer)) timelock.renounceRole(timelock.EXECUTOR_ROLE(), deployer);
        timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), deployer);
    }

    function _listed(address[] memory list, address who) private pure returns (bool) {
        for (uint256 i = 0; i < list.length; ++i) {
            if (list[i] == who) return true;
        }
        return false;
    }
}
