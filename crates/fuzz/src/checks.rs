//! The comparison of the reference model with the contracts' views, made after every step.

use alloy::{
    primitives::{Address, U256},
    sol_types::SolCall,
};
use streamflow_bindings::contracts::{
    BondingManager, LivepeerToken, TicketBroker, fault_verifier::FaultVerifier,
};

use crate::harness::{ForgeCheck, Harness, Violation};

impl Harness<'_> {
    fn view_eq<C: SolCall<Return = U256>>(
        &mut self,
        property: &'static str,
        what: String,
        target: Address,
        call: C,
        want: U256,
    ) -> Result<(), Violation> {
        self.counters.checks += 1;
        let got = self.chain.view(target, &call).unwrap_or_default();
        if got == want {
            return Ok(());
        }
        Err(Violation {
            property,
            detail: format!("{what}: contract says {got}, model says {want}"),
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
        let eth: Vec<(Address, U256)> = self.model.eth.iter().map(|(a, v)| (*a, *v)).collect();
        for (who, want) in eth {
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
        let lpt: Vec<(Address, U256)> = self.model.lpt.iter().map(|(a, v)| (*a, *v)).collect();
        for (who, want) in lpt {
            let what = format!("LPT of {}", self.world.name_of(who));
            self.view_eq(
                "LPT conservation",
                what,
                p.token,
                LivepeerToken::balanceOfCall { account: who },
                want,
            )?;
        }
        let supply = self.model.supply;
        self.view_eq(
            "LPT conservation",
            "LPT supply".into(),
            p.token,
            LivepeerToken::totalSupplyCall {},
            supply,
        )?;
        let bonded = self.model.bonded_lpt;
        self.view_eq(
            "LPT conservation",
            "LPT held by staking".into(),
            p.token,
            LivepeerToken::balanceOfCall {
                account: p.bonding_manager,
            },
            bonded,
        )?;
        let pools: Vec<(Address, U256)> = self.model.pools.iter().map(|(a, v)| (*a, *v)).collect();
        let mut staked = U256::ZERO;
        for (o, want) in pools {
            staked += want;
            let what = format!("total stake of {}", self.world.name_of(o));
            self.view_eq(
                "stake accounting",
                what,
                p.bonding_manager,
                BondingManager::totalStakeOfCall { orchestrator: o },
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

        let senders: Vec<(Address, crate::harness::SenderFunds)> =
            self.model.senders.iter().map(|(a, v)| (*a, *v)).collect();
        let mut funds = U256::ZERO;
        for (s, want) in senders {
            self.counters.checks += 1;
            funds += want.deposit + want.reserve;
            let got = self
                .chain
                .view(p.broker, &TicketBroker::getSenderCall { sender: s })
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
        let held =
            self.model.fees_credited - self.model.fees_withdrawn.min(self.model.fees_credited);
        if self.model.fees_withdrawn > self.model.fees_credited {
            return Err(Violation {
                property: "fees claimed ≤ credited",
                detail: format!(
                    "fees paid out {} exceed fees credited {}",
                    self.model.fees_withdrawn, self.model.fees_credited
                ),
                check: ForgeCheck::Note,
            });
        }
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
        let stakers: Vec<Address> = self.world.stakers().map(|a| a.address).collect();
        for d in stakers {
            booked += self
                .chain
                .view(
                    p.bonding_manager,
                    &BondingManager::delegatorInfoCall { delegator: d },
                )
                .map(|i| i.fees)
                .unwrap_or_default();
        }
        self.counters.checks += 1;
        if booked + self.model.fees_withdrawn > self.model.fees_credited {
            return Err(Violation {
                property: "fees claimed ≤ credited",
                detail: format!(
                    "fees booked {booked} + withdrawn {} exceed fees credited {}",
                    self.model.fees_withdrawn, self.model.fees_credited
                ),
                check: ForgeCheck::Note,
            });
        }
        let used: Vec<_> = self.model.used.iter().copied().collect();
        for digest in used {
            self.counters.checks += 1;
            let is_used = self
                .chain
                .view(
                    p.broker,
                    &TicketBroker::isUsedTicketCall {
                        ticketHash_: digest,
                    },
                )
                .unwrap_or_default();
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
        let mut owed = self
            .chain
            .view(p.fault_verifier, &FaultVerifier::pendingBondsCall {})
            .unwrap_or_default()
            + self
                .chain
                .view(p.fault_verifier, &FaultVerifier::burnedBondsCall {})
                .unwrap_or_default();
        let accounts: Vec<Address> = self
            .world
            .challengers
            .iter()
            .chain(&self.world.orchestrators)
            .map(|a| a.address)
            .collect();
        for a in accounts {
            owed += self
                .chain
                .view(
                    p.fault_verifier,
                    &FaultVerifier::creditOfCall { account: a },
                )
                .unwrap_or_default();
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
