// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vm} from "../../contracts/test/utils/Vm.sol";

/// @title Script
/// @notice Minimal base for forge scripts (forge-std is not reachable from here).
abstract contract Script {
    /// @dev forge treats contracts exposing `IS_SCRIPT() == true` as scripts.
    bool public IS_SCRIPT = true;

    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
}
