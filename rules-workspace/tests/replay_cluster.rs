//! `prowl replay --cluster` on a real Ray cluster started here on loopback: a head and a second
//! node (one CPU each), Ray 2.60 from PyPI (`tests/setup.sh`'s `ensure_ray`, which sets
//! `PROWL_RAY`). Each test compares the cluster's results with the local replay of the same
//! events: alerts, events and report, byte for byte after sorting.
//!
//! - the demo workspace on its sample logs and on a generated corpus, cut into many shares
//!   (byte ranges of the JSON-lines files, gzip files whole);
//! - the fixture workspace of known answers cut into shares of a few lines, so that one
//!   detection's dedup period spans shares and files;
//! - a node killed while its tasks run;
//! - bad input: an address nothing answers at, an untrusted workspace, standard input, nodes
//!   on another Python, a node that cannot see the inputs, a rule that never returns.
//!
//! The cluster's processes run in their own process groups and are killed at exit. Without
//! `PROWL_RAY` the tests say so and pass without running (the test command sets it).

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

const PORT: u16 = 6397;
/// The S3-compatible server (moto's) of the tests, on loopback.
const S3_PORT: u16 = 5397;

/// Credentials and endpoint of the test S3, in the environment of the nodes and the driver
/// (never in the workspace).
fn s3_env(cmd: &mut Command) {
    cmd.env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{S3_PORT}"))
        .env("AWS_ACCESS_KEY_ID", "prowl-test")
        .env("AWS_SECRET_ACCESS_KEY", "prowl-test")
        .env("AWS_DEFAULT_REGION", "us-east-1");
}

/// A node: its `ray start --block` process, leader of the node's process group.
struct Node {
    child: Child,
    temp: PathBuf,
}

impl Node {
    fn start(ray: &Path, port: u16, head: bool, temp: &Path, wrap: Option<&str>) -> Node {
        let _ = std::fs::remove_dir_all(temp);
        let mut args: Vec<String> = vec!["start".into()];
        if head {
            args.extend([
                "--head".into(),
                format!("--port={port}"),
                format!("--ray-client-server-port={}", 23000 + port % 1000),
                "--include-dashboard=false".into(),
                "--disable-usage-stats".into(),
            ]);
        } else {
            args.push(format!("--address=127.0.0.1:{port}"));
        }
        args.extend([
            "--num-cpus=1".into(),
            format!("--temp-dir={}", temp.display()),
            "--block".into(),
        ]);
        let mut cmd = match wrap {
            // A node in its own user and mount namespace, with `wrap` (a folder) hidden under
            // an empty tmpfs: it cannot see the inputs there.
            Some(hidden) => {
                let mut c = Command::new("unshare");
                let line = format!(
                    "mount -t tmpfs tmpfs '{hidden}' && exec '{}' {}",
                    ray.display(),
                    args.join(" ")
                );
                c.args(["--user", "--map-root-user", "--mount", "sh", "-c", &line]);
                c
            }
            None => {
                let mut c = Command::new(ray);
                c.args(&args);
                c
            }
        };
        use std::os::unix::process::CommandExt;
        s3_env(&mut cmd);
        cmd.env("RAY_USAGE_STATS_ENABLED", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        let child = cmd.spawn().expect("start a Ray node");
        Node {
            child,
            temp: temp.to_path_buf(),
        }
    }

    /// Kills every process of the node's group at once (what a machine failing looks like);
    /// its workers end as their raylet goes. The group's leader is never waited for before,
    /// so its ID cannot have been taken by another process.
    fn kill(&mut self) {
        let group = self.child.id() as i32;
        GROUPS.lock().unwrap().retain(|g| *g != group);
        if group > 1 {
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
        let _ = self.child.wait();
        kill_workers_under(&self.temp);
    }

    /// Whether a task of ours is running on the node: a `ray::run_share` worker started by
    /// one of the node's processes (Ray's workers lead process groups of their own).
    fn runs_a_share(&self) -> bool {
        let group = self.child.id() as i32;
        let out = Command::new("ps")
            .args(["-eo", "pid=,ppid=,pgid=,args="])
            .output()
            .unwrap();
        let rows: Vec<(i32, i32, i32, String)> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                let pid = it.next()?.parse().ok()?;
                let ppid = it.next()?.parse().ok()?;
                let pgid = it.next()?.parse().ok()?;
                Some((pid, ppid, pgid, it.collect::<Vec<_>>().join(" ")))
            })
            .collect();
        let members: std::collections::BTreeSet<i32> =
            rows.iter().filter(|r| r.2 == group).map(|r| r.0).collect();
        rows.iter()
            .any(|r| members.contains(&r.1) && r.3.starts_with("ray::run_share"))
    }
}

struct Cluster {
    ray: PathBuf,
    nodes: Vec<Node>,
    /// `PROWL_CONFIG` of the runs: the trust store with the trusted workspaces.
    config: tempfile::TempDir,
}

static GROUPS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// At exit: the process groups of the nodes still running (leaders not yet waited for), then
/// any worker of theirs still there.
extern "C" fn kill_nodes() {
    if let Ok(groups) = GROUPS.lock() {
        for g in groups.iter().filter(|g| **g > 1) {
            unsafe {
                libc::kill(-g, libc::SIGKILL);
            }
        }
    }
    kill_workers_under(&std::env::temp_dir().join("prowl-ray-test-"));
}

/// Ray's workers lead process groups of their own and may outlive their raylet for a moment:
/// those whose command line names a folder of this test's nodes (their runtime environment's
/// Python is there) are killed too.
fn kill_workers_under(temp: &Path) {
    let mark = temp.display().to_string();
    let Ok(out) = Command::new("ps").args(["-eo", "pid=,args="]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let line = line.trim_start();
        let Some((pid, args)) = line.split_once(' ') else {
            continue;
        };
        if let (Ok(pid), true) = (pid.parse::<i32>(), args.contains(&mark)) {
            if pid > 1 && pid != std::process::id() as i32 {
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
    }
}

impl Cluster {
    fn add(&mut self, head: bool, name: &str, hidden: Option<&str>) -> usize {
        let temp = std::env::temp_dir().join(format!("prowl-ray-test-{PORT}-{name}"));
        let node = Node::start(&self.ray, PORT, head, &temp, hidden);
        GROUPS.lock().unwrap().push(node.child.id() as i32);
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Waits until the cluster has `n` live nodes.
    fn wait_for(&self, n: usize) {
        wait_for_nodes(&self.config, &address(), n);
    }

    fn drop_node(&mut self, i: usize) {
        self.nodes[i].kill();
        let _ = std::fs::remove_dir_all(&self.nodes[i].temp);
    }
}

/// Waits until the cluster at `address` has `n` live nodes.
fn wait_for_nodes(config: &tempfile::TempDir, address: &str, n: usize) {
    {
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let out = prowl_cmd(config)
                .args(["cluster", address, "--json"])
                .output()
                .unwrap();
            if out.status.success() {
                let v: Value = serde_json::from_slice(&out.stdout).unwrap();
                if v["nodes"].as_array().map_or(0, Vec::len) == n {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the cluster did not reach {n} nodes: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn address() -> String {
    format!("127.0.0.1:{PORT}")
}

/// The cluster, started once for this test binary; each test holds it alone.
fn cluster() -> Option<MutexGuard<'static, Cluster>> {
    static CLUSTER: OnceLock<Option<Mutex<Cluster>>> = OnceLock::new();
    let c = CLUSTER.get_or_init(|| {
        let Some(ray) = std::env::var_os("PROWL_RAY").map(PathBuf::from) else {
            eprintln!(
                "PROWL_RAY is not set: the cluster replay tests need Ray 2.60 (tests/setup.sh's ensure_ray installs it); not run"
            );
            return None;
        };
        unsafe {
            libc::atexit(kill_nodes);
        }
        let mut c = Cluster {
            ray,
            nodes: Vec::new(),
            config: tempfile::tempdir().unwrap(),
        };
        if let Some(moto) = std::env::var_os("PROWL_MOTO_SERVER") {
            use std::os::unix::process::CommandExt;
            let server = Command::new(moto)
                .args(["-H", "127.0.0.1", "-p", &S3_PORT.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .expect("start moto's S3 server");
            GROUPS.lock().unwrap().push(server.id() as i32);
            std::mem::forget(server);
        }
        c.add(true, "head", None);
        c.wait_for(1);
        c.add(false, "node2", None);
        c.wait_for(2);
        Some(Mutex::new(c))
    });
    c.as_ref()
        .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()))
}

fn prowl_cmd(config: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prowl"));
    s3_env(&mut cmd);
    cmd.env("PROWL_CONFIG", config.path())
        .env("PROWL_PYTHON_ENV", test_env())
        .env("PROWL_READ", env!("CARGO_BIN_EXE_prowl-read"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

fn trust(c: &Cluster, ws: &Path) {
    let out = prowl_cmd(&c.config).arg("trust").arg(ws).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `prowl replay` in `ws` with `args`, `--out OUT`, JSON.
fn replay(c: &Cluster, ws: &Path, args: &[&str], out: &Path) -> Output {
    prowl_cmd(&c.config)
        .arg("replay")
        .args(args)
        .args(["--yes", "--format", "json", "-w"])
        .arg(ws)
        .arg("--out")
        .arg(out)
        .current_dir(ws)
        .output()
        .unwrap()
}

fn report_of(out: &Output) -> Value {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    v["report"].clone()
}

/// The report without what differs between any two runs (times) and what only a cluster has.
fn comparable(report: &Value) -> Value {
    let mut r = report.clone();
    for k in [
        "seconds",
        "events_per_second",
        "mb_per_second",
        "workers",
        "cluster",
    ] {
        r.as_object_mut().unwrap().remove(k);
    }
    r
}

fn sorted_lines(path: &Path) -> Vec<String> {
    let mut lines: Vec<String> = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// `events.jsonl`'s lines, sorted, with the `p_parse_time` a replay gives events without one
/// (the time the replay started, so it differs between any two runs) taken out.
fn event_lines(path: &Path) -> Vec<String> {
    let mut lines: Vec<String> = sorted_lines(path)
        .iter()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            if let Some(e) = v["event"].as_object_mut() {
                e.remove("p_parse_time");
            }
            v.to_string()
        })
        .collect();
    lines.sort();
    lines
}

/// Replays `sources` locally and on the cluster with `extra` arguments, asserts both succeed
/// with equal alerts, events and reports, and returns the cluster's report.
fn same_as_local(c: &Cluster, ws: &Path, sources: &[&str], extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let (local_out, cluster_out) = (dir.path().join("local"), dir.path().join("cluster"));
    let local = replay(c, ws, sources, &local_out);
    assert_eq!(
        local.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&local.stderr)
    );
    let address = address();
    let mut args: Vec<&str> = sources.to_vec();
    args.extend(["--cluster", &address]);
    args.extend(extra);
    let remote = replay(c, ws, &args, &cluster_out);
    assert_eq!(
        remote.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&remote.stderr)
    );
    let (lr, cr) = (report_of(&local), report_of(&remote));
    assert_eq!(
        comparable(&cr),
        comparable(&lr),
        "cluster and local reports differ"
    );
    let (a, b) = (
        sorted_lines(&local_out.join("alerts.jsonl")),
        sorted_lines(&cluster_out.join("alerts.jsonl")),
    );
    assert!(
        b == a,
        "alerts.jsonl differs between the cluster and the local replay"
    );
    let (a, b) = (
        event_lines(&local_out.join("events.jsonl")),
        event_lines(&cluster_out.join("events.jsonl")),
    );
    assert_eq!(b.len(), a.len(), "events.jsonl: line counts differ");
    assert!(
        b == a,
        "events.jsonl differs between the cluster and the local replay"
    );
    let run = &cr["cluster"];
    assert_eq!(run["tasks_done"], run["tasks"], "{run}");
    assert_eq!(run["tasks_failed"], 0, "{run}");
    assert!(run["lost"].is_null(), "{run}");
    cr
}

fn demo(c: &Cluster) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    rules_workspace::testkit::copy_dir(&demo_base(), dir.path());
    trust(c, dir.path());
    dir
}

fn generate(into: &Path, events: u32, files: u32) {
    let ok = Command::new("python3")
        .arg(repo().join("tests/replay/generate_logs.py"))
        .arg(into)
        .args([
            "--events",
            &events.to_string(),
            "--files",
            &files.to_string(),
        ])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn a_cluster_replay_equals_the_local_replay_on_the_demo_and_a_generated_corpus() {
    let Some(c) = cluster() else { return };
    let ws = demo(&c);
    // The sample logs (a gzip file read whole, JSON-lines files cut by bytes).
    let report = same_as_local(&c, ws.path(), &["sample_logs"], &["--share-size", "64K"]);
    assert!(report["alerts_total"].as_u64().unwrap() > 10, "{report}");
    let files = report["read"]["files_total"].as_u64().unwrap();
    let tasks = report["cluster"]["tasks"].as_u64().unwrap();
    assert!(
        tasks > files,
        "64K shares cut the files into byte ranges: {tasks} tasks for {files} files"
    );
    assert!(report["cluster"]["nodes"].as_array().unwrap().len() >= 2);

    // 40,000 generated events in 6 files.
    generate(&ws.path().join("corpus"), 40_000, 6);
    let report = same_as_local(&c, ws.path(), &["corpus"], &["--share-size", "1M"]);
    assert_eq!(report["read"]["events"], 40_000);
    assert!(report["matches"].as_u64().unwrap() > 500, "{report}");
}

/// The byte offset of the start of each line (1-based) of a file.
fn line_starts(path: &Path) -> Vec<u64> {
    let bytes = std::fs::read(path).unwrap();
    let mut starts = vec![0, 0];
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\n' {
            starts.push(i as u64 + 1);
        }
    }
    starts
}

#[test]
fn grouping_across_the_tasks_boundaries_equals_the_local_replay() {
    let Some(c) = cluster() else { return };
    let ws = tempfile::tempdir().unwrap();
    rules_workspace::testkit::copy_dir(&repo().join("tests/fixtures/replay/workspace"), ws.path());
    trust(&c, ws.path());
    // Shares of about three lines: every alert of several events spans tasks.
    let share = 400u64;
    let report = same_as_local(&c, ws.path(), &["logs"], &["--share-size", "400"]);
    let per = |id: &str| {
        report["detections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .cloned()
            .unwrap()
    };
    // The fixture's known answers (its README).
    let failed = per("Replay.Okta.FailedLogin");
    assert_eq!(
        (failed["matches"].as_u64(), failed["alerts"].as_u64()),
        (Some(6), Some(2))
    );
    let many = per("Replay.Okta.ManyLogins");
    assert_eq!(
        (many["matches"].as_u64(), many["alerts"].as_u64()),
        (Some(10), Some(1))
    );

    // The events of the four-event FailedLogin alert came from more than one task.
    let dir = tempfile::tempdir().unwrap();
    let address = address();
    let out = replay(
        &c,
        ws.path(),
        &["logs", "--cluster", &address, "--share-size", "400"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0));
    let alerts: Vec<Value> = sorted_lines(&dir.path().join("alerts.jsonl"))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let big = alerts
        .iter()
        .find(|a| a["detection"] == "Replay.Okta.FailedLogin" && a["events"] == 4)
        .expect("the four-event alert");
    let mut shares = std::collections::BTreeSet::new();
    let mut starts: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for line in sorted_lines(&dir.path().join("events.jsonl")) {
        let e: Value = serde_json::from_str(&line).unwrap();
        if e["alert"] != big["id"] {
            continue;
        }
        let origin = e["origin"].as_str().unwrap();
        let (file, line_no) = origin.rsplit_once(':').unwrap();
        let offsets = starts
            .entry(file.to_owned())
            .or_insert_with(|| line_starts(&ws.path().join(file)));
        let offset = offsets[line_no.parse::<usize>().unwrap()];
        shares.insert((file.to_owned(), offset / share));
    }
    assert!(
        shares.len() >= 2,
        "the alert's events all came from one task: {shares:?}"
    );
}

#[test]
fn a_node_killed_mid_run_changes_nothing() {
    let Some(mut c) = cluster() else { return };
    let ws = demo(&c);
    generate(&ws.path().join("corpus"), 60_000, 4);
    let extra = c.add(false, "doomed", None);
    c.wait_for(3);
    // Warm the doomed node's environment, so that the kill lands while shares run.
    let warm = tempfile::tempdir().unwrap();
    let _ = replay(
        &c,
        ws.path(),
        &[
            "sample_logs",
            "--cluster",
            &address(),
            "--share-size",
            "32K",
        ],
        warm.path(),
    );

    let dir = tempfile::tempdir().unwrap();
    let local = replay(&c, ws.path(), &["corpus"], &dir.path().join("local"));
    assert_eq!(local.status.code(), Some(0));
    let mut run = prowl_cmd(&c.config)
        .arg("replay")
        .args(["corpus", "--cluster", &address(), "--share-size", "512K"])
        .args(["--yes", "--format", "json", "-w"])
        .arg(ws.path())
        .arg("--out")
        .arg(dir.path().join("cluster"))
        .current_dir(ws.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !c.nodes[extra].runs_a_share() {
        assert!(
            run.try_wait().unwrap().is_none(),
            "the run ended before a share ran on the doomed node"
        );
        assert!(Instant::now() < deadline, "no share ran on the doomed node");
        std::thread::sleep(Duration::from_millis(50));
    }
    c.drop_node(extra);
    assert!(
        run.try_wait().unwrap().is_none(),
        "the node was killed while the run went on"
    );
    let out = run.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (lr, cr) = (report_of(&local), report_of(&out));
    assert_eq!(comparable(&cr), comparable(&lr));
    assert_eq!(cr["cluster"]["tasks_done"], cr["cluster"]["tasks"]);
    assert!(
        sorted_lines(&dir.path().join("local/alerts.jsonl"))
            == sorted_lines(&dir.path().join("cluster/alerts.jsonl")),
        "alerts.jsonl differs after the node was killed"
    );
    assert!(
        event_lines(&dir.path().join("local/events.jsonl"))
            == event_lines(&dir.path().join("cluster/events.jsonl")),
        "events.jsonl differs after the node was killed"
    );
}

fn error_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_input_fails_clearly_and_sends_nothing_it_should_not() {
    let Some(mut c) = cluster() else { return };
    let ws = demo(&c);
    let dir = tempfile::tempdir().unwrap();

    // An address nothing answers at: a clear error at once, not Ray's minutes of retries.
    let started = Instant::now();
    let out = replay(
        &c,
        ws.path(),
        &["sample_logs", "--cluster", "127.0.0.1:1"],
        &dir.path().join("a"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        error_of(&out).contains("cannot reach the Ray cluster at 127.0.0.1:1"),
        "{}",
        error_of(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(60));

    // An untrusted workspace is never sent.
    let untrusted = tempfile::tempdir().unwrap();
    rules_workspace::testkit::copy_dir(&demo_base(), untrusted.path());
    let out = replay(
        &c,
        untrusted.path(),
        &["sample_logs", "--cluster", &address()],
        &dir.path().join("b"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        error_of(&out).contains("is not trusted: its detections are not sent to a cluster"),
        "{}",
        error_of(&out)
    );

    // Standard input cannot be read by the nodes.
    let out = replay(
        &c,
        ws.path(),
        &["-", "--cluster", &address()],
        &dir.path().join("c"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        error_of(&out).contains("standard input cannot be replayed on a cluster"),
        "{}",
        error_of(&out)
    );

    // Nodes on another Python than the environment's pins were made for.
    let out = prowl_cmd(&c.config)
        .env("PROWL_CLUSTER_EXPECT_PYTHON", "3.12")
        .arg("replay")
        .args(["sample_logs", "--yes", "--cluster", &address(), "-w"])
        .arg(ws.path())
        .current_dir(ws.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = error_of(&out);
    assert!(
        e.contains("the cluster cannot run this workspace")
            && e.contains(
                "runs Python 3.11; the workspace's requirements are pinned for Python 3.12"
            ),
        "{e}"
    );

    // A node that cannot see the inputs (its own mount namespace hides their folder).
    let inputs = tempfile::tempdir().unwrap();
    rules_workspace::testkit::copy_dir(&ws.path().join("sample_logs"), inputs.path());
    let blind = c.add(false, "blind", Some(&inputs.path().display().to_string()));
    c.wait_for(3);
    let path = inputs.path().display().to_string();
    let out = replay(
        &c,
        ws.path(),
        &[&path, "--cluster", &address()],
        &dir.path().join("d"),
    );
    c.drop_node(blind);
    assert_eq!(out.status.code(), Some(2));
    let e = error_of(&out);
    assert!(e.contains("cannot see 4 of the input files"), "{e}");
    c.wait_for(2);

    // A rule that never returns: its share fails after its retries, and the run says what it
    // did not cover (file and byte range) and fails.
    std::fs::write(
        ws.path().join("rules/stuck.yml"),
        "AnalysisType: rule\nFilename: stuck.py\nRuleID: Replay.Stuck\nEnabled: true\nLogTypes:\n  - Okta.SystemLog\nSeverity: Low\n",
    )
    .unwrap();
    std::fs::write(
        ws.path().join("rules/stuck.py"),
        "def rule(event):\n    while event.get('loop'):\n        pass\n    return False\n",
    )
    .unwrap();
    let logs = ws.path().join("stuck.jsonl");
    let mut text = String::new();
    for i in 0..40 {
        let extra = if i == 30 { r#","loop":true"# } else { "" };
        text.push_str(&format!(
            "{{\"p_log_type\":\"Okta.SystemLog\",\"p_event_time\":\"2026-11-01 00:{i:02}:00\"{extra}}}\n"
        ));
    }
    std::fs::write(&logs, text).unwrap();
    let out = replay(
        &c,
        ws.path(),
        &[
            "stuck.jsonl",
            "--cluster",
            &address(),
            "--share-size",
            "1K",
            "--timeout",
            "2",
            "--filter",
            "RuleID=Replay.Stuck",
        ],
        &dir.path().join("e"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", error_of(&out));
    let report = report_of(&out);
    let lost = report["lost"].as_array().unwrap();
    assert_eq!(lost.len(), 1, "{report}");
    assert!(
        lost[0]["first"]
            .as_str()
            .unwrap()
            .contains("stuck.jsonl (bytes "),
        "{lost:?}"
    );
    assert!(
        lost[0]["reason"]
            .as_str()
            .unwrap()
            .contains("a batch ran longer than 2 s"),
        "{lost:?}"
    );
    assert_eq!(report["cluster"]["tasks_failed"], 1);
    assert!(report["cluster"]["tasks_done"].as_u64().unwrap() >= 1);
}

/// Per detection: (matches, alerts).
fn per_detection(report: &Value) -> BTreeMap<String, (u64, u64)> {
    report["detections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_owned(),
                (
                    d["matches"].as_u64().unwrap(),
                    d["alerts"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn an_s3_source_is_listed_by_the_driver_and_read_by_the_nodes() {
    let Some(c) = cluster() else { return };
    let Some(python) = std::env::var_os("PROWL_RAY_PYTHON") else {
        eprintln!("PROWL_RAY_PYTHON is not set: no boto3 to fill the test S3; not run");
        return;
    };
    if std::env::var_os("PROWL_MOTO_SERVER").is_none() {
        eprintln!(
            "PROWL_MOTO_SERVER is not set (tests/setup.sh's ensure_ray installs moto); not run"
        );
        return;
    }
    let ws = demo(&c);
    // The sample logs as objects under a prefix (the gzip one too), with boto3.
    let upload = r#"
import boto3, os, sys, time
s3 = boto3.client("s3")
for _ in range(100):
    try:
        s3.create_bucket(Bucket="prowl-logs")
        break
    except Exception:
        time.sleep(0.2)
root = sys.argv[1]
for name in sorted(os.listdir(root)):
    s3.upload_file(os.path.join(root, name), "prowl-logs", "acme/2026/" + name)
s3.put_object(Bucket="prowl-logs", Key="elsewhere/other.jsonl", Body=b"{}\n")
"#;
    let mut cmd = Command::new(&python);
    s3_env(&mut cmd);
    let ok = cmd
        .args(["-c", upload])
        .arg(ws.path().join("sample_logs"))
        .status()
        .unwrap();
    assert!(
        ok.success(),
        "uploading the sample logs to the test S3 failed"
    );

    let dir = tempfile::tempdir().unwrap();
    let local = replay(&c, ws.path(), &["sample_logs"], &dir.path().join("local"));
    assert_eq!(local.status.code(), Some(0));
    let address = address();
    let remote = replay(
        &c,
        ws.path(),
        &[
            "s3://prowl-logs/acme/",
            "--cluster",
            &address,
            "--share-size",
            "64K",
        ],
        &dir.path().join("s3"),
    );
    assert_eq!(
        remote.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&remote.stderr)
    );
    let (lr, sr) = (report_of(&local), report_of(&remote));
    assert_eq!(sr["read"]["events"], lr["read"]["events"]);
    assert_eq!(
        sr["read"]["files_total"], 4,
        "only the objects under the prefix"
    );
    assert_eq!(per_detection(&sr), per_detection(&lr));
    assert_eq!(sr["alerts_total"], lr["alerts_total"]);
    // The same alerts (their first events named by the object's URL instead of the file's).
    let a = sorted_lines(&dir.path().join("local/alerts.jsonl"));
    let b: Vec<String> = sorted_lines(&dir.path().join("s3/alerts.jsonl"))
        .iter()
        .map(|l| {
            l.replace(
                "\"origin\":\"s3://prowl-logs/acme/2026/",
                "\"origin\":\"sample_logs/",
            )
        })
        .collect();
    let first = a.iter().zip(&b).find(|(x, y)| x != y);
    assert!(
        a == b,
        "alerts differ between the files and the same objects in S3: {first:?}"
    );
    let events = std::fs::read_to_string(dir.path().join("s3/events.jsonl")).unwrap();
    assert!(
        events.contains("\"origin\":\"s3://prowl-logs/acme/2026/"),
        "origins name the objects"
    );

    // A prefix with nothing under it, and S3 without a cluster.
    let out = replay(
        &c,
        ws.path(),
        &["s3://prowl-logs/nothing-here/", "--cluster", &address],
        &dir.path().join("none"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        error_of(&out).contains("no objects under s3://prowl-logs/nothing-here/"),
        "{}",
        error_of(&out)
    );
    let out = replay(
        &c,
        ws.path(),
        &["s3://prowl-logs/acme/"],
        &dir.path().join("x"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        error_of(&out).contains("only a cluster's nodes read S3"),
        "{}",
        error_of(&out)
    );
}

#[test]
fn losing_the_cluster_ends_with_a_clear_error_and_the_results_so_far() {
    let Some(c) = cluster() else { return };
    // A cluster of its own (one head), lost while the replay runs.
    const LOST_PORT: u16 = 6398;
    let temp = std::env::temp_dir().join(format!("prowl-ray-test-{LOST_PORT}-head"));
    let mut head = Node::start(&c.ray, LOST_PORT, true, &temp, None);
    GROUPS.lock().unwrap().push(head.child.id() as i32);
    let address = format!("127.0.0.1:{LOST_PORT}");
    wait_for_nodes(&c.config, &address, 1);
    let ws = demo(&c);
    generate(&ws.path().join("corpus"), 60_000, 4);
    let out_dir = tempfile::tempdir().unwrap();
    let run = prowl_cmd(&c.config)
        // The driver gives up on a dead head after 5 s instead of Ray's 60.
        .env("RAY_gcs_rpc_server_reconnect_timeout_s", "5")
        .arg("replay")
        .args(["corpus", "--cluster", &address, "--share-size", "256K"])
        .args(["--yes", "--format", "json", "-w"])
        .arg(ws.path())
        .arg("--out")
        .arg(out_dir.path())
        .current_dir(ws.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !head.runs_a_share() {
        assert!(Instant::now() < deadline, "no share ran on the head");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Some shares finish, then the whole cluster goes.
    std::thread::sleep(Duration::from_secs(3));
    head.kill();
    let _ = std::fs::remove_dir_all(&temp);
    let started = Instant::now();
    let out = run.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(150),
        "the run took {:?} to notice the cluster was gone",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{}", error_of(&out));
    let report = report_of(&out);
    let lost = report["cluster"]["lost"].as_str().unwrap_or_default();
    assert!(
        !lost.is_empty(),
        "the report says the cluster was lost: {report}"
    );
    let (done, tasks) = (
        report["cluster"]["tasks_done"].as_u64().unwrap(),
        report["cluster"]["tasks"].as_u64().unwrap(),
    );
    assert!(done >= 1 && done < tasks, "{done} of {tasks} tasks done");
    assert!(
        report["lost"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["reason"] == "not run: the cluster was lost"),
        "the shares not run are listed: {}",
        report["lost"]
    );
    // The results so far are under --out.
    let written = std::fs::read_to_string(out_dir.path().join("report.json")).unwrap();
    assert!(written.contains("the cluster was lost"));
    assert!(out_dir.path().join("alerts.jsonl").exists());
    assert!(report["read"]["events"].as_u64().unwrap() > 0);
}

#[test]
fn compare_on_a_cluster_gives_the_local_impact() {
    let Some(c) = cluster() else { return };
    // The demo as a git repository, with a rule tuned in the working tree.
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    rules_workspace::demo::write_demo(&ws).unwrap();
    trust(&c, &ws);
    let spec = ws.join("rules/github_rules/demo_github_repo_made_public.yml");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replace("DedupPeriodMinutes: 1440", "DedupPeriodMinutes: 15"),
    )
    .unwrap();
    generate(&ws.join("corpus"), 20_000, 3);
    let out = tempfile::tempdir().unwrap();
    let local = replay(
        &c,
        &ws,
        &["corpus", "--compare", "HEAD"],
        &out.path().join("local"),
    );
    assert_eq!(local.status.code(), Some(0), "{}", error_of(&local));
    let address = address();
    let remote = replay(
        &c,
        &ws,
        &[
            "corpus",
            "--compare",
            "HEAD",
            "--cluster",
            &address,
            "--share-size",
            "512K",
        ],
        &out.path().join("cluster"),
    );
    assert_eq!(remote.status.code(), Some(0), "{}", error_of(&remote));
    let whole = |o: &Output| -> Value { serde_json::from_slice(&o.stdout).unwrap() };
    let (l, r) = (whole(&local), whole(&remote));
    assert_eq!(r["impact"], l["impact"], "the impact differs");
    assert_eq!(comparable(&r["report"]), comparable(&l["report"]));
    let changed = l["impact"].to_string();
    assert!(
        changed.contains("Demo.GitHub.RepoMadePublic"),
        "the tuned rule's alerts changed: {changed}"
    );
}

#[test]
fn a_title_built_from_a_set_is_the_local_one() {
    let Some(c) = cluster() else { return };
    // Set order follows the string-hash seed: the nodes must use the local workers' seed, or
    // titles (and dedup strings) built by iterating a set differ from the local replay's (as
    // in panther-analysis's Okta.Anonymizing.VPN.Login).
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("rules")).unwrap();
    std::fs::write(
        ws.path().join("rules/set_title.yml"),
        "AnalysisType: rule\nFilename: set_title.py\nRuleID: Cluster.SetTitle\nEnabled: true\nLogTypes:\n  - Okta.SystemLog\nSeverity: Low\n",
    )
    .unwrap();
    std::fs::write(
        ws.path().join("rules/set_title.py"),
        "def rule(event):\n    return True\n\n\ndef title(event):\n    return '-'.join({'alpha', 'beta', 'gamma', 'delta', 'epsilon', event.get('user')})\n",
    )
    .unwrap();
    let mut logs = String::new();
    for i in 0..40 {
        logs.push_str(&format!(
            "{{\"p_log_type\":\"Okta.SystemLog\",\"p_event_time\":\"2026-11-01 00:{i:02}:00\",\"user\":\"u{}\"}}\n",
            i % 5
        ));
    }
    std::fs::write(ws.path().join("events.jsonl"), logs).unwrap();
    trust(&c, ws.path());
    let report = same_as_local(&c, ws.path(), &["events.jsonl"], &["--share-size", "1K"]);
    assert_eq!(report["alerts_total"], 5, "one alert per user: {report}");
}

#[test]
fn the_command_line_uses_the_cluster_saved_in_the_settings() {
    // No cluster needed: the saved driver Python is the one started (the shell sets none), and
    // `saved` with nothing saved is refused before anything starts.
    let config = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    rules_workspace::testkit::copy_dir(&demo_base(), ws.path());
    let refused = prowl_cmd(&config)
        .env_remove("PROWL_RAY_PYTHON")
        .args([
            "replay",
            "sample_logs",
            "--cluster",
            "saved",
            "--format",
            "json",
            "-w",
        ])
        .arg(ws.path())
        .current_dir(ws.path())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", error_of(&refused));
    assert!(
        error_of(&refused).contains("no cluster address is set"),
        "{}",
        error_of(&refused)
    );
    let missing = config.path().join("no-such-python");
    std::fs::write(
        config.path().join("cluster.toml"),
        format!(
            "address = \"127.0.0.1:1\"\npython = \"{}\"\n",
            missing.display()
        ),
    )
    .unwrap();
    for args in [vec!["cluster"], vec!["cluster", "saved"]] {
        let out = prowl_cmd(&config)
            .env_remove("PROWL_RAY_PYTHON")
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            error_of(&out).contains(&missing.display().to_string()),
            "{args:?}: the saved Python is the driver's: {}",
            error_of(&out)
        );
    }

    // With the cluster: `prowl cluster` without an address checks the saved one, and
    // `--cluster saved` replays there with the local replay's results.
    let Some(c) = cluster() else { return };
    std::fs::write(
        c.config.path().join("cluster.toml"),
        format!("address = \"{}\"\n", address()),
    )
    .unwrap();
    let checked = prowl_cmd(&c.config)
        .args(["cluster", "--json"])
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", error_of(&checked));
    let v: Value = serde_json::from_slice(&checked.stdout).unwrap();
    assert_eq!(v["address"], address());
    assert_eq!(v["nodes"].as_array().map_or(0, Vec::len), 2);
    let ws = demo(&c);
    let dir = tempfile::tempdir().unwrap();
    let local = replay(&c, ws.path(), &["sample_logs"], &dir.path().join("local"));
    let saved = replay(
        &c,
        ws.path(),
        &["sample_logs", "--cluster", "saved"],
        &dir.path().join("saved"),
    );
    assert!(saved.status.success(), "{}", error_of(&saved));
    assert_eq!(report_of(&saved)["cluster"]["address"], address());
    assert_eq!(
        comparable(&report_of(&saved)),
        comparable(&report_of(&local))
    );
    std::fs::remove_file(c.config.path().join("cluster.toml")).unwrap();
}

#[test]
fn ctrl_c_while_the_driver_connects_stops_the_replay_at_once() {
    // No cluster needed: a driver stuck connecting (it never prints a line) stands for Ray's
    // retries against a slow head or the nodes installing the environment. Ctrl+C must not
    // wait for its next line.
    let config = tempfile::tempdir().unwrap();
    let ws = tempfile::tempdir().unwrap();
    rules_workspace::testkit::copy_dir(&demo_base(), ws.path());
    let trusted = prowl_cmd(&config)
        .arg("trust")
        .arg(ws.path())
        .output()
        .unwrap();
    assert!(trusted.status.success(), "{}", error_of(&trusted));
    let marker = config.path().join("driver-started");
    let stuck = config.path().join("stuck-python");
    std::fs::write(
        &stuck,
        format!("#!/bin/sh\ntouch '{}'\nexec sleep 300\n", marker.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stuck, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut child = prowl_cmd(&config)
        .env("PROWL_RAY_PYTHON", &stuck)
        .args(["replay", "sample_logs", "--cluster", "127.0.0.1:1", "--yes"])
        .args(["--format", "json", "-w"])
        .arg(ws.path())
        .current_dir(ws.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !marker.exists() {
        assert!(Instant::now() < deadline, "the driver was never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let interrupted = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if interrupted.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the replay did not stop within 30 s of Ctrl+C while the driver connected");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stopped_in = interrupted.elapsed();
    let out = child.wait_with_output().unwrap();
    assert!(
        stopped_in < Duration::from_secs(5),
        "stopped {stopped_in:?} after Ctrl+C"
    );
    assert!(
        error_of(&out).contains("stopped: the results cover"),
        "{status:?}: {}",
        error_of(&out)
    );
    let out: Value = serde_json::from_slice(&out.stdout).unwrap();
    let report = &out["report"];
    assert_eq!(report["cancelled"], true, "{report}");
    assert_eq!(report["matches"], 0);
    assert_eq!(report["cluster"]["tasks"], 0, "nothing was sent: {report}");
}
