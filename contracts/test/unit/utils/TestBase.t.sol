// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Test} from "../../utils/Test.sol";

/// @notice Drives the test base's assertions from outside, so a failing one is an ordinary revert.
contract AssertionProbe is Test {
    function eqUint(uint256 a, uint256 b) external pure {
        assertEq(a, b);
    }

    function eqAddress(address a, address b) external pure {
        assertEq(a, b);
    }

    function eqBytes32(bytes32 a, bytes32 b) external pure {
        assertEq(a, b);
    }

    function eqBytes(bytes memory a, bytes memory b) external pure {
        assertEq(a, b);
    }

    function eqString(string memory a, string memory b) external pure {
        assertEq(a, b);
    }

    function isTrue(bool c) external pure {
        assertTrue(c);
    }

    function isFalse(bool c) external pure {
        assertFalse(c);
    }

    function gt(uint256 a, uint256 b) external pure {
        assertGt(a, b);
    }

    function ge(uint256 a, uint256 b) external pure {
        assertGe(a, b);
    }

    function lt(uint256 a, uint256 b) external pure {
        assertLt(a, b);
    }

    function le(uint256 a, uint256 b) external pure {
        assertLe(a, b);
    }

    function approxAbs(uint256 a, uint256 b, uint256 d) external pure {
        assertApproxEqAbs(a, b, d);
    }

    function approxRel(uint256 a, uint256 b, uint256 d) external pure {
        assertApproxEqRel(a, b, d);
    }

    function notEq(uint256 a, uint256 b) external pure {
        assertNotEq(a, b);
    }

    function failNow() external pure {
        fail("forced");
    }

    function boundOf(uint256 x, uint256 min, uint256 max) external pure returns (uint256) {
        return bound(x, min, max);
    }
}

/// @notice The test base must fail when it should and pass when it should: every assertion is
/// exercised on both sides through an external call.
contract TestBaseTest is Test {
    AssertionProbe internal probe;

    function setUp() public {
        probe = new AssertionProbe();
    }

    function _fails(bytes memory call) internal returns (bool) {
        (bool ok,) = address(probe).call(call);
        return !ok;
    }

    function test_AssertEqFailsOnMismatch() public {
        assertTrue(_fails(abi.encodeCall(AssertionProbe.eqUint, (1, 2))), "uint");
        assertTrue(_fails(abi.encodeCall(AssertionProbe.eqAddress, (address(1), address(2)))), "address");
        assertTrue(
            _fails(abi.encodeCall(AssertionProbe.eqBytes32, (keccak256("a"), keccak256("b")))), "bytes32"
        );
        assertTrue(_fails(abi.encodeCall(AssertionProbe.eqBytes, (hex"01", hex"0102"))), "bytes");
        assertTrue(_fails(abi.encodeCall(AssertionProbe.eqString, ("a", "b"))), "string");
    }

    function test_AssertEqPassesOnMatch() public {
        assertFalse(_fails(abi.encodeCall(AssertionProbe.eqUint, (7, 7))), "uint");
        assertFalse(_fails(abi.encodeCall(AssertionProbe.eqAddress, (address(3), address(3)))), "address");
        assertFalse(
            _fails(abi.encodeCall(AssertionProbe.eqBytes32, (keccak256("x"), keccak256("x")))), "bytes32"
        );
        assertFalse(_fails(abi.encodeCall(AssertionProbe.eqBytes, (hex"0102", hex"0102"))), "bytes");
        assertFalse(_fails(abi.encodeCall(AssertionProbe.eqString, ("s", "s"))), "string");
    }

    function test_BooleanAssertions() public {
        assertTrue(_fails(abi.encodeCall(AssertionProbe.isTrue, (false))));
        assertFalse(_fails(abi.encodeCall(AssertionProbe.isTrue, (true))));
        assertTrue(_fails(abi.encodeCall(AssertionProbe.isFalse, (true))));
        assertFalse(_fails(abi.encodeCall(AssertionProbe.isFalse, (false))));
        assertTrue(_fails(abi.encodeCall(AssertionProbe.failNow, ())));
    }

    function test_OrderingAssertions() public {
        assertTrue(_fails(abi.encodeCall(AssertionProbe.gt, (1, 1))), "gt equal");
        assertFalse(_fails(abi.encodeCall(AssertionProbe.gt, (2, 1))), "gt");
        assertTrue(_fails(abi.encodeCall(AssertionProbe.ge, (0, 1))), "ge below");
        assertFalse(_fails(abi.encodeCall(AssertionProbe.ge, (1, 1))), "ge equal");
        assertTrue(_fails(abi.encodeCall(AssertionProbe.lt, (1, 1))), "lt equal");
        assertFalse(_fails(abi.encodeCall(AssertionProbe.lt, (0, 1))), "lt");
        assertTrue(_fails(abi.encodeCall(AssertionProbe.le, (2, 1))), "le above");
        assertFalse(_fails(abi.encodeCall(AssertionProbe.le, (1, 1))), "le equal");
        assertTrue(_fails(abi.encodeCall(AssertionProbe.notEq, (4, 4))), "notEq");
        assertFalse(_fails(abi.encodeCall(AssertionProbe.notEq, (4, 5))), "notEq differs");
    }

    function test_ApproxAssertions() public {
        assertFalse(_fails(abi.encodeCall(AssertionProbe.approxAbs, (100, 103, 3))), "abs inside");
        assertTrue(_fails(abi.encodeCall(AssertionProbe.approxAbs, (100, 104, 3))), "abs outside");
        // 1% of 1000 = 10
        assertFalse(_fails(abi.encodeCall(AssertionProbe.approxRel, (1010, 1000, 0.01e18))), "rel inside");
        assertTrue(_fails(abi.encodeCall(AssertionProbe.approxRel, (1011, 1000, 0.01e18))), "rel outside");
    }

    function test_BoundKeepsInRangeValues() public view {
        assertEq(probe.boundOf(5, 1, 10), 5);
        assertEq(probe.boundOf(1, 1, 10), 1);
        assertEq(probe.boundOf(10, 1, 10), 10);
    }

    function test_RevertWhen_BoundMinAboveMax() public {
        assertTrue(_fails(abi.encodeCall(AssertionProbe.boundOf, (1, 2, 1))));
    }

    function testFuzz_BoundStaysInRange(uint256 x, uint256 min, uint256 max) public view {
        if (min > max) (min, max) = (max, min);
        uint256 y = probe.boundOf(x, min, max);
        assertGe(y, min);
        assertLe(y, max);
    }

    function test_MakeAddrIsDeterministicAndDistinct() public {
        address a = makeAddr("alice");
        assertEq(a, makeAddr("alice"));
        assertNotEq(a, makeAddr("bob"));
        (address b, uint256 key) = makeAddrAndKey("bob");
        assertEq(vm.addr(key), b);
    }

    function test_TargetSelectionIsExposed() public {
        targetContract(address(probe));
        bytes4[] memory selectors = new bytes4[](1);
        selectors[0] = AssertionProbe.eqUint.selector;
        targetSelector(FuzzSelector({addr: address(probe), selectors: selectors}));
        targetSender(address(0xBEEF));
        assertEq(targetContracts().length, 1);
        assertEq(targetContracts()[0], address(probe));
        assertEq(targetSelectors()[0].selectors[0], AssertionProbe.eqUint.selector);
        assertEq(targetSenders()[0], address(0xBEEF));
    }
}
