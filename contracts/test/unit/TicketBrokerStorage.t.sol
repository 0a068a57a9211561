// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IController} from "../../src/interfaces/IController.sol";
import {BrokerFixture} from "../utils/BrokerFixture.sol";
import {TicketBrokerHarness} from "../utils/harness/TicketBrokerHarness.sol";

/// @notice The broker's namespace is the ERC-7201 slot of its documented id, and its state really
/// lives there (a sender's packed slot is found at the mapping's position inside the namespace).
contract TicketBrokerStorageTest is BrokerFixture {
    function setUp() public {
        deployBroker();
    }

    function erc7201(string memory id) internal pure returns (bytes32) {
        return keccak256(abi.encode(uint256(keccak256(bytes(id))) - 1)) & ~bytes32(uint256(0xff));
    }

    function test_TicketBrokerNamespace() public {
        TicketBrokerHarness h = new TicketBrokerHarness(IController(address(1)));
        assertEq(h.storageSlot(), erc7201("streamflow.storage.TicketBroker"));
    }

    function test_SenderSlotIsPackedInNamespace() public {
        address sender = makeAddr("sender");
        vm.deal(sender, 10 ether);
        vm.prank(sender);
        broker.fundDepositAndReserve{value: 3}(1, 2);
        bytes32 base = erc7201("streamflow.storage.TicketBroker");
        // senders is the fourth slot of the namespace (0: rounds + round cache, 1: staking + periods,
        // 2: cached block hash)
        bytes32 slot = keccak256(abi.encode(sender, uint256(base) + 3));
        uint256 word = uint256(vm.load(address(broker), slot));
        assertEq(word & type(uint112).max, 1);
        assertEq((word >> 112) & type(uint112).max, 2);
        assertEq(word >> 224, 0);
    }
}
