// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {FullDeployers} from "../utils/FullDeployers.sol";

/// @notice EIP-5267: the TicketBroker and the FaultVerifier describe the EIP-712 domain their
/// messages are signed under, and a wallet that builds the domain from that description gets exactly
/// the separator the contract verifies with, on any chain.
contract Eip712DomainTest is FullDeployers {
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    function setUp() public {
        deployFullProtocol();
    }

    /// @dev What a wallet does with `eip712Domain()`'s answer (fields 0x0f: the four used fields).
    function separatorFrom(address target) internal view returns (bytes32) {
        (bool ok, bytes memory ret) = target.staticcall(abi.encodeWithSignature("eip712Domain()"));
        assertTrue(ok);
        (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        ) = abi.decode(ret, (bytes1, string, string, uint256, address, bytes32, uint256[]));
        assertEq(uint8(fields), 0x0f);
        assertEq(chainId, block.chainid);
        assertEq(verifyingContract, target, "the proxy users call");
        assertEq(salt, bytes32(0));
        assertEq(extensions.length, 0);
        return keccak256(
            abi.encode(
                DOMAIN_TYPEHASH, keccak256(bytes(name)), keccak256(bytes(version)), chainId, verifyingContract
            )
        );
    }

    function test_TicketBrokerDomainMatchesItsSeparator() public {
        address broker = address(full.broker.broker);
        (, string memory name, string memory version,,,,) = full.broker.broker.eip712Domain();
        assertEq(name, "Streamflow TicketBroker");
        assertEq(version, "1");
        assertEq(separatorFrom(broker), full.broker.broker.domainSeparator());
        vm.chainId(8453);
        assertEq(separatorFrom(broker), full.broker.broker.domainSeparator(), "follows the chain id");
    }

    function test_FaultVerifierDomainMatchesItsSeparator() public {
        address verifier = address(full.verifier.faultVerifier);
        (, string memory name, string memory version,,,,) = full.verifier.faultVerifier.eip712Domain();
        assertEq(name, "Streamflow FaultVerifier");
        assertEq(version, "1");
        assertEq(separatorFrom(verifier), full.verifier.faultVerifier.domainSeparator());
        vm.chainId(8453);
        assertEq(
            separatorFrom(verifier), full.verifier.faultVerifier.domainSeparator(), "follows the chain id"
        );
    }
}
