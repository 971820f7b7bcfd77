//! What an environment holds and why: written into each environment when a sync completes
//! (`prowl-env.json`), read by `prowl env show`, the window's Environment panel and
//! [`super::PythonEnv::check`].

use super::requirements::{LeftOut, Origin};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The file name of the manifest inside an environment.
pub const FILE: &str = "prowl-env.json";

/// An environment's record of itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Manifest {
    /// `major.minor` of the interpreter it was made for (Prowl's embedded CPython).
    pub python: String,
    /// The fingerprint of what decided its content (Prowl's runtime pins, the workspace's
    /// requirement and lock files); a different one means the environment is out of date.
    pub fingerprint: String,
    /// What made it: `uv 0.13.9`, `pip 23.0.1`, or `wheelhouse <folder>`.
    pub installer: String,
    /// When the sync finished (seconds since the epoch).
    pub synced_at: u64,
    /// The workspace file the requirements came from (`None`: it declares none).
    pub source: Option<String>,
    /// Every installed package.
    pub packages: Vec<InstalledPackage>,
    /// What was asked for and not installed, and why.
    pub left_out: Vec<LeftOut>,
    /// Notes of the sync (a stale lock pin dropped, a conflict resolved in Prowl's favour…).
    pub notes: Vec<String>,
}

impl Manifest {
    /// Reads a manifest, if there is a readable one.
    pub fn read(dir: &Path) -> Option<Manifest> {
        let bytes = std::fs::read(dir.join(FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Writes it (atomically: a temporary file renamed into place).
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer_pretty(&mut tmp, self)?;
        tmp.persist(dir.join(FILE)).map_err(|e| e.error)?;
        Ok(())
    }
}

/// One installed package and why it is there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct InstalledPackage {
    /// The normalised name.
    pub name: String,
    /// The installed version.
    pub version: String,
    /// Why: asked for by the workspace (with the place), by Prowl's runtime, or needed by
    /// other packages.
    pub reason: Reason,
    /// Built from a source distribution (allowed by name) rather than installed from a wheel.
    pub built_from_source: bool,
}

/// Why a package is installed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Prowl's runtime (panther-core and what PAT's environment makes importable).
    Runtime,
    /// The workspace asks for it.
    Asked {
        /// Where.
        origin: Origin,
    },
    /// Another installed package requires it.
    Dependency {
        /// The packages that require it.
        of: Vec<String>,
    },
}

/// `2026-12-04 16:46 UTC` for seconds since the epoch.
pub fn time_text(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (h, m) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02} UTC")
}

/// A distribution installed in a site-packages folder, read from its `.dist-info/METADATA`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// The normalised name.
    pub name: String,
    /// The version.
    pub version: String,
    /// Normalised names of the distributions it requires (extras-only requirements left out).
    pub requires: Vec<String>,
}

/// The distributions in a site-packages folder, sorted by name.
pub fn distributions(site_packages: &Path) -> Vec<Distribution> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(site_packages) else {
        return out;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        if !file_name.to_string_lossy().ends_with(".dist-info") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path().join("METADATA")) else {
            continue;
        };
        if let Some(d) = parse_metadata(&text) {
            out.push(d);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn parse_metadata(text: &str) -> Option<Distribution> {
    let mut name = None;
    let mut version = None;
    let mut requires = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break; // the body (description) follows the headers
        }
        if let Some(v) = line.strip_prefix("Name: ") {
            name = Some(super::requirements::normalise(v.trim()));
        } else if let Some(v) = line.strip_prefix("Version: ") {
            version = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("Requires-Dist: ") {
            let (req, marker) = v.split_once(';').unwrap_or((v, ""));
            if marker.contains("extra") {
                continue;
            }
            let end = req
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
                .unwrap_or(req.len());
            requires.push(super::requirements::normalise(&req[..end]));
        }
    }
    Some(Distribution {
        name: name?,
        version: version?,
        requires,
    })
}

/// Which installed distributions require each one (for "needed by …").
pub fn required_by(dists: &[Distribution]) -> BTreeMap<String, Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in dists {
        for r in &d.requires {
            by.entry(r.clone()).or_default().push(d.name.clone());
        }
    }
    by
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc_dates() {
        assert_eq!(time_text(0), "1970-01-01 00:00 UTC");
        assert_eq!(time_text(1_714_557_600), "2024-05-01 10:00 UTC");
    }

    #[test]
    fn metadata_gives_name_version_and_requirements_without_extras() {
        let d = parse_metadata(
            "Metadata-Version: 2.1\nName: Panther_Core\nVersion: 0.16.2\nRequires-Dist: jsonpath-ng (>=1.5)\nRequires-Dist: python-dateutil>=2.8 ; python_version >= \"3.8\"\nRequires-Dist: pytest ; extra == \"test\"\n\nRequires-Dist: not-a-header\n",
        )
        .unwrap();
        assert_eq!(d.name, "panther-core");
        assert_eq!(d.version, "0.16.2");
        assert_eq!(d.requires, vec!["jsonpath-ng", "python-dateutil"]);
        let by = required_by(&[d]);
        assert_eq!(by["jsonpath-ng"], vec!["panther-core"]);
    }
}
