//! A local S3-compatible server for the blob tests: moto's server mode (installed from PyPI
//! by `.ci/moto.sh` into `<target>/moto-venv`), started on 127.0.0.1 on a free port with one
//! bucket, killed when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running moto server with a bucket.
pub struct S3 {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The bucket made for the test.
    pub bucket: String,
}

fn moto_server() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("FIELDKIT_MOTO_SERVER") {
        return Some(PathBuf::from(p));
    }
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("../moto-venv/bin/moto_server");
    p.is_file().then_some(p)
}

impl S3 {
    /// Starts moto and makes a bucket, or `None` when moto is absent and
    /// `FIELDKIT_SKIP_S3=1`. Panics with instructions when it is absent and skipping was not
    /// asked for.
    pub async fn start() -> Option<S3> {
        let Some(bin) = moto_server() else {
            if std::env::var("FIELDKIT_SKIP_S3").as_deref() == Ok("1") {
                eprintln!("moto not found: S3 tests skipped (FIELDKIT_SKIP_S3=1)");
                return None;
            }
            panic!(
                "no S3-compatible server for the blob tests: run `bash .ci/moto.sh` (installs \
                 moto from PyPI), or set FIELDKIT_SKIP_S3=1 to skip the S3 backend"
            );
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
        let s3 = S3 {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: "fieldkit-blobs".into(),
        };
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            // CreateBucket (moto does not check signatures); it answers once it listens.
            match client
                .put(format!("{}/{}", s3.endpoint, s3.bucket))
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => panic!("moto refused the bucket: {}", r.status()),
                Err(_) => {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "moto did not start on {}",
                        s3.endpoint
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        Some(s3)
    }

    /// The keys of the bucket under `prefix` (ListObjectsV2).
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let xml = reqwest::Client::new()
            .get(format!(
                "{}/{}?list-type=2&prefix={prefix}",
                self.endpoint, self.bucket
            ))
            .send()
            .await
            .expect("list")
            .text()
            .await
            .expect("list body");
        xml.split("<Key>")
            .skip(1)
            .filter_map(|k| k.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
