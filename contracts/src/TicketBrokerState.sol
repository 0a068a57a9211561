// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IActiveSetView} from "./interfaces/IActiveSetView.sol";
import {IBrokerSuccessor} from "./interfaces/IBrokerSuccessor.sol";
import {IFeeIntake} from "./interfaces/IFeeIntake.sol";
import {IRoundsManager} from "./interfaces/IRoundsManager.sol";
import {ITicketBroker} from "./interfaces/ITicketBroker.sol";
import {ReserveLib} from "./libraries/ReserveLib.sol";
import {TicketLib} from "./libraries/TicketLib.sol";

/// @title TicketBrokerState
/// @notice The TicketBroker's storage (one ERC-7201 namespace) and its read-only views; the state
/// transitions are in {TicketBroker}.
abstract contract TicketBrokerState is ITicketBroker, IBrokerSuccessor {
    using TicketLib for bytes;

    /// @notice A sender's funds and unlock state, one slot.
    struct Sender {
        uint112 deposit;
        uint112 reserve;
        /// @dev Zero while locked; else the first round a withdrawal is possible. Kept after a
        /// withdrawal so that the sender's tickets keep failing with `SenderUnlocked`.
        uint32 withdrawRound;
    }

    /// @notice A sender's reserve as of the first reserve claim of `round`: the base of every
    /// orchestrator's allocation for that round, so late claims can't dilute earlier ones.
    struct ReserveSnapshot {
        uint32 round;
        uint112 reserve;
        uint256 totalActiveStake;
    }

    /// @notice Fees of a recipient's redeemed tickets not yet handed to the staking contract, by
    /// creation round: two rounds in one slot. The staking contract takes them (`takeFees`) at the
    /// next touch of the recipient's pool; a third creation round makes the broker have them taken
    /// first. A round stays in its place when its amount is taken, so the slot is never zeroed.
    struct FeeBucket {
        uint32 roundA;
        uint96 amountA;
        uint32 roundB;
        uint96 amountB;
    }

    /// @custom:storage-location erc7201:streamflow.storage.TicketBroker
    struct TicketBrokerStorage {
        // slot 0, the only one every redemption reads: the staking contract, the round cache (the
        // current round is `cachedRound` while `block.number < cachedRoundEndBlock`, see `_context`)
        // and the validity period.
        IFeeIntake bondingManager;
        uint32 cachedRound;
        uint40 cachedRoundEndBlock;
        uint24 ticketValidityPeriod;
        // slot 1, read for tickets of the current round: zero, or the block hash the RoundsManager
        // recorded for `cachedRound`
        bytes32 cachedRoundBlockHash;
        // slot 2, read on a round change and for tickets of earlier rounds
        IRoundsManager roundsManager;
        uint32 unlockPeriod;
        mapping(address sender => Sender) senders;
        mapping(address sender => ReserveSnapshot) reserveSnapshots;
        mapping(address sender => mapping(uint256 round => mapping(address recipient => uint256)))
            reserveClaimed;
        mapping(bytes32 ticketHash => bool) usedTickets;
        mapping(address recipient => FeeBucket) feeBuckets;
        // slot 8: fees the staking contract took and has not had paid (the ledger `payFees` checks)
        uint256 feesOwed;
        // slot 9: senders that moved to a replacement broker and whose reserve is still held here
        mapping(address sender => bool) movingReserve;
    }

    // keccak256(abi.encode(uint256(keccak256("streamflow.storage.TicketBroker")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant STORAGE_SLOT =
        0x87b831a58831efecb262f82895a006e5979f10a61d768b23f298b445c6ab5400;

    /// @inheritdoc ITicketBroker
    function getSender(address sender)
        external
        view
        returns (uint256 deposit, uint256 reserve, uint256 withdrawRound)
    {
        Sender memory s = _storage().senders[sender];
        return (s.deposit, s.reserve, s.withdrawRound);
    }

    /// @inheritdoc ITicketBroker
    function remainingReserveAllocation(address sender, address recipient, uint256 round)
        external
        view
        returns (uint256)
    {
        TicketBrokerStorage storage $ = _storage();
        IActiveSetView staking = IActiveSetView(address($.bondingManager));
        ReserveSnapshot memory snap = $.reserveSnapshots[sender];
        uint256 reserve = $.senders[sender].reserve;
        bool fresh = snap.round != round;
        return ReserveLib.available(
            fresh ? reserve : snap.reserve,
            staking.activeStake(recipient, round),
            fresh ? staking.totalActiveStake(round) : snap.totalActiveStake,
            $.reserveClaimed[sender][round][recipient],
            reserve
        );
    }

    /// @inheritdoc ITicketBroker
    function claimedReserve(address sender, address recipient, uint256 round)
        external
        view
        returns (uint256)
    {
        return _storage().reserveClaimed[sender][round][recipient];
    }

    /// @inheritdoc ITicketBroker
    function pendingFees(address recipient)
        external
        view
        returns (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB)
    {
        FeeBucket memory b = _storage().feeBuckets[recipient];
        return (b.roundA, b.amountA, b.roundB, b.amountB);
    }

    /// @inheritdoc IBrokerSuccessor
    function feesOwed() external view returns (uint256) {
        return _storage().feesOwed;
    }

    /// @inheritdoc ITicketBroker
    function isUsedTicket(bytes32 ticketHash_) external view returns (bool) {
        return _storage().usedTickets[ticketHash_];
    }

    /// @inheritdoc ITicketBroker
    function ticketHash(bytes calldata ticket) external view returns (bytes32) {
        if (ticket.length < TicketLib.HEADER_LENGTH) revert MalformedTicket(ticket.length);
        return TicketLib.digest(TicketLib.domainSeparator(address(this)), ticket.structHash());
    }

    /// @inheritdoc ITicketBroker
    function domainSeparator() external view returns (bytes32) {
        return TicketLib.domainSeparator(address(this));
    }

    /// @inheritdoc ITicketBroker
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        )
    {
        // The strings hashed into `TicketLib.NAME_HASH` and `TicketLib.VERSION_HASH`.
        return (hex"0f", "Streamflow TicketBroker", "1", block.chainid, address(this), bytes32(0), extensions);
    }

    /// @inheritdoc ITicketBroker
    function ticketValidityPeriod() external view returns (uint256) {
        return _storage().ticketValidityPeriod;
    }

    /// @inheritdoc ITicketBroker
    function unlockPeriod() external view returns (uint256) {
        return _storage().unlockPeriod;
    }

    /// @inheritdoc ITicketBroker
    function roundCache() external view returns (uint256 round, uint256 endBlock, bytes32 blockHash) {
        TicketBrokerStorage storage $ = _storage();
        return ($.cachedRound, $.cachedRoundEndBlock, $.cachedRoundBlockHash);
    }

    /// @inheritdoc ITicketBroker
    function dependencies() external view returns (address roundsManager, address bondingManager) {
        TicketBrokerStorage storage $ = _storage();
        return (address($.roundsManager), address($.bondingManager));
    }

    /// @dev The broker's ERC-7201 namespace.
    function _storage() internal pure returns (TicketBrokerStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
