// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BrokerReplacement} from "../../../script/BrokerReplacement.sol";
import {RetiredTicketBroker} from "../../src/RetiredTicketBroker.sol";
import {TicketBroker} from "../../src/TicketBroker.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {BrokerFixture} from "../utils/BrokerFixture.sol";

/// @notice The property of moving funds to a replacement broker (docs/ticket-broker.md, Replacement):
/// no participant gains or loses by it, in any order. Over fuzzed deposits, reserves, stakes of two
/// orchestrators, four tickets issued before the move with fuzzed face values and recipients, the
/// point of the replacement and of the move among their redemptions and the round of the later ones:
/// 1. the move changes no orchestrator's reserve allocation (the reserve's guarantee);
/// 2. after the move a ticket issued before it is paid iff the recipient's remaining allocation
///    covers it (the deposit has gone), on the old broker;
/// 3. the reserve can't leave while any of those tickets is valid, and all are expired once it can;
/// 4. ETH is conserved: the two brokers hold exactly the sender's funds on both plus every fee, and
///    every paid wei is credited exactly once to its recipient, through the registered broker.
contract BrokerReplacementFuzzTest is BrokerFixture, BrokerReplacement {
    address internal sender;
    uint256 internal senderKey;
    address[2] internal orchs;
    TicketBroker internal newBroker;

    function setUp() public {
        deployBroker();
        initRound();
        (sender, senderKey) = makeAddrAndKey("sender");
        orchs[0] = makeAddr("orchA");
        orchs[1] = makeAddr("orchB");
    }

    function _replace() internal {
        Replacement memory r = _deployReplacement(IController(address(d.controller)), broker);
        newBroker = r.broker;
        (address[] memory targets, bytes[] memory payloads) = _replacementBatch(
            address(d.controller), address(broker), address(newBroker), r.retiredImplementation
        );
        for (uint256 i; i < targets.length; ++i) {
            (bool ok,) = targets[i].call(payloads[i]);
            assertTrue(ok);
        }
    }

    function _funds(TicketBroker b) internal view returns (uint256) {
        (uint256 dep, uint256 res,) = b.getSender(sender);
        return dep + res;
    }

    function _held(TicketBroker b, address o) internal view returns (uint256) {
        (, uint256 a,, uint256 c) = b.pendingFees(o);
        return a + c;
    }

    struct Run {
        uint256 total;
        uint256 paid;
        uint256 releaseRound;
        bytes[4] tickets;
        uint256[4] faces;
        address[4] recipients;
    }

    function testFuzz_MoveKeepsTheReserveGuaranteeAndConservesValue(
        uint256 deposit,
        uint256 reserve,
        uint256 stakeA,
        uint256 stakeB,
        uint256[4] memory faces,
        uint8 recipientBits,
        uint8 switchAt,
        uint8 movedAt,
        bool laterRound
    ) public {
        Run memory run;
        deposit = bound(deposit, 0, 20 ether);
        reserve = bound(reserve, 0, 20 ether);
        vm.assume(deposit + reserve != 0);
        uint256 r0 = round();
        for (uint256 k; k < 4; ++k) {
            staking.setStake(orchs[0], r0 + k, bound(stakeA, 1, 1e9));
            staking.setStake(orchs[1], r0 + k, bound(stakeB, 1, 1e9));
        }
        vm.deal(sender, deposit + reserve);
        vm.prank(sender);
        broker.fundDepositAndReserve{value: deposit + reserve}(deposit, reserve);
        run.total = deposit + reserve;
        for (uint256 i; i < 4; ++i) {
            run.faces[i] = bound(faces[i], 1, 10 ether);
            run.recipients[i] = orchs[(recipientBits >> i) & 1];
            // forge-lint: disable-next-line(unsafe-typecast) -- i < 4
            uint32 nonce = uint32(i + 1);
            TicketLib.Ticket memory t =
                makeTicket(sender, run.recipients[i], run.faces[i], ALWAYS, nonce, 100 + i);
            run.tickets[i] = packSigned(senderKey, t, 100 + i);
        }
        // Tickets before `switchAt` are redeemed while the old broker is still registered (their fees
        // are held there at the replacement); the move comes at or after the replacement.
        switchAt = uint8(bound(switchAt, 0, 4));
        movedAt = uint8(bound(movedAt, switchAt, 4));

        for (uint256 i; i < 4; ++i) {
            if (i == switchAt) _replace();
            if (i == movedAt) run = _move(run);
            if (i > movedAt && laterRound && round() == r0) nextRound();
            uint256 avail = _available(run.recipients[i]);
            vm.prank(run.recipients[i]);
            (bool ok,) =
                address(broker).call(abi.encodeCall(TicketBroker.redeemWinningTicket, (run.tickets[i])));
            // 2. paid iff deposit + remaining allocation cover it (the deposit is zero once moved)
            assertEq(ok, run.faces[i] <= avail);
            if (ok) run.paid += run.faces[i];
            if (address(newBroker) != address(0)) _assertConserved(run);
        }
        if (switchAt == 4) _replace();
        if (movedAt == 4) run = _move(run);

        // 3. the reserve stays until every ticket of r0 has expired, then anyone forwards it
        RetiredTicketBroker retired = RetiredTicketBroker(payable(address(broker)));
        if (run.releaseRound > round()) {
            (, uint256 res,) = broker.getSender(sender);
            if (res != 0) {
                vm.expectRevert();
                retired.forwardReserve(sender);
            }
            while (round() < run.releaseRound) nextRound();
        }
        for (uint256 i; i < 4; ++i) {
            vm.prank(run.recipients[i]);
            (bool ok,) =
                address(broker).call(abi.encodeCall(TicketBroker.redeemWinningTicket, (run.tickets[i])));
            assertFalse(ok);
        }
        (, uint256 left,) = broker.getSender(sender);
        if (left != 0) retired.forwardReserve(sender);
        assertEq(_funds(broker), 0);
        assertEq(_funds(newBroker), run.total - run.paid);

        // 4. every paid wei is credited once, through the registered broker
        staking.collect(orchs[0]);
        staking.collect(orchs[1]);
        newBroker.handOverFees(orchs[0]);
        newBroker.handOverFees(orchs[1]);
        assertEq(staking.totalCredited(), run.paid, "credited once");
        assertEq(address(broker).balance, 0, "old broker emptied");
        assertEq(address(newBroker).balance, run.total, "all value in the new broker");
    }

    /// @dev The sender moves; checks property 1 and the deposit's arrival.
    function _move(Run memory run) internal returns (Run memory) {
        uint256 r = round();
        uint256 a0 = broker.remainingReserveAllocation(sender, orchs[0], r);
        uint256 a1 = broker.remainingReserveAllocation(sender, orchs[1], r);
        (uint256 dep, uint256 res, uint256 wr) = broker.getSender(sender);
        if (dep + res == 0) return run; // everything was paid out already
        vm.prank(sender);
        RetiredTicketBroker(payable(address(broker))).moveFunds();
        // 1. no orchestrator's allocation changes
        assertEq(broker.remainingReserveAllocation(sender, orchs[0], r), a0, "allocation A");
        assertEq(broker.remainingReserveAllocation(sender, orchs[1], r), a1, "allocation B");
        (uint256 newDep,,) = newBroker.getSender(sender);
        assertEq(newDep, dep);
        (,, run.releaseRound) = broker.getSender(sender);
        assertEq(run.releaseRound, wr == 0 ? r + VALIDITY : (wr < r + VALIDITY ? wr : r + VALIDITY));
        _assertConserved(run);
        return run;
    }

    function _available(address recipient) internal view returns (uint256) {
        (uint256 dep,, uint256 wr) = broker.getSender(sender);
        if (wr != 0 && round() >= wr) return 0;
        return dep + broker.remainingReserveAllocation(sender, recipient, round());
    }

    function _assertConserved(Run memory run) internal view {
        assertEq(address(broker).balance + address(newBroker).balance, run.total, "ETH conserved");
        assertEq(_funds(broker) + _funds(newBroker) + run.paid, run.total, "sender's funds");
        // held + credited counts every paid wei once (credited fees are also owed until paid)
        assertEq(
            _held(broker, orchs[0]) + _held(broker, orchs[1]) + _held(newBroker, orchs[0])
                + _held(newBroker, orchs[1]) + staking.totalCredited(),
            run.paid,
            "fees"
        );
    }
}
