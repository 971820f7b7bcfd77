//! The operations PAT 1.6.3 sends, with the query texts its GraphQL library prints (so a
//! server sees the same requests from Prowl as from PAT), and their flows: the asynchronous
//! upload with polling and PAT's retries, the synchronous fallback, server-side validation,
//! deletion in batches of 100.

use super::client::{Client, RemoteError};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Instant;

/// PAT's `GetVersion`.
pub const GET_VERSION: &str = "query GetVersion {\n  generalSettings {\n    pantherVersion\n  }\n}";

const STATS_FRAGMENT: &str =
    "fragment UploadStatisticDetails on UploadStatistics {\n  modified\n  new\n  total\n}";

/// The seven statistics PAT 1.6.3 asks for, in its order.
const STAT_FIELDS: [&str; 7] = [
    "dataModels",
    "globalHelpers",
    "lookupTables",
    "policies",
    "rules",
    "queries",
    "correlationRules",
];

fn stats_selection(indent: &str) -> String {
    STAT_FIELDS
        .iter()
        .map(|f| format!("{indent}{f} {{\n{indent}  ...UploadStatisticDetails\n{indent}}}\n"))
        .collect()
}

fn async_upload_status() -> String {
    format!(
        "query status($input: ID!) {{\n  detectionEntitiesUploadStatus(receiptId: $input) {{\n    status\n    error\n    result {{\n{}    }}\n  }}\n}}\n\n{STATS_FRAGMENT}",
        stats_selection("      ")
    )
}

fn sync_upload() -> String {
    format!(
        "mutation UploadDetections($input: UploadDetectionEntitiesInput!) {{\n  uploadDetectionEntities(input: $input) {{\n{}  }}\n}}\n\n{STATS_FRAGMENT}",
        stats_selection("    ")
    )
}

const ASYNC_UPLOAD: &str = "mutation uploadDetectionEntitiesAsync($input: UploadDetectionEntitiesAsyncInput!) {\n  uploadDetectionEntitiesAsync(input: $input) {\n    receiptId\n  }\n}";
const VALIDATE: &str = "mutation ValidateBulkUpload($input: ValidateBulkUploadInput!) {\n  validateBulkUpload(input: $input) {\n    receiptId\n  }\n}";
const VALIDATE_STATUS: &str = "query ValidateBulkUploadStatus($input: ID!) {\n  validateBulkUploadStatus(receiptId: $input) {\n    status\n    error\n    result {\n      issues {\n        path\n        errorMessage\n      }\n    }\n  }\n}";
const DELETE_DETECTIONS: &str = "mutation DeleteDetections($input: DeleteDetectionsInput!) {\n  deleteDetections(input: $input) {\n    ids\n    savedQueryNames\n  }\n}";
const DELETE_QUERIES: &str = "mutation DeleteSavedQueries($input: DeleteSavedQueriesByNameInput!) {\n  deleteSavedQueriesByName(input: $input) {\n    detectionIDs\n    names\n  }\n}";
const FEATURE_FLAGS: &str = "query GetFeatureFlags($input: GetFeatureFlagsInput!) {\n  featureFlags(input: $input) {\n    flags {\n      flag\n      treatment\n    }\n  }\n}";
const LIST_SCHEMAS: &str = "query Schemas($input: SchemasInput!) {\n  schemas(input: $input) {\n    edges {\n      node {\n        createdAt\n        description\n        isManaged\n        name\n        referenceURL\n        revision\n        spec\n        updatedAt\n      }\n    }\n  }\n}";

fn introspection() -> &'static str {
    include_str!("introspection.graphql").trim_end()
}

/// The version PAT reports as `patVersion` (the one Prowl's behaviour follows).
pub const PAT_VERSION: &str = "1.6.3";

/// Panther's API gateway refuses request bodies over 6 MiB; the base64 archive is 4/3 of the
/// archive, so an archive over 4.5 MiB cannot go in one upload.
pub const MAX_ARCHIVE_BYTES: usize = 4608 * 1024;

/// PAT's `is_retryable_error_str`.
pub fn is_retryable(message: &str) -> bool {
    message.contains("another upload")
        || message == "upload failed"
        || message.contains("unknown error occurred")
        || message.contains("ddb lock")
        || message.contains("pload does not exist")
}

/// New, modified and total items of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "UploadCounts")]
pub struct Counts {
    /// Items the instance did not have.
    pub new: u64,
    /// Items it had, now changed.
    pub modified: u64,
    /// Items uploaded.
    pub total: u64,
}

/// The result of an upload, by kind (PAT's categories and order).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct UploadSummary {
    /// `Rules`, `Queries`, … as PAT names them, in PAT's order.
    pub kinds: Vec<(String, Counts)>,
    /// Whether the upload was asynchronous.
    pub asynchronous: bool,
    /// How many times the whole upload was tried again.
    pub retries: u32,
}

fn counts(v: Option<&Value>) -> Counts {
    let n = |k: &str| {
        v.and_then(|v| v.get(k))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    Counts {
        new: n("new"),
        modified: n("modified"),
        total: n("total"),
    }
}

fn summary(result: &Value, correlation: bool, asynchronous: bool, retries: u32) -> UploadSummary {
    // PAT's `print_upload_summary` order; "Scheduled Rules" has no bucket of its own.
    let mut kinds = vec![
        ("Rules", "rules"),
        ("Queries", "queries"),
        ("Policies", "policies"),
        ("Data Models", "dataModels"),
        ("Global Helpers", "globalHelpers"),
        ("Lookup Tables", "lookupTables"),
    ];
    if correlation {
        kinds.push(("Correlation Rules", "correlationRules"));
    }
    UploadSummary {
        kinds: kinds
            .into_iter()
            .map(|(name, key)| (name.to_owned(), counts(result.get(key))))
            .collect(),
        asynchronous,
        retries,
    }
}

impl UploadSummary {
    /// PAT's summary text (stdout): the kinds with anything in them.
    pub fn pat_text(&self) -> String {
        let mut out = String::from("\n--------------------------\nUpload Summary\n");
        for (name, c) in &self.kinds {
            if c.total > 0 || c.new > 0 || c.modified > 0 {
                out.push_str(&format!(
                    "\t{name}\n\t\tTotal: {}\n\t\tNew: {}\n\t\tModified: {}\n",
                    c.total, c.new, c.modified
                ));
            }
        }
        out
    }
}

/// Base64 (standard alphabet, padded), as PAT encodes the archive.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether the instance has the asynchronous upload (PAT's introspection check).
pub fn supports_async_upload(client: &Client) -> Result<bool, RemoteError> {
    let data = match client.execute(introspection(), None) {
        Ok(d) => d,
        // PAT: an introspection that errs means "no".
        Err(RemoteError::GraphQl(_)) => return Ok(false),
        Err(e) => return Err(e),
    };
    let wanted = [
        "uploadDetectionEntitiesAsync",
        "detectionEntitiesUploadStatus",
    ];
    let mut seen = 0;
    for t in data
        .pointer("/__schema/types")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = t.get("name").and_then(Value::as_str);
        if matches!(name, Some("Mutation" | "Query"))
            && t.get("kind").and_then(Value::as_str) == Some("OBJECT")
        {
            for f in t
                .get("fields")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if f.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| wanted.contains(&n))
                {
                    seen += 1;
                }
            }
        }
    }
    Ok(seen >= wanted.len())
}

/// The managed log-type schemas (PAT asks for them before its tests, for `LogTypes`
/// validation; the first page only, as PAT).
pub fn managed_schemas(client: &Client) -> Result<Vec<String>, RemoteError> {
    let data = client.execute(LIST_SCHEMAS, Some(json!({"isManaged": true})))?;
    Ok(data
        .pointer("/schemas/edges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.pointer("/node/name").and_then(Value::as_str))
        .map(str::to_owned)
        .collect())
}

/// Whether correlation rules are on for the instance (PAT drops their line otherwise).
pub fn correlation_rules_enabled(client: &Client) -> bool {
    client
        .execute(
            FEATURE_FLAGS,
            Some(json!({"flags": [{"flag": "EnableCorrelationRules", "defaultTreatment": null}]})),
        )
        .ok()
        .and_then(|d| d.pointer("/featureFlags/flags/0/treatment").cloned())
        .is_some_and(|t| t.as_bool() == Some(true))
}

/// What an upload reports while it runs.
#[derive(Debug, Clone)]
pub enum Progress {
    /// The archive was sent; the server gave this receipt.
    Sent(String),
    /// A poll found the upload still running, after this long.
    Waiting(std::time::Duration),
    /// A retryable failure: the whole upload starts again after PAT's wait.
    Retrying {
        /// The server's message.
        message: String,
        /// Tries left after this one.
        left: u32,
    },
}

fn failure_of(error: RemoteError) -> RemoteError {
    // PAT: the first GraphQL error decides; retryable by its message.
    match error {
        RemoteError::GraphQl(errors) if !errors.is_empty() => {
            let message = errors[0].message.clone();
            RemoteError::Failed {
                permanent: !is_retryable(&message),
                message,
            }
        }
        other => other,
    }
}

/// Polls a receipt until the server says COMPLETED or FAILED (or Prowl's limit passes).
fn poll(
    client: &Client,
    query: &str,
    field: &str,
    receipt: &str,
    what: &'static str,
    progress: &mut dyn FnMut(Progress),
) -> Result<Value, RemoteError> {
    let start = Instant::now();
    loop {
        std::thread::sleep(client.timing.poll);
        let data = client.execute(query, Some(json!(receipt)))?;
        let result = data.get(field).cloned().unwrap_or(Value::Null);
        match result.get("status").and_then(Value::as_str).unwrap_or("") {
            "COMPLETED" | "FAILED" => return Ok(result),
            "NOT_PROCESSED" => {}
            other => {
                return Err(RemoteError::Failed {
                    message: format!("unexpected status: {other}"),
                    permanent: false,
                })
            }
        }
        let waited = start.elapsed();
        if waited >= client.timing.max_poll {
            return Err(RemoteError::NeverFinished {
                what,
                receipt: receipt.to_owned(),
                waited,
            });
        }
        progress(Progress::Waiting(waited));
    }
}

fn upload_once(
    client: &Client,
    data: &str,
    use_async: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Value, RemoteError> {
    let limit = client.timing.request * 4;
    if !use_async {
        let reply = client
            .execute_within(&sync_upload(), Some(json!({"data": data})), limit)
            .map_err(failure_of)?;
        return Ok(reply
            .get("uploadDetectionEntities")
            .cloned()
            .unwrap_or(Value::Null));
    }
    let reply = client
        .execute_within(
            ASYNC_UPLOAD,
            Some(json!({"data": data, "patVersion": PAT_VERSION})),
            limit,
        )
        .map_err(failure_of)?;
    let receipt = reply
        .pointer("/uploadDetectionEntitiesAsync/receiptId")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .ok_or(RemoteError::Failed {
            message: "empty data".into(),
            permanent: false,
        })?
        .to_owned();
    progress(Progress::Sent(receipt.clone()));
    let status = poll(
        client,
        &async_upload_status(),
        "detectionEntitiesUploadStatus",
        &receipt,
        "upload",
        progress,
    )
    .map_err(failure_of)?;
    if status.get("status").and_then(Value::as_str) == Some("FAILED") {
        let message = status
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("upload failed")
            .to_owned();
        return Err(RemoteError::Failed {
            permanent: !is_retryable(&message),
            message,
        });
    }
    Ok(status.get("result").cloned().unwrap_or(Value::Null))
}

/// Uploads an archive as PAT's `upload_zip`: asynchronously with polling when `use_async`
/// (else one synchronous call), the whole upload tried again after PAT's wait on a retryable
/// failure, at most `max_retries` times (clamped to 0..=10 as PAT does); then the
/// correlation-rule flag, for the summary.
pub fn upload(
    client: &Client,
    archive: &[u8],
    use_async: bool,
    max_retries: u32,
    progress: &mut dyn FnMut(Progress),
) -> Result<UploadSummary, RemoteError> {
    if archive.len() > MAX_ARCHIVE_BYTES {
        return Err(RemoteError::TooLarge {
            bytes: archive.len(),
            limit: MAX_ARCHIVE_BYTES,
        });
    }
    let data = base64(archive);
    let max_retries = max_retries.min(10);
    let mut retries = 0;
    loop {
        match upload_once(client, &data, use_async, progress) {
            Ok(result) => {
                let correlation = correlation_rules_enabled(client);
                return Ok(summary(&result, correlation, use_async, retries));
            }
            Err(RemoteError::Failed {
                message,
                permanent: false,
            }) if retries < max_retries => {
                retries += 1;
                progress(Progress::Retrying {
                    message,
                    left: max_retries - retries,
                });
                std::thread::sleep(client.timing.retry_upload);
            }
            Err(e) => return Err(e),
        }
    }
}

/// One problem the server found in an archive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    /// The archive entry (a path relative to the workspace root), as the server gave it.
    pub path: String,
    /// The server's message.
    pub message: String,
}

/// What the server's validation said.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Validation {
    /// Its overall error, if any.
    pub error: Option<String>,
    /// Problems by file.
    pub issues: Vec<Issue>,
}

impl Validation {
    /// Valid iff no error and no issues (PAT's rule).
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.issues.is_empty()
    }
}

fn unsupported(error: RemoteError) -> RemoteError {
    match error {
        RemoteError::GraphQl(errors)
            if errors
                .iter()
                .any(|e| e.code.as_deref() == Some("GRAPHQL_VALIDATION_FAILED")) =>
        {
            RemoteError::Unsupported("server-side validation".into())
        }
        other => other,
    }
}

/// The server's validation of an archive (PAT's `validate`).
pub fn validate(
    client: &Client,
    archive: &[u8],
    progress: &mut dyn FnMut(Progress),
) -> Result<Validation, RemoteError> {
    if archive.len() > MAX_ARCHIVE_BYTES {
        return Err(RemoteError::TooLarge {
            bytes: archive.len(),
            limit: MAX_ARCHIVE_BYTES,
        });
    }
    let reply = client
        .execute_within(
            VALIDATE,
            Some(json!({"data": base64(archive), "patVersion": PAT_VERSION})),
            client.timing.request * 4,
        )
        .map_err(unsupported)?;
    let receipt = reply
        .pointer("/validateBulkUpload/receiptId")
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty())
        .ok_or(RemoteError::Failed {
            message: "empty data".into(),
            permanent: false,
        })?
        .to_owned();
    progress(Progress::Sent(receipt.clone()));
    let status = poll(
        client,
        VALIDATE_STATUS,
        "validateBulkUploadStatus",
        &receipt,
        "validation",
        progress,
    )
    .map_err(unsupported)?;
    Ok(Validation {
        error: status
            .get("error")
            .and_then(Value::as_str)
            .map(str::to_owned),
        issues: status
            .pointer("/result/issues")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|i| Issue {
                path: i
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                message: i
                    .get("errorMessage")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            })
            .collect(),
    })
}

/// `json.dumps(value)` as Python writes it (`", "` and `": "`, non-ASCII escaped), the form
/// PAT sends specs and filters in.
pub fn python_json(value: &Value) -> String {
    let mut out = String::new();
    write_python_json(value, &mut out);
    out
}

fn write_python_json(value: &Value, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_json(v, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_python_string(k, out);
                out.push_str(": ");
                write_python_json(v, out);
            }
            out.push('}');
        }
        Value::String(s) => write_python_string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn write_python_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

const TRANSPILE_SDL: &str = "mutation TranspileSimpleDetectionsToPython($input: TranspileSimpleDetectionsToPythonInput!) {\n  transpileSimpleDetectionsToPython(input: $input) {\n    transpiledPython\n  }\n}";
const TRANSPILE_FILTERS: &str = "mutation TranspileFilters($input: TranspileFiltersInput!) {\n  transpileFilters(input: $input) {\n    transpiledFilters\n  }\n}";
const TEST_CORRELATION: &str = "mutation TestCorrelationRule($input: TestCorrelationRuleYAMLInput!) {\n  testCorrelationRuleYAML(input: $input) {\n    results {\n      error\n      name\n      passed\n    }\n  }\n}";

/// The instance's Python for Simple Detections (specs as JSON, one result per spec, in order).
pub fn transpile_simple_detections(
    client: &Client,
    specs: &[Value],
) -> Result<Vec<String>, RemoteError> {
    let data: Vec<String> = specs.iter().map(python_json).collect();
    let reply = client.execute(TRANSPILE_SDL, Some(json!({"data": data})))?;
    let out = strings(reply.pointer("/transpileSimpleDetectionsToPython/transpiledPython"));
    if out.len() != specs.len() {
        return Err(RemoteError::NotGraphQl {
            url: client.url().to_owned(),
            body: format!(
                "{} transpiled detections for {} sent",
                out.len(),
                specs.len()
            ),
        });
    }
    Ok(out)
}

/// The instance's filter JSON for each rule's `InlineFilters` (in order).
pub fn transpile_filters(client: &Client, filters: &[Value]) -> Result<Vec<Value>, RemoteError> {
    let data: Vec<String> = filters.iter().map(python_json).collect();
    let reply = client.execute(
        TRANSPILE_FILTERS,
        Some(json!({"data": data, "patVersion": PAT_VERSION})),
    )?;
    let out = strings(reply.pointer("/transpileFilters/transpiledFilters"));
    if out.len() != filters.len() {
        return Err(RemoteError::NotGraphQl {
            url: client.url().to_owned(),
            body: format!(
                "{} transpiled filters for {} sent",
                out.len(),
                filters.len()
            ),
        });
    }
    out.iter()
        .map(|s| {
            serde_json::from_str(s).map_err(|_| RemoteError::NotGraphQl {
                url: client.url().to_owned(),
                body: format!("a transpiled filter that is not JSON: {s}"),
            })
        })
        .collect()
}

/// One correlation-rule test's result from the instance.
#[derive(Debug, Clone)]
pub struct CorrelationTest {
    /// The test's name.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// The instance's error, if any.
    pub error: Option<String>,
}

/// The instance's run of a correlation rule's tests (`yaml` is the spec).
pub fn test_correlation_rule(
    client: &Client,
    yaml: &str,
) -> Result<Vec<CorrelationTest>, RemoteError> {
    let reply = client.execute(TEST_CORRELATION, Some(json!({"yaml": yaml})))?;
    Ok(reply
        .pointer("/testCorrelationRuleYAML/results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| CorrelationTest {
            name: r
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            passed: r.get("passed").and_then(Value::as_bool).unwrap_or(false),
            error: r.get("error").and_then(Value::as_str).map(str::to_owned),
        })
        .collect())
}

/// PAT's batch size for deletions (a DynamoDB limit on Panther's side).
pub const DELETE_BATCH: usize = 100;

/// What a deletion found (or, in a dry run, would delete).
#[derive(Debug, Clone, Default, serde::Serialize, ts_rs::TS)]
pub struct Deleted {
    /// Detection IDs the server had.
    pub ids: Vec<String>,
    /// Saved queries linked to them.
    pub linked_queries: Vec<String>,
    /// Saved query names the server had.
    pub queries: Vec<String>,
    /// Detections linked to them.
    pub linked_detections: Vec<String>,
}

/// `deleteDetections` in batches of 100 (saved queries linked to them included, as PAT).
pub fn delete_detections(
    client: &Client,
    ids: &[String],
    dry_run: bool,
) -> Result<Deleted, RemoteError> {
    let mut out = Deleted::default();
    for batch in ids.chunks(DELETE_BATCH) {
        let data = client.execute(
            DELETE_DETECTIONS,
            Some(json!({"dryRun": dry_run, "includeSavedQueries": true, "ids": batch})),
        )?;
        out.ids
            .extend(strings(data.pointer("/deleteDetections/ids")));
        out.linked_queries
            .extend(strings(data.pointer("/deleteDetections/savedQueryNames")));
    }
    Ok(out)
}

/// `deleteSavedQueriesByName` in batches of 100 (detections linked to them included).
pub fn delete_saved_queries(
    client: &Client,
    names: &[String],
    dry_run: bool,
) -> Result<Deleted, RemoteError> {
    let mut out = Deleted::default();
    for batch in names.chunks(DELETE_BATCH) {
        let data = client.execute(
            DELETE_QUERIES,
            Some(json!({"dryRun": dry_run, "includeDetections": true, "names": batch})),
        )?;
        out.queries
            .extend(strings(data.pointer("/deleteSavedQueriesByName/names")));
        out.linked_detections.extend(strings(
            data.pointer("/deleteSavedQueriesByName/detectionIDs"),
        ));
    }
    Ok(out)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Counts by key, for JSON output.
pub fn counts_map(summary: &UploadSummary) -> BTreeMap<String, Counts> {
    summary.kinds.iter().cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn python_json_is_json_dumps() {
        let v: Value =
            serde_json::from_str(r#"{"b": [1, 2.5, null, true], "a": "é\"\n😀"}"#).unwrap();
        assert_eq!(
            python_json(&v),
            r#"{"b": [1, 2.5, null, true], "a": "\u00e9\"\n\ud83d\ude00"}"#
        );
    }

    #[test]
    fn retryable_messages_are_pats() {
        assert!(is_retryable("another upload is in progress"));
        assert!(is_retryable("upload failed"));
        assert!(!is_retryable("upload failed: bad yaml"));
        assert!(is_retryable("Upload does not exist"));
        assert!(!is_retryable("invalid rule"));
    }

    #[test]
    fn query_texts_are_the_ones_pat_prints() {
        // The fragments of PAT 1.6.3's printed documents that Prowl builds rather than quotes.
        let status = async_upload_status();
        assert!(status.starts_with("query status($input: ID!) {\n  detectionEntitiesUploadStatus(receiptId: $input) {\n    status\n    error\n    result {\n      dataModels {\n        ...UploadStatisticDetails\n      }\n"));
        assert!(status.ends_with("      correlationRules {\n        ...UploadStatisticDetails\n      }\n    }\n  }\n}\n\nfragment UploadStatisticDetails on UploadStatistics {\n  modified\n  new\n  total\n}"));
        assert!(sync_upload().contains("  uploadDetectionEntities(input: $input) {\n    dataModels {\n      ...UploadStatisticDetails\n    }\n"));
        assert!(introspection().starts_with("query IntrospectionQuery {\n  __schema {"));
    }
}
