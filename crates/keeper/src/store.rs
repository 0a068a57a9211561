//! The keeper's durable state: one SQLite file in WAL mode with `synchronous = FULL`, so that a
//! committed transaction has been fsync'd before the call returns.
//!
//! Tables (inspect them with `sqlite3 keeper.db`):
//! - `tickets`: every winning ticket, with its state ([`TicketState`]), the reason of its last
//!   transition, the transaction that redeemed it or tried to, and the gas paid.
//! - `nonces`: `(recipientRandHash, senderNonce)` of every ticket accepted, winning or not: a replay of
//!   a nonce under the same random number is refused across restarts.
//! - `seeds`: the seed currently issued to each sender; `revealed`: random-number hashes whose
//!   random number went on chain (no ticket using them is accepted any more).
//! - `txs`: the redemption transactions the keeper signed, written before they are broadcast.
//! - `meta`: the HMAC secret the random numbers are derived from.

use alloy::primitives::{Address, B256, U256};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::path::Path;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("keeper database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A row holds something this version cannot read.
    #[error("keeper database holds an unreadable value in {0}")]
    Corrupt(&'static str),
}

/// The store's result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Where a winning ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketState {
    /// Stored durably, waiting for a redemption that pays off.
    Won,
    /// In a signed redemption transaction that is not final yet.
    Submitted,
    /// Used on chain (by this keeper or another instance with the same key): paid.
    Redeemed,
    /// Its validity period ended before it could be redeemed; `reason` says why.
    Expired,
    /// The chain refused it for good (e.g. the sender unlocked); `reason` holds the error.
    Failed,
}

impl TicketState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Won => "won",
            Self::Submitted => "submitted",
            Self::Redeemed => "redeemed",
            Self::Expired => "expired",
            Self::Failed => "failed",
        }
    }

    /// Every state, in life order.
    pub const ALL: [TicketState; 5] = [
        Self::Won,
        Self::Submitted,
        Self::Redeemed,
        Self::Expired,
        Self::Failed,
    ];

    /// Whether the ticket still needs the keeper (won or submitted).
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Won | Self::Submitted)
    }
}

impl FromStr for TicketState {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(StoreError::Corrupt("tickets.state"))
    }
}

/// A ticket accepted at intake, as written in one group-committed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeRecord {
    /// The ticket's digest (the broker's `ticketHash`).
    pub ticket_hash: B256,
    /// The sender.
    pub sender: Address,
    /// `recipientRandHash`.
    pub rand_hash: B256,
    /// `senderNonce`.
    pub sender_nonce: u32,
    /// The winning ticket to keep (packed, with the recipient's random number filled in); `None` for
    /// a losing ticket (only its nonce is kept).
    pub winner: Option<Winner>,
}

/// What is kept of a winning ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Winner {
    /// Face value in wei.
    pub face_value: u128,
    /// Its creation round.
    pub creation_round: u64,
    /// The first round in which the broker refuses it (`creationRound + ticketValidityPeriod`).
    pub expiry_round: u64,
    /// Whether paying it now would take from the reserve (redeemed first).
    pub from_reserve: bool,
    /// The packed ticket as redeemed (257 bytes).
    pub packed: Vec<u8>,
}

/// Why the store refused an intake record (nothing of it was written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Duplicate {
    /// The same ticket was accepted before.
    #[error("ticket {0} was already received")]
    Ticket(B256),
    /// Another ticket with this nonce under this random number was accepted before.
    #[error("sender nonce {nonce} was already used under recipientRandHash {rand_hash}")]
    Nonce {
        /// `recipientRandHash`.
        rand_hash: B256,
        /// The replayed nonce.
        nonce: u32,
    },
}

/// Why the store refused an intake record in [`Store::record_intake_within`] (nothing of it was
/// written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A replay.
    #[error(transparent)]
    Duplicate(#[from] Duplicate),
    /// A winner whose face value, added to the sender's pending winners (stored, and accepted
    /// earlier in the same group), would exceed what the sender's funds cover.
    #[error("the sender's funds cover {available} wei more")]
    OverLimit {
        /// Funds less the pending winners, before this ticket.
        available: U256,
    },
}

/// A stored winning ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTicket {
    /// The ticket's digest.
    pub ticket_hash: B256,
    /// The sender.
    pub sender: Address,
    /// `recipientRandHash`.
    pub rand_hash: B256,
    /// Face value in wei.
    pub face_value: u128,
    /// Creation round.
    pub creation_round: u64,
    /// First round the broker refuses it.
    pub expiry_round: u64,
    /// Whether it was to be paid (partly) from the reserve at intake.
    pub from_reserve: bool,
    /// The packed ticket.
    pub packed: Vec<u8>,
    /// Its state.
    pub state: TicketState,
    /// Why it is in that state (for expired and failed tickets, and retries).
    pub reason: Option<String>,
    /// The last transaction that carried it.
    pub tx_hash: Option<B256>,
    /// Gas attributed to it (its share of the transaction's gas).
    pub gas_used: Option<u64>,
    /// Wei of gas attributed to it.
    pub gas_cost: Option<u128>,
    /// Redemption transactions that carried it.
    pub attempts: u32,
}

/// A redemption transaction written before it is broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTx {
    /// Its hash.
    pub tx_hash: B256,
    /// The account nonce it uses.
    pub nonce: u64,
    /// `maxFeePerGas`.
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`.
    pub max_priority_fee_per_gas: u128,
    /// The signed, encoded transaction (rebroadcast after a restart).
    pub raw: Vec<u8>,
    /// The tickets it carries.
    pub tickets: Vec<B256>,
    /// Unix seconds it was signed.
    pub created_at: u64,
}

/// Counts per state, for `status` and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// `(state, count, sum of face values)`.
    pub by_state: Vec<(TicketState, u64, u128)>,
    /// `(sender, pending count, pending face value)`.
    pub pending_by_sender: Vec<(Address, u64, u128)>,
    /// Total gas spent on redemptions, in wei.
    pub gas_cost: u128,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS seeds (
    sender BLOB PRIMARY KEY, seed BLOB NOT NULL, rand_hash BLOB NOT NULL, issued_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS revealed (rand_hash BLOB PRIMARY KEY, revealed_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (
    rand_hash BLOB NOT NULL, nonce INTEGER NOT NULL, PRIMARY KEY (rand_hash, nonce)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tickets (
    hash BLOB PRIMARY KEY,
    sender BLOB NOT NULL,
    rand_hash BLOB NOT NULL,
    face_value TEXT NOT NULL,
    creation_round INTEGER NOT NULL,
    expiry_round INTEGER NOT NULL,
    from_reserve INTEGER NOT NULL,
    packed BLOB NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    tx_hash BLOB,
    gas_used INTEGER,
    gas_cost TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tickets_by_state ON tickets (state, expiry_round);
CREATE INDEX IF NOT EXISTS tickets_by_sender ON tickets (sender, state);
CREATE TABLE IF NOT EXISTS txs (
    hash BLOB PRIMARY KEY,
    nonce INTEGER NOT NULL,
    max_fee TEXT NOT NULL,
    priority_fee TEXT NOT NULL,
    raw BLOB NOT NULL,
    tickets BLOB NOT NULL,
    open INTEGER NOT NULL,
    created_at INTEGER NOT NULL);
";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn now_i64() -> i64 {
    i64::try_from(now()).unwrap_or(i64::MAX)
}

fn to_i64(x: u64) -> i64 {
    i64::try_from(x).unwrap_or(i64::MAX)
}

fn b256(v: Vec<u8>, what: &'static str) -> Result<B256> {
    B256::try_from(v.as_slice()).map_err(|_| StoreError::Corrupt(what))
}

fn addr(v: Vec<u8>, what: &'static str) -> Result<Address> {
    Address::try_from(v.as_slice()).map_err(|_| StoreError::Corrupt(what))
}

fn u128_of(s: &str, what: &'static str) -> Result<u128> {
    s.parse().map_err(|_| StoreError::Corrupt(what))
}

/// The keeper's database. One connection; callers serialize access (the keeper holds it behind a
/// mutex and group-commits intake).
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (or creates) the database at `path`: WAL journal, `synchronous = FULL` (every commit
    /// is fsync'd, including the WAL), foreign schema created if missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt("journal_mode (WAL refused)"));
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn })
    }

    /// The `synchronous` setting in force (2 = FULL), for tests and `status`.
    pub fn synchronous(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))?)
    }

    /// The 32-byte secret the recipient random numbers are derived from: read, or created from the
    /// OS's randomness and committed on first use.
    pub fn secret(&mut self) -> Result<[u8; 32]> {
        let tx = self.conn.transaction()?;
        let found: Option<Vec<u8>> = tx
            .query_row("SELECT value FROM meta WHERE key = 'secret'", [], |r| {
                r.get(0)
            })
            .optional()?;
        let secret = match found {
            Some(v) => <[u8; 32]>::try_from(v.as_slice())
                .map_err(|_| StoreError::Corrupt("meta.secret"))?,
            None => {
                let s: [u8; 32] = rand::random();
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('secret', ?1)",
                    params![s.as_slice()],
                )?;
                s
            }
        };
        tx.commit()?;
        Ok(secret)
    }

    /// The seed currently issued to `sender`, if any: `(seed, recipientRandHash)`.
    pub fn current_seed(&self, sender: Address) -> Result<Option<(B256, B256)>> {
        self.conn
            .query_row(
                "SELECT seed, rand_hash FROM seeds WHERE sender = ?1",
                params![sender.as_slice()],
                |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?)),
            )
            .optional()?
            .map(|(s, h)| Ok((b256(s, "seeds.seed")?, b256(h, "seeds.rand_hash")?)))
            .transpose()
    }

    /// Issues `seed` (whose random number hashes to `rand_hash`) to `sender`, replacing its seed.
    pub fn set_seed(&mut self, sender: Address, seed: B256, rand_hash: B256) -> Result<()> {
        self.conn.execute(
            "INSERT INTO seeds (sender, seed, rand_hash, issued_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (sender) DO UPDATE SET seed = ?2, rand_hash = ?3, issued_at = ?4",
            params![
                sender.as_slice(),
                seed.as_slice(),
                rand_hash.as_slice(),
                now_i64()
            ],
        )?;
        Ok(())
    }

    /// Whether the random number behind `rand_hash` has gone on chain.
    pub fn is_revealed(&self, rand_hash: &B256) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM revealed WHERE rand_hash = ?1",
                params![rand_hash.as_slice()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Whether a ticket with this digest was accepted.
    pub fn has_ticket(&self, ticket_hash: &B256) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM tickets WHERE hash = ?1",
                params![ticket_hash.as_slice()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Whether `nonce` was accepted under `rand_hash`.
    pub fn has_nonce(&self, rand_hash: &B256, nonce: u32) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM nonces WHERE rand_hash = ?1 AND nonce = ?2",
                params![rand_hash.as_slice(), nonce],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// How many `(recipientRandHash, nonce)` pairs are kept.
    pub fn nonce_count(&self) -> Result<usize> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM nonces", [], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Writes a group of intake records in one transaction (one fsync). Each record is checked
    /// against what is stored and what came before it in the group: a duplicate is refused and
    /// writes nothing; the others are written. The outer error means nothing was committed.
    pub fn record_intake(
        &mut self,
        records: &[IntakeRecord],
    ) -> Result<Vec<Result<(), Duplicate>>> {
        let tx = self.conn.transaction()?;
        let mut out = Vec::with_capacity(records.len());
        for r in records {
            out.push(Self::record_one(&tx, r)?);
        }
        tx.commit()?;
        Ok(out)
    }

    /// Writes a group of intake records in one transaction (one fsync), each winner checked against
    /// its sender's `limit` (deposit + remaining reserve allocation, `None` for no check) in the
    /// same transaction that records it: the sender's pending winners (stored, plus those accepted
    /// before it in this group) and the new one must fit. The check and the write are one step, so
    /// concurrent intakes can't together exceed the limit. The outer error means nothing was
    /// committed.
    pub fn record_intake_within(
        &mut self,
        records: &[(IntakeRecord, Option<U256>)],
    ) -> Result<Vec<Result<(), Refused>>> {
        let tx = self.conn.transaction()?;
        let mut pending = std::collections::HashMap::<Address, u128>::new();
        let mut out = Vec::with_capacity(records.len());
        for (r, limit) in records {
            if let (Some(w), Some(limit)) = (&r.winner, limit) {
                let replay = tx
                    .query_row(
                        "SELECT 1 FROM nonces WHERE rand_hash = ?1 AND nonce = ?2",
                        params![r.rand_hash.as_slice(), r.sender_nonce],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some();
                if !replay {
                    let owed = match pending.get(&r.sender) {
                        Some(v) => *v,
                        None => pending_of(&tx, r.sender)?,
                    };
                    let available = limit.saturating_sub(U256::from(owed));
                    if U256::from(w.face_value) > available {
                        pending.insert(r.sender, owed);
                        out.push(Err(Refused::OverLimit { available }));
                        continue;
                    }
                    let result = Self::record_one(&tx, r)?;
                    if result.is_ok() {
                        pending.insert(r.sender, owed.saturating_add(w.face_value));
                    }
                    out.push(result.map_err(Refused::from));
                    continue;
                }
            }
            out.push(Self::record_one(&tx, r)?.map_err(Refused::from));
        }
        tx.commit()?;
        Ok(out)
    }

    fn record_one(tx: &Transaction<'_>, r: &IntakeRecord) -> Result<Result<(), Duplicate>> {
        let n = tx.execute(
            "INSERT OR IGNORE INTO nonces (rand_hash, nonce) VALUES (?1, ?2)",
            params![r.rand_hash.as_slice(), r.sender_nonce],
        )?;
        if n == 0 {
            // The same ticket replayed is reported as such, another ticket as a nonce replay.
            let same = tx
                .query_row(
                    "SELECT 1 FROM tickets WHERE hash = ?1",
                    params![r.ticket_hash.as_slice()],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            return Ok(Err(if same {
                Duplicate::Ticket(r.ticket_hash)
            } else {
                Duplicate::Nonce {
                    rand_hash: r.rand_hash,
                    nonce: r.sender_nonce,
                }
            }));
        }
        if let Some(w) = &r.winner {
            let now = now_i64();
            tx.execute(
                "INSERT INTO tickets (hash, sender, rand_hash, face_value, creation_round,
                    expiry_round, from_reserve, packed, state, received_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'won', ?9, ?9)",
                params![
                    r.ticket_hash.as_slice(),
                    r.sender.as_slice(),
                    r.rand_hash.as_slice(),
                    w.face_value.to_string(),
                    to_i64(w.creation_round),
                    to_i64(w.expiry_round),
                    w.from_reserve,
                    w.packed,
                    now,
                ],
            )?;
        }
        Ok(Ok(()))
    }

    fn read_ticket(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawTicket> {
        Ok(RawTicket {
            hash: r.get(0)?,
            sender: r.get(1)?,
            rand_hash: r.get(2)?,
            face_value: r.get(3)?,
            creation_round: r.get(4)?,
            expiry_round: r.get(5)?,
            from_reserve: r.get(6)?,
            packed: r.get(7)?,
            state: r.get(8)?,
            reason: r.get(9)?,
            tx_hash: r.get(10)?,
            gas_used: r.get(11)?,
            gas_cost: r.get(12)?,
            attempts: r.get(13)?,
        })
    }

    const TICKET_COLUMNS: &'static str = "hash, sender, rand_hash, face_value, creation_round,
        expiry_round, from_reserve, packed, state, reason, tx_hash, gas_used, gas_cost, attempts";

    /// Tickets in `state`, soonest expiry first, reserve-paid first within an expiry round.
    pub fn tickets_in(&self, state: TicketState) -> Result<Vec<StoredTicket>> {
        let sql = format!(
            "SELECT {} FROM tickets WHERE state = ?1 ORDER BY expiry_round, from_reserve DESC, received_at",
            Self::TICKET_COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params![state.as_str()], Self::read_ticket)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(RawTicket::parse).collect()
    }

    /// One ticket by digest.
    pub fn ticket(&self, ticket_hash: &B256) -> Result<Option<StoredTicket>> {
        let sql = format!(
            "SELECT {} FROM tickets WHERE hash = ?1",
            Self::TICKET_COLUMNS
        );
        self.conn
            .query_row(&sql, params![ticket_hash.as_slice()], Self::read_ticket)
            .optional()?
            .map(RawTicket::parse)
            .transpose()
    }

    /// Every stored ticket (for tests and the crash checker).
    pub fn all_tickets(&self) -> Result<Vec<StoredTicket>> {
        let sql = format!(
            "SELECT {} FROM tickets ORDER BY received_at",
            Self::TICKET_COLUMNS
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map([], Self::read_ticket)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(RawTicket::parse).collect()
    }

    /// Senders the keeper serves or is owed by: those with an issued seed or a pending ticket.
    pub fn watched_senders(&self) -> Result<Vec<Address>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT sender FROM seeds UNION SELECT sender FROM tickets WHERE state IN ('won', 'submitted')",
        )?;
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(|a| addr(a, "sender")).collect()
    }

    /// Face value of `sender`'s won and submitted tickets: what its funds must still pay this keeper.
    pub fn pending_face_value(&self, sender: Address) -> Result<u128> {
        pending_of(&self.conn, sender)
    }

    /// Writes a signed redemption transaction and moves its tickets to `submitted`, in one commit,
    /// before the transaction is broadcast; marks their random numbers revealed (the caller rotates
    /// the seeds). A crash after this leaves a record to reconcile, never a transaction unknown here.
    pub fn record_submission(&mut self, t: &StoredTx, rand_hashes: &[B256]) -> Result<()> {
        let tx = self.conn.transaction()?;
        let mut tickets = Vec::with_capacity(32 * t.tickets.len());
        for h in &t.tickets {
            tickets.extend_from_slice(h.as_slice());
        }
        tx.execute(
            "INSERT INTO txs (hash, nonce, max_fee, priority_fee, raw, tickets, open, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7)",
            params![
                t.tx_hash.as_slice(),
                to_i64(t.nonce),
                t.max_fee_per_gas.to_string(),
                t.max_priority_fee_per_gas.to_string(),
                t.raw,
                tickets,
                to_i64(t.created_at),
            ],
        )?;
        let now = now_i64();
        for h in &t.tickets {
            tx.execute(
                "UPDATE tickets SET state = 'submitted', tx_hash = ?2, attempts = attempts + 1,
                    updated_at = ?3 WHERE hash = ?1 AND state IN ('won', 'submitted')",
                params![h.as_slice(), t.tx_hash.as_slice(), now],
            )?;
        }
        for r in rand_hashes {
            tx.execute(
                "INSERT OR IGNORE INTO revealed (rand_hash, revealed_at) VALUES (?1, ?2)",
                params![r.as_slice(), now],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Redemption transactions not settled yet, oldest nonce first.
    pub fn open_txs(&self) -> Result<Vec<StoredTx>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT hash, nonce, max_fee, priority_fee, raw, tickets, created_at FROM txs
             WHERE open = 1 ORDER BY nonce, created_at",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, Vec<u8>>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(h, n, mf, pf, raw, tk, at)| {
                Ok(StoredTx {
                    tx_hash: b256(h, "txs.hash")?,
                    nonce: u64::try_from(n).map_err(|_| StoreError::Corrupt("txs.nonce"))?,
                    max_fee_per_gas: u128_of(&mf, "txs.max_fee")?,
                    max_priority_fee_per_gas: u128_of(&pf, "txs.priority_fee")?,
                    raw,
                    tickets: tk.chunks_exact(32).map(B256::from_slice).collect(),
                    created_at: u64::try_from(at).unwrap_or(0),
                })
            })
            .collect()
    }

    /// Closes a transaction record (mined, replaced or dropped): it is no longer watched.
    pub fn close_tx(&mut self, tx_hash: &B256) -> Result<()> {
        self.conn.execute(
            "UPDATE txs SET open = 0 WHERE hash = ?1",
            params![tx_hash.as_slice()],
        )?;
        Ok(())
    }

    /// Moves a ticket to a final state or back to `won`, with the reason, the transaction and its
    /// gas share. A final state is never left.
    pub fn settle(
        &mut self,
        ticket_hash: &B256,
        state: TicketState,
        reason: Option<&str>,
        tx_hash: Option<&B256>,
        gas: Option<(u64, u128)>,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE tickets SET state = ?2, reason = ?3, tx_hash = COALESCE(?4, tx_hash),
                gas_used = COALESCE(?5, gas_used), gas_cost = COALESCE(?6, gas_cost), updated_at = ?7
             WHERE hash = ?1 AND state IN ('won', 'submitted')",
            params![
                ticket_hash.as_slice(),
                state.as_str(),
                reason,
                tx_hash.map(|h| h.as_slice().to_vec()),
                gas.map(|g| to_i64(g.0)),
                gas.map(|g| g.1.to_string()),
                now_i64(),
            ],
        )?;
        Ok(n == 1)
    }

    /// Records why a waiting ticket waits (kept as the reason if it expires).
    pub fn set_wait_reason(&mut self, ticket_hash: &B256, reason: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE tickets SET reason = ?2 WHERE hash = ?1 AND state = 'won' AND reason IS NOT ?2",
            params![ticket_hash.as_slice(), reason],
        )?;
        Ok(())
    }

    /// Copies the database to `path` (a consistent snapshot, WAL included).
    pub fn backup_to(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref().to_string_lossy().replace('\'', "''");
        self.conn.execute_batch(&format!("VACUUM INTO '{path}'"))?;
        Ok(())
    }

    /// Counts and sums per state, pending face value per sender, and the gas spent.
    pub fn summary(&self) -> Result<Summary> {
        let mut s = Summary::default();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, face_value, sender, gas_cost FROM tickets")?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut by_state: std::collections::BTreeMap<&'static str, (TicketState, u64, u128)> =
            Default::default();
        let mut by_sender: std::collections::BTreeMap<Address, (u64, u128)> = Default::default();
        for (state, face, sender, gas) in rows {
            let state: TicketState = state.parse()?;
            let face = u128_of(&face, "tickets.face_value")?;
            let e = by_state.entry(state.as_str()).or_insert((state, 0, 0));
            e.1 += 1;
            e.2 = e.2.saturating_add(face);
            if state.is_pending() {
                let e = by_sender
                    .entry(addr(sender, "tickets.sender")?)
                    .or_default();
                e.0 += 1;
                e.1 = e.1.saturating_add(face);
            }
            if let Some(g) = gas {
                s.gas_cost = s.gas_cost.saturating_add(u128_of(&g, "tickets.gas_cost")?);
            }
        }
        for st in TicketState::ALL {
            let (st, n, v) = by_state.get(st.as_str()).copied().unwrap_or((st, 0, 0));
            s.by_state.push((st, n, v));
        }
        s.pending_by_sender = by_sender.into_iter().map(|(a, (n, v))| (a, n, v)).collect();
        Ok(s)
    }
}

struct RawTicket {
    hash: Vec<u8>,
    sender: Vec<u8>,
    rand_hash: Vec<u8>,
    face_value: String,
    creation_round: i64,
    expiry_round: i64,
    from_reserve: bool,
    packed: Vec<u8>,
    state: String,
    reason: Option<String>,
    tx_hash: Option<Vec<u8>>,
    gas_used: Option<i64>,
    gas_cost: Option<String>,
    attempts: i64,
}

impl RawTicket {
    fn parse(self) -> Result<StoredTicket> {
        Ok(StoredTicket {
            ticket_hash: b256(self.hash, "tickets.hash")?,
            sender: addr(self.sender, "tickets.sender")?,
            rand_hash: b256(self.rand_hash, "tickets.rand_hash")?,
            face_value: u128_of(&self.face_value, "tickets.face_value")?,
            creation_round: u64::try_from(self.creation_round)
                .map_err(|_| StoreError::Corrupt("tickets.creation_round"))?,
            expiry_round: u64::try_from(self.expiry_round)
                .map_err(|_| StoreError::Corrupt("tickets.expiry_round"))?,
            from_reserve: self.from_reserve,
            packed: self.packed,
            state: self.state.parse()?,
            reason: self.reason,
            tx_hash: self
                .tx_hash
                .map(|h| b256(h, "tickets.tx_hash"))
                .transpose()?,
            gas_used: self.gas_used.and_then(|g| u64::try_from(g).ok()),
            gas_cost: self
                .gas_cost
                .map(|g| u128_of(&g, "tickets.gas_cost"))
                .transpose()?,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
        })
    }
}

/// Face value of `sender`'s won and submitted tickets, as `conn` (or a transaction on it) sees them.
fn pending_of(conn: &Connection, sender: Address) -> Result<u128> {
    let mut stmt = conn.prepare_cached(
        "SELECT face_value FROM tickets WHERE sender = ?1 AND state IN ('won', 'submitted')",
    )?;
    let mut total = 0u128;
    for v in stmt.query_map(params![sender.as_slice()], |r| r.get::<_, String>(0))? {
        total = total.saturating_add(u128_of(&v?, "tickets.face_value")?);
    }
    Ok(total)
}

/// Parses a U256 stored as decimal text (helper for callers keeping wei sums).
pub fn parse_wei(s: &str) -> Option<U256> {
    U256::from_str(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(i: u8, nonce: u32, win: bool) -> IntakeRecord {
        IntakeRecord {
            ticket_hash: B256::repeat_byte(i),
            sender: Address::repeat_byte(1),
            rand_hash: B256::repeat_byte(0xAA),
            sender_nonce: nonce,
            winner: win.then(|| Winner {
                face_value: 1_000 + u128::from(i),
                creation_round: 5,
                expiry_round: 7,
                from_reserve: i.is_multiple_of(2),
                packed: vec![i; 257],
            }),
        }
    }

    #[test]
    fn wal_and_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path().join("k.db")).unwrap();
        assert_eq!(s.synchronous().unwrap(), 2);
        let mode: String = s
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn intake_survives_reopen_and_refuses_replays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        {
            let mut s = Store::open(&path).unwrap();
            let out = s
                .record_intake(&[rec(1, 1, true), rec(2, 2, false), rec(3, 2, true)])
                .unwrap();
            assert_eq!(out[0], Ok(()));
            assert_eq!(out[1], Ok(()));
            assert_eq!(
                out[2],
                Err(Duplicate::Nonce {
                    rand_hash: B256::repeat_byte(0xAA),
                    nonce: 2
                })
            );
        }
        let mut s = Store::open(&path).unwrap();
        assert_eq!(
            s.record_intake(&[rec(1, 1, true)]).unwrap()[0],
            Err(Duplicate::Ticket(B256::repeat_byte(1)))
        );
        assert_eq!(
            s.record_intake(&[rec(4, 2, true)]).unwrap()[0],
            Err(Duplicate::Nonce {
                rand_hash: B256::repeat_byte(0xAA),
                nonce: 2
            })
        );
        let all = s.all_tickets().unwrap();
        assert_eq!(all.len(), 1, "the refused winner wrote nothing");
        assert_eq!(all[0].state, TicketState::Won);
        assert_eq!(all[0].face_value, 1_001);
        assert_eq!(
            s.pending_face_value(Address::repeat_byte(1)).unwrap(),
            1_001
        );
    }

    #[test]
    fn submission_then_settlement_is_final() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path().join("k.db")).unwrap();
        s.record_intake(&[rec(1, 1, true), rec(2, 2, true)])
            .unwrap();
        let t = StoredTx {
            tx_hash: B256::repeat_byte(9),
            nonce: 3,
            max_fee_per_gas: 10,
            max_priority_fee_per_gas: 1,
            raw: vec![1, 2],
            tickets: vec![B256::repeat_byte(1), B256::repeat_byte(2)],
            created_at: 5,
        };
        s.record_submission(&t, &[B256::repeat_byte(0xAA)]).unwrap();
        assert!(s.is_revealed(&B256::repeat_byte(0xAA)).unwrap());
        assert_eq!(s.open_txs().unwrap(), vec![t.clone()]);
        assert_eq!(s.tickets_in(TicketState::Submitted).unwrap().len(), 2);
        assert!(
            s.settle(
                &B256::repeat_byte(1),
                TicketState::Redeemed,
                Some("used on chain"),
                Some(&t.tx_hash),
                Some((50_000, 500_000))
            )
            .unwrap()
        );
        // A final state is never left.
        assert!(
            !s.settle(&B256::repeat_byte(1), TicketState::Won, None, None, None)
                .unwrap()
        );
        s.close_tx(&t.tx_hash).unwrap();
        assert!(s.open_txs().unwrap().is_empty());
        let sum = s.summary().unwrap();
        assert_eq!(sum.gas_cost, 500_000);
        assert_eq!(sum.by_state[2], (TicketState::Redeemed, 1, 1_001));
        assert_eq!(
            sum.pending_by_sender,
            vec![(Address::repeat_byte(1), 1, 1_002)]
        );
    }

    #[test]
    fn secret_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.db");
        let a = Store::open(&path).unwrap().secret().unwrap();
        let b = Store::open(&path).unwrap().secret().unwrap();
        assert_eq!(a, b);
        assert_ne!(a, [0u8; 32]);
    }
}
