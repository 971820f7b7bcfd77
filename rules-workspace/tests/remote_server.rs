//! `prowl remote` against a Panther instance of our own: `tests/remote/panther_server.py`, a
//! real HTTP(S) server on loopback that answers the operations PAT 1.6.3 sends, keeps what it
//! receives and injects faults.
//!
//! - Differential: PAT 1.6.3 and Prowl upload, validate and delete against the same server;
//!   they send the same operations, in the same order, with the same query texts and inputs,
//!   and archives with the same entries and bytes.
//! - Every fault (429 with `Retry-After`, 5xx, a dropped connection, a slow answer, malformed
//!   JSON, GraphQL errors, a wrong token, an upload that never completes, TLS and DNS
//!   failures) gives a retry or a clear error, and the token is never printed or written.
//! - Profiles keep the host in the config folder and the token in a real Secret Service
//!   (gnome-keyring in its own D-Bus session).
//! - Drift: what the instance has against what an upload would send.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "prowl-test-token-7d2e41b9";

/// PAT's Python (it has PyYAML, which the server reads specs with).
fn server_python() -> PathBuf {
    std::env::var_os("PROWL_PAT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| pat_binary().parent().unwrap().join("python"))
}

struct Server {
    child: Child,
    url: String,
    control: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_with(extra: &[&str]) -> Server {
    let mut child = Command::new(server_python())
        .arg(tests_dir().join("remote/panther_server.py"))
        .args(["--token", TOKEN])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the test server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("the server did not start: {line:?}"))
        .to_owned();
    let origin = url.trim_end_matches("/public/graphql").to_owned();
    Server {
        child,
        control: format!("{}/_control", origin.replace("https://", "http://")),
        url,
    }
}

fn start() -> Server {
    start_with(&[])
}

fn http(method: &str, url: &str, body: Option<&Value>) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut reply = match body {
        Some(b) => agent.post(url).send_json(b).unwrap(),
        None if method == "POST" => agent.post(url).send_empty().unwrap(),
        None => agent.get(url).call().unwrap(),
    };
    serde_json::from_str(&reply.body_mut().read_to_string().unwrap()).unwrap()
}

impl Server {
    fn log(&self) -> Vec<Value> {
        http("GET", &format!("{}/log", self.control), None)
            .as_array()
            .unwrap()
            .clone()
    }
    fn ops(&self) -> Vec<String> {
        self.log()
            .iter()
            .map(|e| e["op"].as_str().unwrap().to_owned())
            .collect()
    }
    fn reset(&self) {
        http(
            "POST",
            &format!("{}/reset", self.control),
            Some(&json!(null)),
        );
    }
    fn config(&self, v: Value) {
        http("POST", &format!("{}/config", self.control), Some(&v));
    }
    fn faults(&self, v: Value) {
        http("POST", &format!("{}/faults", self.control), Some(&v));
    }
    fn store(&self) -> Value {
        http("GET", &format!("{}/store", self.control), None)
    }
}

struct Run {
    code: i32,
    out: String,
    err: String,
    took: Duration,
}

fn prowl_remote(ws: Option<&Path>, args: &[&str], config: &Path) -> Run {
    let start = Instant::now();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prowl"));
    cmd.arg("remote")
        .args(args)
        .env_remove("PANTHER_API_TOKEN")
        .env_remove("PANTHER_API_HOST")
        .env_remove("PROWL_PROFILE")
        .env("PROWL_CONFIG", config)
        .env("PROWL_REMOTE_TIME_SCALE", "0.01")
        .env("PROWL_PYTHON_ENV", test_env())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    if let Some(ws) = ws {
        cmd.current_dir(ws);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    }
}

fn pat(ws: &Path, args: &[&str], url: &str) -> (i32, String) {
    let out = Command::new(pat_binary())
        .arg("--skip-version-check")
        .args(args)
        .args(["--api-host", url, "--api-token", TOKEN])
        .current_dir(ws)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A copy of the demo workspace.
fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    rules_workspace::testkit::copy_dir(&demo_base(), dir.path());
    dir
}

/// The demo without what PAT tests on the server (Simple Detections, inline filters, the
/// correlation rule) and the packs that name them, so that PAT's tests pass against our server
/// (which cannot transpile) and both tools' test steps send the same operations.
fn demo_without_server_tests() -> tempfile::TempDir {
    let dir = demo();
    for rel in [
        "correlation_rules/demo_okta_mfa_reset_then_admin_grant.yml",
        "rules/aws_cloudtrail_rules/demo_aws_root_console_login_prod.yml",
        "rules/aws_cloudtrail_rules/demo_aws_kms_key_deletion_scheduled.yml",
        "rules/aws_cloudtrail_rules/demo_aws_s3_bucket_policy_modified.yml",
        "rules/aws_cloudtrail_rules/demo_aws_s3_bucket_policy_modified.py",
    ] {
        std::fs::remove_file(dir.path().join(rel)).unwrap();
    }
    std::fs::remove_dir_all(dir.path().join("packs")).unwrap();
    dir
}

/// (name, bytes) of an archive's entries, in order.
fn zip_entries(base64: &str) -> Vec<(String, Vec<u8>)> {
    let bytes = decode_base64(base64);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut b = Vec::new();
            f.read_to_end(&mut b).unwrap();
            (f.name().to_owned(), b)
        })
        .collect()
}

fn decode_base64(s: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let mut out = Vec::new();
    for chunk in s.as_bytes().chunks(4) {
        let pad = chunk.iter().filter(|c| **c == b'=').count();
        let n = chunk
            .iter()
            .filter(|c| **c != b'=')
            .fold(0u32, |acc, c| (acc << 6) | value(*c))
            << (6 * pad);
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    out
}

/// A request with the archive's base64 replaced by its entries (and the receipt kept).
fn comparable(entry: &Value) -> Value {
    let mut e = entry.clone();
    if let Some(data) = e
        .pointer("/variables/input/data")
        .and_then(Value::as_str)
        .map(str::to_owned)
    {
        if entry["op"] != "transpileSimpleDetectionsToPython" && entry["op"] != "transpileFilters" {
            let entries: Vec<Value> = zip_entries(&data)
                .into_iter()
                .map(|(n, b)| json!([n, String::from_utf8_lossy(&b)]))
                .collect();
            e["variables"]["input"]["data"] = json!(entries);
        }
    }
    // A correlation rule's spec goes to the instance as YAML: PAT re-dumps it, Prowl sends the
    // file's own text; the instance parses it, so they are compared as data.
    if let Some(text) = entry
        .pointer("/variables/input/yaml")
        .and_then(Value::as_str)
    {
        let doc = rules_workspace::spec::yaml::load_str(text).unwrap();
        e["variables"]["input"]["yaml"] = doc.root.unwrap().to_json();
    }
    e
}

/// Runs PAT then Prowl (each on a fresh server state) and compares every request.
fn same_requests_as_pat(
    server: &Server,
    ws: &Path,
    pat_args: &[&str],
    prowl_args: &[&str],
    config: &Path,
    setup: Value,
) -> Vec<String> {
    server.reset();
    server.config(setup.clone());
    let (pat_code, pat_out) = pat(ws, pat_args, &server.url);
    let pat_log = server.log();
    let pat_store = server.store();
    server.reset();
    server.config(setup);
    let mut args: Vec<&str> = prowl_args.to_vec();
    args.extend(["--api-host", &server.url, "--api-token", TOKEN]);
    let run = prowl_remote(Some(ws), &args, config);
    let prowl_log = server.log();
    assert_eq!(
        (run.code, pat_code),
        (0, 0),
        "prowl:\n{}{}\nPAT:\n{pat_out}",
        run.out,
        run.err
    );
    let ops = |log: &[Value]| -> Vec<String> {
        log.iter()
            .map(|e| e["op"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ops(&prowl_log),
        ops(&pat_log),
        "the operations and their order"
    );
    for (p, q) in prowl_log.iter().zip(&pat_log) {
        assert_eq!(p["query"], q["query"], "{}: the query text", p["op"]);
        assert_eq!(p["keys"], q["keys"], "{}: the body's keys", p["op"]);
        assert_eq!(
            comparable(p)["variables"],
            comparable(q)["variables"],
            "{}: the input (archives compared entry by entry)",
            p["op"]
        );
    }
    assert_eq!(
        server.store(),
        pat_store,
        "what the instance holds afterwards"
    );
    assert!(!run.out.contains(TOKEN) && !run.err.contains(TOKEN));
    ops(&prowl_log)
}

#[test]
fn upload_sends_what_pat_sends_async_sync_and_with_tests() {
    let server = start();
    let config = tempfile::tempdir().unwrap();
    let ws = demo();
    let ops = same_requests_as_pat(
        &server,
        ws.path(),
        &["upload", "--path", ".", "--skip-tests"],
        &["upload", ".", "--skip-tests"],
        config.path(),
        json!({}),
    );
    assert_eq!(
        ops,
        [
            "__schema",
            "schemas",
            "uploadDetectionEntitiesAsync",
            "detectionEntitiesUploadStatus",
            "detectionEntitiesUploadStatus",
            "featureFlags"
        ]
    );
    // Every entry the archive held is now on the instance.
    let store = server.store();
    assert!(store
        .get("rules/Demo.AWS.CloudTrail.Stopped")
        .or_else(|| store
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.starts_with("rules/"))
            .map(|(_, v)| v))
        .is_some());

    // An instance without the asynchronous upload: the synchronous one, as PAT.
    let ops = same_requests_as_pat(
        &server,
        ws.path(),
        &["upload", "--path", ".", "--skip-tests"],
        &["upload", ".", "--skip-tests"],
        config.path(),
        json!({"async": false}),
    );
    assert_eq!(
        ops,
        [
            "__schema",
            "schemas",
            "uploadDetectionEntities",
            "featureFlags"
        ]
    );

    // With the tests first (what PAT tests on the server left out, see above).
    let plain = demo_without_server_tests();
    let ops = same_requests_as_pat(
        &server,
        plain.path(),
        &["upload", "--path", "."],
        &["upload", "."],
        config.path(),
        json!({}),
    );
    assert_eq!(ops[..2], ["__schema", "schemas"]);

    // The instance's log types: PAT and Prowl leave out the same items.
    same_requests_as_pat(
        &server,
        ws.path(),
        &["upload", "--path", ".", "--skip-tests"],
        &["upload", ".", "--skip-tests"],
        config.path(),
        json!({"managed_schemas": ["AWS.CloudTrail", "Okta.SystemLog"]}),
    );
    server.reset();
    let run = prowl_remote(
        Some(plain.path()),
        &[
            "upload",
            ".",
            "--api-host",
            &server.url,
            "--api-token",
            TOKEN,
        ],
        config.path(),
    );
    // With the tests, an item the instance cannot run stops the upload.
    server.reset();
    server.config(json!({"managed_schemas": ["AWS.CloudTrail"]}));
    let run2 = prowl_remote(
        Some(plain.path()),
        &[
            "upload",
            ".",
            "--api-host",
            &server.url,
            "--api-token",
            TOKEN,
        ],
        config.path(),
    );
    assert_eq!(run.code, 0, "{}", run.err);
    assert_eq!(run2.code, 1, "{}", run2.err);
    assert!(
        run2.err
            .contains("LogTypes not supported by Panther instance: GCP.AuditLog"),
        "{}",
        run2.err
    );
    assert!(!server.ops().iter().any(|o| o.starts_with("upload")));
}

#[test]
fn validate_and_delete_send_what_pat_sends() {
    let server = start();
    let config = tempfile::tempdir().unwrap();
    let ws = demo();
    let ops = same_requests_as_pat(
        &server,
        ws.path(),
        &["validate", "--path", "."],
        &["validate", "."],
        config.path(),
        json!({}),
    );
    assert_eq!(
        ops,
        [
            "schemas",
            "validateBulkUpload",
            "validateBulkUploadStatus",
            "validateBulkUploadStatus"
        ]
    );
    // 150 IDs: two batches of 100 and 50, dry run then the deletion, as PAT.
    let ids: Vec<String> = (0..150).map(|i| format!("Gone.{i:03}")).collect();
    let mut pat_args = vec!["delete", "--no-confirm"];
    let mut prowl_args = vec!["delete", "--yes"];
    for id in &ids {
        pat_args.extend(["--analysis-id", id.as_str()]);
        prowl_args.extend(["--analysis-id", id.as_str()]);
    }
    pat_args.extend(["--query-id", "Demo.Query.Okta.FailedLoginsByUser"]);
    prowl_args.extend(["--query-id", "Demo.Query.Okta.FailedLoginsByUser"]);
    let ops = same_requests_as_pat(
        &server,
        ws.path(),
        &pat_args,
        &prowl_args,
        config.path(),
        json!({}),
    );
    assert_eq!(
        ops,
        [
            "deleteDetections",
            "deleteDetections",
            "deleteSavedQueriesByName",
            "deleteDetections",
            "deleteDetections",
            "deleteSavedQueriesByName"
        ]
    );
}

#[test]
fn delete_asks_first_and_deletes_what_the_instance_has() {
    let server = start();
    let config = tempfile::tempdir().unwrap();
    let ws = demo();
    let up = prowl_remote(
        Some(ws.path()),
        &[
            "upload",
            ".",
            "--skip-tests",
            "--api-host",
            &server.url,
            "--api-token",
            TOKEN,
        ],
        config.path(),
    );
    assert_eq!(up.code, 0, "{}", up.err);
    let rules_before = server.store().as_object().unwrap().len();
    let id = "Demo.AWS.IAM.AccessKeyCreated";
    assert!(
        server.store().get(format!("rules/{id}")).is_some(),
        "{}",
        server.store()
    );
    // Dry run: nothing changes.
    let dry = prowl_remote(
        None,
        &[
            "delete",
            id,
            "Nope.Missing",
            "--dry-run",
            "--api-host",
            &server.url,
            "--api-token",
            TOKEN,
        ],
        config.path(),
    );
    assert_eq!(dry.code, 0, "{}", dry.err);
    assert!(
        dry.err
            .contains(&format!("Detection '{id}' will be deleted")),
        "{}",
        dry.err
    );
    assert!(
        dry.err.contains("Detection 'Nope.Missing' was not found."),
        "{}",
        dry.err
    );
    assert_eq!(server.store().as_object().unwrap().len(), rules_before);
    // No confirmation on standard input: cancelled.
    let no = prowl_remote(
        None,
        &[
            "delete",
            id,
            "--api-host",
            &server.url,
            "--api-token",
            TOKEN,
        ],
        config.path(),
    );
    assert_eq!(no.code, 0);
    assert!(no.out.contains("Cancelled"), "{}", no.out);
    assert_eq!(server.store().as_object().unwrap().len(), rules_before);
    let yes = prowl_remote(
        None,
        &[
            "delete",
            id,
            "--yes",
            "--api-host",
            &server.url,
            "--api-token",
            TOKEN,
        ],
        config.path(),
    );
    assert_eq!(yes.code, 0, "{}", yes.err);
    assert!(
        yes.err
            .contains("1 detections and 0 linked saved queries deleted"),
        "{}",
        yes.err
    );
    assert!(server.store().get(format!("rules/{id}")).is_none());
}

fn upload_demo(server: &Server, ws: &Path, config: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "upload",
        ".",
        "--skip-tests",
        "--api-host",
        &server.url,
        "--api-token",
        TOKEN,
    ];
    args.extend(extra);
    prowl_remote(Some(ws), &args, config)
}

#[test]
fn network_faults_are_retried_and_failures_are_clear() {
    let server = start();
    let config = tempfile::tempdir().unwrap();
    let ws = demo();

    // 429 with Retry-After: honoured (1 s, not scaled), then success.
    server.faults(json!([{"op": "uploadDetectionEntitiesAsync", "kind": "status", "status": 429, "retry_after": 1}]));
    let run = upload_demo(&server, ws.path(), config.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.err);
    assert!(run.took >= Duration::from_secs(1), "{:?}", run.took);
    assert!(
        run.err.contains("HTTP 429") && run.err.contains("trying again in 1.0 s"),
        "{}",
        run.err
    );
    assert_eq!(
        server
            .ops()
            .iter()
            .filter(|o| *o == "uploadDetectionEntitiesAsync")
            .count(),
        2
    );

    // Two 502s and a dropped connection on polls, a slow answer past the time limit: retried.
    server.reset();
    server.faults(json!([
        {"op": "detectionEntitiesUploadStatus", "kind": "status", "status": 502, "times": 2, "body": "<html>bad gateway</html>"},
        {"op": "featureFlags", "kind": "drop"},
        {"op": "__schema", "kind": "delay", "seconds": 2},
    ]));
    let run = upload_demo(&server, ws.path(), config.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.err);
    assert!(run.err.contains("HTTP 502"), "{}", run.err);
    assert!(run.err.contains("could not reach"), "{}", run.err);
    assert!(run.out.contains("Upload Summary"));

    // PAT's retryable server failure: the whole upload again; a permanent one: a clear error.
    server.reset();
    server.faults(json!([{"op": "detectionEntitiesUploadStatus", "kind": "upload_failed", "message": "another upload is in progress"}]));
    let run = upload_demo(&server, ws.path(), config.path(), &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.err);
    let summary: Value = serde_json::from_str(&run.out).unwrap();
    assert_eq!(summary["retries"], 1);
    assert!(summary["kinds"]["Rules"]["total"].as_u64().unwrap() > 10);
    server.reset();
    server.faults(json!([{"op": "detectionEntitiesUploadStatus", "kind": "upload_failed", "message": "rules/x.yml: bad rule"}]));
    let run = upload_demo(&server, ws.path(), config.path(), &[]);
    assert_ne!(run.code, 0);
    assert!(
        run.err
            .contains("Failed to upload to Panther: rules/x.yml: bad rule"),
        "{}",
        run.err
    );
    assert_eq!(
        server
            .ops()
            .iter()
            .filter(|o| *o == "uploadDetectionEntitiesAsync")
            .count(),
        1
    );

    // An upload that never completes: a bounded wait, then the receipt.
    server.reset();
    server.faults(
        json!([{"op": "detectionEntitiesUploadStatus", "kind": "never_complete", "times": -1}]),
    );
    let run = upload_demo(&server, ws.path(), config.path(), &[]);
    assert_ne!(run.code, 0);
    assert!(
        run.err.contains("did not finish upload receipt-1"),
        "{}",
        run.err
    );
    assert!(
        run.err.contains("remote.never_finished") || run.err.contains("receipt receipt-1"),
        "{}",
        run.err
    );

    // Malformed JSON and GraphQL errors: clear, not retried blindly, never a success.
    server.reset();
    server.faults(json!([{"op": "generalSettings", "kind": "malformed"}]));
    let run = prowl_remote(
        None,
        &["check", "--api-host", &server.url, "--api-token", TOKEN],
        config.path(),
    );
    assert_ne!(run.code, 0);
    assert!(
        run.err.contains("did not return a GraphQL result"),
        "{}",
        run.err
    );
    server.faults(json!([{"op": "generalSettings", "kind": "null_data"}]));
    let run = prowl_remote(
        None,
        &["check", "--api-host", &server.url, "--api-token", TOKEN],
        config.path(),
    );
    assert_ne!(run.code, 0);
    server.faults(json!([{"op": "validateBulkUpload", "kind": "graphql_error", "message": "Cannot query field", "code": "GRAPHQL_VALIDATION_FAILED"}]));
    let run = prowl_remote(
        Some(ws.path()),
        &[
            "validate",
            ".",
            "--api-host",
            &server.url,
            "--api-token",
            TOKEN,
        ],
        config.path(),
    );
    assert_ne!(run.code, 0);
    assert!(
        run.err.contains("does not support this feature"),
        "{}",
        run.err
    );

    // 5xx that never ends: the retries run out with the status in the message.
    server.reset();
    server.faults(json!([{"op": "generalSettings", "kind": "status", "status": 503, "times": 10}]));
    let run = prowl_remote(
        None,
        &["check", "--api-host", &server.url, "--api-token", TOKEN],
        config.path(),
    );
    assert_ne!(run.code, 0);
    assert!(run.err.contains("HTTP 503"), "{}", run.err);
    assert_eq!(server.ops().len(), 5, "five tries in all");

    // A wrong token: not retried, with the hint to sign in again, the token never shown.
    server.reset();
    let run = prowl_remote(
        None,
        &[
            "check",
            "--api-host",
            &server.url,
            "--api-token",
            "wrong-token-123",
        ],
        config.path(),
    );
    assert_ne!(run.code, 0);
    assert!(
        run.err.contains("refused the API token (HTTP 401)"),
        "{}",
        run.err
    );
    assert!(run.err.contains("prowl remote login"), "{}", run.err);
    assert!(!run.err.contains("wrong-token-123"));
    assert_eq!(server.ops().len(), 1);

    // DNS: a name that cannot resolve.
    let run = prowl_remote(
        None,
        &[
            "check",
            "--api-host",
            "https://panther.invalid/public/graphql",
            "--api-token",
            TOKEN,
        ],
        config.path(),
    );
    assert_ne!(run.code, 0);
    assert!(
        run.err.contains("could not reach https://panther.invalid"),
        "{}",
        run.err
    );
    assert!(!run.out.contains(TOKEN) && !run.err.contains(TOKEN));
}

#[test]
fn a_certificate_the_system_does_not_trust_is_a_clear_tls_error() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl (Debian's openssl package) makes the test certificate");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let server = start_with(&[
        "--cert",
        cert.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert!(server.url.starts_with("https://"));
    let config = tempfile::tempdir().unwrap();
    let run = prowl_remote(
        None,
        &["check", "--api-host", &server.url, "--api-token", TOKEN],
        config.path(),
    );
    assert_ne!(run.code, 0);
    assert!(
        run.err.contains("remote.tls") || run.err.contains("certificate"),
        "{}",
        run.err
    );
    assert!(run.err.contains("system trusts"), "{}", run.err);
    assert!(!run.err.contains(TOKEN));
}

#[test]
fn an_archive_over_the_apis_limit_is_refused_before_sending() {
    let server = start();
    let config = tempfile::tempdir().unwrap();
    let ws = demo();
    // A lookup table's data file that compresses poorly: 12 MiB of pseudo-random hex.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut csv = String::from("ip,owner\n");
    while csv.len() < 12 * 1024 * 1024 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        csv.push_str(&format!("{x:016x},{:016x}\n", x.rotate_left(17)));
    }
    let lookup = std::fs::read_dir(ws.path().join("lookup_tables"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "yml"))
        .unwrap();
    let spec = std::fs::read_to_string(&lookup).unwrap();
    let data = spec
        .lines()
        .find_map(|l| l.strip_prefix("Filename: "))
        .unwrap()
        .trim()
        .to_owned();
    std::fs::write(lookup.parent().unwrap().join(data), csv).unwrap();
    let run = upload_demo(&server, ws.path(), config.path(), &[]);
    assert_ne!(run.code, 0);
    assert!(
        run.err.contains("Panther's API takes at most 4608 KiB"),
        "{}",
        run.err
    );
    assert!(run.err.contains("--filter"), "{}", run.err);
    assert!(!server.ops().iter().any(|o| o.starts_with("upload")));
}

#[test]
fn server_validation_issues_point_at_files() {
    let server = start();
    let config = tempfile::tempdir().unwrap();
    let ws = demo();
    server.config(json!({"validate_issues": [
        {"path": "rules/okta_rules/demo_okta_admin_role_assigned.yml", "errorMessage": "Severity must be one of …"},
        {"path": "elsewhere/unknown.yml", "errorMessage": "odd"},
    ]}));
    let run = prowl_remote(
        Some(ws.path()),
        &[
            "validate",
            ".",
            "--api-host",
            &server.url,
            "--api-token",
            TOKEN,
        ],
        config.path(),
    );
    assert_eq!(run.code, 1, "{}", run.err);
    let file = ws
        .path()
        .join("rules/okta_rules/demo_okta_admin_role_assigned.yml");
    assert!(
        run.out
            .contains(&format!("{}: Severity must be one of", file.display())),
        "{}",
        run.out
    );
    assert!(
        run.out.contains("elsewhere/unknown.yml: odd"),
        "{}",
        run.out
    );
}

#[test]
fn drift_lists_what_an_upload_would_change() {
    let server = start();
    let config = tempfile::tempdir().unwrap();
    let ws = demo();
    let up = upload_demo(&server, ws.path(), config.path(), &[]);
    assert_eq!(up.code, 0, "{}", up.err);
    let diff = |extra: &[&str]| {
        let mut args = vec![
            "diff",
            ".",
            "--format",
            "json",
            "--api-host",
            &server.url,
            "--api-token",
            TOKEN,
        ];
        args.extend(extra);
        let run = prowl_remote(Some(ws.path()), &args, config.path());
        (
            run.code,
            serde_json::from_str::<Value>(&run.out)
                .unwrap_or_else(|_| panic!("{}{}", run.out, run.err)),
        )
    };
    let (code, clean) = diff(&["--fail-on-drift"]);
    assert_eq!(code, 0, "{clean:#}");
    assert_eq!(clean["different"], json!([]), "{clean:#}");
    assert_eq!(clean["only_local"], json!([]));
    assert_eq!(clean["only_remote"], json!([]));
    assert!(clean["same"].as_u64().unwrap() > 20);
    assert_eq!(clean["not_compared"]["lookup_table"], 1);

    // Tune one rule, change another's code and tests, delete one, add one.
    let rules = ws.path().join("rules");
    let edit = |rel: &str, from: &str, to: &str| {
        let p = rules.join(rel);
        let t = std::fs::read_to_string(&p).unwrap();
        assert!(t.contains(from), "{rel}: {from}");
        std::fs::write(&p, t.replacen(from, to, 1)).unwrap();
    };
    edit(
        "okta_rules/demo_okta_admin_role_assigned.yml",
        "Severity: ",
        "Severity: Low\nX-Was: ",
    );
    let spec = rules.join("okta_rules/demo_okta_admin_role_assigned.yml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("X-Was:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&spec, text).unwrap();
    std::fs::write(
        rules.join("github_rules/demo_github_repo_made_public.py"),
        std::fs::read_to_string(rules.join("github_rules/demo_github_repo_made_public.py"))
            .unwrap()
            + "\n# tuned\nALLOW = {'acme/public-docs'}\n",
    )
    .unwrap();
    std::fs::remove_file(rules.join("gcp_audit_rules/demo_gcp_service_account_key_created.yml"))
        .unwrap();
    std::fs::write(
        rules.join("new_rule.py"),
        "def rule(_):\n    return False\n",
    )
    .unwrap();
    std::fs::write(
        rules.join("new_rule.yml"),
        "AnalysisType: rule\nRuleID: Drift.New\nFilename: new_rule.py\nEnabled: true\nLogTypes: [AWS.CloudTrail]\nSeverity: Low\nTests:\n  - Name: quiet\n    ExpectedResult: false\n    Log: {}\n",
    )
    .unwrap();
    let (code, d) = diff(&["--fail-on-drift"]);
    assert_eq!(code, 1);
    let ids = |k: &str| -> Vec<String> {
        d[k].as_array()
            .unwrap()
            .iter()
            .map(|x| x["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids("only_local"), ["Drift.New"]);
    assert_eq!(
        ids("only_remote"),
        ["Demo.GCP.IAM.ServiceAccountKeyCreated"],
        "{d:#}"
    );
    let different = ids("different");
    assert_eq!(different.len(), 2, "{d:#}");
    let changes = |id: &str| -> Vec<String> {
        d["different"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap()["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        changes("Demo.Okta.AdminRoleAssigned"),
        ["severity"],
        "{d:#}"
    );
    assert_eq!(changes("Demo.GitHub.RepoMadePublic"), ["code"], "{d:#}");
    // The human report names them with the direction of the change.
    let run = prowl_remote(
        Some(ws.path()),
        &["diff", ".", "--api-host", &server.url, "--api-token", TOKEN],
        config.path(),
    );
    assert!(
        run.out.contains("severity: HIGH → LOW")
            || run.out.contains("severity: MEDIUM → LOW")
            || run.out.contains("severity: CRITICAL → LOW"),
        "{}",
        run.out
    );
    assert!(run.out.contains("Only on the instance: 1"), "{}", run.out);
}

/// Runs `prowl remote ARGS` inside its own D-Bus session with a real Secret Service
/// (gnome-keyring, unlocked with a test password; its files under `home`).
fn in_keyring_session(
    home: &Path,
    config: &Path,
    ws: Option<&Path>,
    args: &[&str],
    stdin: &str,
) -> Run {
    let start = Instant::now();
    let script = "printf test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec \"$@\"";
    let mut cmd = Command::new("dbus-run-session");
    cmd.args([
        "--",
        "sh",
        "-c",
        script,
        "sh",
        env!("CARGO_BIN_EXE_prowl"),
        "remote",
    ])
    .args(args)
    .env("HOME", home)
    .env_remove("XDG_CONFIG_HOME")
    .env_remove("PANTHER_API_TOKEN")
    .env_remove("PANTHER_API_HOST")
    .env_remove("PROWL_PROFILE")
    .env("PROWL_CONFIG", config)
    .env("PROWL_REMOTE_TIME_SCALE", "0.01")
    .env("PROWL_PYTHON_ENV", test_env())
    .env("NO_COLOR", "1")
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if let Some(ws) = ws {
        cmd.current_dir(ws);
    }
    let mut child = cmd
        .spawn()
        .expect("dbus-run-session (Debian's dbus) and gnome-keyring run the keyring tests; tests/setup.sh installs them");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: start.elapsed(),
    }
}

/// Every file under `dir` that holds `needle`.
fn files_holding(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p)
                .map(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
                .unwrap_or(false)
            {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn profiles_keep_the_token_in_the_keyring_and_never_on_disk() {
    let server = start();
    let home = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let ws = demo();
    let (h, c) = (home.path(), config.path());

    // A wrong token: refused at login, nothing kept.
    let run = in_keyring_session(
        h,
        c,
        None,
        &["login", "--profile", "staging", "--api-host", &server.url],
        "not-the-token\n",
    );
    assert_ne!(run.code, 0);
    assert!(run.err.contains("refused the API token"), "{}", run.err);
    assert!(!c.join("profiles.toml").exists());

    let run = in_keyring_session(
        h,
        c,
        None,
        &["login", "--profile", "staging", "--api-host", &server.url],
        &format!("{TOKEN}\n"),
    );
    assert_eq!(run.code, 0, "{}", run.err);
    assert!(
        run.err.contains("connected to") && run.err.contains("Panther 1.118.3"),
        "{}",
        run.err
    );
    let toml = std::fs::read_to_string(c.join("profiles.toml")).unwrap();
    assert!(
        toml.contains("[profiles.staging]") && toml.contains(&server.url),
        "{toml}"
    );
    assert!(toml.contains("default = \"staging\""), "{toml}");

    let run = in_keyring_session(h, c, None, &["profiles", "--format", "json"], "");
    assert_eq!(run.code, 0, "{}", run.err);
    let rows: Value = serde_json::from_str(&run.out).unwrap();
    assert_eq!(rows[0]["name"], "staging");
    assert_eq!(rows[0]["token"], "in keyring");
    assert_eq!(rows[0]["default"], true);

    // The default profile is used with no host or token given.
    server.reset();
    let run = in_keyring_session(h, c, None, &["check"], "");
    assert_eq!(run.code, 0, "{}", run.err);
    let run = in_keyring_session(h, c, Some(ws.path()), &["upload", ".", "--skip-tests"], "");
    assert_eq!(run.code, 0, "{}", run.err);
    assert!(run.out.contains("Upload Summary"));
    let seen = server.log();
    assert!(seen.len() > 3);

    // The token is nowhere on disk in clear: not in the config, the home folder (the keyring's
    // own files are encrypted), the workspace, nor any output.
    for dir in [h, c, ws.path()] {
        assert_eq!(files_holding(dir, TOKEN), Vec::<PathBuf>::new());
    }
    assert!(!run.out.contains(TOKEN) && !run.err.contains(TOKEN));

    // Logout removes the token; the profile stays until --forget.
    let run = in_keyring_session(h, c, None, &["logout", "--profile", "staging"], "");
    assert_eq!(run.code, 0, "{}", run.err);
    let run = in_keyring_session(h, c, None, &["check"], "");
    assert_ne!(run.code, 0);
    assert!(run.err.contains("no API token"), "{}", run.err);
    let run = in_keyring_session(
        h,
        c,
        None,
        &["logout", "--profile", "staging", "--forget"],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.err);
    assert!(!std::fs::read_to_string(c.join("profiles.toml"))
        .unwrap()
        .contains("staging"));
    let run = in_keyring_session(h, c, None, &["logout", "--profile", "staging"], "");
    assert!(
        run.err.contains("no profile named \"staging\""),
        "{}",
        run.err
    );
}

#[test]
fn without_a_keyring_login_refuses_to_keep_the_token_elsewhere() {
    let server = start();
    let config = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prowl"));
    let out = cmd
        .args([
            "remote",
            "login",
            "--profile",
            "p",
            "--api-host",
            &server.url,
        ])
        .env("PROWL_CONFIG", config.path())
        .env("PROWL_SECRET_TOOL", "/nonexistent/secret-tool")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = out;
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        format!("{TOKEN}\n").as_bytes(),
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        err.contains("the system keyring could not store the token"),
        "{err}"
    );
    assert!(err.contains("PANTHER_API_TOKEN"), "{err}");
    assert!(!config.path().join("profiles.toml").exists());
    assert!(files_holding(config.path(), TOKEN).is_empty());
}

#[test]
fn server_side_tests_go_to_the_instance_as_pats_do() {
    let server = start();
    let config = tempfile::tempdir().unwrap();
    let ws = demo();
    // The whole demo with its tests: Simple Detections and inline filters are transpiled by the
    // instance, the correlation rule's tests run there; the same calls with the same inputs.
    let ops = same_requests_as_pat(
        &server,
        ws.path(),
        &["upload", "--path", "."],
        &["upload", "."],
        config.path(),
        json!({}),
    );
    assert_eq!(
        ops[..5],
        [
            "__schema",
            "schemas",
            "transpileSimpleDetectionsToPython",
            "transpileFilters",
            "testCorrelationRuleYAML"
        ]
    );
    assert!(ops.iter().any(|o| o.starts_with("uploadDetectionEntities")));

    // A correlation test the instance fails stops both uploads.
    let failing = json!({"correlation_failures": ["Different users"]});
    server.reset();
    server.config(failing.clone());
    let (pat_code, pat_out) = pat(ws.path(), &["upload", "--path", "."], &server.url);
    assert_ne!(pat_code, 0, "{pat_out}");
    assert!(!server.ops().iter().any(|o| o.starts_with("upload")));
    server.reset();
    server.config(failing.clone());
    let run = prowl_remote(
        Some(ws.path()),
        &[
            "upload",
            ".",
            "--api-host",
            &server.url,
            "--api-token",
            TOKEN,
        ],
        config.path(),
    );
    assert_ne!(run.code, 0, "{}{}", run.out, run.err);
    assert!(
        format!("{}{}", run.out, run.err).contains("[FAIL] Different users"),
        "{}{}",
        run.out,
        run.err
    );
    assert!(!server.ops().iter().any(|o| o.starts_with("upload")));

    // `prowl test` with an instance: the verdicts say who gave them.
    server.reset();
    server.config(failing);
    let out = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args(["test", ".", "--format", "json", "--api-host", &server.url])
        .env("PANTHER_API_TOKEN", TOKEN)
        .env("PROWL_CONFIG", config.path())
        .env("PROWL_REMOTE_TIME_SCALE", "0.01")
        .env("PROWL_PYTHON_ENV", test_env())
        .current_dir(ws.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains(TOKEN));
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout}{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(
        report["local"]["evaluated_by"],
        json!(server.url),
        "{report:#}"
    );
    let verdict = |id: &str, test: &str| -> Option<bool> {
        report["local"]["detections"]
            .as_array()?
            .iter()
            .find(|d| d["id"] == id)?["results"]
            .as_array()?
            .iter()
            .find(|t| t["name"] == test)
            .and_then(|t| t["passed"].as_bool())
    };
    assert_eq!(
        verdict("Demo.Okta.MFAResetThenAdminGrant", "Different users"),
        Some(false),
        "{report:#}"
    );
    assert_eq!(
        verdict("Demo.AWS.KMS.KeyDeletionScheduled", "Key description read"),
        Some(true),
        "{report:#}"
    );
    assert_eq!(
        server.ops(),
        [
            "transpileSimpleDetectionsToPython",
            "transpileFilters",
            "testCorrelationRuleYAML"
        ]
    );

    // The instance cannot transpile: a clear error naming the step.
    server.reset();
    server.faults(json!([{"op": "transpileSimpleDetectionsToPython", "kind": "graphql_error", "message": "transpiler unavailable", "times": 10}]));
    let run = prowl_remote(
        Some(ws.path()),
        &[
            "upload",
            ".",
            "--api-host",
            &server.url,
            "--api-token",
            TOKEN,
        ],
        config.path(),
    );
    assert_ne!(run.code, 0);
    let all = format!("{}{}", run.out, run.err);
    assert!(
        all.contains("Error transpiling simple detection(s) to Python")
            && all.contains("transpiler unavailable"),
        "{all}"
    );
    assert!(!server.ops().iter().any(|o| o.starts_with("upload")));
}
