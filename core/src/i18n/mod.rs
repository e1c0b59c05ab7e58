//! Owns the languages FieldKit speaks: [`Locale`] (zh-CN first, en), the message
//! [`Catalogue`]s built from Project Fluent files (`.ftl`), the [`tr!`](crate::tr) macro, and
//! dates, times, money and numbers written the way each locale reads them.
//!
//! Each crate keeps its own catalogue (the core's phone texts in `core/locales/`, the server's
//! in `sync-server/locales/`), built once from files compiled in. A message id missing in a
//! locale is a bug the catalogue's [`Catalogue::problems`] finds in tests; at run time it
//! shows the id, never panics.

mod format;
mod phone;
mod said;
pub mod scan;

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use fluent_bundle::FluentResource;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::types::FluentNumber;
pub use fluent_bundle::{FluentArgs, FluentValue};

pub use format::{Digits, date, date_time, money, money_as, number, time};
pub use phone::{SharedLocale, phone, word, word_id};
pub use said::{MAX_TEXT_ARG, Said, SaidArg, capped, join};

/// A language FieldKit speaks. Chinese is the default everywhere: technicians, dispatchers
/// and customers read Chinese.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Locale {
    /// Simplified Chinese, as written in mainland China (the default).
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Locale {
    /// Every locale, the default first.
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The BCP 47 tag: `zh-CN`, `en`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// The locale a tag names (`zh`, `zh-CN`, `zh-Hans-CN`, `zh_CN`, `en`, `en-GB`…, any
    /// case); none for a language FieldKit does not speak.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let lang = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match lang.as_str() {
            "zh" => Some(Locale::ZhCn),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The best locale for an `Accept-Language` header (`en-US,en;q=0.9,zh;q=0.8`): the
    /// highest-weighted language spoken here; Chinese when none is (or the header is
    /// malformed). Ties keep the header's order.
    pub fn negotiate(accept_language: &str) -> Locale {
        let mut best: Option<(u16, Locale)> = None;
        for item in accept_language.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let mut weight = 1000u16;
            for p in parts {
                if let Some(q) = p.trim().strip_prefix("q=") {
                    weight = q
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|q| (0.0..=1.0).contains(q))
                        .map_or(0, |q| (q * 1000.0).round() as u16);
                }
            }
            if weight == 0 {
                continue;
            }
            if let Some(l) = Locale::from_tag(tag)
                && best.is_none_or(|(w, _)| weight > w)
            {
                best = Some((weight, l));
            }
        }
        best.map_or_else(Locale::default, |(_, l)| l)
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// One `.ftl` file of a catalogue: its locale, a name for problems, its text.
pub type Source = (Locale, &'static str, &'static str);

/// A message catalogue: every locale's Fluent bundle, built from `.ftl` files.
pub struct Catalogue {
    bundles: Vec<(Locale, FluentBundle<FluentResource>)>,
    /// Problems found while building (a syntax error, an id defined twice): the catalogue
    /// still works, [`Catalogue::problems`] reports them.
    build_problems: Vec<String>,
    ids: Vec<(Locale, BTreeSet<String>)>,
}

impl Catalogue {
    /// Builds a catalogue from its files. Never fails: what cannot be read is left out and
    /// reported by [`Catalogue::problems`].
    pub fn new(sources: &[Source]) -> Catalogue {
        let mut build_problems = Vec::new();
        let mut bundles = Vec::new();
        let mut ids = Vec::new();
        for locale in Locale::ALL {
            let langid: unic_langid::LanguageIdentifier = locale.tag().parse().unwrap_or_default();
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // No Unicode isolation marks around placeables: the texts go into HTML, JSON and
            // PDF, where the marks would be stray characters.
            bundle.set_use_isolating(false);
            let mut seen = BTreeSet::new();
            for (l, name, text) in sources.iter().filter(|s| s.0 == locale) {
                let resource = match FluentResource::try_new((*text).to_owned()) {
                    Ok(r) => r,
                    Err((r, errors)) => {
                        for e in errors {
                            build_problems.push(format!("{l} {name}: syntax: {e:?}"));
                        }
                        r
                    }
                };
                for entry in resource.entries() {
                    if let fluent_syntax::ast::Entry::Message(m) = entry {
                        seen.insert(m.id.name.to_owned());
                    }
                }
                if let Err(errors) = bundle.add_resource(resource) {
                    for e in errors {
                        build_problems.push(format!("{l} {name}: {e}"));
                    }
                }
            }
            ids.push((locale, seen));
            bundles.push((locale, bundle));
        }
        Catalogue {
            bundles,
            build_problems,
            ids,
        }
    }

    fn bundle(&self, locale: Locale) -> Option<&FluentBundle<FluentResource>> {
        self.bundles
            .iter()
            .find(|(l, _)| *l == locale)
            .map(|(_, b)| b)
    }

    /// Whether `id` is a message of `locale`.
    pub fn has(&self, locale: Locale, id: &str) -> bool {
        self.bundle(locale).is_some_and(|b| b.has_message(id))
    }

    /// The message `id` in `locale`, its `{ $name }` placeables filled from `args` (the id
    /// itself when there is no such message: a bug the tests catch, never a panic).
    pub fn format(&self, locale: Locale, id: &str, args: Option<&FluentArgs>) -> String {
        self.format_attribute(locale, id, None, args)
    }

    /// The message `id`'s attribute `attr` (`id.attr` in the file), or its value when
    /// `attr` is none.
    pub fn format_attribute(
        &self,
        locale: Locale,
        id: &str,
        attr: Option<&str>,
        args: Option<&FluentArgs>,
    ) -> String {
        let Some(bundle) = self.bundle(locale) else {
            return id.to_owned();
        };
        let Some(message) = bundle.get_message(id) else {
            return id.to_owned();
        };
        let pattern = match attr {
            None => message.value(),
            Some(a) => message.get_attribute(a).map(|a| a.value()),
        };
        let Some(pattern) = pattern else {
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let text: Cow<str> = bundle.format_pattern(pattern, args, &mut errors);
        text.into_owned()
    }

    /// The ids of `locale`'s messages.
    pub fn ids(&self, locale: Locale) -> impl Iterator<Item = &str> {
        self.ids
            .iter()
            .filter(move |(l, _)| *l == locale)
            .flat_map(|(_, ids)| ids.iter().map(String::as_str))
    }

    /// What is wrong with the catalogue: files that do not parse, ids defined twice, ids one
    /// locale has and another lacks, Chinese messages with no Chinese in them (unless their
    /// id ends in `-code`, for texts that are codes or names in every language). Empty when
    /// all is well; tests assert so.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.build_problems.clone();
        let all: BTreeSet<&str> = Locale::ALL.iter().flat_map(|l| self.ids(*l)).collect();
        for locale in Locale::ALL {
            let have: BTreeSet<&str> = self.ids(locale).collect();
            for id in all.difference(&have) {
                problems.push(format!("{locale}: no message `{id}`"));
            }
        }
        for id in self.ids(Locale::ZhCn) {
            if id.ends_with("-code") {
                continue;
            }
            let text = self.format(Locale::ZhCn, id, Some(&placeholder_args()));
            if !text.chars().any(is_cjk) {
                problems.push(format!("zh-CN: `{id}` has no Chinese: {text:?}"));
            }
        }
        problems
    }
}

/// Arguments that fill any placeable with a neutral value (for checks of whole messages).
fn placeholder_args() -> FluentArgs<'static> {
    FluentArgs::new()
}

/// Whether `c` is a CJK ideograph or CJK punctuation (what tells a Chinese text).
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3000}'..='\u{303F}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}')
}

/// A number argument for [`FluentArgs`] (plural selection works on it).
pub fn num(n: impl Into<f64>) -> FluentValue<'static> {
    FluentValue::Number(FluentNumber::from(n.into()))
}

/// `tr!(catalogue, locale, "id")` or `tr!(catalogue, locale, "id", name = value, …)`: the
/// message in `locale`, its placeables filled. Values are anything `FluentValue` takes
/// (strings, numbers); `catalogue` is a `&Catalogue`.
#[macro_export]
macro_rules! tr {
    ($cat:expr, $locale:expr, $id:expr) => {
        $crate::i18n::Catalogue::format($cat, $locale, $id, None)
    };
    ($cat:expr, $locale:expr, $id:expr, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut args = $crate::i18n::FluentArgs::new();
        $( args.set(stringify!($name), $value); )+
        $crate::i18n::Catalogue::format($cat, $locale, $id, Some(&args))
    }};
}

#[cfg(test)]
mod tests;
