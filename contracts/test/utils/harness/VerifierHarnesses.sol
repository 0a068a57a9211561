// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FaultVerifier} from "../../../src/FaultVerifier.sol";
import {IController} from "../../../src/interfaces/IController.sol";
import {CommitteeVerifier} from "../../../src/verifiers/CommitteeVerifier.sol";

/// @notice Exposes the FaultVerifier's namespace slot for the ERC-7201 check.
contract FaultVerifierHarness is FaultVerifier {
    constructor(IController controller_) FaultVerifier(controller_) {}

    function storageSlot() external pure returns (bytes32) {
        return STORAGE_SLOT;
    }
}

/// @notice Exposes the CommitteeVerifier's namespace slot for the ERC-7201 check.
contract CommitteeVerifierHarness is CommitteeVerifier {
    constructor(IController controller_) CommitteeVerifier(controller_) {}

    function storageSlot() external pure returns (bytes32) {
        return STORAGE_SLOT;
    }
}
