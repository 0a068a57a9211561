// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ServiceRegistry} from "../../src/ServiceRegistry.sol";

/// @notice Storage-layout probe: the integrator's checker reads this contract's storageLayout.
contract ServiceRegistryLayout {
    ServiceRegistry.ServiceRegistryStorage internal s;
}
