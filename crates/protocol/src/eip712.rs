//! The EIP-712 pieces every Streamflow contract uses: a domain of `(name, version, chainId,
//! verifyingContract)` without salt, and `keccak256(0x1901 ‖ domainSeparator ‖ structHash)`.

use alloy::primitives::{Address, B256, U256, keccak256};

/// `keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")`.
pub const DOMAIN_TYPEHASH: B256 =
    alloy::primitives::b256!("8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f");

/// An EIP-712 domain of one Streamflow contract on one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Domain {
    /// `keccak256(name)`.
    pub name_hash: B256,
    /// `keccak256(version)`.
    pub version_hash: B256,
    /// The chain id.
    pub chain_id: u64,
    /// The contract that checks the signatures (the proxy for proxied contracts).
    pub verifying_contract: Address,
}

impl Domain {
    /// The domain of `name` and `version` at `verifying_contract` on `chain_id`.
    pub fn new(name: &str, version: &str, chain_id: u64, verifying_contract: Address) -> Self {
        Self {
            name_hash: keccak256(name),
            version_hash: keccak256(version),
            chain_id,
            verifying_contract,
        }
    }

    /// `keccak256(abi.encode(DOMAIN_TYPEHASH, nameHash, versionHash, chainId, verifyingContract))`.
    pub fn separator(&self) -> B256 {
        let mut buf = [0u8; 160];
        buf[..32].copy_from_slice(DOMAIN_TYPEHASH.as_slice());
        buf[32..64].copy_from_slice(self.name_hash.as_slice());
        buf[64..96].copy_from_slice(self.version_hash.as_slice());
        buf[96..128].copy_from_slice(&U256::from(self.chain_id).to_be_bytes::<32>());
        buf[140..160].copy_from_slice(self.verifying_contract.as_slice());
        keccak256(buf)
    }
}

/// `keccak256("\x19\x01" ‖ domainSeparator ‖ structHash)`: the digest that is signed.
pub fn typed_data_hash(domain_separator: &B256, struct_hash: &B256) -> B256 {
    let mut buf = [0u8; 66];
    buf[0] = 0x19;
    buf[1] = 0x01;
    buf[2..34].copy_from_slice(domain_separator.as_slice());
    buf[34..].copy_from_slice(struct_hash.as_slice());
    keccak256(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_typehash_is_the_hash_of_its_type() {
        assert_eq!(
            keccak256(
                "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
            ),
            DOMAIN_TYPEHASH
        );
    }
}
