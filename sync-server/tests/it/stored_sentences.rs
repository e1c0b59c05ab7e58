//! What the server stores when something happens — a held completion's reasons, a flag's
//! detail, a refused op's reason, an audit line's detail — is a code with typed arguments
//! (migration 0014), read in the reader's language: the API's string fields follow the
//! request's language and the codes sit beside them, the same in every language. An argument
//! a device sent (a part's SKU) is shown escaped and capped, never as markup.

use fieldkit_core::i18n::is_cjk;
use fieldkit_core::model::{DeviceId, OpId};
use fieldkit_core::sync::protocol::{Op, OpOutcome};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::Backend;
use crate::common::dashboard_fixture::fixture;

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

async fn in_the_reader_s_language(backend: Backend) {
    let Some(f) = fixture(backend).await else {
        return;
    };
    let ts = &f.ts;
    // The held completion: its reasons in Chinese by default, in English when asked, the
    // same codes either way, one per reason.
    let (s, zh) = ts.admin(Method::GET, "/v1/admin/completions", None).await;
    assert_eq!(s, 200, "{zh}");
    let (s, en) = ts
        .admin(Method::GET, "/v1/admin/completions?lang=en", None)
        .await;
    assert_eq!(s, 200, "{en}");
    let (zh, en) = (&zh[0], &en[0]);
    assert_eq!(zh["state"], "held");
    let (zh_reasons, en_reasons) = (texts(&zh["reasons"]), texts(&en["reasons"]));
    let codes = zh["reason_codes"].as_array().unwrap();
    assert!(!codes.is_empty(), "{zh}");
    assert_eq!(codes.len(), zh_reasons.len());
    assert_eq!(
        zh["reason_codes"], en["reason_codes"],
        "codes are no language's"
    );
    assert_eq!(en_reasons.len(), zh_reasons.len());
    for (z, e) in zh_reasons.iter().zip(&en_reasons) {
        assert!(z.chars().any(is_cjk), "zh-CN: {z}");
        assert!(!e.chars().any(is_cjk), "en: {e}");
    }
    for c in codes {
        assert!(c["code"].as_str().is_some_and(|c| !c.is_empty()), "{c}");
        assert!(c["args"].is_object(), "{c}");
    }
    // Its flags likewise, each with its code and arguments.
    let flags = zh["flags"].as_array().unwrap();
    assert!(!flags.is_empty());
    for (z, e) in flags.iter().zip(en["flags"].as_array().unwrap()) {
        assert_eq!(z["code"], e["code"]);
        assert_eq!(z["args"], e["args"]);
        assert!(z["code"].is_string(), "{z}");
        assert!(z["detail"].as_str().unwrap().chars().any(is_cjk), "{z}");
        assert!(!e["detail"].as_str().unwrap().chars().any(is_cjk), "{e}");
    }
    // The audit log: an account's role, in words per language, by code for machines.
    let line = |log: &Value| {
        log.as_array()
            .unwrap()
            .iter()
            .find(|l| l["action"] == "account_created")
            .cloned()
            .expect("the fixture created accounts")
    };
    let (_, log_zh) = ts.admin(Method::GET, "/v1/admin/audit-log", None).await;
    let (_, log_en) = ts
        .admin(Method::GET, "/v1/admin/audit-log?lang=en", None)
        .await;
    let (z, e) = (line(&log_zh), line(&log_en));
    assert_eq!(z["detail_code"], "audit_role");
    assert_eq!(z["detail_args"], e["detail_args"]);
    assert_eq!(z["detail"], "角色：调度员");
    assert_eq!(e["detail"], "role: dispatcher");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_sentences_sqlite() {
    in_the_reader_s_language(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_sentences_postgres() {
    in_the_reader_s_language(Backend::Postgres).await;
}

/// A count of a part whose SKU is markup: flagged with the SKU as an argument, shown escaped
/// on the flags page, in Chinese.
async fn hostile_argument(backend: Backend) {
    let Some(f) = fixture(backend).await else {
        return;
    };
    let ts = &f.ts;
    let tech = ts.create_technician("Technician Count").await;
    let token = ts.enrol(&tech, DeviceId::new()).await.token;
    let sku = "<b>X</b>";
    let op: Op = serde_json::from_value(json!({
        "op_id": OpId::new(), "seq": 1, "entity": "stock", "entity_id": sku,
        "visit_id": null, "kind": "count_stock", "version": 1,
        "payload": {"sku": sku, "counted": 3, "expected": 3, "at": "2026-03-02T08:00:00Z"},
        "hlc": "0", "device_time": 0, "hash": null
    }))
    .unwrap();
    let r = ts.push_ops(&token, &[op]).await;
    assert!(
        matches!(&r.results[0].outcome, OpOutcome::Conflict { code, .. } if code == "stock_count_differs"),
        "{:?}",
        r.results[0].outcome
    );
    let (s, page) = ts.page(&f.me, "/flags").await;
    assert_eq!(s, 200);
    assert!(!page.contains(sku), "the SKU is escaped");
    assert!(page.contains("&lt;b&gt;X&lt;/b&gt;"), "the SKU is shown");
    assert!(
        page.contains("盘点 &lt;b&gt;X&lt;/b&gt; 为 3 个"),
        "in Chinese, with its numbers"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_argument_sqlite() {
    hostile_argument(Backend::Sqlite).await;
}
