// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IServiceVerifiers
/// @notice What the FaultVerifier needs from the ServiceRegistry: the verification function that
/// decides challenges for a service an orchestrator offers.
interface IServiceVerifiers {
    /// @notice The verifier `orchestrator` declared for `serviceId`, or the service's governance
    /// default if it declared none; zero if the service has no on-chain verification.
    /// @param orchestrator The orchestrator.
    /// @param serviceId The service identifier (e.g. keccak256("H264 1080p->720p")).
    /// @return The verifier contract, or zero.
    function verifierFor(address orchestrator, bytes32 serviceId) external view returns (address);
}
