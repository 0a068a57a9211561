// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RoundsManager} from "../../src/RoundsManager.sol";
import {IControlled} from "../../src/interfaces/IControlled.sol";
import {ITicketBroker} from "../../src/interfaces/ITicketBroker.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {ControlledProxy} from "../../src/proxy/ControlledProxy.sol";
import {TicketBrokerTestBase} from "../utils/TicketBrokerTestBase.sol";

/// @notice Redemption: payment from deposit and reserve, the stake-weighted reserve allocation, unlock interplay, the round cache.
contract TicketBrokerRedeemTest is TicketBrokerTestBase {
    // ------------------------------------------------------------------ redemption

    function test_RedeemFromDeposit() public {
        fund(3 ether, 2 ether);
        bytes memory t = ticket(1 ether, 1);
        bytes32 h = broker.ticketHash(t);
        vm.expectEmit(address(broker));
        emit TicketRedeemed(h, sender, orch, 1 ether, round());
        redeemAs(orch, t);
        (uint256 dep, uint256 res,) = broker.getSender(sender);
        assertEq(dep, 2 ether);
        assertEq(res, 2 ether);
        assertTrue(broker.isUsedTicket(h));
        assertEq(staking.feesOf(orch, round()), 1 ether);
        assertEq(address(broker).balance, 5 ether);
    }

    function test_TicketHashMatchesStructHash() public view {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 7, 42);
        bytes memory t = TicketLib.pack(tk, 42, signTicket(senderKey, tk));
        assertEq(broker.ticketHash(t), digestOf(tk));
    }

    function test_RedeemUsesReserveWhenDepositShort() public {
        fund(1 ether, 10 ether);
        staking.setStake(orch2, round(), 100); // orch holds half the active stake
        vm.expectEmit(address(broker));
        emit ReserveClaimed(sender, orch, round(), 2 ether);
        redeemAs(orch, ticket(3 ether, 1));
        (uint256 dep, uint256 res,) = broker.getSender(sender);
        assertEq(dep, 0);
        assertEq(res, 8 ether);
        assertEq(broker.claimedReserve(sender, orch, round()), 2 ether);
        assertEq(broker.remainingReserveAllocation(sender, orch, round()), 3 ether);
        assertEq(staking.feesOf(orch, round()), 3 ether);
    }

    function test_ReserveAllocationIsStakeWeightedAndFixedForTheRound() public {
        fund(0, 10 ether);
        staking.setStake(orch2, round(), 300); // orch 100/400 = 2.5 ether, orch2 300/400 = 7.5 ether
        redeemAs(orch, ticket(2.5 ether, 1));
        // orch is at its cap, even though 7.5 ether of reserve remain
        bytes memory t = ticket(0.1 ether, 2);
        expectRedeemRevert(t, abi.encodeWithSelector(ITicketBroker.InsufficientFunds.selector, 0, 0.1 ether));
        // orch2's allocation is computed on the 10 ether of the round's start, not the 7.5 left
        bytes memory t2 = packSigned(senderKey, makeTicket(sender, orch2, 7.5 ether, ALWAYS, 3, 42), 42);
        redeemAs(orch2, t2);
        (, uint256 res,) = broker.getSender(sender);
        assertEq(res, 0);
    }

    function test_ReserveAllocationRenewsNextRound() public {
        fund(0, 10 ether);
        staking.setStake(orch2, round(), 100);
        redeemAs(orch, ticket(5 ether, 1));
        nextRound();
        staking.setStake(orch, round(), 100);
        staking.setStake(orch2, round(), 100);
        // 5 ether left: orch now gets half of that
        assertEq(broker.remainingReserveAllocation(sender, orch, round()), 2.5 ether);
        redeemAs(orch, ticket(2.5 ether, 2));
    }

    function test_SybilSplitGainsNothing() public {
        fund(0, 12 ether);
        // orch has 100; a Sybil splits another 300 over three identities
        address[3] memory sybils = [makeAddr("s1"), makeAddr("s2"), makeAddr("s3")];
        uint256 total;
        for (uint256 i; i < 3; ++i) {
            staking.setStake(sybils[i], round(), 100);
        }
        for (uint256 i; i < 3; ++i) {
            total += broker.remainingReserveAllocation(sender, sybils[i], round());
        }
        // 300/400 of 12 ether, the same as one orchestrator with 300 would get
        assertEq(total, 9 ether);
    }

    function test_InsufficientFundsLeavesTicketRedeemable() public {
        fund(1 ether, 0);
        bytes memory t = ticket(2 ether, 1);
        expectRedeemRevert(
            t, abi.encodeWithSelector(ITicketBroker.InsufficientFunds.selector, 1 ether, 2 ether)
        );
        assertFalse(broker.isUsedTicket(broker.ticketHash(t)));
        vm.prank(funder);
        broker.fundDepositAndReserveFor{value: 1 ether}(sender, 1 ether, 0);
        redeemAs(orch, t);
        assertTrue(broker.isUsedTicket(broker.ticketHash(t)));
    }

    function test_RedeemWhileUnlockingBeforeWithdrawRound() public {
        fund(3 ether, 0);
        bytes memory t = ticket(1 ether, 1);
        vm.prank(sender);
        broker.unlock();
        nextRound(); // still within validity (2) and before the withdraw round (+3)
        redeemAs(orch, t);
    }

    function test_RevertWhen_SenderUnlocked() public {
        broker.setTicketValidityPeriod(UNLOCK); // validity == unlock: tickets of the unlock round live till it ends
        fund(3 ether, 0);
        nextRound();
        staking.setStake(orch, round(), 100);
        vm.prank(sender);
        broker.unlock();
        uint256 wr = round() + UNLOCK;
        nextRound(); // a ticket created after the unlock: the recipient's own risk
        staking.setStake(orch, round(), 100);
        bytes memory t = ticket(1 ether, 1);
        nextRound();
        nextRound();
        assertEq(round(), wr);
        expectRedeemRevert(t, abi.encodeWithSelector(ITicketBroker.SenderUnlocked.selector, sender, wr));
    }

    function test_RevertWhen_SenderWithdrawn() public {
        fund(3 ether, 0);
        vm.prank(sender);
        broker.unlock();
        uint256 wr = round() + UNLOCK;
        for (uint256 i; i < UNLOCK; ++i) {
            nextRound();
        }
        vm.prank(sender);
        broker.withdraw();
        // somebody funds the withdrawn sender again; its tickets still don't pay until it cancels
        vm.prank(funder);
        broker.fundDepositAndReserveFor{value: 1 ether}(sender, 1 ether, 0);
        staking.setStake(orch, round(), 100);
        bytes memory t = ticket(1 ether, 1);
        expectRedeemRevert(t, abi.encodeWithSelector(ITicketBroker.SenderUnlocked.selector, sender, wr));
        vm.prank(sender);
        broker.cancelUnlock();
        redeemAs(orch, t);
    }

    // ------------------------------------------------------------------ round cache

    function test_SyncKeepsTheRoundCacheWhileRoundsManagerIsUnchanged() public {
        fund(10 ether, 0);
        redeemAs(orch, ticket(1 ether, 1));
        (uint256 before,,) = broker.roundCache();
        assertEq(before, round());
        // Anyone may sync; it must not make the next redeemer pay for a cache refresh.
        vm.prank(makeAddr("griefer"));
        broker.syncDependencies();
        (uint256 afterSync,,) = broker.roundCache();
        assertEq(afterSync, before);
    }

    function test_GovernanceResetsTheRoundCache() public {
        fund(10 ether, 0);
        redeemAs(orch, ticket(1 ether, 1));
        broker.resetRoundCache();
        (uint256 r, uint256 end, bytes32 h) = broker.roundCache();
        assertEq(r + end, 0);
        assertEq(h, bytes32(0));
        // The next redemption refills it from the RoundsManager.
        redeemAs(orch, ticket(1 ether, 2));
        (r,,) = broker.roundCache();
        assertEq(r, round());
    }

    function test_RevertWhen_ResetRoundCacheNotGovernance() public {
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, stranger));
        broker.resetRoundCache();
    }

    function test_RoundCacheFollowsRounds() public {
        fund(10 ether, 0);
        redeemAs(orch, ticket(1 ether, 1));
        (uint256 r, uint256 end, bytes32 h) = broker.roundCache();
        assertEq(r, round());
        assertEq(end, d.rounds.currentRoundStartBlock() + ROUND_LENGTH);
        assertEq(h, d.rounds.blockHashForRound(round()));
        nextRound();
        staking.setStake(orch, round(), 100);
        redeemAs(orch, ticket(1 ether, 2));
        (r,,) = broker.roundCache();
        assertEq(r, round());
    }

    function test_RoundCacheHonoursRoundLengthChange() public {
        fund(10 ether, 0);
        redeemAs(orch, ticket(1 ether, 1));
        d.rounds.setRoundLength(10); // from the next round on
        uint256 r1 = round();
        nextRound(); // round r1 + 1 has the new length
        staking.setStake(orch, round(), 100);
        bytes memory t = ticket(1 ether, 2);
        redeemAs(orch, t);
        (, uint256 end,) = broker.roundCache();
        assertEq(end, d.rounds.currentRoundStartBlock() + 10);
        // ten blocks later it is round r1 + 2 for the RoundsManager, and for the broker too:
        vm.roll(end);
        assertEq(round(), r1 + 2);
        d.rounds.initializeRound();
        staking.setStake(orch, round(), 100);
        redeemAs(orch, ticket(1 ether, 3));
        (uint256 r,,) = broker.roundCache();
        assertEq(r, r1 + 2);
    }

    function test_RoundCacheFillsBlockHashOnceRoundIsInitialized() public {
        fund(10 ether, 0);
        bytes memory older = ticket(1 ether, 1);
        vm.roll(d.rounds.currentRoundStartBlock() + ROUND_LENGTH); // next round, not initialized
        redeemAs(orch, older); // refreshes the cache before the round has a block hash
        (,, bytes32 h) = broker.roundCache();
        assertEq(h, bytes32(0));
        d.rounds.initializeRound();
        staking.setStake(orch, round(), 100);
        redeemAs(orch, ticket(1 ether, 2));
        (,, h) = broker.roundCache();
        assertEq(h, d.rounds.blockHashForRound(round()));
    }

    function test_SyncDependenciesDropsRoundCacheOfAReplacedRoundsManager() public {
        fund(10 ether, 0);
        redeemAs(orch, ticket(1 ether, 1));
        address newRounds = address(
            new ControlledProxy(
                address(d.controller),
                d.roundsImplementation,
                abi.encodeCall(RoundsManager.initialize, (ROUND_LENGTH))
            )
        );
        d.controller.setContract(ContractIds.ROUNDS_MANAGER, newRounds);
        broker.syncDependencies();
        (uint256 r, uint256 end, bytes32 h) = broker.roundCache();
        assertEq(r + end, 0);
        assertEq(h, bytes32(0));
    }
}
