//! Environments for machines without the package index: `prowl env export` writes every
//! package of a synced environment as a wheel into a folder (source-only packages built into
//! wheels there), with a record of the list; `prowl env import` makes the environment from that
//! folder alone, without the network.

use super::installer::{Installer, Runner};
use super::manifest::{InstalledPackage, Manifest, Reason};
use super::{
    build_python, build_python_version, new_generation, prune_generations, site_packages_of,
    switch_to, Approval, EnvError, PlannedPackage, PythonEnv, RemoveOnDrop, SyncLock,
};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

/// The record a wheelhouse folder carries.
pub const FILE: &str = "prowl-wheelhouse.json";

/// What a wheelhouse holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Wheelhouse {
    /// `major.minor` of the interpreter the wheels are for.
    pub python: String,
    /// The fingerprint of the environment it was made from (its workspace's requirements).
    pub fingerprint: String,
    /// The packages, as in the environment's manifest.
    pub packages: Vec<InstalledPackage>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> EnvError + '_ {
    move |source| EnvError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Writes the synced environment of `env` as wheels into `dir` (created if missing).
pub fn export(
    env: &PythonEnv,
    dir: &Path,
    timeout: Duration,
    cancel: Option<&AtomicBool>,
    progress: &mut dyn FnMut(&str),
) -> Result<Wheelhouse, EnvError> {
    env.check()?;
    let manifest = env.manifest().ok_or_else(|| EnvError::Missing {
        workspace: env.workspace.display().to_string(),
    })?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let scratch = tempfile::tempdir().map_err(io(dir))?;
    let venv = scratch.path().join("venv");
    let mut runner = Runner {
        deadline: Instant::now() + timeout,
        limit: timeout,
        cancel,
        progress,
        cwd: scratch.path().to_path_buf(),
    };
    // pip makes wheels (uv has no `pip wheel`); a plain venv carries it.
    Installer::Pip.create(build_python(), &venv, &mut runner)?;
    let python = venv.join("bin/python");
    let index = std::env::var("PROWL_INDEX_URL")
        .ok()
        .filter(|s| !s.is_empty());
    for from_source in [false, true] {
        let pins: Vec<String> = manifest
            .packages
            .iter()
            .filter(|p| p.built_from_source == from_source)
            .map(|p| format!("{}=={}", p.name, p.version))
            .collect();
        if pins.is_empty() {
            continue;
        }
        let mut cmd = Command::new(&python);
        cmd.args([
            "-m",
            "pip",
            "wheel",
            "--disable-pip-version-check",
            "--no-deps",
            "-w",
        ])
        .arg(dir);
        if !from_source {
            cmd.args(["--only-binary", ":all:"]);
        }
        if let Some(i) = &index {
            cmd.args(["--index-url", i]);
        }
        cmd.args(&pins);
        (runner.progress)(&format!(
            "writing {} wheel(s){}",
            pins.len(),
            if from_source {
                " built from source"
            } else {
                ""
            }
        ));
        runner.run(&mut cmd, "writing the wheelhouse")?;
    }
    let house = Wheelhouse {
        python: manifest.python.clone(),
        fingerprint: manifest.fingerprint.clone(),
        packages: manifest.packages.clone(),
    };
    let record = dir.join(FILE);
    std::fs::write(
        &record,
        serde_json::to_vec_pretty(&house).unwrap_or_default(),
    )
    .map_err(io(&record))?;
    Ok(house)
}

/// Makes `env` from the wheels in `dir`, without the network; the list is shown for approval
/// first (a wheelhouse may come from another machine).
pub fn import(
    env: &PythonEnv,
    dir: &Path,
    timeout: Duration,
    cancel: Option<&AtomicBool>,
    progress: &mut dyn FnMut(&str),
    approve: &mut dyn FnMut(&Approval) -> bool,
) -> Result<Manifest, EnvError> {
    let record = dir.join(FILE);
    // A wheelhouse may come from another machine: a regular file of bounded size only.
    let text = crate::workspace::content::read_bounded(&record, 16 * 1024 * 1024).map_err(|e| {
        EnvError::Broken {
            path: dir.display().to_string(),
            workspace: env.workspace.display().to_string(),
            reason: format!("{FILE} cannot be read: {e}"),
        }
    })?;
    let house: Wheelhouse = serde_json::from_slice(&text).map_err(|e| EnvError::Broken {
        path: dir.display().to_string(),
        workspace: env.workspace.display().to_string(),
        reason: format!("{FILE} cannot be read: {e}"),
    })?;
    if house.python != build_python_version() {
        return Err(EnvError::Broken {
            path: dir.display().to_string(),
            workspace: env.workspace.display().to_string(),
            reason: format!(
                "its wheels are for Python {}, Prowl runs {}",
                house.python,
                build_python_version()
            ),
        });
    }
    let _lock = SyncLock::acquire(&env.path, progress)?;
    let fingerprint = env.fingerprint();
    if house.fingerprint != fingerprint {
        progress("the wheelhouse was made for other requirements than the workspace's now; `prowl env check` will call the environment out of date");
    }
    let approval = Approval {
        workspace: env.workspace.display().to_string(),
        packages: house
            .packages
            .iter()
            .map(|p| PlannedPackage {
                name: p.name.clone(),
                version: p.version.clone(),
                from_source: p.built_from_source,
            })
            .collect(),
        asked: house
            .packages
            .iter()
            .filter_map(|p| match &p.reason {
                Reason::Asked { origin } => Some((p.name.clone(), origin.clone())),
                _ => None,
            })
            .collect(),
    };
    if !approve(&approval) {
        return Err(EnvError::NotApproved {
            count: approval.packages.len(),
        });
    }
    let (installer, _) = Installer::find();
    let generation = new_generation(&env.path)?;
    let mut cleanup = RemoveOnDrop(Some(generation.clone()));
    let mut runner = Runner {
        deadline: Instant::now() + timeout,
        limit: timeout,
        cancel,
        progress,
        cwd: env
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(std::env::temp_dir),
    };
    installer.create(build_python(), &generation, &mut runner)?;
    let pins: Vec<String> = house
        .packages
        .iter()
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect();
    installer.install_from_wheelhouse(&generation.join("bin/python"), dir, &pins, &mut runner)?;
    let installed = super::manifest::distributions(&site_packages_of(&generation));
    let missing: Vec<&str> = house
        .packages
        .iter()
        .filter(|p| !installed.iter().any(|d| d.name == p.name))
        .map(|p| p.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(EnvError::Broken {
            path: generation.display().to_string(),
            workspace: env.workspace.display().to_string(),
            reason: format!("the wheelhouse lacks {}", missing.join(", ")),
        });
    }
    let manifest = Manifest {
        python: house.python.clone(),
        fingerprint: house.fingerprint.clone(),
        installer: format!("wheelhouse {}", dir.display()),
        synced_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        source: None,
        packages: house.packages.clone(),
        left_out: Vec::new(),
        notes: vec![format!("imported from the wheelhouse {}", dir.display())],
    };
    manifest.write(&generation).map_err(io(&generation))?;
    switch_to(&env.path, &generation)?;
    cleanup.0 = None;
    prune_generations(&env.path);
    Ok(manifest)
}
