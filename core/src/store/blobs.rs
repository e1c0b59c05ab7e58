//! Content-addressed files: every attachment is stored once, named by the SHA-256 of its
//! bytes, written to a temp file, fsynced and renamed into place before any row refers to it.
//! With a file key (the database is encrypted), each file is sealed with AES-256-GCM bound to
//! its name; files written before encryption was turned on are read as they are, and
//! [`Blobs::encrypt_existing`] seals them once.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use sha2::{Digest, Sha256};

/// The first bytes of a sealed blob file (no JPEG or PNG starts with them).
const MAGIC: &[u8; 4] = b"FKB\x01";
/// What sealing adds to a blob: magic, nonce, tag.
const OVERHEAD: usize = MAGIC.len() + NONCE_LEN + 16;

/// The key that seals blob files: 32 random bytes made once per device and kept in the
/// (encrypted) database.
pub struct BlobKey(LessSafeKey);

impl BlobKey {
    /// The key from its 32 stored bytes.
    pub fn from_bytes(bytes: &[u8]) -> io::Result<BlobKey> {
        let key = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| io::Error::other("the blob key is not 32 bytes"))?;
        Ok(BlobKey(LessSafeKey::new(key)))
    }

    /// 32 fresh random bytes for a new key.
    pub fn generate() -> io::Result<[u8; 32]> {
        let mut raw = [0u8; 32];
        SystemRandom::new()
            .fill(&mut raw)
            .map_err(|_| io::Error::other("no randomness for the blob key"))?;
        Ok(raw)
    }

    /// `MAGIC | nonce | AES-256-GCM(plain, aad = the blob's name) | tag`.
    fn seal(&self, sha256: &str, plain: &[u8]) -> io::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| io::Error::other("no randomness for a blob nonce"))?;
        let mut out = Vec::with_capacity(plain.len() + OVERHEAD);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let mut body = out.split_off(MAGIC.len() + NONCE_LEN);
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(sha256.as_bytes()),
                &mut body,
            )
            .map_err(|_| io::Error::other("sealing a blob failed"))?;
        out.append(&mut body);
        Ok(out)
    }

    /// The plain bytes of a sealed file, or an error if it was altered or is not this
    /// blob's.
    fn open(&self, sha256: &str, mut file: Vec<u8>) -> io::Result<Vec<u8>> {
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "a blob file fails its check");
        if file.len() < OVERHEAD {
            return Err(bad());
        }
        let nonce = Nonce::try_assume_unique_for_key(&file[MAGIC.len()..MAGIC.len() + NONCE_LEN])
            .map_err(|_| bad())?;
        let body = &mut file[MAGIC.len() + NONCE_LEN..];
        let n = self
            .0
            .open_in_place(nonce, Aad::from(sha256.as_bytes()), body)
            .map_err(|_| bad())?
            .len();
        file.drain(..MAGIC.len() + NONCE_LEN);
        file.truncate(n);
        Ok(file)
    }
}

impl std::fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlobKey(..)")
    }
}

/// The blob directory of one device.
#[derive(Debug)]
pub struct Blobs {
    root: PathBuf,
    /// Seals every file written, when the database is encrypted.
    key: Option<BlobKey>,
    /// Ingest (write file → commit row) holds it shared; orphan collection holds it
    /// exclusively, so a file is never collected between its write and its row's commit.
    gate: RwLock<()>,
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl Blobs {
    /// Opens (creating) the blob directory at `root`; with `key`, every file written is
    /// sealed.
    pub fn open(root: &Path, key: Option<BlobKey>) -> io::Result<Blobs> {
        fs::create_dir_all(root.join("tmp"))?;
        Ok(Blobs {
            root: root.to_owned(),
            key,
            gate: RwLock::new(()),
        })
    }

    /// Whether files are sealed.
    pub fn encrypted(&self) -> bool {
        self.key.is_some()
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
        let sealed;
        let content = match &self.key {
            Some(k) => {
                sealed = k.seal(&sha, bytes)?;
                &sealed[..]
            }
            None => bytes,
        };
        self.write_atomically(&tmp, &dest, &dir, content)?;
        Ok(sha)
    }

    /// Writes `content` to `tmp`, fsyncs it and renames it to `dest` (in `dir`).
    fn write_atomically(
        &self,
        tmp: &Path,
        dest: &Path,
        dir: &Path,
        content: &[u8],
    ) -> io::Result<()> {
        let result = (|| {
            let mut f = File::create(tmp)?;
            f.write_all(content)?;
            f.sync_all()?;
            drop(f);
            fs::rename(tmp, dest)?;
            sync_dir(dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(tmp);
        }
        result
    }

    /// The (plain) bytes of a stored blob: unsealed when it is sealed. A sealed file that
    /// was altered, or is another blob's, is `InvalidData`.
    pub fn get(&self, sha256: &str) -> io::Result<Vec<u8>> {
        let file = fs::read(self.path(sha256))?;
        if !file.starts_with(MAGIC) {
            return Ok(file);
        }
        match &self.key {
            Some(k) => k.open(sha256, file),
            None => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a sealed blob file and no key",
            )),
        }
    }

    /// The length of a stored blob's plain bytes (without reading it).
    pub fn plain_len(&self, sha256: &str) -> io::Result<u64> {
        let path = self.path(sha256);
        let len = fs::metadata(&path)?.len();
        let mut head = [0u8; 4];
        let sealed = File::open(&path)
            .and_then(|mut f| io::Read::read_exact(&mut f, &mut head))
            .is_ok()
            && &head == MAGIC;
        Ok(if sealed {
            len.saturating_sub(OVERHEAD as u64)
        } else {
            len
        })
    }

    /// Seals every file written before encryption was on (a no-op without a key). Each file
    /// is replaced atomically, so a kill leaves it plain or sealed, both readable; a file
    /// whose bytes no longer match its name is left as it is. Returns how many were sealed.
    pub fn encrypt_existing(&self) -> io::Result<usize> {
        let Some(key) = &self.key else {
            return Ok(0);
        };
        let _exclusive = self.gate.write().unwrap_or_else(|e| e.into_inner());
        let mut sealed = 0;
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() || entry.file_name() == "tmp" {
                continue;
            }
            for file in fs::read_dir(entry.path())? {
                let file = file?;
                let name = file.file_name().to_string_lossy().into_owned();
                let bytes = fs::read(file.path())?;
                if bytes.starts_with(MAGIC) || sha256_hex(&bytes) != name {
                    continue;
                }
                let tmp = self
                    .root
                    .join("tmp")
                    .join(format!("{}.part", uuid::Uuid::now_v7()));
                self.write_atomically(
                    &tmp,
                    &file.path(),
                    &entry.path(),
                    &key.seal(&name, &bytes)?,
                )?;
                sealed += 1;
            }
        }
        Ok(sealed)
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

/// fsyncs a directory, so a rename in it survives power loss.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
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
