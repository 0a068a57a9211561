//! One worker thread per rendition: the decoding thread fans each decoded
//! frame out (shared, not copied) and every worker scales, encodes and muxes
//! its own rendition, so the encoders' blocking calls overlap.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use ffmpeg_next::{Packet, frame};

use crate::error::{Result, TranscodeError};
use crate::profile::{AudioMode, Profile};
use crate::rendition::{Rendition, SourceInfo};

/// Frames in flight per worker; bounds memory and keeps workers in step.
const QUEUE_DEPTH: usize = 4;

/// Work sent to a rendition worker.
pub(crate) enum Msg {
    /// A decoded source frame, its time and the running decoded count.
    Video(Arc<frame::Video>, f64, u64),
    /// A source audio packet (copy mode).
    AudioPacket(Packet),
    /// A decoded audio frame with pts in 1/sample-rate (encode mode).
    AudioFrame(Arc<frame::Audio>),
    /// End of input: pad, flush and close.
    Finish {
        /// Source duration in seconds.
        duration_secs: f64,
        /// Total decoded frames.
        decoded: u64,
    },
}

/// What a finished worker reports.
pub(crate) struct Summary {
    pub(crate) profile: Profile,
    pub(crate) path: PathBuf,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) fps: f64,
    pub(crate) frames: u64,
    pub(crate) pixels: u64,
    pub(crate) audio_packets: u64,
}

/// Handle on a running worker.
pub(crate) struct Worker {
    tx: Option<SyncSender<Msg>>,
    handle: Option<JoinHandle<Result<Summary>>>,
    pub(crate) path: PathBuf,
    pub(crate) audio: AudioMode,
}

impl Worker {
    /// Starts the worker for `profile`; the rendition is set up on its thread.
    pub(crate) fn spawn(
        profile: &Profile,
        dir: PathBuf,
        info: SourceInfo,
        max_ratio: f64,
    ) -> Result<Self> {
        let (tx, rx) = sync_channel(QUEUE_DEPTH);
        let path = dir.join(format!("{}.ts", profile.name));
        let owned = profile.clone();
        let handle = std::thread::Builder::new()
            .name(format!("rendition-{}", profile.name))
            .spawn(move || run(owned, dir, info, max_ratio, rx))
            .map_err(TranscodeError::io(&path))?;
        Ok(Self {
            tx: Some(tx),
            handle: Some(handle),
            path,
            audio: profile.audio,
        })
    }

    /// Sends work; `false` when the worker has already stopped (its error is
    /// collected by [`Worker::join`]).
    pub(crate) fn send(&self, msg: Msg) -> bool {
        self.tx.as_ref().is_some_and(|tx| tx.send(msg).is_ok())
    }

    /// Closes the queue and waits for the worker's result.
    pub(crate) fn join(&mut self) -> Result<Summary> {
        self.tx = None;
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(TranscodeError::Aborted(
                "a rendition worker panicked".into(),
            )),
            None => Err(TranscodeError::Aborted(
                "rendition worker already joined".into(),
            )),
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Never leave a thread writing a file behind.
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn run(
    profile: Profile,
    dir: PathBuf,
    info: SourceInfo,
    max_ratio: f64,
    rx: Receiver<Msg>,
) -> Result<Summary> {
    let mut r = Rendition::new(&profile, &dir, &info, max_ratio)?;
    for msg in rx {
        match msg {
            Msg::Video(f, secs, decoded) => r.push(&f, secs, decoded)?,
            Msg::AudioPacket(p) => r.push_audio_packet(&p)?,
            Msg::AudioFrame(f) => r.push_audio_frame(Some(&f))?,
            Msg::Finish {
                duration_secs,
                decoded,
            } => {
                r.finish(duration_secs, decoded)?;
                return Ok(Summary {
                    profile,
                    path: r.path.clone(),
                    width: r.width,
                    height: r.height,
                    fps: r.fps,
                    frames: r.counter.frames(),
                    pixels: r.counter.pixels(),
                    audio_packets: r.audio_packets,
                });
            }
        }
    }
    Err(TranscodeError::Aborted(
        "segment aborted before the end".into(),
    ))
}
