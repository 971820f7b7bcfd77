//! Replay's reader (`rules_workspace::replay::source`): every format gives the same events,
//! raw logs get Panther's standard fields, lake exports keep theirs, and bad input is counted
//! with its place while the read goes on, in flat memory.

mod common;

use common::{prowl, tests_dir};
use flate2::write::GzEncoder;
use flate2::Compression;
use rules_workspace::replay::{
    list_sources, EventReader, EventTime, ProblemKind, ProblemTally, ReadOptions,
};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn fixture(rel: &str) -> PathBuf {
    tests_dir().join("fixtures/replay").join(rel)
}

fn options(log_type: Option<&str>) -> ReadOptions {
    ReadOptions {
        log_type: log_type.map(str::to_owned),
        parse_time: EventTime::parse("2024-06-01 00:00:00"),
        ..ReadOptions::default()
    }
}

/// Every event's value and every problem of a read.
fn read(paths: &[PathBuf], options: ReadOptions) -> (Vec<Value>, ProblemTally) {
    let sources = list_sources(paths).expect("sources listed");
    let mut reader = EventReader::new(sources, options);
    let events = reader.by_ref().map(|e| Value::Object(e.value)).collect();
    (events, reader.problems().clone())
}

/// The events without the fields that name where they were read (row IDs hash the place).
fn without_place(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.as_object_mut().unwrap().remove("p_row_id");
            e
        })
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Where each problem of a kind is: `file-name:line`.
fn places(problems: &ProblemTally, kind: ProblemKind) -> Vec<String> {
    problems
        .first(kind)
        .iter()
        .map(|p| {
            let name = Path::new(&*p.file).file_name().unwrap().to_string_lossy();
            format!("{name}:{}", p.line.map_or("-".into(), |l| l.to_string()))
        })
        .collect()
}

const FORMATS: [&str; 3] = [
    "cloudtrail.jsonl",
    "cloudtrail.array.json",
    "cloudtrail.records.json",
];

#[test]
fn every_format_and_its_gzip_give_the_same_events() {
    let dir = tempfile::tempdir().unwrap();
    let (want, problems) = read(
        &[fixture("formats/cloudtrail.jsonl")],
        options(Some("AWS.CloudTrail")),
    );
    assert_eq!(problems.total(), 0);
    assert_eq!(want.len(), 3);
    for name in FORMATS {
        let original = fixture("formats").join(name);
        // Content, not the name, tells the format: the gzip copies are named `.log`.
        let gz = dir.path().join(format!("{name}.log"));
        std::fs::write(&gz, gzip(&std::fs::read(&original).unwrap())).unwrap();
        for path in [original, gz] {
            let (got, problems) =
                read(std::slice::from_ref(&path), options(Some("AWS.CloudTrail")));
            assert_eq!(
                problems.total(),
                0,
                "{}: {:?}",
                path.display(),
                problems.counts()
            );
            assert_eq!(
                without_place(&got),
                without_place(&want),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn a_folder_is_read_recursively_in_order_without_hidden_files_devices_or_links_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("logs");
    std::fs::create_dir_all(root.join("b/deeper")).unwrap();
    std::fs::create_dir_all(root.join(".hidden")).unwrap();
    let records = std::fs::read(fixture("formats/cloudtrail.records.json")).unwrap();
    std::fs::write(root.join("b/deeper/2.json.gz"), gzip(&records)).unwrap();
    std::fs::copy(fixture("formats/cloudtrail.jsonl"), root.join("a.jsonl")).unwrap();
    std::fs::copy(
        fixture("formats/cloudtrail.array.json"),
        root.join("c.json"),
    )
    .unwrap();
    std::fs::copy(
        fixture("formats/cloudtrail.jsonl"),
        root.join(".hidden/x.jsonl"),
    )
    .unwrap();
    std::fs::copy(fixture("formats/cloudtrail.jsonl"), root.join(".dot.jsonl")).unwrap();
    let outside = dir.path().join("outside.jsonl");
    std::fs::copy(fixture("formats/cloudtrail.jsonl"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("link-out.jsonl")).unwrap();
    std::os::unix::fs::symlink(root.join("a.jsonl"), root.join("link-in.jsonl")).unwrap();
    std::os::unix::fs::symlink(&root, root.join("b/loop")).unwrap();
    let fifo = std::ffi::CString::new(root.join("pipe").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);

    let sources = list_sources(std::slice::from_ref(&root)).unwrap();
    let names: Vec<String> = sources
        .files
        .iter()
        .map(|f| {
            Path::new(&*f.name)
                .strip_prefix(&root)
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(
        names,
        ["a.jsonl", "b/deeper/2.json.gz", "c.json"],
        "a link into the folder is the file it names, read once"
    );
    assert_eq!(
        sources.total_bytes(),
        Some(sources.files.iter().map(|f| f.size.unwrap()).sum())
    );

    let (got, problems) = read(std::slice::from_ref(&root), options(Some("AWS.CloudTrail")));
    assert_eq!(got.len(), 9);
    let (one, _) = read(
        &[fixture("formats/cloudtrail.jsonl")],
        options(Some("AWS.CloudTrail")),
    );
    for chunk in got.chunks(3) {
        assert_eq!(without_place(chunk), without_place(&one));
    }
    assert_eq!(problems.count(ProblemKind::NotAFile), 1);
    assert_eq!(problems.count(ProblemKind::LinkOutside), 1);
    assert_eq!(problems.total(), 2, "{:?}", problems.counts());
    assert_eq!(places(&problems, ProblemKind::NotAFile), ["pipe:-"]);

    // Named directly, a FIFO is refused before anything is read.
    let err = list_sources(&[root.join("pipe")]).unwrap_err();
    let info: rules_workspace::error::ErrorInfo = err.into();
    assert_eq!(info.code, "replay.source_not_a_file");
    assert!(info.hint.unwrap().contains("prowl replay -"));
    let info: rules_workspace::error::ErrorInfo = list_sources(&[dir.path().join("missing")])
        .unwrap_err()
        .into();
    assert_eq!(info.code, "replay.source_not_found");
}

/// `prowl replay - --print-events` with `input` on standard input: the events printed.
fn prowl_stdin(args: &[&str], input: Vec<u8>) -> (Vec<Value>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args(["replay", "-", "--read-only", "--print-events"])
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let events = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (events, stderr)
}

#[test]
fn standard_input_gives_the_same_events_plain_or_gzip() {
    let (want, _) = read(
        &[fixture("formats/cloudtrail.jsonl")],
        options(Some("AWS.CloudTrail")),
    );
    let strip = |events: &[Value]| -> Vec<Value> {
        without_place(events)
            .into_iter()
            .map(|mut e| {
                e.as_object_mut().unwrap().remove("p_parse_time");
                e
            })
            .collect()
    };
    let records = std::fs::read(fixture("formats/cloudtrail.records.json")).unwrap();
    for input in [records.clone(), gzip(&records)] {
        let (got, stderr) = prowl_stdin(&["--log-type", "AWS.CloudTrail"], input);
        assert_eq!(strip(&got), strip(&want));
        assert!(stderr.contains("AWS.CloudTrail  3"), "{stderr}");
        assert!(got
            .iter()
            .all(|e| e["p_row_id"].as_str().unwrap().len() == 32));
    }
}

#[test]
fn lake_exports_keep_their_p_fields_exactly() {
    let path = fixture("lake/export.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let originals: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Even with another --log-type and a label: the export's own fields win.
    let mut opts = options(Some("Okta.SystemLog"));
    opts.source_label = Some("replayed".into());
    let sources = list_sources(&[path]).unwrap();
    let mut reader = EventReader::new(sources, opts);
    let events: Vec<_> = reader.by_ref().collect();
    assert_eq!(reader.problems().total(), 0);
    let values: Vec<Value> = events
        .iter()
        .map(|e| Value::Object(e.value.clone()))
        .collect();
    assert_eq!(values, originals);
    assert_eq!(&*events[1].log_type, "Custom.Thing");
    assert_eq!(
        events[1].event_time.to_panther(),
        "2024-01-03 00:00:00.500000000"
    );
    assert_eq!(events[1].origin.line, 2);
    assert_eq!(reader.stats().events_by_log_type["AWS.CloudTrail"], 1);
}

#[test]
fn raw_cloudtrail_gets_its_time_and_exact_indicator_fields() {
    let mut opts = options(Some("AWS.CloudTrail"));
    opts.source_label = Some("ct-replay".into());
    let (events, _) = read(&[fixture("formats/cloudtrail.records.json")], opts);
    let p_fields = |e: &Value| -> Value {
        Value::Object(
            e.as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| k.starts_with("p_") && *k != "p_row_id")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    };
    let common = json!({"p_log_type": "AWS.CloudTrail", "p_parse_time": "2024-06-01 00:00:00.000000000", "p_source_label": "ct-replay"});
    let with = |v: Value| {
        let mut m = common.as_object().unwrap().clone();
        m.extend(v.as_object().unwrap().clone());
        Value::Object(m)
    };
    assert_eq!(
        p_fields(&events[0]),
        with(json!({
            "p_event_time": "2024-01-02 03:04:05.000000000",
            "p_any_ip_addresses": ["198.51.100.7"],
            "p_any_usernames": ["alice"],
            "p_any_aws_arns": ["arn:aws:iam::123456789012:user/alice"],
            "p_any_aws_account_ids": ["123456789012"],
        }))
    );
    // A service name is not an IP; a session name shaped like an instance ID is not one.
    assert_eq!(
        p_fields(&events[1]),
        with(json!({
            "p_event_time": "2024-01-02 03:05:00.250000000",
            "p_any_aws_arns": ["arn:aws:iam::210987654321:role/app"],
            "p_any_aws_account_ids": ["210987654321"],
        }))
    );
    assert_eq!(
        p_fields(&events[2]),
        with(json!({
            "p_event_time": "2024-01-02 02:06:00.500000000",
            "p_any_ip_addresses": ["10.0.1.5", "2001:db8::5"],
            "p_any_domain_names": ["ip-10-0-1-5.eu-west-1.compute.internal"],
            "p_any_usernames": ["Admin"],
            "p_any_aws_arns": ["arn:aws:iam::123456789012:role/Admin", "arn:aws:sts::123456789012:assumed-role/Admin/bob"],
            "p_any_aws_account_ids": ["123456789012"],
            "p_any_aws_instance_ids": ["i-0123456789abcdef0"],
            "p_any_aws_tags": ["team:red"],
        }))
    );
    // Row IDs repeat run after run, and differ between events.
    let (again, _) = read(
        &[fixture("formats/cloudtrail.records.json")],
        options(Some("AWS.CloudTrail")),
    );
    let ids = |e: &[Value]| -> Vec<Value> { e.iter().map(|e| e["p_row_id"].clone()).collect() };
    assert_eq!(ids(&events), ids(&again));
    assert_ne!(events[0]["p_row_id"], events[1]["p_row_id"]);
}

fn p_any(e: &Value, name: &str) -> Value {
    e.get(name).cloned().unwrap_or(Value::Null)
}

#[test]
fn raw_okta_github_and_gcp_get_their_times_and_indicators() {
    let (okta, problems) = read(
        &[fixture("raw/okta.jsonl")],
        options(Some("Okta.SystemLog")),
    );
    assert_eq!(problems.total(), 0);
    assert_eq!(okta[0]["p_event_time"], "2024-02-03 04:05:06.789000000");
    assert_eq!(
        p_any(&okta[0], "p_any_ip_addresses"),
        json!(["10.9.8.7", "203.0.113.9"])
    );
    assert_eq!(
        p_any(&okta[0], "p_any_emails"),
        json!(["alice@example.com", "bob@example.com"])
    );
    assert_eq!(p_any(&okta[0], "p_any_usernames"), json!(["admin-app"]));
    assert_eq!(okta[1]["p_event_time"], "2024-02-03 04:06:00.000000000");
    assert_eq!(p_any(&okta[1], "p_any_emails"), json!(["system@okta.com"]));
    assert_eq!(
        p_any(&okta[1], "p_any_ip_addresses"),
        Value::Null,
        "no field for nothing found"
    );

    let (gh, _) = read(
        &[fixture("raw/github.jsonl")],
        options(Some("GitHub.Audit")),
    );
    assert_eq!(gh[0]["p_event_time"], "2024-02-02 03:05:06.789000000");
    assert_eq!(
        p_any(&gh[0], "p_any_usernames"),
        json!(["hubot", "octocat"])
    );
    assert_eq!(p_any(&gh[0], "p_any_ip_addresses"), json!(["192.0.2.44"]));
    assert_eq!(gh[1]["p_event_time"], "2024-02-02 03:05:06.000000000");
    assert_eq!(p_any(&gh[1], "p_any_usernames"), json!(["octocat"]));

    let (gcp, _) = read(&[fixture("raw/gcp.jsonl")], options(Some("GCP.AuditLog")));
    assert_eq!(gcp[0]["p_event_time"], "2024-03-04 05:06:07.123456789");
    assert_eq!(
        p_any(&gcp[0], "p_any_ip_addresses"),
        json!(["198.51.100.23"])
    );
    assert_eq!(p_any(&gcp[0], "p_any_emails"), json!(["dev@example.com"]));
    assert_eq!(gcp[1]["p_event_time"], "2024-03-04 05:07:00.000000000");
    assert_eq!(p_any(&gcp[1], "p_any_ip_addresses"), Value::Null);

    // --time-field names the time of a log type the table does not know.
    let mut opts = options(Some("Custom.Audit"));
    opts.time_field = Some("protoPayload.requestMetadata.callerIp".into());
    let (_, problems) = read(&[fixture("raw/gcp.jsonl")], opts);
    assert_eq!(problems.count(ProblemKind::NoTime), 2);
    let mut opts = options(Some("Custom.Audit"));
    opts.time_field = Some("receiveTimestamp".into());
    let (custom, problems) = read(&[fixture("raw/gcp.jsonl")], opts);
    assert_eq!(problems.total(), 0);
    assert_eq!(custom[0]["p_event_time"], "2024-03-04 05:06:08.000000000");
    assert_eq!(
        p_any(&custom[0], "p_any_emails"),
        Value::Null,
        "nothing derived for an unknown type"
    );
}

#[test]
fn malformed_lines_are_counted_at_their_lines_and_the_rest_is_read() {
    let (events, problems) = read(
        &[fixture("bad/malformed.jsonl")],
        options(Some("Okta.SystemLog")),
    );
    assert_eq!(events.len(), 2);
    assert_eq!(
        places(&problems, ProblemKind::NotJson),
        [
            "malformed.jsonl:2",
            "malformed.jsonl:7",
            "malformed.jsonl:10"
        ]
    );
    assert_eq!(
        places(&problems, ProblemKind::NotAnObject),
        ["malformed.jsonl:4"]
    );
    assert_eq!(
        places(&problems, ProblemKind::NoTime),
        ["malformed.jsonl:5", "malformed.jsonl:6"]
    );
    assert_eq!(
        places(&problems, ProblemKind::UnknownLogType),
        ["malformed.jsonl:8"]
    );
    assert_eq!(problems.total(), 7);
    assert_eq!(
        problems.first(ProblemKind::NoTime)[0].detail,
        "published: \"not a time\" is not a time"
    );

    // Without --log-type, only the line naming its own log type gets that far.
    let (events, problems) = read(&[fixture("bad/malformed.jsonl")], options(None));
    assert!(events.is_empty());
    assert_eq!(problems.count(ProblemKind::NoLogType), 4);
    assert_eq!(problems.count(ProblemKind::UnknownLogType), 1);

    let (events, problems) = read(
        &[fixture("bad/array-problems.json")],
        options(Some("Okta.SystemLog")),
    );
    assert_eq!(
        events.len(),
        4,
        "two elements without a comma are both read"
    );
    assert_eq!(events[3]["nested"], json!({"a": ["]", "}"]}));
    assert_eq!(
        places(&problems, ProblemKind::NotAnObject),
        ["array-problems.json:3"]
    );
    assert_eq!(problems.first(ProblemKind::NotAnObject)[0].record, Some(1));
    assert_eq!(
        places(&problems, ProblemKind::NotJson),
        ["array-problems.json:4", "array-problems.json:5"]
    );
}

#[test]
fn the_cli_reports_counts_and_first_places_as_text_and_json() {
    let path = fixture("bad/malformed.jsonl");
    let path = path.to_str().unwrap();
    let (code, out, _) = prowl(&[
        "replay",
        path,
        "--read-only",
        "--log-type",
        "Okta.SystemLog",
    ]);
    assert_eq!(code, 1, "problems found: {out}");
    assert!(out.contains("Events: 2"), "{out}");
    assert!(out.contains("  Okta.SystemLog  2"), "{out}");
    assert!(out.contains("not_json (not JSON): 3"), "{out}");
    assert!(out.contains(&format!("{path}:7  expected ident")), "{out}");
    let (code, out, _) = prowl(&[
        "replay",
        path,
        "--read-only",
        "--log-type",
        "Okta.SystemLog",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["events"], 2);
    assert_eq!(report["problem_count"], 7);
    assert_eq!(report["problems"][0]["kind"], "not_json");
    assert_eq!(report["problems"][0]["first"][1]["line"], 7);
    assert!(report["mb_per_second"].as_f64().unwrap() > 0.0);

    // Without detections to run (an empty workspace), the hint offers --read-only.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = prowl(&["replay", path, "-w", empty.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nothing to replay"), "{err}");
    assert!(err.contains("--read-only"), "{err}");
    let (code, out, _) = prowl(&[
        "replay",
        fixture("raw").to_str().unwrap(),
        "--read-only",
        "--log-type",
        "Okta.SystemLog",
    ]);
    assert_eq!(
        code, 1,
        "GitHub and GCP events under Okta's time field: {out}"
    );
}

#[test]
fn binary_junk_and_other_compressions_are_one_problem_each() {
    let dir = tempfile::tempdir().unwrap();
    let junk: Vec<u8> = (0..100_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.path().join("a.bin"), &junk).unwrap();
    std::fs::write(dir.path().join("b.zst"), [0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3]).unwrap();
    std::fs::write(dir.path().join("c.gz"), gzip(&junk)).unwrap();
    std::fs::copy(fixture("raw/okta.jsonl"), dir.path().join("d.jsonl")).unwrap();
    let (events, problems) = read(&[dir.path().to_path_buf()], options(Some("Okta.SystemLog")));
    assert_eq!(events.len(), 2, "the good file after them is read");
    assert_eq!(
        places(&problems, ProblemKind::Binary),
        ["a.bin:-", "c.gz:-"]
    );
    assert_eq!(
        places(&problems, ProblemKind::UnsupportedCompression),
        ["b.zst:-"]
    );
    assert_eq!(problems.total(), 3);
}

fn okta_lines(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"published\":\"2024-02-03T04:05:{:02}Z\",\"n\":{i}}}\n",
                i % 60
            )
        })
        .collect()
}

#[test]
fn a_truncated_gzip_gives_what_it_holds_then_one_problem() {
    let dir = tempfile::tempdir().unwrap();
    let full = gzip(okta_lines(20_000).as_bytes());
    std::fs::write(dir.path().join("cut.jsonl.gz"), &full[..full.len() / 2]).unwrap();
    let mut damaged = full.clone();
    let middle = damaged.len() / 2;
    damaged[middle..middle + 64]
        .iter_mut()
        .for_each(|b| *b = !*b);
    std::fs::write(dir.path().join("damaged.jsonl.gz"), &damaged).unwrap();
    std::fs::write(dir.path().join("whole.jsonl.gz"), &full).unwrap();
    let (events, problems) = read(
        &[
            dir.path().join("cut.jsonl.gz"),
            dir.path().join("whole.jsonl.gz"),
        ],
        options(Some("Okta.SystemLog")),
    );
    let from_cut = events.len() - 20_000;
    assert!(
        from_cut > 1_000 && from_cut < 20_000,
        "{from_cut} events before the cut"
    );
    assert_eq!(
        problems.count(ProblemKind::TruncatedGzip),
        1,
        "{:?}",
        problems.counts()
    );
    assert_eq!(
        problems.total(),
        1,
        "the line cut in half is not reported as JSON"
    );
    let p = &problems.first(ProblemKind::TruncatedGzip)[0];
    assert_eq!(p.line, Some(from_cut as u64 + 1));

    let (_, problems) = read(
        &[dir.path().join("damaged.jsonl.gz")],
        options(Some("Okta.SystemLog")),
    );
    assert_eq!(
        problems.count(ProblemKind::CorruptGzip) + problems.count(ProblemKind::TruncatedGzip),
        1,
        "{:?}",
        problems.counts()
    );
}

#[test]
fn an_array_that_never_closes_ends_its_file_with_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("open.json");
    std::fs::write(&open, "[\n{\"published\": \"2024-02-03T04:05:06Z\"},\n{\"published\": \"2024-02-03T04:05:07Z\"},\n{\"published\": \"2024-02-03T04:05:0").unwrap();
    let records = dir.path().join("records.json");
    std::fs::write(
        &records,
        "{\"Records\": [{\"published\": \"2024-02-03T04:05:06Z\"}",
    )
    .unwrap();
    let (events, problems) = read(
        &[open, records, fixture("raw/okta.jsonl")],
        options(Some("Okta.SystemLog")),
    );
    assert_eq!(events.len(), 2 + 1 + 2);
    assert_eq!(
        places(&problems, ProblemKind::UnclosedArray),
        ["open.json:4", "records.json:1"]
    );
    assert_eq!(
        problems.first(ProblemKind::UnclosedArray)[0].detail,
        "the file ends inside record 2"
    );
}

#[test]
fn an_event_nested_ten_thousand_deep_is_a_problem_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        "{{\"published\":\"2024-02-03T04:05:06Z\",\"a\":{}1{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let good = "{\"published\":\"2024-02-03T04:05:06Z\"}";
    std::fs::write(
        dir.path().join("a.jsonl"),
        format!("{good}\n{deep}\n{good}\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b.json"),
        format!("[{good},\n{deep},\n{good}]"),
    )
    .unwrap();
    let (events, problems) = read(&[dir.path().to_path_buf()], options(Some("Okta.SystemLog")));
    assert_eq!(events.len(), 4);
    assert_eq!(
        places(&problems, ProblemKind::TooDeep),
        ["a.jsonl:2", "b.json:2"]
    );
    assert_eq!(problems.total(), 2);
}

#[test]
fn a_fifty_megabyte_line_is_skipped_and_the_read_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "{{\"published\":\"2024-02-03T04:05:06Z\"}}").unwrap();
    let head = "{\"published\":\"2024-02-03T04:05:07Z\",\"blob\":\"";
    f.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..50 {
        f.write_all(&chunk).unwrap();
    }
    writeln!(f, "\"}}").unwrap();
    writeln!(f, "{{\"published\":\"2024-02-03T04:05:08Z\"}}").unwrap();
    drop(f);
    let (events, problems) = read(std::slice::from_ref(&path), options(Some("Okta.SystemLog")));
    assert_eq!(events.len(), 2);
    assert_eq!(places(&problems, ProblemKind::TooLong), ["big.jsonl:2"]);
    let p = &problems.first(ProblemKind::TooLong)[0];
    assert!(
        p.detail
            .starts_with(&format!("{} bytes", head.len() + (50 << 20) + 2)),
        "{}",
        p.detail
    );
    // The limit is the caller's.
    let mut opts = options(Some("Okta.SystemLog"));
    opts.max_record_bytes = 64 << 20;
    let (events, problems) = read(&[path], opts);
    assert_eq!((events.len(), problems.total()), (3, 0));
}

/// Free bytes on the file system holding `dir`.
fn free_bytes(dir: &Path) -> u64 {
    let c = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return 0;
    }
    s.f_bavail as u64 * s.f_frsize as u64
}

#[test]
fn a_two_gigabyte_array_is_read_in_flat_memory() {
    const SIZE: u64 = 2 << 30;
    let dir = tempfile::tempdir().unwrap();
    if free_bytes(dir.path()) < SIZE + (1 << 30) {
        eprintln!(
            "SKIPPED a_two_gigabyte_array_is_read_in_flat_memory: {} has {} MB free, the test needs 3 GB",
            dir.path().display(),
            free_bytes(dir.path()) >> 20
        );
        return;
    }
    let path = dir.path().join("big.json");
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
    let filler = "y".repeat(900);
    f.write_all(b"[\n").unwrap();
    let mut written = 2u64;
    let mut events = 0u64;
    while written < SIZE {
        let e = format!(
            "{}{{\"p_log_type\":\"AWS.CloudTrail\",\"p_event_time\":\"2024-01-02 03:04:05.000000000\",\"p_row_id\":\"r{events}\",\"eventName\":\"Get\",\"note\":\"{filler}\"}}\n",
            if events == 0 { "" } else { "," }
        );
        f.write_all(e.as_bytes()).unwrap();
        written += e.len() as u64;
        events += 1;
    }
    f.write_all(b"]\n").unwrap();
    drop(f);
    let (code, out, err) = prowl(&[
        "replay",
        path.to_str().unwrap(),
        "--read-only",
        "--format",
        "json",
    ]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["events"], events);
    assert_eq!(report["problem_count"], 0);
    let peak = report["peak_memory_bytes"].as_u64().expect("VmHWM read");
    eprintln!("2 GB array: {events} events, peak memory {} MB", peak >> 20);
    assert!(
        peak < 200 << 20,
        "peak memory {} MB reading a 2 GB array",
        peak >> 20
    );
}
