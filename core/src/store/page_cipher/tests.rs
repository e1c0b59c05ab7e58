//! Format 2 on its own: pages round-trip and their MAC comes out the same by the write's
//! one-pass shortcut and by the full path, catches a changed bit, IV, page number or key
//! (property tests on the provider functions); a codec without keys refuses; a database file
//! whose pages were changed or moved fails to read instead of reading wrong.

use std::path::Path;

use proptest::prelude::*;
use rusqlite::Connection;

use super::*;
use crate::store::DatabaseKey;
use crate::store::cipher::apply_key_as;

/// A codec context, as SQLCipher makes one for a connection keyed with `key` (or, with
/// `None`, for one keyed outside `keyed_as`).
struct TestCtx(Ptr);

/// What SQLCipher passes as its own key (format 2 does not use it).
const SQLCIPHER_KEY: [u8; 32] = [0x33; 32];

impl TestCtx {
    fn new(key: Option<&DatabaseKey>) -> TestCtx {
        install().unwrap();
        let mut p: Ptr = std::ptr::null_mut();
        // SAFETY: a valid out-pointer.
        let rc = match key {
            Some(k) => keyed_as(Format::Fast, k, || unsafe { ctx_init(&mut p) }).unwrap(),
            None => unsafe { ctx_init(&mut p) },
        };
        assert_eq!(rc, OK);
        TestCtx(p)
    }

    fn cipher_with(
        &self,
        sqlcipher_key: &[u8; 32],
        mode: c_int,
        iv: &[u8; 16],
        data: &[u8],
    ) -> Option<Vec<u8>> {
        let mut out = vec![0u8; data.len()];
        // SAFETY: buffers as SQLCipher passes them.
        let rc = unsafe {
            cipher(
                self.0,
                mode,
                sqlcipher_key.as_ptr(),
                32,
                iv.as_ptr(),
                data.as_ptr(),
                data.len() as c_int,
                out.as_mut_ptr(),
            )
        };
        (rc == OK).then_some(out)
    }

    fn cipher(&self, mode: c_int, iv: &[u8; 16], data: &[u8]) -> Vec<u8> {
        self.cipher_with(&SQLCIPHER_KEY, mode, iv, data).unwrap()
    }

    fn try_mac(&self, page_and_iv: &[u8], pgno: u32) -> Option<[u8; TAG_LEN]> {
        let mut out = [0u8; TAG_LEN];
        let pgno = pgno.to_le_bytes();
        let key = [0x44u8; 32];
        // SAFETY: buffers as SQLCipher passes them.
        let rc = unsafe {
            hmac(
                self.0,
                1,
                key.as_ptr(),
                32,
                page_and_iv.as_ptr(),
                page_and_iv.len() as c_int,
                pgno.as_ptr(),
                4,
                out.as_mut_ptr(),
            )
        };
        (rc == OK).then_some(out)
    }

    fn mac(&self, page_and_iv: &[u8], pgno: u32) -> [u8; TAG_LEN] {
        self.try_mac(page_and_iv, pgno).unwrap()
    }
}

impl Drop for TestCtx {
    fn drop(&mut self) {
        // SAFETY: made by `ctx_init`, freed once.
        unsafe { ctx_free(&mut self.0) };
    }
}

fn db_key(b: &[u8; 32]) -> DatabaseKey {
    DatabaseKey::from_bytes(b).unwrap()
}

fn joined(ct: &[u8], iv: &[u8; 16]) -> Vec<u8> {
    let mut v = ct.to_vec();
    v.extend_from_slice(iv);
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Encrypting and decrypting give the data back, on the codec that wrote it (after its
    /// MAC was checked: the shortcut) and on a fresh one with the same key (the full path).
    #[test]
    fn pages_round_trip_by_either_path(
        key in any::<[u8; 32]>(),
        iv in any::<[u8; 16]>(),
        data in proptest::collection::vec(any::<u8>(), 16..4096),
        pgno in 1u32..1_000_000,
    ) {
        let writer = TestCtx::new(Some(&db_key(&key)));
        let sealed = writer.cipher(ENCRYPT, &iv, &data);
        prop_assert_ne!(&sealed, &data);
        let mac = writer.mac(&joined(&sealed, &iv), pgno);
        // A fresh codec (a page read from disk): the MAC check, then the decryption.
        let reader = TestCtx::new(Some(&db_key(&key)));
        prop_assert_eq!(reader.mac(&joined(&sealed, &iv), pgno), mac, "the shortcut's MAC");
        prop_assert_eq!(&reader.cipher(0, &iv, &sealed), &data);
        // Decrypting with nothing left by a MAC check.
        let cold = TestCtx::new(Some(&db_key(&key)));
        prop_assert_eq!(&cold.cipher(0, &iv, &sealed), &data);
        // Another IV, another ciphertext.
        let mut iv2 = iv;
        iv2[0] ^= 1;
        prop_assert_ne!(writer.cipher(ENCRYPT, &iv2, &data), sealed);
    }

    /// The MAC changes with any bit of the encrypted page or its IV, with the page number
    /// and with the database key.
    #[test]
    fn the_mac_changes_with_any_bit_the_page_number_and_the_key(
        key in any::<[u8; 32]>(),
        iv in any::<[u8; 16]>(),
        data in proptest::collection::vec(any::<u8>(), 16..4096),
        pgno in 1u32..1_000_000,
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let c = TestCtx::new(Some(&db_key(&key)));
        let page = joined(&c.cipher(ENCRYPT, &iv, &data), &iv);
        let mac = c.mac(&page, pgno);
        let fresh = TestCtx::new(Some(&db_key(&key)));
        let mut changed = page.clone();
        changed[flip.index(page.len())] ^= 1 << bit;
        prop_assert_ne!(fresh.mac(&changed, pgno), mac);
        prop_assert_ne!(fresh.mac(&page, pgno ^ 1), mac);
        prop_assert_eq!(fresh.mac(&page, pgno), mac);
        let mut other = key;
        other[31] ^= 1;
        prop_assert_ne!(TestCtx::new(Some(&db_key(&other))).mac(&page, pgno), mac);
    }
}

/// A codec keyed outside `keyed_as` has no format-2 keys: every page is refused, none is
/// written in some other way. A key SQLCipher changes under a codec (`PRAGMA rekey`) is
/// refused too.
#[test]
fn a_codec_without_keys_or_with_a_new_key_refuses() {
    let iv = [7u8; 16];
    let keyless = TestCtx::new(None);
    assert!(
        keyless
            .cipher_with(&SQLCIPHER_KEY, ENCRYPT, &iv, &[1; 64])
            .is_none()
    );
    assert!(keyless.try_mac(&[1; 80], 3).is_none());
    let c = TestCtx::new(Some(&db_key(&[9; 32])));
    assert!(
        c.cipher_with(&SQLCIPHER_KEY, ENCRYPT, &iv, &[1; 64])
            .is_some()
    );
    assert!(c.cipher_with(&[0x34; 32], ENCRYPT, &iv, &[1; 64]).is_none());
}

const PAGE: usize = 4096;

fn key() -> DatabaseKey {
    DatabaseKey::from_bytes(&[0x61; 32]).unwrap()
}

/// The sum of the table's lengths, read through a format-2 connection.
fn read_all(path: &Path) -> crate::error::Result<i64> {
    let c = Connection::open(path)?;
    apply_key_as(&c, Some(&key()), Format::Fast)?;
    Ok(c.query_row("SELECT sum(length(x)) FROM t", [], |r| r.get(0))?)
}

#[test]
fn a_changed_or_moved_page_fails_to_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let c = Connection::open(&path).unwrap();
        apply_key_as(&c, Some(&key()), Format::Fast).unwrap();
        c.execute_batch(
            "CREATE TABLE t (x BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
             INSERT INTO t SELECT randomblob(100) FROM n;",
        )
        .unwrap();
    }
    let pristine = std::fs::read(&path).unwrap();
    assert!(pristine.len() >= 5 * PAGE, "several pages");
    assert_eq!(read_all(&path).unwrap(), 300 * 100);
    // Page 3 holds rows of `t`; its last 32 bytes are the IV, then the MAC.
    let p3 = 2 * PAGE;
    let flip = |at: usize| -> Vec<u8> {
        let mut f = pristine.clone();
        f[at] ^= 0x01;
        f
    };
    let mut swapped = pristine.clone();
    let (a, b) = swapped.split_at_mut(p3);
    a[PAGE..].swap_with_slice(&mut b[..PAGE]);
    for (what, bytes) in [
        ("a data byte", flip(p3 + 100)),
        ("an IV byte", flip(p3 + PAGE - 32)),
        ("the IV's last byte", flip(p3 + PAGE - 17)),
        ("a MAC byte", flip(p3 + PAGE - 1)),
        ("pages 2 and 3 swapped", swapped),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_all(&path).is_err(), "{what}: read as if valid");
    }
    std::fs::write(&path, &pristine).unwrap();
    assert_eq!(read_all(&path).unwrap(), 300 * 100);
}

/// `Provider` mirrors `struct sqlcipher_provider` of the SQLCipher this crate builds
/// (`sqlcipher.h`, 4.19). Another SQLCipher must be checked against its header before this
/// test is moved on: a changed layout would call the wrong functions.
#[test]
fn the_provider_layout_is_the_sqlcipher_built() {
    let c = Connection::open_in_memory().unwrap();
    let version: String = c
        .query_row("PRAGMA cipher_version", [], |r| r.get(0))
        .unwrap();
    assert!(version.starts_with("4.19."), "SQLCipher {version}");
}
