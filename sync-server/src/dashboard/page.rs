//! The dashboard's page frame: the layout and navigation every page shares, the error page,
//! times in the dispatchers' UTC offset, and the small pieces forms repeat (the CSRF field,
//! `datetime-local` values). Markup is `maud`: every interpolated value is HTML-escaped.

use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use maud::{DOCTYPE, Markup, html};

use crate::error::ApiError;
use crate::i18n::Locale;
use crate::storage::StorageError;
use crate::t;

const STYLE: &str = r#"
*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#1d2733;background:#f4f6f8}
header{background:#17324d;color:#fff;display:flex;align-items:center;gap:1.2em;padding:.5em 1.2em;flex-wrap:wrap}
header a{color:#dce8f4;text-decoration:none}header a.here{color:#fff;font-weight:600;border-bottom:2px solid #f5a623}
header .me{margin-left:auto;display:flex;gap:.6em;align-items:center}
main{padding:1em 1.2em;max-width:1400px}
h1{font-size:1.35em;margin:.2em 0 .6em}h2{font-size:1.1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;width:100%;background:#fff}th,td{border-bottom:1px solid #e2e6ea;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#eef2f5;font-weight:600}
.status{font-weight:600;white-space:nowrap}
tr[data-status=completed] .status{color:#1b7f3b}tr[data-status=cancelled] .status{color:#888}
tr[data-status=working] .status,tr[data-status=on_site] .status{color:#b86e00}
tr[data-status=unassigned] .status{color:#b3261e}
tr[data-status=held] .status,tr[data-status=rejected] .status{color:#b3261e}tr[data-status=checking] .status{color:#1b7f3b}
.badge{display:inline-block;padding:0 .45em;border-radius:3px;background:#fdecea;border:1px solid #f5c2bd}
.completion[data-state=held]{border-left:4px solid #b3261e}
form.inline{display:inline}label{display:block;margin:.3em 0}
input,select,textarea,button{font:inherit}input,select,textarea{padding:.25em .4em;border:1px solid #b8c2cc;border-radius:3px}
button{background:#17324d;color:#fff;border:0;border-radius:3px;padding:.35em .9em;cursor:pointer}
button.secondary{background:#5a6b7b}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:.2em 1.2em}
.card{background:#fff;border:1px solid #e2e6ea;border-radius:4px;padding:.8em 1em;margin:.6em 0}
.flag{color:#b3261e}.ok{color:#1b7f3b}.muted{color:#6b7885}.error{background:#fdecea;border:1px solid #f5c2bd;padding:.6em 1em;border-radius:4px}
.live{font-size:.85em;color:#6b7885}body[data-live=open] .live{color:#1b7f3b}
"#;

/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// Who a page is shown to: what its header and forms need (a logged-in dispatcher's
/// session; see `session::Session`).
pub trait Viewer {
    /// The dispatcher's login, shown in the header.
    fn login(&self) -> &str;
    /// The CSRF token every form of the page carries.
    fn csrf(&self) -> &str;
    /// An administrator: the navigation shows the administrators' pages.
    fn is_admin(&self) -> bool {
        false
    }
    /// The language the page is written in (the request's, by default).
    fn locale(&self) -> Locale {
        crate::i18n::current()
    }
}

/// The pages in the navigation: (path, message id of its label, administrators only).
const NAV: [(&str, &str, bool); 13] = [
    ("/board", "nav-board", false),
    ("/jobs/new", "nav-new-job", false),
    ("/flags", "nav-flags", false),
    ("/technicians", "nav-technicians", true),
    ("/devices", "nav-devices", true),
    ("/measures", "nav-measures", false),
    ("/money", "nav-money", false),
    ("/complaints", "nav-complaints", false),
    ("/callbacks", "nav-callbacks", false),
    ("/stock", "nav-stock", false),
    ("/tools", "nav-tools", false),
    ("/accounts", "nav-accounts", true),
    ("/audit", "nav-audit", true),
];

/// The link that switches the dashboard to the other language and comes back to `here`.
fn language_switch(locale: Locale, here: &str) -> Markup {
    let other = match locale {
        Locale::ZhCn => Locale::En,
        Locale::En => Locale::ZhCn,
    };
    let back = if here.is_empty() { "/board" } else { here };
    html! {
        a id="lang" href=(format!("/lang?to={}&back={}", other.tag(), back)) lang=(other.tag())
            title=(t!(locale, "language")) { (t!(locale, "language-switch-code")) }
    }
}

/// A page of the dashboard for a logged-in dispatcher: `here` is the nav entry to mark.
pub fn page(title: &str, viewer: &impl Viewer, here: &str, body: Markup) -> Markup {
    let locale = viewer.locale();
    html! {
        (DOCTYPE)
        html lang=(locale.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · FieldKit" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body {
                header {
                    strong { "FieldKit" }
                    nav {
                        @for (path, label, admin) in NAV {
                            @if !admin || viewer.is_admin() {
                                a href=(path) class=[(path == here).then_some("here")] { (t!(locale, label)) } " "
                            }
                        }
                    }
                    div class="me" {
                        (language_switch(locale, here))
                        a id="me" href="/account/password" title=(t!(locale, "change-password")) { (viewer.login()) }
                        form id="logout" class="inline" method="post" action="/logout" {
                            (csrf_field(viewer))
                            button class="secondary" type="submit" { (t!(locale, "log-out")) }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page without the navigation (login, errors before login), in the request's language.
pub fn bare(title: &str, body: Markup) -> Markup {
    let locale = crate::i18n::current();
    html! {
        (DOCTYPE)
        html lang=(locale.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · FieldKit" }
                style { (maud::PreEscaped(STYLE)) }
            }
            body { main { (body) } }
        }
    }
}

/// The hidden input with the session's CSRF token; every form of a page carries it.
pub fn csrf_field(viewer: &impl Viewer) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf()); }
}

/// An HTML response that no shared cache keeps.
pub fn private(markup: Markup) -> Response {
    let mut r = markup.into_response();
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The fixed offset of `minutes` east of UTC (UTC when out of range).
pub fn offset(minutes: i32) -> FixedOffset {
    FixedOffset::east_opt(minutes.saturating_mul(60))
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC is a valid offset"))
}

/// A local date and time in `offset`, as typed in a form or a CSV file.
pub fn parse_local(offset: FixedOffset, s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .and_then(|n| offset.from_local_datetime(&n).single())
    .map(|t| t.with_timezone(&Utc))
}

/// A page that says what went wrong, with its HTTP status. Never carries personal data:
/// messages are written by the server, not copied from the input.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub message: String,
}

impl PageError {
    /// An error page.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// 404: `what` (`job`, `image`, `technician`, …) is not there, said in the request's
    /// language.
    pub fn not_found(what: &str) -> Self {
        let l = crate::i18n::current();
        let message = match what {
            "job" => t!(l, "page-err-no-job"),
            "image" => t!(l, "page-err-no-image"),
            "image (not uploaded yet)" => t!(l, "page-err-image-not-uploaded"),
            "technician" => t!(l, "page-err-no-technician"),
            _ => t!(l, "page-err-not-found"),
        };
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 500: the detail is logged, the page says only that it failed.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::from(ApiError::Internal(detail.into()))
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        let (status, _) = e.status_and_code();
        if let ApiError::Internal(detail) = &e {
            tracing::error!(error = %detail, "dashboard: internal error");
        }
        // In the reader's language (the request's, as the JSON API's errors are).
        Self::new(status, e.message(crate::i18n::current()))
    }
}

impl From<StorageError> for PageError {
    fn from(e: StorageError) -> Self {
        Self::from(ApiError::from(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let l = crate::i18n::current();
        let title = status_title(l, self.status);
        let body = bare(
            &title,
            html! {
                h1 { (self.status.as_u16()) " " (title) }
                p class="error" { (self.message) }
                p { a href="/board" { (t!(l, "back-to-board")) } }
            },
        );
        let mut r = (self.status, body).into_response();
        r.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    }
}

/// The error page's heading for a status.
fn status_title(l: Locale, status: StatusCode) -> String {
    match status.as_u16() {
        400 => t!(l, "error-title-400"),
        401 => t!(l, "error-title-401"),
        403 => t!(l, "error-title-403"),
        404 => t!(l, "error-title-404"),
        409 => t!(l, "error-title-409"),
        413 => t!(l, "error-title-413"),
        429 => t!(l, "error-title-429"),
        500 => t!(l, "error-title-500"),
        503 => t!(l, "error-title-503"),
        _ => t!(l, "error-title-other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_navigation_label_is_in_the_catalogue() {
        for (_, id, _) in NAV {
            for l in Locale::ALL {
                assert!(crate::i18n::CATALOGUE.has(l, id), "{l}: {id}");
            }
        }
    }
}
