// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {TicketBroker} from "../contracts/src/TicketBroker.sol";
import {IController} from "../contracts/src/interfaces/IController.sol";
import {IRetiredTicketBroker} from "../contracts/src/interfaces/IRetiredTicketBroker.sol";
import {IRoundsManager} from "../contracts/src/interfaces/IRoundsManager.sol";
import {ITicketBroker} from "../contracts/src/interfaces/ITicketBroker.sol";
import {console} from "../contracts/test/utils/console.sol";
import {BrokerReplacement} from "./BrokerReplacement.sol";
import {Script} from "./utils/Script.sol";
import {ScriptVm} from "./utils/ScriptVm.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title ReplaceBroker
/// @notice Replaces the deployment's TicketBroker with a new one at a new address (the runbook is in
/// `docs/migration.md`). Steps (`REPLACE_STEP`), run separately:
/// - `deploy` (anyone): the new broker (not registered) and the retired implementation, written to
///   `REPLACEMENT_FILE`;
/// - `schedule` (a proposer): the governance batch of {BrokerReplacement} as one timelock batch,
///   written to `UPGRADE_BATCH` (execute it with `UPGRADE_STEP=execute script/Upgrade.s.sol`); with
///   single-key governance it is applied at once;
/// - `handover` (anyone, after the batch): `handOverFees` on the new broker for every orchestrator
///   the old broker still holds fees for, found from the old broker's `TicketRedeemed` events;
/// - `forward` (anyone, later): `forwardReserve` for every sender that moved and whose reserve can
///   leave now, found from `FundsMoved` events.
/// Environment: `STREAMFLOW_DEPLOYMENT` (default `deployments/local.json`; `ticketBroker` is the broker
/// to replace until the deployment file is updated), `REPLACEMENT_FILE` (default
/// `deployments/replacement.local.json`), `UPGRADE_BATCH` (default `deployments/upgrade-batch.local.json`).
contract ReplaceBroker is Script, BrokerReplacement {
    ScriptVm private constant svm = ScriptVm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bytes32 private constant TICKET_REDEEMED =
        keccak256("TicketRedeemed(bytes32,address,address,uint256,uint256)");
    bytes32 private constant FUNDS_MOVED = keccak256("FundsMoved(address,address,uint256,uint256,uint256)");

    /// @notice `REPLACE_STEP` is not one of the steps.
    error UnknownStep(string step);

    /// @notice Runs the step named by `REPLACE_STEP`.
    function run() external {
        string memory deployment =
            svm.readFile(svm.envOr("STREAMFLOW_DEPLOYMENT", string("deployments/local.json")));
        string memory file = svm.envOr("REPLACEMENT_FILE", string("deployments/replacement.local.json"));
        string memory step = svm.envOr("REPLACE_STEP", string("deploy"));
        bytes32 s = keccak256(bytes(step));
        if (s == keccak256("deploy")) _deploy(deployment, file);
        else if (s == keccak256("schedule")) _schedule(deployment, svm.readFile(file));
        else if (s == keccak256("handover")) _handover(deployment, svm.readFile(file));
        else if (s == keccak256("forward")) _forward(deployment, svm.readFile(file));
        else revert UnknownStep(step);
    }

    function _deploy(string memory deployment, string memory file) private {
        address controller = svm.parseJsonAddress(deployment, ".controller");
        TicketBroker old = TicketBroker(payable(svm.parseJsonAddress(deployment, ".ticketBroker")));
        svm.startBroadcast();
        Replacement memory r = _deployReplacement(IController(controller), old);
        svm.stopBroadcast();
        string memory k = "replacement";
        svm.serializeAddress(k, "controller", controller);
        svm.serializeAddress(k, "previousTicketBroker", address(old));
        svm.serializeAddress(k, "implementation", r.implementation);
        svm.serializeAddress(k, "retiredImplementation", r.retiredImplementation);
        svm.serializeUint(k, "deployBlock", block.number);
        string memory json = svm.serializeAddress(k, "ticketBroker", address(r.broker));
        svm.writeJson(json, file);
        console.log("new TicketBroker (not registered yet)", address(r.broker));
        console.log("retired implementation for the old one", r.retiredImplementation);
        console.log("written to", file);
    }

    function _schedule(string memory deployment, string memory replacement) private {
        (address[] memory targets, bytes[] memory payloads) = _replacementBatch(
            svm.parseJsonAddress(replacement, ".controller"),
            svm.parseJsonAddress(replacement, ".previousTicketBroker"),
            svm.parseJsonAddress(replacement, ".ticketBroker"),
            svm.parseJsonAddress(replacement, ".retiredImplementation")
        );
        if (!svm.keyExistsJson(deployment, ".timelock")) {
            svm.startBroadcast();
            for (uint256 i; i < targets.length; ++i) {
                (bool ok, bytes memory ret) = targets[i].call(payloads[i]);
                if (!ok) {
                    assembly {
                        revert(add(ret, 32), mload(ret))
                    }
                }
            }
            svm.stopBroadcast();
            console.log("single-key governance: broker replaced");
            return;
        }
        TimelockController timelock =
            TimelockController(payable(svm.parseJsonAddress(deployment, ".timelock")));
        uint256[] memory values = new uint256[](targets.length);
        bytes32 salt = keccak256(abi.encode(targets, payloads, block.chainid));
        uint256 delay = timelock.getMinDelay();
        svm.startBroadcast();
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), salt, delay);
        svm.stopBroadcast();
        string memory k = "batch";
        svm.serializeAddress(k, "timelock", address(timelock));
        svm.serializeAddress(k, "targets", targets);
        svm.serializeBytes(k, "payloads", payloads);
        svm.serializeBytes32(k, "salt", salt);
        svm.serializeUint(k, "delay", delay);
        string memory json = svm.serializeUint(k, "readyAt", block.timestamp + delay);
        string memory batchFile = svm.envOr("UPGRADE_BATCH", string("deployments/upgrade-batch.local.json"));
        svm.writeJson(json, batchFile);
        console.log("replacement batch scheduled; executable after this many seconds:", delay);
        console.log("batch written to", batchFile);
    }

    function _handover(string memory deployment, string memory replacement) private {
        address oldBroker = svm.parseJsonAddress(replacement, ".previousTicketBroker");
        TicketBroker newBroker = TicketBroker(payable(svm.parseJsonAddress(replacement, ".ticketBroker")));
        bytes32[] memory none = new bytes32[](0);
        ScriptVm.EthGetLogs[] memory logs =
            svm.eth_getLogs(svm.parseJsonUint(deployment, ".deployBlock"), block.number, oldBroker, none);
        address[] memory done = new address[](logs.length);
        uint256 n;
        uint256 total;
        svm.startBroadcast();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics.length != 4 || logs[i].topics[0] != TICKET_REDEEMED) continue;
            // forge-lint: disable-next-line(unsafe-typecast) -- an indexed address topic
            address orch = address(uint160(uint256(logs[i].topics[3])));
            if (_seen(done, n, orch)) continue;
            done[n++] = orch;
            (, uint256 a,, uint256 b) = ITicketBroker(oldBroker).pendingFees(orch);
            if (a + b != 0) total += newBroker.handOverFees(orch);
        }
        svm.stopBroadcast();
        console.log("orchestrators checked", n);
        console.log("fees handed over (wei)", total);
    }

    function _forward(string memory deployment, string memory replacement) private {
        address oldBroker = svm.parseJsonAddress(replacement, ".previousTicketBroker");
        bytes32[] memory none = new bytes32[](0);
        ScriptVm.EthGetLogs[] memory logs =
            svm.eth_getLogs(svm.parseJsonUint(deployment, ".deployBlock"), block.number, oldBroker, none);
        address[] memory done = new address[](logs.length);
        uint256 n;
        uint256 forwarded;
        uint256 round = IRoundsManager(svm.parseJsonAddress(deployment, ".roundsManager")).currentRound();
        svm.startBroadcast();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics.length != 3 || logs[i].topics[0] != FUNDS_MOVED) continue;
            // forge-lint: disable-next-line(unsafe-typecast) -- an indexed address topic
            address sender = address(uint160(uint256(logs[i].topics[1])));
            if (_seen(done, n, sender)) continue;
            done[n++] = sender;
            (, uint256 reserve, uint256 releaseRound) = ITicketBroker(oldBroker).getSender(sender);
            if (reserve == 0 || round < releaseRound) continue;
            IRetiredTicketBroker(oldBroker).forwardReserve(sender);
            forwarded += reserve;
        }
        svm.stopBroadcast();
        console.log("moved senders checked", n);
        console.log("reserve forwarded (wei)", forwarded);
    }

    function _seen(address[] memory list, uint256 n, address a) private pure returns (bool) {
        for (uint256 i; i < n; ++i) {
            if (list[i] == a) return true;
        }
        return false;
    }
}
