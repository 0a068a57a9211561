// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {IControlled} from "../../src/interfaces/IControlled.sol";
import {StakingFixture} from "../utils/StakingFixture.sol";

/// @notice The BondingManager's round cache: it asks the RoundsManager once per round and must
/// always agree with it, across round-length changes, and governance can drop it.
contract BondingManagerRoundCacheTest is StakingFixture {
    address internal orch;

    function setUp() public {
        deployStaking();
        orch = makeAddr("orch");
        fund(orch, 1_000_000 ether);
        vm.prank(orch);
        bm.bond(10_000 ether, orch);
    }

    /// @dev The round the BondingManager uses is visible in an unbonding lock: withdrawable at
    /// `round + unbondingPeriod`.
    function _roundSeen() internal returns (uint256) {
        vm.prank(orch);
        bm.bond(1 ether, orch);
        vm.prank(orch);
        uint256 lockId = bm.unbond(1 ether);
        (,, uint256 withdrawRound,) = bm.lockInfo(orch, lockId);
        vm.prank(orch);
        bm.rebond(lockId);
        return withdrawRound - bm.unbondingPeriod();
    }

    /// @dev Walks blocks through round-length changes (shorter and longer, applied from the next
    /// round): the cached round always equals the RoundsManager's, including in the blocks where the
    /// old length would already have ended the round.
    function test_CachedRoundFollowsTheRoundsManagerAcrossLengthChanges() public {
        uint256[4] memory lengths = [uint256(7), 90, 3, 40];
        for (uint256 k; k < lengths.length; ++k) {
            d.rounds.setRoundLength(lengths[k]);
            for (uint256 i; i < 12; ++i) {
                vm.roll(block.number + 1 + (i * 13) % 29);
                // the first call of the round may refresh; a second call reads the cache
                assertEq(_roundSeen(), d.rounds.currentRound(), "refresh");
                assertEq(_roundSeen(), d.rounds.currentRound(), "cached");
            }
        }
    }

    function test_ResetRoundCache() public {
        _roundSeen();
        vm.expectEmit(address(bm));
        emit IBondingManagerTypes.RoundCacheReset();
        bm.resetRoundCache();
        assertEq(_roundSeen(), d.rounds.currentRound());
    }

    function test_RevertWhen_ResetRoundCacheByStranger() public {
        address stranger = makeAddr("stranger");
        vm.expectRevert(abi.encodeWithSelector(IControlled.NotGovernance.selector, stranger));
        vm.prank(stranger);
        bm.resetRoundCache();
    }
}
