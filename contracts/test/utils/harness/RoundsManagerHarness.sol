// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RoundsManager} from "../../../src/RoundsManager.sol";
import {IController} from "../../../src/interfaces/IController.sol";

/// @notice A RoundsManager usable without a proxy (its schedule is set in the constructor) and with
/// its namespace slot exposed: for the proxy-overhead gas comparison and the ERC-7201 check.
contract RoundsManagerHarness is RoundsManager {
    constructor(IController controller_, uint256 roundLength_) RoundsManager(controller_) {
        _initializeSchedule(roundLength_);
    }

    function storageSlot() external pure returns (bytes32) {
        return STORAGE_SLOT;
    }
}
