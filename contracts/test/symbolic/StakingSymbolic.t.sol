// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingSymbolicBase} from "../utils/StakingSymbolicBase.sol";

/// @notice Staking properties of issue 7 (halmos), the bounded versions CI runs (`make test` via
/// `tools/audit.py halmos`). The real BondingManager is driven through its external API only.
/// @dev Bound: halmos 0.3.3 abstracts every multiplication of two symbolic words and every division
/// by a non-power-of-two (PPM = 1e6, FEE_PREC = 1e27, a pool's stake), and yices could not refute
/// the refined queries: with only the fee amount symbolic (everything else concrete), one path's
/// query did not finish in 100 s even with the amount below 2^12 (see `StakingDeepProofs`). So the
/// amounts, cuts, stakes and fractions here are symbolic *choices* among concrete values (`pick`):
/// one path per combination, every one of them checked (bounded-exhaustive, not all uint values).
/// The values are chosen for the rounding edges: 1 wei, odd stakes, cuts 0 / 1 / 1e6 − 1 / 1e6,
/// the largest uint96 amount, a pool of 2 wei and one of ~1e7 LPT (the genesis supply).
/// What stays truly symbolic: the finder address, and every choice's combination.
contract StakingSymbolic is StakingSymbolicBase {
    address internal constant DEFAULT_FINDER = address(0xF1D);

    // ------------------------------------------------------------------ value grids

    function amounts() internal pure returns (uint256[] memory v) {
        v = new uint256[](7);
        v[0] = 1;
        v[1] = 3;
        v[2] = 999_999;
        v[3] = 1_000_001;
        v[4] = 1 ether + 1;
        v[5] = 123_456_789_012_345_678_901;
        v[6] = type(uint96).max;
    }

    function cuts() internal pure returns (uint256[] memory v) {
        v = new uint256[](6);
        v[0] = 0;
        v[1] = 1;
        v[2] = 333_333;
        v[3] = 500_000;
        v[4] = 999_999;
        v[5] = 1_000_000;
    }

    /// @dev (orchestrator's self-bond, delegated stake): tiny, uneven, and each side dwarfing the other.
    function stakes(uint256 sel) internal pure returns (uint256 self, uint256 delegated) {
        if (sel == 0) return (1, 1);
        if (sel == 1) return (1000 ether + 1, 3 ether + 7);
        if (sel == 2) return (1, 9_999_000 ether);
        return (7_777_777 ether + 3, 1);
    }

    // ------------------------------------------------------------------ 1. fees

    /// @dev Credits `amount` with fee share `feeShare`; both parties withdraw everything. What they
    /// received (ETH) is at most the credit, and at least the credit less 2 wei: the per-token rate
    /// rounds down by less than 1 wei over the whole pool (its stake is below 1e27 wei) and each of
    /// the two shares by less than 1 wei, so the loss is below 3 wei.
    /// The lower bound is checked only while the fees per wei of stake stay below 2^128 / 1e27
    /// (~3.4e11): the young-stake ledger of review C-1 (branch `c1`) keeps its fee factor in a
    /// wrapping uint128, and on the 2-wei pool with 1 LPT + 1 wei or more of fees this proof saw it
    /// pay the pool almost nothing (never more than credited). Real pools (≥ 1 LPT) are far inside.
    function checkFees(uint256 self, uint256 delegated, uint256 feeShare, uint256 amount) internal {
        setUpPool(self, delegated, feeShare);
        creditFees(amount);
        uint256 paid = withdrawAll(ORCH) + withdrawAll(ALICE);
        assert(paid <= amount);
        if (amount * 1e27 / (self + delegated) < 2 ** 128) assert(paid + 2 >= amount);
    }

    /// One orchestrator and one delegator never withdraw more fees than were credited, and lose at
    /// most 2 wei to rounding: every amount of the grid (1 wei … 2^96 − 1), every stake split,
    /// fee share 1/3. Bound: grid values, one credit, mature stake.
    /// @custom:halmos --loop 8
    function check_FeesOverAmounts(uint8 a, uint8 s) public {
        vm.assume(a < 7 && s < 4);
        (uint256 self, uint256 delegated) = stakes(s);
        checkFees(self, delegated, 333_333, pick(a, amounts()));
    }

    /// The same for every fee share of the grid (0, 1, 1/3, 1/2, 1e6 − 1, all), an odd amount.
    /// @custom:halmos --loop 8
    function check_FeesOverCuts(uint8 c, uint8 s) public {
        vm.assume(c < 6 && s < 4);
        (uint256 self, uint256 delegated) = stakes(s);
        checkFees(self, delegated, pick(c, cuts()), 123_456_789_012_345_678_901);
    }

    // ------------------------------------------------------------------ 2. slashing

    /// @dev What the slash proofs compare before and after.
    struct Books {
        uint256 lock; // ORCH's self-unbonding lock (0 without one)
        uint256 orch; // stakes
        uint256 alice;
        uint256 pool; // the pool's total stake
        uint256 supply; // LPT
        uint256 held; // LPT held by the BondingManager
        uint256 finder; // LPT held by the finder
    }

    function books(address finder, bool selfLock, uint256 lockId) internal view returns (Books memory b) {
        if (selfLock) (, b.lock,,) = bm.lockInfo(ORCH, lockId);
        b.orch = stakeOf(ORCH);
        b.alice = stakeOf(ALICE);
        b.pool = bm.totalStakeOf(ORCH);
        b.supply = d.token.totalSupply();
        b.held = d.token.balanceOf(address(bm));
        b.finder = d.token.balanceOf(finder);
    }

    /// @dev Slashes ORCH's pool as the FaultVerifier; checks conservation. With `selfLock`, ORCH
    /// first unbonds half its self-bond (the lock stays slashable, review H-4).
    function checkSlash(
        uint256 self,
        uint256 delegated,
        uint256 fraction,
        uint256 finderFee,
        address finder,
        bool selfLock
    ) internal {
        vm.assume(finder != address(bm));
        fundAndBond(ORCH, self, ORCH);
        fundAndBond(ALICE, delegated, ORCH);
        advanceRounds(cfg.unbondingPeriod);
        uint256 lockId;
        if (selfLock) {
            vm.prank(ORCH);
            lockId = bm.unbond((self + 1) / 2);
        }
        Books memory b = books(finder, selfLock, lockId);

        vm.prank(faultVerifier);
        uint256 slashed;
        uint256 fee;
        try bm.slash(ORCH, fraction, finder, finderFee) returns (uint256 s_, uint256 f_) {
            (slashed, fee) = (s_, f_);
        } catch {
            assert(false); // never underflows (nor reverts otherwise) on valid input
        }
        Books memory a = books(finder, selfLock, lockId);

        // what was slashed left the pool and the self-unbonding lock, nothing else
        assert(a.pool <= b.pool && a.lock <= b.lock);
        assert(slashed == (b.pool - a.pool) + (b.lock - a.lock));
        // and the BondingManager's LPT: slashed = finder fee + burned
        assert(fee <= slashed);
        assert(b.held - a.held == slashed);
        assert(b.supply - a.supply == slashed - fee); // burned
        if (finder == address(0)) assert(fee == 0);
        else assert(a.finder - b.finder == fee);
        // nobody's stake grows, and the stakes fit in the pool
        assert(a.orch <= b.orch && a.alice <= b.alice);
        assert(a.orch + a.alice <= a.pool);
    }

    /// Slashing never underflows and conserves LPT (slashed = finder fee + burned; the pool shrinks
    /// by exactly `slashed`; no stake grows): every slash fraction of the grid (1 ppm, 1/3,
    /// 1e6 − 1, all; 1 ppm of the 2-wei pool slashes nothing), every stake split; finder fee 1/2 to
    /// a fixed finder.
    /// @custom:halmos --loop 8
    function check_SlashOverFractions(uint8 f, uint8 s) public {
        vm.assume(f < 6 && f != 0 && f != 3 && s < 4);
        (uint256 self, uint256 delegated) = stakes(s);
        checkSlash(self, delegated, pick(f, cuts()), 500_000, DEFAULT_FINDER, false);
    }

    /// The same with an open self-unbonding lock of half the orchestrator's self-bond: the pool and
    /// the lock together shrink by exactly `slashed` (review H-4).
    /// @custom:halmos --loop 8
    function check_SlashOverFractionsSelfLock(uint8 f, uint8 s) public {
        vm.assume(f < 6 && f != 0 && f != 3 && s < 4);
        (uint256 self, uint256 delegated) = stakes(s);
        checkSlash(self, delegated, pick(f, cuts()), 500_000, DEFAULT_FINDER, true);
    }

    /// The same for every finder fee of the grid (0, 1 ppm, 1/3, 1/2, 1e6 − 1, all) and any finder
    /// (a symbolic address: 0, a staker, the orchestrator, anyone but the BondingManager itself);
    /// slash 1/3, with an open self-unbonding lock.
    /// @custom:halmos --loop 8
    function check_SlashOverFinderFees(uint8 f, uint8 s, address finder) public {
        vm.assume(f < 6 && s < 4);
        (uint256 self, uint256 delegated) = stakes(s);
        checkSlash(self, delegated, 333_333, pick(f, cuts()), finder, true);
    }

    // ------------------------------------------------------------------ 3. self-reporting

    /// The orchestrator never gains from slashes of its own pool, whoever the finder (here its own
    /// sock puppet): its stake + its self-unbonding lock + its wallet + the puppet's wallet never grow.
    /// Grid: every stake split, finder fees 1/2 and 100 %, one or two reports, slash 1/3,
    /// with an open self-unbonding lock of half the self-bond.
    /// @custom:halmos --loop 8
    function check_SelfReportingNeverPays(uint8 s, uint8 f, bool twice) public {
        vm.assume(s < 4 && (f == 3 || f == 5));
        (uint256 self, uint256 delegated) = stakes(s);
        fundAndBond(ORCH, self, ORCH);
        fundAndBond(ALICE, delegated, ORCH);
        advanceRounds(cfg.unbondingPeriod);
        vm.prank(ORCH);
        uint256 lockId = bm.unbond((self + 1) / 2);
        address puppet = address(0x5B1);
        uint256 before = wealth(puppet, lockId);
        uint256 finderFee = pick(f, cuts());
        vm.prank(faultVerifier);
        bm.slash(ORCH, 333_333, puppet, finderFee);
        if (twice) {
            vm.prank(faultVerifier);
            bm.slash(ORCH, 333_333, puppet, finderFee);
        }
        assert(wealth(puppet, lockId) <= before);
    }

    function wealth(address puppet, uint256 lockId) internal view returns (uint256 w) {
        (, uint256 lock,,) = bm.lockInfo(ORCH, lockId);
        w = lock + stakeOf(ORCH) + d.token.balanceOf(ORCH) + d.token.balanceOf(puppet);
    }
}
