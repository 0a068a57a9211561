// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {StakingIntegrationBase} from "./StakingIntegration.t.sol";

/// @notice Gas of an orchestrator's first winning ticket of a round against the real BondingManager,
/// recorded in `snapshots/ticket-broker-real-staking.json` (gated in CI). The broker's round cache is
/// already fresh (another orchestrator redeemed first in the round), so what is measured is the
/// per-orchestrator cost of a new creation round: the `noteFees` call that checks the orchestrator's
/// activity in that round and flags its pool.
abstract contract BrokerRealStakingRoundGasBase is StakingIntegrationBase {
    address internal orch2;
    uint256 internal nonce;
    bytes internal first;

    function setUp() public override {
        super.setUp();
        orch2 = makeAddr("orch2");
        _bond(orch2, SELF, orch2);
        full.broker.broker.syncDependencies();
        vm.prank(sender);
        full.broker.broker.fundDepositAndReserve{value: 60 ether}(50 ether, 10 ether);
        // Last round: `orch` redeemed (the broker holds its fees, its pool is flagged).
        _redeem(orch);
        _advance(1);
        if (rewardFirst()) {
            vm.prank(orch);
            full.staking.bondingManager.reward();
        }
        // Another orchestrator redeemed first in the round: the broker's round cache is fresh.
        _redeem(orch2);
        first = _ticketFor(orch);
    }

    /// @dev Whether `orch` calls `reward()` in the new round before redeeming.
    function rewardFirst() internal pure virtual returns (bool);

    function _redeem(address recipient) internal {
        bytes memory t = _ticketFor(recipient);
        vm.prank(recipient);
        full.broker.broker.redeemWinningTicket(t);
    }

    function _ticketFor(address recipient) internal returns (bytes memory) {
        uint256 r = _round();
        uint256 rand = ++nonce;
        TicketLib.Ticket memory t = TicketLib.Ticket({
            recipient: recipient,
            sender: sender,
            faceValue: 1 ether,
            winProb: type(uint256).max,
            // forge-lint: disable-next-line(unsafe-typecast)
            senderNonce: uint32(rand),
            recipientRandHash: keccak256(abi.encode(rand)),
            // forge-lint: disable-next-line(unsafe-typecast)
            creationRound: uint32(r),
            creationRoundBlockHash: full.core.rounds.blockHashForRound(r)
        });
        bytes32 digest = TicketLib.digest(full.broker.broker.domainSeparator(), TicketLib.structHash(t));
        (uint8 v, bytes32 rr, bytes32 s) = vm.sign(senderKey, digest);
        return TicketLib.pack(t, rand, abi.encodePacked(rr, s, v));
    }

    function _measure(string memory name) internal {
        _redeemAndRecordGas(name, first);
        (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB) =
            full.broker.broker.pendingFees(orch);
        assertEq(roundA == _round() ? amountA : amountB, 1 ether);
        assertEq(roundA == _round() ? roundA : roundB, _round());
    }
}

/// @notice The orchestrator called `reward()` this round, which touched its pool and collected last
/// round's fees: its redemption raises the pool's flag again.
contract BrokerRealStakingFirstAfterRewardGasTest is BrokerRealStakingRoundGasBase {
    function rewardFirst() internal pure override returns (bool) {
        return true;
    }

    function test_GasFirstOfRoundAfterReward() public {
        _measure("redeem single orchestrator's first of the round, after reward");
    }
}

/// @notice Nothing touched the pool since last round's redemption: the flag is still up and last
/// round's fees wait in the bucket's other place.
contract BrokerRealStakingFirstFeesHeldGasTest is BrokerRealStakingRoundGasBase {
    function rewardFirst() internal pure override returns (bool) {
        return false;
    }

    function test_GasFirstOfRoundFeesStillHeld() public {
        _measure("redeem single orchestrator's first of the round, fees still held");
    }
}

/// @notice What the staking side pays to take held fees: `reward()` in the round after a redemption
/// (its touch collects last round's fees from the broker and credits them), against the same call
/// with nothing held.
abstract contract BrokerRealStakingCollectGasBase is StakingIntegrationBase {
    function setUp() public override {
        super.setUp();
        full.broker.broker.syncDependencies();
        vm.prank(sender);
        full.broker.broker.fundDepositAndReserve{value: 3 ether}(2 ether, 1 ether);
        // Steady state: the pool has been credited fees before (its fee slots are non-zero).
        bytes memory t = _ticket(1 ether, 1, 1);
        vm.prank(orch);
        full.broker.broker.redeemWinningTicket(t);
        _advance(1);
        full.staking.bondingManager.checkpoint(orch);
        if (holdFees()) {
            t = _ticket(1 ether, 2, 2);
            vm.prank(orch);
            full.broker.broker.redeemWinningTicket(t);
        }
        _advance(1);
    }

    function holdFees() internal pure virtual returns (bool);

    function _measureReward(string memory name) internal {
        vm.prank(orch);
        full.staking.bondingManager.reward();
        vm.snapshotGasLastCall("ticket-broker-real-staking", name);
        (, uint256 held,, uint256 heldB) = full.broker.broker.pendingFees(orch);
        assertEq(held + heldB, 0);
    }
}

contract BrokerRealStakingRewardCollectsGasTest is BrokerRealStakingCollectGasBase {
    function holdFees() internal pure override returns (bool) {
        return true;
    }

    function test_GasRewardCollectingHeldFees() public {
        _measureReward("staking reward() collecting held fees");
        (,, uint256 fees) = full.staking.bondingManager.delegatorInfo(delegator);
        assertGt(fees, 0);
    }
}

contract BrokerRealStakingRewardNothingHeldGasTest is BrokerRealStakingCollectGasBase {
    function holdFees() internal pure override returns (bool) {
        return false;
    }

    function test_GasRewardNothingHeld() public {
        _measureReward("staking reward() with nothing held");
    }
}
