// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TicketBroker} from "./TicketBroker.sol";
import {IBrokerSuccessor} from "./interfaces/IBrokerSuccessor.sol";
import {IController} from "./interfaces/IController.sol";
import {IFeeIntake} from "./interfaces/IFeeIntake.sol";
import {IRetiredTicketBroker} from "./interfaces/IRetiredTicketBroker.sol";
import {ContractIds} from "./libraries/ContractIds.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title RetiredTicketBroker
/// @notice The implementation a replaced TicketBroker's proxy is upgraded to, in the governance batch
/// that registers its replacement. Same storage, same tickets: every ticket issued against this
/// broker stays redeemable here until it expires. What changes (see {IRetiredTicketBroker}):
/// - no new funds (`BrokerRetired`); senders `moveFunds` to the registered broker (the reserve
///   follows once no ticket issued before the move can claim it);
/// - the fees of a redemption are sent, ETH included, to the registered broker in the same
///   transaction (`acceptHeldFees`), which tells the staking contract as for its own redemptions;
///   this broker asks the staking contract only views (it is no longer registered);
/// - the registered broker takes what was held here before the replacement (`releaseFees`) and the
///   ETH of fees already credited (`handOverFeesOwed`).
/// @dev Nothing here touches the hot path of a live broker: the hooks `_noteFees`, `_storeBucket`
/// and `_fund` are resolved at compile time in {TicketBroker}.
contract RetiredTicketBroker is TicketBroker, IRetiredTicketBroker {
    /// @param controller_ The Controller of this deployment.
    constructor(IController controller_) TicketBroker(controller_) {}

    // ------------------------------------------------------------------ moving funds

    /// @inheritdoc IRetiredTicketBroker
    function moveFunds() external whenNotPaused {
        TicketBrokerStorage storage $ = _storage();
        Sender storage s = $.senders[msg.sender];
        uint256 deposit = s.deposit;
        uint256 reserve = s.reserve;
        if (deposit == 0 && reserve == 0) revert NothingToMove(msg.sender);
        address successor = _successor();
        uint256 round = $.roundsManager.currentRound();
        // Every ticket created in a round <= `round` has expired by `round + validity`; an unlock
        // that ends earlier already stops the tickets then.
        uint256 releaseRound = round + $.ticketValidityPeriod;
        uint256 withdrawRound = s.withdrawRound;
        if (withdrawRound == 0 || withdrawRound > releaseRound) withdrawRound = releaseRound;
        s.withdrawRound = SafeCast.toUint32(withdrawRound);
        s.deposit = 0;
        uint256 reserveNow;
        if (round >= withdrawRound) {
            // The unlock is already over: no ticket can claim the reserve any more.
            reserveNow = reserve;
            s.reserve = 0;
        } else if (reserve != 0) {
            $.movingReserve[msg.sender] = true;
        }
        emit FundsMoved(msg.sender, successor, deposit, reserveNow, withdrawRound);
        if (deposit + reserveNow != 0) {
            IBrokerSuccessor(successor).acceptMovedFunds{value: deposit + reserveNow}(
                msg.sender, deposit, reserveNow
            );
        }
    }

    /// @inheritdoc IRetiredTicketBroker
    function forwardReserve(address sender) external whenNotPaused {
        TicketBrokerStorage storage $ = _storage();
        if (!$.movingReserve[sender]) revert NotMoving(sender);
        Sender storage s = $.senders[sender];
        uint256 releaseRound = s.withdrawRound;
        if (releaseRound == 0) revert NotMoving(sender);
        uint256 round = $.roundsManager.currentRound();
        if (round < releaseRound) revert ReserveStillBacksTickets(round, releaseRound);
        address successor = _successor();
        uint256 reserve = s.reserve;
        $.movingReserve[sender] = false;
        s.reserve = 0;
        emit ReserveForwarded(sender, successor, reserve);
        if (reserve != 0) IBrokerSuccessor(successor).acceptMovedFunds{value: reserve}(sender, 0, reserve);
    }

    /// @dev A retired broker takes no new funds, whoever sends them.
    function _fund(address, uint256, uint256) internal pure override {
        revert BrokerRetired();
    }

    // ------------------------------------------------------------------ fees

    /// @inheritdoc IRetiredTicketBroker
    function releaseFees(address orchestrator)
        external
        returns (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB)
    {
        address successor = _successor();
        if (msg.sender != successor) revert NotSuccessor(msg.sender);
        FeeBucket storage b = _storage().feeBuckets[orchestrator];
        (roundA, amountA, roundB, amountB) = (b.roundA, b.amountA, b.roundB, b.amountB);
        if (amountA == 0 && amountB == 0) return (roundA, 0, roundB, 0);
        b.amountA = 0;
        b.amountB = 0;
        emit HeldFeesHandedOver(orchestrator, successor, amountA + amountB);
        _send(successor, amountA + amountB);
    }

    /// @inheritdoc IRetiredTicketBroker
    function handOverFeesOwed() external returns (uint256 amount) {
        TicketBrokerStorage storage $ = _storage();
        address successor = _successor();
        amount = $.feesOwed;
        if (amount == 0) return 0;
        $.feesOwed = 0;
        emit FeesOwedHandedOver(successor, amount);
        IBrokerSuccessor(successor).acceptFeesOwed{value: amount}();
    }

    /// @dev The activity comes from the staking contract's view (this broker is no longer registered,
    /// so it can't `noteFees`); the registered broker notes the fees when it receives them. When both
    /// places hold fees of other rounds, they are sent on first.
    function _noteFees(TicketBrokerStorage storage $, Context memory c, uint256 creationRound)
        internal
        override
        returns (bool active)
    {
        if (c.roundA == creationRound && c.amountA != 0) return true;
        if (c.roundB == creationRound && c.amountB != 0) return true;
        if (!IFeeIntake(address(c.bondingManager)).isActiveOrchestrator(c.recipient, creationRound)) {
            return false;
        }
        if (c.amountA != 0 && c.amountB != 0) _storeBucket($, c);
        if (c.roundA == creationRound || (c.roundB != creationRound && c.amountA == 0)) {
            c.roundA = creationRound;
        } else {
            c.roundB = creationRound;
        }
        return true;
    }

    /// @dev Sends the bucket (what this transaction redeemed, and anything held here from before the
    /// replacement) to the registered broker and keeps only its rounds.
    function _storeBucket(TicketBrokerStorage storage $, Context memory c) internal override {
        uint256 amountA = c.amountA;
        uint256 amountB = c.amountB;
        c.amountA = 0;
        c.amountB = 0;
        _writeBucket($, c);
        if (amountA + amountB == 0) return;
        address successor = _successor();
        emit HeldFeesHandedOver(c.recipient, successor, amountA + amountB);
        IBrokerSuccessor(successor).acceptHeldFees{value: amountA + amountB}(
            c.recipient, c.roundA, amountA, c.roundB, amountB
        );
    }

    /// @dev The broker registered as `TicketBroker`, which must be another one.
    function _successor() private view returns (address successor) {
        successor = controller.getContract(ContractIds.TICKET_BROKER);
        if (successor == address(0) || successor == address(this)) revert NoSuccessor();
    }
}
