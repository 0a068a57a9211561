//! The broadcaster role: it funds a deposit and reserve on the TicketBroker, cuts a video (a file
//! or a live RTMP/SRT push) into segments, finds staked orchestrators in the ServiceRegistry,
//! negotiates with them, pays each segment with tickets, checks what comes back, keeps the signed
//! receipts as evidence, and writes (and serves) the result as HLS.
//!
//! - [`chain`]: funds (fund, show, unlock, withdraw), the registry, stake and rounds.
//! - [`config`]: the settings file.
//! - [`segmenter`]: input (file, RTMP or SRT listen) cut into MPEG-TS segments at keyframes.
//! - [`discovery`]: registry, quotes in parallel, the ranking rule.
//! - [`payment`]: tickets per segment (expected value, nonces, signing).
//! - [`checks`]: cheap checks on every answer, the full metric check on a sample.
//! - [`store`]: receipts (JSON lines) and content-addressed evidence.
//! - [`hls`]: playlists written as segments arrive, and their HTTP server.
//! - [`session`]: the stream loop (redundancy, failover, errors, top-ups).
//! - [`cli`]: `streamflow-node broadcaster ...`.

pub mod chain;
pub mod checks;
pub mod cli;
pub mod config;
pub mod discovery;
pub mod hls;
pub mod payment;
pub mod segmenter;
pub mod session;
pub mod store;
