//! The device's sync client over HTTP: how sync talks to the server ([`SyncOptions`]), what it
//! reports ([`SyncProgress`], [`SyncReport`]), and the transport: requests with retries and
//! backoff, clock-skew headers, resumable chunked uploads, the servers it trusts. No device
//! state: the run itself (enrolment, push the outbox, pull the desk's changes, upload the
//! files the server lacks) is [`FieldKit::enroll`](crate::api::FieldKit::enroll) and
//! [`FieldKit::sync`](crate::api::FieldKit::sync), in `api`, on top of this transport.

use std::io::Write;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::sync::protocol::*;

/// How sync talks to the server.
#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Attempts per request before giving up with [`Error::Network`] (at least 1).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled each time (with jitter) up to `max_backoff`.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Time limit of one request.
    pub request_timeout: Duration,
    /// Ops per push (the server accepts up to [`MAX_PUSH_OPS`]).
    pub push_batch: usize,
    /// Changes per pulled page.
    pub pull_limit: i64,
    /// Bytes per upload chunk.
    pub chunk_bytes: usize,
    /// Certificates (PEM) trusted besides the platform's roots: a company's private CA.
    pub extra_trust_anchors: Vec<String>,
    /// Where the trusted roots come from: the platform's choice unless a test says otherwise
    /// (see [`tls`](super::tls)).
    pub roots: super::tls::Roots,
    /// Certificate pins: SHA-256 of a SubjectPublicKeyInfo (base64 or hex). When not empty,
    /// the server's chain must also hold a certificate whose key is pinned (after the normal
    /// verification); a mismatch is [`Error::Tls`].
    pub pinned_spki_sha256: Vec<String>,
    /// Allows `http://` to hosts other than loopback (a debug build against a test server).
    /// Off: a server address must be `https://`, or `http://` to `localhost`/127.0.0.0/8/`::1`.
    pub allow_insecure_http: bool,
    /// The longest `Retry-After` (429, 503) the client waits for; a server asking for more
    /// ends the sync with [`Error::Network`] saying when to try again.
    pub max_retry_after: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            first_backoff: Duration::from_millis(300),
            max_backoff: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            push_batch: 200,
            pull_limit: DEFAULT_PULL_LIMIT,
            chunk_bytes: 256 * 1024,
            extra_trust_anchors: Vec::new(),
            roots: super::tls::Roots::native(),
            pinned_spki_sha256: Vec::new(),
            allow_insecure_http: false,
            max_retry_after: Duration::from_secs(30),
        }
    }
}

/// Which part of a sync is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    Push,
    Pull,
    Blobs,
}

/// Progress of a sync, for the app's progress bar: `done` of `total` in this phase (ops,
/// changes, or bytes; `total` is 0 when not known in advance, as for a pull).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    pub phase: SyncPhase,
    pub done: u64,
    pub total: u64,
}

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Ops sent (a retried batch counts once per op).
    pub pushed: usize,
    pub applied: usize,
    pub duplicates: usize,
    /// Ops the server refused or flagged (see
    /// [`FieldKit::sync_issues`](crate::api::FieldKit::sync_issues)).
    pub rejected: usize,
    pub conflicts: usize,
    /// Changes from the desk applied on this device, and those it could not use.
    pub pulled: usize,
    pub pull_skipped: usize,
    /// Files the server now holds that it lacked, and the bytes sent for them.
    pub blobs_uploaded: usize,
    pub blob_bytes_sent: u64,
}

/// HTTP to one server, with retries.
pub(crate) struct Http {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
    /// Signs pushes (the device's id and key), once enrolled.
    signer: Option<(
        crate::model::DeviceId,
        std::sync::Arc<super::device_key::DeviceKey>,
    )>,
    options: SyncOptions,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
}

/// What one attempt of a request came to.
enum Attempt<T> {
    Done(T),
    /// Worth trying again (the network, a timeout, 5xx, 429): why, and the server's
    /// `Retry-After` when it gave one.
    Retry(String, Option<Duration>),
}

/// Refuses a server address the device must not talk to: anything but `https://`, except
/// `http://` to loopback (a server on the same machine, as in tests) or when
/// [`SyncOptions::allow_insecure_http`] says so.
pub fn check_server_url(url: &str, options: &SyncOptions) -> Result<()> {
    let parsed = reqwest::Url::parse(url).map_err(|_| Error::invalid("server url", "not a URL"))?;
    if parsed.host().is_none() || !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::invalid(
            "server url",
            "needs a host and no user name",
        ));
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if options.allow_insecure_http || is_loopback(&parsed) => Ok(()),
        "http" => Err(Error::invalid(
            "server url",
            "must start with https:// (http:// only to this device itself)",
        )),
        _ => Err(Error::invalid(
            "server url",
            "must start with http:// or https://",
        )),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Http {
    /// A client for `base` (and the device's bearer `token`, once enrolled) that asks the
    /// server to write its messages in `locale` (`Accept-Language`).
    pub(crate) fn new(
        base: &str,
        token: Option<&str>,
        options: &SyncOptions,
        clock: std::sync::Arc<dyn crate::clock::Clock>,
        locale: crate::i18n::Locale,
    ) -> Result<Http> {
        check_server_url(base, options)?;
        // TLS through rustls with the `ring` provider; the roots per platform (see `tls`).
        let anchors = super::tls::anchors_from_pem(&options.extra_trust_anchors)?;
        let pins = super::tls::pins(&options.pinned_spki_sha256)?;
        let tls = super::tls::client_config(options.roots, anchors, pins)?;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_static(locale.tag()),
        );
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .tls_backend_preconfigured(tls)
            .timeout(options.request_timeout)
            .connect_timeout(options.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Network(format!("cannot set up HTTP: {e}")))?;
        Ok(Http {
            client,
            base: base.trim_end_matches('/').to_owned(),
            token: token.map(str::to_owned),
            signer: None,
            options: options.clone(),
            clock,
        })
    }

    /// Signs every push with the device's key from now on.
    pub(crate) fn signing(
        mut self,
        device_id: crate::model::DeviceId,
        key: super::device_key::DeviceKey,
    ) -> Http {
        self.signer = Some((device_id, std::sync::Arc::new(key)));
        self
    }

    /// Sends a JSON request (gzip-compressed when large) and reads a JSON answer, retrying
    /// what is worth retrying with exponential backoff and jitter.
    pub(crate) async fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<R> {
        let json = match body {
            Some(b) => {
                Some(serde_json::to_vec(b).map_err(|e| Error::invalid("request", e.to_string()))?)
            }
            None => None,
        };
        let signature = match (&json, &self.signer) {
            (Some(json), Some((device, key))) if path == "/v1/push" => {
                Some(key.sign_push(*device, json))
            }
            _ => None,
        };
        let body = match json {
            Some(json) => Some(compress(json)?),
            None => None,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.request(method.clone(), path);
            if path == "/v1/push" {
                // This device's clock now (each attempt), for the server's skew check.
                let now = crate::clock::to_millis(self.clock.now());
                req = req.header(DEVICE_TIME, now.to_string());
            }
            if let Some(sig) = &signature {
                req = req.header(PUSH_SIGNATURE, sig.as_str());
            }
            if let Some((bytes, gzipped)) = &body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(bytes.clone());
                if *gzipped {
                    req = req.header(reqwest::header::CONTENT_ENCODING, "gzip");
                }
            }
            let outcome = match req.send().await {
                Ok(resp) => match answer(resp).await? {
                    Attempt::Done(bytes) => match serde_json::from_slice::<R>(&bytes) {
                        Ok(v) => return Ok(v),
                        // A cut or garbled answer: the request may have been applied; every
                        // request here is safe to repeat.
                        Err(e) => (format!("unreadable answer: {e}"), None),
                    },
                    Attempt::Retry(why, after) => (why, after),
                },
                Err(e) => (describe(&e)?, None),
            };
            self.backoff(attempt, outcome).await?;
        }
    }

    /// Uploads one blob from the server's offset, chunk by chunk; after a failure asks the
    /// server where it stands and resumes there. Returns the bytes sent.
    pub(crate) async fn upload(
        &self,
        sha: &str,
        bytes: &[u8],
        chunk: usize,
        sent_so_far: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64> {
        let len = bytes.len() as u64;
        let path = format!("/v1/blobs/{sha}");
        let mut sent = 0u64;
        let mut attempt = 0;
        let mut offset: Option<u64> = None;
        loop {
            let from = match offset {
                Some(o) => o,
                None => {
                    let st: BlobStatus = self.call::<(), _>(Method::GET, &path, None).await?;
                    if st.complete {
                        return Ok(sent);
                    }
                    st.offset
                }
            };
            if from > len {
                return Err(Error::Server {
                    status: 409,
                    code: "offset".into(),
                    message: format!("the server holds {from} bytes of a {len}-byte file"),
                });
            }
            let start = usize::try_from(from)
                .unwrap_or(bytes.len())
                .min(bytes.len());
            let end = start.saturating_add(chunk).min(bytes.len());
            let req = self
                .request(Method::PUT, &path)
                .header(UPLOAD_OFFSET, from.to_string())
                .header(UPLOAD_LENGTH, len.to_string())
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(bytes[start..end].to_vec());
            let why = match req.send().await {
                Ok(resp) => match answer(resp).await {
                    // The server holds another offset than we sent from (a duplicated or
                    // stale chunk moved it), or the blob it assembled did not match (two
                    // copies of the last chunk raced): ask where it stands and go on.
                    Err(Error::Server {
                        status: 409 | 422,
                        message,
                        ..
                    }) => (message, None),
                    Err(e) => return Err(e),
                    Ok(Attempt::Done(body)) => match serde_json::from_slice::<BlobStatus>(&body) {
                        Ok(st) => {
                            sent += (end - start) as u64;
                            sent_so_far(st.offset);
                            if st.complete {
                                return Ok(sent);
                            }
                            attempt = 0;
                            offset = Some(st.offset);
                            continue;
                        }
                        Err(e) => (format!("unreadable answer: {e}"), None),
                    },
                    Ok(Attempt::Retry(why, after)) => (why, after),
                },
                Err(e) => (describe(&e)?, None),
            };
            attempt += 1;
            // Where did the server get to? Ask before sending more.
            offset = None;
            self.backoff(attempt, why).await?;
        }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req
    }

    /// Waits before attempt `attempt + 1`, or gives up after the last one. A server's
    /// `Retry-After` is honoured: never retried sooner, and given up at once when it asks
    /// for longer than [`SyncOptions::max_retry_after`].
    async fn backoff(&self, attempt: u32, (why, after): (String, Option<Duration>)) -> Result<()> {
        if attempt >= self.options.max_attempts.max(1) {
            return Err(Error::Network(format!("{why} (after {attempt} attempts)")));
        }
        if let Some(after) = after
            && after > self.options.max_retry_after
        {
            return Err(Error::Network(format!(
                "{why}; the server asks to try again in {} s",
                after.as_secs()
            )));
        }
        let base = self.options.first_backoff.as_millis() as u64;
        let cap = self.options.max_backoff.as_millis() as u64;
        let exp = base
            .saturating_mul(1u64 << (attempt - 1).min(16))
            .min(cap.max(base));
        // Full jitter over the upper half, so devices that lost the network together do not
        // come back together.
        let wait = Duration::from_millis(exp / 2 + rand::random_range(0..=exp / 2 + 1));
        tokio::time::sleep(wait.max(after.unwrap_or_default())).await;
        Ok(())
    }
}

/// Reads a response: its body when successful, a retry for what may pass later, an error
/// for what will not.
async fn answer(resp: reqwest::Response) -> Result<Attempt<Vec<u8>>> {
    let status = resp.status();
    let after = retry_after(resp.headers());
    let body = match resp.bytes().await {
        Ok(b) => b,
        Err(e) => return Ok(Attempt::Retry(describe(&e)?, None)),
    };
    if status.is_success() {
        return Ok(Attempt::Done(body.to_vec()));
    }
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        return Ok(Attempt::Retry(format!("server answered {status}"), after));
    }
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(b) => (b.code, b.message),
        Err(_) => ("http".to_owned(), status.to_string()),
    };
    Err(Error::Server {
        status: status.as_u16(),
        code,
        message,
    })
}

/// A transport error in words (the URL carries no personal data, only the route).
/// Why a request failed, worth a retry; or [`Error::Tls`] when the server's certificate (or
/// the handshake) failed, which a retry would meet again.
fn describe(e: &reqwest::Error) -> Result<String> {
    if let Some(why) = super::tls::tls_failure(e) {
        return Err(Error::Tls(why));
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer was cut off"
    } else {
        "the request failed"
    };
    Ok(format!("{what}: {e}"))
}

/// A `Retry-After` in seconds (the HTTP-date form is not used by FieldKit's server and is
/// read as absent).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The JSON body, gzip-compressed when larger than 1 KiB (and whether it is).
fn compress(json: Vec<u8>) -> Result<(Vec<u8>, bool)> {
    if json.len() <= 1024 {
        return Ok((json, false));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&json)?;
    Ok((gz.finish()?, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http_is_a_server_address() {
        let strict = SyncOptions::default();
        for ok in [
            "https://sync.example.com",
            "https://10.0.0.5:8443/",
            "http://127.0.0.1:8080",
            "http://127.8.9.10",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert!(check_server_url(ok, &strict).is_ok(), "{ok}");
        }
        for refused in [
            "http://sync.example.com",
            "http://10.0.0.5:8080",
            "http://localhost.example.com",
            "ftp://sync.example.com",
            "https://user:pw@sync.example.com",
            "sync.example.com",
            "",
        ] {
            let err = check_server_url(refused, &strict).unwrap_err();
            assert!(matches!(err, Error::Invalid { .. }), "{refused}: {err}");
        }
        let debug = SyncOptions {
            allow_insecure_http: true,
            ..SyncOptions::default()
        };
        assert!(check_server_url("http://10.0.0.5:8080", &debug).is_ok());
        assert!(check_server_url("ftp://10.0.0.5", &debug).is_err());
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            reqwest::header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }
}
