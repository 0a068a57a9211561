// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingSymbolicBase} from "../utils/StakingSymbolicBase.sol";

/// @notice Fees held by the TicketBroker are split as of their tickets' creation round whatever
/// happened to the pool before they were credited (halmos, bounded grid): a governance change of the
/// unbonding period, a slash that wiped the pool, and a partial slash after a delegator left. No participant gains a share of them it was not
/// bonded for, and none loses the share it was bonded for.
/// @dev Bound, as in {StakingSymbolic}: stakes, periods and rounds are symbolic choices among concrete
/// values (`pick`), one path per combination, all checked. Rounds advance by `vm.roll` (no loop).
/// The fee amount is odd and small enough for the 2-wei pool's fee factor (see `checkFees` there).
contract FeeAccountingSymbolic is StakingSymbolicBase {
    address internal constant BOB = address(0xB0B);
    uint256 internal constant FEES = 1_000_001;
    uint256 internal constant SHARE = 500_000; // the pool's part of every fee

    /// @dev Held fees are noted only for an orchestrator active in their creation round: the grid's
    /// 2-wei pool must count.
    function setUp() public virtual override {
        super.setUp();
        bm.setMinActiveStake(1);
    }

    /// @dev (orchestrator's self-bond, delegated stake): tiny, uneven, and each side dwarfing the other.
    function stakes(uint256 sel) internal pure returns (uint256 self, uint256 delegated) {
        if (sel == 0) return (1, 1);
        if (sel == 1) return (1000 ether + 1, 3 ether + 7);
        if (sel == 2) return (1, 9_999_000 ether);
        return (7_777_777 ether + 3, 1);
    }

    /// @dev Unbonding periods governance may set here (ticket validity 2, challenge window 1): the
    /// shortest, shorter and longer than the default 7, the longest.
    function periods() internal pure returns (uint256[] memory v) {
        v = new uint256[](5);
        v[0] = 2;
        v[1] = 3;
        v[2] = 7;
        v[3] = 14;
        v[4] = 30;
    }

    function rounds(uint256 sel) internal pure returns (uint256) {
        if (sel == 0) return 0;
        if (sel == 1) return 1;
        if (sel == 2) return 6;
        return 31;
    }

    function roll(uint256 n) internal {
        vm.roll(d.rounds.currentRoundStartBlock() + n * ROUND_LENGTH);
    }

    /// @dev What ALICE's share of `FEES` is when the pool's fee weight is `self + delegated`.
    function aliceShare(uint256 self, uint256 delegated) internal pure returns (uint256) {
        return FEES * SHARE / 1e6 * delegated / (self + delegated);
    }

    /// @dev Withdraws `who`'s lock `lockId` (after its round) and all its fees; returns the ETH paid.
    function collect(address who, uint256 lockId) internal returns (uint256) {
        vm.prank(who);
        try bm.withdrawStake(lockId) {}
        catch {
            assert(false);
        }
        return withdrawAll(who);
    }

    /// ALICE leaves (unbonds everything) in the tickets' creation round `c` and BOB bonds in it;
    /// governance then sets a shorter (3) or longer (14) unbonding period while the broker holds the
    /// fees; the pool is touched 31 rounds later (after every exit and maturity, old or new). ALICE,
    /// bonded at `c`, gets exactly her share (to 2 wei of rounding); BOB, who entered at `c`, nothing;
    /// the orchestrator no more than the rest. Grid: 4 stake splits x 2 periods (kept small: each path
    /// runs the whole scenario; `FeeAccountingGridTest` runs 4 x 5 periods x 4 touch delays concretely).
    /// @custom:halmos --loop 8
    function check_PeriodChangeNeverMovesHeldFees(uint8 s, bool longer) public {
        vm.assume(s < 4);
        periodScenario(s, longer ? 3 : 1, 3);
    }

    /// @dev The scenario of `check_PeriodChangeNeverMovesHeldFees` for split `s`, period `periods()[p]`
    /// and touch delay `rounds(t)`.
    function periodScenario(uint256 s, uint256 p, uint256 t) internal {
        (uint256 self, uint256 delegated) = stakes(s);
        setUpPool(self, delegated, SHARE);
        uint256 c = round();
        vm.prank(ALICE);
        uint256 lockId = bm.unbond(delegated);
        fund(BOB, 999 ether); // what the genesis supply leaves on every split
        vm.prank(BOB);
        bm.bond(999 ether, ORCH);
        bm.setUnbondingPeriod(pick(p, periods()));
        broker.hold(ORCH, FEES, c);
        roll(rounds(t));
        bm.checkpoint(ORCH);
        roll(31); // every lock withdrawable, BOB's stake mature
        uint256 alice = collect(ALICE, lockId);
        uint256 bob = withdrawAll(BOB);
        uint256 orch = withdrawAll(ORCH);
        uint256 want = aliceShare(self, delegated);
        assert(bob == 0);
        assert(alice <= want && alice + 2 >= want);
        assert(orch + alice <= FEES);
    }

    /// Maturity periods governance may set here (ticket validity 2, unbonding period 7): the validity,
    /// one more, and the unbonding period.
    function maturities() internal pure returns (uint256[] memory v) {
        v = new uint256[](3);
        v[0] = 2;
        v[1] = 3;
        v[2] = 7;
    }

    /// Under a maturity period `M` of 2, 3 or 7 rounds: tickets created in round `c` (ALICE bonded),
    /// BOB bonds `k` rounds later (0 or 1: before the last round those tickets can be redeemed in),
    /// the fees are held by the broker from the redemption in `c + 1` and the pool is touched 31
    /// rounds later (BOB long mature). BOB gets nothing; ALICE exactly her share as of `c` (to 2 wei);
    /// the orchestrator no more than the rest. Grid: 4 stake splits x 3 maturities x 2 join rounds.
    /// @custom:halmos --loop 8
    function check_LateJoinerGetsNothingUnderAnyMaturity(uint8 s, uint8 m, bool late) public {
        vm.assume(s < 4 && m < 3);
        lateJoinerScenario(s, m, late ? 1 : 0);
    }

    /// @dev The scenario of `check_LateJoinerGetsNothingUnderAnyMaturity`.
    function lateJoinerScenario(uint256 s, uint256 m, uint256 k) internal {
        bm.setMaturityPeriod(pick(m, maturities()));
        (uint256 self, uint256 delegated) = stakes(s);
        setUpPool(self, delegated, SHARE);
        uint256 c = round();
        roll(k);
        fund(BOB, 999 ether); // what the genesis supply leaves on every split
        vm.prank(BOB);
        bm.bond(999 ether, ORCH);
        roll(1 - k);
        broker.hold(ORCH, FEES, c);
        roll(31);
        bm.checkpoint(ORCH);
        uint256 alice = withdrawAll(ALICE);
        uint256 bob = withdrawAll(BOB);
        uint256 orch = withdrawAll(ORCH);
        uint256 want = aliceShare(self, delegated);
        assert(bob == 0);
        assert(alice <= want && alice + 2 >= want);
        assert(orch + alice <= FEES);
    }

    /// Tickets created in round `c`, ALICE leaves (unbonds everything) in `c`, a partial slash of the
    /// pool in `c + 1` (a tiny, a 10 %, a 50 % and a 99.9999 % cut), the redemption after it, the pool
    /// touched later. ALICE's tail shrinks with the pool, so she gets her share as of `c` to 2 wei
    /// (before tails scaled with slashes, she got more, taken from the orchestrator's part); the
    /// orchestrator no more than the rest. Grid: 4 stake splits x 4 fractions.
    /// @custom:halmos --loop 8
    function check_PartialSlashKeepsTheCreationRoundSplit(uint8 s, uint8 f) public {
        vm.assume(s < 4 && f < 4);
        (uint256 self, uint256 delegated) = stakes(s);
        setUpPool(self, delegated, SHARE);
        uint256 c = round();
        vm.prank(ALICE);
        uint256 lockId = bm.unbond(delegated);
        roll(1);
        vm.prank(faultVerifier);
        bm.slash(ORCH, pick(f, fractions()), address(0), 0);
        broker.hold(ORCH, FEES, c);
        roll(1);
        bm.checkpoint(ORCH);
        roll(cfg.unbondingPeriod);
        uint256 alice = collect(ALICE, lockId);
        uint256 orch = withdrawAll(ORCH);
        uint256 want = aliceShare(self, delegated);
        assert(alice <= want + 2 && alice + 2 >= want);
        assert(orch + alice <= FEES);
    }

    function fractions() internal pure returns (uint256[] memory v) {
        v = new uint256[](4);
        v[0] = 1;
        v[1] = 100_000;
        v[2] = 500_000;
        v[3] = 999_999;
    }

    /// Tickets created in round `c`, a 100 % slash of the pool in `c`, the redemption after the wipe,
    /// the pool touched later. ALICE (bonded at `c`) gets her share to 2 wei whether she and the
    /// orchestrator claimed between the wipe and the redemption or not; the orchestrator no more than
    /// the rest. Grid: 4 stake splits x (no early claim, both claim early) (`FeeAccountingGridTest`
    /// runs 4 x 2 wipe rounds x 4 claim combinations concretely).
    /// @custom:halmos --loop 8
    function check_WipeKeepsTheCreationRoundSplit(uint8 s, bool earlyClaims) public {
        vm.assume(s < 4);
        wipeScenario(s, 0, earlyClaims ? 3 : 0);
    }

    /// @dev The scenario of `check_WipeKeepsTheCreationRoundSplit` for split `s`, the wipe `w` rounds
    /// after creation (within the ticket validity) and early claims `e` (bit 0: ALICE, bit 1: ORCH).
    function wipeScenario(uint256 s, uint256 w, uint256 e) internal {
        (uint256 self, uint256 delegated) = stakes(s);
        setUpPool(self, delegated, SHARE);
        uint256 c = round();
        roll(w);
        vm.prank(faultVerifier);
        bm.slash(ORCH, 1_000_000, address(0), 0);
        if (e & 1 != 0) {
            vm.prank(ALICE);
            bm.claimEarnings();
        }
        if (e & 2 != 0) {
            vm.prank(ORCH);
            bm.claimEarnings();
        }
        broker.hold(ORCH, FEES, c);
        roll(1);
        bm.checkpoint(ORCH);
        vm.prank(ALICE);
        bm.claimEarnings(); // her wiped position's tail is lock 0 (if not opened above)
        vm.prank(ORCH);
        bm.claimEarnings();
        roll(cfg.unbondingPeriod);
        uint256 alice = collect(ALICE, 0);
        uint256 orch = collect(ORCH, 0);
        uint256 want = aliceShare(self, delegated);
        assert(alice <= want && alice + 2 >= want);
        assert(orch + alice <= FEES);
    }
}

/// @notice The scenarios of {FeeAccountingSymbolic} over a wider grid (every period, touch delay, wipe
/// round and early-claim combination), run concretely by forge. It also shows that no combination
/// reverts: halmos counts a reverting path as passing, so each one must really reach its assertions.
contract FeeAccountingGridTest is FeeAccountingSymbolic {
    function test_PeriodChangeGridRunsWithoutRevert() public {
        for (uint8 s; s < 4; ++s) {
            for (uint8 p; p < 5; ++p) {
                for (uint8 t; t < 4; ++t) {
                    uint256 snap = vm.snapshotState();
                    periodScenario(s, p, t);
                    vm.revertToState(snap);
                }
            }
        }
    }

    function test_LateJoinerGridRunsWithoutRevert() public {
        for (uint8 s; s < 4; ++s) {
            for (uint8 m; m < 3; ++m) {
                for (uint8 k; k < 2; ++k) {
                    uint256 snap = vm.snapshotState();
                    lateJoinerScenario(s, m, k);
                    vm.revertToState(snap);
                }
            }
        }
    }

    function test_WipeGridRunsWithoutRevert() public {
        for (uint8 s; s < 4; ++s) {
            for (uint8 w; w < 2; ++w) {
                for (uint8 e; e < 4; ++e) {
                    uint256 snap = vm.snapshotState();
                    wipeScenario(s, w, e);
                    vm.revertToState(snap);
                }
            }
        }
    }
}
