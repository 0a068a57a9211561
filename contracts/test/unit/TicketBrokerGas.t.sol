// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {BrokerFixture} from "../utils/BrokerFixture.sol";

/// @notice Gas of the hot paths, recorded in `snapshots/ticket-broker.json` and gated in CI.
/// Each measurement is the only call of its test after `coolAll()`, so every account and slot it
/// touches is cold, as in a real transaction. `snapshotGasLastCall` measures execution only; the
/// total transaction gas adds the 21,000 base and the calldata gas, recorded next to it.
contract TicketBrokerGasTest is BrokerFixture {
    uint256 internal constant FACE_VALUE = 0.05 ether;
    /// @dev A realistic-looking win probability (one in two): its bytes cost like a real one's.
    uint256 internal constant WIN_PROB = type(uint256).max / 2;
    uint256 internal constant SENDERS = 101;

    address internal orch;
    address internal orch2;
    address[] internal senders;
    uint256[] internal keys;
    uint32 internal nonce;

    function setUp() public {
        deployBroker();
        orch = makeAddr("orch");
        orch2 = makeAddr("orch2");
        for (uint256 i; i < SENDERS; ++i) {
            (address s, uint256 k) = makeAddrAndKey(string.concat("sender", vm.toString(i)));
            senders.push(s);
            keys.push(k);
            vm.deal(s, 100 ether);
            vm.prank(s);
            broker.fundDepositAndReserve{value: 20 ether}(10 ether, 10 ether);
        }
        initRound();
        staking.setStake(orch, round(), 1000 ether);
        staking.setStake(orch, round() + 1, 1000 ether);
        staking.setStake(orch2, round(), 1000 ether);
        // One redemption in this round already: the "later" case starts from here.
        bytes memory t = winning(0);
        vm.prank(orch);
        broker.redeemWinningTicket(t);
    }

    /// @dev A winning ticket from sender `i` to `orch`, created in the current round.
    function winning(uint256 i) internal returns (bytes memory packed) {
        return winningFor(i, orch);
    }

    function winningFor(uint256 i, address recipient) internal returns (bytes memory packed) {
        for (uint256 rand = 1;; ++rand) {
            TicketLib.Ticket memory t = makeTicket(
                senders[i], recipient, FACE_VALUE, WIN_PROB, ++nonce, uint256(keccak256(abi.encode(rand)))
            );
            uint256 r = uint256(keccak256(abi.encode(rand)));
            bytes memory sig = signTicket(keys[i], t);
            if (uint256(keccak256(abi.encodePacked(sig, r))) < WIN_PROB) return TicketLib.pack(t, r, sig);
        }
    }

    function record(string memory name, bytes memory input, uint256 tickets) internal {
        uint256 exec = vm.snapshotGasLastCall("ticket-broker", string.concat(name, " execution"));
        uint256 cdGas = calldataGas(input);
        uint256 total = 21_000 + cdGas + exec;
        vm.snapshotValue("ticket-broker", string.concat(name, " calldata bytes"), input.length);
        vm.snapshotValue("ticket-broker", string.concat(name, " calldata gas"), cdGas);
        vm.snapshotValue("ticket-broker", string.concat(name, " total tx gas"), total);
        if (tickets > 1) {
            vm.snapshotValue(
                "ticket-broker", string.concat(name, " total tx gas per ticket"), total / tickets
            );
            vm.snapshotValue(
                "ticket-broker", string.concat(name, " calldata bytes per ticket"), input.length / tickets
            );
        }
    }

    function test_GasRedeemSingleLaterInRound() public {
        bytes memory t = winning(1);
        coolAll();
        vm.prank(orch);
        broker.redeemWinningTicket(t);
        record("redeem single later in round", abi.encodeCall(broker.redeemWinningTicket, (t)), 1);
    }

    /// @dev The orchestrator's first fee of the round: the staking side records a new
    /// (orchestrator, round) entry. The broker's round cache is already fresh.
    function test_GasRedeemSingleFirstForOrchestrator() public {
        bytes memory t = winningFor(1, orch2);
        coolAll();
        vm.prank(orch2);
        broker.redeemWinningTicket(t);
        record("redeem single first for orchestrator", abi.encodeCall(broker.redeemWinningTicket, (t)), 1);
    }

    /// @dev The first redemption of the round network-wide: it also refreshes the broker's round
    /// cache (paid once per round by whoever redeems first) and opens the staking side's entry.
    function test_GasRedeemSingleFirstInRound() public {
        nextRound();
        bytes memory t = winning(1);
        coolAll();
        vm.prank(orch);
        broker.redeemWinningTicket(t);
        record("redeem single first in round", abi.encodeCall(broker.redeemWinningTicket, (t)), 1);
    }

    function test_GasRedeemSingleFromReserve() public {
        bytes memory t = winning(1);
        // Empty the deposit so the ticket is paid from the reserve (first claim of the round).
        vm.store(address(broker), senderSlot(senders[1]), bytes32(uint256(10 ether) << 112));
        coolAll();
        vm.prank(orch);
        broker.redeemWinningTicket(t);
        record("redeem single from reserve", abi.encodeCall(broker.redeemWinningTicket, (t)), 1);
    }

    /// @dev Batches later in the round, every ticket from a different sender (the costly case:
    /// each sender's slot is cold).
    function test_GasBatch10() public {
        batch(10, 10, "batch 10");
    }

    function test_GasBatch100() public {
        batch(100, 100, "batch 100");
    }

    /// @dev Batches whose tickets come from 5 senders (a keeper's usual batch: a few broadcasters).
    function test_GasBatch10FiveSenders() public {
        batch(10, 5, "batch 10 five senders");
    }

    function test_GasBatch100FiveSenders() public {
        batch(100, 5, "batch 100 five senders");
    }

    function batch(uint256 n, uint256 distinctSenders, string memory name) internal {
        bytes memory tickets;
        for (uint256 i; i < n; ++i) {
            tickets = bytes.concat(tickets, winning(1 + i % distinctSenders));
        }
        coolAll();
        vm.prank(orch);
        bytes4[] memory failures = broker.batchRedeemWinningTickets(tickets);
        record(name, abi.encodeCall(broker.batchRedeemWinningTickets, (tickets)), n);
        for (uint256 i; i < n; ++i) {
            assertEq(uint32(failures[i]), 0);
        }
    }

    function senderSlot(address s) internal pure returns (bytes32) {
        bytes32 base = 0x87b831a58831efecb262f82895a006e5979f10a61d768b23f298b445c6ab5400;
        return keccak256(abi.encode(s, uint256(base) + 3));
    }
}
