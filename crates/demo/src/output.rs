//! The HLS output: serving it after the stream, and checking it.

use crate::report::*;
use crate::{Result, Step, fail};

use std::net::SocketAddr;
use std::path::Path;

/// Serves the report's HLS folder at the address it was served at while streaming, until
/// `shutdown`; returns the base URL.
pub async fn serve_hls(
    report: &Report,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<String> {
    let addr: SocketAddr = match report
        .url
        .as_deref()
        .and_then(|u| u.strip_prefix("http://"))
        .and_then(|a| a.parse().ok())
    {
        Some(a) => a,
        None => SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let listener = streamflow_node::broadcaster::hls::bind(addr)
        .await
        .step("serving the output")?;
    let url = format!(
        "http://{}",
        listener.local_addr().step("serving the output")?
    );
    let dir = report.hls_dir.clone();
    tokio::spawn(async move {
        if let Err(e) = streamflow_node::broadcaster::hls::serve(listener, dir, shutdown).await {
            tracing::warn!(target: "demo", %e, "the HLS server stopped");
        }
    });
    Ok(url)
}

/// Checks the HLS output: a master playlist naming every rendition, each media playlist closed
/// (`#EXT-X-ENDLIST`) with `segments` entries, and every segment probing as H.264 video with frames.
/// Returns the number of segment files checked.
pub fn check_output(hls_dir: &Path, segments: u64) -> Result<u64> {
    let master = std::fs::read_to_string(hls_dir.join("index.m3u8")).step("master playlist")?;
    let media: Vec<&str> = master
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    if media.is_empty() {
        return fail("output", "the master playlist names no rendition");
    }
    let limits = streamflow_transcoder::Limits::default();
    let mut checked = 0;
    for m in media {
        let path = hls_dir.join(m);
        let text = std::fs::read_to_string(&path).step("media playlist")?;
        if !text.contains("#EXT-X-ENDLIST") {
            return fail("output", format!("{} is not closed", path.display()));
        }
        let dir = path.parent().unwrap_or(hls_dir);
        let segs: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .collect();
        if segs.len() as u64 != segments {
            return fail(
                "output",
                format!(
                    "{} lists {} segments, not {segments}",
                    path.display(),
                    segs.len()
                ),
            );
        }
        for s in segs {
            let info = streamflow_transcoder::probe::probe(&dir.join(s), &limits)
                .step(&format!("probing {s}"))?;
            if info.codec != "h264" || info.frames == 0 {
                return fail(
                    "output",
                    format!("{s}: {} with {} frames", info.codec, info.frames),
                );
            }
            checked += 1;
        }
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::report::Report;

    fn report(hls_dir: &Path, url: Option<String>) -> Report {
        Report {
            segments_in: 0,
            segments_out: 0,
            renditions: 0,
            pixels: 0,
            media_secs: 0.0,
            stream_secs: 0.0,
            sampled: 0,
            faults: 0,
            failovers: 0,
            tickets_sent: 0,
            tickets_won: 0,
            tickets_redeemed: 0,
            orchestrators: Vec::new(),
            challenge: None,
            hls_dir: hls_dir.to_owned(),
            master_playlist: hls_dir.join("index.m3u8"),
            url,
            passes: 1,
            committee_size: 3,
            total_secs: 0.0,
        }
    }

    /// `--keep-running`: after the broadcaster has exited, its output is served at the URL it
    /// announced while streaming, until the shutdown future resolves.
    #[tokio::test]
    async fn the_output_is_served_at_the_streaming_url_until_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.m3u8"), "#EXTM3U\n240p/index.m3u8\n").unwrap();
        // The address the broadcaster served at (now free: it exited).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let announced = format!("http://127.0.0.1:{port}");
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let url = serve_hls(&report(dir.path(), Some(announced.clone())), async {
            let _ = stop_rx.await;
        })
        .await
        .unwrap();
        assert_eq!(url, announced);
        let client = reqwest::Client::new();
        let body = client
            .get(format!("{url}/index.m3u8"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(body.contains("240p/index.m3u8"), "{body}");
        stop_tx.send(()).unwrap();
        // Stopped: the port refuses connections (within a few seconds).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            if client
                .get(format!("{url}/index.m3u8"))
                .send()
                .await
                .is_err()
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "still served after shutdown"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}
