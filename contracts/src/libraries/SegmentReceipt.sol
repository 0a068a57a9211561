// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title SegmentReceipt
/// @notice The claim an orchestrator signs (EIP-712) when it returns a transcoded segment, and its
/// hashing. This is the one definition of the structure: the FaultVerifier checks it, verification
/// functions read it, and the Rust side reproduces the type string below byte for byte
/// (see `docs/fault-verification.md`).
/// @dev EIP-712 encodes referenced struct types after the primary type, sorted by name:
/// `SegmentReceipt(...)` then `Rendition(...)` then `TicketParams(...)`. An array of structs is
/// encoded as `keccak256` of the concatenated `hashStruct` of its elements.
library SegmentReceipt {
    /// @notice One output rendition of the segment.
    struct Rendition {
        /// @dev Profile identifier, e.g. keccak256("720p30 H264 3000kbps").
        bytes32 profile;
        /// @dev Hash of the rendition's output bytes.
        bytes32 outputHash;
        /// @dev Pixels encoded in the rendition (width * height * frames).
        uint64 pixels;
    }

    /// @notice The parameters of the payment ticket the segment was paid with.
    struct TicketParams {
        uint256 faceValue;
        uint256 winProb;
        uint256 senderNonce;
        bytes32 recipientRandHash;
        /// @dev The round the ticket was created in; the challenge window counts from it.
        uint256 creationRound;
    }

    /// @notice What the orchestrator claims about one segment it transcoded.
    struct Receipt {
        address broadcaster;
        address orchestrator;
        /// @dev The job or stream identifier chosen by the broadcaster.
        bytes32 streamId;
        /// @dev The segment sequence number within the stream.
        uint256 seqNo;
        /// @dev Hash of the input segment's bytes.
        bytes32 inputHash;
        /// @dev The service performed, e.g. keccak256("H264 1080p->720p").
        bytes32 serviceId;
        Rendition[] renditions;
        TicketParams ticket;
    }

    /// @notice A receipt lists more renditions than `MAX_RENDITIONS`.
    /// @param count The number of renditions.
    /// @param max The maximum.
    error TooManyRenditions(uint256 count, uint256 max);

    /// @notice The most renditions one receipt may list; bounds the hashing loop.
    uint256 internal constant MAX_RENDITIONS = 32;

    bytes internal constant RENDITION_TYPE = "Rendition(bytes32 profile,bytes32 outputHash,uint64 pixels)";
    bytes internal constant TICKET_PARAMS_TYPE =
        "TicketParams(uint256 faceValue,uint256 winProb,uint256 senderNonce,bytes32 recipientRandHash,uint256 creationRound)";
    bytes internal constant RECEIPT_TYPE =
        "SegmentReceipt(address broadcaster,address orchestrator,bytes32 streamId,uint256 seqNo,bytes32 inputHash,bytes32 serviceId,Rendition[] renditions,TicketParams ticket)";

    bytes32 internal constant RENDITION_TYPEHASH = keccak256(RENDITION_TYPE);
    bytes32 internal constant TICKET_PARAMS_TYPEHASH = keccak256(TICKET_PARAMS_TYPE);
    bytes32 internal constant RECEIPT_TYPEHASH =
        keccak256(abi.encodePacked(RECEIPT_TYPE, RENDITION_TYPE, TICKET_PARAMS_TYPE));

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @notice The EIP-712 `hashStruct` of a receipt.
    /// @param r The receipt.
    /// @return The struct hash.
    function hash(Receipt calldata r) internal pure returns (bytes32) {
        return hashMemory(r);
    }

    /// @notice `hash` for a receipt in memory (decoded from evidence). The one implementation of the
    /// receipt's EIP-712 encoding: `hash` copies its calldata receipt here, so the two can't drift.
    /// @param r The receipt.
    /// @return The struct hash.
    function hashMemory(Receipt memory r) internal pure returns (bytes32) {
        uint256 n = r.renditions.length;
        if (n > MAX_RENDITIONS) revert TooManyRenditions(n, MAX_RENDITIONS);
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            Rendition memory x = r.renditions[i];
            hashes[i] = keccak256(abi.encode(RENDITION_TYPEHASH, x.profile, x.outputHash, x.pixels));
        }
        TicketParams memory t = r.ticket;
        bytes32 ticketHash = keccak256(
            abi.encode(
                TICKET_PARAMS_TYPEHASH,
                t.faceValue,
                t.winProb,
                t.senderNonce,
                t.recipientRandHash,
                t.creationRound
            )
        );
        return keccak256(
            abi.encode(
                RECEIPT_TYPEHASH,
                r.broadcaster,
                r.orchestrator,
                r.streamId,
                r.seqNo,
                r.inputHash,
                r.serviceId,
                keccak256(abi.encodePacked(hashes)),
                ticketHash
            )
        );
    }

    /// @notice The EIP-712 domain separator for `name`/`version` at `verifyingContract` on this chain.
    /// @param nameHash keccak256 of the domain name.
    /// @param versionHash keccak256 of the domain version.
    /// @param verifyingContract The contract that verifies the signatures.
    /// @return The domain separator.
    function domainSeparator(bytes32 nameHash, bytes32 versionHash, address verifyingContract)
        internal
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, nameHash, versionHash, block.chainid, verifyingContract));
    }

    /// @notice The digest an orchestrator signs: `keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct)`.
    /// @param domainSeparator_ The FaultVerifier's domain separator.
    /// @param structHash The receipt's struct hash.
    /// @return The digest.
    function toTypedDataHash(bytes32 domainSeparator_, bytes32 structHash) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", domainSeparator_, structHash));
    }

    /// @notice Identifies a segment across receipts: one orchestrator's segment `seqNo` of
    /// `broadcaster`'s stream `streamId`. At most one challenge per key.
    /// @param r The receipt.
    /// @return The segment key.
    function segmentKey(Receipt calldata r) internal pure returns (bytes32) {
        return keccak256(abi.encode(r.orchestrator, r.broadcaster, r.streamId, r.seqNo));
    }
}
