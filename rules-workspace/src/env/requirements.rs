//! What a workspace asks to have installed, read so that it cannot smuggle code in.
//!
//! Sources, in order (the first present wins; the others are named as ignored): `Pipfile`
//! `[packages]`, `requirements.txt`, `pyproject.toml` (`[project] dependencies`, else
//! `[tool.poetry.dependencies]`). Lock files (`Pipfile.lock` `default`, `uv.lock`,
//! `poetry.lock`) pin versions as constraints.
//!
//! Only plain PEP 508 requirements are accepted: a name, extras, version specifiers and markers.
//! Options (`-i`, `--index-url`, `-e`, `-r`, `-c`, `--find-links`, `--trusted-host`, …), URLs,
//! VCS references (`git+https://…`, Pipfile `git =`), local paths and direct references
//! (`pkg @ https://…`, Pipfile `path =`/`file =`/`editable =`/`index =`) are refused, each with
//! its file, line and a hint; a single refusal stops the sync before anything is installed.
//! `--hash=` options on a requirements line only restrict what may be installed and are
//! accepted (and not used).
//!
//! Tools that are not a runtime dependency of a detection (panther-analysis-tool, test runners,
//! linters) are left out, with the reason, as are pins of the packages Prowl's runtime fixes
//! (panther-core, jsonpath-ng): Prowl's pin wins, and the message names both.

use pep508_rs::{Requirement, VersionOrUrl};
use std::path::Path;
use std::str::FromStr;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A place in a requirements file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Origin {
    /// The file, relative to the workspace (`Pipfile`, `requirements.txt`, …).
    pub file: String,
    /// 1-based line.
    pub line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A requirement the workspace asks for, as Prowl will pass it to the installer.
#[derive(Debug, Clone)]
pub struct Asked {
    /// The parsed requirement.
    pub requirement: Requirement,
    /// Where it was written.
    pub origin: Origin,
}

impl Asked {
    /// The normalised package name (`panther-core`).
    pub fn name(&self) -> String {
        self.requirement.name.to_string()
    }
}

/// A version a lock file pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The normalised package name.
    pub name: String,
    /// The exact version.
    pub version: String,
    /// Where it was pinned.
    pub origin: Origin,
}

/// A requirement Prowl does not install, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct LeftOut {
    /// The package (or the requirement text).
    pub name: String,
    /// Where it was asked for.
    pub origin: Origin,
    /// Why it is left out.
    pub why: String,
}

/// A requirement in a form that could bring code from elsewhere: refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Refused {
    /// Where.
    pub origin: Origin,
    /// The text as written.
    pub text: String,
    /// What kind of form it is.
    pub why: String,
    /// What to do instead.
    pub hint: String,
}

/// Everything read from a workspace's requirement files.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceRequirements {
    /// The file the requirements come from (`None`: the workspace declares none).
    pub source: Option<String>,
    /// The requirements to install.
    pub asked: Vec<Asked>,
    /// Versions pinned by a lock file (constraints, not requirements).
    pub pins: Vec<Pin>,
    /// What is not installed, and why.
    pub left_out: Vec<LeftOut>,
    /// Forms refused, and requirement files that are a FIFO, a device or too large (placed at
    /// their line 1). The sync stops when there is any.
    pub refused: Vec<Refused>,
    /// Other files that were not read, and why (e.g. a requirements.txt beside a Pipfile).
    pub ignored: Vec<(String, String)>,
}

/// Packages that are tools around detections, not something a detection imports.
const TOOLS: &[(&str, &str)] = &[
    (
        "panther-analysis-tool",
        "PAT itself: Prowl replaces it, detections never import it",
    ),
    ("pytest", "a test runner, not imported by detections"),
    ("black", "a formatter, not imported by detections"),
    ("isort", "a formatter, not imported by detections"),
    ("pylint", "a linter, not imported by detections"),
    ("flake8", "a linter, not imported by detections"),
    ("mypy", "a type checker, not imported by detections"),
    ("bandit", "a linter, not imported by detections"),
    (
        "pre-commit",
        "a git hook manager, not imported by detections",
    ),
    ("coverage", "a test tool, not imported by detections"),
];

/// Reads the workspace's requirement files (never runs anything).
pub fn read(root: &Path) -> WorkspaceRequirements {
    let mut out = WorkspaceRequirements::default();
    let candidates = ["Pipfile", "requirements.txt", "pyproject.toml"];
    for name in candidates {
        let Some(text) = read_small(root, name, &mut out) else {
            continue;
        };
        if out.source.is_some() {
            out.ignored.push((
                name.to_owned(),
                format!("{} is used", out.source.as_deref().unwrap_or_default()),
            ));
            continue;
        }
        let before = (out.asked.len(), out.refused.len(), out.left_out.len());
        match name {
            "Pipfile" => pipfile(&text, &mut out),
            "requirements.txt" => requirements_txt(name, &text, &mut out),
            _ => pyproject(&text, &mut out),
        }
        let after = (out.asked.len(), out.refused.len(), out.left_out.len());
        // A pyproject.toml that only configures tools declares nothing: not the source.
        if name != "pyproject.toml" || before != after {
            out.source = Some(name.to_owned());
        }
    }
    for (name, reader) in [
        (
            "Pipfile.lock",
            pipfile_lock as fn(&str, &str, &mut WorkspaceRequirements),
        ),
        ("uv.lock", toml_lock),
        ("poetry.lock", toml_lock),
    ] {
        if let Some(text) = read_small(root, name, &mut out) {
            if out.pins.is_empty() {
                reader(name, &text, &mut out);
            } else {
                out.ignored
                    .push((name.to_owned(), "another lock file is used".to_owned()));
            }
        }
    }
    out
}

/// Requirement files larger than this are refused (a real one is a few kilobytes).
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// The text of the requirement file `name` of the workspace, if there is one. A FIFO, a
/// device or a file over [`MAX_FILE`] is never read: it is refused (which stops the sync)
/// rather than taken for absent, so the environment is never made without what the workspace
/// asks for. A link out of the workspace is not read either; it is named as ignored (a
/// monorepo may link a `pyproject.toml` from above), as is a file that is not UTF-8.
fn read_small(root: &Path, name: &str, out: &mut WorkspaceRequirements) -> Option<String> {
    use crate::workspace::save::SaveError;
    let why = match crate::workspace::read_inside(root, &root.join(name), MAX_FILE) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).ok();
            if text.is_none() {
                out.ignored
                    .push((name.to_owned(), "it is not UTF-8 text".to_owned()));
            }
            return text;
        }
        Err(SaveError::OutsideWorkspace { target, .. }) => {
            out.ignored.push((
                name.to_owned(),
                format!(
                    "it is a link to {}, outside the workspace",
                    target.display()
                ),
            ));
            return None;
        }
        Err(SaveError::NotRegular { kind, .. }) => {
            format!("{kind}, not a regular file: Prowl does not read it")
        }
        Err(SaveError::TooLarge { size, .. }) => {
            format!("{size} bytes, more than the {MAX_FILE} bytes a requirements file may be")
        }
        Err(_) => return None,
    };
    out.refused.push(Refused {
        origin: Origin {
            file: name.to_owned(),
            line: 1,
        },
        text: name.to_owned(),
        why: format!("the file is {why}"),
        hint: "make it a regular file of the workspace that lists the requirements".into(),
    });
    None
}

fn line_of(text: &str, offset: usize) -> u32 {
    text[..offset.min(text.len())].matches('\n').count() as u32 + 1
}

/// Parses one requirement string; refusals and left-outs are recorded.
fn accept(text: &str, origin: Origin, out: &mut WorkspaceRequirements) {
    let trimmed = text.trim();
    if let Some((why, hint)) = smuggling_form(trimmed) {
        out.refused.push(Refused {
            origin,
            text: trimmed.to_owned(),
            why: why.to_owned(),
            hint: hint.to_owned(),
        });
        return;
    }
    let requirement = match Requirement::from_str(trimmed) {
        Ok(r) => r,
        Err(e) => {
            out.refused.push(Refused {
                origin,
                text: trimmed.to_owned(),
                why: format!("not a PEP 508 requirement: {}", first_line(&e.to_string())),
                hint: "write a package name with optional extras, version specifiers and markers, e.g. `requests>=2.31`".into(),
            });
            return;
        }
    };
    if let Some(VersionOrUrl::Url(_)) = &requirement.version_or_url {
        out.refused.push(Refused {
            origin,
            text: trimmed.to_owned(),
            why: "a direct reference (`name @ URL`) installs code from outside the package index"
                .into(),
            hint: "publish the package to the index Prowl uses and ask for it by name and version"
                .into(),
        });
        return;
    }
    let name = requirement.name.to_string();
    if let Some((_, why)) = TOOLS.iter().find(|(tool, _)| *tool == name) {
        out.left_out.push(LeftOut {
            name,
            origin,
            why: (*why).to_owned(),
        });
        return;
    }
    out.asked.push(Asked {
        requirement,
        origin,
    });
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// Forms that are not a requirement by name: options, URLs, VCS references, paths.
fn smuggling_form(text: &str) -> Option<(&'static str, &'static str)> {
    let lower = text.to_ascii_lowercase();
    if text.starts_with('-') {
        return Some((
            "an installer option (such as -i/--index-url, --extra-index-url, --find-links, -e, -r, -c or --trusted-host): it would change where or what pip installs",
            "remove it: Prowl installs from the package index configured for Prowl (PROWL_INDEX_URL), never one a workspace names",
        ));
    }
    const VCS: &[&str] = &["git+", "hg+", "svn+", "bzr+"];
    if VCS.iter().any(|v| lower.starts_with(v)) || lower.contains(" @ git+") {
        return Some((
            "a version-control reference: it would install unreviewed code from a repository",
            "publish the package to the index and ask for it by name and version",
        ));
    }
    if lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("file:") {
        return Some((
            "a URL: it would install code from outside the package index",
            "ask for the package by name and version instead",
        ));
    }
    let path_like = text.starts_with('.')
        || text.starts_with('/')
        || text.starts_with('~')
        || (text.contains('/') && !text.contains(" @ ") && !text.contains(';'))
        || [".whl", ".tar.gz", ".zip", ".tgz"]
            .iter()
            .any(|e| lower.ends_with(e));
    if path_like {
        return Some((
            "a local path: it would build and install code from the workspace or the disk",
            "ask for a published package by name and version instead",
        ));
    }
    None
}

fn requirements_txt(file: &str, text: &str, out: &mut WorkspaceRequirements) {
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, raw)) = lines.next() {
        let start = i as u32 + 1;
        let mut line = raw.to_owned();
        // Continuation lines (`\` at the end) join the next one.
        while line.trim_end().ends_with('\\') {
            line = line.trim_end().trim_end_matches('\\').to_owned();
            match lines.next() {
                Some((_, next)) => line.push_str(next),
                None => break,
            }
        }
        let content = strip_comment(&line);
        let content = strip_hashes(content);
        if content.is_empty() {
            continue;
        }
        accept(
            content,
            Origin {
                file: file.to_owned(),
                line: start,
            },
            out,
        );
    }
}

/// Removes a ` #` comment (pip's rule: `#` at the start or after whitespace).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return line[..i].trim();
        }
    }
    line.trim()
}

/// Drops `--hash=…` options that follow a requirement (pip-compile's `--generate-hashes`).
fn strip_hashes(line: &str) -> &str {
    if line.starts_with('-') {
        return line;
    }
    match line.find(" --hash") {
        Some(i) => line[..i].trim(),
        None => line,
    }
}

fn pipfile(text: &str, out: &mut WorkspaceRequirements) {
    let file = "Pipfile";
    let table = match DeTable::parse(text) {
        Ok(t) => t,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            out.refused.push(Refused {
                origin: Origin {
                    file: file.into(),
                    line,
                },
                text: String::new(),
                why: format!("not valid TOML: {}", first_line(e.message())),
                hint: "fix the Pipfile (pipenv cannot read it either)".into(),
            });
            return;
        }
    };
    let Some(packages) = table.get_ref().get("packages") else {
        return;
    };
    let Some(packages) = packages.get_ref().as_table() else {
        return;
    };
    for (key, value) in packages {
        let origin = Origin {
            file: file.into(),
            line: line_of(text, key.span().start),
        };
        let name = key.get_ref().to_string();
        match value.get_ref() {
            DeValue::String(spec) => {
                let spec = spec.trim();
                let req = if spec == "*" || spec.is_empty() {
                    name.clone()
                } else {
                    format!("{name}{spec}")
                };
                accept(&req, origin, out);
            }
            DeValue::Table(t) => pipfile_table(&name, t, origin, out),
            other => out.refused.push(Refused {
                origin,
                text: name,
                why: format!(
                    "a {} where a version string or table belongs",
                    other.type_str()
                ),
                hint: "write `name = \"==1.0\"`, `name = \"*\"` or `name = {version = \"==1.0\"}`"
                    .into(),
            }),
        }
    }
}

fn pipfile_table(name: &str, t: &DeTable, origin: Origin, out: &mut WorkspaceRequirements) {
    let get = |k: &str| t.get(k).map(Spanned::get_ref);
    for (key, why) in [
        ("git", "a version-control reference: it would install unreviewed code from a repository"),
        ("hg", "a version-control reference: it would install unreviewed code from a repository"),
        ("svn", "a version-control reference: it would install unreviewed code from a repository"),
        ("path", "a local path: it would build and install code from the workspace or the disk"),
        ("file", "a file or URL: it would install code from outside the package index"),
        ("editable", "an editable install: it would build and run code from a local folder"),
        ("index", "a package index named by the workspace: Prowl installs only from the index configured for Prowl"),
    ] {
        if get(key).is_some() {
            out.refused.push(Refused {
                origin,
                text: format!("{name} = {{{key} = …}}"),
                why: why.into(),
                hint: "ask for a published package by name and version (`name = \"==1.0\"`)".into(),
            });
            return;
        }
    }
    let mut req = name.to_owned();
    if let Some(extras) = get("extras").and_then(DeValue::as_array) {
        let names: Vec<&str> = extras.iter().filter_map(|e| e.get_ref().as_str()).collect();
        if !names.is_empty() {
            req.push_str(&format!("[{}]", names.join(",")));
        }
    }
    if let Some(version) = get("version").and_then(DeValue::as_str) {
        if version.trim() != "*" {
            req.push_str(version.trim());
        }
    }
    if let Some(markers) = get("markers").and_then(DeValue::as_str) {
        req.push_str(&format!(" ; {markers}"));
    }
    accept(&req, origin, out);
}

fn pyproject(text: &str, out: &mut WorkspaceRequirements) {
    let file = "pyproject.toml";
    let Ok(table) = DeTable::parse(text) else {
        return; // a pyproject that is not TOML declares nothing Prowl can use
    };
    let root = table.get_ref();
    let project_deps = root
        .get("project")
        .and_then(|p| p.get_ref().as_table())
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.get_ref().as_array());
    if let Some(deps) = project_deps {
        for dep in deps.iter() {
            let origin = Origin {
                file: file.into(),
                line: line_of(text, dep.span().start),
            };
            match dep.get_ref().as_str() {
                Some(s) => accept(s, origin, out),
                None => out.refused.push(Refused {
                    origin,
                    text: String::new(),
                    why: "a dependency that is not a string".into(),
                    hint: "write PEP 508 strings in `[project] dependencies`".into(),
                }),
            }
        }
        return;
    }
    let poetry = root
        .get("tool")
        .and_then(|t| t.get_ref().as_table())
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.get_ref().as_table())
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.get_ref().as_table());
    let Some(deps) = poetry else {
        return;
    };
    for (key, value) in deps {
        let name = key.get_ref().to_string();
        if name == "python" {
            continue;
        }
        let origin = Origin {
            file: file.into(),
            line: line_of(text, key.span().start),
        };
        match value.get_ref() {
            DeValue::String(spec) => match poetry_spec(spec) {
                Some(spec) => accept(&format!("{name}{spec}"), origin, out),
                None => out.refused.push(Refused {
                    origin,
                    text: format!("{name} = \"{spec}\""),
                    why: "a Poetry version constraint Prowl cannot translate".into(),
                    hint: "use PEP 440 specifiers (`>=1.2,<2`) or `^1.2`/`~1.2`".into(),
                }),
            },
            DeValue::Table(t) => {
                let spec = t.get("version").and_then(|v| v.get_ref().as_str());
                match spec.and_then(poetry_spec) {
                    Some(spec)
                        if !["git", "path", "url", "source"]
                            .iter()
                            .any(|k| t.get(*k).is_some()) =>
                    {
                        accept(&format!("{name}{spec}"), origin, out)
                    }
                    _ => out.refused.push(Refused {
                        origin,
                        text: name,
                        why: "a Poetry dependency from git, a path, a URL or another source".into(),
                        hint: "ask for a published package by name and version".into(),
                    }),
                }
            }
            _ => {}
        }
    }
}

/// A Poetry constraint as PEP 440 (`^1.2.3` → `>=1.2.3,<2.0.0`, `~1.2` → `>=1.2,<1.3`,
/// `*` → nothing, PEP 440 text as is).
fn poetry_spec(spec: &str) -> Option<String> {
    let spec = spec.trim();
    if spec == "*" || spec.is_empty() {
        return Some(String::new());
    }
    let bump = |v: &str, at: usize| -> Option<String> {
        let parts: Vec<u64> = v
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        let mut upper = parts.clone();
        let i = at.min(upper.len().saturating_sub(1));
        upper.truncate(i + 1);
        upper[i] += 1;
        Some(
            upper
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join("."),
        )
    };
    if let Some(v) = spec.strip_prefix('^') {
        let parts: Vec<&str> = v.split('.').collect();
        let first_nonzero = parts
            .iter()
            .position(|p| *p != "0")
            .unwrap_or(parts.len() - 1);
        return Some(format!(">={v},<{}", bump(v, first_nonzero)?));
    }
    if let Some(v) = spec.strip_prefix('~').filter(|v| !v.starts_with('=')) {
        let at = if v.split('.').count() >= 2 { 1 } else { 0 };
        return Some(format!(">={v},<{}", bump(v, at)?));
    }
    if spec.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return Some(format!("=={spec}"));
    }
    Some(spec.to_owned())
}

fn pipfile_lock(file: &str, text: &str, out: &mut WorkspaceRequirements) {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        out.ignored.push((
            file.to_owned(),
            "not valid JSON; versions are not pinned".into(),
        ));
        return;
    };
    let Some(default) = doc.get("default").and_then(|d| d.as_object()) else {
        return;
    };
    for (name, entry) in default {
        let Some(version) = entry.get("version").and_then(|v| v.as_str()) else {
            continue; // a git/path entry: nothing to pin
        };
        let Some(version) = version.strip_prefix("==") else {
            continue;
        };
        // The line of `"name": {` in the file, for messages.
        let needle = format!("\"{name}\"");
        let line = text.find(&needle).map(|i| line_of(text, i)).unwrap_or(1);
        out.pins.push(Pin {
            name: normalise(name),
            version: version.to_owned(),
            origin: Origin {
                file: file.to_owned(),
                line,
            },
        });
    }
}

/// `[[package]]` tables with `name` and `version` (uv.lock, poetry.lock).
fn toml_lock(file: &str, text: &str, out: &mut WorkspaceRequirements) {
    let Ok(doc) = DeTable::parse(text) else {
        out.ignored.push((
            file.to_owned(),
            "not valid TOML; versions are not pinned".into(),
        ));
        return;
    };
    let Some(packages) = doc
        .get_ref()
        .get("package")
        .and_then(|p| p.get_ref().as_array())
    else {
        return;
    };
    for package in packages.iter() {
        let Some(t) = package.get_ref().as_table() else {
            continue;
        };
        let field = |k: &str| {
            t.get(k)
                .and_then(|v| v.get_ref().as_str())
                .map(str::to_owned)
        };
        let (Some(name), Some(version)) = (field("name"), field("version")) else {
            continue;
        };
        // Packages from git, paths or URLs are not pinned by version: not used.
        let source = t.get("source").map(|s| s.get_ref());
        let from_registry = match source {
            None => true,
            Some(DeValue::Table(s)) => {
                s.get("registry").is_some()
                    || s.get("type").and_then(|v| v.get_ref().as_str()) == Some("legacy")
            }
            Some(_) => false,
        };
        if !from_registry {
            continue;
        }
        out.pins.push(Pin {
            name: normalise(&name),
            version,
            origin: Origin {
                file: file.to_owned(),
                line: line_of(text, package.span().start),
            },
        });
    }
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become `-`.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(files: &[(&str, &str)]) -> WorkspaceRequirements {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        read(dir.path())
    }

    fn asked(r: &WorkspaceRequirements) -> Vec<String> {
        r.asked.iter().map(|a| a.requirement.to_string()).collect()
    }

    #[test]
    fn fifos_are_refused_links_out_ignored_and_links_inside_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("ws");
        std::fs::create_dir_all(&root).unwrap();
        let fifo = root.join("requirements.txt");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let r = read(&root);
        assert_eq!(r.refused.len(), 1, "{:?}", r.refused);
        assert_eq!(r.refused[0].origin.file, "requirements.txt");
        assert!(r.refused[0].why.contains("FIFO"), "{:?}", r.refused);
        assert!(r.source.is_none());

        std::fs::remove_file(&fifo).unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\ndependencies = [\"x\"]\n",
        )
        .unwrap();
        std::os::unix::fs::symlink("../pyproject.toml", root.join("pyproject.toml")).unwrap();
        std::fs::write(root.join("reqs.in"), "requests>=2\n").unwrap();
        std::os::unix::fs::symlink("reqs.in", root.join("requirements.txt")).unwrap();
        let r = read(&root);
        assert!(r.refused.is_empty(), "{:?}", r.refused);
        assert_eq!(r.source.as_deref(), Some("requirements.txt"));
        assert_eq!(asked(&r), vec!["requests>=2"]);
        assert!(
            r.ignored
                .iter()
                .any(|(f, why)| f == "pyproject.toml" && why.contains("outside the workspace")),
            "{:?}",
            r.ignored
        );
    }

    #[test]
    fn a_pipfile_gives_its_packages_with_lines_and_leaves_pat_out() {
        let r = from(&[(
            "Pipfile",
            "[[source]]\nurl = \"https://pypi.org/simple\"\nname = \"pypi\"\n\n[packages]\npolicyuniverse = \"==1.5.1.20230817\"\npanther-analysis-tool = \"~=1.2.1\"\nrequests = {version = \">=2\", extras = [\"socks\"]}\npycountry = \"*\"\n\n[dev-packages]\npytest = \"*\"\n",
        )]);
        assert_eq!(r.source.as_deref(), Some("Pipfile"));
        assert_eq!(
            asked(&r),
            vec![
                "policyuniverse==1.5.1.20230817",
                "requests[socks]>=2",
                "pycountry"
            ]
        );
        assert_eq!(r.asked[0].origin.to_string(), "Pipfile:6");
        assert_eq!(r.left_out.len(), 1);
        assert_eq!(r.left_out[0].name, "panther-analysis-tool");
        assert_eq!(r.left_out[0].origin.line, 7);
        assert!(r.refused.is_empty());
    }

    #[test]
    fn every_smuggling_form_is_refused_with_its_line() {
        let txt = "requests==2.31\n-i https://attacker/simple\n--extra-index-url https://x\n-e ./local\n-r other.txt\npkg @ https://attacker/pkg.whl\ngit+https://github.com/x/y\n./vendor/pkg\n/abs/pkg.tar.gz\n--find-links /tmp\n--trusted-host x\nok-pkg[extra]>=1 ; python_version >= \"3.8\"\nhashed==1.0 --hash=sha256:abcd\n";
        let r = from(&[("requirements.txt", txt)]);
        let lines: Vec<u32> = r.refused.iter().map(|x| x.origin.line).collect();
        assert_eq!(
            lines,
            vec![2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
            "{:#?}",
            r.refused
        );
        assert_eq!(asked(&r).len(), 3, "{:?}", asked(&r));
        assert!(r.refused.iter().all(|x| !x.hint.is_empty()));
        let pipfile = from(&[(
            "Pipfile",
            "[packages]\nevil = {git = \"https://x/y.git\"}\nlocal = {path = \".\", editable = true}\nother = {version = \"*\", index = \"private\"}\nfine = \"==1\"\n",
        )]);
        assert_eq!(pipfile.refused.len(), 3, "{:#?}", pipfile.refused);
        assert_eq!(pipfile.refused[0].origin.line, 2);
        assert_eq!(asked(&pipfile), vec!["fine==1"]);
    }

    #[test]
    fn pyproject_dependencies_and_poetry_constraints_are_read() {
        let r = from(&[(
            "pyproject.toml",
            "[project]\nname = \"x\"\ndependencies = [\n  \"requests>=2\",\n  \"boto3 ; sys_platform == 'linux'\",\n]\n",
        )]);
        assert_eq!(asked(&r).len(), 2);
        assert_eq!(r.asked[1].origin.line, 5);
        let poetry = from(&[(
            "pyproject.toml",
            "[tool.poetry.dependencies]\npython = \"^3.11\"\nrequests = \"^2.31\"\nboto3 = \"~1.28\"\n",
        )]);
        assert_eq!(
            asked(&poetry),
            vec!["requests>=2.31,<3", "boto3>=1.28,<1.29"]
        );
        // A pyproject that only configures tools declares nothing.
        let tools = from(&[("pyproject.toml", "[tool.black]\nline-length = 100\n")]);
        assert_eq!(tools.source, None);
    }

    #[test]
    fn lock_files_pin_versions_and_later_files_are_named_as_ignored() {
        let r = from(&[
            ("Pipfile", "[packages]\nrequests = \"*\"\n"),
            ("requirements.txt", "requests\n"),
            (
                "Pipfile.lock",
                "{\"_meta\": {}, \"default\": {\"requests\": {\"version\": \"==2.31.0\"}, \"Typing_Extensions\": {\"version\": \"==4.8.0\"}, \"x\": {\"git\": \"y\"}}}",
            ),
        ]);
        assert_eq!(r.pins.len(), 2);
        assert!(r
            .pins
            .iter()
            .any(|p| p.name == "typing-extensions" && p.version == "4.8.0"));
        assert_eq!(r.ignored[0].0, "requirements.txt");
        let uv = from(&[(
            "uv.lock",
            "version = 1\n[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[[package]]\nname = \"mine\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n",
        )]);
        assert_eq!(uv.pins.len(), 1);
        assert_eq!(uv.pins[0].origin.line, 2);
    }

    #[test]
    fn names_normalise_as_pep_503_says() {
        assert_eq!(normalise("Typing_Extensions"), "typing-extensions");
        assert_eq!(normalise("a.b--c"), "a-b-c");
    }
}
