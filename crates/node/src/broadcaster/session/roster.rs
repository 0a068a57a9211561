//! The session's orchestrators: discovered and quoted, ranked, and marked when they fail.

use std::collections::HashSet;

use alloy::primitives::{Address, U256};

use super::{Orch, Session};
use crate::broadcaster::chain::ChainError;
use crate::broadcaster::discovery::{self, Candidate, History, Standing};
use crate::wire::QuoteRequest;

impl Session {
    /// Reads the registry and quotes; `Ok(Some(reason))` when nobody quoted because of the
    /// sender's low balance.
    pub(super) async fn discover(&mut self) -> Result<Option<String>, ChainError> {
        let candidates = if self.opts.orchestrators.is_empty() {
            discovery::from_registry(
                &self.chain,
                self.opts.service_id,
                self.opts.region,
                self.opts.min_stake,
                self.opts.registry_page,
            )
            .await?
        } else {
            self.opts
                .orchestrators
                .iter()
                .map(|uri| Candidate {
                    address: Address::ZERO,
                    uri: uri.clone(),
                    stake: U256::ZERO,
                })
                .collect()
        };
        let request = QuoteRequest {
            sender: self.chain.sender(),
            service_id: self.opts.service_id,
            region: Some(self.opts.region),
        };
        let (quoted, low) = discovery::quote_all(
            candidates,
            &request,
            self.opts.quote_timeout,
            self.opts.max_price,
        )
        .await;
        for mut q in quoted {
            if q.candidate.stake.is_zero() {
                q.candidate.stake = self.chain.stake_of(q.candidate.address).await?;
                if q.candidate.stake < self.opts.min_stake {
                    continue;
                }
            }
            let address = q.candidate.address;
            let credit = q.quote.balance;
            match self
                .orchs
                .iter_mut()
                .find(|o| o.quoted.candidate.address == address)
            {
                Some(o) => {
                    o.quoted = q;
                    o.credit = credit;
                }
                None => {
                    self.summary
                        .orchestrators
                        .entry(address)
                        .or_default()
                        .uri
                        .clone_from(&q.candidate.uri);
                    self.orchs.push(Orch {
                        quoted: q,
                        history: History::default(),
                        credit,
                        pay_factor: 1,
                    });
                }
            }
        }
        tracing::info!(target: "broadcaster", orchestrators = self.orchs.len(), "quoted");
        Ok(if self.orchs.is_empty() { low } else { None })
    }

    pub(super) fn ranked(&self, exclude: &HashSet<Address>) -> Vec<usize> {
        let standings: Vec<Standing> = self
            .orchs
            .iter()
            .map(|o| Standing {
                price: o.quoted.quote.price,
                rtt: o.quoted.rtt,
                stake: o.quoted.candidate.stake,
                successes: o.history.successes,
                faults: o.history.faults,
                strikes: o.history.strikes(self.summary.segments_out),
            })
            .collect();
        discovery::rank(&standings)
            .into_iter()
            .filter(|&i| !exclude.contains(&self.orchs[i].quoted.candidate.address))
            .collect()
    }

    /// Marks orchestrator `i` after an error or a timeout (a strike, forgiven as the stream goes
    /// on) or an answer that failed a check (`fault`: held for the rest of the session).
    pub(super) fn fail(&mut self, i: usize, fault: bool) {
        if fault {
            self.orchs[i].history.fault();
        } else {
            self.orchs[i].history.strike(self.summary.segments_out);
        }
        let a = self.orchs[i].quoted.candidate.address;
        self.summary.orchestrators.entry(a).or_default().failures += 1;
    }
}
