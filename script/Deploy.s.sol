// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console} from "../contracts/test/utils/console.sol";
import {ProtocolDeployer} from "./ProtocolDeployer.sol";
import {Script} from "./utils/Script.sol";

/// @title Deploy
/// @notice Deploys the whole protocol behind proxies to any RPC, registers it in the Controller,
/// unpauses, prints the addresses and writes them as JSON for the Rust crates.
/// @dev Environment (all optional):
/// - `STREAMFLOW_DEPLOYMENT`: output file (default `deployments/local.json`);
/// - `ROUND_LENGTH`: blocks per round (default 50);
/// - `GENESIS_SUPPLY`: LPT minted to the deployer at genesis (default 10,000,000 LPT).
/// The signer comes from forge's own flags (`--account`/`--keystore`, or `--unlocked --sender`
/// on a dev chain), never from a key in the environment.
contract Deploy is Script, ProtocolDeployer {
    /// @notice Runs the deployment and returns what it produced.
    function run() external returns (Deployment memory d) {
        string memory out = vm.envOr("STREAMFLOW_DEPLOYMENT", string("deployments/local.json"));
        DeployConfig memory cfg = DeployConfig({
            genesisHolder: msg.sender,
            genesisSupply: vm.envOr("GENESIS_SUPPLY", uint256(10_000_000 ether)),
            roundLength: vm.envOr("ROUND_LENGTH", uint256(50)),
            leavePaused: false
        });

        vm.startBroadcast();
        d = _deployProtocol(msg.sender, cfg);
        vm.stopBroadcast();

        console.log("Controller    ", address(d.controller));
        console.log("LivepeerToken ", address(d.token));
        console.log("RoundsManager ", address(d.rounds));

        string memory key = "deployment";
        vm.serializeUint(key, "chainId", block.chainid);
        vm.serializeUint(key, "deployBlock", block.number);
        vm.serializeUint(key, "roundLength", cfg.roundLength);
        vm.serializeAddress(key, "governance", msg.sender);
        vm.serializeAddress(key, "controller", address(d.controller));
        vm.serializeAddress(key, "livepeerToken", address(d.token));
        vm.serializeAddress(key, "livepeerTokenImplementation", d.tokenImplementation);
        vm.serializeAddress(key, "roundsManagerImplementation", d.roundsImplementation);
        string memory json = vm.serializeAddress(key, "roundsManager", address(d.rounds));
        vm.writeJson(json, out);
        console.log("addresses written to", out);
    }
}
