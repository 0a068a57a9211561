// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManager} from "../contracts/src/interfaces/IBondingManager.sol";
import {IFaultVerifier} from "../contracts/src/interfaces/IFaultVerifier.sol";
import {ILivepeerToken} from "../contracts/src/interfaces/ILivepeerToken.sol";
import {IRetiredTicketBroker} from "../contracts/src/interfaces/IRetiredTicketBroker.sol";
import {IRoundsManager} from "../contracts/src/interfaces/IRoundsManager.sol";
import {IServiceRegistry} from "../contracts/src/interfaces/IServiceRegistry.sol";
import {ITicketBroker} from "../contracts/src/interfaces/ITicketBroker.sol";
import {SegmentReceipt} from "../contracts/src/libraries/SegmentReceipt.sol";
import {TicketLib} from "../contracts/src/libraries/TicketLib.sol";
import {console} from "../contracts/test/utils/console.sol";
import {Script} from "./utils/Script.sol";
import {ScriptVm} from "./utils/ScriptVm.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title Populate
/// @notice Fills a fresh local deployment with realistic state by real transactions from anvil's
/// dev accounts (the test mnemonic): orchestrators self-bonded with announced cuts, delegators
/// spread over them, senders with deposits and reserves, rewards, unbonding locks, an unlock. Used
/// by `script/rehearsal.sh`; never point it at a real chain.
/// @dev Phases (`POPULATE_PHASE`), one round apart (the caller mines the blocks between them):
/// 1 — fund, bond, announce cuts, fund senders; 2 — initialize the round, rewards, unbonds, an
/// unlock; 3 — initialize the round, rewards again (rewards pending), a claim; 4 — winning tickets
/// redeemed (their fees held by the broker). 1 also schedules making a committee-reviewed service
/// known; 8, after the timelock delay, executes that and leaves a fault challenge pending. Broker
/// replacement (see `script/ReplaceBroker.s.sol`): 5 — tickets signed and kept in `POPULATE_TICKETS`;
/// 6 — every sender moves its funds from `POPULATE_OLD_BROKER`; 7 — the tickets of phase 5 redeemed
/// on `POPULATE_OLD_BROKER`.
/// Account indexes: 0 deployer, 1..O orchestrators, then D delegators, then S senders.
contract Populate is Script {
    ScriptVm private constant svm = ScriptVm(address(uint160(uint256(keccak256("hevm cheat code")))));
    string private constant MNEMONIC = "test test test test test test test test test test test junk";

    ILivepeerToken private token;
    IBondingManager private bonding;
    ITicketBroker private broker;
    IRoundsManager private rounds;
    string private deployment;
    uint256 private o;
    uint256 private dl;
    uint256 private s;

    /// @notice Runs the phase named by `POPULATE_PHASE`.
    function run() external {
        string memory d = svm.readFile(svm.envOr("STREAMFLOW_DEPLOYMENT", string("deployments/local.json")));
        deployment = d;
        token = ILivepeerToken(svm.parseJsonAddress(d, ".livepeerToken"));
        bonding = IBondingManager(svm.parseJsonAddress(d, ".bondingManager"));
        broker = ITicketBroker(svm.parseJsonAddress(d, ".ticketBroker"));
        rounds = IRoundsManager(svm.parseJsonAddress(d, ".roundsManager"));
        o = svm.envOr("POPULATE_ORCHESTRATORS", uint256(20));
        dl = svm.envOr("POPULATE_DELEGATORS", uint256(30));
        s = svm.envOr("POPULATE_SENDERS", uint256(8));
        uint256 phase = svm.envOr("POPULATE_PHASE", uint256(1));
        if (phase == 1) _phase1();
        else if (phase == 2) _phase2();
        else if (phase == 3) _phase3();
        else if (phase == 4) _phase4();
        else if (phase == 5) _signForLater(svm.envString("POPULATE_TICKETS"));
        else if (phase == 6) _moveFunds();
        else if (phase == 7) _redeemSigned(svm.envString("POPULATE_TICKETS"));
        else _challenge();
    }

    /// @notice An LPT transfer returned false.
    error TransferFailed(address to);

    function _key(uint256 i) private pure returns (uint256) {
        // forge-lint: disable-next-line(unsafe-typecast) -- dev account indexes are small
        return svm.deriveKey(MNEMONIC, uint32(i));
    }

    function _phase1() private {
        svm.startBroadcast(_key(0));
        if (!rounds.currentRoundInitialized()) rounds.initializeRound();
        for (uint256 i = 1; i <= o + dl; ++i) {
            address to = svm.addr(_key(i));
            if (!token.transfer(to, i <= o ? 10_000 ether : 5000 ether)) revert TransferFailed(to);
        }
        svm.stopBroadcast();
        for (uint256 i = 1; i <= o; ++i) {
            svm.startBroadcast(_key(i));
            token.approve(address(bonding), type(uint256).max);
            bonding.bond(2000 ether + i * 10 ether, svm.addr(_key(i)));
            bonding.announceCuts(100_000 + i * 1000, 500_000 + i * 1000);
            svm.stopBroadcast();
        }
        for (uint256 j = 0; j < dl; ++j) {
            svm.startBroadcast(_key(o + 1 + j));
            token.approve(address(bonding), type(uint256).max);
            bonding.bond(1000 ether + j * 7 ether, svm.addr(_key(1 + (j % o))));
            svm.stopBroadcast();
        }
        for (uint256 k = 0; k < s; ++k) {
            svm.startBroadcast(_key(o + dl + 1 + k));
            broker.fundDepositAndReserve{value: 1 ether + k * 0.1 ether}(1 ether + k * 0.1 ether, 0);
            broker.fundDepositAndReserve{value: 0.5 ether}(0, 0.5 ether);
            svm.stopBroadcast();
        }
        _reviewedService(false);
        console.log("phase 1: orchestrators", o);
        console.log("         delegators   ", dl);
        console.log("         senders      ", s);
    }

    function _phase2() private {
        svm.startBroadcast(_key(0));
        rounds.initializeRound();
        svm.stopBroadcast();
        _rewards();
        for (uint256 j = 0; j < dl; j += 3) {
            svm.startBroadcast(_key(o + 1 + j));
            bonding.unbond(300 ether);
            svm.stopBroadcast();
        }
        svm.startBroadcast(_key(o + dl + 1));
        broker.unlock();
        svm.stopBroadcast();
        console.log("phase 2: rewards, unbonding locks, one unlock");
    }

    function _phase3() private {
        svm.startBroadcast(_key(0));
        rounds.initializeRound();
        svm.stopBroadcast();
        _rewards();
        for (uint256 j = 1; j < dl; j += 5) {
            svm.startBroadcast(_key(o + 1 + j));
            bonding.claimEarnings();
            svm.stopBroadcast();
        }
        console.log("phase 3: rewards again, some claims");
    }

    function _phase4() private {
        uint256 r = rounds.currentRound();
        bytes32 hash = rounds.blockHashForRound(r);
        bytes32 domain = broker.domainSeparator();
        for (uint256 k = 0; k < s; ++k) {
            uint256 senderKey = _key(o + dl + 1 + k);
            uint256 recipientKey = _key(1 + (k % o));
            uint256 rand = uint256(keccak256(abi.encode("rehearsal", r, k)));
            TicketLib.Ticket memory t = TicketLib.Ticket({
                recipient: svm.addr(recipientKey),
                sender: svm.addr(senderKey),
                // forge-lint: disable-next-line(unsafe-typecast) -- a small local face value
                faceValue: uint128(0.01 ether + k * 0.001 ether),
                winProb: type(uint256).max,
                // forge-lint: disable-next-line(unsafe-typecast) -- small rehearsal counters
                senderNonce: uint32(r * 1000 + k),
                recipientRandHash: keccak256(abi.encode(rand)),
                // forge-lint: disable-next-line(unsafe-typecast) -- local rounds are small
                creationRound: uint32(r),
                creationRoundBlockHash: hash
            });
            (uint8 v, bytes32 sr, bytes32 ss) =
                svm.sign(senderKey, TicketLib.digest(domain, TicketLib.structHash(t)));
            bytes memory ticket = TicketLib.pack(t, rand, abi.encodePacked(sr, ss, v));
            svm.startBroadcast(recipientKey);
            broker.redeemWinningTicket(ticket);
            svm.stopBroadcast();
        }
        console.log("phase 4: winning tickets redeemed", s);
    }

    /// @dev Phase 5: every sender signs a winning ticket of the current round to its orchestrator,
    /// against the deployment's broker, kept in `file` for phase 7 (tickets issued before a broker
    /// replacement and redeemed after it).
    function _signForLater(string memory file) private {
        uint256 r = rounds.currentRound();
        bytes[] memory tickets = new bytes[](s);
        for (uint256 k = 0; k < s; ++k) {
            tickets[k] = _signed(k, r, 0.02 ether, uint256(keccak256(abi.encode("later", r, k))));
        }
        string memory json = svm.serializeBytes("tickets", "tickets", tickets);
        svm.writeJson(json, file);
        console.log("phase 5: tickets signed for later", s);
    }

    /// @dev Phase 6: every sender moves its funds from the retired broker (`POPULATE_OLD_BROKER`) to
    /// the registered one.
    function _moveFunds() private {
        address old = svm.envOr("POPULATE_OLD_BROKER", address(0));
        for (uint256 k = 0; k < s; ++k) {
            uint256 senderKey = _key(o + dl + 1 + k);
            (uint256 dep, uint256 res,) = ITicketBroker(old).getSender(svm.addr(senderKey));
            if (dep + res == 0) continue;
            svm.startBroadcast(senderKey);
            IRetiredTicketBroker(old).moveFunds();
            svm.stopBroadcast();
        }
        console.log("phase 6: senders moved their funds", s);
    }

    /// @dev Phase 7: the tickets of phase 5 are redeemed on the broker they were signed for
    /// (`POPULATE_OLD_BROKER`).
    function _redeemSigned(string memory file) private {
        ITicketBroker old = ITicketBroker(svm.envOr("POPULATE_OLD_BROKER", address(0)));
        bytes[] memory tickets = svm.parseJsonBytesArray(svm.readFile(file), ".tickets");
        for (uint256 k = 0; k < tickets.length; ++k) {
            svm.startBroadcast(_key(1 + (k % o)));
            old.redeemWinningTicket(tickets[k]);
            svm.stopBroadcast();
        }
        console.log(
            "phase 7: tickets signed before the replacement, redeemed on the old broker", tickets.length
        );
    }

    function _signed(uint256 k, uint256 r, uint256 faceValue, uint256 rand)
        private
        view
        returns (bytes memory)
    {
        uint256 senderKey = _key(o + dl + 1 + k);
        TicketLib.Ticket memory t = TicketLib.Ticket({
            recipient: svm.addr(_key(1 + (k % o))),
            sender: svm.addr(senderKey),
            // forge-lint: disable-next-line(unsafe-typecast) -- a small local face value
            faceValue: uint128(faceValue),
            winProb: type(uint256).max,
            // forge-lint: disable-next-line(unsafe-typecast) -- small rehearsal counters
            senderNonce: uint32(r * 1000 + 500 + k),
            recipientRandHash: keccak256(abi.encode(rand)),
            // forge-lint: disable-next-line(unsafe-typecast) -- local rounds are small
            creationRound: uint32(r),
            creationRoundBlockHash: rounds.blockHashForRound(r)
        });
        (uint8 v, bytes32 sr, bytes32 ss) =
            svm.sign(senderKey, TicketLib.digest(broker.domainSeparator(), TicketLib.structHash(t)));
        return TicketLib.pack(t, rand, abi.encodePacked(sr, ss, v));
    }

    /// @dev The committee-reviewed service the challenge of phase 8 is about. Governance makes it
    /// known (phase 1 schedules the timelock operation, phase 8 executes it; single-key governance
    /// sets it at once in phase 1).
    bytes32 private constant REVIEWED = keccak256("H264 1080p->360p reviewed");

    function _reviewedService(bool execute) private {
        address registry = svm.parseJsonAddress(deployment, ".serviceRegistry");
        bytes memory call = abi.encodeCall(
            IServiceRegistry.setKnownService,
            (REVIEWED, svm.parseJsonAddress(deployment, ".committeeVerifier"), true)
        );
        svm.startBroadcast(_key(0));
        if (!svm.keyExistsJson(deployment, ".timelock")) {
            if (!execute) {
                (bool ok,) = registry.call(call);
                if (!ok) revert TransferFailed(registry);
            }
        } else {
            TimelockController t = TimelockController(payable(svm.parseJsonAddress(deployment, ".timelock")));
            if (execute) t.execute(registry, 0, call, bytes32(0), REVIEWED);
            else t.schedule(registry, 0, call, bytes32(0), REVIEWED, t.getMinDelay());
        }
        svm.stopBroadcast();
    }

    /// @dev Phase 8 (after the timelock delay): the last orchestrator lists the reviewed service and
    /// a sender opens a challenge of one of its segment receipts, which stays pending (the committee
    /// does not vote): the orchestrator's own stake is frozen and the challenger's bond held.
    function _challenge() private {
        if (svm.keyExistsJson(deployment, ".timelock")) _reviewedService(true);
        uint256 orchKey = _key(o);
        bytes32[] memory regions = new bytes32[](1);
        regions[0] = keccak256("EU");
        IServiceRegistry.Service[] memory services = new IServiceRegistry.Service[](1);
        services[0] = IServiceRegistry.Service({id: REVIEWED, verifier: address(0)});
        svm.startBroadcast(orchKey);
        IServiceRegistry(svm.parseJsonAddress(deployment, ".serviceRegistry"))
            .register("https://orchestrator.local", regions, services);
        svm.stopBroadcast();
        IFaultVerifier faults = IFaultVerifier(svm.parseJsonAddress(deployment, ".faultVerifier"));
        uint256 challengerKey = _key(o + dl + 1 + (s > 1 ? 1 : 0));
        SegmentReceipt.Receipt memory r;
        r.broadcaster = svm.addr(challengerKey);
        r.orchestrator = svm.addr(orchKey);
        r.streamId = keccak256("rehearsal stream");
        r.seqNo = 1;
        r.inputHash = keccak256("segment 1");
        r.serviceId = REVIEWED;
        r.renditions = new SegmentReceipt.Rendition[](1);
        r.renditions[0] = SegmentReceipt.Rendition({
            profile: keccak256("360p30 H264 800kbps"),
            outputHash: keccak256("output 1"),
            pixels: 640 * 360 * 60
        });
        r.ticket = SegmentReceipt.TicketParams({
            faceValue: 0.01 ether,
            winProb: type(uint256).max / 100,
            senderNonce: 1,
            recipientRandHash: keccak256("rand"),
            creationRound: rounds.currentRound()
        });
        (uint8 v, bytes32 sr, bytes32 ss) = svm.sign(orchKey, faults.receiptDigest(r));
        uint256 bond = faults.params().challengeBond;
        svm.startBroadcast(challengerKey);
        uint256 id = faults.openChallenge{value: bond}(r, abi.encodePacked(sr, ss, v), "");
        svm.stopBroadcast();
        console.log("phase 8: challenge pending, id", id);
    }

    function _rewards() private {
        for (uint256 i = 1; i <= o; ++i) {
            svm.startBroadcast(_key(i));
            bonding.reward();
            svm.stopBroadcast();
        }
    }
}
