//! Shared helpers: small synthetic segments generated once per test run with
//! the ffmpeg CLI (lavfi sources) and cached under the cargo target tmpdir.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use streamflow_transcoder::testmedia::{SegmentSpec, generate_segment, run_ffmpeg};

static LOCK: Mutex<()> = Mutex::new(());

/// Directory holding generated media (not committed; under target/).
pub fn media_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("streamflow-media-v1");
    std::fs::create_dir_all(&dir).expect("create media dir");
    dir
}

/// Generates (once) a file named `name` by running `make` into a temporary
/// path that is then renamed, so concurrent tests never see half a file.
pub fn cached(name: &str, make: impl FnOnce(&Path)) -> PathBuf {
    let path = media_dir().join(name);
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if !path.exists() {
        let tmp = media_dir().join(format!("tmp-{name}"));
        make(&tmp);
        std::fs::rename(&tmp, &path).expect("rename generated media");
    }
    path
}

/// A lavfi `testsrc2` segment with AAC audio.
pub fn segment(width: u32, height: u32, fps: u32, secs: f64) -> PathBuf {
    segment_with(SegmentSpec::new(width, height, fps, secs))
}

/// A segment from an arbitrary spec.
pub fn segment_with(spec: SegmentSpec) -> PathBuf {
    let name = format!(
        "{}_{}x{}_{}fps_{}s_{}.ts",
        spec.source,
        spec.width,
        spec.height,
        spec.fps,
        spec.secs,
        if spec.audio { "av" } else { "v" }
    );
    cached(&name, |p| {
        generate_segment(&spec, p).expect("generate segment")
    })
}

/// The standard 1 s 720p30 source with audio used by most tests.
pub fn source_720p() -> PathBuf {
    segment(1280, 720, 30, 1.0)
}

/// Re-encodes `src` with the ffmpeg CLI through the video filter `vf` at
/// `bitrate` (e.g. "800k"), keeping audio, into a cached file `name`.
pub fn tamper(src: &Path, name: &str, vf: &str, bitrate: &str) -> PathBuf {
    cached(name, |p| {
        let args = [
            "-i",
            &src.display().to_string(),
            "-map",
            "0:v",
            "-map",
            "0:a?",
            "-c:a",
            "copy",
            "-vf",
            vf,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-b:v",
            bitrate,
            "-g",
            "60",
            "-f",
            "mpegts",
            &p.display().to_string(),
        ];
        run_ffmpeg(&args).expect("ffmpeg tamper");
    })
}

/// Runs arbitrary ffmpeg arguments into a cached file `name` (the output
/// path is appended).
pub fn ffmpeg_to(name: &str, args: &[&str]) -> PathBuf {
    cached(name, |p| {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.push(p.display().to_string());
        run_ffmpeg(&all).expect("ffmpeg");
    })
}

/// Writes `bytes` into a cached file `name`.
pub fn bytes_file(name: &str, bytes: &[u8]) -> PathBuf {
    cached(name, |p| std::fs::write(p, bytes).expect("write"))
}

/// A real sample clip fetched by `tools/fetch-media.sh` (run by `make setup`).
pub fn media_clip(name: &str) -> PathBuf {
    let dir = std::env::var_os("STREAMFLOW_MEDIA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("media"));
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "sample clip {} missing: run tools/fetch-media.sh (part of make setup)",
        path.display()
    );
    path
}

/// A source segment cut from a real clip: `secs` seconds from `start`,
/// re-encoded near-losslessly (CRF 12) into MPEG-TS with a `filter` applied
/// (`null` for none), as a broadcaster would send it.
pub fn real_segment(name: &str, clip: &str, start: f64, secs: f64, filter: &str) -> PathBuf {
    let src = media_clip(clip);
    cached(name, |p| {
        let args = [
            "-ss",
            &start.to_string(),
            "-i",
            &src.display().to_string(),
            "-t",
            &secs.to_string(),
            "-map",
            "0:v",
            "-map",
            "0:a?",
            "-vf",
            filter,
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "12",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-f",
            "mpegts",
            &p.display().to_string(),
        ];
        run_ffmpeg(&args).expect("cut a real segment");
    })
}
