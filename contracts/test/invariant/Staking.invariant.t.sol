// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManagerTypes} from "../../src/interfaces/IBondingManager.sol";
import {StakingFixture} from "../utils/StakingFixture.sol";
import {StakingHandler} from "./handlers/StakingHandler.sol";

/// @notice Invariants of staking under random bonds, unbonds, rebonds, withdrawals, redelegations,
/// rewards, fee credits, cut changes, slashes and round changes.
/// forge-config: default.invariant.runs = 64
/// forge-config: default.invariant.depth = 64
contract StakingInvariantTest is StakingFixture {
    StakingHandler internal handler;
    address[] internal holders;

    function setUp() public {
        StakingConfig memory config = _defaultStakingConfig();
        config.unbondingPeriod = 3;
        config.maturityPeriod = 2; // the mock broker's ticket validity: tails end before locks open
        config.minActiveStake = 100 ether;
        deployStaking(config);

        address[] memory orchs = new address[](3);
        address[] memory dels = new address[](4);
        for (uint256 i; i < orchs.length; ++i) {
            orchs[i] = makeAddr(string.concat("orch", vm.toString(i)));
            fundAndBond(orchs[i], 1000 ether, orchs[i]);
            d.token.transfer(orchs[i], 1000 ether);
            holders.push(orchs[i]);
        }
        for (uint256 i; i < dels.length; ++i) {
            dels[i] = makeAddr(string.concat("delegator", vm.toString(i)));
            fund(dels[i], 5000 ether);
            holders.push(dels[i]);
        }
        nextRound();
        handler = new StakingHandler(bm, d.token, d.rounds, broker, faultVerifier, ROUND_LENGTH, orchs, dels);
        handler.setGovernance(address(this)); // the Controller's owner
        holders.push(handler.finder());
        holders.push(handler.puppet());
        holders.push(address(this));
        targetContract(address(handler));
    }

    /// @dev The handler reaches the slashing paths: leaving a frozen pool, self-reporting, and both
    /// escape attempts of the self-bond (refused).
    function test_HandlerReachesTheSlashingPaths() public {
        handler.bond(0, 0, 100 ether); // delegator0 -> orch0
        handler.freeze(0);
        handler.unbond(3, 1 ether); // actor 3 = delegator0
        handler.redelegate(0, 1);
        handler.selfReport(0, 100_000, 500_000);
        handler.escapeSelfBond(1, 2, false);
        handler.escapeSelfBond(2, 1, true);
        assertEq(handler.calls("unbondWhileFrozen"), 1);
        assertEq(handler.calls("redelegateWhileFrozen"), 1);
        assertEq(handler.calls("selfReport"), 1);
        assertEq(handler.calls("escapeRefused"), 2);
        invariant_SelfReportingNeverPays();
        invariant_DelegatorsNeverTrapped();
        invariant_SelfBondNeverEscapes();
        invariant_LptConserved();
    }

    /// @dev The handler reaches a partial slash with a fee tail open (a delegator that left): the
    /// tail's share of the pool's fee weight does not grow (it did before tails scaled with slashes).
    function test_HandlerReachesAPartialSlashWithATailOpen() public {
        handler.bond(0, 0, 100 ether); // delegator0 -> orch0
        for (uint256 i; i < 3; ++i) {
            handler.advanceRound(3);
        }
        handler.unbond(3, 40 ether); // actor 3 = delegator0: a tail of its mature stake
        handler.slash(0, 100_001, 0); // a 10 % cut
        assertEq(handler.calls("slash"), 1);
        assertGt(bm.orchestratorInfo(handler.orchestrators(0)).leavingWeight, 0); // a tail was open
        invariant_PartialSlashKeepsTailShare();
        invariant_LeavingWeightMatchesLocks();
    }

    /// @dev The handler reaches the fee-accounting paths: a governance change of the unbonding period
    /// with fees held across it, a wipe whose tail a delegator's claim turns into a lock (discovered
    /// from the logs), and that lock's withdrawal.
    function test_HandlerReachesTheWipeTailsAndPeriodChanges() public {
        handler.announceCuts(0, 0, 1_000_000); // orch0 shares every fee with its pool
        handler.bond(0, 0, 100 ether); // delegator0 -> orch0
        handler.advanceRound(3);
        handler.advanceRound(1); // the cuts apply, delegator0's stake is mature
        handler.setUnbondingPeriod(5); // up from 3
        handler.setMaturityPeriod(4); // up from 2, with stake queued
        assertEq(bm.maturityPeriod(), 2, "the validity bound follows a full new period later");
        assertEq(handler.calls("setMaturityPeriod"), 1);
        handler.slash(0, 10, 0); // 10 % 10 == 0: a full wipe
        handler.holdFees(0, 1 ether, 0); // tickets of the wipe's round, redeemed after it
        handler.claim(3); // actor 3 = delegator0: its wipe tail becomes a lock
        assertEq(handler.calls("wipe"), 1);
        assertEq(handler.calls("wipeTailOpened"), 1);
        assertEq(handler.openLocks(handler.actor(3)).length, 1);
        for (uint256 i; i < 3; ++i) {
            handler.advanceRound(3);
        }
        handler.withdrawStake(3, 0);
        assertEq(handler.openLocks(handler.actor(3)).length, 0, "withdrawn");
        (,, uint256 fees) = bm.delegatorInfo(handler.actor(3));
        assertGt(fees, 0);
        invariant_LeavingWeightMatchesLocks();
        invariant_NoOneClaimsMoreThanCredited();
        invariant_NoFeeWeightCountedTwice();
    }

    /// @dev An orchestrator reporting its own faults from a second account never gains.
    function invariant_SelfReportingNeverPays() public view {
        assertEq(handler.ghostSelfReportGains(), 0);
    }

    /// @dev A partial slash never moves fee share toward stake that left (its fee tails scale with
    /// the pool), so fees of earlier tickets keep their creation round's split.
    function invariant_PartialSlashKeepsTailShare() public view {
        assertEq(handler.ghostTailShareGrown(), 0);
    }

    /// @dev A delegator is never refused leaving (unbond, redelegate, withdraw) by a freeze.
    function invariant_DelegatorsNeverTrapped() public view {
        assertEq(handler.ghostDelegatorsTrapped(), 0);
    }

    /// @dev The orchestrator's own lock never moves into another pool.
    function invariant_SelfBondNeverEscapes() public view {
        assertEq(handler.ghostEscapes(), 0);
    }

    /// @dev LPT is conserved: bonded (pools) + unbonding (open locks) + liquid = supply.
    function invariant_LptConserved() public view {
        uint256 bonded;
        for (uint256 i; i < handler.orchestratorCount(); ++i) {
            bonded += bm.orchestratorInfo(handler.orchestrators(i)).totalStake;
        }
        uint256 liquid;
        for (uint256 i; i < holders.length; ++i) {
            liquid += d.token.balanceOf(holders[i]);
        }
        assertEq(d.token.balanceOf(address(bm)), bonded + handler.ghostUnbonding(), "bm balance");
        assertEq(bonded + handler.ghostUnbonding() + liquid, d.token.totalSupply(), "supply");
    }

    /// @dev Nobody's fees (booked, pending and withdrawn) exceed what was credited in total.
    function invariant_NoOneClaimsMoreThanCredited() public view {
        uint256 total;
        for (uint256 i; i < handler.actorCount(); ++i) {
            address a = handler.actor(i);
            (,, uint256 fees) = bm.delegatorInfo(a);
            total += fees + handler.ghostFeesWithdrawn(a);
        }
        assertLe(total, handler.ghostFeesCredited());
    }

    /// @dev The active-set totals equal the sum over the active orchestrators, this round and next.
    function invariant_ActiveTotalsMatchSum() public view {
        uint256 r = round();
        for (uint256 k; k < 2; ++k) {
            uint256 stake;
            uint256 count;
            for (uint256 i; i < handler.orchestratorCount(); ++i) {
                address o = handler.orchestrators(i);
                uint256 a = bm.activeStake(o, r + k);
                stake += a;
                if (a != 0) ++count;
                assertTrue((a != 0) == bm.isActiveOrchestrator(o, r + k), "activity");
            }
            assertEq(bm.totalActiveStake(r + k), stake, "stake");
            assertEq(bm.activeOrchestratorCount(r + k), count, "count");
        }
    }

    /// @dev No stake goes negative: every delegator's stake fits in its pool, and the pool's
    /// delegators never hold more than it, slashes included.
    function invariant_NoStakeExceedsItsPool() public view {
        for (uint256 i; i < handler.orchestratorCount(); ++i) {
            address o = handler.orchestrators(i);
            uint256 sum;
            for (uint256 j; j < handler.actorCount(); ++j) {
                (address delegate, uint256 stake,) = bm.delegatorInfo(handler.actor(j));
                if (delegate == o) sum += stake;
            }
            assertLe(sum, bm.orchestratorInfo(o).totalStake, "pool");
        }
    }

    /// @dev Each pool's leaving weight (fee tails) lies between its locks whose tails are surely
    /// still in (left less than a maturity period ago) and all its open locks (expired tails leave lazily, at the pool's next touch).
    function invariant_LeavingWeightMatchesLocks() public view {
        uint256 r = round();
        for (uint256 i; i < handler.orchestratorCount(); ++i) {
            address o = handler.orchestrators(i);
            uint256 pending;
            uint256 open;
            uint256 count;
            for (uint256 j; j < handler.actorCount(); ++j) {
                address a = handler.actor(j);
                uint256[] memory ids = handler.openLocks(a);
                for (uint256 k; k < ids.length; ++k) {
                    (address lo,,,) = bm.lockInfo(a, ids[k]);
                    if (lo != o) continue;
                    uint256 amount = bm.lockWeight(a, ids[k]); // young stake left without a tail
                    open += amount;
                    ++count;
                    if (handler.tailUntil(a, ids[k]) > r) pending += amount;
                }
            }
            uint256 leaving = bm.orchestratorInfo(o).leavingWeight;
            assertLe(pending, leaving, "tails still due");
            // a wipe's tail is in the pool at once, the positions' locks open at their next claims;
            // after a partial slash each lock's weight and the pool's are scaled (floored) apart:
            // a wei of rounding per lock
            assertLe(leaving, open + handler.ghostWipeTails(o) + count, "tails of closed locks");
        }
    }

    /// @dev Review C-1: no token's fee weight counts twice. Every pool's fee weight (mature bonded
    /// stake plus the tails of stake that left) is backed by distinct LPT: summed over all pools it
    /// never exceeds the LPT the BondingManager holds (bonded + unbonding) plus what slashes took
    /// (a tail keeps the weight its stake had when it left, as it should for the tickets created
    /// before, even if that stake was slashed in its new pool since). Measured as if every pool were
    /// touched now (expired tails and matured entries are applied lazily). Before the fix, one
    /// ping-pong doubled a stake's weight.
    function invariant_NoFeeWeightCountedTwice() public {
        uint256 snap = vm.snapshotState();
        uint256 weight;
        uint256 young;
        uint256 bonded;
        for (uint256 i; i < handler.orchestratorCount(); ++i) {
            address o = handler.orchestrators(i);
            bm.checkpoint(o);
            IBondingManagerTypes.OrchestratorView memory v = bm.orchestratorInfo(o);
            weight += v.totalStake - v.youngStake + v.leavingWeight;
            young += v.youngStake;
            bonded += v.totalStake;
        }
        vm.revertToState(snap);
        assertLe(young, bonded, "young within bonded");
        assertLe(weight, bonded + handler.ghostUnbonding() + handler.ghostSlashed(), "fee weight backed once");
    }
}
