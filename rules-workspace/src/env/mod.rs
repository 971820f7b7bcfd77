//! The managed Python environment of a workspace: what detections import, installed so that it
//! works on every panther-analysis release, fast, and without installing anything a workspace
//! smuggles in.
//!
//! - What is installed: Prowl's runtime (panther-core as Prowl pins it, and what PAT's own
//!   environment makes importable) plus the workspace's requirements ([`requirements`]: plain
//!   PEP 508 only; tools such as PAT left out; lock files honoured as constraints).
//! - How: with uv where it can be found, else pip ([`installer`]); from wheels only, except the
//!   packages allowed by name to build from source (Panther's own source-only packages by
//!   default, others with `--allow-build`). The exact list of packages and versions is resolved
//!   first and shown for approval when the workspace asks for packages of its own.
//! - Never in the way: a sync builds a new environment beside the current one and switches a
//!   symbolic link to it at the end, so a failed, cancelled, timed-out or killed sync leaves the
//!   previous environment working; syncs of one environment are serialised by a lock file that
//!   nothing else takes; the whole sync has a time limit.
//! - Inspectable: each environment keeps a [`manifest::Manifest`] (every package with its
//!   version and why it is there, what was left out, when it was synced).
//!
//! Layout: `<cache>/envs/<workspace key>` is a link to `<key>.g<N>`, the current generation;
//! the previous generation is kept (running workers may still read it), older ones removed.

pub mod installer;
pub mod manifest;
pub mod requirements;
pub mod wheelhouse;

use installer::{Installer, Runner};
use manifest::{InstalledPackage, Manifest, Reason};
use requirements::{LeftOut, Origin, Refused, WorkspaceRequirements};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// Packages Prowl's runtime fixes: panther-core as panther-analysis pins it (and PAT 1.6.3
/// uses), and jsonpath-ng as PAT pins it. A workspace's other pin of these is left out.
pub const RUNTIME_PINS: &[(&str, &str)] = &[("panther-core", "0.16.2"), ("jsonpath-ng", "1.5.3")];

/// What PAT's environment makes importable besides the pins and detections import, so tests
/// pass or fail as under PAT even though PAT itself is left out: panther-core's own needs,
/// policyuniverse and requests, and boto3 (with botocore), which PAT depends on and
/// panther-analysis's AWS helpers import. The ranges are PAT 1.6.3's own requirements (the
/// versions PAT's environment has, and a resolver that need not walk every boto3 release). A
/// workspace's own requirement of one of these is used instead.
pub const BASELINE: &[(&str, &str)] = &[
    ("python-dateutil", ">=2.9.0.post0,<2.10.0"),
    ("jmespath", ">=1.0.1,<1.1.0"),
    ("policyuniverse", ">=1.5.1.20230817,<1.5.2.0"),
    ("requests", ">=2.33.1,<2.34.0"),
    ("boto3", ">=1.42.7,<1.43.0"),
];

/// Packages allowed to build from source without being named: Panther's own packages, which
/// Panther publishes only as source distributions (the runtime Prowl runs anyway).
pub const BUILD_ALLOWED_BY_DEFAULT: &[&str] = &["panther-core", "panther-detection-helpers"];

/// The time a sync may take by default (`PROWL_ENV_TIMEOUT` seconds, or `--timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

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
    /// Its record cannot be read.
    #[error("the Python environment at {path} is broken: {reason}")]
    Broken {
        /// The environment's folder.
        path: String,
        /// The workspace folder.
        workspace: String,
        /// What failed.
        reason: String,
    },
    /// The workspace's requirement files ask for something in a form Prowl does not install.
    #[error("{} requirement(s) refused, nothing was installed:\n{}", .0.len(), refused_lines(.0))]
    Refused(Vec<Refused>),
    /// A package has no wheel and is not allowed to build from source.
    #[error("`{package}` is published only as source code, and building it would run its setup code{}", asked_at(.origin))]
    SourceBuild {
        /// The package.
        package: String,
        /// Where the workspace asks for it, if it does.
        origin: Option<Origin>,
    },
    /// The workspace's requirements cannot be installed together with Prowl's runtime.
    #[error("the workspace's requirements cannot be installed together with Prowl's runtime (panther-core=={core}): {summary}{}", conflict_places(.places))]
    Conflict {
        /// Prowl's panther-core.
        core: String,
        /// The resolver's one-line reason.
        summary: String,
        /// The workspace's requirements it names.
        places: Vec<(String, Origin)>,
    },
    /// The package index cannot be reached and nothing is cached.
    #[error("cannot reach the package index to install {what}: {detail}")]
    Offline {
        /// What was to be installed.
        what: String,
        /// The installer's words.
        detail: String,
    },
    /// The user did not approve the packages to install.
    #[error("the installation of {count} package(s) was not approved; nothing was installed")]
    NotApproved {
        /// How many packages were listed.
        count: usize,
    },
    /// The sync was stopped (Ctrl+C, the window's cancel).
    #[error("the environment sync was cancelled; the previous environment is unchanged")]
    Cancelled,
    /// The sync took longer than its time limit.
    #[error("the environment sync took more than {seconds} s ({step}) and was stopped; the previous environment is unchanged")]
    TimedOut {
        /// The limit.
        seconds: u64,
        /// What it was doing.
        step: String,
    },
    /// The installer failed.
    #[error("`{command}` failed: {detail}")]
    Command {
        /// The command line.
        command: String,
        /// The end of its error output.
        detail: String,
        /// What it was doing.
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

fn refused_lines(items: &[Refused]) -> String {
    items
        .iter()
        .map(|r| format!("  {}: `{}`: {}", r.origin, r.text, r.why))
        .collect::<Vec<_>>()
        .join("\n")
}

fn asked_at(origin: &Option<Origin>) -> String {
    origin
        .as_ref()
        .map(|o| format!(" (asked for at {o})"))
        .unwrap_or_default()
}

fn conflict_places(places: &[(String, Origin)]) -> String {
    if places.is_empty() {
        return String::new();
    }
    let list: Vec<String> = places.iter().map(|(n, o)| format!("{n} ({o})")).collect();
    format!("; the workspace asks for {}", list.join(", "))
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
            EnvError::Refused(_) => "refused",
            EnvError::SourceBuild { .. } => "source_build",
            EnvError::Conflict { .. } => "conflict",
            EnvError::Offline { .. } => "offline",
            EnvError::NotApproved { .. } => "not_approved",
            EnvError::Cancelled => "cancelled",
            EnvError::TimedOut { .. } => "timed_out",
            EnvError::Command { .. } => "command_failed",
            EnvError::Io { .. } => "io",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            EnvError::Missing { workspace } => format!(
                "run `prowl env sync {workspace}` once (it needs the package index), or `prowl env import` a wheelhouse made with `prowl env export` on a connected machine"
            ),
            EnvError::Stale { workspace, .. } => format!("run `prowl env sync {workspace}`"),
            EnvError::Broken { workspace, .. } => {
                format!("run `prowl env sync --force {workspace}`")
            }
            EnvError::Refused(items) => items
                .first()
                .map(|r| r.hint.clone())
                .unwrap_or_default(),
            EnvError::SourceBuild { package, .. } => format!(
                "if you trust it, allow it by name: `prowl env sync --allow-build {package}` (or PROWL_ALLOW_BUILD={package})"
            ),
            EnvError::Conflict { .. } => {
                "change the named requirements to versions panther-core 0.16.2 accepts, or remove them".into()
            }
            EnvError::Offline { .. } => "connect to the package index and run `prowl env sync`, or make a wheelhouse with `prowl env export` on a connected machine and `prowl env import` it here".into(),
            EnvError::NotApproved { .. } => {
                "review the list, then run again and approve it (`--yes` in scripts and CI)".into()
            }
            EnvError::Cancelled => return None,
            EnvError::TimedOut { .. } => {
                "raise the limit with --timeout SECONDS (or PROWL_ENV_TIMEOUT), or check the network".into()
            }
            EnvError::Command { hint, .. } => hint.clone(),
            EnvError::Io { .. } => return None,
        })
    }

    fn location(&self) -> Option<crate::error::Location> {
        let origin = match self {
            EnvError::Refused(items) => Some(&items.first()?.origin),
            EnvError::SourceBuild { origin, .. } => origin.as_ref(),
            EnvError::Conflict { places, .. } => places.first().map(|(_, o)| o),
            _ => None,
        }?;
        Some(crate::error::Location {
            file: Some(origin.file.clone()),
            line: Some(origin.line),
            column: None,
        })
    }
}

/// A package a sync is about to install, as shown for approval.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct PlannedPackage {
    /// The normalised name.
    pub name: String,
    /// The version that will be installed.
    pub version: String,
    /// Built from source (allowed by name) rather than installed from a wheel.
    pub from_source: bool,
}

/// What a sync asks the user to approve.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct Approval {
    /// The workspace.
    pub workspace: String,
    /// Every package that will be installed, exactly.
    pub packages: Vec<PlannedPackage>,
    /// What the workspace itself asks for, with the places.
    pub asked: Vec<(String, Origin)>,
}

/// How to sync.
pub struct SyncOptions<'a> {
    /// Rebuild even when the environment is up to date.
    pub force: bool,
    /// More packages allowed to build from source, by name.
    pub allow_builds: Vec<String>,
    /// The whole sync's time limit.
    pub timeout: Duration,
    /// Set from another thread to stop.
    pub cancel: Option<&'a AtomicBool>,
    /// Progress lines (steps and what the installer prints).
    pub progress: &'a mut dyn FnMut(&str),
    /// Asked, with the exact list, before the workspace's own packages are installed; `false`
    /// stops the sync with nothing installed. Not asked when the workspace asks for nothing.
    pub approve: &'a mut dyn FnMut(&Approval) -> bool,
}

impl SyncOptions<'_> {
    /// The time limit from `PROWL_ENV_TIMEOUT` (seconds), else [`DEFAULT_TIMEOUT`].
    pub fn default_timeout() -> Duration {
        std::env::var("PROWL_ENV_TIMEOUT")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|s| *s > 0.0)
            .map(Duration::from_secs_f64)
            .unwrap_or(DEFAULT_TIMEOUT)
    }

    /// Names from `PROWL_ALLOW_BUILD` (comma-separated).
    pub fn allow_builds_from_env() -> Vec<String> {
        std::env::var("PROWL_ALLOW_BUILD")
            .map(|v| {
                v.split(',')
                    .map(|s| requirements::normalise(s.trim()))
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A workspace's environment.
#[derive(Debug, Clone)]
pub struct PythonEnv {
    /// The workspace (canonical).
    pub workspace: PathBuf,
    /// The environment: a link to its current generation.
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

    /// The environment's interpreter (used by pip); workers embed their own CPython.
    pub fn python(&self) -> PathBuf {
        self.path.join("bin/python")
    }

    /// The environment's site-packages, which the embedded interpreter adds with
    /// `site.addsitedir`.
    pub fn site_packages(&self) -> PathBuf {
        site_packages_of(&self.path)
    }

    /// The current generation's record, if it has one.
    pub fn manifest(&self) -> Option<Manifest> {
        Manifest::read(&self.path)
    }

    /// What decides the environment's content now: the interpreter and the plan (Prowl's
    /// runtime merged with the workspace's requirements, the lock's pins). Workspaces whose
    /// plans are the same share a fingerprint (the fixtures share one test environment).
    pub fn fingerprint(&self) -> String {
        fingerprint_of(self.plan(&[]).ok().as_ref())
    }

    /// Checks that the environment exists and was made for the workspace's requirements now.
    pub fn check(&self) -> Result<(), EnvError> {
        let ws = self.workspace.display().to_string();
        let path = self.path.display().to_string();
        if !self.path.exists() {
            return Err(EnvError::Missing { workspace: ws });
        }
        let Some(manifest) = self.manifest() else {
            // An environment of an earlier Prowl (no manifest) is brought up to date.
            return Err(EnvError::Stale {
                path,
                workspace: ws,
            });
        };
        if manifest.python != build_python_version() || manifest.fingerprint != self.fingerprint() {
            return Err(EnvError::Stale {
                path,
                workspace: ws,
            });
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

    /// Whether an environment exists that workers could use, even if out of date.
    pub fn usable(&self) -> bool {
        self.site_packages().join("panther_core").is_dir()
    }

    /// What a sync would install, before anything runs: Prowl's runtime and the workspace's
    /// requirements merged, the lock's pins as constraints, and what is left out and why.
    pub fn plan(&self, allow_builds: &[String]) -> Result<SyncPlan, EnvError> {
        plan(requirements::read(&self.workspace), allow_builds)
    }

    /// Creates or updates the environment (see the module documentation). Returns the new
    /// manifest, or the current one when it is up to date.
    pub fn sync(&self, options: SyncOptions) -> Result<Manifest, EnvError> {
        let SyncOptions {
            force,
            allow_builds,
            timeout,
            cancel,
            progress,
            approve,
        } = options;
        let _lock = SyncLock::acquire(&self.path, progress)?;
        if !force && self.check().is_ok() {
            progress(&format!(
                "the environment at {} is up to date",
                self.path.display()
            ));
            return self.manifest().ok_or_else(|| EnvError::Broken {
                path: self.path.display().to_string(),
                workspace: self.workspace.display().to_string(),
                reason: "its record disappeared".into(),
            });
        }
        let plan = self.plan(&allow_builds)?;
        for l in &plan.left_out {
            progress(&format!("left out {} ({}): {}", l.name, l.origin, l.why));
        }
        for n in &plan.notes {
            progress(n);
        }
        let (installer, why_pip) = Installer::find();
        if let Some(why) = why_pip {
            progress(&format!("using pip: {why}"));
        }
        let generation = new_generation(&self.path)?;
        let mut cleanup = RemoveOnDrop(Some(generation.clone()));
        let cwd = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir);
        let mut runner = Runner {
            deadline: Instant::now() + timeout,
            limit: timeout,
            cancel,
            progress,
            cwd,
        };
        let manifest = build(
            &installer,
            &generation,
            &plan,
            &self.workspace,
            fingerprint_of(Some(&plan)),
            &mut runner,
            approve,
        )?;
        switch_to(&self.path, &generation)?;
        cleanup.0 = None;
        prune_generations(&self.path);
        (runner.progress)(&format!(
            "installed {} packages with {} into {}",
            manifest.packages.len(),
            manifest.installer,
            generation.display()
        ));
        Ok(manifest)
    }
}

fn fingerprint_of(plan: Option<&SyncPlan>) -> String {
    let mut data = format!("python {}\n", build_python_version());
    match plan {
        Some(plan) => {
            for (line, _) in &plan.direct {
                data.push_str(line);
                data.push('\n');
            }
            data.push_str("--constraints\n");
            for line in &plan.constraints {
                data.push_str(line);
                data.push('\n');
            }
        }
        None => data.push_str("(requirements that cannot be read)"),
    }
    format!("{:016x}", fnv1a(data.as_bytes()))
}

fn site_packages_of(dir: &Path) -> PathBuf {
    dir.join(format!(
        "lib/python{}/site-packages",
        build_python_version()
    ))
}

/// What a sync installs, decided before anything runs.
#[derive(Debug, Clone)]
pub struct SyncPlan {
    /// Where the workspace's requirements come from.
    pub source: Option<String>,
    /// Requirement lines to install, with why each is there.
    pub direct: Vec<(String, Reason)>,
    /// `name==version` constraint lines from the lock.
    pub constraints: Vec<String>,
    /// Requirement lines that may build from source (installed first, without dependencies).
    pub build_first: Vec<String>,
    /// What is not installed, and why.
    pub left_out: Vec<LeftOut>,
    /// Notes for the user.
    pub notes: Vec<String>,
    /// What the workspace itself asks for (approval is needed when there is any).
    pub asked: Vec<(String, Origin)>,
}

/// Merges Prowl's runtime with the workspace's requirements.
pub fn plan(reqs: WorkspaceRequirements, allow_builds: &[String]) -> Result<SyncPlan, EnvError> {
    if !reqs.refused.is_empty() {
        return Err(EnvError::Refused(reqs.refused));
    }
    let mut notes: Vec<String> = reqs
        .ignored
        .iter()
        .map(|(file, why)| format!("{file} is not read: {why}"))
        .collect();
    let mut left_out = reqs.left_out.clone();
    let mut direct: Vec<(String, Reason)> = RUNTIME_PINS
        .iter()
        .map(|(n, v)| (format!("{n}=={v}"), Reason::Runtime))
        .collect();
    let mut asked = Vec::new();
    let mut baseline: Vec<(&str, &str)> = BASELINE.to_vec();
    for a in &reqs.asked {
        let name = a.name();
        if let Some((_, pinned)) = RUNTIME_PINS.iter().find(|(n, _)| *n == name) {
            let accepts = match &a.requirement.version_or_url {
                Some(pep508_rs::VersionOrUrl::VersionSpecifier(spec)) => {
                    pep440_version(pinned).is_some_and(|v| spec.contains(&v))
                }
                _ => true,
            };
            if !accepts {
                left_out.push(LeftOut {
                    name: name.clone(),
                    origin: a.origin.clone(),
                    why: format!(
                        "Prowl runs {name}=={pinned} (the runtime its verdicts are checked against); the workspace asks for `{}`",
                        a.requirement
                    ),
                });
            }
            continue;
        }
        baseline.retain(|(b, _)| *b != name);
        asked.push((name, a.origin.clone()));
        direct.push((
            a.requirement.to_string(),
            Reason::Asked {
                origin: a.origin.clone(),
            },
        ));
    }
    direct.extend(
        baseline
            .iter()
            .map(|(name, range)| (format!("{name}{range}"), Reason::Runtime)),
    );
    // Lock pins: not for what Prowl fixes, and not where the lock contradicts the file it
    // locks (a stale lock): the requirement file wins there.
    let mut constraints = Vec::new();
    for pin in &reqs.pins {
        if let Some((n, v)) = RUNTIME_PINS.iter().find(|(n, _)| *n == pin.name) {
            if pin.version != *v {
                notes.push(format!(
                    "{} pins {n}=={}; Prowl runs {n}=={v} (the runtime its verdicts are checked against), so the lock's pin is not used",
                    pin.origin, pin.version
                ));
            }
            continue;
        }
        let contradicts = reqs
            .asked
            .iter()
            .find(|a| a.name() == pin.name)
            .and_then(|a| {
                let Some(pep508_rs::VersionOrUrl::VersionSpecifier(spec)) =
                    &a.requirement.version_or_url
                else {
                    return None;
                };
                let v = pep440_version(&pin.version)?;
                (!spec.contains(&v)).then(|| (a, spec.to_string()))
            });
        if let Some((a, spec)) = contradicts {
            notes.push(format!(
                "{} pins {}=={} but {} asks for `{}`: the lock is out of date there, so {} is used",
                pin.origin, pin.name, pin.version, a.origin, spec, a.origin.file
            ));
            continue;
        }
        // Outside the range of PAT's environment that Prowl's runtime uses (an older release's
        // lock pins an older boto3): Prowl's range wins, as it does for PAT's own users.
        let baseline_range = direct.iter().find_map(|(line, reason)| {
            (matches!(reason, Reason::Runtime) && requirement_name(line) == pin.name)
                .then_some(line)
        });
        if let Some(line) = baseline_range {
            let requirement = pep508_rs::Requirement::<pep508_rs::VerbatimUrl>::from_str(line).ok();
            let outside = requirement
                .and_then(|r| match r.version_or_url {
                    Some(pep508_rs::VersionOrUrl::VersionSpecifier(spec)) => Some(spec),
                    _ => None,
                })
                .zip(pep440_version(&pin.version))
                .is_some_and(|(spec, v)| !spec.contains(&v));
            if outside {
                notes.push(format!(
                    "{} pins {}=={}, outside the range Prowl's runtime uses (`{line}`, as PAT 1.6.3's environment has it), so the lock's pin is not used",
                    pin.origin, pin.name, pin.version
                ));
                continue;
            }
        }
        if reqs.left_out.iter().any(|l| l.name == pin.name) {
            continue;
        }
        constraints.push(format!("{}=={}", pin.name, pin.version));
    }
    let allowed: Vec<String> = BUILD_ALLOWED_BY_DEFAULT
        .iter()
        .map(|s| (*s).to_owned())
        .chain(allow_builds.iter().map(|s| requirements::normalise(s)))
        .collect();
    let build_first = direct
        .iter()
        .filter(|(line, _)| allowed.contains(&requirement_name(line)))
        .map(|(line, _)| line.clone())
        .collect();
    Ok(SyncPlan {
        source: reqs.source,
        direct,
        constraints,
        build_first,
        left_out,
        notes,
        asked,
    })
}

fn pep440_version(v: &str) -> Option<pep508_rs::pep440_rs::Version> {
    v.parse().ok()
}

/// Makes the environment in `generation` (an empty folder of Prowl's), following `plan`.
fn build(
    installer: &Installer,
    generation: &Path,
    plan: &SyncPlan,
    workspace: &Path,
    fingerprint: String,
    run: &mut Runner,
    approve: &mut dyn FnMut(&Approval) -> bool,
) -> Result<Manifest, EnvError> {
    let index = std::env::var("PROWL_INDEX_URL")
        .ok()
        .filter(|s| !s.is_empty());
    let index = index.as_deref();
    (run.progress)("creating the environment");
    installer.create(build_python(), generation, run)?;
    let python = generation.join("bin/python");
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| EnvError::Io { path, source }
    };
    let req_file = generation.join("prowl-requirements.txt");
    let con_file = generation.join("prowl-constraints.txt");
    let lines: Vec<&str> = plan.direct.iter().map(|(l, _)| l.as_str()).collect();
    std::fs::write(&req_file, lines.join("\n") + "\n").map_err(io(&req_file))?;
    std::fs::write(&con_file, plan.constraints.join("\n") + "\n").map_err(io(&con_file))?;
    if !plan.build_first.is_empty() {
        (run.progress)(&format!(
            "building from source (allowed by name): {}",
            plan.build_first.join(", ")
        ));
        installer
            .build_allowed(&python, index, &plan.build_first, run)
            .map_err(|e| explain(e, plan, "the packages allowed to build from source"))?;
    }
    (run.progress)("resolving");
    let mut constraints_used = true;
    let resolved = match installer.dry_run(&python, index, &req_file, &con_file, run) {
        Ok(r) => r,
        Err(EnvError::Command { detail, .. })
            if !plan.constraints.is_empty() && is_resolution(&detail) && !is_network(&detail) =>
        {
            // The lock's pins cannot all be used with Prowl's runtime: resolve without them.
            (run.progress)(&format!(
                "the lock's pins cannot be used with Prowl's runtime ({}); resolving without the lock",
                resolution_summary(&detail)
            ));
            std::fs::write(&con_file, "").map_err(io(&con_file))?;
            constraints_used = false;
            installer
                .dry_run(&python, index, &req_file, &con_file, run)
                .map_err(|e| explain(e, plan, "the workspace's requirements"))?
        }
        Err(e) => return Err(explain(e, plan, "the workspace's requirements")),
    };
    let first: Vec<String> = plan
        .build_first
        .iter()
        .map(|l| requirement_name(l))
        .collect();
    let built: Vec<String> = manifest::distributions(&site_packages_of(generation))
        .into_iter()
        .map(|d| d.name)
        .filter(|n| first.contains(n))
        .collect();
    let mut packages: Vec<PlannedPackage> = resolved
        .iter()
        .map(|(n, v)| PlannedPackage {
            name: n.clone(),
            version: v.clone(),
            from_source: false,
        })
        .collect();
    for d in manifest::distributions(&site_packages_of(generation)) {
        if built.contains(&d.name) && !packages.iter().any(|p| p.name == d.name) {
            packages.push(PlannedPackage {
                name: d.name,
                version: d.version,
                from_source: true,
            });
        }
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    if !plan.asked.is_empty() {
        let approval = Approval {
            workspace: workspace.display().to_string(),
            packages: packages.clone(),
            asked: plan.asked.clone(),
        };
        if !approve(&approval) {
            return Err(EnvError::NotApproved {
                count: packages.len(),
            });
        }
    }
    (run.progress)(&format!("installing {} packages", resolved.len()));
    installer
        .install_wheels(&python, index, &req_file, &con_file, run)
        .map_err(|e| explain(e, plan, "the workspace's requirements"))?;
    let mut notes = plan.notes.clone();
    if !constraints_used {
        notes.push("the lock file's pins could not be used together with Prowl's runtime; versions were resolved without it".into());
    }
    let dists = manifest::distributions(&site_packages_of(generation));
    let by = manifest::required_by(&dists);
    let packages = dists
        .iter()
        .filter(|d| {
            !matches!(d.name.as_str(), "pip" | "setuptools" | "wheel")
                || plan_names(plan).contains(&d.name)
        })
        .map(|d| InstalledPackage {
            name: d.name.clone(),
            version: d.version.clone(),
            reason: reason_for(&d.name, plan, &by),
            built_from_source: built.contains(&d.name),
        })
        .collect();
    let manifest = Manifest {
        python: build_python_version().to_owned(),
        fingerprint,
        installer: installer.describe(&site_packages_of(generation)),
        synced_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        source: plan.source.clone(),
        packages,
        left_out: plan.left_out.clone(),
        notes,
    };
    manifest.write(generation).map_err(io(generation))?;
    Ok(manifest)
}

/// The normalised package name at the start of a requirement line.
fn requirement_name(line: &str) -> String {
    requirements::normalise(
        line.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .next()
            .unwrap_or(""),
    )
}

fn plan_names(plan: &SyncPlan) -> Vec<String> {
    plan.direct
        .iter()
        .map(|(l, _)| requirement_name(l))
        .collect()
}

fn reason_for(
    name: &str,
    plan: &SyncPlan,
    by: &std::collections::BTreeMap<String, Vec<String>>,
) -> Reason {
    let names = plan_names(plan);
    if let Some(i) = names.iter().position(|n| n == name) {
        return plan.direct[i].1.clone();
    }
    Reason::Dependency {
        of: by.get(name).cloned().unwrap_or_default(),
    }
}

fn is_resolution(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    d.contains("no solution found")
        || d.contains("resolutionimpossible")
        || d.contains("conflicting dependencies")
        || d.contains("unsatisfiable")
}

/// The installer could not reach the index (uv and pip say it in these words, also when the
/// resolver then reports the missing packages as unsatisfiable).
fn is_network(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    [
        "failed to fetch",
        "network was disabled",
        "network connectivity is disabled",
        "connection refused",
        "error sending request",
        "dns error",
        "could not connect",
        "no such host",
        "name or service not known",
        "temporary failure in name resolution",
        "max retries exceeded",
        "newconnectionerror",
        "failed to establish a new connection",
    ]
    .iter()
    .any(|w| d.contains(w))
}

/// The resolver's reason in one line (never its whole log).
fn resolution_summary(detail: &str) -> String {
    detail
        .lines()
        .map(str::trim)
        .find(|l| {
            l.starts_with("cause:")
                || l.starts_with("╰─▶")
                || l.contains("Because")
                || l.contains("conflict")
        })
        .or_else(|| detail.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("the resolver found no solution")
        .trim_start_matches("cause:")
        .trim_start_matches("╰─▶")
        .trim()
        .chars()
        .take(300)
        .collect()
}

/// Turns an installer failure into what the user can act on.
fn explain(e: EnvError, plan: &SyncPlan, what: &str) -> EnvError {
    let EnvError::Command {
        detail,
        command,
        hint,
    } = e
    else {
        return e;
    };
    let lower = detail.to_ascii_lowercase();
    // A package needing a source build it is not allowed.
    if lower.contains("no usable wheels")
        || lower.contains("building from source is disabled")
        || lower.contains("no matching distribution found") && detail.contains("--only-binary")
    {
        let package = source_only_package(&detail)
            .or_else(|| plan.asked.first().map(|(n, _)| n.clone()))
            .unwrap_or_default();
        let origin = plan
            .asked
            .iter()
            .find(|(n, _)| *n == package)
            .map(|(_, o)| o.clone());
        return EnvError::SourceBuild { package, origin };
    }
    if is_network(&detail) {
        return EnvError::Offline {
            what: what.to_owned(),
            detail: detail.lines().last().unwrap_or("").trim().to_owned(),
        };
    }
    if is_resolution(&detail) {
        let places = plan
            .asked
            .iter()
            .filter(|(n, _)| lower.contains(n.as_str()) || lower.contains(&n.replace('-', "_")))
            .cloned()
            .collect();
        return EnvError::Conflict {
            core: RUNTIME_PINS[0].1.to_owned(),
            summary: resolution_summary(&detail),
            places,
        };
    }
    EnvError::Command {
        detail,
        command,
        hint,
    }
}

/// The package an installer could not install without building it: uv says "Wheels are
/// required for `x`" or "x==1 has no usable wheels"; pip says "No matching distribution found
/// for x==1".
fn source_only_package(detail: &str) -> Option<String> {
    let name = |s: &str| {
        let end = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(s.len());
        let n = requirements::normalise(&s[..end]);
        (!n.is_empty()).then_some(n)
    };
    if let Some(i) = detail.find("Wheels are required for `") {
        return name(&detail[i + "Wheels are required for `".len()..]);
    }
    if let Some(i) = detail.find(" has no usable wheels") {
        let before = &detail[..i];
        let start = before.rfind(char::is_whitespace).map_or(0, |j| j + 1);
        return name(&before[start..]);
    }
    if let Some(i) = detail.find("No matching distribution found for ") {
        return name(&detail[i + "No matching distribution found for ".len()..]);
    }
    None
}

/// Removes a folder when dropped, unless disarmed (a sync that did not finish).
struct RemoveOnDrop(Option<PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// A fresh, empty generation folder beside the environment's link.
fn new_generation(link: &Path) -> Result<PathBuf, EnvError> {
    let parent = link.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| EnvError::Io {
        path: parent.display().to_string(),
        source: e,
    })?;
    let name = link.file_name().unwrap_or_default().to_string_lossy();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let generation = parent.join(format!("{name}.g{stamp}"));
    // `venv` creates the folder; it must not exist yet.
    Ok(generation)
}

/// Points the environment's link at `generation`, atomically (a new link renamed over it). An
/// environment of an earlier Prowl (a folder, not a link) is moved aside first, then removed.
fn switch_to(link: &Path, generation: &Path) -> Result<(), EnvError> {
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| EnvError::Io { path, source }
    };
    let parent = link.parent().unwrap_or(Path::new("."));
    let name = link.file_name().unwrap_or_default().to_string_lossy();
    let tmp = parent.join(format!(".{name}.link-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let target = generation.file_name().unwrap_or_default();
    std::os::unix::fs::symlink(target, &tmp).map_err(io(&tmp))?;
    let old_folder = std::fs::symlink_metadata(link)
        .map(|m| m.file_type().is_dir())
        .unwrap_or(false);
    if old_folder {
        let aside = parent.join(format!("{name}.old-{}", std::process::id()));
        std::fs::rename(link, &aside).map_err(io(link))?;
        std::fs::rename(&tmp, link).map_err(io(link))?;
        let _ = std::fs::remove_dir_all(aside);
    } else {
        std::fs::rename(&tmp, link).map_err(io(link))?;
    }
    Ok(())
}

/// Removes generations other than the current and the newest other one (running workers may
/// still read the previous one), and anything a killed sync left.
fn prune_generations(link: &Path) {
    let Some(parent) = link.parent() else { return };
    let name = link
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let current = std::fs::read_link(link).ok();
    let prefix = format!("{name}.g");
    let mut others: Vec<PathBuf> = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with(&prefix))
                && current.as_deref().and_then(Path::file_name) != p.file_name()
        })
        .collect();
    others.sort();
    others.pop(); // keep the newest other one
    for p in others {
        let _ = std::fs::remove_dir_all(p);
    }
}

/// One sync of an environment at a time (a lock file beside it, released when dropped).
struct SyncLock {
    /// Holding the descriptor holds the lock; closing it releases it.
    _file: std::fs::File,
}

impl SyncLock {
    fn acquire(link: &Path, progress: &mut dyn FnMut(&str)) -> Result<SyncLock, EnvError> {
        use std::os::fd::AsRawFd;
        let parent = link.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| EnvError::Io {
            path: parent.display().to_string(),
            source: e,
        })?;
        let name = link.file_name().unwrap_or_default().to_string_lossy();
        let path = parent.join(format!(".{name}.lock"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| EnvError::Io {
                path: path.display().to_string(),
                source: e,
            })?;
        // SAFETY: flock on a descriptor this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            progress("another prowl is syncing this environment; waiting for it");
            // SAFETY: as above; blocks until the other sync ends.
            unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        }
        Ok(SyncLock { _file: file })
    }

    /// Whether another process is syncing the environment now.
    fn busy(link: &Path) -> bool {
        use std::os::fd::AsRawFd;
        let (Some(parent), Some(name)) = (link.parent(), link.file_name()) else {
            return false;
        };
        let path = parent.join(format!(".{}.lock", name.to_string_lossy()));
        let Ok(file) = std::fs::OpenOptions::new().write(true).open(path) else {
            return false;
        };
        // SAFETY: flock on a descriptor this function owns; released when it is closed.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) != 0 }
    }
}

/// Whether another process is syncing `env` now (a run can use the previous environment
/// instead of waiting).
pub fn sync_in_progress(env: &PythonEnv) -> bool {
    SyncLock::busy(&env.path)
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

/// 64-bit FNV-1a: a stable hash for names and fingerprints in the cache.
pub fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(files: &[(&str, &str)]) -> Result<SyncPlan, EnvError> {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        plan(requirements::read(dir.path()), &[])
    }

    #[test]
    fn prowls_runtime_pins_win_and_the_message_names_both() {
        let p = plan_of(&[(
            "Pipfile",
            "[packages]\npanther-core = \"==0.12.1\"\njsonpath-ng = \">=1.5\"\npolicyuniverse = \"==1.5.1.20230817\"\npanther-analysis-tool = \"~=1.2.1\"\n",
        )])
        .unwrap();
        let lines: Vec<&str> = p.direct.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(lines[..2], ["panther-core==0.16.2", "jsonpath-ng==1.5.3"]);
        assert!(lines.contains(&"policyuniverse==1.5.1.20230817"));
        assert!(
            !lines.contains(&"policyuniverse"),
            "the workspace's pin replaces the baseline"
        );
        let core = p
            .left_out
            .iter()
            .find(|l| l.name == "panther-core")
            .unwrap();
        assert_eq!(core.origin.to_string(), "Pipfile:2");
        assert!(
            core.why.contains("panther-core==0.16.2") && core.why.contains("==0.12.1"),
            "{}",
            core.why
        );
        assert!(p.left_out.iter().any(|l| l.name == "panther-analysis-tool"));
        assert!(
            !p.left_out.iter().any(|l| l.name == "jsonpath-ng"),
            "1.5.3 satisfies >=1.5"
        );
        assert_eq!(p.asked.len(), 1);
        assert!(p.build_first.iter().any(|l| l.starts_with("panther-core")));
    }

    #[test]
    fn a_stale_lock_pin_gives_way_to_the_pipfile_and_prowls_pins_are_not_constrained() {
        let p = plan_of(&[
            ("Pipfile", "[packages]\ntyper = \"~=0.20.0\"\n"),
            (
                "Pipfile.lock",
                "{\"default\": {\"typer\": {\"version\": \"==0.16.1\"}, \"panther-core\": {\"version\": \"==0.12.1\"}, \"click\": {\"version\": \"==8.1.8\"}}}",
            ),
        ])
        .unwrap();
        assert_eq!(p.constraints, vec!["click==8.1.8"]);
        assert!(
            p.notes
                .iter()
                .any(|n| n.contains("typer==0.16.1") && n.contains("Pipfile:2")),
            "{:?}",
            p.notes
        );
        // A lock of an older release pins an older boto3: Prowl's range (PAT 1.6.3's) wins.
        let old = plan_of(&[(
            "Pipfile.lock",
            "{\"default\": {\"boto3\": {\"version\": \"==1.28.44\"}, \"six\": {\"version\": \"==1.16.0\"}}}",
        )])
        .unwrap();
        assert_eq!(old.constraints, vec!["six==1.16.0"]);
        assert!(
            old.notes
                .iter()
                .any(|n| n.contains("boto3==1.28.44") && n.contains("outside the range")),
            "{:?}",
            old.notes
        );
    }

    #[test]
    fn a_refused_form_stops_the_plan_with_its_place() {
        let err = plan_of(&[(
            "requirements.txt",
            "ok==1\n--index-url https://attacker/simple\n",
        )])
        .unwrap_err();
        let info = crate::error::UserError::info(&err);
        assert_eq!(info.code, "env.refused");
        assert_eq!(info.location.unwrap().line, Some(2));
        assert!(
            info.message.contains("requirements.txt:2"),
            "{}",
            info.message
        );
    }

    #[test]
    fn the_package_that_needs_a_build_is_named_from_either_installer() {
        let uv = "  × No solution found when resolving dependencies:\n  ╰─▶ Because docopt==0.6.2 has no usable wheels and you require docopt==0.6.2, we can conclude that your requirements are unsatisfiable.\n\n      hint: Wheels are required for `docopt` because building from source is disabled for all packages";
        assert_eq!(source_only_package(uv).as_deref(), Some("docopt"));
        let pip = "ERROR: Could not find a version that satisfies the requirement Doc_Opt==0.6.2 (from versions: none)\nERROR: No matching distribution found for Doc_Opt==0.6.2";
        assert_eq!(source_only_package(pip).as_deref(), Some("doc-opt"));
    }

    #[test]
    fn an_unreachable_index_is_offline_not_a_conflict() {
        let uv = "  × No solution found when resolving dependencies:\n  ╰─▶ Because panther-core was not found in the cache and you require panther-core==0.16.2, we can conclude that your requirements are unsatisfiable.\n\n      hint: Packages were unavailable because the network was disabled.";
        let plan = plan(WorkspaceRequirements::default(), &[]).unwrap();
        let e = explain(
            EnvError::Command {
                command: "uv".into(),
                detail: uv.into(),
                hint: String::new(),
            },
            &plan,
            "x",
        );
        assert!(matches!(e, EnvError::Offline { .. }), "{e}");
    }

    #[test]
    fn resolver_logs_become_one_line() {
        let log = "  × No solution found when resolving dependencies:\n  ╰─▶ Because typer==0.16.1 depends on click<8.2 and you require click>=8.3, we can conclude that your requirements are unsatisfiable.\n";
        assert!(is_resolution(log));
        assert!(resolution_summary(log).starts_with("Because typer==0.16.1"));
    }
}
