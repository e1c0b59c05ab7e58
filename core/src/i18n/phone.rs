//! The phone's catalogue: every refusal, blocker and error text the core shows a technician
//! (Fluent files under `core/locales/`, compiled in), and [`word`], which turns the core's
//! fixed English words (an action, a state, a field) into the reader's language.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU8, Ordering};

use super::{Catalogue, FluentArgs, Locale, Source};

/// Every `.ftl` file of the phone's catalogue, per locale.
const SOURCES: &[Source] = &[
    (
        Locale::ZhCn,
        "phone.ftl",
        include_str!("../../locales/zh-CN/phone.ftl"),
    ),
    (
        Locale::En,
        "phone.ftl",
        include_str!("../../locales/en/phone.ftl"),
    ),
    (
        Locale::ZhCn,
        "checklist.ftl",
        include_str!("../../locales/zh-CN/checklist.ftl"),
    ),
    (
        Locale::En,
        "checklist.ftl",
        include_str!("../../locales/en/checklist.ftl"),
    ),
    (
        Locale::ZhCn,
        "workflow.ftl",
        include_str!("../../locales/zh-CN/workflow.ftl"),
    ),
    (
        Locale::En,
        "workflow.ftl",
        include_str!("../../locales/en/workflow.ftl"),
    ),
    (
        Locale::ZhCn,
        "invalid.ftl",
        include_str!("../../locales/zh-CN/invalid.ftl"),
    ),
    (
        Locale::En,
        "invalid.ftl",
        include_str!("../../locales/en/invalid.ftl"),
    ),
    (
        Locale::ZhCn,
        "judge.ftl",
        include_str!("../../locales/zh-CN/judge.ftl"),
    ),
    (
        Locale::En,
        "judge.ftl",
        include_str!("../../locales/en/judge.ftl"),
    ),
];

static PHONE: LazyLock<Catalogue> = LazyLock::new(|| Catalogue::new(SOURCES));

/// The phone's catalogue (the core's texts for the technician), built on first use.
pub fn phone() -> &'static Catalogue {
    &PHONE
}

/// `ptr!(locale, "id", name = value, …)`: a message of the phone's catalogue.
#[macro_export]
macro_rules! ptr {
    ($locale:expr, $($rest:tt)+) => {
        $crate::tr!($crate::i18n::phone(), $locale, $($rest)+)
    };
}

/// The message id of one of the core's fixed English words: `prefix` and the word in
/// lowercase with dashes (`word_id("wf-state-", "awaiting_return")` =
/// `wf-state-awaiting-return`).
pub fn word_id(prefix: &str, english: &str) -> String {
    let mut id = String::from(prefix);
    let mut dash = prefix.is_empty() || prefix.ends_with('-');
    for c in english.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
            dash = false;
        } else if !dash {
            id.push('-');
            dash = true;
        }
    }
    while id.ends_with('-') && id.len() > prefix.len() {
        id.pop();
    }
    id
}

/// One of the core's fixed English words (an action, a state, a field name, a reason) in
/// `locale`: the message `word_id(prefix, english)`; else, for words with numbers in them
/// ("longer than 2000 characters"), the message with each number written `n`
/// (`invalid-longer-than-n-characters`), the numbers given as `$n1`, `$n2`…; else the
/// English word itself (a word added to the code later shows in English, never an id).
pub fn word(locale: Locale, prefix: &str, english: &str) -> String {
    let id = word_id(prefix, english);
    if phone().has(locale, &id) {
        return phone().format(locale, &id, None);
    }
    let (shape, numbers) = numbers_out(english);
    if !numbers.is_empty() {
        let id = word_id(prefix, &shape);
        if phone().has(locale, &id) {
            let mut args = FluentArgs::new();
            for (i, n) in numbers.into_iter().enumerate() {
                args.set(format!("n{}", i + 1), n);
            }
            return phone().format(locale, &id, Some(&args));
        }
    }
    english.to_owned()
}

/// `english` with each run of digits written `n`, and the runs in order.
fn numbers_out(english: &str) -> (String, Vec<String>) {
    let mut shape = String::new();
    let mut numbers: Vec<String> = Vec::new();
    let mut in_number = false;
    for c in english.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                shape.push('n');
                numbers.push(String::new());
                in_number = true;
            }
            if let Some(n) = numbers.last_mut() {
                n.push(c);
            }
        } else {
            shape.push(c);
            in_number = false;
        }
    }
    (shape, numbers)
}

/// A locale that can be read and changed from any thread (a device's language, switched at
/// run time when the technician changes the phone's language).
#[derive(Debug, Default)]
pub struct SharedLocale(AtomicU8);

impl SharedLocale {
    /// Holds `locale`.
    pub const fn new(locale: Locale) -> SharedLocale {
        SharedLocale(AtomicU8::new(locale as u8))
    }

    /// The locale held now.
    pub fn get(&self) -> Locale {
        match self.0.load(Ordering::Relaxed) {
            x if x == Locale::En as u8 => Locale::En,
            _ => Locale::ZhCn,
        }
    }

    /// Holds `locale` from now on.
    pub fn set(&self, locale: Locale) {
        self.0.store(locale as u8, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
