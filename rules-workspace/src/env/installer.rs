//! The programs that make environments: `uv` (fast, one package cache shared by every
//! workspace) or, where uv cannot be had, the interpreter's own `pip`.
//!
//! Every command runs in a process group of its own, outside the workspace (so no project
//! configuration of the workspace is read: uv gets `--no-config`), with a deadline and a cancel
//! flag: past either, the whole group is killed. Output lines are handed to a callback as they
//! come (progress), and the tail of stderr is kept for the error.

use super::EnvError;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Which installer makes the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    /// uv at this path.
    Uv(PathBuf),
    /// `python -m pip` of the environment (made with `python -m venv`).
    Pip,
}

impl Installer {
    /// uv when it can be found (`$PROWL_UV`, Prowl's tool folder, then `PATH`), else pip;
    /// `PROWL_INSTALLER=pip` asks for pip. The second value says why pip is used, if it is.
    pub fn find() -> (Installer, Option<String>) {
        if std::env::var("PROWL_INSTALLER").as_deref() == Ok("pip") {
            return (
                Installer::Pip,
                Some("PROWL_INSTALLER=pip asks for pip".into()),
            );
        }
        let mut candidates: Vec<PathBuf> = Vec::new();
        if let Some(p) = std::env::var_os("PROWL_UV") {
            candidates.push(PathBuf::from(p));
        }
        candidates.push(super::cache_dir().join("tools/uv/bin/uv"));
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path).map(|d| d.join("uv")));
        }
        for c in candidates {
            if is_executable(&c) {
                return (Installer::Uv(c), None);
            }
        }
        (
            Installer::Pip,
            Some(
                "uv was not found (install it with `pip install uv`, or run the setup script); pip is slower"
                    .into(),
            ),
        )
    }

    /// `uv 0.13.9` / `pip 24.0`: what made an environment, for its manifest. pip's version is
    /// read from its metadata in the environment's `site_packages`, never by running the
    /// environment's Python: a package just installed there may ship a `.pth` file, which
    /// Python runs at start-up, and workspace packages run only in the sandbox.
    pub fn describe(&self, site_packages: &Path) -> String {
        match self {
            Installer::Uv(uv) => Command::new(uv)
                .arg("--version")
                .output()
                .ok()
                .and_then(|o| String::from_utf8(o.stdout).ok())
                .and_then(|s| {
                    let mut words = s.split_whitespace();
                    Some(format!("{} {}", words.next()?, words.next()?))
                })
                .unwrap_or_else(|| "uv".into()),
            Installer::Pip => super::manifest::distributions(site_packages)
                .into_iter()
                .find(|d| d.name == "pip")
                .map_or_else(|| "pip".into(), |d| format!("pip {}", d.version)),
        }
    }

    /// Creates an empty virtual environment at `dir` with `python`.
    pub fn create(&self, python: &str, dir: &Path, run: &mut Runner) -> Result<(), EnvError> {
        match self {
            Installer::Uv(uv) => run.run(
                Command::new(uv)
                    .args(["venv", "--no-config", "--quiet", "--python", python])
                    .arg(dir),
                "creating the environment",
            ),
            Installer::Pip => run.run(
                Command::new(python).args(["-m", "venv"]).arg(dir),
                "creating the environment (install Debian's python3.11-venv if this fails)",
            ),
        }
        .map(|_| ())
    }

    /// `pip install`-style arguments, shared by every install step.
    fn install(&self, env_python: &Path, index: Option<&str>) -> Command {
        let mut cmd = match self {
            Installer::Uv(uv) => {
                let mut c = Command::new(uv);
                c.args(["pip", "install", "--no-config", "--python"])
                    .arg(env_python);
                if let Some(i) = index {
                    c.args(["--default-index", i]);
                }
                c
            }
            Installer::Pip => {
                let mut c = Command::new(env_python);
                c.args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-input",
                ]);
                if let Some(i) = index {
                    c.args(["--index-url", i]);
                }
                c
            }
        };
        cmd.env("PYTHONDONTWRITEBYTECODE", "1");
        cmd
    }

    /// Installs `requirements` without their dependencies, building them from source when
    /// they have no wheel: only for packages the user (or Prowl's defaults) allowed by name.
    pub fn build_allowed(
        &self,
        env_python: &Path,
        index: Option<&str>,
        requirements: &[String],
        run: &mut Runner,
    ) -> Result<(), EnvError> {
        if requirements.is_empty() {
            return Ok(());
        }
        let mut cmd = self.install(env_python, index);
        cmd.arg("--no-deps").args(requirements);
        run.run(
            &mut cmd,
            "building the packages allowed to build from source",
        )
        .map(|_| ())
    }

    /// What installing `requirements_file` (with `constraints_file`) from wheels only would
    /// install: `(name, version)` pairs, nothing installed.
    pub fn dry_run(
        &self,
        env_python: &Path,
        index: Option<&str>,
        requirements_file: &Path,
        constraints_file: &Path,
        run: &mut Runner,
    ) -> Result<Vec<(String, String)>, EnvError> {
        let mut cmd = self.install(env_python, index);
        cmd.args(["--only-binary", ":all:", "--dry-run", "-r"])
            .arg(requirements_file)
            .arg("-c")
            .arg(constraints_file);
        match self {
            Installer::Uv(_) => {
                let out = run.run(&mut cmd, "resolving")?;
                Ok(out
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("+ "))
                    .filter_map(|l| l.split_once("=="))
                    .map(|(n, v)| (super::requirements::normalise(n), v.trim().to_owned()))
                    .collect())
            }
            Installer::Pip => {
                let report = tempfile::NamedTempFile::new().map_err(|e| EnvError::Io {
                    path: std::env::temp_dir().display().to_string(),
                    source: e,
                })?;
                cmd.arg("--quiet").arg("--report").arg(report.path());
                run.run(&mut cmd, "resolving")?;
                let text = std::fs::read_to_string(report.path()).unwrap_or_default();
                let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                Ok(doc["install"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| {
                        let m = &i["metadata"];
                        Some((
                            super::requirements::normalise(m["name"].as_str()?),
                            m["version"].as_str()?.to_owned(),
                        ))
                    })
                    .collect())
            }
        }
    }

    /// Installs `requirements_file` with `constraints_file`, from wheels only.
    pub fn install_wheels(
        &self,
        env_python: &Path,
        index: Option<&str>,
        requirements_file: &Path,
        constraints_file: &Path,
        run: &mut Runner,
    ) -> Result<(), EnvError> {
        let mut cmd = self.install(env_python, index);
        cmd.args(["--only-binary", ":all:", "-r"])
            .arg(requirements_file)
            .arg("-c")
            .arg(constraints_file);
        run.run(&mut cmd, "installing").map(|_| ())
    }

    /// Installs exactly `requirements` from a folder of wheels, without the network.
    pub fn install_from_wheelhouse(
        &self,
        env_python: &Path,
        wheelhouse: &Path,
        requirements: &[String],
        run: &mut Runner,
    ) -> Result<(), EnvError> {
        let mut cmd = match self {
            Installer::Uv(uv) => {
                let mut c = Command::new(uv);
                c.args(["pip", "install", "--no-config", "--offline", "--python"])
                    .arg(env_python);
                c
            }
            Installer::Pip => {
                let mut c = Command::new(env_python);
                c.args(["-m", "pip", "install", "--disable-pip-version-check"]);
                c
            }
        };
        cmd.args([
            "--no-index",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--find-links",
        ])
        .arg(wheelhouse)
        .args(requirements);
        run.run(&mut cmd, "installing from the wheelhouse")
            .map(|_| ())
    }
}

/// The installer lines worth showing as progress (uv's and pip's summaries and per-package
/// steps), trimmed; the rest (resolver chatter, `+ name==version` lists) is kept for errors only.
fn progress_line(line: &str) -> Option<&str> {
    let t = line.trim();
    const SHOWN: &[&str] = &[
        "Resolved ",
        "Prepared ",
        "Installed ",
        "Uninstalled ",
        "Downloading ",
        "Downloaded ",
        "Building ",
        "Built ",
        "Collecting ",
        "Installing collected",
        "Successfully ",
    ];
    SHOWN.iter().any(|p| t.starts_with(p)).then_some(t)
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Runs installer commands with one deadline for the whole sync, a cancel flag, and a progress
/// callback that sees every output line.
pub struct Runner<'a> {
    /// When the whole sync must be over.
    pub deadline: Instant,
    /// The time limit, for messages.
    pub limit: Duration,
    /// Set by another thread (Ctrl+C, the window's cancel) to stop.
    pub cancel: Option<&'a AtomicBool>,
    /// Every output line, as it comes.
    pub progress: &'a mut dyn FnMut(&str),
    /// The folder commands run in (never the workspace).
    pub cwd: PathBuf,
}

impl Runner<'_> {
    /// Runs `cmd`; on success, everything it printed (stdout and stderr lines, as they came;
    /// uv prints its lists on stderr), else a clear error (the tail of its stderr in it).
    pub fn run(&mut self, cmd: &mut Command, step: &str) -> Result<String, EnvError> {
        use std::os::unix::process::CommandExt;
        let shown = format!(
            "{} {}",
            cmd.get_program().to_string_lossy(),
            cmd.get_args()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" ")
        );
        cmd.current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd.spawn().map_err(|e| EnvError::Command {
            command: shown.clone(),
            detail: e.to_string(),
            hint: format!("{step}: the program could not be started"),
        })?;
        let (tx, rx) = mpsc::channel::<(bool, String)>();
        let readers: Vec<_> = [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| s.map(|s| (i == 0, s)))
        .map(|(is_stdout, s)| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(s).lines() {
                    let Ok(line) = line else { break };
                    if tx.send((is_stdout, line)).is_err() {
                        break;
                    }
                }
            })
        })
        .collect();
        drop(tx);
        let (mut all, mut stderr) = (String::new(), Vec::<String>::new());
        let pid = child.id() as i32;
        let stopped = loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok((is_stdout, line)) => {
                    if let Some(shown) = progress_line(&line) {
                        (self.progress)(shown);
                    }
                    if all.len() < 16 * 1024 * 1024 {
                        all.push_str(&line);
                        all.push('\n');
                    }
                    if !is_stdout {
                        stderr.push(line);
                        if stderr.len() > 200 {
                            stderr.remove(0);
                        }
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break None,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if self.cancel.is_some_and(|c| c.load(Ordering::SeqCst)) {
                break Some(EnvError::Cancelled);
            }
            if Instant::now() > self.deadline {
                break Some(EnvError::TimedOut {
                    seconds: self.limit.as_secs(),
                    step: step.to_owned(),
                });
            }
        };
        if let Some(err) = stopped {
            // SAFETY: kills the process group this command leads (made with process_group(0)).
            unsafe {
                libc::killpg(pid, libc::SIGKILL);
            }
            let _ = child.wait();
            return Err(err);
        }
        for r in readers {
            let _ = r.join();
        }
        let status = child.wait().map_err(|e| EnvError::Command {
            command: shown.clone(),
            detail: e.to_string(),
            hint: step.to_owned(),
        })?;
        if status.success() {
            return Ok(all);
        }
        Err(EnvError::Command {
            command: shown,
            detail: stderr
                .iter()
                .rev()
                .take(12)
                .rev()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n"),
            hint: step.to_owned(),
        })
    }
}
