//! One output rendition: scaler, H.264 encoder, optional audio encoder and
//! MPEG-TS muxer, with the per-rendition accounting.

use std::path::{Path, PathBuf};

use ffmpeg_next::{
    self as ffmpeg, Dictionary, Packet, Rational, codec, encoder, format, frame, picture,
    software::scaling,
};

use crate::accounting::PixelCounter;
use crate::error::{Result, TranscodeError};
use crate::profile::{AudioMode, Profile};

/// Source facts a rendition needs to set itself up.
#[derive(Clone)]
pub(crate) struct SourceInfo {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) video_tb: Rational,
    pub(crate) fps: Rational,
    /// Source audio stream parameters and time base, when there is AAC audio.
    pub(crate) audio: Option<(codec::Parameters, Rational)>,
    /// Decoded audio sample rate and channel layout (for re-encoding).
    pub(crate) audio_format: Option<(u32, ffmpeg::ChannelLayout)>,
    pub(crate) x264_preset: String,
    /// Pixels per frame over every rung produced from this source (the
    /// threads are shared out in proportion, see [`x264_threads`]).
    pub(crate) ladder_pixels: u64,
}

/// Environment variable choosing the x264 thread count of every rung:
/// unset or `auto` for x264's own choice per encoder (the default, as the
/// `ffmpeg` CLI does), `shared` for [`x264_threads`], or a number.
pub(crate) const THREADS_ENV: &str = "STREAMFLOW_X264_THREADS";

/// x264 threads for a rung that carries `share` of the ladder's pixels, on
/// `cores` cores (`STREAMFLOW_X264_THREADS=shared`).
///
/// x264's `auto` gives every encoder 1.5 threads per core; with one encoder
/// per rung running at once that is 1.5 x cores x rungs threads (9 for three
/// rungs on 2 cores), and the small rungs' threads wait on the large one's. The
/// same budget of 1.5 x cores is shared out in proportion to the pixels each
/// rung encodes instead (2 + 1 + 1 for 720p/480p/360p on 2 cores), at least
/// one per rung. Fewer frame threads also lose less to x264's threading
/// (output quality is equal or slightly higher).
pub(crate) fn x264_threads(share: f64, cores: usize) -> usize {
    let budget = 1.5 * cores.max(1) as f64;
    ((budget * share.clamp(0.0, 1.0)).round() as usize).clamp(1, budget.round() as usize)
}

/// Frame-rate mode of a rendition.
enum Rate {
    /// Keep the source timestamps (in the source time base).
    PassThrough,
    /// Constant output rate: frame `n` has pts `n` in a 1/fps time base;
    /// `last` is the newest scaled source frame, not yet emitted.
    Fixed {
        fps: f64,
        next: i64,
        last: Option<frame::Video>,
    },
}

pub(crate) struct Rendition {
    pub(crate) profile: Profile,
    pub(crate) path: PathBuf,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) fps: f64,
    pub(crate) counter: PixelCounter,
    pub(crate) audio_packets: u64,
    scaler: Option<scaling::Context>,
    encoder: encoder::Video,
    enc_tb: Rational,
    rate: Rate,
    octx: format::context::Output,
    video_ost_tb: Rational,
    audio: Option<AudioOut>,
    started: bool,
    max_ratio: f64,
}

struct AudioOut {
    ost_tb: Rational,
    src_tb: Rational,
    encoder: Option<encoder::Audio>,
}

fn x264_options(profile: &Profile, preset: &str, threads: &str) -> Dictionary<'static> {
    let mut opts = Dictionary::new();
    opts.set("preset", preset);
    opts.set("profile", profile.h264_profile.x264_name());
    opts.set("threads", threads);
    opts.set("forced-idr", "1");
    opts
}

impl Rendition {
    pub(crate) fn new(
        profile: &Profile,
        dir: &Path,
        src: &SourceInfo,
        max_ratio: f64,
    ) -> Result<Self> {
        let (width, height) = profile.output_size(src.width, src.height).ok_or_else(|| {
            TranscodeError::InvalidProfile(format!(
                "{} would upscale the {}x{} source",
                profile.name, src.width, src.height
            ))
        })?;
        let path = dir.join(format!("{}.ts", profile.name));
        let mut octx = format::output_as(&path, "mpegts")
            .map_err(TranscodeError::ffmpeg("creating the output file"))?;

        let (enc_tb, frame_rate, rate) = match profile.frame_rate() {
            None => (src.video_tb, src.fps, Rate::PassThrough),
            Some((n, d)) => {
                let fps = Rational::new(n as i32, d as i32);
                let fixed = Rate::Fixed {
                    fps: f64::from(n) / f64::from(d),
                    next: 0,
                    last: None,
                };
                (fps.invert(), fps, fixed)
            }
        };
        let fps = crate::decode::q2f(frame_rate);
        let codec =
            encoder::find_by_name("libx264").ok_or(TranscodeError::EncoderMissing("libx264"))?;
        let mut enc = codec::context::Context::new_with_codec(codec)
            .encoder()
            .video()
            .map_err(TranscodeError::ffmpeg("creating the H.264 encoder"))?;
        enc.set_width(width);
        enc.set_height(height);
        enc.set_format(format::Pixel::YUV420P);
        enc.set_time_base(enc_tb);
        enc.set_frame_rate(Some(frame_rate));
        enc.set_bit_rate(profile.bitrate as usize);
        let gop = (profile.gop_secs * fps).round().max(1.0) as u32;
        enc.set_gop(gop);
        let threads = match std::env::var(THREADS_ENV).as_deref() {
            Ok("shared") => {
                let share = f64::from(width) * f64::from(height) / src.ladder_pixels.max(1) as f64;
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                x264_threads(share, cores).to_string()
            }
            Ok(n) => n.to_string(),
            Err(_) => "auto".to_string(),
        };
        let encoder = enc
            .open_as_with(codec, x264_options(profile, &src.x264_preset, &threads))
            .map_err(TranscodeError::ffmpeg("opening the H.264 encoder"))?;
        {
            let mut ost = octx
                .add_stream(codec)
                .map_err(TranscodeError::ffmpeg("adding the video stream"))?;
            ost.set_parameters(&encoder);
            ost.set_time_base(enc_tb);
        }

        let audio = match (&src.audio, profile.audio) {
            (Some(_), AudioMode::Drop) | (None, _) => None,
            (Some((params, tb)), AudioMode::Copy) => {
                let mut ost = octx
                    .add_stream(encoder::find(codec::Id::None))
                    .map_err(TranscodeError::ffmpeg("adding the audio stream"))?;
                ost.set_parameters(params.clone());
                Some(AudioOut {
                    ost_tb: *tb,
                    src_tb: *tb,
                    encoder: None,
                })
            }
            (Some((_, tb)), AudioMode::Encode) => {
                let (rate, layout) = src.audio_format.ok_or(TranscodeError::InvalidProfile(
                    "audio encoding needs a decodable source audio stream".into(),
                ))?;
                let aac =
                    encoder::find(codec::Id::AAC).ok_or(TranscodeError::EncoderMissing("aac"))?;
                let mut a = codec::context::Context::new_with_codec(aac)
                    .encoder()
                    .audio()
                    .map_err(TranscodeError::ffmpeg("creating the AAC encoder"))?;
                a.set_rate(rate as i32);
                a.set_channel_layout(layout);
                a.set_format(format::Sample::F32(format::sample::Type::Planar));
                a.set_bit_rate(profile.audio_bitrate as usize);
                a.set_time_base(Rational::new(1, rate as i32));
                let a = a
                    .open_as(aac)
                    .map_err(TranscodeError::ffmpeg("opening the AAC encoder"))?;
                let mut ost = octx
                    .add_stream(aac)
                    .map_err(TranscodeError::ffmpeg("adding the audio stream"))?;
                ost.set_parameters(&a);
                Some(AudioOut {
                    ost_tb: *tb,
                    src_tb: *tb,
                    encoder: Some(a),
                })
            }
        };
        octx.write_header()
            .map_err(TranscodeError::ffmpeg("writing the output header"))?;
        let video_ost_tb = octx.stream(0).map_or(enc_tb, |s| s.time_base());
        let audio = audio.map(|mut a| {
            a.ost_tb = octx.stream(1).map_or(a.ost_tb, |s| s.time_base());
            a
        });
        Ok(Self {
            profile: profile.clone(),
            path,
            width,
            height,
            fps,
            counter: PixelCounter::default(),
            audio_packets: 0,
            scaler: None,
            encoder,
            enc_tb,
            rate,
            octx,
            video_ost_tb,
            audio,
            started: false,
            max_ratio,
        })
    }

    /// Scales and encodes one decoded source frame (`secs` after the first).
    pub(crate) fn push(&mut self, src: &frame::Video, secs: f64, decoded: u64) -> Result<()> {
        let stale = self.scaler.as_ref().is_none_or(|s| {
            let i = s.input();
            i.width != src.width() || i.height != src.height() || i.format != src.format()
        });
        if stale {
            let ctx = scaling::Context::get(
                src.format(),
                src.width(),
                src.height(),
                format::Pixel::YUV420P,
                self.width,
                self.height,
                scaling::Flags::BICUBIC,
            )
            .map_err(TranscodeError::ffmpeg("creating the scaler"))?;
            self.scaler = Some(ctx);
        }
        // A fresh buffer per frame: the encoder may still hold a reference to
        // the previous one, so it is never overwritten in place.
        let mut frame = frame::Video::empty();
        if let Some(scaler) = self.scaler.as_mut() {
            scaler
                .run(src, &mut frame)
                .map_err(TranscodeError::ffmpeg("scaling a frame"))?;
        }
        match &mut self.rate {
            Rate::PassThrough => {
                frame.set_pts(src.timestamp());
                self.encode(Some(&mut frame), decoded)
            }
            Rate::Fixed { fps, .. } => {
                // Output slot n (time n/fps) shows the latest source frame at or
                // before it: slots before this frame's time get the previous one.
                let target = (secs * *fps - 1e-6).ceil() as i64;
                self.fill_until(target, decoded)?;
                if let Rate::Fixed { last, .. } = &mut self.rate {
                    *last = Some(frame);
                }
                Ok(())
            }
        }
    }

    /// Duplicates the last frame until output index `target` (exclusive).
    fn fill_until(&mut self, target: i64, decoded: u64) -> Result<()> {
        loop {
            let Rate::Fixed { next, last, .. } = &mut self.rate else {
                return Ok(());
            };
            if *next >= target {
                return Ok(());
            }
            let Some(mut f) = last.take() else {
                return Ok(());
            };
            f.set_pts(Some(*next));
            *next += 1;
            let res = self.encode(Some(&mut f), decoded);
            if let Rate::Fixed { last, .. } = &mut self.rate {
                *last = Some(f);
            }
            res?;
        }
    }

    /// Sends a frame (or end of stream) to the encoder and muxes the packets.
    fn encode(&mut self, frame: Option<&mut frame::Video>, decoded: u64) -> Result<()> {
        if let Some(f) = frame {
            let limit = self.max_ratio * decoded.max(1) as f64 + 2.0;
            if (self.counter.frames() + 1) as f64 > limit {
                return Err(TranscodeError::Runaway {
                    rendition: self.profile.name.clone(),
                    encoded: self.counter.frames() + 1,
                    decoded,
                    ratio: self.max_ratio,
                });
            }
            // The first frame of every segment is an IDR.
            let kind = if self.started {
                picture::Type::None
            } else {
                picture::Type::I
            };
            self.started = true;
            f.set_kind(kind);
            self.encoder
                .send_frame(f)
                .map_err(TranscodeError::ffmpeg("encoding video"))?;
            self.counter.add_frame(f.width(), f.height());
        } else {
            self.encoder
                .send_eof()
                .map_err(TranscodeError::ffmpeg("flushing video"))?;
        }
        let mut packet = Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(0);
            packet.rescale_ts(self.enc_tb, self.video_ost_tb);
            packet
                .write_interleaved(&mut self.octx)
                .map_err(TranscodeError::ffmpeg("muxing video"))?;
        }
        Ok(())
    }

    /// Handles one source audio packet (copy mode).
    pub(crate) fn push_audio_packet(&mut self, packet: &Packet) -> Result<()> {
        let Some(a) = self.audio.as_ref() else {
            return Ok(());
        };
        if a.encoder.is_some() {
            return Ok(());
        }
        let mut p = packet.clone();
        p.set_stream(1);
        p.set_position(-1);
        p.rescale_ts(a.src_tb, a.ost_tb);
        p.write_interleaved(&mut self.octx)
            .map_err(TranscodeError::ffmpeg("muxing audio"))?;
        self.audio_packets += 1;
        Ok(())
    }

    /// Encodes one decoded audio frame whose pts is in 1/sample-rate units
    /// (encode mode); `None` flushes.
    pub(crate) fn push_audio_frame(&mut self, frame: Option<&frame::Audio>) -> Result<()> {
        let Some(a) = self.audio.as_mut() else {
            return Ok(());
        };
        let Some(enc) = a.encoder.as_mut() else {
            return Ok(());
        };
        let enc_tb = Rational::new(1, enc.rate() as i32);
        match frame {
            Some(f) => enc
                .send_frame(f)
                .map_err(TranscodeError::ffmpeg("encoding audio"))?,
            None => enc
                .send_eof()
                .map_err(TranscodeError::ffmpeg("flushing audio"))?,
        }
        let mut packet = Packet::empty();
        while enc.receive_packet(&mut packet).is_ok() {
            packet.set_stream(1);
            packet.rescale_ts(enc_tb, a.ost_tb);
            packet
                .write_interleaved(&mut self.octx)
                .map_err(TranscodeError::ffmpeg("muxing audio"))?;
            self.audio_packets += 1;
        }
        Ok(())
    }

    /// Pads a fixed-rate rendition to the source duration, flushes the
    /// encoders and closes the file.
    pub(crate) fn finish(&mut self, duration_secs: f64, decoded: u64) -> Result<()> {
        if let Rate::Fixed { fps, .. } = &self.rate {
            let end = crate::profile::fixed_rate_frames(duration_secs, *fps) as i64;
            self.fill_until(end, decoded)?;
        }
        self.encode(None, decoded)?;
        self.push_audio_frame(None)?;
        self.octx
            .write_trailer()
            .map_err(TranscodeError::ffmpeg("writing the output trailer"))
    }
}

#[cfg(test)]
mod tests {
    use super::x264_threads;

    #[test]
    fn threads_are_shared_out_by_pixels() {
        // 720p/480p/360p on 2 cores: 59 %, 26 %, 15 % of the pixels.
        assert_eq!([0.59, 0.26, 0.15].map(|s| x264_threads(s, 2)), [2, 1, 1]);
        // One rung takes x264's own automatic count; never zero, never more.
        assert_eq!(x264_threads(1.0, 2), 3);
        assert_eq!(x264_threads(0.0, 2), 1);
        assert_eq!(x264_threads(0.59, 16), 14);
        assert_eq!(x264_threads(2.0, 16), 24);
    }
}
