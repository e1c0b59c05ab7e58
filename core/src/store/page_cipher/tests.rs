//! Format 2 on its own: the page cipher round-trips and its MAC catches a changed byte,
//! IV or page number (property tests on the provider functions), and a database file whose
//! pages were changed or moved fails to read instead of reading wrong.

use std::path::Path;

use proptest::prelude::*;
use rusqlite::Connection;

use super::*;
use crate::store::DatabaseKey;
use crate::store::cipher::apply_key_as;

/// A format-2 context, as SQLCipher makes one for a keyed connection.
struct TestCtx(Ptr);

impl TestCtx {
    fn new() -> TestCtx {
        install().unwrap();
        let mut p: Ptr = std::ptr::null_mut();
        // SAFETY: a valid out-pointer; NEXT is Fast on this thread.
        assert_eq!(unsafe { ctx_init(&mut p) }, OK);
        TestCtx(p)
    }

    fn cipher(&self, mode: c_int, key: &[u8; 32], iv: &[u8; 16], data: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; data.len()];
        // SAFETY: buffers as SQLCipher passes them.
        let rc = unsafe {
            cipher(
                self.0,
                mode,
                key.as_ptr(),
                32,
                iv.as_ptr(),
                data.as_ptr(),
                data.len() as c_int,
                out.as_mut_ptr(),
            )
        };
        assert_eq!(rc, OK);
        out
    }

    fn mac(&self, key: &[u8; 32], page_and_iv: &[u8], pgno: u32) -> [u8; TAG_LEN] {
        let mut out = [0u8; TAG_LEN];
        let pgno = pgno.to_le_bytes();
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
        assert_eq!(rc, OK);
        out
    }
}

impl Drop for TestCtx {
    fn drop(&mut self) {
        // SAFETY: made by `ctx_init`, freed once.
        unsafe { ctx_free(&mut self.0) };
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_cipher_round_trips_and_hides_the_data(
        key in any::<[u8; 32]>(),
        iv in any::<[u8; 16]>(),
        data in proptest::collection::vec(any::<u8>(), 16..4096),
    ) {
        let c = TestCtx::new();
        let sealed = c.cipher(1, &key, &iv, &data);
        prop_assert_ne!(&sealed, &data);
        prop_assert_eq!(c.cipher(0, &key, &iv, &sealed), data.clone());
        // Another IV, another ciphertext.
        let mut iv2 = iv;
        iv2[0] ^= 1;
        prop_assert_ne!(c.cipher(1, &key, &iv2, &data), sealed);
    }

    #[test]
    fn the_mac_changes_with_any_byte_and_the_page_number(
        key in any::<[u8; 32]>(),
        page in proptest::collection::vec(any::<u8>(), 32..4096),
        pgno in 1u32..1_000_000,
        flip in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let c = TestCtx::new();
        let mac = c.mac(&key, &page, pgno);
        prop_assert_eq!(c.mac(&key, &page, pgno), mac, "deterministic");
        let mut changed = page.clone();
        changed[flip.index(page.len())] ^= 1 << bit;
        prop_assert_ne!(c.mac(&key, &changed, pgno), mac);
        prop_assert_ne!(c.mac(&key, &page, pgno + 1), mac);
        let mut other_key = key;
        other_key[31] ^= 1;
        prop_assert_ne!(c.mac(&other_key, &page, pgno), mac);
    }
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
        ("a MAC byte", flip(p3 + PAGE - 1)),
        ("pages 2 and 3 swapped", swapped),
    ] {
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_all(&path).is_err(), "{what}: read as if valid");
    }
    std::fs::write(&path, &pristine).unwrap();
    assert_eq!(read_all(&path).unwrap(), 300 * 100);
}
