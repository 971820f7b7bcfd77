//! The archive `pat zip` writes (and `pat upload` sends): the selected specs and the files
//! their `Filename` names, nothing else.
//!
//! As PAT 1.6.3 (`zip_chunker.analysis_chunks`, `main.zip_analysis`): the items of the
//! workspace in its walk order, selected by `--filter` plus PAT's forced
//! `Status!=experimental,deprecated`; for each, the YAML spec and then its `Filename` file (a
//! detection's or helper's Python, a lookup table's data), each path once, named relative to the
//! workspace root, deflated. The archive is named
//! `panther-analysis-<local time, colons as dashes>-<uuid4>.zip` in the output folder and is
//! written whole or not at all (a temporary file renamed at the end).
//!
//! One difference, on purpose: PAT zips whatever YAML it loaded when its tests are skipped,
//! invalid specs included (which the server then refuses); Prowl refuses to write an archive
//! from a workspace with invalid specs and names them.

use crate::filter::Filters;
use crate::spec::Node;
use crate::workspace::Workspace;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The largest file put in an archive (Panther's API refuses uploads far smaller).
const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// Why no archive was written.
#[derive(Debug, thiserror::Error)]
pub enum ZipError {
    /// Some specs are invalid: the server would refuse them.
    #[error("{} spec file(s) are invalid, so no archive was written: {}", .0.len(), .0.join(", "))]
    Invalid(Vec<String>),
    /// A spec's `Filename` names a file that is missing, not regular, too large, or outside the
    /// workspace.
    #[error("{0}: not a readable file inside the workspace, so no archive was written")]
    Outside(String),
    /// Reading a file or writing the archive failed.
    #[error("{0}")]
    Io(String),
}

impl crate::error::UserError for ZipError {
    fn family(&self) -> &'static str {
        "zip"
    }

    fn name(&self) -> &'static str {
        match self {
            ZipError::Invalid(_) => "invalid",
            ZipError::Outside(_) => "outside_workspace",
            ZipError::Io(_) => "io",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ZipError::Invalid(_) => Some("run `prowl validate` to see each problem".into()),
            ZipError::Outside(_) => Some(
                "a spec's Filename must name a file inside the workspace (no `..` out of it, no link leading out)".into(),
            ),
            ZipError::Io(_) => None,
        }
    }
}

/// The archive's entries, in order: paths relative to the workspace root, `/`-separated.
pub fn entries(ws: &Workspace, filters: &Filters) -> Vec<String> {
    entries_for(ws, &selection(ws, filters))
}

/// The items an archive holds: the selection with PAT's forced
/// `Status!=experimental,deprecated`.
pub fn selection(ws: &Workspace, filters: &Filters) -> Vec<usize> {
    ws.select(&filters.clone().with_status_filters())
}

/// The entries of an archive of these items (indices into `ws.items`, in walk order).
pub fn entries_for(ws: &Workspace, items: &[usize]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for &i in items {
        let item = &ws.items[i];
        let mut add = |rel: String| {
            if seen.insert(rel.clone()) {
                out.push(rel);
            }
        };
        add(item.rel_path.clone());
        if let Some(file) = item.spec.get("Filename").and_then(Node::as_str) {
            let dir = Path::new(&item.rel_path).parent().unwrap_or(Path::new(""));
            add(normalise(&dir.join(file)));
        }
    }
    out
}

/// `os.path.relpath`'s spelling of a path: no `.` steps, `..` applied where it can be (a `..`
/// leading out of the workspace is kept, and `write` refuses the entry).
fn normalise(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    parts.join("/")
}

/// The archive of `ws`'s selection, in memory (what `upload` and `validate` send).
pub fn bytes(ws: &Workspace, filters: &Filters) -> Result<Vec<u8>, ZipError> {
    bytes_for(ws, &selection(ws, filters))
}

/// The archive of these items (indices into `ws.items`), in memory.
pub fn bytes_for(ws: &Workspace, items: &[usize]) -> Result<Vec<u8>, ZipError> {
    let invalid: std::collections::BTreeSet<String> = ws
        .diagnostics
        .iter()
        .filter(|d| d.pat && d.is_error())
        .map(|d| d.rel_path.clone())
        .collect();
    if !invalid.is_empty() {
        return Err(ZipError::Invalid(invalid.into_iter().collect()));
    }
    let mut zip = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Deflated);
    for entry in entries_for(ws, items) {
        // Never a file outside the workspace (a `Filename` of `../../.ssh/id_rsa`, or a link
        // out of it): the archive goes to a server.
        let bytes = crate::workspace::read_inside(&ws.root, &ws.root.join(&entry), MAX_FILE_BYTES)
            .map_err(|_| ZipError::Outside(entry.clone()))?;
        zip.start_file(entry.as_str(), options)
            .map_err(|e| ZipError::Io(format!("{entry}: {e}")))?;
        zip.write_all(&bytes)
            .map_err(|e| ZipError::Io(format!("{entry}: {e}")))?;
    }
    Ok(zip
        .finish()
        .map_err(|e| ZipError::Io(e.to_string()))?
        .into_inner())
}

/// Writes the archive of `ws`'s selection into `out_dir` (created if missing); returns its path.
pub fn write(ws: &Workspace, filters: &Filters, out_dir: &Path) -> Result<PathBuf, ZipError> {
    let archive = bytes(ws, filters)?;
    let io = |what: &str, e: std::io::Error| ZipError::Io(format!("{what}: {e}"));
    std::fs::create_dir_all(out_dir).map_err(|e| io(&out_dir.display().to_string(), e))?;
    let name = format!("panther-analysis-{}-{}.zip", local_time_stamp(), uuid4());
    let path = out_dir.join(&name);
    let partial = out_dir.join(format!(".{name}.partial"));
    let result = (|| -> Result<(), ZipError> {
        let mut file =
            std::fs::File::create(&partial).map_err(|e| io(&partial.display().to_string(), e))?;
        file.write_all(&archive).map_err(|e| io("the archive", e))?;
        file.sync_all().map_err(|e| io("the archive", e))?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, &path).map_err(|e| io(&path.display().to_string(), e))?;
    Ok(path)
}

/// `datetime.now().isoformat(timespec="seconds")` with the colons replaced, as PAT names
/// archives (local time).
fn local_time_stamp() -> String {
    // SAFETY: `time` and `localtime_r` with a valid out-pointer; no shared state is kept.
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return "1970-01-01T00-00-00".into();
        }
        format!(
            "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}",
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec
        )
    }
}

/// A random (version 4) UUID, from the kernel's random source.
fn uuid4() -> String {
    use std::io::Read;
    let mut b = [0u8; 16];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_err()
    {
        // Unique enough for a file name when the random source is missing.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        b = (nanos ^ u128::from(std::process::id())).to_le_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_look_like_pats() {
        let id = uuid4();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        let stamp = local_time_stamp();
        assert_eq!(stamp.len(), 19);
        assert!(!stamp.contains(':'));
        assert_eq!(normalise(Path::new("rules/./a/../b.py")), "rules/b.py");
        assert_eq!(normalise(Path::new("rules/../../x")), "../x");
    }
}
