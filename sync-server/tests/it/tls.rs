//! HTTPS end to end on 127.0.0.1: the server serves TLS with a certificate the test makes
//! (its own CA, as a company's private CA), and a real device enrols, pulls its jobs, walks
//! a visit, pushes it and uploads its photos trusting that CA as an extra anchor, with both
//! root sources (the platform's verifier, and the bundled roots Android uses). Without the
//! anchor, or with another CA, the device gets a typed TLS error and keeps everything.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::common::journal::{Phone, sync_options};
use crate::common::{self, Backend, TestServer};
use chrono::{Duration, Utc};
use fieldkit_core::api::{PULLED_CANCELLATION, PULLED_ORDER, PULLED_REMOVAL};
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::client::SyncOptions;
use fieldkit_core::sync::tls::Roots;
use fieldkit_core::workflow::JobStatus;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use reqwest::Method;
use serde_json::json;

/// A CA, and the server's chain (leaf for 127.0.0.1, then the CA) and key as PEM files.
struct TestPki {
    ca_pem: String,
    chain: PathBuf,
    key: PathBuf,
}

fn make_pki(dir: &Path) -> TestPki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "FieldKit test company CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let (chain, key_path) = (dir.join("chain.pem"), dir.join("key.pem"));
    std::fs::write(&chain, format!("{}{}", leaf.pem(), ca_cert.pem())).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    TestPki {
        ca_pem: ca_cert.pem(),
        chain,
        key: key_path,
    }
}

async fn tls_server(dir: &Path) -> (TestServer, TestPki) {
    let pki = make_pki(dir);
    let (chain, key) = (pki.chain.clone(), pki.key.clone());
    let ts = common::server(Backend::Sqlite, |c| {
        c.tls_cert = Some(chain);
        c.tls_key = Some(key);
    })
    .await
    .expect("the SQLite server");
    assert!(ts.base.starts_with("https://127.0.0.1:"), "{}", ts.base);
    (ts, pki)
}

fn trusting(roots: Roots, anchors: &[&str]) -> SyncOptions {
    SyncOptions {
        roots,
        extra_trust_anchors: anchors.iter().map(|a| (*a).to_owned()).collect(),
        ..sync_options()
    }
}

/// Syncs, collecting what the pulled pages told of each job.
async fn sync_hearing(phone: &Phone, options: &SyncOptions) -> Vec<(WorkOrderId, &'static str)> {
    let heard = Mutex::new(Vec::new());
    let report = phone
        .kit
        .sync_telling(options, &|_| {}, &|job, action| {
            heard.lock().unwrap().push((job, action))
        })
        .await
        .expect("the phone syncs over TLS");
    assert_eq!(report.applied, report.pushed, "{report:?}");
    heard.into_inner().unwrap()
}

async fn a_visit_over_tls(roots: Roots) {
    let dir = tempfile::tempdir().unwrap();
    let (ts, pki) = tls_server(dir.path()).await;
    ts.publish_demo_catalog().await;
    let (tech, other) = (
        ts.create_technician("Technician A").await,
        ts.create_technician("Technician B").await,
    );
    let now = Utc::now();
    let options = trusting(roots, &[&pki.ca_pem]);
    let phone = Phone::new(now);
    let code = ts.enrolment_code(&tech).await;
    let account = phone.kit.enroll(&ts.base, &code, &options).await.unwrap();
    assert_eq!(account.technician_id, tech);

    // The desk's jobs arrive over TLS, and the sync tells of each.
    let visit = demo::repair_order(1, now, Billing::Paid);
    let later = demo::repair_order(2, now + Duration::hours(3), Billing::Paid);
    let moved = demo::repair_order(3, now + Duration::hours(5), Billing::Paid);
    for o in [&visit, &later, &moved] {
        ts.create_job(o, Some(&tech)).await;
    }
    let heard = sync_hearing(&phone, &options).await;
    assert_eq!(
        heard,
        vec![
            (visit.id, PULLED_ORDER),
            (later.id, PULLED_ORDER),
            (moved.id, PULLED_ORDER)
        ]
    );

    // A whole visit with its photos and signatures: pushed, judged, the files uploaded.
    phone.walk_repair(visit.id, &mut |_| None);
    let report = phone
        .kit
        .sync(&options, &|_| {})
        .await
        .expect("the visit goes up over TLS");
    assert!(report.pushed > 20, "{report:?}");
    assert_eq!(report.applied, report.pushed, "{report:?}");
    assert!(report.blobs_uploaded >= 3, "{report:?}");
    let completions = ts.settled_completions().await;
    assert_eq!(completions.len(), 1, "{completions:?}");
    assert_eq!(completions[0]["state"], "counted", "{completions:?}");

    // The desk cancels one job and gives another to a colleague: the observers hear both.
    let path = format!("/v1/admin/work-orders/{}/cancel", later.id);
    let (s, v) = ts
        .admin(
            Method::POST,
            &path,
            Some(json!({ "reason": "customer away" })),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let path = format!("/v1/admin/work-orders/{}/assign", moved.id);
    let (s, v) = ts
        .admin(Method::POST, &path, Some(json!({ "technician_id": other })))
        .await;
    assert_eq!(s, 200, "{v}");
    let heard = sync_hearing(&phone, &options).await;
    assert_eq!(
        heard,
        vec![(later.id, PULLED_CANCELLATION), (moved.id, PULLED_REMOVAL)]
    );
    assert_eq!(
        phone.kit.job(later.id).unwrap().status,
        JobStatus::Cancelled
    );
    let _ = ts.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_over_tls_with_the_platform_verifier_and_the_company_ca() {
    a_visit_over_tls(Roots::Platform).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_over_tls_with_the_bundled_roots_android_uses_and_the_company_ca() {
    a_visit_over_tls(Roots::Bundled).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_a_tls_error_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let (ts, pki) = tls_server(&dir.path().join("server")).await;
    let stranger = make_pki(&dir.path().join("stranger"));
    let tech = ts.create_technician("Technician A").await;
    let phone = Phone::new(Utc::now());
    let queued = phone.outbox().len();
    assert!(queued > 0);
    for roots in [Roots::Platform, Roots::Bundled] {
        for anchors in [vec![], vec![stranger.ca_pem.as_str()]] {
            let options = trusting(roots, &anchors);
            let code = ts.enrolment_code(&tech).await;
            let err = phone
                .kit
                .enroll(&ts.base, &code, &options)
                .await
                .unwrap_err();
            assert!(
                matches!(err, fieldkit_core::Error::Tls(_)),
                "{roots:?} {}: {err:?}",
                anchors.len()
            );
            assert!(err.to_string().contains("certificate"), "{err}");
        }
    }
    // Enrolled with the right anchor, then synced without it: refused, nothing lost.
    let code = ts.enrolment_code(&tech).await;
    let good = trusting(Roots::Platform, &[&pki.ca_pem]);
    phone.kit.enroll(&ts.base, &code, &good).await.unwrap();
    let err = phone.kit.sync(&sync_options(), &|_| {}).await.unwrap_err();
    assert!(matches!(err, fieldkit_core::Error::Tls(_)), "{err:?}");
    assert_eq!(phone.outbox().len(), queued);
    let report = phone.kit.sync(&good, &|_| {}).await.unwrap();
    assert_eq!(report.applied, queued, "{report:?}");
    assert!(phone.outbox().is_empty());

    // An anchor that is not a certificate is the app's mistake, said as such.
    let err = phone
        .kit
        .sync(&trusting(Roots::Platform, &["not a certificate"]), &|_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, fieldkit_core::Error::Invalid { .. }),
        "{err:?}"
    );
    let _ = ts.server.shutdown().await;
}

#[tokio::test]
async fn a_certificate_without_its_key_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let pki = make_pki(dir.path());
    let mut config = fieldkit_server::Config::for_tests(dir.path().join("server"));
    config.tls_cert = Some(pki.chain.clone());
    let err = fieldkit_server::Server::start(config)
        .await
        .err()
        .expect("refused");
    assert!(matches!(err, fieldkit_server::StartError::Tls(_)), "{err}");
    let mut config = fieldkit_server::Config::for_tests(dir.path().join("server"));
    config.tls_cert = Some(pki.key.clone());
    config.tls_key = Some(pki.key.clone());
    let err = fieldkit_server::Server::start(config)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("no certificate"), "{err}");
}
