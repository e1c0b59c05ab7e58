//! The message ids of the dashboard's callbacks texts (`sync-server/locales/*/desk-pages.ftl`); a page writes one with `t!(locale, id)`.

use crate::callbacks::Reason;
use crate::desk::callbacks::CallbackStatus;

pub const TITLE: &str = "callbacks-title";
pub const RULE: &str = "callbacks-rule";
pub const PICKED: &str = "callbacks-picked";
pub const DONE: &str = "callbacks-done";
pub const UNREACHABLE: &str = "callbacks-unreachable";
pub const OVERDUE: &str = "callbacks-overdue";
pub const CALLBACK_RATING: &str = "callbacks-callback-rating";
pub const DEVICE_RATING: &str = "callbacks-device-rating";
pub const PROBLEMS: &str = "callbacks-problems";
pub const NONE: &str = "callbacks-none";
pub const COLUMNS: [&str; 7] = [
    "callbacks-columns-1",
    "callbacks-columns-2",
    "callbacks-columns-3",
    "callbacks-columns-4",
    "callbacks-columns-5",
    "callbacks-columns-6",
    "callbacks-columns-7",
];
pub const REACHED: &str = "callbacks-reached";
pub const NOT_REACHED: &str = "callbacks-not-reached";
pub const REACHED_BAD: &str = "callbacks-reached-bad";
pub const RATING: &str = "callbacks-rating";
pub const RATING_BAD: &str = "callbacks-rating-bad";
pub const PROBLEM: &str = "callbacks-problem";
pub const PROBLEM_BAD: &str = "callbacks-problem-bad";
pub const NO_PROBLEM: &str = "callbacks-no-problem";
pub const REPAIR: &str = "callbacks-repair";
pub const COMPLAINT: &str = "callbacks-complaint";
pub const COMPLAINT_CATEGORY: &str = "callbacks-complaint-category";
pub const NOTE: &str = "callbacks-note";
pub const RECORD: &str = "callbacks-record";
pub const REPAIR_JOB: &str = "callbacks-repair-job";
pub const COMPLAINT_LINK: &str = "callbacks-complaint-link";
pub const RULES: &str = "callbacks-rules";
pub const EVERY_INSTALLATION: &str = "callbacks-every-installation";
pub const EVERY_COMPLAINT: &str = "callbacks-every-complaint";
pub const SAMPLE: &str = "callbacks-sample";
pub const WITHIN: &str = "callbacks-within";
pub const SEED: &str = "callbacks-seed";
pub const SAVE: &str = "callbacks-save";
pub const NUMBER_BAD: &str = "callbacks-number-bad";

pub fn status(s: CallbackStatus) -> &'static str {
    match s {
        CallbackStatus::Due => "callbacks-status-due",
        CallbackStatus::Overdue => "callbacks-status-overdue",
        CallbackStatus::Done => "callbacks-status-done",
        CallbackStatus::Unreachable => "callbacks-status-unreachable",
    }
}

pub fn reason(r: Reason) -> &'static str {
    match r {
        Reason::Installation => "callbacks-reason-installation",
        Reason::Complaint => "callbacks-reason-complaint",
        Reason::Sample => "callbacks-reason-sample",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_in_the_catalogue_in_every_locale() {
        let all: &[&[&str]] = &[
            &[TITLE],
            &[RULE],
            &[PICKED],
            &[DONE],
            &[UNREACHABLE],
            &[OVERDUE],
            &[CALLBACK_RATING],
            &[DEVICE_RATING],
            &[PROBLEMS],
            &[NONE],
            &COLUMNS,
            &[REACHED],
            &[NOT_REACHED],
            &[REACHED_BAD],
            &[RATING],
            &[RATING_BAD],
            &[PROBLEM],
            &[PROBLEM_BAD],
            &[NO_PROBLEM],
            &[REPAIR],
            &[COMPLAINT],
            &[COMPLAINT_CATEGORY],
            &[NOTE],
            &[RECORD],
            &[REPAIR_JOB],
            &[COMPLAINT_LINK],
            &[RULES],
            &[EVERY_INSTALLATION],
            &[EVERY_COMPLAINT],
            &[SAMPLE],
            &[WITHIN],
            &[SEED],
            &[SAVE],
            &[NUMBER_BAD],
            &[
                status(CallbackStatus::Due),
                status(CallbackStatus::Overdue),
                status(CallbackStatus::Done),
                status(CallbackStatus::Unreachable),
            ],
            &[
                reason(Reason::Installation),
                reason(Reason::Complaint),
                reason(Reason::Sample),
            ],
        ];
        for id in all.iter().flat_map(|ids| ids.iter()) {
            for l in crate::i18n::Locale::ALL {
                assert!(crate::i18n::CATALOGUE.has(l, id), "{l}: {id}");
            }
        }
    }
}
