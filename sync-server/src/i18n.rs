//! Which language a request reads, and the server's message catalogue (Fluent files under
//! `sync-server/locales/`, compiled in). Chinese unless the request asks otherwise: a
//! `lang` query parameter, then the `fk_lang` cookie (the dispatcher's choice, set by
//! `/lang`), then `Accept-Language`.
//!
//! Texts are written with [`t!`](crate::t): `t!(locale, "board-title")`,
//! `t!(locale, "jobs-count", n = num(3))`.

use std::sync::LazyLock;

use axum::extract::{FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::header::{ACCEPT_LANGUAGE, CONTENT_LANGUAGE, HeaderValue, VARY};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use fieldkit_core::i18n::Source;
pub use fieldkit_core::i18n::{Catalogue, FluentArgs, Locale, is_cjk, num};

/// The cookie that holds a dispatcher's chosen language (`zh-CN` or `en`).
pub const LANG_COOKIE: &str = "fk_lang";

/// Both locales' copies of one `.ftl` file under `locales/{zh-CN,en}/`, compiled in.
macro_rules! ftl {
    ($name:literal) => {
        [
            (
                Locale::ZhCn,
                $name,
                include_str!(concat!("../locales/zh-CN/", $name)),
            ),
            (
                Locale::En,
                $name,
                include_str!(concat!("../locales/en/", $name)),
            ),
        ]
    };
}

/// Every `.ftl` file of the server (a test checks none under `locales/` is left out).
const FILES: &[[Source; 2]] = &[
    ftl!("common.ftl"),
    ftl!("desk-pages.ftl"),
    ftl!("verify.ftl"),
    ftl!("desk.ftl"),
    ftl!("errors.ftl"),
    ftl!("errors-admin.ftl"),
    ftl!("dashboard.ftl"),
    ftl!("board.ftl"),
    ftl!("job.ftl"),
    ftl!("admin.ftl"),
    ftl!("tools.ftl"),
    ftl!("stored.ftl"),
];

/// The server's catalogue, built on first use.
pub static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| Catalogue::new(&FILES.concat()));

/// `t!(locale, "id")`, `t!(locale, "id", name = value, …)`: a message of the server's
/// catalogue in `locale`.
#[macro_export]
macro_rules! t {
    ($locale:expr, $($rest:tt)+) => {
        fieldkit_core::tr!(&*$crate::i18n::CATALOGUE, $locale, $($rest)+)
    };
}

/// The language of a request: `lang=` in the query, the `fk_lang` cookie, `Accept-Language`,
/// else Chinese. A tag FieldKit does not speak is passed over, not an error.
pub fn request_locale(headers: &HeaderMap, query: Option<&str>) -> Locale {
    let from_query = query.and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| Locale::from_tag(v))
    });
    from_query
        .or_else(|| crate::net::cookie_value(headers, LANG_COOKIE).and_then(Locale::from_tag))
        .unwrap_or_else(|| {
            headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map_or_else(Locale::default, Locale::negotiate)
        })
}

tokio::task_local! {
    static LOCALE: Locale;
}

/// The language of the request being served (set by [`scope`] for every request; Chinese
/// outside one). What renders a text for a reader (an error body, an error page) asks here,
/// so an error made deep in a handler is written in the reader's language.
pub fn current() -> Locale {
    LOCALE.try_with(|l| *l).unwrap_or_default()
}

/// The layer that sets [`current`] for a request, and says which language the response is
/// in (`Content-Language`; `Vary` on what chose it).
pub async fn scope(req: Request, next: Next) -> Response {
    let locale = request_locale(req.headers(), req.uri().query());
    let mut res = LOCALE.scope(locale, next.run(req)).await;
    let h = res.headers_mut();
    h.insert(CONTENT_LANGUAGE, HeaderValue::from_static(locale.tag()));
    h.append(VARY, HeaderValue::from_static("accept-language, cookie"));
    res
}

/// The request's language as an extractor (never rejects).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lang(pub Locale);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang(request_locale(&parts.headers, parts.uri.query())))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use axum::http::header::COOKIE;

    use fieldkit_core::i18n::scan::{macro_ids, rust_files};

    use super::*;

    #[test]
    fn every_file_under_locales_is_compiled_in() {
        for l in Locale::ALL {
            let dir = format!("{}/locales/{}", env!("CARGO_MANIFEST_DIR"), l.tag());
            for e in std::fs::read_dir(&dir).unwrap() {
                let name = e.unwrap().file_name().into_string().unwrap();
                assert!(
                    FILES.iter().any(|f| f[0].1 == name),
                    "{dir}/{name} is not in i18n::FILES"
                );
            }
        }
    }

    #[test]
    fn the_catalogue_has_every_message_in_every_locale_and_chinese_in_chinese() {
        let problems = CATALOGUE.problems();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// Every id the code asks for (`t!(locale, "id"…)`) is in the catalogue: a typo fails here,
    /// not on a page.
    #[test]
    fn every_message_the_code_names_exists() {
        let mut missing = Vec::new();
        let mut named = 0;
        for file in rust_files(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))) {
            if file.ends_with("i18n.rs") {
                continue; // its docs and tests show made-up ids
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for id in macro_ids(&text, "t!(") {
                named += 1;
                for l in Locale::ALL {
                    if !CATALOGUE.has(l, &id) {
                        missing.push(format!("{}: {l}: {id}", file.display()));
                    }
                }
            }
        }
        assert!(named > 0, "no t!(…) found: the scan is broken");
        assert!(missing.is_empty(), "{missing:#?}");
    }

    #[test]
    fn the_query_then_the_cookie_then_accept_language_choose_the_language() {
        let mut h = HeaderMap::new();
        assert_eq!(request_locale(&h, None), Locale::ZhCn);
        h.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en-US,en;q=0.9"));
        assert_eq!(request_locale(&h, None), Locale::En);
        h.insert(COOKIE, HeaderValue::from_static("a=b; fk_lang=zh-CN"));
        assert_eq!(request_locale(&h, None), Locale::ZhCn);
        assert_eq!(request_locale(&h, Some("x=1&lang=en")), Locale::En);
        // A language not spoken here is passed over.
        assert_eq!(request_locale(&h, Some("lang=fr")), Locale::ZhCn);
        h.insert(COOKIE, HeaderValue::from_static("fk_lang=klingon"));
        assert_eq!(request_locale(&h, None), Locale::En);
    }
}
