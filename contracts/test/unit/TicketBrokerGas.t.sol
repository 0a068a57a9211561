// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ITicketBroker} from "../../src/interfaces/ITicketBroker.sol";
import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {BrokerFixture} from "../utils/BrokerFixture.sol";

/// @notice Gas of the hot paths, recorded in `snapshots/ticket-broker.json` and gated in CI.
/// Every input is prepared in `setUp` and the measured call is the first call of its test, so every
/// account and slot it touches is cold, as in a real transaction (whose `to` is warm: forge charges
/// the test contract, not the measured frame, for reaching the proxy). `snapshotGasLastCall`
/// measures execution only; the total transaction gas adds the 21,000 base and the calldata gas,
/// recorded next to it.
abstract contract TicketBrokerGasBase is BrokerFixture {
    uint256 internal constant FACE_VALUE = 0.05 ether;
    /// @dev A realistic-looking win probability (one in two): its bytes cost like a real one's.
    uint256 internal constant WIN_PROB = type(uint256).max / 2;
    uint256 internal constant SENDERS = 102;

    address internal orch;
    address internal orch2;
    address[] internal senders;
    uint256[] internal keys;
    uint32 internal nonce;
    bytes32 internal domain;

    /// @dev Funded senders, both orchestrators active, and one redemption already made in the
    /// round by `orch` (so the broker's round cache and `orch`'s fee entry exist).
    function setUpLaterInRound() internal {
        deployBroker();
        domain = TicketLib.domainSeparator(address(broker));
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
        for (uint256 r = round(); r <= round() + 1; ++r) {
            staking.setStake(orch, r, 1000 ether);
            staking.setStake(orch2, r, 1000 ether);
        }
        bytes memory t = winning(0, orch);
        vm.prank(orch);
        broker.redeemWinningTicket(t);
    }

    /// @dev A winning ticket from sender `i`, created in the current round (signed without calling
    /// the broker, so nothing is warmed).
    function winning(uint256 i, address recipient) internal returns (bytes memory packed) {
        for (uint256 rand = 1;; ++rand) {
            uint256 r = uint256(keccak256(abi.encode(rand)));
            TicketLib.Ticket memory t = makeTicket(senders[i], recipient, FACE_VALUE, WIN_PROB, ++nonce, r);
            (uint8 v, bytes32 rr, bytes32 ss) =
                vm.sign(keys[i], TicketLib.digest(domain, TicketLib.structHash(t)));
            bytes memory sig = abi.encodePacked(rr, ss, v);
            if (uint256(keccak256(abi.encodePacked(sig, r))) < WIN_PROB) return TicketLib.pack(t, r, sig);
        }
    }

    function batchOf(uint256 n, uint256 distinctSenders) internal returns (bytes memory tickets) {
        for (uint256 i; i < n; ++i) {
            tickets = bytes.concat(tickets, winning(1 + i % distinctSenders, orch));
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

    function redeemSingle(address recipient, bytes memory t, string memory name) internal {
        vm.prank(recipient);
        broker.redeemWinningTicket(t);
        record(name, abi.encodeCall(broker.redeemWinningTicket, (t)), 1);
        assertTrue(broker.isUsedTicket(TicketLib.digest(domain, structHashOf(t))));
    }

    function redeemBatch(bytes memory tickets, uint256 n, string memory name) internal {
        vm.prank(orch);
        bytes4[] memory failures = broker.batchRedeemWinningTickets(tickets);
        record(name, abi.encodeCall(broker.batchRedeemWinningTickets, (tickets)), n);
        for (uint256 i; i < n; ++i) {
            assertEq(uint32(failures[i]), 0);
        }
    }

    function structHashOf(bytes memory t) internal view returns (bytes32) {
        return this.hashPacked(t);
    }

    function hashPacked(bytes calldata t) external pure returns (bytes32) {
        return TicketLib.structHash(t);
    }
}

/// @notice Redemptions later in a round: the broker's round cache is fresh.
contract TicketBrokerGasTest is TicketBrokerGasBase {
    bytes internal single;
    bytes internal firstForOrch;
    bytes internal fromReserve;
    bytes internal batch10;
    bytes internal batch100;
    bytes internal batch10Five;
    bytes internal batch100Five;

    function setUp() public {
        setUpLaterInRound();
        single = winning(1, orch);
        firstForOrch = winning(1, orch2);
        fromReserve = winning(101, orch);
        // Empty sender 101's deposit (no batch uses it) so its ticket is paid from the reserve, the
        // first reserve claim of the round.
        bytes32 base = 0x87b831a58831efecb262f82895a006e5979f10a61d768b23f298b445c6ab5400;
        vm.store(
            address(broker),
            keccak256(abi.encode(senders[101], uint256(base) + 3)),
            bytes32(uint256(10 ether) << 112)
        );
        batch10 = batchOf(10, 10);
        batch100 = batchOf(100, 100);
        batch10Five = batchOf(10, 5);
        batch100Five = batchOf(100, 5);
    }

    function test_GasRedeemSingleLaterInRound() public {
        redeemSingle(orch, single, "redeem single later in round");
    }

    /// @dev The orchestrator's first fee of the round: the staking side opens a new
    /// (orchestrator, round) entry.
    function test_GasRedeemSingleFirstForOrchestrator() public {
        redeemSingle(orch2, firstForOrch, "redeem single first for orchestrator");
    }

    function test_GasRedeemSingleFromReserve() public {
        redeemSingle(orch, fromReserve, "redeem single from reserve");
    }

    /// @dev Every ticket from a different sender (the costly case: each sender's slot is cold).
    function test_GasBatch10() public {
        redeemBatch(batch10, 10, "batch 10");
    }

    function test_GasBatch100() public {
        redeemBatch(batch100, 100, "batch 100");
    }

    /// @dev Tickets from 5 senders (a keeper's usual batch: a few broadcasters).
    function test_GasBatch10FiveSenders() public {
        redeemBatch(batch10Five, 10, "batch 10 five senders");
    }

    function test_GasBatch100FiveSenders() public {
        redeemBatch(batch100Five, 100, "batch 100 five senders");
    }
}

/// @notice The first redemption of a round network-wide: it refreshes the broker's round cache (paid
/// once per round by whoever redeems first) and opens the staking side's fee entry.
contract TicketBrokerGasFirstInRoundTest is TicketBrokerGasBase {
    bytes internal single;

    function setUp() public {
        setUpLaterInRound();
        nextRound();
        single = winning(1, orch);
    }

    function test_GasRedeemSingleFirstInRound() public {
        redeemSingle(orch, single, "redeem single first in round");
    }
}

/// @notice A rejected redemption is cheap: the first redemption transaction of a round, sent by an
/// account that is not the ticket's recipient. The checks that read only calldata run before the
/// round-cache refresh and every storage read, so it costs the transaction, the proxy hop and the
/// pause check, not the refresh (86k before they were moved ahead of it).
contract TicketBrokerGasRejectedTest is TicketBrokerGasBase {
    bytes internal single;

    function setUp() public {
        setUpLaterInRound();
        nextRound();
        single = winning(1, orch);
    }

    function test_GasRejectedWrongRecipientFirstInRound() public {
        bytes memory input = abi.encodeCall(broker.redeemWinningTicket, (single));
        vm.prank(orch2);
        (bool ok, bytes memory reason) = address(broker).call(input);
        uint256 exec =
            vm.snapshotGasLastCall("ticket-broker", "rejected wrong recipient first in round execution");
        uint256 total = 21_000 + calldataGas(input) + exec;
        vm.snapshotValue("ticket-broker", "rejected wrong recipient first in round total tx gas", total);
        assertFalse(ok);
        assertEq(reason, abi.encodeWithSelector(ITicketBroker.WrongRecipient.selector, orch, orch2));
        vm.assertLt(total, 40_000, "refused before the round-cache refresh and the storage reads");
    }
}
