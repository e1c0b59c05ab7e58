//! Format 2's crypto on plain slices: the two page keys derived from the database key, a
//! page's encryption and decryption, and its MAC, with the shortcut that makes a page write
//! one AES-GCM pass instead of two.
//!
//! A page (data `P`, a fresh random 16-byte IV, nonce `N` = the IV's first 12 bytes):
//! - `C, T = AES-256-GCM-Seal(K_enc, N, P)`: `C` is `P` in AES-256 counter mode, `T` GCM's
//!   tag over `C`;
//! - `MAC = AES-256-GCM-Seal(K_mac, N, aad = page number ‖ IV, message = T).tag`.
//!
//! The MAC authenticates `C` through `T` (a GHASH of `C` under a key only `K_enc` gives, so
//! another `C` with the same `T` cannot be found without it), and the IV and the page number
//! directly: a changed byte anywhere in the data or the IV, or a page moved to another place,
//! fails the check. Writing a page costs one pass over it (the seal gives `C` and `T`
//! together); checking one read from disk costs two (`C` → `P`, then `P` → `T`), and its
//! decryption then reuses that `P`. Reads are rare on the command path (the page cache).

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::hkdf::{HKDF_SHA256, Salt};

/// The IV SQLCipher draws per page write (AES's block).
pub(super) const IV_LEN: usize = 16;
/// Format 2's MAC: one GCM tag.
pub(super) const TAG_LEN: usize = 16;

/// The page encryption key and the page MAC key, both from the database key.
pub(super) struct PageKeys {
    enc: LessSafeKey,
    mac: LessSafeKey,
}

impl PageKeys {
    /// Both keys from the database's 32 raw bytes: HKDF-SHA256, one label each.
    pub(super) fn derive(raw: &[u8; 32]) -> Option<PageKeys> {
        let prk = Salt::new(HKDF_SHA256, b"fieldkit page format 2").extract(raw);
        let key = |label: &[u8]| -> Option<LessSafeKey> {
            let info = [label];
            let okm = prk.expand(&info, &AES_256_GCM).ok()?;
            Some(LessSafeKey::new(UnboundKey::from(okm)))
        };
        Some(PageKeys {
            enc: key(b"page encryption")?,
            mac: key(b"page authentication")?,
        })
    }
}

/// What the last call on a codec left for the next one, used only when the next call's
/// input is byte for byte the same: the page just encrypted (its tag, for its MAC), or the
/// page just checked (its data, for its decryption).
#[derive(Default)]
struct Stash {
    kind: Kind,
    ct: Vec<u8>,
    iv: [u8; IV_LEN],
    tag: [u8; TAG_LEN],
    plain: Vec<u8>,
    /// Room to seal the data again for its tag (it comes back as the ciphertext).
    work: Vec<u8>,
}

#[derive(Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Empty,
    Written,
    Checked,
}

impl Stash {
    fn holds(&self, kind: Kind, ct: &[u8], iv: &[u8]) -> bool {
        self.kind == kind && self.ct == ct && self.iv == iv
    }

    fn keep(&mut self, kind: Kind, ct: &[u8], iv: &[u8; IV_LEN]) {
        self.kind = kind;
        self.ct.clear();
        self.ct.extend_from_slice(ct);
        self.iv = *iv;
    }

    /// Used up: the next call finds nothing. (The ciphertext is what the file holds; the
    /// data read stays until overwritten or the codec is freed, as it does in SQLite's page
    /// cache.)
    fn clear(&mut self) {
        self.kind = Kind::Empty;
    }

    fn wipe(&mut self) {
        self.clear();
        super::wipe(&mut self.plain);
    }
}

/// One codec's format-2 pages: its keys and what its last call left.
pub(super) struct Pages {
    keys: PageKeys,
    stash: Stash,
}

fn nonce(iv: &[u8]) -> Option<Nonce> {
    Nonce::try_assume_unique_for_key(iv.get(..12)?).ok()
}

/// Seals `buf` in place under `key` and `iv`: AES-256-CTR over it (so sealing twice gives it
/// back), and GCM's tag over what it became.
fn seal(key: &LessSafeKey, iv: &[u8], aad: &[u8], buf: &mut [u8]) -> Option<[u8; TAG_LEN]> {
    let tag = key
        .seal_in_place_separate_tag(nonce(iv)?, Aad::from(aad), buf)
        .ok()?;
    tag.as_ref().try_into().ok()
}

impl Pages {
    pub(super) fn new(keys: PageKeys) -> Pages {
        Pages {
            keys,
            stash: Stash::default(),
        }
    }

    /// Encrypts `plain` into `out` (as long) under `iv`, keeping the tag for the MAC.
    pub(super) fn encrypt(
        &mut self,
        iv: &[u8; IV_LEN],
        plain: &[u8],
        out: &mut [u8],
    ) -> Option<()> {
        out.copy_from_slice(plain);
        let tag = seal(&self.keys.enc, iv, &[], out)?;
        self.stash.keep(Kind::Written, out, iv);
        self.stash.tag = tag;
        Some(())
    }

    /// Decrypts `ct` into `out` (as long): the data the MAC check just recovered when it was
    /// this very page, else one pass of the keystream.
    pub(super) fn decrypt(&mut self, iv: &[u8; IV_LEN], ct: &[u8], out: &mut [u8]) -> Option<()> {
        if self.stash.holds(Kind::Checked, ct, iv) && self.stash.plain.len() == out.len() {
            out.copy_from_slice(&self.stash.plain);
        } else {
            out.copy_from_slice(ct);
            // Counter mode: the same keystream XORed again gives the data back.
            seal(&self.keys.enc, iv, &[], out)?;
        }
        self.stash.clear();
        Some(())
    }

    /// The MAC of a page: `ct_and_iv` is its encrypted data followed by its IV, `pgno` its
    /// page number as SQLCipher gives it.
    pub(super) fn mac(&mut self, ct_and_iv: &[u8], pgno: &[u8], out: &mut [u8]) -> Option<()> {
        let split = ct_and_iv.len().checked_sub(IV_LEN)?;
        let (ct, iv) = ct_and_iv.split_at(split);
        let iv: &[u8; IV_LEN] = iv.try_into().ok()?;
        let tag = if self.stash.holds(Kind::Written, ct, iv) {
            self.stash.tag
        } else {
            // Read from disk: recover the data (kept for the decryption that follows), then
            // seal it again for GCM's tag over this ciphertext.
            // Marked as checked only once both passes succeeded.
            self.stash.keep(Kind::Empty, ct, iv);
            let Stash { plain, work, .. } = &mut self.stash;
            plain.clear();
            plain.extend_from_slice(ct);
            seal(&self.keys.enc, iv, &[], plain)?;
            work.clear();
            work.extend_from_slice(plain);
            let tag = seal(&self.keys.enc, iv, &[], work)?;
            self.stash.kind = Kind::Checked;
            tag
        };
        let pgno: &[u8; 4] = pgno.try_into().ok()?;
        let mut aad = [0u8; 4 + IV_LEN];
        aad[..4].copy_from_slice(pgno);
        aad[4..].copy_from_slice(iv);
        let mut message = tag;
        let mac = seal(&self.keys.mac, iv, &aad, &mut message)?;
        out.get_mut(..TAG_LEN)?.copy_from_slice(&mac);
        if self.stash.kind == Kind::Written {
            self.stash.clear();
        }
        Some(())
    }

    /// Zeroes the data the last check left.
    pub(super) fn wipe(&mut self) {
        self.stash.wipe();
    }
}
