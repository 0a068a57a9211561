// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ContractIds} from "../contracts/src/libraries/ContractIds.sol";
import {console} from "../contracts/test/utils/console.sol";
import {FullProtocolDeployer} from "./FullProtocolDeployer.sol";
import {GovernanceDeployer} from "./GovernanceDeployer.sol";
import {Script} from "./utils/Script.sol";
import {ScriptVm} from "./utils/ScriptVm.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title Deploy
/// @notice Deploys the whole protocol behind proxies to any RPC, registers it in the Controller,
/// unpauses, prints the addresses and writes them as JSON for the Rust crates.
/// @dev Environment (all optional):
/// - `STREAMFLOW_DEPLOYMENT`: output file (default `deployments/local.json`);
/// - `ROUND_LENGTH`: blocks per round (default 50);
/// - `GENESIS_SUPPLY`: LPT minted to the deployer at genesis (default 10,000,000 LPT);
/// - `STREAMFLOW_RPC_URL`: recorded as `rpcUrl` so that tools reach the same chain (not recorded
///   when unset; don't set it to a URL that embeds an API key if the file is shared).
/// - `STREAMFLOW_GOVERNANCE`: `timelock` (the Controller is owned by an OpenZeppelin
///   `TimelockController`) or `single-key` (the deployer stays the owner; refused outside the local
///   dev chain, id 31337). Default: `single-key` on chain 31337, `timelock` elsewhere;
/// - `TIMELOCK_DELAY`: the timelock's minimum delay in seconds (default 172,800 = 2 days);
/// - `TIMELOCK_PROPOSERS`, `TIMELOCK_EXECUTORS`: comma-separated addresses (default: the deployer;
///   `0x0000000000000000000000000000000000000000` as executor lets anyone execute a ready batch);
/// - `GUARDIAN`: the account that can pause without delay (default: the deployer).
/// The signer comes from forge's own flags (`--account`/`--keystore`, or `--unlocked --sender`
/// on a dev chain), never from a key in the environment.
contract Deploy is Script, FullProtocolDeployer, GovernanceDeployer {
    ScriptVm private constant svm = ScriptVm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @notice `STREAMFLOW_GOVERNANCE=single-key` was asked for on a chain other than the local dev chain.
    error SingleKeyOutsideDevChain(uint256 chainId);

    /// @notice `STREAMFLOW_GOVERNANCE` is neither `timelock` nor `single-key`.
    error UnknownGovernanceMode(string mode);

    /// @notice Runs the deployment and returns what it produced.
    function run() external returns (FullDeployment memory f) {
        string memory out = vm.envOr("STREAMFLOW_DEPLOYMENT", string("deployments/local.json"));
        FullConfig memory cfg = _defaultFullConfig(
            msg.sender,
            vm.envOr("ROUND_LENGTH", uint256(50)),
            vm.envOr("GENESIS_SUPPLY", uint256(10_000_000 ether))
        );

        bool timelocked = _timelockWanted();
        GovernanceConfig memory gcfg = _governanceConfig();

        vm.startBroadcast();
        f = _deployFullProtocol(msg.sender, cfg);
        TimelockController timelock;
        if (timelocked) timelock = _installTimelock(f.core.controller, msg.sender, gcfg);
        else f.core.controller.setContract(ContractIds.PAUSE_GUARDIAN, gcfg.guardian);
        vm.stopBroadcast();
        address governance = timelocked ? address(timelock) : msg.sender;

        console.log("Controller          ", address(f.core.controller));
        console.log("LivepeerToken       ", address(f.core.token));
        console.log("RoundsManager       ", address(f.core.rounds));
        console.log("BondingManager      ", address(f.staking.bondingManager));
        console.log("BondingManagerAdmin ", f.staking.bondingManagerAdmin);
        console.log("Minter              ", address(f.staking.minter));
        console.log("ServiceRegistry     ", address(f.staking.serviceRegistry));
        console.log("TicketBroker        ", address(f.broker.broker));
        console.log("FaultVerifier       ", address(f.verifier.faultVerifier));
        console.log("EquivocationVerifier", address(f.verifier.equivocation));
        console.log("CommitteeVerifier   ", address(f.verifier.committee));
        console.log("governance          ", governance);
        if (timelocked) console.log("timelock delay (s)  ", gcfg.minDelay);

        string memory key = "deployment";
        vm.serializeUint(key, "chainId", block.chainid);
        // The script simulates against the latest block; its transactions land from the next one on.
        vm.serializeUint(key, "deployBlock", block.number + 1);
        string memory rpcUrl = vm.envOr("STREAMFLOW_RPC_URL", string(""));
        if (bytes(rpcUrl).length != 0) vm.serializeString(key, "rpcUrl", rpcUrl);
        vm.serializeUint(key, "roundLength", cfg.core.roundLength);
        vm.serializeAddress(key, "governance", governance);
        vm.serializeAddress(key, "deployer", msg.sender);
        vm.serializeAddress(key, "guardian", gcfg.guardian);
        if (timelocked) {
            vm.serializeAddress(key, "timelock", address(timelock));
            vm.serializeUint(key, "timelockDelay", gcfg.minDelay);
        }
        vm.serializeAddress(key, "controller", address(f.core.controller));
        vm.serializeAddress(key, "livepeerToken", address(f.core.token));
        vm.serializeAddress(key, "livepeerTokenImplementation", f.core.tokenImplementation);
        vm.serializeAddress(key, "roundsManager", address(f.core.rounds));
        vm.serializeAddress(key, "roundsManagerImplementation", f.core.roundsImplementation);
        vm.serializeAddress(key, "bondingManager", address(f.staking.bondingManager));
        vm.serializeAddress(key, "bondingManagerAdmin", f.staking.bondingManagerAdmin);
        vm.serializeAddress(key, "minter", address(f.staking.minter));
        vm.serializeAddress(key, "serviceRegistry", address(f.staking.serviceRegistry));
        vm.serializeAddress(key, "ticketBroker", address(f.broker.broker));
        vm.serializeAddress(key, "faultVerifier", address(f.verifier.faultVerifier));
        vm.serializeAddress(key, "equivocationVerifier", address(f.verifier.equivocation));
        string memory json = vm.serializeAddress(key, "committeeVerifier", address(f.verifier.committee));
        vm.writeJson(json, out);
        console.log("addresses written to", out);
    }

    function _timelockWanted() private view returns (bool) {
        string memory dflt = block.chainid == 31_337 ? "single-key" : "timelock";
        string memory mode = svm.envOr("STREAMFLOW_GOVERNANCE", dflt);
        if (keccak256(bytes(mode)) == keccak256("timelock")) return true;
        if (keccak256(bytes(mode)) != keccak256("single-key")) revert UnknownGovernanceMode(mode);
        if (block.chainid != 31_337) revert SingleKeyOutsideDevChain(block.chainid);
        return false;
    }

    function _governanceConfig() private view returns (GovernanceConfig memory g) {
        address[] memory me = new address[](1);
        me[0] = msg.sender;
        g.minDelay = svm.envOr("TIMELOCK_DELAY", uint256(2 days));
        g.proposers = svm.envOr("TIMELOCK_PROPOSERS", ",", me);
        g.executors = svm.envOr("TIMELOCK_EXECUTORS", ",", me);
        g.guardian = svm.envOr("GUARDIAN", msg.sender);
    }
}
