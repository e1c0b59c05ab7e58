//! The blob suite, run against every blob store the server supports: a local directory and
//! S3-compatible storage (moto's server on 127.0.0.1, see `common::s3`; issue 20). A phone
//! syncs a walked repair (photos, thumbnails, the signature image); then, by raw HTTP:
//! an upload whose connection drops at 90% resumes from the server's offset and sends only
//! the rest; bytes that do not hash to their name are refused (422) and nothing is kept; a
//! blob is served on the dashboard only under a job whose records name it.

use std::time::Duration;

use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::sync::protocol::{BlobStatus, ErrorBody, UPLOAD_LENGTH, UPLOAD_OFFSET};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::common::journal::Phone;
use crate::common::{Backend, TestServer, morning, server};

fn sync_options() -> SyncOptions {
    SyncOptions {
        first_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        ..SyncOptions::default()
    }
}

/// What the suite needs to look at the store itself.
enum Store<'a> {
    Local,
    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    S3(&'a crate::common::s3::S3, &'a str),
}

impl Store<'_> {
    /// The store's keys of finished blobs (`blobs/<sha>`) and upload chunks.
    async fn keys(&self, ts: &TestServer) -> Vec<String> {
        match self {
            Store::Local => {
                // Files only, as object keys (a directory left empty is no key).
                fn walk(dir: &std::path::Path, key: &str, out: &mut Vec<String>) {
                    let Ok(rd) = std::fs::read_dir(dir) else {
                        return;
                    };
                    for e in rd {
                        let e = e.unwrap();
                        let k = format!("{key}/{}", e.file_name().to_string_lossy());
                        if e.file_type().unwrap().is_dir() {
                            walk(&e.path(), &k, out);
                        } else {
                            out.push(k);
                        }
                    }
                }
                let root = ts.dir.path().join("server/blobs");
                let mut out = Vec::new();
                for sub in ["blobs", "uploads"] {
                    walk(&root.join(sub), sub, &mut out);
                }
                out
            }
            Store::S3(s3, prefix) => s3
                .keys(prefix)
                .await
                .into_iter()
                .map(|k| k.trim_start_matches(&format!("{prefix}/")).to_owned())
                .collect(),
        }
    }
}

async fn suite(ts: &TestServer, store: Store<'_>) {
    // ---- a phone syncs a walked repair: its files reach the store whole.
    ts.publish_demo_catalog().await;
    let tech = ts.create_technician("Technician Blob").await;
    let phone = Phone::new(morning());
    let kit = &phone.kit;
    let code = ts.enrolment_code(&tech).await;
    kit.enroll(&ts.base, &code, &sync_options()).await.unwrap();
    let order = demo::repair_order(1, morning(), Billing::Paid);
    let other = demo::repair_order(2, morning(), Billing::Paid);
    ts.create_job(&order, Some(&tech)).await;
    ts.create_job(&other, Some(&tech)).await;
    kit.sync(&sync_options(), &|_| {}).await.unwrap();
    demo::walk_repair_visit(kit, order.id, &mut |_| {
        phone.clock.advance(chrono::Duration::minutes(4));
        Ok(())
    })
    .unwrap();
    let report = kit.sync(&sync_options(), &|_| {}).await.unwrap();
    assert_eq!(report.applied, report.pushed, "{report:?}");
    assert!(kit.blobs_to_upload().unwrap().is_empty());
    let photo: String = kit
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT sha256 FROM attachments WHERE kind = 'photo' LIMIT 1",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    let keys = store.keys(ts).await;
    assert!(
        keys.contains(&format!("blobs/{photo}")),
        "the photo is not in the store: {keys:?}"
    );
    let token = kit.server_account().unwrap().unwrap().token;

    // ---- served only under its job: the desk sees it on the job that names it, nowhere else.
    ts.create_dispatcher("blob-desk", "a long enough password")
        .await;
    let desk = ts
        .dashboard_login("blob-desk", "a long enough password")
        .await;
    let get = |job: WorkOrderId, sha: String| {
        ts.no_redirects()
            .get(ts.url(&format!("/jobs/{job}/blobs/{sha}")))
            .header(reqwest::header::COOKIE, &desk.cookie)
            .send()
    };
    let r = get(order.id, photo.clone()).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let served = r.bytes().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(&served)), photo);
    assert_eq!(served.as_ref(), kit.store().blobs().get(&photo).unwrap());
    assert_eq!(get(other.id, photo.clone()).await.unwrap().status(), 404);

    // ---- an upload whose connection drops at 90% resumes where the server stands.
    let bytes: Vec<u8> = (0..600_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let sha = hex::encode(Sha256::digest(&bytes));
    let n = bytes.len();
    let cut = n * 9 / 10;
    let addr = ts.base.trim_start_matches("http://").to_owned();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "PUT /v1/blobs/{sha} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         {UPLOAD_OFFSET}: 0\r\n{UPLOAD_LENGTH}: {n}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {n}\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&bytes[..cut]).await.unwrap();
    tcp.flush().await.unwrap();
    drop(tcp); // the connection drops: the last 10% never come
    // The server keeps what arrived; it says so once the cut request is done with.
    let offset_now = || async {
        let r = ts
            .client
            .head(ts.url(&format!("/v1/blobs/{sha}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        r.headers()
            .get(UPLOAD_OFFSET)
            .map(|v| v.to_str().unwrap().parse::<usize>().unwrap())
            .unwrap_or(0)
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut offset = offset_now().await;
    while offset < cut {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server kept {offset} of the {cut} bytes that arrived"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        offset = offset_now().await;
    }
    assert_eq!(offset, cut, "the server's offset is what arrived");
    let r = ts
        .client
        .put(ts.url(&format!("/v1/blobs/{sha}")))
        .bearer_auth(&token)
        .header(UPLOAD_OFFSET, offset.to_string())
        .header(UPLOAD_LENGTH, n.to_string())
        .body(bytes[offset..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let st: BlobStatus = r.json().await.unwrap();
    assert!(st.complete && st.offset == n as u64, "{st:?}");
    let keys = store.keys(ts).await;
    assert!(keys.contains(&format!("blobs/{sha}")), "{keys:?}");
    assert!(
        !keys
            .iter()
            .any(|k| k.starts_with(&format!("uploads/{sha}"))),
        "the upload's chunks outlived the blob: {keys:?}"
    );
    // A blob no job names is not served under one.
    assert_eq!(get(order.id, sha.clone()).await.unwrap().status(), 404);

    // ---- bytes that do not hash to their name: refused, nothing kept.
    let wrong = hex::encode(Sha256::digest(b"something else"));
    let r = ts
        .client
        .put(ts.url(&format!("/v1/blobs/{wrong}")))
        .bearer_auth(&token)
        .header(UPLOAD_OFFSET, "0")
        .header(UPLOAD_LENGTH, n.to_string())
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let e: ErrorBody = r.json().await.unwrap();
    assert_eq!(e.code, "hash_mismatch");
    let keys = store.keys(ts).await;
    assert!(
        !keys.iter().any(|k| k.contains(&wrong)),
        "refused bytes were kept: {keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_suite_on_a_local_directory() {
    let ts = server(Backend::Sqlite, |_| {}).await.expect("server");
    suite(&ts, Store::Local).await;
}

#[cfg(feature = "s3")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blob_suite_on_s3() {
    let Some(s3) = crate::common::s3::S3::start().await else {
        return;
    };
    let prefix = "fieldkit";
    let (endpoint, bucket) = (s3.endpoint.clone(), s3.bucket.clone());
    let ts = server(Backend::Sqlite, |c| {
        c.blob_url = Some(format!("s3://{bucket}/{prefix}"));
        c.s3_endpoint = Some(endpoint);
        c.s3_region = Some("us-east-1".into());
        c.s3_access_key_id = Some("testing".into());
        c.s3_secret_access_key = Some("testing".into());
    })
    .await
    .expect("server");
    suite(&ts, Store::S3(&s3, prefix)).await;
    // Nothing went to the local directory.
    assert!(!ts.dir.path().join("server/blobs").exists());
}
