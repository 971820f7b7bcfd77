//! The upstream merge (`rules_workspace::upstream`, `prowl upstream`) on a scenario of our own
//! writing where every change class and every element-merge strategy occurs: a content
//! repository with two releases, and a fork of the first with the customisations detection
//! teams make. Checked against plain `git merge` on the same commits, and for never losing
//! work (uncommitted changes, abort with edits, a crash between writing and committing, undo).

use rules_workspace::error::UserError;
use rules_workspace::testkit::{git, git_output, isolate_git_config, isolated};
use rules_workspace::upstream::{
    ChangeClass, DecisionKind, MergeOptions, Outcome, Plan, Resolution, Resolutions, Take,
    Upstream, UpstreamError,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn rule(id: &str, file: &str, extra: &str) -> String {
    format!(
        "AnalysisType: rule\nFilename: {file}\nRuleID: {id}\nEnabled: true\nLogTypes:\n  - AWS.CloudTrail\nSeverity: Medium\n{extra}Tests:\n  - Name: matches\n    ExpectedResult: true\n    Log:\n      eventName: Stop\n  - Name: ignores\n    ExpectedResult: false\n    Log:\n      eventName: Start\n"
    )
}

const CODE: &str = "ALLOWED = {\"svc-backup\"}\n\n\ndef rule(event):\n    if event.get(\"userName\") in ALLOWED:\n        return False\n    return event.get(\"eventName\") == \"Stop\"\n\n\ndef title(event):\n    return f\"{event.get('eventName')} by {event.get('userName')}\"\n";

/// Files of the first release, by path.
fn base_files() -> BTreeMap<String, Vec<u8>> {
    let mut f: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut add_rule = |path: &str, id: &str, extra: &str| {
        let stem = path.trim_end_matches(".yml");
        let file = format!("{}.py", stem.rsplit('/').next().unwrap());
        f.insert(path.into(), rule(id, &file, extra).into_bytes());
        f.insert(format!("{stem}.py"), CODE.as_bytes().to_vec());
    };
    add_rule("rules/a/unchanged.yml", "Test.Unchanged", "");
    add_rule("rules/a/changed_up.yml", "Test.ChangedUpstream", "");
    add_rule("rules/a/changed_fork.yml", "Test.ChangedInFork", "");
    add_rule(
        "rules/a/both.yml",
        "Test.Both",
        "# tuned by the fork below\nThreshold: 5\n",
    );
    add_rule("rules/a/conflict.yml", "Test.Conflict", "Threshold: 5\n");
    add_rule("rules/a/review.yml", "Test.Review", "");
    add_rule("rules/a/deleted_up.yml", "Test.DeletedUpstream", "");
    add_rule("rules/a/renamed.yml", "Test.OldName", "");
    add_rule("rules/a/deleted_fork.yml", "Test.DeletedInFork", "");
    add_rule(
        "rules/a/deleted_fork_quiet.yml",
        "Test.DeletedInForkQuiet",
        "",
    );
    add_rule("rules/a/deleted_both.yml", "Test.DeletedBoth", "");
    add_rule("rules/a/moved_up.yml", "Test.MovedUpstream", "");
    add_rule("rules/a/moved_fork.yml", "Test.MovedInFork", "");
    add_rule("rules/a/moved_both.yml", "Test.MovedBoth", "");
    add_rule(
        "rules/a/sets.yml",
        "Test.Sets",
        "Tags:\n  - AWS\n  - Initial Access\nReports:\n  MITRE ATT&CK:\n    - TA0001:T1078\n  CIS:\n    - \"3.1\"\n",
    );
    add_rule("rules/a/test_conflict.yml", "Test.TestConflict", "");
    f.insert(
        "packs/p.yml".into(),
        b"AnalysisType: pack\nPackID: Test.Pack\nDisplayName: Test pack\nPackDefinition:\n  IDs:\n    - Test.Unchanged\n    - Test.ChangedUpstream\n    - Test.Both\n".to_vec(),
    );
    f.insert(
        "global_helpers/helpers.yml".into(),
        b"AnalysisType: global\nFilename: helpers.py\nGlobalID: helpers\n".to_vec(),
    );
    f.insert(
        "global_helpers/helpers.py".into(),
        b"def deep_get(d, *keys):\n    for k in keys:\n        d = (d or {}).get(k)\n    return d\n".to_vec(),
    );
    f.insert(
        "README.md".into(),
        b"# Content\n\nline one\nline two\nline three\nline four\nline five\n".to_vec(),
    );
    f.insert("docs/logo.bin".into(), vec![0, 1, 2, 3, 0, 9]);
    f
}

enum Edit {
    Put(&'static str, String),
    PutBytes(&'static str, Vec<u8>),
    Delete(&'static str),
    Move(&'static str, &'static str),
}

fn replace_in(files: &BTreeMap<String, Vec<u8>>, path: &'static str, from: &str, to: &str) -> Edit {
    let text = String::from_utf8(files[path].clone()).unwrap();
    assert!(text.contains(from), "{path} lacks {from:?}");
    Edit::Put(path, text.replacen(from, to, 1))
}

fn upstream_edits(b: &BTreeMap<String, Vec<u8>>) -> Vec<Edit> {
    vec![
        replace_in(b, "rules/a/changed_up.yml", "Severity: Medium", "Severity: High"),
        // Both: upstream adds a tag key and a test, and rewrites title().
        replace_in(b, "rules/a/both.yml", "Threshold: 5\n", "Threshold: 5\nTags:\n  - Upstream\n"),
        Edit::Put("rules/a/both.py", CODE.replace("return f\"{event.get('eventName')} by", "return f\"[{event.get('eventName')}] by")),
        replace_in(b, "rules/a/conflict.yml", "Threshold: 5", "Threshold: 10"),
        Edit::Put("rules/a/review.py", CODE.replace("    return event.get(\"eventName\") == \"Stop\"", "    return event.get(\"eventName\") in (\"Stop\", \"Delete\")")),
        Edit::Delete("rules/a/deleted_up.yml"),
        Edit::Delete("rules/a/deleted_up.py"),
        Edit::Put("deprecated.txt", "Test.DeletedUpstream\nTest.OldName\n".into()),
        replace_in(b, "rules/a/renamed.yml", "RuleID: Test.OldName", "RuleID: Test.NewName"),
        replace_in(b, "rules/a/deleted_fork.yml", "Severity: Medium", "Severity: Low"),
        Edit::Delete("rules/a/deleted_both.yml"),
        Edit::Delete("rules/a/deleted_both.py"),
        Edit::Move("rules/a/moved_up.yml", "rules/b/moved_up.yml"),
        Edit::Move("rules/a/moved_up.py", "rules/b/moved_up.py"),
        replace_in(b, "rules/a/moved_fork.yml", "Severity: Medium", "Severity: Critical"),
        Edit::Move("rules/a/moved_both.yml", "rules/up/moved_both.yml"),
        Edit::Move("rules/a/moved_both.py", "rules/up/moved_both.py"),
        replace_in(
            b,
            "rules/a/sets.yml",
            "  - Initial Access\n",
            "  - Compliance:CIS\n",
        ),
        replace_in(b, "rules/a/test_conflict.yml", "      eventName: Start\n", "      eventName: StartLogging\n"),
        Edit::Put("rules/a/new_up.yml", rule("Test.NewUpstream", "new_up.py", "")),
        Edit::Put("rules/a/new_up.py", CODE.into()),
        Edit::Put("rules/a/added_both.yml", rule("Test.AddedBoth", "added_both.py", "")),
        Edit::Put("rules/a/added_both.py", CODE.into()),
        replace_in(b, "packs/p.yml", "    - Test.ChangedUpstream\n", "    - Test.NewUpstream\n"),
        Edit::Put("global_helpers/helpers.py", "def deep_get(d, *keys, default=None):\n    for k in keys:\n        d = (d or {}).get(k)\n    return default if d is None else d\n".into()),
        replace_in(b, "README.md", "line five", "line 5 (upstream)"),
        Edit::PutBytes("docs/logo.bin", vec![0, 1, 2, 3, 0, 7, 7]),
    ]
}

fn fork_edits(b: &BTreeMap<String, Vec<u8>>) -> Vec<Edit> {
    vec![
        replace_in(b, "rules/a/changed_fork.yml", "Enabled: true", "Enabled: false # Acme: too noisy"),
        replace_in(b, "rules/a/both.yml", "Severity: Medium", "Severity: Low # Acme: lab accounts"),
        Edit::Put("rules/a/both.py", CODE.replace("{\"svc-backup\"}", "{\"svc-backup\", \"acme-breakglass\"}")),
        replace_in(b, "rules/a/conflict.yml", "Threshold: 5", "Threshold: 50 # Acme: NAT"),
        Edit::Put("rules/a/review.py", CODE.replace("    if event.get(\"userName\") in ALLOWED:", "    if event.get(\"userName\", \"\").startswith(\"acme-\"):\n        return False\n    if event.get(\"userName\") in ALLOWED:")),
        replace_in(b, "rules/a/renamed.yml", "Severity: Medium", "Severity: Low"),
        Edit::Delete("rules/a/deleted_fork.yml"),
        Edit::Delete("rules/a/deleted_fork.py"),
        Edit::Delete("rules/a/deleted_fork_quiet.yml"),
        Edit::Delete("rules/a/deleted_fork_quiet.py"),
        Edit::Delete("rules/a/deleted_both.yml"),
        Edit::Delete("rules/a/deleted_both.py"),
        replace_in(
            b,
            "rules/a/moved_up.yml",
            "      eventName: Start\n",
            "      eventName: Start\n  # Acme: our own case\n  - Name: acme case\n    ExpectedResult: true\n    Log:\n      eventName: Stop\n",
        ),
        Edit::Move("rules/a/moved_fork.yml", "rules/acme/moved_fork.yml"),
        Edit::Move("rules/a/moved_fork.py", "rules/acme/moved_fork.py"),
        Edit::Move("rules/a/moved_both.yml", "rules/acme/moved_both.yml"),
        Edit::Move("rules/a/moved_both.py", "rules/acme/moved_both.py"),
        replace_in(
            b,
            "rules/a/sets.yml",
            "  - AWS\n  - Initial Access\nReports:\n  MITRE ATT&CK:\n    - TA0001:T1078\n  CIS:\n    - \"3.1\"\n",
            "  - AWS\n  - Initial Access\n  - Acme\nReports:\n  MITRE ATT&CK:\n    - TA0001:T1078\n  CIS:\n    - \"3.1\"\n    - \"3.2\"\n",
        ),
        replace_in(b, "rules/a/test_conflict.yml", "      eventName: Start\n", "      eventName: Start # Acme: also ours\n"),
        Edit::Put("rules/a/new_fork.yml", rule("Acme.NewInFork", "new_fork.py", "")),
        Edit::Put("rules/a/new_fork.py", CODE.into()),
        Edit::Put("rules/a/added_both.yml", rule("Test.AddedBoth", "added_both.py", "")),
        Edit::Put("rules/a/added_both.py", CODE.into()),
        replace_in(b, "packs/p.yml", "    - Test.Both\n", "    - Test.Both\n    - Acme.NewInFork\n"),
        replace_in(b, "README.md", "line one", "line 1 (fork)"),
        Edit::PutBytes("docs/logo.bin", vec![0, 1, 2, 3, 0, 8]),
    ]
}

fn write_files(dir: &Path, files: &BTreeMap<String, Vec<u8>>) {
    for (p, c) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, c).unwrap();
    }
}

fn apply(dir: &Path, edits: Vec<Edit>) {
    for e in edits {
        match e {
            Edit::Put(p, text) => {
                write_files(dir, &BTreeMap::from([(p.to_owned(), text.into_bytes())]))
            }
            Edit::PutBytes(p, bytes) => write_files(dir, &BTreeMap::from([(p.to_owned(), bytes)])),
            Edit::Delete(p) => std::fs::remove_file(dir.join(p)).unwrap(),
            Edit::Move(from, to) => {
                std::fs::create_dir_all(dir.join(to).parent().unwrap()).unwrap();
                std::fs::rename(dir.join(from), dir.join(to)).unwrap();
            }
        }
    }
}

fn commit_all(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "-c",
            "user.name=Test",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-q",
            "-m",
            message,
        ],
    );
}

/// The scenario: an upstream repository (releases v1, v2) and a fork of v1 with local
/// changes, whose remote `upstream` is fetched.
struct Scenario {
    _dir: tempfile::TempDir,
    upstream: PathBuf,
    fork: PathBuf,
}

fn scenario() -> Scenario {
    isolate_git_config();
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let upstream = root.join("upstream");
    let fork = root.join("fork");
    std::fs::create_dir_all(&upstream).unwrap();
    git(&upstream, &["init", "-q", "-b", "main"]);
    let base = base_files();
    write_files(&upstream, &base);
    commit_all(&upstream, "Release 1");
    git(&upstream, &["tag", "v1"]);
    apply(&upstream, upstream_edits(&base));
    commit_all(&upstream, "Release 2");
    git(&upstream, &["tag", "v2"]);
    git(
        &root,
        &[
            "clone",
            "-q",
            "-o",
            "upstream",
            upstream.to_str().unwrap(),
            "fork",
        ],
    );
    git(&fork, &["reset", "-q", "--hard", "v1"]);
    apply(&fork, fork_edits(&base));
    commit_all(&fork, "Acme tuning");
    Scenario {
        _dir: dir,
        upstream,
        fork,
    }
}

fn plan_of(s: &Scenario) -> Plan {
    let up = Upstream::open(&s.fork).unwrap();
    up.status("upstream", Some("v2")).unwrap().0
}

fn item<'a>(plan: &'a Plan, id: &str) -> &'a rules_workspace::upstream::ItemChange {
    plan.items
        .iter()
        .find(|i| i.id == id)
        .unwrap_or_else(|| panic!("{id} is not in the plan"))
}

fn write_text(plan: &Plan, path: &str) -> String {
    match plan.writes.get(path) {
        Some(Some(b)) => String::from_utf8(b.clone()).unwrap(),
        other => panic!("{path}: not written ({other:?})"),
    }
}

fn on_disk(s: &Scenario, path: &str) -> String {
    std::fs::read_to_string(s.fork.join(path)).unwrap()
}

#[test]
fn every_class_is_recognised_by_id() {
    let s = scenario();
    let plan = plan_of(&s);
    let expect = [
        ("Test.Unchanged", ChangeClass::Unchanged, Outcome::Clean),
        (
            "Test.ChangedUpstream",
            ChangeClass::ChangedUpstream,
            Outcome::Clean,
        ),
        (
            "Test.ChangedInFork",
            ChangeClass::ChangedInFork,
            Outcome::Clean,
        ),
        ("Test.Both", ChangeClass::ChangedBoth, Outcome::Merged),
        ("Test.Conflict", ChangeClass::ChangedBoth, Outcome::Conflict),
        ("Test.Review", ChangeClass::ChangedBoth, Outcome::Review),
        (
            "Test.DeletedUpstream",
            ChangeClass::DeletedUpstream,
            Outcome::Decision,
        ),
        (
            "Test.OldName",
            ChangeClass::RenamedUpstream,
            Outcome::Decision,
        ),
        (
            "Test.DeletedInFork",
            ChangeClass::DeletedInFork,
            Outcome::Decision,
        ),
        (
            "Test.DeletedInForkQuiet",
            ChangeClass::DeletedInFork,
            Outcome::Clean,
        ),
        ("Test.DeletedBoth", ChangeClass::DeletedBoth, Outcome::Clean),
        (
            "Test.MovedUpstream",
            ChangeClass::ChangedBoth,
            Outcome::Merged,
        ),
        (
            "Test.MovedInFork",
            ChangeClass::ChangedBoth,
            Outcome::Merged,
        ),
        (
            "Test.MovedBoth",
            ChangeClass::ChangedBoth,
            Outcome::Decision,
        ),
        ("Test.Sets", ChangeClass::ChangedBoth, Outcome::Merged),
        (
            "Test.TestConflict",
            ChangeClass::ChangedBoth,
            Outcome::Conflict,
        ),
        ("Test.NewUpstream", ChangeClass::NewUpstream, Outcome::Clean),
        ("Acme.NewInFork", ChangeClass::NewInFork, Outcome::Clean),
        ("Test.AddedBoth", ChangeClass::AddedBoth, Outcome::Clean),
        ("Test.Pack", ChangeClass::ChangedBoth, Outcome::Merged),
        ("helpers", ChangeClass::ChangedUpstream, Outcome::Clean),
    ];
    for (id, class, outcome) in expect {
        let i = item(&plan, id);
        assert_eq!((i.class, i.outcome), (class, outcome), "{id}: {i:#?}");
    }
    // The new ID is not listed on its own: it is the rename's.
    assert!(plan.items.iter().all(|i| i.id != "Test.NewName"));
    assert_eq!(
        item(&plan, "Test.OldName").renamed_to.as_deref(),
        Some("Test.NewName")
    );
    assert!(item(&plan, "Test.DeletedUpstream").deprecated);
    // Nothing is written by a plan.
    assert!(git(&s.fork, &["status", "--porcelain"]).is_empty());
}

#[test]
fn merge_keeps_local_severity_when_upstream_changes_tests() {
    let s = scenario();
    let plan = plan_of(&s);
    let spec = write_text(&plan, "rules/a/both.yml");
    assert!(
        spec.contains("Severity: Low # Acme: lab accounts\n"),
        "{spec}"
    );
    assert!(spec.contains("Tags:\n  - Upstream\n"), "{spec}");
    assert!(spec.contains("# tuned by the fork below\nThreshold: 5\n"));
    let code = write_text(&plan, "rules/a/both.py");
    assert!(code.contains("acme-breakglass") && code.contains("[{event.get('eventName')}]"));
}

#[test]
fn merge_asks_when_upstream_deletes_an_item_the_fork_has() {
    let s = scenario();
    let plan = plan_of(&s);
    let i = item(&plan, "Test.DeletedUpstream");
    let d = i.decision.as_ref().unwrap();
    assert_eq!(d.kind, DecisionKind::DeletedUpstream);
    assert_eq!(
        d.proposed,
        Take::Theirs,
        "unchanged in the fork: the deletion is proposed"
    );
    assert!(d.question.contains("deprecated"));
    // Undecided: the fork's files stay.
    assert!(!plan.writes.contains_key("rules/a/deleted_up.yml"));
}

#[test]
fn merge_follows_an_id_changed_in_place_with_the_forks_tuning() {
    let s = scenario();
    let up = Upstream::open(&s.fork).unwrap();
    let mut res = Resolutions::default();
    res.items.insert(
        "Test.OldName".into(),
        Resolution {
            take: Some(Take::Both),
            keys: BTreeMap::new(),
        },
    );
    let target = up.target("upstream", Some("v2")).unwrap();
    let plan = up.plan(&target, &res).unwrap();
    let spec = write_text(&plan, "rules/a/renamed.yml");
    assert!(
        spec.contains("RuleID: Test.NewName") && spec.contains("Severity: Low"),
        "{spec}"
    );
    assert_eq!(
        plan.touched_items()
            .iter()
            .filter(|i| *i == "Test.NewName")
            .count(),
        1
    );
    // Taking upstream's drops the fork's tuning; keeping leaves the fork's file alone.
    res.items.get_mut("Test.OldName").unwrap().take = Some(Take::Theirs);
    let plan = up.plan(&target, &res).unwrap();
    assert!(write_text(&plan, "rules/a/renamed.yml").contains("Severity: Medium"));
    res.items.get_mut("Test.OldName").unwrap().take = Some(Take::Ours);
    let plan = up.plan(&target, &res).unwrap();
    assert!(!plan.writes.contains_key("rules/a/renamed.yml"));
    assert!(item(&plan, "Test.OldName")
        .notes
        .iter()
        .any(|n| n.contains("not added")));
}

#[test]
fn merge_asks_when_the_fork_deleted_what_upstream_changed_and_not_otherwise() {
    let s = scenario();
    let plan = plan_of(&s);
    assert_eq!(
        item(&plan, "Test.DeletedInFork")
            .decision
            .as_ref()
            .unwrap()
            .kind,
        DecisionKind::DeletedInFork
    );
    assert!(!plan.writes.contains_key("rules/a/deleted_fork.yml"));
    assert!(item(&plan, "Test.DeletedInForkQuiet").decision.is_none());
    assert!(!plan.writes.contains_key("rules/a/deleted_fork_quiet.yml"));
}

#[test]
fn merge_follows_moves_on_either_side() {
    let s = scenario();
    let plan = plan_of(&s);
    // Upstream moved it, the fork added a test at the old path: both at the new path.
    let moved = write_text(&plan, "rules/b/moved_up.yml");
    assert!(
        moved.contains("# Acme: our own case\n  - Name: acme case"),
        "{moved}"
    );
    assert_eq!(plan.writes.get("rules/a/moved_up.yml"), Some(&None));
    assert_eq!(plan.writes.get("rules/a/moved_up.py"), Some(&None));
    assert!(plan.writes.contains_key("rules/b/moved_up.py"));
    // The fork moved it, upstream changed it: upstream's change at the fork's path.
    assert!(write_text(&plan, "rules/acme/moved_fork.yml").contains("Severity: Critical"));
    assert!(!plan.writes.contains_key("rules/a/moved_fork.yml"));
    // Both moved it elsewhere: a decision; the fork's path until it is taken.
    let i = item(&plan, "Test.MovedBoth");
    assert_eq!(i.decision.as_ref().unwrap().kind, DecisionKind::MovedBoth);
    assert_eq!(i.path, "rules/acme/moved_both.yml");
}

#[test]
fn merge_reviews_a_function_both_sides_changed_even_when_lines_merge() {
    let s = scenario();
    let plan = plan_of(&s);
    let i = item(&plan, "Test.Review");
    assert!(i.review.iter().any(|r| r.contains("rule()")), "{i:#?}");
    let code = write_text(&plan, "rules/a/review.py");
    assert!(code.contains("startswith(\"acme-\")") && code.contains("(\"Stop\", \"Delete\")"));
}

#[test]
fn merge_conflicts_only_on_keys_changed_differently_and_resolves_per_key() {
    let s = scenario();
    let plan = plan_of(&s);
    let c = item(&plan, "Test.Conflict");
    let paths: Vec<&str> = c.conflicts.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["Threshold"]);
    let t = item(&plan, "Test.TestConflict");
    let paths: Vec<&str> = t.conflicts.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["Tests[ignores]"]);
    let up = Upstream::open(&s.fork).unwrap();
    let target = up.target("upstream", Some("v2")).unwrap();
    let mut res = Resolutions::default();
    res.items.insert(
        "Test.Conflict".into(),
        Resolution {
            take: None,
            keys: BTreeMap::from([("Threshold".to_string(), Take::Ours)]),
        },
    );
    let plan = up.plan(&target, &res).unwrap();
    assert_eq!(item(&plan, "Test.Conflict").outcome, Outcome::Clean);
    // The fork's value is what the fork has: nothing to write.
    assert!(!plan.writes.contains_key("rules/a/conflict.yml"));
}

#[test]
fn element_merges_sets_reports_and_pack_ids() {
    let s = scenario();
    let plan = plan_of(&s);
    let sets = write_text(&plan, "rules/a/sets.yml");
    assert!(
        sets.contains("Tags:\n  - AWS\n  - Acme\n  - Compliance:CIS\n"),
        "{sets}"
    );
    assert!(
        sets.contains("  CIS:\n    - \"3.1\"\n    - \"3.2\"\n"),
        "{sets}"
    );
    let pack = write_text(&plan, "packs/p.yml");
    assert!(
        pack.contains(
            "    - Test.Unchanged\n    - Test.NewUpstream\n    - Test.Both\n    - Acme.NewInFork\n"
        ),
        "{pack}"
    );
    let merged = &item(&plan, "Test.Pack").merged;
    assert!(
        merged
            .iter()
            .any(|m| m.contains("PackDefinition.IDs: as a set")),
        "{merged:?}"
    );
}

#[test]
fn files_outside_items_merge_as_files() {
    let s = scenario();
    let plan = plan_of(&s);
    let readme = write_text(&plan, "README.md");
    assert!(readme.contains("line 1 (fork)") && readme.contains("line 5 (upstream)"));
    let logo = plan
        .files
        .iter()
        .find(|f| f.path == "docs/logo.bin")
        .unwrap();
    assert!(logo.binary);
    assert_eq!(logo.outcome, Outcome::Decision);
    assert!(plan.writes.contains_key("deprecated.txt"));
}

/// Against plain `git merge` on the same commits: every file both merge cleanly has the same
/// content (or Prowl's, with the reason), and every conflict Prowl reports git reports too.
#[test]
fn prowl_agrees_with_git_where_git_is_right() {
    let s = scenario();
    let plan = plan_of(&s);
    let git_dir = s.fork.parent().unwrap().join("git-merge");
    git(
        s.fork.parent().unwrap(),
        &["clone", "-q", s.fork.to_str().unwrap(), "git-merge"],
    );
    git(
        &git_dir,
        &[
            "fetch",
            "-q",
            s.upstream.to_str().unwrap(),
            "refs/tags/v2:refs/tags/v2",
        ],
    );
    let out = git_output(
        &git_dir,
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@e",
            "merge",
            "--no-commit",
            "--no-ff",
            "v2",
        ],
    );
    assert!(
        !out.status.success(),
        "the scenario has conflicts for git too"
    );
    let unmerged: Vec<String> = git(&git_dir, &["diff", "--name-only", "--diff-filter=U"])
        .lines()
        .map(str::to_owned)
        .collect();
    for i in &plan.items {
        let files: Vec<&String> = [Some(&i.path), i.code_path.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        if !i.conflicts.is_empty() || i.line_conflict {
            assert!(
                files.iter().any(|f| unmerged.contains(f)),
                "{}: Prowl reports a conflict git does not ({unmerged:?})",
                i.id
            );
        }
        if i.outcome == Outcome::Decision {
            continue;
        }
        for f in files {
            let Some(Some(ours)) = plan.writes.get(f.as_str()) else {
                continue;
            };
            if unmerged.contains(f) {
                continue;
            }
            let Ok(theirs) = std::fs::read(git_dir.join(f)) else {
                continue;
            };
            if *ours != theirs {
                // Prowl differs from git's clean merge only where it knows better.
                let reason = i.moved.is_some()
                    || i.merged
                        .iter()
                        .any(|m| m.contains("as a set") || m.contains("element by element"));
                assert!(
                    reason,
                    "{f}: Prowl's merge differs from git's without a reason\nprowl:\n{}\ngit:\n{}",
                    String::from_utf8_lossy(ours),
                    String::from_utf8_lossy(&theirs)
                );
            }
        }
    }
    // git's conflicts that Prowl resolves itself (element merges, moves) are the point.
    assert!(
        unmerged
            .iter()
            .any(|u| u == "rules/a/sets.yml" || u == "packs/p.yml"),
        "{unmerged:?}"
    );
}

#[test]
fn merge_resolve_commit_and_undo_through_the_command_line() {
    let s = scenario();
    let prowl = |args: &[&str]| {
        let out = isolated(
            Command::new(env!("CARGO_BIN_EXE_prowl"))
                .args(args)
                .current_dir(&s.fork),
        )
        .output()
        .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, _) = prowl(&["upstream", "status", "--target", "v2"]);
    assert_eq!(code, 1, "decisions are open: {out}");
    assert!(
        out.contains("need you (") && out.contains("Test.DeletedUpstream"),
        "{out}"
    );
    let (code, out, err) = prowl(&["upstream", "merge", "--target", "v2", "--no-check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        on_disk(&s, "rules/a/conflict.yml").contains("<<<<<<< fork\nThreshold: 50 # Acme: NAT\n")
    );
    // Nothing can be committed while items are open.
    let (code, _, err) = prowl(&["upstream", "commit"]);
    assert_eq!(code, 2);
    assert!(err.contains("still need a decision"), "{err}");
    // One conflict by key, one by editing the file, the decisions as proposed.
    let (code, _, err) = prowl(&[
        "upstream",
        "resolve",
        "Test.Conflict",
        "--key",
        "Threshold=ours",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(on_disk(&s, "rules/a/conflict.yml").contains("Threshold: 50 # Acme: NAT\n"));
    let edited = on_disk(&s, "rules/a/test_conflict.yml");
    let start = edited.find("<<<<<<< fork\n").unwrap();
    let mid = edited.find("||||||| base\n").unwrap();
    let end = edited.find(">>>>>>> upstream\n").unwrap() + ">>>>>>> upstream\n".len();
    let kept = edited[start + "<<<<<<< fork\n".len()..mid].to_owned();
    std::fs::write(
        s.fork.join("rules/a/test_conflict.yml"),
        format!("{}{kept}{}", &edited[..start], &edited[end..]),
    )
    .unwrap();
    let (code, out, err) = prowl(&["upstream", "resolve", "--accept-proposed"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = prowl(&["upstream", "resolve", "docs/logo.bin", "--take", "theirs"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = prowl(&["upstream", "commit"]);
    assert_eq!(code, 0, "{out}{err}");
    let parents = git(&s.fork, &["log", "-1", "--format=%P"]);
    assert_eq!(parents.split_whitespace().count(), 2, "{parents}");
    assert!(git(&s.fork, &["status", "--porcelain"]).is_empty());
    assert!(on_disk(&s, "rules/b/moved_up.yml").contains("acme case"));
    assert_eq!(
        std::fs::read(s.fork.join("docs/logo.bin")).unwrap(),
        vec![0, 1, 2, 3, 0, 7, 7]
    );
    assert!(
        !s.fork.join("rules/a/deleted_up.yml").exists(),
        "the proposed deletion was taken"
    );
    let head_before_undo = git(&s.fork, &["rev-parse", "HEAD"]);
    let (code, _, err) = prowl(&["upstream", "undo"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        git(&s.fork, &["log", "-1", "--format=%s"]).trim(),
        "Acme tuning"
    );
    assert_eq!(
        git(&s.fork, &["rev-parse", "refs/prowl/upstream/undone"]),
        head_before_undo
    );
}

#[test]
fn a_merge_refuses_uncommitted_changes_or_stashes_them() {
    let s = scenario();
    std::fs::write(
        s.fork.join("rules/a/unchanged.py"),
        "# my work in progress\n",
    )
    .unwrap();
    let up = Upstream::open(&s.fork).unwrap();
    let err = up
        .merge("upstream", Some("v2"), &MergeOptions::default())
        .unwrap_err();
    assert!(matches!(err, UpstreamError::Dirty { .. }), "{err}");
    assert!(err.info().hint.unwrap().contains("--stash"));
    assert_eq!(
        on_disk(&s, "rules/a/unchanged.py"),
        "# my work in progress\n"
    );
    let started = up
        .merge("upstream", Some("v2"), &MergeOptions { stash: true })
        .unwrap();
    assert!(started.stashed.is_some());
    assert_ne!(
        on_disk(&s, "rules/a/unchanged.py"),
        "# my work in progress\n"
    );
    let aborted = up.abort().unwrap();
    assert!(aborted.stash_note.unwrap().contains("back"));
    assert_eq!(
        on_disk(&s, "rules/a/unchanged.py"),
        "# my work in progress\n"
    );
}

#[test]
fn abort_restores_every_file_and_keeps_the_users_edits_as_copies() {
    let s = scenario();
    let head = git(&s.fork, &["rev-parse", "HEAD"]);
    let up = Upstream::open(&s.fork).unwrap();
    up.merge("upstream", Some("v2"), &MergeOptions::default())
        .unwrap();
    assert!(!git(&s.fork, &["status", "--porcelain"]).is_empty());
    assert!(
        s.fork.join(".git/MERGE_HEAD").exists(),
        "git sees the merge in progress"
    );
    // The user works on a conflict, then gives up.
    std::fs::write(
        s.fork.join("rules/a/conflict.yml"),
        "my half-resolved text\n",
    )
    .unwrap();
    let aborted = up.abort().unwrap();
    assert_eq!(aborted.kept.len(), 1);
    assert_eq!(
        std::fs::read_to_string(&aborted.kept[0]).unwrap(),
        "my half-resolved text\n"
    );
    assert!(git(&s.fork, &["status", "--porcelain"]).is_empty());
    assert_eq!(git(&s.fork, &["rev-parse", "HEAD"]), head);
    assert!(!s.fork.join(".git/MERGE_HEAD").exists());
    assert!(matches!(up.abort().unwrap_err(), UpstreamError::NoMerge));
}

#[test]
fn a_merge_interrupted_while_writing_can_be_resumed_or_aborted() {
    let s = scenario();
    let up = Upstream::open(&s.fork).unwrap();
    let started = up
        .merge("upstream", Some("v2"), &MergeOptions::default())
        .unwrap();
    // Simulate a crash halfway: the state says "writing", some files are back as they were.
    let state_path = s.fork.join(".git/prowl-upstream/state.json");
    let state = std::fs::read_to_string(&state_path).unwrap();
    std::fs::write(
        &state_path,
        state.replace("\"phase\": \"written\"", "\"phase\": \"writing\""),
    )
    .unwrap();
    git(
        &s.fork,
        &["checkout", "--", "rules/a/both.yml", "README.md"],
    );
    // Nothing can be committed in that state, and another merge resumes it.
    assert!(up.commit(None).is_err());
    let resumed = up
        .merge("upstream", Some("v2"), &MergeOptions::default())
        .unwrap();
    assert!(resumed.resumed);
    assert_eq!(resumed.plan.writes, started.plan.writes);
    assert!(on_disk(&s, "rules/a/both.yml").contains("Tags:\n  - Upstream"));
    // Interrupted again, then aborted: everything back to HEAD.
    let state = std::fs::read_to_string(&state_path).unwrap();
    std::fs::write(
        &state_path,
        state.replace("\"phase\": \"written\"", "\"phase\": \"writing\""),
    )
    .unwrap();
    up.abort().unwrap();
    assert!(git(&s.fork, &["status", "--porcelain"]).is_empty());
}

#[test]
fn undo_refuses_when_commits_came_after_the_merge() {
    let s = scenario();
    let up = Upstream::open(&s.fork).unwrap();
    assert!(matches!(
        up.undo().unwrap_err(),
        UpstreamError::NothingToUndo
    ));
    up.merge("upstream", Some("v2"), &MergeOptions::default())
        .unwrap();
    up.accept_proposed().unwrap();
    let mut keys = BTreeMap::new();
    keys.insert("Threshold".to_string(), Take::Theirs);
    up.resolve("Test.Conflict", Resolution { take: None, keys })
        .unwrap();
    up.resolve(
        "Test.TestConflict",
        Resolution {
            take: Some(Take::Theirs),
            keys: BTreeMap::new(),
        },
    )
    .unwrap();
    up.resolve(
        "docs/logo.bin",
        Resolution {
            take: Some(Take::Ours),
            keys: BTreeMap::new(),
        },
    )
    .unwrap();
    let done = up.commit(Some("Merge release 2")).unwrap();
    assert!(on_disk(&s, "rules/a/conflict.yml").contains("Threshold: 10\n"));
    std::fs::write(s.fork.join("after.txt"), "x").unwrap();
    commit_all(&s.fork, "after the merge");
    let err = up.undo().unwrap_err();
    assert!(matches!(err, UpstreamError::MovedOn { .. }));
    assert!(err
        .info()
        .hint
        .unwrap()
        .contains(&format!("git revert -m 1 {}", done.commit)));
}

#[test]
fn bad_upstreams_are_refused_clearly() {
    let s = scenario();
    let root = s.fork.parent().unwrap();
    // Unrelated history.
    let other = root.join("other");
    std::fs::create_dir_all(&other).unwrap();
    git(&other, &["init", "-q", "-b", "main"]);
    write_files(&other, &base_files());
    commit_all(&other, "unrelated");
    // Not a content repository (shares history but holds no items).
    let docs = root.join("docs-only");
    git(
        root,
        &["clone", "-q", s.upstream.to_str().unwrap(), "docs-only"],
    );
    git(
        &docs,
        &["rm", "-q", "-r", "rules", "packs", "global_helpers"],
    );
    commit_all(&docs, "docs only");
    let up = Upstream::open(&s.fork).unwrap();
    up.set_remote("other", other.to_str().unwrap()).unwrap();
    up.fetch("other", &mut |_| true).unwrap();
    let err = up.status("other", None).unwrap_err();
    assert!(matches!(err, UpstreamError::Unrelated { .. }), "{err}");
    up.set_remote("docs", docs.to_str().unwrap()).unwrap();
    up.fetch("docs", &mut |_| true).unwrap();
    let err = up.status("docs", None).unwrap_err();
    assert!(matches!(err, UpstreamError::NotContent { .. }), "{err}");
    let err = up.status("upstream", Some("v9")).unwrap_err();
    assert!(matches!(err, UpstreamError::UnknownTarget { .. }), "{err}");
    assert!(err.info().hint.unwrap().contains("fetch"));
    let err = up.status("nope", None).unwrap_err();
    assert!(matches!(err, UpstreamError::NoRemote { .. }), "{err}");
    up.set_remote("gone", root.join("missing").to_str().unwrap())
        .unwrap();
    assert!(matches!(
        up.fetch("gone", &mut |_| true).unwrap_err(),
        UpstreamError::Fetch { .. }
    ));
    // Already merged.
    let err = up
        .merge("upstream", Some("v1"), &MergeOptions::default())
        .unwrap_err();
    assert!(matches!(err, UpstreamError::UpToDate { .. }), "{err}");
}

#[test]
fn a_spec_broken_on_one_side_merges_by_lines_and_says_so() {
    let s = scenario();
    // Upstream ships a spec with a YAML error in a later commit.
    let path = s.upstream.join("rules/a/changed_fork.yml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("Severity: Medium", "Severity: [High");
    std::fs::write(&path, text).unwrap();
    commit_all(&s.upstream, "broken");
    let up = Upstream::open(&s.fork).unwrap();
    up.fetch("upstream", &mut |_| true).unwrap();
    let plan = up.status("upstream", Some("main")).unwrap().0;
    let i = item(&plan, "Test.ChangedInFork");
    assert!(
        i.notes.iter().any(|n| n.contains("merged by lines")),
        "{i:#?}"
    );
    let spec = write_text(&plan, "rules/a/changed_fork.yml");
    assert!(spec.contains("Enabled: false # Acme: too noisy") && spec.contains("Severity: [High"));
}

mod format {
    //! Format preservation: a merge where each side changed one key keeps every other byte of
    //! the fork's text (comments, quoting, key order).
    use proptest::prelude::*;
    use rules_workspace::upstream::yaml::merge_spec;
    use std::collections::BTreeMap;

    fn value_text(kind: u8, word: &str) -> String {
        match kind % 4 {
            0 => word.to_owned(),
            1 => format!("'{word}'"),
            2 => format!("\"{word}\""),
            _ => format!("{word} # trailing comment"),
        }
    }

    prop_compose! {
        fn spec()(keys in proptest::collection::btree_set("[A-Z][a-zA-Z]{2,8}", 3..10),
                  kinds in proptest::collection::vec(0u8..8, 10),
                  words in proptest::collection::vec("[a-z]{1,8}", 10))
                  -> Vec<(String, u8, String)> {
            keys.into_iter().enumerate().map(|(i, k)| (k, kinds[i], words[i].clone())).collect()
        }
    }

    fn render(entries: &[(String, u8, String)], changed: &BTreeMap<usize, String>) -> String {
        let mut out = String::from("# header comment\n");
        for (i, (k, kind, word)) in entries.iter().enumerate() {
            if kind % 2 == 1 {
                out.push_str(&format!("# about {k}\n"));
            }
            let w = changed.get(&i).cloned().unwrap_or_else(|| word.clone());
            out.push_str(&format!("{k}: {}\n", value_text(*kind / 2, &w)));
            if kind % 3 == 0 {
                out.push('\n');
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]
        #[test]
        fn each_side_changing_one_key_keeps_everything_else_byte_for_byte(
            entries in spec(), a in 0usize..10, b in 0usize..10
        ) {
            let n = entries.len();
            let (a, b) = (a % n, b % n);
            prop_assume!(a != b);
            let base = render(&entries, &BTreeMap::new());
            let ours = render(&entries, &BTreeMap::from([(a, "forkvalue".to_string())]));
            let theirs = render(&entries, &BTreeMap::from([(b, "upvalue".to_string())]));
            let expected = render(&entries, &BTreeMap::from([(a, "forkvalue".to_string()), (b, "upvalue".to_string())]));
            let merged = merge_spec(Some(&base), &ours, &theirs).expect("block mappings cut by key");
            prop_assert!(merged.conflicts().is_empty());
            prop_assert_eq!(merged.render(&BTreeMap::new(), None), expected);
        }

        #[test]
        fn a_merge_with_an_unchanged_upstream_is_the_fork_itself(entries in spec(), a in 0usize..10) {
            let a = a % entries.len();
            let base = render(&entries, &BTreeMap::new());
            let ours = render(&entries, &BTreeMap::from([(a, "forkvalue".to_string())]));
            let merged = merge_spec(Some(&base), &ours, &base).unwrap();
            prop_assert_eq!(merged.render(&BTreeMap::new(), None), ours);
        }
    }
}

#[test]
fn a_huge_file_changed_on_both_sides_is_a_choice_not_a_line_merge() {
    let s = scenario();
    let big = |seed: &str| -> Vec<u8> {
        let mut v = Vec::with_capacity(17 << 20);
        for i in 0..(17 << 20) / 32 {
            v.extend_from_slice(format!("{seed} line {i:020}\n").as_bytes());
        }
        v
    };
    // Both sides start from the same big file, then each changes it.
    for (dir, seed) in [(&s.upstream, "up"), (&s.fork, "fork")] {
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::write(dir.join("data/huge.txt"), big(seed)).unwrap();
    }
    // The fork and upstream add the file with different content: added on both sides.
    commit_all(&s.upstream, "huge upstream");
    commit_all(&s.fork, "huge fork");
    let up = Upstream::open(&s.fork).unwrap();
    up.fetch("upstream", &mut |_| true).unwrap();
    let plan = up.status("upstream", Some("main")).unwrap().0;
    let f = plan
        .files
        .iter()
        .find(|f| f.path == "data/huge.txt")
        .unwrap();
    assert_eq!(f.outcome, Outcome::Decision, "{f:?}");
    assert!(!plan.writes.contains_key("data/huge.txt"));
}

/// Real releases: a fork that changed nothing, merged with a later release and every
/// decision answered for upstream, is exactly that release's tree (items matched by ID, moves,
/// renames in place and deletions included). Needs PROWL_PANTHER_ANALYSIS (a clone of
/// panther-analysis with its tags); without it the test says so and checks nothing.
#[test]
fn an_unchanged_fork_merged_with_a_real_release_becomes_that_release() {
    let Some(pa) = std::env::var_os("PROWL_PANTHER_ANALYSIS").map(PathBuf::from) else {
        eprintln!("SKIPPED: set PROWL_PANTHER_ANALYSIS to a clone of panther-analysis with its tags to merge real releases");
        return;
    };
    isolate_git_config();
    for (base, target) in [("v3.81.0", "v3.97.0"), ("v3.97.0", "v3.99.0")] {
        let dir = tempfile::tempdir().unwrap();
        let fork = dir.path().join("fork");
        git(
            dir.path(),
            &[
                "clone",
                "-q",
                "--no-checkout",
                "-o",
                "upstream",
                pa.to_str().unwrap(),
                "fork",
            ],
        );
        git(&fork, &["checkout", "-q", "-b", "fork", base]);
        let up = Upstream::open(&fork).unwrap();
        let t = up.target("upstream", Some(target)).unwrap();
        let first = up.plan(&t, &Resolutions::default()).unwrap();
        // Nothing changed in the fork: nothing conflicts, nothing needs review.
        for i in &first.items {
            assert!(
                i.conflicts.is_empty() && !i.line_conflict && i.review.is_empty(),
                "{base}->{target}: {i:#?}"
            );
            assert!(
                !matches!(
                    i.class,
                    ChangeClass::ChangedInFork | ChangeClass::ChangedBoth | ChangeClass::NewInFork
                ),
                "{i:#?}"
            );
        }
        let mut res = Resolutions::default();
        for i in first.items.iter().filter(|i| i.decision.is_some()) {
            res.items.insert(
                i.id.clone(),
                Resolution {
                    take: Some(Take::Theirs),
                    keys: BTreeMap::new(),
                },
            );
        }
        for f in first.files.iter().filter(|f| f.decision.is_some()) {
            res.items.insert(
                f.path.clone(),
                Resolution {
                    take: Some(Take::Theirs),
                    keys: BTreeMap::new(),
                },
            );
        }
        let plan = up.plan(&t, &res).unwrap();
        assert_eq!(plan.open_questions(), 0);
        // Apply the writes to the fork's tree in memory and compare with the target's.
        let listing = |rev: &str| -> BTreeMap<String, String> {
            git(&fork, &["ls-tree", "-r", rev])
                .lines()
                .map(|l| {
                    let (meta, path) = l.split_once('\t').unwrap();
                    (
                        path.to_owned(),
                        meta.split_whitespace().nth(2).unwrap().to_owned(),
                    )
                })
                .collect()
        };
        let mut merged = listing("HEAD");
        for (path, w) in &plan.writes {
            match w {
                Some(bytes) => {
                    let oid = git2::Oid::hash_object(git2::ObjectType::Blob, bytes).unwrap();
                    merged.insert(path.clone(), oid.to_string());
                }
                None => {
                    merged.remove(path);
                }
            }
        }
        let wanted = listing(target);
        let differ: Vec<&String> = wanted
            .keys()
            .chain(merged.keys())
            .filter(|p| wanted.get(*p) != merged.get(*p))
            .collect();
        assert!(
            differ.is_empty(),
            "{base}->{target}: the merge differs from the release at {differ:?}"
        );
        let renamed = first
            .items
            .iter()
            .filter(|i| i.class == ChangeClass::RenamedUpstream)
            .count();
        eprintln!(
            "{base} -> {target}: {} items, {} files written, {} decisions, {renamed} IDs changed in place",
            first.items.len(),
            plan.writes.len(),
            first.items.iter().filter(|i| i.decision.is_some()).count()
        );
    }
}
