// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {StakingFixture} from "../utils/StakingFixture.sol";

/// @notice Fees held by the TicketBroker are split as of their tickets' creation round, whatever
/// happened to the pool since: a governance change of the unbonding period (fee tails and young
/// stake scheduled under the old period) and a slash that wiped the pool.
/// `MockFeeVault.hold` does what a redemption does (the broker keeps the fees, the next touch of the
/// pool credits them).
contract BondingManagerFeeAccountingTest is StakingFixture {
    uint256 internal constant SELF = 10_000 ether;
    uint256 internal constant FEES = 1 ether;

    address internal orch;
    address internal alice;
    address internal bob;
    address internal carol;

    struct Outcome {
        uint256 orch;
        uint256 alice;
        uint256 bob;
        uint256 carol;
    }

    function setUp() public {
        deployStaking();
        orch = makeAddr("orch");
        alice = makeAddr("alice");
        bob = makeAddr("bob");
        carol = makeAddr("carol");
        fundAndBond(orch, SELF, orch);
        vm.prank(orch);
        bm.announceCuts(100_000, 500_000); // shares 50% of fees with the pool
        fundAndBond(alice, SELF, orch);
        fundAndBond(carol, SELF, orch);
        fund(bob, SELF);
        // Past an unbonding period: the cuts apply and every stake is mature.
        advanceRounds(cfg.unbondingPeriod + 1);
    }

    // ------------------------------------------------------------------ unbonding period changes

    /// @dev Review (Low): raising the unbonding period from 7 to 14 with fees held across the change.
    /// Alice leaves in the tickets' creation round, bob joins in it; nobody touches the pool until
    /// alice withdraws. Alice keeps her share, bob (young when the tickets were created) gets none —
    /// exactly as without the change. Before the fix the touch brought the queues to `c + 14 - 1`,
    /// ending alice's tail and maturing bob: bob took alice's whole share.
    function test_PoC_RaisingTheUnbondingPeriodMovesNoHeldFees() public {
        Outcome memory same = _periodScenario(false, 14, 0, 0, false, 15);
        Outcome memory changed = _periodScenario(true, 14, 0, 0, false, 15);
        vm.assertApproxEqAbs(same.alice, FEES / 6, 10, "alice: a third of the pool's half");
        assertEq(same.bob, 0, "bob entered in the creation round");
        _assertSame(changed, same);
    }

    /// @dev The reverse: lowering the period (7 to 3) while alice's tail (she left the round before the
    /// tickets were created) and carol's (she left in their round, under the new period) are queued.
    /// A late touch must drop alice's tail and keep carol's, as without the change. Before the fix the
    /// queues were brought only to `c + 3 - 1`, so alice shared fees of tickets created after she left.
    function test_PoC_LoweringTheUnbondingPeriodMovesNoHeldFees() public {
        Outcome memory same = _periodScenario(false, 3, 1, 0, true, 10);
        Outcome memory changed = _periodScenario(true, 3, 1, 0, true, 10);
        assertEq(same.alice, 0, "alice left before the tickets were created and her tail ended");
        vm.assertGt(same.carol, 0, "carol left after");
        _assertSame(changed, same);
    }

    /// @dev Any change of the period, up or down, with fees held across it: every participant gets
    /// what it gets without the change, whatever the rounds alice left and bob entered (up to an
    /// unbonding period before the tickets' creation round), whether carol leaves under the new
    /// period before the fees are noted, and however late the pool is touched.
    function testFuzz_UnbondingPeriodChangeNeverMovesHeldFees(
        uint256 newPeriod,
        uint256 aliceLeftAgo,
        uint256 bobEnteredAgo,
        bool carolLeaves,
        uint256 touchAfter
    ) public {
        newPeriod = bound(newPeriod, 2, 30);
        aliceLeftAgo = bound(aliceLeftAgo, 0, cfg.unbondingPeriod);
        bobEnteredAgo = bound(bobEnteredAgo, 0, cfg.unbondingPeriod);
        touchAfter = bound(touchAfter, 0, 40);
        Outcome memory same =
            _periodScenario(false, newPeriod, aliceLeftAgo, bobEnteredAgo, carolLeaves, touchAfter);
        Outcome memory changed =
            _periodScenario(true, newPeriod, aliceLeftAgo, bobEnteredAgo, carolLeaves, touchAfter);
        _assertSame(changed, same);
    }

    /// @dev Alice unbonds `aliceLeftAgo` rounds before the creation round `c` and bob bonds
    /// `bobEnteredAgo` rounds before it (both under the period of the setup); in `c` governance sets
    /// `newPeriod` (if `change`), carol unbonds (if `carolLeaves`) and the broker holds `FEES` of
    /// tickets created in `c`. `touchAfter` rounds later the pool is touched; then every lock is
    /// withdrawn. Returns each one's fees. Restores the state.
    function _periodScenario(
        bool change,
        uint256 newPeriod,
        uint256 aliceLeftAgo,
        uint256 bobEnteredAgo,
        bool carolLeaves,
        uint256 touchAfter
    ) internal returns (Outcome memory out) {
        uint256 snap = vm.snapshotState();
        uint256 aliceLock;
        uint256 first = aliceLeftAgo > bobEnteredAgo ? aliceLeftAgo : bobEnteredAgo;
        for (uint256 ago = first + 1; ago > 0; --ago) {
            if (ago - 1 == aliceLeftAgo) {
                vm.prank(alice);
                aliceLock = bm.unbond(SELF);
            }
            if (ago - 1 == bobEnteredAgo) {
                vm.prank(bob);
                bm.bond(SELF, orch);
            }
            if (ago > 1) nextRound();
        }
        uint256 c = round();
        if (change) bm.setUnbondingPeriod(newPeriod);
        uint256 carolLock = type(uint256).max;
        if (carolLeaves) {
            vm.prank(carol);
            carolLock = bm.unbond(SELF);
        }
        broker.hold(orch, FEES, c);
        advanceRounds(touchAfter);
        bm.checkpoint(orch);
        advanceRounds(40); // every lock withdrawable
        _withdraw(alice, aliceLock);
        if (carolLeaves) _withdraw(carol, carolLock);
        out = _fees();
        vm.revertToState(snap);
    }

    // ------------------------------------------------------------------ wiped pools

    /// @dev Review (Low): a ticket created in round `c`, a 100 % slash of the pool in `c`, then the
    /// redemption. Every delegator bonded at `c` gets its full share (what crediting the fees before
    /// the slash gives it), through a fee tail that the wipe leaves like an unbond: the stake is gone,
    /// its fee share for tickets created before the wipe is not. Before the fix the whole amount went
    /// to the slashed orchestrator (`creditPool` found no weight).
    function test_PoC_WipedPoolDelegatorsKeepTheirShareOfEarlierTickets() public {
        uint256 c = round();
        Outcome memory honest = _creditBeforeSlash(c);
        vm.prank(faultVerifier);
        bm.slash(orch, 1_000_000, address(0), 0);
        nextRound();
        broker.hold(orch, FEES, c); // redeemed after the wipe
        bm.checkpoint(orch);
        _withdrawWipeTails();
        Outcome memory got = _fees();
        assertApproxEqAbs(honest.alice, FEES / 6, 10);
        vm.assertApproxEqAbs(got.alice, honest.alice, 10, "alice");
        vm.assertApproxEqAbs(got.carol, honest.carol, 10, "carol");
        vm.assertApproxEqAbs(got.orch, honest.orch, 10, "orch: its cut and its own stake's share, no more");
    }

    /// @dev A delegator that settles its wiped position (a claim) before the late redemption still
    /// gets its share: the tail is a lock, not a checkpoint of the delegator.
    function test_WipedDelegatorThatClaimedEarlyStillGetsItsShare() public {
        uint256 c = round();
        Outcome memory honest = _creditBeforeSlash(c);
        vm.prank(faultVerifier);
        bm.slash(orch, 1_000_000, address(0), 0);
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.WipeTailOpened(alice, orch, 0, SELF, c + cfg.unbondingPeriod);
        vm.prank(alice);
        bm.claimEarnings(); // settles alice into the new epoch: her tail becomes lock 0
        nextRound();
        broker.hold(orch, FEES, c);
        bm.checkpoint(orch);
        _withdrawWipeTails();
        assertApproxEqAbs(_fees().alice, honest.alice, 10);
    }

    /// @dev Fuzz over stake splits, fee shares, the round of the wipe (up to the validity period
    /// after the tickets' creation round), who claims between the wipe and the redemption, and how
    /// late the pool is touched: everyone bonded at the creation round gets what crediting before the
    /// wipe gives it (to 10 wei of rounding), and nobody more in total.
    function testFuzz_WipeKeepsTheCreationRoundSplit(
        uint256 aliceStake,
        uint256 carolStake,
        uint256 feeShare,
        uint256 wipeAfter,
        uint256 touchAfter,
        uint8 earlyClaims
    ) public {
        aliceStake = bound(aliceStake, 1 ether, 1_000_000 ether);
        carolStake = bound(carolStake, 1 ether, 1_000_000 ether);
        feeShare = bound(feeShare, 0, 1_000_000);
        wipeAfter = bound(wipeAfter, 0, broker.ticketValidityPeriod() - 1);
        touchAfter = bound(touchAfter, 0, 20);
        // fresh pool with the fuzzed split
        address o = makeAddr("o2");
        address a = makeAddr("a2");
        address b = makeAddr("b2");
        fundAndBond(o, SELF, o);
        vm.prank(o);
        bm.announceCuts(0, feeShare);
        fundAndBond(a, aliceStake, o);
        fundAndBond(b, carolStake, o);
        advanceRounds(cfg.unbondingPeriod + 1);
        uint256 c = round();

        uint256 snap = vm.snapshotState();
        broker.credit(o, FEES, c);
        uint256[3] memory honest = [feesOf(o), feesOf(a), feesOf(b)];
        vm.revertToState(snap);

        advanceRounds(wipeAfter);
        vm.prank(faultVerifier);
        bm.slash(o, 1_000_000, address(0), 0);
        if (earlyClaims & 1 != 0) {
            vm.prank(a);
            bm.claimEarnings();
        }
        if (earlyClaims & 2 != 0) {
            vm.prank(o);
            bm.claimEarnings();
        }
        broker.hold(o, FEES, c);
        advanceRounds(touchAfter);
        if (earlyClaims & 4 != 0) {
            vm.prank(b);
            bm.claimEarnings();
        }
        bm.checkpoint(o);
        advanceRounds(cfg.unbondingPeriod);
        uint256[3] memory got;
        address[3] memory who = [o, a, b];
        for (uint256 i; i < 3; ++i) {
            vm.prank(who[i]);
            bm.claimEarnings();
            _withdraw(who[i], 0); // the wipe tail is each one's first lock
            got[i] = feesOf(who[i]);
            assertApproxEqAbs(got[i], honest[i], 10);
        }
        assertLe(got[0] + got[1] + got[2], FEES, "never more than the fees");
    }

    // ------------------------------------------------------------------ helpers

    /// @dev What crediting `FEES` of round `c` before the slash gives each (the reference).
    function _creditBeforeSlash(uint256 c) internal returns (Outcome memory honest) {
        uint256 snap = vm.snapshotState();
        broker.credit(orch, FEES, c);
        honest = _fees();
        vm.revertToState(snap);
    }

    /// @dev Each one's wiped position leaves a fee tail as its first lock (none of them unbonded
    /// before): settle, wait for the tail's exit round, withdraw it.
    function _withdrawWipeTails() internal {
        address[3] memory who = [orch, alice, carol];
        for (uint256 i; i < 3; ++i) {
            vm.prank(who[i]);
            bm.claimEarnings();
        }
        advanceRounds(cfg.unbondingPeriod);
        for (uint256 i; i < 3; ++i) {
            _withdraw(who[i], 0);
        }
    }

    function _withdraw(address who, uint256 lockId) internal {
        vm.prank(who);
        bm.withdrawStake(lockId);
    }

    function _fees() internal view returns (Outcome memory out) {
        out = Outcome({orch: feesOf(orch), alice: feesOf(alice), bob: feesOf(bob), carol: feesOf(carol)});
    }

    function _assertSame(Outcome memory got, Outcome memory want) internal pure {
        assertEq(got.orch, want.orch, "orch");
        assertEq(got.alice, want.alice, "alice");
        assertEq(got.bob, want.bob, "bob");
        assertEq(got.carol, want.carol, "carol");
    }
}
