//! Controller registry identifiers: `keccak256` of the contract's name, as in `ContractIds.sol`.

use alloy::primitives::{B256, keccak256};

/// The identifier under which the Controller registers the contract called `name`.
pub fn contract_id(name: &str) -> B256 {
    keccak256(name.as_bytes())
}

/// `keccak256("LivepeerToken")`.
pub fn livepeer_token() -> B256 {
    contract_id("LivepeerToken")
}

/// `keccak256("RoundsManager")`.
pub fn rounds_manager() -> B256 {
    contract_id("RoundsManager")
}

/// `keccak256("BondingManager")`.
pub fn bonding_manager() -> B256 {
    contract_id("BondingManager")
}

/// `keccak256("ServiceRegistry")`.
pub fn service_registry() -> B256 {
    contract_id("ServiceRegistry")
}

/// `keccak256("TicketBroker")`.
pub fn ticket_broker() -> B256 {
    contract_id("TicketBroker")
}

/// `keccak256("FaultVerifier")`.
pub fn fault_verifier() -> B256 {
    contract_id("FaultVerifier")
}

/// `keccak256("Minter")`.
pub fn minter() -> B256 {
    contract_id("Minter")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_keccak_of_names() {
        // cast keccak RoundsManager
        assert_eq!(
            rounds_manager().to_string(),
            "0xe8438ea868df48e3fc21f2f087b993c9b1837dc0f6135064161ce7d7a1701fe8"
        );
        assert_ne!(livepeer_token(), minter());
    }
}
