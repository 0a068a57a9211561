// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controlled} from "./Controlled.sol";
import {TicketBrokerState} from "./TicketBrokerState.sol";
import {IActiveSetView} from "./interfaces/IActiveSetView.sol";
import {IBrokerSuccessor} from "./interfaces/IBrokerSuccessor.sol";
import {IController} from "./interfaces/IController.sol";
import {IFeeIntake} from "./interfaces/IFeeIntake.sol";
import {IFeeVault} from "./interfaces/IFeeVault.sol";
import {IRetiredTicketBroker} from "./interfaces/IRetiredTicketBroker.sol";
import {IRoundsManager} from "./interfaces/IRoundsManager.sol";
import {ITicketBroker} from "./interfaces/ITicketBroker.sol";
import {IUnbondingPeriod} from "./interfaces/IUnbondingPeriod.sol";
import {ContractIds} from "./libraries/ContractIds.sol";
import {ReserveLib} from "./libraries/ReserveLib.sol";
import {TicketLib} from "./libraries/TicketLib.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title TicketBroker
/// @notice Probabilistic micropayments with deposits, reserves and batched redemption. See
/// {ITicketBroker} and `docs/ticket-broker.md`.
/// @dev Gas: a sender's deposit, reserve and unlock round share one slot; a used ticket costs one
/// slot; the RoundsManager and BondingManager addresses are cached here (see `syncDependencies`)
/// instead of asked of the Controller on every redemption; tickets are read from packed calldata.
contract TicketBroker is TicketBrokerState, Controlled {
    using TicketLib for bytes;

    /// @param controller_ The Controller of this deployment.
    constructor(IController controller_) Controlled(controller_) {}

    /// @notice Sets the periods. Dependencies are wired by `syncDependencies` once registered.
    /// @param ticketValidityPeriod_ Rounds a ticket stays valid.
    /// @param unlockPeriod_ Rounds between unlock and withdrawal; at least the validity period.
    function initialize(uint256 ticketValidityPeriod_, uint256 unlockPeriod_) external initializer {
        _setPeriods(ticketValidityPeriod_, unlockPeriod_);
    }

    // ------------------------------------------------------------------ funding

    /// @inheritdoc ITicketBroker
    function fundDeposit() external payable whenNotPaused {
        _fund(msg.sender, msg.value, 0);
    }

    /// @inheritdoc ITicketBroker
    function fundReserve() external payable whenNotPaused {
        _fund(msg.sender, 0, msg.value);
    }

    /// @inheritdoc ITicketBroker
    function fundDepositAndReserve(uint256 depositAmount, uint256 reserveAmount)
        external
        payable
        whenNotPaused
    {
        _checkValue(depositAmount, reserveAmount);
        _fund(msg.sender, depositAmount, reserveAmount);
    }

    /// @inheritdoc ITicketBroker
    function fundDepositAndReserveFor(address sender, uint256 depositAmount, uint256 reserveAmount)
        external
        payable
        whenNotPaused
    {
        _checkValue(depositAmount, reserveAmount);
        _fund(sender, depositAmount, reserveAmount);
    }

    function _checkValue(uint256 depositAmount, uint256 reserveAmount) private view {
        if (msg.value != depositAmount + reserveAmount) {
            revert FundingMismatch(msg.value, depositAmount + reserveAmount);
        }
    }

    /// @dev Adds funds and nothing else: the unlock state is the sender's alone. A retired broker
    /// refuses (see {RetiredTicketBroker}).
    function _fund(address sender, uint256 depositAmount, uint256 reserveAmount) internal virtual {
        if (sender == address(0)) revert FundingForZeroAddress();
        if (sender == address(this)) revert FundingForBroker();
        if (msg.value == 0) revert ZeroFunding();
        Sender storage s = _storage().senders[sender];
        s.deposit = SafeCast.toUint112(s.deposit + depositAmount);
        s.reserve = SafeCast.toUint112(s.reserve + reserveAmount);
        emit Funded(sender, msg.sender, depositAmount, reserveAmount);
    }

    // ------------------------------------------------------------------ unlock and withdraw

    /// @inheritdoc ITicketBroker
    function unlock() external whenNotPaused {
        TicketBrokerStorage storage $ = _storage();
        Sender storage s = $.senders[msg.sender];
        if (s.withdrawRound != 0) revert UnlockInProgress(s.withdrawRound);
        if (s.deposit == 0 && s.reserve == 0) revert NothingToUnlock();
        uint256 withdrawRound = $.roundsManager.currentRound() + $.unlockPeriod;
        s.withdrawRound = SafeCast.toUint32(withdrawRound);
        emit Unlocked(msg.sender, withdrawRound);
    }

    /// @inheritdoc ITicketBroker
    function cancelUnlock() external whenNotPaused {
        Sender storage s = _storage().senders[msg.sender];
        if (s.withdrawRound == 0) revert NotUnlocking();
        s.withdrawRound = 0;
        emit UnlockCancelled(msg.sender);
    }

    /// @inheritdoc ITicketBroker
    function withdraw() external whenNotPaused {
        TicketBrokerStorage storage $ = _storage();
        Sender storage s = $.senders[msg.sender];
        uint256 withdrawRound = s.withdrawRound;
        if (withdrawRound == 0) revert NotUnlocking();
        uint256 round = $.roundsManager.currentRound();
        if (round < withdrawRound) revert WithdrawTooEarly(round, withdrawRound);
        uint256 deposit = s.deposit;
        uint256 reserve = s.reserve;
        s.deposit = 0;
        s.reserve = 0;
        emit Withdrawn(msg.sender, deposit, reserve);
        _send(msg.sender, deposit + reserve);
    }

    // ------------------------------------------------------------------ fee vault

    /// @inheritdoc IFeeVault
    /// @dev Checked against the ledger of fees taken (`feesOwed`): never pays out senders' funds.
    function payFees(address payable to, uint256 amount) external whenNotPaused {
        TicketBrokerStorage storage $ = _storage();
        if (msg.sender != address($.bondingManager)) {
            revert NotRegisteredCaller(msg.sender, ContractIds.BONDING_MANAGER);
        }
        uint256 owed = $.feesOwed;
        if (amount > owed) revert FeesExceedOwed(amount, owed);
        $.feesOwed = owed - amount;
        emit FeesPaid(to, amount);
        _send(to, amount);
    }

    function _send(address to, uint256 amount) internal {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    // ------------------------------------------------------------------ fee handover

    /// @inheritdoc IFeeVault
    /// @dev Not pausable: accounting only (no ETH moves), and the staking contract must be able to
    /// settle a pool (e.g. to slash it) whatever the broker's state.
    function takeFees(address orchestrator)
        external
        returns (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB)
    {
        TicketBrokerStorage storage $ = _storage();
        if (msg.sender != address($.bondingManager)) {
            revert NotRegisteredCaller(msg.sender, ContractIds.BONDING_MANAGER);
        }
        FeeBucket storage b = $.feeBuckets[orchestrator];
        (roundA, amountA, roundB, amountB) = (b.roundA, b.amountA, b.roundB, b.amountB);
        if (roundA == 0 && roundB == 0) {
            // Never touched here: after a replacement, what the previous broker still holds for
            // the orchestrator is taken now, through this broker (its ETH arrives here).
            (roundA, amountA, roundB, amountB) = _releasePrevious(orchestrator);
            if (amountA == 0 && amountB == 0) return (0, 0, 0, 0);
            emit HeldFeesTakenOver(orchestrator, amountA + amountB);
            (b.roundA, b.roundB) = (SafeCast.toUint32(roundA), SafeCast.toUint32(roundB));
        } else {
            if (amountA == 0 && amountB == 0) return (roundA, 0, roundB, 0);
            // The rounds stay: the slot is never zeroed, so the next redemption pays a cheap write.
            b.amountA = 0;
            b.amountB = 0;
        }
        $.feesOwed += amountA + amountB;
        emit FeesTaken(orchestrator, amountA + amountB);
    }

    // ------------------------------------------------------------------ replacement (new side)

    /// @notice Plain ETH transfers are refused, except from the previous broker when it releases
    /// fees (`releaseFees`); the caller accounts for that ETH.
    receive() external payable {
        _onlyPrevious();
    }

    /// @inheritdoc IBrokerSuccessor
    function acceptMovedFunds(address sender, uint256 deposit, uint256 reserve) external payable {
        _onlyPrevious();
        _checkValue(deposit, reserve);
        emit FundsMovedIn(sender, deposit, reserve);
        _fund(sender, deposit, reserve);
    }

    /// @inheritdoc IBrokerSuccessor
    function acceptHeldFees(
        address orchestrator,
        uint256 roundA,
        uint256 amountA,
        uint256 roundB,
        uint256 amountB
    ) external payable {
        _onlyPrevious();
        _checkValue(amountA, amountB);
        TicketBrokerStorage storage $ = _storage();
        Context memory c;
        c.bondingManager = $.bondingManager;
        c.recipient = orchestrator;
        _loadBucket($, c);
        if (amountA != 0) _acceptHeld($, c, roundA, amountA);
        if (amountB != 0) _acceptHeld($, c, roundB, amountB);
        _writeBucket($, c);
        emit HeldFeesTakenOver(orchestrator, amountA + amountB);
    }

    /// @dev Adds fees the previous broker redeemed to the bucket, as a redemption here would (the
    /// staking contract is told). The previous broker checked the activity; if the staking contract
    /// disagrees, the whole redemption there reverts and its tickets stay unused.
    function _acceptHeld(TicketBrokerStorage storage $, Context memory c, uint256 round, uint256 amount)
        private
    {
        if (!_noteFees($, c, round)) revert RecipientNotActive(c.recipient, round);
        _addFees(c, round, amount);
    }

    /// @inheritdoc IBrokerSuccessor
    function acceptFeesOwed() external payable {
        _onlyPrevious();
        _storage().feesOwed += msg.value;
        emit FeesOwedTakenOver(msg.value);
    }

    /// @inheritdoc IBrokerSuccessor
    function handOverFees(address orchestrator) external returns (uint256 amount) {
        TicketBrokerStorage storage $ = _storage();
        FeeBucket storage b = $.feeBuckets[orchestrator];
        if (b.roundA != 0 || b.roundB != 0) return 0;
        (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB) = _releasePrevious(orchestrator);
        amount = amountA + amountB;
        if (amount == 0) return 0;
        $.feeBuckets[orchestrator] = FeeBucket({
            roundA: SafeCast.toUint32(roundA),
            amountA: SafeCast.toUint96(amountA),
            roundB: SafeCast.toUint32(roundB),
            amountB: SafeCast.toUint96(amountB)
        });
        emit HeldFeesTakenOver(orchestrator, amount);
    }

    /// @dev What the previous broker (if one is registered) holds for `orchestrator`, released to
    /// this broker (ETH included). Called only while this broker's bucket for `orchestrator` was never
    /// written: the staking contract's `feesPending` flag for those fees is still raised (any take
    /// since the replacement would have come here first), so they need no new `noteFees`.
    function _releasePrevious(address orchestrator)
        private
        returns (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB)
    {
        address previous = controller.getContract(ContractIds.PREVIOUS_TICKET_BROKER);
        if (previous == address(0) || previous == address(this)) return (0, 0, 0, 0);
        return IRetiredTicketBroker(previous).releaseFees(orchestrator);
    }

    function _onlyPrevious() private view {
        if (
            msg.sender != controller.getContract(ContractIds.PREVIOUS_TICKET_BROKER)
                || msg.sender == address(0)
        ) {
            revert NotPreviousBroker(msg.sender);
        }
    }

    // ------------------------------------------------------------------ redemption

    /// @notice What a redemption reads once per transaction, a one-entry cache of the last creation
    /// round looked up (its recorded block hash and whether the recipient was active then), and the
    /// recipient's fee bucket, written back once at the end.
    struct Context {
        IFeeIntake bondingManager;
        address recipient;
        uint256 round;
        uint256 validity;
        bytes32 domainSeparator;
        uint256 cachedRound;
        bytes32 cachedBlockHash;
        bool activeChecked; // `cachedActive` was determined for `cachedRound`
        bool cachedActive;
        bool bucketDirty;
        bool calldataChecked; // a single redemption checked its ticket's calldata before `_context`
        uint256 roundA;
        uint256 amountA;
        uint256 roundB;
        uint256 amountB;
    }

    /// @inheritdoc ITicketBroker
    function redeemWinningTicket(bytes calldata ticket) external whenNotPaused {
        // The checks that read only calldata come first: a ticket failing them costs no storage
        // read and no round-cache refresh.
        bytes memory err = _checkCalldata(ticket, msg.sender);
        if (err.length == 0) {
            TicketBrokerStorage storage $ = _storage();
            Context memory c = _context($);
            c.calldataChecked = true;
            err = _redeem($, c, ticket);
            if (err.length == 0) return _storeBucket($, c);
        }
        _revertWith(err);
    }

    /// @dev Reverts with `err` (an ABI-encoded custom error) unless it is empty.
    function _revertWith(bytes memory err) private pure {
        if (err.length != 0) {
            assembly ("memory-safe") {
                revert(add(err, 0x20), mload(err))
            }
        }
    }

    /// @inheritdoc ITicketBroker
    function batchRedeemWinningTickets(bytes calldata tickets)
        external
        whenNotPaused
        returns (bytes4[] memory failures)
    {
        if (tickets.length % TicketLib.TICKET_LENGTH != 0) {
            revert MalformedBatch(tickets.length);
        }
        uint256 n = tickets.length / TicketLib.TICKET_LENGTH;
        TicketBrokerStorage storage $ = _storage();
        Context memory c = _context($);
        failures = new bytes4[](n);
        for (uint256 i; i < n; ++i) {
            bytes memory err = _redeem($, c, _at(tickets, i));
            if (err.length != 0) {
                // forge-lint: disable-next-line(unsafe-typecast) -- keeps the error's selector, on purpose
                failures[i] = bytes4(err);
                emit TicketRedemptionFailed(i, err);
            }
        }
        if (c.bucketDirty) _storeBucket($, c);
    }

    function _at(bytes calldata tickets, uint256 i) private pure returns (bytes calldata) {
        return tickets[i * TicketLib.TICKET_LENGTH:(i + 1) * TicketLib.TICKET_LENGTH];
    }

    /// @dev Whether the recipient was active in `creationRound`, making room in its fee bucket for
    /// that round. A round already holding fees was noted (and found active) before: no call. Else
    /// the staking contract is told (`noteFees`), which answers the activity; when both places hold
    /// fees of other rounds, it is asked to take them first (the bucket is stored before, so what it
    /// takes is exact, and reloaded after).
    /// A bucket never written (both rounds zero: round 0 is never a creation round) first takes over
    /// what a previous broker holds for the recipient (see {IBrokerSuccessor}).
    function _noteFees(TicketBrokerStorage storage $, Context memory c, uint256 creationRound)
        internal
        virtual
        returns (bool active)
    {
        if (c.roundA == 0 && c.roundB == 0) {
            (c.roundA, c.amountA, c.roundB, c.amountB) = _releasePrevious(c.recipient);
            if (c.amountA != 0 || c.amountB != 0) {
                c.bucketDirty = true;
                emit HeldFeesTakenOver(c.recipient, c.amountA + c.amountB);
            }
        }
        if (c.roundA == creationRound && c.amountA != 0) return true;
        if (c.roundB == creationRound && c.amountB != 0) return true;
        bool full = c.amountA != 0 && c.amountB != 0;
        if (full) _writeBucket($, c);
        active = c.bondingManager.noteFees(c.recipient, creationRound, full);
        if (full) _loadBucket($, c);
        if (!active) return false;
        if (c.roundA == creationRound || (c.roundB != creationRound && c.amountA == 0)) {
            c.roundA = creationRound;
        } else {
            // B holds this round already, or A holds fees of another round and B none.
            c.roundB = creationRound;
        }
    }

    /// @dev Adds a paid ticket's face value to its creation round's place (made by `_noteFees`).
    function _addFees(Context memory c, uint256 creationRound, uint256 faceValue) internal pure {
        if (c.roundA == creationRound) c.amountA += faceValue;
        else c.amountB += faceValue;
        c.bucketDirty = true;
    }

    function _loadBucket(TicketBrokerStorage storage $, Context memory c) internal view {
        FeeBucket memory b = $.feeBuckets[c.recipient];
        (c.roundA, c.amountA, c.roundB, c.amountB) = (b.roundA, b.amountA, b.roundB, b.amountB);
    }

    /// @dev Stores the bucket at the end of a redemption. A retired broker sends it to the registered
    /// broker instead (see {RetiredTicketBroker}).
    function _storeBucket(TicketBrokerStorage storage $, Context memory c) internal virtual {
        _writeBucket($, c);
    }

    function _writeBucket(TicketBrokerStorage storage $, Context memory c) internal {
        $.feeBuckets[c.recipient] = FeeBucket({
            roundA: SafeCast.toUint32(c.roundA),
            amountA: SafeCast.toUint96(c.amountA),
            roundB: SafeCast.toUint32(c.roundB),
            amountB: SafeCast.toUint96(c.amountB)
        });
        c.bucketDirty = false;
    }

    /// @dev Reads the dependencies and the current round. The round comes from the broker's own
    /// cache while the cached round lasts, so that a redemption usually makes no RoundsManager call
    /// at all; the first redemption of a round refreshes it. Sound because a round's last block is
    /// fixed once the round has started: the RoundsManager applies a round-length change only from
    /// the next round boundary (`syncDependencies` drops the cache, e.g. after an upgrade of it).
    function _context(TicketBrokerStorage storage $) private returns (Context memory c) {
        c.bondingManager = $.bondingManager;
        c.validity = $.ticketValidityPeriod;
        c.recipient = msg.sender;
        c.domainSeparator = TicketLib.domainSeparator(address(this));
        _loadBucket($, c);
        if (block.number < $.cachedRoundEndBlock) {
            c.round = $.cachedRound;
        } else {
            IRoundsManager rm = $.roundsManager;
            uint256 end;
            (c.round, end) = rm.currentRoundAndEnd();
            $.cachedRound = SafeCast.toUint32(c.round);
            $.cachedRoundEndBlock = SafeCast.toUint40(end);
            $.cachedRoundBlockHash = rm.blockHashForRound(c.round);
        }
    }

    /// @dev The block hash recorded for `creationRound`: from the cache for the current round, else
    /// from the RoundsManager. A current round initialized after the cache refresh is filled in once.
    function _blockHashFor(TicketBrokerStorage storage $, Context memory c, uint256 creationRound)
        private
        returns (bytes32 h)
    {
        if (creationRound == c.round) {
            h = $.cachedRoundBlockHash;
            if (h != bytes32(0)) return h;
            h = $.roundsManager.blockHashForRound(creationRound);
            if (h != bytes32(0)) $.cachedRoundBlockHash = h;
            return h;
        }
        return $.roundsManager.blockHashForRound(creationRound);
    }

    /// @dev The checks of one ticket that read nothing but calldata: its length, that `caller` is its
    /// recipient, a sender, the revealed random number. Returns the custom error it fails with
    /// (ABI-encoded), or nothing. A single redemption runs them before anything is read from storage
    /// (`_context`), so a ticket sent by the wrong account, or with a wrong random number, is refused
    /// cheaply.
    function _checkCalldata(bytes calldata t, address caller) private pure returns (bytes memory err) {
        if (t.length < TicketLib.HEADER_LENGTH) {
            return _err1(MalformedTicket.selector, t.length);
        }
        address recipient = t.recipient();
        if (recipient != caller) {
            return abi.encodeWithSelector(WrongRecipient.selector, recipient, caller);
        }
        if (t.sender() == address(0)) return abi.encodeWithSelector(ZeroSender.selector);
        if (!t.randMatches()) {
            return _err1(InvalidRecipientRand.selector, uint256(t.recipientRandHash()));
        }
        // `err` stays the empty bytes at the zero slot: nothing allocated on the way to a payment.
    }

    /// @dev Checks one ticket, then pays it in full from the sender's funds and marks it used. Never
    /// reverts on a bad ticket: it returns the custom error it would revert with (ABI-encoded) and
    /// changes nothing, so one bad ticket can't sink a batch. All checks come before any write. The
    /// calldata checks are those of `_checkCalldata`, made here unless `c.calldataChecked` (a single
    /// redemption makes them before reading storage); written out, so that a batch, whose context is
    /// read once for all its tickets, pays no extra call per ticket.
    function _redeem(TicketBrokerStorage storage $, Context memory c, bytes calldata t)
        private
        returns (bytes memory err)
    {
        address recipient = t.recipient();
        address sender = t.sender();
        if (!c.calldataChecked) {
            if (t.length < TicketLib.HEADER_LENGTH) {
                return _err1(MalformedTicket.selector, t.length);
            }
            if (recipient != c.recipient) {
                return abi.encodeWithSelector(WrongRecipient.selector, recipient, c.recipient);
            }
            if (sender == address(0)) return abi.encodeWithSelector(ZeroSender.selector);
            if (!t.randMatches()) {
                return _err1(InvalidRecipientRand.selector, uint256(t.recipientRandHash()));
            }
        }

        uint256 creationRound = t.creationRound();
        if (creationRound > c.round) {
            return _err2(FutureCreationRound.selector, creationRound, c.round);
        }
        if (c.round >= creationRound + c.validity) {
            return _err2(TicketExpired.selector, creationRound, c.round);
        }
        if (creationRound != c.cachedRound) {
            c.cachedRound = creationRound;
            c.cachedBlockHash = _blockHashFor($, c, creationRound);
            c.activeChecked = false;
        }
        if (c.cachedBlockHash == bytes32(0)) {
            return _err1(UnknownCreationRound.selector, creationRound);
        }
        if (c.cachedBlockHash != t.creationRoundBlockHash()) {
            return _err2(
                CreationRoundBlockHashMismatch.selector, creationRound, uint256(t.creationRoundBlockHash())
            );
        }

        bytes32 h = TicketLib.digest(c.domainSeparator, t.structHash());
        if ($.usedTickets[h]) return _err1(TicketUsed.selector, uint256(h));
        address signer;
        (signer, err) = TicketLib.recover(h, t.signature());
        if (err.length != 0) return err;
        if (signer != sender) {
            return abi.encodeWithSelector(InvalidSignature.selector, signer, sender);
        }
        if (!t.isWinning()) return abi.encodeWithSelector(TicketNotWinning.selector);
        if (!c.activeChecked) {
            c.cachedActive = _noteFees($, c, creationRound);
            c.activeChecked = true;
        }
        if (!c.cachedActive) {
            return abi.encodeWithSelector(RecipientNotActive.selector, recipient, creationRound);
        }

        Sender storage sp = $.senders[sender];
        // The slot read once as a word: `deposit` is its low 112 bits (see `Sender`).
        uint256 word;
        assembly ("memory-safe") {
            word := sload(sp.slot)
        }
        uint256 withdrawRound = word >> 224;
        if (withdrawRound != 0 && c.round >= withdrawRound) {
            return abi.encodeWithSelector(SenderUnlocked.selector, sender, withdrawRound);
        }
        uint256 faceValue = t.faceValue();
        uint256 deposit = word & type(uint112).max;
        if (faceValue <= deposit) {
            // One write, only the deposit changes: it is the low field, so subtracting from the word
            // (faceValue <= deposit, no borrow) leaves the other fields as they are.
            assembly ("memory-safe") {
                sstore(sp.slot, sub(word, faceValue))
            }
        } else {
            err = _payWithReserve($, c, sp, sender, word, faceValue);
            if (err.length != 0) return err;
        }
        $.usedTickets[h] = true;
        _addFees(c, creationRound, faceValue);
        emit TicketRedeemed(h, sender, recipient, faceValue, creationRound);
    }

    /// @dev The deposit is short: empties it and takes the rest from the reserve (`_payFromReserve`),
    /// or writes nothing and returns the error. `word` is the sender's slot as read.
    function _payWithReserve(
        TicketBrokerStorage storage $,
        Context memory c,
        Sender storage sp,
        address sender,
        uint256 word,
        uint256 faceValue
    ) private returns (bytes memory err) {
        Sender memory s = Sender({
            // forge-lint: disable-next-line(unsafe-typecast) -- the low 112-bit field
            deposit: uint112(word),
            // forge-lint: disable-next-line(unsafe-typecast) -- the middle 112-bit field
            reserve: uint112(word >> 112),
            // forge-lint: disable-next-line(unsafe-typecast) -- the top 32 bits
            withdrawRound: uint32(word >> 224)
        });
        err = _payFromReserve($, c, sender, s, faceValue);
        if (err.length != 0) return err;
        sp.deposit = 0;
        sp.reserve = s.reserve;
    }

    /// @dev Pays what the deposit can't of `faceValue` out of `sender`'s reserve, within the recipient's
    /// stake-weighted allocation of the reserve as of the round's first claim. Updates `s` in memory;
    /// returns `InsufficientFunds` (writing nothing) if the deposit and the allocation fall short.
    function _payFromReserve(
        TicketBrokerStorage storage $,
        Context memory c,
        address sender,
        Sender memory s,
        uint256 faceValue
    ) private returns (bytes memory err) {
        uint256 amount = faceValue - s.deposit;
        ReserveSnapshot storage snap = $.reserveSnapshots[sender];
        bool fresh = snap.round != c.round;
        uint256 totalActiveStake = fresh
            ? IActiveSetView(address(c.bondingManager)).totalActiveStake(c.round)
            : snap.totalActiveStake;
        uint256 claimed = $.reserveClaimed[sender][c.round][c.recipient];
        uint256 available = ReserveLib.available(
            fresh ? s.reserve : snap.reserve,
            IActiveSetView(address(c.bondingManager)).activeStake(c.recipient, c.round),
            totalActiveStake,
            claimed,
            s.reserve
        );
        if (amount > available) return _err2(InsufficientFunds.selector, s.deposit + available, faceValue);

        if (fresh) {
            snap.round = SafeCast.toUint32(c.round);
            snap.reserve = s.reserve;
            snap.totalActiveStake = totalActiveStake;
        }
        $.reserveClaimed[sender][c.round][c.recipient] = claimed + amount;
        // forge-lint: disable-next-line(unsafe-typecast) -- amount <= available <= reserve, a uint112
        s.reserve -= uint112(amount);
        emit ReserveClaimed(sender, c.recipient, c.round, amount);
    }

    function _err1(bytes4 selector, uint256 a) private pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, a);
    }

    function _err2(bytes4 selector, uint256 a, uint256 b) private pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, a, b);
    }

    // ------------------------------------------------------------------ governance and wiring

    /// @inheritdoc ITicketBroker
    function setTicketValidityPeriod(uint256 period) external onlyGovernance {
        _setPeriods(period, _storage().unlockPeriod);
    }

    /// @inheritdoc ITicketBroker
    function setUnlockPeriod(uint256 period) external onlyGovernance {
        _setPeriods(_storage().ticketValidityPeriod, period);
    }

    function _setPeriods(uint256 validity, uint256 unlockPeriod_) private {
        if (validity == 0 || validity > type(uint24).max) revert InvalidPeriod(validity);
        if (unlockPeriod_ == 0 || unlockPeriod_ > type(uint32).max) revert InvalidPeriod(unlockPeriod_);
        if (unlockPeriod_ < validity) revert UnlockPeriodTooShort(unlockPeriod_, validity);
        TicketBrokerStorage storage $ = _storage();
        _checkValidityAgainstStaking(address($.bondingManager), validity);
        if ($.ticketValidityPeriod != validity) {
            // forge-lint: disable-next-line(unsafe-typecast) -- checked against uint24 max above
            $.ticketValidityPeriod = uint24(validity);
            emit TicketValidityPeriodSet(validity);
        }
        if ($.unlockPeriod != unlockPeriod_) {
            // forge-lint: disable-next-line(unsafe-typecast) -- checked against uint32 max above
            $.unlockPeriod = uint32(unlockPeriod_);
            emit UnlockPeriodSet(unlockPeriod_);
        }
    }

    /// @inheritdoc ITicketBroker
    function syncDependencies() external {
        address rounds = controller.getContract(ContractIds.ROUNDS_MANAGER);
        address bonding = controller.getContract(ContractIds.BONDING_MANAGER);
        if (rounds == address(0)) revert DependencyNotRegistered(ContractIds.ROUNDS_MANAGER);
        if (bonding == address(0)) revert DependencyNotRegistered(ContractIds.BONDING_MANAGER);
        TicketBrokerStorage storage $ = _storage();
        _checkValidityAgainstStaking(bonding, $.ticketValidityPeriod);
        // The round cache stays valid unless the RoundsManager itself changed: clearing it on every
        // (permissionless) sync would only make the next redeemer pay for a refresh.
        if (address($.roundsManager) != rounds) {
            $.roundsManager = IRoundsManager(rounds);
            _clearRoundCache($);
        }
        $.bondingManager = IFeeIntake(bonding);
        emit DependenciesSynced(rounds, bonding);
    }

    /// @inheritdoc ITicketBroker
    function resetRoundCache() external onlyGovernance {
        _clearRoundCache(_storage());
        emit RoundCacheReset();
    }

    function _clearRoundCache(TicketBrokerStorage storage $) private {
        $.cachedRound = 0;
        $.cachedRoundEndBlock = 0;
        $.cachedRoundBlockHash = bytes32(0);
    }

    /// @dev Tickets must expire before a delegator's stake stops earning fees (see
    /// `ValidityExceedsMaturityPeriod`). Skipped before the first sync (no staking contract yet).
    function _checkValidityAgainstStaking(address staking, uint256 validity) private view {
        if (staking == address(0)) return;
        uint256 maturity = IUnbondingPeriod(staking).maturityPeriod();
        if (validity > maturity) revert ValidityExceedsMaturityPeriod(validity, maturity);
    }
}
