// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controller} from "../contracts/src/Controller.sol";
import {FaultVerifier} from "../contracts/src/FaultVerifier.sol";
import {IController} from "../contracts/src/interfaces/IController.sol";
import {IFaultVerifier} from "../contracts/src/interfaces/IFaultVerifier.sol";
import {ContractIds} from "../contracts/src/libraries/ContractIds.sol";
import {ControlledProxy} from "../contracts/src/proxy/ControlledProxy.sol";
import {CommitteeVerifier} from "../contracts/src/verifiers/CommitteeVerifier.sol";
import {EquivocationVerifier} from "../contracts/src/verifiers/EquivocationVerifier.sol";

/// @title VerifierDeployer
/// @notice Deploys fault verification into an existing deployment: the FaultVerifier and the
/// CommitteeVerifier behind `ControlledProxy`s, the EquivocationVerifier directly; registers the
/// FaultVerifier and approves both verifiers. The caller must be the Controller's owner, and the
/// staking contract must already be registered under BONDING_MANAGER (the FaultVerifier checks its
/// challenge window against the unbonding period at initialization). To be wired into
/// `Deploy.s.sol` once staking and the service registry land.
abstract contract VerifierDeployer {
    /// @notice Parameters of the fault-verification deployment.
    struct VerifierConfig {
        IFaultVerifier.Params params;
        address[] committee;
        uint256 committeeThreshold;
        uint256 verdictPeriodBlocks;
    }

    /// @notice What was deployed; protocol contracts are addressed through their proxies.
    struct VerifierDeployment {
        FaultVerifier faultVerifier;
        EquivocationVerifier equivocation;
        CommitteeVerifier committee;
        address faultVerifierImplementation;
        address committeeImplementation;
    }

    function _deployVerifier(Controller controller, VerifierConfig memory cfg)
        internal
        returns (VerifierDeployment memory v)
    {
        IController c = IController(address(controller));
        v.faultVerifierImplementation = address(new FaultVerifier(c));
        v.faultVerifier = FaultVerifier(
            address(
                new ControlledProxy(
                    address(c),
                    v.faultVerifierImplementation,
                    abi.encodeCall(FaultVerifier.initialize, (cfg.params))
                )
            )
        );
        controller.setContract(ContractIds.FAULT_VERIFIER, address(v.faultVerifier));

        v.equivocation = new EquivocationVerifier(c);
        v.committeeImplementation = address(new CommitteeVerifier(c));
        v.committee = CommitteeVerifier(
            address(
                new ControlledProxy(
                    address(c),
                    v.committeeImplementation,
                    abi.encodeCall(
                        CommitteeVerifier.initialize,
                        (cfg.committee, cfg.committeeThreshold, cfg.verdictPeriodBlocks)
                    )
                )
            )
        );
        v.faultVerifier.setVerifierApproval(address(v.equivocation), true);
        v.faultVerifier.setVerifierApproval(address(v.committee), true);
    }
}
