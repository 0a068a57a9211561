//! secp256k1 signing and recovery over libsecp256k1 (the `secp256k1` crate).
//!
//! One implementation for every signature the protocol makes: tickets, segment receipts and committee
//! verdicts are all signed here ([`LocalSigner`]) and recovered here ([`recover`]). libsecp256k1
//! always produces low-s signatures, and recovers about five times faster than alloy's default `k256`
//! backend, which matters on an orchestrator's ticket intake path.

use alloy::primitives::{Address, B256, U256, keccak256};
use secp256k1::{
    Message, PublicKey, SECP256K1, SecretKey,
    ecdsa::{RecoverableSignature, RecoveryId},
};

/// `secp256k1n / 2`: the largest `s` of a low-s signature (EIP-2).
pub const HALF_ORDER: U256 = U256::from_be_slice(&[
    0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0,
]);

/// The length of an `r ‖ s ‖ v` signature, the only one the contracts accept.
pub const SIGNATURE_LENGTH: usize = 65;

/// A 65-byte `r ‖ s ‖ v` signature with `v ∈ {27, 28}`.
pub type Signature = [u8; SIGNATURE_LENGTH];

/// Why a key could not be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid secp256k1 secret key: {0}")]
pub struct KeyError(#[from] secp256k1::Error);

/// A local secp256k1 key that signs 32-byte digests the way the contracts expect: 65 bytes,
/// `r ‖ s ‖ v`, low-s, `v ∈ {27, 28}`, deterministic (RFC 6979).
#[derive(Clone)]
pub struct LocalSigner {
    key: SecretKey,
    address: Address,
}

impl std::fmt::Debug for LocalSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("LocalSigner")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl LocalSigner {
    /// A signer for the 32-byte secret key `secret` (e.g. read from a key file or decrypted from a
    /// keystore by the caller).
    pub fn from_bytes(secret: &B256) -> Result<Self, KeyError> {
        let key = SecretKey::from_byte_array(secret.0)?;
        let address = address_of(&key.public_key(SECP256K1));
        Ok(Self { key, address })
    }

    /// The same key as an alloy local signer holds it (e.g. decrypted from a keystore with
    /// `PrivateKeySigner::decrypt_keystore`); alloy's signer is not used to sign protocol messages.
    pub fn from_alloy(key: &alloy::signers::local::PrivateKeySigner) -> Result<Self, KeyError> {
        Self::from_bytes(&key.to_bytes())
    }

    /// The signer's Ethereum address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a 32-byte digest (an EIP-712 hash, not a message to be prefixed).
    pub fn sign_digest(&self, digest: &B256) -> Signature {
        let sig = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(digest.0), &self.key);
        let (id, rs) = sig.serialize_compact();
        let mut out = [0u8; SIGNATURE_LENGTH];
        out[..64].copy_from_slice(&rs);
        // A signing nonce gives recovery id 0 or 1 (2 and 3 need r ≥ n, which has negligible odds).
        out[64] = 27 + u8::try_from(i32::from(id)).unwrap_or(0);
        out
    }
}

/// The Ethereum address of a public key: the last 20 bytes of `keccak256(x ‖ y)`.
pub fn address_of(key: &PublicKey) -> Address {
    let uncompressed = key.serialize_uncompressed();
    Address::from_slice(&keccak256(&uncompressed[1..])[12..])
}

/// What the EVM's `ecrecover` answers for `(digest, v, r, s)`: the signer, or `None` where the
/// precompile returns nothing (Solidity's `ecrecover` then gives the zero address) — `v` other than
/// 27 or 28, `r` or `s` zero or not below the curve order, or no point for `r`. High `s` is accepted,
/// as by the precompile: callers that need low-s check it first, as the contracts do.
pub fn ecrecover(digest: &B256, v: u8, r: &B256, s: &B256) -> Option<Address> {
    let id = match v {
        27 => RecoveryId::Zero,
        28 => RecoveryId::One,
        _ => return None,
    };
    let mut rs = [0u8; 64];
    rs[..32].copy_from_slice(r.as_slice());
    rs[32..].copy_from_slice(s.as_slice());
    let sig = RecoverableSignature::from_compact(&rs, id).ok()?;
    let key = SECP256K1
        .recover_ecdsa(Message::from_digest(digest.0), &sig)
        .ok()?;
    Some(address_of(&key))
}

/// Recovers the signer of `digest` from a 65-byte `r ‖ s ‖ v` signature with the precompile's
/// rules (see [`ecrecover`]); no low-s check.
pub fn recover(digest: &B256, sig: &Signature) -> Option<Address> {
    let (r, s) = split_rs(sig);
    ecrecover(digest, sig[64], &r, &s)
}

/// `r` and `s` of a 65-byte signature.
pub(crate) fn split_rs(sig: &[u8; SIGNATURE_LENGTH]) -> (B256, B256) {
    (B256::from_slice(&sig[..32]), B256::from_slice(&sig[32..64]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, b256};

    /// anvil's first dev account.
    const KEY0: B256 = b256!("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");

    #[test]
    fn address_of_a_known_key() {
        let signer = LocalSigner::from_bytes(&KEY0).unwrap();
        assert_eq!(
            signer.address(),
            address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        assert!(format!("{signer:?}").contains("f39"));
        let alloy_key = alloy::signers::local::PrivateKeySigner::from_bytes(&KEY0).unwrap();
        assert_eq!(
            LocalSigner::from_alloy(&alloy_key).unwrap().address(),
            alloy_key.address()
        );
        assert!(!format!("{signer:?}").contains("ac0974"));
    }

    #[test]
    fn signs_low_s_and_recovers() {
        let signer = LocalSigner::from_bytes(&KEY0).unwrap();
        for i in 0u8..32 {
            let digest = keccak256([i]);
            let sig = signer.sign_digest(&digest);
            let (_, s) = split_rs(&sig);
            assert!(U256::from_be_bytes(s.0) <= HALF_ORDER);
            assert!(sig[64] == 27 || sig[64] == 28);
            assert_eq!(recover(&digest, &sig), Some(signer.address()));
        }
    }

    #[test]
    fn matches_cast_wallet_sign() {
        // cast wallet sign --no-hash --private-key $KEY0 $(cast keccak hello)
        let digest = keccak256("hello");
        let sig = LocalSigner::from_bytes(&KEY0).unwrap().sign_digest(&digest);
        assert_eq!(alloy::hex::encode(sig), CAST_SIG_HELLO);
    }
    const CAST_SIG_HELLO: &str = "73eebf81a611136662d65778960c853fdcaf6eca86793ed9cabc30f2195937af78a07e601627da5b4cc80c0ab35f6894da19b4a01759d90c101d9c9dd1c6745d1b";

    #[test]
    fn ecrecover_refuses_what_the_precompile_refuses() {
        let signer = LocalSigner::from_bytes(&KEY0).unwrap();
        let digest = keccak256("x");
        let sig = signer.sign_digest(&digest);
        let (r, s) = split_rs(&sig);
        assert_eq!(ecrecover(&digest, 29, &r, &s), None);
        assert_eq!(ecrecover(&digest, 27, &B256::ZERO, &s), None);
        assert_eq!(ecrecover(&digest, 27, &r, &B256::ZERO), None);
        assert_eq!(ecrecover(&digest, 27, &B256::repeat_byte(0xff), &s), None);
        // High s (n − s) with the other v recovers the same signer, as the precompile does.
        let n = U256::from_be_slice(&alloy::hex!(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141"
        ));
        let high = B256::from(n - U256::from_be_bytes(s.0));
        let other_v = if sig[64] == 27 { 28 } else { 27 };
        assert_eq!(
            ecrecover(&digest, other_v, &r, &high),
            Some(signer.address())
        );
    }
}
