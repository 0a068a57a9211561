//! The node's own database, `node.db` in the data folder next to the keeper's `keeper.db`: the
//! per-sender balances of the [`Ledger`](super::ledger::Ledger) and the pool's worker bans. Opened
//! like the keeper's: WAL journal, `synchronous = FULL` (every commit fsync'd), so that what a
//! write returned from survives a crash or `kill -9`.

use std::path::Path;

use rusqlite::Connection;

/// Opens (or creates) the SQLite database at `path` with the keeper's durability settings.
pub fn open_db(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "journal_mode WAL refused ({mode})"
        )));
    }
    conn.execute_batch("PRAGMA synchronous = FULL;")?;
    Ok(conn)
}

/// Unix seconds now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
