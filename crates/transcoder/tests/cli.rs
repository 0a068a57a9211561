//! The command-line front end: transcode, verify, probe and help.

mod common;

use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_streamflow-transcoder"));
    c.env("RUST_LOG", "info").env("RUST_BACKTRACE", "0");
    c
}

fn json(out: &std::process::Output) -> serde_json::Value {
    json_with_code(out, 0)
}

/// The JSON on stdout of a run that exited with `code`.
fn json_with_code(out: &std::process::Output, code: i32) -> serde_json::Value {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn help_lists_commands_and_examples() {
    let out = bin().arg("--help").output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "transcode",
        "verify",
        "bench",
        "Examples:",
        "--report out/report.json",
    ] {
        assert!(text.contains(needle), "help lacks {needle:?}:\n{text}");
    }
}

#[test]
fn transcode_then_verify_round_trip() {
    let src = common::segment(640, 360, 30, 1.0);
    let out = tempfile::tempdir().expect("tempdir");
    let report = json(
        &bin()
            .args(["transcode", "-i"])
            .arg(&src)
            .args(["-p", "360p,240p", "-o"])
            .arg(out.path())
            .output()
            .expect("run transcode"),
    );
    assert_eq!(report["renditions"][0]["pixels"], 30 * 640 * 360);
    assert_eq!(report["renditions"][1]["width"], 426);
    assert!(out.path().join("report.json").is_file());

    let verdict = json(
        &bin()
            .args(["verify", "-s"])
            .arg(&src)
            .arg("-r")
            .arg(out.path().join("360p.ts"))
            .arg("-r")
            .arg(out.path().join("240p.ts"))
            .args(["-p", "360p,240p", "--report"])
            .arg(out.path().join("report.json"))
            .output()
            .expect("run verify"),
    );
    assert_eq!(verdict["overall"]["verdict"], "pass", "{verdict:#}");
    assert_eq!(verdict["renditions"][1]["stage"], "quality");

    // An explicit, inflated claim fails at the probe stage: exit status 4.
    let verdict = json_with_code(
        &bin()
            .args(["verify", "-s"])
            .arg(&src)
            .arg("-r")
            .arg(out.path().join("240p.ts"))
            .args([
                "-p",
                "240p",
                "--level",
                "cheap",
                "--claim",
                "426x240:30:9999999",
            ])
            .output()
            .expect("run verify"),
        4,
    );
    assert_eq!(verdict["overall"]["verdict"], "fail", "{verdict:#}");

    // A 720p rung of a 360p source must be skipped, not upscaled: a 360p
    // file handed in for it fails.
    let verdict = json_with_code(
        &bin()
            .args(["verify", "-s"])
            .arg(&src)
            .arg("-r")
            .arg(out.path().join("240p.ts"))
            .args(["-p", "720p", "--level", "cheap", "--report"])
            .arg(out.path().join("report.json"))
            .output()
            .expect("run verify"),
        4,
    );
    assert_eq!(verdict["overall"]["verdict"], "fail", "{verdict:#}");
}

#[test]
fn verify_exit_status_tells_suspicious_from_fail_and_error() {
    let src = common::segment(640, 360, 30, 1.0);
    let out = tempfile::tempdir().expect("tempdir");
    // A 360p rendition starved to 60 kb/s: cheap checks only suspect it.
    let starved = common::tamper(&src, "cli_starved.ts", "null", "60k");
    let verdict = json_with_code(
        &bin()
            .args(["verify", "-s"])
            .arg(&src)
            .arg("-r")
            .arg(&starved)
            .args([
                "-p",
                "360p",
                "--level",
                "cheap",
                "--claim",
                "640x360:30:6912000",
            ])
            .output()
            .expect("run verify"),
        3,
    );
    assert_eq!(verdict["overall"]["verdict"], "suspicious", "{verdict:#}");
    // A missing source is an error: exit status 1, no verdict.
    let run = bin()
        .args(["verify", "-s"])
        .arg(out.path().join("missing.ts"))
        .arg("-r")
        .arg(&starved)
        .args(["-p", "360p", "--claim", "640x360:30:6912000"])
        .output()
        .expect("run verify");
    assert_eq!(run.status.code(), Some(1));
    // A bad command line: clap's exit status 2.
    let run = bin().args(["verify", "--nonsense"]).output().expect("run");
    assert_eq!(run.status.code(), Some(2));
}

#[test]
fn probe_refuses_a_stream_without_readable_dimensions() {
    // An H.264 elementary stream cut before its first picture: FFmpeg finds a
    // video stream but not its size.
    let full = common::ffmpeg_to(
        "cli_probe_src.h264",
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=30",
            "-t",
            "0.2",
            "-c:v",
            "libx264",
            "-f",
            "h264",
        ],
    );
    let bytes = std::fs::read(&full).expect("read");
    let cut = common::bytes_file("cli_probe_cut.h264", &bytes[..40.min(bytes.len())]);
    let run = bin().arg("probe").arg(&cut).output().expect("run probe");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(
        run.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&run.stdout)
    );
    assert!(stderr.contains("Error"), "{stderr}");
}

#[test]
fn directory_input_reports_progress_per_segment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seg = common::segment(320, 240, 30, 0.5);
    for name in ["seg0.ts", "seg1.ts"] {
        std::fs::copy(&seg, dir.path().join(name)).expect("copy");
    }
    let profiles = dir.path().join("ladder.json");
    std::fs::write(
        &profiles,
        r#"[{"name":"tiny","width":160,"height":120,"bitrate":100000,"fps":15}]"#,
    )
    .expect("write profiles");
    let out = tempfile::tempdir().expect("tempdir");
    let run = bin()
        .args(["transcode", "--input-dir"])
        .arg(dir.path())
        .arg("-p")
        .arg(&profiles)
        .arg("-o")
        .arg(out.path())
        .output()
        .expect("run");
    let items = json(&run);
    assert_eq!(items.as_array().map(Vec::len), Some(2));
    assert_eq!(items[1]["report"]["renditions"][0]["frames"], 8);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("[1/2]") && stderr.contains("[2/2]"),
        "{stderr}"
    );
    assert!(out.path().join("seg1").join("tiny.ts").is_file());
}

#[test]
fn bad_input_exits_non_zero_with_a_clear_message() {
    let junk = common::bytes_file("cli_junk.ts", b"not a transport stream at all");
    let out = tempfile::tempdir().expect("tempdir");
    let run = bin()
        .args(["transcode", "-i"])
        .arg(&junk)
        .arg("-o")
        .arg(out.path())
        .output()
        .expect("run");
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("not a readable media segment"), "{stderr}");
}

#[test]
fn bench_takes_an_input_file() {
    let src = common::segment(640, 360, 30, 1.0);
    let work = tempfile::tempdir().expect("tempdir");
    let run = bin()
        .args(["bench", "--runs", "1", "--input"])
        .arg(&src)
        .arg("--work-dir")
        .arg(work.path())
        .output()
        .expect("run bench");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // Only the 360p rung fits a 360p source; its PSNR is compared with the CLI's.
    let label = src.display().to_string();
    assert!(stdout.contains(&format!("| {label} | 360p |")), "{stdout}");
    assert!(!stdout.contains("| 720p |"), "{stdout}");
    assert!(stdout.contains("ffmpeg CLI, one process"), "{stdout}");
    // A source below every rung cannot be benchmarked: an error, exit 1.
    let tiny = common::segment(176, 144, 30, 0.5);
    let run = bin()
        .args(["bench", "--runs", "1", "--input"])
        .arg(&tiny)
        .output()
        .expect("run bench");
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("would upscale"));
}
