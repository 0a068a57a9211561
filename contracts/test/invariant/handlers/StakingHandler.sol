// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {BondingManager} from "../../../src/BondingManager.sol";
import {LivepeerToken} from "../../../src/LivepeerToken.sol";
import {RoundsManager} from "../../../src/RoundsManager.sol";
import {IBondingManagerTypes} from "../../../src/interfaces/IBondingManager.sol";
import {Test} from "../../utils/Test.sol";
import {Vm} from "../../utils/Vm.sol";
import {MockFeeVault} from "../../utils/mocks/MockFeeVault.sol";

/// @notice Drives orchestrators and delegators through the BondingManager (bond, unbond, rebond,
/// withdraw, redelegate, reward, fees, cuts, slashing, rounds) and keeps ghost sums.
contract StakingHandler is Test {
    BondingManager internal immutable bm;
    LivepeerToken internal immutable token;
    RoundsManager internal immutable rounds;
    MockFeeVault internal immutable broker;
    address internal immutable faultVerifier;
    uint256 internal immutable roundLength;

    address[] public orchestrators;
    address[] public delegators;
    address public finder;
    /// @dev A second account of every orchestrator, reporting its faults (self-reporting).
    address public puppet;

    /// @dev Open locks per actor: ids and their LPT (0 for fee-only locks).
    mapping(address actor => uint256[]) internal lockIds;
    /// @notice The round until which a lock's fee tail is surely still in its pool (it left then plus
    /// the maturity period in force; a queue clamp after a shortening only makes it later).
    mapping(address actor => mapping(uint256 lockId => uint256)) public tailUntil;

    uint256 public ghostUnbonding; // LPT in open, non-fee-only locks
    uint256 public ghostFeesCredited; // wei credited through creditFees
    mapping(address actor => uint256) public ghostFeesWithdrawn;
    uint256 public ghostSlashes;
    uint256 public ghostSlashed; // LPT taken by slashes (burned or paid to the finder)
    uint256 public ghostSelfReportGains; // self-reports after which orchestrator + puppet held more
    uint256 public ghostTailShareGrown; // partial slashes after which fee tails held a larger share
    uint256 public ghostDelegatorsTrapped; // a delegator's leave refused because of a freeze
    uint256 public ghostEscapes; // the orchestrator's own lock moved into another pool
    mapping(address orchestrator => uint256) public ghostWipeTails; // fee weight wipes left (see `_noteWipe`)
    address public governance; // the Controller's owner (sets the unbonding period)
    mapping(bytes32 name => uint256) public calls;

    constructor(
        BondingManager bm_,
        LivepeerToken token_,
        RoundsManager rounds_,
        MockFeeVault broker_,
        address faultVerifier_,
        uint256 roundLength_,
        address[] memory orchestrators_,
        address[] memory delegators_
    ) {
        bm = bm_;
        token = token_;
        rounds = rounds_;
        broker = broker_;
        faultVerifier = faultVerifier_;
        roundLength = roundLength_;
        orchestrators = orchestrators_;
        delegators = delegators_;
        finder = makeAddr("finder");
        puppet = makeAddr("puppet");
    }

    // ------------------------------------------------------------------ helpers for the suite

    /// @dev Once, by the suite's setup (the fuzzer calls it too: a no-op then).
    function setGovernance(address governance_) external {
        if (governance == address(0)) governance = governance_;
    }

    function orchestratorCount() external view returns (uint256) {
        return orchestrators.length;
    }

    function delegatorCount() external view returns (uint256) {
        return delegators.length;
    }

    function actor(uint256 i) public view returns (address) {
        uint256 n = orchestrators.length;
        return i < n ? orchestrators[i] : delegators[i - n];
    }

    function actorCount() public view returns (uint256) {
        return orchestrators.length + delegators.length;
    }

    function _anyActor(uint256 seed) internal view returns (address) {
        return actor(seed % actorCount());
    }

    function _orchestrator(uint256 seed) internal view returns (address) {
        return orchestrators[seed % orchestrators.length];
    }

    function _delegator(uint256 seed) internal view returns (address) {
        return delegators[seed % delegators.length];
    }

    function _stake(address who) internal view returns (uint256 stake) {
        (, stake,) = bm.delegatorInfo(who);
    }

    function _frozen(address who) internal view returns (bool) {
        (address current,,) = bm.delegatorInfo(who);
        return current != address(0) && bm.orchestratorInfo(current).freezeCount != 0;
    }

    function _dropLock(address who, uint256 index) internal {
        uint256[] storage ids = lockIds[who];
        ids[index] = ids[ids.length - 1];
        ids.pop();
    }

    // ------------------------------------------------------------------ wipe tails

    /// @dev A slash that wipes a pool leaves each position's mature stake a fee-only lock, opened at
    /// the position's next claim (`WipeTailOpened`): every action records its logs, and those locks
    /// join the actor's open locks (withdrawn like any other).
    modifier discoverWipeTails() {
        vm.recordLogs();
        _;
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (
                logs[i].emitter != address(bm)
                    || logs[i].topics[0] != IBondingManagerTypes.WipeTailOpened.selector
            ) {
                continue;
            }
            address owner = address(uint160(uint256(logs[i].topics[1])));
            (uint256 lockId,, uint256 exitRound) = abi.decode(logs[i].data, (uint256, uint256, uint256));
            lockIds[owner].push(lockId);
            tailUntil[owner][lockId] = exitRound;
            calls["wipeTailOpened"]++;
        }
    }

    /// @dev The fee weight each wipe left in the pool (the pool's mature stake then): until every
    /// position claimed, part of it has no lock yet.
    function _noteWipe(address o, uint256 matureBefore, uint256 poolBefore) internal {
        if (poolBefore != 0 && bm.orchestratorInfo(o).totalStake == 0) {
            ghostWipeTails[o] += matureBefore;
            calls["wipe"]++;
        }
    }

    // ------------------------------------------------------------------ actions

    function bond(uint256 who, uint256 to, uint256 amount) external discoverWipeTails {
        address a = _delegator(who);
        address o = _orchestrator(to);
        uint256 balance = token.balanceOf(a);
        if (balance == 0) return;
        amount = bound(amount, 1, balance);
        (address current,,) = bm.delegatorInfo(a);
        if (current != address(0) && current != o && _stake(a) != 0) {
            // Move first (as `bond` would) so the fee-only lock left behind is tracked.
            vm.prank(a);
            _pushLock(a, bm.redelegate(o));
        }
        vm.prank(a);
        bm.bond(amount, o);
        calls["bond"]++;
    }

    function selfBond(uint256 who, uint256 amount) external discoverWipeTails {
        address o = _orchestrator(who);
        uint256 balance = token.balanceOf(o);
        (address current,,) = bm.delegatorInfo(o);
        if (balance == 0 || current != o) return;
        amount = bound(amount, 1, balance);
        vm.prank(o);
        bm.bond(amount, o);
        calls["selfBond"]++;
    }

    function unbond(uint256 who, uint256 amount) external discoverWipeTails {
        address a = _anyActor(who);
        uint256 stake = _stake(a);
        if (stake == 0) return;
        amount = bound(amount, 1, stake);
        bool frozen = _frozen(a);
        vm.prank(a);
        uint256 id;
        try bm.unbond(amount) returns (uint256 id_) {
            id = id_;
        } catch (bytes memory reason) {
            _noteTrapped(reason);
            return;
        }
        if (frozen) calls["unbondWhileFrozen"]++;
        _pushLock(a, id);
        ghostUnbonding += amount;
        calls["unbond"]++;
    }

    function rebond(uint256 who, uint256 lockSeed) external discoverWipeTails {
        address a = _anyActor(who);
        uint256[] storage ids = lockIds[a];
        if (ids.length == 0) return;
        uint256 index = lockSeed % ids.length;
        (address o, uint256 amount,, bool feeOnly) = bm.lockInfo(a, ids[index]);
        (address current,,) = bm.delegatorInfo(a);
        if (feeOnly || o == address(0)) return;
        if (current != a && !bm.isOrchestrator(current)) return;
        vm.prank(a);
        bm.rebond(ids[index]);
        ghostUnbonding -= amount;
        _dropLock(a, index);
        calls["rebond"]++;
    }

    function withdrawStake(uint256 who, uint256 lockSeed) external discoverWipeTails {
        address a = _anyActor(who);
        uint256[] storage ids = lockIds[a];
        if (ids.length == 0) return;
        uint256 index = lockSeed % ids.length;
        (address o, uint256 amount, uint256 r, bool feeOnly) = bm.lockInfo(a, ids[index]);
        if (o == address(0) || r > rounds.currentRound()) return;
        // a pending challenge holds only the orchestrator's own lock
        if (o == a && bm.orchestratorInfo(o).freezeCount != 0) return;
        vm.prank(a);
        try bm.withdrawStake(ids[index]) {}
        catch (bytes memory reason) {
            _noteTrapped(reason);
            return;
        }
        if (!feeOnly) ghostUnbonding -= amount;
        _dropLock(a, index);
        calls["withdrawStake"]++;
    }

    function redelegate(uint256 who, uint256 to) external discoverWipeTails {
        address a = _delegator(who);
        address o = _orchestrator(to);
        (address current,,) = bm.delegatorInfo(a);
        if (current == o || _stake(a) == 0) return;
        if (_frozen(a)) calls["redelegateWhileFrozen"]++;
        vm.prank(a);
        try bm.redelegate(o) returns (uint256 id) {
            _pushLock(a, id);
        } catch (bytes memory reason) {
            _noteTrapped(reason);
            return;
        }
        calls["redelegate"]++;
    }

    /// @dev A third party tops up a delegator (review L-3: it may not delay the owner's young stake).
    function bondFor(uint256 payer, uint256 who, uint256 amount) external discoverWipeTails {
        address p = _anyActor(payer);
        address a = _delegator(who);
        (address current,,) = bm.delegatorInfo(a);
        uint256 balance = token.balanceOf(p);
        if (current == address(0) || balance == 0 || p == a) return;
        amount = bound(amount, 1, balance);
        vm.prank(p);
        token.approve(address(bm), amount);
        vm.prank(p);
        try bm.bondFor(amount, a) {
            calls["bondFor"]++;
        } catch (bytes memory reason) {
            // the only expected refusal: the owner's young stake would be delayed
            // forge-lint: disable-next-line(unsafe-typecast)
            require(bytes4(reason) == IBondingManagerTypes.YoungStakePending.selector, "bondFor reverted");
            calls["bondForRefused"]++;
        }
    }

    /// @dev Ping-pongs a delegator between two pools within the round (review C-1).
    function pingPong(uint256 who, uint256 to) external discoverWipeTails {
        address a = _delegator(who);
        address o = _orchestrator(to);
        (address current,,) = bm.delegatorInfo(a);
        if (current == o || current == address(0) || _stake(a) == 0) return;
        if (!bm.isOrchestrator(o) || !bm.isOrchestrator(current)) return;
        vm.prank(a);
        _pushLock(a, bm.redelegate(o));
        vm.prank(a);
        _pushLock(a, bm.redelegate(current));
        calls["pingPong"]++;
    }

    function _pushLock(address a, uint256 id) internal {
        if (id == type(uint256).max) return;
        lockIds[a].push(id);
        tailUntil[a][id] = rounds.currentRound() + bm.maturityPeriod();
    }

    function reward(uint256 who) external discoverWipeTails {
        address o = _orchestrator(who);
        uint256 r = rounds.currentRound();
        if (!bm.isOrchestrator(o) || !bm.isActiveOrchestrator(o, r)) return;
        if (bm.orchestratorInfo(o).lastRewardRound == r) return;
        vm.prank(o);
        bm.reward();
        calls["reward"]++;
    }

    function creditFees(uint256 who, uint256 amount, uint256 back) external discoverWipeTails {
        address o = _orchestrator(who);
        uint256 r = rounds.currentRound();
        back = bound(back, 0, r > 3 ? 3 : r - 1);
        amount = bound(amount, 1, 10 ether);
        broker.credit(o, amount, r - back);
        ghostFeesCredited += amount;
        calls["creditFees"]++;
    }

    /// @dev A redemption's fee path: the vault holds the fees and notes them; the next touch of the
    /// pool (any other action) takes and credits them.
    function holdFees(uint256 who, uint256 amount, uint256 back) external discoverWipeTails {
        address o = _orchestrator(who);
        uint256 r = rounds.currentRound();
        back = bound(back, 0, r > 3 ? 3 : r - 1);
        if (!bm.isActiveOrchestrator(o, r - back)) return;
        amount = bound(amount, 1, 10 ether);
        broker.hold(o, amount, r - back);
        ghostFeesCredited += amount;
        calls["holdFees"]++;
    }

    function claim(uint256 who) external discoverWipeTails {
        address a = _anyActor(who);
        (address current,,) = bm.delegatorInfo(a);
        if (current == address(0)) return;
        vm.prank(a);
        bm.claimEarnings();
        calls["claim"]++;
    }

    function withdrawFees(uint256 who, uint256 amount) external discoverWipeTails {
        address a = _anyActor(who);
        (,, uint256 fees) = bm.delegatorInfo(a);
        if (fees == 0) return;
        amount = bound(amount, 1, fees);
        vm.prank(a);
        bm.withdrawFees(payable(a), amount);
        ghostFeesWithdrawn[a] += amount;
        calls["withdrawFees"]++;
    }

    function announceCuts(uint256 who, uint256 rewardCut, uint256 feeShare) external discoverWipeTails {
        address o = _orchestrator(who);
        if (!bm.isOrchestrator(o)) return;
        vm.prank(o);
        bm.announceCuts(bound(rewardCut, 0, 1_000_000), bound(feeShare, 0, 1_000_000));
        calls["announceCuts"]++;
    }

    function slash(uint256 who, uint256 penaltyPpm, uint256 finderFeePpm) external discoverWipeTails {
        address o = _orchestrator(who);
        // Mostly partial cuts; now and then a full wipe.
        penaltyPpm = penaltyPpm % 10 == 0 ? 1_000_000 : bound(penaltyPpm, 0, 500_000);
        bm.checkpoint(o); // the tails and entries due now, as the slash's own touch would
        IBondingManagerTypes.OrchestratorView memory v = bm.orchestratorInfo(o);
        uint256 poolBefore = v.totalStake;
        vm.prank(faultVerifier);
        (uint256 slashed,) = bm.slash(o, penaltyPpm, finder, bound(finderFeePpm, 0, 1_000_000));
        IBondingManagerTypes.OrchestratorView memory w = bm.orchestratorInfo(o);
        // the rest of the slash came out of the orchestrator's self-unbonding lock (review H-4)
        ghostUnbonding -= slashed - (poolBefore - w.totalStake);
        _checkTailShare(v, w);
        ghostSlashes++;
        ghostSlashed += slashed;
        _noteWipe(o, v.totalStake - v.youngStake, poolBefore);
        calls["slash"]++;
    }

    /// @dev The orchestrator reports its own fault from its puppet: together they never gain.
    function selfReport(uint256 who, uint256 penaltyPpm, uint256 finderFeePpm) external discoverWipeTails {
        address o = _orchestrator(who);
        uint256 before = _ownWealth(o);
        IBondingManagerTypes.OrchestratorView memory v = bm.orchestratorInfo(o);
        uint256 poolBefore = v.totalStake;
        vm.prank(faultVerifier);
        (uint256 slashed,) =
            bm.slash(o, bound(penaltyPpm, 1, 1_000_000), puppet, bound(finderFeePpm, 0, 1_000_000));
        ghostUnbonding -= slashed - (poolBefore - bm.orchestratorInfo(o).totalStake);
        ghostSlashes++;
        ghostSlashed += slashed;
        _noteWipe(o, v.totalStake - v.youngStake, poolBefore);
        if (_ownWealth(o) > before) ghostSelfReportGains++;
        calls["selfReport"]++;
    }

    /// @dev A partial slash never moves fee share toward the pool's tails (fees of tickets created
    /// before it keep their split): tails / mature stake after is at most what it was before, to the
    /// tail factor's precision (1e-12 here). Only the orchestrator's own lock may lose share.
    function _checkTailShare(
        IBondingManagerTypes.OrchestratorView memory v,
        IBondingManagerTypes.OrchestratorView memory w
    ) internal {
        if (w.totalStake == 0) return; // a wipe: the stayers became a tail themselves
        uint256 m0 = v.totalStake - v.youngStake;
        uint256 m1 = w.totalStake - w.youngStake;
        if (w.leavingWeight * m0 > v.leavingWeight * m1 + m0 * (v.leavingWeight / 1e12 + 2)) {
            ghostTailShareGrown++;
        }
    }

    /// @dev The orchestrator's LPT: stake, self-unbonding lock, wallet, and its puppet's wallet.
    function _ownWealth(address o) internal view returns (uint256) {
        uint256 lock = bm.slashableStakeOf(o) - bm.orchestratorInfo(o).totalStake;
        return _stake(o) + lock + token.balanceOf(o) + token.balanceOf(puppet);
    }

    /// @dev The escape paths of the self-bond: unbond everything, then try to move the lock into
    /// another pool (`rebondFromUnbonded`, or `bond(0, other)` + `rebond`). Both must fail; the lock
    /// goes back into the orchestrator's own pool.
    function escapeSelfBond(uint256 who, uint256 to, bool viaBondZero) external discoverWipeTails {
        address o = _orchestrator(who);
        address other = _orchestrator(to);
        (address current,,) = bm.delegatorInfo(o);
        uint256 stake = _stake(o);
        if (o == other || current != o || stake == 0 || !bm.isOrchestrator(other)) return;
        if (bm.slashableStakeOf(o) != bm.orchestratorInfo(o).totalStake) return; // a self lock is open
        vm.prank(o);
        uint256 id = bm.unbond(stake);
        bool escaped;
        if (viaBondZero) {
            vm.prank(o);
            bm.bond(0, other);
            vm.prank(o);
            try bm.rebond(id) {
                escaped = true;
            } catch {}
        } else {
            vm.prank(o);
            try bm.rebondFromUnbonded(other, id) {
                escaped = true;
            } catch {}
        }
        if (escaped) {
            ghostEscapes++; // the lock is bonded in `other` now
            return;
        }
        vm.prank(o);
        bm.rebondFromUnbonded(o, id);
        calls["escapeRefused"]++;
    }

    function _noteTrapped(bytes memory reason) internal {
        // forge-lint: disable-next-line(unsafe-typecast)
        if (reason.length >= 4 && bytes4(reason) == IBondingManagerTypes.StakeFrozen.selector) {
            ghostDelegatorsTrapped++;
        }
    }

    function freeze(uint256 who) external discoverWipeTails {
        address o = _orchestrator(who);
        if (bm.orchestratorInfo(o).freezeCount >= 2) return;
        vm.prank(faultVerifier);
        bm.freezeStake(o);
        calls["freeze"]++;
    }

    function unfreeze(uint256 who) external discoverWipeTails {
        address o = _orchestrator(who);
        if (bm.orchestratorInfo(o).freezeCount == 0) return;
        vm.prank(faultVerifier);
        bm.unfreezeStake(o);
        calls["unfreeze"]++;
    }

    function advanceRound(uint256 n) external discoverWipeTails {
        n = bound(n, 1, 3);
        vm.roll(rounds.currentRoundStartBlock() + n * roundLength);
        calls["advanceRound"]++;
    }

    /// @dev Governance changes the unbonding period (review: it must never move fees held across
    /// the change between delegators): anywhere the ticket validity and challenge window allow.
    function setUnbondingPeriod(uint256 period) external discoverWipeTails {
        period = bound(period, bm.maturityPeriod(), 8); // (read before the prank, which the next call takes)
        vm.prank(governance);
        bm.setUnbondingPeriod(period);
        calls["setUnbondingPeriod"]++;
    }

    /// @dev Between the ticket validity and the unbonding period, up or down, with stake queued.
    function setMaturityPeriod(uint256 period) external discoverWipeTails {
        period = bound(period, broker.ticketValidityPeriod(), bm.unbondingPeriod());
        vm.prank(governance);
        bm.setMaturityPeriod(period);
        calls["setMaturityPeriod"]++;
    }

    // ------------------------------------------------------------------ ghost reads

    function openLocks(address a) external view returns (uint256[] memory) {
        return lockIds[a];
    }
}
