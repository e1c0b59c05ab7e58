//! Who is looking at the dashboard: the session cookie (a random token; the server keeps
//! only its SHA-256), the CSRF token every form carries, and the extractors that refuse a
//! request without them.
//!
//! Served over HTTPS the cookies are `__Host-fk_session` and `__Host-fk_login` (the browser
//! keeps them only if Secure, for this host alone, Path=/, no Domain: a sibling subdomain
//! cannot plant one). Over plain HTTP (loopback, the demo, the browser tests) they are
//! `fk_session` and `fk_login`: the `__Host-` prefix needs a secure origin, which a browser
//! grants plain `http://127.0.0.1` only in some versions.
//!
//! A session ends at its fixed end, after the idle timeout without a request of the
//! dispatcher's (the board's background refreshes do not count), when its account is
//! disabled, or when the account's password changes elsewhere.
//!
//! A page asked for without a session answers 303 to `/login`; anything else without a
//! session answers 401. A form without its session's CSRF token, or sent from another
//! origin, answers 403 and changes nothing. The login form itself is protected by a
//! double-submit token (login cookie = hidden field).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use rand::RngCore;
use serde::de::DeserializeOwned;

pub use super::page::CSRF_FIELD;
use super::page::{PageError, Viewer, offset, parse_local};
use crate::auth::{hash_secret, same_hash};
use crate::desk::audit::{Actor, client_addr};
use crate::records::Role;
use crate::state::AppState;
use crate::t;
use fieldkit_core::i18n::date;

/// The session cookie over plain HTTP.
pub const SESSION_COOKIE: &str = "fk_session";
/// The login form's double-submit cookie over plain HTTP.
pub const LOGIN_COOKIE: &str = "fk_login";
/// The session cookie over HTTPS.
pub const SESSION_COOKIE_HTTPS: &str = "__Host-fk_session";
/// The login form's double-submit cookie over HTTPS.
pub const LOGIN_COOKIE_HTTPS: &str = "__Host-fk_login";

/// The session cookie's name, served over HTTPS or not.
pub fn session_cookie(https: bool) -> &'static str {
    if https {
        SESSION_COOKIE_HTTPS
    } else {
        SESSION_COOKIE
    }
}

/// The login cookie's name, served over HTTPS or not.
pub fn login_cookie(https: bool) -> &'static str {
    if https {
        LOGIN_COOKIE_HTTPS
    } else {
        LOGIN_COOKIE
    }
}

/// Requests that do not count as the dispatcher's activity: the open board refreshing
/// itself.
const BACKGROUND: [&str; 2] = ["/board/rows", "/board/events"];

/// A session's last use is written at most this often (ms).
const TOUCH_EVERY_MS: i64 = 30_000;

/// 256 random bits in hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The `Set-Cookie` value of a cookie the browser sends back only to this server, only to
/// same-site requests, never to scripts.
pub fn cookie(name: &str, value: &str, max_age_secs: i64) -> String {
    format!("{name}={value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age_secs}")
}

pub use crate::net::cookie_value;

fn well_formed_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A logged-in dispatcher.
#[derive(Clone, Debug)]
pub struct Session {
    pub dispatcher_id: String,
    pub login: String,
    /// The CSRF token of this session's forms.
    pub csrf: String,
    /// The dispatchers' UTC offset (minutes), for times shown and typed.
    pub utc_offset_minutes: i32,
    /// The account's role.
    pub role: Role,
    /// The client's address (for the audit log).
    pub from: String,
    /// The SHA-256 of the session's cookie token.
    pub token_hash: String,
}

impl Session {
    /// The SHA-256 of the session cookie's token (named as `https` says) in these headers,
    /// if there is one.
    pub fn token_hash(headers: &HeaderMap, https: bool) -> Option<String> {
        cookie_value(headers, session_cookie(https))
            .filter(|t| well_formed_token(t))
            .map(hash_secret)
    }

    /// Who acts, for the desk's operations and the audit log.
    pub fn actor(&self) -> Actor {
        Actor {
            account_id: Some(self.dispatcher_id.clone()),
            login: self.login.clone(),
            role: self.role,
            from: self.from.clone(),
        }
    }

    /// Whether this session is still on (not ended, not idle, its account not disabled),
    /// without counting as activity: for what outlives the request that opened it (the
    /// board's event stream).
    pub async fn still_on(&self, state: &AppState) -> bool {
        let now = state.clock.now_ms();
        let idle_ms = state.dashboard.idle_minutes.saturating_mul(60_000);
        matches!(
            state.storage.session(self.token_hash.clone(), now).await,
            Ok(Some(r)) if now.saturating_sub(r.last_seen_at) < idle_ms
        )
    }

    /// A 403 page unless the dispatcher is an administrator.
    pub fn must_administer(&self) -> Result<(), PageError> {
        if self.role == Role::Administrator {
            Ok(())
        } else {
            Err(PageError::forbidden(t!(
                crate::i18n::current(),
                "page-err-admin-only"
            )))
        }
    }
}

impl Session {
    /// The dispatchers' offset.
    pub fn offset(&self) -> FixedOffset {
        offset(self.utc_offset_minutes)
    }

    /// A time (ms since the epoch) as the dispatcher reads it, in their language:
    /// `2026年11月23日 14:05`, `23 Nov 2026 14:05`.
    pub fn when(&self, ms: i64) -> String {
        self.local(ms).map_or_else(
            || "—".into(),
            |t| {
                format!(
                    "{} {}",
                    date(self.locale(), t.date_naive()),
                    t.format("%H:%M")
                )
            },
        )
    }

    /// A time with seconds, for timelines.
    pub fn when_exact(&self, ms: i64) -> String {
        self.local(ms).map_or_else(
            || "—".into(),
            |t| {
                format!(
                    "{} {}",
                    date(self.locale(), t.date_naive()),
                    t.format("%H:%M:%S")
                )
            },
        )
    }

    /// The time of day alone (`14:05`), for the end of a window on the same day.
    pub fn time_of_day(&self, ms: i64) -> String {
        self.local(ms)
            .map_or_else(|| "—".into(), |t| t.format("%H:%M").to_string())
    }

    /// A time as files carry it, the same in every language: `2026-11-23 14:05`.
    pub fn when_iso(&self, ms: i64) -> String {
        self.local(ms)
            .map_or_else(|| "—".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
    }

    fn local(&self, ms: i64) -> Option<DateTime<FixedOffset>> {
        Utc.timestamp_millis_opt(ms)
            .single()
            .map(|t| t.with_timezone(&self.offset()))
    }

    /// The value of a `datetime-local` input for this time.
    pub fn local_input(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.offset())
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    }

    /// A time typed by the dispatcher (`2026-11-23T14:05`, `2026-11-23 14:05`, with or
    /// without seconds) in their offset.
    pub fn parse_local(&self, field: &str, s: &str) -> Result<DateTime<Utc>, PageError> {
        parse_local(self.offset(), s).ok_or_else(|| {
            let l = self.locale();
            let field = match field {
                "from" => t!(l, "field-from"),
                "to" => t!(l, "field-to"),
                other => other.to_owned(),
            };
            PageError::bad_request(t!(l, "page-err-date-time", field = field))
        })
    }
}

impl Viewer for Session {
    fn login(&self) -> &str {
        &self.login
    }

    fn csrf(&self) -> &str {
        &self.csrf
    }

    fn is_admin(&self) -> bool {
        self.role == Role::Administrator
    }
}

/// Why there is no session: a page redirects to the login, anything else is refused.
pub struct NoSession {
    page: bool,
}

impl IntoResponse for NoSession {
    fn into_response(self) -> Response {
        if self.page {
            Redirect::to("/login").into_response()
        } else {
            PageError::new(
                StatusCode::UNAUTHORIZED,
                t!(crate::i18n::current(), "page-err-log-in-first"),
            )
            .into_response()
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let page = parts.method == Method::GET || parts.method == Method::HEAD;
        let no = || NoSession { page }.into_response();
        let failed = |e| PageError::from(e).into_response();
        let Some(hash) = Session::token_hash(&parts.headers, state.dashboard.https) else {
            return Err(no());
        };
        let now = state.clock.now_ms();
        let record = state
            .storage
            .session(hash.clone(), now)
            .await
            .map_err(failed)?
            .ok_or_else(no)?;
        let idle_ms = state.dashboard.idle_minutes.saturating_mul(60_000);
        if now.saturating_sub(record.last_seen_at) >= idle_ms {
            state.storage.end_session(hash).await.map_err(failed)?;
            return Err(no());
        }
        let background = BACKGROUND.contains(&parts.uri.path());
        if !background && now.saturating_sub(record.last_seen_at) >= TOUCH_EVERY_MS {
            state
                .storage
                .touch_session(hash.clone(), now)
                .await
                .map_err(failed)?;
        }
        Ok(Session {
            dispatcher_id: record.dispatcher_id,
            login: record.login,
            csrf: record.csrf,
            utc_offset_minutes: state.dashboard.utc_offset_minutes,
            role: record.role,
            from: client_addr(parts, &state.trusted_proxies),
            token_hash: hash,
        })
    }
}

/// Whether the request's `Origin`, when the browser sent one, is this server.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), headers.get(HOST).map(|h| h.to_str()))
    else {
        return false;
    };
    origin
        .split_once("://")
        .is_some_and(|(scheme, rest)| matches!(scheme, "http" | "https") && rest == host)
}

/// The fields of an urlencoded body, the pair named `field` taken out.
fn take_field(body: &[u8], field: &str) -> Result<(Option<String>, String), PageError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| {
        PageError::bad_request(t!(crate::i18n::current(), "page-err-form-unreadable"))
    })?;
    // PostgreSQL cannot store a NUL in text: refused here for every form, as the JSON API
    // refuses it, rather than a 500 from the database.
    if pairs
        .iter()
        .any(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(PageError::bad_request(t!(
            crate::i18n::current(),
            "page-err-form-nul"
        )));
    }
    let mut token = None;
    let mut rest = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        if k == field {
            token = Some(v);
        } else {
            rest.push((k, v));
        }
    }
    let rest = serde_urlencoded::to_string(rest).map_err(|_| {
        PageError::bad_request(t!(crate::i18n::current(), "page-err-form-unreadable"))
    })?;
    Ok((token, rest))
}

fn parse_form<T: DeserializeOwned>(rest: &str) -> Result<T, PageError> {
    serde_urlencoded::from_str(rest).map_err(|e| {
        PageError::bad_request(t!(
            crate::i18n::current(),
            "page-err-form-field",
            detail = e.to_string()
        ))
    })
}

async fn body_bytes(req: Request, state: &AppState) -> Result<bytes::Bytes, PageError> {
    axum::body::to_bytes(req.into_body(), state.max_body_bytes)
        .await
        .map_err(|_| {
            PageError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                t!(crate::i18n::current(), "page-err-form-too-large"),
            )
        })
}

/// A form posted by a logged-in dispatcher from one of this server's pages: the session's
/// CSRF token checked, then the other fields parsed as `T`.
pub struct CsrfForm<T>(pub Session, pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        if !same_origin(&parts.headers) {
            return Err(
                PageError::forbidden(t!(crate::i18n::current(), "page-err-other-site"))
                    .into_response(),
            );
        }
        let req = Request::from_parts(parts, body);
        let bytes = body_bytes(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let (token, rest) = take_field(&bytes, CSRF_FIELD).map_err(IntoResponse::into_response)?;
        if !token.is_some_and(|t| same_hash(&t, &session.csrf)) {
            return Err(
                PageError::forbidden(t!(crate::i18n::current(), "page-err-csrf")).into_response(),
            );
        }
        let form = parse_form(&rest).map_err(IntoResponse::into_response)?;
        Ok(CsrfForm(session, form))
    }
}

/// The login form: its double-submit token checked against the `fk_login` cookie.
pub struct LoginForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for LoginForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        if !same_origin(req.headers()) {
            return Err(
                PageError::forbidden(t!(crate::i18n::current(), "page-err-other-site"))
                    .into_response(),
            );
        }
        let cookie = cookie_value(req.headers(), login_cookie(state.dashboard.https))
            .filter(|t| well_formed_token(t))
            .map(str::to_owned);
        let bytes = body_bytes(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let (token, rest) = take_field(&bytes, CSRF_FIELD).map_err(IntoResponse::into_response)?;
        match (cookie, token) {
            (Some(c), Some(t)) if same_hash(&c, &t) => {}
            _ => {
                return Err(PageError::forbidden(t!(
                    crate::i18n::current(),
                    "page-err-login-expired"
                ))
                .into_response());
            }
        }
        Ok(LoginForm(
            parse_form(&rest).map_err(IntoResponse::into_response)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::header::COOKIE;

    use super::*;

    #[test]
    fn cookies_are_read_from_any_header_position() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, "a=1; fk_session=abc".parse().unwrap());
        h.append(COOKIE, "fk_login=def".parse().unwrap());
        assert_eq!(cookie_value(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie_value(&h, LOGIN_COOKIE), Some("def"));
        assert_eq!(cookie_value(&h, "fk"), None);
        // Not 64 hex digits: no session looked up at all.
        assert_eq!(Session::token_hash(&h, false), None);
        assert_eq!(cookie_value(&h, session_cookie(true)), None);
    }

    #[test]
    fn the_csrf_field_is_taken_out_of_the_form() {
        let (t, rest) = take_field(b"a=1&csrf=xyz&b=%E4%BD%A0", CSRF_FIELD).unwrap();
        assert_eq!(t.as_deref(), Some("xyz"));
        assert_eq!(rest, "a=1&b=%E4%BD%A0");
        let (t, _) = take_field(b"a=1", CSRF_FIELD).unwrap();
        assert_eq!(t, None);
    }

    #[test]
    fn a_nul_anywhere_in_a_form_is_refused() {
        assert!(take_field(b"name=a%00b&csrf=xyz", CSRF_FIELD).is_err());
        assert!(take_field(b"na%00me=ab&csrf=xyz", CSRF_FIELD).is_err());
        assert!(take_field(b"name=ab&csrf=x%00", CSRF_FIELD).is_err());
    }

    #[test]
    fn other_origins_are_refused() {
        let mut h = HeaderMap::new();
        h.insert(HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(
            same_origin(&h),
            "no Origin header: same-site by SameSite=Strict"
        );
        h.insert(ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(same_origin(&h));
        h.insert(ORIGIN, "http://evil.example".parse().unwrap());
        assert!(!same_origin(&h));
        h.insert(ORIGIN, "null".parse().unwrap());
        assert!(!same_origin(&h));
    }

    #[test]
    fn local_times_round_trip_in_the_offset() {
        let s = Session {
            dispatcher_id: "d".into(),
            login: "l".into(),
            csrf: "c".into(),
            utc_offset_minutes: 480,
            role: Role::Dispatcher,
            from: "127.0.0.1".into(),
            token_hash: "h".into(),
        };
        let t = s.parse_local("start", "2026-11-23T09:30").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-23T01:30:00+00:00");
        assert_eq!(s.local_input(t), "2026-11-23T09:30");
        assert_eq!(s.when_iso(t.timestamp_millis()), "2026-11-23 09:30");
        assert_eq!(s.time_of_day(t.timestamp_millis()), "09:30");
        assert!(s.parse_local("start", "23/11/2026").is_err());
        assert_eq!(s.when(i64::MAX), "—");
    }
}
