//! The dashboard in Chinese first (issue 19), on both backends: with the fixture of the
//! security crawl (a held completion with photos and a signature, flags, accounts, a device),
//! every page reachable by links is crawled as a zh-CN reader, and its visible text (text
//! outside scripts and styles, and the `title`, `placeholder`, `alt` and button `value`
//! attributes) must hold no English word (a run of three or more ASCII letters) but those
//! the allow-list names. The same crawl as an `en` reader finds `lang="en"` and no Chinese in
//! the headings. `/lang` never sends the browser off-site, whatever its `back`. And a real
//! Chromium screenshots the board and a job page in Chinese
//! (`tests/artifacts/{board,job}-zh-CN.png`, committed).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use std::time::Duration;

use crate::common::Backend;
use crate::common::dashboard_fixture::{Fixture, PASSWORD, fixture, links_in_html, route_of};
use crate::common::webdriver::Browser;
use fieldkit_core::i18n::is_cjk;
use reqwest::header::{COOKIE, LOCATION};

/// Elements whose text is a sentence the server stored when something happened: a held
/// completion's reasons, a flag's detail, the reason a phone's op was refused, an audit line's
/// detail. They are stored as codes with arguments (migration 0014) and shown in the reader's
/// language like any text of the pages; the fixture makes each, and the crawl must see each
/// with words in it (so it really checks them).
const STORED_SENTENCES: &[&str] = &[
    "reasons",
    "held-why",
    "flag-detail",
    "rejected-reason",
    "detail",
];

/// Elements whose text is a format's identifiers, the same in every language: the CSV
/// columns an import file carries (scripts rely on them) and the error codes of refused ops
/// (the API's stable codes, quoted for support).
const IDENTIFIERS: &[&str] = &["csv-columns", "error-code"];

/// Words that are the same in every language, each for a reason:
const ALLOWED: &[&str] = &[
    "FieldKit", // the product's name
    "PDF",      // the customer's copy is a PDF file
    "CSV",      // the file format of exports and imports
    "SHA",      // "SHA-256", the hash the signature is sealed with
    "JSON",     // a file format named on the pages
    "English",  // the language switch names the other language in itself
];

/// The data the fixture typed in (names, models, addresses, logins): what a dispatcher or a
/// technician wrote is shown as written, in whatever language it was written.
fn fixture_data(f: &Fixture) -> Vec<String> {
    let mut v: Vec<String> = crate::common::dashboard_fixture::new_job("WO-SEC-1", &f.tech)
        .into_iter()
        .map(|(_, v)| v)
        .filter(|v| v.len() > 2)
        .collect();
    v.extend(
        [
            "Technician Guard",
            "other.desk",
            "gone.desk",
            "desk",
            "WO-SEC-1",
        ]
        .map(str::to_owned),
    );
    // What the demo's technician typed on the phone (`fieldkit_core::demo`).
    v.extend(
        [
            "Scratch on the left panel",
            "customer's lunch",
            "Replaced the drain pump",
            "washer does not drain",
            "very professional",
        ]
        .map(str::to_owned),
    );
    v.push(f.tech.clone());
    v.push(f.job.clone());
    v.push(f.device.to_string());
    // Longest first: a name is taken out before a part of it.
    v.sort_by_key(|s| std::cmp::Reverse(s.len()));
    v
}

/// HTML elements that never have a closing tag.
const VOID: &[&str] = &["meta", "input", "br", "img", "link", "hr", "source", "wbr"];

/// The text a reader sees on a page: text nodes outside `script` and `style` and outside the
/// elements whose id or class is in `skip`, and the attributes that show (`title`,
/// `placeholder`, `alt`, `aria-label`, a button's `value`).
fn visible_text(html: &str, skip: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    // The open elements: (name, whether its text is skipped).
    let mut stack: Vec<(String, bool)> = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let (text, after) = match rest.find('<') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let skipped = stack.last().is_some_and(|(_, s)| *s);
        if !skipped && !text.trim().is_empty() {
            out.push(decode(text.trim()));
        }
        if after.is_empty() {
            break;
        }
        let end = after.find('>').map_or(after.len(), |e| e + 1);
        let tag = &after[1..end.saturating_sub(1)];
        rest = &after[end..];
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            if let Some(at) = stack.iter().rposition(|(n, _)| *n == name) {
                stack.truncate(at);
            }
            continue;
        }
        let flat = format!(" {}", tag.replace(['\n', '\t'], " "));
        let name: String = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let attr = |a: &str| crate::common::dashboard_fixture::attr(&flat, a);
        let hidden = skipped
            || matches!(name.as_str(), "script" | "style")
            || attr("id").is_some_and(|id| skip.contains(&id.as_str()))
            || attr("class").is_some_and(|c| c.split(' ').any(|c| skip.contains(&c)));
        if !hidden {
            for a in ["title", "placeholder", "alt", "aria-label"] {
                if let Some(v) = attr(a) {
                    out.push(v);
                }
            }
            let button = name == "button"
                || (name == "input"
                    && attr("type").is_some_and(|t| matches!(t.as_str(), "submit" | "button")));
            if button && let Some(v) = attr("value") {
                out.push(v);
            }
        }
        if !VOID.contains(&name.as_str()) && !tag.ends_with('/') {
            stack.push((name, hidden));
        }
    }
    out
}

fn decode(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The English words in a text: runs of three or more ASCII letters, but those allowed,
/// those inside a hex id or hash (letters beside digits: `3fa9…`, `WO-1`), and the data.
fn english_words(text: &str, data: &[String]) -> Vec<String> {
    let mut t = text.to_owned();
    for d in data {
        t = t.replace(d.as_str(), " ");
    }
    // `…` quotes an identifier (a step id, an op kind in a stored sentence): the same in every
    // language, like the error codes.
    let t: String = t
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, piece)| piece)
        .collect::<Vec<_>>()
        .join(" ");
    t.split(|c: char| c.is_whitespace() || (c.is_ascii_punctuation() && c != '-' && c != '_'))
        .filter(|token| !token.chars().any(|c| c.is_ascii_digit()))
        .flat_map(|token| {
            token
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| w.len() >= 3)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter(|w| !ALLOWED.contains(&w.as_str()))
        .collect()
}

/// A page of the crawl: its path pattern and its HTML.
struct Page {
    pattern: &'static str,
    url: String,
    html: String,
}

/// Every dashboard page a logged-in reader with `fk_lang=lang` reaches by links from the
/// board (pages only: no CSV, script, image or PDF).
async fn crawl(f: &Fixture, lang: &str) -> Vec<Page> {
    let base = reqwest::Url::parse(&f.ts.base).unwrap();
    let http = f.ts.no_redirects();
    let cookie = format!("{}; fk_lang={lang}", f.me.cookie);
    let mut queue = VecDeque::from([format!("/board?day={}", f.day)]);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut pages = Vec::new();
    while let Some(url) = queue.pop_front() {
        let page_url = base.join(&url).unwrap();
        let Some((_, pattern)) = route_of("GET", page_url.path()) else {
            continue;
        };
        if !seen.insert(page_url.path().to_owned()) || pattern == "/board/events" {
            continue;
        }
        let res = http
            .get(page_url.clone())
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        assert!(status < 500, "GET {page_url}: {status}");
        let html_page = res
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
        if status != 200 || !html_page {
            continue;
        }
        let html = res.text().await.unwrap();
        for (method, link) in links_in_html(&html) {
            let Ok(target) = page_url.join(&link) else {
                continue;
            };
            if method == "GET" && target.origin() == base.origin() {
                let mut next = target.path().to_owned();
                if let Some(q) = target.query() {
                    next = format!("{next}?{q}");
                }
                queue.push_back(next);
            }
        }
        pages.push(Page { pattern, url, html });
    }
    pages
}

/// The page without the elements of these ids (their whole subtree).
fn without(html: &str, ids: &[&str]) -> String {
    let mut html = html.to_owned();
    for id in ids {
        let Some(at) = html.find(&format!(" id=\"{id}\"")) else {
            continue;
        };
        let Some(open) = html[..at].rfind('<') else {
            continue;
        };
        let name: String = html[open + 1..at].to_owned();
        let (opening, closing) = (format!("<{name}"), format!("</{name}>"));
        // The matching close: count the same elements opened inside.
        let (mut depth, mut i) = (0usize, open);
        let end = loop {
            let next_open = html[i + 1..].find(&opening).map(|j| j + i + 1);
            let Some(next_close) = html[i + 1..].find(&closing).map(|j| j + i + 1) else {
                break html.len();
            };
            match next_open {
                Some(o) if o < next_close => {
                    depth += 1;
                    i = o;
                }
                _ if depth > 0 => {
                    depth -= 1;
                    i = next_close;
                }
                _ => break next_close + closing.len(),
            }
        };
        html.replace_range(open..end, "");
    }
    html
}

/// The text of the `h1`, `h2` and `th` elements of a page.
fn headings(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for tag in ["h1", "h2", "th"] {
        for piece in html.split(&format!("<{tag}")).skip(1) {
            let Some(start) = piece.find('>') else {
                continue;
            };
            let end = piece.find(&format!("</{tag}>")).unwrap_or(piece.len());
            if start < end {
                out.extend(visible_text(&piece[start + 1..end], &[]));
            }
        }
    }
    out
}

async fn chinese_first(backend: Backend) {
    let Some(f) = fixture(backend).await else {
        return;
    };
    let data = fixture_data(&f);

    // zh-CN: every converted page in Chinese, no English word but the allowed ones.
    let pages = crawl(&f, "zh-CN").await;
    let patterns: BTreeSet<&str> = pages.iter().map(|p| p.pattern).collect();
    for must in [
        "/board",
        "/jobs/{id}",
        "/jobs/new",
        "/flags",
        "/technicians",
        "/devices",
        "/measures",
        "/accounts",
        "/account/password",
        "/audit",
        "/complaints",
        "/callbacks",
        "/stock",
        "/money",
        "/technicians/{id}/profile",
    ] {
        assert!(
            patterns.contains(must),
            "the crawl missed {must}: {patterns:?}"
        );
    }
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // The stored sentences are on the pages, with words: the crawl reads them (a class whose
    // elements hold text makes the page's text shorter when skipped).
    for class in STORED_SENTENCES {
        assert!(
            pages.iter().any(|p| {
                visible_text(&p.html, &[class]).len() < visible_text(&p.html, &[]).len()
            }),
            "no page shows a `{class}` with words: the fixture must make one"
        );
    }
    let mut skip: Vec<&str> = Vec::new();
    skip.extend(IDENTIFIERS);
    for p in &pages {
        assert!(
            p.html.contains("<html lang=\"zh-CN\">"),
            "{}: not lang=zh-CN",
            p.url
        );
        let text = visible_text(&p.html, &skip).join(" \n ");
        assert!(text.chars().any(is_cjk), "{}: no Chinese at all", p.url);
        let words = english_words(&text, &data);
        if !words.is_empty() {
            found.entry(p.pattern.to_owned()).or_default().extend(words);
        }
    }
    assert!(
        found.is_empty(),
        "English words on zh-CN pages (translate them, or say why in ALLOWED): {found:#?}"
    );

    // en: the same pages say lang="en", and their headings have no Chinese.
    let pages = crawl(&f, "en").await;
    assert!(pages.len() >= 10, "{} pages", pages.len());
    for p in &pages {
        assert!(
            p.html.contains("<html lang=\"en\">"),
            "{}: not lang=en",
            p.url
        );
        let chinese: Vec<String> = headings(&p.html)
            .into_iter()
            .filter(|h| h.chars().any(is_cjk))
            // A technician's name typed in Chinese is data, not a heading's words.
            .filter(|h| !data.iter().any(|d| h.contains(d.as_str())))
            .collect();
        assert!(
            chinese.is_empty(),
            "{}: Chinese in en headings: {chinese:?}",
            p.url
        );
    }

    hostile_language_switch(&f).await;
    f.ts.server.shutdown().await.unwrap();
}

/// `/lang` with a hostile `back`: never a redirect off this server, never a 5xx.
async fn hostile_language_switch(f: &Fixture) {
    let http = f.ts.no_redirects();
    for back in [
        "//evil.example",
        "https://evil",
        "/\\evil",
        "/\\/evil.example",
        "/%5Cevil",
        "/板",
        "/board\r\nSet-Cookie: x=1",
        "/board%0d%0aSet-Cookie:x=1",
        "",
        "javascript:alert(1)",
        "/board?day=2026-11-23",
    ] {
        for logged_in in [false, true] {
            let url =
                reqwest::Url::parse_with_params(&f.ts.url("/lang"), [("to", "en"), ("back", back)])
                    .unwrap();
            let mut req = http.get(url);
            if logged_in {
                req = req.header(COOKIE, &f.me.cookie);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            assert!(status < 500, "back={back:?}: {status}");
            if let Some(to) = res.headers().get(LOCATION) {
                let to = to.to_str().expect("a visible-ASCII Location");
                assert!(
                    to.starts_with('/') && !to.starts_with("//") && !to.contains('\\'),
                    "back={back:?} sent the browser to {to:?}"
                );
                assert!(!to.contains(['\r', '\n']), "{to:?}");
            }
        }
    }
    // The switch of a logged-in dispatcher is kept on the account: the next login says so.
    let res = http
        .get(f.ts.url("/lang?to=en&back=/board"))
        .header(COOKIE, &f.me.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let again = login_cookies(f, "desk").await;
    assert!(again.contains("fk_lang=en"), "{again}");
    http.get(f.ts.url("/lang?to=zh-CN&back=/board"))
        .header(COOKIE, &f.me.cookie)
        .send()
        .await
        .unwrap();
    let again = login_cookies(f, "desk").await;
    assert!(again.contains("fk_lang=zh-CN"), "{again}");
    // An account that never chose gets no language cookie: the browser's choice stands.
    let other = login_cookies(f, "other.desk").await;
    assert!(!other.contains("fk_lang="), "{other}");
}

/// The `Set-Cookie` headers of a login through the form, joined.
async fn login_cookies(f: &Fixture, login: &str) -> String {
    let http = f.ts.no_redirects();
    let res = http.get(f.ts.url("/login")).send().await.unwrap();
    let login_cookie = crate::common::set_cookie(&res, "fk_login").unwrap();
    let token = crate::common::csrf_in(&res.text().await.unwrap()).unwrap();
    let res = http
        .post(f.ts.url("/login"))
        .header(COOKIE, &login_cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("login", login),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_text_reader_sees_what_a_reader_sees() {
    let html = "<html lang=\"zh-CN\"><head><style>body{color:red}</style></head><body>\
        <h1>看板 Board</h1><script>var x = 'hidden';</script>\
        <input type=\"submit\" value=\"提交 Send\"><input name=\"q\" value=\"data\">\
        <textarea placeholder=\"粘贴 paste\"></textarea><img src=\"/a\" alt=\"照片\">\
        <section id=\"at-risk\"><h2>Jobs at risk</h2></section><p>after</p></body></html>";
    let text = visible_text(html, &["at-risk"]);
    assert_eq!(
        headings(&without(html, &["at-risk"])),
        vec!["看板 Board".to_owned()]
    );
    assert_eq!(
        text,
        vec!["看板 Board", "提交 Send", "粘贴 paste", "照片", "after"]
    );
    let data = vec!["Technician Guard".to_owned()];
    assert_eq!(
        english_words(
            "技师 Technician Guard · 3fa9be1c 工单 WO-SEC-1 PDF and",
            &data
        ),
        vec!["and"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_i18n_sqlite() {
    chinese_first(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_i18n_postgres() {
    chinese_first(Backend::Postgres).await;
}

// ------------------------------------------------------------------ screenshots

/// How long a page may take on a busy 2-core machine.
const WAIT: Duration = Duration::from_secs(30);

/// The board and the fixture's job page in a real Chromium, in Chinese, written to
/// `tests/artifacts/` (committed, regenerated by each run): decodable PNGs of a real size,
/// not blank, of pages whose text is Chinese.
async fn screenshots(backend: Backend, write: bool) {
    let Some(f) = fixture(backend).await else {
        return;
    };
    let Some(b) = Browser::start().await else {
        return;
    };
    // The language first (the browser's own Accept-Language may be English), then the login.
    b.goto(&f.ts.url("/lang?to=zh-CN&back=/login")).await;
    b.wait_for("#login", WAIT).await;
    b.send_keys(&b.find("#login [name=\"login\"]").await, "desk")
        .await;
    b.send_keys(&b.find("#login [name=\"password\"]").await, PASSWORD)
        .await;
    b.click(&b.find("#login-submit").await).await;
    b.wait_for("table#board", WAIT).await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/artifacts");
    let scratch = std::env::temp_dir().join(format!("fk-i18n-{}", std::process::id()));
    for (name, path, ready) in [
        (
            "board",
            format!("/board?day={}", f.day),
            "table#board tbody tr",
        ),
        ("job", format!("/jobs/{}", f.job), "#timeline"),
    ] {
        b.goto(&f.ts.url(&path)).await;
        b.wait_for(ready, WAIT).await;
        let lang = b
            .execute("return document.documentElement.lang;", vec![])
            .await;
        assert_eq!(lang, "zh-CN", "{name}");
        let text = b
            .execute("return document.body.innerText;", vec![])
            .await
            .as_str()
            .unwrap()
            .to_owned();
        let cjk = text.chars().filter(|c| is_cjk(*c)).count();
        let ascii = text.chars().filter(|c| c.is_ascii_alphabetic()).count();
        assert!(
            cjk >= 40 && cjk > ascii / 2,
            "{name}: {cjk} Chinese characters, {ascii} ASCII letters:\n{text}"
        );
        let file = if write { &dir } else { &scratch }.join(format!("{name}-zh-CN.png"));
        let png = b.screenshot(&file).await;
        assert_picture(&file, &png);
    }
    b.quit().await;
    f.ts.server.shutdown().await.unwrap();
}

/// A decodable PNG of at least 600×400 whose pixels are not all one colour (a page drew).
fn assert_picture(path: &Path, bytes: &[u8]) {
    assert_eq!(std::fs::read(path).unwrap(), bytes);
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a readable PNG");
    let (w, h) = (reader.info().width, reader.info().height);
    assert!(w >= 600 && h >= 400, "{}: {w}x{h}", path.display());
    let mut buf = vec![0; reader.output_buffer_size().expect("a buffer size")];
    let frame = reader.next_frame(&mut buf).expect("the pixels");
    let px = frame.color_type.samples();
    let colours: BTreeSet<&[u8]> = buf[..frame.buffer_size()].chunks(px).collect();
    assert!(
        colours.len() > 20,
        "{}: {} colours: blank?",
        path.display(),
        colours.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_i18n_screenshots_sqlite() {
    screenshots(Backend::Sqlite, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_i18n_screenshots_postgres() {
    screenshots(Backend::Postgres, false).await;
}
