// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {TwoPoolsFixture} from "../utils/TwoPoolsFixture.sol";

/// @notice Young stake (review C-1/H-3, docs/staking.md): entering stake is bonded, slashable and
/// counted in the active set at once, but earns neither fees nor rewards until an unbonding period
/// after it entered; young stake that leaves keeps no fee tail.
contract BondingManagerYoungStakeTest is TwoPoolsFixture {
    address internal carol;

    function setUp() public {
        setUpTwoPools(false);
        carol = makeAddr("carol");
        fund(carol, 100_000 ether);
    }

    function test_YoungStake_BondedAndActiveAtOnce() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        assertEq(stakeOf(alice), SELF);
        IBondingManagerTypes.OrchestratorView memory v = bm.orchestratorInfo(orch);
        assertEq(v.totalStake, 2 * SELF);
        assertEq(v.youngStake, SELF);
        assertEq(v.delegatorCount, 1);
        assertEq(bm.activeStake(orch, round() + 1), 2 * SELF, "counts in the active set from the next round");
        waitMaturity();
        bm.checkpoint(orch);
        assertEq(bm.orchestratorInfo(orch).youngStake, 0);
    }

    /// @dev Fees start exactly at maturity: a credit in the last young round pays alice nothing,
    /// one in the maturity round pays her share (tickets created after she entered).
    function test_YoungStake_FeesStartExactlyAtMaturity() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        uint256 entered = round();
        advanceRounds(cfg.unbondingPeriod - 1);
        broker.credit(orch, 1 ether, entered + 1);
        assertEq(feesOf(alice), 0, "young: no fees");
        assertApproxEqAbs(feesOf(orch), 1 ether, 10);
        nextRound();
        assertEq(round(), entered + cfg.unbondingPeriod);
        broker.credit(orch, 1 ether, entered + 1);
        assertApproxEqAbs(feesOf(alice), 0.25 ether, 10); // mature: half the pool share
        assertApproxEqAbs(feesOf(orch), 1.75 ether, 10);
    }

    /// @dev Rewards start exactly at maturity too, and nothing is minted for young stake.
    function test_YoungStake_RewardsStartExactlyAtMaturity() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        advanceRounds(cfg.unbondingPeriod - 1);
        vm.prank(orch);
        uint256 amount = bm.reward();
        (uint256 mintable,) = minter.roundMint();
        assertEq(amount, mintable * SELF / bm.totalActiveStake(round()), "minted for orch's mature SELF only");
        assertEq(stakeOf(alice), SELF, "young: no reward");
        assertEq(stakeOf(orch), SELF + amount);
        nextRound();
        uint256 orchBefore = stakeOf(orch);
        vm.prank(orch);
        uint256 amount2 = bm.reward();
        uint256 cut = amount2 / 10;
        uint256 aliceShare = (amount2 - cut) * SELF / (SELF + orchBefore);
        // the reward factor has 18 decimals: stakes are exact to about one part in 1e17
        assertApproxEqRel(stakeOf(alice), SELF + aliceShare, 1e2);
        assertApproxEqRel(stakeOf(orch), orchBefore + cut + (amount2 - cut - aliceShare), 1e2);
        assertLe(stakeOf(alice) + stakeOf(orch), bm.orchestratorInfo(orch).totalStake);
    }

    /// @dev Young stake is slashed pro rata with mature stake, and keeps its slashed value when it
    /// matures.
    function test_YoungStake_SlashedProRata() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        vm.prank(faultVerifier);
        (uint256 slashed,) = bm.slash(orch, 250_000, address(0), 0);
        assertEq(slashed, SELF / 2);
        assertEq(stakeOf(alice), SELF * 3 / 4);
        assertApproxEqAbs(stakeOf(orch), SELF * 3 / 4, 10);
        assertEq(bm.orchestratorInfo(orch).youngStake, SELF * 3 / 4);
        waitMaturity();
        broker.credit(orch, 1 ether, round());
        assertApproxEqAbs(stakeOf(alice), SELF * 3 / 4, 10);
        assertApproxEqAbs(feesOf(alice), 0.25 ether, 10); // equal stakes, equal shares
        uint256 stake = stakeOf(alice);
        vm.prank(alice);
        bm.unbond(stake);
        assertEq(bm.orchestratorInfo(orch).youngStake, 0);
    }

    /// @dev A full slash wipes young stake too; fees earned before stay, and a matured young part
    /// that was never claimed still collects the fees of the time it was mature.
    function test_YoungStake_WipeKeepsFeesOfMaturedPart() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        vm.prank(bob);
        bm.bond(SELF, orch);
        waitMaturity();
        vm.prank(carol);
        bm.bond(SELF, orch); // still young at the wipe
        broker.credit(orch, 1.5 ether, round()); // 0.75 to orch, alice, bob: 0.25 each
        vm.prank(faultVerifier);
        bm.slash(orch, PPM, address(0), 0);
        assertEq(stakeOf(alice), 0);
        assertEq(stakeOf(carol), 0);
        assertApproxEqAbs(feesOf(alice), 0.25 ether, 10);
        assertApproxEqAbs(feesOf(bob), 0.25 ether, 10);
        assertEq(feesOf(carol), 0);
        assertEq(bm.orchestratorInfo(orch).youngStake, 0);
        vm.prank(carol);
        bm.bond(1000 ether, orch);
        assertEq(stakeOf(carol), 1000 ether, "a fresh start in the new epoch");
    }

    /// @dev Young stake that leaves has no fee tail: its lock has no weight and shares nothing.
    function test_Unbond_YoungStakeHasNoFeeTail() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        uint256 creationRound = round();
        vm.prank(alice);
        uint256 id = bm.unbond(SELF);
        assertEq(bm.lockWeight(alice, id), 0);
        (, uint256 amount, uint256 r,) = bm.lockInfo(alice, id);
        assertEq(amount, SELF);
        assertEq(r, creationRound + cfg.unbondingPeriod);
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 0);
        assertEq(bm.orchestratorInfo(orch).delegatorCount, 0);
        broker.credit(orch, 1 ether, creationRound);
        advanceRounds(cfg.unbondingPeriod);
        uint256 bal = d.token.balanceOf(alice);
        vm.prank(alice);
        bm.withdrawStake(id);
        assertEq(d.token.balanceOf(alice) - bal, SELF);
        assertEq(feesOf(alice), 0);
        assertApproxEqAbs(feesOf(orch), 1 ether, 10);
    }

    /// @dev Unbonding takes young stake first; a lock that is partly young has a tail for its mature
    /// part only, and returns all its tokens.
    function test_Unbond_MixedLockTailsOnlyItsMaturePart() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        vm.prank(alice);
        bm.bond(1000 ether, orch); // young
        uint256 creationRound = round();
        vm.prank(alice);
        uint256 id = bm.unbond(3000 ether); // 1000 young + 2000 mature
        assertEq(bm.lockWeight(alice, id), 2000 ether);
        (, uint256 amount,,) = bm.lockInfo(alice, id);
        assertEq(amount, 3000 ether);
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 2000 ether);
        assertEq(bm.orchestratorInfo(orch).youngStake, 0);
        assertEq(stakeOf(alice), 8000 ether);
        broker.credit(orch, 2 ether, creationRound); // pool 1 ether over 10k + 8k + 2k
        advanceRounds(cfg.unbondingPeriod);
        uint256 bal = d.token.balanceOf(alice);
        vm.prank(alice);
        bm.withdrawStake(id);
        assertEq(d.token.balanceOf(alice) - bal, 3000 ether);
        vm.prank(alice);
        bm.claimEarnings();
        assertApproxEqAbs(feesOf(alice), 0.5 ether, 10); // 8k bonded + 2k tail of 20k
    }

    /// @dev A matured entry is applied lazily: left alone for many rounds, several entries mature in
    /// one later touch, and each delegator earns from then on by its own stake.
    function test_YoungStake_MaturedEntriesProcessedLazily() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        nextRound();
        vm.prank(bob);
        bm.bond(2 * SELF, orch);
        nextRound();
        vm.prank(carol);
        bm.bond(SELF, orch);
        advanceRounds(4 * cfg.unbondingPeriod); // nobody touches the pool
        // not applied in storage yet, but the view tells the truth as of now
        assertEq(bm.orchestratorInfo(orch).youngStake, 0, "the view is current");
        broker.credit(orch, 2.5 ether, round()); // the touch that matures all three entries
        assertEq(bm.orchestratorInfo(orch).youngStake, 0);
        // pool share 1.25 ether over orch 1 + alice 1 + bob 2 + carol 1
        assertApproxEqAbs(feesOf(alice), 0.25 ether, 10);
        assertApproxEqAbs(feesOf(bob), 0.5 ether, 10);
        assertApproxEqAbs(feesOf(carol), 0.25 ether, 10);
        assertApproxEqAbs(feesOf(orch), 1.5 ether, 10);
    }

    /// @dev Review L-3: a third party's dust top-up (bondFor) never costs the owner earnings: the
    /// owner's mature stake stays mature (the dust alone is young), and it can't delay young stake
    /// the owner still has maturing.
    function test_BondFor_DustNeverCostsTheOwnerEarnings() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        uint256 creationRound = round();
        uint256 snap = vm.snapshotState();
        broker.credit(orch, 1 ether, creationRound);
        uint256 honest = feesOf(alice);
        vm.revertToState(snap);

        vm.prank(bob);
        bm.bondFor(1, alice); // dust
        broker.credit(orch, 1 ether, creationRound);
        assertEq(feesOf(alice), honest, "same fees as without the dust");
        assertApproxEqAbs(honest, 0.25 ether, 10);
        assertEq(stakeOf(alice), SELF + 1);
        assertEq(bm.orchestratorInfo(orch).youngStake, 1);

        // while that dust is young, a later top-up by a third party would delay it: refused
        nextRound();
        uint256 due = creationRound + cfg.unbondingPeriod;
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.YoungStakePending.selector, alice, due));
        bm.bondFor(1, alice);
        // the owner itself may (its young part then matures with the new stake)
        vm.prank(alice);
        bm.bond(1 ether, orch);
        assertEq(bm.orchestratorInfo(orch).youngStake, 1 ether + 1);
        // and once nothing young is pending, anyone may top up again
        waitMaturity();
        vm.prank(bob);
        bm.bondFor(1, alice);
        assertEq(stakeOf(alice), SELF + 1 ether + 2);
    }

    /// @dev Rebonding a lock re-enters young: the fee tail ends at once and the stake earns again
    /// after an unbonding period; no token earns twice in between.
    function test_Rebond_IsYoungAndEndsTheTail() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        vm.prank(alice);
        uint256 id = bm.unbond(SELF);
        assertEq(bm.orchestratorInfo(orch).leavingWeight, SELF);
        vm.prank(alice);
        bm.rebond(id);
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 0);
        assertEq(bm.orchestratorInfo(orch).youngStake, SELF);
        broker.credit(orch, 1 ether, round());
        assertEq(feesOf(alice), 0);
        waitMaturity();
        broker.credit(orch, 1 ether, round());
        assertApproxEqAbs(feesOf(alice), 0.25 ether, 10);
    }

    /// @dev A fee tail keeps the weight its stake had when it left: a slash of the pool the stake
    /// moved to (where it is young) does not shrink its share of the tickets created before it left.
    function test_Tail_UnaffectedBySlashInTheNewPool() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        uint256 creationRound = round();
        vm.prank(alice);
        uint256 tail = bm.redelegate(orch2);
        vm.prank(faultVerifier);
        bm.slash(orch2, 500_000, address(0), 0);
        assertEq(stakeOf(alice), SELF / 2, "young stake slashed in the new pool");
        assertEq(bm.lockWeight(alice, tail), SELF, "the tail keeps its weight");
        broker.credit(orch, 1 ether, creationRound);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(alice);
        bm.withdrawStake(tail);
        assertApproxEqAbs(feesOf(alice), 0.25 ether, 10);
    }

    /// `orchestratorInfo(o).youngStake` is the truth as of now: stake whose maturity round has come
    /// is mature even if nobody touched the pool since (it used to stay young in the view until then).
    function test_YoungStakeViewIsCurrentWithoutATouch() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        nextRound();
        vm.prank(bob);
        bm.bond(2 * SELF, orch);
        assertEq(bm.orchestratorInfo(orch).youngStake, 3 * SELF);
        advanceRounds(cfg.unbondingPeriod - 1); // alice's entry matures, bob's not yet
        assertEq(bm.orchestratorInfo(orch).youngStake, 2 * SELF, "alice matured, no touch needed");
        nextRound();
        assertEq(bm.orchestratorInfo(orch).youngStake, 0);
        bm.checkpoint(orch);
        assertEq(bm.orchestratorInfo(orch).youngStake, 0, "the touch agrees");
    }
}
