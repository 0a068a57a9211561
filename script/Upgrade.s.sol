// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IController} from "../contracts/src/interfaces/IController.sol";
import {console} from "../contracts/test/utils/console.sol";
import {Script} from "./utils/Script.sol";
import {ScriptVm} from "./utils/ScriptVm.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title Upgrade
/// @notice Upgrades any set of protocol proxies through governance, in two steps that a deployer
/// runs separately: `schedule` deploys the new implementations and schedules one timelock batch of
/// `Controller.upgradeProxy` calls (with their reinitializer calldata), writing the batch to a file;
/// `execute`, once the delay has passed, executes exactly that batch. With single-key governance
/// (no `timelock` in the deployment file) `schedule` applies the upgrades at once.
/// `script/upgrade.sh` wraps it: storage-layout check first, and `dry-run` on an anvil fork with the
/// state snapshot taken before and after.
/// @dev Environment:
/// - `STREAMFLOW_DEPLOYMENT`: the deployment file (default `deployments/local.json`);
/// - `UPGRADE_STEP`: `schedule` (default) or `execute`;
/// - `UPGRADE`: comma-separated `key=Artifact`, `key` a proxy's name in the deployment file and
///   `Artifact` the forge artifact of its new implementation (e.g. `roundsManager=RoundsManager.sol:RoundsManager`);
///   each implementation is constructed with the deployment's Controller, except those that need an
///   admin extension (see `_adminArtifact`: the BondingManager): their admin is deployed first, with
///   the Controller, and the implementation is constructed with the Controller and that admin;
/// - `UPGRADE_INIT`: comma-separated calldata for each entry of `UPGRADE` (`0x` for none), e.g. a
///   `reinitializer` call;
/// - `UPGRADE_BATCH`: the batch file (default `deployments/upgrade-batch.local.json`).
contract Upgrade is Script {
    ScriptVm private constant svm = ScriptVm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @dev ERC-1967 implementation slot.
    bytes32 private constant IMPLEMENTATION_SLOT =
        0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    /// @notice `UPGRADE` and `UPGRADE_INIT` list different numbers of entries.
    error InitCountMismatch(uint256 upgrades, uint256 inits);

    /// @notice An `UPGRADE` entry is not `key=Artifact`.
    error MalformedEntry(string entry);

    /// @notice `UPGRADE_STEP` is neither `schedule` nor `execute`.
    error UnknownStep(string step);

    /// @notice Runs the step named by `UPGRADE_STEP`.
    function run() external {
        string memory deployment =
            svm.readFile(svm.envOr("STREAMFLOW_DEPLOYMENT", string("deployments/local.json")));
        string memory batchFile = svm.envOr("UPGRADE_BATCH", string("deployments/upgrade-batch.local.json"));
        string memory step = svm.envOr("UPGRADE_STEP", string("schedule"));
        address controller = svm.parseJsonAddress(deployment, ".controller");
        bool timelocked = svm.keyExistsJson(deployment, ".timelock");

        if (_eq(step, "execute")) {
            _execute(TimelockController(payable(svm.parseJsonAddress(deployment, ".timelock"))), batchFile);
        } else if (_eq(step, "schedule")) {
            (address[] memory targets, bytes[] memory payloads) = _deployAndBuild(deployment, controller);
            if (timelocked) {
                _schedule(
                    TimelockController(payable(svm.parseJsonAddress(deployment, ".timelock"))),
                    targets,
                    payloads,
                    batchFile
                );
            } else {
                svm.startBroadcast();
                for (uint256 i = 0; i < targets.length; ++i) {
                    (bool ok, bytes memory ret) = targets[i].call(payloads[i]);
                    if (!ok) _bubble(ret);
                }
                svm.stopBroadcast();
                console.log("single-key governance: upgrades applied");
            }
        } else {
            revert UnknownStep(step);
        }
    }

    /// @dev Deploys every new implementation and returns the `upgradeProxy` calls.
    function _deployAndBuild(string memory deployment, address controller)
        private
        returns (address[] memory targets, bytes[] memory payloads)
    {
        string[] memory none = new string[](0);
        string[] memory entries = svm.envOr("UPGRADE", ",", none);
        string[] memory inits = svm.envOr("UPGRADE_INIT", ",", none);
        if (inits.length != 0 && inits.length != entries.length) {
            revert InitCountMismatch(entries.length, inits.length);
        }
        targets = new address[](entries.length);
        payloads = new bytes[](entries.length);
        for (uint256 i = 0; i < entries.length; ++i) {
            (string memory key, string memory artifact) = _split(entries[i]);
            address proxy = svm.parseJsonAddress(deployment, string.concat(".", key));
            bytes memory init = inits.length == 0 ? bytes("") : svm.parseBytes(inits[i]);
            (address implementation, address admin) = _deployImplementation(artifact, controller);
            // forge-lint: disable-next-line(unsafe-typecast) -- the ERC-1967 slot holds an address
            address current = address(uint160(uint256(svm.load(proxy, IMPLEMENTATION_SLOT))));
            console.log(string.concat(key, " (", artifact, ")"));
            console.log("  proxy                 ", proxy);
            console.log("  implementation now    ", current);
            console.log("  implementation after  ", implementation);
            if (admin != address(0)) console.log("  its admin (new)       ", admin);
            console.log("  call after upgrade    ", init.length == 0 ? "none" : svm.toString(init));
            targets[i] = controller;
            payloads[i] = abi.encodeCall(IController.upgradeProxy, (proxy, implementation, init));
        }
    }

    /// @dev Deploys `artifact` with the Controller, after its admin extension if it needs one
    /// (`admin` is zero otherwise).
    function _deployImplementation(string memory artifact, address controller)
        private
        returns (address implementation, address admin)
    {
        string memory adminArtifact = _adminArtifact(artifact);
        bytes memory args = abi.encode(controller);
        svm.startBroadcast();
        if (bytes(adminArtifact).length != 0) {
            admin = svm.deployCode(adminArtifact, abi.encode(controller));
            args = abi.encode(controller, admin);
        }
        implementation = svm.deployCode(artifact, args);
        svm.stopBroadcast();
    }

    /// @dev The admin extension an implementation artifact is constructed with (empty: none). An
    /// implementation that delegates part of its code to an extension takes the extension's address
    /// as its second constructor argument; add a row here for each such artifact.
    function _adminArtifact(string memory artifact) private pure returns (string memory) {
        if (_eq(artifact, "BondingManager.sol:BondingManager")) {
            return "BondingManagerAdmin.sol:BondingManagerAdmin";
        }
        return "";
    }

    function _schedule(
        TimelockController timelock,
        address[] memory targets,
        bytes[] memory payloads,
        string memory batchFile
    ) private {
        uint256[] memory values = new uint256[](targets.length);
        bytes32 salt = keccak256(abi.encode(targets, payloads, block.chainid));
        uint256 delay = timelock.getMinDelay();
        bytes32 id = timelock.hashOperationBatch(targets, values, payloads, bytes32(0), salt);
        svm.startBroadcast();
        timelock.scheduleBatch(targets, values, payloads, bytes32(0), salt, delay);
        svm.stopBroadcast();

        string memory k = "batch";
        svm.serializeAddress(k, "timelock", address(timelock));
        svm.serializeAddress(k, "targets", targets);
        svm.serializeBytes(k, "payloads", payloads);
        svm.serializeBytes32(k, "salt", salt);
        svm.serializeBytes32(k, "operationId", id);
        svm.serializeUint(k, "delay", delay);
        string memory json = svm.serializeUint(k, "readyAt", block.timestamp + delay);
        svm.writeJson(json, batchFile);
        console.log("scheduled batch (operation id follows); executable after this many seconds:", delay);
        console.log(svm.toString(id));
        console.log("batch written to", batchFile);
    }

    function _execute(TimelockController timelock, string memory batchFile) private {
        string memory batch = svm.readFile(batchFile);
        address[] memory targets = svm.parseJsonAddressArray(batch, ".targets");
        bytes[] memory payloads = svm.parseJsonBytesArray(batch, ".payloads");
        bytes32 salt = svm.parseJsonBytes32(batch, ".salt");
        uint256[] memory values = new uint256[](targets.length);
        svm.startBroadcast();
        timelock.executeBatch(targets, values, payloads, bytes32(0), salt);
        svm.stopBroadcast();
        console.log("executed batch of calls:", targets.length);
        console.log(svm.toString(timelock.hashOperationBatch(targets, values, payloads, bytes32(0), salt)));
    }

    function _split(string memory entry) private pure returns (string memory key, string memory artifact) {
        bytes memory b = bytes(entry);
        for (uint256 i = 0; i < b.length; ++i) {
            if (b[i] == "=") {
                bytes memory k = new bytes(i);
                bytes memory a = new bytes(b.length - i - 1);
                for (uint256 j = 0; j < i; ++j) {
                    k[j] = b[j];
                }
                for (uint256 j = i + 1; j < b.length; ++j) {
                    a[j - i - 1] = b[j];
                }
                if (k.length == 0 || a.length == 0) break;
                return (string(k), string(a));
            }
        }
        revert MalformedEntry(entry);
    }

    function _eq(string memory a, string memory b) private pure returns (bool) {
        return keccak256(bytes(a)) == keccak256(bytes(b));
    }

    function _bubble(bytes memory ret) private pure {
        assembly {
            revert(add(ret, 32), mload(ret))
        }
    }
}
