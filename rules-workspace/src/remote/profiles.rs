//! Named remote profiles: where each Panther instance is (kept in Prowl's config folder) and
//! its API token (kept in the system keyring, the Secret Service on Linux, through libsecret's
//! `secret-tool`; never on disk in clear, never in an argument list).
//!
//! `profiles.toml` (in `$PROWL_CONFIG`, else `$XDG_CONFIG_HOME/prowl`, else
//! `~/.config/prowl`):
//!
//! ```toml
//! default = "prod"
//! [profiles.prod]
//! api_host = "acme.runpanther.net"
//! ```
//!
//! Where a command finds its instance, first match wins: `--api-host`/`--api-token`, then
//! `PANTHER_API_HOST`/`PANTHER_API_TOKEN` (as PAT), then the profile (`--profile`, else
//! `PROWL_PROFILE`, else the default one) with its token from the keyring.

use super::client::{RemoteError, Token};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// One profile.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Profile {
    /// The API host or full GraphQL URL.
    pub api_host: String,
}

/// The profiles file.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Profiles {
    /// The profile used when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// Why profiles or the keyring failed.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What failed.
        message: String,
    },
    /// No such profile.
    #[error("no profile named {0:?}")]
    Unknown(String),
    /// A name that cannot be a profile's.
    #[error("{0:?} is not a profile name (letters, digits, `-`, `_` and `.`, at most 64)")]
    BadName(String),
    /// The keyring is not there or refused.
    #[error("the system keyring could not {action}: {message}")]
    Keyring {
        /// store, read, remove.
        action: &'static str,
        /// What failed.
        message: String,
    },
}

impl crate::error::UserError for ProfileError {
    fn family(&self) -> &'static str {
        "profile"
    }

    fn name(&self) -> &'static str {
        match self {
            ProfileError::File { .. } => "file",
            ProfileError::Unknown(_) => "unknown",
            ProfileError::BadName(_) => "bad_name",
            ProfileError::Keyring { .. } => "keyring",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ProfileError::Unknown(_) => Some("`prowl remote profiles` lists them".into()),
            ProfileError::Keyring { .. } => Some(
                "Prowl keeps tokens only in the Secret Service (GNOME Keyring, KeePassXC, …) through `secret-tool` (Debian: libsecret-tools); without one, give the token in PANTHER_API_TOKEN"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// Prowl's config folder (the trust store's: [`crate::trust::config_dir`]).
pub fn config_dir() -> PathBuf {
    crate::trust::config_dir()
}

fn file() -> PathBuf {
    config_dir().join("profiles.toml")
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Profiles {
    /// The profiles file (empty when there is none).
    pub fn load() -> Result<Profiles, ProfileError> {
        let path = file();
        let err = |message: String| ProfileError::File {
            path: path.display().to_string(),
            message,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| err(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Profiles::default()),
            Err(e) => Err(err(e.to_string())),
        }
    }

    /// Writes the file whole or not at all (a temporary file renamed over it).
    pub fn save(&self) -> Result<(), ProfileError> {
        let path = file();
        let err = |message: String| ProfileError::File {
            path: path.display().to_string(),
            message,
        };
        let dir = config_dir();
        std::fs::create_dir_all(&dir).map_err(|e| err(e.to_string()))?;
        let text = toml::to_string_pretty(self).map_err(|e| err(e.to_string()))?;
        let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| err(e.to_string()))?;
        tmp.write_all(
            format!(
                "# Prowl's remote profiles (tokens are in the system keyring, not here)\n{text}"
            )
            .as_bytes(),
        )
        .map_err(|e| err(e.to_string()))?;
        tmp.as_file().sync_all().map_err(|e| err(e.to_string()))?;
        tmp.persist(&path).map_err(|e| err(e.to_string()))?;
        Ok(())
    }

    /// Adds or changes a profile (the first one becomes the default).
    pub fn set(&mut self, name: &str, api_host: &str) -> Result<(), ProfileError> {
        if !valid_name(name) {
            return Err(ProfileError::BadName(name.to_owned()));
        }
        self.profiles.insert(
            name.to_owned(),
            Profile {
                api_host: api_host.trim().to_owned(),
            },
        );
        if self.default.is_none() {
            self.default = Some(name.to_owned());
        }
        Ok(())
    }

    /// The profile a command uses: `name`, else `PROWL_PROFILE`, else the default.
    pub fn pick(&self, name: Option<&str>) -> Result<Option<(String, Profile)>, ProfileError> {
        let env = std::env::var("PROWL_PROFILE")
            .ok()
            .filter(|p| !p.is_empty());
        let Some(name) = name
            .map(str::to_owned)
            .or(env)
            .or_else(|| self.default.clone())
        else {
            return Ok(None);
        };
        self.profiles
            .get(&name)
            .map(|p| Some((name.clone(), p.clone())))
            .ok_or(ProfileError::Unknown(name))
    }
}

const SECRET_TOOL: &str = "secret-tool";

fn secret_tool() -> Command {
    let exe = std::env::var_os("PROWL_SECRET_TOOL").unwrap_or_else(|| SECRET_TOOL.into());
    let mut c = Command::new(exe);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn keyring_error(action: &'static str, e: impl std::fmt::Display) -> ProfileError {
    ProfileError::Keyring {
        action,
        message: e.to_string(),
    }
}

/// Stores a profile's token in the keyring (on `secret-tool`'s stdin, never its arguments).
pub fn store_token(profile: &str, api_host: &str, token: &Token) -> Result<(), ProfileError> {
    let mut child = secret_tool()
        .args([
            "store",
            "--label",
            &format!("Prowl: Panther API token ({profile})"),
            "application",
            "prowl",
            "profile",
            profile,
            "host",
            api_host,
        ])
        .spawn()
        .map_err(|e| keyring_error("store the token", e))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(token.expose().as_bytes())
        .map_err(|e| keyring_error("store the token", e))?;
    let out = child
        .wait_with_output()
        .map_err(|e| keyring_error("store the token", e))?;
    if !out.status.success() {
        return Err(keyring_error(
            "store the token",
            String::from_utf8_lossy(&out.stderr).trim(),
        ));
    }
    Ok(())
}

/// A profile's token from the keyring (`None` when it holds none).
pub fn load_token(profile: &str) -> Result<Option<Token>, ProfileError> {
    let out = secret_tool()
        .args(["lookup", "application", "prowl", "profile", profile])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| keyring_error("read the token", e))?;
    if !out.status.success() {
        let message = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        // secret-tool says nothing and exits 1 when there is no such secret.
        return if message.is_empty() {
            Ok(None)
        } else {
            Err(keyring_error("read the token", message))
        };
    }
    Ok(Token::new(&String::from_utf8_lossy(&out.stdout)))
}

/// Removes a profile's token from the keyring.
pub fn clear_token(profile: &str) -> Result<(), ProfileError> {
    let out = secret_tool()
        .args(["clear", "application", "prowl", "profile", profile])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| keyring_error("remove the token", e))?;
    if !out.status.success() {
        let message = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if !message.is_empty() {
            return Err(keyring_error("remove the token", message));
        }
    }
    Ok(())
}

/// Where a command's instance comes from (for messages).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Source {
    /// The command line or PAT's environment variables.
    Explicit,
    /// A profile, by name.
    Profile(String),
}

/// The host and token a command uses, found as the module's documentation says.
pub fn resolve(
    api_host: Option<&str>,
    api_token: Option<&str>,
    profile: Option<&str>,
) -> Result<(String, Token, Source), crate::error::ErrorInfo> {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let host = api_host
        .map(str::to_owned)
        .or_else(|| from_env("PANTHER_API_HOST"));
    let token = api_token
        .map(str::to_owned)
        .or_else(|| from_env("PANTHER_API_TOKEN"))
        .and_then(|t| Token::new(&t));
    if let (Some(host), Some(token)) = (&host, &token) {
        if profile.is_none() {
            return Ok((host.clone(), token.clone(), Source::Explicit));
        }
    }
    let profiles = Profiles::load()?;
    let picked = profiles.pick(profile)?;
    let Some((name, p)) = picked else {
        return Err(match host {
            None => RemoteError::NoHost.into(),
            Some(_) => RemoteError::NoToken.into(),
        });
    };
    let host = host.filter(|_| profile.is_none()).unwrap_or(p.api_host);
    let token = match token.filter(|_| profile.is_none()) {
        Some(t) => t,
        None => load_token(&name)?.ok_or(RemoteError::NoToken)?,
    };
    Ok((host, token, Source::Profile(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_the_first_profile_is_the_default() {
        let mut p = Profiles::default();
        assert!(p.set("../x", "h").is_err());
        assert!(p.set("", "h").is_err());
        p.set("prod", " acme.runpanther.net ").unwrap();
        p.set("staging", "https://x/public/graphql").unwrap();
        assert_eq!(p.default.as_deref(), Some("prod"));
        assert_eq!(p.profiles["prod"].api_host, "acme.runpanther.net");
        let text = toml::to_string_pretty(&p).unwrap();
        let back: Profiles = toml::from_str(&text).unwrap();
        assert_eq!(back.profiles, p.profiles);
        assert!(matches!(
            p.pick(Some("nope")),
            Err(ProfileError::Unknown(_))
        ));
    }
}
