//! The actions a sequence is made of: every actor's calls, time, challenges and governance, named by
//! small indices and amounts so that a failing sequence shrinks to a few readable steps.

/// One step of a sequence. Indices wrap around the actor lists; amounts are in thousandths of an
/// ETH (`milli`) or whole LPT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// A sender funds its own deposit and reserve.
    Fund {
        /// Sender index.
        sender: u8,
        /// Deposit, milli-ETH.
        deposit_milli: u32,
        /// Reserve, milli-ETH.
        reserve_milli: u32,
    },
    /// A sender funds another sender's deposit and reserve.
    FundFor {
        /// Paying sender index.
        funder: u8,
        /// Funded sender index.
        sender: u8,
        /// Deposit, milli-ETH.
        deposit_milli: u32,
        /// Reserve, milli-ETH.
        reserve_milli: u32,
    },
    /// A sender starts its unlock period.
    Unlock {
        /// Sender index.
        sender: u8,
    },
    /// A sender cancels its unlock.
    CancelUnlock {
        /// Sender index.
        sender: u8,
    },
    /// A sender withdraws its deposit and reserve.
    Withdraw {
        /// Sender index.
        sender: u8,
    },
    /// A sender signs a ticket for an orchestrator (nothing on chain: it joins the pool of issued
    /// tickets that redemptions pick from).
    Issue {
        /// Sender index.
        sender: u8,
        /// Recipient (orchestrator index).
        orch: u8,
        /// Face value, milli-ETH.
        face_milli: u32,
        /// Whether it wins for sure (`winProb = 2²⁵⁶−1`) or is a long shot (`winProb = 2²⁵⁰`).
        sure: bool,
    },
    /// The recipient of an issued ticket redeems it alone.
    Redeem {
        /// Pool index (wraps).
        pick: u16,
    },
    /// An orchestrator redeems up to `n` issued tickets (its own or not, duplicates allowed) in
    /// one batch.
    RedeemBatch {
        /// Orchestrator index.
        orch: u8,
        /// First pool index (wraps).
        pick: u16,
        /// Tickets in the batch.
        n: u8,
    },
    /// An orchestrator mints its round's reward.
    Reward {
        /// Orchestrator index.
        orch: u8,
    },
    /// An orchestrator announces new cuts.
    AnnounceCuts {
        /// Orchestrator index.
        orch: u8,
        /// Reward cut, ppm.
        reward_cut: u32,
        /// Fee share, ppm.
        fee_share: u32,
    },
    /// An orchestrator (re-)registers its service URI, region and service.
    RegisterServices {
        /// Orchestrator index.
        orch: u8,
    },
    /// A staker (orchestrators first, then delegators) bonds LPT to an orchestrator.
    Bond {
        /// Staker index.
        who: u8,
        /// Orchestrator index.
        to: u8,
        /// Whole LPT.
        lpt: u32,
    },
    /// A staker bonds LPT on behalf of another staker (to its current delegate).
    BondFor {
        /// Paying staker index.
        payer: u8,
        /// Owner staker index.
        owner: u8,
        /// Whole LPT.
        lpt: u32,
    },
    /// A staker unbonds a percentage of its stake into a lock.
    Unbond {
        /// Staker index.
        who: u8,
        /// Percent of its stake (1–100).
        pct: u8,
    },
    /// A staker rebonds one of its open locks.
    Rebond {
        /// Staker index.
        who: u8,
        /// Lock index among its open locks (wraps).
        pick: u8,
    },
    /// A staker withdraws one of its open locks.
    WithdrawStake {
        /// Staker index.
        who: u8,
        /// Lock index among its open locks (wraps).
        pick: u8,
    },
    /// A staker moves its stake to another orchestrator.
    Redelegate {
        /// Staker index.
        who: u8,
        /// Orchestrator index.
        to: u8,
    },
    /// A staker claims its earnings.
    Claim {
        /// Staker index.
        who: u8,
    },
    /// A staker withdraws a percentage of its booked fees to itself.
    WithdrawFees {
        /// Staker index.
        who: u8,
        /// Percent (1–100).
        pct: u8,
    },
    /// Blocks pass inside the round (or past its end, uninitialized).
    Roll {
        /// Blocks.
        blocks: u16,
    },
    /// The next round starts and is initialized.
    NextRound,
    /// A challenger challenges a receipt an orchestrator signed.
    OpenChallenge {
        /// Orchestrator index.
        orch: u8,
        /// Challenger index.
        challenger: u8,
        /// Segment number (a repeated one is a second challenge of the same segment).
        seq: u8,
    },
    /// The committee (governance, its sole member) signs a verdict on a challenge.
    Verdict {
        /// Challenge index (wraps).
        pick: u8,
        /// Fault or no fault.
        fault: bool,
    },
    /// Anyone resolves a challenge (a fault slashes the orchestrator).
    Resolve {
        /// Challenge index (wraps).
        pick: u8,
    },
    /// A challenger or orchestrator withdraws its FaultVerifier credit.
    ClaimCredit {
        /// Index over challengers then orchestrators (wraps).
        who: u8,
    },
    /// Governance sets the broker's unlock period.
    SetUnlockPeriod {
        /// Rounds.
        rounds: u8,
    },
    /// Governance sets the tickets' validity period.
    SetTicketValidity {
        /// Rounds.
        rounds: u8,
    },
    /// Governance sets the round length (from the next round).
    SetRoundLength {
        /// Blocks.
        blocks: u16,
    },
    /// Governance sets the minimum active stake.
    SetMinActiveStake {
        /// Whole LPT.
        lpt: u32,
    },
}
