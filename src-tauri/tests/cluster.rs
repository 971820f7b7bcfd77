//! The cluster target of the Replay view through the command layer (mock runtime, no window):
//! the user's cluster settings (`cluster_settings`, `save_cluster_settings`), the connection
//! check (`check_cluster`) and `run_replay` with `cluster`.
//!
//! - without Ray: the settings kept in the config folder, an empty address, an untrusted
//!   workspace (never sent: refused before anything starts);
//! - with Ray (`PROWL_RAY`, `PROWL_RAY_PYTHON`: `tests/setup.sh`'s `ensure_ray`): an address
//!   nothing answers at, then a loopback cluster of this test's own (a head on port 6420 and a
//!   second node, one CPU each, temp folders `/tmp/ray-desktop` and `/tmp/ray-desktop2`, killed
//!   by process group when the test ends): its check, the demo's logs replayed on it (the
//!   local replay's alerts, kept events included) and a cancelled cluster replay. Without
//!   `PROWL_RAY` that test says so and passes without running.
//!
//! Alone in its process: it sets the environment (`PROWL_CONFIG`, the workers', `PROWL_READ`).

mod common;

use common::{use_test_environment, Harness};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The port of this test's cluster (the other cluster tests use 6390–6399).
const PORT: u16 = 6420;

/// A config folder of this process's own: the trust store and `cluster.toml` never touch the
/// developer's.
fn config() -> &'static Path {
    static CONFIG: OnceLock<tempfile::TempDir> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            std::env::set_var("PROWL_CONFIG", dir.path());
            dir
        })
        .path()
}

fn call(h: &Harness, cmd: &str, args: Value) -> Value {
    h.call(cmd, args)
        .unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
}

fn demo(dir: &Path) -> PathBuf {
    let ws = dir.join("ws");
    rules_workspace::demo::write_demo(&ws).unwrap();
    ws
}

#[test]
fn the_cluster_address_is_kept_for_the_user_and_an_empty_one_is_refused() {
    let config = config();
    let h = Harness::new();
    let view = call(&h, "cluster_settings", json!({}));
    assert_eq!(view["settings"], json!({"address": null, "python": null}));
    assert_eq!(view["file"], json!(config.join("cluster.toml")));
    assert!(view["default_python"]
        .as_str()
        .is_some_and(|p| !p.is_empty()));

    let saved = call(
        &h,
        "save_cluster_settings",
        json!({"address": " 10.0.0.5:6379 ", "python": ""}),
    );
    assert_eq!(
        saved["settings"],
        json!({"address": "10.0.0.5:6379", "python": null})
    );
    let text = std::fs::read_to_string(config.join("cluster.toml")).unwrap();
    assert!(text.contains("address = \"10.0.0.5:6379\""), "{text}");
    assert_eq!(call(&h, "cluster_settings", json!({})), saved);

    h.fails(
        "check_cluster",
        json!({"address": "  ", "python": null}),
        "cluster.no_address",
        "no cluster address",
    );
    // A Python that is not there: a clear error, not a hang.
    h.fails(
        "check_cluster",
        json!({"address": "127.0.0.1:1", "python": "/no/such/python"}),
        "cluster.start_failed",
        "/no/such/python",
    );
}

#[test]
fn an_untrusted_workspace_is_never_sent_to_a_cluster() {
    config();
    use_test_environment();
    let h = Harness::new();
    let dir = tempfile::tempdir().unwrap();
    let ws = demo(dir.path());
    let opened = call(&h, "open_workspace", json!({"path": ws}));
    assert_eq!(opened["trust"]["trusted"], false);
    // Refused before anything is started: no Ray is needed to see it.
    let err = h.fails(
        "run_replay",
        json!({"sources": ["sample_logs"], "filter": null, "cluster": "127.0.0.1:1", "onProgress": "__CHANNEL__:1"}),
        "cluster.untrusted",
        "not trusted",
    );
    assert!(
        err["hint"].as_str().unwrap().contains("trust"),
        "the hint names the trust step: {err}"
    );
    h.fails(
        "run_replay",
        json!({"sources": ["sample_logs"], "filter": null, "cluster": "", "onProgress": "__CHANNEL__:2"}),
        "cluster.no_address",
        "no cluster address",
    );
    // S3 only on a cluster (its nodes read it); on one, the trust check still comes first.
    h.fails(
        "run_replay",
        json!({"sources": ["s3://acme-logs/AWSLogs/"], "filter": null, "cluster": null, "onProgress": "__CHANNEL__:4"}),
        "replay.s3_needs_cluster",
        "s3://acme-logs/AWSLogs/",
    );
    h.fails(
        "run_replay",
        json!({"sources": ["s3://acme-logs/AWSLogs/"], "filter": null, "cluster": "127.0.0.1:1", "onProgress": "__CHANNEL__:5"}),
        "cluster.untrusted",
        "not trusted",
    );
    // The form's errors come first, as for a local replay.
    h.fails(
        "run_replay",
        json!({"sources": [], "filter": null, "cluster": "127.0.0.1:1", "onProgress": "__CHANNEL__:3"}),
        "replay.no_sources",
        "no log file",
    );
    // Nothing was replayed.
    h.fails(
        "replay_events",
        json!({"alert": 0}),
        "replay.nothing_replayed",
        "no replay",
    );
}

/// A Ray node of this test: `ray start --block`, leader of its own process group.
struct Node(Child);

/// This test's loopback cluster; killed (every process of each node's group) when dropped,
/// however the test ends. `ray stop` is never used: it would stop every cluster of the machine.
struct Cluster {
    nodes: Vec<Node>,
}

impl Cluster {
    fn start(ray: &Path) -> Cluster {
        let mut cluster = Cluster { nodes: Vec::new() };
        for (head, temp) in [(true, "/tmp/ray-desktop"), (false, "/tmp/ray-desktop2")] {
            let _ = std::fs::remove_dir_all(temp);
            let mut cmd = Command::new(ray);
            cmd.arg("start");
            if head {
                cmd.args([
                    "--head".to_owned(),
                    format!("--port={PORT}"),
                    format!("--ray-client-server-port={}", 23000 + PORT % 1000),
                    "--include-dashboard=false".to_owned(),
                    "--disable-usage-stats".to_owned(),
                ]);
            } else {
                cmd.arg(format!("--address=127.0.0.1:{PORT}"));
            }
            use std::os::unix::process::CommandExt;
            cmd.args(["--num-cpus=1", &format!("--temp-dir={temp}"), "--block"])
                .env("RAY_USAGE_STATS_ENABLED", "0")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0);
            cluster
                .nodes
                .push(Node(cmd.spawn().expect("start a Ray node")));
            if head {
                // The second node joins a head that answers.
                cluster.wait_for(1, None);
            }
        }
        cluster
    }

    /// Waits until `check_cluster` sees `n` nodes (through the command when `h` is given).
    fn wait_for(&self, n: usize, h: Option<&Harness>) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        let address = format!("127.0.0.1:{PORT}");
        loop {
            let answer = match h {
                Some(h) => h.call("check_cluster", json!({"address": address, "python": null})),
                None => rules_workspace::session::cluster::check(
                    &rules_workspace::session::cluster::ClusterSettings::new(Some(&address), None),
                )
                .map(|c| serde_json::to_value(c).unwrap())
                .map_err(|e| serde_json::to_value(e).unwrap()),
            };
            match answer {
                Ok(check) if check["nodes"].as_array().map_or(0, Vec::len) == n => return check,
                other => assert!(
                    Instant::now() < deadline,
                    "the cluster at {address} did not reach {n} nodes: {other:?}"
                ),
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for Node(child) in &mut self.nodes {
            // Each node leads its own group (`process_group(0)`): its pid is the group's id,
            // never 0 or 1. kill(2) directly: procps-ng 4.0.2's `kill -KILL -PGID` signals
            // every process of the machine.
            let group = child.id() as libc::pid_t;
            if group > 1 {
                unsafe {
                    libc::kill(-group, libc::SIGKILL);
                }
            }
            let _ = child.wait();
        }
        for temp in ["/tmp/ray-desktop", "/tmp/ray-desktop2"] {
            let _ = std::fs::remove_dir_all(temp);
        }
    }
}

/// `prowl-read` as `cargo build` leaves it beside the test binaries' folder.
fn built_reader() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let reader = exe.parent()?.parent()?.join("prowl-read");
    reader.is_file().then_some(reader)
}

/// What two replays of the same logs share: the alerts (by detection, dedup string, times and
/// events) and the counts.
fn alerts_of(report: &Value) -> Vec<String> {
    let mut alerts: Vec<String> = report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {} {} {} {} {}",
                a["detection"],
                a["dedup"],
                a["first_event_time"],
                a["last_event_time"],
                a["events"],
                a["title"]
            )
        })
        .collect();
    alerts.sort();
    alerts
}

#[test]
fn a_replay_on_a_real_cluster_gives_the_local_alerts_and_can_be_cancelled() {
    let Some(ray) = std::env::var_os("PROWL_RAY").map(PathBuf::from) else {
        eprintln!("PROWL_RAY is not set: the cluster target's test needs Ray 2.60 (tests/setup.sh's ensure_ray installs it, /work/env.sh names it); not run");
        return;
    };
    assert!(
        std::env::var_os("PROWL_RAY_PYTHON").is_some(),
        "PROWL_RAY is set but PROWL_RAY_PYTHON is not: the driver needs the Python of that Ray"
    );
    let Some(reader) = built_reader() else {
        eprintln!("prowl-read is not built beside the test binaries (`cargo build -p rules-workspace --bin prowl-read`); not run");
        return;
    };
    std::env::set_var("PROWL_READ", reader);
    config();
    use_test_environment();
    let h = Harness::new();

    // An address nothing answers at fails at once, with Ray's reason and the next step.
    let started = Instant::now();
    let err = h.fails(
        "check_cluster",
        json!({"address": "127.0.0.1:1", "python": null}),
        "cluster.unreachable",
        "127.0.0.1:1",
    );
    assert!(err["hint"].as_str().unwrap().contains("address"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );

    let cluster = Cluster::start(&ray);
    let check = cluster.wait_for(2, Some(&h));
    assert_eq!(check["address"], format!("127.0.0.1:{PORT}"));
    assert!(check["ray"].as_str().unwrap().starts_with("2."), "{check}");
    assert_eq!(check["cpus"], 2.0);
    for node in check["nodes"].as_array().unwrap() {
        assert_eq!(node["error"], Value::Null, "{node}");
        assert_eq!(node["python"], "3.11", "{node}");
        assert_eq!(node["ray"], check["ray"], "{node}");
        assert!(
            node["address"].is_string() && node["machine"].is_string(),
            "{node}"
        );
    }

    // The demo, trusted as the window trusts it; its environment is the test one.
    let dir = tempfile::tempdir().unwrap();
    let ws = demo(dir.path());
    call(&h, "open_workspace", json!({"path": ws}));
    assert_eq!(
        call(&h, "set_trust", json!({"trusted": true}))["trusted"],
        true
    );
    let local = call(
        &h,
        "run_replay",
        json!({"sources": ["sample_logs"], "filter": null, "cluster": null, "onProgress": "__CHANNEL__:1"}),
    );
    assert_eq!(local["report"]["cluster"], Value::Null);
    let address = format!("127.0.0.1:{PORT}");
    let started = Instant::now();
    let on_cluster = call(
        &h,
        "run_replay",
        json!({"sources": ["sample_logs"], "filter": null, "cluster": address, "onProgress": "__CHANNEL__:2"}),
    );
    eprintln!(
        "the demo's logs on the cluster: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let report = &on_cluster["report"];
    assert_eq!(report["alerts_total"], 26, "{report}");
    assert_eq!(report["read"]["events"], local["report"]["read"]["events"]);
    assert_eq!(report["matches"], local["report"]["matches"]);
    assert_eq!(alerts_of(report), alerts_of(&local["report"]));
    assert_eq!(report["lost"], json!([]));
    assert_eq!(report["cancelled"], false);
    let run = &report["cluster"];
    assert_eq!(run["address"], address);
    assert_eq!(run["ray"], check["ray"]);
    assert_eq!(run["nodes"].as_array().unwrap().len(), 2, "{run}");
    assert_eq!(run["tasks_done"], run["tasks"], "{run}");
    assert_eq!(run["tasks_failed"], 0);
    assert_eq!(run["lost"], Value::Null);
    assert_eq!(on_cluster["sources"], local["sources"]);

    // The cluster's matched events are kept as a local replay's: an alert's events read back.
    let alert = &report["alerts"][0];
    let events = call(&h, "replay_events", json!({"alert": alert["id"]}));
    assert_eq!(events["kept"], true, "{events}");
    assert_eq!(events["detection"], alert["detection"]);
    let first = &events["events"][0];
    assert!(first["event"].is_object(), "{first}");
    assert!(
        first["origin"].as_str().unwrap().contains("sample_logs/"),
        "{first}"
    );

    // "Impact" on the cluster: both sides there, the same comparison as on this machine.
    let spec = ws.join("rules/okta_rules/demo_okta_brute_force_logins.yml");
    let text = std::fs::read_to_string(&spec).unwrap();
    assert!(
        text.contains("Threshold: 20"),
        "the demo's spec changed: {text}"
    );
    std::fs::write(&spec, text.replace("Threshold: 20", "Threshold: 3")).unwrap();
    let impact = |cluster: Value, channel: &str| {
        call(
            &h,
            "replay_impact",
            json!({"sources": ["sample_logs"], "filter": null, "cluster": cluster, "onProgress": channel}),
        )
    };
    let here = impact(Value::Null, "__CHANNEL__:3");
    let there = impact(json!(address), "__CHANNEL__:4");
    // The address given is the one used: nothing answers at this one.
    h.fails(
        "replay_impact",
        json!({"sources": ["sample_logs"], "filter": null, "cluster": "127.0.0.1:1", "onProgress": "__CHANNEL__:5"}),
        "cluster.unreachable",
        "127.0.0.1:1",
    );
    std::fs::write(&spec, text).unwrap();
    for key in [
        "alerts_before",
        "alerts_after",
        "added",
        "removed",
        "changed",
        "unchanged_detections",
        "commit",
        "cancelled",
    ] {
        assert_eq!(there["impact"][key], here["impact"][key], "{key}: {there}");
    }
    let moved = |v: &Value| -> Vec<Value> {
        v["impact"]["detections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| json!([d["id"], d["alerts_before"], d["alerts_after"]]))
            .collect()
    };
    assert!(!moved(&here).is_empty(), "the edit moves alerts: {here}");
    assert_eq!(moved(&there), moved(&here));
    assert_eq!(there["events"], here["events"]);

    // Cancelled as soon as the cluster answers: the report says so (what was done, if any).
    let app = h.app.handle().clone();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = std::sync::Arc::clone(&done);
    let stopper = std::thread::spawn(move || {
        use tauri::Manager;
        let shared = std::sync::Arc::clone(
            &app.state::<prowl_desktop::AppState<tauri::test::MockRuntime>>()
                .shared,
        );
        // The replay clears the flag when it starts: keep setting it until it answers.
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            shared.cancel_replay();
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let cancelled = h.call(
        "run_replay",
        json!({"sources": ["sample_logs"], "filter": null, "cluster": address, "onProgress": "__CHANNEL__:3"}),
    );
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    stopper.join().unwrap();
    let cancelled = cancelled.unwrap_or_else(|e| panic!("a cancelled cluster replay failed: {e}"));
    let report = &cancelled["report"];
    assert_eq!(report["cancelled"], true, "{report}");
    assert!(report["cluster"].is_object(), "{report}");
    drop(cluster);
}
