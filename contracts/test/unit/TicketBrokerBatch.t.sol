// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IControlled} from "../../src/interfaces/IControlled.sol";
import {ITicketBroker} from "../../src/interfaces/ITicketBroker.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {TicketBrokerTestBase} from "../utils/TicketBrokerTestBase.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice Batched redemption and the fee vault.
contract TicketBrokerBatchTest is TicketBrokerTestBase {
    // ------------------------------------------------------------------ batch

    function test_BatchRedeemsAndCreditsOncePerRound() public {
        fund(10 ether, 0);
        bytes memory older = ticket(1 ether, 1);
        uint256 r1 = round();
        nextRound();
        staking.setStake(orch, round(), 100);
        bytes memory batch =
            abi.encodePacked(older, ticket(1 ether, 2), ticket(1 ether, 3), ticket(1 ether, 4));
        vm.recordLogs();
        vm.prank(orch);
        bytes4[] memory failures = broker.batchRedeemWinningTickets(batch);
        assertEq(failures.length, 4);
        for (uint256 i; i < 4; ++i) {
            assertEq(uint32(failures[i]), 0);
        }
        assertEq(staking.feesOf(orch, r1), 1 ether);
        assertEq(staking.feesOf(orch, round()), 3 ether);
        // Held by the broker, one place per creation round; the staking side was told once per round.
        (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB) = broker.pendingFees(orch);
        assertEq(roundA, r1);
        assertEq(amountA, 1 ether);
        assertEq(roundB, round());
        assertEq(amountB, 3 ether);
        assertEq(countLogs(keccak256("FeesCredited(address,uint256,uint256)")), 0);
        // The next touch of the pool credits each round once.
        vm.recordLogs();
        staking.collect(orch);
        assertEq(countLogs(keccak256("FeesCredited(address,uint256,uint256)")), 2);
        assertEq(staking.creditedFeesOf(orch, r1), 1 ether);
        assertEq(staking.creditedFeesOf(orch, round()), 3 ether);
        (, amountA,, amountB) = broker.pendingFees(orch);
        assertEq(amountA + amountB, 0);
    }

    function test_ThirdCreationRoundHasTheHeldFeesTakenFirst() public {
        fund(10 ether, 0);
        uint256 r1 = round();
        bytes memory t1 = ticket(1 ether, 1);
        vm.prank(orch);
        broker.redeemWinningTicket(t1);
        nextRound();
        staking.setStake(orch, round(), 100);
        uint256 r2 = round();
        bytes memory t2 = ticket(2 ether, 2);
        vm.prank(orch);
        broker.redeemWinningTicket(t2);
        assertEq(staking.creditedFeesOf(orch, r1), 0, "held, not credited");
        nextRound();
        staking.setStake(orch, round(), 100);
        bytes memory t3 = ticket(4 ether, 3);
        vm.prank(orch);
        broker.redeemWinningTicket(t3);
        // r1 and r2 were taken and credited before r3 took a place
        assertEq(staking.creditedFeesOf(orch, r1), 1 ether);
        assertEq(staking.creditedFeesOf(orch, r2), 2 ether);
        (uint256 roundA, uint256 amountA,, uint256 amountB) = broker.pendingFees(orch);
        assertEq(roundA, round());
        assertEq(amountA, 4 ether);
        assertEq(amountB, 0);
        assertEq(staking.feesOf(orch, round()), 4 ether);
        assertEq(address(broker).balance, 10 ether, "no ETH moved");
    }

    function test_TakeFeesOnlyByStaking() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IControlled.NotRegisteredCaller.selector, address(this), ContractIds.BONDING_MANAGER
            )
        );
        broker.takeFees(orch);
    }

    function countLogs(bytes32 topic) internal returns (uint256 count) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics.length > 0 && logs[i].topics[0] == topic) ++count;
        }
    }

    function test_BatchSkipsBadTickets() public {
        fund(2 ether, 0);
        bytes memory good1 = ticket(1 ether, 1);
        bytes memory good2 = ticket(1 ether, 3);
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, 0, 2, 42);
        bytes memory losing = TicketLib.pack(tk, 42, signTicket(senderKey, tk));
        bytes memory broke = ticket(1 ether, 4); // deposit is exhausted by then
        bytes memory batch = abi.encodePacked(good1, losing, good1, good2, broke);
        vm.expectEmit(address(broker));
        emit TicketRedemptionFailed(1, abi.encodeWithSelector(ITicketBroker.TicketNotWinning.selector));
        vm.prank(orch);
        bytes4[] memory failures = broker.batchRedeemWinningTickets(batch);
        assertEq(uint32(failures[0]), 0);
        assertEq(failures[1], ITicketBroker.TicketNotWinning.selector);
        assertEq(failures[2], ITicketBroker.TicketUsed.selector);
        assertEq(uint32(failures[3]), 0);
        assertEq(failures[4], ITicketBroker.InsufficientFunds.selector);
        assertEq(staking.feesOf(orch, round()), 2 ether);
        assertFalse(broker.isUsedTicket(broker.ticketHash(broke)));
    }

    function test_RevertWhen_MalformedBatch() public {
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.MalformedBatch.selector, 300));
        broker.batchRedeemWinningTickets(new bytes(300));
    }

    function test_EmptyBatch() public {
        vm.prank(orch);
        bytes4[] memory failures = broker.batchRedeemWinningTickets("");
        assertEq(failures.length, 0);
    }

    // ------------------------------------------------------------------ fee vault

    function test_PayFeesThroughStaking() public {
        fund(3 ether, 0);
        redeemAs(orch, ticket(1 ether, 1));
        vm.expectEmit(address(broker));
        emit FeesPaid(orch, 1 ether);
        uint256 r = round();
        vm.prank(orch);
        staking.claimFees(r);
        assertEq(orch.balance, 1 ether);
        assertEq(address(broker).balance, 2 ether);
    }

    function test_RevertWhen_PayFeesNotBondingManager() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IControlled.NotRegisteredCaller.selector, address(this), ContractIds.BONDING_MANAGER
            )
        );
        broker.payFees(payable(address(this)), 1);
    }

    function test_RevertWhen_PayFeesTransferFails() public {
        fund(3 ether, 0);
        redeemAs(orch, ticket(1 ether, 1));
        staking.collect(orch); // the fees are taken, so they may be paid
        address refuser = address(new NoReceive());
        vm.prank(address(staking));
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.TransferFailed.selector, refuser, 1 ether));
        broker.payFees(payable(refuser), 1 ether);
    }

    function test_RevertWhen_PayFeesPaused() public {
        d.controller.pause();
        vm.prank(address(staking));
        vm.expectRevert(IControlled.ProtocolIsPaused.selector);
        broker.payFees(payable(orch), 1);
    }
}

/// @dev Refuses ETH.
contract NoReceive {}
