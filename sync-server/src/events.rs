//! Live events: what the dashboard's open boards and the completion streams are told as jobs
//! change and the completions feed advances. Owns the bus ([`Events`]) and how it crosses
//! instances: in process on SQLite (one instance); through PostgreSQL's LISTEN/NOTIFY when
//! several instances share one database (a publisher and a listener, each on its own
//! connection, both reconnecting with backoff).
//!
//! Nothing is missed silently: events only wake readers, who re-read storage; a listener
//! that may have missed a notification (its connection dropped and came back, or a receiver
//! lagged) says so with [`Live::Resync`], and every board and stream re-reads everything.
//! PostgreSQL delivers notifications in the order their transactions committed, so every
//! instance hears every other instance's events in the same order.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::{broadcast, mpsc, watch};
use tokio_postgres::{AsyncMessage, NoTls};

use crate::storage::StorageError;

/// The PostgreSQL channel every instance listens on.
pub const CHANNEL: &str = "fieldkit_live";
/// The `application_name` of the listener's connection (seen in `pg_stat_activity`).
pub const LISTENER_NAME: &str = "fieldkit-live-listener";
/// The `application_name` of the publisher's connection.
pub const PUBLISHER_NAME: &str = "fieldkit-live-publisher";

/// Longest job id sent as itself; a longer one is sent as `*` (NOTIFY payloads are short).
const MAX_ID: usize = 512;
/// Events waiting for the publisher beyond this are folded into one "re-read everything".
const MAX_QUEUED: usize = 10_000;
/// How often the listener checks that its connection still answers.
const PING: Duration = Duration::from_secs(20);
const BACKOFF_FIRST: Duration = Duration::from_millis(50);
const BACKOFF_CAP: Duration = Duration::from_secs(5);

/// One live event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Live {
    /// A job changed (its id; `*`: any job may have, re-read them all).
    Job(String),
    /// The completions feed's head advanced to this number.
    Feed(i64),
    /// Something may have been missed: re-read everything from storage.
    Resync,
}

impl Live {
    fn payload(&self) -> String {
        match self {
            Live::Job(id) if id.len() <= MAX_ID => format!("j:{id}"),
            Live::Job(_) => "j:*".to_owned(),
            Live::Feed(h) => format!("f:{h}"),
            Live::Resync => "r".to_owned(),
        }
    }

    /// A payload read back; anything unknown (another version's) is a [`Live::Resync`].
    fn parse(payload: &str) -> Live {
        if let Some(id) = payload.strip_prefix("j:") {
            return Live::Job(id.to_owned());
        }
        match payload.strip_prefix("f:").map(str::parse::<i64>) {
            Some(Ok(h)) => Live::Feed(h),
            _ => Live::Resync,
        }
    }
}

/// The bus: [`Events::publish`] from anywhere (never blocks, never fails), and every
/// instance's [`Events::subscribe`]rs hear it.
pub struct Events {
    local: broadcast::Sender<Live>,
    /// To the PostgreSQL publisher; `None`: in process.
    out: Option<mpsc::UnboundedSender<Live>>,
    /// Events handed to the publisher and not yet committed.
    queued: Arc<watch::Sender<usize>>,
    /// The highest feed head published or heard.
    feed_head: AtomicI64,
    /// Times the listener reconnected (each followed by a [`Live::Resync`]).
    reconnects: AtomicU64,
}

impl Events {
    fn new(out: Option<mpsc::UnboundedSender<Live>>) -> Self {
        Events {
            local: broadcast::channel(1024).0,
            out,
            queued: Arc::new(watch::channel(0).0),
            feed_head: AtomicI64::new(0),
            reconnects: AtomicU64::new(0),
        }
    }

    /// One instance (SQLite): events go straight to this process's subscribers.
    pub fn in_process() -> Arc<Events> {
        Arc::new(Events::new(None))
    }

    /// Several instances on the PostgreSQL at `url`: starts the publisher and the listener
    /// (returns once the listener listens) on the current runtime.
    pub async fn postgres(url: &str) -> Result<(Arc<Events>, LiveTasks), StorageError> {
        let config = tokio_postgres::Config::from_str(url)
            .map_err(|e| StorageError::Backend(format!("database url: {e}")))?;
        let (out, rx) = mpsc::unbounded_channel();
        let events = Arc::new(Events::new(Some(out)));
        let first = connect_listener(&config).await?;
        let listener = tokio::spawn(listen(config.clone(), events.clone(), first));
        let publisher = tokio::spawn(publish(config, rx, events.queued.clone()));
        Ok((
            events.clone(),
            LiveTasks {
                tasks: vec![listener, publisher],
                queued: events.queued.subscribe(),
            },
        ))
    }

    /// Tells every instance. In order: what one instance publishes is heard everywhere in
    /// the order it was published, and all instances hear all events in one order.
    pub fn publish(&self, event: Live) {
        match &self.out {
            None => self.deliver(event),
            Some(out) => {
                self.queued.send_modify(|n| *n += 1);
                if out.send(event).is_err() {
                    // The publisher is gone (shutting down): nobody left to tell.
                    self.queued.send_modify(|n| *n = n.saturating_sub(1));
                }
            }
        }
    }

    /// The feed's head reached `head`: tells every instance unless it was already told.
    pub fn feed_advanced(&self, head: i64) {
        if self.feed_head.fetch_max(head, Ordering::SeqCst) < head {
            self.publish(Live::Feed(head));
        }
    }

    /// Events as they are heard. A receiver that lags (`RecvError::Lagged`) has missed
    /// some: it re-reads everything, as for [`Live::Resync`].
    pub fn subscribe(&self) -> broadcast::Receiver<Live> {
        self.local.subscribe()
    }

    /// Times the PostgreSQL listener reconnected since the start.
    pub fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::SeqCst)
    }

    fn deliver(&self, event: Live) {
        if let Live::Feed(h) = event {
            self.feed_head.fetch_max(h, Ordering::SeqCst);
        }
        // Nobody subscribed: nobody to tell.
        let _ = self.local.send(event);
    }
}

/// The PostgreSQL publisher and listener of one instance; aborted when dropped.
pub struct LiveTasks {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    queued: watch::Receiver<usize>,
}

impl LiveTasks {
    /// Waits (at most `limit`) for the events published so far to be committed, then stops.
    pub async fn stop(mut self, limit: Duration) {
        let _ = tokio::time::timeout(limit, self.queued.wait_for(|n| *n == 0)).await;
    }
}

impl Drop for LiveTasks {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

type Messages = mpsc::UnboundedReceiver<Result<AsyncMessage, tokio_postgres::Error>>;

/// A connection that listens on [`CHANNEL`], and its messages.
async fn connect_listener(
    config: &tokio_postgres::Config,
) -> Result<(tokio_postgres::Client, Messages), StorageError> {
    let mut config = config.clone();
    config
        .application_name(LISTENER_NAME)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10));
    let (client, mut conn) = config.connect(NoTls).await?;
    let (tx, rx) = mpsc::unbounded_channel();
    // The connection is driven here; its messages (notifications, the end) go to `rx`.
    tokio::spawn(async move {
        let mut messages = futures::stream::poll_fn(move |cx| conn.poll_message(cx));
        while let Some(m) = messages.next().await {
            let end = m.is_err();
            if tx.send(m).is_err() || end {
                break;
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    Ok((client, rx))
}

/// Hears every instance's events; reconnects with backoff, and after each reconnect tells
/// every subscriber to re-read ([`Live::Resync`]): notifications sent meanwhile are lost.
async fn listen(
    config: tokio_postgres::Config,
    events: Arc<Events>,
    first: (tokio_postgres::Client, Messages),
) {
    let mut conn = Some(first);
    let mut backoff = BACKOFF_FIRST;
    loop {
        let (client, mut messages) = match conn.take() {
            Some(c) => c,
            None => match connect_listener(&config).await {
                Ok(c) => {
                    backoff = BACKOFF_FIRST;
                    events.reconnects.fetch_add(1, Ordering::SeqCst);
                    tracing::info!("live events: listening again; every board re-reads");
                    // Listening before this: whatever is committed after it is heard.
                    events.deliver(Live::Resync);
                    c
                }
                Err(e) => {
                    tracing::warn!(error = %e, "live events: listener cannot connect");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_CAP);
                    continue;
                }
            },
        };
        let mut ping = tokio::time::interval(PING);
        ping.tick().await;
        loop {
            tokio::select! {
                m = messages.recv() => match m {
                    Some(Ok(AsyncMessage::Notification(n))) if n.channel() == CHANNEL => {
                        events.deliver(Live::parse(n.payload()));
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "live events: listener connection lost");
                        break;
                    }
                    None => {
                        tracing::warn!("live events: listener connection ended");
                        break;
                    }
                },
                _ = ping.tick() => {
                    let answered = tokio::time::timeout(PING, client.simple_query("SELECT 1")).await;
                    if !matches!(answered, Ok(Ok(_))) {
                        tracing::warn!("live events: listener connection does not answer");
                        break;
                    }
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_CAP);
    }
}

/// Sends this instance's events as notifications, in order, a batch per transaction; a
/// batch that fails is sent again once reconnected (with backoff).
async fn publish(
    config: tokio_postgres::Config,
    mut rx: mpsc::UnboundedReceiver<Live>,
    queued: Arc<watch::Sender<usize>>,
) {
    let mut config = config;
    config
        .application_name(PUBLISHER_NAME)
        .keepalives(true)
        .connect_timeout(Duration::from_secs(10));
    let mut client: Option<tokio_postgres::Client> = None;
    let mut pending: Vec<Live> = Vec::new();
    let mut backoff = BACKOFF_FIRST;
    loop {
        if pending.is_empty() {
            match rx.recv().await {
                Some(e) => pending.push(e),
                None => return,
            }
        }
        while let Ok(e) = rx.try_recv() {
            pending.push(e);
        }
        if pending.len() > MAX_QUEUED {
            // Long unreachable: one "re-read everything" says as much as all of them.
            let n = pending.len();
            pending = vec![Live::Resync];
            queued.send_modify(|q| *q = q.saturating_sub(n - 1));
        }
        if client.as_ref().is_none_or(|c| c.is_closed()) {
            client = match config.connect(NoTls).await {
                Ok((c, conn)) => {
                    tokio::spawn(async move {
                        if let Err(e) = conn.await {
                            tracing::warn!(error = %e, "live events: publisher connection lost");
                        }
                    });
                    Some(c)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "live events: publisher cannot connect");
                    None
                }
            };
        }
        let sent = match client.as_mut() {
            None => false,
            Some(c) => send(c, &pending).await.is_ok(),
        };
        if sent {
            let n = pending.len();
            pending.clear();
            queued.send_modify(|q| *q = q.saturating_sub(n));
            backoff = BACKOFF_FIRST;
        } else {
            client = None;
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_CAP);
        }
    }
}

async fn send(c: &mut tokio_postgres::Client, batch: &[Live]) -> Result<(), tokio_postgres::Error> {
    let tx = c.transaction().await?;
    let notify = tx.prepare("SELECT pg_notify($1, $2)").await?;
    for e in batch {
        tx.execute(&notify, &[&CHANNEL, &e.payload()]).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back() {
        for e in [
            Live::Job("wo-1".into()),
            Live::Job("*".into()),
            Live::Feed(42),
            Live::Resync,
        ] {
            assert_eq!(Live::parse(&e.payload()), e);
        }
        assert_eq!(
            Live::parse(&Live::Job("x".repeat(MAX_ID + 1)).payload()),
            Live::Job("*".into())
        );
        for unknown in ["", "f:x", "q:1", "f:"] {
            assert_eq!(Live::parse(unknown), Live::Resync, "{unknown}");
        }
    }

    #[tokio::test]
    async fn in_process_delivers_in_order_and_tells_a_feed_head_once() {
        let events = Events::in_process();
        let mut rx = events.subscribe();
        events.publish(Live::Job("a".into()));
        events.feed_advanced(3);
        events.feed_advanced(3);
        events.feed_advanced(2);
        events.publish(Live::Job("b".into()));
        let mut got = Vec::new();
        while let Ok(e) = rx.try_recv() {
            got.push(e);
        }
        assert_eq!(
            got,
            [Live::Job("a".into()), Live::Feed(3), Live::Job("b".into())]
        );
    }
}
