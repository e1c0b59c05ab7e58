use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;

use super::*;

#[test]
fn tags_name_their_locales_and_nothing_else() {
    for (tag, want) in [
        ("zh", Some(Locale::ZhCn)),
        ("zh-CN", Some(Locale::ZhCn)),
        ("ZH_cn", Some(Locale::ZhCn)),
        ("zh-Hans-CN", Some(Locale::ZhCn)),
        ("en", Some(Locale::En)),
        ("en-GB", Some(Locale::En)),
        ("fr", None),
        ("", None),
        ("*", None),
    ] {
        assert_eq!(Locale::from_tag(tag), want, "{tag:?}");
    }
    for l in Locale::ALL {
        assert_eq!(Locale::from_tag(l.tag()), Some(l));
    }
}

#[test]
fn accept_language_picks_the_heaviest_language_spoken_here() {
    for (header, want) in [
        ("", Locale::ZhCn),
        ("en", Locale::En),
        ("en-US,en;q=0.9,zh;q=0.8", Locale::En),
        ("zh-CN,zh;q=0.9,en;q=0.8", Locale::ZhCn),
        ("fr-FR,fr;q=0.9,en;q=0.5", Locale::En),
        ("fr, de", Locale::ZhCn),
        ("en;q=0, zh;q=0.1", Locale::ZhCn),
        ("en;q=0.3, zh;q=0.7", Locale::ZhCn),
        ("zh;q=0.3, en;q=0.7", Locale::En),
        ("en;q=oops", Locale::ZhCn),
        (";;;,,,q=", Locale::ZhCn),
    ] {
        assert_eq!(Locale::negotiate(header), want, "{header:?}");
    }
}

proptest! {
    #[test]
    fn any_accept_language_header_is_negotiated_without_a_panic(h in ".{0,200}") {
        let l = Locale::negotiate(&h);
        prop_assert!(Locale::ALL.contains(&l));
    }
}

const ZH: &str = "greeting = 你好，{ $name }\nitems = { $n ->\n    [one] 一件\n   *[other] { $n } 件\n}\nonly-zh = 只有中文\nsku-code = PUMP-220\n";
const EN: &str = "greeting = Hello, { $name }\nitems = { $n ->\n    [one] one item\n   *[other] { $n } items\n}\nsku-code = PUMP-220\nonly-en = Only English\n";

#[test]
fn a_catalogue_formats_each_locale_and_reports_what_is_missing() {
    let c = Catalogue::new(&[(Locale::ZhCn, "t.ftl", ZH), (Locale::En, "t.ftl", EN)]);
    assert_eq!(
        crate::tr!(&c, Locale::ZhCn, "greeting", name = "王女士"),
        "你好，王女士"
    );
    assert_eq!(
        crate::tr!(&c, Locale::En, "greeting", name = "Ms Wang"),
        "Hello, Ms Wang"
    );
    assert_eq!(crate::tr!(&c, Locale::En, "items", n = num(1)), "one item");
    assert_eq!(crate::tr!(&c, Locale::En, "items", n = num(3)), "3 items");
    // A missing message shows its id, never panics.
    assert_eq!(crate::tr!(&c, Locale::En, "nowhere"), "nowhere");
    let problems = c.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("en: no message `only-zh`")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("zh-CN: no message `only-en`")),
        "{problems:?}"
    );
    // `-code` ids may be the same in every language; others must be Chinese in zh-CN.
    assert!(
        !problems.iter().any(|p| p.contains("sku-code")),
        "{problems:?}"
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
}

#[test]
fn a_broken_or_doubled_file_is_a_problem_not_a_panic() {
    let c = Catalogue::new(&[
        (Locale::ZhCn, "a.ftl", "ok = 好\nbroken = { \n"),
        (Locale::ZhCn, "b.ftl", "ok = 又一个\n"),
        (Locale::En, "a.ftl", "ok = ok\nnot-chinese = fine\n"),
    ]);
    let problems = c.problems();
    assert!(
        problems.iter().any(|p| p.contains("a.ftl: syntax")),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| p.contains("b.ftl")), "{problems:?}");
    assert_eq!(c.format(Locale::ZhCn, "ok", None), "好");
}

#[test]
fn a_chinese_message_without_chinese_is_a_problem() {
    let c = Catalogue::new(&[
        (Locale::ZhCn, "a.ftl", "title = Board\n"),
        (Locale::En, "a.ftl", "title = Board\n"),
    ]);
    assert_eq!(
        c.problems(),
        vec!["zh-CN: `title` has no Chinese: \"Board\"".to_owned()]
    );
}

#[test]
fn dates_money_and_numbers_read_as_each_locale_writes_them() {
    // 02:30 UTC is 10:30 in China; 20:00 UTC on the 4th is the 5th in China.
    let t = Utc.with_ymd_and_hms(2026, 12, 5, 2, 30, 0).unwrap();
    assert_eq!(date_time(Locale::ZhCn, t), "2026年12月5日 10:30");
    assert_eq!(date_time(Locale::En, t), "5 Dec 2026 10:30");
    let late = Utc.with_ymd_and_hms(2026, 12, 4, 20, 0, 0).unwrap();
    assert_eq!(date_time(Locale::ZhCn, late), "2026年12月5日 04:00");
    assert_eq!(time(Locale::En, late), "04:00");
    let d = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
    assert_eq!(date(Locale::ZhCn, d), "2027年1月31日");
    assert_eq!(date(Locale::En, d), "31 Jan 2027");
    assert_eq!(money(Locale::ZhCn, 128_050), "¥1,280.50");
    assert_eq!(money(Locale::En, -300), "-¥3.00");
    assert_eq!(money(Locale::En, 5), "¥0.05");
    assert_eq!(money_as(Locale::En, 128_050, Digits::Grouped), "¥1,280.50");
    assert_eq!(money_as(Locale::ZhCn, 299_900, Digits::Plain), "¥2999.00");
    assert_eq!(money_as(Locale::En, -1_050, Digits::Plain), "-¥10.50");
    assert_eq!(
        money_as(Locale::En, i64::MIN, Digits::Plain),
        "-¥92233720368547758.08"
    );
    assert_eq!(number(Locale::ZhCn, 1_234_567), "1,234,567");
    assert_eq!(number(Locale::En, -999), "-999");
    assert_eq!(number(Locale::En, i64::MIN), "-9,223,372,036,854,775,808");
}
