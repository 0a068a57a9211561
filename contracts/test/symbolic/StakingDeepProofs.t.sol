// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {StakingFixture} from "../utils/StakingFixture.sol";

/// @notice Symbolic properties (halmos) of the staking ledger: one orchestrator and one delegator,
/// with symbolic stakes, fee amounts, cuts and slash fractions (stakes 1 LPT + up to 2^64 wei, one
/// credit or slash per run).
/// STATUS: NOT PROVED. With everything symbolic the pro-rata scaling is nonlinear (products and
/// quotients of symbolic values) and halmos 0.3.3 did not finish either check within 420 s
/// (`--solver-timeout-assertion 60000`); no counterexample was found. The name does not end in
/// `Symbolic`, so `tools/audit.py halmos` (and CI) skip it. Run by hand:
///   FOUNDRY_OUT=out-halmos FOUNDRY_CACHE_PATH=cache-halmos PATH=$PWD/node_modules/.bin:$PATH \
///     .venv/bin/halmos --match-contract StakingDeepProofs --forge-build-out out-halmos
/// Next step: fix some of the values (e.g. the fractions) per check so the solver sees linear terms.
contract StakingDeepProofs is StakingFixture {
    address internal orch = address(0x0AC1);
    address internal alice = address(0xA11CE);
    address internal finder = address(0xF1D);

    function setUp() public {
        deployStaking();
    }

    function _bondBoth(uint64 self, uint64 delegated) internal returns (uint256 s, uint256 dlg) {
        s = uint256(self) + 1 ether;
        dlg = uint256(delegated) + 1 ether;
        fundAndBond(orch, s, orch);
        fundAndBond(alice, dlg, orch);
    }

    /// Slashing never underflows and conserves LPT: what leaves the pool is exactly the finder fee
    /// plus what is burned, for every stake split, slash fraction and finder-fee fraction.
    function check_SlashConservesAndNeverUnderflows(
        uint64 self,
        uint64 delegated,
        uint32 fractionPpm,
        uint32 finderFeePpm
    ) public {
        vm.assume(fractionPpm <= 1_000_000 && finderFeePpm <= 1_000_000);
        (uint256 s, uint256 dlg) = _bondBoth(self, delegated);
        uint256 supply = d.token.totalSupply();
        uint256 total = bm.totalStakeOf(orch);
        assert(total == s + dlg);

        vm.prank(faultVerifier);
        (uint256 slashed, uint256 fee) = bm.slash(orch, fractionPpm, finder, finderFeePpm);

        assert(slashed <= total);
        assert(fee <= slashed);
        assert(d.token.balanceOf(finder) == fee);
        assert(supply - d.token.totalSupply() == slashed - fee); // burned
        assert(bm.totalStakeOf(orch) == total - slashed);
        // Nobody's stake grows, and the two stakes never exceed the pool.
        assert(stakeOf(orch) <= s && stakeOf(alice) <= dlg);
        assert(stakeOf(orch) + stakeOf(alice) <= total - slashed);
    }

    /// One orchestrator and one delegator never claim more fees than were credited, for every stake
    /// split, fee share and amount.
    function check_FeesClaimedNeverExceedCredited(
        uint64 self,
        uint64 delegated,
        uint32 feeShare,
        uint96 amount
    ) public {
        vm.assume(feeShare <= 1_000_000);
        _bondBoth(self, delegated);
        vm.prank(orch);
        bm.announceCuts(0, feeShare);
        advanceRounds(cfg.unbondingPeriod + 1);
        broker.credit(orch, amount, round());

        (, uint256 orchFees) = bm.pendingEarnings(orch);
        (, uint256 aliceFees) = bm.pendingEarnings(alice);
        assert(orchFees + aliceFees <= amount);
    }
}
