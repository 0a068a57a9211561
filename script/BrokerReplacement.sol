// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RetiredTicketBroker} from "../contracts/src/RetiredTicketBroker.sol";
import {TicketBroker} from "../contracts/src/TicketBroker.sol";
import {IController} from "../contracts/src/interfaces/IController.sol";
import {IRetiredTicketBroker} from "../contracts/src/interfaces/IRetiredTicketBroker.sol";
import {ContractIds} from "../contracts/src/libraries/ContractIds.sol";
import {ControlledProxy} from "../contracts/src/proxy/ControlledProxy.sol";

/// @title BrokerReplacement
/// @notice How a TicketBroker is replaced by a new one at a new address (see `docs/migration.md`):
/// 1. `_deployReplacement` (anyone): the new broker behind its own proxy, initialized with the old
///    one's periods and synced, but not registered; and the {RetiredTicketBroker} implementation.
/// 2. `_replacementBatch` (governance, one timelock batch, atomic): register the old broker as
///    `PreviousTicketBroker` and the new one as `TicketBroker`, then upgrade the old proxy to the
///    retired implementation, calling `handOverFeesOwed` in the same upgrade.
/// From the batch on, redemptions of old tickets keep working on the old broker, new tickets and
/// funding go to the new one, held fees reach the staking contract through the new one, and senders
/// `moveFunds` when they like. No user operation is refused at any block.
abstract contract BrokerReplacement {
    /// @notice What step 1 deployed.
    struct Replacement {
        TicketBroker broker;
        address implementation;
        address retiredImplementation;
    }

    /// @dev Deploys the new broker (same periods as `old`) and the retired implementation. Needs the
    /// RoundsManager and BondingManager registered (it syncs them); registers nothing.
    function _deployReplacement(IController controller, TicketBroker old)
        internal
        returns (Replacement memory r)
    {
        r.implementation = address(new TicketBroker(controller));
        r.broker = TicketBroker(
            payable(new ControlledProxy(
                    address(controller),
                    r.implementation,
                    abi.encodeCall(TicketBroker.initialize, (old.ticketValidityPeriod(), old.unlockPeriod()))
                ))
        );
        r.broker.syncDependencies();
        r.retiredImplementation = address(new RetiredTicketBroker(controller));
    }

    /// @dev The governance calls of step 2, in order, all to the Controller.
    function _replacementBatch(
        address controller,
        address old,
        address replacement,
        address retiredImplementation
    ) internal pure returns (address[] memory targets, bytes[] memory payloads) {
        targets = new address[](3);
        payloads = new bytes[](3);
        for (uint256 i; i < 3; ++i) {
            targets[i] = controller;
        }
        payloads[0] = abi.encodeCall(IController.setContract, (ContractIds.PREVIOUS_TICKET_BROKER, old));
        payloads[1] = abi.encodeCall(IController.setContract, (ContractIds.TICKET_BROKER, replacement));
        payloads[2] = abi.encodeCall(
            IController.upgradeProxy,
            (old, retiredImplementation, abi.encodeCall(IRetiredTicketBroker.handOverFeesOwed, ()))
        );
    }
}
