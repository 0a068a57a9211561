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

    address internal retiredImplementation;

    /// @dev The replacement is deployed here, once (deploying it on every path costs halmos most of
    /// its time); the check runs the governance batch.
    function setUp() public override {
        super.setUp();
        staking.setStake(ORCH2, r0, 300);
        Replacement memory r = _deployReplacement(IController(address(d.controller)), broker);
        newBroker = r.broker;
        retiredImplementation = r.retiredImplementation;
        retired = RetiredTicketBroker(payable(address(broker)));
    }

    function _replace() internal {
        (address[] memory targets, bytes[] memory payloads) = _replacementBatch(
            address(d.controller), address(broker), address(newBroker), retiredImplementation
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
    /// guarantee:
    /// - the two brokers' ETH is unchanged by either call, and the sender's funds on both sum to
    ///   what it had;
    /// - the deposit arrives at once on the new broker; while the unlock isn't over, the reserve
    ///   stays on the old broker and no orchestrator's allocation of the round changes;
    /// - `forwardReserve` succeeds exactly from the release round (`min(withdrawRound, move round +
    ///   validity)`) on, and leaves all the sender's funds on the new broker.
    /// Bound (CI): a grid, every combination checked — deposit 0 or 2^112 − 1; reserve 0, 3 ETH + 1 wei
    /// (allocations round down) or 2^112 − 1 (the allocation's `mulDiv` over symbolic words doesn't
    /// finish, see docs/auditing.md); with or without an unlock started first; the move 0, 2 (the
    /// unlock ends before the validity would) or 3 rounds (the unlock is over: everything moves at
    /// once) later; the forward tried 0, 1 or 2 rounds after the move. Two orchestrators with fixed
    /// stakes (100 and 300), no tickets redeemed in between (that is `BrokerReplacementFuzzTest`).
    /// @custom:halmos --loop 4
    function check_MoveAndForwardConserveValueAndKeepTheGuarantee(
        uint8 depChoice,
        uint8 resChoice,
        bool unlockFirst,
        uint8 moveChoice,
        uint8 roundsBeforeForward
    ) public {
        uint256[] memory deps = new uint256[](2);
        (deps[0], deps[1]) = (0, type(uint112).max);
        uint256[] memory ress = new uint256[](3);
        (ress[0], ress[1], ress[2]) = (0, 3 ether + 1, type(uint112).max);
        uint256[] memory moves = new uint256[](3);
        (moves[0], moves[1], moves[2]) = (0, 2, 3);
        vm.assume(roundsBeforeForward < 3);
        uint256 dep = _pick(depChoice, deps);
        uint256 res = _pick(resChoice, ress);
        uint256 roundsBeforeMove = _pick(moveChoice, moves);
        vm.assume(dep + res != 0);
        // forge-lint: disable-next-line(unsafe-typecast) -- grid values fit in uint112
        assert(fundAs(FUNDER, SENDER2, uint112(dep), uint112(res)));
        initial = dep + res;
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

    /// @dev A symbolic choice among concrete values: one path per value.
    function _pick(uint256 sel, uint256[] memory values) internal pure returns (uint256) {
        vm.assume(sel < values.length);
        for (uint256 i; i < values.length; ++i) {
            if (sel == i) return values[i];
        }
        return 0;
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
