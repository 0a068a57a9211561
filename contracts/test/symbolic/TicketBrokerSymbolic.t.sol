// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {svm} from "../utils/Svm.sol";
import {TicketBrokerSymbolicBase} from "../utils/TicketBrokerSymbolicBase.sol";
import {TicketLibHarness} from "../utils/harness/TicketLibHarness.sol";

/// @notice Symbolic properties (halmos) of the TicketBroker, the bounded versions CI runs (`make test`
/// via `tools/audit.py halmos`). Each `check_*` is proved for all values of its symbolic inputs
/// within the bound its comment states; the wider versions are in `TicketBrokerDeepProofs`.
contract TicketBrokerSymbolic is TicketBrokerSymbolicBase {
    TicketLibHarness internal lib;

    function setUp() public override {
        super.setUp();
        lib = new TicketLibHarness();
    }

    // ------------------------------------------------------------------ 1. the draw

    /// The draw the broker computes from packed calldata equals the specification
    /// `uint256(keccak256(signature ‖ recipientRand)) < winProb`, for every 65-byte signature, every
    /// rand, winProb and every other header field; alone and at either index of a two-ticket batch
    /// (the other ticket is 257 symbolic bytes). No bound.
    function check_DrawMatchesSpec(
        bytes32 w0,
        bytes32 w1,
        uint256 winProb,
        bytes32 randHash,
        bytes32 blockHash,
        uint256 rand,
        bool second
    ) public view {
        bytes memory sig = svm.createBytes(65, "sig");
        bytes memory t = abi.encodePacked(w0, w1, winProb, randHash, blockHash, rand, sig);
        bool spec = specWins(sig, rand, winProb);
        assert(lib.isWinning(t) == spec);
        bytes memory other = svm.createBytes(TicketLib.TICKET_LENGTH, "other");
        bytes memory batch = second ? abi.encodePacked(other, t) : abi.encodePacked(t, other);
        assert(lib.isWinningAt(batch, second ? 1 : 0) == spec);
    }

    // ------------------------------------------------------------------ 2. no double redemption

    /// A ticket is paid at most once, whichever way it is presented twice: single/single,
    /// single/batch, batch/single, batch/batch, where a batch holds the ticket once or twice (up to
    /// four presentations). The orchestrator is credited the face value if the ticket ends up used
    /// and nothing otherwise, and that is exactly what left the sender's funds. The face value is
    /// non-zero (a zero-value ticket paid twice moves nothing, so it couldn't be told apart).
    /// Bound (CI): symbolic path choices, faceValue and deposit; no reserve, winProb = always, fixed
    /// nonce and rand. `TicketBrokerDeepProofs.check_NoDoubleRedemptionDeep` also makes the reserve,
    /// winProb, nonce and rand symbolic.
    function check_NoDoubleRedemption(uint8 first, uint8 second, uint112 dep, uint128 faceValue) public {
        vm.assume(first < 3 && second < 3);
        assumeWorld();
        vm.assume(faceValue != 0);
        vm.assume(fundAs(SENDER, SENDER, dep, 0));
        uint256 before = funds(SENDER);
        bytes memory t = signedTicket(faceValue, ALWAYS, 1, 42);
        attempt(first, t);
        attempt(second, t);
        uint256 paid = staking.feesOf(ORCH, r0);
        assert(paid == (broker.isUsedTicket(broker.ticketHash(t)) ? faceValue : 0));
        assert(before - funds(SENDER) == paid);
    }

    // ------------------------------------------------------------------ 3. exact payment

    /// A single redemption either pays exactly the face value, out of the sender's deposit and
    /// reserve and into the orchestrator's fees, and marks the ticket used; or it reverts, changes
    /// nothing and leaves the ticket unused. A paid ticket won the specified draw.
    /// Bound (CI): single redemption, symbolic deposit, reserve, faceValue and winProb; fixed rand;
    /// the orchestrator holds all the active stake. `TicketBrokerDeepProofs.check_RedeemPaysFaceValueDeep`
    /// adds batches, a symbolic rand and three stake splits.
    function check_RedeemPaysFaceValueOrNothing(uint112 dep, uint112 res, uint128 faceValue, uint256 winProb)
        public
    {
        assumeWorld();
        vm.assume(fundAs(SENDER, SENDER, dep, res));
        checkExactPayment(false, faceValue, winProb, 42);
    }

    // ------------------------------------------------------------------ 4. ETH conservation

    /// The broker's ETH balance equals both senders' deposits and reserves plus the orchestrator's
    /// unclaimed fees, after funding each sender and after one symbolic operation by either sender:
    /// fund in four ways (symbolic value and amounts, mismatches included), unlock, cancel,
    /// withdraw, redeem (single or batch, symbolic faceValue), claim fees, or advance past the
    /// unlock period. The start state makes every operation able to succeed: the second sender has
    /// unlocked and the unlock period has passed (so it can withdraw or cancel), the first is locked
    /// (so it can unlock and its tickets pay). Bound (CI): one operation; the first sender's funds
    /// are symbolic, the second's fixed (1 ether each). `TicketBrokerDeepProofs` has symbolic funds
    /// for both (from a fresh start) and sequences of two operations.
    /// @custom:halmos --loop 4
    function check_BrokerEthMatchesBooks(uint8 op, bool bySecond, uint112 d1, uint112 r1) public {
        vm.assume(op < 10);
        vm.assume(op < 8 || !bySecond); // claiming and advancing don't depend on the sender
        assumeWorld();
        vm.assume(fundAs(SENDER, SENDER, d1, r1));
        assert(fundAs(FUNDER, SENDER2, 1 ether, 1 ether));
        vm.prank(SENDER2);
        broker.unlock();
        operate(9, false, 0); // advance past the unlock period
        assert(address(broker).balance == books());
        operate(op, bySecond, 1);
        assert(address(broker).balance == books());
    }
}
