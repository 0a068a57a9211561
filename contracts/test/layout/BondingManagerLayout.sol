// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BondingManager} from "../../src/BondingManager.sol";

/// @notice Storage-layout probe: the integrator's checker reads this contract's storageLayout.
contract BondingManagerLayout {
    BondingManager.BondingManagerStorage internal s;
}
