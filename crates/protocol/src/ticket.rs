//! The payment ticket: its fields, the packed wire format read by `TicketBroker`, its EIP-712 hash,
//! signing, signature checks and the lottery draw, each exactly as `libraries/TicketLib.sol` does it.

use crate::ecdsa::{self, HALF_ORDER, LocalSigner, SIGNATURE_LENGTH};
use crate::eip712::{self, Domain};
use crate::rejection::Rejection;
use alloy::primitives::{Address, B256, Bytes, U256, keccak256};
use streamflow_bindings::contracts::TicketBroker::{self, TicketBrokerErrors};

/// The EIP-712 type a sender signs (see `TicketLib.TICKET_TYPEHASH`).
pub const TICKET_TYPE: &str = "Ticket(address recipient,address sender,uint128 faceValue,uint256 winProb,uint32 senderNonce,bytes32 recipientRandHash,uint32 creationRound,bytes32 creationRoundBlockHash)";
/// `keccak256(TICKET_TYPE)`.
pub const TICKET_TYPEHASH: B256 =
    alloy::primitives::b256!("5302f025d386e0772bf623d6f5e145a1b00e4bbafc55835f0c7fc89119f39b33");
/// The broker's EIP-712 domain name.
pub const DOMAIN_NAME: &str = "Streamflow TicketBroker";
/// The broker's EIP-712 domain version.
pub const DOMAIN_VERSION: &str = "1";

/// Bytes of a packed ticket before the signature: the eight signed fields and `recipientRand`.
pub const HEADER_LENGTH: usize = 192;
/// Bytes of a packed ticket with its 65-byte signature; a batch is a multiple of it.
pub const TICKET_LENGTH: usize = HEADER_LENGTH + SIGNATURE_LENGTH;

/// The EIP-712 domain of the TicketBroker (proxy) at `broker` on `chain_id`.
pub fn broker_domain(chain_id: u64, broker: Address) -> Domain {
    Domain::new(DOMAIN_NAME, DOMAIN_VERSION, chain_id, broker)
}

/// The fields a sender signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ticket {
    /// The orchestrator paid by the ticket; only it can redeem.
    pub recipient: Address,
    /// The broadcaster whose deposit and reserve pay.
    pub sender: Address,
    /// Wei paid if the ticket wins.
    pub face_value: u128,
    /// The ticket wins when `keccak256(signature ‖ recipientRand) < winProb`.
    pub win_prob: U256,
    /// Makes tickets with the same `recipient_rand_hash` distinct.
    pub sender_nonce: u32,
    /// `keccak256(recipientRand)`, committed by the recipient.
    pub recipient_rand_hash: B256,
    /// The round the ticket was created in.
    pub creation_round: u32,
    /// The RoundsManager's block hash for `creation_round`.
    pub creation_round_block_hash: B256,
}

impl Ticket {
    /// The EIP-712 struct hash: `keccak256(abi.encode(TICKET_TYPEHASH, fields...))`.
    pub fn struct_hash(&self) -> B256 {
        let mut buf = [0u8; 9 * 32];
        buf[..32].copy_from_slice(TICKET_TYPEHASH.as_slice());
        buf[44..64].copy_from_slice(self.recipient.as_slice());
        buf[76..96].copy_from_slice(self.sender.as_slice());
        buf[112..128].copy_from_slice(&self.face_value.to_be_bytes());
        buf[128..160].copy_from_slice(&self.win_prob.to_be_bytes::<32>());
        buf[188..192].copy_from_slice(&self.sender_nonce.to_be_bytes());
        buf[192..224].copy_from_slice(self.recipient_rand_hash.as_slice());
        buf[252..256].copy_from_slice(&self.creation_round.to_be_bytes());
        buf[256..288].copy_from_slice(self.creation_round_block_hash.as_slice());
        keccak256(buf)
    }

    /// The digest the sender signs, under the broker domain whose separator is given (see
    /// [`Domain::separator`]); the broker's `ticketHash` and the key of its used-ticket set.
    pub fn digest(&self, domain_separator: &B256) -> B256 {
        eip712::typed_data_hash(domain_separator, &self.struct_hash())
    }

    /// Signs the ticket as its sender: 65 bytes, low-s, `v ∈ {27, 28}`. The signer should be the
    /// ticket's `sender` (the broker refuses anything else).
    pub fn sign(&self, domain_separator: &B256, signer: &LocalSigner) -> ecdsa::Signature {
        signer.sign_digest(&self.digest(domain_separator))
    }
}

/// `keccak256(recipientRand)` as a 32-byte big-endian word: what a recipient commits to.
pub fn recipient_rand_hash(recipient_rand: &U256) -> B256 {
    keccak256(recipient_rand.to_be_bytes::<32>())
}

/// Why bytes are not a packed ticket.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnpackError {
    /// Not the length of a packed ticket with a 65-byte signature.
    #[error(
        "a packed ticket is {TICKET_LENGTH} bytes (192-byte header and 65-byte signature), got {length}"
    )]
    WrongLength {
        /// The length given.
        length: usize,
    },
    /// Shorter than the 192-byte header (the broker's `MalformedTicket`).
    #[error("a packed ticket has a {HEADER_LENGTH}-byte header, got {length} bytes")]
    TooShort {
        /// The length given.
        length: usize,
    },
    /// A batch whose length is not a multiple of 257 (the broker's `MalformedBatch`).
    #[error("a batch is a multiple of {TICKET_LENGTH} bytes, got {length}")]
    MalformedBatch {
        /// The length given.
        length: usize,
    },
}

/// A ticket as redeemed: the signed fields, the recipient's revealed random number and the
/// sender's signature. The signature is kept as received (any length) so that validation answers
/// exactly what the broker would; [`Ticket::sign`] always makes 65 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct SignedTicket {
    /// The signed fields.
    pub ticket: Ticket,
    /// The recipient's random number (its hash is `ticket.recipient_rand_hash`).
    pub recipient_rand: U256,
    /// The sender's signature, `r ‖ s ‖ v`.
    pub signature: Bytes,
}

impl SignedTicket {
    /// The wire format of `TicketLib.pack`: the fields at the offsets of `docs/ticket-broker.md`,
    /// `recipientRand`, then the signature (257 bytes for a 65-byte signature).
    pub fn pack(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LENGTH + self.signature.len());
        self.pack_into(&mut out);
        out
    }

    /// Appends the packed ticket to `out` (e.g. to build a batch).
    pub fn pack_into(&self, out: &mut Vec<u8>) {
        let t = &self.ticket;
        out.extend_from_slice(t.recipient.as_slice());
        out.extend_from_slice(t.sender.as_slice());
        out.extend_from_slice(&t.face_value.to_be_bytes());
        out.extend_from_slice(&t.sender_nonce.to_be_bytes());
        out.extend_from_slice(&t.creation_round.to_be_bytes());
        out.extend_from_slice(&t.win_prob.to_be_bytes::<32>());
        out.extend_from_slice(t.recipient_rand_hash.as_slice());
        out.extend_from_slice(t.creation_round_block_hash.as_slice());
        out.extend_from_slice(&self.recipient_rand.to_be_bytes::<32>());
        out.extend_from_slice(&self.signature);
    }

    /// Reads a packed ticket of exactly 257 bytes (the wire format, and one entry of a batch).
    pub fn unpack(bytes: &[u8]) -> Result<Self, UnpackError> {
        if bytes.len() != TICKET_LENGTH {
            return Err(UnpackError::WrongLength {
                length: bytes.len(),
            });
        }
        Self::unpack_any_signature(bytes)
    }

    /// Reads a packed ticket as `redeemWinningTicket` does: a 192-byte header and whatever follows
    /// as the signature (so that a 64-byte or 70-byte signature reaches the signature checks).
    pub fn unpack_any_signature(bytes: &[u8]) -> Result<Self, UnpackError> {
        if bytes.len() < HEADER_LENGTH {
            return Err(UnpackError::TooShort {
                length: bytes.len(),
            });
        }
        let word = |at: usize| B256::from_slice(&bytes[at..at + 32]);
        let mut face = [0u8; 16];
        face.copy_from_slice(&bytes[40..56]);
        let mut nonce = [0u8; 4];
        nonce.copy_from_slice(&bytes[56..60]);
        let mut round = [0u8; 4];
        round.copy_from_slice(&bytes[60..64]);
        Ok(Self {
            ticket: Ticket {
                recipient: Address::from_slice(&bytes[..20]),
                sender: Address::from_slice(&bytes[20..40]),
                face_value: u128::from_be_bytes(face),
                sender_nonce: u32::from_be_bytes(nonce),
                creation_round: u32::from_be_bytes(round),
                win_prob: word(64).into(),
                recipient_rand_hash: word(96),
                creation_round_block_hash: word(128),
            },
            recipient_rand: word(160).into(),
            signature: Bytes::copy_from_slice(&bytes[HEADER_LENGTH..]),
        })
    }

    /// Packs tickets back to back for `batchRedeemWinningTickets`.
    pub fn pack_batch<'a>(tickets: impl IntoIterator<Item = &'a SignedTicket>) -> Vec<u8> {
        let mut out = Vec::new();
        for t in tickets {
            t.pack_into(&mut out);
        }
        out
    }

    /// Reads a batch: 257-byte tickets back to back.
    pub fn unpack_batch(bytes: &[u8]) -> Result<Vec<Self>, UnpackError> {
        if !bytes.len().is_multiple_of(TICKET_LENGTH) {
            return Err(UnpackError::MalformedBatch {
                length: bytes.len(),
            });
        }
        bytes
            .chunks_exact(TICKET_LENGTH)
            .map(Self::unpack_any_signature)
            .collect()
    }

    /// Whether `keccak256(recipientRand) == recipientRandHash`.
    pub fn rand_matches(&self) -> bool {
        recipient_rand_hash(&self.recipient_rand) == self.ticket.recipient_rand_hash
    }

    /// The lottery draw: `uint256(keccak256(signature ‖ recipientRand)) < winProb`. Meaningful for
    /// the 65-byte signature the broker accepts (it draws only after checking the signature).
    pub fn is_winning(&self) -> bool {
        let mut buf = [0u8; SIGNATURE_LENGTH + 32];
        let n = self.signature.len().min(SIGNATURE_LENGTH);
        buf[..n].copy_from_slice(&self.signature[..n]);
        buf[SIGNATURE_LENGTH..].copy_from_slice(&self.recipient_rand.to_be_bytes::<32>());
        U256::from_be_bytes(keccak256(buf).0) < self.ticket.win_prob
    }

    /// The signer of `digest` under the broker's rules (`TicketLib.recover`): exactly 65 bytes,
    /// low-s, `v ∈ {27, 28}`, each refusal with the broker's error; the zero address where
    /// `ecrecover` finds no signer.
    pub fn recover_signer(&self, digest: &B256) -> Result<Address, Rejection> {
        recover_signer(digest, &self.signature)
    }
}

/// `TicketLib.recover`: the signer of `digest` from `sig`, or the broker's error for a signature
/// it refuses before `ecrecover` (`CompactSignatureUnsupported`, `InvalidSignatureLength`,
/// `SignatureHighS`, `InvalidSignatureV`, in that order). A signature that `ecrecover` rejects
/// gives the zero address, as on chain.
pub fn recover_signer(digest: &B256, sig: &[u8]) -> Result<Address, Rejection> {
    let Ok(sig) = <&[u8; SIGNATURE_LENGTH]>::try_from(sig) else {
        if sig.len() == 64 {
            return Err(TicketBrokerErrors::CompactSignatureUnsupported(
                TicketBroker::CompactSignatureUnsupported {},
            )
            .into());
        }
        return Err(TicketBrokerErrors::InvalidSignatureLength(
            TicketBroker::InvalidSignatureLength {
                length: U256::from(sig.len()),
            },
        )
        .into());
    };
    let (r, s) = ecdsa::split_rs(sig);
    if U256::from_be_bytes(s.0) > HALF_ORDER {
        return Err(TicketBrokerErrors::SignatureHighS(TicketBroker::SignatureHighS { s }).into());
    }
    let v = sig[64];
    if v != 27 && v != 28 {
        return Err(
            TicketBrokerErrors::InvalidSignatureV(TicketBroker::InvalidSignatureV { v }).into(),
        );
    }
    Ok(ecdsa::ecrecover(digest, v, &r, &s).unwrap_or(Address::ZERO))
}
