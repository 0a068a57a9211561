// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ViewBatch
/// @notice Many view calls answered by one: the Rust harness (`crates/fuzz`) compares its reference
/// model with the contracts after every step, and asking every view in one transaction costs a
/// fraction of one transaction per view. Placed only in the harness's in-process EVM (its runtime
/// code is written into the state; nothing of the protocol calls it).
/// @dev Packed both ways, so that neither side spends its time on ABI offsets and padding. The
/// request is a sequence of `target (20 bytes) ‖ length (2 bytes) ‖ calldata (length bytes)`; the
/// answer a sequence of `length (32 bytes) ‖ return data (length bytes)`, one per request in order,
/// with length 0 where the call reverted. Every call is a `staticcall`.
contract ViewBatch {
    fallback(bytes calldata request) external returns (bytes memory answers) {
        assembly ("memory-safe") {
            answers := mload(0x40)
            let w := add(answers, 0x20)
            let p := request.offset
            let end := add(p, request.length)
            for {} lt(p, end) {} {
                let target := shr(96, calldataload(p))
                let len := shr(240, calldataload(add(p, 20)))
                // The arguments go where the answer will be written: the call has read them by then.
                let data := add(w, 0x20)
                calldatacopy(data, add(p, 22), len)
                let ok := staticcall(gas(), target, data, len, 0, 0)
                let n := mul(ok, returndatasize())
                mstore(w, n)
                returndatacopy(data, 0, n)
                w := add(data, n)
                p := add(p, add(22, len))
            }
            mstore(answers, sub(w, add(answers, 0x20)))
            mstore(0x40, and(add(w, 31), not(31)))
        }
    }
}
