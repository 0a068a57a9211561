// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TicketBroker} from "../../src/TicketBroker.sol";
import {IControlled} from "../../src/interfaces/IControlled.sol";
import {ITicketBroker} from "../../src/interfaces/ITicketBroker.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {BrokerFixture} from "../utils/BrokerFixture.sol";
import {Vm} from "../utils/Vm.sol";

contract TicketBrokerTest is BrokerFixture {
    event Funded(address indexed sender, address indexed funder, uint256 deposit, uint256 reserve);
    event TicketRedeemed(
        bytes32 indexed ticketHash,
        address indexed sender,
        address indexed recipient,
        uint256 faceValue,
        uint256 creationRound
    );
    event ReserveClaimed(
        address indexed sender, address indexed recipient, uint256 indexed round, uint256 amount
    );
    event Unlocked(address indexed sender, uint256 withdrawRound);
    event UnlockCancelled(address indexed sender);
    event Withdrawn(address indexed sender, uint256 deposit, uint256 reserve);
    event TicketRedemptionFailed(uint256 indexed index, bytes reason);
    event FeesPaid(address indexed to, uint256 amount);

    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    address internal sender;
    uint256 internal senderKey;
    address internal orch;
    address internal orch2;
    address internal funder;

    function setUp() public {
        deployBroker();
        (sender, senderKey) = makeAddrAndKey("sender");
        orch = makeAddr("orch");
        orch2 = makeAddr("orch2");
        funder = makeAddr("funder");
        vm.deal(sender, 1000 ether);
        vm.deal(funder, 1000 ether);
        initRound();
        staking.setStake(orch, round(), 100);
    }

    function fund(uint256 deposit, uint256 reserve) internal {
        vm.prank(sender);
        broker.fundDepositAndReserve{value: deposit + reserve}(deposit, reserve);
    }

    function ticket(uint256 faceValue, uint32 nonce) internal view returns (bytes memory) {
        return packSigned(senderKey, makeTicket(sender, orch, faceValue, ALWAYS, nonce, 42), 42);
    }

    function redeemAs(address who, bytes memory t) internal {
        vm.prank(who);
        broker.redeemWinningTicket(t);
    }

    function expectRedeemRevert(bytes memory t, bytes memory err) internal {
        vm.expectRevert(err);
        redeemAs(orch, t);
    }

    // ------------------------------------------------------------------ setup and wiring

    function test_Initialized() public view {
        assertEq(broker.ticketValidityPeriod(), VALIDITY);
        assertEq(broker.unlockPeriod(), UNLOCK);
        (address r, address b) = broker.dependencies();
        assertEq(r, address(d.rounds));
        assertEq(b, address(staking));
        assertEq(address(broker.controller()), address(d.controller));
    }

    function test_RevertWhen_InitializeTwice() public {
        vm.expectRevert();
        broker.initialize(1, 1);
    }

    function test_SyncDependenciesFollowsRegistry() public {
        address newStaking = makeAddr("newStaking");
        d.controller.setContract(ContractIds.BONDING_MANAGER, newStaking);
        vm.prank(makeAddr("anyone"));
        broker.syncDependencies();
        (, address b) = broker.dependencies();
        assertEq(b, newStaking);
    }

    function test_RevertWhen_SyncWithMissingDependency() public {
        d.controller.setContract(ContractIds.BONDING_MANAGER, address(0));
        vm.expectRevert(
            abi.encodeWithSelector(
                ITicketBroker.DependencyNotRegistered.selector, ContractIds.BONDING_MANAGER
            )
        );
        broker.syncDependencies();
    }

    function test_SetPeriods() public {
        broker.setUnlockPeriod(10);
        broker.setTicketValidityPeriod(10);
        assertEq(broker.unlockPeriod(), 10);
        assertEq(broker.ticketValidityPeriod(), 10);
    }

    function test_RevertWhen_UnlockShorterThanValidity() public {
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.UnlockPeriodTooShort.selector, 1, VALIDITY));
        broker.setUnlockPeriod(1);
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.UnlockPeriodTooShort.selector, UNLOCK, 4));
        broker.setTicketValidityPeriod(4);
    }

    function test_RevertWhen_ZeroOrHugePeriod() public {
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.InvalidPeriod.selector, 0));
        broker.setTicketValidityPeriod(0);
        uint256 huge = uint256(type(uint32).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.InvalidPeriod.selector, huge));
        broker.setUnlockPeriod(huge);
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.InvalidPeriod.selector, 1 << 24));
        broker.setTicketValidityPeriod(1 << 24);
    }

    function test_RevertWhen_SetPeriodNotGovernance() public {
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, orch));
        broker.setUnlockPeriod(10);
    }

    // ------------------------------------------------------------------ funding

    function test_FundDepositAndReserve() public {
        vm.expectEmit(address(broker));
        emit Funded(sender, sender, 3 ether, 2 ether);
        fund(3 ether, 2 ether);
        vm.startPrank(sender);
        broker.fundDeposit{value: 1 ether}();
        broker.fundReserve{value: 1 ether}();
        vm.stopPrank();
        (uint256 dep, uint256 res, uint256 wr) = broker.getSender(sender);
        assertEq(dep, 4 ether);
        assertEq(res, 3 ether);
        assertEq(wr, 0);
        assertEq(address(broker).balance, 7 ether);
    }

    function test_FundForAnotherSender() public {
        vm.expectEmit(address(broker));
        emit Funded(sender, funder, 1 ether, 2 ether);
        vm.prank(funder);
        broker.fundDepositAndReserveFor{value: 3 ether}(sender, 1 ether, 2 ether);
        (uint256 dep, uint256 res,) = broker.getSender(sender);
        assertEq(dep, 1 ether);
        assertEq(res, 2 ether);
    }

    function test_FundForNeverTouchesUnlock() public {
        fund(1 ether, 0);
        vm.prank(sender);
        broker.unlock();
        (,, uint256 wr) = broker.getSender(sender);
        vm.prank(funder);
        broker.fundDepositAndReserveFor{value: 1}(sender, 1, 0);
        vm.prank(sender);
        broker.fundDeposit{value: 1}();
        (,, uint256 wrAfter) = broker.getSender(sender);
        assertEq(wrAfter, wr);
    }

    function test_RevertWhen_FundZero() public {
        vm.prank(funder);
        vm.expectRevert(ITicketBroker.ZeroFunding.selector);
        broker.fundDepositAndReserveFor(sender, 0, 0);
        vm.expectRevert(ITicketBroker.ZeroFunding.selector);
        broker.fundDeposit();
    }

    function test_RevertWhen_FundMismatch() public {
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.FundingMismatch.selector, 2, 3));
        broker.fundDepositAndReserve{value: 2}(1, 2);
    }

    function test_RevertWhen_FundForZeroAddress() public {
        vm.prank(funder);
        vm.expectRevert(ITicketBroker.FundingForZeroAddress.selector);
        broker.fundDepositAndReserveFor{value: 1}(address(0), 1, 0);
    }

    function test_RevertWhen_FundOverflowsPackedBalance() public {
        vm.deal(funder, type(uint128).max);
        vm.prank(funder);
        vm.expectRevert();
        broker.fundDepositAndReserveFor{value: uint256(type(uint112).max) + 1}(
            sender, uint256(type(uint112).max) + 1, 0
        );
    }

    function test_RevertWhen_PlainEthTransfer() public {
        vm.prank(funder);
        (bool ok,) = address(broker).call{value: 1}("");
        assertFalse(ok);
    }

    // ------------------------------------------------------------------ unlock and withdraw

    function test_UnlockAndWithdraw() public {
        fund(3 ether, 2 ether);
        uint256 wr = round() + UNLOCK;
        vm.expectEmit(address(broker));
        emit Unlocked(sender, wr);
        vm.prank(sender);
        broker.unlock();
        for (uint256 i; i < UNLOCK; ++i) {
            nextRound();
        }
        assertEq(round(), wr);
        uint256 before = sender.balance;
        vm.expectEmit(address(broker));
        emit Withdrawn(sender, 3 ether, 2 ether);
        vm.prank(sender);
        broker.withdraw();
        assertEq(sender.balance, before + 5 ether);
        (uint256 dep, uint256 res, uint256 wrAfter) = broker.getSender(sender);
        assertEq(dep + res, 0);
        assertEq(wrAfter, wr);
    }

    function test_RevertWhen_WithdrawTooEarly() public {
        fund(1 ether, 0);
        vm.prank(sender);
        broker.unlock();
        nextRound();
        uint256 r = round();
        vm.prank(sender);
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.WithdrawTooEarly.selector, r, r - 1 + UNLOCK));
        broker.withdraw();
    }

    function test_RevertWhen_WithdrawWithoutUnlock() public {
        fund(1 ether, 0);
        vm.prank(sender);
        vm.expectRevert(ITicketBroker.NotUnlocking.selector);
        broker.withdraw();
    }

    function test_RevertWhen_UnlockTwice() public {
        fund(1 ether, 0);
        vm.startPrank(sender);
        broker.unlock();
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.UnlockInProgress.selector, round() + UNLOCK));
        broker.unlock();
        vm.stopPrank();
    }

    function test_RevertWhen_UnlockNothing() public {
        vm.prank(sender);
        vm.expectRevert(ITicketBroker.NothingToUnlock.selector);
        broker.unlock();
    }

    function test_CancelUnlock() public {
        fund(1 ether, 0);
        vm.startPrank(sender);
        broker.unlock();
        vm.expectEmit(address(broker));
        emit UnlockCancelled(sender);
        broker.cancelUnlock();
        vm.stopPrank();
        (,, uint256 wr) = broker.getSender(sender);
        assertEq(wr, 0);
    }

    function test_RevertWhen_CancelWithoutUnlock() public {
        vm.prank(sender);
        vm.expectRevert(ITicketBroker.NotUnlocking.selector);
        broker.cancelUnlock();
    }

    function test_RevertWhen_WithdrawTransferFails() public {
        Refuser refuser = new Refuser(broker);
        refuser.fundAndUnlock{value: 1 ether}();
        for (uint256 i; i < UNLOCK; ++i) {
            nextRound();
        }
        vm.expectRevert(
            abi.encodeWithSelector(ITicketBroker.TransferFailed.selector, address(refuser), 1 ether)
        );
        refuser.withdraw();
    }

    function test_RevertWhen_PausedFunding() public {
        d.controller.pause();
        vm.prank(sender);
        vm.expectRevert(IControlled.ProtocolIsPaused.selector);
        broker.fundDeposit{value: 1}();
    }

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

    // ------------------------------------------------------------------ bad input

    function test_RevertWhen_WrongRecipient() public {
        fund(3 ether, 0);
        bytes memory t = ticket(1 ether, 1);
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.WrongRecipient.selector, orch, orch2));
        redeemAs(orch2, t);
    }

    function test_RevertWhen_ZeroSender() public {
        TicketLib.Ticket memory tk = makeTicket(address(0), orch, 1 ether, ALWAYS, 1, 42);
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(senderKey, tk)),
            abi.encodeWithSelector(ITicketBroker.ZeroSender.selector)
        );
    }

    function test_RevertWhen_BadRandPreimage() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        expectRedeemRevert(
            TicketLib.pack(tk, 43, signTicket(senderKey, tk)),
            abi.encodeWithSelector(ITicketBroker.InvalidRecipientRand.selector, tk.recipientRandHash)
        );
    }

    function test_RevertWhen_AlreadyUsed() public {
        fund(3 ether, 0);
        bytes memory t = ticket(1 ether, 1);
        redeemAs(orch, t);
        expectRedeemRevert(t, abi.encodeWithSelector(ITicketBroker.TicketUsed.selector, broker.ticketHash(t)));
    }

    function test_RevertWhen_BadSignature() public {
        (address other, uint256 otherKey) = makeAddrAndKey("other");
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(otherKey, tk)),
            abi.encodeWithSelector(ITicketBroker.InvalidSignature.selector, other, sender)
        );
    }

    function test_RevertWhen_CompactSignature() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(senderKey, digestOf(tk));
        bytes32 vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
        expectRedeemRevert(
            TicketLib.pack(tk, 42, abi.encodePacked(r, vs)),
            abi.encodeWithSelector(ITicketBroker.CompactSignatureUnsupported.selector)
        );
    }

    function test_RevertWhen_SignatureLengthWrong() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        bytes memory sig = abi.encodePacked(signTicket(senderKey, tk), uint8(0));
        expectRedeemRevert(
            TicketLib.pack(tk, 42, sig),
            abi.encodeWithSelector(ITicketBroker.InvalidSignatureLength.selector, 66)
        );
    }

    function test_RevertWhen_HighS() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(senderKey, digestOf(tk));
        bytes32 highS = bytes32(N - uint256(s));
        expectRedeemRevert(
            TicketLib.pack(tk, 42, abi.encodePacked(r, highS, v == 27 ? uint8(28) : uint8(27))),
            abi.encodeWithSelector(ITicketBroker.SignatureHighS.selector, highS)
        );
    }

    function test_RevertWhen_BadV() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        (, bytes32 r, bytes32 s) = vm.sign(senderKey, digestOf(tk));
        expectRedeemRevert(
            TicketLib.pack(tk, 42, abi.encodePacked(r, s, uint8(1))),
            abi.encodeWithSelector(ITicketBroker.InvalidSignatureV.selector, 1)
        );
    }

    function test_RevertWhen_SignedForAnotherChain() public {
        fund(3 ether, 0);
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        bytes32 otherDomain = keccak256(
            abi.encode(
                TicketLib.DOMAIN_TYPEHASH,
                TicketLib.NAME_HASH,
                TicketLib.VERSION_HASH,
                block.chainid + 1,
                address(broker)
            )
        );
        assertSignedElsewhereFails(tk, otherDomain);
    }

    function test_RevertWhen_SignedForAnotherBroker() public {
        fund(3 ether, 0);
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        bytes32 otherDomain = keccak256(
            abi.encode(
                TicketLib.DOMAIN_TYPEHASH,
                TicketLib.NAME_HASH,
                TicketLib.VERSION_HASH,
                block.chainid,
                address(0xB0B)
            )
        );
        assertSignedElsewhereFails(tk, otherDomain);
    }

    function assertSignedElsewhereFails(TicketLib.Ticket memory tk, bytes32 otherDomain) internal {
        bytes32 otherDigest = TicketLib.digest(otherDomain, TicketLib.structHash(tk));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(senderKey, otherDigest);
        address wrongSigner = ecrecover(digestOf(tk), v, r, s);
        assertNotEq(wrongSigner, sender);
        expectRedeemRevert(
            TicketLib.pack(tk, 42, abi.encodePacked(r, s, v)),
            abi.encodeWithSelector(ITicketBroker.InvalidSignature.selector, wrongSigner, sender)
        );
    }

    function test_RevertWhen_NotWinning() public {
        fund(3 ether, 0);
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, 0, 1, 42);
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(senderKey, tk)),
            abi.encodeWithSelector(ITicketBroker.TicketNotWinning.selector)
        );
    }

    function test_RevertWhen_Expired() public {
        fund(3 ether, 0);
        bytes memory t = ticket(1 ether, 1);
        uint256 created = round();
        for (uint256 i; i < VALIDITY; ++i) {
            nextRound();
        }
        expectRedeemRevert(t, abi.encodeWithSelector(ITicketBroker.TicketExpired.selector, created, round()));
    }

    function test_RedeemOnLastValidRound() public {
        fund(3 ether, 0);
        bytes memory t = ticket(1 ether, 1);
        for (uint256 i; i + 1 < VALIDITY; ++i) {
            nextRound();
        }
        redeemAs(orch, t);
    }

    function test_RevertWhen_FutureCreationRound() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        tk.creationRound += 1;
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(senderKey, tk)),
            abi.encodeWithSelector(ITicketBroker.FutureCreationRound.selector, round() + 1, round())
        );
    }

    function test_RevertWhen_UnknownCreationRound() public {
        vm.roll(block.number + ROUND_LENGTH); // round 2, never initialized
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        tk.creationRoundBlockHash = blockhash(block.number - 1);
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(senderKey, tk)),
            abi.encodeWithSelector(ITicketBroker.UnknownCreationRound.selector, round())
        );
    }

    function test_RevertWhen_CreationRoundBlockHashMismatch() public {
        TicketLib.Ticket memory tk = makeTicket(sender, orch, 1 ether, ALWAYS, 1, 42);
        tk.creationRoundBlockHash = keccak256("another block");
        expectRedeemRevert(
            TicketLib.pack(tk, 42, signTicket(senderKey, tk)),
            abi.encodeWithSelector(
                ITicketBroker.CreationRoundBlockHashMismatch.selector, round(), tk.creationRoundBlockHash
            )
        );
    }

    function test_RevertWhen_RecipientNotActive() public {
        fund(3 ether, 0);
        TicketLib.Ticket memory tk = makeTicket(sender, orch2, 1 ether, ALWAYS, 1, 42);
        bytes memory t = TicketLib.pack(tk, 42, signTicket(senderKey, tk));
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.RecipientNotActive.selector, orch2, round()));
        redeemAs(orch2, t);
    }

    function test_RevertWhen_InsufficientFunds() public {
        fund(1 ether, 0);
        expectRedeemRevert(
            ticket(2 ether, 1),
            abi.encodeWithSelector(ITicketBroker.InsufficientFunds.selector, 1 ether, 2 ether)
        );
    }

    function test_RevertWhen_MalformedTicket() public {
        expectRedeemRevert(
            new bytes(191), abi.encodeWithSelector(ITicketBroker.MalformedTicket.selector, 191)
        );
    }

    function test_RevertWhen_Paused() public {
        fund(3 ether, 0);
        bytes memory t = ticket(1 ether, 1);
        d.controller.pause();
        expectRedeemRevert(t, abi.encodeWithSelector(IControlled.ProtocolIsPaused.selector));
    }

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
        assertEq(countLogs(keccak256("FeesCredited(address,uint256,uint256)")), 2);
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

    // ------------------------------------------------------------------ round cache

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

    function test_SyncDependenciesDropsRoundCache() public {
        fund(10 ether, 0);
        redeemAs(orch, ticket(1 ether, 1));
        broker.syncDependencies();
        (uint256 r, uint256 end, bytes32 h) = broker.roundCache();
        assertEq(r + end, 0);
        assertEq(h, bytes32(0));
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
}

contract Refuser {
    TicketBroker internal immutable broker;

    constructor(TicketBroker broker_) {
        broker = broker_;
    }

    function fundAndUnlock() external payable {
        broker.fundDeposit{value: msg.value}();
        broker.unlock();
    }

    function withdraw() external {
        broker.withdraw();
    }
}
