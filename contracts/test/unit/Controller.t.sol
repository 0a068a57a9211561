// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controller} from "../../src/Controller.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {Test} from "../utils/Test.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

contract ControllerTest is Test {
    Controller internal controller;
    address internal gov;
    address internal stranger;

    event ContractRegistered(bytes32 indexed id, address indexed addr);
    event ProtocolPaused(address indexed by);
    event ProtocolUnpaused(address indexed by);
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    function setUp() public {
        gov = makeAddr("governance");
        stranger = makeAddr("stranger");
        controller = new Controller(gov);
    }

    function test_StartsPausedAndOwnedByGovernance() public view {
        assertTrue(controller.paused());
        assertEq(controller.owner(), gov);
    }

    function test_SetContract() public {
        bytes32 id = keccak256("TicketBroker");
        vm.expectEmit(address(controller));
        emit ContractRegistered(id, address(0xB0B));
        vm.prank(gov);
        controller.setContract(id, address(0xB0B));
        assertEq(controller.getContract(id), address(0xB0B));
    }

    function test_SetContractOverwritesAndClears() public {
        bytes32 id = keccak256("Minter");
        vm.startPrank(gov);
        controller.setContract(id, address(1));
        controller.setContract(id, address(2));
        assertEq(controller.getContract(id), address(2));
        controller.setContract(id, address(0));
        vm.stopPrank();
        assertEq(controller.getContract(id), address(0));
    }

    function test_GetContractUnknownIsZero() public view {
        assertEq(controller.getContract(keccak256("nothing")), address(0));
    }

    function test_RevertWhen_SetContractByStranger() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        vm.prank(stranger);
        controller.setContract(keccak256("x"), address(1));
    }

    function test_RevertWhen_SetContractZeroId() public {
        vm.expectRevert(IController.ZeroContractId.selector);
        vm.prank(gov);
        controller.setContract(bytes32(0), address(1));
    }

    function test_PauseAndUnpause() public {
        vm.expectEmit(address(controller));
        emit ProtocolUnpaused(gov);
        vm.prank(gov);
        controller.unpause();
        assertFalse(controller.paused());

        vm.expectEmit(address(controller));
        emit ProtocolPaused(gov);
        vm.prank(gov);
        controller.pause();
        assertTrue(controller.paused());
    }

    function test_RevertWhen_PauseTwiceOrUnpauseUnpaused() public {
        vm.expectRevert(IController.AlreadyPaused.selector);
        vm.prank(gov);
        controller.pause();

        vm.prank(gov);
        controller.unpause();
        vm.expectRevert(IController.NotPaused.selector);
        vm.prank(gov);
        controller.unpause();
    }

    function test_RevertWhen_PauseByStranger() public {
        vm.prank(gov);
        controller.unpause();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        vm.prank(stranger);
        controller.pause();
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        vm.prank(stranger);
        controller.unpause();
    }

    function test_TwoStepOwnershipTransfer() public {
        address next = makeAddr("next governance");
        vm.expectEmit(address(controller));
        emit OwnershipTransferStarted(gov, next);
        vm.prank(gov);
        controller.transferOwnership(next);
        // Nothing changes until the new owner accepts.
        assertEq(controller.owner(), gov);
        assertEq(controller.pendingOwner(), next);

        vm.expectEmit(address(controller));
        emit OwnershipTransferred(gov, next);
        vm.prank(next);
        controller.acceptOwnership();
        assertEq(controller.owner(), next);
        assertEq(controller.pendingOwner(), address(0));
    }

    function test_RevertWhen_AcceptOwnershipByOther() public {
        vm.prank(gov);
        controller.transferOwnership(makeAddr("next governance"));
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        vm.prank(stranger);
        controller.acceptOwnership();
    }

    function test_RevertWhen_UpgradeByStranger() public {
        vm.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, stranger));
        vm.prank(stranger);
        controller.upgradeProxy(address(1), address(2), "");
    }
}
