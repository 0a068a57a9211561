// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ITicketBroker} from "../interfaces/ITicketBroker.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/// @title TicketLib
/// @notice The packed ticket encoding, its EIP-712 hash, signature checks and the lottery draw.
/// @dev A packed ticket is read straight from calldata, no ABI decoding and no memory copy:
///
/// | offset | bytes | field                  |
/// |-------:|------:|------------------------|
/// |      0 |    20 | recipient              |
/// |     20 |    20 | sender                 |
/// |     40 |    16 | faceValue (uint128)    |
/// |     56 |     4 | senderNonce (uint32)   |
/// |     60 |     4 | creationRound (uint32) |
/// |     64 |    32 | winProb                |
/// |     96 |    32 | recipientRandHash      |
/// |    128 |    32 | creationRoundBlockHash |
/// |    160 |    32 | recipientRand          |
/// |    192 |    65 | signature `r ‖ s ‖ v`  |
///
/// 257 bytes in all, against 548 for Livepeer's ABI-encoded ticket. The sender signs the EIP-712
/// struct `Ticket` of the first eight fields (`recipientRand` is revealed only at redemption).
library TicketLib {
    /// @notice The ticket fields as a struct, for encoding off the hot path (tests, tooling).
    struct Ticket {
        address recipient;
        address sender;
        uint128 faceValue;
        uint256 winProb;
        uint32 senderNonce;
        bytes32 recipientRandHash;
        uint32 creationRound;
        bytes32 creationRoundBlockHash;
    }

    /// @dev Bytes before the signature: the eight fields and the recipient's random number.
    uint256 internal constant HEADER_LENGTH = 192;
    /// @dev The only signature length accepted.
    uint256 internal constant SIGNATURE_LENGTH = 65;
    /// @dev A packed ticket in a batch.
    uint256 internal constant TICKET_LENGTH = HEADER_LENGTH + SIGNATURE_LENGTH;

    bytes32 internal constant TICKET_TYPEHASH = keccak256(
        "Ticket(address recipient,address sender,uint128 faceValue,uint256 winProb,uint32 senderNonce,"
        "bytes32 recipientRandHash,uint32 creationRound,bytes32 creationRoundBlockHash)"
    );
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("Streamflow TicketBroker");
    bytes32 internal constant VERSION_HASH = keccak256("1");

    /// @dev secp256k1n / 2: the largest `s` of a low-s signature.
    uint256 internal constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    // ------------------------------------------------------------------ calldata field readers

    function recipient(bytes calldata t) internal pure returns (address a) {
        assembly ("memory-safe") {
            a := shr(96, calldataload(t.offset))
        }
    }

    function sender(bytes calldata t) internal pure returns (address a) {
        assembly ("memory-safe") {
            a := shr(96, calldataload(add(t.offset, 20)))
        }
    }

    function faceValue(bytes calldata t) internal pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(128, calldataload(add(t.offset, 40)))
        }
    }

    function creationRound(bytes calldata t) internal pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(224, calldataload(add(t.offset, 60)))
        }
    }

    function winProb(bytes calldata t) internal pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := calldataload(add(t.offset, 64))
        }
    }

    function recipientRandHash(bytes calldata t) internal pure returns (bytes32 v) {
        assembly ("memory-safe") {
            v := calldataload(add(t.offset, 96))
        }
    }

    function creationRoundBlockHash(bytes calldata t) internal pure returns (bytes32 v) {
        assembly ("memory-safe") {
            v := calldataload(add(t.offset, 128))
        }
    }

    /// @notice Whether the revealed random number matches the committed hash.
    function randMatches(bytes calldata t) internal pure returns (bool ok) {
        assembly ("memory-safe") {
            mstore(0, calldataload(add(t.offset, 160)))
            ok := eq(keccak256(0, 32), calldataload(add(t.offset, 96)))
        }
    }

    /// @notice The signature part of a packed ticket (everything after the header).
    function signature(bytes calldata t) internal pure returns (bytes calldata sig) {
        sig = t[HEADER_LENGTH:];
    }

    // ------------------------------------------------------------------ hashing

    /// @notice The EIP-712 domain separator of the broker at `verifyingContract` on this chain.
    function domainSeparator(address verifyingContract) internal view returns (bytes32 h) {
        bytes32 typeHash = DOMAIN_TYPEHASH;
        bytes32 nameHash = NAME_HASH;
        bytes32 versionHash = VERSION_HASH;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typeHash)
            mstore(add(m, 0x20), nameHash)
            mstore(add(m, 0x40), versionHash)
            mstore(add(m, 0x60), chainid())
            mstore(add(m, 0x80), verifyingContract)
            h := keccak256(m, 0xa0)
        }
    }

    /// @notice The EIP-712 struct hash of a packed ticket's fields.
    function structHash(bytes calldata t) internal pure returns (bytes32 h) {
        bytes32 typeHash = TICKET_TYPEHASH;
        assembly ("memory-safe") {
            let o := t.offset
            let m := mload(0x40)
            mstore(m, typeHash)
            mstore(add(m, 0x20), shr(96, calldataload(o)))
            mstore(add(m, 0x40), shr(96, calldataload(add(o, 20))))
            mstore(add(m, 0x60), shr(128, calldataload(add(o, 40))))
            mstore(add(m, 0x80), calldataload(add(o, 64)))
            mstore(add(m, 0xa0), shr(224, calldataload(add(o, 56))))
            mstore(add(m, 0xc0), calldataload(add(o, 96)))
            mstore(add(m, 0xe0), shr(224, calldataload(add(o, 60))))
            mstore(add(m, 0x100), calldataload(add(o, 128)))
            h := keccak256(m, 0x120)
        }
    }

    /// @notice The EIP-712 struct hash of a ticket struct (same value as the calldata version).
    function structHash(Ticket memory t) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                TICKET_TYPEHASH,
                t.recipient,
                t.sender,
                t.faceValue,
                t.winProb,
                t.senderNonce,
                t.recipientRandHash,
                t.creationRound,
                t.creationRoundBlockHash
            )
        );
    }

    /// @notice The digest the sender signs: `keccak256("\x19\x01" ‖ domainSeparator ‖ structHash)`.
    function digest(bytes32 domainSeparator_, bytes32 structHash_) internal pure returns (bytes32) {
        return MessageHashUtils.toTypedDataHash(domainSeparator_, structHash_);
    }

    // ------------------------------------------------------------------ signature and draw

    /// @notice Recovers the signer of `digest_` from a 65-byte, low-s `r ‖ s ‖ v` signature. Never
    /// reverts: any other encoding returns the matching {ITicketBroker} error as `err` (ABI-encoded,
    /// empty on success), so that a batch can skip the ticket. `signer` is zero if recovery fails.
    function recover(bytes32 digest_, bytes calldata sig)
        internal
        pure
        returns (address signer, bytes memory err)
    {
        if (sig.length != SIGNATURE_LENGTH) {
            if (sig.length == 64) {
                return
                    (address(0), abi.encodeWithSelector(ITicketBroker.CompactSignatureUnsupported.selector));
            }
            return
                (
                    address(0),
                    abi.encodeWithSelector(ITicketBroker.InvalidSignatureLength.selector, sig.length)
                );
        }
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(sig.offset)
            s := calldataload(add(sig.offset, 32))
            v := byte(0, calldataload(add(sig.offset, 64)))
        }
        if (uint256(s) > HALF_ORDER) {
            return (address(0), abi.encodeWithSelector(ITicketBroker.SignatureHighS.selector, s));
        }
        if (v != 27 && v != 28) {
            return (address(0), abi.encodeWithSelector(ITicketBroker.InvalidSignatureV.selector, v));
        }
        signer = ecrecover(digest_, v, r, s);
    }

    /// @notice The lottery draw: `uint256(keccak256(signature ‖ recipientRand)) < winProb`.
    /// @dev `sig` must be the 65 bytes that follow the header of `t` (checked by {recover}).
    function isWinning(bytes calldata t) internal pure returns (bool win) {
        assembly ("memory-safe") {
            let o := t.offset
            let m := mload(0x40)
            calldatacopy(m, add(o, 192), 65)
            mstore(add(m, 65), calldataload(add(o, 160)))
            win := lt(keccak256(m, 97), calldataload(add(o, 64)))
        }
    }

    // ------------------------------------------------------------------ encoding (off the hot path)

    /// @notice Packs a ticket, the recipient's random number and a signature into the wire format.
    function pack(Ticket memory t, uint256 recipientRand, bytes memory sig)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(
            t.recipient,
            t.sender,
            t.faceValue,
            t.senderNonce,
            t.creationRound,
            t.winProb,
            t.recipientRandHash,
            t.creationRoundBlockHash,
            recipientRand,
            sig
        );
    }
}
