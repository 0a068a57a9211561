//! Input: a video file, or a live push that this process *listens* for (RTMP or SRT, through
//! libavformat), cut into MPEG-TS segments at keyframes by remuxing (no re-encode).
//!
//! A segment ends at the first video keyframe at least `target_secs` after its start, so every
//! segment starts with a keyframe and can be transcoded on its own. The video stream and the first
//! audio stream are kept; timestamps are kept as they come, so the segments play back to back.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ffmpeg_next::{self as ffmpeg, Dictionary, Packet, Rational, codec, encoder, format, media};

/// Why the input could not be segmented.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// libavformat refused (open, read or mux).
    #[error("{what}: {source}")]
    Ffmpeg {
        /// What was being done.
        what: &'static str,
        /// FFmpeg's error.
        source: ffmpeg::Error,
    },
    /// The input has no video stream.
    #[error("the input has no video stream")]
    NoVideo,
    /// Local I/O.
    #[error("segment i/o: {0}")]
    Io(#[from] std::io::Error),
}

fn ff(what: &'static str) -> impl FnOnce(ffmpeg::Error) -> SegmentError {
    move |source| SegmentError::Ffmpeg { what, source }
}

/// One source segment.
#[derive(Debug, Clone)]
pub struct Segment {
    /// Its sequence number, from 0.
    pub seq: u64,
    /// The MPEG-TS bytes.
    pub data: Vec<u8>,
    /// Its video duration in seconds (first keyframe to the next segment's).
    pub duration_secs: f64,
    /// Its start on the input's clock, seconds.
    pub start_secs: f64,
}

/// What the input is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A file (or any URL libavformat reads) read as fast as the pipeline takes it.
    File(PathBuf),
    /// A live push this process listens for: `rtmp://HOST:PORT/APP/KEY` or `srt://HOST:PORT`.
    Listen(String),
}

impl Input {
    /// A listening input for `rtmp://` and `srt://` URLs, a file otherwise.
    pub fn parse(s: &str) -> Self {
        if s.starts_with("rtmp://") || s.starts_with("srt://") {
            Input::Listen(s.to_owned())
        } else {
            Input::File(PathBuf::from(s))
        }
    }

    fn open(&self, stop: Arc<AtomicBool>) -> Result<format::context::Input, SegmentError> {
        match self {
            Input::File(p) => {
                let s = stop.clone();
                format::input_with_interrupt(p, move || s.load(Ordering::Relaxed))
                    .map_err(ff("opening the input"))
            }
            Input::Listen(url) => {
                let mut opts = Dictionary::new();
                if url.starts_with("srt://") {
                    opts.set("mode", "listener");
                } else {
                    opts.set("listen", "1");
                }
                let s = stop.clone();
                format::input_with_interrupt_and_dictionary(
                    url.as_str(),
                    move || s.load(Ordering::Relaxed),
                    opts,
                )
                .map_err(ff("listening for the live input"))
            }
        }
    }
}

struct Open {
    octx: format::context::Output,
    path: PathBuf,
    start_ts: i64,
    start_secs: f64,
}

/// Reads `input` and calls `emit` with each segment, in order, until the input ends, `stop` is set,
/// or `emit` returns `false`. Segments are muxed in `work_dir` and removed once read. Returns the
/// number of segments emitted.
pub fn segment(
    input: &Input,
    target_secs: f64,
    work_dir: &Path,
    stop: Arc<AtomicBool>,
    mut emit: impl FnMut(Segment) -> bool,
) -> Result<u64, SegmentError> {
    let _ = ffmpeg::init();
    let mut ictx = input.open(stop.clone())?;
    let video = ictx
        .streams()
        .best(media::Type::Video)
        .ok_or(SegmentError::NoVideo)?;
    let (v_index, v_tb, v_params) = (video.index(), video.time_base(), video.parameters());
    let audio = ictx
        .streams()
        .best(media::Type::Audio)
        .map(|a| (a.index(), a.time_base(), a.parameters()));
    let secs =
        |ts: i64| ts as f64 * f64::from(v_tb.numerator()) / f64::from(v_tb.denominator().max(1));
    std::fs::create_dir_all(work_dir)?;

    let new_segment = |seq: u64, start_ts: i64| -> Result<Open, SegmentError> {
        let path = work_dir.join(format!("src-{seq:06}.ts"));
        let mut octx = format::output_as(&path, "mpegts").map_err(ff("creating a segment"))?;
        {
            let mut ost = octx
                .add_stream(encoder::find(codec::Id::None))
                .map_err(ff("adding the video stream"))?;
            ost.set_parameters(v_params.clone());
            ost.set_time_base(v_tb);
        }
        if let Some((_, tb, params)) = &audio {
            let mut ost = octx
                .add_stream(encoder::find(codec::Id::None))
                .map_err(ff("adding the audio stream"))?;
            ost.set_parameters(params.clone());
            ost.set_time_base(*tb);
        }
        octx.write_header()
            .map_err(ff("writing a segment header"))?;
        Ok(Open {
            octx,
            path,
            start_ts,
            start_secs: secs(start_ts),
        })
    };
    let finish = |mut open: Open, seq: u64, end_ts: i64| -> Result<Segment, SegmentError> {
        open.octx
            .write_trailer()
            .map_err(ff("finishing a segment"))?;
        drop(open.octx);
        let data = std::fs::read(&open.path)?;
        let _ = std::fs::remove_file(&open.path);
        Ok(Segment {
            seq,
            data,
            duration_secs: (secs(end_ts) - open.start_secs).max(0.0),
            start_secs: open.start_secs,
        })
    };

    let mut seq = 0u64;
    let mut current: Option<Open> = None;
    // The last video timestamp seen and the frame duration, to close the last segment.
    let (mut last_ts, mut frame_ts) = (0i64, 0i64);
    let mut packet = Packet::empty();
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        match packet.read(&mut ictx) {
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => break,
            Err(ffmpeg::Error::Exit) if stop.load(Ordering::Relaxed) => break,
            // A live publisher that disconnects ends the stream (RTMP reports it as an I/O error).
            Err(e) if matches!(input, Input::Listen(_)) && current.is_some() => {
                tracing::info!(target: "broadcaster", %e, "live input ended");
                break;
            }
            Err(e) => {
                return Err(SegmentError::Ffmpeg {
                    what: "reading the input",
                    source: e,
                });
            }
        }
        let idx = packet.stream();
        let (out_index, in_tb) = if idx == v_index {
            (0usize, v_tb)
        } else if let Some((a, tb, _)) = &audio
            && *a == idx
        {
            (1usize, *tb)
        } else {
            continue;
        };
        if out_index == 0 {
            let ts = packet.pts().or(packet.dts()).unwrap_or(last_ts);
            if ts > last_ts {
                frame_ts = if last_ts > 0 || frame_ts > 0 {
                    ts - last_ts
                } else {
                    frame_ts
                };
            }
            let cut = packet.is_key()
                && current
                    .as_ref()
                    .is_some_and(|o| secs(ts) - o.start_secs >= target_secs - 1e-3);
            if cut && let Some(open) = current.take() {
                {
                    let s = finish(open, seq, ts)?;
                    seq += 1;
                    if !emit(s) {
                        return Ok(seq);
                    }
                }
            }
            if current.is_none() {
                if !packet.is_key() {
                    // Nothing can be decoded before the first keyframe.
                    continue;
                }
                current = Some(new_segment(seq, ts)?);
            }
            last_ts = last_ts.max(ts);
        }
        let Some(open) = current.as_mut() else {
            continue;
        };
        let out_tb: Rational = open.octx.stream(out_index).map_or(in_tb, |s| s.time_base());
        packet.set_stream(out_index);
        packet.rescale_ts(in_tb, out_tb);
        packet.set_position(-1);
        packet
            .write_interleaved(&mut open.octx)
            .map_err(ff("writing a segment"))?;
        let _ = open.start_ts;
    }
    if let Some(open) = current.take() {
        let s = finish(open, seq, last_ts + frame_ts.max(0))?;
        seq += 1;
        emit(s);
    }
    Ok(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_listen_and_paths_are_files() {
        assert!(matches!(
            Input::parse("rtmp://127.0.0.1:1935/live"),
            Input::Listen(_)
        ));
        assert!(matches!(
            Input::parse("srt://127.0.0.1:9000"),
            Input::Listen(_)
        ));
        assert_eq!(Input::parse("clip.mp4"), Input::File("clip.mp4".into()));
    }

    #[test]
    fn a_file_is_cut_at_keyframes_into_decodable_segments() {
        streamflow_transcoder::quiet_ffmpeg(false);
        let dir = tempfile::tempdir().expect("tmp");
        let src = dir.path().join("clip.ts");
        // 7 s at 25 fps with a keyframe every 1 s: cut at 2 s → segments of 2, 2, 2, 1 s.
        let mut spec = streamflow_transcoder::testmedia::SegmentSpec::new(320, 240, 25, 7.0);
        spec.source = "testsrc2".into();
        streamflow_transcoder::testmedia::run_ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=48000",
            "-t",
            "7",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "25",
            "-c:a",
            "aac",
            "-f",
            "mp4",
            src.with_extension("mp4").to_str().expect("utf8"),
        ])
        .expect("ffmpeg");
        let mut got = Vec::new();
        let n = segment(
            &Input::File(src.with_extension("mp4")),
            2.0,
            &dir.path().join("work"),
            Arc::new(AtomicBool::new(false)),
            |s| {
                got.push(s);
                true
            },
        )
        .expect("segments");
        assert_eq!(n, 4);
        let durations: Vec<f64> = got.iter().map(|s| s.duration_secs).collect();
        for (d, want) in durations.iter().zip([2.0, 2.0, 2.0, 1.0]) {
            assert!((d - want).abs() < 0.05, "{durations:?}");
        }
        let mut frames = 0;
        for s in &got {
            let p = dir.path().join(format!("check-{}.ts", s.seq));
            std::fs::write(&p, &s.data).expect("write");
            let info = streamflow_transcoder::probe::probe(&p, &Default::default()).expect("probe");
            assert!(info.starts_with_keyframe && info.has_audio, "{info:?}");
            frames += info.frames;
        }
        assert_eq!(frames, 175);
        assert!(
            std::fs::read_dir(dir.path().join("work"))
                .expect("dir")
                .next()
                .is_none()
        );
    }
}
