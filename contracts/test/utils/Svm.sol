// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice The few halmos `svm` cheatcodes the symbolic proofs use (halmos only; forge has no such
/// contract at this address).
interface Svm {
    function createBytes(uint256 length, string calldata name) external pure returns (bytes memory);
    function createUint(uint256 bits, string calldata name) external pure returns (uint256);
}

/// @dev address(uint160(uint256(keccak256("svm cheat code"))))
Svm constant svm = Svm(0xF3993A62377BCd56AE39D773740A5390411E8BC9);
