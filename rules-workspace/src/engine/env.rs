//! The managed Python environment of a workspace.
//!
//! Prowl embeds the CPython it was built against (`PROWL_BUILD_PYTHON`, Debian's python3.11);
//! the packages detections import live in a virtual environment made with that same
//! interpreter, one per workspace, under the user's cache directory. `sync` creates it and
//! installs from PyPI Panther's runtime (`panther-core`, pinned as panther-analysis pins it)
//! plus the workspace's own requirements (`Pipfile` `[packages]`, else `requirements.txt`, else
//! `pyproject.toml` `[project] dependencies`). A stamp records what was installed, so a synced
//! environment is used offline and re-synced only when the requirements change.

use std::path::{Path, PathBuf};
use std::process::Command;

/// panther-core as panther-analysis pins it (and PAT 1.6.3 uses).
pub const PANTHER_CORE: &str = "panther-core==0.16.2";

/// What PAT's own environment makes importable besides panther-core (PAT pins jsonpath-ng
/// 1.5.3; panther-core needs it and python-dateutil), so tests pass or fail as under PAT.
pub const BASELINE: &[&str] = &[
    "jsonpath-ng==1.5.3",
    "python-dateutil",
    "jmespath",
    "policyuniverse",
    "requests",
];

/// The interpreter Prowl was built against.
pub fn build_python() -> &'static str {
    option_env!("PROWL_BUILD_PYTHON").unwrap_or("/usr/bin/python3.11")
}

/// `sys.base_prefix` of the interpreter Prowl was built against (its standard library's home).
pub fn build_python_prefix() -> &'static str {
    option_env!("PROWL_BUILD_PYTHON_PREFIX").unwrap_or("/usr")
}

/// `major.minor` of the interpreter Prowl was built against.
pub fn build_python_version() -> &'static str {
    option_env!("PROWL_BUILD_PYTHON_VERSION").unwrap_or("3.11")
}

/// Why a workspace's Python environment cannot be used or made.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// Never created.
    #[error("the Python environment for {workspace} is missing")]
    Missing {
        /// The workspace folder.
        workspace: String,
    },
    /// Made for other requirements than the workspace's now.
    #[error("the Python environment at {path} is out of date for this workspace's requirements")]
    Stale {
        /// The environment's folder.
        path: String,
        /// The workspace folder.
        workspace: String,
    },
    /// Its interpreter does not run, or its stamp cannot be read.
    #[error("the Python environment at {path} is broken: {reason}")]
    Broken {
        /// The environment's folder.
        path: String,
        /// The workspace folder.
        workspace: String,
        /// What failed.
        reason: String,
    },
    /// `python -m venv` or pip failed.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// The end of its error output.
        detail: String,
        /// What to check.
        hint: String,
    },
    /// Reading or writing the environment's files failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

impl crate::error::UserError for EnvError {
    fn family(&self) -> &'static str {
        "env"
    }

    fn name(&self) -> &'static str {
        match self {
            EnvError::Missing { .. } => "missing",
            EnvError::Stale { .. } => "stale",
            EnvError::Broken { .. } => "broken",
            EnvError::Command { .. } => "command_failed",
            EnvError::Io { .. } => "io",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            EnvError::Missing { workspace } => Some(format!(
                "run `prowl env sync {workspace}` once (it needs network access to PyPI)"
            )),
            EnvError::Stale { workspace, .. } => Some(format!("run `prowl env sync {workspace}`")),
            EnvError::Broken { workspace, .. } => {
                Some(format!("run `prowl env sync --force {workspace}`"))
            }
            EnvError::Command { hint, .. } => Some(hint.clone()),
            EnvError::Io { .. } => None,
        }
    }
}

/// A workspace's virtual environment.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    /// The workspace it serves, canonical when it exists (its requirements files are read here).
    pub workspace: PathBuf,
    /// The virtual environment's folder (which may not exist yet).
    pub path: PathBuf,
}

impl PythonEnv {
    /// The environment's location for a workspace: `$PROWL_PYTHON_ENV` if set, else
    /// `<cache>/prowl/envs/<folder name>-<hash of the absolute path>`.
    pub fn for_workspace(workspace: &Path) -> PythonEnv {
        let workspace =
            std::fs::canonicalize(workspace).unwrap_or_else(|_| workspace.to_path_buf());
        if let Some(p) = std::env::var_os("PROWL_PYTHON_ENV") {
            return PythonEnv {
                workspace,
                path: PathBuf::from(p),
            };
        }
        PythonEnv {
            path: cache_dir().join("envs").join(workspace_key(&workspace)),
            workspace,
        }
    }

    /// The venv's interpreter (`bin/python`), used to run pip; workers embed their own CPython.
    pub fn python(&self) -> PathBuf {
        self.path.join("bin/python")
    }

    /// The venv's site-packages, which the embedded interpreter adds with `site.addsitedir`.
    pub fn site_packages(&self) -> PathBuf {
        self.path.join(format!(
            "lib/python{}/site-packages",
            build_python_version()
        ))
    }

    fn stamp_path(&self) -> PathBuf {
        self.path.join("prowl-stamp.txt")
    }

    /// What this workspace needs installed, in pip's requirement syntax (panther-core first).
    pub fn requirements(&self) -> Vec<String> {
        let mut reqs = vec![PANTHER_CORE.to_owned()];
        reqs.extend(BASELINE.iter().map(|s| s.to_string()));
        for r in workspace_requirements(&self.workspace) {
            let name = requirement_name(&r);
            if name == "panther-core" || name == "panther_core" {
                continue; // Prowl's pin wins: it is the runtime the verdicts are checked against.
            }
            if !reqs.iter().any(|have| requirement_name(have) == name) {
                reqs.push(r);
            }
        }
        reqs
    }

    fn stamp(&self) -> String {
        format!(
            "python {}\n{}\n",
            build_python_version(),
            self.requirements().join("\n")
        )
    }

    /// Checks that the environment exists, works and matches the requirements.
    pub fn check(&self) -> Result<(), EnvError> {
        let ws = self.workspace.display().to_string();
        let path = self.path.display().to_string();
        if !self.python().exists() {
            return Err(EnvError::Missing { workspace: ws });
        }
        match std::fs::read_to_string(self.stamp_path()) {
            Ok(s) if s == self.stamp() => {}
            Ok(_) => {
                return Err(EnvError::Stale {
                    path,
                    workspace: ws,
                })
            }
            Err(_) => {
                return Err(EnvError::Broken {
                    path,
                    workspace: ws,
                    reason: "it was never completely synced".into(),
                })
            }
        }
        if !self.site_packages().join("panther_core").is_dir() {
            return Err(EnvError::Broken {
                path,
                workspace: ws,
                reason: "panther_core is not installed in it".into(),
            });
        }
        Ok(())
    }

    /// Creates or updates the environment; `progress` receives one line per step.
    pub fn sync(&self, force: bool, progress: &mut dyn FnMut(&str)) -> Result<(), EnvError> {
        if !force && self.check().is_ok() {
            progress(&format!(
                "the environment at {} is up to date",
                self.path.display()
            ));
            return Ok(());
        }
        if force || !self.python().exists() {
            if self.path.exists() {
                std::fs::remove_dir_all(&self.path).map_err(|e| EnvError::Io {
                    path: self.path.display().to_string(),
                    source: e,
                })?;
            }
            progress(&format!(
                "creating a virtual environment with {} at {}",
                build_python(),
                self.path.display()
            ));
            run(
                Command::new(build_python())
                    .args(["-m", "venv"])
                    .arg(&self.path),
                "install Debian's python3.11-venv (apt-get install python3.11-venv)",
            )?;
        }
        let _ = std::fs::remove_file(self.stamp_path());
        let reqs = self.requirements();
        progress(&format!("installing from PyPI: {}", reqs.join(", ")));
        run(
            Command::new(self.python())
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "--no-input",
                    "-q",
                ])
                .args(&reqs),
            "check the network connection to PyPI and the requirement names",
        )?;
        std::fs::write(self.stamp_path(), self.stamp()).map_err(|e| EnvError::Io {
            path: self.stamp_path().display().to_string(),
            source: e,
        })?;
        progress("done");
        self.check()
    }
}

fn run(cmd: &mut Command, hint: &str) -> Result<(), EnvError> {
    let shown = format!(
        "{} {}",
        cmd.get_program().to_string_lossy(),
        cmd.get_args()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = cmd.output().map_err(|e| EnvError::Command {
        command: shown.clone(),
        detail: e.to_string(),
        hint: hint.into(),
    })?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let detail: Vec<&str> = stderr.trim_end().lines().rev().take(8).collect();
    Err(EnvError::Command {
        command: shown,
        detail: detail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        hint: hint.into(),
    })
}

/// `<folder name>-<hash of the absolute path>`: names a workspace's files in the cache.
pub fn workspace_key(workspace: &Path) -> String {
    let name = workspace
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".into());
    format!(
        "{}-{:016x}",
        sanitize(&name),
        fnv1a(workspace.to_string_lossy().as_bytes())
    )
}

/// Prowl's cache folder: `$PROWL_CACHE`, else `$XDG_CACHE_HOME/prowl`, else `~/.cache/prowl`.
pub fn cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PROWL_CACHE") {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(p).join("prowl");
    }
    PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into())).join(".cache/prowl")
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect()
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The package name of a requirement (`pkg[extra]>=1` → `pkg`), lower-cased.
fn requirement_name(req: &str) -> String {
    req.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The workspace's declared packages: Pipfile `[packages]`, else requirements.txt, else
/// pyproject.toml `[project] dependencies`.
pub fn workspace_requirements(root: &Path) -> Vec<String> {
    if let Ok(text) = std::fs::read_to_string(root.join("Pipfile")) {
        return pipfile_packages(&text);
    }
    if let Ok(text) = std::fs::read_to_string(root.join("requirements.txt")) {
        return text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty() && !l.starts_with('-'))
            .map(str::to_owned)
            .collect();
    }
    if let Ok(text) = std::fs::read_to_string(root.join("pyproject.toml")) {
        return pyproject_dependencies(&text);
    }
    Vec::new()
}

/// `[packages]` of a Pipfile: `name = "==1.0"`, `name = "*"`, `name = {version = "==1"}`.
fn pipfile_packages(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_packages = false;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.starts_with('[') {
            in_packages = line == "[packages]";
            continue;
        }
        if !in_packages || line.is_empty() {
            continue;
        }
        let Some((name, spec)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim().trim_matches('"');
        let spec = spec.trim();
        let version = if let Some(inner) = spec.strip_prefix('{') {
            inner
                .split(',')
                .find_map(|kv| {
                    kv.split_once('=')
                        .filter(|(k, _)| k.trim() == "version")
                        .map(|(_, v)| {
                            v.trim()
                                .trim_matches('}')
                                .trim()
                                .trim_matches('"')
                                .to_owned()
                        })
                })
                .unwrap_or_default()
        } else {
            spec.trim_matches('"').to_owned()
        };
        if version.is_empty() || version == "*" {
            out.push(name.to_owned());
        } else {
            out.push(format!("{name}{version}"));
        }
    }
    out
}

/// `[project] dependencies = [ "a==1", "b" ]` of a pyproject.toml (the list may span lines).
fn pyproject_dependencies(text: &str) -> Vec<String> {
    let mut in_project = false;
    let mut collecting = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.split('#').next().unwrap_or("").trim();
        if t.starts_with('[') && !collecting {
            in_project = t == "[project]";
            continue;
        }
        if in_project && !collecting && t.starts_with("dependencies") {
            collecting = true;
        }
        if collecting {
            for part in t.split(['[', ']', ',']) {
                let part = part
                    .trim()
                    .trim_start_matches("dependencies")
                    .trim()
                    .trim_start_matches('=')
                    .trim();
                let part = part.trim_matches('"').trim_matches('\'');
                if !part.is_empty() {
                    out.push(part.to_owned());
                }
            }
            if t.contains(']') {
                collecting = false;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipfile_packages_become_pip_requirements() {
        let text = "[[source]]\nurl = \"x\"\n\n[packages]\npanther-core = \"==0.16.2\"\npolicyuniverse = \"*\"\nrequests = {version = \">=2\", extras = [\"socks\"]}\n\n[dev-packages]\npytest = \"*\"\n";
        assert_eq!(
            pipfile_packages(text),
            vec!["panther-core==0.16.2", "policyuniverse", "requests>=2"]
        );
    }

    #[test]
    fn pyproject_dependencies_across_lines() {
        let text = "[project]\nname = \"x\"\ndependencies = [\n  \"jsonpath-ng==1.5.3\",\n  \"pycountry\",\n]\n[tool.x]\ndependencies = [\"no\"]\n";
        assert_eq!(
            pyproject_dependencies(text),
            vec!["jsonpath-ng==1.5.3", "pycountry"]
        );
    }

    #[test]
    fn prowls_panther_core_pin_wins_and_the_location_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("requirements.txt"),
            "panther-core==0.1\n# comment\npycountry==24.6.1\n-r other.txt\n",
        )
        .unwrap();
        let env = PythonEnv::for_workspace(dir.path());
        let reqs = env.requirements();
        assert_eq!(reqs[0], PANTHER_CORE);
        assert_eq!(reqs.len(), 2 + BASELINE.len(), "{reqs:?}");
        assert_eq!(reqs.last().map(String::as_str), Some("pycountry==24.6.1"));
        assert!(!reqs.iter().any(|r| r == "panther-core==0.1"));
        assert_eq!(env.path, PythonEnv::for_workspace(dir.path()).path);
        assert!(
            matches!(env.check(), Err(EnvError::Missing { .. }))
                || std::env::var_os("PROWL_PYTHON_ENV").is_some()
        );
    }
}
