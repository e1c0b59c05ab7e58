//! The README's main command: a FieldKit day in one process.
//!
//! `cargo run -p fieldkit-server --example demo`
//!
//! 1. Starts the sync server on embedded SQLite in `./fieldkit-demo` (fresh each run).
//! 2. The desk (the dispatcher API, over HTTP with the admin token) creates technicians and
//!    today's jobs of every kind, and one enrolment code per technician.
//! 3. Each technician's phone — the real core, its own device database under
//!    `./fieldkit-demo/devices/` — enrols with its code and pulls its jobs.
//! 4. Meanwhile the desk cancels one job, which that technician cannot know: the phones are
//!    offline from here on.
//! 5. Every technician walks every visit offline: checklist, photos, fees, parts, customer
//!    signatures, completion.
//! 6. Back online, every phone syncs over loopback (`FieldKit::sync`): the outbox is pushed
//!    once, the desk's changes pulled, then photos and signatures uploaded.
//! 7. Prints a summary (job numbers only, no customer data) and keeps serving until Ctrl-C:
//!    the dispatcher's dashboard at the printed URL (log in with the printed dispatcher login:
//!    the day's board, each job's page with its verified signature and the customer's copy
//!    as PDF, flags, measures, technicians and devices), the public verify page, and the
//!    dispatcher API with the printed admin token.
//!
//! Environment: `FIELDKIT_DEMO_DIR` (default `fieldkit-demo`), `FIELDKIT_DEMO_LISTEN`
//! (default `127.0.0.1:8080`; a free port when that one is taken), `FIELDKIT_DEMO_TECHNICIANS`
//! (1 to 8, default 4), `FIELDKIT_DEMO_EXIT=1` (stop after the summary), `RUST_LOG` (the
//! server's logs; default `warn`).

mod walk;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Duration, Utc};
use fieldkit_core::clock::ManualClock;
use fieldkit_core::demo;
use fieldkit_core::model::*;
use fieldkit_core::sync::client::{SyncOptions, SyncReport};
use fieldkit_core::{DeviceConfig, FieldKit};
use fieldkit_server::{Config, Server};
use serde_json::{Value, json};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A file that marks a directory as the demo's own, so a rerun may wipe it.
const MARKER: &str = ".fieldkit-demo";

/// What the demo runs with.
#[derive(Clone, Debug)]
pub struct Options {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub technicians: usize,
    pub exit_after_summary: bool,
}

impl Options {
    fn from_env() -> Res<Options> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let technicians = match var("FIELDKIT_DEMO_TECHNICIANS") {
            Some(n) => n.trim().parse::<usize>()?,
            None => 4,
        };
        if !(1..=8).contains(&technicians) {
            return Err("FIELDKIT_DEMO_TECHNICIANS is 1 to 8".into());
        }
        Ok(Options {
            data_dir: var("FIELDKIT_DEMO_DIR").map_or_else(|| "fieldkit-demo".into(), Into::into),
            listen: var("FIELDKIT_DEMO_LISTEN")
                .as_deref()
                .unwrap_or("127.0.0.1:8080")
                .parse()?,
            technicians,
            exit_after_summary: matches!(
                var("FIELDKIT_DEMO_EXIT").as_deref(),
                Some("1" | "true" | "yes")
            ),
        })
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(fieldkit_server::log_filter("warn"))
        .init();
    match run_main().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run_main() -> Res<()> {
    let options = Options::from_env()?;
    let (server, summary) = run(&options, &mut |line| println!("{line}")).await?;
    print_summary(&summary);
    if options.exit_after_summary {
        server.shutdown().await?;
        return Ok(());
    }
    println!("\nServing until Ctrl-C …");
    tokio::signal::ctrl_c().await?;
    println!("Shutting down (requests in flight finish first).");
    server.shutdown().await?;
    Ok(())
}

/// One job as the summary shows it.
#[derive(Clone, Debug)]
pub struct JobLine {
    pub number: String,
    pub kind: JobKind,
    pub billing: Billing,
    /// Cancelled by the desk while the technician was offline.
    pub cancelled_by_desk: bool,
}

/// One completion as the server holds it.
#[derive(Clone, Debug)]
pub struct CompletionLine {
    pub number: String,
    /// `applied`, or `conflict` (the job was cancelled or reassigned meanwhile).
    pub outcome: String,
    /// Where it stands: `counted`, `held` for the desk, `conflict`…
    pub state: String,
    /// Flag kinds raised for the dispatcher.
    pub flags: Vec<String>,
}

/// What one technician's day came to.
#[derive(Clone, Debug)]
pub struct TechnicianLine {
    pub label: String,
    pub technician_id: String,
    pub device_id: DeviceId,
    pub jobs: Vec<JobLine>,
    /// Ops in the outbox when the phone came back online.
    pub queued: usize,
    /// The first sync (pulling the jobs) and the evening sync.
    pub morning: SyncReport,
    pub evening: SyncReport,
    /// Ops still waiting on the phone after the evening sync (0 expected).
    pub left_in_outbox: usize,
    pub completions: Vec<CompletionLine>,
}

/// What the demo prints.
#[derive(Clone, Debug)]
pub struct Summary {
    pub url: String,
    /// The day's board on the dashboard.
    pub board_url: String,
    /// A completed job's page on the dashboard.
    pub job_url: String,
    /// The dashboard login made for the demo, and its password (random each run).
    pub dispatcher_login: String,
    pub dispatcher_password: String,
    pub admin_token: String,
    pub admin_token_file: PathBuf,
    pub data_dir: PathBuf,
    pub technicians: Vec<TechnicianLine>,
    pub work_orders: usize,
    pub devices: usize,
    pub completions: usize,
    pub flags: BTreeMap<String, usize>,
    /// `fieldkit_*` counters from `/metrics`.
    pub metrics: Vec<(String, String)>,
}

/// The dispatcher's side: the admin API over HTTP.
struct Desk {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Desk {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Res<Value> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        if !status.is_success() {
            return Err(format!("{path}: {status} {text}").into());
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> Res<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Res<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn create_job(&self, o: &WorkOrder, technician_id: &str) -> Res<()> {
        self.post(
            "/v1/admin/work-orders",
            json!({
                "id": o.id, "number": o.number, "kind": o.kind, "customer": o.customer,
                "site": o.site, "product": o.product, "reported_fault": o.reported_fault,
                "promised": o.promised, "billing": o.billing, "instructions": o.instructions,
                "reported_at": o.reported_at, "technician_id": technician_id,
                "sale": o.sale,
            }),
        )
        .await?;
        Ok(())
    }
}

/// Today's jobs of technician `t` (0-based): every kind appears across the team.
fn plan_for(t: usize) -> Vec<(JobKind, Billing)> {
    use Billing::*;
    use JobKind::*;
    match t % 4 {
        0 => vec![
            (Repair, Paid),
            (Installation, Warranty),
            (Delivery, Warranty),
        ],
        1 => vec![
            (Repair, Warranty),
            (FollowUp, Warranty),
            (ReturnExchange, Paid),
        ],
        2 => vec![(Installation, Paid), (Repair, Paid), (Delivery, Paid)],
        _ => vec![
            (Delivery, Warranty),
            (Repair, Paid),
            (Installation, Warranty),
        ],
    }
}

/// Makes `dir` empty and ours: removes an earlier demo run, refuses a directory that holds
/// anything else.
fn fresh_dir(dir: &Path) -> Res<()> {
    if dir.exists() {
        let ours = dir.join(MARKER).exists();
        let empty = std::fs::read_dir(dir)?.next().is_none();
        if !ours && !empty {
            return Err(format!(
                "{} exists and is not a FieldKit demo directory: choose another with FIELDKIT_DEMO_DIR",
                dir.display()
            )
            .into());
        }
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join(MARKER),
        "made by the FieldKit demo; removed by its next run\n",
    )?;
    Ok(())
}

/// Quick retries: the server is local.
fn sync_options() -> SyncOptions {
    SyncOptions {
        first_backoff: std::time::Duration::from_millis(50),
        max_backoff: std::time::Duration::from_millis(500),
        ..SyncOptions::default()
    }
}

/// Runs the demo up to the summary; returns the server, still serving.
pub async fn run(
    options: &Options,
    say: &mut (dyn FnMut(String) + Send),
) -> Res<(Server, Summary)> {
    fresh_dir(&options.data_dir)?;
    let data_dir = options.data_dir.canonicalize()?;
    let mut config = Config::for_tests(data_dir.join("server"));
    config.listen = options.listen;
    let server = match Server::start(config.clone()).await {
        Ok(s) => s,
        Err(fieldkit_server::StartError::Listen(e)) if options.listen.port() != 0 => {
            say(format!(
                "{} is taken ({e}): using a free port",
                options.listen
            ));
            config.listen = SocketAddr::new(options.listen.ip(), 0);
            Server::start(config).await?
        }
        Err(e) => return Err(e.into()),
    };
    let url = format!("http://{}", server.addr());
    say(format!(
        "FieldKit sync server on {url} (SQLite in {})",
        data_dir.join("server").display()
    ));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let desk = Desk {
        http: reqwest::Client::new(),
        base: url.clone(),
        token: server.admin_token().to_owned(),
    };

    // The desk: a dashboard login (an administrator: every page), what the vans carry (the fee schedule and the part the
    // phones are stocked with), technicians, today's jobs, enrolment codes.
    let dispatcher_login = "dispatcher".to_owned();
    let dispatcher_password = fieldkit_server::dashboard::session::random_token()[..20].to_owned();
    desk.post(
        "/v1/admin/dispatchers",
        json!({
            "login": dispatcher_login,
            "password": dispatcher_password,
            "role": "administrator",
        }),
    )
    .await?;
    desk.post(
        "/v1/admin/fee-schedules",
        json!({ "fee_schedule": demo::fee_schedule() }),
    )
    .await?;
    desk.post(
        "/v1/admin/parts",
        json!({ "part": { "sku": "PUMP-220", "name": "排水泵 Drain pump 220V", "unit": "pcs" } }),
    )
    .await?;
    let now = Utc::now();
    let morning = now - Duration::hours(10);
    struct Tech {
        label: String,
        id: String,
        code: String,
        jobs: Vec<WorkOrder>,
    }
    let mut techs = Vec::new();
    let mut n = 0u32;
    for t in 0..options.technicians {
        let label = format!("T{}", t + 1);
        let v = desk
            .post(
                "/v1/admin/technicians",
                json!({ "name": format!("Demo technician {label}") }),
            )
            .await?;
        let id = v["id"].as_str().ok_or("technician id")?.to_owned();
        let mut jobs = Vec::new();
        for (j, (kind, billing)) in plan_for(t).into_iter().enumerate() {
            n += 1;
            let start = morning + Duration::minutes(60 + 150 * j as i64);
            let mut o = walk::order(n, kind, billing, start);
            o.number = format!("WO-{}-{:04}", now.format("%Y%m%d"), n);
            desk.create_job(&o, &id).await?;
            jobs.push(o);
        }
        let code = desk
            .post("/v1/admin/enrolment-codes", json!({ "technician_id": id }))
            .await?["code"]
            .as_str()
            .ok_or("enrolment code")?
            .to_owned();
        techs.push(Tech {
            label,
            id,
            code,
            jobs,
        });
    }
    say(format!(
        "desk: {} technicians, {} jobs for today, one enrolment code each",
        techs.len(),
        n
    ));

    // Morning: every phone enrols and pulls its jobs.
    struct Phone {
        kit: Arc<FieldKit>,
        clock: Arc<ManualClock>,
        morning: SyncReport,
    }
    let mut phones = Vec::new();
    for t in &techs {
        let clock = Arc::new(ManualClock::new(morning));
        let dir = data_dir.join("devices").join(&t.label);
        let kit = Arc::new(FieldKit::open_with_clock(
            &dir,
            DeviceConfig::default(),
            clock.clone(),
        )?);
        demo::stock_the_van(&kit)?;
        // The phone's clock is right when it talks to the server.
        clock.set(Utc::now());
        kit.enroll(&url, &t.code, &sync_options()).await?;
        let report = kit.sync(&sync_options(), &|_| {}).await?;
        clock.set(morning);
        say(format!(
            "{}: phone {} enrolled, pulled {} jobs",
            t.label,
            short(&kit.device_id().to_string()),
            report.pulled
        ));
        phones.push(Phone {
            kit,
            clock,
            morning: report,
        });
    }

    // The desk cancels one job after the phones went offline: its technician completes it
    // anyway, and the server keeps the completion, flagged for the dispatcher.
    let cancelled = techs.last().and_then(|t| t.jobs.last()).map(|o| o.id);
    if let Some(id) = cancelled {
        desk.post(
            &format!("/v1/admin/work-orders/{id}/cancel"),
            json!({ "reason": "customer called the desk to cancel" }),
        )
        .await?;
        say("desk: cancels one job; its technician is offline and does not know".into());
    }

    // The day, offline: every technician walks every visit (each phone on its own thread).
    let mut walks = Vec::new();
    for (t, p) in techs.iter().zip(&phones) {
        let (kit, clock) = (p.kit.clone(), p.clock.clone());
        let ids: Vec<WorkOrderId> = t.jobs.iter().map(|o| o.id).collect();
        walks.push(tokio::task::spawn_blocking(move || -> Res<usize> {
            for id in ids {
                clock.set(
                    clock_now(&clock)
                        .max(kit.job(id)?.order.promised.start - Duration::minutes(40)),
                );
                walk::walk_visit(&kit, id, &mut || clock.advance(Duration::minutes(3)))?;
            }
            Ok(kit.pending_ops(i64::MAX)?.len())
        }));
    }
    let mut queued = Vec::new();
    for (t, w) in techs.iter().zip(walks) {
        let q = w.await??;
        say(format!(
            "{}: {} visits done offline, {} ops waiting in the outbox",
            t.label,
            t.jobs.len(),
            q
        ));
        queued.push(q);
    }

    // Evening: back online, every phone syncs at once.
    let mut syncs = Vec::new();
    for p in &phones {
        p.clock.set(Utc::now().max(clock_now(&p.clock)));
        let kit = p.kit.clone();
        syncs.push(tokio::spawn(async move {
            kit.sync(&sync_options(), &|_| {}).await
        }));
    }
    let mut evening = Vec::new();
    for (t, s) in techs.iter().zip(syncs) {
        let r = s.await??;
        say(format!(
            "{}: synced — pushed {} ops, uploaded {} files",
            t.label, r.pushed, r.blobs_uploaded
        ));
        evening.push(r);
    }

    // What the desk sees now.
    let number_of: BTreeMap<String, &WorkOrder> = techs
        .iter()
        .flat_map(|t| t.jobs.iter())
        .map(|o| (o.id.to_string(), o))
        .collect();
    // A completion counts once its signature drawings are checked, right after the push.
    let mut completions = Vec::new();
    for _ in 0..1500 {
        let list = desk.get("/v1/admin/completions").await?;
        completions = list.as_array().cloned().unwrap_or_default();
        if completions.iter().all(|c| c["checks_pending"] != true) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut flags = BTreeMap::new();
    let mut lines = Vec::new();
    for (((t, p), q), r) in techs.iter().zip(&phones).zip(queued).zip(evening) {
        let mut done: Vec<CompletionLine> = completions
            .iter()
            .filter(|c| c["technician_id"].as_str() == Some(t.id.as_str()))
            .map(|c| {
                let wo = c["work_order_id"].as_str().unwrap_or_default();
                CompletionLine {
                    number: number_of
                        .get(wo)
                        .map_or_else(|| short(wo).to_owned(), |o| o.number.clone()),
                    outcome: c["outcome"].as_str().unwrap_or("?").to_owned(),
                    state: c["state"].as_str().unwrap_or("?").to_owned(),
                    flags: c["flags"]
                        .as_array()
                        .map(|f| {
                            f.iter()
                                .filter_map(|f| f["kind"].as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                }
            })
            .collect();
        done.sort_by(|a, b| a.number.cmp(&b.number));
        for f in done.iter().flat_map(|c| c.flags.iter()) {
            *flags.entry(f.clone()).or_insert(0) += 1;
        }
        lines.push(TechnicianLine {
            label: t.label.clone(),
            technician_id: t.id.clone(),
            device_id: p.kit.device_id(),
            jobs: t
                .jobs
                .iter()
                .map(|o| JobLine {
                    number: o.number.clone(),
                    kind: o.kind,
                    billing: o.billing,
                    cancelled_by_desk: Some(o.id) == cancelled,
                })
                .collect(),
            queued: q,
            morning: p.morning.clone(),
            evening: r,
            left_in_outbox: p.kit.pending_ops(i64::MAX)?.len(),
            completions: done,
        });
    }
    let work_orders = desk.get("/v1/admin/work-orders").await?;
    let devices = desk.get("/v1/admin/devices").await?;
    let metrics_text = desk
        .http
        .get(format!("{url}/metrics"))
        .bearer_auth(&desk.token)
        .send()
        .await?
        .text()
        .await?;
    let metrics = metrics_text
        .lines()
        .filter(|l| {
            l.starts_with("fieldkit_ops_total")
                || l.starts_with("fieldkit_push_seconds_count")
                || l.starts_with("fieldkit_pulls_total")
                || l.starts_with("fieldkit_enrolments_total")
                || l.starts_with("fieldkit_blob")
        })
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    // The dashboard shows days in the dispatchers' offset (UTC+8 unless configured).
    let first = techs
        .iter()
        .flat_map(|t| t.jobs.iter())
        .min_by_key(|o| o.promised.start)
        .ok_or("no jobs")?;
    let local = chrono::FixedOffset::east_opt(8 * 3600).ok_or("offset")?;
    let board_url = format!(
        "{url}/board?day={}",
        first
            .promised
            .start
            .with_timezone(&local)
            .format("%Y-%m-%d")
    );
    let signed = techs
        .iter()
        .flat_map(|t| t.jobs.iter())
        .filter(|o| Some(o.id) != cancelled)
        .max_by_key(|o| o.kind == JobKind::Repair)
        .ok_or("no jobs")?;
    let job_url = format!("{url}/jobs/{}", signed.id);
    let summary = Summary {
        board_url,
        job_url,
        dispatcher_login,
        dispatcher_password,
        url,
        admin_token: server.admin_token().to_owned(),
        admin_token_file: data_dir.join("server").join("admin-token"),
        data_dir,
        technicians: lines,
        work_orders: work_orders.as_array().map_or(0, Vec::len),
        devices: devices.as_array().map_or(0, Vec::len),
        completions: completions.len(),
        flags,
        metrics,
    };
    Ok((server, summary))
}

fn clock_now(c: &ManualClock) -> Timestamp {
    use fieldkit_core::clock::Clock;
    c.now()
}

/// The last 8 characters of an id (UUIDv7s made together share their first ones).
fn short(id: &str) -> &str {
    id.get(id.len().saturating_sub(8)..).unwrap_or(id)
}

fn kind_name(k: JobKind) -> &'static str {
    match k {
        JobKind::Delivery => "delivery",
        JobKind::Installation => "installation",
        JobKind::Repair => "repair",
        JobKind::ReturnExchange => "return/exchange",
        JobKind::FollowUp => "follow-up",
    }
}

fn print_summary(s: &Summary) {
    println!("\n== Summary\n");
    println!(
        "| technician | phone | jobs | ops pushed | applied | conflicts | rejected | files uploaded | left in outbox |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for t in &s.technicians {
        let (m, e) = (&t.morning, &t.evening);
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} ({:.1} KiB) | {} |",
            t.label,
            short(&t.device_id.to_string()),
            t.jobs.len(),
            m.pushed + e.pushed,
            m.applied + e.applied,
            m.conflicts + e.conflicts,
            m.rejected + e.rejected,
            m.blobs_uploaded + e.blobs_uploaded,
            (m.blob_bytes_sent + e.blob_bytes_sent) as f64 / 1024.0,
            t.left_in_outbox
        );
    }
    println!("\n| technician | job | kind | billing | completion on the server | flags |");
    println!("|---|---|---|---|---|---|");
    for t in &s.technicians {
        for j in &t.jobs {
            let c = t.completions.iter().find(|c| c.number == j.number);
            println!(
                "| {} | {}{} | {} | {} | {} | {} |",
                t.label,
                j.number,
                if j.cancelled_by_desk {
                    " (cancelled by the desk meanwhile)"
                } else {
                    ""
                },
                kind_name(j.kind),
                match j.billing {
                    Billing::Paid => "paid",
                    Billing::Warranty => "warranty",
                },
                c.map_or("— none", |c| c.state.as_str()),
                c.map(|c| c.flags.join(", "))
                    .filter(|f| !f.is_empty())
                    .unwrap_or_else(|| "—".into())
            );
        }
    }
    println!(
        "\nServer totals: {} work orders, {} devices, {} completions, flags: {}",
        s.work_orders,
        s.devices,
        s.completions,
        if s.flags.is_empty() {
            "none".to_owned()
        } else {
            s.flags
                .iter()
                .map(|(k, n)| format!("{n} × {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    for (k, v) in &s.metrics {
        println!("  {k} {v}");
    }
    println!("\nData: {}", s.data_dir.display());
    println!("Dashboard:   {}/login", s.url);
    println!(
        "  log in as   {} / {}   (made for this run)",
        s.dispatcher_login, s.dispatcher_password
    );
    println!("  the board   {}", s.board_url);
    println!(
        "  a job       {}   (its customer's copy: {}/copy.pdf)",
        s.job_url, s.job_url
    );
    println!("Server:      {}", s.url);
    println!(
        "Admin token: {}   (also in {})",
        s.admin_token,
        s.admin_token_file.display()
    );
    println!("Try:");
    println!(
        "  curl -s -H 'Authorization: Bearer {}' {}/v1/admin/completions",
        s.admin_token, s.url
    );
    println!(
        "  curl -s -H 'Authorization: Bearer {}' {}/metrics",
        s.admin_token, s.url
    );
    println!("  curl -s {}/v1/openapi.json", s.url);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `name=value` of the `Set-Cookie` called `name`.
    fn cookie(res: &reqwest::Response, name: &str) -> String {
        res.headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .and_then(|v| v.split(';').next())
            .unwrap_or_else(|| panic!("no {name} cookie"))
            .to_owned()
    }

    /// What the summary prints for the dispatcher works: the login, the day's board with
    /// the phones' completions, a job's page with its verified signature, its PDF copy.
    async fn the_dashboard_shows_the_day(s: &Summary) {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = http.get(format!("{}/login", s.url)).send().await.unwrap();
        let login_cookie = cookie(&res, "fk_login");
        let page = res.text().await.unwrap();
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap()
            .to_owned();
        let res = http
            .post(format!("{}/login", s.url))
            .header(reqwest::header::COOKIE, &login_cookie)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(format!(
                "csrf={csrf}&login={}&password={}",
                s.dispatcher_login, s.dispatcher_password
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "the printed login works");
        let session = cookie(&res, "fk_session");
        let get = |url: String| {
            let req = http.get(url).header(reqwest::header::COOKIE, &session);
            async move {
                let res = req.send().await.unwrap();
                let status = res.status().as_u16();
                let ctype = res
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                (status, ctype, res.bytes().await.unwrap())
            }
        };
        let (status, _, board) = get(s.board_url.clone()).await;
        assert_eq!(status, 200);
        let board = String::from_utf8_lossy(&board);
        assert!(
            board.matches("data-status=\"completed\"").count() >= 1,
            "the board shows the phones' completions"
        );
        let (status, _, job) = get(s.job_url.clone()).await;
        assert_eq!(status, 200);
        assert!(
            String::from_utf8_lossy(&job).contains("data-verdict=\"matches\""),
            "the job's signature is verified"
        );
        let (status, ctype, pdf) = get(format!("{}/copy.pdf", s.job_url)).await;
        assert_eq!((status, ctype.as_str()), (200, "application/pdf"));
        assert!(pdf.starts_with(b"%PDF-"));
    }

    /// The demo end to end in its exit-after-summary mode, on a free port: every visit
    /// reaches the server once, every file follows, the job the desk cancelled meanwhile is
    /// kept and flagged, and the server shuts down cleanly.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_runs_and_everything_reaches_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let options = Options {
            data_dir: dir.path().join("demo"),
            listen: "127.0.0.1:0".parse().unwrap(),
            technicians: 4,
            exit_after_summary: true,
        };
        let mut said = Vec::new();
        let (server, s) = run(&options, &mut |l| said.push(l)).await.unwrap();
        assert_eq!(s.technicians.len(), 4);
        let jobs: usize = s.technicians.iter().map(|t| t.jobs.len()).sum();
        assert_eq!(s.work_orders, jobs);
        assert_eq!(s.devices, 4);
        assert_eq!(s.completions, jobs, "{s:#?}");
        let mut kinds = std::collections::HashSet::new();
        for t in &s.technicians {
            assert_eq!(t.left_in_outbox, 0, "{}", t.label);
            assert_eq!(t.evening.pushed, t.queued, "{}", t.label);
            assert_eq!(t.evening.rejected, 0, "{}: {:?}", t.label, t.evening);
            assert!(
                t.evening.blobs_uploaded >= 2,
                "{}: {:?}",
                t.label,
                t.evening
            );
            assert_eq!(t.completions.len(), t.jobs.len());
            for j in &t.jobs {
                kinds.insert(j.kind);
                let c = t.completions.iter().find(|c| c.number == j.number).unwrap();
                if j.cancelled_by_desk {
                    assert_eq!(c.outcome, "conflict", "{c:?}");
                    assert_eq!(c.state, "conflict", "{c:?}");
                    assert!(
                        c.flags.iter().any(|f| f == "completed_after_cancellation"),
                        "{c:?}"
                    );
                } else {
                    assert_eq!(c.outcome, "applied", "{c:?}");
                    assert_eq!(c.state, "counted", "{c:?}");
                    assert!(c.flags.is_empty(), "{c:?}");
                }
            }
        }
        assert_eq!(kinds.len(), JobKind::ALL.len(), "every kind of job");
        the_dashboard_shows_the_day(&s).await;
        // No customer data in what the demo prints.
        for line in &said {
            assert!(
                !line.contains("王女士") && !line.contains("13800000000"),
                "{line}"
            );
        }
        // A second run wipes the first one's directory.
        server.shutdown().await.unwrap();
        assert!(options.data_dir.join(MARKER).exists());
        let other = dir.path().join("not-ours");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(other.join("keep.txt"), "x").unwrap();
        assert!(
            fresh_dir(&other).is_err(),
            "a directory that is not the demo's stays"
        );
        assert!(other.join("keep.txt").exists());
    }
}
