//! The desk's side of registered tools (004 二 第14条), shared by the JSON API and the
//! `/tools` page: issue a tool to a technician (400 for bad input, 404 for an unknown
//! technician, 409 when the asset number is out), list them, record a return (409 the second
//! time) or a loss with its report (400 without one).

use super::audit::{Action, Actor, record};
use crate::error::ApiError;
use crate::msg::Thing;
use crate::state::AppState;
use crate::stored::Code;
use crate::tools::{
    IssueTool, LossReport, ReportLoss, Tool, ToolState, issue_problem, loss_problem,
};

async fn known_technician(s: &AppState, id: &str) -> Result<(), ApiError> {
    if s.storage.technicians().await?.iter().any(|t| t.id == id) {
        Ok(())
    } else {
        Err(ApiError::NotFound(Thing::Technician))
    }
}

/// Issues a tool to a technician; `by` is the desk account (or the admin token) issuing it.
/// Audited, as every change of a tool.
pub async fn issue(s: &AppState, by: &Actor, req: IssueTool) -> Result<Tool, ApiError> {
    if let Some(p) = issue_problem(&req) {
        return Err(ApiError::BadRequest(p));
    }
    known_technician(s, req.technician_id.trim()).await?;
    let tool = Tool {
        id: format!("tool-{}", uuid::Uuid::now_v7()),
        technician_id: req.technician_id.trim().to_owned(),
        name: req.name.trim().to_owned(),
        asset_number: req.asset_number.trim().to_owned(),
        state: ToolState::Issued,
        issued_at: s.clock.now_ms(),
        issued_by: by.login.clone(),
        returned_at: None,
        returned_by: None,
        loss: None,
    };
    s.storage.issue_tool(tool.clone()).await?;
    audit(s, by, Action::ToolIssued, &tool).await?;
    Ok(tool)
}

/// The tools of one technician (404 when unknown) or of everyone, the newest issue first.
pub async fn list(s: &AppState, technician_id: Option<String>) -> Result<Vec<Tool>, ApiError> {
    if let Some(t) = &technician_id {
        known_technician(s, t).await?;
    }
    Ok(s.storage.tools(technician_id).await?)
}

async fn open_tool(s: &AppState, id: &str) -> Result<Tool, ApiError> {
    s.storage
        .tool(id.to_owned())
        .await?
        .ok_or(ApiError::NotFound(Thing::Tool))
}

/// The tool came back (调离本岗时应移交); 409 when it is not issued.
pub async fn return_tool(s: &AppState, by: &Actor, id: &str) -> Result<Tool, ApiError> {
    let tool = open_tool(s, id).await?;
    let now = s.clock.now_ms();
    let closed = Tool {
        state: ToolState::Returned,
        returned_at: Some(now),
        returned_by: Some(by.login.clone()),
        ..tool
    };
    s.storage.close_tool(closed.clone(), now).await?;
    audit(s, by, Action::ToolReturned, &closed).await?;
    Ok(closed)
}

/// The tool is lost: the report says what happened and when (400 without one); 409 when it
/// is not issued.
pub async fn report_lost(
    s: &AppState,
    by: &Actor,
    id: &str,
    req: ReportLoss,
) -> Result<Tool, ApiError> {
    let tool = open_tool(s, id).await?;
    let now = s.clock.now_ms();
    if let Some(p) = loss_problem(&req, tool.issued_at, now) {
        return Err(ApiError::BadRequest(p));
    }
    let closed = Tool {
        state: ToolState::Lost,
        loss: Some(LossReport {
            report: req.report.trim().to_owned(),
            happened_at: req.happened_at,
            reported_at: now,
            reported_by: by.login.clone(),
        }),
        ..tool
    };
    s.storage.close_tool(closed.clone(), now).await?;
    audit(s, by, Action::ToolLost, &closed).await?;
    Ok(closed)
}

/// The audit line of a change to a tool: its technician as the target, the tool's id and
/// asset number as the detail (the loss report's text stays with the tool).
async fn audit(s: &AppState, by: &Actor, action: Action, t: &Tool) -> Result<(), ApiError> {
    let detail = Code::AuditTool
        .said()
        .arg("tool", t.id.as_str())
        .arg("asset", t.asset_number.as_str());
    record(s, by, action, Some(&t.technician_id), Some(detail)).await
}
