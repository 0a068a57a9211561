// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITicketBroker} from "../../src/interfaces/ITicketBroker.sol";
import {BrokerFixture} from "../utils/BrokerFixture.sol";
import {console} from "../utils/console.sol";
import {TicketBrokerHandler} from "./TicketBrokerHandler.sol";

/// @notice The broker's conservation and safety properties under random sequences of funding,
/// unlocks, withdrawals, single and batched redemptions, fee claims and round changes.
contract TicketBrokerInvariantTest is BrokerFixture {
    TicketBrokerHandler internal handler;

    function setUp() public {
        deployBroker();
        initRound();
        handler = new TicketBrokerHandler(broker, staking, d.rounds, governance);
        handler.seed();
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](12);
        selectors[0] = handler.fund.selector;
        selectors[1] = handler.unlock.selector;
        selectors[2] = handler.cancelUnlock.selector;
        selectors[3] = handler.withdraw.selector;
        selectors[4] = handler.issue.selector;
        selectors[5] = handler.redeem.selector;
        selectors[6] = handler.redeemBatch.selector;
        selectors[7] = handler.claimFees.selector;
        selectors[8] = handler.advanceRound.selector;
        selectors[9] = handler.setRoundLength.selector;
        selectors[10] = handler.rollBlocks.selector;
        selectors[11] = handler.collect.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev Broker ETH = Σ deposits + Σ reserves + fees credited but not yet paid out.
    function invariant_EthConserved() public view {
        uint256 sum;
        for (uint256 i; i < handler.senderCount(); ++i) {
            address s = handler.senders(i);
            (uint256 dep, uint256 res,) = broker.getSender(s);
            assertEq(dep, handler.ghostDeposit(s), "deposit ledger");
            assertEq(res, handler.ghostReserve(s), "reserve ledger");
            sum += dep + res;
        }
        assertEq(address(broker).balance, sum + handler.ghostCredited() - handler.ghostPaid(), "broker ETH");
        assertEq(staking.totalPaid(), handler.ghostPaid(), "fees paid");
    }

    /// @dev Every redeemed wei is either still held by the broker for its recipient (not taken yet)
    /// or was handed to the staking side exactly once.
    function invariant_FeesHeldOrHandedOverOnce() public view {
        assertEq(handler.ghostCredited(), handler.heldFees() + staking.totalCredited(), "fee handover");
    }

    function invariant_NoTicketRedeemedTwice() public view {
        assertEq(handler.ghostDoubleRedeems(), 0);
    }

    function invariant_ReserveClaimsWithinAllocation() public view {
        assertEq(handler.ghostOverAllocations(), 0);
    }

    function invariant_NoWithdrawalWhileTicketsLive() public view {
        assertEq(handler.ghostWithdrawalsWithLiveTickets(), 0);
    }

    /// @dev The broker's round cache never disagrees with the RoundsManager while it claims to be fresh.
    function invariant_RoundCacheNeverStale() public view {
        (uint256 r, uint256 end,) = broker.roundCache();
        if (block.number < end) assertEq(r, d.rounds.currentRound(), "cached round");
    }

    /// @dev Shows how much of the protocol a run reached (`forge test -vv`).
    function afterInvariant() public view {
        console.log("redemptions", handler.ghostRedemptions());
        console.log("reserve claims", handler.ghostReserveClaims());
        console.log("withdrawals", handler.ghostWithdrawals());
        console.log("batch failures", handler.ghostBatchFailures());
        console.log("used", handler.ghostFailures(ITicketBroker.TicketUsed.selector));
        console.log("insufficient", handler.ghostFailures(ITicketBroker.InsufficientFunds.selector));
        console.log("unlocked", handler.ghostFailures(ITicketBroker.SenderUnlocked.selector));
        console.log("notactive", handler.ghostFailures(ITicketBroker.RecipientNotActive.selector));
        console.log("expired", handler.ghostFailures(ITicketBroker.TicketExpired.selector));
    }
}
