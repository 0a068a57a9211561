// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TicketBroker} from "../../src/TicketBroker.sol";

/// @notice Storage-layout probe: forge's `storageLayout` output of this contract is the layout of the
/// broker's ERC-7201 namespace, for the CI diff against a committed snapshot.
contract TicketBrokerLayout {
    TicketBroker.TicketBrokerStorage internal s;
}
