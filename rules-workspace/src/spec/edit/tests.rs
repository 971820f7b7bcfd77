//! Tests of the test editor: edits on realistic specs, refusals, and properties (every edit
//! reads back as intended and changes only its own lines). Tests only (over 800 lines because
//! each edit kind has its cases on several layouts).

use super::lines::at;
use super::locate::Spec;
use super::ops::entry_last_line;
use super::*;
use crate::error::UserError;
use crate::spec::validate::{classify, SpecFile, ValidationOptions};
use crate::spec::yaml;
use proptest::prelude::*;
use serde_json::json;

/// A rule as panther-analysis writes them: comments above, inside and after `Tests`, blank
/// lines between tests, names in double, single and no quotes, mocks, a JSON-style `Log`.
const RULE: &str = r#"AnalysisType: rule
Filename: aws_console_login_without_mfa.py
RuleID: "AWS.Console.LoginWithoutMFA"
DisplayName: "Console Login Without MFA"
Enabled: true
LogTypes:
  - AWS.CloudTrail
Severity: High
Description: >
  A console login without multi-factor authentication.
# Unit tests: `pat test` and `prowl test` run these.
Tests:
  # No MFA: alert.
  - Name: "Login Without MFA"
    ExpectedResult: true
    Mocks:
      - objectName: is_account_new
        returnValue: "false"
    Log:
      eventName: ConsoleLogin
      additionalEventData:
        MFAUsed: "No"   # PAT reads the string "No"

  - Name: 'Login With MFA' # quiet
    ExpectedResult: False
    Log:
      eventName: ConsoleLogin

  - Name: Failed Login
    ExpectedResult: false
    Log: {"eventName": "ConsoleLogin", "responseElements": {"ConsoleLogin": "Failure"}}
# Keep the runbook short.
Runbook: Ask the user whether they logged in.
"#;

/// A policy with its tests' `-` at column 0, lists not indented under their keys, no blank
/// lines between tests, `Resource` events and mocks.
const POLICY: &str = r#"AnalysisType: policy
Filename: s3_bucket_encryption.py
PolicyID: AWS.S3.Bucket.Encryption
Enabled: true
ResourceTypes:
- AWS.S3.Bucket
Severity: Medium
Tests:
- Name: Encrypted bucket
  ExpectedResult: true
  Resource:
    Name: secure-bucket
    EncryptionRules:
    - SSEAlgorithm: AES256
- Name: Unencrypted bucket
  ExpectedResult: false
  Mocks:
  - objectName: get_tags
    returnValue: "{}"
  Resource:
    Name: open-bucket
    EncryptionRules: []
"#;

/// Four-space indentation with `-   Name` items, and a key after `Tests`.
const WIDE: &str = r#"AnalysisType: scheduled_rule
Filename: okta_brute_force.py
RuleID: Okta.BruteForce
Enabled: true
ScheduledQueries:
    - Okta Failed Logins
Severity: Medium
Tests:
    -   Name: Many failures
        ExpectedResult: true
        Log:
            actor:
                alternateId: alice@example.com
            failures: 12
    -   Name: Few failures
        ExpectedResult: false
        Log:
            actor:
                alternateId: bob@example.com
            failures: 2
Threshold: 1
"#;

/// Windows line endings and no newline at the end of the file.
const CRLF: &str = "AnalysisType: rule\r\nFilename: okta_failed_login.py\r\nRuleID: Okta.FailedLogin\r\nEnabled: true\r\nLogTypes:\r\n  - Okta.SystemLog\r\nSeverity: Low\r\nTests:\r\n  - Name: Failed login\r\n    ExpectedResult: true\r\n    Log:\r\n      outcome:\r\n        result: FAILURE";

/// A rule without tests.
const NO_TESTS: &str = "AnalysisType: rule\nFilename: github_repo_deleted.py\nRuleID: GitHub.Repo.Deleted\nEnabled: true\nLogTypes:\n  - GitHub.Audit\nSeverity: Medium\n";

fn edit(source: &str, edit: serde_json::Value) -> String {
    let edit: TestEdit = serde_json::from_value(edit).expect("a valid edit");
    match apply_test_edit(source, &edit) {
        Ok(text) => text,
        Err(e) => panic!("{edit:?} failed: {e}"),
    }
}

fn refused(source: &str, edit: serde_json::Value) -> EditError {
    let edit: TestEdit = serde_json::from_value(edit).expect("a valid edit");
    match apply_test_edit(source, &edit) {
        Ok(text) => panic!("{edit:?} should have been refused, gave:\n{text}"),
        Err(e) => e,
    }
}

/// The one run of lines in which `new` differs from `old` (everything before and after it
/// is byte-identical): `-N: text` for old lines, `+N: text` for new ones, 1-based, with line
/// ends other than `\n` shown.
fn hunk(old: &str, new: &str) -> String {
    let (prefix, removed, added) = changed_run(old, new);
    let show = |line: &str| {
        if let Some(body) = line.strip_suffix("\r\n") {
            format!("{body}\\r\\n")
        } else if let Some(body) = line.strip_suffix('\n') {
            body.to_owned()
        } else {
            format!("{line}[no newline]")
        }
    };
    let mut out = String::new();
    for (i, line) in removed.iter().enumerate() {
        out.push_str(&format!("-{}: {}\n", prefix + i + 1, show(line)));
    }
    for (i, line) in added.iter().enumerate() {
        out.push_str(&format!("+{}: {}\n", prefix + i + 1, show(line)));
    }
    out
}

fn tests_json(text: &str) -> Json {
    let loaded = yaml::load_str(text.trim_start_matches('\u{feff}')).expect("parses");
    loaded.root.expect("a document").to_json()["Tests"].clone()
}

/// The spec passes PAT's validation as the workspace runs it.
fn assert_valid(text: &str) {
    let loaded = yaml::load_str(text.trim_start_matches('\u{feff}')).expect("parses");
    let file = SpecFile {
        path: "/ws/rules/spec.yml".into(),
        rel_path: "rules/spec.yml".into(),
        walk_dir: "./rules".into(),
        content: Ok(std::sync::Arc::new(loaded)),
    };
    let classified = classify(vec![file], &ValidationOptions::default());
    let errors: Vec<String> = classified
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| format!("{}: {}", d.summary, d.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{text}");
    assert_eq!(classified.items.len(), 1);
}

#[test]
fn fixtures_are_valid_specs() {
    for spec in [RULE, POLICY, WIDE, CRLF, NO_TESTS] {
        assert_valid(spec);
    }
}

#[test]
fn add_appends_after_the_last_test_with_the_files_blank_line_and_indentation() {
    let test = json!({
        "Name": "Root login from a new country",
        "ExpectedResult": true,
        "Log": {
            "eventName": "ConsoleLogin",
            "userIdentity": {"type": "Root"},
            "sourceIPAddress": "203.0.113.7",
            "additionalEventData": {"MFAUsed": "No"}
        },
        "Mocks": [{"objectName": "is_account_new", "returnValue": "true"}]
    });
    let out = edit(RULE, json!({"kind": "add", "test": test}));
    assert_eq!(
        hunk(RULE, &out),
        r#"+32: 
+33:   - Name: Root login from a new country
+34:     ExpectedResult: true
+35:     Log:
+36:       eventName: ConsoleLogin
+37:       userIdentity:
+38:         type: Root
+39:       sourceIPAddress: "203.0.113.7"
+40:       additionalEventData:
+41:         MFAUsed: "No"
+42:     Mocks:
+43:       - objectName: is_account_new
+44:         returnValue: "true"
"#
    );
    assert_eq!(tests_json(&out)[3], test);
    assert_valid(&out);
}

#[test]
fn add_quotes_every_string_a_plain_scalar_would_change_and_reads_back_exactly() {
    let log: Json = serde_json::from_str(
        r#"{
            "yes": "yes", "on": "on", "null_word": "null", "tilde": "~", "empty": "",
            "octal": "0644", "underscored": "1_000", "hex": "0x1F", "float_text": "1.0",
            "exp_text": "1e5", "date": "2024-01-01", "time": "12:30:00", "ip": "10.0.0.1",
            "colon space": "a: b", "hash": "a #b", "lead": " x", "dash": "- x", "y": "y",
            "url": "https://example.com/a?b=c#frag", "quote": "it's", "unicode": "Grüße, 日本",
            "control": "bell\u0007", "nel": "a\u0085b", "tab": "a\tb",
            "multi": "line one\nline two\n", "multi_no_end": "a\n\nb", "multi_indented": " x\ny",
            "int": 42, "negative": -7, "big": 18446744073709551615, "float": 0.1,
            "huge": 1e300, "whole": 3.0, "true": true, "none": null, "list": [], "map": {},
            "nested": [[1, "2"], {"k": null}], "123": "numeric key", "": "empty key",
            "a: b": "colon key"
        }"#,
    )
    .unwrap();
    let test = json!({"Name": "Tricky values", "ExpectedResult": false, "Log": log});
    let out = edit(RULE, json!({"kind": "add", "test": test}));
    assert_eq!(tests_json(&out)[3]["Log"], log);
    let hunk = hunk(RULE, &out);
    let rendered: Vec<&str> = hunk
        .lines()
        .skip(4)
        .map(|l| &l[l.find(": ").unwrap() + 2..])
        .collect();
    assert_eq!(
        rendered.join("\n"),
        r#"      "yes": "yes"
      "on": "on"
      null_word: "null"
      tilde: "~"
      empty: ""
      octal: "0644"
      underscored: "1_000"
      hex: "0x1F"
      float_text: "1.0"
      exp_text: "1e5"
      date: "2024-01-01"
      time: "12:30:00"
      ip: "10.0.0.1"
      colon space: "a: b"
      hash: "a #b"
      lead: " x"
      dash: "- x"
      "y": "y"
      url: https://example.com/a?b=c#frag
      quote: it's
      unicode: Grüße, 日本
      control: "bell\u0007"
      nel: "a\u0085b"
      tab: "a\tb"
      multi: |
        line one
        line two
      multi_no_end: |-
        a

        b
      multi_indented: " x\ny"
      int: 42
      negative: -7
      big: 18446744073709551615
      float: 0.1
      huge: 1.0e+300
      whole: 3.0
      "true": true
      none: null
      list: []
      map: {}
      nested:
        - - 1
          - "2"
        - k: null
      "123": numeric key
      "": empty key
      "a: b": colon key"#
    );
    assert_valid(&out);
}

#[test]
fn add_to_a_policy_with_dashes_at_column_zero_copies_that_layout() {
    let test = json!({
        "Name": "Bucket with KMS",
        "ExpectedResult": true,
        "Resource": {
            "Name": "kms-bucket",
            "EncryptionRules": [{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:us-east-1:123456789012:key/abc"}]
        }
    });
    let out = edit(POLICY, json!({"kind": "add", "test": test}));
    assert_eq!(
        hunk(POLICY, &out),
        "+23: - Name: Bucket with KMS
+24:   ExpectedResult: true
+25:   Resource:
+26:     Name: kms-bucket
+27:     EncryptionRules:
+28:     - SSEAlgorithm: aws:kms
+29:       KMSMasterKeyID: arn:aws:kms:us-east-1:123456789012:key/abc
"
    );
    assert_valid(&out);
    let with_log = json!({"Name": "x", "ExpectedResult": true, "Log": {}});
    let e = refused(POLICY, json!({"kind": "add", "test": with_log}));
    assert_eq!(e.name(), "invalid_test");
    assert_eq!(
        e.to_string(),
        "the test is not valid: a policy's test has a `Resource` and no `Log`"
    );
}

/// Keys and mappings step by four like the file's; a list of strings gets `- x` like the
/// file's own list of strings (`ScheduledQueries`), not the `-   ` of its tests.
#[test]
fn add_copies_four_space_indentation() {
    let test = json!({
        "Name": "Locked out",
        "ExpectedResult": true,
        "Log": {"actor": {"alternateId": "carol@example.com"}, "failures": 30, "outcomes": ["FAILURE", "LOCKED_OUT"]}
    });
    let out = edit(WIDE, json!({"kind": "add", "test": test}));
    assert_eq!(
        hunk(WIDE, &out),
        "+21:     -   Name: Locked out
+22:         ExpectedResult: true
+23:         Log:
+24:             actor:
+25:                 alternateId: carol@example.com
+26:             failures: 30
+27:             outcomes:
+28:                 - FAILURE
+29:                 - LOCKED_OUT
"
    );
    assert_valid(&out);
}

#[test]
fn add_to_a_crlf_file_without_final_newline_keeps_both() {
    let test = json!({"Name": "Successful login", "ExpectedResult": false, "Log": {"outcome": {"result": "SUCCESS"}}});
    let out = edit(CRLF, json!({"kind": "add", "test": test}));
    assert_eq!(
            out,
            format!("{CRLF}\r\n  - Name: Successful login\r\n    ExpectedResult: false\r\n    Log:\r\n      outcome:\r\n        result: SUCCESS")
        );
    assert_valid(&out);
}

#[test]
fn add_to_a_spec_without_tests_appends_a_tests_block() {
    let test = json!({"Name": "Repository deleted", "ExpectedResult": true, "Log": {"action": "repo.destroy", "repo": "acme/secrets"}});
    let block = "Tests:\n  - Name: Repository deleted\n    ExpectedResult: true\n    Log:\n      action: repo.destroy\n      repo: acme/secrets";
    let out = edit(NO_TESTS, json!({"kind": "add", "test": test}));
    assert_eq!(out, format!("{NO_TESTS}{block}\n"));
    assert_valid(&out);
    // Without a final newline the last line gets one, and the file still ends without.
    let bare = NO_TESTS.trim_end();
    let out = edit(bare, json!({"kind": "add", "test": test}));
    assert_eq!(out, format!("{bare}\n{block}"));
}

#[test]
fn add_to_an_empty_tests_key_fills_it() {
    let test = json!({"Name": "First", "ExpectedResult": true, "Log": {"k": "v"}});
    let item = "  - Name: First\n    ExpectedResult: true\n    Log:\n      k: v\n";
    for (tests, key) in [
        ("Tests: []  # none yet\n", "Tests:  # none yet\n"),
        ("Tests: [ ]\n", "Tests:\n"),
        ("Tests:\n", "Tests:\n"),
        ("Tests: ~\n", "Tests:\n"),
    ] {
        let spec = format!("{NO_TESTS}{tests}Runbook: Look at the repository's audit log.\n");
        let out = edit(&spec, json!({"kind": "add", "test": test}));
        assert_eq!(
            out,
            format!("{NO_TESTS}{key}{item}Runbook: Look at the repository's audit log.\n"),
            "{tests:?}"
        );
        assert_valid(&out);
    }
}

#[test]
fn add_refuses_a_taken_name_and_malformed_tests() {
    let taken = json!({"Name": "Login With MFA", "ExpectedResult": true, "Log": {}});
    let e = refused(RULE, json!({"kind": "add", "test": taken}));
    assert_eq!(
        e,
        EditError::DuplicateName {
            name: "Login With MFA".into(),
            line: 24
        }
    );
    assert_eq!(
            e.to_string(),
            "line 24: a test named \"Login With MFA\" already exists; test names must be unique within a spec"
        );
    for (test, message) in [
        (json!([]), "a test is a JSON object"),
        (
            json!({"Name": 1, "ExpectedResult": true, "Log": {}}),
            "`Name` must be a string",
        ),
        (
            json!({"Name": "x", "Log": {}}),
            "`ExpectedResult` must be true or false",
        ),
        (
            json!({"Name": "x", "ExpectedResult": true, "Log": {}, "Extra": 1}),
            "unknown key `Extra`",
        ),
        (
            json!({"Name": "x", "ExpectedResult": true}),
            "a rule's test has a `Log`",
        ),
        (
            json!({"Name": "x", "ExpectedResult": true, "Log": {}, "Mocks": [{"objectName": "a", "returnValue": 1}]}),
            "`Mocks` is a list",
        ),
    ] {
        let e = refused(RULE, json!({"kind": "add", "test": test}));
        assert!(e.to_string().contains(message), "{e}");
    }
}

#[test]
fn duplicate_copies_the_tests_lines_under_the_new_name_right_after_it() {
    let out = edit(
        RULE,
        json!({"kind": "duplicate", "index": 0, "name": "Login without MFA (copy)"}),
    );
    assert_eq!(
        hunk(RULE, &out),
        r#"+24:   - Name: "Login without MFA (copy)"
+25:     ExpectedResult: true
+26:     Mocks:
+27:       - objectName: is_account_new
+28:         returnValue: "false"
+29:     Log:
+30:       eventName: ConsoleLogin
+31:       additionalEventData:
+32:         MFAUsed: "No"   # PAT reads the string "No"
+33: 
"#
    );
    assert_valid(&out);
    let out = edit(
        POLICY,
        json!({"kind": "duplicate", "index": 1, "name": "Unencrypted bucket 2"}),
    );
    assert_eq!(
        hunk(POLICY, &out),
        r#"+23: - Name: Unencrypted bucket 2
+24:   ExpectedResult: false
+25:   Mocks:
+26:   - objectName: get_tags
+27:     returnValue: "{}"
+28:   Resource:
+29:     Name: open-bucket
+30:     EncryptionRules: []
"#
    );
    let e = refused(
        POLICY,
        json!({"kind": "duplicate", "index": 0, "name": "Unencrypted bucket"}),
    );
    assert_eq!(e.name(), "duplicate_name");
}

#[test]
fn rename_changes_only_the_name_keeping_its_quotes_and_comment() {
    let cases = [
            (0, "Login without MFA (console)", "-14:   - Name: \"Login Without MFA\"\n+14:   - Name: \"Login without MFA (console)\"\n"),
            (1, "it's quiet", "-24:   - Name: 'Login With MFA' # quiet\n+24:   - Name: 'it''s quiet' # quiet\n"),
            (2, "Failed console login", "-29:   - Name: Failed Login\n+29:   - Name: Failed console login\n"),
            (2, "on", "-29:   - Name: Failed Login\n+29:   - Name: \"on\"\n"),
            (1, "tab\there", "-24:   - Name: 'Login With MFA' # quiet\n+24:   - Name: \"tab\\there\" # quiet\n"),
        ];
    for (index, name, expected) in cases {
        let out = edit(
            RULE,
            json!({"kind": "rename", "index": index, "name": name}),
        );
        assert_eq!(hunk(RULE, &out), expected);
        assert_eq!(tests_json(&out)[index]["Name"], name);
        assert_valid(&out);
    }
    // Its own name is not a conflict; another test's is.
    assert_eq!(
        edit(
            RULE,
            json!({"kind": "rename", "index": 2, "name": "Failed Login"})
        ),
        RULE
    );
    let e = refused(
        RULE,
        json!({"kind": "rename", "index": 2, "name": "Login Without MFA"}),
    );
    assert_eq!(
        e,
        EditError::DuplicateName {
            name: "Login Without MFA".into(),
            line: 14
        }
    );
}

#[test]
fn rename_rewrites_a_multi_line_name_as_one_line() {
    let spec = format!("{NO_TESTS}Tests:\n  - Name: a name\n      split over lines\n    ExpectedResult: true\n    Log: {{}}\n");
    let out = edit(
        &spec,
        json!({"kind": "rename", "index": 0, "name": "short"}),
    );
    assert_eq!(
        hunk(&spec, &out),
        "-9:   - Name: a name\n-10:       split over lines\n+9:   - Name: short\n"
    );
}

#[test]
fn delete_takes_the_test_its_leading_comment_and_one_separator() {
    let out = edit(RULE, json!({"kind": "delete", "index": 0}));
    assert_eq!(
        hunk(RULE, &out),
        r#"-13:   # No MFA: alert.
-14:   - Name: "Login Without MFA"
-15:     ExpectedResult: true
-16:     Mocks:
-17:       - objectName: is_account_new
-18:         returnValue: "false"
-19:     Log:
-20:       eventName: ConsoleLogin
-21:       additionalEventData:
-22:         MFAUsed: "No"   # PAT reads the string "No"
-23: 
"#
    );
    let out = edit(RULE, json!({"kind": "delete", "index": 1}));
    assert_eq!(
            hunk(RULE, &out),
            "-24:   - Name: 'Login With MFA' # quiet\n-25:     ExpectedResult: False\n-26:     Log:\n-27:       eventName: ConsoleLogin\n-28: \n"
        );
    let out = edit(RULE, json!({"kind": "delete", "index": 2}));
    assert_eq!(
            hunk(RULE, &out),
            "-28: \n-29:   - Name: Failed Login\n-30:     ExpectedResult: false\n-31:     Log: {\"eventName\": \"ConsoleLogin\", \"responseElements\": {\"ConsoleLogin\": \"Failure\"}}\n"
        );
    assert_valid(&out);
    let names: Vec<Json> = tests_json(&out)
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["Name"].clone())
        .collect();
    assert_eq!(
        names,
        vec![json!("Login Without MFA"), json!("Login With MFA")]
    );
    let out = edit(POLICY, json!({"kind": "delete", "index": 0}));
    assert_eq!(
            hunk(POLICY, &out),
            "-9: - Name: Encrypted bucket\n-10:   ExpectedResult: true\n-11:   Resource:\n-12:     Name: secure-bucket\n-13:     EncryptionRules:\n-14:     - SSEAlgorithm: AES256\n"
        );
}

#[test]
fn deleting_the_only_test_leaves_an_empty_list() {
    let out = edit(CRLF, json!({"kind": "delete", "index": 0}));
    let kept = &CRLF[..CRLF.find("Tests:").unwrap()];
    assert_eq!(out, format!("{kept}Tests: []"));
    assert_valid(&out);
    assert_eq!(tests_json(&out), json!([]));
}

#[test]
fn set_expected_changes_only_the_value_in_its_capitalisation() {
    let out = edit(
        RULE,
        json!({"kind": "set_expected", "index": 1, "expected": true}),
    );
    assert_eq!(
        hunk(RULE, &out),
        "-25:     ExpectedResult: False\n+25:     ExpectedResult: True\n"
    );
    let out = edit(
        RULE,
        json!({"kind": "set_expected", "index": 0, "expected": false}),
    );
    assert_eq!(
        hunk(RULE, &out),
        "-15:     ExpectedResult: true\n+15:     ExpectedResult: false\n"
    );
    assert_valid(&out);
    // A test without the key gets it after its name.
    let spec = format!("{NO_TESTS}Tests:\n  - Name: no expectation\n    Log: {{}}\n");
    let out = edit(
        &spec,
        json!({"kind": "set_expected", "index": 0, "expected": true}),
    );
    assert_eq!(hunk(&spec, &out), "+10:     ExpectedResult: true\n");
    assert_valid(&out);
}

#[test]
fn set_event_replaces_the_log_and_nothing_else() {
    let event = json!({"eventName": "ConsoleLogin", "responseElements": {"ConsoleLogin": "Failure"}, "errorMessage": "Failed authentication"});
    let out = edit(
        RULE,
        json!({"kind": "set_event", "index": 2, "event": event}),
    );
    assert_eq!(
        hunk(RULE, &out),
        r#"-31:     Log: {"eventName": "ConsoleLogin", "responseElements": {"ConsoleLogin": "Failure"}}
+31:     Log:
+32:       eventName: ConsoleLogin
+33:       responseElements:
+34:         ConsoleLogin: Failure
+35:       errorMessage: Failed authentication
"#
    );
    assert_valid(&out);
    // In the middle of a test, with the comment inside the old event gone with it.
    let out = edit(
        RULE,
        json!({"kind": "set_event", "index": 0, "event": {"eventName": "ConsoleLogin"}}),
    );
    assert_eq!(
            hunk(RULE, &out),
            "-21:       additionalEventData:\n-22:         MFAUsed: \"No\"   # PAT reads the string \"No\"\n"
        );
    // A policy's event is its Resource.
    let out = edit(
        POLICY,
        json!({"kind": "set_event", "index": 0, "event": {"Name": "b", "EncryptionRules": []}}),
    );
    assert_eq!(
            hunk(POLICY, &out),
            "-12:     Name: secure-bucket\n-13:     EncryptionRules:\n-14:     - SSEAlgorithm: AES256\n+12:     Name: b\n+13:     EncryptionRules: []\n"
        );
    assert_eq!(
        tests_json(&out)[0]["Resource"],
        json!({"Name": "b", "EncryptionRules": []})
    );
    // A comment after the key survives when the event stays a block.
    let spec = format!("{NO_TESTS}Tests:\n  - Name: a\n    ExpectedResult: true\n    Log:  # from production\n      k: 1\n");
    let out = edit(
        &spec,
        json!({"kind": "set_event", "index": 0, "event": {"k": 2}}),
    );
    assert_eq!(hunk(&spec, &out), "-12:       k: 1\n+12:       k: 2\n");
    // A test without an event gets one at its end.
    let spec = format!("{NO_TESTS}Tests:\n  - Name: a\n    ExpectedResult: true\n");
    let out = edit(
        &spec,
        json!({"kind": "set_event", "index": 0, "event": "raw text"}),
    );
    assert_eq!(hunk(&spec, &out), "+11:     Log: raw text\n");
}

#[test]
fn set_mocks_adds_replaces_and_removes_the_key() {
    let mocks = json!([{"object_name": "is_account_new", "return_value": "true"}]);
    let out = edit(
        RULE,
        json!({"kind": "set_mocks", "index": 1, "mocks": mocks}),
    );
    assert_eq!(
            hunk(RULE, &out),
            "+28:     Mocks:\n+29:       - objectName: is_account_new\n+30:         returnValue: \"true\"\n"
        );
    assert_eq!(
        tests_json(&out)[1]["Mocks"],
        json!([{"objectName": "is_account_new", "returnValue": "true"}])
    );
    assert_valid(&out);
    let out = edit(
        RULE,
        json!({"kind": "set_mocks", "index": 0, "mocks": [{"object_name": "geoip", "return_value": "{\"country\": \"FR\"}"}]}),
    );
    assert_eq!(
            hunk(RULE, &out),
            "-17:       - objectName: is_account_new\n-18:         returnValue: \"false\"\n+17:       - objectName: geoip\n+18:         returnValue: \"{\\\"country\\\": \\\"FR\\\"}\"\n"
        );
    let out = edit(RULE, json!({"kind": "set_mocks", "index": 0, "mocks": []}));
    assert_eq!(
            hunk(RULE, &out),
            "-16:     Mocks:\n-17:       - objectName: is_account_new\n-18:         returnValue: \"false\"\n"
        );
    assert_valid(&out);
    let out = edit(
        POLICY,
        json!({"kind": "set_mocks", "index": 1, "mocks": []}),
    );
    assert_eq!(
        hunk(POLICY, &out),
        "-17:   Mocks:\n-18:   - objectName: get_tags\n-19:     returnValue: \"{}\"\n"
    );
    // Nothing to remove: nothing changes.
    assert_eq!(
        edit(
            POLICY,
            json!({"kind": "set_mocks", "index": 0, "mocks": []})
        ),
        POLICY
    );
}

#[test]
fn removing_the_key_on_the_dash_line_moves_the_next_key_up() {
    let spec = format!("{NO_TESTS}Tests:\n  - Mocks:\n      - objectName: a\n        returnValue: b\n    Name: mocked\n    ExpectedResult: true\n    Log: {{}}\n");
    let out = edit(&spec, json!({"kind": "set_mocks", "index": 0, "mocks": []}));
    assert_eq!(
            hunk(&spec, &out),
            "-9:   - Mocks:\n-10:       - objectName: a\n-11:         returnValue: b\n-12:     Name: mocked\n+9:   - Name: mocked\n"
        );
    assert_valid(&out);
}

#[test]
fn layouts_that_cannot_be_edited_by_line_are_refused() {
    let flow = format!("{NO_TESTS}Tests: [{{Name: a, ExpectedResult: true, Log: {{}}}}]\n");
    let e = refused(&flow, json!({"kind": "delete", "index": 0}));
    assert_eq!(e, EditError::FlowStyle { line: 8 });
    assert_eq!(
        e.to_string(),
        "line 8: `Tests` is written in flow style (`[...]`); edit it as text"
    );
    // Listing still works.
    assert_eq!(tests_of(&flow).unwrap()[0].name.as_deref(), Some("a"));

    let flow_item = format!("{NO_TESTS}Tests:\n  - {{Name: a, ExpectedResult: true, Log: {{}}}}\n  - Name: b\n    ExpectedResult: true\n    Log: {{}}\n");
    let e = refused(
        &flow_item,
        json!({"kind": "rename", "index": 0, "name": "c"}),
    );
    assert_eq!(
        e.to_string(),
        "line 9: test 0 is written in flow style (`{...}`); edit it as text"
    );
    // Whole-test edits still work on it.
    let out = edit(&flow_item, json!({"kind": "delete", "index": 0}));
    assert_eq!(
        hunk(&flow_item, &out),
        "-9:   - {Name: a, ExpectedResult: true, Log: {}}\n"
    );

    let twice = format!("{NO_TESTS}Tests:\n  - Name: a\n    ExpectedResult: true\n    Log: {{}}\n    Log: {{k: 1}}\n");
    let e = refused(
        &twice,
        json!({"kind": "set_expected", "index": 0, "expected": false}),
    );
    assert_eq!(
        e,
        EditError::DuplicateKey {
            key: "Log".into(),
            line: 12
        }
    );

    let e = refused(RULE, json!({"kind": "delete", "index": 3}));
    assert_eq!(e.to_string(), "no test at index 3: the spec has 3 tests");
    assert_eq!(e.name(), "no_such_test");

    let scalar = format!("{NO_TESTS}Tests: none\n");
    assert_eq!(
        refused(&scalar, json!({"kind": "delete", "index": 0})),
        EditError::NotAList { line: 8 }
    );

    let broken = format!("{NO_TESTS}Tests:\n  - Name: [unclosed\n");
    let e = refused(&broken, json!({"kind": "delete", "index": 0}));
    assert!(matches!(e, EditError::Parse { line: 10, .. }), "{e:?}");
    assert_eq!(
        refused("# nothing\n", json!({"kind": "delete", "index": 0})),
        EditError::NotAMapping
    );
}

#[test]
fn an_edit_that_would_break_an_alias_is_refused() {
    let spec = format!("{NO_TESTS}Tests:\n  - Name: base\n    ExpectedResult: true\n    Log: &event\n      k: v\n  - Name: reuses\n    ExpectedResult: true\n    Log: *event\n");
    let e = refused(&spec, json!({"kind": "delete", "index": 0}));
    assert_eq!(e.name(), "not_round_tripping");
    assert!(e.to_string().contains("it would not parse: line 11"), "{e}");
    // Copying the anchor along keeps the alias meaning the same.
    let out = edit(
        &spec,
        json!({"kind": "duplicate", "index": 0, "name": "copy"}),
    );
    assert_eq!(tests_json(&out)[1]["Log"], json!({"k": "v"}));
}

#[test]
fn tests_of_lists_each_test_with_its_line() {
    let tests = tests_of(RULE).unwrap();
    let summary: Vec<(usize, Option<&str>, Option<bool>, u32)> = tests
        .iter()
        .map(|t| (t.index, t.name.as_deref(), t.expected, t.line))
        .collect();
    assert_eq!(
        summary,
        vec![
            (0, Some("Login Without MFA"), Some(true), 14),
            (1, Some("Login With MFA"), Some(false), 24),
            (2, Some("Failed Login"), Some(false), 29)
        ]
    );
    assert!(tests_of(NO_TESTS).unwrap().is_empty());
    let bare_dash =
        format!("{NO_TESTS}Tests:\n  -\n    Name: a\n    ExpectedResult: true\n    Log: {{}}\n");
    assert_eq!(tests_of(&bare_dash).unwrap()[0].line, 9);
}

#[test]
fn tests_of_gives_each_tests_event_and_mocks_and_only_boolean_expected_results() {
    let source = format!(
        "{NO_TESTS}Tests:
  - Name: yes is a string in PAT's dialect
    ExpectedResult: yes
    Log:
      eventName: ConsoleLogin
      n: 1
  - Name: a policy's resource wins over a log
    ExpectedResult: false
    Log: {{x: 1}}
    Resource:
      Tags: [a, b]
    Mocks:
      - objectName: get_config
        returnValue: '{{\"a\": 1}}'
      - objectName: is_enabled
        returnValue: true
      - objectName: settings
        returnValue: {{k: v, n: [1, 2.5]}}
      - objectName: ratio
        returnValue: 1.0e+3
      - objectName: missing_value
  - Name: no event
    ExpectedResult: true
"
    );
    let tests = tests_of(&source).unwrap();
    assert_eq!(tests.len(), 3);
    assert_eq!(tests[0].expected, None);
    assert_eq!(tests[0].event_key.as_deref(), Some("Log"));
    assert_eq!(
        tests[0].event,
        Some(json!({"eventName": "ConsoleLogin", "n": 1}))
    );
    assert!(tests[0].mocks.is_empty());

    assert_eq!(tests[1].expected, Some(false));
    assert_eq!(tests[1].event_key.as_deref(), Some("Resource"));
    assert_eq!(tests[1].event, Some(json!({"Tags": ["a", "b"]})));
    let mock = |name: &str, value: &str| Mock {
        object_name: name.into(),
        return_value: value.into(),
    };
    assert_eq!(
        tests[1].mocks,
        vec![
            mock("get_config", "{\"a\": 1}"),
            mock("is_enabled", "True"),
            mock("settings", "{\"k\":\"v\",\"n\":[1,2.5]}"),
            mock("ratio", "1000.0"),
            mock("missing_value", ""),
        ]
    );

    assert_eq!(tests[2].expected, Some(true));
    assert_eq!(tests[2].event_key, None);
    assert_eq!(tests[2].event, None);
}

#[test]
fn a_byte_order_mark_is_kept() {
    let spec = format!("\u{feff}{NO_TESTS}");
    let out = edit(
        &spec,
        json!({"kind": "add", "test": {"Name": "a", "ExpectedResult": true, "Log": {}}}),
    );
    assert_eq!(
        out,
        format!("{spec}Tests:\n  - Name: a\n    ExpectedResult: true\n    Log: {{}}\n")
    );
}

#[test]
fn edits_read_the_json_the_app_sends() {
    let edit: TestEdit = serde_json::from_str(
            r#"{"kind": "set_mocks", "index": 2, "mocks": [{"object_name": "a", "return_value": "b"}]}"#,
        )
        .unwrap();
    assert_eq!(
        edit,
        TestEdit::SetMocks {
            index: 2,
            mocks: vec![Mock {
                object_name: "a".into(),
                return_value: "b".into()
            }]
        }
    );
    let edit: TestEdit =
        serde_json::from_str(r#"{"kind": "set_expected", "index": 0, "expected": true}"#).unwrap();
    assert_eq!(
        edit,
        TestEdit::SetExpected {
            index: 0,
            expected: true
        }
    );
}

// -----------------------------------------------------------------------------------------
// Properties

fn tricky_string() -> impl Strategy<Value = String> {
    const SPECIAL: &[&str] = &[
        "",
        "yes",
        "No",
        "on",
        "OFF",
        "y",
        "n",
        "null",
        "Null",
        "~",
        "true",
        "False",
        "1",
        "-1",
        "+1",
        "0x1F",
        "0b11",
        "0o7",
        "0644",
        "08",
        "1_000",
        "1.5",
        ".5",
        "1e5",
        "1.0e+5",
        ".inf",
        "-.Inf",
        ".nan",
        "2024-01-01",
        "2024-01-01T00:00:00Z",
        "1:30:00",
        "12:30",
        "<<",
        "- a",
        "-",
        "a: b",
        "a:b",
        "a:",
        "#x",
        "a #b",
        "a#b",
        " lead",
        "trail ",
        "multi\nline",
        "multi\nline\n",
        "\n",
        "two\n\n",
        " indented\nx",
        "x\n indented",
        "x\n \ny",
        "tab\there",
        "cr\r\nlf",
        "'quoted'",
        "\"dq\"",
        "[a]",
        "{a}",
        "&anchor",
        "*alias",
        "!tag",
        "|",
        ">",
        "%",
        "@",
        "`",
        "?",
        "? x",
        ":",
        "---",
        "...",
        "é",
        "日本",
        "\u{85}",
        "\u{2028}",
        "\u{feff}",
        "\u{7f}",
        "\u{0}",
        "a\\b",
        "1,2",
        "a, b",
        "https://x.y/z?q=1#f",
        "C:\\path",
        "=",
        "ok",
    ];
    prop_oneof![
        3 => "[a-zA-Z0-9 _./:@#'\"\\-]{0,12}",
        2 => "\\PC{0,10}",
        1 => any::<String>(),
        3 => prop::sample::select(SPECIAL).prop_map(str::to_owned),
    ]
}

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Json::Number)),
        tricky_string().prop_map(Json::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec((tricky_string(), inner), 0..6)
                .prop_map(|entries| Json::Object(entries.into_iter().collect())),
        ]
    })
}

/// An event: mostly objects, as real logs are, but any JSON value.
fn event() -> impl Strategy<Value = Json> {
    prop_oneof![
        4 => prop::collection::vec((tricky_string(), json_value()), 0..8)
            .prop_map(|entries| Json::Object(entries.into_iter().collect())),
        1 => json_value(),
    ]
}

const FIXTURES: [&str; 5] = [RULE, POLICY, WIDE, CRLF, NO_TESTS];

/// The lines `new` adds to `old` when it only inserts lines (allowing the old last line to
/// gain the newline a file without one needs before more lines).
fn inserted(old: &str, new: &str) -> Option<Vec<String>> {
    let (_, removed, added) = changed_run(old, new);
    match removed.as_slice() {
        [] => Some(added.iter().map(|l| l.to_string()).collect()),
        [last]
            if !last.ends_with('\n')
                && added
                    .first()
                    .is_some_and(|a| a.trim_end_matches(['\r', '\n']) == *last) =>
        {
            Some(added[1..].iter().map(|l| l.to_string()).collect())
        }
        _ => None,
    }
}

proptest! {
    #[test]
    fn adding_a_test_reads_back_the_same_event_and_only_inserts_lines(
        fixture in 0..FIXTURES.len(),
        event in event(),
    ) {
        let source = FIXTURES[fixture];
        let key = if source == POLICY { "Resource" } else { "Log" };
        let test = json!({"Name": "Generated", "ExpectedResult": true, key: event.clone()});
        let out = apply_test_edit(source, &TestEdit::Add { test })
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let tests = tests_json(&out);
        let tests = tests.as_array().expect("a list");
        prop_assert_eq!(&tests[tests.len() - 1][key], &event, "{}", out);
        let lines = inserted(source, &out);
        prop_assert!(lines.is_some(), "lines other than the new test's changed:\n{}", hunk(source, &out));
        if source != NO_TESTS {
            // Deleting it again gives the file back byte for byte.
            let index = tests.len() - 1;
            let back = apply_test_edit(&out, &TestEdit::Delete { index })
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(back, source);
        }
    }

    #[test]
    fn setting_an_event_reads_back_and_changes_only_that_entry(
        fixture in 0..4usize,
        index in 0..2usize,
        event in event(),
    ) {
        let source = FIXTURES[fixture];
        let spec = Spec::parse(source).expect("fixture parses");
        let index = index.min(spec.tests().len() - 1);
        let key = spec.event_key(index);
        let item = spec.block_item(index).expect("a block test");
        let entry = item.node.entry(key).expect("the test has an event");
        let first = at(entry.key.span).0;
        let last = entry_last_line(&spec, &item, first);
        let out = apply_test_edit(source, &TestEdit::SetEvent { index, event: event.clone() })
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
        prop_assert_eq!(&tests_json(&out)[index][key], &event);
        let old: Vec<&str> = source.split_inclusive('\n').collect();
        let new: Vec<&str> = out.split_inclusive('\n').collect();
        prop_assert_eq!(&old[..first], &new[..first]);
        let after = old.len() - last - 1;
        prop_assert_eq!(&old[old.len() - after..], &new[new.len() - after..]);
    }
}
