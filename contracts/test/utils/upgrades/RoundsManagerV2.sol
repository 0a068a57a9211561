// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RoundsManager} from "../../../src/RoundsManager.sol";
import {IController} from "../../../src/interfaces/IController.sol";

/// @notice A v2 of RoundsManager for the upgrade tests: it appends a field to v1's ERC-7201
/// namespace (the only compatible way to grow it) and changes a behaviour (`initializeRound` now
/// also counts initializations, and refuses while a governance-set freeze is on).
contract RoundsManagerV2 is RoundsManager {
    error RoundsFrozen();

    /// @dev v1's `RoundsManagerStorage` with fields appended. Same namespace, same slot.
    /// @custom:storage-location erc7201:streamflow.storage.RoundsManager
    struct RoundsManagerStorageV2 {
        Schedule current;
        Schedule next;
        uint256 lastInitializedRound;
        mapping(uint256 round => bytes32 blockHash) blockHashes;
        // --- appended in v2
        uint256 initializedCount;
        bool frozen;
    }

    constructor(IController controller_) RoundsManager(controller_) {}

    function initializeV2(uint256 startCount) external reinitializer(2) {
        _v2().initializedCount = startCount;
    }

    function initializeRound() external override whenNotPaused {
        if (_v2().frozen) revert RoundsFrozen();
        _initializeRound();
        _v2().initializedCount += 1;
    }

    function setFrozen(bool frozen) external onlyGovernance {
        _v2().frozen = frozen;
    }

    function initializedCount() external view returns (uint256) {
        return _v2().initializedCount;
    }

    function version() external pure returns (uint256) {
        return 2;
    }

    function _v2() private pure returns (RoundsManagerStorageV2 storage $) {
        bytes32 slot = STORAGE_SLOT;
        assembly {
            $.slot := slot
        }
    }
}
