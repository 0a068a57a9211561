// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FaultVerifier} from "../../src/FaultVerifier.sol";

/// @notice Storage-layout probe for FaultVerifier (see RoundsManagerLayout). Never deployed.
contract FaultVerifierLayout {
    FaultVerifier.FaultVerifierStorage internal faultVerifier;
}
