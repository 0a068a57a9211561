// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManager, IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {ITicketBroker} from "../../src/interfaces/ITicketBroker.sol";
import {FullDeployers} from "../utils/FullDeployers.sol";
import {TwoPoolsFixture} from "../utils/TwoPoolsFixture.sol";

/// @notice The maturity period (docs/staking.md, "Young stake"): new stake earns, and leaving stake
/// stops sharing fees, after the maturity period `M` (at least the ticket validity `V`), while
/// unbonded tokens stay locked, and the orchestrator's own lock slashable, for the unbonding period
/// `U`. Here `U = 7`, `M = V = 2`.
contract BondingManagerMaturityTest is TwoPoolsFixture {
    uint256 internal constant M = 2;

    function _stakingConfig() internal pure override returns (StakingConfig memory c) {
        c = _defaultStakingConfig();
        c.maturityPeriod = M;
    }

    function setUp() public {
        setUpTwoPools(true);
    }

    /// @dev alice bonds SELF to orch and waits until it is mature; returns the round it is then.
    function _aliceMatureInOrch() internal returns (uint256) {
        vm.prank(alice);
        bm.bond(SELF, orch);
        waitMaturity();
        return round();
    }

    function test_Periods() public view {
        assertEq(bm.unbondingPeriod(), 7);
        assertEq(bm.maturityPeriod(), M);
    }

    /// @dev alice bonds in round e: young in rounds e and e+1 (no fees, no reward), earning from e+2.
    function test_NewStakeEarnsFeesAndRewardsAfterTheMaturityPeriod() public {
        vm.prank(alice);
        bm.bond(SELF, orch);
        nextRound();
        broker.credit(orch, 1 ether, round()); // still young: orch's self-bond takes the pool half
        vm.prank(orch);
        bm.reward();
        assertEq(stakeOf(alice), SELF, "no reward while young");
        nextRound(); // e + M: mature
        assertEq(bm.orchestratorInfo(orch).youngStake, 0);
        uint256 own = stakeOf(orch);
        broker.credit(orch, 1 ether, round());
        vm.prank(orch);
        uint256 minted = bm.reward();
        vm.prank(alice);
        bm.claimEarnings();
        vm.assertApproxEqAbs(
            feesOf(alice), 0.5 ether * SELF / (SELF + own), 10, "her share of the second credit"
        );
        uint256 cut = minted * 100_000 / PPM;
        // (the reward factor is 1e18-scaled: a 1e22 stake rounds by up to ~1e4 wei)
        vm.assertApproxEqAbs(
            stakeOf(alice), SELF + (minted - cut) * SELF / (SELF + own), 1e6, "her reward share"
        );
    }

    /// @dev alice unbonds in round l: her tail shares fees of tickets created up to l, for M rounds
    /// (tickets of l credited in l+1), not fees of tickets created after she left; her tokens are
    /// withdrawable only from l+U.
    function test_LeaverSharesFeesForTheMaturityPeriodAndWithdrawsAfterTheUnbondingPeriod() public {
        uint256 l = _aliceMatureInOrch();
        vm.prank(alice);
        uint256 lockId = bm.unbond(SELF);
        (,, uint256 withdrawRound,) = bm.lockInfo(alice, lockId);
        assertEq(withdrawRound, l + 7, "withdrawable after the unbonding period");
        nextRound();
        broker.credit(orch, 1 ether, l); // created while alice was bonded: her tail shares it
        nextRound(); // l + M: the tail has exited
        bm.checkpoint(orch);
        assertEq(bm.orchestratorInfo(orch).leavingWeight, 0, "the tail left the fee pool");
        broker.credit(orch, 1 ether, round()); // created after she left: none of it is hers
        vm.expectRevert(
            abi.encodeWithSelector(IBondingManagerTypes.LockNotWithdrawable.selector, lockId, l + 7)
        );
        vm.prank(alice);
        bm.withdrawStake(lockId);
        advanceRounds(7 - M);
        uint256 bal = d.token.balanceOf(alice);
        vm.prank(alice);
        bm.withdrawStake(lockId);
        assertEq(d.token.balanceOf(alice) - bal, SELF);
        vm.assertApproxEqAbs(
            feesOf(alice), 0.25 ether, 10, "her half of the pool half of the first credit only"
        );
    }

    /// @dev A redelegation's fee-only lock closes when its tail exits (M), not after U.
    function test_FeeOnlyLockClosesWhenItsTailExits() public {
        uint256 l = _aliceMatureInOrch();
        vm.prank(alice);
        uint256 lockId = bm.redelegate(orch2);
        (,, uint256 closeRound, bool feeOnly) = bm.lockInfo(alice, lockId);
        assertTrue(feeOnly);
        assertEq(closeRound, l + M);
        broker.credit(orch, 1 ether, l);
        advanceRounds(M);
        vm.prank(alice);
        bm.withdrawStake(lockId);
        assertApproxEqAbs(feesOf(alice), 0.25 ether, 10);
    }

    /// @dev The orchestrator's own lock is slashable until withdrawn (U), after its fee tail exited
    /// (M): a slash cuts its tokens but never the fees its tail earned (they are paid at the slash).
    function test_SlashOfTheOwnLockAfterItsTailExitedKeepsItsFees() public {
        uint256 l = _aliceMatureInOrch();
        vm.prank(orch);
        uint256 lockId = bm.unbond(SELF);
        broker.credit(orch, 1 ether, l); // orch's tail: half of the pool half
        advanceRounds(M + 1); // the tail has exited; the lock is still locked and slashable
        vm.prank(faultVerifier);
        bm.freezeStake(orch);
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.LockFeesPaid(orch, lockId, 0.25 ether);
        vm.prank(faultVerifier);
        bm.slash(orch, 500_000, bob, 100_000);
        (, uint256 left,,) = bm.lockInfo(orch, lockId);
        assertEq(left, SELF / 2, "the lock's tokens are cut");
        vm.prank(faultVerifier);
        bm.unfreezeStake(orch);
        advanceRounds(7);
        vm.prank(orch);
        bm.withdrawStake(lockId);
        vm.assertApproxEqAbs(feesOf(orch), 0.75 ether, 10, "its cut and its tail's whole share");
    }

    /// @dev The same while the tail is still in the fee pool: fees before the slash at the full
    /// weight, after it at the cut weight.
    function test_SlashOfTheOwnLockInTheFeePoolKeepsTheFeesItEarned() public {
        uint256 l = _aliceMatureInOrch();
        vm.prank(orch);
        uint256 lockId = bm.unbond(SELF);
        broker.credit(orch, 1 ether, l); // before the slash: orch's tail has half the pool weight
        vm.prank(faultVerifier);
        bm.slash(orch, 500_000, bob, 100_000);
        advanceRounds(7);
        vm.prank(orch);
        bm.withdrawStake(lockId);
        vm.assertApproxEqAbs(feesOf(orch), 0.75 ether, 10, "its cut and its tail's whole share");
    }

    function test_RevertWhen_MaturityOutsideValidityAndUnbonding() public {
        broker.setTicketValidityPeriod(3);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InvalidMaturityPeriod.selector, 2, 3, 7));
        bm.setMaturityPeriod(2);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InvalidMaturityPeriod.selector, 8, 3, 7));
        bm.setMaturityPeriod(8);
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.MaturityPeriodSet(7);
        bm.setMaturityPeriod(7);
        assertEq(bm.maturityPeriod(), 2, "the validity bound stays the shorter period for a new period");
        vm.expectRevert(
            abi.encodeWithSelector(IBondingManagerTypes.MaturityChangePending.selector, round() + 7)
        );
        bm.setMaturityPeriod(3);
        advanceRounds(7);
        assertEq(bm.maturityPeriod(), 7);
        broker.setTicketValidityPeriod(1);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InvalidMaturityPeriod.selector, 0, 1, 7));
        bm.setMaturityPeriod(0);
    }

    function test_RevertWhen_UnbondingBelowMaturity() public {
        bm.setUnbondingPeriod(30);
        bm.setMaturityPeriod(9);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.UnbondingPeriodTooShort.selector, 8, 9));
        bm.setUnbondingPeriod(8);
        bm.setUnbondingPeriod(9);
        advanceRounds(9);
        assertEq(bm.maturityPeriod(), 9, "the maturity period stays");
    }

    function test_RevertWhen_SetMaturityNotGovernance() public {
        vm.prank(alice);
        vm.expectRevert();
        bm.setMaturityPeriod(3);
    }
}

/// @notice A maturity period never set (storage of an earlier version reads 0, or `initialize` was
/// given 0) follows the unbonding period, as maturity did before it had its own period.
contract BondingManagerMaturityUnsetTest is TwoPoolsFixture {
    function setUp() public {
        setUpTwoPools(true);
    }

    function test_UnsetMaturityFollowsTheUnbondingPeriod() public {
        assertEq(bm.maturityPeriod(), 7);
        bm.setUnbondingPeriod(12); // the maturity period follows, as a lengthening (then it is set)
        assertEq(bm.maturityPeriod(), 7, "the validity bound for a new period");
        uint256 e = round();
        vm.prank(alice);
        bm.bond(SELF, orch);
        advanceRounds(11);
        assertEq(bm.orchestratorInfo(orch).youngStake, SELF);
        nextRound();
        assertEq(bm.orchestratorInfo(orch).youngStake, 0);
        assertEq(round(), e + 12);
        assertEq(bm.maturityPeriod(), 12);
        bm.setUnbondingPeriod(20);
        assertEq(bm.maturityPeriod(), 12, "set now: it no longer follows");
    }

    /// @dev Shortening the unbonding period of an unset maturity period shortens the maturity
    /// period too, declining one round per round from 7 to 3: stake that enters `i` rounds after the
    /// change matures at `max(i + 3, 7)` rounds after it, never before stake that entered earlier
    /// (before, it matured at `i + 3` while queued entries were clamped: the review's double count).
    function test_UnsetMaturityShortenedWithTheUnbondingPeriodDeclines() public {
        uint256 t = round();
        bm.setUnbondingPeriod(3);
        uint256[7] memory due;
        for (uint256 r = t; r <= t + 9; ++r) {
            uint256 i = r - t;
            if (i < 7) {
                address who = makeAddr(string.concat("joiner", vm.toString(i)));
                fundAndBond(who, (i + 1) * 1 ether, orch);
                due[i] = t + (i + 3 > 7 ? i + 3 : 7);
            }
            uint256 young;
            for (uint256 j; j <= (i < 7 ? i : 6); ++j) {
                if (due[j] > r) young += (j + 1) * 1 ether;
            }
            assertEq(bm.orchestratorInfo(orch).youngStake, young, vm.toString(i));
            nextRound();
        }
    }

    /// @dev While unset, the unbonding period's floor is the ticket validity itself (it is the
    /// maturity period too).
    function test_RevertWhen_UnsetMaturityAndUnbondingBelowValidity() public {
        broker.setTicketValidityPeriod(4);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.UnbondingPeriodTooShort.selector, 3, 4));
        bm.setUnbondingPeriod(3);
    }
}

/// @notice The real TicketBroker and BondingManager as deployed: the validity period can never
/// exceed the maturity period, whichever of the two governance changes first.
contract MaturityValidityCouplingTest is FullDeployers {
    function setUp() public {
        deployFullProtocol();
    }

    function test_DeploymentMaturesStakeAfterTheTicketValidity() public view {
        assertEq(full.staking.bondingManager.maturityPeriod(), 2);
        assertEq(full.broker.broker.ticketValidityPeriod(), 2);
        assertEq(full.staking.bondingManager.unbondingPeriod(), 7);
    }

    function test_ValidityNeverExceedsMaturity_WhicheverSetterRunsFirst() public {
        IBondingManager bm = full.staking.bondingManager;
        ITicketBroker broker = full.broker.broker;
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.ValidityExceedsMaturityPeriod.selector, 3, 2));
        broker.setTicketValidityPeriod(3);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InvalidMaturityPeriod.selector, 1, 2, 7));
        bm.setMaturityPeriod(1);
        uint256 t = full.core.rounds.currentRound();
        bm.setMaturityPeriod(4);
        broker.setUnlockPeriod(4);
        // a lengthening: the validity may follow it only a full new period later
        vm.expectRevert(abi.encodeWithSelector(ITicketBroker.ValidityExceedsMaturityPeriod.selector, 4, 2));
        broker.setTicketValidityPeriod(4);
        vm.roll(full.core.rounds.currentRoundStartBlock() + 4 * FULL_ROUND_LENGTH);
        full.core.rounds.initializeRound();
        assertEq(full.core.rounds.currentRound(), t + 4);
        broker.setTicketValidityPeriod(4);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.InvalidMaturityPeriod.selector, 3, 4, 7));
        bm.setMaturityPeriod(3);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.UnbondingPeriodTooShort.selector, 3, 4));
        bm.setUnbondingPeriod(3);
        broker.setTicketValidityPeriod(2);
        bm.setMaturityPeriod(2); // a shortening: the bound is the new period at once
        assertEq(bm.maturityPeriod(), 2);
    }
}
