//! Recipient random numbers: `recipientRand = HMAC-SHA256(secret, input)` where `input` is a
//! fixed-width encoding of everything that scopes it, so that no two distinct inputs can encode
//! alike and a sender can neither predict nor choose the number.
//!
//! `input = TAG (32 bytes) ‖ chainId (8, big-endian) ‖ broker (20) ‖ recipient (20) ‖ sender (20) ‖
//! seed (32)`: 132 bytes. The seed is random, issued to the sender with the ticket parameters and
//! sent back with each ticket; the keeper recomputes the number from it, so nothing but the secret
//! and the current seed per sender needs storing.

use alloy::primitives::{Address, B256, U256};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Domain tag, exactly 32 bytes.
const TAG: &[u8; 32] = b"streamflow-keeper/recipient-rand";

/// The length of the HMAC input.
pub const INPUT_LENGTH: usize = 32 + 8 + 20 + 20 + 20 + 32;

/// Derives recipient random numbers for one recipient on one broker.
#[derive(Clone)]
pub struct RandDeriver {
    mac: Hmac<Sha256>,
    prefix: [u8; 80],
}

impl std::fmt::Debug for RandDeriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the keyed state.
        f.debug_struct("RandDeriver").finish_non_exhaustive()
    }
}

impl RandDeriver {
    /// A deriver keyed by `secret` for `recipient` on the broker at `broker` on `chain_id`.
    pub fn new(secret: &[u8; 32], chain_id: u64, broker: Address, recipient: Address) -> Self {
        let mut prefix = [0u8; 80];
        prefix[..32].copy_from_slice(TAG);
        prefix[32..40].copy_from_slice(&chain_id.to_be_bytes());
        prefix[40..60].copy_from_slice(broker.as_slice());
        prefix[60..80].copy_from_slice(recipient.as_slice());
        // HMAC takes keys of any length: `new_from_slice` cannot fail.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        Self { mac, prefix }
    }

    /// The fixed-width input for `sender` and `seed`.
    pub fn input(&self, sender: Address, seed: &B256) -> [u8; INPUT_LENGTH] {
        let mut input = [0u8; INPUT_LENGTH];
        input[..80].copy_from_slice(&self.prefix);
        input[80..100].copy_from_slice(sender.as_slice());
        input[100..].copy_from_slice(seed.as_slice());
        input
    }

    /// `recipientRand` for `sender` and `seed`.
    pub fn rand(&self, sender: Address, seed: &B256) -> U256 {
        let mut mac = self.mac.clone();
        mac.update(&self.input(sender, seed));
        U256::from_be_slice(&mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_changes_the_number() {
        let s = [7u8; 32];
        let (b, r, snd) = (
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            Address::repeat_byte(3),
        );
        let seed = B256::repeat_byte(4);
        let base = RandDeriver::new(&s, 1, b, r).rand(snd, &seed);
        assert_eq!(base, RandDeriver::new(&s, 1, b, r).rand(snd, &seed));
        assert_ne!(base, RandDeriver::new(&[8u8; 32], 1, b, r).rand(snd, &seed));
        assert_ne!(base, RandDeriver::new(&s, 2, b, r).rand(snd, &seed));
        assert_ne!(base, RandDeriver::new(&s, 1, r, r).rand(snd, &seed));
        assert_ne!(base, RandDeriver::new(&s, 1, b, b).rand(snd, &seed));
        assert_ne!(base, RandDeriver::new(&s, 1, b, r).rand(b, &seed));
        assert_ne!(base, RandDeriver::new(&s, 1, b, r).rand(snd, &B256::ZERO));
    }

    #[test]
    fn matches_an_independent_hmac() {
        let d = RandDeriver::new(
            &[0x0b; 32],
            31337,
            Address::repeat_byte(0xb0),
            Address::repeat_byte(0xa0),
        );
        let input = d.input(Address::repeat_byte(0x5e), &B256::repeat_byte(0x5d));
        assert_eq!(&input[..32], TAG);
        assert_eq!(&input[32..40], &31337u64.to_be_bytes());
        assert_eq!(&input[80..100], Address::repeat_byte(0x5e).as_slice());
        // Python: hmac.new(b"\x0b" * 32, TAG + chain.to_bytes(8, "big") + b"\xb0" * 20
        //   + b"\xa0" * 20 + b"\x5e" * 20 + b"\x5d" * 32, hashlib.sha256).hexdigest()
        let want = alloy::primitives::b256!(
            "8f92636c9b57a13bf9d81cc951874da1ebf2e96bf97fcea83948a40e6b6c01e0"
        );
        assert_eq!(
            d.rand(Address::repeat_byte(0x5e), &B256::repeat_byte(0x5d)),
            U256::from_be_bytes(want.0)
        );
    }
}
