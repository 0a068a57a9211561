// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITicketBroker} from "../../src/interfaces/ITicketBroker.sol";
import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {BrokerFixture} from "../utils/BrokerFixture.sol";

contract TicketBrokerFuzzTest is BrokerFixture {
    address internal sender;
    uint256 internal senderKey;
    address internal orch;
    address internal other;

    function setUp() public {
        deployBroker();
        (sender, senderKey) = makeAddrAndKey("sender");
        orch = makeAddr("orch");
        other = makeAddr("other");
        vm.deal(sender, type(uint128).max);
        initRound();
    }

    function redeem(bytes memory t) internal returns (bool ok, bytes memory err) {
        vm.prank(orch);
        (ok, err) = address(broker).call(abi.encodeCall(broker.redeemWinningTicket, (t)));
    }

    function selectorOf(bytes memory err) internal pure returns (bytes4) {
        // forge-lint: disable-next-line(unsafe-typecast) -- the error selector, on purpose
        return bytes4(err);
    }

    /// @dev Any face value is paid in full from deposit then reserve allocation, or not at all.
    function testFuzz_PaysInFullOrNothing(
        uint256 deposit,
        uint256 reserve,
        uint256 faceValue,
        uint256 stake,
        uint256 otherStake
    ) public {
        deposit = bound(deposit, 0, 100 ether);
        reserve = bound(reserve, 0, 100 ether);
        faceValue = bound(faceValue, 1, 150 ether);
        stake = bound(stake, 1, 1e27);
        otherStake = bound(otherStake, 0, 1e27);
        if (deposit + reserve > 0) {
            vm.prank(sender);
            broker.fundDepositAndReserve{value: deposit + reserve}(deposit, reserve);
        }
        staking.setStake(orch, round(), stake);
        staking.setStake(other, round(), otherStake);
        uint256 allocation = reserve * stake / (stake + otherStake);

        TicketLib.Ticket memory tk = makeTicket(sender, orch, faceValue, ALWAYS, 1, 7);
        bytes memory t = TicketLib.pack(tk, 7, signTicket(senderKey, tk));
        (bool ok, bytes memory err) = redeem(t);
        (uint256 dep, uint256 res,) = broker.getSender(sender);
        if (faceValue <= deposit + allocation) {
            assertTrue(ok, "should pay");
            assertEq(dep + res, deposit + reserve - faceValue);
            assertEq(staking.feesOf(orch, round()), faceValue);
            assertTrue(broker.isUsedTicket(broker.ticketHash(t)));
        } else {
            assertFalse(ok, "should not pay");
            assertEq(selectorOf(err), ITicketBroker.InsufficientFunds.selector);
            assertEq(dep, deposit);
            assertEq(res, reserve);
            assertFalse(broker.isUsedTicket(broker.ticketHash(t)));
        }
        assertEq(address(broker).balance, deposit + reserve);
    }

    /// @dev The ticket redeems exactly when `keccak256(sig ‖ rand) < winProb`.
    function testFuzz_DrawDecidesRedemption(uint256 winProb, uint256 rand) public {
        vm.prank(sender);
        broker.fundDeposit{value: 10 ether}();
        staking.setStake(orch, round(), 1);
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, winProb, 1, rand);
        bytes memory sig = signTicket(senderKey, tk);
        bool wins = uint256(keccak256(abi.encodePacked(sig, rand))) < winProb;
        (bool ok, bytes memory err) = redeem(TicketLib.pack(tk, rand, sig));
        assertEq(ok, wins);
        if (!wins) assertEq(selectorOf(err), ITicketBroker.TicketNotWinning.selector);
    }

    /// @dev The calldata hash of a packed ticket equals the EIP-712 struct hash of its fields.
    function testFuzz_PackedHashMatchesStruct(
        address recipient,
        address from,
        uint128 faceValue,
        uint256 winProb,
        uint32 nonce,
        bytes32 randHash,
        uint32 creationRound,
        bytes32 blockHash
    ) public view {
        TicketLib.Ticket memory tk = TicketLib.Ticket(
            recipient, from, faceValue, winProb, nonce, randHash, creationRound, blockHash
        );
        bytes memory t = TicketLib.pack(tk, 0, new bytes(65));
        assertEq(broker.ticketHash(t), digestOf(tk));
    }

    /// @dev Funding for someone else adds exactly the amounts and never changes its unlock state.
    function testFuzz_FundForKeepsUnlockState(uint256 dep, uint256 res, bool unlocked) public {
        dep = bound(dep, 1, 10 ether);
        res = bound(res, 0, 10 ether);
        vm.prank(sender);
        broker.fundDeposit{value: 1 ether}();
        if (unlocked) {
            vm.prank(sender);
            broker.unlock();
        }
        (,, uint256 wrBefore) = broker.getSender(sender);
        vm.deal(other, dep + res);
        vm.prank(other);
        broker.fundDepositAndReserveFor{value: dep + res}(sender, dep, res);
        (uint256 d1, uint256 r1, uint256 wrAfter) = broker.getSender(sender);
        assertEq(d1, 1 ether + dep);
        assertEq(r1, res);
        assertEq(wrAfter, wrBefore);
    }

    /// @dev Any signature not exactly 65 bytes is rejected with its own error, never recovered.
    function testFuzz_RejectsOtherSignatureLengths(uint256 len) public {
        len = bound(len, 0, 199);
        if (len >= 65) ++len; // every length but 65
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 7);
        (bool ok, bytes memory err) = redeem(TicketLib.pack(tk, 7, new bytes(len)));
        assertFalse(ok);
        if (len == 64) {
            assertEq(err, abi.encodeWithSelector(ITicketBroker.CompactSignatureUnsupported.selector));
        } else {
            assertEq(err, abi.encodeWithSelector(ITicketBroker.InvalidSignatureLength.selector, len));
        }
    }

    /// @dev A batch has exactly the outcome of the same tickets redeemed one by one: same per-ticket
    /// results, same balances, same fees; bad tickets (losing, bad rand, replayed, unaffordable) are
    /// skipped without affecting the others.
    function testFuzz_BatchEqualsSingles(uint256 seed, uint256 deposit) public {
        deposit = bound(deposit, 0, 6 ether);
        vm.prank(sender);
        broker.fundDepositAndReserve{value: deposit + 1 ether}(deposit, 1 ether);
        staking.setStake(orch, round(), 1);
        staking.setStake(other, round(), 3);
        uint256 n = 1 + seed % 8;
        bytes[] memory tickets = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            uint256 kind = uint256(keccak256(abi.encode(seed, i))) % 5;
            if (kind == 4 && i > 0) {
                tickets[i] = tickets[i - 1]; // a replay
                continue;
            }
            // forge-lint: disable-next-line(unsafe-typecast) -- i < 8
            uint32 nonce = uint32(i);
            TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, kind == 1 ? 0 : ALWAYS, nonce, i);
            tickets[i] = TicketLib.pack(tk, kind == 2 ? i + 1 : i, signTicket(senderKey, tk));
        }

        uint256 snap = vm.snapshotState();
        bytes4[] memory singles = new bytes4[](n);
        for (uint256 i; i < n; ++i) {
            (bool ok, bytes memory err) = redeem(tickets[i]);
            if (!ok) singles[i] = selectorOf(err);
        }
        (uint256 d1, uint256 r1,) = broker.getSender(sender);
        uint256 fees1 = staking.feesOf(orch, round());
        vm.revertToState(snap);

        bytes memory batch;
        for (uint256 i; i < n; ++i) {
            batch = bytes.concat(batch, tickets[i]);
        }
        vm.prank(orch);
        bytes4[] memory failures = broker.batchRedeemWinningTickets(batch);
        for (uint256 i; i < n; ++i) {
            assertEq(failures[i], singles[i]);
        }
        (uint256 d2, uint256 r2,) = broker.getSender(sender);
        assertEq(d2, d1);
        assertEq(r2, r1);
        assertEq(staking.feesOf(orch, round()), fees1);
    }
}
