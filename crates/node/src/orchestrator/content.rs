//! The content-addressed store of sources and renditions, kept for a retention period so that a
//! broadcaster, a challenger or a committee member can fetch exactly what a receipt names
//! (`GET /v1/sources/{inputHash}`, `GET /v1/renditions/{outputHash}`).
//!
//! One file per object, named by its `keccak256`, under `sources/` and `renditions/`; written to a
//! temporary name and renamed, so a reader never sees half an object. An object older than the
//! retention period (by its file's modification time) is no longer served and is deleted by
//! [`ContentStore::sweep`].

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use alloy::primitives::B256;

/// The two kinds of objects kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Source segments, by `inputHash`.
    Source,
    /// Renditions, by `outputHash`.
    Rendition,
}

impl Kind {
    fn dir(self) -> &'static str {
        match self {
            Kind::Source => "sources",
            Kind::Rendition => "renditions",
        }
    }
}

/// The store.
#[derive(Debug, Clone)]
pub struct ContentStore {
    root: PathBuf,
    retention: Duration,
}

impl ContentStore {
    /// A store under `root` (created if missing) keeping objects for `retention`.
    pub fn open(root: impl AsRef<Path>, retention: Duration) -> std::io::Result<Self> {
        let root = root.as_ref().to_path_buf();
        for k in [Kind::Source, Kind::Rendition] {
            std::fs::create_dir_all(root.join(k.dir()))?;
        }
        Ok(Self { root, retention })
    }

    /// How long objects are kept.
    pub fn retention(&self) -> Duration {
        self.retention
    }

    fn path(&self, kind: Kind, hash: &B256) -> PathBuf {
        self.root.join(kind.dir()).join(format!("{hash:x}"))
    }

    /// Stores `bytes` under `hash` (the caller computed it); refreshes its age if present.
    pub fn put(&self, kind: Kind, hash: &B256, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(kind, hash);
        let tmp = path.with_extension(format!("tmp-{:016x}", rand::random::<u64>()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)
    }

    /// The object stored under `hash`, if kept and not older than the retention period.
    pub fn get(&self, kind: Kind, hash: &B256) -> std::io::Result<Option<Vec<u8>>> {
        let path = self.path(kind, hash);
        match std::fs::metadata(&path) {
            Ok(m) if !self.expired(&m) => {}
            Ok(_) => return Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        }
        match std::fs::read(&path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn expired(&self, m: &std::fs::Metadata) -> bool {
        m.modified()
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > self.retention)
    }

    /// Deletes objects older than the retention period (and stray temporary files); returns how
    /// many were deleted.
    pub fn sweep(&self) -> std::io::Result<usize> {
        let mut n = 0;
        for k in [Kind::Source, Kind::Rendition] {
            for entry in std::fs::read_dir(self.root.join(k.dir()))? {
                let entry = entry?;
                if let Ok(m) = entry.metadata()
                    && self.expired(&m)
                    && std::fs::remove_file(entry.path()).is_ok()
                {
                    n += 1;
                }
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_served_until_they_expire() {
        let dir = tempfile::tempdir().expect("tmp");
        let s = ContentStore::open(dir.path(), Duration::from_secs(3600)).expect("open");
        let h = B256::repeat_byte(7);
        s.put(Kind::Rendition, &h, b"abc").expect("put");
        assert_eq!(
            s.get(Kind::Rendition, &h).expect("get").as_deref(),
            Some(&b"abc"[..])
        );
        // Kinds are separate namespaces.
        assert_eq!(s.get(Kind::Source, &h).expect("get"), None);
        assert_eq!(s.sweep().expect("sweep"), 0);
        // Two hours old: past the retention.
        let f = std::fs::File::options()
            .write(true)
            .open(s.path(Kind::Rendition, &h))
            .expect("open object");
        f.set_modified(SystemTime::now() - Duration::from_secs(7200))
            .expect("age it");
        assert_eq!(s.get(Kind::Rendition, &h).expect("get"), None);
        assert_eq!(s.sweep().expect("sweep"), 1);
        assert!(!s.path(Kind::Rendition, &h).exists());
    }
}
