// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IServiceVerifiers} from "../../src/interfaces/IServiceVerifiers.sol";

/// @title ServiceVerifiersStub
/// @notice TEST STAND-IN for the ServiceRegistry (built on another branch): just the
/// {IServiceVerifiers} view, with an orchestrator's own choice taking precedence over the service's
/// default, as the interface describes. The integrator registers the real ServiceRegistry instead.
contract ServiceVerifiersStub is IServiceVerifiers {
    mapping(bytes32 serviceId => address) public defaultVerifier;
    mapping(address orchestrator => mapping(bytes32 serviceId => address)) public declaredVerifier;

    function setDefault(bytes32 serviceId, address verifier) external {
        defaultVerifier[serviceId] = verifier;
    }

    function declare(address orchestrator, bytes32 serviceId, address verifier) external {
        declaredVerifier[orchestrator][serviceId] = verifier;
    }

    function verifierFor(address orchestrator, bytes32 serviceId) external view returns (address) {
        address v = declaredVerifier[orchestrator][serviceId];
        return v != address(0) ? v : defaultVerifier[serviceId];
    }
}
