// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommitteeVerifier} from "../../src/verifiers/CommitteeVerifier.sol";

/// @notice Storage-layout probe for CommitteeVerifier (see RoundsManagerLayout). Never deployed.
contract CommitteeVerifierLayout {
    CommitteeVerifier.CommitteeVerifierStorage internal committeeVerifier;
}
