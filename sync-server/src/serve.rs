//! The serving loop, for plain TCP and TLS alike: HTTP/1.1 connections under the limits of
//! [`ConnLimits`] — a request's headers must arrive within the header-read timeout (hyper's,
//! on tokio's timer; it also ends a kept-alive connection that sends nothing more), a
//! connection that moves no byte while no request is being handled is closed after the idle
//! timeout, and at most so many connections are open (the rest wait in the listen backlog).
//! Each request carries `ConnectInfo<SocketAddr>` as under `axum::serve`. A connection that
//! ends after an answer lingers to read what the client is still sending (see [`linger`]).
//! Graceful shutdown: stop accepting, let requests in flight finish, then return.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt;

/// The limits every connection is served under.
#[derive(Clone, Copy, Debug)]
pub struct ConnLimits {
    /// A request's headers must be complete this long after the server starts reading them
    /// (zero: no limit).
    pub header_read_timeout: Duration,
    /// A connection with no byte either way and no request in hand for this long is closed
    /// (zero: no limit).
    pub idle_timeout: Duration,
    /// Connections open at once at most.
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `stop` resolves, then waits for the connections'
/// requests in flight to finish.
pub async fn run<L>(
    mut listener: L,
    app: Router,
    limits: ConnLimits,
    stop: impl Future<Output = ()> + Send,
) -> io::Result<()>
where
    L: Listener<Addr = SocketAddr>,
{
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let (signal_tx, signal_rx) = watch::channel(false);
    let (close_tx, close_rx) = watch::channel(());
    tokio::pin!(stop);
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let (io, peer) = tokio::select! {
            c = listener.accept() => c,
            () = &mut stop => break,
        };
        let (app, signal, close) = (app.clone(), signal_rx.clone(), close_rx.clone());
        tokio::spawn(async move {
            connection(io, peer, app, limits, signal).await;
            drop(slot);
            drop(close);
        });
    }
    drop(listener);
    signal_tx.send_replace(true);
    drop(close_rx);
    close_tx.closed().await;
    Ok(())
}

/// When a connection last moved a byte, and how many of its requests are in hand.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// Resolves once the connection has been idle for `idle` (never for zero).
    async fn idle_for(&self, idle: Duration) {
        if idle.is_zero() {
            return std::future::pending().await;
        }
        loop {
            let last = self.last_ms.load(Ordering::Relaxed);
            tokio::time::sleep_until(self.start + Duration::from_millis(last) + idle).await;
            if self.busy.load(Ordering::Relaxed) == 0
                && self.last_ms.load(Ordering::Relaxed) == last
            {
                return;
            }
            // A request in hand counts as activity until it is answered.
            self.touch();
        }
    }
}

/// A request in hand (the idle timeout waits while one is).
struct InHand(Arc<Activity>);

impl InHand {
    fn new(a: Arc<Activity>) -> Self {
        a.busy.fetch_add(1, Ordering::Relaxed);
        Self(a)
    }
}

impl Drop for InHand {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One connection, served until it ends, idles out or the server stops.
async fn connection<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    limits: ConnLimits,
    mut signal: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked {
        io,
        activity: activity.clone(),
    });
    let served = activity.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        let in_hand = InHand::new(served.clone());
        let answer = app.clone().oneshot(req.map(Body::new));
        // Boxed so the connection is `Unpin`: it is polled without shutting its transport
        // down, which is then closed by [`linger`].
        Box::pin(async move {
            let res = answer.await;
            drop(in_hand);
            res
        })
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).keep_alive(true);
    builder.header_read_timeout(Some(limits.header_read_timeout).filter(|d| !d.is_zero()));
    let mut conn = builder.serve_connection(io, service);
    let idle = activity.idle_for(limits.idle_timeout);
    tokio::pin!(idle);
    let mut closing = *signal.borrow();
    if closing {
        Pin::new(&mut conn).graceful_shutdown();
    }
    loop {
        tokio::select! {
            r = std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)) => {
                match r {
                    Ok(()) => linger(conn.into_parts().io).await,
                    Err(e) => tracing::debug!(error = %e, "connection ended"),
                }
                return;
            }
            _ = signal.changed(), if !closing => {
                closing = true;
                Pin::new(&mut conn).graceful_shutdown();
            }
            () = &mut idle => {
                tracing::debug!("idle connection closed");
                return;
            }
        }
    }
}

/// How long a closing connection waits for each next byte of what the client is still
/// sending, how long it lingers in all, and how many bytes it reads and throws away.
const LINGER_PAUSE: Duration = Duration::from_secs(2);
const LINGER_TOTAL: Duration = Duration::from_secs(10);
const LINGER_BYTES: u64 = 64 * 1024 * 1024;

/// Closes a connection the way a client can read the last answer: says it will send no more
/// (FIN), then reads and throws away what the client is still sending — the rest of a body
/// that was answered before it was read (a 401, a 413, a malformed path) — until the client
/// closes too, goes quiet for [`LINGER_PAUSE`], or [`LINGER_TOTAL`] / [`LINGER_BYTES`] run
/// out. Closing at once with unread bytes would make the kernel send a reset, which can
/// destroy the answer before the client reads it.
async fn linger<I>(mut io: TokioIo<I>)
where
    I: AsyncRead + AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let io = io.inner_mut();
    if io.shutdown().await.is_err() {
        return;
    }
    let deadline = Instant::now() + LINGER_TOTAL;
    let mut buf = vec![0u8; 16 * 1024];
    let mut thrown = 0u64;
    while thrown < LINGER_BYTES {
        let wait = LINGER_PAUSE.min(deadline.saturating_duration_since(Instant::now()));
        match tokio::time::timeout(wait, io.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => thrown += n as u64,
            _ => break,
        }
    }
    if thrown > 0 {
        tracing::debug!(bytes = thrown, "unread request bytes drained before close");
    }
}

/// The connection's transport, noting each byte that moves.
struct Tracked<I> {
    io: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Tracked<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Tracked<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
