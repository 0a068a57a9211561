//! Worker bans that survive a restart: the secret of a worker caught returning bad output is kept
//! (as its keccak-256 hash, never the secret itself) in a SQLite table, WAL journal and
//! `synchronous = FULL` like the keeper's database, and refused again when the pool reopens it.
//! Giving the worker a new secret (a new credential) is how an operator lifts a ban.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use alloy::primitives::{B256, keccak256};
use rusqlite::{Connection, params};

use super::PoolError;

/// The hash a ban is stored under.
pub(crate) fn secret_hash(secret: &str) -> B256 {
    keccak256(secret.as_bytes())
}

/// The table of banned worker secrets.
#[derive(Debug)]
pub(crate) struct BanDb {
    conn: Mutex<Connection>,
}

fn db_err(e: rusqlite::Error) -> PoolError {
    PoolError::Config(format!("ban database: {e}"))
}

impl BanDb {
    /// Opens (or creates) the table in the database at `path`.
    pub(crate) fn open(path: &Path) -> Result<Self, PoolError> {
        let conn = crate::orchestrator::state::open_db(path).map_err(db_err)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS banned_workers (
                secret_hash BLOB PRIMARY KEY, name TEXT NOT NULL, reason TEXT NOT NULL,
                banned_at INTEGER NOT NULL);",
        )
        .map_err(db_err)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Every banned secret's hash.
    pub(crate) fn banned(&self) -> Result<HashSet<B256>, PoolError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let mut stmt = conn
            .prepare("SELECT secret_hash FROM banned_workers")
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .map_err(db_err)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(db_err)?;
        Ok(rows
            .iter()
            .filter(|h| h.len() == 32)
            .map(|h| B256::from_slice(h))
            .collect())
    }

    /// Records a ban (durable when this returns).
    pub(crate) fn ban(&self, hash: B256, name: &str, reason: &str) -> Result<(), PoolError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.execute(
            "INSERT OR IGNORE INTO banned_workers (secret_hash, name, reason, banned_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                hash.as_slice(),
                name,
                reason,
                crate::orchestrator::state::unix_now()
            ],
        )
        .map_err(db_err)?;
        Ok(())
    }
}
