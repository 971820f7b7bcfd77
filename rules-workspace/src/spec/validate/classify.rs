//! PAT's `classify_analysis`: which specs are valid, which are invalid and why, in PAT's order.
//!
//! Per file (independent, so it runs in parallel): skip non-specs, `TYPE_SCHEMA`, pick the
//! schema (derived, SQL lookup table, or by type), the `schema`-library check, the duplicate-value
//! check of set-like fields, and the JSON-Schema check. Then, sequentially in walk order, the ID
//! namespace is applied exactly as PAT does: an ID is claimed once a spec passes the first
//! layer and the set check (even if the JSON-Schema layer rejects it later), and a later spec
//! with a taken ID is rejected as `Conflicting AnalysisID`. Scheduled queries get the SQL
//! table-name check last.

use super::schema_lib::{self, ErrorKind, Schema, SchemaError, Step};
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::spec::value::{Entry, Node, Span, Value};
use crate::spec::yaml::{DuplicateKey, Loaded, YamlError};
use crate::spec::{AnalysisItem, AnalysisType, SpecTree};
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
    pub path: PathBuf,
    pub rel_path: String,
    pub walk_dir: String,
    pub content: Result<Arc<Loaded>, LoadFailure>,
}

/// Why a file could not be loaded.
#[derive(Debug, Clone)]
pub enum LoadFailure {
    Yaml(YamlError),
    Io(String),
}

/// The outcome of classifying one file on its own.
enum FileVerdict {
    /// Not an analysis spec (empty, or no `AnalysisType`): PAT skips it silently.
    NotASpec,
    Invalid(Diagnostic),
    Valid(Box<ValidSpec>),
}

/// A spec that passed the first layer, with the later checks' results kept for the ID pass.
struct ValidSpec {
    analysis_type: AnalysisType,
    id: String,
    spec: SpecTree,
    /// The set-field check failed (checked after the ID conflict, as PAT does).
    duplicates: Option<Diagnostic>,
    /// The JSON-Schema layer failed (checked after the ID is claimed).
    json: Option<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

/// The result of classifying a workspace.
#[derive(Debug, Default)]
pub struct Classified {
    pub items: Vec<AnalysisItem>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A function that loads a file's content (run in parallel, inside `classify_with`).
pub type Loader<'a> = dyn Fn(&SpecFile) -> Result<Arc<Loaded>, LoadFailure> + Sync + 'a;

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
    out
}

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

fn classify_file(file: &SpecFile, options: &ValidationOptions) -> FileVerdict {
    let loaded =
        match &file.content {
            Ok(l) => l,
            Err(LoadFailure::Yaml(e)) => {
                return FileVerdict::Invalid(diag(
                    file,
                    Code::YamlSyntax,
                    Some(e.span),
                    format!("not valid YAML: {}", e.message),
                    e.message.clone(),
                    Some(
                        if e.message.contains("codec")
                            || e.message.contains("unacceptable character")
                        {
                            "save the file as UTF-8 text; PAT rejects files it cannot decode"
                        } else {
                            "fix the YAML syntax at this line; PAT rejects the whole file"
                        }
                        .into(),
                    ),
                ))
            }
            Err(LoadFailure::Io(msg)) => {
                return FileVerdict::Invalid(Diagnostic {
                    pat: false,
                    ..diag(
                        file,
                        Code::Unreadable,
                        None,
                        format!("cannot read the file: {msg}"),
                        msg.clone(),
                        Some("check the file's permissions, or whether it is a broken link".into()),
                    )
                })
            }
        };
    let Some(tree) = SpecTree::new(Arc::clone(loaded)) else {
        return FileVerdict::NotASpec;
    };
    let root: &Node = &tree;
    // `"AnalysisType" not in yaml_content`: a membership test whose meaning depends on the type.
    let has_type = match &root.value {
        Value::Map(_) => root.get("AnalysisType").is_some(),
        Value::List(items) => items.iter().any(|i| i.as_str() == Some("AnalysisType")),
        Value::Str(s) => s.contains("AnalysisType"),
        Value::Null => false,
        other => {
            return FileVerdict::Invalid(Diagnostic {
                pat: false,
                ..diag(
                    file,
                    Code::AnalysisType,
                    Some(root.span),
                    format!("the file holds a single {} instead of a spec mapping", other.type_name()),
                    format!("argument of type '{}' is not iterable", other.type_name()),
                    Some("PAT stops the whole run on such a file (TypeError); make it a mapping or remove it".into()),
                )
            })
        }
    };
    if !has_type {
        return FileVerdict::NotASpec;
    }
    let type_schema = schema_lib::type_schema();
    if let Err(e) = type_schema.validate(root, true) {
        return FileVerdict::Invalid(schema_diag(file, root, &e, None, &type_schema));
    }
    let Some(analysis_type) = root
        .get("AnalysisType")
        .and_then(Node::as_str)
        .and_then(AnalysisType::parse)
    else {
        return FileVerdict::NotASpec;
    };
    let derived = root.get("BaseDetection").is_some_and(Node::is_truthy);
    let schema = if derived {
        schema_lib::derived_schema()
    } else if analysis_type == AnalysisType::LookupTable
        && ["Query", "AthenaQuery", "SnowflakeQuery", "DatabricksQuery"]
            .iter()
            .any(|k| root.get(k).is_some())
    {
        schema_lib::sql_lookup_table_schema()
    } else {
        schema_for(analysis_type)
    };
    let ignore_extra = options.ignore_extra_keys
        && (derived
            || matches!(
                analysis_type,
                AnalysisType::Rule | AnalysisType::ScheduledRule | AnalysisType::Policy
            ));
    if let Err(e) = schema.validate(root, ignore_extra) {
        return FileVerdict::Invalid(schema_diag(file, root, &e, Some(analysis_type), &schema));
    }
    let id = root
        .get(analysis_type.id_field())
        .map(|n| n.value.py_str())
        .unwrap_or_else(|| "UNKNOWN_ID".to_owned());
    let duplicates = duplicate_values(root).map(|(fields, span)| {
        diag(
            file,
            Code::DuplicateValues,
            span,
            format!(
                "{} must not repeat a value",
                fields
                    .join(", ")
                    .replace("LowerTags", "Tags (ignoring case)")
            ),
            format!(
                "Specification file for [{id}] contains fields         with duplicate values: [{}]",
                fields.join(", ")
            ),
            Some("remove the repeated entries".into()),
        )
    });
    let mut warnings = Vec::new();
    if let Some(entry) = root.entry("DedupPeriodMinutes") {
        if let Value::Int(minutes) = entry.value.value {
            let (summary, message) = if minutes == 0 {
                (
                    "DedupPeriodMinutes 0 is ignored by Panther".to_string(),
                    format!("DedupPeriodMinutes is set to 0 for {id}. This will be ignored by the backend. If you want to disable dedup, alter the `dedup` function to return 'p_row_id' instead."),
                )
            } else if minutes < 5 {
                (
                    format!("DedupPeriodMinutes {minutes} will be raised to 5 on upload"),
                    format!("DedupPeriodMinutes for {id} is less than 5. This is below Panther's DedupPeriodMinutes threshold, and will be treated as '5' upon upload."),
                )
            } else {
                (String::new(), String::new())
            };
            if !summary.is_empty() {
                warnings.push(Diagnostic {
                    severity: Severity::Warning,
                    ..diag(file, Code::DedupPeriod, Some(entry.value.span), summary, message, Some("use at least 5 minutes, or a `dedup()` returning p_row_id to disable grouping".into()))
                });
            }
        }
    }
    let json = super::json_schema::check(&root.to_json()).err().map(|v| {
        let span = span_at_json_path(root, &v.path);
        diag(
            file,
            Code::JsonSchema,
            Some(span),
            json_summary(&v.message),
            v.message.clone(),
            Some("this is checked by PAT's JSON schema for analysis specs; see Panther's docs for the expected shape".into()),
        )
    });
    FileVerdict::Valid(Box::new(ValidSpec {
        analysis_type,
        id,
        spec: tree,
        duplicates,
        json,
        warnings,
    }))
}

fn schema_for(t: AnalysisType) -> Schema {
    match t {
        AnalysisType::Rule | AnalysisType::ScheduledRule => schema_lib::rule_schema(),
        AnalysisType::Policy => schema_lib::policy_schema(),
        AnalysisType::Global => schema_lib::global_schema(),
        AnalysisType::DataModel => schema_lib::data_model_schema(),
        AnalysisType::Pack => schema_lib::pack_schema(),
        AnalysisType::SavedQuery => schema_lib::saved_query_schema(),
        AnalysisType::ScheduledQuery => schema_lib::scheduled_query_schema(),
        AnalysisType::LookupTable => schema_lib::lookup_table_schema(),
        AnalysisType::CorrelationRule => schema_lib::correlation_rule_schema(),
        AnalysisType::ScheduledPrompt => schema_lib::scheduled_prompt_schema(),
    }
}

/// PAT's formatting of a `schema`-library error, with our location and summary.
fn schema_diag(
    file: &SpecFile,
    root: &Node,
    e: &SchemaError,
    t: Option<AnalysisType>,
    schema: &Schema,
) -> Diagnostic {
    let code_text = e.code();
    let (code, message, span, summary, hint) = match e.kind {
        ErrorKind::WrongKey => {
            let keys_text = wrong_keys_text(&code_text).unwrap_or("UNKNOWN_KEY");
            let message = format!(
                "{keys_text} not in list of valid keys: {}",
                schema.keys_repr()
            );
            let first = e.keys.first().cloned().unwrap_or_default();
            let span = root
                .as_map()
                .and_then(|m| m.iter().find(|en| en.key.value.py_str() == first))
                .map(|en| en.key.span);
            let valid = schema.key_names();
            let suggestion = closest(&first, &valid);
            let hint = match suggestion {
                Some(s) => format!(
                    "did you mean `{s}`? Valid keys for {}: {}",
                    t.map_or("this type", |t| t.as_str()),
                    valid.join(", ")
                ),
                None => format!(
                    "valid keys for {}: {}",
                    t.map_or("this type", |t| t.as_str()),
                    valid.join(", ")
                ),
            };
            let summary = if e.keys.len() > 1 {
                format!(
                    "unknown keys {}",
                    e.keys
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                format!("unknown key `{first}`")
            };
            (Code::UnknownKey, message, span, summary, Some(hint))
        }
        ErrorKind::MissingKey => {
            let summary = format!(
                "missing {}",
                code_text
                    .trim_start_matches("Missing keys: ")
                    .trim_start_matches("Missing key: ")
            );
            (
                Code::MissingKey,
                code_text.clone(),
                Some(Span { line: 1, col: 1 }),
                summary,
                Some("add the required key(s) to the spec".into()),
            )
        }
        ErrorKind::UnexpectedType => (
            Code::AnalysisType,
            code_text.clone(),
            Some(root.span),
            "the file is not a mapping of spec keys".into(),
            None,
        ),
        ErrorKind::Generic | ErrorKind::OnlyOne => {
            let message = if code_text.contains("ResourceTypes") {
                let first = code_text.split(':').next().unwrap_or("");
                let second = code_text
                    .split_once(')')
                    .map_or(code_text.as_str(), |(_, b)| b);
                format!("{first}: RESOURCE_TYPE_REGEX{second}")
            } else {
                code_text.clone()
            };
            if e.kind == ErrorKind::OnlyOne {
                let span = e
                    .keys
                    .iter()
                    .filter_map(|k| root.entry(k))
                    .map(|en| en.key.span)
                    .max();
                let summary = format!(
                    "use exactly one of {}",
                    e.keys
                        .iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                );
                (
                    Code::ExclusiveKeys,
                    message,
                    span,
                    summary,
                    Some("remove one of them".into()),
                )
            } else {
                let span = span_at_steps(root, &e.path);
                let code = if e.path.first() == Some(&Step::Key("AnalysisType".into())) {
                    Code::AnalysisType
                } else {
                    Code::InvalidValue
                };
                (
                    code,
                    message,
                    Some(span),
                    summarize_schema_error(&e.path, &code_text),
                    value_hint(&e.path),
                )
            }
        }
    };
    diag(file, code, span, summary, message, hint)
}

/// PAT's `re.match(r"Wrong key(?:s)? (.+?) in (.*)$", str(err)).group(1)`.
fn wrong_keys_text(code: &str) -> Option<&str> {
    let rest = code
        .strip_prefix("Wrong keys ")
        .or_else(|| code.strip_prefix("Wrong key "))?;
    let idx = rest.get(1..)?.find(" in ")? + 1;
    Some(&rest[..idx])
}

fn value_hint(path: &[Step]) -> Option<String> {
    match path.last() {
        Some(Step::Key(k)) if k == "Severity" => {
            Some("use one of Info, Low, Medium, High, Critical (exact case)".into())
        }
        Some(Step::Key(k)) if k == "Enabled" || k == "ExpectedResult" => {
            Some("use true or false (PAT reads yes/no/on/off as strings)".into())
        }
        Some(Step::Key(k)) if k == "returnValue" => {
            Some("a mock's returnValue must be a string or a boolean; quote numbers".into())
        }
        _ => None,
    }
}

/// A one-line reading of a `schema` error: the path and the innermost complaint, with the
/// alternatives of an `Or` folded into "one of …".
fn summarize_schema_error(path: &[Step], code: &str) -> String {
    let where_ = path_text(path);
    let lines: Vec<&str> = code.lines().collect();
    let last_or = lines.iter().rposition(|l| l.contains(" did not validate "));
    let alternatives: &[&str] = match last_or {
        Some(i) => &lines[i + 1..],
        None => &[],
    };
    let what = if path.first() == Some(&Step::Key("ResourceTypes".into())) {
        let value = lines
            .last()
            .and_then(|l| l.split(" does not match ").next())
            .unwrap_or("");
        format!("{value} is not a resource type PAT knows (AWS.S3.Bucket, AWS.IAM.Role, …)")
    } else if !alternatives.is_empty()
        && alternatives.iter().all(|l| l.contains(" does not match "))
    {
        let got = alternatives[0]
            .rsplit(" does not match ")
            .next()
            .unwrap_or("");
        let choices: Vec<&str> = alternatives
            .iter()
            .filter_map(|l| l.split(" does not match ").next())
            .collect();
        format!("must be one of {}, not {got}", choices.join(", "))
    } else if !alternatives.is_empty()
        && alternatives
            .iter()
            .all(|l| l.contains(" should be instance of "))
    {
        let got = alternatives[0]
            .split(" should be instance of ")
            .next()
            .unwrap_or("");
        let types: Vec<&str> = alternatives
            .iter()
            .filter_map(|l| l.rsplit(" should be instance of ").next())
            .collect();
        format!("must be of type {}, not {got}", types.join(" or "))
    } else {
        let last = lines
            .iter()
            .rfind(|l| !l.ends_with(" error:") && !l.contains(" did not validate "))
            .copied()
            .unwrap_or(code);
        if let Some((got, ty)) = last.split_once(" should be instance of ") {
            format!("must be of type {ty}, not {got}")
        } else if let Some(keys) = last
            .strip_prefix("Missing keys: ")
            .or_else(|| last.strip_prefix("Missing key: "))
        {
            format!("is missing {keys}")
        } else if let Some(keys) = wrong_keys_text(last) {
            format!("has an unknown key {keys}")
        } else if let Some(or) = last
            .strip_prefix("There are multiple keys present from the Or(")
            .and_then(|r| r.strip_suffix(") condition"))
        {
            format!("must have exactly one of {}", or.replace(", ", " or "))
        } else if let Some((got, _)) = last.split_once(" does not match '^[^<>&\\\\\"%]+$'") {
            format!("{got} must not contain <, >, &, \" or %")
        } else {
            last.to_owned()
        }
    };
    if where_.is_empty() {
        what
    } else {
        format!("`{where_}` {what}")
    }
}

fn path_text(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn json_summary(message: &str) -> String {
    message.to_owned()
}

/// The span of the value at a `schema` path (falls back to the deepest node found).
pub fn span_at_steps(root: &Node, path: &[Step]) -> Span {
    let mut node = root;
    let mut span = root.span;
    for step in path {
        let next = match (step, &node.value) {
            (Step::Key(k), Value::Map(entries)) => entries
                .iter()
                .find(|e| e.key.value.py_str() == *k)
                .map(|e| &e.value),
            (Step::Index(i), Value::List(items)) => items.get(*i),
            _ => None,
        };
        match next {
            Some(n) => {
                node = n;
                span = n.span;
            }
            None => break,
        }
    }
    span
}

fn span_at_json_path(root: &Node, path: &[super::json_schema::PathSegment]) -> Span {
    let steps: Vec<Step> = path
        .iter()
        .map(|p| match p {
            super::json_schema::PathSegment::Key(k) => Step::Key(k.clone()),
            super::json_schema::PathSegment::Index(i) => Step::Index(*i),
        })
        .collect();
    span_at_steps(root, &steps)
}

const SET_FIELDS: [&str; 6] = [
    "LogTypes",
    "PackIDs",
    "OutputIds",
    "SummaryAttributes",
    "Suppressions",
    "Tags",
];

/// `contains_invalid_field_set`: set-like fields with repeated values (`Tags` also ignoring case).
fn duplicate_values(root: &Node) -> Option<(Vec<String>, Option<Span>)> {
    let mut fields = Vec::new();
    let mut span = None;
    for field in SET_FIELDS {
        let Some(entry) = root.entry(field) else {
            continue;
        };
        let Some(items) = entry.value.as_list() else {
            continue;
        };
        let values: Vec<&Value> = items.iter().map(|n| &n.value).collect();
        let has_dup = |eq: &dyn Fn(&Value, &Value) -> bool| -> Option<usize> {
            (0..values.len()).find(|&j| (0..j).any(|i| eq(values[i], values[j])))
        };
        if field == "Tags" {
            let lower_eq = |a: &Value, b: &Value| match (a, b) {
                (Value::Str(x), Value::Str(y)) => x.to_lowercase() == y.to_lowercase(),
                _ => a.py_eq(b),
            };
            if let Some(j) = has_dup(&lower_eq) {
                fields.push("LowerTags".to_owned());
                span = span.or(Some(items[j].span));
            }
        }
        if let Some(j) = has_dup(&|a: &Value, b: &Value| a.py_eq(b)) {
            fields.push(field.to_owned());
            span = span.or(Some(items[j].span));
        }
    }
    if fields.is_empty() {
        None
    } else {
        Some((fields, span))
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
        let Some(invalid) = super::sql_tables::invalid_table_names(sql, valid) else {
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

/// The closest valid key to a misspelt one (case-insensitive equality, or edit distance ≤ 2).
fn closest<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    if let Some(v) = valid.iter().find(|v| v.eq_ignore_ascii_case(key)) {
        return Some(v);
    }
    valid
        .iter()
        .map(|v| (edit_distance(&key.to_lowercase(), &v.to_lowercase()), *v))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
