// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {TwoPoolsFixture} from "../utils/TwoPoolsFixture.sol";
import {MockVerifierApprovals} from "../utils/mocks/MockVerifierApprovals.sol";

/// @notice Regression tests for the staking security review (/docs/staking.md, "Security review"):
/// each reproduces a proof of concept of the review and asserts the correct outcome.
contract StakingAuditRegressionTest is TwoPoolsFixture {
    function setUp() public virtual {
        setUpTwoPools(true);
    }

    // ---------------------------------------------------------------- C-1
    /// @dev Fees owed to `who` in pool `o` whatever their form: booked, pending, or still in locks
    /// (closed after the unbonding period). Used once per scenario, at its end.
    function _closeLocksAndClaim(address who, uint256[] memory ids) internal {
        advanceRounds(bm.unbondingPeriod());
        for (uint256 i; i < ids.length; ++i) {
            vm.prank(who);
            bm.withdrawStake(ids[i]);
        }
        vm.prank(who);
        bm.claimEarnings();
    }

    /// @dev Review C-1: a redelegation used to leave a fee-only lock in the old pool while the same
    /// tokens were bonded in the new one; ping-ponging A -> B -> A in one round stacked fee-only
    /// locks in A, so alice's SELF weighed 2x (3x, ...) in A's fees and she took most of bob's share.
    /// Now the stake that comes back is young (no fee weight) and young stake leaves no tail: A's
    /// weight is exactly orch + bob + alice's one tail, each gets a third of the pool share.
    function test_PoC_C1_RedelegatePingPong() public {
        vm.prank(bob);
        bm.bond(SELF, orch);
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        uint256 creationRound = round(); // tickets of orch: orch, bob and alice 1/3 each
        vm.startPrank(alice);
        uint256 tail = bm.redelegate(orch2); // mature: one fee-only lock in orch's pool
        uint256 back = bm.redelegate(orch); // young in orch2: leaves no lock
        vm.stopPrank();
        assertEq(back, type(uint256).max, "young stake leaves no fee tail");
        assertEq(bm.orchestratorInfo(orch).leavingWeight, SELF);
        assertEq(bm.orchestratorInfo(orch2).leavingWeight, 0);
        assertEq(bm.orchestratorInfo(orch).youngStake, SELF, "alice is back, young");

        broker.credit(orch, 1 ether, creationRound); // 0.5 ether to the pool, 3 equal weights
        uint256[] memory ids = new uint256[](1);
        ids[0] = tail;
        _closeLocksAndClaim(alice, ids);
        vm.prank(bob);
        bm.claimEarnings();
        uint256 third = uint256(0.5 ether) / 3;
        assertApproxEqAbs(feesOf(bob), third, 10); // bob keeps his full share
        assertApproxEqAbs(feesOf(alice), third, 10); // alice: her one share, not three
        assertApproxEqAbs(feesOf(orch), 0.5 ether + third, 10);
        assertLe(feesOf(alice) + feesOf(bob) + feesOf(orch), 1 ether);
    }

    /// @dev The same, `k` round trips in the round: alice's weight in orch's pool stays one SELF.
    function testFuzz_PoC_C1_PingPongRepeatedKTimes(uint256 k) public {
        k = bound(k, 1, 12);
        vm.prank(bob);
        bm.bond(SELF, orch);
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        uint256 creationRound = round();
        uint256[] memory ids = new uint256[](1);
        vm.startPrank(alice);
        for (uint256 i; i < k; ++i) {
            uint256 out = bm.redelegate(orch2);
            uint256 back = bm.redelegate(orch);
            assertEq(back, type(uint256).max);
            if (i == 0) ids[0] = out;
            else assertEq(out, type(uint256).max, "only the first hop was mature");
        }
        vm.stopPrank();
        assertEq(bm.orchestratorInfo(orch).leavingWeight, SELF, "one tail, whatever k");
        assertEq(bm.orchestratorInfo(orch2).leavingWeight, 0);
        broker.credit(orch, 1 ether, creationRound);
        broker.credit(orch2, 1 ether, creationRound); // orch2's pool: only orch2 shares it
        _closeLocksAndClaim(alice, ids);
        vm.prank(bob);
        bm.claimEarnings();
        uint256 third = uint256(0.5 ether) / 3;
        assertApproxEqAbs(feesOf(bob), third, 10);
        assertApproxEqAbs(feesOf(alice), third, 10);
        assertApproxEqAbs(feesOf(orch2), 1 ether, 10); // alice's young stake took none of orch2's fees
    }

    /// @dev Review C-1b: the orchestrator moved a sybil stake in around its own redemption (after
    /// the tickets' creation round) to dilute its delegators' share of their fees. The sybil is
    /// young until after every ticket of that round expired: bob gets his full half of the pool
    /// share, the sybil nothing.
    function test_PoC_C1b_OrchestratorJitSybilDilutesDelegatorsFees() public {
        vm.prank(bob);
        bm.bond(SELF, orch);
        waitMaturity();
        uint256 creationRound = round(); // tickets: orch and bob share the pool half and half
        address sybil = alice; // controlled by orch
        vm.prank(sybil);
        bm.bond(90_000 ether, orch); // in the creation round itself, after the tickets
        // the last round such tickets could be redeemed in under the longest validity allowed
        advanceRounds(bm.maturityPeriod() - 1);
        broker.credit(orch, 1 ether, creationRound);
        vm.prank(sybil);
        uint256 lockId = bm.unbond(90_000 ether);
        assertEq(bm.lockWeight(sybil, lockId), 0, "young: no fee tail either");
        vm.prank(bob);
        bm.claimEarnings();
        assertApproxEqAbs(feesOf(bob), 0.25 ether, 10); // bob's full share
        assertEq(feesOf(sybil), 0, "the sybil gets nothing");
        assertApproxEqAbs(feesOf(orch), 0.75 ether, 10); // cut + own half, nothing more
        advanceRounds(bm.unbondingPeriod());
        uint256 bal = d.token.balanceOf(sybil);
        vm.prank(sybil);
        bm.withdrawStake(lockId);
        assertEq(d.token.balanceOf(sybil) - bal, 90_000 ether);
        assertEq(feesOf(sybil), 0);
    }

    // ---------------------------------------------------------------- H-3
    /// @dev Review H-3: alice earned round r's reward in orch2's pool, then redelegated to orch
    /// before orch called `reward()` for r and shared that reward too. Now her stake is young in
    /// orch: orch's reward goes to orch and bob only (and nothing is minted for her stake there).
    function test_PoC_H3_RewardSnipingByRedelegation() public {
        vm.prank(bob);
        bm.bond(SELF, orch);
        vm.prank(alice);
        bm.bond(SELF, orch2);
        waitMaturity();
        vm.prank(orch2);
        uint256 reward2 = bm.reward(); // alice earns round r's reward in orch2's pool
        (, uint256 minted2) = minter.roundMint();
        assertEq(minted2, reward2);
        uint256 aliceStake = stakeOf(alice);
        assertApproxEqAbs(aliceStake, SELF + (reward2 - reward2 / 10) / 2, 10);
        vm.prank(alice);
        bm.redelegate(orch);
        uint256 bobBefore = stakeOf(bob);
        vm.prank(orch);
        uint256 amount = bm.reward();
        // minted for the stake that was in orch's pool all round (orch + bob), as without alice
        (uint256 mintable,) = minter.roundMint();
        uint256 total = bm.totalActiveStake(round());
        assertEq(amount, mintable * (2 * SELF) / total);
        uint256 cut = amount * 100_000 / 1_000_000;
        assertEq(stakeOf(alice), aliceStake, "alice shares none of orch's reward of the round");
        assertApproxEqAbs(stakeOf(bob), bobBefore + (amount - cut) / 2, 10); // bob's full half
        assertApproxEqAbs(stakeOf(orch), SELF + cut + (amount - cut) / 2, 10);
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
        // the last round its tickets can be redeemed in, under the longest validity allowed
        uint256 last = creationRound + bm.maturityPeriod() - 1;
        vm.prank(alice);
        uint256 lockId = bm.unbond(SELF);
        vm.prank(orch);
        bm.announceCuts(100_000, 0);
        if (round() < last) nextRound();
        vm.prank(orch);
        bm.announceCuts(100_000, 0);
        if (round() < last) nextRound();
        broker.credit(orch, 1 ether, creationRound);
        advanceRounds(bm.unbondingPeriod());
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
    /// Delegators' locks are never slashed and may now go anywhere (a freeze holds no delegator);
    /// the orchestrator's own lock only goes back into its own pool, frozen or not.
    function test_L1_OnlyTheOwnLockStaysInAFrozenPool() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        vm.prank(alice);
        uint256 lockId = bm.unbond(SELF);
        vm.prank(orch);
        uint256 own = bm.unbond(SELF);
        vm.prank(faultVerifier);
        bm.freezeStake(orch);
        vm.prank(orch);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.SelfBondLocked.selector, orch));
        bm.rebondFromUnbonded(orch2, own);
        vm.prank(alice);
        bm.rebondFromUnbonded(orch2, lockId);
        assertEq(stakeOf(alice), SELF);
        vm.prank(orch);
        bm.rebondFromUnbonded(orch, own); // back into the frozen pool itself: still slashable there
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
        advanceRounds(bm.unbondingPeriod());
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
    function test_L4_UnbondingPeriodKeepsAboveValidityAndChallengeWindow() public virtual {
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

/// @notice The same regressions (C-1, C-1b, H-3 and the rest) with new stake maturing, and fee tails
/// ending, after the ticket validity period (2 rounds, the deployment default) instead of the
/// unbonding period (7): the shorter maturity keeps every one of them closed.
contract StakingAuditRegressionMaturity2Test is StakingAuditRegressionTest {
    function _stakingConfig() internal pure override returns (StakingConfig memory c) {
        c = _defaultStakingConfig();
        c.maturityPeriod = 2;
    }

    /// @dev Under a set maturity period the unbonding period's floor is the maturity period
    /// (`BondingManagerMaturity.t.sol` tests it); the validity floor is the maturity's.
    function test_L4_UnbondingPeriodKeepsAboveValidityAndChallengeWindow() public override {
        uint256 maturity = bm.maturityPeriod();
        MockVerifierApprovals(faultVerifier).setChallengeWindow(5);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.UnbondingPeriodTooShort.selector, 5, 6));
        bm.setUnbondingPeriod(5);
        bm.setUnbondingPeriod(6);
        assertEq(bm.unbondingPeriod(), 6);
        assertEq(bm.maturityPeriod(), maturity, "the maturity period stays");
    }
}

/// @notice The same with the shortest maturity there is: tickets valid for one round, new stake
/// earning from the next round, as in Livepeer.
contract StakingAuditRegressionMaturity1Test is StakingAuditRegressionMaturity2Test {
    function setUp() public override {
        super.setUp();
        broker.setTicketValidityPeriod(1);
        bm.setMaturityPeriod(1);
        nextRound(); // the shortening has declined to 1
    }
}

/// @notice And with the longest unbonding period and a maturity of 3 rounds in between.
contract StakingAuditRegressionMaturity3Of30Test is StakingAuditRegressionMaturity2Test {
    function setUp() public override {
        super.setUp();
        bm.setUnbondingPeriod(30);
        bm.setMaturityPeriod(3);
        advanceRounds(3); // the ticket validity may follow the lengthening from now on
    }
}
