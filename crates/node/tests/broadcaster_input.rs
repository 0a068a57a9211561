//! Live input: a real `ffmpeg -re ... -f flv rtmp://` push into the broadcaster's RTMP listener,
//! cut into keyframe-aligned MPEG-TS segments that each decode on their own.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use streamflow_node::broadcaster::segmenter::{Input, segment};
use streamflow_transcoder::testmedia::run_ffmpeg;

#[test]
fn a_live_rtmp_push_is_cut_at_keyframes() {
    streamflow_transcoder::quiet_ffmpeg(false);
    let dir = tempfile::tempdir().expect("tmp");
    let clip = dir.path().join("clip.mp4");
    // 5 s, 25 fps, a keyframe every second, with audio.
    run_ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:sample_rate=44100",
        "-t",
        "5",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "25",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        clip.to_str().expect("utf8"),
    ])
    .expect("ffmpeg makes the clip");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = format!("rtmp://127.0.0.1:{port}/live/test");
    let work = dir.path().join("work");
    let stop = Arc::new(AtomicBool::new(false));
    let listener = {
        let (url, work, stop) = (url.clone(), work.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut got = Vec::new();
            let n = segment(&Input::Listen(url), 2.0, &work, stop, |s| {
                got.push(s);
                true
            });
            (n, got)
        })
    };
    // Push in real time; retry until the listener accepts (it starts listening asynchronously).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = Command::new("ffmpeg")
            .args([
                "-hide_banner",
                "-loglevel",
                "error",
                "-nostdin",
                "-re",
                "-i",
            ])
            .arg(&clip)
            .args(["-c", "copy", "-f", "flv", &url])
            .stdin(Stdio::null())
            .status()
            .expect("run ffmpeg");
        if status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the RTMP listener never accepted the push"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let (n, got) = listener.join().expect("listener thread");
    let n = n.expect("segmenting the live push");
    assert_eq!(n, got.len() as u64);
    assert!((2..=3).contains(&n), "{n} segments");
    let mut frames = 0;
    for s in &got {
        let p = dir.path().join(format!("seg-{}.ts", s.seq));
        std::fs::write(&p, &s.data).expect("write");
        let info = streamflow_transcoder::probe::probe(&p, &Default::default())
            .expect("every live segment probes");
        assert!(info.starts_with_keyframe, "segment {} {info:?}", s.seq);
        assert!(info.has_audio, "segment {} keeps the audio", s.seq);
        if s.seq + 1 < n {
            assert!(
                (s.duration_secs - 2.0).abs() < 0.1,
                "segment {} is {} s",
                s.seq,
                s.duration_secs
            );
        }
        frames += info.frames;
    }
    assert_eq!(
        frames, 125,
        "every frame of the push is in exactly one segment"
    );
}
