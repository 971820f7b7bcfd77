//! The desktop app's session on a copy of the demo workspace: live validation of unsaved
//! buffers (a spec in the workspace's context; a Python file compiled by a worker, with the
//! syntax error's line and column) and a warm test run of one detection.

mod common;

use common::*;
use rules_workspace::session::Session;

#[test]
fn live_validation_and_a_warm_run() {
    let (_dir, ws) = demo_with_workers();
    let mut session = Session::open(&ws).unwrap();
    let ws = session.ws.root.clone();
    let rule = ws.join("rules/aws_cloudtrail_rules/demo_aws_cloudtrail_stopped.py");
    let source = std::fs::read_to_string(&rule).unwrap();

    // A Python buffer that compiles: no problems.
    assert!(session.validate_buffer(&rule, &source).unwrap().is_empty());
    // One that does not: PAT's text, the line and column of the error.
    let broken = source.replacen("def rule(event):", "def rule(event)", 1);
    let line = broken
        .lines()
        .position(|l| l.starts_with("def rule(event)"))
        .unwrap() as u32
        + 1;
    let problems = session.validate_buffer(&rule, &broken).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    let p = &problems[0];
    assert_eq!(p.span.unwrap().line, line);
    assert!(
        p.summary.starts_with("SyntaxError: expected ':'"),
        "{}",
        p.summary
    );
    assert!(p.message.contains(&format!("line {line}")), "{}", p.message);
    assert!(p.pat);

    // A spec buffer is validated in the workspace's context: an ID a spec read before it uses.
    let spec = ws.join("rules/aws_cloudtrail_rules/demo_aws_root_console_login.yml");
    let text = std::fs::read_to_string(&spec).unwrap().replace(
        "RuleID: Demo.AWS.RootConsoleLogin\n",
        "RuleID: Demo.AWS.CloudTrail.Stopped\n",
    );
    assert!(text.contains("RuleID: Demo.AWS.CloudTrail.Stopped\n"));
    let problems = session.validate_buffer(&spec, &text).unwrap();
    assert!(
        problems
            .iter()
            .any(|d| d.is_error() && d.message.contains("Conflicting AnalysisID")),
        "{problems:?}"
    );

    // A warm run of one detection, with progress.
    let mut seen = Vec::new();
    let report = session
        .run_tests(
            Some(vec!["Demo.AWS.CloudTrail.Stopped".into()]),
            Vec::new(),
            &mut |p| {
                seen.push((p.done, p.total, p.id.to_owned()));
                true
            },
        )
        .unwrap();
    assert_eq!(report.exit_code, 0);
    assert_eq!(report.detections.len(), 1);
    assert_eq!(seen, vec![(1, 1, "Demo.AWS.CloudTrail.Stopped".to_owned())]);
    assert!(!report.cancelled);
    let summary = report.summary.unwrap();
    assert_eq!((summary.passed, summary.failed), (1, 0));

    // A whole-workspace run starts a worker per core; the extra ones can be let go, and one
    // stays warm for the next run.
    let cores = rules_workspace::engine::pool::Pool::default_size();
    let all = session.run_tests(None, Vec::new(), &mut |_| true).unwrap();
    assert_eq!(all.exit_code, 0);
    assert_eq!(session.running_workers(), cores);
    assert_eq!(session.retire_extra_workers(), cores - 1);
    assert_eq!(session.running_workers(), 1);
    assert_eq!(session.retire_extra_workers(), 0);
    let again = session
        .run_tests(
            Some(vec!["Demo.AWS.CloudTrail.Stopped".into()]),
            Vec::new(),
            &mut |_| true,
        )
        .unwrap();
    assert_eq!(again.exit_code, 0);
    assert_eq!(session.running_workers(), 1);
}

#[test]
fn changes_on_disk_re_read_only_what_they_need() {
    use rules_workspace::workspace::watch::Change;
    let dir = tempfile::tempdir().unwrap();
    let ws_dir = dir.path().join("ws");
    rules_workspace::demo::write_demo(&ws_dir).unwrap();
    let mut session = Session::open(&ws_dir).unwrap();
    let root = session.ws.root.clone();
    let rule_py = root.join("rules/okta_rules/demo_okta_admin_role_assigned.py");
    let helper = "demo_aws_helpers";
    let id = "Demo.Okta.AdminRoleAssigned";
    let index = |s: &Session| s.ws.index.get(id).unwrap();
    assert!(!session
        .ws
        .index
        .imports(index(&session))
        .iter()
        .any(|m| m == helper));

    // A Python edit: the index learns the new import; nothing is re-read.
    let mut src = std::fs::read_to_string(&rule_py).unwrap();
    src.insert_str(0, "import demo_aws_helpers  # now used here too\n");
    std::fs::write(&rule_py, &src).unwrap();
    let reread = session
        .apply_changes(&[(rule_py.clone(), Change::Modified)])
        .unwrap();
    assert!(!reread);
    assert!(session
        .ws
        .index
        .imports(index(&session))
        .iter()
        .any(|m| m == helper));
    // …so a change to that helper now reaches the rule.
    let helper_py = root.join("global_helpers/demo_aws_helpers.py");
    let affected =
        rules_workspace::testing::affected_detections(&session.ws, &[helper_py]).unwrap();
    assert!(affected.contains(id), "{affected:?}");

    // A spec edit re-reads the workspace: the new severity is seen.
    let spec = root.join("rules/okta_rules/demo_okta_admin_role_assigned.yml");
    let text = std::fs::read_to_string(&spec).unwrap();
    let severity = session.ws.get(id).unwrap().severity.clone().unwrap();
    let other = if severity == "Low" { "Critical" } else { "Low" };
    std::fs::write(
        &spec,
        text.replace(
            &format!("Severity: {severity}"),
            &format!("Severity: {other}"),
        ),
    )
    .unwrap();
    assert!(session.apply_changes(&[(spec, Change::Modified)]).unwrap());
    assert_eq!(session.ws.get(id).unwrap().severity.as_deref(), Some(other));
}

#[test]
fn the_parse_cache_never_serves_a_stale_spec() {
    use rules_workspace::workspace::{OpenOptions, ParseCache, Workspace};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    rules_workspace::demo::write_demo(&root).unwrap();
    let cache = Arc::new(ParseCache::enabled());
    let options = OpenOptions::default();
    let first = Workspace::open_cached(&root, &options, Arc::clone(&cache), None).unwrap();
    assert_eq!(cache.len(), first.files_read);
    // An edit of the same size within the same second (mtime and length unchanged) is seen:
    // the cache compares the bytes' stamp, not the file's metadata.
    let spec = first
        .get("Demo.Okta.AdminRoleAssigned")
        .unwrap()
        .spec_path
        .clone();
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(text.contains("Severity: High"));
    std::fs::write(&spec, text.replace("Severity: High", "Severity: Info")).unwrap();
    let second = Workspace::open_cached(&root, &options, Arc::clone(&cache), None).unwrap();
    assert_eq!(
        second
            .get("Demo.Okta.AdminRoleAssigned")
            .unwrap()
            .severity
            .as_deref(),
        Some("Info")
    );
    // A cached open gives exactly what a fresh one gives.
    let fresh = Workspace::open(&root, &options).unwrap();
    let ids = |w: &Workspace| w.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&second), ids(&fresh));
    assert_eq!(second.diagnostics.len(), fresh.diagnostics.len());
    // A removed spec leaves the cache.
    std::fs::remove_file(&spec).unwrap();
    let third = Workspace::open_cached(&root, &options, Arc::clone(&cache), None).unwrap();
    assert_eq!(cache.len(), third.files_read);
    assert!(third.get("Demo.Okta.AdminRoleAssigned").is_none());
}
