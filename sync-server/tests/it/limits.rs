//! The server's limits: a half-sent request is closed at the header-read timeout (plain and
//! TLS), a stalled body fails at the body timeout and a silent connection is closed at the
//! idle timeout; a device over its rate of pushes and pulls is told when to come back (429,
//! `Retry-After`, on the server's manual clock); a full writer queue answers 503 with
//! `Retry-After` (a writer held by the test, on SQLite and PostgreSQL); the verify page
//! answers while the writer is held and has its own limit; the rate limits count per client
//! behind a trusted proxy (IPv6 per /64) and ignore an untrusted peer's `X-Forwarded-For`;
//! `/metrics` needs the admin token or the private metrics address; a request refused before
//! its body is read is answered whole, `Connection: close`, and the connection closed cleanly.

use std::time::Duration;

use crate::common::{self, Backend, TestServer};
use fieldkit_core::model::DeviceId;
use fieldkit_core::sync::protocol::ErrorBody;
use fieldkit_server::clock::Clock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long any wait may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(30);

/// Sends the start of a request whose headers never finish, and returns how long the server
/// took to close the connection (the test fails if it never does).
async fn half_sent<S>(mut stream: S) -> Duration
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let started = tokio::time::Instant::now();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: fieldkit\r\nX-Slow: ")
        .await
        .unwrap();
    stream.flush().await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(DEADLINE, stream.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "the connection was still open after {DEADLINE:?}"
    );
    // Closed (EOF, or a reset), with no answer to a request that never was.
    assert!(
        buf.is_empty() || buf.starts_with(b"HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_is_closed_at_the_header_timeout() {
    let ts = common::server(Backend::Sqlite, |c| c.header_read_timeout_secs = 1)
        .await
        .unwrap();
    let addr = ts.server.addr();
    let took = half_sent(tokio::net::TcpStream::connect(addr).await.unwrap()).await;
    eprintln!("plain: closed after {took:?}");
    assert!(took >= Duration::from_millis(900), "closed early: {took:?}");
    // A request sent whole is answered as ever.
    let r = ts.client.get(ts.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_over_tls_is_closed_at_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let ts = common::server(Backend::Sqlite, |c| {
        c.header_read_timeout_secs = 1;
        c.tls_cert = Some(cert_path.clone());
        c.tls_key = Some(key_path.clone());
    })
    .await
    .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(ts.server.addr())
        .await
        .unwrap();
    let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    let took = half_sent(tls).await;
    eprintln!("TLS: closed after {took:?}");
    assert!(took >= Duration::from_millis(900), "closed early: {took:?}");
    let r = ts.client.get(ts.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_fails_and_a_silent_connection_is_closed() {
    let ts = common::server(Backend::Sqlite, |c| {
        c.body_timeout_secs = 1;
        c.idle_timeout_secs = 1;
        // Off, so that only the idle timeout can close the silent connection.
        c.header_read_timeout_secs = 0;
    })
    .await
    .unwrap();
    let addr = ts.server.addr();
    // A body that stops after 10 of its 100 bytes: the request fails (400), typed.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = tokio::time::Instant::now();
    s.write_all(
        b"POST /v1/enroll HTTP/1.1\r\nHost: fieldkit\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"code\": \"",
    )
    .await
    .unwrap();
    let mut head = [0u8; 12];
    tokio::time::timeout(DEADLINE, s.read_exact(&mut head))
        .await
        .expect("an answer to the stalled body")
        .unwrap();
    let took = started.elapsed();
    eprintln!("stalled body answered after {took:?}");
    assert_eq!(&head, b"HTTP/1.1 400");
    assert!(
        took >= Duration::from_millis(900),
        "answered early: {took:?}"
    );
    // A connection that says nothing at all is closed at the idle timeout.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = tokio::time::Instant::now();
    let mut buf = Vec::new();
    tokio::time::timeout(DEADLINE, s.read_to_end(&mut buf))
        .await
        .expect("the silent connection closed")
        .unwrap();
    let took = started.elapsed();
    eprintln!("silent connection closed after {took:?}");
    assert!(buf.is_empty());
    assert!(took >= Duration::from_millis(900), "closed early: {took:?}");
    ts.server.shutdown().await.unwrap();
}

/// A technician with one enrolled device: its token.
async fn device(ts: &TestServer) -> String {
    let t = ts.create_technician("Li Na").await;
    ts.enrol(&t, DeviceId::new()).await.token
}

/// Reads one answer's head (up to the blank line) from `s`.
async fn answer_head<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(DEADLINE, s.read(&mut byte))
            .await
            .expect("an answer")
            .expect("the answer, not a reset");
        assert_eq!(n, 1, "closed before the answer's head: {head:?}");
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap().to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_refused_before_its_body_is_read_is_answered_whole_and_closed_cleanly() {
    let ts = common::server(Backend::Sqlite, |c| c.max_body_bytes = 64 * 1024)
        .await
        .unwrap();
    let addr = ts.server.addr();
    let token = device(&ts).await;
    // A malformed path is refused before the body is read; the body only arrives after the
    // answer. The answer says the connection closes, and sending the body then is no error.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!(
            "PUT /v1/blobs/XYZ HTTP/1.1\r\nHost: fieldkit\r\nAuthorization: Bearer {token}\r\n\
             Upload-Offset: 0\r\nUpload-Length: 5\r\nContent-Length: 5\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let head = answer_head(&mut s).await;
    assert!(head.starts_with("http/1.1 400"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    s.write_all(b"hello").await.unwrap();
    s.shutdown().await.unwrap();
    let mut rest = Vec::new();
    tokio::time::timeout(DEADLINE, s.read_to_end(&mut rest))
        .await
        .expect("the server closed")
        .expect("closed cleanly, not reset");
    let body: ErrorBody = serde_json::from_slice(&rest).unwrap();
    assert_eq!(body.code, "bad_request");

    // Bodies far past the limit, without a token (401) and with one (413): the client sends
    // every byte while the answer is already on its way, then reads the whole answer. A
    // server that closed with the body unread would reset the connection under it.
    for auth in [None, Some(token.as_str())] {
        let body_len = 4 * 1024 * 1024;
        let s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut rd, mut wr) = s.into_split();
        let auth_line = auth.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
        let sender = tokio::spawn(async move {
            wr.write_all(
                format!(
                    "POST /v1/push HTTP/1.1\r\nHost: fieldkit\r\n{auth_line}\
                     Content-Type: application/json\r\nContent-Length: {body_len}\r\n\r\n"
                )
                .as_bytes(),
            )
            .await?;
            let chunk = vec![b' '; 64 * 1024];
            for _ in 0..body_len / chunk.len() {
                wr.write_all(&chunk).await?;
            }
            wr.shutdown().await
        });
        let head = answer_head(&mut rd).await;
        let want = if auth.is_some() { "413" } else { "401" };
        assert!(head.starts_with(&format!("http/1.1 {want}")), "{head}");
        assert!(head.contains("connection: close"), "{head}");
        let mut rest = Vec::new();
        tokio::time::timeout(DEADLINE, rd.read_to_end(&mut rest))
            .await
            .expect("the server closed")
            .expect("closed cleanly, not reset");
        let e: ErrorBody = serde_json::from_slice(&rest).unwrap();
        assert!(!e.code.is_empty());
        tokio::time::timeout(DEADLINE, sender)
            .await
            .expect("the body was sent")
            .unwrap()
            .expect("every byte of the body was taken, none reset");
    }
    // A request read whole keeps its connection.
    let r = ts
        .client
        .post(ts.url("/v1/push"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "ops": [] }))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("connection").is_none(), "{:?}", r.headers());
    ts.server.shutdown().await.unwrap();
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_over_its_rate_is_told_when_to_come_back() {
    let clock = Clock::manual(common::morning().timestamp_millis());
    let ts = common::server(Backend::Sqlite, |c| {
        c.clock = clock.clone();
        c.device_requests_per_minute = 6;
        c.device_burst = 2;
    })
    .await
    .unwrap();
    let (token, other) = (device(&ts).await, device(&ts).await);
    let pull = |token: &str| {
        ts.client
            .get(ts.url("/v1/pull?cursor=0"))
            .bearer_auth(token)
            .send()
    };
    let push = |token: &str| ts.signed_push(token, &[]).send();
    assert_eq!(pull(&token).await.unwrap().status().as_u16(), 200);
    assert_eq!(push(&token).await.unwrap().status().as_u16(), 200);
    for r in [pull(&token).await.unwrap(), push(&token).await.unwrap()] {
        assert_eq!(r.status().as_u16(), 429);
        // 6 a minute: the next token in 10 s.
        assert_eq!(retry_after(&r), 10);
        let e: ErrorBody = r.json().await.unwrap();
        assert_eq!(e.code, "too_many_requests");
    }
    assert_eq!(
        pull(&other).await.unwrap().status().as_u16(),
        200,
        "another device has its own bucket"
    );
    clock.advance(10_000);
    assert_eq!(pull(&token).await.unwrap().status().as_u16(), 200);
    assert_eq!(pull(&token).await.unwrap().status().as_u16(), 429);
    ts.server.shutdown().await.unwrap();
}

/// Holds the database's write lock as another writer would, until dropped or released.
enum HeldWriter {
    Sqlite(rusqlite::Connection),
    Postgres(tokio_postgres::Client),
}

impl HeldWriter {
    /// SQLite: a write transaction on the server's file (the server's writer then waits for
    /// it). PostgreSQL: the rows of the devices of `tokens` locked as a push locks them (a
    /// push of any other device would go through).
    async fn hold(ts: &TestServer, tokens: &[&str]) -> HeldWriter {
        match &ts.pg {
            None => {
                let path = ts.dir.path().join("server").join("fieldkit-server.db");
                let c = rusqlite::Connection::open(path).unwrap();
                c.execute_batch("BEGIN IMMEDIATE").unwrap();
                HeldWriter::Sqlite(c)
            }
            Some(pg) => {
                let (client, conn) = tokio_postgres::connect(&pg.url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                let hashes: Vec<String> = tokens
                    .iter()
                    .map(|t| fieldkit_server::auth::hash_secret(t))
                    .collect();
                client.batch_execute("BEGIN").await.unwrap();
                let n = client
                    .execute(
                        "SELECT 1 FROM devices WHERE token_hash = ANY($1) FOR UPDATE",
                        &[&hashes],
                    )
                    .await
                    .unwrap();
                assert_eq!(n as usize, tokens.len(), "every device's row is locked");
                HeldWriter::Postgres(client)
            }
        }
    }

    async fn release(self) {
        match self {
            HeldWriter::Sqlite(c) => c.execute_batch("ROLLBACK").unwrap(),
            HeldWriter::Postgres(c) => c.batch_execute("ROLLBACK").await.unwrap(),
        }
    }
}

async fn a_full_writer_queue_answers_503(backend: Backend) {
    let Some(ts) = common::server(backend, |c| c.max_queued_writes = 1).await else {
        return;
    };
    let (a, b) = (device(&ts).await, device(&ts).await);
    let push = |token: String| {
        let req = ts.signed_push(&token, &[]);
        tokio::spawn(async move { req.send().await.unwrap() })
    };
    // Both devices' pushes must wait: on PostgreSQL a push locks only its own device's row.
    let held = HeldWriter::hold(&ts, &[&a, &b]).await;
    // Two pushes while the writer is held and the queue takes one: one waits for the
    // writer, the other is refused at once (nothing to wait for: it is not queued).
    let (mut first, mut second) = (push(a.clone()), push(b.clone()));
    let (refused, waiting) = tokio::time::timeout(DEADLINE, async {
        tokio::select! {
            r = &mut first => (r.unwrap(), second),
            r = &mut second => (r.unwrap(), first),
        }
    })
    .await
    .expect("one push answered while the writer is held");
    assert_eq!(refused.status().as_u16(), 503);
    assert_eq!(retry_after(&refused), 1);
    let e: ErrorBody = refused.json().await.unwrap();
    assert_eq!(e.code, "unavailable");
    assert!(
        !waiting.is_finished(),
        "the queued push waits for the writer"
    );
    held.release().await;
    let r = tokio::time::timeout(DEADLINE, waiting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "the queued push is committed");
    // The queue has room again.
    let r = push(b).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_writer_queue_answers_503_sqlite() {
    a_full_writer_queue_answers_503(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_writer_queue_answers_503_postgres() {
    a_full_writer_queue_answers_503(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verify_page_answers_while_the_writer_is_held() {
    let ts = common::server(Backend::Sqlite, |_| {}).await.unwrap();
    let t = ts.create_technician("Zhao Lei").await;
    let token = ts.enrol(&t, DeviceId::new()).await.token;
    let order = fieldkit_core::demo::repair_order(
        1,
        common::morning(),
        fieldkit_core::model::Billing::Paid,
    );
    ts.create_job(&order, Some(&t)).await;
    let held = HeldWriter::hold(&ts, &[&token]).await;
    // A push now waits for the writer (SQLite's writer waits up to 10 s for the lock).
    let push = {
        let req = ts.signed_push(&token, &[]);
        tokio::spawn(async move { req.send().await.unwrap() })
    };
    let url = ts.url(&format!("/verify/{}?h={}", order.id, "ab".repeat(32)));
    // Well under the writer's 10 s: a page read through the writer would still wait.
    let r = tokio::time::timeout(Duration::from_secs(5), ts.client.get(&url).send())
        .await
        .expect("the verify page answers while the writer is held")
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("data-verdict=\"unknown\""));
    assert!(!push.is_finished(), "the writer was held all along");
    held.release().await;
    assert_eq!(push.await.unwrap().status().as_u16(), 200);
    ts.server.shutdown().await.unwrap();

    // Its own limit: none at once allowed, a 503 with Retry-After.
    let ts = common::server(Backend::Sqlite, |c| c.verify_concurrency = 0)
        .await
        .unwrap();
    let r = ts
        .client
        .get(ts.url(&format!("/verify/{}?h={}", order.id, "ab".repeat(32))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(retry_after(&r), 1);
    ts.server.shutdown().await.unwrap();
}

/// Enrolment attempts (a wrong code: 401 until the limit, then 429) as if from `forwarded`.
async fn enrol_from(ts: &TestServer, forwarded: &str) -> u16 {
    ts.client
        .post(ts.url("/v1/enroll"))
        .header("x-forwarded-for", forwarded)
        .json(
            &fieldkit_core::sync::device_key::DeviceKey::generate()
                .unwrap()
                .enrolment("AAAA-BBBB-CCCC", DeviceId::new()),
        )
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_count_per_client_and_ipv6_per_64_behind_a_trusted_proxy() {
    let ts = common::server(Backend::Sqlite, |c| {
        c.enroll_per_minute = 2;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
    })
    .await
    .unwrap();
    // One /64: two addresses use up its two attempts, a third address in it is refused.
    assert_eq!(enrol_from(&ts, "2001:db8:1:2::1").await, 401);
    assert_eq!(enrol_from(&ts, "2001:db8:1:2::2").await, 401);
    assert_eq!(enrol_from(&ts, "2001:db8:1:2:ffff::9").await, 429);
    // The next /64 and an IPv4 client are counted on their own.
    assert_eq!(enrol_from(&ts, "2001:db8:1:3::1").await, 401);
    assert_eq!(enrol_from(&ts, "192.0.2.10").await, 401);
    assert_eq!(enrol_from(&ts, "192.0.2.11").await, 401);
    // What the client wrote left of the proxy's own entry is not believed.
    assert_eq!(enrol_from(&ts, "192.0.2.99, 2001:db8:1:2::7").await, 429);
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_peers_forwarded_for_is_ignored() {
    let ts = common::server(Backend::Sqlite, |c| c.enroll_per_minute = 2)
        .await
        .unwrap();
    assert_eq!(enrol_from(&ts, "192.0.2.1").await, 401);
    assert_eq!(enrol_from(&ts, "192.0.2.2").await, 401);
    // Another forged address changes nothing: the peer (127.0.0.1) is counted.
    assert_eq!(enrol_from(&ts, "192.0.2.3").await, 429);
    assert_eq!(enrol_from(&ts, "2001:db8:9::1").await, 429);
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_need_the_admin_token_or_the_private_address() {
    let ts = common::server(Backend::Sqlite, |c| {
        c.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
    })
    .await
    .unwrap();
    let token = device(&ts).await;
    let get = |auth: Option<String>| {
        let mut r = ts.client.get(ts.url("/metrics"));
        if let Some(a) = auth {
            r = r.bearer_auth(a);
        }
        r.send()
    };
    assert_eq!(get(None).await.unwrap().status().as_u16(), 401);
    assert_eq!(
        get(Some("fka_wrong".into()))
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    assert_eq!(get(Some(token)).await.unwrap().status().as_u16(), 403);
    let r = get(Some(ts.admin.clone())).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("fieldkit_ops_total"));
    // The private address: metrics without a token, and nothing else.
    let private = ts.server.metrics_addr().expect("a metrics address");
    assert_ne!(private, ts.server.addr());
    let r = ts
        .client
        .get(format!("http://{private}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("fieldkit_push_seconds_bucket")
    );
    let r = ts
        .client
        .get(format!("http://{private}/v1/admin/technicians"))
        .bearer_auth(&ts.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    ts.server.shutdown().await.unwrap();
}
