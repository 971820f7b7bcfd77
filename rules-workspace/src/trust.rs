//! Workspace trust: which folders' code and packages the user vouches for.
//!
//! A workspace is untrusted until its user trusts it, the way editors treat a folder from
//! elsewhere. Untrusted, everything that only reads works as for any workspace (the explorer,
//! validation, diffs, git, the static audit); what differs is what may *run*:
//! - its workers always run in the sandbox (`engine::sandbox`), even with `PROWL_SANDBOX=off`;
//! - none of the Python packages it declares is installed until the user approves the exact
//!   list of packages and versions (a trusted workspace's list is shown and installed);
//! - it is never sent elsewhere to run (a cluster).
//!
//! Trust is remembered per folder in `trust.json` in Prowl's config folder
//! (`$PROWL_CONFIG`, else `$XDG_CONFIG_HOME/prowl`, else `~/.config/prowl`), written atomically
//! and readable by its owner only. Trusting a folder trusts what is inside it. When the folder
//! is a git repository, its `origin` URL (credentials removed) is remembered too, and trust
//! lapses when the origin changes: the same path now holds somebody else's repository.
//! `PROWL_TRUST=1` trusts the workspace a command runs on, for CI where the repository is the
//! user's own. The bundled demo, written by Prowl, is trusted.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// The file, in the config folder.
pub const FILE: &str = "trust.json";

/// Whether a workspace is trusted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TrustState {
    /// The workspace (as given).
    pub workspace: String,
    /// Trusted: its code may run without the sandbox when the user asks, and its packages are
    /// installed without asking.
    pub trusted: bool,
    /// Why.
    pub reason: TrustReason,
    /// The folder whose trust covers this workspace (itself or a parent), when trusted by one.
    pub folder: Option<String>,
    /// The origin remembered with the trust, when there is one.
    pub origin: Option<String>,
}

/// Why a workspace is trusted or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrustReason {
    /// The user trusted this folder (or a parent of it).
    Folder,
    /// `PROWL_TRUST=1` in the environment (CI on the user's own repository).
    Environment,
    /// Prowl's own demo workspace.
    Demo,
    /// Never trusted (or trust was revoked).
    NotTrusted,
    /// Trusted once, but its git origin is no longer the one trusted.
    OriginChanged {
        /// The origin when it was trusted.
        trusted: String,
        /// The origin now (`None`: no origin any more).
        now: Option<String>,
    },
}

impl TrustState {
    /// One line saying what this means, for a terminal or a banner.
    pub fn explain(&self) -> String {
        match &self.reason {
            TrustReason::Folder => format!(
                "trusted (the folder {} is trusted)",
                self.folder.as_deref().unwrap_or(&self.workspace)
            ),
            TrustReason::Environment => "trusted for this command (PROWL_TRUST=1)".into(),
            TrustReason::Demo => "trusted (Prowl's own demo workspace)".into(),
            TrustReason::NotTrusted => RESTRICTED.into(),
            TrustReason::OriginChanged { trusted, now } => format!(
                "no longer trusted: it was trusted as a clone of {trusted}, its origin is now {}; {RESTRICTED}",
                now.as_deref().unwrap_or("gone")
            ),
        }
    }
}

/// What an untrusted workspace may not do, in one sentence.
pub const RESTRICTED: &str = "not trusted: its code runs only in the sandbox (no network, no files outside the workspace, none of your variables) and its Python packages are installed only after you approve the exact list";

/// One trusted folder, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TrustedFolder {
    /// The folder, canonical.
    pub path: String,
    /// Its git origin when it was trusted (credentials removed).
    pub origin: Option<String>,
    /// When (seconds since the epoch).
    pub trusted_at: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Store {
    version: u32,
    folders: Vec<TrustedFolder>,
}

/// A failure to read or write the trust store.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The store cannot be read or written.
    #[error("cannot {action} the trust store {path}: {source}")]
    Io {
        /// read / write.
        action: &'static str,
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The store is not what Prowl writes.
    #[error("the trust store {path} is damaged: {detail}")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
    /// The folder to trust does not exist.
    #[error("{path} is not a folder")]
    NotAFolder {
        /// As given.
        path: String,
    },
}

impl crate::error::UserError for TrustError {
    fn family(&self) -> &'static str {
        "trust"
    }

    fn name(&self) -> &'static str {
        match self {
            TrustError::Io { .. } => "io",
            TrustError::Damaged { .. } => "damaged",
            TrustError::NotAFolder { .. } => "not_a_folder",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            TrustError::Damaged { .. } => Some(
                "nothing is trusted while it is damaged; move it away and trust your folders again with `prowl trust PATH`".into(),
            ),
            _ => None,
        }
    }
}

/// Prowl's config folder: `$PROWL_CONFIG`, else `$XDG_CONFIG_HOME/prowl`, else
/// `~/.config/prowl`.
pub fn config_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PROWL_CONFIG").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(p).join("prowl");
    }
    PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into())).join(".config/prowl")
}

fn store_path() -> PathBuf {
    config_dir().join(FILE)
}

fn load() -> Result<Store, TrustError> {
    let path = store_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Store::default()),
        Err(source) => {
            return Err(TrustError::Io {
                action: "read",
                path: path.display().to_string(),
                source,
            })
        }
    };
    serde_json::from_str(&text).map_err(|e| TrustError::Damaged {
        path: path.display().to_string(),
        detail: e.to_string(),
    })
}

fn save(store: &Store) -> Result<(), TrustError> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;
    let path = store_path();
    let io = |source| TrustError::Io {
        action: "write",
        path: path.display().to_string(),
        source,
    };
    let dir = path.parent().expect("a file in a folder");
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(io)?;
    let text = serde_json::to_string_pretty(store).expect("plain data");
    tmp.write_all(text.as_bytes()).map_err(io)?;
    tmp.write_all(b"\n").map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(&path).map_err(|e| io(e.error))?;
    Ok(())
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A URL without the user name and password it may carry (`https://user:token@host/x` ->
/// `https://host/x`); anything else unchanged.
pub fn without_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// The git origin of the repository at `root` (credentials removed), if it is one and has one.
pub fn origin_of(root: &Path) -> Option<String> {
    let repo = git2::Repository::open(root).ok()?;
    let remote = repo.find_remote("origin").ok()?;
    remote.url().ok().map(without_credentials)
}

fn is_demo(root: &Path) -> bool {
    let demo = canonical(&crate::env::cache_dir().join("demo"));
    root.starts_with(&demo)
}

/// Whether the workspace at `root` is trusted, and why.
pub fn state(root: &Path) -> TrustState {
    let workspace = root.display().to_string();
    let make = |trusted, reason, folder: Option<&TrustedFolder>| TrustState {
        workspace: workspace.clone(),
        trusted,
        reason,
        folder: folder.map(|f| f.path.clone()),
        origin: folder.and_then(|f| f.origin.clone()),
    };
    if std::env::var("PROWL_TRUST").is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true")) {
        return make(true, TrustReason::Environment, None);
    }
    let real = canonical(root);
    if is_demo(&real) {
        return make(true, TrustReason::Demo, None);
    }
    let Ok(store) = load() else {
        return make(false, TrustReason::NotTrusted, None);
    };
    // The closest trusted folder decides (a trusted parent covers what is inside it).
    let covering = store
        .folders
        .iter()
        .filter(|f| real.starts_with(&f.path))
        .max_by_key(|f| f.path.len());
    let Some(folder) = covering else {
        return make(false, TrustReason::NotTrusted, None);
    };
    if let Some(trusted_origin) = &folder.origin {
        // Only the folder that was trusted as a clone is checked against its origin.
        let now = origin_of(Path::new(&folder.path));
        if now.as_deref() != Some(trusted_origin.as_str()) {
            return make(
                false,
                TrustReason::OriginChanged {
                    trusted: trusted_origin.clone(),
                    now,
                },
                Some(folder),
            );
        }
    }
    make(true, TrustReason::Folder, Some(folder))
}

/// Whether the workspace at `root` is trusted.
pub fn is_trusted(root: &Path) -> bool {
    state(root).trusted
}

/// Trusts the folder at `root` (and what is inside it), remembering its origin.
pub fn grant(root: &Path) -> Result<TrustState, TrustError> {
    if !root.is_dir() {
        return Err(TrustError::NotAFolder {
            path: root.display().to_string(),
        });
    }
    let real = canonical(root).display().to_string();
    let mut store = load()?;
    store.version = 1;
    store.folders.retain(|f| f.path != real);
    store.folders.push(TrustedFolder {
        path: real,
        origin: origin_of(root),
        trusted_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    });
    store.folders.sort_by(|a, b| a.path.cmp(&b.path));
    save(&store)?;
    Ok(state(root))
}

/// Revokes the trust of `root` and of every trusted folder inside it; returns the folders it
/// removed. A parent folder's trust is not touched (the state says when one still covers it).
pub fn revoke(root: &Path) -> Result<Vec<TrustedFolder>, TrustError> {
    let real = canonical(root);
    let mut store = load()?;
    let (gone, kept): (Vec<_>, Vec<_>) = store
        .folders
        .into_iter()
        .partition(|f| Path::new(&f.path).starts_with(&real));
    store.folders = kept;
    store.version = 1;
    if !gone.is_empty() {
        save(&store)?;
    }
    Ok(gone)
}

/// Every trusted folder.
pub fn list() -> Result<Vec<TrustedFolder>, TrustError> {
    Ok(load()?.folders)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_removed_from_urls() {
        assert_eq!(
            without_credentials("https://user:s3cret@github.com/acme/rules.git"),
            "https://github.com/acme/rules.git"
        );
        assert_eq!(
            without_credentials("https://tok@host/x?a=b@c"),
            "https://host/x?a=b@c"
        );
        assert_eq!(
            without_credentials("git@github.com:acme/rules.git"),
            "git@github.com:acme/rules.git"
        );
        assert_eq!(without_credentials("/srv/repo"), "/srv/repo");
    }
}
