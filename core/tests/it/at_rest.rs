//! The phone's data at rest: with a database key, no file the core writes (database, its
//! write-ahead log and index, blob files) holds the customer's name, phone or address; the
//! same check finds them with encryption off; a wrong key is a typed error that changes no
//! byte on disk; synced, closed jobs are purged after the configured days (manual clock).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::Duration;
use fieldkit_core::clock::Clock;
use fieldkit_core::demo;
use fieldkit_core::model::{Billing, JobKind, WorkOrderId};
use fieldkit_core::store::{DatabaseKey, sha256_hex};
use fieldkit_core::workflow::JobStatus;
use fieldkit_core::{DeviceConfig, Error, FieldKit};

use crate::common::{self, Device, device_with, encrypted_config};

const NAME: &str = "欧阳秀英";
const PHONE: &str = "13912345678";
const ADDRESS: &str = "杭州市西湖区文三路 477 号 12 室";
const SIGNER: &str = "Customer Name";

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// The needles: the customer's data as UTF-8, the phone's digits, and UTF-16 forms.
fn needles() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for s in [NAME, PHONE, ADDRESS, SIGNER, "12345678", "文三路"] {
        out.push((format!("{s} (UTF-8)"), s.as_bytes().to_vec()));
        let utf16: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        out.push((format!("{s} (UTF-16LE)"), utf16));
    }
    out
}

/// `(file, needle)` for every needle found in the raw bytes of a file under `dir`.
fn grep(dir: &Path) -> Vec<(PathBuf, String)> {
    let needles = needles();
    let mut found = Vec::new();
    for f in files(dir) {
        let Ok(bytes) = std::fs::read(&f) else {
            continue; // removed meanwhile (a temp file)
        };
        for (what, n) in &needles {
            if bytes.windows(n.len()).any(|w| w == &n[..]) {
                found.push((f.clone(), what.clone()));
            }
        }
    }
    found
}

/// A complete paid repair for a customer with a known name, phone and address: photos,
/// signatures, fees — everything a visit writes.
fn visit_with_known_customer(config: DeviceConfig) -> (Device, WorkOrderId) {
    let d = device_with(config);
    let mut o = demo::repair_order(7, d.clock.now(), Billing::Paid);
    o.customer.name = NAME.into();
    o.customer.phone = PHONE.into();
    o.site.address = ADDRESS.into();
    d.kit.receive_work_order(&o).unwrap();
    d.plan(o.id);
    d.walk(o.id, &|_| None, &|_| false);
    assert_eq!(d.kit.job(o.id).unwrap().status, JobStatus::Completed);
    (d, o.id)
}

/// Blob files that start like a plain JPEG or PNG.
fn plain_images(dir: &Path) -> usize {
    files(&dir.join("blobs"))
        .iter()
        .filter(|f| {
            let b = std::fs::read(f).unwrap_or_default();
            b.starts_with(&[0xff, 0xd8]) || b.starts_with(b"\x89PNG")
        })
        .count()
}

#[test]
fn with_a_key_no_file_holds_the_customers_name_phone_or_address() {
    let (d, id) = visit_with_known_customer(encrypted_config());
    // Open: the write-ahead log holds the recent pages.
    assert!(d.dir.path().join("fieldkit.db-wal").exists());
    let found = grep(d.dir.path());
    assert!(
        found.is_empty(),
        "customer data readable on disk: {found:?}"
    );
    assert_eq!(plain_images(d.dir.path()), 0, "blob files are sealed");
    // Everything reads back through the decrypting reader.
    let detail = d.kit.job(id).unwrap();
    assert_eq!(detail.order.customer.name, NAME);
    let blobs = d.kit.blobs_to_upload().unwrap();
    assert!(
        blobs.len() >= 3,
        "photos, thumbnails, signature images: {blobs:?}"
    );
    for sha in &blobs {
        let bytes = d.kit.attachment_bytes(sha).unwrap();
        assert_eq!(&sha256_hex(&bytes), sha);
        assert!(bytes.starts_with(&[0xff, 0xd8]) || bytes.starts_with(b"\x89PNG"));
    }
    // Closed (log folded in) and reopened: still nothing.
    let d = d.reopen();
    let _folded = d.kit.checkpoint().unwrap();
    let found = grep(d.dir.path());
    assert!(
        found.is_empty(),
        "customer data readable on disk: {found:?}"
    );
    assert_eq!(d.kit.job(id).unwrap().order.site.address, ADDRESS);
}

#[test]
fn without_a_key_the_same_grep_finds_them() {
    let (d, _) = visit_with_known_customer(DeviceConfig::default());
    let found = grep(d.dir.path());
    for what in [NAME, PHONE, ADDRESS] {
        assert!(
            found.iter().any(|(_, w)| w == &format!("{what} (UTF-8)")),
            "{what} not found in the plain files: the check could not fail ({found:?})"
        );
    }
    assert!(
        plain_images(d.dir.path()) > 0,
        "plain blob files are images"
    );
}

/// Path → SHA-256 of every file under `dir`.
fn hashes(dir: &Path) -> BTreeMap<PathBuf, String> {
    files(dir)
        .into_iter()
        .map(|f| {
            let h = sha256_hex(&std::fs::read(&f).unwrap());
            (f, h)
        })
        .collect()
}

fn wrong_key() -> DatabaseKey {
    DatabaseKey::from_bytes(&[0xa5; 32]).unwrap()
}

#[test]
fn a_wrong_key_is_a_typed_error_and_changes_nothing() {
    let (d, id) = visit_with_known_customer(encrypted_config());
    // The files as a killed app leaves them: the database with its log and index.
    let left = tempfile::tempdir().unwrap();
    for f in files(d.dir.path()) {
        let to = left.path().join(f.strip_prefix(d.dir.path()).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&f, &to).unwrap();
    }
    assert!(left.path().join("fieldkit.db-wal").exists());
    let dir = d.dir.path().to_owned();
    drop(d.kit);
    for dir in [left.path(), &dir] {
        let before = hashes(dir);
        let wrong = DeviceConfig {
            database_key: Some(wrong_key()),
            ..DeviceConfig::default()
        };
        let err = FieldKit::open(dir, wrong).unwrap_err();
        assert!(matches!(err, Error::WrongKey), "{err:?}");
        assert!(!err.to_string().contains(NAME));
        let after = hashes(dir);
        let changed: Vec<_> = before
            .keys()
            .chain(after.keys())
            .filter(|f| before.get(*f) != after.get(*f))
            .collect();
        assert!(changed.is_empty(), "a wrong key changed files: {changed:?}");
        // The right key opens it, with everything there.
        let kit = FieldKit::open(dir, encrypted_config()).unwrap();
        assert_eq!(kit.job(id).unwrap().order.customer.phone, PHONE);
        assert!(kit.store().integrity_check().unwrap().is_empty());
    }
}

#[test]
fn a_key_of_the_wrong_length_is_refused() {
    assert!(matches!(
        DatabaseKey::from_bytes(&[1; 16]),
        Err(Error::Invalid { .. })
    ));
}

#[test]
fn a_plain_device_is_encrypted_once_when_a_key_arrives() {
    let (d, id) = visit_with_known_customer(DeviceConfig::default());
    let ops = d.op_count();
    let blobs = d.kit.blobs_to_upload().unwrap();
    let Device {
        dir, clock, kit, ..
    } = d;
    drop(kit);
    assert!(!grep(dir.path()).is_empty());
    let kit = FieldKit::open_with_clock(dir.path(), encrypted_config(), clock.clone()).unwrap();
    assert_eq!(kit.pending_ops(i64::MAX).unwrap().len(), ops);
    assert_eq!(kit.blobs_to_upload().unwrap(), blobs);
    for sha in &blobs {
        let bytes = kit.attachment_bytes(sha).unwrap();
        assert_eq!(&sha256_hex(&bytes), sha);
    }
    assert!(kit.verify(id).unwrap().chain_problems.is_empty());
    assert!(kit.store().integrity_check().unwrap().is_empty());
    let found = grep(dir.path());
    assert!(
        found.is_empty(),
        "still readable after encrypting: {found:?}"
    );
    assert_eq!(plain_images(dir.path()), 0, "old blob files were sealed");
    assert!(!dir.path().join("fieldkit.db.encrypting").exists());
    drop(kit);
    // Once: the plain file is gone, so a missing key cannot read it any more.
    assert!(matches!(
        FieldKit::open(
            dir.path(),
            DeviceConfig {
                database_key: Some(wrong_key()),
                ..DeviceConfig::default()
            }
        ),
        Err(Error::WrongKey)
    ));
}

#[test]
fn synced_closed_jobs_are_purged_after_the_configured_days() {
    let d = device_with(DeviceConfig {
        purge_after_days: Some(30),
        ..encrypted_config()
    });
    // A completed job, all of it at the server.
    let mut done = demo::repair_order(1, d.clock.now(), Billing::Paid);
    done.number = "WO-PURGE-1".into();
    done.customer.name = NAME.into();
    d.kit.receive_work_order(&done).unwrap();
    d.plan(done.id);
    d.walk(done.id, &|_| None, &|next| next == "work_done");
    // A photo only this job has (the walker's are the same bytes on every job).
    d.kit
        .add_photo(done.id, None, &demo::fake_photo("only on the purged job"))
        .unwrap();
    d.walk(done.id, &|_| None, &|_| false);
    let files_of_done: Vec<String> = d.kit.blobs_to_upload().unwrap();
    assert!(!files_of_done.is_empty());
    // A second completed job whose last op the server has not acknowledged.
    let pending = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(pending);
    d.walk(pending, &|_| None, &|_| false);
    // An open job.
    let open = d.order(JobKind::Repair, Billing::Warranty);
    d.plan(open);
    let stock_before = d.kit.van_stock().unwrap();

    // The server acknowledged every op up to (not including) the pending job's first one.
    let first_pending = d
        .kit
        .pending_ops(i64::MAX)
        .unwrap()
        .iter()
        .find(|o| o.entity_id == pending.to_string())
        .map(|o| o.seq)
        .unwrap();
    d.kit.acknowledge_ops(&[], first_pending - 1).unwrap();
    for sha in &files_of_done {
        d.kit.mark_blob_uploaded(sha).unwrap();
    }

    // Not yet 30 days.
    d.clock.advance(Duration::days(29));
    assert_eq!(d.kit.purge_synced_jobs().unwrap().jobs, 0);
    assert!(d.kit.job(done.id).is_ok());

    d.clock.advance(Duration::days(2));
    let purged = d.kit.purge_synced_jobs().unwrap();
    assert_eq!(purged.jobs, 1, "{purged:?}");
    assert!(matches!(d.kit.job(done.id), Err(Error::NotFound { .. })));
    // Its files went, except those the other job holds too (the walker's photos and
    // signatures are the same bytes on both jobs: content-addressed, stored once).
    let mut gone = 0;
    for sha in &files_of_done {
        let still_referenced: bool = d
            .kit
            .store()
            .read(|c| {
                Ok(c.query_row(
                    "SELECT EXISTS (SELECT 1 FROM attachments
                                     WHERE sha256 = ?1 OR thumbnail_sha256 = ?1)",
                    [sha],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        let on_disk = d.kit.attachment_bytes(sha).is_ok();
        assert_eq!(on_disk, still_referenced, "file {sha}");
        gone += usize::from(!on_disk);
    }
    assert!(gone > 0, "no file of the purged job went");
    // The unsynced job, the open job and the van's stock are untouched.
    assert_eq!(d.kit.job(pending).unwrap().status, JobStatus::Completed);
    assert!(d.kit.job(open).is_ok());
    assert_eq!(d.kit.van_stock().unwrap(), stock_before);
    assert!(d.kit.store().integrity_check().unwrap().is_empty());
    assert!(d.kit.verify(pending).unwrap().chain_problems.is_empty());
    // The outbox still holds the other jobs' ops, and new work still records.
    let outbox = d.kit.pending_ops(i64::MAX).unwrap();
    assert!(outbox.iter().any(|o| o.entity_id == pending.to_string()));
    assert!(outbox.iter().all(|o| o.entity_id != done.id.to_string()));
    d.walk(open, &|_| None, &|next| next == "work_done");
    assert!(d.kit.verify(open).unwrap().chain_problems.is_empty());
    // Reopened: still gone, and a purge with the setting off removes nothing.
    let d = common::Device {
        config: DeviceConfig {
            purge_after_days: None,
            ..encrypted_config()
        },
        ..d
    }
    .reopen();
    assert!(d.kit.job(done.id).is_err());
    d.clock.advance(Duration::days(400));
    d.kit.acknowledge_ops(&[], i64::MAX).unwrap();
    assert_eq!(d.kit.purge_synced_jobs().unwrap().jobs, 0);
}
