//! Test support shared by the crates that keep a catalogue: finds the message ids their code
//! names, so a test can check each exists in every locale (a typo fails a test, not a
//! screen); and finds the English words left in a Chinese text.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir` (recursively); empty when `dir` cannot be read.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Whether `s` looks like a message id: lowercase letters, digits and dashes.
fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The first string literal of each call of the macro `name` (`"t!("`, `"tr!("`: a call not
/// preceded by an identifier character), when it is an id (lowercase, digits, dashes).
/// `tr!(cat, l, label)` (no literal before the call's first `)`) is passed over.
pub fn macro_ids(text: &str, name: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let mut end = (from + 300).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let rest = &text[from..end];
        let Some(q) = rest.find('"') else { continue };
        if rest[..q].contains(')') {
            continue; // the id is not a literal
        }
        let Some(len) = rest[q + 1..].find('"') else {
            continue;
        };
        let id = &rest[q + 1..q + 1 + len];
        if is_id(id) {
            ids.push(id.to_owned());
        }
    }
    ids
}

/// Every string literal in `text` that is an id starting with one of `prefixes` (for ids
/// kept in tables or passed along before they are formatted); a prefix itself (ending in a
/// dash) is not an id.
pub fn prefixed_ids(text: &str, prefixes: &[&str]) -> Vec<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| is_id(s) && !s.ends_with('-'))
        .filter(|s| {
            prefixes
                .iter()
                .any(|p| s.starts_with(p) && s.len() > p.len())
        })
        .map(str::to_owned)
        .collect()
}

/// Technical names that stay as they are in a Chinese text (a hash's name, a format, a
/// character's name, a protocol, a standard, a date pattern, a product name).
pub const KEPT_NAMES: &[&str] = &[
    "SHA", "JSON", "NUL", "HTTP", "RFC", "YYYY", "Webhook", "http", "https",
];

/// The English words in a Chinese text: runs of three or more ASCII letters outside backticks
/// (field names, headers, codes) and outside `{…}` (an unformatted placeable), less
/// [`KEPT_NAMES`].
pub fn english_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_code = false;
    let mut depth = 0usize;
    let mut word = String::new();
    for c in s.chars().chain([' ']) {
        match c {
            '`' => in_code = !in_code,
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c.is_ascii_alphabetic() && !in_code && depth == 0 {
            word.push(c);
            continue;
        }
        if word.len() >= 3 && !KEPT_NAMES.contains(&word.as_str()) {
            out.push(word.clone());
        }
        word.clear();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_scan_finds_calls_and_skips_lookalikes() {
        let src = "t!(l, \"board-title\"); assert!(x, \"no\"); crate::t!(\n  l,\n  \"a-b\", n = 1) \
                   t!(l, label)) { \"x-y\" }";
        assert_eq!(macro_ids(src, "t!("), vec!["board-title", "a-b"]);
        assert_eq!(
            macro_ids("ptr!(l, \"err-x\")", "tr!("),
            Vec::<String>::new()
        );
        assert_eq!(macro_ids("ptr!(l, \"err-x\")", "ptr!("), vec!["err-x"]);
    }

    #[test]
    fn prefixed_literals_are_found() {
        let src =
            r#"let a = "wf-hint-x"; let b = "wf-"; let c = "other-y"; f("Wf-z", "wf-state-")"#;
        assert_eq!(prefixed_ids(src, &["wf-"]), vec!["wf-hint-x"]);
    }

    #[test]
    fn the_word_check_finds_english_and_spares_code() {
        assert_eq!(
            english_words("`limit` 应在 1 到 1000 之间。"),
            Vec::<String>::new()
        );
        assert_eq!(english_words("找不到 work order。"), vec!["work", "order"]);
        assert_eq!(english_words("SHA-256 与 JSON"), Vec::<String>::new());
        assert_eq!(english_words("ab 是两个字母"), Vec::<String>::new());
        assert_eq!(english_words("{ $limit } 条以内"), Vec::<String>::new());
        // A stray closing brace does not hide what follows it.
        assert_eq!(english_words("} 找不到 order"), vec!["order"]);
    }
}
