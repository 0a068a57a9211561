// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC1967Utils} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Utils.sol";
import {Proxy} from "@openzeppelin/contracts/proxy/Proxy.sol";

/// @title ControlledProxy
/// @notice The proxy in front of every Streamflow protocol contract. It keeps the implementation in
/// the ERC-1967 slot and delegates every call to it. Its admin is the Controller, fixed at
/// construction (an immutable, so the admin check costs no storage read): only the Controller can
/// upgrade, and the Controller's `upgradeProxy` is governance-only.
/// @dev Transparent pattern: calls from the admin are never forwarded, so an implementation
/// function can't clash with the upgrade entry point. The Controller never needs to call a protocol
/// contract as a user.
contract ControlledProxy is Proxy {
    /// @notice A call from the admin was not `upgradeToAndCall`.
    error ProxyDeniedAdminAccess();

    /// @notice The proxy was constructed without an admin.
    error ZeroAdmin();

    address private immutable _admin;

    /// @param admin The Controller that may upgrade this proxy.
    /// @param implementation The first implementation.
    /// @param data Initializer calldata, delegatecalled into `implementation` at construction.
    constructor(address admin, address implementation, bytes memory data) payable {
        if (admin == address(0)) revert ZeroAdmin();
        _admin = admin;
        ERC1967Utils.changeAdmin(admin);
        ERC1967Utils.upgradeToAndCall(implementation, data);
    }

    /// @notice Points the proxy at `implementation` and delegatecalls `data` into it if non-empty.
    /// Callable by the admin (the Controller) only; anyone else's call is forwarded to the
    /// implementation like any other.
    /// @param implementation The new implementation contract (must have code).
    /// @param data Calldata for a delegatecall into the new implementation, or empty.
    function upgradeToAndCall(address implementation, bytes calldata data) external payable {
        // Only reachable by selector; the admin check happens in `_fallback` for every other call.
        if (msg.sender != _admin) {
            _delegate(_implementation());
        }
        ERC1967Utils.upgradeToAndCall(implementation, data);
    }

    /// @notice Plain ether transfers are forwarded too, so the implementation decides whether to accept.
    receive() external payable {
        _fallback();
    }

    /// @dev Forwards every call except the admin's; the admin may only upgrade.
    function _fallback() internal override {
        if (msg.sender == _admin) revert ProxyDeniedAdminAccess();
        super._fallback();
    }

    /// @dev The ERC-1967 implementation slot.
    function _implementation() internal view override returns (address) {
        return ERC1967Utils.getImplementation();
    }
}
