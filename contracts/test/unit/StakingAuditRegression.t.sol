// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {StakingFixture} from "../utils/StakingFixture.sol";
import {MockVerifierApprovals} from "../utils/mocks/MockVerifierApprovals.sol";

/// @notice Regression tests for the staking security review (/docs/staking.md, "Security review"):
/// each reproduces a proof of concept of the review and asserts the correct outcome.
contract StakingAuditRegressionTest is StakingFixture {
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
        vm.prank(orch);
        bm.announceCuts(100_000, 500_000); // keeps 10% of rewards, shares 50% of fees
        vm.prank(orch2);
        bm.announceCuts(100_000, 500_000);
        // Entering stake is young (no earnings) for an unbonding period: let the self-bonds mature.
        waitMaturity();
        fund(alice, 100_000 ether);
        fund(bob, 100_000 ether);
    }

    // ---------------------------------------------------------------- H-1
    /// @dev Two back-to-back "fast" cut changes used to overwrite the one step of fee-share history
    /// while a departed delegator still had a fee tail; its share of old tickets went to the
    /// orchestrator.
    function test_H1_TwoFastCutChangesKeepLeavingDelegatorsFees() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity(); // alice earns (young stake shares no fees, so it has nothing to protect)
        uint256 creationRound = round(); // alice is 50% of the pool
        vm.prank(alice);
        uint256 lockId = bm.unbond(SELF);
        vm.prank(orch);
        bm.announceCuts(100_000, 0);
        nextRound();
        vm.prank(orch);
        bm.announceCuts(100_000, 0);
        nextRound();
        broker.credit(orch, 1 ether, creationRound);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(alice);
        bm.withdrawStake(lockId);
        assertEq(feesOf(alice), 0.25 ether, "half of the 50% pool share");
        assertEq(feesOf(orch), 0.75 ether);
    }

    // ---------------------------------------------------------------- H-2
    function test_H2_RewardAfterRedelegationReverts() public {
        vm.prank(alice);
        bm.bond(100_000 ether, orch);
        broker.credit(orch, 10 ether, round());
        nextRound();
        vm.startPrank(orch);
        bm.unbond(SELF); // the self-bond leaves only through a slashable lock
        bm.bond(0, orch2);
        vm.stopPrank();
        uint256 r = round();
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.NotActive.selector, orch, r));
        vm.prank(orch);
        bm.reward();
    }

    // ---------------------------------------------------------------- L-1
    /// @dev A lock of a frozen pool used to walk out through `rebondFromUnbonded` to another pool.
    function test_L1_RebondCannotMoveLockOutOfFrozenPool() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        vm.prank(alice);
        uint256 lockId = bm.unbond(SELF);
        vm.prank(faultVerifier);
        bm.freezeStake(orch);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.StakeFrozen.selector, orch));
        bm.withdrawStake(lockId);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.StakeFrozen.selector, orch));
        bm.rebondFromUnbonded(orch2, lockId);
        // back into the frozen pool itself is fine: the stake stays slashable there
        vm.prank(alice);
        bm.rebondFromUnbonded(orch, lockId);
        assertEq(stakeOf(alice), SELF);
        assertEq(bm.orchestratorInfo(orch).freezeCount, 1, "still frozen");
    }

    // ---------------------------------------------------------------- H-4
    /// @dev The faulting orchestrator used to move its self-bond to a sybil pool at once (or unbond
    /// it) right before a challenge; the slash then fell on its delegators only.
    function test_H4_OrchestratorCannotEscapeSlashByRedelegating() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.SelfBondLocked.selector, orch));
        bm.redelegate(orch2);
        vm.prank(faultVerifier);
        bm.freezeStake(orch);
        vm.prank(faultVerifier);
        (uint256 slashed,) = bm.slash(orch, 500_000, bob, 100_000);
        assertEq(slashed, SELF);
        assertEq(stakeOf(alice), SELF / 2);
        assertEq(stakeOf(orch), SELF / 2, "the orchestrator pays its share");
    }

    function test_H4_SelfUnbondingLockStaysSlashable() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        // round r: faulty work, then the orchestrator unbonds its whole self-bond before a challenge
        vm.prank(orch);
        uint256 lockId = bm.unbond(SELF);
        nextRound();
        vm.prank(faultVerifier);
        bm.freezeStake(orch);
        uint256 finderBefore = d.token.balanceOf(bob);
        vm.prank(faultVerifier);
        (uint256 slashed, uint256 fee) = bm.slash(orch, 500_000, bob, 100_000);
        assertEq(slashed, SELF, "half of alice's bond plus half of the self-unbonding lock");
        assertEq(d.token.balanceOf(bob) - finderBefore, fee);
        assertEq(stakeOf(alice), SELF / 2);
        (, uint256 lockAmount,,) = bm.lockInfo(orch, lockId);
        assertEq(lockAmount, SELF / 2);
        vm.prank(faultVerifier);
        bm.unfreezeStake(orch);
        advanceRounds(cfg.unbondingPeriod);
        uint256 bal = d.token.balanceOf(orch);
        vm.prank(orch);
        bm.withdrawStake(lockId);
        assertEq(d.token.balanceOf(orch) - bal, SELF / 2, "only what the slash left");
    }

    function test_H4_OneSelfUnbondingLockAtATime() public {
        vm.prank(orch);
        uint256 lockId = bm.unbond(1 ether);
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.SelfUnbondingPending.selector, lockId));
        bm.unbond(1 ether);
        vm.prank(orch);
        bm.rebond(lockId);
        vm.prank(orch);
        bm.unbond(2 ether); // the rebonded lock no longer counts
    }

    // ---------------------------------------------------------------- L-4
    /// @dev Shortening the unbonding period below the ticket validity (fee-theft guard) or to the
    /// challenge window (slash escape) used to be possible.
    function test_L4_UnbondingPeriodKeepsAboveValidityAndChallengeWindow() public {
        broker.setTicketValidityPeriod(4);
        MockVerifierApprovals(faultVerifier).setChallengeWindow(5);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.UnbondingPeriodTooShort.selector, 3, 4));
        bm.setUnbondingPeriod(3);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.UnbondingPeriodTooShort.selector, 5, 6));
        bm.setUnbondingPeriod(5);
        bm.setUnbondingPeriod(6);
        assertEq(bm.unbondingPeriod(), 6);
    }
}
