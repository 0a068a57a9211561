// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BrokerReplacement} from "../../../script/BrokerReplacement.sol";
import {RetiredTicketBroker} from "../../src/RetiredTicketBroker.sol";
import {TicketBroker} from "../../src/TicketBroker.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {TicketBrokerSymbolicBase} from "../utils/TicketBrokerSymbolicBase.sol";

/// @notice Symbolic property (halmos) of moving a sender's funds to a replacement broker, run in CI.
contract BrokerReplacementSymbolic is TicketBrokerSymbolicBase, BrokerReplacement {
    TicketBroker internal newBroker;
    RetiredTicketBroker internal retired;

    function setUp() public override {
        super.setUp();
        staking.setStake(ORCH2, r0, 300);
    }

    function _replace() internal {
        Replacement memory r = _deployReplacement(IController(address(d.controller)), broker);
        newBroker = r.broker;
        retired = RetiredTicketBroker(payable(address(broker)));
        (address[] memory targets, bytes[] memory payloads) = _replacementBatch(
            address(d.controller), address(broker), address(newBroker), r.retiredImplementation
        );
        for (uint256 i; i < targets.length; ++i) {
            (bool ok,) = targets[i].call(payloads[i]);
            assert(ok);
        }
    }

    function _fundsOn(TicketBroker b, address who) internal view returns (uint256) {
        (uint256 dep, uint256 res,) = b.getSender(who);
        return dep + res;
    }

    /// `moveFunds` then `forwardReserve` neither create nor lose value and keep the reserve's
    /// guarantee, for every deposit and reserve (any uint112), with or without an unlock started
    /// before, the move made 0-3 rounds after it, and the forward tried 0-3 rounds after the move:
    /// - the two brokers' ETH is unchanged by either call, and the sender's funds on both sum to
    ///   what it had;
    /// - the deposit arrives at once on the new broker; while an unlock isn't over, the reserve stays
    ///   on the old broker and no orchestrator's allocation of the round changes;
    /// - `forwardReserve` succeeds exactly from the release round (`min(withdrawRound, move round +
    ///   validity)`) on, and leaves all the sender's funds on the new broker.
    /// Bound (CI): two orchestrators with fixed stakes (100 and 300), no tickets redeemed in between
    /// (redemptions around a move are the fuzz suite's `BrokerReplacementFuzzTest`).
    function check_MoveAndForwardConserveValueAndKeepTheGuarantee(
        uint112 dep,
        uint112 res,
        bool unlockFirst,
        uint8 roundsBeforeMove,
        uint8 roundsBeforeForward
    ) public {
        vm.assume(roundsBeforeMove < 4 && roundsBeforeForward < 4);
        vm.assume(fundAs(FUNDER, SENDER2, dep, res));
        vm.assume(uint256(dep) + res != 0);
        initial = uint256(dep) + res;
        if (unlockFirst) {
            vm.prank(SENDER2);
            broker.unlock();
        }
        for (uint256 i; i < roundsBeforeMove; ++i) {
            nextRound();
            staking.setStake(ORCH, round(), 100);
            staking.setStake(ORCH2, round(), 300);
        }
        _replace();
        total = address(broker).balance + address(newBroker).balance;
        uint256 oldRes = _moveAndCheck(dep, res);
        for (uint256 i; i < roundsBeforeForward; ++i) {
            nextRound();
        }
        (bool ok,) = address(retired).call(abi.encodeCall(RetiredTicketBroker.forwardReserve, (SENDER2)));
        assert(ok == (oldRes != 0 && round() >= release));
        _assertConserved();
        if (ok) assert(_fundsOn(broker, SENDER2) == 0);
    }

    uint256 internal initial;
    uint256 internal total;
    uint256 internal release;

    /// @dev Moves SENDER2's funds and checks the move; returns the reserve left on the old broker.
    function _moveAndCheck(uint256 dep, uint256 res) internal returns (uint256 oldRes) {
        uint256 moveRound = round();
        (,, uint256 wr) = broker.getSender(SENDER2);
        uint256 a1 = broker.remainingReserveAllocation(SENDER2, ORCH, moveRound);
        uint256 a2 = broker.remainingReserveAllocation(SENDER2, ORCH2, moveRound);
        vm.prank(SENDER2);
        retired.moveFunds();
        _assertConserved();
        release = moveRound + VALIDITY;
        if (wr != 0 && wr < release) release = wr;
        (uint256 newDep,,) = newBroker.getSender(SENDER2);
        uint256 oldDep;
        uint256 oldWr;
        (oldDep, oldRes, oldWr) = broker.getSender(SENDER2);
        assert(oldDep == 0 && newDep == dep && oldWr == release);
        if (moveRound < release) {
            assert(oldRes == res);
            assert(broker.remainingReserveAllocation(SENDER2, ORCH, moveRound) == a1);
            assert(broker.remainingReserveAllocation(SENDER2, ORCH2, moveRound) == a2);
        } else {
            assert(oldRes == 0);
        }
    }

    function _assertConserved() internal view {
        assert(address(broker).balance + address(newBroker).balance == total);
        assert(_fundsOn(broker, SENDER2) + _fundsOn(newBroker, SENDER2) == initial);
    }
}
