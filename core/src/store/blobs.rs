//! Content-addressed files: every attachment is stored once, named by the SHA-256 of its
//! bytes, written to a temp file, fsynced and renamed into place before any row refers to it.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard};

use sha2::{Digest, Sha256};

/// The blob directory of one device.
#[derive(Debug)]
pub struct Blobs {
    root: PathBuf,
    /// Ingest (write file → commit row) holds it shared; orphan collection holds it
    /// exclusively, so a file is never collected between its write and its row's commit.
    gate: RwLock<()>,
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Blobs {
    /// Opens (creating) the blob directory at `root`.
    pub fn open(root: &Path) -> io::Result<Blobs> {
        fs::create_dir_all(root.join("tmp"))?;
        Ok(Blobs {
            root: root.to_owned(),
            gate: RwLock::new(()),
        })
    }

    /// Hold this from before [`Blobs::put`] until the row referring to the blob has
    /// committed (or failed).
    pub fn ingest_guard(&self) -> RwLockReadGuard<'_, ()> {
        self.gate.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the blob with this hash lives.
    pub fn path(&self, sha256: &str) -> PathBuf {
        let shard = sha256.get(..2).unwrap_or("00");
        self.root.join(shard).join(sha256)
    }

    /// Stores `bytes` durably; returns their SHA-256. Storing the same bytes twice is a no-op.
    pub fn put(&self, bytes: &[u8]) -> io::Result<String> {
        let sha = sha256_hex(bytes);
        let dest = self.path(&sha);
        if dest.exists() {
            return Ok(sha);
        }
        let dir = dest.parent().unwrap_or(&self.root).to_owned();
        fs::create_dir_all(&dir)?;
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{}.part", uuid::Uuid::now_v7()));
        let result = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &dest)?;
            sync_dir(&dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.map(|()| sha)
    }

    /// The bytes of a stored blob.
    pub fn get(&self, sha256: &str) -> io::Result<Vec<u8>> {
        fs::read(self.path(sha256))
    }

    /// Deletes temp files and every blob whose hash is not in `referenced`. Returns how many
    /// files were removed. `referenced` must be read while this runs' exclusive gate is held,
    /// so pass a closure that reads it.
    pub fn collect_orphans(
        &self,
        referenced: impl FnOnce() -> io::Result<HashSet<String>>,
    ) -> io::Result<usize> {
        let _exclusive = self.gate.write().unwrap_or_else(|e| e.into_inner());
        let keep = referenced()?;
        let mut removed = 0;
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !entry.file_type()?.is_dir() {
                continue;
            }
            for file in fs::read_dir(entry.path())? {
                let file = file?;
                let fname = file.file_name().to_string_lossy().into_owned();
                if name == "tmp" || !keep.contains(&fname) {
                    fs::remove_file(file.path())?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
