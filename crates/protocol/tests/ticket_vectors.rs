//! The ticket encoding, hash, signature and draw against vectors computed with `cast` (the commands
//! are next to each value), and pack/unpack properties.

use alloy::primitives::{Address, B256, Bytes, U256, address, b256, hex, keccak256};
use proptest::prelude::*;
use streamflow_bindings::contracts::TicketBroker::TicketBrokerErrors;
use streamflow_protocol::{
    LocalSigner, SignedTicket, Ticket,
    ecdsa::HALF_ORDER,
    ticket::{self, TICKET_LENGTH, UnpackError},
};

/// anvil's first dev account (the sender of the vector).
const SENDER_KEY: B256 = b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
const SENDER: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
const RECIPIENT: Address = address!("70997970C51812dc3A010C7d01b50e0d17dc79C8");
const BROKER: Address = address!("3333333333333333333333333333333333333333");

/// The documented vector (docs/ticket-broker.md, "Rust core"): faceValue 1 ETH, winProb 2²⁵⁶−1,
/// nonce 7, recipientRand 12345, creation round 42 with block hash `keccak256("block-42")`.
fn vector() -> Ticket {
    Ticket {
        recipient: RECIPIENT,
        sender: SENDER,
        face_value: 1_000_000_000_000_000_000,
        win_prob: U256::MAX,
        sender_nonce: 7,
        // cast keccak $(cast to-uint256 12345)
        recipient_rand_hash: b256!(
            "e546b0a52c2879744f6def0fb483d581dc6d205de83af8440456804dd8b62380"
        ),
        creation_round: 42,
        creation_round_block_hash: keccak256("block-42"),
    }
}

// cast keccak $(cast abi-encode "f(bytes32,address,address,uint128,uint256,uint32,bytes32,uint32,bytes32)" \
//   $TICKET_TYPEHASH $RECIPIENT $SENDER 1000000000000000000 $(cast max-uint) 7 $RAND_HASH 42 $(cast keccak block-42))
const STRUCT_HASH: B256 = b256!("e8061bcd51a3cfa1795a7db6904da480cb4d3a73a83d3da02428d40421070c8a");
// cast keccak $(cast abi-encode "f(bytes32,bytes32,bytes32,uint256,address)" $DOMAIN_TYPEHASH \
//   $(cast keccak "Streamflow TicketBroker") $(cast keccak 1) 31337 0x3333…3333)
const DOMAIN_SEPARATOR: B256 =
    b256!("838c6c4591c3537a0475251f4aacbd2cff8ed601e5cec6e2658e81f3a621dfb2");
// cast keccak $(cast concat-hex 0x1901 $DOMAIN_SEPARATOR $STRUCT_HASH)
const DIGEST: B256 = b256!("de6682e6c80fb0d14191196345ecf01b16c9efc08ae65325582e814bd659d54b");
// cast wallet sign --no-hash --private-key $SENDER_KEY $DIGEST
const SIGNATURE: [u8; 65] = hex!(
    "b336c5b556eeef17be45bb543ce367930c4cefacafdb5a53a74cb659014b4837551d282f74fdbe6142bcdf613c73304464acf6219465bebd8cbfbb7aa484f40b1b"
);
// cast abi-encode --packed "f(address,address,uint128,uint32,uint32,uint256,bytes32,bytes32,uint256,bytes)" \
//   $RECIPIENT $SENDER 1000000000000000000 7 42 $(cast max-uint) $RAND_HASH $(cast keccak block-42) 12345 $SIGNATURE
const PACKED: [u8; 257] = hex!(
    "70997970c51812dc3a010c7d01b50e0d17dc79c8f39fd6e51aad88f6f4ce6ab8827279cfffb9226600000000000000000de0b6b3a7640000000000070000002affffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe546b0a52c2879744f6def0fb483d581dc6d205de83af8440456804dd8b623802cd9a3e43ccec68bf6ffa665b56719f5af5ba04c500c3253f3f80bf8355b1d7b0000000000000000000000000000000000000000000000000000000000003039b336c5b556eeef17be45bb543ce367930c4cefacafdb5a53a74cb659014b4837551d282f74fdbe6142bcdf613c73304464acf6219465bebd8cbfbb7aa484f40b1b"
);
// cast keccak $(cast concat-hex $SIGNATURE $(cast to-uint256 12345))
const DRAW: B256 = b256!("dfe5dbcc6839c64e516ee64ec11f69614f2e28e4e70f36fba1ba96607b854019");

fn signed_vector() -> SignedTicket {
    SignedTicket {
        ticket: vector(),
        recipient_rand: U256::from(12345),
        signature: Bytes::copy_from_slice(&SIGNATURE),
    }
}

#[test]
fn typehash_is_the_hash_of_the_type() {
    assert_eq!(keccak256(ticket::TICKET_TYPE), ticket::TICKET_TYPEHASH);
}

#[test]
fn hashes_match_the_vector() {
    let t = vector();
    assert_eq!(
        ticket::recipient_rand_hash(&U256::from(12345)),
        t.recipient_rand_hash
    );
    assert_eq!(t.struct_hash(), STRUCT_HASH);
    let domain = ticket::broker_domain(31337, BROKER);
    assert_eq!(domain.separator(), DOMAIN_SEPARATOR);
    assert_eq!(t.digest(&DOMAIN_SEPARATOR), DIGEST);
}

#[test]
fn signature_matches_cast_and_recovers() {
    let signer = LocalSigner::from_bytes(&SENDER_KEY).unwrap();
    assert_eq!(signer.address(), SENDER);
    let sig = vector().sign(&DOMAIN_SEPARATOR, &signer);
    assert_eq!(sig, SIGNATURE);
    assert_eq!(signed_vector().recover_signer(&DIGEST), Ok(SENDER));
}

#[test]
fn pack_matches_the_vector_and_unpacks() {
    assert_eq!(signed_vector().pack(), PACKED.to_vec());
    assert_eq!(SignedTicket::unpack(&PACKED), Ok(signed_vector()));
}

#[test]
fn draw_matches_the_vector() {
    let mut t = signed_vector();
    // The draw hash is above 2^255: wins at 2^256 - 1, loses at 2^255, wins just above the hash.
    assert!(t.is_winning());
    t.ticket.win_prob = U256::from(1) << 255;
    assert!(!t.is_winning());
    t.ticket.win_prob = U256::from_be_bytes(DRAW.0);
    assert!(!t.is_winning(), "the draw is strict: hash < winProb");
    t.ticket.win_prob += U256::from(1);
    assert!(t.is_winning());
}

#[test]
fn signature_refusals_follow_the_broker_order() {
    let digest = DIGEST;
    let err = |sig: &[u8]| ticket::recover_signer(&digest, sig).unwrap_err().0;
    assert!(matches!(
        err(&SIGNATURE[..64]),
        TicketBrokerErrors::CompactSignatureUnsupported(_)
    ));
    assert!(
        matches!(err(&[0u8; 66]), TicketBrokerErrors::InvalidSignatureLength(ref e) if e.length == U256::from(66))
    );
    assert!(
        matches!(err(&[]), TicketBrokerErrors::InvalidSignatureLength(ref e) if e.length.is_zero())
    );
    // High s is refused before v is looked at.
    let mut high = SIGNATURE;
    high[32..64].copy_from_slice(&(HALF_ORDER + U256::from(1)).to_be_bytes::<32>());
    high[64] = 0;
    assert!(
        matches!(err(&high), TicketBrokerErrors::SignatureHighS(ref e) if U256::from_be_bytes(e.s.0) == HALF_ORDER + U256::from(1))
    );
    let mut bad_v = SIGNATURE;
    bad_v[64] = 1;
    assert!(matches!(err(&bad_v), TicketBrokerErrors::InvalidSignatureV(ref e) if e.v == 1));
    // s = n/2 exactly is low; r = 0 makes ecrecover fail: the zero address, as on chain.
    let mut zero_r = SIGNATURE;
    zero_r[..32].fill(0);
    assert_eq!(ticket::recover_signer(&digest, &zero_r), Ok(Address::ZERO));
}

#[test]
fn unpack_refuses_malformed_lengths() {
    assert_eq!(
        SignedTicket::unpack(&PACKED[..256]),
        Err(UnpackError::WrongLength { length: 256 })
    );
    assert_eq!(
        SignedTicket::unpack_any_signature(&PACKED[..191]),
        Err(UnpackError::TooShort { length: 191 })
    );
    // The single-ticket reading keeps a short signature for the signature checks to refuse.
    let short = SignedTicket::unpack_any_signature(&PACKED[..256]).unwrap();
    assert_eq!(short.signature.len(), 64);
    assert_eq!(
        SignedTicket::unpack_batch(&PACKED[..256]),
        Err(UnpackError::MalformedBatch { length: 256 })
    );
    assert_eq!(SignedTicket::unpack_batch(&[]), Ok(vec![]));
}

fn arb_ticket() -> impl Strategy<Value = SignedTicket> {
    (
        (
            any::<[u8; 20]>(),
            any::<[u8; 20]>(),
            any::<u128>(),
            any::<[u8; 32]>(),
            any::<u32>(),
        ),
        (
            any::<[u8; 32]>(),
            any::<u32>(),
            any::<[u8; 32]>(),
            any::<[u8; 32]>(),
            any::<[u8; 65]>(),
        ),
    )
        .prop_map(
            |((r, s, fv, wp, nonce), (rh, round, bh, rand, sig))| SignedTicket {
                ticket: Ticket {
                    recipient: Address::from(r),
                    sender: Address::from(s),
                    face_value: fv,
                    win_prob: U256::from_be_bytes(wp),
                    sender_nonce: nonce,
                    recipient_rand_hash: B256::from(rh),
                    creation_round: round,
                    creation_round_block_hash: B256::from(bh),
                },
                recipient_rand: U256::from_be_bytes(rand),
                signature: Bytes::copy_from_slice(&sig),
            },
        )
}

proptest! {
    #[test]
    fn pack_unpack_round_trips(t in arb_ticket()) {
        let packed = t.pack();
        prop_assert_eq!(packed.len(), TICKET_LENGTH);
        prop_assert_eq!(SignedTicket::unpack(&packed), Ok(t.clone()));
        prop_assert_eq!(SignedTicket::unpack_any_signature(&packed), Ok(t));
    }

    #[test]
    fn unpack_is_total_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        // Never panics; accepts exactly the lengths the broker reads, and re-packs to the same bytes.
        match SignedTicket::unpack_any_signature(&bytes) {
            Ok(t) => {
                prop_assert!(bytes.len() >= ticket::HEADER_LENGTH);
                prop_assert_eq!(t.pack(), bytes.clone());
            }
            Err(e) => prop_assert_eq!(e, UnpackError::TooShort { length: bytes.len() }),
        }
        prop_assert_eq!(SignedTicket::unpack(&bytes).is_ok(), bytes.len() == TICKET_LENGTH);
        match SignedTicket::unpack_batch(&bytes) {
            Ok(batch) => {
                prop_assert_eq!(batch.len() * TICKET_LENGTH, bytes.len());
                prop_assert_eq!(SignedTicket::pack_batch(&batch), bytes);
            }
            Err(e) => prop_assert_eq!(e, UnpackError::MalformedBatch { length: bytes.len() }),
        }
    }

    #[test]
    fn the_signer_is_recovered_and_a_changed_field_breaks_it(t in arb_ticket(), key in any::<[u8; 32]>(), flip in 0usize..192) {
        let Ok(signer) = LocalSigner::from_bytes(&B256::from(key)) else { return Ok(()); };
        let domain = DOMAIN_SEPARATOR;
        let mut t = t;
        t.ticket.sender = signer.address();
        t.signature = Bytes::copy_from_slice(&t.ticket.sign(&domain, &signer));
        let digest = t.ticket.digest(&domain);
        prop_assert_eq!(t.recover_signer(&digest), Ok(signer.address()));
        prop_assert!(U256::from_be_slice(&t.signature[32..64]) <= HALF_ORDER);
        // Any change to a signed byte changes the digest (recipientRand, bytes 160..192, is unsigned).
        let mut packed = t.pack();
        packed[flip] ^= 1;
        let changed = SignedTicket::unpack(&packed).unwrap();
        prop_assert_eq!(changed.ticket.digest(&domain) == digest, (160..192).contains(&flip));
    }
}
