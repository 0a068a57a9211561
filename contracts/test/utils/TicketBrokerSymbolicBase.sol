// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {BrokerFixture} from "./BrokerFixture.sol";
import {svm} from "./Svm.sol";

/// @notice Shared setup of the TicketBroker proofs: the broker behind its proxy with the staking
/// stand-in, one sender with a concrete key, an active orchestrator, and helpers that build, sign
/// and redeem tickets with low-level calls (so a failure is observed, not propagated).
/// @dev Signatures. halmos models `vm.sign` and `ecrecover` as uninterpreted functions tied by
/// `ecrecover(digest, vm.sign(key, digest)) == vm.addr(key)`, and distinct (key, digest) pairs give
/// distinct signatures. `vm.addr(KEY)` is assumed to be the key's real address (so the sender is a
/// concrete account), and `s` is assumed low (forge's `vm.sign` always returns low-s; the broker
/// rejects high-s). The block hash of a round is symbolic in halmos; it is assumed non-zero.
abstract contract TicketBrokerSymbolicBase is BrokerFixture {
    uint256 internal constant KEY = 0xA11CE;
    /// @dev `cast wallet address --private-key 0xa11ce`
    address internal constant SENDER = 0xe05fcC23807536bEe418f142D19fa0d21BB0cfF7;
    /// @dev A second sender, funded by a third party; it signs nothing.
    address internal constant SENDER2 = address(0x5E2);
    address internal constant ORCH = address(0x0C1);
    address internal constant ORCH2 = address(0x0C2);
    address internal constant FUNDER = address(0xF1);
    uint256 internal constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    uint256 internal r0;
    /// @dev The signature of the last ticket `signedTicket` made.
    bytes internal lastSig;
    /// @dev Rounds the orchestrator may hold fees for (the start round and any advanced to).
    uint256[] internal feeRounds;

    function setUp() public virtual {
        deployBroker();
        initRound();
        r0 = round();
        staking.setStake(ORCH, r0, 100);
        feeRounds.push(r0);
    }

    /// @dev The assumptions every broker proof starts from (see the contract's comment).
    function assumeWorld() internal view {
        vm.assume(vm.addr(KEY) == SENDER);
        vm.assume(d.rounds.blockHashForRound(round()) != bytes32(0));
    }

    /// @dev A ticket of the current round from SENDER to ORCH, signed with KEY and packed.
    function signedTicket(uint128 faceValue, uint256 winProb, uint32 nonce, uint256 rand)
        internal
        returns (bytes memory)
    {
        uint256 r = round();
        TicketLib.Ticket memory tk = TicketLib.Ticket({
            recipient: ORCH,
            sender: SENDER,
            faceValue: faceValue,
            winProb: winProb,
            senderNonce: nonce,
            recipientRandHash: keccak256(abi.encode(rand)),
            // forge-lint: disable-next-line(unsafe-typecast) -- rounds here are small
            creationRound: uint32(r),
            creationRoundBlockHash: d.rounds.blockHashForRound(r)
        });
        (uint8 v, bytes32 sigR, bytes32 sigS) = vm.sign(KEY, digestOf(tk));
        vm.assume(uint256(sigS) <= HALF_ORDER);
        lastSig = abi.encodePacked(sigR, sigS, v);
        return TicketLib.pack(tk, rand, lastSig);
    }

    /// @dev The specification of the draw (docs/ticket-broker.md).
    function specWins(bytes memory sig, uint256 rand, uint256 winProb) internal pure returns (bool) {
        return uint256(keccak256(abi.encodePacked(sig, rand))) < winProb;
    }

    function fundAs(address who, address forSender, uint256 deposit, uint256 reserve)
        internal
        returns (bool ok)
    {
        vm.deal(who, deposit + reserve);
        vm.prank(who);
        (ok,) = address(broker).call{value: deposit + reserve}(
            abi.encodeCall(broker.fundDepositAndReserveFor, (forSender, deposit, reserve))
        );
    }

    function redeemSingle(bytes memory t) internal returns (bool ok) {
        vm.prank(ORCH);
        (ok,) = address(broker).call(abi.encodeCall(broker.redeemWinningTicket, (t)));
    }

    /// @dev Redeems `tickets` as one batch; `failures` is empty if the whole call reverted.
    function redeemBatch(bytes memory tickets) internal returns (bool ok, bytes4[] memory failures) {
        vm.prank(ORCH);
        bytes memory ret;
        (ok, ret) = address(broker).call(abi.encodeCall(broker.batchRedeemWinningTickets, (tickets)));
        if (ok) failures = abi.decode(ret, (bytes4[]));
    }

    function funds(address who) internal view returns (uint256) {
        (uint256 dep, uint256 res,) = broker.getSender(who);
        return dep + res;
    }

    /// @dev 0: single redemption; 1: a batch of the ticket; 2: a batch of the ticket twice.
    function attempt(uint8 how, bytes memory t) internal {
        if (how == 0) redeemSingle(t);
        else if (how == 1) redeemBatch(t);
        else redeemBatch(abi.encodePacked(t, t));
    }

    /// @dev What the broker owes: every sender's deposit and reserve, and the fees credited to the
    /// orchestrator and not yet claimed, over the fixed set of senders and rounds.
    function books() internal view returns (uint256 sum) {
        sum = funds(SENDER) + funds(SENDER2);
        for (uint256 i; i < feeRounds.length; ++i) {
            sum += staking.feesOf(ORCH, feeRounds[i]);
        }
    }

    /// @dev One operation on the broker, chosen by `op`, with fresh symbolic amounts; by SENDER or
    /// SENDER2 as `bySecond` says. Failures are fine: the books must balance either way.
    function operate(uint8 op, bool bySecond, uint32 nonce) internal {
        address who = bySecond ? SENDER2 : SENDER;
        uint256 a = svm.createUint(256, "a");
        uint256 b = svm.createUint(256, "b");
        uint256 value = svm.createUint(256, "value");
        if (op == 0) {
            callBroker(who, value, abi.encodeCall(broker.fundDeposit, ()));
        } else if (op == 1) {
            callBroker(who, value, abi.encodeCall(broker.fundReserve, ()));
        } else if (op == 2) {
            callBroker(who, value, abi.encodeCall(broker.fundDepositAndReserve, (a, b)));
        } else if (op == 3) {
            callBroker(FUNDER, value, abi.encodeCall(broker.fundDepositAndReserveFor, (who, a, b)));
        } else if (op == 4) {
            callBroker(who, 0, abi.encodeCall(broker.unlock, ()));
        } else if (op == 5) {
            callBroker(who, 0, abi.encodeCall(broker.cancelUnlock, ()));
        } else if (op == 6) {
            callBroker(who, 0, abi.encodeCall(broker.withdraw, ()));
        } else if (op == 7) {
            // forge-lint: disable-next-line(unsafe-typecast) -- the face value is a uint128 by design
            bytes memory t = signedTicket(uint128(a), ALWAYS, nonce, 42);
            if (bySecond) redeemBatch(t);
            else redeemSingle(t);
        } else if (op == 8) {
            vm.prank(ORCH);
            (bool ok,) = address(staking).call(abi.encodeCall(staking.claimFees, (round())));
            ok;
        } else {
            for (uint256 i; i < UNLOCK; ++i) {
                nextRound();
            }
            staking.setStake(ORCH, round(), 100);
            feeRounds.push(round());
            vm.assume(d.rounds.blockHashForRound(round()) != bytes32(0));
        }
    }

    /// @dev Calls the broker as `caller` with `value` (dealt first); the outcome is not needed.
    function callBroker(address caller, uint256 value, bytes memory data) internal {
        vm.deal(caller, value);
        vm.prank(caller);
        (bool ok,) = address(broker).call{value: value}(data);
        ok;
    }

    /// @dev Property 3 for the ticket (faceValue, winProb, nonce 1, rand), redeemed singly or as a
    /// one-ticket batch ("paid" is then its entry in `failures` being empty): paid exactly the face
    /// value from the sender's funds into the orchestrator's fees, ticket used, and the draw won; or
    /// nothing changed and the ticket unused. The broker's ETH never moves on redemption.
    function checkExactPayment(bool batch, uint128 faceValue, uint256 winProb, uint256 rand) internal {
        bytes memory t = signedTicket(faceValue, winProb, 1, rand);
        bytes32 h = broker.ticketHash(t);
        (uint256 dep0, uint256 res0,) = broker.getSender(SENDER);
        uint256 fees0 = staking.feesOf(ORCH, r0);
        uint256 balance0 = address(broker).balance;

        bool paid;
        if (batch) {
            (bool called, bytes4[] memory failures) = redeemBatch(t);
            paid = called && failures[0] == bytes4(0);
        } else {
            paid = redeemSingle(t);
        }

        (uint256 dep1, uint256 res1,) = broker.getSender(SENDER);
        uint256 fees1 = staking.feesOf(ORCH, r0);
        assert(address(broker).balance == balance0);
        if (paid) {
            assert(dep1 <= dep0 && res1 <= res0);
            assert(dep0 + res0 - (dep1 + res1) == faceValue);
            assert(fees1 - fees0 == faceValue);
            assert(broker.isUsedTicket(h));
            assert(specWins(lastSig, rand, winProb));
        } else {
            assert(dep1 == dep0 && res1 == res0);
            assert(fees1 == fees0);
            assert(!broker.isUsedTicket(h));
        }
    }
}
