//! `prowl tests`: list a spec's unit tests and edit them as the desktop app's test editor does,
//! changing only the lines an edit needs (`spec::edit`).
//!
//! `prowl tests edit SPEC --edit JSON` prints the new text; with `--write` it replaces the file
//! atomically (a temporary file in the same folder, flushed to disk, then renamed over the spec),
//! so an interrupted write never leaves a half-written spec. A refused edit changes nothing.

use super::{output, CliError, Format};
use crate::error::EDIT_EXAMPLE;
use crate::spec::edit::{apply_test_edit, tests_of, EditError, TestEdit};
use clap::{Args, Subcommand};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum TestsCommand {
    /// List a spec's unit tests: index, line, expected result and name (as JSON, with
    /// `--format json`, also each test's event and mocks).
    List(ListTestsArgs),
    /// Change a spec's unit tests, touching only the lines the change needs.
    Edit(EditTestsArgs),
    /// Add a unit test made from an event of a log file (one a replay matched, or one that
    /// should have matched): `--from-event FILE:LINE`.
    Add(AddTestArgs),
}

#[derive(Debug, Args)]
pub struct AddTestArgs {
    /// The spec file (YAML).
    pub spec: PathBuf,
    /// The event: a log file and the line it starts on, as replay names it (`logs/a.jsonl:12`;
    /// in an array or `Records` document, the line of the element's first byte).
    #[arg(long, value_name = "FILE:LINE")]
    pub from_event: String,
    /// The test's `ExpectedResult`: whether the detection should alert on the event.
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    pub expected: bool,
    /// The test's name (default: `Replayed event FILE:LINE`).
    #[arg(long)]
    pub name: Option<String>,
    /// The log type of a raw event without `p_log_type`.
    #[arg(long, value_name = "LOG_TYPE")]
    pub log_type: Option<String>,
    /// Write the result to the spec (atomically) instead of printing it.
    #[arg(long)]
    pub write: bool,
}

#[derive(Debug, Args)]
pub struct ListTestsArgs {
    /// The spec file (YAML).
    pub spec: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct EditTestsArgs {
    /// The spec file (YAML).
    pub spec: PathBuf,
    /// The edit as JSON (`-` reads it from stdin). Kinds: add {test}, duplicate {index, name},
    /// rename {index, name}, delete {index}, set_expected {index, expected}, set_event {index,
    /// event}, set_mocks {index, mocks: [{object_name, return_value}]}; indexes count from 0.
    /// Example: '{"kind": "rename", "index": 0, "name": "Root login"}'.
    #[arg(long, value_name = "JSON")]
    pub edit: String,
    /// Write the result to the spec (atomically) instead of printing it.
    #[arg(long)]
    pub write: bool,
}

/// Runs `prowl tests …`.
pub fn run(cmd: &TestsCommand) -> Result<ExitCode, CliError> {
    match cmd {
        TestsCommand::List(args) => list(args),
        TestsCommand::Edit(args) => edit(args),
        TestsCommand::Add(args) => add_from_event(args),
    }
}

fn add_from_event(args: &AddTestArgs) -> Result<ExitCode, CliError> {
    let (file, line) = args
        .from_event
        .rsplit_once(':')
        .and_then(|(f, l)| Some((f, l.parse::<u64>().ok()?)))
        .ok_or_else(|| {
            super::usage(
                format!("--from-event {} is not FILE:LINE", args.from_event),
                Some("name the event as replay does, e.g. --from-event logs/okta.jsonl:12"),
            )
        })?;
    let sources = crate::replay::list_sources(&[PathBuf::from(file)])?;
    let options = crate::replay::ReadOptions {
        log_type: args.log_type.clone(),
        ..crate::replay::ReadOptions::default()
    };
    let mut reader = crate::replay::EventReader::new(sources, options);
    let event =
        reader
            .by_ref()
            .find(|e| e.origin.line == line)
            .ok_or_else(|| {
                let why = reader
                    .problems()
                    .counts()
                    .into_iter()
                    .flat_map(|c| c.first)
                    .find(|p| p.line == Some(line))
                    .map(|p| format!(": {}", p.detail))
                    .unwrap_or_default();
                super::usage(
            format!("no event starts on line {line} of {file}{why}"),
            Some("`prowl replay FILE --read-only --print-events` lists the events a file holds"),
        )
            })?;
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("Replayed event {file}:{line}"));
    let source = read_spec(&args.spec)?;
    let is_policy = source
        .lines()
        .any(|l| l.trim_start().starts_with("AnalysisType:") && l.contains("policy"));
    let edit = TestEdit::add_event(event.value, &name, args.expected, is_policy);
    edit_with(
        &args.spec,
        &source,
        &serde_json::to_string(&edit).expect("plain data"),
        args.write,
    )
}

fn list(args: &ListTestsArgs) -> Result<ExitCode, CliError> {
    if !matches!(args.format, Format::Text | Format::Json) {
        return Err(super::usage(
            "`prowl tests list` prints text or JSON",
            Some("use --format text or --format json"),
        ));
    }
    let source = read_spec(&args.spec)?;
    let tests = tests_of(&source).map_err(|e| edit_error(&args.spec, &e))?;
    if args.format == Format::Json {
        output::print_json(&tests);
    } else {
        for t in &tests {
            let expected = t.expected.map_or("?".to_owned(), |e| e.to_string());
            let name = t.name.as_deref().unwrap_or("(no Name)");
            println!("{}\tline {}\t{expected}\t{name}", t.index, t.line);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn edit(args: &EditTestsArgs) -> Result<ExitCode, CliError> {
    let json = if args.edit == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| super::usage(format!("cannot read the edit from stdin: {e}"), None))?;
        text
    } else {
        args.edit.clone()
    };
    let source = read_spec(&args.spec)?;
    edit_with(&args.spec, &source, &json, args.write)
}

/// Applies a test edit (JSON) to `source` (the spec at `spec`) and prints or writes the result.
fn edit_with(spec: &Path, source: &str, json: &str, write: bool) -> Result<ExitCode, CliError> {
    let edit: TestEdit = serde_json::from_str(json).map_err(|e| {
        super::usage(
            format!("--edit is not a test edit: {e}"),
            Some(EDIT_EXAMPLE),
        )
    })?;
    let source = source.to_owned();
    let stamp = crate::workspace::save::stamp_of(source.as_bytes());
    let text = apply_test_edit(&source, &edit).map_err(|e| edit_error(spec, &e))?;
    if !write {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
        return Ok(ExitCode::SUCCESS);
    }
    if text == source {
        eprintln!("{}: unchanged", spec.display());
        return Ok(ExitCode::SUCCESS);
    }
    // The one write path: atomic, permissions kept, refused if the spec changed meanwhile.
    crate::workspace::save::save_text(spec, &text, &stamp).map_err(|e| {
        let hint = match e {
            crate::workspace::save::SaveError::Conflict { .. } => {
                "the spec changed while it was being edited; run the command again"
            }
            _ => "the spec was left as it was; check the folder's permissions and free space",
        };
        let mut info = CliError::from(e).with_hint(hint);
        info.message = format!("cannot write {}: {}", spec.display(), info.message);
        info
    })?;
    let (_, removed, added) = crate::spec::edit::changed_run(&source, &text);
    let (removed, added) = (removed.len(), added.len());
    eprintln!(
        "{}: {removed} line(s) removed, {added} added",
        spec.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn read_spec(path: &Path) -> Result<String, CliError> {
    // Bounded and regular files only: the spec may come from a workspace made elsewhere.
    let bytes =
        crate::workspace::read_bounded(path, crate::workspace::MAX_SPEC_BYTES).map_err(|e| {
            let reason = match &e {
                crate::workspace::save::SaveError::Io { source, .. } => source.to_string(),
                crate::workspace::save::SaveError::NotFound { .. } => {
                    std::io::Error::from_raw_os_error(libc::ENOENT).to_string()
                }
                other => other.to_string(),
            };
            let mut info = CliError::from(e).with_hint("pass the path of a spec file (YAML)");
            info.message = format!("cannot read {}: {reason}", path.display());
            info
        })?;
    String::from_utf8(bytes).map_err(|_| {
        CliError::new(
            "file.not_text",
            format!("{} is not UTF-8 text", path.display()),
        )
        .with_hint("save the spec as UTF-8; PAT cannot read it either")
        .at(crate::error::Location::file(path))
    })
}

fn edit_error(path: &Path, e: &EditError) -> CliError {
    let mut info = CliError::from(e.clone()).in_file(path);
    info.message = format!("{}: {}", path.display(), info.message);
    info
}
