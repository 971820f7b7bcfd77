//! The one way Prowl writes a user's file: atomic and conflict-aware.
//!
//! `read_text` returns a file's text with a *stamp* (a hash of its bytes); `save_text` writes
//! only if the file on disk still has that stamp, so an edit made meanwhile by another editor
//! or a `git checkout` is never overwritten silently. The write goes to a temporary file in the
//! same directory, is flushed to disk, keeps the original's permissions and replaces the file
//! with one `rename`, then the directory is synced: a crash leaves the old file or the new one,
//! never half of either.
//!
//! A workspace's files are read and written with `read_text_in` and `save_text_in`: a link is
//! followed only when it stays inside the workspace, and only regular files are read, never
//! more than [`MAX_TEXT_BYTES`] (see [`super::content`]).

use super::content;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Files larger than this are not opened as text.
pub const MAX_TEXT_BYTES: u64 = 32 * 1024 * 1024;

/// The stamp of a file that does not exist.
pub const ABSENT: &str = "absent";

/// Why a file could not be read as text or saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The file changed on disk since it was read: saving would lose that change.
    #[error("{path}: the file changed on disk since it was opened")]
    Conflict {
        /// The file.
        path: PathBuf,
    },
    /// The file does not exist.
    #[error("{path}: no such file")]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// Too large to edit as text.
    #[error("{path}: the file is {size} bytes, more than the {max} bytes Prowl opens as text")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// Not UTF-8.
    #[error("{path}: not UTF-8 text (binary or another encoding); Prowl will not edit it")]
    NotText {
        /// The file.
        path: PathBuf,
    },
    /// A FIFO, a device, a socket or a folder: reading it could hang or never end.
    #[error("{path} is {kind}, not a regular file; Prowl does not read it")]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is (`a FIFO (named pipe)`, `a character device`, …).
        kind: &'static str,
    },
    /// A link that leads out of the workspace: reading or writing through it would touch a
    /// file the workspace does not own.
    #[error("{path} is a link to {target}, outside the workspace {root}")]
    OutsideWorkspace {
        /// The link, as named.
        path: PathBuf,
        /// Where it leads.
        target: PathBuf,
        /// The workspace.
        root: PathBuf,
    },
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl crate::error::UserError for SaveError {
    fn family(&self) -> &'static str {
        "file"
    }

    fn name(&self) -> &'static str {
        match self {
            SaveError::Conflict { .. } => "conflict",
            SaveError::NotFound { .. } => "not_found",
            SaveError::TooLarge { .. } => "too_large",
            SaveError::NotText { .. } => "not_text",
            SaveError::NotRegular { .. } => "not_regular",
            SaveError::OutsideWorkspace { .. } => "outside_workspace",
            SaveError::Io { .. } => "io",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            SaveError::Conflict { .. } => Some(
                "reload the file to see the other change, or copy your edits elsewhere first"
                    .into(),
            ),
            SaveError::NotText { .. } => Some("open it in another editor".into()),
            SaveError::NotRegular { .. } => Some(
                "replace it with a regular file; a workspace from elsewhere may hold such files to hang or exhaust whoever reads it"
                    .into(),
            ),
            SaveError::OutsideWorkspace { .. } => Some(
                "Prowl reads and writes only files inside the workspace: replace the link with the file itself, or remove it"
                    .into(),
            ),
            _ => None,
        }
    }

    fn location(&self) -> Option<crate::error::Location> {
        match self {
            SaveError::Conflict { path }
            | SaveError::NotFound { path }
            | SaveError::TooLarge { path, .. }
            | SaveError::NotText { path }
            | SaveError::NotRegular { path, .. }
            | SaveError::OutsideWorkspace { path, .. }
            | SaveError::Io { path, .. } => Some(crate::error::Location::file(path)),
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SaveError + '_ {
    move |source| SaveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The stamp of some bytes: 64-bit FNV-1a of the content and its length.
pub fn stamp_of(bytes: &[u8]) -> String {
    format!("{:016x}-{}", crate::env::fnv1a(bytes), bytes.len())
}

/// The largest file whose stamp is taken: a spec may be this large (`prowl tests edit`
/// rewrites one); a file read as text is smaller.
const MAX_STAMPED_BYTES: u64 = super::MAX_SPEC_BYTES;

/// The stamp of the file as it is on disk now ([`ABSENT`] when it does not exist). Only a
/// regular file has one (a FIFO or a device is refused, never read).
pub fn stamp_on_disk(path: &Path) -> Result<String, SaveError> {
    absent_if_missing(content::read_bounded(path, MAX_STAMPED_BYTES))
}

fn absent_if_missing(read: Result<Vec<u8>, SaveError>) -> Result<String, SaveError> {
    match read {
        Ok(bytes) => Ok(stamp_of(&bytes)),
        Err(SaveError::NotFound { .. }) => Ok(ABSENT.to_owned()),
        Err(e) => Err(e),
    }
}

/// A file's text and stamp (links followed: for files the user named, not a workspace's).
pub fn read_text(path: &Path) -> Result<(String, String), SaveError> {
    text_of(path, content::read_bounded(path, MAX_TEXT_BYTES)?)
}

/// A workspace file's text and stamp: a link is followed only when it stays inside `root`,
/// and only a regular file is read (see [`content`]).
pub fn read_text_in(root: &Path, path: &Path) -> Result<(String, String), SaveError> {
    text_of(path, content::read_inside(root, path, MAX_TEXT_BYTES)?)
}

fn text_of(path: &Path, bytes: Vec<u8>) -> Result<(String, String), SaveError> {
    let stamp = stamp_of(&bytes);
    let text = String::from_utf8(bytes).map_err(|_| SaveError::NotText {
        path: path.to_path_buf(),
    })?;
    Ok((text, stamp))
}

/// Writes `text` to `path` if the file on disk still has `expected` (its stamp when it was
/// read, or [`ABSENT`] for a new file). Returns the new stamp. Through a link, the file it
/// points to is replaced (not the link), wherever it is: for files the user named (Prowl's own
/// settings, a spec given to `prowl tests edit`); a workspace's files go through
/// [`save_text_in`].
pub fn save_text(path: &Path, text: &str, expected: &str) -> Result<String, SaveError> {
    let resolved = std::fs::canonicalize(path).ok();
    let path = resolved.as_deref().unwrap_or(path);
    let current = stamp_on_disk(path)?;
    replace_if_unchanged(path, text, expected, &current)
}

/// [`save_text`] for a file of the workspace at `root`: through a link only when it resolves
/// inside `root` (`file.outside_workspace` otherwise, and nothing is written).
pub fn save_text_in(
    root: &Path,
    path: &Path,
    text: &str,
    expected: &str,
) -> Result<String, SaveError> {
    let target = content::resolve_inside(root, path)?;
    let current = absent_if_missing(content::read_inside(root, &target, MAX_STAMPED_BYTES))?;
    replace_if_unchanged(&target, text, expected, &current)
}

/// Writes any bytes (a merge's result may be binary) to a workspace file, as
/// [`save_text_in`] writes text; missing folders are created (a file moved upstream lands in a
/// folder the fork does not have yet).
pub fn save_bytes_in(
    root: &Path,
    path: &Path,
    bytes: &[u8],
    expected: &str,
) -> Result<String, SaveError> {
    if let Some(dir) = path.parent() {
        if !dir.exists() {
            let inside = dir.starts_with(root)
                && !dir
                    .components()
                    .any(|c| c == std::path::Component::ParentDir);
            if !inside {
                return Err(SaveError::OutsideWorkspace {
                    path: path.to_path_buf(),
                    target: dir.to_path_buf(),
                    root: root.to_path_buf(),
                });
            }
            std::fs::create_dir_all(dir).map_err(io(path))?;
        }
    }
    let target = content::resolve_inside(root, path)?;
    let current = absent_if_missing(content::read_inside(root, &target, MAX_STAMPED_BYTES))?;
    replace_bytes_if_unchanged(&target, bytes, expected, &current)
}

/// Deletes a workspace file if it still has `expected` (a link is removed, not its target).
pub fn remove_in(root: &Path, path: &Path, expected: &str) -> Result<(), SaveError> {
    let current = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ABSENT.to_owned(),
        Err(e) => return Err(io(path)(e)),
        Ok(meta) if meta.file_type().is_symlink() => stamp_of(
            std::fs::read_link(path)
                .map_err(io(path))?
                .as_os_str()
                .as_encoded_bytes(),
        ),
        Ok(_) => absent_if_missing(content::read_inside(root, path, MAX_STAMPED_BYTES))?,
    };
    if current == ABSENT {
        return Ok(());
    }
    if current != expected {
        return Err(SaveError::Conflict {
            path: path.to_path_buf(),
        });
    }
    std::fs::remove_file(path).map_err(io(path))?;
    if let Some(d) = path.parent().and_then(|d| std::fs::File::open(d).ok()) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The write itself: temporary file, fsync, permissions, rename, folder sync.
fn replace_if_unchanged(
    path: &Path,
    text: &str,
    expected: &str,
    current: &str,
) -> Result<String, SaveError> {
    replace_bytes_if_unchanged(path, text.as_bytes(), expected, current)
}

fn replace_bytes_if_unchanged(
    path: &Path,
    text: &[u8],
    expected: &str,
    current: &str,
) -> Result<String, SaveError> {
    if current != expected {
        return Err(SaveError::Conflict {
            path: path.to_path_buf(),
        });
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".prowl-save-")
        .tempfile_in(dir)
        .map_err(io(path))?;
    tmp.write_all(text).map_err(io(path))?;
    tmp.as_file().sync_all().map_err(io(path))?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(path).map_err(|e| io(path)(e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(stamp_of(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    #[test]
    fn a_save_needs_the_stamp_of_what_is_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rule.py");
        // A new file: only with ABSENT.
        assert!(matches!(
            save_text(&path, "x", "0000-1"),
            Err(SaveError::Conflict { .. })
        ));
        let s1 = save_text(&path, "def rule(e):\n    return True\n", ABSENT).unwrap();
        let (text, stamp) = read_text(&path).unwrap();
        assert_eq!(stamp, s1);
        assert!(text.starts_with("def rule"));
        // Someone else writes: our save is refused and their text stays.
        std::fs::write(&path, "theirs\n").unwrap();
        assert!(matches!(
            save_text(&path, "mine\n", &s1),
            Err(SaveError::Conflict { .. })
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "theirs\n");
        // With the current stamp it goes through, and no temp file is left behind.
        let s2 = stamp_on_disk(&path).unwrap();
        save_text(&path, "mine\n", &s2).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine\n");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec!["rule.py"]);
    }

    #[test]
    fn a_symbolic_link_keeps_pointing_at_the_saved_file() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yml");
        let link = dir.path().join("link.yml");
        std::fs::write(&real, "a: 1\n").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let stamp = stamp_on_disk(&link).unwrap();
        save_text(&link, "a: 2\n", &stamp).unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "a: 2\n");
    }

    #[test]
    fn a_workspace_file_linked_outside_is_neither_read_nor_written() {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let root = base.join("ws");
        std::fs::create_dir_all(&root).unwrap();
        let canary = base.join("canary.txt");
        std::fs::write(&canary, "original\n").unwrap();
        let link = root.join("x.py");
        std::os::unix::fs::symlink(&canary, &link).unwrap();
        let err = read_text_in(&root, &link).unwrap_err();
        assert!(matches!(err, SaveError::OutsideWorkspace { .. }), "{err}");
        for stamp in [ABSENT.to_owned(), stamp_of(b"original\n")] {
            let err = save_text_in(&root, &link, "pwned\n", &stamp).unwrap_err();
            assert!(matches!(err, SaveError::OutsideWorkspace { .. }), "{err}");
        }
        assert_eq!(std::fs::read_to_string(&canary).unwrap(), "original\n");
        // A link that stays inside works as before: its target is replaced.
        let real = root.join("real.py");
        std::fs::write(&real, "a\n").unwrap();
        std::os::unix::fs::symlink("real.py", root.join("alias.py")).unwrap();
        let (text, stamp) = read_text_in(&root, &root.join("alias.py")).unwrap();
        assert_eq!(text, "a\n");
        save_text_in(&root, &root.join("alias.py"), "b\n", &stamp).unwrap();
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "b\n");
    }

    #[test]
    fn a_fifo_is_never_read_or_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.yml");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        assert!(matches!(
            read_text(&fifo),
            Err(SaveError::NotRegular { .. })
        ));
        assert!(matches!(
            save_text_in(dir.path(), &fifo, "x", ABSENT),
            Err(SaveError::NotRegular { .. })
        ));
        assert!(std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo());
    }

    #[test]
    fn permissions_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.sh");
        std::fs::write(&path, "a").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o750)).unwrap();
        let s = stamp_on_disk(&path).unwrap();
        save_text(&path, "b", &s).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o750);
    }

    #[test]
    fn binary_and_missing_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("blob.yml");
        std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x81]).unwrap();
        assert!(matches!(read_text(&bin), Err(SaveError::NotText { .. })));
        assert!(matches!(
            read_text(&dir.path().join("nope.yml")),
            Err(SaveError::NotFound { .. })
        ));
        // Saving into a folder that does not exist is an I/O error, not a panic.
        let deep = dir.path().join("gone/x.yml");
        assert!(matches!(
            save_text(&deep, "x", ABSENT),
            Err(SaveError::Io { .. })
        ));
    }
}
