//! The message ids of the dashboard's at risk texts (`sync-server/locales/*/desk-pages.ftl`); a page writes one with `t!(locale, id)`.

pub const TITLE: &str = "at-risk-title";
pub const VERSION: &str = "at-risk-version";
pub const COLUMNS: [&str; 6] = [
    "at-risk-columns-1",
    "at-risk-columns-2",
    "at-risk-columns-3",
    "at-risk-columns-4",
    "at-risk-columns-5",
    "at-risk-columns-6",
];
pub const NONE: &str = "at-risk-none";
pub const UNASSIGNED: &str = "at-risk-unassigned";
pub const WARNING: &str = "at-risk-warning";
pub const BREACH: &str = "at-risk-breach";
pub const NOT_CONTACTED: &str = "at-risk-not-contacted";
pub const DELAY_NOTICE: &str = "at-risk-delay-notice";
pub const ETA_PAST_WINDOW: &str = "at-risk-eta-past-window";
pub const ARRIVAL: &str = "at-risk-arrival";
pub const REPAIR: &str = "at-risk-repair";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_in_the_catalogue_in_every_locale() {
        let all: &[&[&str]] = &[
            &[TITLE],
            &[VERSION],
            &COLUMNS,
            &[NONE],
            &[UNASSIGNED],
            &[WARNING],
            &[BREACH],
            &[NOT_CONTACTED],
            &[DELAY_NOTICE],
            &[ETA_PAST_WINDOW],
            &[ARRIVAL],
            &[REPAIR],
        ];
        for id in all.iter().flat_map(|ids| ids.iter()) {
            for l in crate::i18n::Locale::ALL {
                assert!(crate::i18n::CATALOGUE.has(l, id), "{l}: {id}");
            }
        }
    }
}
