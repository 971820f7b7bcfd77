//! Unsaved buffers kept on disk, so a crash loses nothing: the app writes each dirty buffer
//! here every few seconds and removes it after a save; at the next start it offers back what is
//! left. One JSON file per buffer in `<cache>/recovery/<workspace key>/`.

use crate::env::{cache_dir, workspace_key};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The largest recovery file read back: a buffer Prowl opens as text, escaped as JSON.
const MAX_ENTRY_BYTES: u64 = 8 * super::save::MAX_TEXT_BYTES;

/// One unsaved editor buffer kept for crash recovery (the JSON of one recovery file).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, ts_rs::TS)]
pub struct Recovered {
    /// The file the buffer belongs to.
    pub path: PathBuf,
    /// The buffer's whole text, as it was in the editor.
    pub text: String,
    /// Seconds since the Unix epoch.
    pub saved_at: u64,
}

/// The recovery folder of a workspace.
pub fn folder(root: &Path) -> PathBuf {
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    cache_dir().join("recovery").join(workspace_key(&root))
}

fn entry_file(root: &Path, path: &Path) -> PathBuf {
    let h = crate::env::fnv1a(path.to_string_lossy().as_bytes());
    folder(root).join(format!("{h:016x}.json"))
}

/// Keeps `text` as the unsaved state of `path` (written atomically).
pub fn keep(root: &Path, path: &Path, text: &str) -> std::io::Result<()> {
    let file = entry_file(root, path);
    let dir = file.parent().expect("recovery file has a folder");
    std::fs::create_dir_all(dir)?;
    let saved_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let entry = Recovered {
        path: path.to_path_buf(),
        text: text.to_owned(),
        saved_at,
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut tmp, &entry)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&file).map_err(|e| e.error)?;
    Ok(())
}

/// Every buffer left for this workspace, newest first (unreadable entries are skipped).
pub fn list(root: &Path) -> Vec<Recovered> {
    let Ok(entries) = std::fs::read_dir(folder(root)) else {
        return Vec::new();
    };
    let mut out: Vec<Recovered> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| super::read_bounded(&e.path(), MAX_ENTRY_BYTES).ok())
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(r.saved_at));
    out
}

/// Forgets the kept buffer of `path` (after a save, or when the user discards it).
pub fn clear(root: &Path, path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(entry_file(root, path)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_buffers_come_back_until_cleared() {
        let cache = tempfile::tempdir().unwrap();
        // SAFETY: tests in this module are the only users of PROWL_CACHE in this process's
        // unit tests, and set it to a private folder.
        unsafe { std::env::set_var("PROWL_CACHE", cache.path()) };
        let ws = tempfile::tempdir().unwrap();
        let file = ws.path().join("rules/a.py");
        keep(ws.path(), &file, "draft 1").unwrap();
        keep(ws.path(), &file, "draft 2").unwrap();
        let back = list(ws.path());
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].text, "draft 2");
        assert_eq!(back[0].path, file);
        clear(ws.path(), &file).unwrap();
        assert!(list(ws.path()).is_empty());
        clear(ws.path(), &file).unwrap(); // twice is fine
    }
}
