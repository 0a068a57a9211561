//! The model's rules for what the contracts' events say moved: stake flows, rewards, slashes and
//! redemptions, each checked against the protocol's rules as it is applied.

use alloy::{
    primitives::{Address, Log, U256},
    sol_types::{SolCall, SolEvent},
};
use streamflow_bindings::contracts::{BondingManager, TicketBroker};

use super::{
    ForgeCheck, Harness, Step,
    model::{add, sub},
    violation::{decode, violation},
};

impl Harness<'_> {
    /// Applies what the contracts' events say moved (stake flows, rewards, slashes, redemptions),
    /// checking each against the rules as it goes.
    pub(super) fn absorb(&mut self, logs: &[Log]) -> Step {
        let p = self.world.protocol;
        for (i, log) in logs.iter().enumerate() {
            let Some(topic) = log.topics().first() else {
                continue;
            };
            if log.address == p.bonding_manager {
                if *topic == BondingManager::Bonded::SIGNATURE_HASH {
                    let e = BondingManager::Bonded::decode_log_data(&log.data).map_err(decode)?;
                    add(&mut self.model.pools, e.orchestrator, e.amount);
                } else if *topic == BondingManager::Unbonded::SIGNATURE_HASH {
                    let e = BondingManager::Unbonded::decode_log_data(&log.data).map_err(decode)?;
                    sub(&mut self.model.pools, e.orchestrator, e.amount)?;
                    self.model
                        .locks
                        .insert((e.delegator, e.lockId), (e.orchestrator, e.amount));
                } else if *topic == BondingManager::Rebonded::SIGNATURE_HASH {
                    let e = BondingManager::Rebonded::decode_log_data(&log.data).map_err(decode)?;
                    let lock = self.model.locks.remove(&(e.delegator, e.lockId));
                    let locked = lock.map(|l| l.1).unwrap_or_default();
                    if locked != e.amount {
                        return Err(violation(
                            "rebond returns the lock",
                            format!("lock {} held {locked}, rebonded {}", e.lockId, e.amount),
                            ForgeCheck::Note,
                        ));
                    }
                    add(&mut self.model.pools, e.orchestrator, e.amount);
                } else if *topic == BondingManager::StakeWithdrawn::SIGNATURE_HASH {
                    let e = BondingManager::StakeWithdrawn::decode_log_data(&log.data)
                        .map_err(decode)?;
                    let lock = self.model.locks.remove(&(e.delegator, e.lockId));
                    let locked = lock.map(|l| l.1).unwrap_or_default();
                    if e.amount > locked {
                        return Err(violation(
                            "withdrawal within the lock",
                            format!("lock {} held {locked}, withdrew {}", e.lockId, e.amount),
                            ForgeCheck::Note,
                        ));
                    }
                    add(&mut self.model.lpt, e.delegator, e.amount);
                    if self.model.bonded_lpt < e.amount {
                        return Err(violation(
                            "conservation",
                            "bonded LPT below zero".into(),
                            ForgeCheck::Note,
                        ));
                    }
                    self.model.bonded_lpt -= e.amount;
                } else if *topic == BondingManager::Redelegated::SIGNATURE_HASH {
                    let e =
                        BondingManager::Redelegated::decode_log_data(&log.data).map_err(decode)?;
                    sub(&mut self.model.pools, e.from, e.amount)?;
                    add(&mut self.model.pools, e.to, e.amount);
                } else if *topic == BondingManager::Reward::SIGNATURE_HASH {
                    let e = BondingManager::Reward::decode_log_data(&log.data).map_err(decode)?;
                    add(&mut self.model.pools, e.orchestrator, e.amount);
                    self.model.supply += e.amount;
                    self.model.bonded_lpt += e.amount;
                } else if *topic == BondingManager::Slashed::SIGNATURE_HASH {
                    let e = BondingManager::Slashed::decode_log_data(&log.data).map_err(decode)?;
                    self.counters.slashes += 1;
                    if e.finderFee > e.penalty {
                        return Err(violation(
                            "slashed = paid + burned",
                            format!("finder fee {} above penalty {}", e.finderFee, e.penalty),
                            ForgeCheck::Note,
                        ));
                    }
                    let burned = e.penalty - e.finderFee;
                    self.model.slashed += e.penalty;
                    self.model.finder_paid += e.finderFee;
                    self.model.burned += burned;
                    self.model.supply -= burned.min(self.model.supply);
                    self.model.bonded_lpt -= e.penalty.min(self.model.bonded_lpt);
                    add(&mut self.model.lpt, e.finder, e.finderFee);
                    // How the penalty splits between the pool and its locks is the contract's rule:
                    // re-read them (the totals above stay computed).
                    self.resync_pool(e.orchestrator);
                }
            } else if log.address == p.broker {
                if *topic == TicketBroker::TicketRedeemed::SIGNATURE_HASH {
                    let e =
                        TicketBroker::TicketRedeemed::decode_log_data(&log.data).map_err(decode)?;
                    self.counters.redeemed += 1;
                    if !self.model.used.insert(e.ticketHash) {
                        return Err(violation(
                            "no double redemption",
                            format!("ticket {} redeemed twice", e.ticketHash),
                            ForgeCheck::LastCallReverts,
                        ));
                    }
                    self.model.credit_fees(e.faceValue);
                    let from_reserve = i
                        .checked_sub(1)
                        .and_then(|j| logs.get(j))
                        .filter(|l| {
                            l.address == p.broker
                                && l.topics().first()
                                    == Some(&TicketBroker::ReserveClaimed::SIGNATURE_HASH)
                        })
                        .is_some();
                    let funds = self.model.senders.entry(e.sender).or_default();
                    if !from_reserve {
                        if funds.deposit < e.faceValue {
                            return Err(violation(
                                "tickets are paid in full from funds",
                                format!(
                                    "deposit {} paid a ticket of {}",
                                    funds.deposit, e.faceValue
                                ),
                                ForgeCheck::LastCallReverts,
                            ));
                        }
                        funds.deposit -= e.faceValue;
                    }
                } else if *topic == TicketBroker::ReserveClaimed::SIGNATURE_HASH {
                    let e =
                        TicketBroker::ReserveClaimed::decode_log_data(&log.data).map_err(decode)?;
                    let round: u64 = e.round.saturating_to();
                    let funds = *self.model.senders.entry(e.sender).or_default();
                    let snap = *self
                        .model
                        .reserve_snapshots
                        .entry((e.sender, round))
                        .or_insert(funds.reserve);
                    let claimed = self
                        .model
                        .reserve_claimed
                        .entry((e.sender, e.recipient, round))
                        .or_default();
                    *claimed += e.amount;
                    let claimed = *claimed;
                    let stake = self
                        .chain
                        .view(
                            p.bonding_manager,
                            &BondingManager::activeStakeCall {
                                orchestrator: e.recipient,
                                round: e.round,
                            },
                        )
                        .unwrap_or_default();
                    let total = self
                        .chain
                        .view(
                            p.bonding_manager,
                            &BondingManager::totalActiveStakeCall { round: e.round },
                        )
                        .unwrap_or_default();
                    let allocation = if total.is_zero() {
                        U256::ZERO
                    } else {
                        snap * stake / total
                    };
                    self.counters.checks += 1;
                    if claimed > allocation {
                        return Err(violation(
                            "reserve claims within allocation",
                            format!(
                                "{} claimed {claimed} of {}'s reserve in round {round}; allocation {allocation} (reserve {snap} × {stake} / {total})",
                                self.world.name_of(e.recipient),
                                self.world.name_of(e.sender)
                            ),
                            ForgeCheck::ViewEq {
                                target: p.broker,
                                data: TicketBroker::claimedReserveCall {
                                    sender: e.sender,
                                    recipient: e.recipient,
                                    round: e.round,
                                }
                                .abi_encode()
                                .into(),
                                want: allocation,
                            },
                        ));
                    }
                    // the deposit is emptied first, the reserve pays the rest
                    let f = self.model.senders.entry(e.sender).or_default();
                    if f.reserve < e.amount {
                        return Err(violation(
                            "conservation",
                            format!("reserve {} paid {}", f.reserve, e.amount),
                            ForgeCheck::Note,
                        ));
                    }
                    f.reserve -= e.amount;
                    f.deposit = U256::ZERO;
                }
            }
        }
        Ok(())
    }

    fn resync_pool(&mut self, o: Address) {
        let p = self.world.protocol;
        let total = self
            .chain
            .view(
                p.bonding_manager,
                &BondingManager::totalStakeOfCall { orchestrator: o },
            )
            .unwrap_or_default();
        self.model.pools.insert(o, total);
        let keys: Vec<(Address, U256)> = self
            .model
            .locks
            .iter()
            .filter(|(_, (orch, _))| *orch == o)
            .map(|(k, _)| *k)
            .collect();
        for (d, id) in keys {
            if let Ok(info) = self.chain.view(
                p.bonding_manager,
                &BondingManager::lockInfoCall {
                    delegator: d,
                    lockId: id,
                },
            ) {
                self.model.locks.insert((d, id), (o, info.amount));
            }
        }
    }
}
