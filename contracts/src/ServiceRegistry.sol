// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controlled} from "./Controlled.sol";
import {IBondingManager} from "./interfaces/IBondingManager.sol";
import {IController} from "./interfaces/IController.sol";
import {IFaultVerifier} from "./interfaces/IFaultVerifier.sol";
import {IServiceRegistry} from "./interfaces/IServiceRegistry.sol";
import {IServiceVerifiers} from "./interfaces/IServiceVerifiers.sol";
import {ContractIds} from "./libraries/ContractIds.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

/// @title ServiceRegistry
/// @notice Orchestrators' service URIs, regions and services, indexed by (service, region). See
/// {IServiceRegistry}.
/// @dev Updates diff the old lists against the new ones, so only the (service, region) pairs that
/// really change are touched. The loops run over the caller's own lists, capped by `MAX_SERVICES`
/// and `MAX_REGIONS`, never over other orchestrators.
contract ServiceRegistry is IServiceRegistry, Controlled {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice A known service: whether orchestrators may list it, and its default verifier.
    struct Known {
        bool known;
        address defaultVerifier;
    }

    /// @notice One orchestrator's advertisement.
    struct Entry {
        string serviceURI;
        bytes32[] regions;
        bytes32[] services;
        mapping(bytes32 service => address verifier) verifiers;
    }

    /// @custom:storage-location erc7201:streamflow.storage.ServiceRegistry
    struct ServiceRegistryStorage {
        mapping(bytes32 id => Known) known;
        mapping(address orchestrator => Entry) entries;
        mapping(bytes32 serviceRegion => EnumerableSet.AddressSet) listings;
    }

    // keccak256(abi.encode(uint256(keccak256("streamflow.storage.ServiceRegistry")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant STORAGE_SLOT =
        0xfe17b03a89026b6ebd8b091da80a37c09d017d059811b9db8a2dafa83af6b400;

    /// @notice The most services one orchestrator may list.
    uint256 public constant MAX_SERVICES = 16;
    /// @notice The most regions one orchestrator may list.
    uint256 public constant MAX_REGIONS = 8;

    /// @param controller_ The Controller of this deployment.
    constructor(IController controller_) Controlled(controller_) {}

    /// @notice Nothing to set up; marks the proxy initialized.
    function initialize() external initializer {}

    /// @inheritdoc IServiceRegistry
    function register(string calldata serviceURI_, bytes32[] calldata regions, Service[] calldata services)
        external
        whenNotPaused
    {
        Entry storage e = _entry();
        _setURI(e, serviceURI_);
        _setRegions(e, regions);
        _setServices(e, services);
    }

    /// @inheritdoc IServiceRegistry
    function setServiceURI(string calldata serviceURI_) external whenNotPaused {
        _setURI(_entry(), serviceURI_);
    }

    /// @inheritdoc IServiceRegistry
    function setRegions(bytes32[] calldata regions) external whenNotPaused {
        _setRegions(_entry(), regions);
    }

    /// @inheritdoc IServiceRegistry
    function setServices(Service[] calldata services) external whenNotPaused {
        _setServices(_entry(), services);
    }

    /// @inheritdoc IServiceRegistry
    function deregister() external whenNotPaused {
        _clear(msg.sender);
    }

    /// @inheritdoc IServiceRegistry
    function delist(address account) external whenNotPaused {
        IBondingManager bm = IBondingManager(controller.getContract(ContractIds.BONDING_MANAGER));
        if (bm.isOrchestrator(account) && bm.totalStakeOf(account) >= bm.minActiveStake()) {
            revert StillOrchestrator(account);
        }
        _clear(account);
    }

    /// @inheritdoc IServiceRegistry
    function setKnownService(bytes32 id, address defaultVerifier, bool known) external onlyGovernance {
        if (id == bytes32(0)) revert ZeroId();
        _storage().known[id] = Known({known: known, defaultVerifier: defaultVerifier});
        emit KnownServiceSet(id, defaultVerifier, known);
    }

    /// @inheritdoc IServiceRegistry
    function serviceURI(address orchestrator) external view returns (string memory) {
        return _storage().entries[orchestrator].serviceURI;
    }

    /// @inheritdoc IServiceRegistry
    function regionsOf(address orchestrator) external view returns (bytes32[] memory) {
        return _storage().entries[orchestrator].regions;
    }

    /// @inheritdoc IServiceRegistry
    function servicesOf(address orchestrator) external view returns (Service[] memory services) {
        Entry storage e = _storage().entries[orchestrator];
        uint256 n = e.services.length;
        services = new Service[](n);
        for (uint256 i; i < n; ++i) {
            bytes32 id = e.services[i];
            services[i] = Service({id: id, verifier: e.verifiers[id]});
        }
    }

    /// @inheritdoc IServiceVerifiers
    function verifierFor(address orchestrator, bytes32 service) external view returns (address verifier) {
        ServiceRegistryStorage storage $ = _storage();
        verifier = $.entries[orchestrator].verifiers[service];
        if (verifier == address(0)) verifier = $.known[service].defaultVerifier;
    }

    /// @inheritdoc IServiceRegistry
    function knownService(bytes32 id) external view returns (bool known, address defaultVerifier) {
        Known storage k = _storage().known[id];
        return (k.known, k.defaultVerifier);
    }

    /// @inheritdoc IServiceRegistry
    function orchestratorCount(bytes32 service, bytes32 region) external view returns (uint256) {
        return _storage().listings[_key(service, region)].length();
    }

    /// @inheritdoc IServiceRegistry
    function orchestratorsFor(bytes32 service, bytes32 region, uint256 offset, uint256 limit)
        external
        view
        returns (address[] memory page)
    {
        if (limit == 0) revert ZeroLimit();
        EnumerableSet.AddressSet storage set = _storage().listings[_key(service, region)];
        uint256 n = set.length();
        if (offset >= n) return new address[](0);
        uint256 end = n - offset < limit ? n : offset + limit;
        page = new address[](end - offset);
        for (uint256 i = offset; i < end; ++i) {
            page[i - offset] = set.at(i);
        }
    }

    // ------------------------------------------------------------------ internals

    /// @dev The caller's entry; the caller must be a registered orchestrator whose pool holds at least
    /// the minimum active stake (review L-5).
    function _entry() private view returns (Entry storage) {
        IBondingManager bm = IBondingManager(controller.getContract(ContractIds.BONDING_MANAGER));
        if (!bm.isOrchestrator(msg.sender)) revert NotOrchestrator(msg.sender);
        uint256 stake = bm.totalStakeOf(msg.sender);
        uint256 minimum = bm.minActiveStake();
        if (stake < minimum) revert BelowMinimumStake(stake, minimum);
        return _storage().entries[msg.sender];
    }

    function _setURI(Entry storage e, string calldata uri) private {
        e.serviceURI = uri;
        emit ServiceURISet(msg.sender, uri);
    }

    function _setRegions(Entry storage e, bytes32[] calldata regions) private {
        if (regions.length > MAX_REGIONS) revert TooManyEntries(regions.length, MAX_REGIONS);
        ServiceRegistryStorage storage $ = _storage();
        bytes32[] memory old = e.regions;
        bytes32[] memory services = e.services;
        for (uint256 i; i < regions.length; ++i) {
            if (regions[i] == bytes32(0)) revert ZeroId();
            for (uint256 j; j < i; ++j) {
                if (regions[j] == regions[i]) revert DuplicateEntry(regions[i]);
            }
            if (_contains(old, regions[i])) continue;
            for (uint256 s; s < services.length; ++s) {
                _list($, services[s], regions[i]);
            }
        }
        for (uint256 i; i < old.length; ++i) {
            if (_containsCalldata(regions, old[i])) continue;
            for (uint256 s; s < services.length; ++s) {
                _delist($, services[s], old[i], msg.sender);
            }
        }
        e.regions = regions;
        emit RegionsSet(msg.sender, regions);
    }

    function _setServices(Entry storage e, Service[] calldata services) private {
        if (services.length > MAX_SERVICES) revert TooManyEntries(services.length, MAX_SERVICES);
        ServiceRegistryStorage storage $ = _storage();
        bytes32[] memory old = e.services;
        bytes32[] memory regions = e.regions;
        bytes32[] memory ids = new bytes32[](services.length);
        IFaultVerifier faultVerifier = IFaultVerifier(address(0)); // looked up on first use
        for (uint256 i; i < services.length; ++i) {
            bytes32 id = services[i].id;
            if (!$.known[id].known) revert UnknownService(id);
            address verifier = services[i].verifier;
            if (verifier != address(0)) {
                // Only a verifier governance approved in the FaultVerifier: an orchestrator must not
                // pick (or switch to) a judge that can't slash it.
                if (address(faultVerifier) == address(0)) {
                    faultVerifier = IFaultVerifier(controller.getContract(ContractIds.FAULT_VERIFIER));
                }
                if (address(faultVerifier) == address(0) || !faultVerifier.isVerifierApproved(verifier)) {
                    revert VerifierNotApproved(verifier);
                }
            }
            if (_contains(ids, id)) revert DuplicateEntry(id);
            ids[i] = id;
            if (e.verifiers[id] != services[i].verifier) e.verifiers[id] = services[i].verifier;
            if (_contains(old, id)) continue;
            for (uint256 r; r < regions.length; ++r) {
                _list($, id, regions[r]);
            }
        }
        for (uint256 i; i < old.length; ++i) {
            if (_contains(ids, old[i])) continue;
            delete e.verifiers[old[i]];
            for (uint256 r; r < regions.length; ++r) {
                _delist($, old[i], regions[r], msg.sender);
            }
        }
        e.services = ids;
        emit ServicesSet(msg.sender, services);
    }

    /// @dev Removes `who` from every set it is in and clears its entry.
    function _clear(address who) private {
        ServiceRegistryStorage storage $ = _storage();
        Entry storage e = $.entries[who];
        bytes32[] memory regions = e.regions;
        bytes32[] memory services = e.services;
        for (uint256 i; i < services.length; ++i) {
            for (uint256 j; j < regions.length; ++j) {
                _delist($, services[i], regions[j], who);
            }
            delete e.verifiers[services[i]];
        }
        delete e.regions;
        delete e.services;
        delete e.serviceURI;
        emit ServiceURISet(who, "");
        emit RegionsSet(who, new bytes32[](0));
        emit ServicesSet(who, new Service[](0));
    }

    function _list(ServiceRegistryStorage storage $, bytes32 service, bytes32 region) private {
        if ($.listings[_key(service, region)].add(msg.sender)) emit Listed(service, region, msg.sender);
    }

    function _delist(ServiceRegistryStorage storage $, bytes32 service, bytes32 region, address who) private {
        if ($.listings[_key(service, region)].remove(who)) emit Delisted(service, region, who);
    }

    function _contains(bytes32[] memory list, bytes32 value) private pure returns (bool) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == value) return true;
        }
        return false;
    }

    function _containsCalldata(bytes32[] calldata list, bytes32 value) private pure returns (bool) {
        for (uint256 i; i < list.length; ++i) {
            if (list[i] == value) return true;
        }
        return false;
    }

    function _key(bytes32 service, bytes32 region) private pure returns (bytes32) {
        return keccak256(abi.encode(service, region));
    }

    function _storage() internal pure returns (ServiceRegistryStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
