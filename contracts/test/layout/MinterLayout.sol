// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Minter} from "../../src/Minter.sol";

/// @notice Storage-layout probe: the integrator's checker reads this contract's storageLayout.
contract MinterLayout {
    Minter.MinterStorage internal s;
}
