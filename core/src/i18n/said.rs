//! [`Said`]: a sentence of the phone's catalogue kept as its message id and typed arguments
//! instead of words, so whoever stores it (the server: a completion's hold reasons, a flag, a
//! refused op) shows it later in the reader's language. The core's refusals, blockers and
//! judge problems build one ([`Said::render`] is then their words in a locale).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{FluentArgs, FluentValue, Locale, num, phone, word};

/// The longest text argument kept (in characters): the arguments come from devices (a step
/// id, a part's SKU), so a stored sentence stays short whatever a device sends.
pub const MAX_TEXT_ARG: usize = 80;

/// A message of the phone's catalogue and its arguments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Said {
    /// The message id (`wf-refused`, `block-unanswered`…).
    pub id: String,
    /// Its placeables by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, SaidArg>,
}

/// One argument of a [`Said`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SaidArg {
    /// A whole number (plural selection works on it).
    Int(i64),
    /// Text shown as it is (an id, a step, a SKU; never customer data).
    Text(String),
    /// One of the core's fixed English words, shown through [`word`]: `prefix` + the word.
    Word { prefix: String, word: String },
    /// A label the desk wrote in both languages (a template step's label).
    Label { zh_cn: String, en: String },
    /// A sentence inside the sentence.
    Said(Box<Said>),
    /// Sentences one after the other (a Chinese list runs on, an English one is spaced).
    List(Vec<Said>),
}

/// Cuts `s` to [`MAX_TEXT_ARG`] characters.
pub fn capped(s: &str) -> String {
    match s.char_indices().nth(MAX_TEXT_ARG) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

impl Said {
    /// The message `id` with no arguments.
    pub fn new(id: &str) -> Said {
        Said {
            id: id.to_owned(),
            args: BTreeMap::new(),
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, name: &str, value: impl Into<SaidArg>) -> Said {
        let value = match value.into() {
            SaidArg::Text(t) => SaidArg::Text(capped(&t)),
            v => v,
        };
        self.args.insert(name.to_owned(), value);
        self
    }

    /// Adds a fixed English word shown through [`word`] (`prefix` + the word).
    pub fn word(self, name: &str, prefix: &str, english: &str) -> Said {
        self.arg(
            name,
            SaidArg::Word {
                prefix: prefix.to_owned(),
                word: english.chars().take(4 * MAX_TEXT_ARG).collect(),
            },
        )
    }

    /// The sentence in `locale` (an id the catalogue lacks shows as the id, never a panic).
    pub fn render(&self, locale: Locale) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in &self.args {
            let v: FluentValue<'static> = match value {
                SaidArg::Int(n) => num(*n as f64),
                SaidArg::Text(t) => t.clone().into(),
                SaidArg::Word { prefix, word: w } => word(locale, prefix, w).into(),
                SaidArg::Label { zh_cn, en } => match locale {
                    Locale::ZhCn => zh_cn.clone().into(),
                    Locale::En => en.clone().into(),
                },
                SaidArg::Said(s) => s.render(locale).into(),
                SaidArg::List(l) => join(l.iter().map(|s| s.render(locale)), locale).into(),
            };
            args.set(name.clone(), v);
        }
        phone().format(locale, &self.id, Some(&args))
    }

    /// Every message id this sentence uses (its own and those of sentences inside it).
    pub fn ids(&self) -> Vec<&str> {
        let mut out = vec![self.id.as_str()];
        for v in self.args.values() {
            match v {
                SaidArg::Said(s) => out.extend(s.ids()),
                SaidArg::List(l) => out.extend(l.iter().flat_map(Said::ids)),
                _ => {}
            }
        }
        out
    }
}

/// Sentences one after the other: run on in Chinese, spaced in English.
pub fn join(sentences: impl Iterator<Item = String>, locale: Locale) -> String {
    let sep = match locale {
        Locale::ZhCn => "",
        Locale::En => " ",
    };
    sentences.collect::<Vec<_>>().join(sep)
}

impl From<i64> for SaidArg {
    fn from(n: i64) -> Self {
        SaidArg::Int(n)
    }
}

impl From<u32> for SaidArg {
    fn from(n: u32) -> Self {
        SaidArg::Int(i64::from(n))
    }
}

impl From<usize> for SaidArg {
    fn from(n: usize) -> Self {
        SaidArg::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<&str> for SaidArg {
    fn from(s: &str) -> Self {
        SaidArg::Text(s.to_owned())
    }
}

impl From<String> for SaidArg {
    fn from(s: String) -> Self {
        SaidArg::Text(s)
    }
}

impl From<Said> for SaidArg {
    fn from(s: Said) -> Self {
        SaidArg::Said(Box::new(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_in_each_locale_and_round_trips_as_json() {
        let s = Said::new("block-loaner-out")
            .arg(
                "name",
                SaidArg::Label {
                    zh_cn: "备用机".into(),
                    en: "loaner".into(),
                },
            )
            .arg("count", 2u32);
        let json = serde_json::to_string(&s).unwrap();
        let back: Said = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let zh = s.render(Locale::ZhCn);
        let en = s.render(Locale::En);
        assert!(zh.contains("备用机") && zh.contains('2'), "{zh}");
        assert!(en.contains("loaner") && en.contains('2'), "{en}");
        assert_ne!(zh, en);
    }

    #[test]
    fn text_arguments_are_capped() {
        let long = "x".repeat(10_000);
        let s = Said::new("block-unanswered").arg("name", long.as_str());
        match &s.args["name"] {
            SaidArg::Text(t) => assert!(t.chars().count() <= MAX_TEXT_ARG + 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unknown_id_shows_the_id() {
        assert_eq!(Said::new("no-such-id").render(Locale::En), "no-such-id");
    }
}
