//! PAT's validation of analysis specs, reproduced: which files are specs, which are valid, and
//! for each invalid one PAT's exact message with our location, summary and hint.
//!
//! This is PAT's `classify_analysis`. Per file (independent, so it runs in parallel,
//! `classify`): skip non-specs, `TYPE_SCHEMA`, pick the schema (derived, SQL lookup table, or by
//! type), the `schema`-library check (`schema_lib`, its errors worded by `schema_diag`), the
//! duplicate-value check of set-like fields, and the JSON-Schema check (`json_schema`). Then,
//! here, sequentially in walk order, the ID namespace is applied exactly as PAT does: an ID is
//! claimed once a spec passes the first layer and the set check (even if the JSON-Schema layer
//! rejects it later), and a later spec with a taken ID is rejected as `Conflicting AnalysisID`.
//! Scheduled queries get the SQL table-name check (`sql_tables`) last.
//!
//! Only the driver's types are public: the layers are private to this module, so their shape
//! can follow PAT's without becoming an API.

mod classify;
mod json_schema;
mod schema_diag;
mod schema_lib;
mod sql_tables;

use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::spec::value::{Entry, Span};
use crate::spec::yaml::{DuplicateKey, Loaded, YamlError};
use crate::spec::{AnalysisItem, AnalysisType};
use classify::{classify_file, FileVerdict, ValidSpec};
use std::path::PathBuf;
use std::sync::Arc;

/// Options that change validation, as PAT's flags do.
#[derive(Debug, Clone, Default)]
pub struct ValidationOptions {
    /// `--ignore-extra-keys`: unknown keys are allowed in rules, policies and derived rules.
    pub ignore_extra_keys: bool,
    /// `--ignore-table-names`: skip the SQL table-name check of scheduled queries.
    pub ignore_table_names: bool,
    /// `--valid-table-names`: extra allowed table-name patterns (`*` wildcards).
    pub valid_table_names: Vec<String>,
}

/// A YAML file found by discovery, loaded or not.
#[derive(Debug)]
pub struct SpecFile {
    /// Where the file is (as discovery found it).
    pub path: PathBuf,
    /// The path relative to the workspace root, with `/` separators.
    pub rel_path: String,
    /// The directory as PAT's walk names it (`./rules/aws`).
    pub walk_dir: String,
    /// The loaded document, or why it could not be loaded.
    pub content: Result<Arc<Loaded>, LoadFailure>,
}

/// Why a file could not be loaded.
#[derive(Debug, Clone)]
pub enum LoadFailure {
    /// Not YAML in PAT's dialect (or not text), with the place of the problem.
    Yaml(YamlError),
    /// The file could not be read: the system's message.
    Io(String),
    /// The file is not one Prowl reads (a FIFO, a device, a link out of the workspace).
    Refused {
        /// Why, in a few words (`it is a FIFO (named pipe), not a regular file`).
        reason: String,
        /// What to do.
        hint: String,
    },
}

/// The result of classifying a workspace.
#[derive(Debug, Default)]
pub struct Classified {
    /// The valid items, in walk order.
    pub items: Vec<AnalysisItem>,
    /// Errors and warnings in walk order, the SQL table-name errors last.
    pub diagnostics: Vec<Diagnostic>,
}

/// A function that loads a file's content (run in parallel, inside `classify_with`).
type Loader<'a> = dyn Fn(&SpecFile) -> Result<Arc<Loaded>, LoadFailure> + Sync + 'a;

/// Classifies already-loaded files (in the given walk order) as PAT does.
pub fn classify(files: Vec<SpecFile>, options: &ValidationOptions) -> Classified {
    run(files, options, None)
}

/// Loads each file with `load` and classifies it, on all cores.
pub fn classify_with(
    files: Vec<SpecFile>,
    options: &ValidationOptions,
    load: impl Fn(&SpecFile) -> Result<Arc<Loaded>, LoadFailure> + Sync,
) -> Classified {
    run(files, options, Some(&load))
}

fn run<'a>(
    files: Vec<SpecFile>,
    options: &ValidationOptions,
    load: Option<&'a Loader<'a>>,
) -> Classified {
    let verdicts = crate::parallel::parallel_map(files, |mut file| {
        if let Some(load) = load {
            file.content = load(&file);
        }
        let verdict = classify_file(&file, options);
        (file, verdict)
    });
    let mut out = Classified::default();
    let mut ids = std::collections::HashSet::new();
    for (file, verdict) in verdicts {
        match verdict {
            FileVerdict::NotASpec => {}
            FileVerdict::Invalid(d) => out.diagnostics.push(d),
            FileVerdict::Valid(valid) => {
                let ValidSpec {
                    analysis_type,
                    id,
                    spec,
                    duplicates,
                    json,
                    warnings,
                } = *valid;
                if ids.contains(&id) {
                    let span = spec.entry(analysis_type.id_field()).map(|e| e.value.span);
                    out.diagnostics.push(diag(
                        &file,
                        Code::DuplicateId,
                        span,
                        format!("`{id}` is already used by another analysis item"),
                        format!("Conflicting AnalysisID: [{id}]"),
                        Some("IDs share one namespace across all analysis types; the first one loaded wins. Rename this one.".into()),
                    ));
                    continue;
                }
                if let Some(d) = duplicates {
                    out.diagnostics.push(d);
                    continue;
                }
                ids.insert(id.clone());
                out.diagnostics.extend(warnings);
                if let Some(d) = json {
                    out.diagnostics.push(d);
                    continue;
                }
                out.items.push(AnalysisItem::from_spec(
                    id,
                    analysis_type,
                    spec,
                    file.path.clone(),
                    file.rel_path.clone(),
                    file.walk_dir.clone(),
                ));
            }
        }
        if let Ok(loaded) = &file.content {
            out.diagnostics
                .extend(duplicate_key_warnings(&file, &loaded.duplicate_keys));
        }
    }
    if !options.ignore_table_names {
        check_table_names(&mut out, &options.valid_table_names);
    }
    check_match_language(&mut out);
    out
}

/// Problems in match expressions (PAT leaves them to the server): warnings at their line.
fn check_match_language(out: &mut Classified) {
    use crate::matchlang::{correlation, simple};
    let mut found = Vec::new();
    let ids: std::collections::HashSet<&str> = out.items.iter().map(|i| i.id.as_str()).collect();
    for item in &out.items {
        let mut problems = Vec::new();
        if item.analysis_type == AnalysisType::CorrelationRule {
            if let Err(p) = correlation::read(&item.spec) {
                problems.extend(p);
            }
            // Members naming a detection the workspace does not have never emit a signal.
            for (rule_id, span) in correlation::member_rule_ids(&item.spec) {
                if !ids.contains(rule_id.as_str()) {
                    problems.push(crate::matchlang::Problem {
                        span,
                        message: format!(
                            "`{rule_id}` is not a detection of this workspace: this member never matches"
                        ),
                    });
                }
            }
        } else if item.analysis_type.is_detection() {
            if item.spec.get("Detection").is_some() {
                problems.extend(simple::compile_simple(&item.spec).problems);
            }
            if let Some(filters) = item.spec.get("InlineFilters") {
                problems.extend(simple::compile_filters(filters).1);
            }
        }
        for p in problems {
            found.push(Diagnostic {
                severity: Severity::Warning,
                code: Code::MatchExpression,
                file: item.spec_path.clone(),
                rel_path: item.rel_path.clone(),
                span: Some(p.span),
                summary: p.message,
                message: String::new(),
                hint: Some(
                    "see docs/match-language.md for the conditions and their operands".into(),
                ),
                pat: false,
            });
        }
    }
    out.diagnostics.extend(found);
}

/// A diagnostic of `file` as PAT reports it (an error, with PAT's message).
fn diag(
    file: &SpecFile,
    code: Code,
    span: Option<Span>,
    summary: String,
    message: String,
    hint: Option<String>,
) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code,
        file: file.path.clone(),
        rel_path: file.rel_path.clone(),
        span,
        summary,
        message,
        hint,
        pat: true,
    }
}

fn duplicate_key_warnings(file: &SpecFile, dups: &[DuplicateKey]) -> Vec<Diagnostic> {
    dups.iter()
        .map(|d| Diagnostic {
            severity: Severity::Warning,
            pat: false,
            ..diag(
                file,
                Code::DuplicateKey,
                Some(d.second),
                format!("`{}` is written twice in this mapping (first on line {}); only this later value counts", d.key, d.first.line),
                String::new(),
                Some("PAT keeps the last value silently; delete one of them".into()),
            )
        })
        .collect()
}

/// The SQL table-name check of scheduled queries (after classification, as PAT batches it).
fn check_table_names(out: &mut Classified, valid: &[String]) {
    let mut removed = Vec::new();
    for (i, item) in out.items.iter().enumerate() {
        if item.analysis_type != AnalysisType::ScheduledQuery {
            continue;
        }
        let Some(entry) = item
            .spec
            .entry("Query")
            .or_else(|| item.spec.entry("SnowflakeQuery"))
        else {
            continue;
        };
        let Some(sql) = entry.value.as_str() else {
            continue;
        };
        let Some(invalid) = sql_tables::invalid_table_names(sql, valid) else {
            continue;
        };
        if invalid.is_empty() {
            continue;
        }
        out.diagnostics.push(Diagnostic {
            severity: Severity::Error,
            code: Code::TableNames,
            file: item.spec_path.clone(),
            rel_path: item.rel_path.clone(),
            span: Some(table_span(entry, sql, &invalid[0])),
            summary: format!("the query reads tables that are not fully qualified Panther tables: {}", invalid.join(", ")),
            message: format!(
                "Specification file for [{}] contains invalid Panther table names: [{}]. Try using a fully qualified table name such as \"panther_logs.public.log_type\" or setting --ignore-table-names for queries using non-Panther or non-Snowflake tables.",
                item.id,
                invalid.join(", ")
            ),
            hint: Some("write tables as database.public.table (e.g. panther_logs.public.aws_cloudtrail), or pass --ignore-table-names / --valid-table-names".into()),
            pat: true,
        });
        removed.push(i);
    }
    for i in removed.into_iter().rev() {
        out.items.remove(i);
    }
}

/// Where a table name first appears in a query written as a block scalar (`Query: |`), whose
/// lines map one to one onto the file's; otherwise the start of the value.
fn table_span(entry: &Entry, sql: &str, table: &str) -> Span {
    let start = entry.value.span;
    if start.line <= entry.key.span.line {
        return start;
    }
    let needle = table
        .rsplit('.')
        .next()
        .unwrap_or(table)
        .trim_matches('"')
        .to_lowercase();
    for (i, line) in sql.lines().enumerate() {
        if let Some(pos) = line.to_lowercase().find(&needle) {
            let col = line[..pos].chars().count() as u32;
            return Span {
                line: start.line + i as u32,
                col: start.col + col,
            };
        }
    }
    start
}
