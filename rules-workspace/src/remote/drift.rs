//! Drift: what the instance has against what an upload of the workspace would send.
//!
//! The instance's side comes from Panther's REST API (the listings its own MCP server reads):
//! `GET /rules`, `/scheduled-rules`, `/simple-rules`, `/correlation-rules`, `/policies`,
//! `/queries`, `/data-models`, `/globals`, each paged with `limit` and `cursor` and answering
//! `{"results": […], "next": cursor|null}`, at the origin of the GraphQL endpoint. The
//! workspace's side is the upload's selection (the same filters, `Status` included).
//!
//! Each item is matched by kind and ID (queries by name) and compared on what a reviewer cares
//! about before a deploy: enabled, severity, the unit tests (by name and expected result), the
//! code (Python body, a Simple Detection's or correlation rule's `Detection`, a query's SQL).
//! Lookup tables and packs have no REST listing and are named as not compared.

use super::client::{Client, RemoteError};
use crate::filter::Filters;
use crate::spec::{AnalysisType, DetectionForm};
use crate::workspace::Workspace;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The REST listings drift reads, in the order it reads them.
pub const KINDS: [&str; 8] = [
    "rules",
    "scheduled-rules",
    "simple-rules",
    "correlation-rules",
    "policies",
    "queries",
    "data-models",
    "globals",
];

/// Page size asked of the REST API.
const PAGE: usize = 100;

/// The most pages read of one listing (a server whose cursor never ends).
const MAX_PAGES: usize = 10_000;

/// One compared property of an item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "DriftChange")]
pub struct Change {
    /// `enabled`, `severity`, `tests`, `code`.
    pub field: String,
    /// On the instance (a short rendering).
    pub remote: String,
    /// In the workspace.
    pub local: String,
}

/// An item on both sides that differs.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "DriftDifferent")]
pub struct Different {
    /// The REST kind.
    pub kind: String,
    /// The ID (or query name).
    pub id: String,
    /// The spec file.
    pub path: String,
    /// What differs.
    pub changes: Vec<Change>,
}

/// An item on one side only.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "DriftOneSide")]
pub struct OneSide {
    /// The REST kind.
    pub kind: String,
    /// The ID (or query name).
    pub id: String,
    /// The spec file (workspace side only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub path: Option<String>,
    /// Whether Panther manages the item (instance side only).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub managed: bool,
}

/// The drift report.
#[derive(Debug, Clone, Default, serde::Serialize, ts_rs::TS)]
pub struct Drift {
    /// On the instance, not in the upload's selection (an upload leaves them as they are).
    pub only_remote: Vec<OneSide>,
    /// In the selection, not on the instance (an upload adds them).
    pub only_local: Vec<OneSide>,
    /// On both, different (an upload changes them).
    pub different: Vec<Different>,
    /// On both and the same.
    pub same: usize,
    /// Selected items of kinds the REST API does not list, by AnalysisType.
    pub not_compared: BTreeMap<String, usize>,
}

/// The REST kind an item is listed under, if any.
pub fn rest_kind(item: &crate::spec::AnalysisItem) -> Option<&'static str> {
    Some(match item.analysis_type {
        AnalysisType::Rule if item.form == Some(DetectionForm::Simple) => "simple-rules",
        AnalysisType::Rule => "rules",
        AnalysisType::ScheduledRule if item.form == Some(DetectionForm::Simple) => "simple-rules",
        AnalysisType::ScheduledRule => "scheduled-rules",
        AnalysisType::CorrelationRule => "correlation-rules",
        AnalysisType::Policy => "policies",
        AnalysisType::SavedQuery | AnalysisType::ScheduledQuery => "queries",
        AnalysisType::DataModel => "data-models",
        AnalysisType::Global => "globals",
        _ => return None,
    })
}

/// Every item of one REST listing, following `next`.
pub fn list(client: &Client, kind: &str) -> Result<Vec<Value>, RemoteError> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut path = format!("{kind}?limit={PAGE}");
        if let Some(c) = &cursor {
            path.push_str("&cursor=");
            path.push_str(&percent_encode(c));
        }
        let page = client.get_rest(&path)?;
        let results = page
            .get("results")
            .and_then(Value::as_array)
            .ok_or_else(|| RemoteError::NotGraphQl {
                url: super::client::rest_url(client.url(), kind),
                body: "a listing without `results`".into(),
            })?;
        out.extend(results.iter().cloned());
        match page.get("next").and_then(Value::as_str) {
            Some(next) if !next.is_empty() && Some(next) != cursor.as_deref() => {
                cursor = Some(next.to_owned());
            }
            _ => return Ok(out),
        }
    }
    Ok(out)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The instance's items by (kind, ID), read from every listing.
pub fn remote_items(client: &Client) -> Result<BTreeMap<(String, String), Value>, RemoteError> {
    let mut out = BTreeMap::new();
    for kind in KINDS {
        for item in list(client, kind)? {
            let id = if kind == "queries" {
                item.get("name").or_else(|| item.get("id"))
            } else {
                item.get("id")
            };
            if let Some(id) = id.and_then(Value::as_str) {
                out.insert((kind.to_owned(), id.to_owned()), item);
            }
        }
    }
    Ok(out)
}

fn normalise_code(s: &str) -> String {
    s.replace("\r\n", "\n").trim_end().to_owned()
}

fn tests_of_remote(item: &Value) -> BTreeMap<String, bool> {
    item.get("tests")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t.get("name")?.as_str()?.to_owned(),
                t.get("expectedResult")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            ))
        })
        .collect()
}

fn yaml_json(text: &str) -> Option<Value> {
    crate::spec::yaml::load_str(text)
        .ok()?
        .root
        .map(|n| n.to_json())
}

/// Compares one workspace item with the instance's.
fn compare(ws: &Workspace, i: usize, remote: &Value) -> Vec<Change> {
    let item = &ws.items[i];
    let mut changes = Vec::new();
    let mut diff = |field: &str, remote: String, local: String| {
        if remote != local {
            changes.push(Change {
                field: field.to_owned(),
                remote,
                local,
            });
        }
    };
    let kind = rest_kind(item).unwrap_or("");
    if kind == "queries" {
        let local = item
            .spec
            .get("Query")
            .or_else(|| item.spec.get("AthenaQuery"))
            .or_else(|| item.spec.get("SnowflakeQuery"))
            .and_then(crate::spec::Node::as_str)
            .map(normalise_code)
            .unwrap_or_default();
        let remote = remote
            .get("sql")
            .and_then(Value::as_str)
            .map(normalise_code)
            .unwrap_or_default();
        if local != remote {
            diff("code", "SQL".into(), "SQL (changed)".into());
        }
        return changes;
    }
    if kind != "globals" {
        let local = item.enabled.unwrap_or(false);
        let r = remote
            .get("enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        diff("enabled", r.to_string(), local.to_string());
    }
    if item.analysis_type.is_detection() {
        let local = item.severity.clone().unwrap_or_default().to_uppercase();
        let r = remote
            .get("severity")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_uppercase();
        diff("severity", r, local);
        let local_tests: BTreeMap<String, bool> = item
            .tests
            .iter()
            .map(|t| (t.name.clone(), t.expected_result))
            .collect();
        let remote_tests = tests_of_remote(remote);
        if local_tests != remote_tests {
            let added = local_tests
                .keys()
                .filter(|k| !remote_tests.contains_key(*k))
                .count();
            let removed = remote_tests
                .keys()
                .filter(|k| !local_tests.contains_key(*k))
                .count();
            let changed = local_tests
                .iter()
                .filter(|(k, v)| remote_tests.get(*k).is_some_and(|r| r != *v))
                .count();
            diff(
                "tests",
                format!("{} tests", remote_tests.len()),
                format!(
                    "{} tests (+{added} -{removed} ~{changed} expected result)",
                    local_tests.len()
                ),
            );
        }
    }
    // The code: the Python body, else the YAML `Detection`.
    if let Some(path) = &item.code_path {
        if path.extension().is_some_and(|e| e == "py") {
            let local = crate::workspace::read_inside(&ws.root, path, 16 * 1024 * 1024)
                .map(|b| normalise_code(&String::from_utf8_lossy(&b)))
                .unwrap_or_default();
            let r = remote
                .get("body")
                .and_then(Value::as_str)
                .map(normalise_code)
                .unwrap_or_default();
            if local != r {
                diff("code", "Python".into(), "Python (changed)".into());
            }
        }
    } else if let Some(detection) = item.spec.get("Detection") {
        let local = detection.to_json();
        let r = remote
            .get("detection")
            .and_then(Value::as_str)
            .and_then(yaml_json);
        // The instance's `detection` is the YAML of the whole match block or of the list.
        let same = r
            .as_ref()
            .is_some_and(|r| *r == local || r.get("Detection").is_some_and(|d| *d == local));
        if !same {
            diff("code", "Detection".into(), "Detection (changed)".into());
        }
    }
    changes
}

/// Compares the upload's selection of `ws` with the instance's listings.
pub fn drift(
    ws: &Workspace,
    filters: &Filters,
    remote: &BTreeMap<(String, String), Value>,
) -> Drift {
    let mut out = Drift::default();
    let selection = ws.select(&filters.clone().with_status_filters());
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for i in selection {
        let item = &ws.items[i];
        let Some(kind) = rest_kind(item) else {
            *out.not_compared
                .entry(item.analysis_type.as_str().to_owned())
                .or_default() += 1;
            continue;
        };
        let key = (kind.to_owned(), item.id.clone());
        seen.insert(key.clone());
        match remote.get(&key) {
            None => out.only_local.push(OneSide {
                kind: kind.to_owned(),
                id: item.id.clone(),
                path: Some(item.rel_path.clone()),
                managed: false,
            }),
            Some(r) => {
                let changes = compare(ws, i, r);
                if changes.is_empty() {
                    out.same += 1;
                } else {
                    out.different.push(Different {
                        kind: kind.to_owned(),
                        id: item.id.clone(),
                        path: item.rel_path.clone(),
                        changes,
                    });
                }
            }
        }
    }
    for ((kind, id), r) in remote {
        if !seen.contains(&(kind.clone(), id.clone())) {
            out.only_remote.push(OneSide {
                kind: kind.clone(),
                id: id.clone(),
                path: None,
                managed: r.get("managed").and_then(Value::as_bool).unwrap_or(false),
            });
        }
    }
    out
}

impl Drift {
    /// Whether the instance matches the selection exactly.
    pub fn is_empty(&self) -> bool {
        self.only_remote.is_empty() && self.only_local.is_empty() && self.different.is_empty()
    }

    /// The human report.
    pub fn text(&self, workspace: &str, url: &str) -> String {
        let mut out = format!("Drift between {workspace} (what an upload sends) and {url}\n");
        let line = |o: &OneSide| {
            let mut s = format!("    {:<18} {}", o.kind, o.id);
            if let Some(p) = &o.path {
                s.push_str(&format!("  ({p})"));
            }
            if o.managed {
                s.push_str("  [managed by Panther]");
            }
            s.push('\n');
            s
        };
        out.push_str(&format!(
            "\n  Only in the workspace: {} (an upload adds them)\n",
            self.only_local.len()
        ));
        for o in &self.only_local {
            out.push_str(&line(o));
        }
        out.push_str(&format!(
            "\n  Different: {} (an upload changes them; instance → workspace)\n",
            self.different.len()
        ));
        for d in &self.different {
            out.push_str(&format!("    {:<18} {}  ({})\n", d.kind, d.id, d.path));
            for c in &d.changes {
                out.push_str(&format!(
                    "        {}: {} → {}\n",
                    c.field, c.remote, c.local
                ));
            }
        }
        out.push_str(&format!(
            "\n  Only on the instance: {} (an upload leaves them; `prowl remote delete` removes them)\n",
            self.only_remote.len()
        ));
        for o in &self.only_remote {
            out.push_str(&line(o));
        }
        out.push_str(&format!("\n  The same: {}\n", self.same));
        if !self.not_compared.is_empty() {
            let names: Vec<String> = self
                .not_compared
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            out.push_str(&format!(
                "  Not compared (Panther's REST API does not list them): {}\n",
                names.join(", ")
            ));
        }
        out
    }
}
