// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TicketLib} from "../../../src/libraries/TicketLib.sol";

/// @notice Exposes TicketLib's lottery draw on packed calldata, alone and at a batch index, as the
/// broker reads it (same library code, same calldata offsets).
contract TicketLibHarness {
    using TicketLib for bytes;

    function isWinning(bytes calldata t) external pure returns (bool) {
        return t.isWinning();
    }

    /// @dev The `i`-th ticket of a packed batch, sliced as `TicketBroker._at` does.
    function isWinningAt(bytes calldata tickets, uint256 i) external pure returns (bool) {
        bytes calldata t = tickets[i * TicketLib.TICKET_LENGTH:(i + 1) * TicketLib.TICKET_LENGTH];
        return t.isWinning();
    }
}
