//! A small W3C WebDriver client for the dashboard's browser tests: starts Debian's
//! `/usr/bin/chromedriver` on a free port (killed when dropped), opens a headless Chromium
//! session with a fresh profile, and drives it over plain HTTP (reqwest).
//!
//! Waiting is always polling: [`Browser::wait_for`] and [`Browser::wait_until`] re-read the
//! DOM every [`POLL`] until the condition holds or the timeout passes, never a fixed sleep.
//!
//! Without chromedriver the tests fail and say to run `bash .ci/chromium.sh`; with
//! `FIELDKIT_SKIP_BROWSER=1` they are skipped with a note instead.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Where Debian's `chromium-driver` and `chromium` put their binaries.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// How often a wait re-reads the page.
pub const POLL: Duration = Duration::from_millis(50);
/// The W3C name of an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver error answer (`error` code and message), or a transport failure.
#[derive(Debug)]
pub struct WdError {
    pub error: String,
    pub message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

pub type WdResult<T> = Result<T, WdError>;

/// An element of the page (a WebDriver element reference).
#[derive(Clone, Debug)]
pub struct Element {
    pub id: String,
    /// The CSS selector it was found with, for messages.
    pub css: String,
}

/// chromedriver and its headless Chromium session.
pub struct Browser {
    driver: Child,
    port: u16,
    base: String,
    session: Option<String>,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless session, or `None` when chromedriver is absent and
    /// `FIELDKIT_SKIP_BROWSER=1`. Panics with instructions when it is absent otherwise.
    pub async fn start() -> Option<Browser> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
            if std::env::var("FIELDKIT_SKIP_BROWSER").as_deref() == Ok("1") {
                eprintln!(
                    "{CHROMEDRIVER} or {CHROMIUM} not found: browser tests skipped \
                     (FIELDKIT_SKIP_BROWSER=1)"
                );
                return None;
            }
            panic!(
                "{CHROMEDRIVER} or {CHROMIUM} not found: run `bash .ci/chromium.sh` (installs \
                 Debian's chromium and chromium-driver), or set FIELDKIT_SKIP_BROWSER=1 to skip \
                 the browser tests"
            );
        }
        let _ = rustls::crypto::ring::default_provider().install_default();
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let profile = tempfile::tempdir().expect("profile dir");
        let mut b = Browser {
            driver,
            port,
            base: format!("http://127.0.0.1:{port}"),
            session: None,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            _profile: profile,
        };
        b.wait_ready().await;
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=1280,900".to_owned(),
            // A Chinese dispatcher's browser: the dashboard answers its Accept-Language.
            "--lang=zh-CN".to_owned(),
            format!("--user-data-dir={}", b._profile.path().display()),
        ];
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": args,
                "prefs": { "intl": { "accept_languages": "zh-CN,zh" } },
            },
        } } });
        let v = b
            .call(reqwest::Method::POST, "/session", Some(caps))
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {v}"))
            .to_owned();
        b.session = Some(id);
        Some(b)
    }

    /// Polls chromedriver's `/status` until it says it is ready (20 s at most).
    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(st) = self.driver.try_wait().expect("chromedriver status") {
                panic!("chromedriver exited at start: {st}");
            }
            let ready = match self.http.get(format!("{}/status", self.base)).send().await {
                Ok(r) => r
                    .json::<Value>()
                    .await
                    .is_ok_and(|v| v["value"]["ready"] == true),
                Err(_) => false,
            };
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver on port {} not ready after 20 s",
                self.port
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// A WebDriver command: the answer's `value`, or its error.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> WdResult<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let transport = |e: reqwest::Error| WdError {
            error: "transport".into(),
            message: e.to_string(),
        };
        let res = req.send().await.map_err(transport)?;
        let ok = res.status().is_success();
        let v: Value = res.json().await.map_err(transport)?;
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        if ok {
            Ok(value)
        } else {
            Err(WdError {
                error: value["error"]
                    .as_str()
                    .unwrap_or("unknown error")
                    .to_owned(),
                message: value["message"]
                    .as_str()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned(),
            })
        }
    }

    fn session_path(&self, rest: &str) -> String {
        let id = self.session.as_deref().expect("an open session");
        format!("/session/{id}{rest}")
    }

    async fn session_call(
        &self,
        method: reqwest::Method,
        rest: &str,
        body: Option<Value>,
    ) -> WdResult<Value> {
        self.call(method, &self.session_path(rest), body).await
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.session_call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// The page's URL.
    pub async fn current_url(&self) -> String {
        let v = self
            .session_call(reqwest::Method::GET, "/url", None)
            .await
            .unwrap_or_else(|e| panic!("current url: {e}"));
        v.as_str().unwrap_or_default().to_owned()
    }

    fn element(v: &Value, css: &str) -> Option<Element> {
        Some(Element {
            id: v.get(ELEMENT_KEY)?.as_str()?.to_owned(),
            css: css.to_owned(),
        })
    }

    /// The first element matching `css`, if any (no waiting).
    pub async fn try_find(&self, css: &str) -> WdResult<Option<Element>> {
        let body = json!({ "using": "css selector", "value": css });
        match self
            .session_call(reqwest::Method::POST, "/element", Some(body))
            .await
        {
            Ok(v) => Ok(Self::element(&v, css)),
            Err(e) if e.error == "no such element" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The first element matching `css`; panics when there is none.
    pub async fn find(&self, css: &str) -> Element {
        match self.try_find(css).await {
            Ok(Some(e)) => e,
            Ok(None) => panic!("no element matches {css} on {}", self.current_url().await),
            Err(e) => panic!("find {css}: {e}"),
        }
    }

    /// Every element matching `css`.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let body = json!({ "using": "css selector", "value": css });
        let v = self
            .session_call(reqwest::Method::POST, "/elements", Some(body))
            .await
            .unwrap_or_else(|e| panic!("find all {css}: {e}"));
        v.as_array()
            .map(|a| a.iter().filter_map(|e| Self::element(e, css)).collect())
            .unwrap_or_default()
    }

    /// An element's rendered text.
    pub async fn try_text(&self, el: &Element) -> WdResult<String> {
        let v = self
            .session_call(
                reqwest::Method::GET,
                &format!("/element/{}/text", el.id),
                None,
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// An element's rendered text; panics on an error (a stale element, say).
    pub async fn text(&self, el: &Element) -> String {
        self.try_text(el)
            .await
            .unwrap_or_else(|e| panic!("text of {}: {e}", el.css))
    }

    /// The text of the element `css` matches, found again and read again while a live page
    /// replaces it under the reader (a board's rows are re-rendered as jobs change: an
    /// element found a moment ago may be stale), until `timeout`.
    pub async fn live_text(&self, css: &str, timeout: Duration) -> String {
        self.wait_until(&format!("the text of {css}"), timeout, async || {
            let el = self.try_find(css).await.ok().flatten()?;
            self.try_text(&el).await.ok()
        })
        .await
    }

    /// An attribute of the element `css` matches, read like [`Browser::live_text`].
    pub async fn live_attribute(&self, css: &str, name: &str, timeout: Duration) -> Option<String> {
        self.wait_until(&format!("attribute {name} of {css}"), timeout, async || {
            let el = self.try_find(css).await.ok().flatten()?;
            self.try_attribute(&el, name).await.ok()
        })
        .await
    }

    /// An element's attribute (or property of that name), `None` when it has none.
    pub async fn try_attribute(&self, el: &Element, name: &str) -> WdResult<Option<String>> {
        let v = self
            .session_call(
                reqwest::Method::GET,
                &format!("/element/{}/attribute/{name}", el.id),
                None,
            )
            .await?;
        Ok(v.as_str().map(str::to_owned))
    }

    /// An element's attribute; panics on an error.
    pub async fn attribute(&self, el: &Element, name: &str) -> Option<String> {
        self.try_attribute(el, name)
            .await
            .unwrap_or_else(|e| panic!("attribute {name} of {}: {e}", el.css))
    }

    /// Clicks an element (a link or a submit button waits for the next page to load).
    pub async fn click(&self, el: &Element) {
        self.session_call(
            reqwest::Method::POST,
            &format!("/element/{}/click", el.id),
            Some(json!({})),
        )
        .await
        .unwrap_or_else(|e| panic!("click {}: {e}", el.css));
    }

    /// Types `text` into an element.
    pub async fn send_keys(&self, el: &Element, text: &str) {
        self.session_call(
            reqwest::Method::POST,
            &format!("/element/{}/value", el.id),
            Some(json!({ "text": text })),
        )
        .await
        .unwrap_or_else(|e| panic!("send keys to {}: {e}", el.css));
    }

    /// Empties an input or textarea.
    pub async fn clear(&self, el: &Element) {
        self.session_call(
            reqwest::Method::POST,
            &format!("/element/{}/clear", el.id),
            Some(json!({})),
        )
        .await
        .unwrap_or_else(|e| panic!("clear {}: {e}", el.css));
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page and returns what
    /// it returns; a returned promise is awaited.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.session_call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": args })),
        )
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// A PNG screenshot of the window, written to `path` (its folder made); its bytes.
    pub async fn screenshot(&self, path: &Path) -> Vec<u8> {
        let v = self
            .session_call(reqwest::Method::GET, "/screenshot", None)
            .await
            .unwrap_or_else(|e| panic!("screenshot: {e}"));
        let png = base64_decode(v.as_str().expect("base64 screenshot"))
            .expect("the screenshot is base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot dir");
        }
        std::fs::write(path, &png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        png
    }

    /// Polls until `check` gives `Some`, every [`POLL`], for `timeout` at most; panics
    /// naming `what` (and the page's URL) when it never does.
    pub async fn wait_until<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl AsyncFnMut() -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = check().await {
                return v;
            }
            if Instant::now() >= deadline {
                panic!(
                    "timed out after {timeout:?} waiting for {what} on {}",
                    self.current_url().await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls until an element matches `css`; returns it.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        self.wait_until(css, timeout, async || {
            self.try_find(css).await.ok().flatten()
        })
        .await
    }

    /// Polls until the first element matching `css` has attribute `name` equal to `value`.
    /// The element is found again on each poll (a live page may replace it).
    pub async fn wait_for_attribute(&self, css: &str, name: &str, value: &str, timeout: Duration) {
        let what = format!("{css}[{name}=\"{value}\"]");
        self.wait_until(&what, timeout, async || {
            let el = self.try_find(css).await.ok().flatten()?;
            let got = self.try_attribute(&el, name).await.ok().flatten()?;
            (got == value).then_some(())
        })
        .await
    }

    /// Ends the session (Chromium quits) and stops chromedriver.
    pub async fn quit(mut self) {
        if self.session.is_some() {
            let _ = self
                .session_call(reqwest::Method::DELETE, "", None)
                .await
                .map_err(|e| eprintln!("closing the browser session: {e}"));
            self.session = None;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A test that panicked never reached `quit`: end the session synchronously so that
        // chromedriver closes Chromium, then stop chromedriver itself.
        if let Some(id) = self.session.take() {
            let _ = delete_session_blocking(self.port, &id);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `DELETE /session/{id}` over a plain socket (no async runtime in `drop`).
fn delete_session_blocking(port: u16, id: &str) -> std::io::Result<()> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    )?;
    let mut sink = Vec::new();
    s.read_to_end(&mut sink)?;
    Ok(())
}

/// Standard base64 (with or without padding) to bytes.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let data = bytes
        .strip_suffix(b"==")
        .or_else(|| bytes.strip_suffix(b"="))
        .unwrap_or(&bytes);
    if data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for chunk in data.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= sextet(c)? << (18 - 6 * i);
        }
        let take = chunk.len() - 1;
        out.extend_from_slice(&n.to_be_bytes()[1..=take]);
    }
    Some(out)
}

#[test]
fn base64_decodes_padded_and_unpadded() {
    assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
    assert_eq!(base64_decode("aGVsbG8").unwrap(), b"hello");
    assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
    assert_eq!(base64_decode("aGl0").unwrap(), b"hit");
    assert_eq!(base64_decode("").unwrap(), b"");
    assert!(base64_decode("a").is_none());
    assert!(base64_decode("a*==").is_none());
}
