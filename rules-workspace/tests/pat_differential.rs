//! Differential tests: PAT 1.6.3 (installed from PyPI by the test setup) and Prowl read the same
//! fixture workspaces; the specs each reports invalid, and the messages, must agree.
//!
//! Known, deliberate normalisations (documented in the README):
//! - YAML syntax errors: both must reject the file; PAT prints libyaml's wording, Prowl its own.
//! - Prowl follows PAT 1.7.0's schemas, which add `DatabricksQuery` to the query-key choices;
//!   PAT 1.6.3 lists three keys where Prowl lists four.

mod common;

use common::*;
use rules_workspace::filter::Filters;
use rules_workspace::spec::validate::ValidationOptions;
use rules_workspace::workspace::{OpenOptions, Workspace};
use std::collections::BTreeSet;
use std::path::Path;

const YAML_ERROR: &str = "<YAML syntax error>";

fn normalise_pat(message: &str) -> String {
    if message.contains("in \"<file>\"") {
        YAML_ERROR.to_owned()
    } else {
        message.to_owned()
    }
}

fn prowl_invalid(
    root: &Path,
    options: &OpenOptions,
    filters: &[String],
) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let ws = Workspace::open(root, options).expect("open fixture");
    let filters = Filters::parse(filters).expect("filters");
    let diagnostics = ws.check(&ws.select(&filters));
    let invalid = diagnostics
        .iter()
        .filter(|d| d.pat && d.is_error())
        .map(|d| {
            let message = match d.code {
                rules_workspace::diagnostics::Code::YamlSyntax => YAML_ERROR.to_owned(),
                _ => pat_1_6_3_wording(&d.message),
            };
            (d.rel_path.clone(), message)
        })
        .collect();
    let warnings = diagnostics
        .iter()
        .filter(|d| d.pat && !d.is_error())
        .map(|d| d.message.clone())
        .collect();
    (invalid, warnings)
}

fn assert_same_verdicts(
    name: &str,
    root: &Path,
    options: &OpenOptions,
    pat_args: &[&str],
    filters: &[String],
) {
    let pat = run_pat(root, pat_args);
    assert!(
        pat.stdout.contains("Test Summary"),
        "{name}: PAT did not run to its summary\n{}\n{}",
        pat.stdout,
        pat.stderr
    );
    assert!(
        pat.stdout.contains("\tFailed: 0\n"),
        "{name}: a fixture's own unit tests must pass under PAT\n{}",
        pat.stdout
    );
    let pat_invalid: BTreeSet<(String, String)> = pat
        .invalid
        .iter()
        .map(|(p, m)| (p.clone(), normalise_pat(m)))
        .collect();
    let (ours, our_warnings) = prowl_invalid(root, options, filters);
    let only_pat: Vec<_> = pat_invalid.difference(&ours).collect();
    let only_prowl: Vec<_> = ours.difference(&pat_invalid).collect();
    assert!(
        only_pat.is_empty() && only_prowl.is_empty(),
        "{name}: PAT and Prowl disagree\n--- only PAT reports:\n{only_pat:#?}\n--- only Prowl reports:\n{only_prowl:#?}\n--- PAT stdout:\n{}",
        pat.stdout
    );
    // PAT's exit code: 1 with any invalid spec.
    assert_eq!(
        pat.exit == 0,
        ours.is_empty(),
        "{name}: exit codes disagree (PAT {})",
        pat.exit
    );
    // Warnings PAT logs (DedupPeriodMinutes) must be ours too.
    for line in pat
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("WARNING: "))
    {
        if line.starts_with("DedupPeriodMinutes") {
            assert!(
                our_warnings.contains(line),
                "{name}: PAT warned `{line}`, Prowl did not"
            );
        }
    }
}

#[test]
fn every_fixture_workspace_gets_pats_verdicts() {
    let names = fixture_names();
    assert!(names.len() >= 7, "fixtures missing: {names:?}");
    std::thread::scope(|s| {
        for chunk in names.chunks(names.len().div_ceil(2)) {
            s.spawn(move || {
                for name in chunk {
                    assert_same_verdicts(name, &fixture(name), &OpenOptions::default(), &[], &[]);
                }
            });
        }
    });
}

#[test]
fn the_demo_workspace_is_valid_for_both() {
    let root = demo_base();
    assert_same_verdicts("demo", &root, &OpenOptions::default(), &[], &[]);
    let (ours, _) = prowl_invalid(&root, &OpenOptions::default(), &[]);
    assert!(ours.is_empty());
}

#[test]
fn ignore_files_and_filters_match_pat() {
    let root = fixture("discovery");
    let options = OpenOptions {
        ignore_files: vec!["rules/ignored_by_flag.yml".into()],
        ..Default::default()
    };
    assert_same_verdicts(
        "discovery --ignore-files",
        &root,
        &options,
        &["--ignore-files", "rules/ignored_by_flag.yml"],
        &[],
    );

    // A filter changes which packs are checked: the pack check sees only filtered items.
    let root = fixture("queries-and-packs");
    let filters = vec!["Severity=Low".to_string()];
    assert_same_verdicts(
        "queries-and-packs --filter",
        &root,
        &OpenOptions::default(),
        &["--filter", "Severity=Low"],
        &filters,
    );
}

#[test]
fn ignore_table_names_and_extra_keys_match_pat() {
    let root = fixture("queries-and-packs");
    let options = OpenOptions {
        validation: ValidationOptions {
            ignore_table_names: true,
            ..Default::default()
        },
        ..Default::default()
    };
    assert_same_verdicts(
        "queries-and-packs --ignore-table-names",
        &root,
        &options,
        &["--ignore-table-names"],
        &[],
    );

    let root = fixture("schema-keys");
    let options = OpenOptions {
        validation: ValidationOptions {
            ignore_extra_keys: true,
            ..Default::default()
        },
        ..Default::default()
    };
    assert_same_verdicts(
        "schema-keys --ignore-extra-keys",
        &root,
        &options,
        &["--ignore-extra-keys"],
        &[],
    );
}
