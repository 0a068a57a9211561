// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ContractIds
/// @notice The names under which protocol contracts are registered in the Controller.
/// Each identifier is `keccak256` of the contract's name, so off-chain tools derive it the same way.
library ContractIds {
    bytes32 internal constant LIVEPEER_TOKEN = keccak256("LivepeerToken");
    bytes32 internal constant MINTER = keccak256("Minter");
    bytes32 internal constant ROUNDS_MANAGER = keccak256("RoundsManager");
    bytes32 internal constant BONDING_MANAGER = keccak256("BondingManager");
    bytes32 internal constant SERVICE_REGISTRY = keccak256("ServiceRegistry");
    bytes32 internal constant TICKET_BROKER = keccak256("TicketBroker");
    /// @dev The TicketBroker that a replacement took over from (see `docs/ticket-broker.md`,
    /// Replacement): the only account the registered broker accepts moved funds and fees from.
    bytes32 internal constant PREVIOUS_TICKET_BROKER = keccak256("PreviousTicketBroker");
    bytes32 internal constant FAULT_VERIFIER = keccak256("FaultVerifier");
    /// @dev Not a contract: the account that may pause the protocol without the timelock's delay.
    bytes32 internal constant PAUSE_GUARDIAN = keccak256("PauseGuardian");
}
