//! The comparison of the reference model with the contracts' views, made after every step.
//!
//! Every view the comparison needs is asked first, in one transaction through the view batcher
//! ([`crate::batch`]); then the answers are compared with the model in a fixed order, the first
//! difference being the violation reported.

use alloy::{
    primitives::{Address, U256},
    sol_types::SolCall,
};
use streamflow_bindings::contracts::{
    BondingManager, LivepeerToken, TicketBroker, fault_verifier::FaultVerifier,
};

use super::{ForgeCheck, Harness, Violation};
use crate::batch::{Batch, Query};

impl Harness<'_> {
    /// One comparison of a `uint256` view (`got`: its answer, zero if it had none) with the model.
    fn view_eq<C: SolCall>(
        &mut self,
        property: &'static str,
        what: impl FnOnce(&Self) -> String,
        target: Address,
        call: C,
        got: Option<U256>,
        want: U256,
    ) -> Result<(), Violation> {
        self.counters.checks += 1;
        let got = got.unwrap_or_default();
        if got == want {
            return Ok(());
        }
        Err(Violation {
            property,
            detail: format!("{}: contract says {got}, model says {want}", what(self)),
            check: ForgeCheck::ViewEq {
                target,
                data: call.abi_encode().into(),
                want,
            },
        })
    }

    /// Compares the model with the contracts: ETH and LPT of every account, supply, senders' funds,
    /// pools, fees, used tickets, FaultVerifier holdings; and the conservation laws.
    pub fn check(&mut self) -> Result<(), Violation> {
        let p = self.world.protocol;
        // Every view first, in one transaction.
        let mut batch = Batch::with_capacity(
            self.model.lpt.len()
                + self.model.pools.len()
                + self.model.senders.len()
                + self.model.used.len()
                + 24,
        );
        let lpt: Vec<(Address, U256, Query<LivepeerToken::balanceOfCall>)> = self
            .model
            .lpt
            .iter()
            .map(|(a, v)| {
                let q = batch.ask(p.token, &LivepeerToken::balanceOfCall { account: *a });
                (*a, *v, q)
            })
            .collect();
        let supply_q = batch.ask(p.token, &LivepeerToken::totalSupplyCall {});
        let bonded_q = batch.ask(
            p.token,
            &LivepeerToken::balanceOfCall {
                account: p.bonding_manager,
            },
        );
        let pools: Vec<(Address, U256, Query<BondingManager::totalStakeOfCall>)> = self
            .model
            .pools
            .iter()
            .map(|(o, v)| {
                let q = batch.ask(
                    p.bonding_manager,
                    &BondingManager::totalStakeOfCall { orchestrator: *o },
                );
                (*o, *v, q)
            })
            .collect();
        let senders: Vec<(
            Address,
            super::SenderFunds,
            Query<TicketBroker::getSenderCall>,
        )> = self
            .model
            .senders
            .iter()
            .map(|(s, v)| {
                let q = batch.ask(p.broker, &TicketBroker::getSenderCall { sender: *s });
                (*s, *v, q)
            })
            .collect();
        let booked_q: Vec<Query<BondingManager::delegatorInfoCall>> = self
            .world
            .stakers()
            .map(|d| {
                batch.ask(
                    p.bonding_manager,
                    &BondingManager::delegatorInfoCall {
                        delegator: d.address,
                    },
                )
            })
            .collect();
        let used: Vec<(
            alloy::primitives::B256,
            Query<TicketBroker::isUsedTicketCall>,
        )> = self
            .model
            .used
            .iter()
            .map(|d| {
                let q = batch.ask(
                    p.broker,
                    &TicketBroker::isUsedTicketCall { ticketHash_: *d },
                );
                (*d, q)
            })
            .collect();
        let pending_bonds_q = batch.ask(p.fault_verifier, &FaultVerifier::pendingBondsCall {});
        let burned_bonds_q = batch.ask(p.fault_verifier, &FaultVerifier::burnedBondsCall {});
        let credits_q: Vec<Query<FaultVerifier::creditOfCall>> = self
            .world
            .challengers
            .iter()
            .chain(&self.world.orchestrators)
            .map(|a| {
                batch.ask(
                    p.fault_verifier,
                    &FaultVerifier::creditOfCall { account: a.address },
                )
            })
            .collect();
        let answers = batch.run(&mut self.chain);

        for (who, want) in self.model.eth.iter().map(|(a, v)| (*a, *v)) {
            self.counters.checks += 1;
            let got = self.chain.balance(who);
            if got != want {
                return Err(Violation {
                    property: "ETH conservation",
                    detail: format!(
                        "ETH of {}: chain says {got}, model says {want}",
                        self.world.name_of(who)
                    ),
                    check: ForgeCheck::BalanceEq { who, want },
                });
            }
        }
        for (who, want, q) in lpt {
            self.view_eq(
                "LPT conservation",
                |h| format!("LPT of {}", h.world.name_of(who)),
                p.token,
                LivepeerToken::balanceOfCall { account: who },
                answers.get(q),
                want,
            )?;
        }
        let supply = self.model.supply;
        self.view_eq(
            "LPT conservation",
            |_| "LPT supply".into(),
            p.token,
            LivepeerToken::totalSupplyCall {},
            answers.get(supply_q),
            supply,
        )?;
        let bonded = self.model.bonded_lpt;
        self.view_eq(
            "LPT conservation",
            |_| "LPT held by staking".into(),
            p.token,
            LivepeerToken::balanceOfCall {
                account: p.bonding_manager,
            },
            answers.get(bonded_q),
            bonded,
        )?;
        let mut staked = U256::ZERO;
        for (o, want, q) in pools {
            staked += want;
            self.view_eq(
                "stake accounting",
                |h| format!("total stake of {}", h.world.name_of(o)),
                p.bonding_manager,
                BondingManager::totalStakeOfCall { orchestrator: o },
                answers.get(q),
                want,
            )?;
        }
        let locked: U256 = self.model.locks.values().map(|(_, a)| *a).sum();
        self.counters.checks += 1;
        if staked + locked > bonded {
            return Err(Violation {
                property: "LPT conservation",
                detail: format!(
                    "pools {staked} + locks {locked} exceed the LPT staking holds ({bonded})"
                ),
                check: ForgeCheck::Note,
            });
        }

        let mut funds = U256::ZERO;
        for (s, want, q) in senders {
            self.counters.checks += 1;
            funds += want.deposit + want.reserve;
            let got = answers
                .get(q)
                .map(|g| (g.deposit, g.reserve, g.withdrawRound.saturating_to::<u64>()))
                .unwrap_or_default();
            if got != (want.deposit, want.reserve, want.withdraw_round) {
                let (target, data, want_v) = if got.0 != want.deposit {
                    (
                        p.broker,
                        TicketBroker::getSenderCall { sender: s }.abi_encode(),
                        want.deposit,
                    )
                } else {
                    (
                        p.broker,
                        TicketBroker::getSenderCall { sender: s }.abi_encode(),
                        got.0,
                    )
                };
                return Err(Violation {
                    property: "sender funds",
                    detail: format!(
                        "funds of {}: contract (deposit, reserve, withdrawRound) = {got:?}, model = ({}, {}, {})",
                        self.world.name_of(s),
                        want.deposit,
                        want.reserve,
                        want.withdraw_round
                    ),
                    check: ForgeCheck::ViewEq {
                        target,
                        data: data.into(),
                        want: want_v,
                    },
                });
            }
        }
        // Every wei in the broker is a sender's or a recipient's fee not yet paid out.
        self.counters.checks += 1;
        let held = self.model.fees_held();
        self.model.fees_paid_within_credits()?;
        let broker_eth = self.chain.balance(p.broker);
        if broker_eth != funds + held {
            return Err(Violation {
                property: "ETH conservation",
                detail: format!(
                    "broker holds {broker_eth}; senders' funds {funds} + fees held {held}"
                ),
                check: ForgeCheck::BalanceEq {
                    who: p.broker,
                    want: funds + held,
                },
            });
        }
        // Fees booked or pending for stakers, plus what they withdrew, never exceed the credits.
        // `delegatorInfo(d).fees` is both (booked + pending); `pendingEarnings` is the pending part
        // alone, so adding it again would count a pool's undistributed fees twice.
        let mut booked = U256::ZERO;
        for q in booked_q {
            booked += answers.get(q).map(|i| i.fees).unwrap_or_default();
        }
        self.counters.checks += 1;
        self.model.fees_booked_within_credits(booked)?;
        for (digest, q) in used {
            self.counters.checks += 1;
            let is_used = answers.get(q).unwrap_or_default();
            if !is_used {
                return Err(Violation {
                    property: "no double redemption",
                    detail: format!("redeemed ticket {digest} is not marked used"),
                    check: ForgeCheck::ViewEq {
                        target: p.broker,
                        data: TicketBroker::isUsedTicketCall {
                            ticketHash_: digest,
                        }
                        .abi_encode()
                        .into(),
                        want: U256::from(1),
                    },
                });
            }
        }
        // The FaultVerifier holds exactly the pending bonds, the credits and the burned bonds (kept
        // for ever).
        let mut owed = answers.get(pending_bonds_q).unwrap_or_default()
            + answers.get(burned_bonds_q).unwrap_or_default();
        for q in credits_q {
            owed += answers.get(q).unwrap_or_default();
        }
        self.counters.checks += 1;
        let fv = self.chain.balance(p.fault_verifier);
        if fv != owed {
            return Err(Violation {
                property: "ETH conservation",
                detail: format!(
                    "FaultVerifier holds {fv}; pending bonds + credits + burned bonds = {owed}"
                ),
                check: ForgeCheck::BalanceEq {
                    who: p.fault_verifier,
                    want: owed,
                },
            });
        }
        self.counters.checks += 1;
        if self.model.slashed != self.model.finder_paid + self.model.burned {
            return Err(Violation {
                property: "slashed = paid + burned",
                detail: format!(
                    "slashed {} ≠ paid {} + burned {}",
                    self.model.slashed, self.model.finder_paid, self.model.burned
                ),
                check: ForgeCheck::Note,
            });
        }
        Ok(())
    }
}
