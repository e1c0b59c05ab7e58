//! Live updates across server instances: three servers in this process (each its own state
//! and storage pool) on one throwaway PostgreSQL. A completion pushed through instance B is
//! heard live on instance A's completions stream and A's board stream; a completions stream
//! dropped on A and resumed on C with `Last-Event-ID` gets exactly what it missed; the
//! listener and publisher connections killed (`pg_terminate_backend`) are survived with
//! nothing missed
//! (the boards re-read everything); a notification sent while a listener is kept from
//! reconnecting becomes a resync. Two buses on one PostgreSQL hear the same events in one
//! order. In Chromium: a dispatcher's board connected to instance 1 shows, live, a
//! completion pushed through instance 3. On SQLite: the board stream starts with a re-read.
//!
//! Only B's push can move the feed: the other instances' webhook workers poll once an hour,
//! and a drawing check runs on the instance that took the push, so nothing on A or C hears
//! of the completion except through PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use fieldkit_core::demo;
use fieldkit_core::model::*;
use reqwest::Method;
use serde_json::Value;

use crate::common::journal::{complete, crew, sync_options};
use crate::common::webdriver::Browser;
use crate::common::{self, Backend, DashboardLogin, TestServer};
use fieldkit_server::Config;
use fieldkit_server::events::{Events, LISTENER_NAME, Live, PUBLISHER_NAME};

/// How long any wait may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(60);
const PASSWORD: &str = "a long dispatcher password";

/// Pushes wake only their own instance's worker: the feed moves where the push landed.
fn quiet(c: &mut Config) {
    c.webhook_poll_ms = 3_600_000;
}

/// Three instances on one PostgreSQL; `None` when PostgreSQL is skipped.
async fn three() -> Option<[TestServer; 3]> {
    let a = common::server(Backend::Postgres, quiet).await?;
    let b = a.another_instance(quiet).await;
    let c = a.another_instance(quiet).await;
    Some([a, b, c])
}

/// One server-sent event: its id (if any), type and data.
#[derive(Debug)]
struct Sse {
    id: Option<i64>,
    event: String,
    data: String,
}

/// A server-sent events response read event by event.
struct Stream {
    res: reqwest::Response,
    buf: String,
}

impl Stream {
    async fn open(req: reqwest::RequestBuilder) -> Stream {
        let res = req.send().await.expect("the stream answers");
        assert_eq!(res.status().as_u16(), 200);
        Stream {
            res,
            buf: String::new(),
        }
    }

    /// The completions stream of `ts`, from `last_event_id` if given.
    async fn completions(ts: &TestServer, last_event_id: Option<i64>) -> Stream {
        let mut r = ts.dispatcher(Method::GET, "/v1/admin/completions/stream");
        if let Some(id) = last_event_id {
            r = r.header("last-event-id", id.to_string());
        }
        Stream::open(r).await
    }

    /// The board's stream of `ts`, as the dispatcher's page opens it.
    async fn board(ts: &TestServer, me: &DashboardLogin) -> Stream {
        Stream::open(
            ts.client
                .get(ts.url("/board/events"))
                .header(reqwest::header::COOKIE, &me.cookie),
        )
        .await
    }

    /// The next event (keep-alive comments skipped); fails at the deadline.
    async fn next(&mut self) -> Sse {
        let until = tokio::time::Instant::now() + DEADLINE;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut e = Sse {
                    id: None,
                    event: String::new(),
                    data: String::new(),
                };
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        e.id = Some(v.trim().parse().expect("a numeric id"));
                    } else if let Some(v) = line.strip_prefix("event:") {
                        e.event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        e.data.push_str(v.trim());
                    }
                }
                if e.event.is_empty() && e.data.is_empty() {
                    continue;
                }
                return e;
            }
            let chunk = tokio::time::timeout_at(until, self.res.chunk())
                .await
                .expect("an event before the deadline")
                .expect("the stream reads")
                .expect("the stream stays open");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next completion: (feed number, op id, job id).
    async fn completion(&mut self) -> (i64, String, String) {
        let e = self.next().await;
        assert_eq!(e.event, "work_order.completed", "{e:?}");
        let v: Value = serde_json::from_str(&e.data).expect("JSON data");
        (
            e.id.expect("a feed number"),
            v["op_id"].as_str().unwrap().to_owned(),
            v["work_order_id"].as_str().unwrap().to_owned(),
        )
    }

    /// Board events until one names `job`; returns every job id heard on the way.
    async fn until_job(&mut self, job: &str) -> Vec<String> {
        let mut heard = Vec::new();
        loop {
            let e = self.next().await;
            assert_eq!(e.event, "job", "{e:?}");
            heard.push(e.data.clone());
            if e.data == job {
                return heard;
            }
        }
    }
}

async fn desk(ts: &TestServer) -> DashboardLogin {
    ts.create_dispatcher("desk", PASSWORD).await;
    ts.dashboard_login("desk", PASSWORD).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_through_b_is_live_on_a_and_resumes_on_c() {
    let Some([a, b, c]) = three().await else {
        return;
    };
    b.publish_demo_catalog().await;
    let (phone, jobs) = crew(&b, "Technician Live Qian", 200, 4).await;
    let me = desk(&a).await;
    let mut board = Stream::board(&a, &me).await;
    // Every connection starts by telling the page to read the whole board.
    assert_eq!(board.next().await.data, "*");
    let mut live = Stream::completions(&a, None).await;

    // Pushed through B: heard on A's completions stream and on A's board.
    let first = complete(&phone, &jobs[..1]).await;
    let (n1, op, job) = live.completion().await;
    assert_eq!(
        (op.as_str(), job.as_str()),
        (first[0].as_str(), &*jobs[0].id.to_string())
    );
    board.until_job(&jobs[0].id.to_string()).await;
    drop(live);

    // Missed while disconnected from A; resumed on C with Last-Event-ID: exactly those,
    // in order, and then live again (nothing twice).
    let missed = complete(&phone, &jobs[1..3]).await;
    let mut resumed = Stream::completions(&c, Some(n1)).await;
    let (n2, op2, _) = resumed.completion().await;
    let (n3, op3, _) = resumed.completion().await;
    assert_eq!([op2, op3], [missed[0].clone(), missed[1].clone()]);
    assert!(n1 < n2 && n2 < n3, "{n1} {n2} {n3}");
    let later = complete(&phone, &jobs[3..4]).await;
    let (n4, op4, _) = resumed.completion().await;
    assert_eq!(op4, later[0]);
    assert!(n3 < n4);
    // A's board heard every job B changed, in the order B pushed them: the two missed
    // (one push) before the last.
    let heard = board.until_job(&jobs[3].id.to_string()).await;
    let first_heard = |j: &WorkOrder| {
        heard
            .iter()
            .position(|h| *h == j.id.to_string())
            .unwrap_or_else(|| panic!("{} not heard: {heard:?}", j.id))
    };
    let last = first_heard(&jobs[3]);
    assert!(
        first_heard(&jobs[1]) < last && first_heard(&jobs[2]) < last,
        "{heard:?}"
    );
    drop(resumed);

    // Resumed on A from the first cursor: the same three, the same numbers.
    let mut again = Stream::completions(&a, Some(n1)).await;
    let replay = [
        again.completion().await,
        again.completion().await,
        again.completion().await,
    ];
    assert_eq!(replay.map(|r| r.0), [n2, n3, n4]);
    drop(again);
    for ts in [c, b, a] {
        ts.server.shutdown().await.unwrap();
    }
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connects");
    tokio::spawn(conn);
    client
}

/// Terminates every instance's listener and publisher connections; how many listeners
/// were terminated.
async fn kill_listeners(url: &str) -> i64 {
    connect(url)
        .await
        .query_one(
            "WITH killed AS (
                 SELECT application_name AS name, pg_terminate_backend(pid) AS done
                 FROM pg_stat_activity WHERE application_name IN ($1, $2))
             SELECT count(*) FILTER (WHERE done AND name = $1) FROM killed",
            &[&LISTENER_NAME, &PUBLISHER_NAME],
        )
        .await
        .expect("terminates")
        .get(0)
}

/// Waits until `n` listener connections are open.
async fn listeners_up(url: &str, n: i64) {
    let client = connect(url).await;
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        let up: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&LISTENER_NAME],
            )
            .await
            .unwrap()
            .get(0);
        if up == n {
            return;
        }
        assert!(tokio::time::Instant::now() < until, "{up} listeners of {n}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The day a job is on the board (the dispatchers' offset, UTC+8).
fn day_of(job: &WorkOrder) -> String {
    job.promised
        .start
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_listeners_are_survived_with_nothing_missed() {
    let Some([a, b, c]) = three().await else {
        return;
    };
    let url = a.pg.as_ref().unwrap().url.clone();
    b.publish_demo_catalog().await;
    const ROUNDS: u32 = 3;
    let (phone, jobs) = crew(&b, "Technician Live Qian", 200, ROUNDS).await;
    let me = desk(&a).await;
    let mut board = Stream::board(&a, &me).await;
    assert_eq!(board.next().await.data, "*");
    let mut live = Stream::completions(&a, None).await;
    let mut last = 0;
    for (round, job) in jobs.iter().enumerate() {
        listeners_up(&url, 3).await;
        let before = a.server.events().reconnects();
        assert_eq!(kill_listeners(&url).await, 3, "one listener per instance");
        // Pushed while A's listener may be down: nothing of it may be lost.
        let done = complete(&phone, std::slice::from_ref(job)).await;
        let (n, op, _) = live.completion().await;
        assert_eq!(op, done[0], "round {round}");
        assert!(n > last);
        last = n;
        // The board is told to re-read everything once its listener is back: it reads the
        // job completed (whether its own event was heard or fell in the gap).
        while board.next().await.data != "*" {}
        assert!(a.server.events().reconnects() > before);
        let res = a
            .client
            .get(a.url(&format!("/board/rows?day={}", day_of(job))))
            .header(reqwest::header::COOKIE, &me.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let rows = res.text().await.unwrap();
        assert!(
            rows.contains(&format!("id=\"job-{}\" data-status=\"completed\"", job.id)),
            "round {round}: {rows}"
        );
    }
    listeners_up(&url, 3).await;
    for ts in [c, b, a] {
        ts.server.shutdown().await.unwrap();
    }
}

/// Every event `events` hears, until `n` have been heard (a resync fails the test: no
/// listener was disturbed here).
async fn hear(rx: &mut tokio::sync::broadcast::Receiver<Live>, n: usize) -> Vec<String> {
    let mut heard = Vec::new();
    while heard.len() < n {
        match tokio::time::timeout(DEADLINE, rx.recv()).await {
            Ok(Ok(Live::Job(id))) => heard.push(id),
            other => panic!("after {} events: {other:?}", heard.len()),
        }
    }
    heard
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_instance_hears_every_event_in_one_order() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    let (x, _x_tasks) = Events::postgres(&pg.url).await.expect("bus x");
    let (y, _y_tasks) = Events::postgres(&pg.url).await.expect("bus y");
    let (mut on_x, mut on_y) = (x.subscribe(), y.subscribe());
    const N: usize = 200;
    // Both publish at once, interleaved as the scheduler pleases.
    let send = |bus: Arc<Events>, name: &'static str| {
        tokio::spawn(async move {
            for i in 0..N {
                bus.publish(Live::Job(format!("{name}-{i:03}")));
                if i % 7 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let (tx, ty) = (send(x.clone(), "x"), send(y.clone(), "y"));
    tx.await.unwrap();
    ty.await.unwrap();
    let heard_x = hear(&mut on_x, 2 * N).await;
    let heard_y = hear(&mut on_y, 2 * N).await;
    assert_eq!(heard_x, heard_y, "one order on every instance");
    for name in ["x", "y"] {
        let own: Vec<&String> = heard_x.iter().filter(|h| h.starts_with(name)).collect();
        let sent: Vec<String> = (0..N).map(|i| format!("{name}-{i:03}")).collect();
        assert_eq!(
            own,
            sent.iter().collect::<Vec<_>>(),
            "{name}'s in the order sent"
        );
    }
}

/// The next event heard, at most [`DEADLINE`] away.
async fn next_live(rx: &mut tokio::sync::broadcast::Receiver<Live>) -> Live {
    tokio::time::timeout(DEADLINE, rx.recv())
        .await
        .expect("an event before the deadline")
        .expect("the bus stays open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_missed_while_reconnecting_becomes_a_resync() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    let admin = connect(&pg.url).await;
    // Bus x connects as a role whose connections the test can hold back.
    admin
        .batch_execute("CREATE ROLE live LOGIN")
        .await
        .expect("a role");
    let live_url = pg.url.replacen("postgres@", "live@", 1);
    assert_ne!(live_url, pg.url);
    let (x, _x_tasks) = Events::postgres(&live_url).await.expect("bus x");
    let (y, _y_tasks) = Events::postgres(&pg.url).await.expect("bus y");
    let (mut on_x, mut on_y) = (x.subscribe(), y.subscribe());
    // x's publisher connects: x then holds two connections.
    x.publish(Live::Job("before".into()));
    assert_eq!(next_live(&mut on_x).await, Live::Job("before".into()));
    assert_eq!(next_live(&mut on_y).await, Live::Job("before".into()));

    // x's listener killed and kept from coming back; y publishes meanwhile.
    admin
        .batch_execute("ALTER ROLE live CONNECTION LIMIT 1")
        .await
        .unwrap();
    let killed: i64 = admin
        .query_one(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = $1 AND usename = 'live'",
            &[&LISTENER_NAME],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(killed, 1);
    // Gone (not only signalled) before y publishes.
    let until = tokio::time::Instant::now() + DEADLINE;
    loop {
        let left: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE application_name = $1 AND usename = 'live'",
                &[&LISTENER_NAME],
            )
            .await
            .unwrap()
            .get(0);
        if left == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < until, "the listener lingers");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    y.publish(Live::Job("missed".into()));
    // Committed: y's own listener heard it.
    assert_eq!(next_live(&mut on_y).await, Live::Job("missed".into()));
    let reconnects = x.reconnects();
    admin
        .batch_execute("ALTER ROLE live CONNECTION LIMIT -1")
        .await
        .unwrap();
    // x comes back and, having missed it, tells its readers to re-read everything.
    assert_eq!(next_live(&mut on_x).await, Live::Resync);
    assert_eq!(x.reconnects(), reconnects + 1);
    y.publish(Live::Job("after".into()));
    assert_eq!(next_live(&mut on_x).await, Live::Job("after".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_board_stream_starts_with_a_reread_and_hears_jobs_sqlite() {
    let ts = common::server(Backend::Sqlite, |_| {}).await.unwrap();
    let me = desk(&ts).await;
    let mut board = Stream::board(&ts, &me).await;
    assert_eq!(board.next().await.data, "*");
    let job = demo::repair_order(3, chrono::Utc::now(), Billing::Paid);
    ts.create_job(&job, None).await;
    assert_eq!(
        board.until_job(&job.id.to_string()).await,
        [job.id.to_string()]
    );
    // A reconnection starts with a re-read too.
    drop(board);
    let mut again = Stream::board(&ts, &me).await;
    assert_eq!(again.next().await.data, "*");
    drop(again);
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_on_instance_1_shows_live_a_completion_through_instance_3_in_chromium() {
    let Some([one, _two, three]) = three().await else {
        return;
    };
    let Some(browser) = Browser::start().await else {
        return;
    };
    one.create_dispatcher("desk", PASSWORD).await;
    three.publish_demo_catalog().await;
    let tech = three.create_technician("Technician Live Sun").await;
    let (_phone_dir, kit) = three.enrolled_kit(&tech, &sync_options()).await;
    let job = demo::repair_order(9, chrono::Utc::now(), Billing::Paid);
    three.create_job(&job, Some(&tech)).await;
    let id = job.id.to_string();
    let day = day_of(&job);

    let wait = Duration::from_secs(30);
    browser.goto(&one.url("/login")).await;
    let login = browser.find("#login [name=\"login\"]").await;
    browser.send_keys(&login, "desk").await;
    let password = browser.find("#login [name=\"password\"]").await;
    browser.send_keys(&password, PASSWORD).await;
    browser.click(&browser.find("#login-submit").await).await;
    browser.wait_for("table#board", wait).await;
    browser.goto(&one.url(&format!("/board?day={day}"))).await;
    browser.wait_for("body[data-live=\"open\"]", wait).await;
    let row = format!("tr#job-{id}");
    assert_eq!(
        browser
            .live_attribute(&row, "data-status", wait)
            .await
            .as_deref(),
        Some("assigned")
    );
    browser
        .execute("window.fieldkitMark = 'not reloaded'; return true;", vec![])
        .await;

    // The phone, enrolled through instance 3, does the visit and pushes it there.
    let r = kit
        .sync(&sync_options(), &|_| {})
        .await
        .expect("first sync");
    assert!(r.pulled >= 1, "{r:?}");
    demo::walk_repair_visit(&kit, job.id, &mut |_| Ok(())).expect("the visit");
    let r = kit
        .sync(&sync_options(), &|_| {})
        .await
        .expect("second sync");
    assert_eq!((r.rejected, r.conflicts), (0, 0), "{r:?}");

    // Instance 1's board shows it, polled in the DOM, without a reload.
    browser
        .wait_for_attribute(&row, "data-status", "completed", wait)
        .await;
    assert_eq!(
        browser
            .execute("return window.fieldkitMark || null;", vec![])
            .await,
        serde_json::json!("not reloaded"),
        "the board was reloaded instead of updated live"
    );
    browser.quit().await;
    for ts in [three, _two, one] {
        ts.server.shutdown().await.unwrap();
    }
}
