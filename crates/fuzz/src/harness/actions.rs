//! Running each action on the chain and applying the amounts it moved to the model.

use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::SolCall;
use streamflow_bindings::contracts::{
    BondingManager, RoundsManager, TicketBroker,
    committee_verifier::CommitteeVerifier,
    fault_verifier::{FaultVerifier, SegmentReceipt},
};

use super::{
    Action, ForgeCheck, Harness, Step, Violation, milli,
    model::{add, sub},
    ratio, violation,
};
use crate::world::{self, service_id, tokens};

impl Harness<'_> {
    /// Runs one action and updates the model; returns a violation found while applying it.
    pub fn step(&mut self, action: &Action) -> Step {
        self.counters.steps += 1;
        let p = self.world.protocol;
        let ok = match *action {
            Action::Fund {
                sender,
                deposit_milli,
                reserve_milli,
            } => {
                let s = self.sender(sender).address;
                self.fund(s, s, milli(deposit_milli), milli(reserve_milli))?
            }
            Action::FundFor {
                funder,
                sender,
                deposit_milli,
                reserve_milli,
            } => {
                let f = self.sender(funder).address;
                let s = self.sender(sender).address;
                self.fund(f, s, milli(deposit_milli), milli(reserve_milli))?
            }
            Action::Unlock { sender } => {
                let s = self.sender(sender).address;
                let r = self.current_round();
                let period: u64 = self
                    .chain
                    .view(p.broker, &TicketBroker::unlockPeriodCall {})
                    .map(|x| x.saturating_to())
                    .unwrap_or_default();
                let res = self.send(s, p.broker, &TicketBroker::unlockCall {}, U256::ZERO);
                if res.is_ok() {
                    self.model.senders.entry(s).or_default().withdraw_round = r + period;
                }
                res.is_ok()
            }
            Action::CancelUnlock { sender } => {
                let s = self.sender(sender).address;
                let res = self.send(s, p.broker, &TicketBroker::cancelUnlockCall {}, U256::ZERO);
                if res.is_ok() {
                    self.model.senders.entry(s).or_default().withdraw_round = 0;
                }
                res.is_ok()
            }
            Action::Withdraw { sender } => self.withdraw(self.sender(sender).address)?,
            Action::Issue { .. } | Action::Redeem { .. } | Action::RedeemBatch { .. } => {
                self.tickets(action)?
            }
            Action::Reward { orch } => {
                let o = self.orch(orch).address;
                match self.send(
                    o,
                    p.bonding_manager,
                    &BondingManager::rewardCall {},
                    U256::ZERO,
                ) {
                    Ok(logs) => {
                        self.absorb(&logs)?;
                        true
                    }
                    Err(_) => false,
                }
            }
            Action::AnnounceCuts {
                orch,
                reward_cut,
                fee_share,
            } => {
                let o = self.orch(orch).address;
                let call = BondingManager::announceCutsCall {
                    _0: U256::from(reward_cut % 1_100_000),
                    _1: U256::from(fee_share % 1_100_000),
                };
                self.plain(o, p.bonding_manager, &call)?
            }
            Action::RegisterServices { orch } => {
                let o = self.orch(orch);
                world::register(&mut self.chain, &p, o).is_ok()
            }
            Action::Bond { who, to, lpt } => {
                let d = self.staker(who).address;
                let o = self.orch(to).address;
                let amount = tokens(u64::from(lpt % 5000) + 1);
                self.bond(d, d, amount, &BondingManager::bondCall { amount, to: o })?
            }
            Action::BondFor { payer, owner, lpt } => {
                let payer = self.staker(payer).address;
                let owner = self.staker(owner).address;
                let amount = tokens(u64::from(lpt % 5000) + 1);
                self.bond(
                    payer,
                    owner,
                    amount,
                    &BondingManager::bondForCall { amount, owner },
                )?
            }
            Action::Unbond { who, pct } => {
                let d = self.staker(who).address;
                let stake = self
                    .chain
                    .view(
                        p.bonding_manager,
                        &BondingManager::delegatorInfoCall { delegator: d },
                    )
                    .map(|i| i.stake)
                    .unwrap_or_default();
                let amount = ratio(stake, pct).max(U256::from(1));
                self.plain(d, p.bonding_manager, &BondingManager::unbondCall { amount })?
            }
            Action::Rebond { who, pick } => {
                let d = self.staker(who).address;
                match self.pick_lock(d, pick) {
                    Some(lock_id) => self.plain(
                        d,
                        p.bonding_manager,
                        &BondingManager::rebondCall { lockId: lock_id },
                    )?,
                    None => false,
                }
            }
            Action::WithdrawStake { who, pick } => {
                let d = self.staker(who).address;
                match self.pick_lock(d, pick) {
                    Some(lock_id) => self.plain(
                        d,
                        p.bonding_manager,
                        &BondingManager::withdrawStakeCall { lockId: lock_id },
                    )?,
                    None => false,
                }
            }
            Action::Redelegate { who, to } => {
                let d = self.staker(who).address;
                let o = self.orch(to).address;
                self.plain(
                    d,
                    p.bonding_manager,
                    &BondingManager::redelegateCall { to: o },
                )?
            }
            Action::Claim { who } => {
                let d = self.staker(who).address;
                self.plain(d, p.bonding_manager, &BondingManager::claimEarningsCall {})?
            }
            Action::WithdrawFees { who, pct } => {
                let d = self.staker(who).address;
                let fees = self
                    .chain
                    .view(
                        p.bonding_manager,
                        &BondingManager::delegatorInfoCall { delegator: d },
                    )
                    .map(|i| i.fees)
                    .unwrap_or_default();
                let amount = ratio(fees, pct).max(U256::from(1));
                let call = BondingManager::withdrawFeesCall { to: d, amount };
                match self.send(d, p.bonding_manager, &call, U256::ZERO) {
                    Ok(logs) => {
                        self.model.pay_fees(d, p.broker, amount)?;
                        self.absorb(&logs)?;
                        true
                    }
                    Err(_) => false,
                }
            }
            Action::Roll { blocks } => {
                self.chain.roll(u64::from(blocks % 120) + 1);
                true
            }
            Action::NextRound => world::next_round(&mut self.chain, &p).is_ok(),
            Action::OpenChallenge {
                orch,
                challenger,
                seq,
            } => self.open_challenge(orch, challenger, seq)?,
            Action::Verdict { pick, fault } => {
                let Some(&id) = self
                    .model
                    .challenges
                    .get(usize::from(pick) % self.model.challenges.len().max(1))
                else {
                    return Ok(());
                };
                let digest = self
                    .chain
                    .view(
                        p.committee,
                        &CommitteeVerifier::verdictDigestCall {
                            challengeId: id,
                            fault,
                        },
                    )
                    .unwrap_or_default();
                let sig = self.world.governance.sign_digest(&digest);
                let call = CommitteeVerifier::submitVerdictCall {
                    challengeId: id,
                    fault,
                    signatures: vec![sig],
                };
                let g = self.world.governance.address;
                self.plain(g, p.committee, &call)?
            }
            Action::Resolve { pick } => {
                let Some(&id) = self
                    .model
                    .challenges
                    .get(usize::from(pick) % self.model.challenges.len().max(1))
                else {
                    return Ok(());
                };
                let call = FaultVerifier::resolveCall { challengeId: id };
                self.plain(Address::repeat_byte(0x22), p.fault_verifier, &call)?
            }
            Action::ClaimCredit { who } => {
                let w = self.world.challengers.len() + self.world.orchestrators.len();
                let i = usize::from(who) % w;
                let a = self
                    .world
                    .challengers
                    .get(i)
                    .unwrap_or_else(|| &self.world.orchestrators[i - self.world.challengers.len()])
                    .address;
                let credit = self
                    .chain
                    .view(
                        p.fault_verifier,
                        &FaultVerifier::creditOfCall { account: a },
                    )
                    .unwrap_or_default();
                match self.send(
                    a,
                    p.fault_verifier,
                    &FaultVerifier::withdrawCall {},
                    U256::ZERO,
                ) {
                    Ok(_) => {
                        add(&mut self.model.eth, a, credit);
                        sub(&mut self.model.eth, p.fault_verifier, credit)?;
                        true
                    }
                    Err(_) => false,
                }
            }
            Action::SetUnlockPeriod { rounds } => {
                let call = TicketBroker::setUnlockPeriodCall {
                    period: U256::from(rounds % 8),
                };
                self.plain(self.world.governance.address, p.broker, &call)?
            }
            Action::SetTicketValidity { rounds } => {
                let call = TicketBroker::setTicketValidityPeriodCall {
                    period: U256::from(rounds % 8),
                };
                self.plain(self.world.governance.address, p.broker, &call)?
            }
            Action::SetRoundLength { blocks } => {
                let call = RoundsManager::setRoundLengthCall {
                    newRoundLength: U256::from(blocks % 100),
                };
                self.plain(self.world.governance.address, p.rounds, &call)?
            }
            Action::SetMinActiveStake { lpt } => {
                let call =
                    BondingManager::setMinActiveStakeCall::new((tokens(u64::from(lpt % 10_000)),));
                self.plain(self.world.governance.address, p.bonding_manager, &call)?
            }
        };
        if ok {
            self.counters.succeeded += 1;
        }
        Ok(())
    }

    fn fund(
        &mut self,
        funder: Address,
        sender: Address,
        dep: U256,
        res: U256,
    ) -> Result<bool, Violation> {
        let p = self.world.protocol;
        let value = dep + res;
        let res_call = if funder == sender {
            self.send(
                funder,
                p.broker,
                &TicketBroker::fundDepositAndReserveCall {
                    depositAmount: dep,
                    reserveAmount: res,
                },
                value,
            )
        } else {
            self.send(
                funder,
                p.broker,
                &TicketBroker::fundDepositAndReserveForCall {
                    sender,
                    depositAmount: dep,
                    reserveAmount: res,
                },
                value,
            )
        };
        if res_call.is_err() {
            if value != U256::ZERO {
                return Err(violation(
                    "funding",
                    format!("funding {dep} + {res} wei of {sender} by {funder} reverted"),
                    ForgeCheck::Note,
                ));
            }
            return Ok(false);
        }
        sub(&mut self.model.eth, funder, value)?;
        add(&mut self.model.eth, p.broker, value);
        let s = self.model.senders.entry(sender).or_default();
        s.deposit += dep;
        s.reserve += res;
        Ok(true)
    }

    fn withdraw(&mut self, s: Address) -> Result<bool, Violation> {
        let p = self.world.protocol;
        let r = self.current_round();
        let validity: u64 = self
            .chain
            .view(p.broker, &TicketBroker::ticketValidityPeriodCall {})
            .map(|x| x.saturating_to())
            .unwrap_or_default();
        if self
            .send(s, p.broker, &TicketBroker::withdrawCall {}, U256::ZERO)
            .is_err()
        {
            return Ok(false);
        }
        let funds = self.model.senders.entry(s).or_default();
        let paid = funds.deposit + funds.reserve;
        funds.deposit = U256::ZERO;
        funds.reserve = U256::ZERO;
        if funds.withdraw_round == 0 || r < funds.withdraw_round {
            return Err(violation(
                "withdrawal only after the unlock period",
                format!(
                    "{} withdrew in round {r} (model withdraw round {})",
                    self.world.name_of(s),
                    funds.withdraw_round
                ),
                ForgeCheck::LastCallReverts,
            ));
        }
        add(&mut self.model.eth, s, paid);
        sub(&mut self.model.eth, p.broker, paid)?;
        if let Some(t) = self.model.issued.iter().find(|t| {
            t.sender == s && !self.model.used.contains(&t.digest) && r < t.creation_round + validity
        }) {
            return Err(violation(
                "no withdrawal while own tickets are live",
                format!(
                    "{} withdrew in round {r} while its ticket of round {} (validity {validity}) was unredeemed",
                    self.world.name_of(s),
                    t.creation_round
                ),
                ForgeCheck::LastCallReverts,
            ));
        }
        Ok(true)
    }

    fn bond<C: SolCall>(
        &mut self,
        payer: Address,
        _owner: Address,
        amount: U256,
        call: &C,
    ) -> Result<bool, Violation> {
        let p = self.world.protocol;
        match self.send(payer, p.bonding_manager, call, U256::ZERO) {
            Ok(logs) => {
                sub(&mut self.model.lpt, payer, amount)?;
                self.model.bonded_lpt += amount;
                self.absorb(&logs)?;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    fn pick_lock(&self, d: Address, pick: u8) -> Option<U256> {
        let ids: Vec<U256> = self
            .model
            .locks
            .keys()
            .filter(|(who, _)| *who == d)
            .map(|(_, id)| *id)
            .collect();
        ids.get(usize::from(pick) % ids.len().max(1)).copied()
    }

    fn open_challenge(&mut self, orch: u8, challenger: u8, seq: u8) -> Result<bool, Violation> {
        let p = self.world.protocol;
        let o = self.orch(orch);
        let c = &self.world.challengers[usize::from(challenger) % self.world.challengers.len()];
        let round = self.current_round();
        let receipt = SegmentReceipt::Receipt {
            broadcaster: self.world.senders[0].address,
            orchestrator: o.address,
            streamId: alloy::primitives::keccak256("stream"),
            seqNo: U256::from(seq % 8),
            inputHash: alloy::primitives::keccak256([seq]),
            serviceId: service_id(),
            renditions: vec![SegmentReceipt::Rendition {
                profile: alloy::primitives::keccak256("720p"),
                outputHash: alloy::primitives::keccak256([seq, 1]),
                pixels: 1280 * 720 * 60,
            }],
            ticket: SegmentReceipt::TicketParams {
                faceValue: tokens(1),
                winProb: U256::MAX >> 7,
                senderNonce: U256::from(seq),
                recipientRandHash: alloy::primitives::keccak256("rand"),
                creationRound: U256::from(round),
            },
        };
        let digest = self
            .chain
            .view(
                p.fault_verifier,
                &FaultVerifier::receiptDigestCall {
                    receipt: receipt.clone(),
                },
            )
            .unwrap_or_default();
        let signature = o.sign_digest(&digest);
        let bond = self
            .chain
            .view(p.fault_verifier, &FaultVerifier::paramsCall {})
            .map(|x| U256::from(x.challengeBond))
            .unwrap_or_default();
        let call = FaultVerifier::openChallengeCall {
            receipt,
            signature,
            evidence: Bytes::new(),
        };
        match self.chain.send(c.address, p.fault_verifier, &call, bond) {
            Ok(r) => {
                self.model.challenges.push(r.ret);
                sub(&mut self.model.eth, c.address, bond)?;
                add(&mut self.model.eth, p.fault_verifier, bond);
                self.absorb(&r.logs)?;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }
}
