//! Segment transcoding: decode once, then scale and encode every rendition.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use ffmpeg_next::{self as ffmpeg, Packet, Rational, Rescale, codec, frame};

use crate::accounting::{RenditionReport, TranscodeReport};
use crate::decode::{self, Event, Limits, Opened};
use crate::error::{Result, TranscodeError};
use crate::fanout::{Msg, Summary, Worker};
use crate::profile::{AudioMode, Profile};
use crate::rendition::SourceInfo;

/// Knobs for [`transcode_segment`].
#[derive(Debug, Clone, PartialEq)]
pub struct TranscodeOptions {
    /// Input guards.
    pub limits: Limits,
    /// libx264 preset (`veryfast` by default, like the benchmark ladder).
    pub x264_preset: String,
}

impl Default for TranscodeOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            x264_preset: "veryfast".into(),
        }
    }
}

/// Audio packets buffered until the first video frame fixes the renditions.
const MAX_PENDING_AUDIO: usize = 4096;

struct Job<'a> {
    profiles: &'a [Profile],
    out_dir: &'a Path,
    opts: &'a TranscodeOptions,
    workers: Vec<Worker>,
    skipped: Vec<String>,
    started: bool,
    audio: Option<(codec::Parameters, Rational)>,
    audio_decoder: Option<ffmpeg::decoder::Audio>,
    pending_audio: Vec<Packet>,
    decoded: u64,
    video_tb: Rational,
    fps: Rational,
}

impl Job<'_> {
    fn start(&mut self, first: &frame::Video) -> Result<()> {
        let info = SourceInfo {
            width: first.width(),
            height: first.height(),
            video_tb: self.video_tb,
            fps: self.fps,
            audio: self.audio.clone(),
            audio_format: self
                .audio_decoder
                .as_ref()
                .map(|d| (d.rate(), d.channel_layout())),
            x264_preset: self.opts.x264_preset.clone(),
            ladder_pixels: self
                .profiles
                .iter()
                .filter_map(|p| p.output_size(first.width(), first.height()))
                .map(|(w, h)| u64::from(w) * u64::from(h))
                .sum(),
        };
        for p in self.profiles {
            if p.output_size(info.width, info.height).is_none() {
                self.skipped.push(p.name.clone());
                continue;
            }
            let dir = self.out_dir.to_path_buf();
            let w = Worker::spawn(p, dir, info.clone(), self.opts.limits.max_frame_ratio)?;
            self.workers.push(w);
        }
        for packet in std::mem::take(&mut self.pending_audio) {
            self.audio_packet(&packet)?;
        }
        Ok(())
    }

    /// Sends to every worker accepted by `want`; if one has stopped, joins it
    /// and returns its error.
    fn broadcast(
        &mut self,
        want: impl Fn(&Worker) -> bool,
        mut msg: impl FnMut() -> Msg,
    ) -> Result<()> {
        let mut failed = None;
        for (i, w) in self.workers.iter().enumerate() {
            if want(w) && !w.send(msg()) {
                failed = Some(i);
                break;
            }
        }
        match failed {
            None => Ok(()),
            Some(i) => Err(match self.workers[i].join() {
                Err(e) => e,
                Ok(_) => TranscodeError::Aborted("a rendition finished early".into()),
            }),
        }
    }

    fn audio_packet(&mut self, packet: &Packet) -> Result<()> {
        if !self.started {
            if self.pending_audio.len() >= MAX_PENDING_AUDIO {
                return Err(TranscodeError::Corrupt {
                    reason: "too much audio before the first video frame".into(),
                });
            }
            self.pending_audio.push(packet.clone());
            return Ok(());
        }
        self.broadcast(
            |w| w.audio == AudioMode::Copy,
            || Msg::AudioPacket(packet.clone()),
        )?;
        let mut frames = Vec::new();
        if let Some(dec) = self.audio_decoder.as_mut() {
            // A damaged audio packet is dropped rather than failing the segment.
            if dec.send_packet(packet).is_ok() {
                let src_tb = self
                    .audio
                    .as_ref()
                    .map_or(Rational::new(1, 90_000), |a| a.1);
                let mut f = frame::Audio::empty();
                while dec.receive_frame(&mut f).is_ok() {
                    let enc_tb = Rational::new(1, f.rate().max(1) as i32);
                    let ts = f.timestamp().map(|t| t.rescale(src_tb, enc_tb));
                    f.set_pts(ts);
                    frames.push(Arc::new(std::mem::replace(&mut f, frame::Audio::empty())));
                }
            }
        }
        for f in frames {
            self.broadcast(
                |w| w.audio == AudioMode::Encode,
                || Msg::AudioFrame(Arc::clone(&f)),
            )?;
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event<'_>) -> Result<()> {
        match event {
            Event::Frame(f, secs) => {
                if !self.started {
                    self.started = true;
                    self.start(f)?;
                }
                self.decoded += 1;
                let shared = Arc::new(std::mem::replace(f, frame::Video::empty()));
                let decoded = self.decoded;
                self.broadcast(|_| true, || Msg::Video(Arc::clone(&shared), secs, decoded))
            }
            Event::Audio(p) => self.audio_packet(p),
        }
    }
}

fn open_audio_decoder(input: &Opened) -> Result<Option<ffmpeg::decoder::Audio>> {
    let Some(stream) = input.audio_index.and_then(|i| input.ictx.stream(i)) else {
        return Ok(None);
    };
    let ctx = codec::context::Context::from_parameters(stream.parameters())
        .map_err(TranscodeError::ffmpeg("creating the audio decoder"))?;
    let dec = ctx
        .decoder()
        .audio()
        .map_err(TranscodeError::ffmpeg("opening the audio decoder"))?;
    Ok(Some(dec))
}

/// Transcodes one segment into every profile, writing `<name>.ts` files into
/// `out_dir`, and returns the accounting.
///
/// On error the partially written rendition files are removed.
pub fn transcode_segment(
    input: &Path,
    profiles: &[Profile],
    out_dir: &Path,
    opts: &TranscodeOptions,
) -> Result<TranscodeReport> {
    let started = Instant::now();
    if profiles.is_empty() {
        return Err(TranscodeError::InvalidProfile("no profiles given".into()));
    }
    for p in profiles {
        p.validate()?;
    }
    std::fs::create_dir_all(out_dir).map_err(TranscodeError::io(out_dir))?;
    let mut opened = decode::open_input(input, &opts.limits)?;
    let audio = opened
        .audio_index
        .and_then(|i| opened.ictx.stream(i))
        .map(|s| (s.parameters(), s.time_base()));
    let wants_encode = profiles.iter().any(|p| p.audio == AudioMode::Encode);
    let audio_decoder = if wants_encode {
        open_audio_decoder(&opened)?
    } else {
        None
    };
    let mut job = Job {
        profiles,
        out_dir,
        opts,
        workers: Vec::with_capacity(profiles.len()),
        skipped: Vec::new(),
        started: false,
        audio,
        audio_decoder,
        pending_audio: Vec::new(),
        decoded: 0,
        video_tb: opened.video_tb,
        fps: opened.fps,
    };
    let result = run(&mut opened, &mut job);
    let paths: Vec<PathBuf> = job.workers.iter().map(|w| w.path.clone()).collect();
    let skipped = std::mem::take(&mut job.skipped);
    drop(job); // joins any worker still running
    let (stats, summaries) = match result {
        Ok(s) => s,
        Err(e) => {
            for p in &paths {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
    };

    let mut renditions = Vec::with_capacity(summaries.len());
    for r in &summaries {
        let bytes = std::fs::metadata(&r.path)
            .map_err(TranscodeError::io(&r.path))?
            .len();
        renditions.push(RenditionReport {
            name: r.profile.name.clone(),
            file: file_name(&r.path),
            width: r.width,
            height: r.height,
            fps: r.fps,
            frames: r.frames,
            pixels: r.pixels,
            duration_secs: if r.fps > 0.0 {
                r.frames as f64 / r.fps
            } else {
                0.0
            },
            target_bitrate: r.profile.bitrate,
            bytes,
            audio_packets: r.audio_packets,
        });
    }
    let (source_width, source_height) = (stats.width, stats.height);
    Ok(TranscodeReport {
        input: input.display().to_string(),
        source_width,
        source_height,
        source_fps: decode::q2f(opened.fps),
        decoded_frames: stats.walk.frames,
        decoded_pixels: stats.walk.pixels,
        duration_secs: stats.walk.duration_secs,
        has_audio: opened.audio_index.is_some(),
        renditions,
        skipped,
        wall_secs: started.elapsed().as_secs_f64(),
    })
}

struct RunStats {
    walk: decode::WalkStats,
    width: u32,
    height: u32,
}

fn run(opened: &mut Opened, job: &mut Job<'_>) -> Result<(RunStats, Vec<Summary>)> {
    let mut dims = (0, 0);
    let walk = decode::walk(opened, |ev| {
        if let Event::Frame(f, _) = &ev
            && dims == (0, 0)
        {
            dims = (f.width(), f.height());
        }
        job.on_event(ev)
    })?;
    let (duration_secs, decoded) = (walk.duration_secs, job.decoded);
    job.broadcast(
        |_| true,
        || Msg::Finish {
            duration_secs,
            decoded,
        },
    )?;
    let mut summaries = Vec::with_capacity(job.workers.len());
    for w in &mut job.workers {
        summaries.push(w.join()?);
    }
    Ok((
        RunStats {
            walk,
            width: dims.0,
            height: dims.1,
        },
        summaries,
    ))
}
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Progress of a multi-segment run.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// 1-based index of the segment just finished.
    pub done: usize,
    /// Number of segments in the run.
    pub total: usize,
    /// Segment just finished.
    pub input: &'a Path,
    /// Its outcome.
    pub outcome: &'a Result<TranscodeReport>,
}

/// Lists the `.ts` segments of a directory, sorted by name.
pub fn segments_in_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(TranscodeError::io(dir))? {
        let path = entry.map_err(TranscodeError::io(dir))?.path();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ts"))
            && path.is_file()
        {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Transcodes several segments one after another, each into
/// `out_dir/<segment stem>/`, reporting progress after every segment.
///
/// A failing segment does not stop the run: its error is returned in place.
pub fn transcode_many(
    inputs: &[PathBuf],
    profiles: &[Profile],
    out_dir: &Path,
    opts: &TranscodeOptions,
    mut progress: impl FnMut(Progress<'_>),
) -> Vec<Result<TranscodeReport>> {
    let total = inputs.len();
    let mut results = Vec::with_capacity(total);
    for (i, input) in inputs.iter().enumerate() {
        let stem = input.file_stem().map_or_else(
            || format!("segment{i}"),
            |s| s.to_string_lossy().into_owned(),
        );
        let dir = if total == 1 {
            out_dir.to_path_buf()
        } else {
            out_dir.join(stem)
        };
        let outcome = transcode_segment(input, profiles, &dir, opts);
        progress(Progress {
            done: i + 1,
            total,
            input,
            outcome: &outcome,
        });
        results.push(outcome);
    }
    results
}
