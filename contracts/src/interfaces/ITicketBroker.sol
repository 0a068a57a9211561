// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IFeeVault} from "./IFeeVault.sol";

/// @title ITicketBroker
/// @notice Probabilistic micropayments. A sender (broadcaster) locks a deposit, which pays winning
/// tickets, and a reserve, a penalty escrow shared out between the active orchestrators when the
/// deposit runs short. Tickets are EIP-712 typed data signed by the sender; a ticket wins when
/// `uint256(keccak256(signature ‖ recipientRand)) < winProb`; a winning ticket is redeemed once, by
/// its recipient, within `ticketValidityPeriod` rounds of its creation round. The ETH of redeemed
/// tickets stays here ({IFeeVault}); the fees are credited to the recipient through the staking
/// contract as of the ticket's creation round.
/// @dev Tickets travel in a packed encoding (see `TicketLib`): 192 bytes of fields and the
/// recipient's random number, then the signature (`r ‖ s ‖ v`, 65 bytes), 257 bytes per ticket.
interface ITicketBroker is IFeeVault {
    // ------------------------------------------------------------------ events

    /// @notice Funds were added for `sender`.
    /// @param sender The sender whose deposit and reserve grew.
    /// @param funder Who paid (the sender itself or a third party).
    /// @param deposit Wei added to the deposit.
    /// @param reserve Wei added to the reserve.
    event Funded(address indexed sender, address indexed funder, uint256 deposit, uint256 reserve);

    /// @notice The staking contract took the fees held for `recipient` (to credit them).
    /// @param recipient The orchestrator.
    /// @param amount The wei handed over (all creation rounds).
    event FeesTaken(address indexed recipient, uint256 amount);

    /// @notice A winning ticket was redeemed for its full face value.
    /// @param ticketHash The ticket's EIP-712 digest, now used.
    /// @param sender The ticket's sender.
    /// @param recipient The ticket's recipient, credited with the fees.
    /// @param faceValue The amount paid, in wei (from the deposit, then from the reserve).
    /// @param creationRound The round the fees are credited as of.
    event TicketRedeemed(
        bytes32 indexed ticketHash,
        address indexed sender,
        address indexed recipient,
        uint256 faceValue,
        uint256 creationRound
    );

    /// @notice Part of a ticket's face value was paid out of the sender's reserve.
    /// @param sender The sender.
    /// @param recipient The orchestrator whose reserve allocation was used.
    /// @param round The round of the allocation (the current round at redemption).
    /// @param amount The wei taken from the reserve.
    event ReserveClaimed(
        address indexed sender, address indexed recipient, uint256 indexed round, uint256 amount
    );

    /// @notice A ticket of a batch was not redeemed; the others were unaffected.
    /// @param index The ticket's position in the batch.
    /// @param reason The revert data the ticket would have produced on its own (a custom error).
    event TicketRedemptionFailed(uint256 indexed index, bytes reason);

    /// @notice The sender started its unlock period.
    /// @param sender The sender.
    /// @param withdrawRound The first round in which it may withdraw.
    event Unlocked(address indexed sender, uint256 withdrawRound);

    /// @notice The sender cancelled its unlock; its funds back the tickets again.
    /// @param sender The sender.
    event UnlockCancelled(address indexed sender);

    /// @notice The sender withdrew its whole deposit and reserve.
    /// @param sender The sender.
    /// @param deposit The wei of deposit paid out.
    /// @param reserve The wei of reserve paid out.
    event Withdrawn(address indexed sender, uint256 deposit, uint256 reserve);

    /// @notice Governance set the ticket validity period.
    /// @param ticketValidityPeriod The new period in rounds.
    event TicketValidityPeriodSet(uint256 ticketValidityPeriod);

    /// @notice Governance set the unlock period.
    /// @param unlockPeriod The new period in rounds.
    event UnlockPeriodSet(uint256 unlockPeriod);

    /// @notice The cached addresses of the RoundsManager and the BondingManager were refreshed from
    /// the Controller.
    /// @param roundsManager The RoundsManager proxy.
    /// @param bondingManager The BondingManager proxy.
    event DependenciesSynced(address indexed roundsManager, address indexed bondingManager);

    /// @notice Governance dropped the round cache (after a RoundsManager upgrade behind the same proxy).
    event RoundCacheReset();

    // ------------------------------------------------------------------ errors: funding

    /// @notice A funding call carried no value.
    error ZeroFunding();

    /// @notice `msg.value` is not the sum of the deposit and reserve amounts.
    /// @param value The wei sent.
    /// @param expected `depositAmount + reserveAmount`.
    error FundingMismatch(uint256 value, uint256 expected);

    /// @notice Funds were sent for the zero address.
    error FundingForZeroAddress();

    /// @notice Funds were sent for the broker itself, which could never unlock them.
    error FundingForBroker();

    /// @notice `unlock` was called while an unlock is already in progress.
    /// @param withdrawRound The round the running unlock ends.
    error UnlockInProgress(uint256 withdrawRound);

    /// @notice `unlock` was called with nothing locked.
    error NothingToUnlock();

    /// @notice `cancelUnlock` or `withdraw` was called without an unlock in progress.
    error NotUnlocking();

    /// @notice `withdraw` was called before the unlock period ended.
    /// @param currentRound The current round.
    /// @param withdrawRound The first round a withdrawal is possible.
    error WithdrawTooEarly(uint256 currentRound, uint256 withdrawRound);

    /// @notice An ETH transfer out of the broker failed.
    /// @param to The intended recipient.
    /// @param amount The amount in wei.
    error TransferFailed(address to, uint256 amount);

    /// @notice The staking contract asked to pay more fees than it took and has not had paid: the
    /// broker never pays fees out of senders' funds.
    /// @param amount The wei asked.
    /// @param owed The fees taken and not paid (`feesOwed`).
    error FeesExceedOwed(uint256 amount, uint256 owed);

    // ------------------------------------------------------------------ errors: tickets

    /// @notice The caller is not the ticket's recipient (only the recipient redeems its tickets).
    /// @param recipient The ticket's recipient.
    /// @param caller The caller.
    error WrongRecipient(address recipient, address caller);

    /// @notice The ticket names the zero address as sender.
    error ZeroSender();

    /// @notice The revealed random number does not hash to the ticket's `recipientRandHash`.
    /// @param recipientRandHash The committed hash.
    error InvalidRecipientRand(bytes32 recipientRandHash);

    /// @notice The ticket was already redeemed.
    /// @param ticketHash The ticket's EIP-712 digest.
    error TicketUsed(bytes32 ticketHash);

    /// @notice The signature does not recover to the ticket's sender: a bad signature, or one made
    /// over another domain (another chain id or another broker).
    /// @param signer The recovered address (zero if recovery failed).
    /// @param sender The ticket's sender.
    error InvalidSignature(address signer, address sender);

    /// @notice A 64-byte EIP-2098 compact signature was given; tickets need the 65-byte form.
    error CompactSignatureUnsupported();

    /// @notice The signature is neither 65 nor 64 bytes long.
    /// @param length Its length.
    error InvalidSignatureLength(uint256 length);

    /// @notice The signature's `s` is in the upper half of the curve order (malleable encoding).
    /// @param s The rejected `s`.
    error SignatureHighS(bytes32 s);

    /// @notice The signature's `v` is neither 27 nor 28.
    /// @param v The rejected `v`.
    error InvalidSignatureV(uint8 v);

    /// @notice The ticket does not win: `keccak256(signature ‖ recipientRand) >= winProb`.
    error TicketNotWinning();

    /// @notice The ticket's validity period is over.
    /// @param creationRound Its creation round.
    /// @param currentRound The current round.
    error TicketExpired(uint256 creationRound, uint256 currentRound);

    /// @notice The ticket's creation round has not started yet.
    /// @param creationRound Its creation round.
    /// @param currentRound The current round.
    error FutureCreationRound(uint256 creationRound, uint256 currentRound);

    /// @notice The creation round was never initialized, so no block hash binds it.
    /// @param creationRound Its creation round.
    error UnknownCreationRound(uint256 creationRound);

    /// @notice The ticket's block hash is not the one recorded for its creation round.
    /// @param creationRound Its creation round.
    /// @param blockHash The ticket's block hash.
    error CreationRoundBlockHashMismatch(uint256 creationRound, bytes32 blockHash);

    /// @notice The sender's unlock period is over: it may withdraw, or already has.
    /// @param sender The sender.
    /// @param withdrawRound The round its unlock ended.
    error SenderUnlocked(address sender, uint256 withdrawRound);

    /// @notice The recipient was not an active orchestrator in the ticket's creation round.
    /// @param recipient The recipient.
    /// @param round The creation round.
    error RecipientNotActive(address recipient, uint256 round);

    /// @notice Deposit plus the recipient's remaining reserve allocation can't pay the face value;
    /// the ticket is left unused and may be redeemed later.
    /// @param available What could be paid now.
    /// @param faceValue What the ticket is worth.
    error InsufficientFunds(uint256 available, uint256 faceValue);

    /// @notice A packed ticket is shorter than its 192 bytes of fields and random number.
    /// @param length The ticket's length in bytes.
    error MalformedTicket(uint256 length);

    /// @notice A batch's length is not a multiple of the 257-byte ticket encoding.
    /// @param length The batch's length in bytes.
    error MalformedBatch(uint256 length);

    // ------------------------------------------------------------------ errors: governance

    /// @notice The unlock period would be shorter than the ticket validity period, letting a sender
    /// withdraw before its tickets expire.
    /// @param unlockPeriod The unlock period.
    /// @param ticketValidityPeriod The ticket validity period.
    error UnlockPeriodTooShort(uint256 unlockPeriod, uint256 ticketValidityPeriod);

    /// @notice A ticket validity period longer than the staking maturity period was set (or found
    /// when syncing a new staking contract). Stake that leaves a pool keeps its fee share, and stake
    /// that enters waits before it earns, for the maturity period only, so tickets must expire
    /// within it, or an orchestrator could hold them until its delegators are gone and keep their
    /// share, or bring in stake of its own to dilute them (delegator fee theft).
    /// @param ticketValidityPeriod The validity period, in rounds.
    /// @param maturityPeriod The staking contract's maturity period, in rounds.
    error ValidityExceedsMaturityPeriod(uint256 ticketValidityPeriod, uint256 maturityPeriod);

    /// @notice A period of zero rounds, or one too large to store (24 bits for the ticket validity, 32
    /// for the unlock period), was given.
    /// @param period The rejected value.
    error InvalidPeriod(uint256 period);

    /// @notice A dependency is not registered in the Controller.
    /// @param id The contract identifier.
    error DependencyNotRegistered(bytes32 id);

    // ------------------------------------------------------------------ funding

    /// @notice Adds `msg.value` to the caller's deposit.
    function fundDeposit() external payable;

    /// @notice Adds `msg.value` to the caller's reserve.
    function fundReserve() external payable;

    /// @notice Adds to the caller's deposit and reserve in one call.
    /// @param depositAmount Wei for the deposit.
    /// @param reserveAmount Wei for the reserve; `msg.value` must equal the sum.
    function fundDepositAndReserve(uint256 depositAmount, uint256 reserveAmount) external payable;

    /// @notice Adds to `sender`'s deposit and reserve, paid by the caller. Never touches `sender`'s
    /// unlock state: only the sender itself can cancel its unlock.
    /// @param sender The sender to fund.
    /// @param depositAmount Wei for the deposit.
    /// @param reserveAmount Wei for the reserve; `msg.value` must equal the sum.
    function fundDepositAndReserveFor(address sender, uint256 depositAmount, uint256 reserveAmount)
        external
        payable;

    // ------------------------------------------------------------------ unlock and withdraw

    /// @notice Starts the caller's unlock period: it may withdraw from `currentRound + unlockPeriod`.
    /// Its tickets stay redeemable until then.
    function unlock() external;

    /// @notice Cancels the caller's unlock (also after a withdrawal, to use the broker again).
    function cancelUnlock() external;

    /// @notice Pays the caller its whole deposit and reserve once its unlock period is over.
    function withdraw() external;

    // ------------------------------------------------------------------ redemption

    /// @notice Redeems one winning ticket; the caller must be its recipient. Pays the face value in
    /// full from the deposit, then the reserve, or reverts and leaves the ticket unused.
    /// @param ticket The packed ticket (see `TicketLib`): fields, recipient's random number, signature.
    function redeemWinningTicket(bytes calldata ticket) external;

    /// @notice Redeems many winning tickets of the caller. A bad ticket is skipped (event
    /// `TicketRedemptionFailed`) and never reverts the batch. Fees are credited once per creation round.
    /// @param tickets Packed tickets of 257 bytes each, concatenated.
    /// @return failures One entry per ticket: zero if redeemed, else the error's selector.
    function batchRedeemWinningTickets(bytes calldata tickets) external returns (bytes4[] memory failures);

    // ------------------------------------------------------------------ governance and wiring

    /// @notice Sets how many rounds a ticket stays valid from its creation round. Only governance.
    /// @param period The period in rounds; at most the unlock period.
    function setTicketValidityPeriod(uint256 period) external;

    /// @notice Sets how many rounds a sender waits between unlock and withdrawal. Only governance.
    /// @param period The period in rounds; at least the ticket validity period.
    function setUnlockPeriod(uint256 period) external;

    /// @notice Re-reads the RoundsManager and BondingManager addresses from the Controller into the
    /// broker's storage (so redemptions don't ask the Controller). Anyone may call it. The round
    /// cache is dropped only when the RoundsManager address changes.
    function syncDependencies() external;

    /// @notice Drops the round cache, so the next redemption reads the round from the RoundsManager.
    /// Only governance; needed after an upgrade of the RoundsManager behind the same proxy, which
    /// `syncDependencies` can't see.
    function resetRoundCache() external;

    // ------------------------------------------------------------------ views

    /// @notice A sender's funds and unlock state.
    /// @param sender The sender.
    /// @return deposit The deposit in wei.
    /// @return reserve The reserve in wei.
    /// @return withdrawRound Zero when locked, else the first round it may withdraw.
    function getSender(address sender)
        external
        view
        returns (uint256 deposit, uint256 reserve, uint256 withdrawRound);

    /// @notice How much of `sender`'s reserve `recipient` may still claim in `round`: its stake-weighted
    /// share of the reserve as of the round's first claim, minus what it already claimed.
    /// @param sender The sender.
    /// @param recipient The orchestrator.
    /// @param round The round (only the current round is meaningful for claims).
    /// @return The claimable wei.
    function remainingReserveAllocation(address sender, address recipient, uint256 round)
        external
        view
        returns (uint256);

    /// @notice What `recipient` claimed from `sender`'s reserve in `round`.
    /// @param sender The sender.
    /// @param recipient The orchestrator.
    /// @param round The round.
    /// @return The claimed wei.
    function claimedReserve(address sender, address recipient, uint256 round) external view returns (uint256);

    /// @notice Fees of `recipient`'s redeemed tickets that the staking contract has not taken yet
    /// (it takes them at the next touch of the recipient's pool), by creation round.
    /// @param recipient The orchestrator.
    /// @return roundA A creation round.
    /// @return amountA Wei held for tickets created in `roundA`.
    /// @return roundB Another creation round.
    /// @return amountB Wei held for tickets created in `roundB`.
    function pendingFees(address recipient)
        external
        view
        returns (uint256 roundA, uint256 amountA, uint256 roundB, uint256 amountB);

    /// @notice Whether a ticket was redeemed.
    /// @param digest The ticket's EIP-712 digest.
    /// @return True once redeemed.
    function isUsedTicket(bytes32 digest) external view returns (bool);

    /// @notice The EIP-712 digest a sender signs for a packed ticket (only its first 192 bytes matter).
    /// @param ticket The packed ticket.
    /// @return The digest, also the key of the used-ticket set.
    function ticketHash(bytes calldata ticket) external view returns (bytes32);

    /// @notice The EIP-712 domain separator (name "Streamflow TicketBroker", version "1", this
    /// chain, this broker's address).
    /// @return The separator.
    function domainSeparator() external view returns (bytes32);

    /// @notice The EIP-712 domain tickets are signed under, as EIP-5267 describes it, so that wallets
    /// and libraries read it instead of guessing: name "Streamflow TicketBroker", version "1", this
    /// chain's id and this broker's (proxy) address; no salt, no extensions.
    /// @return fields `0x0f`: name, version, chainId and verifyingContract are used.
    /// @return name "Streamflow TicketBroker".
    /// @return version "1".
    /// @return chainId The chain's id (`block.chainid`).
    /// @return verifyingContract This broker's address (the proxy users call).
    /// @return salt Zero (unused).
    /// @return extensions Empty.
    function eip712Domain()
        external
        view
        returns (
            bytes1 fields,
            string memory name,
            string memory version,
            uint256 chainId,
            address verifyingContract,
            bytes32 salt,
            uint256[] memory extensions
        );

    /// @notice Rounds a ticket stays valid from its creation round.
    /// @return The period.
    function ticketValidityPeriod() external view returns (uint256);

    /// @notice Rounds between a sender's unlock and its earliest withdrawal.
    /// @return The period.
    function unlockPeriod() external view returns (uint256);

    /// @notice The broker's cache of the current round, refreshed by the first redemption of a round;
    /// redemptions use it instead of asking the RoundsManager.
    /// @return round The cached round.
    /// @return endBlock The first block after it; the cache is stale from there.
    /// @return blockHash The block hash recorded for `round`, or zero if not known yet.
    function roundCache() external view returns (uint256 round, uint256 endBlock, bytes32 blockHash);

    /// @notice The cached dependency addresses.
    /// @return roundsManager The RoundsManager proxy.
    /// @return bondingManager The BondingManager proxy.
    function dependencies() external view returns (address roundsManager, address bondingManager);
}
