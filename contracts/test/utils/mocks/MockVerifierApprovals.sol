// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Stands in for the FaultVerifier where the staking suites need only its address (to prank
/// as) and its verifier approvals (read by the ServiceRegistry).
contract MockVerifierApprovals {
    mapping(address verifier => bool) public isVerifierApproved;

    function setVerifierApproval(address verifier, bool approved) external {
        isVerifierApproved[verifier] = approved;
    }
}
