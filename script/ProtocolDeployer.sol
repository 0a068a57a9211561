// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controller} from "../contracts/src/Controller.sol";
import {LivepeerToken} from "../contracts/src/LivepeerToken.sol";
import {RoundsManager} from "../contracts/src/RoundsManager.sol";
import {IController} from "../contracts/src/interfaces/IController.sol";
import {ContractIds} from "../contracts/src/libraries/ContractIds.sol";
import {ControlledProxy} from "../contracts/src/proxy/ControlledProxy.sol";

/// @title ProtocolDeployer
/// @notice The one place that knows how a Streamflow deployment is assembled: the Controller, then
/// each protocol contract as an implementation behind a `ControlledProxy`, registered in the
/// Controller. The forge deploy script and the test fixtures both use it, so what the tests exercise
/// is what gets deployed.
abstract contract ProtocolDeployer {
    /// @notice Parameters of a deployment.
    struct DeployConfig {
        /// @dev Receives the genesis LPT supply.
        address genesisHolder;
        uint256 genesisSupply;
        uint256 roundLength;
        /// @dev Leave the protocol paused after wiring (governance unpauses later).
        bool leavePaused;
    }

    /// @notice What a deployment produced. Protocol contracts are addressed through their proxies.
    struct Deployment {
        Controller controller;
        LivepeerToken token;
        RoundsManager rounds;
        address tokenImplementation;
        address roundsImplementation;
    }

    /// @dev Deploys and wires everything. The caller (`msg.sender` of this contract's calls, i.e.
    /// this contract in tests or the broadcaster in scripts) becomes the Controller's owner.
    function _deployProtocol(address owner, DeployConfig memory cfg) internal returns (Deployment memory d) {
        d.controller = new Controller(owner);
        IController c = IController(address(d.controller));

        d.tokenImplementation = address(new LivepeerToken(c));
        d.token = LivepeerToken(
            _proxy(
                c,
                d.tokenImplementation,
                abi.encodeCall(LivepeerToken.initialize, (cfg.genesisHolder, cfg.genesisSupply))
            )
        );

        d.roundsImplementation = address(new RoundsManager(c));
        d.rounds = RoundsManager(
            _proxy(c, d.roundsImplementation, abi.encodeCall(RoundsManager.initialize, (cfg.roundLength)))
        );

        d.controller.setContract(ContractIds.LIVEPEER_TOKEN, address(d.token));
        d.controller.setContract(ContractIds.ROUNDS_MANAGER, address(d.rounds));
        if (!cfg.leavePaused) d.controller.unpause();
    }

    function _proxy(IController c, address implementation, bytes memory init) internal returns (address) {
        return address(new ControlledProxy(address(c), implementation, init));
    }
}
