// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {TwoPoolsFixture} from "../utils/TwoPoolsFixture.sol";

/// @notice Slashing can't be turned against delegators (docs/staking.md, "Slashing"): the
/// orchestrator never profits from a slash of its own pool, its own stake stays slashable on every
/// path out, and delegators can always leave.
contract SlashingSafetyTest is TwoPoolsFixture {
    function setUp() public {
        setUpTwoPools(true);
    }

    /// @dev The orchestrator's LPT: its stake, its self-unbonding lock (if any) and its wallet.
    function _orchWealth(uint256 lockId, bool hasLock) internal view returns (uint256 w) {
        w = stakeOf(orch) + d.token.balanceOf(orch);
        if (hasLock) {
            (, uint256 amount,,) = bm.lockInfo(orch, lockId);
            w += amount;
        }
    }

    // ------------------------------------------------------------------ Critical: self-reporting

    /// The orchestrator, with any number of accounts as finders, never gains from slashes of its own
    /// pool: over own/delegated splits, young or mature delegated stake, an open self-unbonding lock,
    /// 1–12 reports, 1–6 finder accounts, any fraction and any finder fee up to 100%.
    function testFuzz_SelfReportingNeverPays(
        uint256 delegated,
        uint256 lockPart,
        uint256 reports,
        uint256 accounts,
        uint256 fractionPpm,
        uint256 finderFeePpm,
        bool matured
    ) public {
        delegated = bound(delegated, 0, 100_000 ether);
        lockPart = bound(lockPart, 0, SELF);
        reports = bound(reports, 1, 12);
        accounts = bound(accounts, 1, 6);
        fractionPpm = bound(fractionPpm, 1, PPM);
        finderFeePpm = bound(finderFeePpm, 0, PPM);
        if (delegated != 0) {
            vm.prank(alice);
            bm.bond(delegated, orch);
        }
        if (matured) waitMaturity();
        uint256 lockId;
        if (lockPart != 0) {
            vm.prank(orch);
            lockId = bm.unbond(lockPart);
        }
        address[] memory finders = new address[](accounts);
        for (uint256 i; i < accounts; ++i) {
            finders[i] = makeAddr(string.concat("sybil", vm.toString(i)));
        }
        uint256 before = _orchWealth(lockId, lockPart != 0);
        uint256 aliceBefore = stakeOf(alice);
        for (uint256 i; i < reports; ++i) {
            vm.prank(faultVerifier);
            bm.slash(orch, fractionPpm, finders[i % accounts], finderFeePpm);
        }
        uint256 after_ = _orchWealth(lockId, lockPart != 0);
        for (uint256 i; i < accounts; ++i) {
            after_ += d.token.balanceOf(finders[i]);
        }
        assertLe(after_, before, "the orchestrator and its finders never gain");
        assertLe(stakeOf(alice), aliceBefore);
    }

    /// The PoC's split at the BondingManager: own 10k, delegated 30k, 10% slash, 50% finder fee.
    /// The finder gets half of the orchestrator's own 1,000 LPT penalty, never of the delegators'.
    function test_PoC_FinderFeeComesOnlyFromOwnPenalty() public {
        vm.prank(alice);
        bm.bond(3 * SELF, orch);
        waitMaturity();
        vm.prank(faultVerifier);
        (uint256 slashed, uint256 fee) = bm.slash(orch, 100_000, bob, 500_000);
        assertEq(slashed, 4000 ether, "the whole pool is slashed");
        assertEq(fee, 500 ether, "half of the orchestrator's own 1,000");
        assertEq(d.token.balanceOf(bob), 100_000 ether + 500 ether);
    }

    // ------------------------------------------------------------------ High: the self-bond escapes

    /// Path 1: unbond everything, then `rebondFromUnbonded(other, lock)` used to walk the self lock
    /// into another pool in the same transaction, out of the slash's reach.
    function test_PoC_SelfLockCannotRebondFromUnbondedIntoAnotherPool() public {
        vm.startPrank(orch);
        uint256 lockId = bm.unbond(SELF);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.SelfBondLocked.selector, orch));
        bm.rebondFromUnbonded(orch2, lockId);
        bm.rebondFromUnbonded(orch, lockId); // back into its own pool: fine
        vm.stopPrank();
        assertEq(bm.slashableStakeOf(orch), SELF);
    }

    /// Path 2: unbond everything, `bond(0, other)` (delegate elsewhere), then `rebond(lock)`.
    function test_PoC_SelfLockCannotRebondElsewhereAfterBondZero() public {
        vm.startPrank(orch);
        uint256 lockId = bm.unbond(SELF);
        bm.bond(0, orch2);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.SelfBondLocked.selector, orch));
        bm.rebond(lockId);
        vm.stopPrank();
        vm.prank(faultVerifier);
        (uint256 slashed,) = bm.slash(orch, 100_000, bob, 500_000);
        assertEq(slashed, SELF / 10, "the lock is still in reach");
    }

    /// Path 3: the self-bond can't be redelegated, nor moved by a `bond` to another orchestrator.
    function test_SelfBondCannotRedelegate() public {
        vm.startPrank(orch);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.SelfBondLocked.selector, orch));
        bm.redelegate(orch2);
        vm.expectRevert(abi.encodeWithSelector(IBondingManagerTypes.SelfBondLocked.selector, orch));
        bm.bond(0, orch2);
        vm.stopPrank();
    }

    /// Path 4: unbond in the round of the fault and withdraw: the lock is withdrawable only after the
    /// challenge window of every receipt signed while staked has closed (window < unbonding period),
    /// and a challenge on the window's last round still cuts it.
    function test_SelfLockNotWithdrawableBeforeTheLastWindowCloses() public {
        uint256 faultRound = round();
        vm.prank(orch);
        uint256 lockId = bm.unbond(SELF);
        uint256 window = cfg.unbondingPeriod - 1; // the longest window governance may set
        advanceRounds(window);
        assertEq(round(), faultRound + window);
        vm.prank(orch);
        vm.expectRevert(
            abi.encodeWithSelector(
                IBondingManagerTypes.LockNotWithdrawable.selector, lockId, faultRound + cfg.unbondingPeriod
            )
        );
        bm.withdrawStake(lockId);
        vm.prank(faultVerifier);
        (uint256 slashed,) = bm.slash(orch, 100_000, bob, 500_000);
        assertEq(slashed, SELF / 10);
        nextRound();
        vm.prank(orch);
        bm.withdrawStake(lockId);
        assertEq(d.token.balanceOf(orch), SELF - SELF / 10);
    }

    /// An orchestrator alone that unbonded everything still has slashable stake (its lock), so a
    /// challenge can open (`FaultVerifier` checks `slashableStakeOf`, not `totalStakeOf`).
    function test_SlashableStakeCountsTheSelfLock() public {
        vm.prank(orch);
        uint256 lockId = bm.unbond(SELF / 4);
        assertEq(bm.slashableStakeOf(orch), SELF);
        vm.prank(orch);
        bm.rebond(lockId);
        vm.prank(orch);
        bm.unbond(SELF);
        assertEq(bm.totalStakeOf(orch), 0);
        assertEq(bm.slashableStakeOf(orch), SELF);
    }
}
