//! Registered tools per technician (004 二 第14条), on both backends: the storage suite
//! (issue, one issued tool per asset number, list per technician, close once), then the
//! admin API end to end (typed 4xx: an unknown technician 404, returning a tool twice 409, a
//! loss without a report 400) and the `/tools` page.

use std::sync::Arc;

use fieldkit_server::storage::Storage;
use fieldkit_server::storage::StorageError;
use fieldkit_server::storage::postgres::PostgresStorage;
use fieldkit_server::storage::sqlite::SqliteStorage;
use fieldkit_server::tools::{LossReport, Tool, ToolState};
use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{self, Backend, server};

const NOW: i64 = 1_800_000_000_000;

fn tool(id: &str, tech: &str, asset: &str, at: i64) -> Tool {
    Tool {
        id: id.into(),
        technician_id: tech.into(),
        name: "万用表 Multimeter".into(),
        asset_number: asset.into(),
        state: ToolState::Issued,
        issued_at: at,
        issued_by: "admin-token".into(),
        returned_at: None,
        returned_by: None,
        loss: None,
    }
}

async fn suite(s: Arc<dyn Storage>) {
    s.issue_tool(tool("tool-1", "t1", "FA-1", NOW))
        .await
        .unwrap();
    s.issue_tool(tool("tool-2", "t1", "FA-2", NOW + 1))
        .await
        .unwrap();
    s.issue_tool(tool("tool-3", "t2", "FA-3", NOW + 2))
        .await
        .unwrap();
    // An asset number out already: refused, nothing written.
    let e = s.issue_tool(tool("tool-4", "t2", "FA-1", NOW + 3)).await;
    assert!(matches!(e, Err(StorageError::Conflict(_))), "{e:?}");
    assert_eq!(s.tool("tool-4".into()).await.unwrap(), None);
    // Per technician, newest first; everyone's.
    let ids = |v: Vec<Tool>| v.into_iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.tools(Some("t1".into())).await.unwrap()),
        ["tool-2", "tool-1"]
    );
    assert_eq!(s.tools(None).await.unwrap().len(), 3);
    // Returned once; the second close is a conflict and changes nothing.
    let returned = Tool {
        state: ToolState::Returned,
        returned_at: Some(NOW + 10),
        returned_by: Some("desk".into()),
        ..tool("tool-1", "t1", "FA-1", NOW)
    };
    s.close_tool(returned.clone(), NOW + 10).await.unwrap();
    let lost = Tool {
        state: ToolState::Lost,
        loss: Some(LossReport {
            report: "x".into(),
            happened_at: NOW + 5,
            reported_at: NOW + 11,
            reported_by: "desk".into(),
        }),
        ..tool("tool-1", "t1", "FA-1", NOW)
    };
    let e = s.close_tool(lost, NOW + 11).await;
    assert!(matches!(e, Err(StorageError::Conflict(_))), "{e:?}");
    assert_eq!(s.tool("tool-1".into()).await.unwrap(), Some(returned));
    let e = s.close_tool(tool("nope", "t1", "FA-9", NOW), NOW).await;
    assert!(matches!(e, Err(StorageError::NotFound(_))), "{e:?}");
    // The asset number is free again once the tool came back.
    s.issue_tool(tool("tool-5", "t2", "FA-1", NOW + 20))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_storage_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    suite(Arc::new(SqliteStorage::open(dir.path()).unwrap())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_storage_postgres() {
    let Some(pg) = common::Pg::start() else {
        return;
    };
    suite(Arc::new(
        PostgresStorage::connect(&pg.url, 4).await.unwrap(),
    ))
    .await;
}

async fn tools_over_the_api(backend: Backend) {
    let Some(ts) = server(backend, |_| {}).await else {
        return;
    };
    let tech = ts.create_technician("Technician Tools").await;
    let issue = |body: Value| {
        let ts = &ts;
        async move { ts.admin(Method::POST, "/v1/admin/tools", Some(body)).await }
    };
    let (s, t) =
        issue(json!({"technician_id": tech, "name": "电钻 Drill", "asset_number": "FA-0001"}))
            .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(
        (&t["state"], &t["asset_number"]),
        (&json!("issued"), &json!("FA-0001"))
    );
    let id = t["id"].as_str().unwrap().to_owned();
    // Typed 4xx for bad input.
    let (s, e) =
        issue(json!({"technician_id": "nobody", "name": "Drill", "asset_number": "FA-2"})).await;
    assert_eq!(s, 404, "{e}");
    let (s, e) = issue(json!({"technician_id": tech, "name": " ", "asset_number": "FA-2"})).await;
    assert_eq!(s, 400, "{e}");
    let (s, e) =
        issue(json!({"technician_id": tech, "name": "Drill", "asset_number": "FA-0001"})).await;
    assert_eq!(s, 409, "the asset number is out: {e}");
    let (s, e) =
        issue(json!({"technician_id": tech, "name": "Drill", "asset_number": "FA-3", "x": 1}))
            .await;
    assert_eq!(s, 400, "{e}");
    let (s, e) = ts
        .admin(Method::GET, "/v1/admin/tools?technician=nobody", None)
        .await;
    assert_eq!(s, 404, "{e}");

    // Returned once; twice is a 409; an unknown tool 404.
    let ret = format!("/v1/admin/tools/{id}/return");
    let (s, r) = ts.admin(Method::POST, &ret, None).await;
    assert_eq!((s, &r["state"]), (200, &json!("returned")), "{r}");
    assert!(r["returned_at"].as_i64().is_some(), "{r}");
    let (s, e) = ts.admin(Method::POST, &ret, None).await;
    assert_eq!(s, 409, "{e}");
    let (s, _) = ts
        .admin(Method::POST, "/v1/admin/tools/tool-nope/return", None)
        .await;
    assert_eq!(s, 404);

    // Lost: a report is required (400), then recorded; a returned tool cannot be lost (409).
    let (_, t2) = issue(
        json!({"technician_id": tech, "name": "测电笔 Voltage tester", "asset_number": "FA-0002"}),
    )
    .await;
    let lost = format!("/v1/admin/tools/{}/lost", t2["id"].as_str().unwrap());
    let now = t2["issued_at"].as_i64().unwrap();
    let (s, e) = ts
        .admin(Method::POST, &lost, Some(json!({"happened_at": now})))
        .await;
    assert_eq!(s, 400, "{e}");
    let (s, e) = ts
        .admin(
            Method::POST,
            &lost,
            Some(json!({"report": "  ", "happened_at": now})),
        )
        .await;
    assert_eq!(s, 400, "{e}");
    let (s, l) = ts
        .admin(Method::POST, &lost, Some(json!({"report": "left at a customer's site, not found on the return visit", "happened_at": now})))
        .await;
    assert_eq!((s, &l["state"]), (200, &json!("lost")), "{l}");
    assert_eq!(l["loss"]["happened_at"], json!(now));
    let (s, e) = ts
        .admin(
            Method::POST,
            &format!("/v1/admin/tools/{id}/lost"),
            Some(json!({"report": "gone", "happened_at": now})),
        )
        .await;
    assert_eq!(s, 409, "{e}");

    // The technician's tools, newest first.
    let (s, list) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/tools?technician={tech}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{list}");
    let states: Vec<&Value> = list["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["state"])
        .collect();
    assert_eq!(states, [&json!("lost"), &json!("returned")]);

    // Each change that took is in the audit log, once; the refused ones are not.
    let (_, log) = ts
        .admin(Method::GET, "/v1/admin/audit-log?limit=1000", None)
        .await;
    let count = |action: &str| {
        log.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == action && e["target"] == json!(tech))
            .count()
    };
    assert_eq!(
        (
            count("tool_issued"),
            count("tool_returned"),
            count("tool_lost")
        ),
        (2, 1, 1),
        "{log}"
    );

    // The /tools page: in the navigation, Chinese by default, the tools listed with their state;
    // a tool issued, then reported lost, through its forms (a loss without a report refused).
    ts.create_dispatcher("toolkeeper", "a long toolkeeper password")
        .await;
    let desk = ts
        .dashboard_login("toolkeeper", "a long toolkeeper password")
        .await;
    let (s, html) = ts.page(&desk, "/tools").await;
    assert_eq!(s, 200);
    assert!(
        html.contains("href=\"/tools\""),
        "the navigation links the page"
    );
    assert!(
        html.contains("工具登记") && html.contains("已报失") && html.contains("已归还"),
        "{html}"
    );
    let res = ts
        .post_form(
            &desk,
            "/tools",
            &[
                ("technician_id", &tech),
                ("name", "梯子 Ladder"),
                ("asset_number", "FA-0003"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, list) = ts
        .admin(
            Method::GET,
            &format!("/v1/admin/tools?technician={tech}"),
            None,
        )
        .await;
    let ladder = list["tools"][0].clone();
    assert_eq!(
        (&ladder["asset_number"], &ladder["issued_by"]),
        (&json!("FA-0003"), &json!("toolkeeper"))
    );
    let lost = format!("/tools/{}/lost", ladder["id"].as_str().unwrap());
    let res = ts
        .post_form(&desk, &lost, &[("report", " "), ("happened_at", "")])
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let res = ts
        .post_form(
            &desk,
            &lost,
            &[
                ("report", "fell off the van"),
                ("happened_at", "not a time"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 400);
    let res = ts
        .post_form(
            &desk,
            &lost,
            &[("report", "fell off the van"), ("happened_at", "")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = ts.page(&desk, "/tools?lang=en").await;
    assert!(
        html.contains("Registered tools") && html.contains("fell off the van"),
        "{html}"
    );
    assert!(
        !html.contains("工具登记"),
        "the English page has no Chinese title"
    );
    ts.server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_over_the_api_sqlite() {
    tools_over_the_api(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tools_over_the_api_postgres() {
    tools_over_the_api(Backend::Postgres).await;
}
