//! Output: HLS. A master playlist (`index.m3u8`) naming one media playlist per rendition
//! (`<name>/index.m3u8`), rewritten atomically as each segment arrives (an `EVENT` playlist that
//! players can follow live) and closed with `#EXT-X-ENDLIST` when the stream ends; and a small
//! HTTP server for the folder.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};

use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One rendition ladder rung as the master playlist lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The profile name (its folder).
    pub name: String,
    /// Peak bits per second announced.
    pub bandwidth: u64,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

#[derive(Debug, Clone)]
struct Entry {
    seq: u64,
    duration: f64,
}

/// The HLS folder being written.
#[derive(Debug)]
pub struct HlsWriter {
    dir: PathBuf,
    variants: Vec<Variant>,
    segments: Vec<Vec<Entry>>,
    master_written: bool,
}

fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("m3u8.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

impl HlsWriter {
    /// A writer into `dir` (created if missing).
    pub fn create(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            variants: Vec::new(),
            segments: Vec::new(),
            master_written: false,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The master playlist's path.
    pub fn master(&self) -> PathBuf {
        self.dir.join("index.m3u8")
    }

    /// Adds segment `seq` (`duration` seconds) with one file per rendition, in ladder order. The
    /// first call fixes the ladder (renditions absent from it later are skipped).
    pub fn add(
        &mut self,
        seq: u64,
        duration: f64,
        renditions: &[(Variant, &[u8])],
    ) -> std::io::Result<()> {
        if !self.master_written {
            self.variants = renditions.iter().map(|(v, _)| v.clone()).collect();
            self.segments = vec![Vec::new(); self.variants.len()];
        }
        for (i, v) in self.variants.clone().iter().enumerate() {
            let Some((_, bytes)) = renditions.iter().find(|(r, _)| r.name == v.name) else {
                continue;
            };
            let folder = self.dir.join(&v.name);
            std::fs::create_dir_all(&folder)?;
            std::fs::write(folder.join(segment_name(seq)), bytes)?;
            self.segments[i].push(Entry { seq, duration });
            self.write_media(i, false)?;
        }
        if !self.master_written {
            self.write_master()?;
            self.master_written = true;
        }
        Ok(())
    }

    /// Closes every playlist (`#EXT-X-ENDLIST`).
    pub fn finish(&mut self) -> std::io::Result<()> {
        for i in 0..self.variants.len() {
            self.write_media(i, true)?;
        }
        Ok(())
    }

    fn write_master(&self) -> std::io::Result<()> {
        let mut m = String::from("#EXTM3U\n#EXT-X-VERSION:3\n");
        for v in &self.variants {
            let _ = writeln!(
                m,
                "#EXT-X-STREAM-INF:BANDWIDTH={},RESOLUTION={}x{}\n{}/index.m3u8",
                v.bandwidth, v.width, v.height, v.name
            );
        }
        write_atomic(&self.master(), &m)
    }

    fn write_media(&self, i: usize, end: bool) -> std::io::Result<()> {
        let entries = &self.segments[i];
        let target = entries
            .iter()
            .map(|e| e.duration.ceil() as u64)
            .max()
            .unwrap_or(2)
            .max(1);
        let first = entries.first().map_or(0, |e| e.seq);
        let mut m = format!(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{target}\n#EXT-X-MEDIA-SEQUENCE:{first}\n#EXT-X-PLAYLIST-TYPE:EVENT\n"
        );
        for e in entries {
            let _ = writeln!(m, "#EXTINF:{:.3},\n{}", e.duration, segment_name(e.seq));
        }
        if end {
            m.push_str("#EXT-X-ENDLIST\n");
        }
        write_atomic(
            &self.dir.join(&self.variants[i].name).join("index.m3u8"),
            &m,
        )
    }
}

/// A media segment's file name.
pub fn segment_name(seq: u64) -> String {
    format!("seg-{seq:06}.ts")
}

/// Serves `dir` over HTTP on `listener` until `shutdown` resolves (playlists are never cached).
pub async fn serve(
    listener: tokio::net::TcpListener,
    dir: PathBuf,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route("/{*path}", axum::routing::get(file))
        .with_state(dir);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Binds `addr` (port 0 picks one) for [`serve`].
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}

async fn file(State(dir): State<PathBuf>, UrlPath(path): UrlPath<String>) -> Response {
    let rel = Path::new(&path);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let content_type = match rel.extension().and_then(|e| e.to_str()) {
        Some("m3u8") => "application/vnd.apple.mpegurl",
        Some("ts") => "video/mp2t",
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    match tokio::fs::read(dir.join(rel)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, w: u32, h: u32) -> Variant {
        Variant {
            name: name.into(),
            bandwidth: 300_000,
            width: w,
            height: h,
        }
    }

    #[test]
    fn playlists_grow_and_close() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut w = HlsWriter::create(dir.path().join("out")).expect("create");
        w.add(
            0,
            2.0,
            &[(v("240p", 426, 240), b"a"), (v("360p", 640, 360), b"b")],
        )
        .expect("add");
        w.add(
            1,
            2.4,
            &[(v("240p", 426, 240), b"c"), (v("360p", 640, 360), b"d")],
        )
        .expect("add");
        let master = std::fs::read_to_string(w.master()).expect("master");
        assert!(
            master.contains("RESOLUTION=640x360\n360p/index.m3u8"),
            "{master}"
        );
        let media = std::fs::read_to_string(dir.path().join("out/240p/index.m3u8")).expect("media");
        assert!(media.contains("#EXT-X-TARGETDURATION:3"), "{media}");
        assert!(media.contains("#EXTINF:2.400,\nseg-000001.ts"), "{media}");
        assert!(!media.contains("ENDLIST"));
        w.finish().expect("finish");
        let media = std::fs::read_to_string(dir.path().join("out/360p/index.m3u8")).expect("media");
        assert!(media.ends_with("#EXT-X-ENDLIST\n"), "{media}");
        assert_eq!(
            std::fs::read(dir.path().join("out/360p/seg-000001.ts")).expect("seg"),
            b"d"
        );
    }

    #[tokio::test]
    async fn the_folder_is_served_and_nothing_outside_it() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(dir.path().join("out/240p")).expect("mkdir");
        std::fs::write(dir.path().join("out/index.m3u8"), "#EXTM3U\n").expect("write");
        std::fs::write(dir.path().join("secret.m3u8"), "no").expect("write");
        let listener = bind("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, dir.path().join("out"), async {
            let _ = rx.await;
        }));
        let base = format!("http://{addr}");
        let r = reqwest::get(format!("{base}/index.m3u8"))
            .await
            .expect("get");
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.expect("text"), "#EXTM3U\n");
        let r = reqwest::get(format!("{base}/..%2Fsecret.m3u8"))
            .await
            .expect("get");
        assert_eq!(r.status(), 404);
        let _ = tx.send(());
        server.await.expect("join").expect("serve");
    }
}
