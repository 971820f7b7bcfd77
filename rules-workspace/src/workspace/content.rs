//! Reading what a workspace holds, when whoever wrote the workspace may be hostile (a
//! third-party pack, a fork from elsewhere).
//!
//! Every read of workspace content goes through [`read_bounded`] or [`read_inside`], which keep
//! these invariants:
//! - only regular files are read: a FIFO, a device, a socket or a folder is refused before a
//!   byte is read. The file is `stat`ed before it is opened (a device is never opened), opened
//!   with `O_NONBLOCK` (opening a FIFO swapped in meanwhile cannot wait for a writer), and the
//!   open descriptor is `fstat`ed (what is read is what was checked);
//! - at most `limit + 1` bytes are read, and more than `limit` is refused: a size from `stat`
//!   is only a hint (0 for `/dev/zero`, and a file can grow while it is read);
//! - [`read_inside`] follows a link only when it resolves inside the workspace root, and opens
//!   the resolved file with `O_NOFOLLOW`, so a link put in its place after the check is refused
//!   rather than followed. [`resolve_inside`] is the same check for writes.
//!
//! Errors are [`SaveError`]s (the `file.*` family), which the window and the command line
//! already show.

use super::save::SaveError;
use std::fs::{File, FileType, Metadata};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The bytes of the regular file `path` (links followed), at most `limit` of them.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, SaveError> {
    let meta = std::fs::metadata(path).map_err(|e| not_found_or_io(path, e))?;
    refuse_irregular(path, &meta)?;
    read_open(path, open(path, true)?, limit)
}

/// The bytes of the regular file `path` of the workspace at `root`, at most `limit` of them. A
/// link is followed only when it resolves inside `root` (`file.outside_workspace` otherwise).
///
/// `path` is a file of the workspace as discovery or [`crate::session::shared::SharedSession::inside`]
/// give it: under `root`, its folders real folders (discovery does not enter linked folders;
/// the window's paths have their folder resolved). A path that is not under `root` as written
/// is resolved in full and checked like a link.
pub fn read_inside(root: &Path, path: &Path, limit: u64) -> Result<Vec<u8>, SaveError> {
    let target = resolve_inside(root, path)?;
    let meta = std::fs::symlink_metadata(&target).map_err(|e| not_found_or_io(path, e))?;
    refuse_irregular(path, &meta)?;
    read_open(path, open(&target, false)?, limit)
}

/// The file `path` stands for in the workspace at `root`: `path` itself, or, when it is a
/// link (or not under `root` as written), the file it resolves to, which must be inside
/// `root`. A path that does not exist is returned as it is (a new file); its folder is the
/// caller's to check.
pub fn resolve_inside(root: &Path, path: &Path) -> Result<PathBuf, SaveError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(path.to_path_buf()),
        Err(e) => return Err(io(path, e)),
    };
    let plainly_inside = path.starts_with(root)
        && !path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    if !meta.file_type().is_symlink() && plainly_inside {
        return Ok(path.to_path_buf());
    }
    // The root as given may itself be reached through a link (`/tmp` on some systems).
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let target = match std::fs::canonicalize(path) {
        Ok(t) => t,
        // A link to nothing (or a loop): nothing outside can be read through it.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SaveError::NotFound {
                path: path.to_path_buf(),
            })
        }
        Err(e) => return Err(io(path, e)),
    };
    if target.starts_with(&real_root) {
        Ok(target)
    } else {
        Err(SaveError::OutsideWorkspace {
            path: path.to_path_buf(),
            target,
            root: real_root,
        })
    }
}

/// What kind of file this is, for messages; `None` for a regular file.
pub fn irregular_kind(file_type: FileType) -> Option<&'static str> {
    if file_type.is_file() {
        None
    } else if file_type.is_dir() {
        Some("a folder")
    } else if file_type.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if file_type.is_char_device() {
        Some("a character device")
    } else if file_type.is_block_device() {
        Some("a block device")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_symlink() {
        Some("a symbolic link")
    } else {
        Some("not a regular file")
    }
}

fn refuse_irregular(path: &Path, meta: &Metadata) -> Result<(), SaveError> {
    match irregular_kind(meta.file_type()) {
        None => Ok(()),
        Some(kind) => Err(SaveError::NotRegular {
            path: path.to_path_buf(),
            kind,
        }),
    }
}

fn open(path: &Path, follow: bool) -> Result<File, SaveError> {
    let mut flags = libc::O_NONBLOCK;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) && !follow {
                // A link appeared where the checked file was.
                SaveError::NotRegular {
                    path: path.to_path_buf(),
                    kind: "a symbolic link",
                }
            } else {
                not_found_or_io(path, e)
            }
        })
}

fn read_open(path: &Path, file: File, limit: u64) -> Result<Vec<u8>, SaveError> {
    let meta = file.metadata().map_err(|e| io(path, e))?;
    refuse_irregular(path, &meta)?;
    let too_large = |size: u64| SaveError::TooLarge {
        path: path.to_path_buf(),
        size,
        max: limit,
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    // The size is a hint for the buffer only; `take` is the bound.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn not_found_or_io(path: &Path, e: std::io::Error) -> SaveError {
    if e.kind() == std::io::ErrorKind::NotFound {
        SaveError::NotFound {
            path: path.to_path_buf(),
        }
    } else {
        io(path, e)
    }
}

fn io(path: &Path, source: std::io::Error) -> SaveError {
    SaveError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::UserError;
    use std::os::unix::fs::symlink;

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    }

    #[test]
    fn regular_files_are_read_up_to_the_limit_and_refused_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.yml");
        std::fs::write(&file, "12345").unwrap();
        assert_eq!(read_bounded(&file, 5).unwrap(), b"12345");
        let err = read_bounded(&file, 4).unwrap_err();
        assert_eq!(err.code(), "file.too_large", "{err}");
        assert_eq!(
            read_bounded(&dir.path().join("nope"), 4)
                .unwrap_err()
                .code(),
            "file.not_found"
        );
    }

    #[test]
    fn fifos_devices_and_folders_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let fifo = root.join("pipe.yml");
        mkfifo(&fifo);
        let zero = root.join("zero.yml");
        symlink("/dev/zero", &zero).unwrap();
        for (path, kind) in [
            (&fifo, "FIFO"),
            (&zero, "character device"),
            (&root.to_path_buf(), "folder"),
        ] {
            let err = read_bounded(path, 1 << 20).unwrap_err();
            assert_eq!(err.code(), "file.not_regular", "{err}");
            assert!(err.to_string().contains(kind), "{err}");
        }
        // Inside a workspace: the FIFO is refused as not regular, the link to a device as
        // leading outside.
        assert_eq!(
            read_inside(root, &fifo, 1 << 20).unwrap_err().code(),
            "file.not_regular"
        );
        assert_eq!(
            read_inside(root, &zero, 1 << 20).unwrap_err().code(),
            "file.outside_workspace"
        );
    }

    #[test]
    fn links_are_followed_only_when_they_stay_inside_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let root = base.join("ws");
        std::fs::create_dir_all(root.join("rules")).unwrap();
        std::fs::write(base.join("canary.txt"), "secret").unwrap();
        std::fs::write(root.join("rules/real.py"), "inside").unwrap();
        symlink("real.py", root.join("rules/alias.py")).unwrap();
        symlink("../../canary.txt", root.join("rules/out.py")).unwrap();
        symlink("nowhere.py", root.join("rules/dangling.py")).unwrap();
        assert_eq!(
            read_inside(&root, &root.join("rules/alias.py"), 100).unwrap(),
            b"inside"
        );
        let err = read_inside(&root, &root.join("rules/out.py"), 100).unwrap_err();
        assert_eq!(err.code(), "file.outside_workspace");
        assert!(err.to_string().contains("canary.txt"), "{err}");
        assert!(err.hint().is_some());
        assert_eq!(
            read_inside(&root, &root.join("rules/dangling.py"), 100)
                .unwrap_err()
                .code(),
            "file.not_found"
        );
        // `..` out of the root is resolved and refused like a link.
        assert_eq!(
            read_inside(&root, &root.join("rules/../../canary.txt"), 100)
                .unwrap_err()
                .code(),
            "file.outside_workspace"
        );
        // For a write: the target of an inside link, a new file as named, an outside link
        // refused.
        assert_eq!(
            resolve_inside(&root, &root.join("rules/alias.py")).unwrap(),
            root.join("rules/real.py")
        );
        assert_eq!(
            resolve_inside(&root, &root.join("rules/new.py")).unwrap(),
            root.join("rules/new.py")
        );
        assert_eq!(
            resolve_inside(&root, &root.join("rules/out.py"))
                .unwrap_err()
                .code(),
            "file.outside_workspace"
        );
    }
}
