//! Tickets: a locked sender signs with the protocol core; a recipient redeems singly (the Rust
//! validation's verdict compared with the broker's) or in batches.

use alloy::primitives::{Bytes, U256, keccak256};
use streamflow_bindings::contracts::{RoundsManager, TicketBroker};
use streamflow_protocol::{SignedTicket, Ticket, Validator, ticket::recipient_rand_hash};

use super::{Action, ForgeCheck, Harness, Issued, Violation, violation};
use crate::{chain::ChainError, view::ChainView};

impl Harness<'_> {
    /// The broker's ticket rules from the protocol core.
    fn validator(&self) -> Validator {
        Validator::new(crate::chain::CHAIN_ID, self.world.protocol.broker)
    }

    /// Ticket actions: a locked sender signs (with the protocol core), recipients redeem singly
    /// (the Rust validation's verdict compared with the broker's) or in batches.
    pub(super) fn tickets(&mut self, action: &Action) -> Result<bool, Violation> {
        let p = self.world.protocol;
        match *action {
            Action::Issue {
                sender,
                orch,
                face_milli,
                sure,
            } => {
                let s = self.sender(sender);
                let o = self.orch(orch);
                // Only locked senders get work (an orchestrator stops serving one that unlocked).
                if self
                    .model
                    .senders
                    .get(&s.address)
                    .is_some_and(|f| f.withdraw_round != 0)
                {
                    return Ok(false);
                }
                let Some(signer) = s.signer.as_ref() else {
                    return Ok(false);
                };
                let round = self.current_round();
                let block_hash = self
                    .chain
                    .view(
                        p.rounds,
                        &RoundsManager::blockHashForRoundCall {
                            round: U256::from(round),
                        },
                    )
                    .unwrap_or_default();
                self.model.nonce += 1;
                let nonce = self.model.nonce;
                let rand = U256::from_be_bytes(keccak256(nonce.to_be_bytes()).0);
                let face = u128::from(face_milli.max(1)) * 1_000_000_000_000_000;
                let ticket = Ticket {
                    recipient: o.address,
                    sender: s.address,
                    face_value: face,
                    win_prob: if sure {
                        U256::MAX
                    } else {
                        U256::from(1) << 250
                    },
                    sender_nonce: nonce,
                    recipient_rand_hash: recipient_rand_hash(&rand),
                    creation_round: u32::try_from(round).unwrap_or(u32::MAX),
                    creation_round_block_hash: block_hash,
                };
                let ds = self.validator().domain_separator();
                let signed = SignedTicket {
                    ticket,
                    recipient_rand: rand,
                    signature: Bytes::from(ticket.sign(&ds, signer).to_vec()),
                };
                if self.model.issued.len() >= MAX_POOL {
                    self.model.issued.remove(0);
                }
                self.model.issued.push(Issued {
                    packed: signed.pack().into(),
                    digest: ticket.digest(&ds),
                    sender: s.address,
                    recipient: o.address,
                    creation_round: round,
                    face: U256::from(face),
                });
                Ok(true)
            }
            Action::Redeem { pick } => {
                let Some(t) = self
                    .model
                    .issued
                    .get(usize::from(pick) % self.model.issued.len().max(1))
                    .cloned()
                else {
                    return Ok(false);
                };
                let validator = self.validator();
                let predicted = {
                    let view = ChainView::new(&mut self.chain, p);
                    validator.check_redemption_packed(&view, t.recipient, &t.packed)
                };
                let call = TicketBroker::redeemWinningTicketCall {
                    ticket: t.packed.clone(),
                };
                let actual = self.chain.send(t.recipient, p.broker, &call, U256::ZERO);
                self.counters.checks += 1;
                match (predicted, actual) {
                    (Ok(pay), Ok(r)) => {
                        let reserve_before = self
                            .model
                            .senders
                            .get(&t.sender)
                            .map(|f| f.reserve)
                            .unwrap_or_default();
                        self.absorb(&r.logs)?;
                        let reserve_after = self
                            .model
                            .senders
                            .get(&t.sender)
                            .map(|f| f.reserve)
                            .unwrap_or_default();
                        if reserve_before - reserve_after != pay.from_reserve {
                            return Err(violation(
                                "Rust validation = contract",
                                format!(
                                    "validation said {} from the reserve, the broker took {}",
                                    pay.from_reserve,
                                    reserve_before - reserve_after
                                ),
                                ForgeCheck::Note,
                            ));
                        }
                        Ok(true)
                    }
                    (Err(rej), Err(ChainError::Reverted(data)))
                        if data.as_ref() == rej.abi_encode().as_slice() =>
                    {
                        Ok(false)
                    }
                    (predicted, actual) => Err(violation(
                        "Rust validation = contract",
                        format!(
                            "ticket {} redeemed by {}: Rust says {:?}, the broker {}",
                            t.digest,
                            self.world.name_of(t.recipient),
                            predicted,
                            match &actual {
                                Ok(_) => "paid it".to_string(),
                                Err(e) => e.to_string(),
                            }
                        ),
                        if actual.is_ok() {
                            ForgeCheck::LastCallReverts
                        } else {
                            ForgeCheck::Note
                        },
                    )),
                }
            }
            Action::RedeemBatch { orch, pick, n } => {
                let o = self.orch(orch).address;
                let len = self.model.issued.len();
                if len == 0 {
                    return Ok(false);
                }
                let mut batch = Vec::new();
                for i in 0..usize::from(n.clamp(1, 6)) {
                    batch.extend_from_slice(
                        &self.model.issued[(usize::from(pick) + i * 7) % len].packed,
                    );
                }
                let call = TicketBroker::batchRedeemWinningTicketsCall {
                    tickets: batch.into(),
                };
                self.plain(o, p.broker, &call)
            }
            _ => Ok(false),
        }
    }
}

/// Most tickets kept in the pool redemptions pick from.
const MAX_POOL: usize = 48;
