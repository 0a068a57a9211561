// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controller} from "../contracts/src/Controller.sol";
import {TicketBroker} from "../contracts/src/TicketBroker.sol";
import {IController} from "../contracts/src/interfaces/IController.sol";
import {ContractIds} from "../contracts/src/libraries/ContractIds.sol";
import {ControlledProxy} from "../contracts/src/proxy/ControlledProxy.sol";

/// @title BrokerDeployer
/// @notice How the TicketBroker joins a deployment: implementation behind a `ControlledProxy`,
/// registered under `TicketBroker`, its dependency cache filled from the Controller. Meant to be
/// wired into `ProtocolDeployer`/`Deploy.s.sol` by the integrator, after the RoundsManager and the
/// BondingManager are registered (the broker caches their addresses; re-run `syncDependencies`
/// whenever either registry entry changes).
abstract contract BrokerDeployer {
    /// @notice The broker's parameters.
    struct BrokerConfig {
        uint256 ticketValidityPeriod;
        uint256 unlockPeriod;
    }

    /// @notice What was deployed.
    struct BrokerDeployment {
        TicketBroker broker;
        address implementation;
    }

    /// @dev The caller must be the Controller's owner (it registers the broker).
    function _deployTicketBroker(Controller controller, BrokerConfig memory cfg)
        internal
        returns (BrokerDeployment memory b)
    {
        b.implementation = address(new TicketBroker(IController(address(controller))));
        b.broker = TicketBroker(
            payable(new ControlledProxy(
                    address(controller),
                    b.implementation,
                    abi.encodeCall(TicketBroker.initialize, (cfg.ticketValidityPeriod, cfg.unlockPeriod))
                ))
        );
        controller.setContract(ContractIds.TICKET_BROKER, address(b.broker));
        b.broker.syncDependencies();
    }
}
