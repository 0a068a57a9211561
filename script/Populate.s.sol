// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IBondingManager} from "../contracts/src/interfaces/IBondingManager.sol";
import {ILivepeerToken} from "../contracts/src/interfaces/ILivepeerToken.sol";
import {IRoundsManager} from "../contracts/src/interfaces/IRoundsManager.sol";
import {ITicketBroker} from "../contracts/src/interfaces/ITicketBroker.sol";
import {TicketLib} from "../contracts/src/libraries/TicketLib.sol";
import {console} from "../contracts/test/utils/console.sol";
import {Script} from "./utils/Script.sol";
import {ScriptVm} from "./utils/ScriptVm.sol";

/// @title Populate
/// @notice Fills a fresh local deployment with realistic state by real transactions from anvil's
/// dev accounts (the test mnemonic): orchestrators self-bonded with announced cuts, delegators
/// spread over them, senders with deposits and reserves, rewards, unbonding locks, an unlock. Used
/// by `script/rehearsal.sh`; never point it at a real chain.
/// @dev Phases (`POPULATE_PHASE`), one round apart (the caller mines the blocks between them):
/// 1 — fund, bond, announce cuts, fund senders; 2 — initialize the round, rewards, unbonds, an
/// unlock; 3 — initialize the round, rewards again (rewards pending), a claim.
/// Account indexes: 0 deployer, 1..O orchestrators, then D delegators, then S senders.
contract Populate is Script {
    ScriptVm private constant svm = ScriptVm(address(uint160(uint256(keccak256("hevm cheat code")))));
    string private constant MNEMONIC = "test test test test test test test test test test test junk";

    ILivepeerToken private token;
    IBondingManager private bonding;
    ITicketBroker private broker;
    IRoundsManager private rounds;
    uint256 private o;
    uint256 private dl;
    uint256 private s;

    /// @notice Runs the phase named by `POPULATE_PHASE`.
    function run() external {
        string memory d = svm.readFile(svm.envOr("STREAMFLOW_DEPLOYMENT", string("deployments/local.json")));
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
        else _phase4();
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

    function _rewards() private {
        for (uint256 i = 1; i <= o; ++i) {
            svm.startBroadcast(_key(i));
            bonding.reward();
            svm.stopBroadcast();
        }
    }
}
