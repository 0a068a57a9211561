// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BrokerReplacement} from "../../../script/BrokerReplacement.sol";
import {RetiredTicketBroker} from "../../src/RetiredTicketBroker.sol";
import {TicketBroker} from "../../src/TicketBroker.sol";
import {IBrokerSuccessor} from "../../src/interfaces/IBrokerSuccessor.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {IRetiredTicketBroker} from "../../src/interfaces/IRetiredTicketBroker.sol";
import {ITicketBroker} from "../../src/interfaces/ITicketBroker.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {StakingIntegrationBase} from "./StakingIntegration.t.sol";

/// @notice Replacing the TicketBroker with the real BondingManager: the governance batch of
/// `script/BrokerReplacement.sol`, senders moving their funds, old tickets still paid on the old
/// broker, and every fee held or owed by the old broker reaching the same delegators and
/// orchestrator as if no replacement had happened (each fee scenario is run twice from the same
/// state, with and without the replacement, and compared).
contract BrokerReplacementTest is StakingIntegrationBase, BrokerReplacement {
    TicketBroker internal oldBroker;
    TicketBroker internal newBroker;
    uint256 internal nonce;

    function setUp() public override {
        super.setUp();
        oldBroker = full.broker.broker;
        vm.prank(sender);
        oldBroker.fundDepositAndReserve{value: 6 ether}(4 ether, 2 ether);
    }

    // ------------------------------------------------------------------ helpers

    function _replace() internal {
        Replacement memory r = _deployReplacement(IController(address(full.core.controller)), oldBroker);
        newBroker = r.broker;
        (address[] memory targets, bytes[] memory payloads) = _replacementBatch(
            address(full.core.controller), address(oldBroker), address(newBroker), r.retiredImplementation
        );
        for (uint256 i; i < targets.length; ++i) {
            (bool ok, bytes memory ret) = targets[i].call(payloads[i]);
            if (!ok) {
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
    }

    function _retired() internal view returns (RetiredTicketBroker) {
        return RetiredTicketBroker(payable(address(oldBroker)));
    }

    function _ticketOn(TicketBroker b, uint256 faceValue) internal returns (bytes memory) {
        uint256 r = _round();
        uint256 rand = ++nonce;
        TicketLib.Ticket memory t = TicketLib.Ticket({
            recipient: orch,
            sender: sender,
            // forge-lint: disable-next-line(unsafe-typecast)
            faceValue: uint128(faceValue),
            winProb: type(uint256).max,
            // forge-lint: disable-next-line(unsafe-typecast)
            senderNonce: uint32(rand),
            recipientRandHash: keccak256(abi.encode(rand)),
            // forge-lint: disable-next-line(unsafe-typecast)
            creationRound: uint32(r),
            creationRoundBlockHash: full.core.rounds.blockHashForRound(r)
        });
        bytes32 digest = TicketLib.digest(b.domainSeparator(), TicketLib.structHash(t));
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(senderKey, digest);
        return TicketLib.pack(t, rand, abi.encodePacked(rr, s, v));
    }

    function _redeemOn(TicketBroker b, bytes memory t) internal {
        vm.prank(orch);
        b.redeemWinningTicket(t);
    }

    /// @dev Fees of the orchestrator and its delegator, credited or pending, after a touch of the pool.
    function _earnedFees() internal returns (uint256 orchFees, uint256 delegatorFees) {
        full.staking.bondingManager.checkpoint(orch);
        (, orchFees) = full.staking.bondingManager.pendingEarnings(orch);
        (, delegatorFees) = full.staking.bondingManager.pendingEarnings(delegator);
    }

    function _held(TicketBroker b) internal view returns (uint256) {
        (, uint256 a,, uint256 c) = b.pendingFees(orch);
        return a + c;
    }

    // ------------------------------------------------------------------ the batch

    function test_ReplacementBatchRegistersBothAndRetiresTheOld() public {
        _replace();
        assertEq(full.core.controller.getContract(ContractIds.TICKET_BROKER), address(newBroker));
        assertEq(full.core.controller.getContract(ContractIds.PREVIOUS_TICKET_BROKER), address(oldBroker));
        assertEq(newBroker.ticketValidityPeriod(), oldBroker.ticketValidityPeriod());
        assertEq(newBroker.unlockPeriod(), oldBroker.unlockPeriod());
        vm.prank(sender);
        vm.expectRevert(IRetiredTicketBroker.BrokerRetired.selector);
        oldBroker.fundDeposit{value: 1}();
        // New funding goes to the new broker, which works on its own.
        vm.prank(sender);
        newBroker.fundDeposit{value: 1 ether}();
        _redeemOn(newBroker, _ticketOn(newBroker, 0.5 ether));
        assertEq(_held(newBroker), 0.5 ether);
    }

    // ------------------------------------------------------------------ moving funds

    function test_MoveFundsSendsDepositNowAndKeepsTheReserveForOldTickets() public {
        bytes memory old1 = _ticketOn(oldBroker, 1 ether);
        bytes memory old2 = _ticketOn(oldBroker, 1 ether);
        _replace();
        uint256 allocationBefore = oldBroker.remainingReserveAllocation(sender, orch, _round());
        uint256 release = _round() + oldBroker.ticketValidityPeriod();
        vm.expectEmit(address(oldBroker));
        emit IRetiredTicketBroker.FundsMoved(sender, address(newBroker), 4 ether, 0, release);
        vm.expectEmit(address(newBroker));
        emit IBrokerSuccessor.FundsMovedIn(sender, 4 ether, 0);
        vm.prank(sender);
        _retired().moveFunds();

        (uint256 dep, uint256 res, uint256 wr) = oldBroker.getSender(sender);
        assertEq(dep, 0);
        assertEq(res, 2 ether);
        assertEq(wr, release);
        (dep, res,) = newBroker.getSender(sender);
        assertEq(dep, 4 ether);
        assertEq(res, 0);
        // The reserve's guarantee is untouched: same allocation, and old tickets are paid from it.
        assertEq(oldBroker.remainingReserveAllocation(sender, orch, _round()), allocationBefore);
        _redeemOn(oldBroker, old1);
        _redeemOn(oldBroker, old2);
        (, res,) = oldBroker.getSender(sender);
        assertEq(res, 0);
        // Their fees went to the new broker in the same transactions.
        assertEq(_held(oldBroker), 0);
        assertEq(_held(newBroker), 2 ether);
    }

    function test_ForwardReserveOnlyOnceOldTicketsExpired() public {
        bytes memory late = _ticketOn(oldBroker, 0.5 ether);
        _replace();
        vm.prank(sender);
        _retired().moveFunds();
        uint256 release = _round() + oldBroker.ticketValidityPeriod();
        _advance(release - _round() - 1);
        // Last round the ticket is valid: it is paid from the reserve, and the reserve can't leave.
        vm.expectRevert(
            abi.encodeWithSelector(IRetiredTicketBroker.ReserveStillBacksTickets.selector, _round(), release)
        );
        _retired().forwardReserve(sender);
        _redeemOn(oldBroker, late);
        _advance(1);
        vm.expectEmit(address(oldBroker));
        emit IRetiredTicketBroker.ReserveForwarded(sender, address(newBroker), 1.5 ether);
        vm.prank(makeAddr("anyone"));
        _retired().forwardReserve(sender);
        (uint256 dep, uint256 res,) = newBroker.getSender(sender);
        assertEq(dep, 4 ether);
        assertEq(res, 1.5 ether);
        (dep, res,) = oldBroker.getSender(sender);
        assertEq(dep + res, 0);
        vm.expectRevert(abi.encodeWithSelector(IRetiredTicketBroker.NotMoving.selector, sender));
        _retired().forwardReserve(sender);
    }

    function test_MoveFundsAfterUnlockEndedMovesEverythingNow() public {
        vm.prank(sender);
        oldBroker.unlock();
        _advance(oldBroker.unlockPeriod());
        _replace();
        vm.prank(sender);
        _retired().moveFunds();
        (uint256 dep, uint256 res,) = newBroker.getSender(sender);
        assertEq(dep, 4 ether);
        assertEq(res, 2 ether);
        assertEq(address(oldBroker).balance, 0);
    }

    function test_WithdrawInsteadOfForwardPaysTheSender() public {
        _replace();
        vm.prank(sender);
        _retired().moveFunds();
        _advance(oldBroker.ticketValidityPeriod());
        uint256 before = sender.balance;
        vm.prank(sender);
        oldBroker.withdraw();
        assertEq(sender.balance - before, 2 ether);
    }

    function test_RevertWhen_MoveFundsWithNothing() public {
        _replace();
        address nobody = makeAddr("nobody");
        vm.prank(nobody);
        vm.expectRevert(abi.encodeWithSelector(IRetiredTicketBroker.NothingToMove.selector, nobody));
        _retired().moveFunds();
    }

    function test_RevertWhen_MoveFundsWithoutSuccessor() public {
        // Upgraded to the retired implementation but still registered: nowhere to move to.
        address retiredImpl = address(new RetiredTicketBroker(IController(address(full.core.controller))));
        full.core.controller.upgradeProxy(address(oldBroker), retiredImpl, "");
        vm.prank(sender);
        vm.expectRevert(IRetiredTicketBroker.NoSuccessor.selector);
        _retired().moveFunds();
    }

    function test_RevertWhen_AcceptMovedFundsNotFromPreviousBroker() public {
        _replace();
        vm.deal(address(this), 1 ether);
        uint256 r = _round();
        vm.expectRevert(abi.encodeWithSelector(IBrokerSuccessor.NotPreviousBroker.selector, address(this)));
        newBroker.acceptMovedFunds{value: 1 ether}(address(this), 1 ether, 0);
        vm.expectRevert(abi.encodeWithSelector(IBrokerSuccessor.NotPreviousBroker.selector, address(this)));
        newBroker.acceptHeldFees{value: 1 ether}(orch, r, 1 ether, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(IBrokerSuccessor.NotPreviousBroker.selector, address(this)));
        newBroker.acceptFeesOwed{value: 1 ether}();
        (bool ok,) = address(newBroker).call{value: 1}("");
        assertFalse(ok);
    }

    function test_RevertWhen_ReleaseFeesNotBySuccessor() public {
        _replace();
        vm.expectRevert(abi.encodeWithSelector(IRetiredTicketBroker.NotSuccessor.selector, address(this)));
        _retired().releaseFees(orch);
    }

    // ------------------------------------------------------------------ fees

    /// @dev Runs `scenario` from the current state with and without the replacement and checks that
    /// the orchestrator and its delegator end with the same fees, then that they can withdraw them.
    function _assertWhole(function() internal scenario) internal {
        uint256 id = vm.snapshotState();
        scenario();
        (uint256 orchControl, uint256 delControl) = _earnedFees();
        vm.revertToState(id);
        _replace();
        scenario();
        (uint256 orchFees, uint256 delFees) = _earnedFees();
        assertGt(orchControl, 0);
        assertGt(delControl, 0);
        assertEq(orchFees, orchControl, "orchestrator fees");
        assertEq(delFees, delControl, "delegator fees");
        assertEq(_held(oldBroker), 0);
        // Paid by the registered broker, from the ETH it holds for fees.
        vm.prank(delegator);
        full.staking.bondingManager.withdrawFees(payable(delegator), delFees);
        vm.prank(orch);
        full.staking.bondingManager.withdrawFees(payable(orch), orchFees);
        assertEq(delegator.balance, delFees);
    }

    function _noop() internal {}

    /// @dev Held in the old broker at the replacement (pool flagged): the first touch after takes
    /// them through the new broker.
    function test_HeldFeesAtReplacementReachTheSameAccounts() public {
        _redeemOn(oldBroker, _ticketOn(oldBroker, 1 ether));
        _assertWhole(_noop);
    }

    /// @dev Credited before the replacement, not withdrawn: their ETH moves in the batch.
    function test_FeesOwedAtReplacementArePaidByTheNewBroker() public {
        _redeemOn(oldBroker, _ticketOn(oldBroker, 1 ether));
        full.staking.bondingManager.checkpoint(orch);
        assertEq(oldBroker.feesOwed(), 1 ether);
        _assertWhole(_noop);
        assertEq(oldBroker.feesOwed(), 0);
    }

    bytes internal pendingOld;

    function _redeemOldTicketNextRound() internal {
        _advance(1);
        _redeemOn(oldBroker, pendingOld);
    }

    /// @dev A ticket issued before the replacement and redeemed after it on the old broker.
    function test_OldTicketRedeemedAfterReplacementCreditsTheSameAccounts() public {
        _redeemOn(oldBroker, _ticketOn(oldBroker, 1 ether));
        pendingOld = _ticketOn(oldBroker, 0.7 ether);
        _assertWhole(_redeemOldTicketNextRound);
    }

    /// @dev Fees of three creation rounds across both brokers: held in the old one (round r), an old
    /// ticket of round r + 1 redeemed after the replacement, a new ticket of r + 1 and of r + 2.
    function _mixedRounds() internal {
        _advance(1);
        _redeemOn(oldBroker, pendingOld);
        TicketBroker current =
            TicketBroker(payable(full.core.controller.getContract(ContractIds.TICKET_BROKER)));
        vm.prank(sender);
        current.fundDeposit{value: 2 ether}();
        _redeemOn(current, _ticketOn(current, 0.3 ether));
        _advance(1);
        _redeemOn(current, _ticketOn(current, 0.2 ether));
    }

    function test_FeesOfThreeRoundsAcrossBothBrokersCreditTheSameAccounts() public {
        _redeemOn(oldBroker, _ticketOn(oldBroker, 1 ether));
        _advance(1);
        pendingOld = _ticketOn(oldBroker, 0.7 ether);
        _redeemOn(oldBroker, _ticketOn(oldBroker, 0.1 ether));
        _assertWhole(_mixedRounds);
    }

    function test_HandOverFeesEmptiesTheOldBroker() public {
        _redeemOn(oldBroker, _ticketOn(oldBroker, 1 ether));
        _replace();
        vm.prank(makeAddr("anyone"));
        assertEq(newBroker.handOverFees(orch), 1 ether);
        assertEq(_held(oldBroker), 0);
        assertEq(_held(newBroker), 1 ether);
        // Once adopted, never again.
        assertEq(newBroker.handOverFees(orch), 0);
        // The pool's flag is still up: the next touch takes them from the new broker.
        full.staking.bondingManager.checkpoint(orch);
        assertEq(_held(newBroker), 0);
        assertEq(newBroker.feesOwed(), 1 ether);
    }

    function test_RevertWhen_PayFeesBeyondWhatWasTaken() public {
        _redeemOn(oldBroker, _ticketOn(oldBroker, 1 ether));
        vm.prank(address(full.staking.bondingManager));
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.FeesExceedOwed.selector, 1, 0));
        oldBroker.payFees(payable(orch), 1);
    }
}
