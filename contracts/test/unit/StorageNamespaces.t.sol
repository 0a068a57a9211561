// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IController} from "../../src/interfaces/IController.sol";
import {Test} from "../utils/Test.sol";
import {RoundsManagerHarness} from "../utils/harness/RoundsManagerHarness.sol";

/// @notice Every namespace constant is the ERC-7201 formula applied to its documented id.
contract StorageNamespacesTest is Test {
    function erc7201(string memory id) internal pure returns (bytes32) {
        return keccak256(abi.encode(uint256(keccak256(bytes(id))) - 1)) & ~bytes32(uint256(0xff));
    }

    function test_RoundsManagerNamespace() public {
        RoundsManagerHarness h = new RoundsManagerHarness(IController(address(1)), 10);
        assertEq(h.storageSlot(), erc7201("streamflow.storage.RoundsManager"));
    }
}
