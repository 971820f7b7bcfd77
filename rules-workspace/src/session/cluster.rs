//! The Ray cluster a front end replays on (`replay::cluster`), as the user set it: the
//! address, and the Python that drives the cluster when it is not the default one. Kept per
//! user in Prowl's config folder (`cluster.toml`, beside `profiles.toml` and the trust store;
//! `$PROWL_CONFIG`, else `$XDG_CONFIG_HOME/prowl`, else `~/.config/prowl`):
//!
//! ```toml
//! address = "10.0.0.5:6379"
//! python = "/opt/ray/bin/python"   # optional: else $PROWL_RAY_PYTHON, else python3
//! ```
//!
//! A cluster is the user's, not the workspace's: every workspace replays on the same one.
//! The file is written whole or not at all (a temporary file renamed over it). Checking a
//! connection sends no workspace ([`check`]).

use crate::error::{ErrorInfo, UserError};
use crate::replay::cluster::{check_cluster, ClusterCheck, ClusterOptions};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the user set: the address and, when it is not the default, the Ray driver's Python.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct ClusterSettings {
    /// The Ray address (`auto`, `ray://HOST:10001`, `HOST:6379`); `None`: no cluster set.
    #[serde(default)]
    pub address: Option<String>,
    /// A Python with the cluster's Ray; `None`: `$PROWL_RAY_PYTHON`, else `python3`.
    #[serde(default)]
    pub python: Option<String>,
}

/// The settings as a front end shows them.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ClusterSettingsView {
    /// What is set.
    pub settings: ClusterSettings,
    /// The Python used when `settings.python` is not set.
    pub default_python: String,
    /// The file they are kept in.
    pub file: PathBuf,
}

/// Why the settings could not be read, written or used.
#[derive(Debug, thiserror::Error)]
pub enum ClusterSettingsError {
    /// The file could not be read, parsed or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
    /// A cluster replay or check was asked for without an address.
    #[error("no cluster address is set")]
    NoAddress,
}

impl UserError for ClusterSettingsError {
    fn family(&self) -> &'static str {
        "cluster"
    }

    fn name(&self) -> &'static str {
        match self {
            ClusterSettingsError::File { .. } => "settings_file",
            ClusterSettingsError::NoAddress => "no_address",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            ClusterSettingsError::File { .. } => {
                "fix or remove the file, then set the cluster again".into()
            }
            ClusterSettingsError::NoAddress => {
                "set the cluster's address (`ray status` on its head node prints it)".into()
            }
        })
    }
}

/// `cluster.toml` in Prowl's config folder.
pub fn settings_file() -> PathBuf {
    crate::trust::config_dir().join("cluster.toml")
}

/// A value as the user typed it: trimmed, `None` when empty.
fn given(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl ClusterSettings {
    /// Settings from a form's fields (trimmed; empty fields are unset).
    pub fn new(address: Option<&str>, python: Option<&str>) -> ClusterSettings {
        ClusterSettings {
            address: given(address),
            python: given(python),
        }
    }

    /// The settings in [`settings_file`] (none set when there is no file).
    pub fn load() -> Result<ClusterSettings, ClusterSettingsError> {
        ClusterSettings::load_from(&settings_file())
    }

    /// The settings in `path` (none set when there is no file).
    pub fn load_from(path: &Path) -> Result<ClusterSettings, ClusterSettingsError> {
        let err = |message: String| ClusterSettingsError::File {
            path: path.display().to_string(),
            message,
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let s: ClusterSettings = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
                Ok(ClusterSettings::new(
                    s.address.as_deref(),
                    s.python.as_deref(),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ClusterSettings::default()),
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// Writes them to [`settings_file`].
    pub fn save(&self) -> Result<(), ClusterSettingsError> {
        self.save_to(&settings_file())
    }

    /// Writes them to `path`, whole or not at all (a temporary file renamed over it).
    pub fn save_to(&self, path: &Path) -> Result<(), ClusterSettingsError> {
        let err = |message: String| ClusterSettingsError::File {
            path: path.display().to_string(),
            message,
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        let text = toml::to_string_pretty(self).map_err(|e| err(e.to_string()))?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| err(e.to_string()))?;
        tmp.write_all(
            format!("# The Ray cluster Prowl replays on (prowl-desktop)\n{text}").as_bytes(),
        )
        .map_err(|e| err(e.to_string()))?;
        tmp.as_file().sync_all().map_err(|e| err(e.to_string()))?;
        tmp.persist(path).map_err(|e| err(e.to_string()))?;
        Ok(())
    }

    /// How to reach the cluster at `address` with these settings' Python: the core's
    /// defaults ([`ClusterOptions::new`]) otherwise. An empty address is refused.
    pub fn options(&self, address: &str) -> Result<ClusterOptions, ClusterSettingsError> {
        let address = given(Some(address)).ok_or(ClusterSettingsError::NoAddress)?;
        let mut options = ClusterOptions::new(&address);
        if let Some(python) = &self.python {
            options.python = PathBuf::from(python);
        }
        Ok(options)
    }

    /// The settings as a front end shows them.
    pub fn view(self) -> ClusterSettingsView {
        ClusterSettingsView {
            default_python: ClusterOptions::new("auto").python.display().to_string(),
            settings: self,
            file: settings_file(),
        }
    }
}

/// The `--cluster` value that names the cluster saved in the window's Settings.
pub const SAVED: &str = "saved";

/// How the command line reaches a cluster: `address` as given, the saved one for [`SAVED`],
/// and for none given the saved one when there is one, else `auto` (the cluster this machine
/// belongs to). The driver's Python is `$PROWL_RAY_PYTHON` when set (the shell's choice),
/// else the saved one, else `python3`. The settings file is read only when it is needed: a
/// damaged one is an error when its address is asked for, and is passed over otherwise.
pub fn cli_options(address: Option<&str>) -> Result<ClusterOptions, ClusterSettingsError> {
    let saved = if address.is_none_or(|a| a == SAVED) {
        ClusterSettings::load()?
    } else {
        ClusterSettings::load().unwrap_or_default()
    };
    resolve(
        address,
        &saved,
        std::env::var_os("PROWL_RAY_PYTHON").is_some(),
    )
}

fn resolve(
    address: Option<&str>,
    saved: &ClusterSettings,
    python_from_env: bool,
) -> Result<ClusterOptions, ClusterSettingsError> {
    let address = match address {
        Some(SAVED) => saved
            .address
            .clone()
            .ok_or(ClusterSettingsError::NoAddress)?,
        Some(given) => given.to_owned(),
        None => saved.address.clone().unwrap_or_else(|| "auto".into()),
    };
    if python_from_env {
        return ClusterSettings::default().options(&address);
    }
    saved.options(&address)
}

/// Checks the cluster at `settings.address` (connects and probes every node; no workspace is
/// sent): the window's "Check connection" on what its form holds, saved or not.
pub fn check(settings: &ClusterSettings) -> Result<ClusterCheck, ErrorInfo> {
    let options = settings.options(settings.address.as_deref().unwrap_or(""))?;
    Ok(check_cluster(&options)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_the_file_and_blank_fields_are_unset() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("prowl/cluster.toml");
        assert_eq!(
            ClusterSettings::load_from(&file).unwrap(),
            ClusterSettings::default(),
            "no file: nothing set"
        );
        let set = ClusterSettings::new(Some("  10.0.0.5:6379 "), Some(" "));
        assert_eq!(set.address.as_deref(), Some("10.0.0.5:6379"));
        assert_eq!(set.python, None);
        set.save_to(&file).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("address = \"10.0.0.5:6379\""), "{text}");
        assert!(!text.contains("python"), "{text}");
        assert_eq!(ClusterSettings::load_from(&file).unwrap(), set);

        let with_python = ClusterSettings::new(Some("auto"), Some("/opt/ray/bin/python"));
        with_python.save_to(&file).unwrap();
        assert_eq!(ClusterSettings::load_from(&file).unwrap(), with_python);
        ClusterSettings::default().save_to(&file).unwrap();
        assert_eq!(
            ClusterSettings::load_from(&file).unwrap(),
            ClusterSettings::default()
        );
    }

    #[test]
    fn a_damaged_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cluster.toml");
        std::fs::write(&file, "address = [").unwrap();
        let err = ErrorInfo::from(ClusterSettings::load_from(&file).unwrap_err());
        assert_eq!(err.code, "cluster.settings_file");
        assert!(err.message.contains("cluster.toml"), "{}", err.message);
    }

    #[test]
    fn options_take_the_settings_python_and_refuse_an_empty_address() {
        let settings = ClusterSettings::new(Some("ignored"), Some("/opt/ray/bin/python"));
        let options = settings.options(" 127.0.0.1:6379 ").unwrap();
        assert_eq!(options.address, "127.0.0.1:6379");
        assert_eq!(options.python, PathBuf::from("/opt/ray/bin/python"));
        let default = ClusterSettings::default().options("auto").unwrap();
        assert_eq!(default.python, ClusterOptions::new("auto").python);
        let err = ErrorInfo::from(ClusterSettings::default().options("  ").unwrap_err());
        assert_eq!(err.code, "cluster.no_address");
        assert!(err.hint.is_some());
        assert_eq!(
            check(&ClusterSettings::default()).unwrap_err().code,
            "cluster.no_address"
        );
    }

    #[test]
    fn the_command_line_takes_the_saved_cluster_when_asked_or_when_none_is_given() {
        let saved = ClusterSettings::new(Some("10.0.0.5:6379"), Some("/opt/ray/bin/python"));
        let none = ClusterSettings::default();
        let addr = |a: Option<&str>, s: &ClusterSettings| resolve(a, s, false).map(|o| o.address);
        // An address given is used as it is, whatever is saved.
        assert_eq!(
            addr(Some("ray://h:10001"), &saved).unwrap(),
            "ray://h:10001"
        );
        // `saved`, or nothing given: the saved address.
        assert_eq!(addr(Some(SAVED), &saved).unwrap(), "10.0.0.5:6379");
        assert_eq!(addr(None, &saved).unwrap(), "10.0.0.5:6379");
        // Nothing saved: `auto` when nothing is given; `saved` is an error with its hint.
        assert_eq!(addr(None, &none).unwrap(), "auto");
        let err = ErrorInfo::from(resolve(Some(SAVED), &none, false).unwrap_err());
        assert_eq!(err.code, "cluster.no_address");
        // The driver's Python: the saved one, unless the shell set PROWL_RAY_PYTHON.
        let saved_python = resolve(Some("auto"), &saved, false).unwrap().python;
        assert_eq!(saved_python, PathBuf::from("/opt/ray/bin/python"));
        let env_python = resolve(Some("auto"), &saved, true).unwrap().python;
        assert_eq!(env_python, ClusterOptions::new("auto").python);
    }
}
