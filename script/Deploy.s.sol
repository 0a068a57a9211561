// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {console} from "../contracts/test/utils/console.sol";
import {FullProtocolDeployer} from "./FullProtocolDeployer.sol";
import {Script} from "./utils/Script.sol";

/// @title Deploy
/// @notice Deploys the whole protocol behind proxies to any RPC, registers it in the Controller,
/// unpauses, prints the addresses and writes them as JSON for the Rust crates.
/// @dev Environment (all optional):
/// - `STREAMFLOW_DEPLOYMENT`: output file (default `deployments/local.json`);
/// - `ROUND_LENGTH`: blocks per round (default 50);
/// - `GENESIS_SUPPLY`: LPT minted to the deployer at genesis (default 10,000,000 LPT);
/// - `STREAMFLOW_RPC_URL`: recorded as `rpcUrl` so that tools reach the same chain (not recorded
///   when unset; don't set it to a URL that embeds an API key if the file is shared).
/// The signer comes from forge's own flags (`--account`/`--keystore`, or `--unlocked --sender`
/// on a dev chain), never from a key in the environment.
contract Deploy is Script, FullProtocolDeployer {
    /// @notice Runs the deployment and returns what it produced.
    function run() external returns (FullDeployment memory f) {
        string memory out = vm.envOr("STREAMFLOW_DEPLOYMENT", string("deployments/local.json"));
        FullConfig memory cfg = _defaultFullConfig(
            msg.sender,
            vm.envOr("ROUND_LENGTH", uint256(50)),
            vm.envOr("GENESIS_SUPPLY", uint256(10_000_000 ether))
        );

        vm.startBroadcast();
        f = _deployFullProtocol(msg.sender, cfg);
        vm.stopBroadcast();

        console.log("Controller          ", address(f.core.controller));
        console.log("LivepeerToken       ", address(f.core.token));
        console.log("RoundsManager       ", address(f.core.rounds));
        console.log("BondingManager      ", address(f.staking.bondingManager));
        console.log("Minter              ", address(f.staking.minter));
        console.log("ServiceRegistry     ", address(f.staking.serviceRegistry));
        console.log("TicketBroker        ", address(f.broker.broker));
        console.log("FaultVerifier       ", address(f.verifier.faultVerifier));
        console.log("EquivocationVerifier", address(f.verifier.equivocation));
        console.log("CommitteeVerifier   ", address(f.verifier.committee));

        string memory key = "deployment";
        vm.serializeUint(key, "chainId", block.chainid);
        // The script simulates against the latest block; its transactions land from the next one on.
        vm.serializeUint(key, "deployBlock", block.number + 1);
        string memory rpcUrl = vm.envOr("STREAMFLOW_RPC_URL", string(""));
        if (bytes(rpcUrl).length != 0) vm.serializeString(key, "rpcUrl", rpcUrl);
        vm.serializeUint(key, "roundLength", cfg.core.roundLength);
        vm.serializeAddress(key, "governance", msg.sender);
        vm.serializeAddress(key, "controller", address(f.core.controller));
        vm.serializeAddress(key, "livepeerToken", address(f.core.token));
        vm.serializeAddress(key, "livepeerTokenImplementation", f.core.tokenImplementation);
        vm.serializeAddress(key, "roundsManager", address(f.core.rounds));
        vm.serializeAddress(key, "roundsManagerImplementation", f.core.roundsImplementation);
        vm.serializeAddress(key, "bondingManager", address(f.staking.bondingManager));
        vm.serializeAddress(key, "minter", address(f.staking.minter));
        vm.serializeAddress(key, "serviceRegistry", address(f.staking.serviceRegistry));
        vm.serializeAddress(key, "ticketBroker", address(f.broker.broker));
        vm.serializeAddress(key, "faultVerifier", address(f.verifier.faultVerifier));
        vm.serializeAddress(key, "equivocationVerifier", address(f.verifier.equivocation));
        string memory json = vm.serializeAddress(key, "committeeVerifier", address(f.verifier.committee));
        vm.writeJson(json, out);
        console.log("addresses written to", out);
    }
}
