//! What the demo did, and its summary for a person.

use alloy::primitives::utils::format_ether;
use alloy::primitives::{Address, U256};

use std::io::Write;
use std::path::PathBuf;
use streamflow_node::challenge::Status;

/// One orchestrator as the demo set it up and as the chain saw it.
#[derive(Debug, Clone)]
pub struct OrchestratorReport {
    /// Its name in the demo (`orch-a`, …).
    pub name: String,
    /// Its account.
    pub address: Address,
    /// Its service URI.
    pub uri: String,
    /// How its pool transcodes.
    pub pool: String,
    /// Whether its worker tampers.
    pub dishonest: bool,
    /// Segments of the output it did (from the broadcaster's summary).
    pub segments: u64,
    /// Tickets the broadcaster sent it.
    pub tickets_sent: u64,
    /// Winning tickets among them (as the orchestrator reported them).
    pub tickets_won: u64,
    /// Winning tickets redeemed on chain (`TicketRedeemed`).
    pub tickets_redeemed: u64,
    /// Wei paid to it by redeemed tickets (their face values, credited as fees in the
    /// BondingManager).
    pub paid_wei: U256,
    /// Wei its account spent on gas (registration, rewards, redemptions).
    pub gas_wei: U256,
    /// LPT (wei) slashed from its stake.
    pub slashed_lpt: U256,
    /// Its bonded stake at the end (LPT wei).
    pub stake_after: U256,
}

/// The challenge the broadcaster opened against a fault it caught (from its summary).
#[derive(Debug, Clone)]
pub struct ChallengeReport {
    /// The FaultVerifier's challenge id.
    pub challenge_id: U256,
    /// Who opened it (the broadcaster's account).
    pub challenger: Address,
    /// The orchestrator challenged.
    pub orchestrator: Address,
    /// The segment.
    pub seq_no: u64,
    /// Which check caught it (see [`caught_by`]).
    pub caught_by: String,
    /// Why the broadcaster's check failed it.
    pub reasons: Vec<String>,
    /// How it ended.
    pub status: Status,
    /// LPT (wei) slashed.
    pub slashed: U256,
    /// The challenger's finder fee (LPT wei).
    pub finder_fee: U256,
    /// Bond posted (wei) and refunded.
    pub bond: U256,
    /// Bond refunded.
    pub bond_refunded: U256,
    /// Wei the broadcaster withdrew from the FaultVerifier afterwards.
    pub collected: U256,
    /// Why it was not followed to a verdict, if it was not.
    pub error: Option<String>,
    /// Seconds from the challenge seen opened to the broadcaster's summary (it prints it once its
    /// challenges are settled and collected).
    pub secs: f64,
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct Report {
    /// Segments read from the clip.
    pub segments_in: u64,
    /// Segments in the output.
    pub segments_out: u64,
    /// Renditions in the output.
    pub renditions: u64,
    /// Pixels in the output.
    pub pixels: u64,
    /// Seconds of media and wall seconds of the stream.
    pub media_secs: f64,
    /// Wall seconds of the stream.
    pub stream_secs: f64,
    /// Segments checked in full by the broadcaster.
    pub sampled: u64,
    /// Faults it found.
    pub faults: u64,
    /// Segments that needed another orchestrator.
    pub failovers: u64,
    /// Tickets sent, won and redeemed, over all orchestrators.
    pub tickets_sent: u64,
    /// Won.
    pub tickets_won: u64,
    /// Redeemed.
    pub tickets_redeemed: u64,
    /// Per orchestrator.
    pub orchestrators: Vec<OrchestratorReport>,
    /// The challenge, if a fault was caught.
    pub challenge: Option<ChallengeReport>,
    /// The HLS folder.
    pub hls_dir: PathBuf,
    /// The master playlist.
    pub master_playlist: PathBuf,
    /// The URL it was served at while the stream ran (and after it, with
    /// [`crate::Options::keep_running`]).
    pub url: Option<String>,
    /// Streams of the clip it took to catch the cheater (the output is the last one's).
    pub passes: u32,
    /// Verification samples the committee members ran (one per member per challenge).
    pub committee_size: usize,
    /// Wall seconds of the whole demo.
    pub total_secs: f64,
}

impl Report {
    /// Writes the summary for a person.
    pub fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        let eth = |w: &U256| short_units(*w);
        let lpt = |w: &U256| short_units(*w);
        writeln!(out)?;
        writeln!(out, "Summary")?;
        writeln!(
            out,
            "  stream       {} segments in, {} out, {} renditions, {:.1} Mpixels; {:.1} s of video in {:.1} s",
            self.segments_in,
            self.segments_out,
            self.renditions,
            self.pixels as f64 / 1e6,
            self.media_secs,
            self.stream_secs
        )?;
        writeln!(
            out,
            "  checks       every segment cheap-checked; {} checked in full (sampled); {} fault(s); {} failover(s)",
            self.sampled, self.faults, self.failovers
        )?;
        writeln!(
            out,
            "  tickets      {} sent, {} won, {} redeemed on chain",
            self.tickets_sent, self.tickets_won, self.tickets_redeemed
        )?;
        writeln!(out, "  orchestrators")?;
        for o in &self.orchestrators {
            writeln!(
                out,
                "    {} {} {}{}",
                o.name,
                o.address,
                o.pool,
                if o.dishonest { "  [DISHONEST]" } else { "" }
            )?;
            writeln!(
                out,
                "      {} segments, tickets {} sent / {} won / {} redeemed, paid {} ETH, gas {} ETH, stake {} LPT{}",
                o.segments,
                o.tickets_sent,
                o.tickets_won,
                o.tickets_redeemed,
                eth(&o.paid_wei),
                eth(&o.gas_wei),
                lpt(&o.stake_after),
                if o.slashed_lpt.is_zero() {
                    String::new()
                } else {
                    format!(" (slashed {} LPT)", lpt(&o.slashed_lpt))
                }
            )?;
        }
        match &self.challenge {
            Some(c) => {
                let who = self
                    .orchestrators
                    .iter()
                    .find(|o| o.address == c.orchestrator)
                    .map_or_else(|| c.orchestrator.to_string(), |o| o.name.clone());
                writeln!(
                    out,
                    "  challenge    #{} opened by the broadcaster {} against {who} (segment {})",
                    c.challenge_id, c.challenger, c.seq_no
                )?;
                writeln!(
                    out,
                    "               caught by {}: {}",
                    c.caught_by,
                    c.reasons.join("; ")
                )?;
                writeln!(
                    out,
                    "               verdict {:?} by the committee ({} members, threshold 2) in {:.0} s: slashed {} LPT, challenger's reward {} LPT, bond {} ETH back of {} (collected {} ETH){}",
                    c.status,
                    self.committee_size,
                    c.secs,
                    lpt(&c.slashed),
                    lpt(&c.finder_fee),
                    eth(&c.bond_refunded),
                    eth(&c.bond),
                    eth(&c.collected),
                    c.error
                        .as_deref()
                        .map(|e| format!("; {e}"))
                        .unwrap_or_default()
                )?;
            }
            None => writeln!(out, "  challenge    none (no fault caught)")?,
        }
        if self.passes > 1 {
            writeln!(
                out,
                "  passes       {} streams of the clip before the cheater was caught (the output is the last one)",
                self.passes
            )?;
        }
        writeln!(out, "  output       {}", self.master_playlist.display())?;
        writeln!(
            out,
            "               play it: ffplay {}   (or any HLS player; served at {}/index.m3u8 while the stream ran)",
            self.master_playlist.display(),
            self.url.as_deref().unwrap_or("-")
        )?;
        writeln!(out, "  total        {:.0} s", self.total_secs)?;
        Ok(())
    }
}

/// An 18-decimal amount without its trailing zeros (`0.1`, `100`).
pub(crate) fn short_units(w: U256) -> String {
    let s = format_ether(w);
    match s.split_once('.') {
        Some((int, frac)) if frac.trim_end_matches('0').is_empty() => int.to_owned(),
        Some((int, frac)) => format!("{int}.{}", frac.trim_end_matches('0')),
        None => s,
    }
}

/// Which of the broadcaster's checks a fault's reasons come from: the probe-level checks every
/// segment gets, or the full check (decode, exact pixels, comparison with the source) that only
/// sampled segments get.
pub fn caught_by(sampled: bool, reasons: &[String]) -> &'static str {
    // Phrases of the receipt and probe checks (streamflow-node's broadcaster::checks and the
    // transcoder's probe stage).
    const CHEAP: [&str; 15] = [
        "receipt",
        "renditions returned",
        "differs from what",
        "is not profile",
        "codec ",
        "wrong resolution",
        "claimed resolution",
        "frame rate",
        "dropped frames",
        "duplicated frames",
        "duration ",
        "claimed ",
        "IDR",
        "unreadable",
        "must be skipped",
    ];
    let cheap = reasons.iter().any(|r| CHEAP.iter().any(|c| r.contains(c)));
    if sampled && !cheap {
        "the full check (segment drawn for the sample)"
    } else {
        "the cheap checks (every segment)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_that_caught_a_fault_is_named_from_its_reasons() {
        let quality = vec![
            "240p: luma PSNR 25.78 below 27.06".to_owned(),
            "240p: keeps 0.00 of the source's detail above half resolution (floor 0.13; made at a lower resolution and upscaled?)".to_owned(),
        ];
        assert!(caught_by(true, &quality).contains("full check"));
        // Not drawn for the sample: whatever failed it was a cheap check.
        assert!(caught_by(false, &quality).contains("cheap"));
        let frames = vec![
            "240p: dropped frames: 39 frames, expected 60".to_owned(),
            "240p: claimed 6134400 pixels, the file implies 3987360".to_owned(),
        ];
        assert!(caught_by(true, &frames).contains("cheap"));
        assert!(
            caught_by(true, &["receipt seqNo is not the one asked".to_owned()]).contains("cheap")
        );
    }

    #[test]
    fn amounts_are_printed_without_trailing_zeros() {
        let e = U256::from(10u64).pow(U256::from(18));
        assert_eq!(short_units(e * U256::from(100u64)), "100");
        assert_eq!(short_units(e / U256::from(10u64)), "0.1");
        assert_eq!(
            short_units(U256::from(112_102_888_800_000_000u64)),
            "0.1121028888"
        );
        assert_eq!(short_units(U256::ZERO), "0");
    }
}
