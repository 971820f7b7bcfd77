//! Safe extraction of a pack archive (zip, tar, tar.gz) into a quarantine folder.
//!
//! Invariants: nothing is ever written outside `dest` — an entry whose path is absolute, has a
//! `..` component, or names `.git` is refused, and only regular files and folders are created
//! (symbolic and hard links, devices and FIFOs are skipped and listed); files are written
//! without execute bits and never over an existing path; extraction stops with an error past
//! the limits on total size and entry count, counted from the bytes actually written (not from
//! what headers claim, so a zip bomb stops at the limit).

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The most an archive may unpack to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Bytes written in all.
    pub max_bytes: u64,
    /// Entries (files, folders and skipped ones) in all.
    pub max_entries: usize,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_bytes: 512 * 1024 * 1024,
            max_entries: 50_000,
        }
    }
}

/// The kinds of archive read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    /// `.zip`.
    Zip,
    /// `.tar`.
    Tar,
    /// `.tar.gz` / `.tgz`.
    TarGz,
}

impl ArchiveKind {
    /// The kind a file name says (`None`: not an archive Prowl reads).
    pub fn of(path: &Path) -> Option<ArchiveKind> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".zip") {
            Some(ArchiveKind::Zip)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(ArchiveKind::TarGz)
        } else if name.ends_with(".tar") {
            Some(ArchiveKind::Tar)
        } else {
            None
        }
    }
}

/// What extraction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Files written.
    pub files: usize,
    /// Bytes written.
    pub bytes: u64,
    /// Entries not written, with why (`symbolic link`, `path outside the archive`, …).
    pub skipped: Vec<(String, String)>,
}

/// Why an archive could not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The archive file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The bytes are not an archive of the kind its name says.
    #[error("{path} is not a valid {kind} archive: {detail}")]
    Corrupt {
        /// The archive.
        path: PathBuf,
        /// `zip` or `tar`.
        kind: &'static str,
        /// The reader's words.
        detail: String,
    },
    /// Past a limit.
    #[error("{path} unpacks to {what}; extraction stopped")]
    TooLarge {
        /// The archive.
        path: PathBuf,
        /// Which limit, with the numbers.
        what: String,
    },
}

/// Extracts `archive` into `dest` (an existing empty folder).
pub fn extract(
    archive: &Path,
    kind: ArchiveKind,
    dest: &Path,
    limits: ArchiveLimits,
) -> Result<Extracted, ArchiveError> {
    let file = std::fs::File::open(archive).map_err(|source| ArchiveError::Io {
        path: archive.to_path_buf(),
        source,
    })?;
    let mut sink = Sink {
        archive,
        dest,
        limits,
        entries: 0,
        out: Extracted::default(),
    };
    match kind {
        ArchiveKind::Zip => extract_zip(file, &mut sink)?,
        ArchiveKind::Tar => extract_tar(file, &mut sink)?,
        ArchiveKind::TarGz => extract_tar(flate2::read::GzDecoder::new(file), &mut sink)?,
    }
    Ok(sink.out)
}

/// Where entries go, and the counts the limits apply to.
struct Sink<'a> {
    archive: &'a Path,
    dest: &'a Path,
    limits: ArchiveLimits,
    entries: usize,
    out: Extracted,
}

/// What an entry is.
enum Entry {
    File,
    Dir,
    Other(&'static str),
}

impl Sink<'_> {
    fn too_large(&self, what: String) -> ArchiveError {
        ArchiveError::TooLarge {
            path: self.archive.to_path_buf(),
            what,
        }
    }

    fn io(&self, path: &Path, source: std::io::Error) -> ArchiveError {
        ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// Takes one entry: `content` is read only for a file that may be written.
    fn entry(
        &mut self,
        raw_name: &str,
        kind: Entry,
        content: &mut dyn Read,
    ) -> Result<(), ArchiveError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(self.too_large(format!("more than {} entries", self.limits.max_entries)));
        }
        let shown: String = raw_name.chars().take(200).collect();
        let rel = match safe_relative(raw_name) {
            Ok(rel) => rel,
            Err(why) => {
                self.out.skipped.push((shown, why.into()));
                return Ok(());
            }
        };
        let target = self.dest.join(&rel);
        match kind {
            Entry::Other(why) => {
                self.out.skipped.push((shown, why.into()));
                Ok(())
            }
            Entry::Dir => {
                self.ensure_parents(&target, true)?;
                Ok(())
            }
            Entry::File => {
                if rel.as_os_str().is_empty() {
                    return Ok(());
                }
                self.ensure_parents(&target, false)?;
                // Never over something already there (two entries with one name, or a name
                // an earlier entry made a folder).
                let mut file = match std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&target)
                {
                    Ok(f) => f,
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        self.out
                            .skipped
                            .push((shown, "a second entry with this path".into()));
                        return Ok(());
                    }
                    Err(e) => return Err(self.io(&target, e)),
                };
                let room = self.limits.max_bytes.saturating_sub(self.out.bytes);
                let written = std::io::copy(&mut content.take(room + 1), &mut file)
                    .map_err(|e| self.io(&target, e))?;
                self.out.bytes += written;
                if written > room {
                    drop(file);
                    let _ = std::fs::remove_file(&target);
                    return Err(
                        self.too_large(format!("more than {} bytes", self.limits.max_bytes))
                    );
                }
                self.out.files += 1;
                Ok(())
            }
        }
    }

    /// Creates the folders above `target` (and `target` itself for a folder), refusing to go
    /// through anything that is not a real folder inside `dest`.
    fn ensure_parents(&self, target: &Path, including_self: bool) -> Result<(), ArchiveError> {
        let dir = if including_self {
            target
        } else {
            match target.parent() {
                Some(p) => p,
                None => return Ok(()),
            }
        };
        let rel = dir.strip_prefix(self.dest).unwrap_or(Path::new(""));
        let mut at = self.dest.to_path_buf();
        for part in rel.components() {
            at.push(part);
            match std::fs::symlink_metadata(&at) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(self.io(
                        &at,
                        std::io::Error::new(
                            std::io::ErrorKind::AlreadyExists,
                            "an earlier entry made this a file",
                        ),
                    ))
                }
                Err(_) => std::fs::create_dir(&at).map_err(|e| self.io(&at, e))?,
            }
        }
        Ok(())
    }
}

/// An entry's path as a relative path under the quarantine folder, or why it is refused.
fn safe_relative(name: &str) -> Result<PathBuf, &'static str> {
    if name.contains('\0') {
        return Err("a NUL in its path");
    }
    let name = name.replace('\\', "/");
    if name.starts_with('/') || (name.len() > 1 && name.as_bytes()[1] == b':') {
        return Err("an absolute path");
    }
    let mut out = PathBuf::new();
    for part in Path::new(&name).components() {
        match part {
            Component::Normal(p) => {
                if p.to_string_lossy().eq_ignore_ascii_case(".git") {
                    return Err("a path into .git");
                }
                out.push(p);
            }
            Component::CurDir => {}
            Component::ParentDir => return Err("a path leaving the archive (`..`)"),
            Component::RootDir | Component::Prefix(_) => return Err("an absolute path"),
        }
    }
    Ok(out)
}

fn extract_zip(file: std::fs::File, sink: &mut Sink) -> Result<(), ArchiveError> {
    let corrupt = |e: zip::result::ZipError| ArchiveError::Corrupt {
        path: sink.archive.to_path_buf(),
        kind: "zip",
        detail: e.to_string(),
    };
    let mut zip = zip::ZipArchive::new(file).map_err(corrupt)?;
    if zip.len() > sink.limits.max_entries {
        return Err(sink.too_large(format!("more than {} entries", sink.limits.max_entries)));
    }
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(corrupt)?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let mode = entry.unix_mode().unwrap_or(0);
        let kind = if mode & 0o170000 == 0o120000 {
            Entry::Other("symbolic link")
        } else if entry.is_dir() {
            Entry::Dir
        } else if mode & 0o170000 != 0 && mode & 0o170000 != 0o100000 {
            Entry::Other("not a regular file")
        } else if entry.encrypted() {
            Entry::Other("encrypted")
        } else {
            Entry::File
        };
        if !matches!(kind, Entry::File) {
            sink.entry(&name, kind, &mut std::io::empty())?;
            continue;
        }
        drop(entry);
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(zip::result::ZipError::UnsupportedArchive(why)) => {
                sink.entry(&name, Entry::Other(why), &mut std::io::empty())?;
                continue;
            }
            Err(e) => return Err(corrupt(e)),
        };
        sink.entry(&name, Entry::File, &mut entry)?;
    }
    Ok(())
}

fn extract_tar(reader: impl Read, sink: &mut Sink) -> Result<(), ArchiveError> {
    let corrupt = |e: std::io::Error| ArchiveError::Corrupt {
        path: sink.archive.to_path_buf(),
        kind: "tar",
        detail: e.to_string(),
    };
    let mut archive = tar::Archive::new(reader);
    let entries = archive.entries().map_err(corrupt)?;
    for entry in entries {
        let mut entry = entry.map_err(corrupt)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => Entry::File,
            tar::EntryType::Directory => Entry::Dir,
            tar::EntryType::Symlink => Entry::Other("symbolic link"),
            tar::EntryType::Link => Entry::Other("hard link"),
            tar::EntryType::Char | tar::EntryType::Block => Entry::Other("device"),
            tar::EntryType::Fifo => Entry::Other("FIFO"),
            // pax and GNU long-name headers are read by the tar crate itself.
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            _ => Entry::Other("not a regular file"),
        };
        sink.entry(&name, kind, &mut entry)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths_that_leave_the_folder_are_refused() {
        assert!(safe_relative("rules/a.py").is_ok());
        assert!(safe_relative("./rules/a.py").is_ok());
        assert_eq!(
            safe_relative("../evil").unwrap_err(),
            "a path leaving the archive (`..`)"
        );
        assert!(safe_relative("rules/../../evil").is_err());
        assert!(safe_relative("/etc/passwd").is_err());
        assert!(safe_relative("C:\\x").is_err());
        assert!(safe_relative("..\\evil").is_err());
        assert!(safe_relative("pack/.git/config").is_err());
    }

    #[test]
    fn kinds_come_from_the_file_name() {
        assert_eq!(ArchiveKind::of(Path::new("p.ZIP")), Some(ArchiveKind::Zip));
        assert_eq!(
            ArchiveKind::of(Path::new("p.tgz")),
            Some(ArchiveKind::TarGz)
        );
        assert_eq!(
            ArchiveKind::of(Path::new("p.tar.gz")),
            Some(ArchiveKind::TarGz)
        );
        assert_eq!(ArchiveKind::of(Path::new("p.tar")), Some(ArchiveKind::Tar));
        assert_eq!(ArchiveKind::of(Path::new("p")), None);
    }
}
