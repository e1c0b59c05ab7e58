//! Errors of the HTTP API: one enum, each variant with its HTTP status and a JSON
//! [`ErrorBody`] whose message is written from the server's catalogue (`err-…` ids in
//! `locales/*/errors*.ftl`) in the request's language when the response is made; and
//! extractors that turn malformed requests into those errors (never a panic, never an
//! untyped body; a parser's own words go to the body's `detail`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fieldkit_core::sync::protocol::ErrorBody;
use serde::de::DeserializeOwned;

use crate::i18n::{self, Locale};
use crate::msg;
use crate::msg::{Msg, Thing};
use crate::storage::StorageError;

/// Everything a request can fail with. Messages are catalogue ids with arguments
/// ([`Msg`]), written in the reader's language only when the response is
/// ([`ApiError::message`]); `Display` writes them in the language of the request being
/// served.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(Msg),
    Unauthorized(Msg),
    Forbidden(Msg),
    NotFound(Thing),
    Conflict(Msg),
    PayloadTooLarge(Msg),
    UnsupportedMediaType(Msg),
    TooManyRequests,
    /// Over a rate limit: try again after `retry_after_secs` (sent as `Retry-After`).
    Throttled {
        retry_after_secs: u64,
    },
    /// The server is too busy for this request now: try again after `retry_after_secs`
    /// (sent as `Retry-After`); nothing was done.
    Busy {
        retry_after_secs: u64,
    },
    HashMismatch(Msg),
    /// The detail is logged, never sent: the reader is told only that it failed.
    Internal(String),
}

impl ApiError {
    /// The HTTP status and the machine-readable code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::UnsupportedMediaType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::TooManyRequests | Self::Throttled { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
            }
            Self::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::HashMismatch(_) => (StatusCode::UNPROCESSABLE_ENTITY, "hash_mismatch"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// The message (an `err-…` id and its arguments) this error is written with.
    pub fn msg(&self) -> Msg {
        match self {
            Self::BadRequest(m)
            | Self::Unauthorized(m)
            | Self::Forbidden(m)
            | Self::Conflict(m)
            | Self::PayloadTooLarge(m)
            | Self::UnsupportedMediaType(m)
            | Self::HashMismatch(m) => m.clone(),
            Self::NotFound(thing) => Msg::new(thing.id()),
            Self::TooManyRequests => msg!("err-too-many-requests"),
            Self::Throttled { retry_after_secs } => {
                msg!("err-throttled", seconds = (*retry_after_secs).max(1))
            }
            Self::Busy { retry_after_secs } => {
                msg!("err-busy", seconds = (*retry_after_secs).max(1))
            }
            Self::Internal(_) => msg!("err-internal"),
        }
    }

    /// The message for people, in `locale`: a whole sentence, never personal data.
    pub fn message(&self, locale: Locale) -> String {
        self.msg().render(locale)
    }

    /// Technical words that go with the message untranslated (a parser's), if any.
    pub fn detail(&self) -> Option<String> {
        match self {
            Self::BadRequest(m)
            | Self::Unauthorized(m)
            | Self::Forbidden(m)
            | Self::Conflict(m)
            | Self::PayloadTooLarge(m)
            | Self::UnsupportedMediaType(m)
            | Self::HashMismatch(m) => m.detail.clone(),
            _ => None,
        }
    }

    /// The JSON body, its message in `locale`.
    pub fn body(&self, locale: Locale) -> ErrorBody {
        ErrorBody {
            code: self.status_and_code().1.to_owned(),
            message: self.message(locale),
            detail: self.detail(),
        }
    }
}

/// The message in the language of the request being served ([`i18n::current`]).
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(i18n::current()))
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, _) = self.status_and_code();
        if let Self::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        let mut res = (status, Json(self.body(i18n::current()))).into_response();
        if let Self::Throttled { retry_after_secs } | Self::Busy { retry_after_secs } = self {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        res
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound(what) => ApiError::NotFound(what),
            StorageError::Conflict(m) => ApiError::Conflict(m),
            StorageError::InvalidCode => ApiError::Unauthorized(msg!("err-enrolment-code-invalid")),
            StorageError::Backend(m) => ApiError::Internal(m),
            StorageError::Migration(e) => ApiError::Internal(e.to_string()),
        }
    }
}

/// The error body for a bare status (used for responses made outside our handlers: unknown
/// routes, wrong methods, layers' refusals), in the language of the request being served.
pub fn body_for_status(status: StatusCode) -> ErrorBody {
    status_body(status, i18n::current())
}

/// The error body for a bare status, in `locale`.
pub fn status_body(status: StatusCode, locale: Locale) -> ErrorBody {
    let (code, id) = match status {
        StatusCode::BAD_REQUEST => ("bad_request", "err-status-bad-request"),
        StatusCode::UNAUTHORIZED => ("unauthorized", "err-status-unauthorized"),
        StatusCode::FORBIDDEN => ("forbidden", "err-status-forbidden"),
        StatusCode::NOT_FOUND => ("not_found", "err-status-not-found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "err-status-method-not-allowed"),
        StatusCode::CONFLICT => ("conflict", "err-status-conflict"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "err-status-payload-too-large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "err-status-unsupported-media-type",
        ),
        StatusCode::UNPROCESSABLE_ENTITY => ("unprocessable", "err-status-unprocessable"),
        StatusCode::TOO_MANY_REQUESTS => ("too_many_requests", "err-too-many-requests"),
        StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "err-status-unavailable"),
        s if s.is_server_error() => ("internal", "err-internal"),
        _ => ("error", "err-status-other"),
    };
    ErrorBody {
        code: code.to_owned(),
        message: msg!(id, status = u32::from(status.as_u16())).render(locale),
        detail: None,
    }
}

/// The typed error for a status an extractor rejected with (`msg` says what was refused).
pub fn from_status(status: StatusCode, msg: Msg) -> ApiError {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge(msg!("err-body-too-large")),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType(msg),
        s if s.is_server_error() => ApiError::Internal(msg.detail.unwrap_or_default()),
        _ => ApiError::BadRequest(msg),
    }
}

/// A body that could not be read: too large (413) or cut off or undecodable (400).
pub fn body_refused(e: BytesRejection) -> ApiError {
    from_status(
        e.status(),
        msg!("err-body-unreadable").detail(rejection_detail(e.body_text())),
    )
}

/// A rejection's own words without axum's English preamble ("Failed to deserialize …: "):
/// the parser's technical detail, with the values it quotes from the request left out.
fn rejection_detail(body_text: String) -> String {
    let words = match body_text.split_once(": ") {
        Some((head, rest)) if head.starts_with("Failed to") || head.starts_with("Invalid") => {
            rest.to_owned()
        }
        _ => body_text,
    };
    without_quoted_values(&words)
}

/// `s` with every double-quoted text (a parser quoting a value from the request, e.g.
/// `invalid type: string "…", expected u32`) cut to `"…"`: a value may be personal data.
/// Field names, which parsers quote in backticks, stay.
pub fn without_quoted_values(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut quoted = false;
    let mut escaped = false;
    for c in s.chars() {
        if quoted {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => {
                    out.push_str("…\"");
                    quoted = false;
                }
                _ => escaped = false,
            }
        } else {
            out.push(c);
            quoted = c == '"';
        }
    }
    if quoted {
        out.push('…');
    }
    out
}

/// A JSON body, refused with a typed 4xx when malformed, of the wrong type or too large: 415
/// without `Content-Type: application/json` (or `+json`), 413 over the body limit, 400 when it
/// does not parse, does not fit `T`, or holds a NUL character (see [`has_nul_escape`]).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType(msg!(
                "err-json-content-type"
            )));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_refused)?;
        json_from_bytes(&bytes).map(ApiJson)
    }
}

/// A JSON body already read (as [`ApiJson`] reads one, e.g. after checking a signature over
/// its bytes): the same typed errors.
pub fn json_from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if has_nul_escape(bytes) {
        return Err(ApiError::BadRequest(NUL));
    }
    match Json::<T>::from_bytes(bytes) {
        Ok(Json(v)) => Ok(v),
        Err(e) => Err(json_rejection(e)),
    }
}

/// The content-type check of [`ApiJson`], for handlers that read the body themselves.
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    if json_content_type(headers) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(msg!(
            "err-json-content-type"
        )))
    }
}

/// A NUL character in the request.
const NUL: Msg = Msg::new("err-nul");

/// `application/json` or `application/*+json`, parameters aside (as axum's `Json` checks).
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// The JSON text holds a `\u0000` escape: a NUL character in a string or a key. (JSON has no
/// other way to carry one: raw control characters are invalid.) Refused everywhere: no field
/// of the API has a use for it, and PostgreSQL cannot store it in text, so SQLite and
/// PostgreSQL answer alike.
pub fn has_nul_escape(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] != b'\\' {
            i += 1;
            continue;
        }
        let run = json[i..].iter().take_while(|b| **b == b'\\').count();
        i += run;
        // An odd run ends with a backslash that escapes what follows.
        if run % 2 == 1 && json[i..].starts_with(b"u0000") {
            return true;
        }
    }
    false
}

/// A URI part (path or query) whose percent-decoding holds a NUL character.
fn has_encoded_nul(s: &str) -> bool {
    s.contains("%00")
}

fn json_rejection(e: JsonRejection) -> ApiError {
    let id = match &e {
        JsonRejection::JsonDataError(_) => "err-json-data",
        JsonRejection::JsonSyntaxError(_) => "err-json-syntax",
        JsonRejection::MissingJsonContentType(_) => "err-json-content-type",
        _ => "err-body-unreadable",
    };
    from_status(e.status(), msg!(id).detail(rejection_detail(e.body_text())))
}

/// Query parameters, refused with a 400 when malformed or unknown, or holding a NUL.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.query().is_some_and(has_encoded_nul) {
            return Err(ApiError::BadRequest(NUL));
        }
        let query = parts.uri.query().unwrap_or("");
        // `lang` chooses the language of the answer (see `i18n`), on every route: it is no
        // parameter of the route's own.
        let own: Vec<&str> = query
            .split('&')
            .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some("lang"))
            .collect();
        let uri: axum::http::Uri = format!("/?{}", own.join("&"))
            .parse()
            .unwrap_or_else(|_| axum::http::Uri::from_static("/"));
        axum::extract::Query::<T>::try_from_uri(&uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::BadRequest(msg!("err-query").detail(rejection_detail(e.body_text())))
            })
    }
}

/// Path parameters, refused with a 400 when malformed or holding a NUL.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if has_encoded_nul(parts.uri.path()) {
            return Err(ApiError::BadRequest(NUL));
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| {
                ApiError::BadRequest(msg!("err-path").detail(rejection_detail(e.body_text())))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(has_nul_escape(br#"{"name":"a\u0000b"}"#));
        assert!(has_nul_escape(br#"{"a\u0000":1}"#));
        assert!(has_nul_escape(br#"{"name":"\\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"name":"\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"name":"\u0001 \u0010"}"#));
        assert!(!has_nul_escape(br#"{"name":"u0000 \n"}"#));
        assert!(!has_nul_escape(b"\\"));
    }

    /// Every variant, once. Adding a variant fails to compile in [`listed`] until it is
    /// listed here (and so rendered by the test below in every locale).
    fn every_variant() -> Vec<ApiError> {
        vec![
            ApiError::BadRequest(msg!("err-field-length", field = "number", max = 64)),
            ApiError::Unauthorized(msg!("err-auth-token-required")),
            ApiError::Forbidden(msg!("err-admin-only")),
            ApiError::NotFound(Thing::WorkOrder),
            ApiError::Conflict(msg!("err-job-closed")),
            ApiError::PayloadTooLarge(msg!("err-body-too-large")),
            ApiError::UnsupportedMediaType(msg!("err-json-content-type")),
            ApiError::TooManyRequests,
            ApiError::Throttled {
                retry_after_secs: 7,
            },
            ApiError::Busy {
                retry_after_secs: 0,
            },
            ApiError::HashMismatch(msg!("err-blob-hash-mismatch")),
            ApiError::Internal("disk on fire at /var/lib/x".into()),
        ]
    }

    /// No wildcard: a new variant is a compile error here.
    fn listed(e: &ApiError) -> bool {
        match e {
            ApiError::BadRequest(_)
            | ApiError::Unauthorized(_)
            | ApiError::Forbidden(_)
            | ApiError::NotFound(_)
            | ApiError::Conflict(_)
            | ApiError::PayloadTooLarge(_)
            | ApiError::UnsupportedMediaType(_)
            | ApiError::TooManyRequests
            | ApiError::Throttled { .. }
            | ApiError::Busy { .. }
            | ApiError::HashMismatch(_)
            | ApiError::Internal(_) => true,
        }
    }

    fn has_cjk(s: &str) -> bool {
        s.chars().any(fieldkit_core::i18n::is_cjk)
    }

    #[test]
    fn every_variant_is_written_in_every_locale() {
        let all = every_variant();
        let mut codes = std::collections::BTreeSet::new();
        for e in &all {
            assert!(listed(e));
            codes.insert(e.status_and_code().1);
            let zh = e.message(Locale::ZhCn);
            let en = e.message(Locale::En);
            assert!(
                !zh.starts_with("err-") && !en.starts_with("err-"),
                "{zh} / {en}"
            );
            assert!(has_cjk(&zh), "{e:?}: {zh}");
            assert!(!has_cjk(&en), "{e:?}: {en}");
            assert_ne!(zh, en);
            assert!(
                !zh.contains("{") && !en.contains("{"),
                "an argument is missing: {zh}"
            );
        }
        // Each variant once: twelve variants, eleven codes (throttled shares one).
        assert_eq!(all.len(), 12);
        assert_eq!(codes.len(), 11);
        // The internal detail is logged, never written.
        let internal = ApiError::Internal("disk on fire at /var/lib/x".into());
        assert!(!internal.message(Locale::En).contains("/var"));
        assert_eq!(internal.detail(), None);
        // Numbers are filled in; a wait of 0 s is said as 1 s, as `Retry-After` says.
        let busy = ApiError::Busy {
            retry_after_secs: 0,
        };
        assert!(
            busy.message(Locale::En).contains("1 s"),
            "{}",
            busy.message(Locale::En)
        );
        assert!(busy.message(Locale::ZhCn).contains("1 秒"));
    }

    #[test]
    fn every_missing_thing_is_written_in_every_locale() {
        let mut seen = std::collections::BTreeSet::new();
        for t in Thing::ALL {
            assert!(seen.insert(t.id()), "{t:?} shares its id");
            let zh = ApiError::NotFound(t).message(Locale::ZhCn);
            let en = ApiError::NotFound(t).message(Locale::En);
            assert!(has_cjk(&zh) && !has_cjk(&en), "{zh} / {en}");
            assert!(en.ends_with("not found"), "{en}");
        }
    }

    /// Every `"err-…"` id the server's code names is in every locale (the source is scanned,
    /// as `i18n` scans `t!(…)`), and every `err-…` message of the catalogue is named by the
    /// code (none left over).
    #[test]
    fn every_error_id_in_the_code_is_in_the_catalogue_and_back() {
        let mut named = std::collections::BTreeSet::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    for (i, _) in text.match_indices("\"err-") {
                        let rest = &text[i + 1..];
                        let end = rest.find('"').unwrap_or(0);
                        let id = &rest[..end];
                        if id
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                            && !id.ends_with('-')
                        {
                            named.insert(id.to_owned());
                        }
                    }
                }
            }
        }
        named.remove("err-id"); // the macro's documentation
        assert!(named.len() > 100, "the scan is broken: {}", named.len());
        let mut missing = Vec::new();
        for id in &named {
            for l in Locale::ALL {
                if !i18n::CATALOGUE.has(l, id) {
                    missing.push(format!("{l}: {id}"));
                }
            }
        }
        assert!(missing.is_empty(), "{missing:#?}");
        let unused: Vec<&str> = i18n::CATALOGUE
            .ids(Locale::En)
            .filter(|id| id.starts_with("err-") && !named.contains(*id))
            .collect();
        assert!(unused.is_empty(), "{unused:#?}");
    }

    /// The Chinese messages have no English words but field names, codes and headers in
    /// backticks and a few technical names; the English ones no Chinese.
    #[test]
    fn chinese_error_messages_have_no_english_words() {
        for id in i18n::CATALOGUE
            .ids(Locale::ZhCn)
            .filter(|i| i.starts_with("err-"))
        {
            let zh = i18n::CATALOGUE.format(Locale::ZhCn, id, None);
            let words = fieldkit_core::i18n::scan::english_words(&zh);
            assert!(words.is_empty(), "{id}: {zh}: {words:?}");
            let en = i18n::CATALOGUE.format(Locale::En, id, None);
            assert!(!has_cjk(&en), "{id}: {en}");
        }
    }

    #[test]
    fn bare_statuses_are_written_in_every_locale() {
        for status in [
            400u16, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503, 418,
        ] {
            let status = StatusCode::from_u16(status).unwrap();
            let zh = status_body(status, Locale::ZhCn);
            let en = status_body(status, Locale::En);
            assert_eq!(zh.code, en.code);
            assert!(has_cjk(&zh.message), "{status}: {}", zh.message);
            assert!(!has_cjk(&en.message), "{status}: {}", en.message);
        }
    }

    #[test]
    fn axum_preambles_are_cut_from_details() {
        assert_eq!(
            rejection_detail(
                "Failed to deserialize the JSON body into the target type: missing field `x` at line 1 column 2".into()
            ),
            "missing field `x` at line 1 column 2"
        );
        assert_eq!(rejection_detail("as is".into()), "as is");
        assert_eq!(
            rejection_detail(
                r#"invalid type: string "张三 \"x\" 138", expected u32 at line 1"#.into()
            ),
            r#"invalid type: string "…", expected u32 at line 1"#
        );
        assert_eq!(without_quoted_values(r#"cut "off"#), r#"cut "…"#);
    }

    #[test]
    fn json_content_types() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(CONTENT_TYPE, axum::http::HeaderValue::from_static(v));
            json_content_type(&h)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/json"));
        assert!(!with("application/jsonx"));
        assert!(!json_content_type(&HeaderMap::new()));
    }
}
