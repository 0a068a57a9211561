// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StakingFixture} from "./StakingFixture.sol";

/// @title TwoPoolsFixture
/// @notice Staking with two orchestrators of `SELF` LPT each (`orch` keeps 10% of rewards and shares
/// 50% of fees), their self-bonds matured, and two funded delegators who haven't bonded yet.
abstract contract TwoPoolsFixture is StakingFixture {
    uint256 internal constant SELF = 10_000 ether;
    uint256 internal constant PPM = 1_000_000;

    address internal orch;
    address internal orch2;
    address internal alice;
    address internal bob;

    /// @param orch2SharesFees Whether `orch2` announces the same cuts as `orch` (else it keeps the
    /// defaults).
    function setUpTwoPools(bool orch2SharesFees) internal {
        deployStaking();
        orch = makeAddr("orch");
        orch2 = makeAddr("orch2");
        alice = makeAddr("alice");
        bob = makeAddr("bob");
        fundAndBond(orch, SELF, orch);
        fundAndBond(orch2, SELF, orch2);
        // No delegators yet: the cuts apply from the next round.
        vm.prank(orch);
        bm.announceCuts(100_000, 500_000); // keeps 10% of rewards, shares 50% of fees
        if (orch2SharesFees) {
            vm.prank(orch2);
            bm.announceCuts(100_000, 500_000);
        }
        // Entering stake is young (no earnings) for an unbonding period: let the self-bonds mature.
        waitMaturity();
        fund(alice, 100_000 ether);
        fund(bob, 100_000 ether);
    }
}
