// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TwoPoolsFixture} from "../utils/TwoPoolsFixture.sol";

/// @notice Review of the maturity period (governance changes of `M` and `V` with stake queued).
/// Each `test_PoC_*` states the value-safety property and fails while the hole is open.
///
/// The upgrade path: `M` unset (follows `U = 7`), then governance sets `M = 2`. Tails queued under
/// the longer period make the exit of a later leaver wait for them (`StakeLedger.scheduleExit`
/// clamps it to the last queued exit), but the same token's young stake in the pool it redelegated
/// to matures after the new, shorter `M`: for the rounds in between it shares the fees of both
/// pools (review C-1, "a token shares the fees of at most one pool at a time").
contract MaturityReviewShortenedMaturityTest is TwoPoolsFixture {
    function setUp() public {
        setUpTwoPools(true); // M unset: follows U = 7, as on an upgraded deployment
    }

    /// @dev The fee weights of both pools as a touch now would see them (mature + leaving).
    function _feeWeight(address o) internal view returns (uint256) {
        return bm.orchestratorInfo(o).totalStake - bm.orchestratorInfo(o).youngStake
            + bm.orchestratorInfo(o).leavingWeight;
    }

    /// @dev Fuzz: from any unbonding period `P` (2..30, which the unset maturity period follows),
    /// governance shortens the maturity period to any `M` (the mock validity allows 1), a tail is
    /// queued just before, and alice ping-pongs between the two pools `hops` times, `gap` rounds
    /// apart, starting `k` rounds after the change. In every round until everything has exited
    /// and matured, the fee weights of both pools (as a touch would see them) never exceed the LPT
    /// the BondingManager holds: no token counts twice.
    function testFuzz_ShorteningTheMaturityNeverCountsATokenTwice(
        uint256 p,
        uint256 m,
        uint256 k,
        uint256 gap,
        uint256 hops
    ) public {
        p = bound(p, 2, 30);
        m = bound(m, 1, p);
        k = bound(k, 0, p);
        gap = bound(gap, 0, 3);
        hops = bound(hops, 1, 4);
        broker.setTicketValidityPeriod(1);
        bm.setUnbondingPeriod(p); // the maturity period follows (a change of it, run to its end)
        advanceRounds(30);
        vm.prank(alice);
        bm.bond(SELF, orch);
        vm.prank(bob);
        bm.bond(SELF, orch);
        advanceRounds(p);
        vm.prank(bob);
        bm.unbond(1 ether); // a tail queued under the longer period
        if (m != p) bm.setMaturityPeriod(m);
        advanceRounds(k);
        address[2] memory to = [orch2, orch];
        for (uint256 r; r < 2 * p + hops * gap + 2; ++r) {
            if (r % (gap + 1) == 0 && r / (gap + 1) < hops) {
                vm.prank(alice);
                bm.redelegate(to[(r / (gap + 1)) % 2]);
            }
            bm.checkpoint(orch);
            bm.checkpoint(orch2);
            assertLe(_feeWeight(orch) + _feeWeight(orch2), d.token.balanceOf(address(bm)), vm.toString(r));
            nextRound();
        }
    }

    function test_PoC_ShortenedMaturityLetsARedelegatedTokenEarnInTwoPools() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        vm.prank(bob);
        bm.bond(SELF, orch);
        advanceRounds(7);
        uint256 l = round();
        vm.prank(bob);
        bm.unbond(1 ether); // any tail queued under the longer period (exit l + 7)
        bm.setMaturityPeriod(2); // the documented step after an upgrade (V = 2)
        vm.prank(alice);
        uint256 lockId = bm.redelegate(orch2);
        (,, uint256 closeRound,) = bm.lockInfo(alice, lockId);
        advanceRounds(2); // l + 2: alice's stake is mature in orch2
        bm.checkpoint(orch);
        bm.checkpoint(orch2);
        // No token's fee weight counts twice: the weights of all pools never exceed the LPT held.
        // Here alice's SELF is in orch's leaving weight until closeRound (l + 7) and mature in orch2.
        assertLe(
            _feeWeight(orch) + _feeWeight(orch2),
            d.token.balanceOf(address(bm)),
            string.concat(
                "fee weight counted twice; alice's tail closes at l + ", vm.toString(closeRound - l)
            )
        );
        // The same in fees: tickets created in l + 2 by both orchestrators.
        broker.credit(orch, 1 ether, round());
        broker.credit(orch2, 1 ether, round());
        advanceRounds(5);
        vm.startPrank(alice);
        bm.claimEarnings();
        bm.withdrawStake(lockId);
        vm.stopPrank();
        // A token shares the fees of one pool at a time: her tail's share of orch's (0.5 / 3 ETH) or,
        // with M = 2 and no clamp, her mature share of orch2's (0.25 ETH), never both.
        assertLe(feesOf(alice), 0.25 ether, "alice earned in two pools at once");
    }

    /// @dev The same, repeated: ping-pong between two pools that each have a tail queued under the
    /// longer period leaves a tail per hop that lasts until the old exit, while each hop matures after
    /// the new M. Here 3 hops in 6 rounds: alice's SELF counts 4 times (review C-1 came back).
    function test_PoC_ShortenedMaturityPingPongMultipliesATokensFeeWeight() public {
        address carol = makeAddr("carol");
        fund(carol, SELF);
        vm.prank(alice);
        bm.bond(SELF, orch);
        vm.prank(bob);
        bm.bond(SELF, orch);
        vm.prank(carol);
        bm.bond(SELF, orch2);
        advanceRounds(7);
        vm.prank(bob);
        bm.unbond(1 ether); // a tail in each pool, queued under U = M = 7
        vm.prank(carol);
        bm.unbond(1 ether);
        bm.setMaturityPeriod(2);
        uint256[3] memory locks;
        address[3] memory to = [orch2, orch, orch2];
        for (uint256 i; i < 3; ++i) {
            vm.prank(alice);
            locks[i] = bm.redelegate(to[i]);
            advanceRounds(2); // her stake matured in the pool she moved to
            bm.checkpoint(to[i]);
        }
        bm.checkpoint(orch);
        // her mature stake (the only young stake of the pool is hers) and her locks' tails
        (address pool,,) = bm.delegatorInfo(alice);
        uint256 weight = stakeOf(alice) - bm.orchestratorInfo(pool).youngStake;
        for (uint256 i; i < 3; ++i) {
            weight += bm.lockWeight(alice, locks[i]);
        }
        assertLe(weight, SELF, "alice's SELF LPT has a fee weight of more than SELF");
    }

    /// @dev The same through a young unbonding lock: the stake moved to orch2 is young there, so it
    /// unbonds without a tail and its lock is rebonded at once into orch, where it matures after the new
    /// M while its own tail (clamped to the old exit) is still in orch's fee pool.
    function test_PoC_ShortenedMaturityRebondOfAYoungLockCountsATokenTwice() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        vm.prank(bob);
        bm.bond(SELF, orch);
        advanceRounds(7);
        vm.prank(bob);
        bm.unbond(1 ether); // a tail queued under U = M = 7
        bm.setMaturityPeriod(2);
        vm.startPrank(alice);
        uint256 tail = bm.redelegate(orch2); // fee-only tail in orch until the clamped exit
        uint256 young = bm.unbond(SELF); // young in orch2: a lock without a tail
        bm.rebondFromUnbonded(orch, young); // young in orch until now + 2
        vm.stopPrank();
        // every round until both her tail has exited and her stake matured (the shortening declines)
        for (uint256 i; i < 8; ++i) {
            nextRound();
            bm.checkpoint(orch);
            uint256 mature = stakeOf(alice) - bm.orchestratorInfo(orch).youngStake; // hers alone is young
            // her tail is in orch's fee pool while the leaving weight holds it (bob's is 1 LPT)
            bool tailIn = bm.orchestratorInfo(orch).leavingWeight >= SELF;
            uint256 tailWeight = tailIn ? bm.lockWeight(alice, tail) : 0;
            assertLe(mature + tailWeight, SELF, "alice's SELF LPT weighs twice in orch");
        }
    }
}

/// @notice Raising the ticket validity `V` (after raising `M`, the only order the setters accept)
/// would lengthen the validity of tickets already created, while the queues keep the rounds computed
/// under the shorter `M`. The BondingManager's bound (`maturityPeriod()`, which the TicketBroker
/// checks `V` against) therefore stays at the shorter period for a full new period after a
/// lengthening: by the time `V` may be raised, every ticket it could make valid again was created
/// under the longer `M`. (The real broker's refusal: `MaturityValidityCouplingTest`.)
contract MaturityReviewValidityRaiseTest is TwoPoolsFixture {
    uint256 internal constant M = 2;

    function _stakingConfig() internal pure override returns (StakingConfig memory c) {
        c = _defaultStakingConfig();
        c.maturityPeriod = M; // the default deployment: M = V = 2
    }

    function setUp() public {
        setUpTwoPools(true);
    }

    /// @dev Before, `V` could follow `M` to 4 at once: a ticket of round `c` (before the raise) was
    /// then valid until `c + 3`, after stake that entered in `c + 1` matured (M = 2) and after the
    /// tail of a delegator who left in `c` exited. Now the bound stays 2 until `t + 4`, and a ticket
    /// valid then under `V = 4` was created at `t + 1` or later, under `M = 4`.
    function test_ValidityFollowsALengtheningOnlyAFullPeriodLater() public {
        uint256 c = round(); // a ticket created before the lengthening
        nextRound();
        uint256 t = round();
        bm.setMaturityPeriod(4);
        for (uint256 r = t; r < t + 4; ++r) {
            assertEq(bm.maturityPeriod(), M, "the bound stays the shorter period");
            nextRound();
        }
        assertEq(round(), t + 4);
        assertEq(bm.maturityPeriod(), 4, "a full new period later");
        // the oldest ticket V = 4 makes valid in this round was created after the lengthening
        assertGt(round() - 4 + 1, c);
        assertGt(round() - 4 + 1, t);
    }

    /// @dev Stake that enters during the lengthening's first rounds matures after the new period at
    /// once (it is never shorter than the bound the broker uses).
    function test_StakeThatEntersAfterALengtheningMaturesAfterTheNewPeriod() public {
        bm.setMaturityPeriod(4);
        vm.prank(bob);
        bm.bond(SELF, orch);
        advanceRounds(3);
        assertEq(bm.orchestratorInfo(orch).youngStake, SELF, "young for 4 rounds");
        nextRound();
        assertEq(bm.orchestratorInfo(orch).youngStake, 0);
    }
}
