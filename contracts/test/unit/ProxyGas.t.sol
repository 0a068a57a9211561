// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IController} from "../../src/interfaces/IController.sol";
import {Deployers} from "../utils/Deployers.sol";
import {RoundsManagerHarness} from "../utils/harness/RoundsManagerHarness.sol";

/// @notice The cost of the proxy: the same calls on a directly deployed RoundsManager and on the
/// proxied one, each in its own test so both start from cold accounts, as a real transaction does.
/// Recorded in `snapshots/proxy.json` and checked in CI.
contract ProxyGasTest is Deployers {
    RoundsManagerHarness internal direct;

    function setUp() public {
        deployProtocol();
        direct = new RoundsManagerHarness(IController(address(d.controller)), ROUND_LENGTH);
    }

    function test_GasInitializeRoundDirect() public {
        direct.initializeRound();
        vm.snapshotGasLastCall("proxy", "initializeRound direct");
    }

    function test_GasInitializeRoundProxied() public {
        d.rounds.initializeRound();
        vm.snapshotGasLastCall("proxy", "initializeRound proxied");
    }

    function test_GasCurrentRoundDirect() public {
        direct.currentRound();
        vm.snapshotGasLastCall("proxy", "currentRound direct");
    }

    function test_GasCurrentRoundProxied() public {
        d.rounds.currentRound();
        vm.snapshotGasLastCall("proxy", "currentRound proxied");
    }
}
