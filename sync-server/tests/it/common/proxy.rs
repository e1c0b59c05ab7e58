//! A fault-injecting HTTP/1.1 proxy for the sync tests, on 127.0.0.1, between devices and the
//! server. Per request it may:
//!
//! * **drop the answer**: forward the request, read the server's whole answer (so the server
//!   did the work), then close the device's connection without a byte, or after half of the
//!   answer's body (a cut answer);
//! * **duplicate** the request: send it to the server twice, one after the other or both at
//!   once, and pass one of the answers on;
//! * **delay** it before forwarding, or hold the answer before passing it on;
//! * **cut an upload**: forward a blob `PUT` with only part of its body, then close both
//!   connections (the server sees the body end early, the device a broken connection).
//!
//! Decisions come from a seeded RNG per device (a device is known by the name the test gave
//! its id, [`Proxy::name_device`]; its token is learnt from its enrolment answer), so a device's
//! n-th request gets the same fate in every run with the same seed. Each forwarded request
//! gets its own connection to the server. Everything the proxy did is counted ([`Counts`]).
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt as _;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, Uri};
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::{TcpListener, TcpStream};

/// How hostile the proxy is. Probabilities are per request.
#[derive(Clone, Debug)]
pub struct Faults {
    /// Forward, then drop the answer (a third of these cut it mid-body instead).
    pub drop_answer: f64,
    /// Send the request to the server twice (half of these concurrently).
    pub duplicate: f64,
    /// Delay before forwarding or hold the answer, up to `max_delay`.
    pub delay: f64,
    pub max_delay: Duration,
    /// Of blob `PUT`s with at least 2 body bytes: forward only part of the body, then close.
    pub cut_upload: f64,
    /// Hold every answer this long (a random time in the range) before passing it on.
    pub hold_answers: Option<(Duration, Duration)>,
    /// Duplicates are always sent one after the other and the device gets the *first*
    /// answer: what a device sees when its retry overtook a slow first attempt.
    pub stale_duplicate_answers: bool,
    /// Only the first this many requests meet any fault.
    pub first_requests_only: Option<u64>,
}

impl Faults {
    /// A well-behaved proxy.
    pub fn none() -> Faults {
        Faults {
            drop_answer: 0.0,
            duplicate: 0.0,
            delay: 0.0,
            max_delay: Duration::ZERO,
            cut_upload: 0.0,
            hold_answers: None,
            stale_duplicate_answers: false,
            first_requests_only: None,
        }
    }
}

/// Which route a request is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Route {
    Enroll,
    Push,
    Pull,
    BlobsMissing,
    BlobStatus,
    BlobPut,
    Other,
}

impl Route {
    fn of(method: &Method, path: &str) -> Route {
        match (method.as_str(), path) {
            ("POST", "/v1/enroll") => Route::Enroll,
            ("POST", "/v1/push") => Route::Push,
            ("GET", "/v1/pull") => Route::Pull,
            ("POST", "/v1/blobs/missing") => Route::BlobsMissing,
            ("GET" | "HEAD", p) if p.starts_with("/v1/blobs/") => Route::BlobStatus,
            ("PUT", p) if p.starts_with("/v1/blobs/") => Route::BlobPut,
            _ => Route::Other,
        }
    }
}

/// What the proxy tells an observer, as it happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyEvent {
    /// A whole request arrived from a device.
    Received(Route),
    /// The server answered it (the answer is not passed on yet).
    Answered(Route, u16),
    /// The answer is handed to the device's connection.
    Delivered(Route),
    /// An upload was cut.
    Cut,
}

/// Per-route counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RouteCounts {
    pub received: u64,
    pub answered: u64,
    pub delivered: u64,
}

/// What the proxy did.
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// Requests that arrived whole from devices.
    pub requests: u64,
    /// Forwarded, then the answer withheld entirely…
    pub dropped_answers: u64,
    /// …or cut in the middle of its body. Both are dropped answers.
    pub cut_answers: u64,
    /// Sent to the server twice (of which at once).
    pub duplicated: u64,
    pub duplicated_concurrently: u64,
    /// Delayed before forwarding or answering.
    pub delayed: u64,
    /// Blob uploads cut mid-chunk.
    pub cut_uploads: u64,
    /// The server could not be reached or did not answer.
    pub upstream_errors: u64,
    pub routes: BTreeMap<Route, RouteCounts>,
    /// The `Upload-Offset` of every blob `PUT`.
    pub put_offsets: Vec<u64>,
    /// Requests (or their forwarding to the server) not finished yet, a dead device's too.
    pub in_flight: u64,
}

impl Counts {
    /// Answers the device never got whole.
    pub fn dropped(&self) -> u64 {
        self.dropped_answers + self.cut_answers
    }

    pub fn route(&self, r: Route) -> RouteCounts {
        self.routes.get(&r).copied().unwrap_or_default()
    }
}

type Observer = Arc<dyn Fn(ProxyEvent) + Send + Sync>;

struct Shared {
    upstream: SocketAddr,
    seed: u64,
    faults: Mutex<Faults>,
    counts: Mutex<Counts>,
    /// Decision RNG per device key.
    rngs: Mutex<HashMap<String, StdRng>>,
    /// device id → the name the test gave it.
    names: Mutex<HashMap<String, String>>,
    /// bearer token → device id, learnt from enrolment answers.
    tokens: Mutex<HashMap<String, String>>,
    observer: Mutex<Option<Observer>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running proxy. Stops accepting when dropped.
pub struct Proxy {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Listens on 127.0.0.1 (a free port) and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr, faults: Faults, seed: u64) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy binds");
        let addr = listener.local_addr().expect("proxy address");
        let shared = Arc::new(Shared {
            upstream,
            seed,
            faults: Mutex::new(faults),
            counts: Mutex::new(Counts::default()),
            rngs: Mutex::new(HashMap::new()),
            names: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            observer: Mutex::new(None),
        });
        let s = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let s = s.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(s.clone(), req));
                    // Ends with an error whenever the proxy drops a connection on purpose.
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Proxy { addr, shared, task }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the proxy did so far.
    pub fn counts(&self) -> Counts {
        lock(&self.shared.counts).clone()
    }

    /// Gives a device id a stable name: its decisions are seeded by the name, so they replay.
    pub fn name_device(&self, device_id: &str, name: &str) {
        lock(&self.shared.names).insert(device_id.to_owned(), name.to_owned());
    }

    /// Changes the faults from now on (e.g. none for a final clean sync).
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.shared.faults) = faults;
    }

    /// Calls `f` on every event (from the proxy's tasks: keep it short).
    pub fn observe(&self, f: impl Fn(ProxyEvent) + Send + Sync + 'static) {
        *lock(&self.shared.observer) = Some(Arc::new(f));
    }
}

/// How a request is sent twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Twice {
    /// Both at once; the device gets the answer of the second.
    Concurrently,
    /// One after the other; the device gets the second answer…
    Sequentially,
    /// …or the first (the second attempt reached the server after the answer was sent).
    SequentiallyStale,
}

/// The fate of one request.
#[derive(Clone, Copy, Debug, Default)]
struct Decision {
    delay_before: Option<Duration>,
    hold_answer: Option<Duration>,
    /// Twice: how.
    duplicate: Option<Twice>,
    /// Drop the answer: `Some(cut mid-body instead of withholding it)`.
    drop: Option<bool>,
    /// Cut the upload after this many body bytes.
    cut_at: Option<usize>,
}

impl Shared {
    fn emit(&self, e: ProxyEvent) {
        let observer = lock(&self.observer).clone();
        if let Some(f) = observer {
            f(e);
        }
    }

    fn count(&self, f: impl FnOnce(&mut Counts)) {
        f(&mut lock(&self.counts));
    }

    fn route_count(&self, route: Route, f: impl FnOnce(&mut RouteCounts)) {
        f(lock(&self.counts).routes.entry(route).or_default());
    }

    /// The key of the device a request comes from: its name, its id, or `?`.
    fn device_key(&self, headers: &HeaderMap, route: Route, body: &[u8]) -> String {
        let device = if route == Route::Enroll {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| v["device_id"].as_str().map(str::to_owned))
        } else {
            headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .and_then(|t| lock(&self.tokens).get(t).cloned())
        };
        let Some(device) = device else {
            return "?".into();
        };
        lock(&self.names).get(&device).cloned().unwrap_or(device)
    }

    fn decide(&self, key: &str, route: Route, body_len: usize) -> Decision {
        let f = lock(&self.faults).clone();
        let mut rngs = lock(&self.rngs);
        let rng = rngs.entry(key.to_owned()).or_insert_with(|| {
            let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
            StdRng::seed_from_u64(self.seed ^ h)
        });
        // Always the same draws, so a device's n-th request meets the same fate whatever
        // happened to the others.
        let r: [f64; 9] = std::array::from_fn(|_| rng.random::<f64>());
        let mut d = Decision::default();
        if f.first_requests_only
            .is_some_and(|n| lock(&self.counts).requests >= n)
        {
            return d;
        }
        let delay = |x: f64| Duration::from_secs_f64(f.max_delay.as_secs_f64() * x);
        if r[0] < f.delay {
            if r[1] < 0.5 {
                d.delay_before = Some(delay(r[2]));
            } else {
                d.hold_answer = Some(delay(r[2]));
            }
        }
        if let Some((lo, hi)) = f.hold_answers {
            let extra = lo + (hi.saturating_sub(lo)).mul_f64(r[3]);
            d.hold_answer = Some(d.hold_answer.unwrap_or_default() + extra);
        }
        if route == Route::BlobPut && body_len >= 2 && r[4] < f.cut_upload {
            d.cut_at = Some(1 + ((body_len - 1) as f64 * r[5]) as usize);
            return d;
        }
        if r[6] < f.duplicate {
            d.duplicate = Some(if f.stale_duplicate_answers {
                Twice::SequentiallyStale
            } else if r[7] < 0.4 {
                Twice::Concurrently
            } else if r[7] < 0.8 {
                Twice::Sequentially
            } else {
                Twice::SequentiallyStale
            });
        }
        if r[8] < f.drop_answer {
            d.drop = Some(r[8] < f.drop_answer / 3.0);
        }
        d
    }
}

type ProxyBody = BoxBody<Bytes, io::Error>;

fn full(b: Bytes) -> ProxyBody {
    Full::new(b)
        .map_err(|never: Infallible| match never {})
        .boxed()
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// Headers of one hop only.
fn strip_hop_headers(h: &mut HeaderMap) {
    for name in [
        header::CONNECTION,
        header::TRANSFER_ENCODING,
        header::TE,
        header::TRAILER,
        header::UPGRADE,
        header::PROXY_AUTHORIZATION,
    ] {
        h.remove(name);
    }
    h.remove("keep-alive");
}

/// One request as it arrived, to send again.
#[derive(Clone)]
struct Sent {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl Sent {
    fn request<B>(&self, body: B) -> Request<B> {
        let mut req = Request::new(body);
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.uri.clone();
        *req.headers_mut() = self.headers.clone();
        req
    }
}

/// Counts a request in flight until dropped.
struct InFlight(Arc<Shared>);

impl InFlight {
    fn new(s: &Arc<Shared>) -> InFlight {
        s.count(|c| c.in_flight += 1);
        InFlight(s.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.count(|c| c.in_flight -= 1);
    }
}

async fn handle(s: Arc<Shared>, req: Request<Incoming>) -> Result<Response<ProxyBody>, io::Error> {
    let _in_flight = InFlight::new(&s);
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map_err(io_err)?.to_bytes();
    let route = Route::of(&parts.method, parts.uri.path());
    let key = s.device_key(&parts.headers, route, &body);
    let d = s.decide(&key, route, body.len());
    s.count(|c| c.requests += 1);
    s.route_count(route, |c| c.received += 1);
    s.emit(ProxyEvent::Received(route));
    if route == Route::BlobPut {
        let offset = parts
            .headers
            .get("upload-offset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(u64::MAX);
        s.count(|c| c.put_offsets.push(offset));
    }
    let mut headers = parts.headers.clone();
    strip_hop_headers(&mut headers);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    let sent = Sent {
        method: parts.method.clone(),
        uri: parts.uri.clone(),
        headers,
    };
    // The exchange with the server runs on its own: a request the proxy has taken in reaches
    // the server even if the device's connection dies meanwhile (hyper drops this future
    // then), as it would through any middlebox.
    let exchange = {
        let s = s.clone();
        let guard = InFlight::new(&s);
        tokio::spawn(async move {
            let _guard = guard;
            exchange(&s, route, d, sent, body).await
        })
    };
    let Some((mut rparts, rbody)) = exchange.await.map_err(io_err)?? else {
        return Err(io::Error::other("proxy: upload cut"));
    };
    if let Some(hold) = d.hold_answer {
        if d.delay_before.is_none() {
            s.count(|c| c.delayed += 1);
        }
        tokio::time::sleep(hold).await;
    }
    strip_hop_headers(&mut rparts.headers);
    rparts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(rbody.len()));
    match d.drop {
        Some(true) if rbody.len() >= 2 => {
            // Headers and half the body, then the connection breaks.
            s.count(|c| c.cut_answers += 1);
            let half = rbody.slice(..rbody.len() / 2);
            let frames = futures::stream::iter(vec![
                Ok(Frame::data(half)),
                Err(io::Error::other("proxy: answer cut")),
            ]);
            return Ok(Response::from_parts(
                rparts,
                BodyExt::boxed(StreamBody::new(frames)),
            ));
        }
        Some(_) => {
            s.count(|c| c.dropped_answers += 1);
            return Err(io::Error::other("proxy: answer dropped"));
        }
        None => {}
    }
    s.route_count(route, |c| c.delivered += 1);
    s.emit(ProxyEvent::Delivered(route));
    Ok(Response::from_parts(rparts, full(rbody)))
}

/// Delays, then forwards the request (twice, or cut) and reads the server's answer: `None`
/// for a cut upload.
async fn exchange(
    s: &Arc<Shared>,
    route: Route,
    d: Decision,
    sent: Sent,
    body: Bytes,
) -> io::Result<Option<(hyper::http::response::Parts, Bytes)>> {
    if let Some(wait) = d.delay_before {
        s.count(|c| c.delayed += 1);
        tokio::time::sleep(wait).await;
    }
    if let Some(at) = d.cut_at {
        s.count(|c| c.cut_uploads += 1);
        forward_cut(s.upstream, &sent, body.slice(..at)).await;
        s.emit(ProxyEvent::Cut);
        return Ok(None);
    }
    let answer = match d.duplicate {
        None => forward(s.upstream, &sent, body.clone()).await,
        Some(Twice::Concurrently) => {
            s.count(|c| {
                c.duplicated += 1;
                c.duplicated_concurrently += 1;
            });
            let (a, b) = tokio::join!(
                forward(s.upstream, &sent, body.clone()),
                forward(s.upstream, &sent, body.clone())
            );
            // Whichever the server took first: the device gets the answer of one of them.
            if b.is_ok() { b } else { a }
        }
        Some(twice) => {
            s.count(|c| c.duplicated += 1);
            let a = forward(s.upstream, &sent, body.clone()).await;
            let b = forward(s.upstream, &sent, body.clone()).await;
            // The second answer: to a push, `duplicate` for every op. The first: what the
            // server said before it saw the request again.
            match (twice, a, b) {
                (Twice::SequentiallyStale, Ok(a), _) => Ok(a),
                (_, a, b) => {
                    if b.is_ok() {
                        b
                    } else {
                        a
                    }
                }
            }
        }
    };
    let (rparts, rbody) = match answer {
        Ok(a) => a,
        Err(e) => {
            s.count(|c| c.upstream_errors += 1);
            return Err(e);
        }
    };
    if route == Route::Enroll && rparts.status.is_success() {
        let device = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["device_id"].as_str().map(str::to_owned));
        let token = serde_json::from_slice::<serde_json::Value>(&rbody)
            .ok()
            .and_then(|v| v["token"].as_str().map(str::to_owned));
        if let (Some(device), Some(token)) = (device, token) {
            lock(&s.tokens).insert(token, device);
        }
    }
    s.route_count(route, |c| c.answered += 1);
    s.emit(ProxyEvent::Answered(route, rparts.status.as_u16()));
    Ok(Some((rparts, rbody)))
}

/// A fresh connection to the server.
async fn connect<B>(upstream: SocketAddr) -> io::Result<hyper::client::conn::http1::SendRequest<B>>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(upstream).await?;
    let _ = stream.set_nodelay(true);
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(io_err)?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(send)
}

/// Sends the request to the server and reads its whole answer.
async fn forward(
    upstream: SocketAddr,
    sent: &Sent,
    body: Bytes,
) -> io::Result<(hyper::http::response::Parts, Bytes)> {
    let exchange = async {
        let mut send = connect::<Full<Bytes>>(upstream).await?;
        let resp = send
            .send_request(sent.request(Full::new(body)))
            .await
            .map_err(io_err)?;
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.map_err(io_err)?.to_bytes();
        Ok((parts, bytes))
    };
    tokio::time::timeout(Duration::from_secs(60), exchange)
        .await
        .map_err(|_| io::Error::other("proxy: the server did not answer in 60 s"))?
}

/// Sends the request's headers (with the full `Content-Length`) and only `part` of its body,
/// gives the server a moment to take those bytes in, then breaks the connection.
async fn forward_cut(upstream: SocketAddr, sent: &Sent, part: Bytes) {
    let Ok(mut send) = connect::<ProxyBody>(upstream).await else {
        return;
    };
    let frames =
        futures::stream::iter([Ok(Frame::data(part))]).chain(futures::stream::once(async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Err(io::Error::other("proxy: upload cut"))
        }));
    let body: ProxyBody = BodyExt::boxed(StreamBody::new(frames));
    let _ = tokio::time::timeout(
        Duration::from_secs(10),
        send.send_request(sent.request(body)),
    )
    .await;
}
