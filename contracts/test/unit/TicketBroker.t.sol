// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TicketBroker} from "../../src/TicketBroker.sol";
import {IControlled} from "../../src/interfaces/IControlled.sol";
import {IController} from "../../src/interfaces/IController.sol";
import {ITicketBroker} from "../../src/interfaces/ITicketBroker.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {ControlledProxy} from "../../src/proxy/ControlledProxy.sol";
import {FeeIntakeStub} from "../utils/FeeIntakeStub.sol";
import {TicketBrokerTestBase} from "../utils/TicketBrokerTestBase.sol";

/// @notice TicketBroker wiring, governance, funding, unlock and withdrawal.
contract TicketBrokerTest is TicketBrokerTestBase {
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
        address newStaking = address(
            new ControlledProxy(
                address(d.controller),
                address(new FeeIntakeStub(IController(address(d.controller)))),
                abi.encodeCall(FeeIntakeStub.initialize, ())
            )
        );
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
        staking.setUnbondingPeriod(10);
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

    function test_RevertWhen_ValidityExceedsMaturityPeriod() public {
        broker.setUnlockPeriod(20);
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.ValidityExceedsMaturityPeriod.selector, 8, 7));
        broker.setTicketValidityPeriod(8);
        broker.setTicketValidityPeriod(7); // equal is fine: tickets expire as the stake stops earning
        assertEq(broker.ticketValidityPeriod(), 7);
    }

    function test_RevertWhen_SyncingToStakingWithShorterUnbonding() public {
        staking.setUnbondingPeriod(1);
        vm.expectRevert(
            abi.encodeWithSelector(ITicketBroker.ValidityExceedsMaturityPeriod.selector, VALIDITY, 1)
        );
        broker.syncDependencies();
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

    function test_RevertWhen_FundForBroker() public {
        vm.prank(funder);
        vm.expectRevert(ITicketBroker.FundingForBroker.selector);
        broker.fundDepositAndReserveFor{value: 1}(address(broker), 1, 0);
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
