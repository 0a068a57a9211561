// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IActiveSetView} from "./IActiveSetView.sol";
import {IFeeIntake} from "./IFeeIntake.sol";
import {IStakeSlasher} from "./IStakeSlasher.sol";
import {IUnbondingPeriod} from "./IUnbondingPeriod.sol";

/// @title IBondingManagerTypes
/// @notice The view struct, events and errors of the {IBondingManager}, apart so that the contracts
/// sharing its storage code (the BondingManager and its admin extension) can use them.
interface IBondingManagerTypes {
    /// @notice What an orchestrator's pool looks like now.
    struct OrchestratorView {
        bool registered;
        uint256 totalStake;
        uint256 leavingWeight;
        uint256 rewardCut;
        uint256 feeShare;
        uint256 nextRewardCut;
        uint256 nextFeeShare;
        uint256 cutEffectiveRound;
        uint256 lastRewardRound;
        uint256 delegatorCount;
        uint256 freezeCount;
        uint256 youngStake; // part of `totalStake` that entered less than an unbonding period ago
    }

    // ------------------------------------------------------------------ events

    /// @notice Stake was bonded.
    /// @param delegator The delegator.
    /// @param orchestrator The orchestrator.
    /// @param payer Who paid the LPT (the delegator, or a third party).
    /// @param amount The amount (LPT, or wei for fees).
    event Bonded(address indexed delegator, address indexed orchestrator, address payer, uint256 amount);
    /// @notice Stake moved from one orchestrator to another.
    /// @param delegator The delegator.
    /// @param from The orchestrator it left.
    /// @param to The orchestrator (or fee recipient) it went to.
    /// @param amount The amount (LPT, or wei for fees).
    event Redelegated(address indexed delegator, address indexed from, address indexed to, uint256 amount);
    /// @notice Stake was unbonded into lock `lockId`.
    /// @param delegator The delegator.
    /// @param orchestrator The orchestrator.
    /// @param lockId The lock.
    /// @param amount The amount (LPT, or wei for fees).
    /// @param withdrawRound The round it becomes withdrawable.
    event Unbonded(
        address indexed delegator,
        address indexed orchestrator,
        uint256 lockId,
        uint256 amount,
        uint256 withdrawRound
    );
    /// @notice Lock `lockId` was bonded again to `orchestrator`.
    /// @param delegator The delegator.
    /// @param orchestrator The orchestrator.
    /// @param lockId The lock.
    /// @param amount The amount (LPT, or wei for fees).
    event Rebonded(address indexed delegator, address indexed orchestrator, uint256 lockId, uint256 amount);
    /// @notice Lock `lockId` was closed: `amount` LPT returned and `fees` booked to the delegator.
    /// @param delegator The delegator.
    /// @param lockId The lock.
    /// @param amount The amount (LPT, or wei for fees).
    /// @param fees Fees booked, in wei.
    event StakeWithdrawn(address indexed delegator, uint256 lockId, uint256 amount, uint256 fees);
    /// @notice A delegator's earnings were claimed into its stake (`stake` after) and fee balance
    /// (emitted when a claim changed something).
    /// @param delegator The delegator.
    /// @param orchestrator The orchestrator.
    /// @param stake The stake after the claim.
    /// @param fees Fees booked, in wei.
    event EarningsClaimed(
        address indexed delegator, address indexed orchestrator, uint256 stake, uint256 fees
    );
    /// @notice Fees were paid out of the TicketBroker to `to`.
    /// @param delegator The delegator.
    /// @param to The orchestrator (or fee recipient) it went to.
    /// @param amount The amount (LPT, or wei for fees).
    event FeesWithdrawn(address indexed delegator, address indexed to, uint256 amount);
    /// @notice A first self-bond made `orchestrator` an orchestrator.
    /// @param orchestrator The orchestrator.
    event OrchestratorRegistered(address indexed orchestrator);
    /// @notice New cuts were announced, in force from `effectiveRound`.
    /// @param orchestrator The orchestrator.
    /// @param rewardCut Parts per million of rewards the orchestrator keeps.
    /// @param feeShare Parts per million of fees that go to the pool.
    /// @param effectiveRound The first round the cuts are in force.
    event CutsAnnounced(
        address indexed orchestrator, uint256 rewardCut, uint256 feeShare, uint256 effectiveRound
    );
    /// @notice Cuts came into force in `round` (emitted at the first touch of the pool from then on).
    /// @param orchestrator The orchestrator.
    /// @param rewardCut Parts per million of rewards the orchestrator keeps.
    /// @param feeShare Parts per million of fees that go to the pool.
    /// @param round The round.
    event CutsApplied(address indexed orchestrator, uint256 rewardCut, uint256 feeShare, uint256 round);
    /// @notice The stake `orchestrator` counts in the active set from `round` changed (0: inactive).
    /// @param orchestrator The orchestrator.
    /// @param activeStake LPT counted (0: inactive).
    /// @param round The round.
    event ActiveStakeChanged(address indexed orchestrator, uint256 activeStake, uint256 round);
    /// @notice `orchestrator` minted its rewards for `round`.
    /// @param orchestrator The orchestrator.
    /// @param round The round.
    /// @param amount The amount (LPT, or wei for fees).
    /// @param orchestratorCut The part that went to the orchestrator.
    event Reward(address indexed orchestrator, uint256 round, uint256 amount, uint256 orchestratorCut);
    /// @notice Fees of tickets created in `creationRound` were credited to `orchestrator`'s pool.
    /// @param orchestrator The orchestrator.
    /// @param creationRound The tickets' creation round.
    /// @param amount The amount (LPT, or wei for fees).
    /// @param orchestratorCut The part that went to the orchestrator.
    event FeesCredited(
        address indexed orchestrator, uint256 creationRound, uint256 amount, uint256 orchestratorCut
    );
    /// @notice `orchestrator`'s pool was slashed by `penalty`; `finderFee` went to `finder`, the rest
    /// was burned.
    /// @param orchestrator The orchestrator.
    /// @param finder Who receives the finder fee.
    /// @param penalty LPT removed from the pool.
    /// @param finderFee LPT paid to the finder.
    event Slashed(address indexed orchestrator, address indexed finder, uint256 penalty, uint256 finderFee);
    /// @notice A slash wiped `orchestrator`'s pool; `delegator`'s mature stake at the wipe keeps its
    /// fee share (for the tickets created before) as fee-only lock `lockId` until `round`, like an
    /// unbond. Opened at the delegator's first claim after the wipe; `withdrawStake` collects it.
    /// @param delegator The owner of the wiped position.
    /// @param orchestrator The orchestrator of the wiped pool.
    /// @param lockId The fee-only lock.
    /// @param weight Its fee weight: the position's mature stake when the pool was wiped.
    /// @param round The round the lock leaves the pool's fees and can be withdrawn.
    event WipeTailOpened(
        address indexed delegator, address indexed orchestrator, uint256 lockId, uint256 weight, uint256 round
    );
    /// @notice The withdrawal of `orchestrator`'s own unbonding lock was frozen (`count` open freezes).
    /// @param orchestrator The orchestrator.
    /// @param count Open freezes.
    event Frozen(address indexed orchestrator, uint256 count);
    /// @notice A freeze was lifted (`count` still open).
    /// @param orchestrator The orchestrator.
    /// @param count Open freezes.
    event Unfrozen(address indexed orchestrator, uint256 count);
    /// @notice Governance set the unbonding period.
    /// @param unbondingPeriod Rounds.
    event UnbondingPeriodSet(uint256 unbondingPeriod);
    /// @notice The fee tail of `delegator`'s lock `lockId` was paid up to now (before a slash of
    /// the orchestrator's own lock cuts its weight); the lock's withdrawal pays only what follows.
    /// @param delegator The lock's owner (the orchestrator).
    /// @param lockId The lock.
    /// @param fees ETH wei booked to `delegator`'s fees.
    event LockFeesPaid(address indexed delegator, uint256 lockId, uint256 fees);
    /// @notice Governance set the maturity period.
    /// @param maturityPeriod Rounds.
    event MaturityPeriodSet(uint256 maturityPeriod);
    /// @notice Governance set the minimum active stake.
    /// @param minActiveStake LPT.
    event MinActiveStakeSet(uint256 minActiveStake);
    /// @notice Governance dropped the cached current round.
    event RoundCacheReset();

    // ------------------------------------------------------------------ errors

    /// @notice The BondingManager was constructed with an admin extension that has no code.
    /// @param admin The address given as the admin.
    error AdminWithoutCode(address admin);
    /// @notice The BondingManager was constructed with an admin extension built for another
    /// Controller (the admin of another deployment).
    /// @param admin The address given as the admin.
    /// @param adminController The Controller the admin answers to.
    /// @param controller The Controller of this BondingManager.
    error AdminOfOtherController(address admin, address adminController, address controller);

    /// @notice A zero amount was given where a positive one is needed.
    error ZeroAmount();
    /// @notice `account` is not a registered orchestrator (nor the caller itself).
    /// @param account The address.
    error NotOrchestrator(address account);
    /// @notice `account` has no delegate, so nobody may bond on its behalf.
    /// @param account The address.
    error NotDelegated(address account);
    /// @notice The request needs `want` bonded stake; there is `have`.
    /// @param have What there is.
    /// @param want What was asked for.
    error InsufficientStake(uint256 have, uint256 want);
    /// @notice A third party can't bond for `owner` while `owner` has young stake maturing at
    /// `maturityRound`: it would delay it (review L-3). Retry from that round, or the owner bonds.
    /// @param owner The delegator.
    /// @param maturityRound When its young stake matures.
    error YoungStakePending(address owner, uint256 maturityRound);
    /// @notice The lock does not exist or is already closed.
    /// @param lockId The lock.
    error UnknownLock(uint256 lockId);
    /// @notice The lock only becomes withdrawable in `withdrawRound`.
    /// @param lockId The lock.
    /// @param withdrawRound The round it becomes withdrawable.
    error LockNotWithdrawable(uint256 lockId, uint256 withdrawRound);
    /// @notice The lock's stake moved to another orchestrator; it only carries fees.
    /// @param lockId The lock.
    error FeeOnlyLock(uint256 lockId);
    /// @notice `orchestrator`'s own lock is frozen by an open challenge against it.
    /// @param orchestrator The orchestrator.
    error StakeFrozen(address orchestrator);
    /// @notice `orchestrator`'s pool is not frozen.
    /// @param orchestrator The orchestrator.
    error NotFrozen(address orchestrator);

    /// @notice An orchestrator's self-bond can't be redelegated: it leaves only by unbonding, through
    /// a lock that stays slashable until withdrawn.
    /// @param orchestrator The orchestrator.
    error SelfBondLocked(address orchestrator);

    /// @notice The orchestrator already has an open unbonding lock of its self-bond: withdraw or
    /// rebond it first (one slashable self-unbonding lock at a time).
    /// @param lockId The open lock.
    error SelfUnbondingPending(uint256 lockId);

    /// @notice The unbonding period would fall below the maturity period or not exceed the
    /// FaultVerifier's challenge window.
    /// @param unbondingPeriod The period asked for.
    /// @param minimum The least period the registered contracts allow.
    error UnbondingPeriodTooShort(uint256 unbondingPeriod, uint256 minimum);
    /// @notice The maturity period must be at least 1 round, at least the TicketBroker's ticket
    /// validity period (fee-theft guard) and at most the unbonding period.
    /// @param maturityPeriod The period asked for.
    /// @param minimum The least period allowed.
    /// @param maximum The longest period allowed (the unbonding period).
    error InvalidMaturityPeriod(uint256 maturityPeriod, uint256 minimum, uint256 maximum);
    /// @notice The last change of the maturity period is still running its course (a shortening
    /// declining, or a lengthening not yet in force for the ticket validity) until `round`.
    /// @param round The first round in which it may change again.
    error MaturityChangePending(uint256 round);
    /// @notice The caller still has `stake` bonded (rebond from unbonded needs none).
    /// @param stake The stake after the claim.
    error StillBonded(uint256 stake);
    /// @notice The caller is already delegated to `orchestrator`.
    /// @param orchestrator The orchestrator.
    error AlreadyDelegated(address orchestrator);
    /// @notice A cut above `PPM` was given.
    /// @param value The rejected value.
    error InvalidCut(uint256 value);
    /// @notice `orchestrator` is not active in `round`.
    /// @param orchestrator The orchestrator.
    /// @param round The round.
    error NotActive(address orchestrator, uint256 round);
    /// @notice `orchestrator` already minted its rewards in `round`.
    /// @param orchestrator The orchestrator.
    /// @param round The round.
    error AlreadyRewarded(address orchestrator, uint256 round);
    /// @notice Fees were credited for a round after the current one.
    /// @param creationRound The tickets' creation round.
    /// @param currentRound The current round.
    error FutureCreationRound(uint256 creationRound, uint256 currentRound);
    /// @notice A fee withdrawal of `want` exceeds the `have` available.
    /// @param have What there is.
    /// @param want What was asked for.
    error InsufficientFees(uint256 have, uint256 want);
    /// @notice A penalty or finder fee above `PPM` was given.
    /// @param value The rejected value.
    error InvalidPenalty(uint256 value);
    /// @notice The unbonding period must be between 1 and `MAX_UNBONDING_PERIOD` rounds.
    /// @param unbondingPeriod Rounds.
    error InvalidUnbondingPeriod(uint256 unbondingPeriod);
    /// @notice The stake or totals of `round` are no longer kept (only the current round, the next,
    /// and back to the last change are; whether an orchestrator was active is kept for every round).
    /// @param round The round.
    error HistoryUnavailable(uint256 round);
    /// @notice The minimum active stake must be positive.
    /// @param minActiveStake LPT.
    error InvalidMinActiveStake(uint256 minActiveStake);
}

/// @title IBondingManager
/// @notice Staking and delegation of LPT. An address bonded to itself is an orchestrator; bonded to
/// another it is a delegator. Orchestrators whose pool (own + delegated stake) reaches
/// `minActiveStake` are active from the next round, with no cap on their number. Rewards (minted per
/// round by `reward`) and fees (credited by the TicketBroker) are split by `rewardCut` and
/// `feeShare`; everyone's earnings are O(1) to claim through cumulative per-pool factors, and every
/// stake change claims first. Changes to the cuts take effect only after the unbonding period.
/// @dev Round-scoped values (active stake, totals) change from the *next* round: what counts in the
/// current round is fixed at its start. All amounts are LPT wei unless said otherwise; fees are ETH
/// wei, held by the TicketBroker (`IFeeVault`) until withdrawn.
interface IBondingManager is
    IBondingManagerTypes,
    IFeeIntake,
    IActiveSetView,
    IStakeSlasher,
    IUnbondingPeriod
{
    // ------------------------------------------------------------------ moving stake

    /// @notice Bonds `amount` of the caller's LPT to `to`: to itself to become (or stay) an
    /// orchestrator, to a registered orchestrator to delegate. If the caller is delegated elsewhere,
    /// its whole stake moves to `to` as by `redelegate`. Claims earnings first.
    /// @param amount LPT to pull from the caller (may be zero when only moving).
    /// @param to The orchestrator.
    function bond(uint256 amount, address to) external;

    /// @notice Bonds `amount` of the caller's LPT on behalf of `owner`, to `owner`'s current
    /// delegate. Never sets or changes anyone's delegate.
    /// @param amount LPT to pull from the caller.
    /// @param owner The delegator credited; must already have a delegate.
    function bondFor(uint256 amount, address owner) external;

    /// @notice Moves the caller's whole bonded stake to `to`, instantly. The old pool keeps its
    /// mature part as fee-sharing weight until the unbonding period ends (a fee-only lock, see
    /// `withdrawStake`). In the new pool the stake is young for an unbonding period.
    /// @param to A registered orchestrator, or the caller itself.
    /// @return lockId The fee-only lock left in the old pool (`type(uint256).max` if the stake was
    /// all young: young stake leaves no fee tail).
    function redelegate(address to) external returns (uint256 lockId);

    /// @notice Unbonds `amount` of the caller's stake (young stake first) into a lock withdrawable
    /// after `unbondingPeriod` rounds. Until then its mature part still shares the pool's fees (not
    /// rewards); young stake shares nothing.
    /// @param amount LPT to unbond.
    /// @return lockId The caller's new lock.
    function unbond(uint256 amount) external returns (uint256 lockId);

    /// @notice Bonds lock `lockId` again, to the caller's current delegate.
    /// @param lockId The lock.
    function rebond(uint256 lockId) external;

    /// @notice Bonds lock `lockId` to `to` when the caller has no stake bonded.
    /// @param to A registered orchestrator, or the caller itself.
    /// @param lockId The lock.
    function rebondFromUnbonded(address to, uint256 lockId) external;

    /// @notice Closes lock `lockId` once withdrawable: returns its LPT and books its fees.
    /// @param lockId The lock.
    function withdrawStake(uint256 lockId) external;

    // ------------------------------------------------------------------ earnings

    /// @notice Claims the caller's rewards (into its stake) and fees (into its fee balance).
    function claimEarnings() external;

    /// @notice Pays `amount` of the caller's fee balance to `to`, out of the TicketBroker.
    /// @param to The recipient.
    /// @param amount Wei.
    function withdrawFees(address payable to, uint256 amount) external;

    /// @notice Announces new cuts for the caller's pool. They take effect `unbondingPeriod` rounds
    /// from now, or from the next round while nobody else is delegated to the caller and no stake
    /// that left its pool still shares its fees.
    /// @param rewardCut PPM of rewards the orchestrator keeps.
    /// @param feeShare PPM of fees that go to the pool (the rest to the orchestrator).
    function announceCuts(uint256 rewardCut, uint256 feeShare) external;

    /// @notice Mints the caller's rewards for the current round (once per round, active
    /// orchestrators only) and compounds them into its pool.
    /// @return amount LPT minted.
    function reward() external returns (uint256 amount);

    /// @notice Brings `orchestrator`'s pool up to date: applies cuts whose round came, drops expired
    /// fee tails, and re-evaluates its activity against the current `minActiveStake`. Anyone.
    /// @param orchestrator The orchestrator.
    function checkpoint(address orchestrator) external;

    // ------------------------------------------------------------------ fault verifier

    // slash, freezeStake, unfreezeStake, totalStakeOf, slashableStakeOf: see {IStakeSlasher}. A
    // freeze holds only the orchestrator's own unbonding lock (no withdrawal while a challenge is
    // pending); delegators always leave, a freeze or not.

    // ------------------------------------------------------------------ governance

    /// @notice Sets the unbonding period in rounds (1 to `MAX_UNBONDING_PERIOD`, at least the
    /// maturity period, above the FaultVerifier's challenge window): how long an unbonding lock
    /// waits before it can be withdrawn, during which the orchestrator's own lock stays slashable.
    /// Only governance.
    /// @param unbondingPeriod_ Rounds.
    function setUnbondingPeriod(uint256 unbondingPeriod_) external;

    /// @notice Sets the maturity period in rounds (at least the TicketBroker's ticket validity
    /// period, at most the unbonding period): stake that enters a pool earns neither fees nor
    /// rewards for this long, and stake that leaves keeps its fee share for this long. Only
    /// governance. See docs/staking.md for why the ticket validity period is its lower bound.
    /// @param maturityPeriod_ Rounds.
    function setMaturityPeriod(uint256 maturityPeriod_) external;

    /// @notice Sets the minimum pool stake to be active. Applies to each orchestrator at its next
    /// touch (any stake change, reward, or `checkpoint`). Only governance.
    /// @param minActiveStake_ LPT, positive.
    function setMinActiveStake(uint256 minActiveStake_) external;

    /// @notice Drops the cached current round (the BondingManager asks the RoundsManager once per
    /// round). For governance after replacing or upgrading the RoundsManager. Only governance.
    function resetRoundCache() external;

    // ------------------------------------------------------------------ views

    // activeStake, totalActiveStake: see {IActiveSetView}. Exact for the current and next round
    // and back to the pool's last change; `activeStake` reverts with `HistoryUnavailable` for an
    // older round in which the orchestrator was active.

    /// @notice The number of active orchestrators in `round` (current, next, or back to the last
    /// activation or deactivation).
    /// @param round The round.
    /// @return The count.
    function activeOrchestratorCount(uint256 round) external view returns (uint256);

    /// @notice `delegator`'s delegate, stake including unclaimed rewards, and fees (claimed and not,
    /// excluding fees of open locks, booked when they close).
    /// @param delegator The delegator.
    /// @return delegate Its orchestrator (zero if never bonded).
    /// @return stake Its stake now.
    /// @return fees Wei it can withdraw after a claim.
    function delegatorInfo(address delegator)
        external
        view
        returns (address delegate, uint256 stake, uint256 fees);

    /// @notice `delegator`'s earnings not yet claimed: rewards (stake growth) and fees.
    /// @param delegator The delegator.
    /// @return rewards LPT its stake grew by since its last claim.
    /// @return fees Wei earned since its last claim.
    function pendingEarnings(address delegator) external view returns (uint256 rewards, uint256 fees);

    /// @notice Whether `account` is a registered orchestrator (bonded to itself).
    /// @param account The address.
    /// @return True if registered.
    function isOrchestrator(address account) external view returns (bool);

    /// @notice The state of `orchestrator`'s pool; cuts are those in force in the current round.
    /// @param orchestrator The orchestrator.
    /// @return The pool.
    function orchestratorInfo(address orchestrator) external view returns (OrchestratorView memory);

    /// @notice Lock `lockId` of `delegator` (all zero once closed).
    /// @param delegator The owner.
    /// @param lockId The lock.
    /// @return orchestrator The pool it left.
    /// @return amount LPT (fee weight only, if `feeOnly`).
    /// @return round The round it becomes withdrawable and leaves the pool's fee weight.
    /// @return feeOnly Whether it holds no LPT (left by a redelegation).
    function lockInfo(address delegator, uint256 lockId)
        external
        view
        returns (address orchestrator, uint256 amount, uint256 round, bool feeOnly);

    /// @notice The fee weight of lock `lockId` of `delegator` until its round: its mature part
    /// (young stake that left has no fee tail), scaled by the partial slashes of the pool since it
    /// left (a fee tail shrinks with the pool, so fees of earlier tickets keep their split).
    /// @param delegator The owner.
    /// @param lockId The lock.
    /// @return LPT of fee weight.
    function lockWeight(address delegator, uint256 lockId) external view returns (uint256);

    /// @notice The minimum pool stake to be active.
    /// @return LPT.
    function minActiveStake() external view returns (uint256);
}
