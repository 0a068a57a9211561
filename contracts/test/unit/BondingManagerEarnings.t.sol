// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {IControlled} from "../../src/interfaces/IControlled.sol";
import {ContractIds} from "../../src/libraries/ContractIds.sol";
import {TwoPoolsFixture} from "../utils/TwoPoolsFixture.sol";

/// @notice Rewards, fees, cuts, the fee-theft attack and slashing.
contract BondingManagerEarningsTest is TwoPoolsFixture {
    address internal finder;

    function setUp() public {
        setUpTwoPools(false);
        finder = makeAddr("finder");
    }

    // ------------------------------------------------------------------ cuts

    function test_AnnounceCuts_NextRoundWithoutDelegators() public {
        IBondingManagerTypes.OrchestratorView memory v = bm.orchestratorInfo(orch);
        assertEq(v.rewardCut, 100_000);
        assertEq(v.feeShare, 500_000);
        uint256 r = round();
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.CutsAnnounced(orch, 0, 1_000_000, r + 1);
        vm.prank(orch);
        bm.announceCuts(0, 1_000_000);
        assertEq(bm.orchestratorInfo(orch).feeShare, 500_000, "not in the current round");
        nextRound();
        assertEq(bm.orchestratorInfo(orch).feeShare, 1_000_000);
        assertEq(bm.orchestratorInfo(orch).rewardCut, 0);
    }

    /// @dev Delegators leave, then the orchestrator drops its fee share, twice in a row to push the
    /// old share out of the history: their fee tails keep the change delayed, so tickets of the round
    /// they were still bonded in keep the old share.
    function test_FeeTheft_CutChangesAfterDelegatorsLeave() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        uint256 creationRound = round();
        vm.prank(alice);
        uint256 lockId = bm.unbond(SELF);
        assertEq(bm.orchestratorInfo(orch).delegatorCount, 0);
        vm.prank(orch);
        bm.announceCuts(100_000, 0);
        assertEq(bm.orchestratorInfo(orch).cutEffectiveRound, creationRound + cfg.unbondingPeriod);
        nextRound();
        vm.prank(orch);
        bm.announceCuts(100_000, 0);
        nextRound();
        broker.credit(orch, 1 ether, creationRound);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(alice);
        bm.withdrawStake(lockId);
        assertApproxEqAbs(feesOf(alice), 0.25 ether, 10);
    }

    function test_AnnounceCuts_DelayedByUnbondingPeriod() public {
        vm.prank(alice);
        bm.bond(1 ether, orch);
        uint256 effective = round() + cfg.unbondingPeriod;
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.CutsAnnounced(orch, 900_000, 0, effective);
        vm.prank(orch);
        bm.announceCuts(900_000, 0);
        advanceRounds(cfg.unbondingPeriod - 1);
        assertEq(bm.orchestratorInfo(orch).rewardCut, 100_000, "not yet");
        nextRound();
        assertEq(bm.orchestratorInfo(orch).rewardCut, 900_000);
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.CutsApplied(orch, 900_000, 0, effective);
        bm.checkpoint(orch);
    }

    function test_RevertWhen_CutAbovePpm() public {
        vm.startPrank(orch);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InvalidCut.selector, PPM + 1));
        bm.announceCuts(PPM + 1, 0);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InvalidCut.selector, PPM + 1));
        bm.announceCuts(0, PPM + 1);
        vm.stopPrank();
    }

    function test_RevertWhen_AnnounceCutsNotOrchestrator() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.NotOrchestrator.selector, alice));
        bm.announceCuts(0, 0);
    }

    // ------------------------------------------------------------------ reward

    function test_Reward_SplitsByRewardCutAndStake() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        vm.prank(orch);
        uint256 amount = bm.reward();
        (uint256 mintable, uint256 minted) = minter.roundMint();
        assertEq(minted, amount);
        assertApproxEqAbs(amount, mintable * 2 / 3, 1);
        uint256 cut = amount / 10;
        uint256 half = (amount - cut) / 2;
        assertApproxEqAbs(stakeOf(orch), SELF + cut + half, 10);
        assertApproxEqAbs(stakeOf(alice), SELF + half, 10);
        (uint256 rewards,) = bm.pendingEarnings(alice);
        assertApproxEqAbs(rewards, half, 10);
        assertEq(bm.orchestratorInfo(orch).totalStake, 2 * SELF + amount);
        assertEq(bm.activeStake(orch, round() + 1), 2 * SELF + amount);
    }

    function test_RevertWhen_RewardTwice() public {
        nextRound();
        vm.startPrank(orch);
        bm.reward();
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.AlreadyRewarded.selector, orch, round()));
        bm.reward();
        vm.stopPrank();
    }

    function test_RevertWhen_RewardInactive() public {
        address carol = makeAddr("carol");
        fundAndBond(carol, SELF, carol); // active from the next round only
        uint256 r = round();
        vm.prank(carol);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.NotActive.selector, carol, r));
        bm.reward();
    }

    function test_RevertWhen_RewardAfterLeavingOwnPool() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        nextRound();
        vm.startPrank(orch);
        bm.unbond(SELF); // the self-bond leaves only through a slashable lock
        bm.bond(0, orch2);
        vm.stopPrank();
        assertTrue(bm.isActiveOrchestrator(orch, round()), "still in this round's set");
        uint256 r = round();
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.NotActive.selector, orch, r));
        bm.reward();
    }

    function test_Reward_UnclaimedIsNeverMinted() public {
        nextRound();
        uint256 supply = d.token.totalSupply();
        vm.prank(orch);
        uint256 amount = bm.reward();
        advanceRounds(3);
        assertEq(d.token.totalSupply(), supply + amount, "orch2 never called reward");
    }

    function test_MissedRewardRoundsNeverBreakFeesOrClaims() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        advanceRounds(cfg.unbondingPeriod + 2); // alice matured; nobody calls reward
        uint256 r = round();
        broker.credit(orch, 1 ether, r - 2);
        advanceRounds(3);
        vm.prank(orch);
        bm.reward();
        broker.credit(orch, 1 ether, round());
        vm.prank(alice);
        bm.claimEarnings();
        // 0.25 from the first credit, a little under 0.25 from the second (orch's cut grew its stake).
        assertGt(feesOf(alice), 0.49 ether);
        assertLt(feesOf(alice), 0.5 ether);
        assertGt(stakeOf(alice), SELF);
    }

    // ------------------------------------------------------------------ fees

    function test_CreditFees_SplitsByFeeShareAndWeight() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.FeesCredited(orch, round(), 1 ether, 0.5 ether);
        broker.credit(orch, 1 ether, round());
        assertApproxEqAbs(feesOf(orch), 0.75 ether, 10);
        assertApproxEqAbs(feesOf(alice), 0.25 ether, 10);
        (, uint256 pendingFees) = bm.pendingEarnings(alice);
        assertApproxEqAbs(pendingFees, 0.25 ether, 10);
    }

    function test_CreditFees_EmptyPoolGoesToOrchestrator() public {
        vm.prank(orch);
        bm.unbond(SELF);
        advanceRounds(cfg.unbondingPeriod);
        broker.credit(orch, 1 ether, round());
        assertEq(feesOf(orch), 1 ether);
    }

    function test_RevertWhen_CreditFeesNotBroker() public {
        uint256 r = round();
        vm.expectRevert(
            abi.encodeWithSelector(
                IControlled.NotRegisteredCaller.selector, address(this), ContractIds.TICKET_BROKER
            )
        );
        bm.creditFees(orch, 1, r);
    }

    function test_RevertWhen_CreditFeesFutureRound() public {
        uint256 r = round();
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.FutureCreationRound.selector, r + 1, r));
        broker.credit(orch, 1, r + 1);
    }

    function test_WithdrawFees_PaysFromVault() public {
        broker.credit(orch, 1 ether, round());
        address payable to = payable(makeAddr("payee"));
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.FeesWithdrawn(orch, to, 0.4 ether);
        vm.prank(orch);
        bm.withdrawFees(to, 0.4 ether);
        assertEq(to.balance, 0.4 ether);
        assertEq(feesOf(orch), 0.6 ether);
    }

    function test_RevertWhen_WithdrawFeesTooMuch() public {
        broker.credit(orch, 1 ether, round());
        vm.prank(orch);
        vm.expectRevert(
            abi.encodeWithSelector(IBondingManagerTypes.InsufficientFees.selector, 1 ether, 2 ether)
        );
        bm.withdrawFees(payable(orch), 2 ether);
    }

    function test_RevertWhen_WithdrawFeesZero() public {
        vm.prank(orch);
        vm.expectRevert(IBondingManagerTypes.ZeroAmount.selector);
        bm.withdrawFees(payable(orch), 0);
    }

    function test_RevertWhen_ClaimNotDelegated() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.NotDelegated.selector, alice));
        bm.claimEarnings();
    }

    function test_StakeChangeClaimsAutomatically() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        vm.prank(orch);
        bm.reward();
        broker.credit(orch, 1 ether, round());
        uint256 stake = stakeOf(alice);
        vm.expectEmit(true, true, false, false, address(bm));
        emit IBondingManagerTypes.EarningsClaimed(alice, orch, stake, 0.25 ether);
        vm.prank(alice);
        bm.bond(1 ether, orch);
        (uint256 rewards, uint256 fees) = bm.pendingEarnings(alice);
        assertEq(rewards, 0);
        assertEq(fees, 0);
        assertEq(stakeOf(alice), stake + 1 ether);
    }

    // ------------------------------------------------------------------ delegator fee theft

    /// @dev The attack: tickets are created while alice is delegated; she unbonds; the orchestrator
    /// redeems them afterwards, hoping to keep her share. She gets exactly what an immediate
    /// redemption would have paid her.
    function test_FeeTheft_HoldingTicketsUntilDelegatorsLeaveGainsNothing() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        uint256 creationRound = round();

        uint256 snap = vm.snapshotState();
        broker.credit(orch, 1 ether, creationRound);
        uint256 honestAlice = feesOf(alice);
        uint256 honestOrch = feesOf(orch);
        vm.revertToState(snap);

        vm.prank(alice);
        uint256 lockId = bm.unbond(SELF);
        advanceRounds(cfg.unbondingPeriod - 1);
        broker.credit(orch, 1 ether, creationRound);
        advanceRounds(1);
        vm.prank(alice);
        bm.withdrawStake(lockId);

        assertApproxEqAbs(feesOf(alice), honestAlice, 10);
        assertApproxEqAbs(feesOf(orch), honestOrch, 10);
        assertApproxEqAbs(honestAlice, 0.25 ether, 10);
    }

    /// @dev The same attack through redelegation: the fee-only lock keeps alice's share.
    function test_FeeTheft_RedelegationKeepsShare() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        uint256 creationRound = round();
        vm.prank(alice);
        uint256 lockId = bm.redelegate(orch2);
        advanceRounds(2);
        broker.credit(orch, 1 ether, creationRound);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(alice);
        bm.withdrawStake(lockId);
        assertApproxEqAbs(feesOf(alice), 0.25 ether, 10);
    }

    /// @dev Raising the cut does not reach tickets created before it took effect.
    function test_FeeTheft_FeeShareOfCreationRound() public {
        vm.prank(bob);
        bm.bond(SELF, orch);
        vm.prank(orch);
        bm.announceCuts(100_000, 0); // share no fees from now + unbondingPeriod
        advanceRounds(cfg.unbondingPeriod - 1);
        uint256 creationRound = round();
        nextRound();
        assertEq(bm.orchestratorInfo(orch).feeShare, 0);
        broker.credit(orch, 1 ether, creationRound);
        assertApproxEqAbs(feesOf(bob), 0.25 ether, 10); // the old fee share applies
        broker.credit(orch, 1 ether, round());
        assertApproxEqAbs(feesOf(bob), 0.25 ether, 10); // the new one shares nothing
    }

    /// @dev The tail ends at the lock's exit round: tickets must expire within the unbonding period
    /// (the TicketBroker's ticket validity is bounded by it, see docs/staking.md).
    function test_FeeTail_EndsAtExitRound() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        vm.prank(alice);
        uint256 lockId = bm.unbond(SELF);
        advanceRounds(cfg.unbondingPeriod);
        broker.credit(orch, 1 ether, round());
        vm.prank(alice);
        bm.withdrawStake(lockId);
        assertEq(feesOf(alice), 0);
    }

    // ------------------------------------------------------------------ slashing

    function test_Slash_ProRataWithFinderFee() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        uint256 supply = d.token.totalSupply();
        vm.expectEmit(address(bm));
        // the finder fee is 10% of the orchestrator's own penalty (SELF / 2), never of alice's
        emit IBondingManagerTypes.Slashed(orch, finder, SELF, SELF / 20);
        vm.prank(faultVerifier);
        (uint256 penalty,) = bm.slash(orch, 500_000, finder, 100_000);
        assertEq(penalty, SELF);
        assertApproxEqAbs(stakeOf(orch), SELF / 2, 10);
        assertApproxEqAbs(stakeOf(alice), SELF / 2, 10);
        assertEq(d.token.balanceOf(finder), SELF / 20);
        assertEq(d.token.totalSupply(), supply - SELF * 19 / 20);
        assertEq(bm.activeStake(orch, round() + 1), SELF);
    }

    function test_Slash_ToZeroLeavesActiveSet() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        broker.credit(orch, 1 ether, round());
        nextRound();
        assertTrue(bm.isActiveOrchestrator(orch, round()));
        vm.prank(faultVerifier);
        bm.slash(orch, PPM, finder, 0);
        assertEq(stakeOf(orch), 0);
        assertEq(stakeOf(alice), 0);
        assertFalse(bm.isActiveOrchestrator(orch, round() + 1));
        assertEq(bm.orchestratorInfo(orch).totalStake, 0);
        // Fees earned before the slash stay claimable; the pool can be rebuilt.
        vm.prank(alice);
        bm.claimEarnings();
        assertApproxEqAbs(feesOf(alice), 0.25 ether, 10);
        vm.prank(alice);
        bm.bond(2000 ether, orch);
        assertEq(stakeOf(alice), 2000 ether);
        assertEq(bm.orchestratorInfo(orch).delegatorCount, 1);
        assertTrue(bm.isActiveOrchestrator(orch, round() + 1));
    }

    function test_Slash_WithoutFinderBurnsAll() public {
        uint256 supply = d.token.totalSupply();
        vm.prank(faultVerifier);
        (uint256 penalty,) = bm.slash(orch, 100_000, address(0), 500_000);
        assertEq(penalty, SELF / 10);
        assertEq(d.token.totalSupply(), supply - penalty);
    }

    /// @dev Fee tails of several exit rounds, left alone for long, leave in one later touch and
    /// each lock is paid for exactly the credits made while it was in the pool.
    function test_FeeTails_SeveralExitRoundsProcessedLazily() public {
        vm.prank(alice);
        bm.bond(3 * SELF, orch);
        waitMaturity();
        uint256[3] memory ids;
        for (uint256 i; i < 3; ++i) {
            vm.prank(alice);
            ids[i] = bm.unbond(SELF);
            nextRound();
        }
        // Pool: orch SELF bonded; alice's three tails of SELF each, exiting at r0+7, r0+8, r0+9.
        broker.credit(orch, 4 ether, round()); // 2 ether to the pool, 4 equal weights
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 3 * SELF);
        advanceRounds(20);
        broker.credit(orch, 2 ether, round()); // 1 ether to the pool: only orch is left in it
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 0);
        for (uint256 i; i < 3; ++i) {
            vm.prank(alice);
            bm.withdrawStake(ids[i]);
        }
        assertApproxEqAbs(feesOf(alice), 1.5 ether, 10);
        assertApproxEqAbs(feesOf(orch), 2 ether + 0.5 ether + 1 ether + 1 ether, 10); // cuts + pool shares
    }

    function test_Slash_ZeroPenaltyIsNoop() public {
        vm.prank(faultVerifier);
        (uint256 none,) = bm.slash(orch, 0, finder, 0);
        assertEq(none, 0);
        assertEq(stakeOf(orch), SELF);
    }

    function test_RevertWhen_SlashNotVerifier() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IControlled.NotRegisteredCaller.selector, address(this), ContractIds.FAULT_VERIFIER
            )
        );
        bm.slash(orch, 1, finder, 0);
    }

    function test_RevertWhen_SlashInvalidPenalty() public {
        vm.startPrank(faultVerifier);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InvalidPenalty.selector, PPM + 1));
        bm.slash(orch, PPM + 1, finder, 0);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InvalidPenalty.selector, PPM + 1));
        bm.slash(orch, 1, finder, PPM + 1);
        vm.stopPrank();
    }

    function test_FreezeAndUnfreeze() public {
        vm.startPrank(faultVerifier);
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.Frozen(orch, 1);
        bm.freezeStake(orch);
        bm.freezeStake(orch);
        assertEq(bm.orchestratorInfo(orch).freezeCount, 2);
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.Unfrozen(orch, 1);
        bm.unfreezeStake(orch);
        bm.unfreezeStake(orch);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.NotFrozen.selector, orch));
        bm.unfreezeStake(orch);
        vm.stopPrank();
    }

    /// Delegators leave a frozen pool (a challenge is pending): what stays is slashed, what left
    /// is out of the pool's security (and its locks are not slashed).
    function test_DelegatorsLeaveFrozenPool() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        vm.prank(bob);
        bm.bond(SELF, orch);
        vm.prank(faultVerifier);
        bm.freezeStake(orch);
        vm.prank(alice);
        uint256 lockId = bm.unbond(SELF / 2);
        vm.prank(alice);
        bm.redelegate(orch2);
        vm.prank(bob);
        bm.bond(1 ether, orch); // adding is fine too
        vm.prank(faultVerifier);
        bm.slash(orch, 500_000, finder, 0);
        assertApproxEqAbs(stakeOf(bob), (SELF + 1 ether) / 2, 10);
        assertEq(stakeOf(alice), SELF / 2, "alice left before the verdict");
        (, uint256 locked,,) = bm.lockInfo(alice, lockId);
        assertEq(locked, SELF / 2);
    }

    function test_RevertWhen_FreezeNotVerifier() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IControlled.NotRegisteredCaller.selector, address(this), ContractIds.FAULT_VERIFIER
            )
        );
        bm.freezeStake(orch);
        vm.expectRevert(
            abi.encodeWithSelector(
                IControlled.NotRegisteredCaller.selector, address(this), ContractIds.FAULT_VERIFIER
            )
        );
        bm.unfreezeStake(orch);
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_FeeSplit(uint256 feeShare, uint256 amount, uint256 aliceStake) public {
        feeShare = bound(feeShare, 0, PPM);
        amount = bound(amount, 1, 1000 ether);
        aliceStake = bound(aliceStake, 1, 100_000 ether);
        vm.prank(orch);
        bm.announceCuts(0, feeShare);
        nextRound();
        vm.prank(alice);
        bm.bond(aliceStake, orch);
        waitMaturity();
        broker.credit(orch, amount, round());
        uint256 pool = amount * feeShare / PPM;
        uint256 aliceWant = pool * aliceStake / (SELF + aliceStake);
        assertApproxEqAbs(feesOf(alice), aliceWant, 2);
        assertLe(feesOf(alice) + feesOf(orch), amount);
        assertApproxEqAbs(feesOf(alice) + feesOf(orch), amount, 2);
    }

    /// @dev Whatever the stakes, fee share and timing: a delegator that was bonded when the tickets
    /// were created and leaves before they are redeemed (within the unbonding period) receives
    /// exactly its share as of the creation round.
    function testFuzz_FeeTheft_LeaverKeepsCreationRoundShare(
        uint256 aliceStake,
        uint256 bobStake,
        uint256 leaveAfter,
        uint256 redeemAfter,
        uint256 amount
    ) public {
        aliceStake = bound(aliceStake, 1 ether, 100_000 ether);
        bobStake = bound(bobStake, 1 ether, 100_000 ether);
        redeemAfter = bound(redeemAfter, 0, cfg.unbondingPeriod - 1);
        leaveAfter = bound(leaveAfter, 0, redeemAfter);
        amount = bound(amount, 1 gwei, 100 ether);
        vm.prank(alice);
        bm.bond(aliceStake, orch);
        vm.prank(bob);
        bm.bond(bobStake, orch);
        waitMaturity();
        uint256 creationRound = round();
        uint256 pool = amount * 500_000 / PPM; // as the contract rounds it
        uint256 want = pool * aliceStake / (SELF + aliceStake + bobStake);

        advanceRounds(leaveAfter);
        vm.prank(alice);
        uint256 lockId = bm.unbond(aliceStake);
        advanceRounds(redeemAfter - leaveAfter);
        broker.credit(orch, amount, creationRound);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(alice);
        bm.withdrawStake(lockId);
        assertApproxEqAbs(feesOf(alice), want, 2);
    }

    function testFuzz_RewardSplit(uint256 rewardCut, uint256 aliceStake) public {
        rewardCut = bound(rewardCut, 0, PPM);
        aliceStake = bound(aliceStake, 1, 100_000 ether);
        vm.prank(orch);
        bm.announceCuts(rewardCut, 0);
        nextRound();
        vm.prank(alice);
        bm.bond(aliceStake, orch);
        waitMaturity();
        vm.prank(orch);
        uint256 amount = bm.reward();
        uint256 cut = amount * rewardCut / PPM;
        uint256 aliceWant = aliceStake + (amount - cut) * aliceStake / (SELF + aliceStake);
        // The reward factor has 18 decimals: stake is exact to about one part in 1e17.
        assertApproxEqRel(stakeOf(alice), aliceWant, 1e2);
        assertLe(stakeOf(alice) + stakeOf(orch), bm.orchestratorInfo(orch).totalStake);
        assertApproxEqRel(stakeOf(alice) + stakeOf(orch), bm.orchestratorInfo(orch).totalStake, 1e2);
    }

    function testFuzz_BondUnbondWithdraw(uint256 amount, uint256 out) public {
        amount = bound(amount, 1, 100_000 ether);
        out = bound(out, 1, amount);
        vm.startPrank(alice);
        bm.bond(amount, orch);
        uint256 id = bm.unbond(out);
        vm.stopPrank();
        assertEq(stakeOf(alice), amount - out);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(alice);
        bm.withdrawStake(id);
        assertEq(d.token.balanceOf(alice), 100_000 ether - amount + out);
        assertEq(d.token.balanceOf(address(bm)), 2 * SELF + amount - out);
    }

    function testFuzz_SlashProRata(uint256 penaltyPpm, uint256 aliceStake) public {
        penaltyPpm = bound(penaltyPpm, 0, PPM);
        aliceStake = bound(aliceStake, 1 ether, 100_000 ether);
        vm.prank(alice);
        bm.bond(aliceStake, orch);
        uint256 total = SELF + aliceStake;
        vm.prank(faultVerifier);
        (uint256 penalty,) = bm.slash(orch, penaltyPpm, finder, 50_000);
        assertEq(bm.orchestratorInfo(orch).totalStake, total - penalty);
        uint256 aliceWant = aliceStake - aliceStake * penaltyPpm / PPM;
        assertApproxEqRel(stakeOf(alice) + 1, aliceWant + 1, 1e9);
        assertLe(stakeOf(alice) + stakeOf(orch), total - penalty);
        assertEq(d.token.balanceOf(address(bm)), 2 * SELF + aliceStake - penalty);
    }
}
