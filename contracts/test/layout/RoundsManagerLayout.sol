// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RoundsManager} from "../../src/RoundsManager.sol";

/// @notice Storage-layout probe: solc reports no layout for ERC-7201 namespaces, so each namespace
/// struct is declared here as a plain variable and `tools/storage-layout.js` reads its layout from
/// the forge artifact. Never deployed.
contract RoundsManagerLayout {
    RoundsManager.RoundsManagerStorage internal roundsManager;
}
