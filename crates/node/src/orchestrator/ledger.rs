//! Per-sender balances: expected value received minus the price of work done.
//!
//! The rule (also in `docs/orchestrator.md`):
//! - every accepted ticket credits its expected value, `faceValue × winProb / 2²⁵⁶` rounded to the
//!   nearest wei, whether it wins or not;
//! - before a segment's body is read, its worst-case price (the price of its worst-case pixels, see
//!   [`worst_case_pixels`](super::worst_case_pixels)) is *held*: the segment is refused with
//!   `InsufficientPayment` unless `credit − held ≥ worst case`, where `credit` already includes the
//!   segment's own tickets and `held` is what the sender's other segments in flight hold;
//! - once transcoded, the hold is released and the price of the **actual** pixels is charged; a
//!   segment refused or failed after the hold is charged nothing.
//!
//! Credit left over pays for the sender's next segments. A ledger opened with [`Ledger::open`]
//! writes every change of a sender's credit to the node's database (`node.db`, see
//! [`super::state`]) before the call returns, and reads them back at start: a restart keeps credit
//! and debt alike. Holds are not written: a segment in flight when the process dies was never
//! charged, and its hold goes with the process.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, params};

use alloy::primitives::{Address, I256, U256, U512};

/// `faceValue × winProb / 2²⁵⁶`, rounded to the nearest wei: a ticket's expected value.
pub fn expected_value(face_value: u128, win_prob: U256) -> U256 {
    let product = U512::from(face_value) * U512::from(win_prob);
    let half = U512::from(1u8) << 255;
    let ev: U512 = (product + half) >> 256;
    // face_value < 2^128 and win_prob < 2^256: the quotient is below 2^128.
    U256::from_limbs_slice(&ev.as_limbs()[..4])
}

fn signed(x: U256) -> I256 {
    I256::try_from(x).unwrap_or(I256::MAX)
}

#[derive(Debug, Default, Clone, Copy)]
struct Account {
    credit: I256,
    held: U256,
}

#[derive(Debug, Default)]
struct Books {
    accounts: HashMap<Address, Account>,
    /// Where credits are persisted (none: in memory only).
    db: Option<Connection>,
}

/// The balances of every sender this orchestrator serves.
#[derive(Debug, Default, Clone)]
pub struct Ledger {
    books: Arc<Mutex<Books>>,
}

/// The ledger's database failed.
#[derive(Debug, thiserror::Error)]
#[error("ledger database: {0}")]
pub struct LedgerError(#[from] rusqlite::Error);

/// A sender's balance could not cover a segment's worst case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "credit {credit} wei, {held} wei held by segments in flight, this segment needs up to {needed} wei"
)]
pub struct Shortfall {
    /// The sender's credit (tickets' expected value − work charged).
    pub credit: I256,
    /// Held by the sender's other segments in flight.
    pub held: U256,
    /// This segment's worst-case price.
    pub needed: U256,
}

/// A worst-case price held for one segment; released (charging nothing) when dropped unless
/// [`Hold::settle`]d.
#[derive(Debug)]
pub struct Hold {
    ledger: Ledger,
    sender: Address,
    amount: U256,
    done: bool,
}

impl Ledger {
    /// A ledger whose credits are kept in the `balances` table of the SQLite database at `path`
    /// (created if missing), with the balances saved there before.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let conn = super::state::open_db(path)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS balances (
                sender BLOB PRIMARY KEY, credit TEXT NOT NULL, updated_at INTEGER NOT NULL);",
        )?;
        let mut accounts = HashMap::new();
        {
            let mut stmt = conn.prepare("SELECT sender, credit FROM balances")?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (sender, credit) in rows {
                let (Ok(sender), Ok(credit)) =
                    (Address::try_from(sender.as_slice()), credit.parse::<I256>())
                else {
                    return Err(LedgerError(rusqlite::Error::InvalidColumnType(
                        0,
                        "balances row".into(),
                        rusqlite::types::Type::Blob,
                    )));
                };
                accounts.insert(
                    sender,
                    Account {
                        credit,
                        held: U256::ZERO,
                    },
                );
            }
        }
        Ok(Self {
            books: Arc::new(Mutex::new(Books {
                accounts,
                db: Some(conn),
            })),
        })
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<Address, Account>) -> R) -> R {
        let mut guard = self.books.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard.accounts)
    }

    /// Changes `sender`'s credit with `f` and writes the new credit to the database (if any)
    /// before returning it. A failed write is logged: the change stays in memory.
    fn change(&self, sender: Address, f: impl FnOnce(&mut Account)) -> I256 {
        let mut guard = self.books.lock().unwrap_or_else(|p| p.into_inner());
        let books = &mut *guard;
        let acc = books.accounts.entry(sender).or_default();
        let before = acc.credit;
        f(acc);
        let credit = acc.credit;
        if credit != before
            && let Some(db) = &books.db
            && let Err(e) = db.execute(
                "INSERT INTO balances (sender, credit, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (sender) DO UPDATE SET credit = ?2, updated_at = ?3",
                params![
                    sender.as_slice(),
                    credit.to_string(),
                    super::state::unix_now()
                ],
            )
        {
            tracing::error!(target: "orchestrator::ledger", %sender, %credit, error = %e, "balance not saved: a restart would lose this change");
        }
        credit
    }

    /// Credits `amount` (the expected value of an accepted ticket) to `sender`.
    pub fn credit(&self, sender: Address, amount: U256) {
        self.change(sender, |acc| {
            acc.credit = acc.credit.saturating_add(signed(amount));
        });
    }

    /// `sender`'s credit (negative when it owes).
    pub fn balance(&self, sender: Address) -> I256 {
        self.with(|a| a.get(&sender).map(|x| x.credit).unwrap_or_default())
    }

    /// Holds `needed` of `sender`'s credit for a segment, or says why it can't.
    pub fn hold(&self, sender: Address, needed: U256) -> Result<Hold, Shortfall> {
        self.with(|a| {
            let acc = a.entry(sender).or_default();
            let free = acc.credit.saturating_sub(signed(acc.held));
            if free < signed(needed) {
                return Err(Shortfall {
                    credit: acc.credit,
                    held: acc.held,
                    needed,
                });
            }
            acc.held = acc.held.saturating_add(needed);
            Ok(())
        })?;
        Ok(Hold {
            ledger: self.clone(),
            sender,
            amount: needed,
            done: false,
        })
    }

    fn release(&self, sender: Address, held: U256, charge: U256) -> I256 {
        self.change(sender, |acc| {
            acc.held = acc.held.saturating_sub(held);
            acc.credit = acc.credit.saturating_sub(signed(charge));
        })
    }
}

impl Hold {
    /// Releases the hold and charges `charge` (the actual work); returns the credit left.
    pub fn settle(mut self, charge: U256) -> I256 {
        self.done = true;
        self.ledger.release(self.sender, self.amount, charge)
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if !self.done {
            self.ledger.release(self.sender, self.amount, U256::ZERO);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamflow_protocol::pricing::{MAX_WIN_PROB, ticket_terms};

    #[test]
    fn expected_value_inverts_the_pricing() {
        for (ev, cost, mult) in [
            (1_000_000_000_000u64, 140_000u64 * 2_000_000_000, 100u64),
            (1, 1, 1),
            (7, 1_000, 3),
            (999_999, 17, 1),
        ] {
            let t = ticket_terms(U256::from(ev), U256::from(cost), mult, U256::MAX).expect("terms");
            assert_eq!(expected_value(t.face_value, t.win_prob), U256::from(ev));
        }
        assert_eq!(expected_value(5, MAX_WIN_PROB), U256::from(5u8));
        assert_eq!(expected_value(u128::MAX, U256::ZERO), U256::ZERO);
        assert_eq!(
            expected_value(u128::MAX, MAX_WIN_PROB),
            U256::from(u128::MAX)
        );
    }

    #[test]
    fn holds_cover_segments_in_flight_and_charge_actual_work() {
        let l = Ledger::default();
        let s = Address::repeat_byte(1);
        l.credit(s, U256::from(100u8));
        let a = l.hold(s, U256::from(60u8)).expect("first hold");
        // 40 free: a second segment needing 60 is refused while the first is in flight.
        let err = l.hold(s, U256::from(60u8)).expect_err("over");
        assert_eq!(err.held, U256::from(60u8));
        assert_eq!(
            a.settle(U256::from(25u8)),
            I256::try_from(75).expect("i256")
        );
        // The hold is gone, the actual price charged.
        let b = l.hold(s, U256::from(75u8)).expect("fits now");
        drop(b); // refused or failed later: nothing charged
        assert_eq!(l.balance(s), I256::try_from(75).expect("i256"));
        assert!(l.hold(s, U256::from(76u8)).is_err());
    }

    #[test]
    fn an_opened_ledger_keeps_credit_and_debt_across_a_reopen() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("node.db");
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        {
            let l = Ledger::open(&path).expect("open");
            l.credit(a, U256::from(100u8));
            l.hold(a, U256::from(60u8))
                .expect("hold")
                .settle(U256::from(25u8));
            l.credit(b, U256::from(5u8));
            l.hold(b, U256::ZERO).expect("hold").settle(U256::from(8u8));
            // In flight when the process dies: never charged.
            std::mem::forget(l.hold(a, U256::from(70u8)).expect("hold"));
        }
        let l = Ledger::open(&path).expect("reopen");
        assert_eq!(l.balance(a), I256::try_from(75).expect("i256"));
        assert_eq!(l.balance(b), I256::try_from(-3).expect("i256"));
        // The hold of the segment lost with the process is gone too.
        assert!(l.hold(a, U256::from(75u8)).is_ok());
    }

    #[test]
    fn a_charge_above_the_hold_leaves_a_debt() {
        let l = Ledger::default();
        let s = Address::repeat_byte(2);
        l.credit(s, U256::from(10u8));
        let h = l.hold(s, U256::from(10u8)).expect("hold");
        assert_eq!(
            h.settle(U256::from(13u8)),
            I256::try_from(-3).expect("i256")
        );
        assert!(l.hold(s, U256::ZERO).is_err());
    }
}
