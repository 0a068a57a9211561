// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Controlled} from "./Controlled.sol";
import {IController} from "./interfaces/IController.sol";
import {ILivepeerToken} from "./interfaces/ILivepeerToken.sol";
import {IMinter} from "./interfaces/IMinter.sol";
import {IRoundsManager} from "./interfaces/IRoundsManager.sol";
import {ContractIds} from "./libraries/ContractIds.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title Minter
/// @notice Per-round inflation toward a target bonding rate. See {IMinter}.
/// @dev Lazy: there is no per-round hook; the first `createReward` of a round fixes the round's
/// mintable amount and moves the rate by one step per round elapsed since the last fixed round.
contract Minter is IMinter, Controlled {
    /// @custom:storage-location erc7201:streamflow.storage.Minter
    struct MinterStorage {
        uint32 inflation; // rates are at most PPB, which fits 32 bits
        uint32 inflationChange;
        uint32 targetBondingRate;
        uint64 lastRound;
        uint128 mintable;
        uint128 minted;
    }

    // keccak256(abi.encode(uint256(keccak256("streamflow.storage.Minter")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant STORAGE_SLOT =
        0xf5e158759673f322896497de586ca4ec9c771cd510bbe10e4b12cfd47d79f300;

    /// @notice One billion: the unit of rates.
    uint256 public constant PPB = 1_000_000_000;

    /// @param controller_ The Controller of this deployment.
    constructor(IController controller_) Controlled(controller_) {}

    /// @notice Sets the starting rate, its step and the target.
    /// @param inflation_ Starting inflation, parts per billion per round.
    /// @param inflationChange_ Step per round, parts per billion.
    /// @param targetBondingRate_ Target bonding rate, parts per billion.
    function initialize(uint256 inflation_, uint256 inflationChange_, uint256 targetBondingRate_)
        external
        initializer
    {
        _checkRate(inflation_);
        MinterStorage storage $ = _storage();
        $.inflation = SafeCast.toUint32(inflation_);
        _setInflationChange($, inflationChange_);
        _setTargetBondingRate($, targetBondingRate_);
    }

    /// @inheritdoc IMinter
    function createReward(uint256 stake, uint256 totalActiveStake)
        external
        whenNotPaused
        onlyRegistered(ContractIds.BONDING_MANAGER)
        returns (uint256 minted)
    {
        MinterStorage storage $ = _storage();
        uint256 round = IRoundsManager(controller.getContract(ContractIds.ROUNDS_MANAGER)).currentRound();
        ILivepeerToken token = ILivepeerToken(controller.getContract(ContractIds.LIVEPEER_TOKEN));
        if ($.lastRound != round) _setRoundMint($, round, token.totalSupply(), totalActiveStake);
        if (totalActiveStake == 0) return 0;
        uint256 mintable = $.mintable;
        uint256 alreadyMinted = $.minted;
        minted = Math.min(Math.mulDiv(mintable, stake, totalActiveStake), mintable - alreadyMinted);
        if (minted == 0) return 0;
        $.minted = SafeCast.toUint128(alreadyMinted + minted);
        emit RewardMinted(round, minted);
        token.mint(msg.sender, minted);
    }

    /// @inheritdoc IMinter
    function setInflationChange(uint256 inflationChange_) external onlyGovernance {
        _setInflationChange(_storage(), inflationChange_);
    }

    /// @inheritdoc IMinter
    function setTargetBondingRate(uint256 targetBondingRate_) external onlyGovernance {
        _setTargetBondingRate(_storage(), targetBondingRate_);
    }

    /// @inheritdoc IMinter
    function inflation() external view returns (uint256) {
        return _storage().inflation;
    }

    /// @inheritdoc IMinter
    function inflationChange() external view returns (uint256) {
        return _storage().inflationChange;
    }

    /// @inheritdoc IMinter
    function targetBondingRate() external view returns (uint256) {
        return _storage().targetBondingRate;
    }

    /// @inheritdoc IMinter
    function lastRound() external view returns (uint256) {
        return _storage().lastRound;
    }

    /// @inheritdoc IMinter
    function roundMint() external view returns (uint256 mintable, uint256 minted) {
        MinterStorage storage $ = _storage();
        return ($.mintable, $.minted);
    }

    /// @dev Moves the rate one step per elapsed round toward the target, then fixes the mintable
    /// amount of `round` from the supply at its first reward.
    function _setRoundMint(MinterStorage storage $, uint256 round, uint256 supply, uint256 bonded) private {
        uint256 steps = $.lastRound == 0 ? 1 : round - $.lastRound;
        uint256 rate = supply == 0 ? 0 : Math.mulDiv(bonded, PPB, supply);
        uint256 inflation_ = $.inflation;
        uint256 target = $.targetBondingRate;
        uint256 delta = steps * $.inflationChange;
        if (rate < target) inflation_ = Math.min(inflation_ + delta, PPB);
        else if (rate > target) inflation_ = inflation_ > delta ? inflation_ - delta : 0;
        uint256 mintable = Math.mulDiv(supply, inflation_, PPB);
        $.inflation = SafeCast.toUint32(inflation_);
        $.lastRound = SafeCast.toUint64(round);
        $.mintable = SafeCast.toUint128(mintable);
        $.minted = 0;
        emit RoundMintSet(round, inflation_, mintable);
    }

    function _setInflationChange(MinterStorage storage $, uint256 value) private {
        _checkRate(value);
        $.inflationChange = SafeCast.toUint32(value);
        emit InflationChangeSet(value);
    }

    function _setTargetBondingRate(MinterStorage storage $, uint256 value) private {
        _checkRate(value);
        $.targetBondingRate = SafeCast.toUint32(value);
        emit TargetBondingRateSet(value);
    }

    function _checkRate(uint256 value) private pure {
        if (value > PPB) revert InvalidRate(value);
    }

    function _storage() internal pure returns (MinterStorage storage $) {
        assembly {
            $.slot := STORAGE_SLOT
        }
    }
}
