//! Deploying a workspace: the steps `prowl remote upload` and the window's Deploy view share,
//! in PAT 1.6.3's order (the introspection, the instance's managed log types, the tests, the
//! archive, the upload). Each step reports what it does as [`Event`]s: the CLI prints them as
//! PAT's log lines (`INFO: …` on stderr), the window shows them as progress.

use super::client::Client;
use super::{ops, zip};
use crate::error::ErrorInfo;
use crate::filter::Filters;
use crate::workspace::Workspace;
use serde::Serialize;
use ts_rs::TS;

/// Where a deployment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "DeployStage")]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Asking the instance what it supports.
    Connecting,
    /// Running the unit tests (and the instance's, for what only it can run).
    Testing,
    /// Writing the archive.
    Zipping,
    /// Sending it.
    Uploading,
    /// The instance took it and is processing it.
    Waiting,
    /// A retryable failure: the upload starts again.
    Retrying,
    /// Finished.
    Done,
}

/// How serious an event is (PAT's log levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "DeployLevel")]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// `INFO`.
    Info,
    /// `WARNING`.
    Warning,
    /// `ERROR`.
    Error,
}

/// One thing a deployment did, as PAT logs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "DeployEvent")]
pub struct Event {
    /// The step it belongs to.
    pub stage: Stage,
    /// Its level.
    pub level: Level,
    /// The text (without PAT's `INFO: ` prefix).
    pub text: String,
}

impl Event {
    fn new(stage: Stage, level: Level, text: impl Into<String>) -> Event {
        Event {
            stage,
            level,
            text: text.into(),
        }
    }

    /// The line PAT writes for it (`INFO: …`).
    pub fn pat_line(&self) -> String {
        let level = match self.level {
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
        };
        format!("{level}: {}", self.text)
    }
}

/// An item the instance cannot run: its `LogTypes` are not among the instance's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(rename = "UnsupportedItem")]
pub struct Unsupported {
    /// Index into the workspace's items.
    #[serde(skip)]
    pub index: usize,
    /// The item's ID.
    pub id: String,
    /// Its spec file, relative to the workspace root.
    pub path: String,
    /// PAT's message (`LogTypes not supported by Panther instance: …`).
    pub message: String,
}

/// What an upload will send, decided before the tests run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Whether the instance has the asynchronous upload (and it was not turned off).
    pub use_async: bool,
    /// The items the archive holds (indices into the workspace's items, in walk order).
    pub selection: Vec<usize>,
    /// Selected items the instance cannot run.
    pub unsupported: Vec<Unsupported>,
}

/// One item an upload sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UploadedItem {
    /// The item's ID (a saved query's name).
    pub id: String,
    /// Its AnalysisType.
    pub analysis_type: crate::spec::AnalysisType,
    /// Its spec file, relative to the workspace root.
    pub path: String,
}

/// What an upload did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Uploaded {
    /// The instance's GraphQL URL.
    pub url: String,
    /// What the instance answered, by kind (PAT's summary).
    pub summary: ops::UploadSummary,
    /// The archive's size in bytes.
    pub archive_bytes: usize,
    /// The items the archive held, in walk order.
    pub items: Vec<UploadedItem>,
}

/// `Custom.*` names PAT always accepts.
fn custom_log_type(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("Custom.") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('.').collect();
    parts.len() <= 6
        && parts.iter().all(|p| {
            let mut c = p.chars();
            c.next().is_some_and(|f| f.is_ascii_uppercase()) && c.all(|x| x.is_ascii_alphanumeric())
        })
}

/// The instance's managed log types, as PAT fetches them (none when the call fails or the
/// instance lists none: then nothing is checked).
pub fn managed_log_types(client: &Client, on: &mut dyn FnMut(Event)) -> Vec<String> {
    match ops::managed_schemas(client) {
        Ok(names) if names.is_empty() => {
            on(Event::new(Stage::Connecting, Level::Warning, "Panther instance returned 0 managed schemas. This may indicate a permissions issue or misconfiguration. Skipping log type validation."));
            names
        }
        Ok(names) => names,
        Err(e) => {
            on(Event::new(
                Stage::Connecting,
                Level::Warning,
                format!("Failed to fetch log types from Panther instance: {e}"),
            ));
            Vec::new()
        }
    }
}

/// Selected items whose `LogTypes` the instance does not have (nothing when `managed` is
/// empty).
pub fn unsupported_log_types(
    ws: &Workspace,
    selection: &[usize],
    managed: &[String],
) -> Vec<Unsupported> {
    if managed.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for &i in selection {
        let item = &ws.items[i];
        let bad: Vec<&str> = item
            .log_types
            .iter()
            .filter(|lt| !managed.contains(lt) && !custom_log_type(lt))
            .map(String::as_str)
            .collect();
        if !bad.is_empty() {
            out.push(Unsupported {
                index: i,
                id: item.id.clone(),
                path: item.rel_path.clone(),
                message: format!(
                    "LogTypes not supported by Panther instance: {}",
                    bad.join(", ")
                ),
            });
        }
    }
    out
}

/// PAT's first steps: the endpoint, the introspection (asynchronous upload or not), the
/// instance's log types against the selection's.
pub fn plan(
    client: &Client,
    ws: &Workspace,
    filters: &Filters,
    no_async: bool,
    on: &mut dyn FnMut(Event),
) -> Result<Plan, ErrorInfo> {
    on(Event::new(
        Stage::Connecting,
        Level::Info,
        format!("Panther Public API endpoint: {}", client.url()),
    ));
    let use_async = !no_async && ops::supports_async_upload(client).map_err(ErrorInfo::from)?;
    let managed = managed_log_types(client, on);
    let selection = zip::selection(ws, filters);
    let unsupported = unsupported_log_types(ws, &selection, &managed);
    Ok(Plan {
        use_async,
        selection,
        unsupported,
    })
}

/// Leaves the unsupported items out of the selection, with PAT's warnings (absolute paths).
pub fn skip_unsupported(
    ws: &Workspace,
    selection: &mut Vec<usize>,
    unsupported: &[Unsupported],
    on: &mut dyn FnMut(Event),
) {
    for u in unsupported {
        on(Event::new(
            Stage::Zipping,
            Level::Warning,
            format!(
                "Skipping {}: {}",
                ws.root.join(&u.path).display(),
                u.message
            ),
        ));
    }
    if !unsupported.is_empty() {
        on(Event::new(Stage::Zipping, Level::Warning, format!("Skipped {} item(s) due to unsupported log types. These log types may not be available in your Panther instance.", unsupported.len())));
        selection.retain(|i| !unsupported.iter().any(|u| u.index == *i));
    }
}

/// The archive of the plan's selection (unsupported items left out), sent as PAT sends it.
pub fn send(
    client: &Client,
    ws: &Workspace,
    plan: &Plan,
    max_retries: u32,
    on: &mut dyn FnMut(Event),
) -> Result<Uploaded, ErrorInfo> {
    let mut selection = plan.selection.clone();
    skip_unsupported(ws, &mut selection, &plan.unsupported, on);
    let archive = zip::bytes_for(ws, &selection).map_err(ErrorInfo::from)?;
    on(Event::new(
        Stage::Uploading,
        Level::Info,
        "Uploading items to Panther",
    ));
    let summary = ops::upload(client, &archive, plan.use_async, max_retries, &mut |p| {
        on(progress_event(&p))
    })
    .map_err(|e| {
        let info = ErrorInfo::from(e);
        ErrorInfo {
            message: format!("Failed to upload to Panther: {}", info.message),
            ..info
        }
    })?;
    on(Event::new(Stage::Done, Level::Info, "Upload succeeded"));
    let items = selection
        .iter()
        .map(|&i| {
            let item = &ws.items[i];
            UploadedItem {
                id: item.id.clone(),
                analysis_type: item.analysis_type,
                path: item.rel_path.clone(),
            }
        })
        .collect();
    Ok(Uploaded {
        url: client.url().to_owned(),
        summary,
        archive_bytes: archive.len(),
        items,
    })
}

/// The event for an upload's progress (Prowl's wording; PAT logs nothing while it waits).
pub fn progress_event(p: &ops::Progress) -> Event {
    match p {
        ops::Progress::Sent(receipt) => Event::new(
            Stage::Waiting,
            Level::Info,
            format!("the server took the archive (receipt {receipt}); waiting for it"),
        ),
        ops::Progress::Waiting(d) => Event::new(
            Stage::Waiting,
            Level::Info,
            format!("still processing after {} s", d.as_secs()),
        ),
        ops::Progress::Retrying { message, left } => Event::new(
            Stage::Retrying,
            Level::Warning,
            format!(
                "the upload failed ({message}); trying it again in a moment ({left} tries left)"
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_log_types_are_accepted_as_pat_accepts_them() {
        assert!(custom_log_type("Custom.MyApp"));
        assert!(custom_log_type("Custom.My.App2"));
        assert!(!custom_log_type("Custom.myApp"));
        assert!(!custom_log_type("Custom."));
        assert!(!custom_log_type("AWS.CloudTrail"));
        assert!(!custom_log_type("Custom.A.B.C.D.E.F.G"));
    }

    #[test]
    fn events_print_as_pats_log_lines() {
        let e = Event::new(Stage::Uploading, Level::Info, "Uploading items to Panther");
        assert_eq!(e.pat_line(), "INFO: Uploading items to Panther");
        let w = progress_event(&ops::Progress::Retrying {
            message: "upload failed".into(),
            left: 3,
        });
        assert_eq!((w.stage, w.level), (Stage::Retrying, Level::Warning));
        assert!(w
            .pat_line()
            .starts_with("WARNING: the upload failed (upload failed)"));
    }
}
