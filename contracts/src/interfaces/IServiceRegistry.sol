// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IServiceVerifiers} from "./IServiceVerifiers.sol";

/// @title IServiceRegistry
/// @notice Where orchestrators advertise how to reach them (a service URI), the regions they serve
/// and the services they offer, each with the verification function that checks it on chain (or
/// none). Governance keeps the list of known services and their default verifiers. Prices are not
/// on chain.
/// @dev Discovery without scanning: every (service, region) pair has its own set of orchestrators,
/// readable in pages on chain (`orchestratorCount`, `orchestratorsFor`), and every entry into or out
/// of a set emits `Listed`/`Delisted`, which an indexer folds into the same sets. Broadcasters then
/// filter by stake with `IBondingManager.activeStake`.
interface IServiceRegistry is IServiceVerifiers {
    /// @notice A service an orchestrator offers.
    /// @param id The service identifier, e.g. `keccak256("H264 1080p->720p")`.
    /// @param verifier The verification function the orchestrator names for it, or zero for the
    /// governance default.
    struct Service {
        bytes32 id;
        address verifier;
    }

    /// @notice `orchestrator` set its service URI.
    /// @param orchestrator The orchestrator.
    /// @param serviceURI Where the orchestrator is reached, e.g. `https://host:8935`.
    event ServiceURISet(address indexed orchestrator, string serviceURI);
    /// @notice `orchestrator` replaced its regions.
    /// @param orchestrator The orchestrator.
    /// @param regions Region identifiers (non-zero, e.g. `keccak256("eu-west")`).
    event RegionsSet(address indexed orchestrator, bytes32[] regions);
    /// @notice `orchestrator` replaced its services.
    /// @param orchestrator The orchestrator.
    /// @param services The services and their verifiers.
    event ServicesSet(address indexed orchestrator, Service[] services);
    /// @notice `orchestrator` entered the (service, region) set.
    /// @param service The service identifier.
    /// @param region The region identifier.
    /// @param orchestrator The orchestrator.
    event Listed(bytes32 indexed service, bytes32 indexed region, address indexed orchestrator);
    /// @notice `orchestrator` left the (service, region) set.
    /// @param service The service identifier.
    /// @param region The region identifier.
    /// @param orchestrator The orchestrator.
    event Delisted(bytes32 indexed service, bytes32 indexed region, address indexed orchestrator);
    /// @notice Governance added, updated or retired a known service.
    /// @param id The service identifier.
    /// @param defaultVerifier The verification function used when an orchestrator names none (zero: none).
    /// @param known Whether orchestrators may list it.
    event KnownServiceSet(bytes32 indexed id, address defaultVerifier, bool known);

    /// @notice The caller is not a registered orchestrator of the BondingManager.
    /// @param account The address.
    error NotOrchestrator(address account);
    /// @notice `account` is still an orchestrator with at least the minimum active stake, so only it
    /// may change its entry.
    /// @param account The address.
    error StillOrchestrator(address account);
    /// @notice The caller's pool is below the BondingManager's `minActiveStake`: it may not advertise
    /// (review L-5: a listing costs what an active orchestrator stakes, so spam can't flood the index).
    /// @param stake The pool's stake.
    /// @param minimum The minimum active stake.
    error BelowMinimumStake(uint256 stake, uint256 minimum);
    /// @notice The service is not in governance's list.
    /// @param id The service identifier.
    error UnknownService(bytes32 id);
    /// @notice The same service or region was given twice.
    /// @param value The rejected value.
    error DuplicateEntry(bytes32 value);
    /// @notice More than `max` entries were given.
    /// @param count How many were given.
    /// @param max The most allowed.
    error TooManyEntries(uint256 count, uint256 max);
    /// @notice The zero identifier was given.
    error ZeroId();
    /// @notice An orchestrator named a verifier that the FaultVerifier's governance hasn't approved
    /// (only zero, the service's default, or an approved verifier may be named).
    error VerifierNotApproved(address verifier);
    /// @notice A page limit of zero was given.
    error ZeroLimit();

    /// @notice Sets the caller's URI, regions and services in one call.
    /// @param serviceURI Where the orchestrator is reached, e.g. `https://host:8935`.
    /// @param regions Region identifiers (non-zero, e.g. `keccak256("eu-west")`).
    /// @param services The services and their verifiers.
    function register(string calldata serviceURI, bytes32[] calldata regions, Service[] calldata services)
        external;

    /// @notice Sets the caller's service URI.
    /// @param serviceURI Where the orchestrator is reached, e.g. `https://host:8935`.
    function setServiceURI(string calldata serviceURI) external;

    /// @notice Replaces the caller's regions (at most `MAX_REGIONS`, no duplicates, non-zero).
    /// @param regions Region identifiers (non-zero, e.g. `keccak256("eu-west")`).
    function setRegions(bytes32[] calldata regions) external;

    /// @notice Replaces the caller's services (at most `MAX_SERVICES`, known, no duplicates).
    /// @param services The services and their verifiers.
    function setServices(Service[] calldata services) external;

    /// @notice Removes the caller from every (service, region) set and clears its entry.
    function deregister() external;

    /// @notice Removes `account` from every (service, region) set and clears its entry, once it is no
    /// longer an orchestrator of the BondingManager or its pool fell below the minimum active stake.
    /// Anyone may call it, to keep the index clean.
    /// @param account The address.
    function delist(address account) external;

    /// @notice Adds, updates (`known`) or retires (`!known`) a service. Only governance. Retiring
    /// keeps existing listings; orchestrators drop it at their next `setServices`.
    /// @param id The service identifier.
    /// @param defaultVerifier The verification function used when an orchestrator names none (zero: none).
    /// @param known Whether orchestrators may list it.
    function setKnownService(bytes32 id, address defaultVerifier, bool known) external;

    /// @notice The service URI of `orchestrator`.
    /// @param orchestrator The orchestrator.
    /// @return The URI (empty if none).
    function serviceURI(address orchestrator) external view returns (string memory);

    /// @notice The regions of `orchestrator`.
    /// @param orchestrator The orchestrator.
    /// @return The region identifiers.
    function regionsOf(address orchestrator) external view returns (bytes32[] memory);

    /// @notice The services of `orchestrator`, with each verifier as the orchestrator named it.
    /// @param orchestrator The orchestrator.
    /// @return The services.
    function servicesOf(address orchestrator) external view returns (Service[] memory);

    /// @notice Whether `id` is a known service, and its default verifier.
    /// @param id The service identifier.
    /// @return known Whether orchestrators may list it.
    /// @return defaultVerifier Its default verifier.
    function knownService(bytes32 id) external view returns (bool known, address defaultVerifier);

    /// @notice How many orchestrators offer `service` in `region`.
    /// @param service The service identifier.
    /// @param region The region identifier.
    /// @return The size of the (service, region) set.
    function orchestratorCount(bytes32 service, bytes32 region) external view returns (uint256);

    /// @notice A page of the orchestrators offering `service` in `region`: up to `limit` from
    /// position `offset` (order is not stable across removals).
    /// @param service The service identifier.
    /// @param region The region identifier.
    /// @param offset Position of the first entry.
    /// @param limit The most entries returned (positive).
    /// @return page The orchestrators on this page.
    function orchestratorsFor(bytes32 service, bytes32 region, uint256 offset, uint256 limit)
        external
        view
        returns (address[] memory page);
}
