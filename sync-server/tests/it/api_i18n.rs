//! Every error the JSON API answers is written in the reader's language (issue 19): a battery
//! of bad and hostile requests over every route family (the phone's enrolment, push, pull
//! and blobs; the desk's work orders, technicians and profiles, accounts, complaints and the
//! holiday calendar, callbacks, stock, SLA, webhooks, measures and reports, cash; failed
//! authentication; oversized, malformed and NUL-holding bodies; unknown routes, wrong
//! methods, unsupported encodings; a rate limit). Each is sent three ways: with no language
//! asked (Chinese), with `Accept-Language: en` and with `?lang=en`. The status and the
//! machine-readable code never change; the Chinese message has no English word outside
//! backticks (field names, headers, codes) but a few technical names; the English one has no
//! Chinese; `Content-Language` says which; a parser's `detail` is the same in both.

use crate::common::{self, Backend, TestServer};
use fieldkit_core::i18n::is_cjk;
use fieldkit_core::i18n::scan::english_words;
use fieldkit_core::sync::protocol::{ErrorBody, UPLOAD_LENGTH, UPLOAD_OFFSET};
use reqwest::Method;
use serde_json::{Value, json};

/// What a case authenticates with.
#[derive(Clone, Copy)]
enum Auth {
    None,
    Dispatcher,
    Device,
    Token(&'static str),
}

/// A request and what it must be refused with.
struct Case {
    name: &'static str,
    method: Method,
    path: String,
    auth: Auth,
    headers: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    status: u16,
    code: &'static str,
}

fn case(name: &'static str, method: Method, path: impl Into<String>, auth: Auth) -> Case {
    Case {
        name,
        method,
        path: path.into(),
        auth,
        headers: Vec::new(),
        body: None,
        status: 0,
        code: "",
    }
}

impl Case {
    fn json(mut self, v: Value) -> Self {
        self.body = Some(serde_json::to_vec(&v).unwrap());
        self.header("content-type", "application/json")
    }

    fn raw(mut self, content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self.header("content-type", content_type)
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn refused(mut self, status: u16, code: &'static str) -> Self {
        self.status = status;
        self.code = code;
        self
    }
}

/// How a case is asked: which language, and what `Content-Language` must say.
#[derive(Clone, Copy, Debug)]
enum Ask {
    Default,
    AcceptEn,
    QueryEn,
}

async fn send(ts: &TestServer, device_token: &str, c: &Case, ask: Ask) -> (u16, String, ErrorBody) {
    let mut url = ts.url(&c.path);
    if let Ask::QueryEn = ask {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str("lang=en");
    }
    let mut r = ts.client.request(c.method.clone(), url);
    r = match c.auth {
        Auth::None => r,
        Auth::Dispatcher => r.bearer_auth(&ts.admin),
        Auth::Device => r.bearer_auth(device_token),
        Auth::Token(t) => r.bearer_auth(t),
    };
    for (k, v) in &c.headers {
        r = r.header(*k, v);
    }
    if let Ask::AcceptEn = ask {
        r = r.header("accept-language", "en-GB,en;q=0.9");
    }
    if let Some(b) = &c.body {
        r = r.body(b.clone());
    }
    let res = r.send().await.expect("request");
    let status = res.status().as_u16();
    let lang = res
        .headers()
        .get("content-language")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let text = res.text().await.expect("body");
    let body: ErrorBody = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} ({ask:?}): not an Error body ({e}): {text}", c.name));
    (status, lang, body)
}

/// Sends `c` three ways and checks what the module's doc says. Returns the Chinese body.
async fn check(ts: &TestServer, device_token: &str, c: &Case) -> ErrorBody {
    let (s, lang, zh) = send(ts, device_token, c, Ask::Default).await;
    let name = c.name;
    assert_eq!((s, zh.code.as_str()), (c.status, c.code), "{name}: {zh:?}");
    assert_eq!(lang, "zh-CN", "{name}");
    assert!(zh.message.chars().any(is_cjk), "{name}: {}", zh.message);
    let words = english_words(&zh.message);
    assert!(
        words.is_empty(),
        "{name}: English in {:?}: {words:?}",
        zh.message
    );
    for ask in [Ask::AcceptEn, Ask::QueryEn] {
        let (s, lang, en) = send(ts, device_token, c, ask).await;
        assert_eq!(
            (s, en.code.as_str()),
            (c.status, c.code),
            "{name} {ask:?}: {en:?}"
        );
        assert_eq!(lang, "en", "{name} {ask:?}");
        assert!(
            !en.message.chars().any(is_cjk),
            "{name} {ask:?}: {}",
            en.message
        );
        assert!(en.message.chars().filter(char::is_ascii_alphabetic).count() >= 3);
        assert_ne!(en.message, zh.message, "{name}");
        assert_eq!(en.detail, zh.detail, "{name}: the detail is not translated");
    }
    zh
}

/// 64 lower-case hex digits.
fn hex64(c: char) -> String {
    std::iter::repeat_n(c, 64).collect()
}

#[tokio::test]
async fn every_api_error_is_written_in_the_readers_language() {
    let ts = common::server(Backend::Sqlite, |c| c.max_body_bytes = 64 * 1024)
        .await
        .unwrap();
    let tech = ts.create_technician("王师傅").await;
    let device = ts.enrol(&tech, fieldkit_core::model::DeviceId::new()).await;
    let token = device.token.clone();
    let nobody = uuid::Uuid::now_v7();
    let (s, _) = ts
        .admin(
            Method::POST,
            "/v1/admin/dispatchers",
            Some(json!({"login": "desk-one", "password": "long enough pw"})),
        )
        .await;
    assert_eq!(s, 201);
    let big = vec![b' '; 65 * 1024];
    let cases = vec![
        // ---- authentication
        case("no token", Method::GET, "/v1/admin/technicians", Auth::None)
            .refused(401, "unauthorized"),
        case("not a bearer", Method::GET, "/v1/admin/technicians", Auth::None)
            .header("authorization", "Basic YTpi")
            .refused(401, "unauthorized"),
        case("wrong dispatcher token", Method::GET, "/v1/admin/technicians", Auth::Token("nope"))
            .refused(401, "unauthorized"),
        case("device token on a desk route", Method::GET, "/v1/admin/technicians", Auth::Device)
            .refused(403, "forbidden"),
        case("not a device token", Method::GET, "/v1/pull", Auth::Token("fkd_short"))
            .refused(401, "unauthorized"),
        case(
            "unknown device token",
            Method::GET,
            "/v1/pull",
            Auth::Token("fkd_0000000000000000000000000000000000000000000000000000000000000000"),
        )
        .refused(401, "unauthorized"),
        // ---- the phone: enrolment
        case("enrol: unknown code", Method::POST, "/v1/enroll", Auth::None)
            .json(json!({"code": "AAAA-BBBB-CCCC", "device_id": nobody, "public_key": hex64('a'), "proof": format!("{}{}", hex64('b'), hex64('c'))}))
            .refused(401, "unauthorized"),
        case("enrol: missing field", Method::POST, "/v1/enroll", Auth::None)
            .json(json!({"code": "AAAA-BBBB-CCCC"}))
            .refused(400, "bad_request"),
        case("enrol: not JSON", Method::POST, "/v1/enroll", Auth::None)
            .raw("application/json", "{\"code\": ")
            .refused(400, "bad_request"),
        case("enrol: text/plain", Method::POST, "/v1/enroll", Auth::None)
            .raw("text/plain", "hello")
            .refused(415, "unsupported_media_type"),
        case("enrol: a NUL", Method::POST, "/v1/enroll", Auth::None)
            .raw("application/json", r#"{"code": "A\u0000"}"#)
            .refused(400, "bad_request"),
        // ---- the phone: push and pull
        case("push: unsigned", Method::POST, "/v1/push", Auth::Device)
            .json(json!({"ops": []}))
            .refused(401, "unauthorized"),
        case("push: wrong content type", Method::POST, "/v1/push", Auth::Device)
            .raw("text/plain", "{}")
            .refused(415, "unsupported_media_type"),
        case("push: oversized", Method::POST, "/v1/push", Auth::Device)
            .raw("application/json", big.clone())
            .refused(413, "payload_too_large"),
        case("pull: negative cursor", Method::GET, "/v1/pull?cursor=-1", Auth::Device)
            .refused(400, "bad_request"),
        case("pull: limit 0", Method::GET, "/v1/pull?limit=0", Auth::Device)
            .refused(400, "bad_request"),
        case("pull: unknown parameter", Method::GET, "/v1/pull?bogus=1", Auth::Device)
            .refused(400, "bad_request"),
        case("pull: a NUL", Method::GET, "/v1/pull?cursor=%00", Auth::Device)
            .refused(400, "bad_request"),
        // ---- the phone: blobs
        case("blobs: a bad hash", Method::POST, "/v1/blobs/missing", Auth::Device)
            .json(json!({"hashes": [hex64('a'), "XYZ"]}))
            .refused(400, "bad_request"),
        case("blob: not a hash", Method::GET, "/v1/blobs/not-hex", Auth::Device)
            .refused(400, "bad_request"),
        case("blob: no offset", Method::PUT, format!("/v1/blobs/{}", hex64('1')), Auth::Device)
            .raw("application/octet-stream", "abc")
            .refused(400, "bad_request"),
        case("blob: zero length", Method::PUT, format!("/v1/blobs/{}", hex64('1')), Auth::Device)
            .header(UPLOAD_OFFSET, "0")
            .header(UPLOAD_LENGTH, "0")
            .raw("application/octet-stream", "")
            .refused(400, "bad_request"),
        case("blob: too large", Method::PUT, format!("/v1/blobs/{}", hex64('1')), Auth::Device)
            .header(UPLOAD_OFFSET, "0")
            .header(UPLOAD_LENGTH, "999999999999")
            .raw("application/octet-stream", "abc")
            .refused(413, "payload_too_large"),
        // ---- the desk: work orders, technicians, accounts
        case("work order: unknown", Method::GET, format!("/v1/admin/work-orders/{nobody}"), Auth::Dispatcher)
            .refused(404, "not_found"),
        case("work order: not an id", Method::GET, "/v1/admin/work-orders/abc", Auth::Dispatcher)
            .refused(400, "bad_request"),
        case("work order: empty body", Method::POST, "/v1/admin/work-orders", Auth::Dispatcher)
            .json(json!({}))
            .refused(400, "bad_request"),
        case("work order: cancel unknown", Method::POST, format!("/v1/admin/work-orders/{nobody}/cancel"), Auth::Dispatcher)
            .json(json!({"reason": "x"}))
            .refused(404, "not_found"),
        case("technician: blank name", Method::POST, "/v1/admin/technicians", Auth::Dispatcher)
            .json(json!({"name": "   "}))
            .refused(400, "bad_request"),
        case("technician: unknown field", Method::POST, "/v1/admin/technicians", Auth::Dispatcher)
            .json(json!({"name": "李", "age": 3}))
            .refused(400, "bad_request"),
        case("technician: a name of the wrong type", Method::POST, "/v1/admin/technicians", Auth::Dispatcher)
            .json(json!({"name": ["张三", "13800000000"]}))
            .refused(400, "bad_request"),
        case("account: login taken", Method::POST, "/v1/admin/dispatchers", Auth::Dispatcher)
            .json(json!({"login": "desk-one", "password": "long enough pw"}))
            .refused(409, "conflict"),
        case("account: short password", Method::POST, "/v1/admin/dispatchers", Auth::Dispatcher)
            .json(json!({"login": "desk-two", "password": "short"}))
            .refused(400, "bad_request"),
        case("enrolment code: bad minutes", Method::POST, "/v1/admin/enrolment-codes", Auth::Dispatcher)
            .json(json!({"technician_id": tech, "valid_minutes": 0}))
            .refused(400, "bad_request"),
        case("audit log: limit", Method::GET, "/v1/admin/audit-log?limit=0", Auth::Dispatcher)
            .refused(400, "bad_request"),
        case("completions: state", Method::GET, "/v1/admin/completions?state=bogus", Auth::Dispatcher)
            .refused(400, "bad_request"),
        case("completions stream: Last-Event-ID", Method::GET, "/v1/admin/completions/stream", Auth::Dispatcher)
            .header("last-event-id", "soon")
            .refused(400, "bad_request"),
        case("fee schedule: empty", Method::POST, "/v1/admin/fee-schedules", Auth::Dispatcher)
            .json(json!({"fee_schedule": {"id": "fees", "version": 1, "currency": "CNY", "items": []}}))
            .refused(400, "bad_request"),
        // ---- profiles
        case("profile: unknown technician", Method::GET, "/v1/admin/technicians/nobody/profile", Auth::Dispatcher)
            .refused(404, "not_found"),
        case("profile: bad employee number", Method::PUT, format!("/v1/admin/technicians/{tech}/profile"), Auth::Dispatcher)
            .json(json!({"employee_number": "工号 1", "skills": [], "qualifications": [], "zones": [], "hours": []}))
            .refused(400, "bad_request"),
        // ---- complaints and the holiday calendar
        case("complaint: device channel", Method::POST, "/v1/admin/complaints", Auth::Dispatcher)
            .json(json!({"channel": "device", "category": "attitude", "summary": "s"}))
            .refused(400, "bad_request"),
        case("complaint: unknown", Method::GET, "/v1/admin/complaints/nobody", Auth::Dispatcher)
            .refused(404, "not_found"),
        case("complaint: bad until", Method::POST, "/v1/admin/complaints/nobody/extend", Auth::Dispatcher)
            .json(json!({"until": "next week", "reason": "r"}))
            .refused(400, "bad_request"),
        case("holiday calendar: not one", Method::PUT, "/v1/admin/holiday-calendar", Auth::Dispatcher)
            .json(json!({"years": "张三 13800000000"}))
            .refused(400, "bad_request"),
        case("holiday calendar: no years", Method::PUT, "/v1/admin/holiday-calendar", Auth::Dispatcher)
            .json(json!({"years": []}))
            .refused(400, "bad_request"),
        // ---- callbacks
        case("callback rules: percent", Method::PUT, "/v1/admin/callback-rules", Auth::Dispatcher)
            .json(json!({"every_installation": true, "every_complaint": true, "sample_percent": 101, "within_days": 3, "seed": 0}))
            .refused(400, "bad_request"),
        case("callback: unknown", Method::POST, "/v1/admin/callbacks/nobody/calls", Auth::Dispatcher)
            .json(json!({"reached": false}))
            .refused(404, "not_found"),
        // ---- stock
        case("stock minimum: blank sku", Method::PUT, "/v1/admin/stock/minimums", Auth::Dispatcher)
            .json(json!({"technician_id": tech, "sku": " ", "minimum": 2}))
            .refused(400, "bad_request"),
        case("stock minimum: unknown technician", Method::PUT, "/v1/admin/stock/minimums", Auth::Dispatcher)
            .json(json!({"technician_id": "nobody", "sku": "P-1", "minimum": 2}))
            .refused(404, "not_found"),
        case("replenishment: unknown", Method::POST, "/v1/admin/stock/replenishments/nobody/approve", Auth::Dispatcher)
            .refused(404, "not_found"),
        // ---- SLA
        case("sla: rows missing", Method::PUT, "/v1/admin/sla", Auth::Dispatcher)
            .json(json!({"limits": []}))
            .refused(400, "bad_request"),
        // ---- webhooks
        case("webhook: not a URL", Method::POST, "/v1/admin/webhooks", Auth::Dispatcher)
            .json(json!({"url": "not a url"}))
            .refused(400, "bad_request"),
        case("webhook: internal address", Method::POST, "/v1/admin/webhooks", Auth::Dispatcher)
            .json(json!({"url": "https://127.0.0.1/hook"}))
            .refused(400, "bad_request"),
        case("webhook: unknown event", Method::POST, "/v1/admin/webhooks", Auth::Dispatcher)
            .json(json!({"url": "https://example.com/hook", "events": ["job.eaten"]}))
            .refused(400, "bad_request"),
        case("webhook: unknown", Method::DELETE, "/v1/admin/webhooks/nobody", Auth::Dispatcher)
            .refused(404, "not_found"),
        // ---- measures, reports, cash, invoices
        case("measures: bad dates", Method::GET, "/v1/admin/measures?from=soon&to=later", Auth::Dispatcher)
            .refused(400, "bad_request"),
        case("measures: backwards", Method::GET, "/v1/admin/measures?from=2026-02-01&to=2026-01-01", Auth::Dispatcher)
            .refused(400, "bad_request"),
        case("daily report: bad date", Method::GET, "/v1/admin/reports/daily?date=today", Auth::Dispatcher)
            .refused(400, "bad_request"),
        case("cash: bad amount", Method::POST, "/v1/admin/cash-handins", Auth::Dispatcher)
            .json(json!({"technician_id": tech, "day": "2026-11-23", "amount": 0, "note": ""}))
            .refused(400, "bad_request"),
        case("invoice: unknown job", Method::POST, format!("/v1/admin/work-orders/{nobody}/invoice"), Auth::Dispatcher)
            .json(json!({"number": "INV-1", "issued_on": "2026-11-23"}))
            .refused(404, "not_found"),
        // ---- what no handler answers
        case("unknown route", Method::GET, "/v1/nothing-here", Auth::None).refused(404, "not_found"),
        case("wrong method", Method::DELETE, "/v1/enroll", Auth::None)
            .refused(405, "method_not_allowed"),
        case("unsupported encoding", Method::POST, "/v1/admin/technicians", Auth::Dispatcher)
            .header("content-encoding", "br")
            .json(json!({"name": "李"}))
            .refused(415, "unsupported_media_type"),
        case("bad gzip", Method::POST, "/v1/admin/technicians", Auth::Dispatcher)
            .header("content-encoding", "gzip")
            .raw("application/json", "not gzip at all")
            .refused(400, "bad_request"),
        case("oversized desk body", Method::POST, "/v1/admin/technicians", Auth::Dispatcher)
            .raw("application/json", big.clone())
            .refused(413, "payload_too_large"),
    ];
    let mut families = std::collections::BTreeSet::new();
    for c in &cases {
        let zh = check(&ts, &token, c).await;
        families.insert(c.path.split('/').take(4).collect::<Vec<_>>().join("/"));
        // Nothing the request said is repeated back: no name, no phone number.
        let said = format!("{} {:?}", zh.message, zh.detail);
        assert!(
            !said.contains("张三") && !said.contains("13800000000"),
            "{}: {said}",
            c.name
        );
        // The parser's words are in the detail, not the message.
        if c.name.contains("missing field") || c.name == "enrol: missing field" {
            let detail = zh.detail.clone().unwrap_or_default();
            assert!(detail.contains("missing field"), "{}: {zh:?}", c.name);
            assert!(!zh.message.contains("missing field"), "{}", c.name);
        }
    }
    assert!(families.len() >= 15, "{families:?}");
    // `lang` is no parameter of a route's own: a pull with it is not refused.
    let r = ts
        .client
        .get(ts.url("/v1/pull?cursor=0&lang=en"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-language"], "en");
    // A language the server does not speak, or a hostile header, is Chinese.
    for al in ["fr-FR", "en;q=abc, *;q=", "\u{7f}\u{1}", ";;;,,,q=1"] {
        let r = ts
            .client
            .get(ts.url("/v1/nothing-here"))
            .header("accept-language", al.as_bytes())
            .send()
            .await;
        let Ok(r) = r else { continue }; // the client refuses to send some bytes
        assert_eq!(r.status().as_u16(), 404);
        assert_eq!(r.headers()["content-language"], "zh-CN", "{al:?}");
        let b: ErrorBody = r.json().await.unwrap();
        assert!(b.message.chars().any(is_cjk));
    }
    let r = ts
        .client
        .get(ts.url("/v1/nothing-here?lang=fr"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-language"],
        "en",
        "lang=fr is passed over"
    );
}

/// A device over its rate: `429 too_many_requests` with `Retry-After`, in both languages.
#[tokio::test]
async fn a_throttled_device_is_told_in_its_language() {
    let ts = common::server(Backend::Sqlite, |c| {
        c.device_requests_per_minute = 1;
        c.device_burst = 1;
    })
    .await
    .unwrap();
    let tech = ts.create_technician("王师傅").await;
    let device = ts.enrol(&tech, fieldkit_core::model::DeviceId::new()).await;
    let pull = || ts.client.get(ts.url("/v1/pull")).bearer_auth(&device.token);
    let mut throttled = None;
    for _ in 0..5 {
        let r = pull().send().await.unwrap();
        if r.status().as_u16() == 429 {
            throttled = Some(r);
            break;
        }
    }
    let r = throttled.expect("the bucket runs out");
    assert!(r.headers().contains_key("retry-after"));
    let zh: ErrorBody = r.json().await.unwrap();
    assert_eq!(zh.code, "too_many_requests");
    assert!(zh.message.contains("秒"), "{}", zh.message);
    assert!(english_words(&zh.message).is_empty(), "{}", zh.message);
    let r = pull().header("accept-language", "en").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["content-language"], "en");
    let en: ErrorBody = r.json().await.unwrap();
    assert_eq!(en.code, "too_many_requests");
    assert!(en.message.contains("try again in"), "{}", en.message);
}

/// The phone asks for its technician's language (`Accept-Language` from the kit's locale),
/// so a refusal it shows is written in that language end to end.
#[tokio::test]
async fn the_phone_hears_the_server_in_its_technicians_language() {
    use fieldkit_core::i18n::Locale;
    use fieldkit_core::{DeviceConfig, FieldKit};
    let ts = common::server(Backend::Sqlite, |_| {})
        .await
        .expect("server");
    for (locale, says) in [(Locale::ZhCn, "注册码"), (Locale::En, "enrolment code")] {
        let dir = tempfile::tempdir().unwrap();
        let config = DeviceConfig {
            locale,
            ..DeviceConfig::default()
        };
        let kit = FieldKit::open(dir.path(), config).unwrap();
        let options = fieldkit_core::sync::client::SyncOptions::default();
        match kit.enroll(&ts.base, "AAAA-BBBB-CCCC", &options).await {
            Err(fieldkit_core::Error::Server {
                status, message, ..
            }) => {
                assert_eq!(status, 401);
                assert!(message.contains(says), "{locale}: {message}");
                assert_eq!(
                    message.chars().any(is_cjk),
                    locale == Locale::ZhCn,
                    "{locale}: {message}"
                );
            }
            other => panic!("{locale}: {other:?}"),
        }
    }
}
