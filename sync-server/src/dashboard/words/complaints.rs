//! The message ids of the dashboard's complaints texts (`sync-server/locales/*/desk-pages.ftl`); a page writes one with `t!(locale, id)`.

use crate::complaints::{Category, Channel, Opinion, Responsible};
use crate::desk::complaints::QueueStatus;

pub const TITLE: &str = "complaints-title";
pub const ONE: &str = "complaints-one";
pub const RULE: &str = "complaints-rule";
pub const INTAKE: &str = "complaints-intake";
pub const CHANNEL: &str = "complaints-channel";
pub const CATEGORY: &str = "complaints-category";
pub const JOB_NUMBER: &str = "complaints-job-number";
pub const SUMMARY: &str = "complaints-summary";
pub const TAKE_IN: &str = "complaints-take-in";
pub const NO_SUCH_JOB: &str = "complaints-no-such-job";
pub const QUEUE: &str = "complaints-queue";
pub const RECEIVED: &str = "complaints-received";
pub const OVERDUE_COUNT: &str = "complaints-overdue-count";
pub const IN_TIME: &str = "complaints-in-time";
pub const SATISFIED: &str = "complaints-satisfied";
pub const ESTIMATED: &str = "complaints-estimated";
pub const NONE: &str = "complaints-none";
pub const COLUMNS: [&str; 6] = [
    "complaints-columns-1",
    "complaints-columns-2",
    "complaints-columns-3",
    "complaints-columns-4",
    "complaints-columns-5",
    "complaints-columns-6",
];
pub const CALENDAR: &str = "complaints-calendar";
pub const BUILT_IN: &str = "complaints-built-in";
pub const FROM_DESK: &str = "complaints-from-desk";
pub const MISSING_YEAR: &str = "complaints-missing-year";
pub const CALENDAR_JSON: &str = "complaints-calendar-json";
pub const CALENDAR_NOT_JSON: &str = "complaints-calendar-not-json";
pub const UPLOAD: &str = "complaints-upload";
pub const RECEIVED_AT: &str = "complaints-received-at";
pub const ASSESS: &str = "complaints-assess";
pub const VALID: &str = "complaints-valid";
pub const INVALID: &str = "complaints-invalid";
pub const VALID_BAD: &str = "complaints-valid-bad";
pub const CAUSE: &str = "complaints-cause";
pub const RESPONSIBLE: &str = "complaints-responsible";
pub const TECHNICIAN: &str = "complaints-technician";
pub const EXTEND: &str = "complaints-extend";
pub const UNTIL: &str = "complaints-until";
pub const REASON: &str = "complaints-reason";
pub const RESOLVE: &str = "complaints-resolve";
pub const RESOLUTION: &str = "complaints-resolution";
pub const REPORT: &str = "complaints-report";
pub const OPINION: &str = "complaints-opinion";
pub const NOTE: &str = "complaints-note";
pub const EARLIER: &str = "complaints-earlier";
pub const RECORD: &str = "complaints-record";
pub const BACK: &str = "complaints-back";
pub const NOT_FOUND: &str = "complaints-not-found";

pub fn status(s: QueueStatus) -> &'static str {
    match s {
        QueueStatus::Due => "complaints-status-due",
        QueueStatus::Overdue => "complaints-status-overdue",
        QueueStatus::Handled => "complaints-status-handled",
        QueueStatus::Closed => "complaints-status-closed",
    }
}

pub fn channel(c: Channel) -> &'static str {
    match c {
        Channel::Phone => "complaints-channel-phone",
        Channel::Letter => "complaints-channel-letter",
        Channel::Visit => "complaints-channel-visit",
        Channel::Online => "complaints-channel-online",
        Channel::Device => "complaints-channel-device",
        Channel::Callback => "complaints-channel-callback",
    }
}

pub fn category(c: Category) -> &'static str {
    match c {
        Category::ProductQuality => "complaints-category-product-quality",
        Category::ServiceQuality => "complaints-category-service-quality",
        Category::Attitude => "complaints-category-attitude",
        Category::Timeliness => "complaints-category-timeliness",
        Category::Charges => "complaints-category-charges",
        Category::Damage => "complaints-category-damage",
        Category::Other => "complaints-category-other",
    }
}

/// The form value of a responsible party (its serde name).
pub fn responsible_value(r: Responsible) -> &'static str {
    match r {
        Responsible::Technician => "technician",
        Responsible::Desk => "desk",
        Responsible::Product => "product",
        Responsible::Logistics => "logistics",
        Responsible::None => "none",
    }
}

pub fn responsible(r: Responsible) -> &'static str {
    match r {
        Responsible::Technician => "complaints-responsible-technician",
        Responsible::Desk => "complaints-responsible-desk",
        Responsible::Product => "complaints-responsible-product",
        Responsible::Logistics => "complaints-responsible-logistics",
        Responsible::None => "complaints-responsible-none",
    }
}

/// The form value of an opinion (its serde name).
pub fn opinion_value(o: Opinion) -> &'static str {
    match o {
        Opinion::Satisfied => "satisfied",
        Opinion::Acceptable => "acceptable",
        Opinion::Dissatisfied => "dissatisfied",
        Opinion::Unreachable => "unreachable",
    }
}

pub fn opinion(o: Opinion) -> &'static str {
    match o {
        Opinion::Satisfied => "complaints-opinion-satisfied",
        Opinion::Acceptable => "complaints-opinion-acceptable",
        Opinion::Dissatisfied => "complaints-opinion-dissatisfied",
        Opinion::Unreachable => "complaints-opinion-unreachable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_is_in_the_catalogue_in_every_locale() {
        let all: &[&[&str]] = &[
            &[TITLE],
            &[ONE],
            &[RULE],
            &[INTAKE],
            &[CHANNEL],
            &[CATEGORY],
            &[JOB_NUMBER],
            &[SUMMARY],
            &[TAKE_IN],
            &[NO_SUCH_JOB],
            &[QUEUE],
            &[RECEIVED],
            &[OVERDUE_COUNT],
            &[IN_TIME],
            &[SATISFIED],
            &[ESTIMATED],
            &[NONE],
            &COLUMNS,
            &[CALENDAR],
            &[BUILT_IN],
            &[FROM_DESK],
            &[MISSING_YEAR],
            &[CALENDAR_JSON],
            &[CALENDAR_NOT_JSON],
            &[UPLOAD],
            &[RECEIVED_AT],
            &[ASSESS],
            &[VALID],
            &[INVALID],
            &[VALID_BAD],
            &[CAUSE],
            &[RESPONSIBLE],
            &[TECHNICIAN],
            &[EXTEND],
            &[UNTIL],
            &[REASON],
            &[RESOLVE],
            &[RESOLUTION],
            &[REPORT],
            &[OPINION],
            &[NOTE],
            &[EARLIER],
            &[RECORD],
            &[BACK],
            &[NOT_FOUND],
            &[
                status(QueueStatus::Due),
                status(QueueStatus::Overdue),
                status(QueueStatus::Handled),
                status(QueueStatus::Closed),
            ],
            &[
                channel(Channel::Phone),
                channel(Channel::Letter),
                channel(Channel::Visit),
                channel(Channel::Online),
                channel(Channel::Device),
                channel(Channel::Callback),
            ],
            &[
                category(Category::ProductQuality),
                category(Category::ServiceQuality),
                category(Category::Attitude),
                category(Category::Timeliness),
                category(Category::Charges),
                category(Category::Damage),
                category(Category::Other),
            ],
            &[
                responsible(Responsible::Technician),
                responsible(Responsible::Desk),
                responsible(Responsible::Product),
                responsible(Responsible::Logistics),
                responsible(Responsible::None),
            ],
            &[
                opinion(Opinion::Satisfied),
                opinion(Opinion::Acceptable),
                opinion(Opinion::Dissatisfied),
                opinion(Opinion::Unreachable),
            ],
        ];
        for id in all.iter().flat_map(|ids| ids.iter()) {
            for l in crate::i18n::Locale::ALL {
                assert!(crate::i18n::CATALOGUE.has(l, id), "{l}: {id}");
            }
        }
    }
}
