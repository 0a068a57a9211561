// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {IControlled} from "../../src/interfaces/IControlled.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {StakingFixture} from "../utils/StakingFixture.sol";

contract BondingManagerTest is StakingFixture {
    address internal orch;
    address internal orch2;
    address internal alice;
    address internal bob;

    uint256 internal constant SELF = 10_000 ether;

    function setUp() public {
        deployStaking();
        orch = makeAddr("orch");
        orch2 = makeAddr("orch2");
        alice = makeAddr("alice");
        bob = makeAddr("bob");
        fundAndBond(orch, SELF, orch);
        fundAndBond(orch2, SELF, orch2);
        fund(alice, 100_000 ether);
        fund(bob, 100_000 ether);
    }

    // ------------------------------------------------------------------ bond

    function test_BondSelf_RegistersOrchestrator() public view {
        assertTrue(bm.isOrchestrator(orch));
        assertEq(stakeOf(orch), SELF);
        assertEq(bm.orchestratorInfo(orch).totalStake, SELF);
        assertEq(d.token.balanceOf(address(bm)), 2 * SELF);
    }

    function test_Bond_Delegates() public {
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.Bonded(alice, orch, alice, 5 ether);
        vm.prank(alice);
        bm.bond(5 ether, orch);
        (address delegate, uint256 stake,) = bm.delegatorInfo(alice);
        assertEq(delegate, orch);
        assertEq(stake, 5 ether);
        assertEq(bm.orchestratorInfo(orch).totalStake, SELF + 5 ether);
        assertEq(bm.orchestratorInfo(orch).delegatorCount, 1);
        assertFalse(bm.isOrchestrator(alice));
    }

    function test_Bond_AddsToExistingStake() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        bm.bond(7 ether, orch);
        vm.stopPrank();
        assertEq(stakeOf(alice), 12 ether);
        assertEq(bm.orchestratorInfo(orch).delegatorCount, 1);
    }

    function test_Bond_ToOtherOrchestratorMovesStake() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        bm.bond(1 ether, orch2);
        vm.stopPrank();
        (address delegate, uint256 stake,) = bm.delegatorInfo(alice);
        assertEq(delegate, orch2);
        assertEq(stake, 6 ether);
        assertEq(bm.orchestratorInfo(orch).totalStake, SELF);
        assertEq(bm.orchestratorInfo(orch2).totalStake, SELF + 6 ether);
    }

    function test_RevertWhen_BondZero() public {
        vm.prank(alice);
        vm.expectRevert(IBondingManagerTypes.ZeroAmount.selector);
        bm.bond(0, orch);
    }

    function test_RevertWhen_BondToNonOrchestrator() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.NotOrchestrator.selector, bob));
        bm.bond(1 ether, bob);
    }

    function test_RevertWhen_BondWhilePaused() public {
        d.controller.pause();
        vm.prank(alice);
        vm.expectRevert(IControlled.ProtocolIsPaused.selector);
        bm.bond(1 ether, orch);
    }

    // ------------------------------------------------------------------ bondFor

    function test_BondFor_NeverChangesDelegate() public {
        vm.prank(alice);
        bm.bond(5 ether, orch);
        vm.prank(bob);
        bm.bondFor(3 ether, alice);
        (address delegate, uint256 stake,) = bm.delegatorInfo(alice);
        assertEq(delegate, orch);
        assertEq(stake, 8 ether);
        assertFalse(bm.isOrchestrator(alice));
        assertEq(d.token.balanceOf(bob), 100_000 ether - 3 ether);
    }

    function test_BondFor_AfterFullUnbondKeepsDelegate() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        bm.unbond(5 ether);
        vm.stopPrank();
        vm.prank(bob);
        bm.bondFor(1 ether, alice);
        (address delegate, uint256 stake,) = bm.delegatorInfo(alice);
        assertEq(delegate, orch);
        assertEq(stake, 1 ether);
        assertFalse(bm.isOrchestrator(alice));
    }

    function test_RevertWhen_BondForUndelegated() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.NotDelegated.selector, alice));
        bm.bondFor(1 ether, alice);
    }

    function test_RevertWhen_BondForZero() public {
        vm.prank(bob);
        vm.expectRevert(IBondingManagerTypes.ZeroAmount.selector);
        bm.bondFor(0, alice);
    }

    // ------------------------------------------------------------------ unbond / withdraw

    function test_Unbond_CreatesLock() public {
        vm.prank(alice);
        bm.bond(5 ether, orch);
        waitMaturity(); // mature stake keeps a fee tail (see test_Unbond_YoungStakeHasNoFeeTail)
        uint256 withdrawRound = round() + cfg.unbondingPeriod;
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.Unbonded(alice, orch, 0, 2 ether, withdrawRound);
        vm.prank(alice);
        uint256 id = bm.unbond(2 ether);
        (address o, uint256 amount, uint256 r, bool feeOnly) = bm.lockInfo(alice, id);
        assertEq(o, orch);
        assertEq(amount, 2 ether);
        assertEq(r, withdrawRound);
        assertFalse(feeOnly);
        assertEq(stakeOf(alice), 3 ether);
        assertEq(bm.orchestratorInfo(orch).totalStake, SELF + 3 ether);
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 2 ether);
    }

    function test_RevertWhen_UnbondZero() public {
        vm.prank(alice);
        vm.expectRevert(IBondingManagerTypes.ZeroAmount.selector);
        bm.unbond(0);
    }

    function test_RevertWhen_UnbondMoreThanStake() public {
        vm.prank(alice);
        bm.bond(5 ether, orch);
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IBondingManagerTypes.InsufficientStake.selector, 5 ether, 6 ether)
        );
        bm.unbond(6 ether);
    }

    function test_WithdrawStake_AfterUnbondingPeriod() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        uint256 id = bm.unbond(5 ether);
        vm.stopPrank();
        advanceRounds(cfg.unbondingPeriod);
        uint256 before = d.token.balanceOf(alice);
        vm.prank(alice);
        bm.withdrawStake(id);
        assertEq(d.token.balanceOf(alice), before + 5 ether);
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 0);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.UnknownLock.selector, id));
        bm.withdrawStake(id);
    }

    function test_RevertWhen_WithdrawBeforeUnbondingPeriod() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        uint256 id = bm.unbond(5 ether);
        vm.stopPrank();
        advanceRounds(cfg.unbondingPeriod - 1);
        uint256 r = round() + 1;
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.LockNotWithdrawable.selector, id, r));
        bm.withdrawStake(id);
    }

    function test_RevertWhen_WithdrawUnknownLock() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.UnknownLock.selector, 3));
        bm.withdrawStake(3);
    }

    /// A pending challenge holds the orchestrator's own lock, never a delegator's.
    function test_RevertWhen_WithdrawOwnLockFrozen() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        uint256 id = bm.unbond(5 ether);
        vm.stopPrank();
        vm.prank(orch);
        uint256 own = bm.unbond(1 ether);
        vm.prank(faultVerifier);
        bm.freezeStake(orch);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(alice);
        bm.withdrawStake(id); // the delegator leaves
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.StakeFrozen.selector, orch));
        bm.withdrawStake(own);
        vm.prank(faultVerifier);
        bm.unfreezeStake(orch);
        vm.prank(orch);
        bm.withdrawStake(own);
    }

    // ------------------------------------------------------------------ rebond

    function test_Rebond_FromLock() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        uint256 id = bm.unbond(2 ether);
        bm.rebond(id);
        vm.stopPrank();
        assertEq(stakeOf(alice), 5 ether);
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 0);
        assertEq(bm.orchestratorInfo(orch).totalStake, SELF + 5 ether);
        (address o,,,) = bm.lockInfo(alice, id);
        assertEq(o, address(0));
    }

    function test_Rebond_AfterExitRound() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        uint256 id = bm.unbond(2 ether);
        vm.stopPrank();
        advanceRounds(cfg.unbondingPeriod + 1);
        vm.prank(alice);
        bm.rebond(id);
        assertEq(stakeOf(alice), 5 ether);
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 0);
    }

    function test_RevertWhen_RebondUnknownLock() public {
        vm.prank(alice);
        bm.bond(5 ether, orch);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.UnknownLock.selector, 0));
        bm.rebond(0);
    }

    function test_RevertWhen_RebondNotDelegated() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.NotDelegated.selector, alice));
        bm.rebond(0);
    }

    function test_RevertWhen_RebondFeeOnlyLock() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        waitMaturity(); // only mature stake leaves a fee-only lock
        uint256 id = bm.redelegate(orch2);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.FeeOnlyLock.selector, id));
        bm.rebond(id);
        vm.stopPrank();
    }

    function test_RebondFromUnbonded_ToNewOrchestrator() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        uint256 id = bm.unbond(5 ether);
        bm.rebondFromUnbonded(orch2, id);
        vm.stopPrank();
        (address delegate, uint256 stake,) = bm.delegatorInfo(alice);
        assertEq(delegate, orch2);
        assertEq(stake, 5 ether);
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 0);
        assertEq(bm.orchestratorInfo(orch).delegatorCount, 0);
        assertEq(bm.orchestratorInfo(orch2).totalStake, SELF + 5 ether);
    }

    function test_RevertWhen_RebondFromUnbondedStillBonded() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        uint256 id = bm.unbond(2 ether);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.StillBonded.selector, 3 ether));
        bm.rebondFromUnbonded(orch2, id);
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ redelegate

    function test_Redelegate_MovesStakeAndLeavesFeeTail() public {
        vm.prank(alice);
        bm.bond(5 ether, orch);
        waitMaturity(); // only mature stake leaves a fee tail
        vm.prank(alice);
        uint256 id = bm.redelegate(orch2);
        (address delegate, uint256 stake,) = bm.delegatorInfo(alice);
        assertEq(delegate, orch2);
        assertEq(stake, 5 ether);
        (, uint256 amount,, bool feeOnly) = bm.lockInfo(alice, id);
        assertEq(amount, 5 ether);
        assertTrue(feeOnly);
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 5 ether);
        advanceRounds(cfg.unbondingPeriod);
        uint256 before = d.token.balanceOf(alice);
        vm.prank(alice);
        bm.withdrawStake(id);
        assertEq(d.token.balanceOf(alice), before, "a fee-only lock returns no LPT");
    }

    function test_RevertWhen_RedelegateToSame() public {
        vm.prank(alice);
        bm.bond(5 ether, orch);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.AlreadyDelegated.selector, orch));
        bm.redelegate(orch);
    }

    function test_RevertWhen_RedelegateWithoutStake() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InsufficientStake.selector, 0, 1));
        bm.redelegate(orch);
    }

    function test_OrchestratorLeavingDeregisters() public {
        vm.startPrank(orch);
        bm.unbond(SELF); // the self-bond leaves only through a slashable lock
        bm.bond(0, orch2);
        vm.stopPrank();
        assertFalse(bm.isOrchestrator(orch));
        nextRound();
        assertFalse(bm.isActiveOrchestrator(orch, round()));
    }

    // ------------------------------------------------------------------ active set

    function test_ActiveFromNextRound() public {
        address carol = makeAddr("carol");
        uint256 r = round();
        fundAndBond(carol, 1000 ether, carol);
        assertFalse(bm.isActiveOrchestrator(carol, r));
        assertTrue(bm.isActiveOrchestrator(carol, r + 1));
        assertEq(bm.activeStake(carol, r + 1), 1000 ether);
    }

    function test_BelowMinimumIsNotActive() public {
        address carol = makeAddr("carol");
        fundAndBond(carol, 999 ether, carol);
        nextRound();
        assertFalse(bm.isActiveOrchestrator(carol, round()));
        vm.prank(alice);
        bm.bond(1 ether, carol);
        assertTrue(bm.isActiveOrchestrator(carol, round() + 1));
    }

    function test_DeactivatedFromNextRound() public {
        nextRound();
        uint256 r = round();
        assertTrue(bm.isActiveOrchestrator(orch, r));
        vm.prank(orch);
        bm.unbond(9001 ether);
        assertTrue(bm.isActiveOrchestrator(orch, r), "still active this round");
        assertFalse(bm.isActiveOrchestrator(orch, r + 1));
        assertEq(bm.activeOrchestratorCount(r), 2);
        assertEq(bm.activeOrchestratorCount(r + 1), 1);
        assertEq(bm.totalActiveStake(r + 1), SELF);
    }

    function test_Totals() public {
        uint256 r = round();
        assertEq(bm.totalActiveStake(r), 0);
        assertEq(bm.totalActiveStake(r + 1), 2 * SELF);
        assertEq(bm.activeOrchestratorCount(r + 1), 2);
        vm.prank(alice);
        bm.bond(5 ether, orch);
        assertEq(bm.totalActiveStake(r + 1), 2 * SELF + 5 ether);
        nextRound();
        assertEq(bm.totalActiveStake(round()), 2 * SELF + 5 ether);
        assertEq(bm.totalActiveStake(r), 0, "history kept");
    }

    function test_SetMinActiveStake_AppliesAtCheckpoint() public {
        bm.setMinActiveStake(20_000 ether);
        assertEq(bm.minActiveStake(), 20_000 ether);
        uint256 r = round();
        assertTrue(bm.isActiveOrchestrator(orch, r + 1));
        bm.checkpoint(orch);
        assertFalse(bm.isActiveOrchestrator(orch, r + 1));
        assertEq(bm.activeOrchestratorCount(r + 1), 1);
    }

    function test_RevertWhen_SetMinActiveStakeZero() public {
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InvalidMinActiveStake.selector, 0));
        bm.setMinActiveStake(0);
    }

    function test_RevertWhen_SetMinActiveStakeNotGovernance() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, alice));
        bm.setMinActiveStake(1);
    }

    function test_SetUnbondingPeriod() public {
        bm.setUnbondingPeriod(3);
        assertEq(bm.unbondingPeriod(), 3);
    }

    function test_RevertWhen_SetUnbondingPeriodInvalid() public {
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.UnbondingPeriodTooShort.selector, 0, 2));
        bm.setUnbondingPeriod(0); // below the broker's ticket validity
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InvalidUnbondingPeriod.selector, 31));
        bm.setUnbondingPeriod(31);
    }

    function test_RevertWhen_SetUnbondingPeriodNotGovernance() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, alice));
        bm.setUnbondingPeriod(3);
    }

    function test_ShorterUnbondingPeriodKeepsExitOrder() public {
        vm.prank(alice);
        bm.bond(5 ether, orch);
        waitMaturity(); // the exit queue orders fee tails: mature stake
        vm.prank(alice);
        uint256 first = bm.unbond(1 ether);
        bm.setUnbondingPeriod(2);
        vm.prank(alice);
        uint256 second = bm.unbond(1 ether);
        (,, uint256 r1,) = bm.lockInfo(alice, first);
        (,, uint256 r2,) = bm.lockInfo(alice, second);
        assertEq(r2, r1, "joins the queued exit round");
    }

    // ------------------------------------------------------------------ pause, views, checkpoint

    function test_RevertWhen_PausedEveryEntryPoint() public {
        d.controller.pause();
        bytes[] memory calls = new bytes[](12);
        calls[0] = abi.encodeCall(bm.bond, (1, orch));
        calls[1] = abi.encodeCall(bm.bondFor, (1, orch));
        calls[2] = abi.encodeCall(bm.redelegate, (orch2));
        calls[3] = abi.encodeCall(bm.unbond, (1));
        calls[4] = abi.encodeCall(bm.rebond, (0));
        calls[5] = abi.encodeCall(bm.rebondFromUnbonded, (orch, 0));
        calls[6] = abi.encodeCall(bm.withdrawStake, (0));
        calls[7] = abi.encodeCall(bm.claimEarnings, ());
        calls[8] = abi.encodeCall(bm.withdrawFees, (payable(orch), 1));
        calls[9] = abi.encodeCall(bm.announceCuts, (0, 0));
        calls[10] = abi.encodeCall(bm.reward, ());
        calls[11] = abi.encodeCall(bm.checkpoint, (orch));
        for (uint256 i; i < calls.length; ++i) {
            vm.prank(orch);
            (bool ok, bytes memory ret) = address(bm).call(calls[i]);
            assertFalse(ok);
            assertEq(keccak256(ret), keccak256(abi.encodeWithSelector(IControlled.ProtocolIsPaused.selector)));
        }
    }

    function test_RevertWhen_InitializeTwice() public {
        vm.expectRevert();
        bm.initialize(7, 7, 1);
    }

    function test_Checkpoint_IsHarmlessWithoutChanges() public {
        uint256 r = round();
        bm.checkpoint(orch);
        assertEq(bm.activeStake(orch, r + 1), SELF);
        assertEq(bm.activeOrchestratorCount(r + 1), 2);
    }

    function test_ActiveStake_HistoryUnavailableForOldActiveRound() public {
        nextRound();
        uint256 r = round();
        nextRound();
        vm.prank(alice);
        bm.bond(1 ether, orch); // rolls orch's active-stake slot past round r
        nextRound();
        vm.prank(alice);
        bm.bond(1 ether, orch);
        assertTrue(bm.isActiveOrchestrator(orch, r), "activity history is complete");
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.HistoryUnavailable.selector, r));
        bm.activeStake(orch, r);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.HistoryUnavailable.selector, r));
        bm.totalActiveStake(r);
        assertEq(bm.activeStake(orch, r - 2), 0, "inactive rounds are known");
    }

    function test_Views_ForUnknownAccounts() public view {
        (address delegate, uint256 stake, uint256 fees) = bm.delegatorInfo(alice);
        assertEq(delegate, address(0));
        assertEq(stake, 0);
        assertEq(fees, 0);
        (uint256 rewards, uint256 pendingFees) = bm.pendingEarnings(alice);
        assertEq(rewards, 0);
        assertEq(pendingFees, 0);
        assertFalse(bm.isOrchestrator(alice));
        assertFalse(bm.isActiveOrchestrator(alice, round() + 1));
        (address o,,,) = bm.lockInfo(alice, 0);
        assertEq(o, address(0));
    }

    /// @dev Regression (review H-4): the self-bond can't move out instantly (by `bond` or
    /// `redelegate`); it leaves through an unbonding lock, after which the orchestrator may delegate.
    function test_SelfBondedOrchestratorMovesToAnotherOnlyThroughUnbonding() public {
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.SelfBondLocked.selector, orch));
        bm.bond(0, orch2);
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.SelfBondLocked.selector, orch));
        bm.redelegate(orch2);
        vm.startPrank(orch);
        bm.unbond(SELF); // the self-bond leaves only through a slashable lock
        bm.bond(0, orch2);
        vm.stopPrank();
        (address delegate, uint256 stake,) = bm.delegatorInfo(orch);
        assertEq(delegate, orch2);
        assertEq(stake, 0);
        assertFalse(bm.isOrchestrator(orch));
        assertEq(bm.activeOrchestratorCount(round() + 1), 1);
        assertEq(bm.totalActiveStake(round() + 1), SELF);
    }

    function test_UnbondedDelegatorBondsElsewhere() public {
        vm.startPrank(alice);
        bm.bond(5 ether, orch);
        bm.unbond(5 ether);
        bm.bond(2 ether, orch2);
        vm.stopPrank();
        (address delegate, uint256 stake,) = bm.delegatorInfo(alice);
        assertEq(delegate, orch2);
        assertEq(stake, 2 ether);
        assertEq(bm.orchestratorInfo(orch).delegatorCount, 0);
        assertEq(bm.orchestratorInfo(orch2).delegatorCount, 1);
    }
}
