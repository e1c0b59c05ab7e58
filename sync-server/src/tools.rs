//! Registered tools per technician (004 二 备品配件管理制度 第14条; 一 第9章 第33条): a tool the
//! company issues to a technician is registered to them (name, asset or serial number, when),
//! kept by them until it is returned, or reported lost with what happened and when (the
//! technician answers for a loss; a report says why). Pure rules and records: the storage is
//! [`crate::storage::tools`], the routes `/v1/admin/tools…`, the page `/tools`.

use crate::msg;
use crate::msg::Msg;
use serde::{Deserialize, Serialize};

/// The longest tool name, asset number and loss report.
pub const MAX_NAME: usize = 100;
pub const MAX_ASSET: usize = 64;
pub const MAX_REPORT: usize = 2000;

/// Where a registered tool stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolState {
    /// With the technician, who keeps it.
    Issued,
    /// Handed back (调离本岗时应移交).
    Returned,
    /// Lost, with a report.
    Lost,
}

impl ToolState {
    /// The stable snake_case name used in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Issued => "issued",
            Self::Returned => "returned",
            Self::Lost => "lost",
        }
    }
}

/// What happened to a lost tool, and when (a report is required: 第14条).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossReport {
    pub report: String,
    /// When it happened, ms since the epoch (not after the report).
    pub happened_at: i64,
    /// When the desk recorded it.
    pub reported_at: i64,
    pub reported_by: String,
}

/// One tool registered to one technician.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub id: String,
    pub technician_id: String,
    pub name: String,
    /// The asset or serial number (固定资产编号/序列号): at most one issued tool has it.
    pub asset_number: String,
    pub state: ToolState,
    /// ms since the epoch.
    pub issued_at: i64,
    pub issued_by: String,
    pub returned_at: Option<i64>,
    pub returned_by: Option<String>,
    pub loss: Option<LossReport>,
}

/// `POST /v1/admin/tools` body: issue a tool to a technician.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueTool {
    pub technician_id: String,
    pub name: String,
    pub asset_number: String,
}

/// `POST /v1/admin/tools/{id}/lost` body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportLoss {
    /// What happened (required).
    #[serde(default)]
    pub report: String,
    /// When it happened, ms since the epoch.
    pub happened_at: i64,
}

/// What is wrong with an issue, if anything (the field and why; never quoting the value).
pub fn issue_problem(t: &IssueTool) -> Option<Msg> {
    if bad_text(&t.technician_id, 64) {
        Some(msg!("err-tool-technician-id"))
    } else if bad_text(&t.name, MAX_NAME) {
        Some(msg!("err-tool-name"))
    } else if bad_text(&t.asset_number, MAX_ASSET) {
        Some(msg!("err-tool-asset-number"))
    } else {
        None
    }
}

/// What is wrong with a loss report, if anything: the report is required, and it cannot have
/// happened before the tool was issued nor after `now`.
pub fn loss_problem(r: &ReportLoss, issued_at: i64, now: i64) -> Option<Msg> {
    if r.report.trim().is_empty() {
        Some(msg!("err-tool-loss-report"))
    } else if r.report.chars().count() > MAX_REPORT {
        Some(msg!("err-tool-report-too-long"))
    } else if r.happened_at < issued_at || r.happened_at > now {
        Some(msg!("err-tool-happened-at"))
    } else {
        None
    }
}

fn bad_text(s: &str, max: usize) -> bool {
    let t = s.trim();
    t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(name: &str, asset: &str) -> IssueTool {
        IssueTool {
            technician_id: "t1".into(),
            name: name.into(),
            asset_number: asset.into(),
        }
    }

    #[test]
    fn issues_need_a_name_and_an_asset_number() {
        assert_eq!(
            issue_problem(&issue("万用表 Multimeter", "FA-2026-0001")),
            None
        );
        assert!(issue_problem(&issue(" ", "FA-1")).is_some());
        assert!(issue_problem(&issue("drill", "")).is_some());
        assert!(issue_problem(&issue("drill\u{0}", "FA-1")).is_some());
        assert!(issue_problem(&issue(&"x".repeat(101), "FA-1")).is_some());
    }

    #[test]
    fn a_loss_needs_a_report_and_a_time_within_the_tool_s_issue() {
        let r = |report: &str, at| ReportLoss {
            report: report.into(),
            happened_at: at,
        };
        assert_eq!(loss_problem(&r("left on the bus", 150), 100, 200), None);
        assert!(loss_problem(&r("  ", 150), 100, 200).is_some());
        assert!(loss_problem(&r("x", 99), 100, 200).is_some());
        assert!(loss_problem(&r("x", 201), 100, 200).is_some());
        assert!(loss_problem(&r(&"x".repeat(2001), 150), 100, 200).is_some());
    }
}
