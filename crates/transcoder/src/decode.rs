//! Guarded demuxing and decoding of one input segment.
//!
//! Every entry point checks the file size, the container duration and the
//! video dimensions before doing real work, bounds the run by a wall-clock
//! deadline (also enforced inside FFmpeg's I/O through the interrupt
//! callback), and turns damaged input into a [`TranscodeError`] variant.

use std::path::Path;
use std::time::{Duration, Instant};

use ffmpeg_next::{self as ffmpeg, Packet, Rational, codec, decoder, format, frame, media};

use crate::error::{Result, TranscodeError};

/// Resource limits applied to every input segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest input file accepted, in bytes.
    pub max_bytes: u64,
    /// Longest input accepted, in seconds.
    pub max_duration_secs: f64,
    /// Largest input width accepted.
    pub max_width: u32,
    /// Largest input height accepted.
    pub max_height: u32,
    /// Smallest input side accepted.
    pub min_side: u32,
    /// A rendition fails once it has encoded more than this many frames per
    /// decoded frame (plus a small constant slack).
    pub max_frame_ratio: f64,
    /// Wall-clock budget for one segment.
    pub max_wall: Duration,
    /// Demuxer errors tolerated before the input is declared corrupt.
    pub max_demux_errors: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024 * 1024,
            max_duration_secs: 20.0,
            max_width: 4096,
            max_height: 4096,
            min_side: 16,
            max_frame_ratio: 4.0,
            max_wall: Duration::from_secs(300),
            max_demux_errors: 16,
        }
    }
}

/// Converts a timestamp in `tb` units to seconds.
pub(crate) fn ts_secs(ts: i64, tb: Rational) -> f64 {
    if tb.denominator() == 0 {
        return 0.0;
    }
    ts as f64 * f64::from(tb.numerator()) / f64::from(tb.denominator())
}

/// Converts a rational to f64 (0 for an invalid rational).
pub(crate) fn q2f(r: Rational) -> f64 {
    if r.denominator() == 0 {
        0.0
    } else {
        f64::from(r.numerator()) / f64::from(r.denominator())
    }
}

/// An opened input with its video (and optional audio) stream located.
pub(crate) struct Opened {
    pub(crate) ictx: format::context::Input,
    pub(crate) video_index: usize,
    pub(crate) audio_index: Option<usize>,
    pub(crate) video_tb: Rational,
    pub(crate) fps: Rational,
    pub(crate) deadline: Instant,
    pub(crate) limits: Limits,
}

/// Opens `path`, enforcing the size, duration and stream checks.
pub(crate) fn open_input(path: &Path, limits: &Limits) -> Result<Opened> {
    ffmpeg::init().map_err(TranscodeError::ffmpeg("initialising ffmpeg"))?;
    let size = std::fs::metadata(path)
        .map_err(TranscodeError::io(path))?
        .len();
    if size > limits.max_bytes {
        return Err(TranscodeError::InputTooLarge {
            size,
            limit: limits.max_bytes,
        });
    }
    if size == 0 {
        return Err(TranscodeError::Corrupt {
            reason: "file is empty".into(),
        });
    }
    let deadline = Instant::now() + limits.max_wall;
    let ictx = format::input_with_interrupt(path, move || Instant::now() > deadline).map_err(
        |e| match e {
            ffmpeg::Error::Exit => TranscodeError::Timeout {
                limit_secs: limits.max_wall.as_secs(),
            },
            other => TranscodeError::Corrupt {
                reason: other.to_string(),
            },
        },
    )?;
    let container_secs = ictx.duration() as f64 / f64::from(ffmpeg::ffi::AV_TIME_BASE);
    if ictx.duration() > 0 && container_secs > limits.max_duration_secs {
        return Err(TranscodeError::InputTooLong {
            duration: container_secs,
            limit: limits.max_duration_secs,
        });
    }
    let audio_index = ictx
        .streams()
        .best(media::Type::Audio)
        .filter(|s| s.parameters().id() == codec::Id::AAC)
        .map(|s| s.index());
    let video = match ictx.streams().best(media::Type::Video) {
        Some(v) => v,
        None if ictx.streams().best(media::Type::Audio).is_some() => {
            return Err(TranscodeError::NoVideo);
        }
        None => {
            return Err(TranscodeError::Corrupt {
                reason: "no media streams found".into(),
            });
        }
    };
    let id = video.parameters().id();
    if id != codec::Id::H264 {
        return Err(TranscodeError::UnsupportedCodec {
            codec: format!("{id:?}"),
        });
    }
    let fps = [video.avg_frame_rate(), video.rate()]
        .into_iter()
        .find(|r| r.numerator() > 0 && r.denominator() > 0 && q2f(*r) <= 1000.0)
        .unwrap_or(Rational::new(30, 1));
    Ok(Opened {
        video_index: video.index(),
        video_tb: video.time_base(),
        fps,
        audio_index,
        deadline,
        limits: limits.clone(),
        ictx,
    })
}

impl Opened {
    /// Fails with [`TranscodeError::Timeout`] once the deadline has passed.
    pub(crate) fn check_deadline(&self) -> Result<()> {
        if Instant::now() > self.deadline {
            return Err(TranscodeError::Timeout {
                limit_secs: self.limits.max_wall.as_secs(),
            });
        }
        Ok(())
    }

    /// Checks dimensions against the limits (0 means "not known yet").
    pub(crate) fn check_dimensions(&self, width: u32, height: u32) -> Result<()> {
        let l = &self.limits;
        let bad = width > l.max_width
            || height > l.max_height
            || (width != 0 && width < l.min_side)
            || (height != 0 && height < l.min_side);
        if bad {
            return Err(TranscodeError::AbsurdDimensions {
                width,
                height,
                max_width: l.max_width,
                max_height: l.max_height,
            });
        }
        Ok(())
    }

    /// Reads the next packet, skipping a bounded number of damaged ones.
    /// Returns `None` at end of file.
    pub(crate) fn next_packet(&mut self, demux_errors: &mut u32) -> Result<Option<Packet>> {
        loop {
            self.check_deadline()?;
            let mut packet = Packet::empty();
            match packet.read(&mut self.ictx) {
                Ok(()) => return Ok(Some(packet)),
                Err(ffmpeg::Error::Eof) => return Ok(None),
                Err(ffmpeg::Error::InvalidData) => {
                    *demux_errors += 1;
                    if *demux_errors > self.limits.max_demux_errors {
                        return Err(TranscodeError::Corrupt {
                            reason: format!("{demux_errors} unreadable packets"),
                        });
                    }
                }
                Err(ffmpeg::Error::Exit) => {
                    return Err(TranscodeError::Timeout {
                        limit_secs: self.limits.max_wall.as_secs(),
                    });
                }
                Err(e) => {
                    return Err(TranscodeError::Ffmpeg {
                        step: "reading a packet",
                        source: e,
                    });
                }
            }
        }
    }

    /// Opens a multi-threaded decoder for the video stream.
    pub(crate) fn video_decoder(&self) -> Result<decoder::Video> {
        let stream = self
            .ictx
            .stream(self.video_index)
            .ok_or(TranscodeError::NoVideo)?;
        let mut ctx = codec::context::Context::from_parameters(stream.parameters())
            .map_err(TranscodeError::ffmpeg("creating the video decoder"))?;
        ctx.set_threading(codec::threading::Config {
            kind: codec::threading::Type::Frame,
            count: 0,
            ..Default::default()
        });
        let codec = ffmpeg::decoder::find(ctx.id()).ok_or(TranscodeError::UnsupportedCodec {
            codec: format!("{:?}", ctx.id()),
        })?;
        // Surface bitstream damage as errors instead of silently concealing it.
        let mut opts = ffmpeg::Dictionary::new();
        opts.set("err_detect", "explode");
        let dec = ctx
            .decoder()
            .open_as_with(codec, opts)
            .and_then(|d| d.video())
            .map_err(TranscodeError::ffmpeg("opening the video decoder"))?;
        self.check_dimensions(dec.width(), dec.height())?;
        Ok(dec)
    }
}

/// One event produced while walking a segment.
pub(crate) enum Event<'a> {
    /// A decoded video frame and its time in seconds since the first frame.
    /// The callback may take the frame (leaving an empty one behind).
    Frame(&'a mut frame::Video, f64),
    /// A packet of the selected audio stream.
    Audio(&'a Packet),
}

/// Totals collected by [`walk`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WalkStats {
    pub(crate) frames: u64,
    pub(crate) pixels: u64,
    /// Time of the last frame plus one frame duration, in seconds.
    pub(crate) duration_secs: f64,
}

/// Per-walk decoding state.
struct Clock {
    first_ts: Option<i64>,
    last_secs: f64,
    frame_dur: f64,
}

/// Demuxes and decodes the whole segment, calling `on` for every decoded
/// video frame (in presentation order) and every audio packet.
pub(crate) fn walk(
    input: &mut Opened,
    mut on: impl FnMut(Event<'_>) -> Result<()>,
) -> Result<WalkStats> {
    let mut decoder = input.video_decoder()?;
    let mut stats = WalkStats::default();
    let mut clock = Clock {
        first_ts: None,
        last_secs: 0.0,
        frame_dur: 1.0 / q2f(input.fps).max(1.0),
    };
    let mut demux_errors = 0u32;
    let mut frame = frame::Video::empty();

    while let Some(packet) = input.next_packet(&mut demux_errors)? {
        if packet.stream() == input.video_index {
            match decoder.send_packet(&packet) {
                Ok(()) => {}
                Err(ffmpeg::Error::InvalidData) => {
                    return Err(TranscodeError::Truncated {
                        reason: format!("undecodable video packet after {} frames", stats.frames),
                    });
                }
                Err(e) => {
                    return Err(TranscodeError::Ffmpeg {
                        step: "decoding video",
                        source: e,
                    });
                }
            }
            drain(
                &mut decoder,
                &mut frame,
                input,
                &mut clock,
                &mut stats,
                &mut on,
            )?;
        } else if Some(packet.stream()) == input.audio_index {
            on(Event::Audio(&packet))?;
        }
    }
    // End of stream: flush frames buffered by the decoder.
    if decoder.send_eof().is_ok() {
        drain(
            &mut decoder,
            &mut frame,
            input,
            &mut clock,
            &mut stats,
            &mut on,
        )?;
    }
    if stats.frames == 0 {
        return Err(TranscodeError::ZeroFrames);
    }
    Ok(stats)
}

fn drain(
    decoder: &mut decoder::Video,
    frame: &mut frame::Video,
    input: &Opened,
    clock: &mut Clock,
    stats: &mut WalkStats,
    on: &mut impl FnMut(Event<'_>) -> Result<()>,
) -> Result<()> {
    loop {
        match decoder.receive_frame(frame) {
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => return Ok(()),
            Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::error::EAGAIN => return Ok(()),
            Err(e) => {
                return Err(TranscodeError::Truncated {
                    reason: format!("video decoding failed after {} frames: {e}", stats.frames),
                });
            }
        }
        input.check_deadline()?;
        if frame.is_corrupt() || frame.has_decode_errors() {
            return Err(TranscodeError::Truncated {
                reason: format!("frame {} decoded with errors", stats.frames),
            });
        }
        input.check_dimensions(frame.width(), frame.height())?;
        let secs = match frame.timestamp() {
            Some(ts) => {
                let first = *clock.first_ts.get_or_insert(ts);
                ts_secs(ts - first, input.video_tb)
            }
            None => stats.frames as f64 * clock.frame_dur,
        };
        let max = input.limits.max_duration_secs;
        if secs > max {
            return Err(TranscodeError::InputTooLong {
                duration: secs,
                limit: max,
            });
        }
        clock.last_secs = clock.last_secs.max(secs);
        stats.frames += 1;
        stats.pixels += u64::from(frame.width()) * u64::from(frame.height());
        stats.duration_secs = clock.last_secs + clock.frame_dur;
        on(Event::Frame(&mut *frame, secs))?;
    }
}
