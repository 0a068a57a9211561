// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IController} from "./interfaces/IController.sol";
import {ContractIds} from "./libraries/ContractIds.sol";
import {ControlledProxy} from "./proxy/ControlledProxy.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title Controller
/// @notice Registry, pause switch and upgrade authority of a Streamflow deployment. It is the one
/// contract that is not behind a proxy: it owns the proxies. It starts paused so that a deployment
/// can wire every contract before anyone uses it.
contract Controller is IController, Ownable2Step {
    mapping(bytes32 id => address addr) private _registry;
    bool private _paused;
    /// @dev Whether the current pause was made by the guardian (it may lift only those). Shares
    /// `_paused`'s slot.
    bool private _pausedByGuardian;

    /// @param governance The initial owner.
    constructor(address governance) Ownable(governance) {
        _paused = true;
        emit ProtocolPaused(governance);
    }

    /// @inheritdoc IController
    function setContract(bytes32 id, address addr) external onlyOwner {
        if (id == bytes32(0)) revert ZeroContractId();
        _registry[id] = addr;
        emit ContractRegistered(id, addr);
    }

    /// @inheritdoc IController
    function getContract(bytes32 id) external view returns (address) {
        return _registry[id];
    }

    /// @inheritdoc IController
    function pause() external {
        bool byGuardian = _checkOwnerOrGuardian();
        if (_paused) revert AlreadyPaused();
        _paused = true;
        _pausedByGuardian = byGuardian;
        emit ProtocolPaused(msg.sender);
    }

    /// @inheritdoc IController
    function unpause() external {
        bool byGuardian = _checkOwnerOrGuardian();
        if (!_paused) revert NotPaused();
        if (byGuardian && !_pausedByGuardian) revert PausedByGovernance();
        _paused = false;
        _pausedByGuardian = false;
        emit ProtocolUnpaused(msg.sender);
    }

    /// @inheritdoc IController
    function paused() external view returns (bool) {
        return _paused;
    }

    /// @inheritdoc IController
    function upgradeProxy(address proxy, address implementation, bytes calldata data) external onlyOwner {
        // Emitted first: if the upgrade reverts, so does the event.
        emit ProxyUpgraded(proxy, implementation);
        ControlledProxy(payable(proxy)).upgradeToAndCall(implementation, data);
    }

    /// @dev Reverts unless the caller is the owner or the pause guardian (registered under
    /// `ContractIds.PAUSE_GUARDIAN`, so that the Controller's ABI and dispatch stay as they were);
    /// returns true for the guardian (the owner wins when both are the same account).
    function _checkOwnerOrGuardian() private view returns (bool byGuardian) {
        if (msg.sender == owner()) return false;
        if (msg.sender != _registry[ContractIds.PAUSE_GUARDIAN] || msg.sender == address(0)) {
            revert OwnableUnauthorizedAccount(msg.sender);
        }
        return true;
    }

    /// @inheritdoc IController
    function owner() public view override(IController, Ownable) returns (address) {
        return super.owner();
    }
}
