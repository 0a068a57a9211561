// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {RoundsManager} from "../../src/RoundsManager.sol";
import {TicketBroker} from "../../src/TicketBroker.sol";
import {TicketLib} from "../../src/libraries/TicketLib.sol";
import {FeeIntakeStub} from "../utils/FeeIntakeStub.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice Drives several senders and orchestrators through funding, unlock, withdrawal, single and
/// batched redemption, fee claims and round changes, and keeps an independent ledger (ghosts) to
/// compare with the broker.
contract TicketBrokerHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant SENDERS = 4;
    uint256 internal constant ORCHS = 3;
    uint256 internal constant MAX_POOL = 48;

    TicketBroker public immutable broker;
    FeeIntakeStub public immutable staking;
    RoundsManager public immutable rounds;
    address public immutable governance;

    address[SENDERS] public senders;
    uint256[SENDERS] internal keys;
    address[ORCHS] public orchs;

    struct Issued {
        bytes packed;
        bytes32 hash;
        address sender;
        uint256 recipient;
        uint256 creationRound;
    }

    Issued[] internal pool;
    uint32 internal nonce;

    // ------------------------------------------------------------------ ghosts
    mapping(address => uint256) public ghostDeposit;
    mapping(address => uint256) public ghostReserve;
    mapping(bytes32 => bool) public ghostRedeemed;
    mapping(address sender => uint256) internal ghostSnapRound;
    mapping(address sender => uint256) internal ghostSnapReserve;
    mapping(address sender => mapping(uint256 rnd => mapping(address recipient => uint256))) public
        ghostClaimed;
    uint256 public ghostCredited;
    uint256 public ghostPaid;
    uint256 public ghostDoubleRedeems;
    uint256 public ghostOverAllocations;
    uint256 public ghostWithdrawalsWithLiveTickets;
    uint256 public ghostRedemptions;
    uint256 public ghostReserveClaims;
    uint256 public ghostWithdrawals;
    uint256 public ghostBatchFailures;
    mapping(bytes4 => uint256) public ghostFailures;

    constructor(TicketBroker broker_, FeeIntakeStub staking_, RoundsManager rounds_, address governance_) {
        broker = broker_;
        staking = staking_;
        rounds = rounds_;
        governance = governance_;
        for (uint256 i; i < SENDERS; ++i) {
            uint256 key = uint256(keccak256(abi.encode("invariant sender", i)));
            keys[i] = key;
            senders[i] = vm.addr(key);
            vm.deal(senders[i], 1_000_000 ether);
        }
        for (uint256 i; i < ORCHS; ++i) {
            orchs[i] = address(uint160(uint256(keccak256(abi.encode("invariant orch", i)))));
        }
        _setStakes(rounds.currentRound(), 0);
    }

    /// @dev Gives every sender a starting deposit and reserve (called once by the suite's setUp).
    function seed() external {
        for (uint256 i; i < SENDERS; ++i) {
            vm.prank(senders[i]);
            broker.fundDepositAndReserve{value: 4.5 ether}(0.5 ether, 4 ether);
            ghostDeposit[senders[i]] += 0.5 ether;
            ghostReserve[senders[i]] += 4 ether;
        }
    }

    // ------------------------------------------------------------------ actions

    function fund(uint256 senderSeed, uint256 funderSeed, uint256 dep, uint256 res) external {
        address sender = senders[senderSeed % SENDERS];
        address funder = senders[funderSeed % SENDERS];
        dep = dep % 2 ether;
        res = res % 5 ether;
        if (dep + res == 0) return;
        vm.prank(funder);
        if (funder == sender) broker.fundDepositAndReserve{value: dep + res}(dep, res);
        else broker.fundDepositAndReserveFor{value: dep + res}(sender, dep, res);
        ghostDeposit[sender] += dep;
        ghostReserve[sender] += res;
    }

    function unlock(uint256 senderSeed) external {
        if ((senderSeed >> 128) % 4 != 0) return; // senders unlock rarely
        address sender = senders[senderSeed % SENDERS];
        (uint256 dep, uint256 res, uint256 wr) = broker.getSender(sender);
        if (wr != 0 || dep + res == 0) return;
        vm.prank(sender);
        broker.unlock();
    }

    function cancelUnlock(uint256 senderSeed) external {
        address sender = senders[senderSeed % SENDERS];
        (,, uint256 wr) = broker.getSender(sender);
        if (wr == 0) return;
        vm.prank(sender);
        broker.cancelUnlock();
    }

    function withdraw(uint256 senderSeed) external {
        address sender = senders[senderSeed % SENDERS];
        (uint256 dep, uint256 res, uint256 wr) = broker.getSender(sender);
        uint256 r = rounds.currentRound();
        if (wr == 0 || r < wr) return;
        for (uint256 i; i < pool.length; ++i) {
            Issued storage t = pool[i];
            if (
                t.sender == sender && !ghostRedeemed[t.hash]
                    && r < t.creationRound + broker.ticketValidityPeriod()
            ) {
                ++ghostWithdrawalsWithLiveTickets;
            }
        }
        uint256 before = sender.balance;
        vm.prank(sender);
        broker.withdraw();
        require(sender.balance == before + dep + res, "withdraw paid the wrong amount");
        ghostDeposit[sender] = 0;
        ghostReserve[sender] = 0;
        ++ghostWithdrawals;
    }

    /// @dev A sender signs a winning ticket for an orchestrator, as it would while streaming. Only
    /// locked senders get work (an orchestrator stops serving a sender that unlocked).
    function issue(uint256 senderSeed, uint256 orchSeed, uint256 faceValue) external {
        if (pool.length >= MAX_POOL) return;
        uint256 si = senderSeed % SENDERS;
        uint256 wr;
        for (uint256 k; k < SENDERS; ++k) {
            (,, wr) = broker.getSender(senders[(si + k) % SENDERS]);
            if (wr == 0) {
                si = (si + k) % SENDERS;
                break;
            }
        }
        if (wr != 0) return;
        uint256 r = rounds.currentRound();
        bytes32 bh = rounds.blockHashForRound(r);
        if (bh == bytes32(0)) return;
        uint256 oi = orchSeed % ORCHS;
        uint256 rand = uint256(keccak256(abi.encode(++nonce)));
        TicketLib.Ticket memory t = TicketLib.Ticket({
            recipient: orchs[oi],
            sender: senders[si],
            // forge-lint: disable-next-line(unsafe-typecast) -- bounded to 1.5 ether
            faceValue: uint128(1 + faceValue % 1.5 ether),
            winProb: type(uint256).max,
            senderNonce: nonce,
            recipientRandHash: keccak256(abi.encode(rand)),
            // forge-lint: disable-next-line(unsafe-typecast) -- rounds stay small
            creationRound: uint32(r),
            creationRoundBlockHash: bh
        });
        bytes32 h = TicketLib.digest(broker.domainSeparator(), TicketLib.structHash(t));
        (uint8 v, bytes32 rr, bytes32 ss) = vm.sign(keys[si], h);
        pool.push(Issued(TicketLib.pack(t, rand, abi.encodePacked(rr, ss, v)), h, senders[si], oi, r));
    }

    function redeem(uint256 idx) external {
        if (pool.length == 0) return;
        Issued memory t = pool[idx % pool.length];
        vm.recordLogs();
        vm.prank(orchs[t.recipient]);
        try broker.redeemWinningTicket(t.packed) {}
        catch (bytes memory reason) {
            // forge-lint: disable-next-line(unsafe-typecast) -- the error selector, on purpose
            ++ghostFailures[bytes4(reason)];
        }
        _absorbLogs();
    }

    /// @dev Redeems up to six pool tickets of one orchestrator in one batch, duplicates included.
    function redeemBatch(uint256 orchSeed, uint256 pick) external {
        uint256 oi = orchSeed % ORCHS;
        if (pool.length == 0) return;
        pick %= pool.length;
        bytes memory batch;
        for (uint256 i; i < pool.length && i < 12; ++i) {
            Issued storage t = pool[(pick + i * 7) % pool.length];
            if (t.recipient == oi && batch.length < 6 * TicketLib.TICKET_LENGTH) {
                batch = bytes.concat(batch, t.packed);
            }
        }
        if (batch.length == 0) return;
        vm.recordLogs();
        vm.prank(orchs[oi]);
        bytes4[] memory failures = broker.batchRedeemWinningTickets(batch);
        for (uint256 i; i < failures.length; ++i) {
            if (failures[i] != bytes4(0)) ++ghostBatchFailures;
        }
        _absorbLogs();
    }

    function claimFees(uint256 orchSeed, uint256 roundBack) external {
        address orch = orchs[orchSeed % ORCHS];
        uint256 r = rounds.currentRound();
        uint256 rnd = r - roundBack % r;
        uint256 owed = staking.feesOf(orch, rnd);
        if (owed == 0) return;
        vm.prank(orch);
        staking.claimFees(rnd);
        ghostPaid += owed;
    }

    /// @dev A touch of an orchestrator's pool on the staking side: takes what the broker holds.
    function collect(uint256 orchSeed) external {
        staking.collect(orchs[orchSeed % ORCHS]);
    }

    /// @dev Σ over the orchestrators of the fees the broker still holds for them.
    function heldFees() external view returns (uint256 sum) {
        for (uint256 i; i < ORCHS; ++i) {
            (, uint256 a,, uint256 b) = broker.pendingFees(orchs[i]);
            sum += a + b;
        }
    }

    /// @dev Governance changes the round length (effective from the next round).
    function setRoundLength(uint256 len) external {
        vm.prank(governance);
        rounds.setRoundLength(5 + len % 60);
    }

    /// @dev Time passes inside a round, or into the next one without anyone initializing it.
    function rollBlocks(uint256 blocks) external {
        vm.roll(block.number + 1 + blocks % rounds.roundLength());
    }

    function advanceRound(uint256 stakeSeed) external {
        vm.roll(rounds.currentRoundStartBlock() + rounds.roundLength());
        if (rounds.currentRoundInitialized()) return;
        rounds.initializeRound();
        _setStakes(rounds.currentRound(), stakeSeed);
        // forget expired tickets so the pool keeps room for new ones
        uint256 r = rounds.currentRound();
        uint256 validity = broker.ticketValidityPeriod();
        for (uint256 i = pool.length; i > 0; --i) {
            if (pool[i - 1].creationRound + validity <= r) {
                pool[i - 1] = pool[pool.length - 1];
                pool.pop();
            }
        }
    }

    // ------------------------------------------------------------------ ledger

    function _setStakes(uint256 rnd, uint256 entropy) internal {
        entropy = entropy == 0 ? 0 : uint256(keccak256(abi.encode(entropy)));
        for (uint256 i; i < ORCHS; ++i) {
            // mostly active, sometimes not; stakes differ between orchestrators and rounds
            uint256 stake =
                (entropy >> (8 * i)) % 8 == 0 && entropy != 0 ? 0 : 100 * (i + 1) + (entropy >> (8 * i)) % 50;
            vm.prank(governance);
            staking.setStake(orchs[i], rnd, stake);
        }
    }

    /// @dev Replays the broker's events into the ghost ledger, checking each against the rules.
    function _absorbLogs() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 redeemedSig = keccak256("TicketRedeemed(bytes32,address,address,uint256,uint256)");
        bytes32 claimedSig = keccak256("ReserveClaimed(address,address,uint256,uint256)");
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(broker)) continue;
            bytes32 sig = logs[i].topics[0];
            if (sig == claimedSig) {
                address sender = address(uint160(uint256(logs[i].topics[1])));
                address recipient = address(uint160(uint256(logs[i].topics[2])));
                uint256 rnd = uint256(logs[i].topics[3]);
                uint256 amount = abi.decode(logs[i].data, (uint256));
                if (ghostSnapRound[sender] != rnd) {
                    ghostSnapRound[sender] = rnd;
                    ghostSnapReserve[sender] = ghostReserve[sender];
                }
                ghostClaimed[sender][rnd][recipient] += amount;
                uint256 stake = staking.activeStake(recipient, rnd);
                uint256 total = staking.totalActiveStake(rnd);
                if (ghostClaimed[sender][rnd][recipient] > ghostSnapReserve[sender] * stake / total) {
                    ++ghostOverAllocations;
                }
                // the deposit was emptied first, then the reserve paid the rest
                ghostReserve[sender] -= amount;
                ghostDeposit[sender] = 0;
                ++ghostReserveClaims;
            } else if (sig == redeemedSig) {
                bytes32 h = logs[i].topics[1];
                address sender = address(uint160(uint256(logs[i].topics[2])));
                (uint256 faceValue,) = abi.decode(logs[i].data, (uint256, uint256));
                if (ghostRedeemed[h]) ++ghostDoubleRedeems;
                ghostRedeemed[h] = true;
                ghostCredited += faceValue;
                ++ghostRedemptions;
                // the reserve part (if any) was absorbed from the ReserveClaimed log just before
                if (!_paidFromReserve(logs, i)) ghostDeposit[sender] -= faceValue;
            }
        }
    }

    function _paidFromReserve(Vm.Log[] memory logs, uint256 i) internal pure returns (bool) {
        return i > 0 && logs[i - 1].topics[0] == keccak256("ReserveClaimed(address,address,uint256,uint256)");
    }

    function senderCount() external pure returns (uint256) {
        return SENDERS;
    }

    function orchCount() external pure returns (uint256) {
        return ORCHS;
    }

    function poolSize() external view returns (uint256) {
        return pool.length;
    }
}
