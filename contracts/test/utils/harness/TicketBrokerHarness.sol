// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TicketBroker} from "../../../src/TicketBroker.sol";
import {IController} from "../../../src/interfaces/IController.sol";

/// @notice Exposes the broker's namespace slot for the ERC-7201 check.
contract TicketBrokerHarness is TicketBroker {
    constructor(IController controller_) TicketBroker(controller_) {}

    function storageSlot() external pure returns (bytes32) {
        return STORAGE_SLOT;
    }
}
