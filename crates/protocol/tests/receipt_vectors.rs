//! Segment receipts and committee verdicts against the vector of docs/fault-verification.md and
//! vectors computed with `cast` (commands beside the values).

use alloy::primitives::{B256, U256, address, b256, hex, keccak256};
use streamflow_protocol::{
    LocalSigner,
    receipt::{self, CommitteeVerdict, MAX_RENDITIONS, Rendition, SegmentReceipt, TicketParams},
};

/// The documented receipt (docs/fault-verification.md, "Test vector").
fn documented() -> SegmentReceipt {
    SegmentReceipt {
        broadcaster: address!("1111111111111111111111111111111111111111"),
        orchestrator: address!("2222222222222222222222222222222222222222"),
        stream_id: keccak256("stream-1"),
        seq_no: U256::from(7),
        input_hash: keccak256("input"),
        service_id: keccak256("H264 1080p->720p"),
        renditions: vec![
            Rendition {
                profile: keccak256("720p30 H264 3000kbps"),
                output_hash: keccak256("output-720"),
                pixels: 55_296_000,
            },
            Rendition {
                profile: keccak256("360p30 H264 800kbps"),
                output_hash: keccak256("output-360"),
                pixels: 13_824_000,
            },
        ],
        ticket: TicketParams {
            face_value: U256::from(10u64).pow(U256::from(18)),
            win_prob: U256::from(1) << 255,
            sender_nonce: U256::from(7),
            recipient_rand_hash: keccak256("rand"),
            creation_round: U256::from(42),
        },
    }
}

const HASH_STRUCT: B256 = b256!("afe74c2cf535ad3b154decca5beb0530d656b50e2636c0879def4311751d0771");
const DOMAIN_SEPARATOR: B256 =
    b256!("083f1b6c6265ea44b9852acec7f4ed85f03776f08b3f19aad019c852f72d6ff8");
const DIGEST: B256 = b256!("33337eb2b080335d8561b74fc1d14c1a9e32ec673af6489b11c84926b841b0b4");

/// anvil's second dev account.
const KEY1: B256 = b256!("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");

#[test]
fn typehashes_are_the_hashes_of_their_types() {
    assert_eq!(keccak256(receipt::RECEIPT_TYPE), receipt::RECEIPT_TYPEHASH);
    assert_eq!(
        keccak256("Rendition(bytes32 profile,bytes32 outputHash,uint64 pixels)"),
        receipt::RENDITION_TYPEHASH
    );
    assert_eq!(
        keccak256(
            "TicketParams(uint256 faceValue,uint256 winProb,uint256 senderNonce,bytes32 recipientRandHash,uint256 creationRound)"
        ),
        receipt::TICKET_PARAMS_TYPEHASH
    );
    assert_eq!(
        keccak256("CommitteeVerdict(uint256 challengeId,bytes32 receiptDigest,bool fault)"),
        receipt::VERDICT_TYPEHASH
    );
}

#[test]
fn receipt_matches_the_documented_vector() {
    let r = documented();
    assert_eq!(r.struct_hash().unwrap(), HASH_STRUCT);
    let domain =
        receipt::fault_verifier_domain(31337, address!("3333333333333333333333333333333333333333"));
    assert_eq!(domain.separator(), DOMAIN_SEPARATOR);
    assert_eq!(r.digest(&DOMAIN_SEPARATOR).unwrap(), DIGEST);
}

#[test]
fn receipt_signature_matches_cast() {
    // cast wallet sign --no-hash --private-key $KEY1 $DIGEST
    let sig = documented()
        .sign(&DOMAIN_SEPARATOR, &LocalSigner::from_bytes(&KEY1).unwrap())
        .unwrap();
    assert_eq!(
        sig,
        hex!(
            "d40486ddfa1d0c6e9c1278e58646487e885b0ea80e46d290cf26996005f9b49c6dcbf31d35f2b5c3dc243840e015cedf7dd37626a34818b72880c228ef4bd99e1c"
        )
    );
}

#[test]
fn segment_key_matches_cast() {
    // cast keccak $(cast abi-encode "f(address,address,bytes32,uint256)" 0x2222…2222 0x1111…1111 $(cast keccak stream-1) 7)
    assert_eq!(
        documented().segment_key(),
        b256!("851fc1949a703e9ae21c1b4247d949ab8e90f6269f065604ad0cf09c188b4308")
    );
}

#[test]
fn empty_and_too_many_renditions() {
    let mut r = documented();
    r.renditions.clear();
    // The empty array hashes as keccak256(""): different from the documented one, and accepted.
    assert_ne!(r.struct_hash().unwrap(), HASH_STRUCT);
    r.renditions = vec![Rendition::default(); MAX_RENDITIONS];
    assert!(r.struct_hash().is_ok());
    r.renditions.push(Rendition::default());
    let err = r.struct_hash().unwrap_err();
    assert_eq!(
        (err.count, err.max),
        (U256::from(MAX_RENDITIONS + 1), U256::from(MAX_RENDITIONS))
    );
}

#[test]
fn committee_verdict_matches_cast() {
    let v = CommitteeVerdict {
        challenge_id: U256::from(5),
        receipt_digest: DIGEST,
        fault: true,
    };
    // cast keccak $(cast abi-encode "f(bytes32,uint256,bytes32,bool)" $VERDICT_TYPEHASH 5 $DIGEST true)
    assert_eq!(
        v.struct_hash(),
        b256!("0fb064cb24e7c95c66caa0c8771f75f139f45887d6589ce0f161e1e996dce1db")
    );
    let domain =
        receipt::committee_domain(31337, address!("4444444444444444444444444444444444444444"));
    // cast keccak $(cast abi-encode "f(bytes32,bytes32,bytes32,uint256,address)" $DOMAIN_TYPEHASH \
    //   $(cast keccak "Streamflow CommitteeVerifier") $(cast keccak 1) 31337 0x4444…4444)
    let separator = domain.separator();
    assert_eq!(
        separator,
        b256!("b2b61061b31b842c72c98d4f2a4ebf57cbc8dc789489fda9926c06afd9b2371f")
    );
    assert_eq!(
        v.digest(&separator),
        b256!("62a9380a9f3677371091ff192c69912d516dc3b7dfd13281735bb85899686a7f")
    );
    let member = LocalSigner::from_bytes(&KEY1).unwrap();
    // cast wallet sign --no-hash --private-key $KEY1 $VERDICT_DIGEST
    assert_eq!(
        v.sign_by(&separator, &[&member])[0].as_ref(),
        hex!(
            "0e146d8b5648f8d4afab03a051bf821b0366f4ed369c4821f9e4ba03100bf865121990af95f5f1eb679bdaf4fc1ac4c1d4c6e62a9514375e45ee65b40225be141c"
        )
    );
    // The fault bit is signed.
    assert_ne!(
        CommitteeVerdict { fault: false, ..v }.digest(&separator),
        v.digest(&separator)
    );
}

#[test]
fn committee_signatures_come_in_ascending_signer_order() {
    let keys: Vec<LocalSigner> = (1u8..=5)
        .map(|i| LocalSigner::from_bytes(&keccak256([i])).unwrap())
        .collect();
    let v = CommitteeVerdict {
        challenge_id: U256::from(1),
        receipt_digest: DIGEST,
        fault: false,
    };
    let separator = B256::repeat_byte(9);
    let digest = v.digest(&separator);
    let members: Vec<&LocalSigner> = keys.iter().rev().chain(keys.iter().take(1)).collect();
    let sigs = v.sign_by(&separator, &members);
    assert_eq!(sigs.len(), keys.len());
    let signers: Vec<_> = sigs
        .iter()
        .map(|s| {
            streamflow_protocol::ecdsa::recover(&digest, &<[u8; 65]>::try_from(s.as_ref()).unwrap())
                .unwrap()
        })
        .collect();
    assert!(signers.windows(2).all(|w| w[0] < w[1]), "{signers:?}");
}
