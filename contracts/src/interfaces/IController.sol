// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IController
/// @notice The root of a Streamflow deployment: the registry of protocol contracts (name → address),
/// the protocol-wide pause switch and the upgrade authority of every protocol proxy. Its owner is
/// governance; ownership moves in two steps (transfer, then accept).
interface IController {
    /// @notice A registry entry was set (or cleared, with `addr == address(0)`).
    /// @param id The contract identifier, `keccak256` of its name (see `ContractIds`).
    /// @param addr The address now registered under `id`.
    event ContractRegistered(bytes32 indexed id, address indexed addr);

    /// @notice The protocol was paused: every pausable state-changing entry point now reverts.
    /// @param by The governance account that paused it.
    event ProtocolPaused(address indexed by);

    /// @notice The protocol was unpaused.
    /// @param by The governance account that unpaused it.
    event ProtocolUnpaused(address indexed by);

    /// @notice A protocol proxy was pointed at a new implementation by governance.
    /// @param proxy The proxy that was upgraded.
    /// @param implementation Its new implementation.
    event ProxyUpgraded(address indexed proxy, address indexed implementation);

    /// @notice The guardian tried to lift a pause that governance made: only governance can.
    error PausedByGovernance();

    /// @notice `pause` was called while already paused.
    error AlreadyPaused();

    /// @notice `unpause` was called while not paused.
    error NotPaused();

    /// @notice A registry operation was given the zero identifier.
    error ZeroContractId();

    /// @notice Registers `addr` under `id`, replacing any earlier entry. Only governance.
    /// @param id The contract identifier, `keccak256` of its name.
    /// @param addr The address to register; zero clears the entry.
    function setContract(bytes32 id, address addr) external;

    /// @notice The address registered under `id`, or zero if none.
    /// @param id The contract identifier, `keccak256` of its name.
    /// @return The registered address.
    function getContract(bytes32 id) external view returns (address);

    /// @notice Pauses the protocol. Governance, or the pause guardian: the account governance
    /// registered under `keccak256("PauseGuardian")` (the fast path, without the timelock's delay;
    /// the guardian can do nothing else).
    function pause() external;

    /// @notice Unpauses the protocol. Governance, or the pause guardian when the guardian made the
    /// pause.
    function unpause() external;

    /// @notice Whether the protocol is paused.
    /// @return True while paused.
    function paused() external view returns (bool);

    /// @notice Points a protocol proxy at a new implementation and optionally calls it in the same
    /// transaction (a reinitializer, say). Only governance. State behind the proxy is kept.
    /// @param proxy The `ControlledProxy` to upgrade; its admin must be this controller.
    /// @param implementation The new implementation contract.
    /// @param data Calldata for a delegatecall into the new implementation, or empty for none.
    function upgradeProxy(address proxy, address implementation, bytes calldata data) external;

    /// @notice The governance account.
    /// @return The current owner.
    function owner() external view returns (address);
}
