//! Real panther-analysis releases, as forks sit on them: for each release tag (v3.69.0,
//! v3.81.0, v3.97.0 and the newest), `prowl env sync` makes the environment from the release's
//! own Pipfile (and lock), and `prowl test` must print exactly what PAT 1.6.3 prints on that
//! release, with the same exit code. PAT runs in an environment with the same package versions
//! as Prowl's (PAT 1.6.3 and panther-core 0.16.2, then Prowl's packages over them), and both
//! with one hash seed, so set orders are the same.
//!
//! panther-analysis is not on any registry: name a clone (with its tags) in
//! `PROWL_PANTHER_ANALYSIS`, e.g. one made from the `fetch` of github:panther-labs/panther-analysis.
//! Without it the test says so and checks nothing.
//!
//! The same run checks Prowl's local verdicts (what PAT skips without a backend): every
//! correlation-rule, Simple Detection and inline-filter test of each release must give its
//! `ExpectedResult`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TAGS: &[&str] = &["v3.69.0", "v3.81.0", "v3.97.0"];

/// Local verdicts a release's own content contradicts. v3.69.0's
/// GitHub.Advanced.Security.Change.NOT.FOLLOWED.BY.Repo.Archived is a Sequence whose
/// transition goes From the absent RepoArchived To GHASChange, while its two tests expect the
/// opposite direction; upstream fixed the transition later (panther-analysis cad129b9, "fix
/// transition order") without touching the tests, and every later release agrees with Prowl.
const LOCAL_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "v3.69.0",
        "Security Change on Repo, Followed By Same Repo Archived",
    ),
    (
        "v3.69.0",
        "Repo Archived followed by GHAS change on same repo",
    ),
];

struct Local {
    passed: usize,
    correlation_rules: usize,
    failed: Vec<String>,
    line: String,
}

/// The local-verdict section `prowl test` prints after PAT's report.
fn local_verdicts(stderr: &str) -> Local {
    let section = stderr
        .split("Evaluated locally by Prowl")
        .nth(1)
        .unwrap_or_else(|| panic!("no local verdicts in:\n{stderr}"));
    let line = section
        .lines()
        .find(|l| l.starts_with("Local verdicts: "))
        .expect("the local summary line")
        .to_owned();
    let number = |after: &str| -> usize {
        let at = line.find(after).expect(after);
        line[..at]
            .rsplit(|c: char| !c.is_ascii_digit())
            .find(|w| !w.is_empty())
            .and_then(|w| w.parse().ok())
            .unwrap_or(0)
    };
    Local {
        passed: number(" passed"),
        correlation_rules: number(" correlation rules"),
        failed: section
            .lines()
            .filter_map(|l| l.strip_prefix("\t[FAIL] "))
            .map(str::to_owned)
            .collect(),
        line,
    }
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.stdin(Stdio::null()).output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn newest_tag(repo: &Path) -> String {
    let (_, out, _) = run(Command::new("git").arg("-C").arg(repo).args([
        "tag",
        "--list",
        "v*",
        "--sort=-version:refname",
    ]));
    out.lines().next().unwrap_or("").to_owned()
}

fn uv() -> Option<PathBuf> {
    std::env::var_os("PROWL_UV")
        .map(PathBuf::from)
        .or_else(|| Some(common::cache_dir().join("tools/uv/bin/uv")))
        .filter(|p| p.is_file())
}

#[test]
fn prowl_gives_pats_output_on_real_releases() {
    let Some(repo) = std::env::var_os("PROWL_PANTHER_ANALYSIS").map(PathBuf::from) else {
        eprintln!(
            "SKIPPED: set PROWL_PANTHER_ANALYSIS to a clone of panther-analysis with its tags to compare Prowl and PAT 1.6.3 on real releases"
        );
        return;
    };
    let Some(uv) = uv() else {
        eprintln!(
            "SKIPPED: uv is needed to make PAT's environments (run tests/setup.sh's ensure_uv)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let mut tags: Vec<String> = TAGS.iter().map(|t| (*t).to_owned()).collect();
    let newest = newest_tag(&repo);
    if !newest.is_empty() && !tags.contains(&newest) {
        tags.push(newest);
    }
    let mut report = Vec::new();
    for tag in &tags {
        let ws = dir.path().join(tag);
        std::fs::create_dir_all(&ws).unwrap();
        let mut archive = Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["archive", tag])
            .stdout(Stdio::piped())
            .spawn()
            .expect("git archive");
        let status = Command::new("tar")
            .arg("-x")
            .arg("-C")
            .arg(&ws)
            .stdin(archive.stdout.take().expect("piped"))
            .status()
            .unwrap();
        assert!(
            status.success() && archive.wait().is_ok_and(|s| s.success()),
            "{tag}: cannot extract the release"
        );

        let prowl = |args: &[&str]| {
            run(Command::new(env!("CARGO_BIN_EXE_prowl"))
                .args(args)
                .current_dir(&ws)
                .env("PROWL_CACHE", &cache)
                .env("PROWL_UV", &uv)
                .env("PROWL_PAT_COLOURS", "always")
                .env("PYTHONHASHSEED", "0")
                .env_remove("PROWL_PYTHON_ENV")
                .env_remove("PROWL_INSTALLER"))
        };
        let started = std::time::Instant::now();
        let (code, _, err) = prowl(&["env", "sync", ".", "--yes"]);
        assert_eq!(code, 0, "{tag}: prowl env sync failed:\n{err}");
        let sync_time = started.elapsed();
        let (code, show, _) = prowl(&["env", "show", ".", "--format", "json"]);
        assert_eq!(code, 0);
        let show: serde_json::Value = serde_json::from_str(&show).unwrap();
        let pins: Vec<String> = show["manifest"]["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                format!(
                    "{}=={}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap()
                )
            })
            .collect();
        let (prowl_code, prowl_out, prowl_err) = prowl(&["test", "."]);

        // PAT 1.6.3 over the same packages.
        let venv = dir.path().join(format!("pat-{tag}"));
        let uv_run = |args: &[&str]| {
            let (code, _, err) = run(Command::new(&uv).args(args));
            assert_eq!(code, 0, "{tag}: uv {args:?} failed:\n{err}");
        };
        uv_run(&[
            "venv",
            "-q",
            "--python",
            "/usr/bin/python3.11",
            venv.to_str().unwrap(),
        ]);
        let python = venv.join("bin/python");
        let python = python.to_str().unwrap();
        uv_run(&[
            "pip",
            "install",
            "-q",
            "--python",
            python,
            "panther-analysis-tool==1.6.3",
            "panther-core==0.16.2",
        ]);
        let mut overlay = vec!["pip", "install", "-q", "--no-deps", "--python", python];
        overlay.extend(pins.iter().map(String::as_str));
        uv_run(&overlay);
        let (pat_code, pat_out, pat_err) = run(Command::new(venv.join("bin/pat"))
            .args(["--skip-version-check", "test", "--path", "."])
            .current_dir(&ws)
            .env("PYTHONHASHSEED", "0"));

        // Prowl's local verdicts (after PAT's report, on stderr): every correlation-rule,
        // Simple Detection and inline-filter test the release ships gives its ExpectedResult,
        // except two v3.69.0 tests the release itself contradicts (see LOCAL_EXCEPTIONS).
        let local = local_verdicts(&prowl_err);
        let unexpected: Vec<&String> = local
            .failed
            .iter()
            .filter(|f| !LOCAL_EXCEPTIONS.contains(&(tag.as_str(), f.as_str())))
            .collect();
        assert!(
            unexpected.is_empty(),
            "{tag}: local verdicts failed: {unexpected:?}\n{prowl_err}"
        );
        assert!(
            local.passed >= 40 && local.correlation_rules >= 10,
            "{tag}: too few local verdicts: {}",
            local.line
        );
        let tests = prowl_out.lines().filter(|l| l.starts_with("\t[")).count();
        let summary: Vec<&str> = prowl_out
            .lines()
            .skip_while(|l| *l != "Test Summary")
            .skip(2)
            .take(4)
            .map(str::trim)
            .collect();
        report.push(format!(
            "{tag}: sync {:.1} s, {} packages, exit {prowl_code} (PAT {pat_code}), {tests} tests, {} — identical to PAT; {}",
            sync_time.as_secs_f64(),
            pins.len(),
            summary.join(", "),
            local.line
        ));
        assert_eq!(
            prowl_code, pat_code,
            "{tag}: exit codes differ\nprowl stderr:\n{prowl_err}\nPAT stderr:\n{pat_err}"
        );
        if prowl_out != pat_out {
            let (i, (a, b)) = prowl_out
                .lines()
                .zip(pat_out.lines())
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .unwrap_or((0, ("<length differs>", "")));
            panic!(
                "{tag}: Prowl's output differs from PAT's at line {}:\n  prowl: {a}\n  PAT:   {b}",
                i + 1
            );
        }
        assert!(
            prowl_out.contains("Test Summary"),
            "{tag}: no summary:\n{prowl_out}"
        );
    }
    eprintln!("{}", report.join("\n"));
}
