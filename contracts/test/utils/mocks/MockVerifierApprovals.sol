// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IFaultVerifier} from "../../../src/interfaces/IFaultVerifier.sol";

/// @notice Stands in for the FaultVerifier where the staking suites need only its address (to prank
/// as), its verifier approvals (read by the ServiceRegistry) and its challenge window (read by
/// `BondingManager.setUnbondingPeriod`).
contract MockVerifierApprovals {
    mapping(address verifier => bool) public isVerifierApproved;
    uint64 public challengeWindowRounds = 1;

    function setVerifierApproval(address verifier, bool approved) external {
        isVerifierApproved[verifier] = approved;
    }

    function setChallengeWindow(uint64 rounds) external {
        challengeWindowRounds = rounds;
    }

    function params() external view returns (IFaultVerifier.Params memory p) {
        p.challengeWindowRounds = challengeWindowRounds;
    }
}
