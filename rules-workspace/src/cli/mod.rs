//! The `prowl` command line: one subcommand per capability, human output by default and
//! `--format json` for machines. Data goes to stdout, progress and timings to stderr; colour
//! only on a terminal and never with `NO_COLOR`.
//!
//! Exit codes: 0 success; 1 the workspace has problems (as PAT's `test` exits 1 on an invalid
//! spec), or the logs a replay read had problems; 2 the command could not run (bad arguments,
//! missing folder).

mod audit;
mod cluster;
mod env;
mod git;
mod output;
mod remote;
mod replay;
mod replay_run;
mod tests_edit;
mod trust;
mod upstream;
mod watch;

use crate::error::ErrorInfo;
use crate::filter::Filters;
use crate::spec::validate::ValidationOptions;
use crate::spec::AnalysisType;
use crate::workspace::{OpenOptions, Workspace};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// The whole `prowl` command line, as `main` parses it from the process's arguments.
#[derive(Debug, Parser)]
#[command(
    name = "prowl",
    version,
    about = "Prowl: an IDE and CLI for Panther detections-as-code"
)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `prowl`, one per capability.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate a workspace exactly as PAT does (schemas, IDs, packs, table names).
    Validate(ValidateArgs),
    /// Run the workspace's unit tests in embedded CPython, with PAT's verdicts and output.
    Test(TestArgs),
    /// List the analysis items of a workspace.
    List(ListArgs),
    /// Show one item: its spec, files, dependencies, dependents and tests.
    Show(ShowArgs),
    /// Write the demo workspace (a git repository with upstream history) to a folder.
    Demo(DemoArgs),
    /// Open the desktop app on a workspace (the demo workspace when none is given).
    App(AppArgs),
    /// Git for the workspace: status, diff, stage, unstage, discard, commit, branches,
    /// checkout, clone.
    Git(git::GitArgs),
    /// List a spec's unit tests, or edit them changing only the lines an edit needs.
    #[command(subcommand)]
    Tests(tests_edit::TestsCommand),
    /// Manage the workspace's Python environment (panther-core and the workspace's packages).
    #[command(subcommand)]
    Env(env::EnvCommand),
    /// Trust a workspace folder (its packages installed without asking, its code allowed out
    /// of the sandbox with PROWL_SANDBOX=off), or stop trusting it (--revoke).
    Trust(trust::TrustArgs),
    /// Review a third-party pack before trusting it: what its code can do (static findings),
    /// what its tests try in the sandbox, and a verdict. Exit code 1 when a finding is at or
    /// above --fail-on.
    Audit(audit::AuditArgs),
    /// Replay log files (JSON lines, arrays, CloudTrail Records, gzip; folders and standard
    /// input) through the workspace's detections, with the alerts Panther would raise; locally
    /// or on a Ray cluster (--cluster). With --read-only, only count events and problems.
    Replay(replay::ReplayArgs),
    /// Check a Ray cluster for `prowl replay --cluster`: its Ray, and each node's Python,
    /// machine and CPUs (no workspace is sent).
    Cluster(cluster::ClusterArgs),
    /// Show what Prowl runs for a spec's YAML match expressions (what Panther's server
    /// transpiles): a Simple Detection's Python module, a rule's InlineFilters program, with
    /// their problems at their lines.
    Transpile(TranspileArgs),
    /// A remote Panther instance: check the connection, upload, validate on the server,
    /// delete, see the drift; profiles with the token in the system keyring.
    #[command(subcommand)]
    Remote(remote::RemoteCommand),
    /// Write the archive PAT's `zip` writes (and `upload` sends): the selected specs and the
    /// files their `Filename` names, after the unit tests (unless --skip-tests).
    Zip(ZipArgs),
    /// Bring upstream's changes (a new Panther release) into the fork item by item: status,
    /// per-item three-way diffs, merge with checks, resolve, commit, abort, undo.
    Upstream(upstream::UpstreamArgs),
    /// Internal: a Python worker process serving framed requests on stdin/stdout.
    #[command(hide = true)]
    Worker(WorkerArgs),
}

/// `prowl zip`.
#[derive(Debug, Args)]
pub struct ZipArgs {
    /// The workspace to read and how to read it.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The folder the archive goes to (created if missing).
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
    /// Write the archive without running the unit tests first.
    #[arg(long)]
    pub skip_tests: bool,
    /// As for `prowl test`: fail detections with fewer tests than this.
    #[arg(long, default_value_t = 0)]
    pub minimum_tests: usize,
    /// As for `prowl test`: skip detections that are not enabled.
    #[arg(long)]
    pub skip_disabled_tests: bool,
    /// As for `prowl test`: a destination name `destinations()` may return (repeatable).
    #[arg(long = "available-destination", value_name = "NAME")]
    pub available_destinations: Vec<String>,
    /// How the first sync of the workspace's Python environment may proceed.
    #[command(flatten)]
    pub approval: env::ApprovalArgs,
}

/// `prowl transpile SPEC`.
#[derive(Debug, Args)]
pub struct TranspileArgs {
    /// The YAML spec (a Simple Detection, a rule with InlineFilters, a correlation rule).
    pub spec: PathBuf,
    /// text: the Python module (and the filters' program); json: everything, with problems.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `prowl env …`: the workspace's managed Python environment.
/// `prowl worker`: how the parent process starts a Python worker (see [`crate::engine`]).
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// `--site-packages DIR`, `--sandbox-ro PATH`, `--sandbox-rw PATH` (what the pool passes).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<std::ffi::OsString>,
}

/// `--format`: how a command prints its result; not every command takes every format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For machines.
    Json,
    /// PAT's own "Invalid Tests Summary" lines (validate only).
    Pat,
    /// JUnit XML (test only).
    Junit,
}

/// The workspace and PAT's options for reading it, shared by `validate`, `test` and `list`.
#[derive(Debug, Args)]
pub struct WorkspaceArgs {
    /// The workspace folder (a panther-analysis style fork).
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Files to skip, relative to the workspace (repeatable), as PAT's --ignore-files.
    #[arg(long = "ignore-files", value_name = "FILE")]
    pub ignore_files: Vec<String>,
    /// Allow unknown keys in rules, policies and derived rules, as PAT's --ignore-extra-keys.
    #[arg(long)]
    pub ignore_extra_keys: bool,
    /// Skip the SQL table-name check of scheduled queries.
    #[arg(long)]
    pub ignore_table_names: bool,
    /// Extra allowed table-name patterns (`*` wildcards, repeatable).
    #[arg(long = "valid-table-names", value_name = "PATTERN")]
    pub valid_table_names: Vec<String>,
    /// PAT's filter: KEY=V1,V2 or KEY!=V1,V2 (repeatable; values ORed, filters ANDed).
    #[arg(long = "filter", value_name = "KEY=VALUES")]
    pub filter: Vec<String>,
}

impl WorkspaceArgs {
    fn open_options(&self) -> OpenOptions {
        OpenOptions {
            ignore_files: self.ignore_files.clone(),
            validation: ValidationOptions {
                ignore_extra_keys: self.ignore_extra_keys,
                ignore_table_names: self.ignore_table_names,
                valid_table_names: self.valid_table_names.clone(),
            },
        }
    }
}

/// `prowl validate`: PAT's checks of every selected item, without running anything.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The workspace to read and how to read it.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// How to print the problems found (junit is for `prowl test`).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `prowl test`: the selected detections' unit tests, as PAT's `test` runs them.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The workspace to read and how to read it.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Fail detections with fewer tests than this (N > 1 also needs a positive and a negative test).
    #[arg(long, default_value_t = 0)]
    pub minimum_tests: usize,
    /// Only run tests with this name (repeatable).
    #[arg(long = "test-names", value_name = "NAME")]
    pub test_names: Vec<String>,
    /// Skip detections that are not enabled.
    #[arg(long)]
    pub skip_disabled_tests: bool,
    /// A destination name `destinations()` may return (repeatable).
    #[arg(long = "available-destination", value_name = "NAME")]
    pub available_destinations: Vec<String>,
    /// Print passing detections first, then failing ones, each sorted by ID.
    #[arg(long)]
    pub sort_test_results: bool,
    /// Print only failing detections (sorted).
    #[arg(long)]
    pub show_failures_only: bool,
    /// Seconds one detection's tests may take before its worker is stopped.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Keep running: re-run the detections each saved change touches (a detection's code or
    /// spec, a helper it imports, a data model of its log types) on warm workers.
    #[arg(long)]
    pub watch: bool,
    /// Worker processes running tests in parallel (default: one per core). Output is PAT's
    /// order whatever the number.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,
    /// Let failures of the tests Prowl evaluates locally (Simple Detections, inline filters,
    /// correlation rules: PAT skips them without a Panther backend) fail the run.
    #[arg(long, conflicts_with = "pat_only")]
    pub fail_on_local: bool,
    /// Do only what PAT does without a backend: no local verdicts after its report.
    #[arg(long)]
    pub pat_only: bool,
    /// Send what PAT sends a Panther instance when it has a token (Simple Detections and
    /// inline filters to transpile, correlation rules' tests) to the instance of
    /// --profile / --api-host / PANTHER_API_HOST instead of evaluating it locally. Implied by
    /// --profile, --api-host or --api-token.
    #[arg(long, conflicts_with = "pat_only")]
    pub remote: bool,
    /// The instance for --remote.
    #[command(flatten)]
    pub instance: remote::RemoteArgs,
    /// How to print the results: text is PAT's own output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// How the first sync of the workspace's Python environment may proceed.
    #[command(flatten)]
    pub approval: env::ApprovalArgs,
}

/// `prowl list`: the selected items, one line each.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// The workspace to read and how to read it.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// Only items of this AnalysisType (rule, scheduled_rule, policy, global, datamodel, pack,
    /// saved_query, scheduled_query, lookup_table, correlation_rule, scheduled_prompt).
    #[arg(long = "type", value_name = "TYPE")]
    pub analysis_type: Option<String>,
    /// How to print the items (text or json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `prowl show`: one item found by its ID.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The item's ID (RuleID, PolicyID, GlobalID, DataModelID, PackID, QueryName, …).
    pub id: String,
    /// The workspace folder.
    #[arg(long, default_value = ".")]
    pub path: PathBuf,
    /// How to print the item (text or json).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `prowl demo`: where to write the demo workspace.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the demo workspace (created; must be empty).
    #[arg(default_value = "prowl-demo")]
    pub dir: PathBuf,
}

/// `prowl app`: what the desktop app opens first.
#[derive(Debug, Args)]
pub struct AppArgs {
    /// The workspace to open; the start screen with `--start`.
    pub dir: Option<PathBuf>,
    /// Show the start screen (open a folder, clone a fork, recent workspaces).
    #[arg(long, conflicts_with = "dir")]
    pub start: bool,
}

/// A failure that stops a command: the one error shape ([`ErrorInfo`]), printed as
/// `error: …`, its place, and a hint.
pub type CliError = ErrorInfo;

/// A command used wrongly (arguments that cannot work together, a missing confirmation).
fn usage(message: impl Into<String>, hint: Option<&str>) -> ErrorInfo {
    let info = ErrorInfo::new("cli.usage", message);
    match hint {
        Some(h) => info.with_hint(h),
        None => info,
    }
}

/// Prints an error as the command line shows every error: what happened, where (when the
/// message alone does not say which line), and the next step.
pub fn print_error(e: &ErrorInfo, style: &output::Style) {
    eprintln!("{}", style.error_line(&e.message));
    if e.location.as_ref().is_some_and(|l| l.line.is_some()) {
        if let Some(place) = e.place() {
            eprintln!("  --> {place}");
        }
    }
    if let Some(h) = &e.hint {
        eprintln!("  {} {h}", style.hint_label());
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let style = output::Style::detect();
    let result = match cli.command {
        Command::Validate(args) => validate(&args, &style),
        Command::Test(args) => test(&args),
        Command::List(args) => list(&args, &style),
        Command::Show(args) => show(&args, &style),
        Command::Transpile(args) => transpile(&args),
        Command::Zip(args) => zip(&args),
        Command::Remote(cmd) => remote::run(&cmd),
        Command::Demo(args) => demo(&args, &style),
        Command::App(args) => app(&args),
        Command::Git(args) => git::run(&args, &style),
        Command::Tests(cmd) => tests_edit::run(&cmd),
        Command::Env(cmd) => env::run(&cmd, &style),
        Command::Trust(args) => trust::run(&args, &style),
        Command::Audit(args) => audit::run(&args),
        Command::Replay(args) => replay::run(&args, &style),
        Command::Cluster(args) => cluster::run(&args, &style),
        Command::Upstream(args) => upstream::run(&args, &style),
        Command::Worker(args) => return crate::engine::embedded::run_worker_with_args(&args.args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            print_error(&e, &style);
            ExitCode::from(2)
        }
    }
}

fn open(args: &WorkspaceArgs) -> Result<(Workspace, Filters), CliError> {
    let filters = Filters::parse(&args.filter)?;
    let ws = Workspace::open(&args.path, &args.open_options())?;
    Ok((ws, filters))
}

fn validate(args: &ValidateArgs, style: &output::Style) -> Result<ExitCode, CliError> {
    if args.format == Format::Junit {
        return Err(usage(
            "--format junit is for `prowl test`",
            Some("use --format text, json or pat with validate"),
        ));
    }
    let started = std::time::Instant::now();
    let (ws, filters) = open(&args.workspace)?;
    if ws.items.is_empty() && ws.diagnostics.is_empty() {
        eprintln!(
            "{}",
            style.error_line(&format!(
                "nothing to validate: no analysis items in {}",
                ws.root.display()
            ))
        );
        eprintln!(
            "  {} PAT reads specs (YAML with an AnalysisType) under folders named like rules/, policies/, queries/, packs/, data_models/, global_helpers/ and lookup_tables/ in the fork's root",
            style.hint_label()
        );
        return Ok(ExitCode::from(1));
    }
    let selection = ws.select(&filters);
    let diagnostics = ws.check(&selection);
    let elapsed = started.elapsed();
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    match args.format {
        Format::Text => output::print_diagnostics_text(&ws, &diagnostics, selection.len(), style),
        Format::Json => output::print_diagnostics_json(&ws, &diagnostics, selection.len()),
        Format::Pat => output::print_diagnostics_pat(&diagnostics),
        Format::Junit => unreachable!("refused before the workspace is opened"),
    }
    eprintln!(
        "checked {} files in {} ms",
        ws.files_read,
        elapsed.as_millis()
    );
    exit_without_freeing(ws);
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Leaves a workspace the command is done with to the end of the process instead of freeing
/// it node by node: panther-analysis's parsed specs take about 15 ms to free, for memory the
/// exit returns at once. (A workspace holds no file, lock or child process.)
fn exit_without_freeing(ws: Workspace) {
    std::mem::forget(ws);
}

fn list(args: &ListArgs, style: &output::Style) -> Result<ExitCode, CliError> {
    let wanted = match &args.analysis_type {
        None => None,
        Some(t) => Some(AnalysisType::parse(t).ok_or_else(|| {
            usage(
                format!("unknown analysis type `{t}`"),
                Some("use one of rule, scheduled_rule, policy, global, datamodel, pack, saved_query, scheduled_query, lookup_table, correlation_rule, scheduled_prompt"),
            )
        })?),
    };
    let (ws, filters) = open(&args.workspace)?;
    let items: Vec<&crate::spec::AnalysisItem> = ws
        .select(&filters)
        .into_iter()
        .map(|i| &ws.items[i])
        .filter(|i| wanted.is_none_or(|t| i.analysis_type == t))
        .collect();
    match args.format {
        Format::Json => output::print_json(&items),
        _ => output::print_items_text(&items, style),
    }
    Ok(ExitCode::SUCCESS)
}

fn show(args: &ShowArgs, style: &output::Style) -> Result<ExitCode, CliError> {
    let ws = Workspace::open(&args.path, &OpenOptions::default())
        .map_err(|e| ErrorInfo::from(e).with_hint("pass the workspace with --path"))?;
    let Some(index) = ws.index.get(&args.id) else {
        let near: Vec<&str> = ws
            .items
            .iter()
            .map(|i| i.id.as_str())
            .filter(|id| id.to_lowercase().contains(&args.id.to_lowercase()))
            .take(5)
            .collect();
        let hint = if near.is_empty() {
            "run `prowl list` to see the IDs".to_owned()
        } else {
            format!("did you mean: {}", near.join(", "))
        };
        return Err(usage(
            format!(
                "no valid item with ID `{}` in {}",
                args.id,
                ws.root.display()
            ),
            Some(&hint),
        ));
    };
    match args.format {
        Format::Json => output::print_item_json(&ws, index),
        _ => output::print_item_text(&ws, index, style),
    }
    Ok(ExitCode::SUCCESS)
}

/// The instance `prowl test --remote` sends its server-side tests to.
fn remote_tests(args: &TestArgs) -> Result<Option<crate::testing::RemoteTests>, CliError> {
    let i = &args.instance;
    if !(args.remote || i.api_host.is_some() || i.api_token.is_some() || i.profile.is_some()) {
        return Ok(None);
    }
    let client = i.client()?;
    eprintln!(
        "INFO: Simple Detections, inline filters and correlation rules are tested by {}",
        client.url()
    );
    Ok(Some(crate::testing::RemoteTests(std::sync::Arc::new(
        client,
    ))))
}

fn zip(args: &ZipArgs) -> Result<ExitCode, CliError> {
    let (ws, filters) = open(&args.workspace)?;
    if !args.skip_tests {
        // As PAT: the tests first; a failing run writes no archive and gives its exit code.
        let mut pool = worker_pool(&args.workspace.path, &args.approval, None)?;
        let options = crate::testing::TestOptions {
            filters: filters.clone(),
            minimum_tests: args.minimum_tests,
            skip_disabled_tests: args.skip_disabled_tests,
            available_destinations: args.available_destinations.clone(),
            path_label: args.workspace.path.display().to_string(),
            local: false,
            ..crate::testing::TestOptions::default()
        };
        let run = crate::testing::run(&ws, &mut pool, &options)?;
        pool.shutdown();
        use std::io::Write;
        let _ = std::io::stdout().write_all(run.stdout.as_bytes());
        let _ = std::io::stderr().write_all(run.stderr.as_bytes());
        if run.exit_code != 0 {
            eprintln!("prowl: the tests failed, so no archive was written");
            return Ok(ExitCode::from(run.exit_code.clamp(1, 255) as u8));
        }
    }
    // PAT's log lines, on stderr as PAT writes them (the archive's path is the last one).
    eprintln!(
        "INFO: Zipping analysis items in {} to {}",
        args.workspace.path.display(),
        args.out.display()
    );
    if !args.out.exists() {
        eprintln!("INFO: Creating directory: {}", args.out.display());
    }
    let path = crate::remote::zip::write(&ws, &filters, &args.out).map_err(ErrorInfo::from)?;
    eprintln!("INFO: {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn transpile(args: &TranspileArgs) -> Result<ExitCode, CliError> {
    use crate::matchlang::{correlation, simple};
    let bytes = std::fs::read(&args.spec).map_err(|e| {
        usage(
            format!("cannot read {}: {e}", args.spec.display()),
            Some("name a YAML spec file"),
        )
    })?;
    let spec = crate::spec::yaml::load_bytes(&bytes)
        .map_err(|e| usage(format!("{}: {e}", args.spec.display()), None))?
        .root
        .ok_or_else(|| usage(format!("{} is empty", args.spec.display()), None))?;
    let mut problems = Vec::new();
    let mut body = None;
    let mut program = None;
    let id = ["RuleID", "PolicyID"]
        .iter()
        .find_map(|k| spec.get(k).and_then(crate::spec::Node::as_str))
        .unwrap_or("?")
        .to_owned();
    let correlation_rule =
        spec.get("AnalysisType").and_then(crate::spec::Node::as_str) == Some("correlation_rule");
    if correlation_rule {
        if let Err(p) = correlation::read(&spec) {
            problems.extend(p);
        }
    } else if spec.get("Detection").is_some() {
        let compiled = simple::compile_simple(&spec);
        body = Some(simple::python_body(
            &id,
            &args.spec.display().to_string(),
            &compiled,
        ));
        program = Some(compiled.program.clone());
        problems.extend(compiled.problems);
    }
    let filters = spec.get("InlineFilters").map(|f| {
        let (program, found) = simple::compile_filters(f);
        problems.extend(found);
        program
    });
    if args.format == Format::Json {
        output::print_json(&serde_json::json!({
            "id": id,
            "body": body,
            "program": program,
            "filters": filters,
            "problems": problems.iter().map(|p| serde_json::json!({
                "line": p.span.line, "column": p.span.col, "message": p.message,
            })).collect::<Vec<_>>(),
        }));
    } else {
        if let Some(body) = &body {
            print!("{body}");
        }
        if let Some(filters) = &filters {
            println!("# InlineFilters, as the program prowl_match evaluates before rule():");
            println!("# {filters}");
        }
        if body.is_none() && filters.is_none() {
            if correlation_rule {
                println!("# {id}: a correlation rule; `prowl test` evaluates its tests locally.");
            } else {
                println!("# {id}: no match expressions (neither Detection nor InlineFilters).");
            }
        }
        for p in &problems {
            eprintln!(
                "{}:{}:{}: {}",
                args.spec.display(),
                p.span.line,
                p.span.col,
                p.message
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn demo(args: &DemoArgs, style: &output::Style) -> Result<ExitCode, CliError> {
    let demo = crate::demo::write_demo(&args.dir)?;
    println!(
        "{} the demo workspace at {}",
        style.bold("Wrote"),
        demo.path.display()
    );
    println!("  a git repository on `main`: release 1.0 plus Acme's local tuning");
    println!(
        "  remote `upstream` ({}) has release 2.0 to merge",
        demo.upstream_url
    );
    println!("next: prowl validate {}", demo.path.display());
    Ok(ExitCode::SUCCESS)
}

/// Starts `prowl-desktop` (next to this binary, else on PATH) and waits for the window to close.
fn app(args: &AppArgs) -> Result<ExitCode, CliError> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("prowl-desktop")))
        .filter(|p| p.is_file());
    let program = beside.unwrap_or_else(|| PathBuf::from("prowl-desktop"));
    let mut cmd = std::process::Command::new(&program);
    if args.start {
        cmd.arg("--start");
    } else if let Some(dir) = &args.dir {
        cmd.arg(dir);
    }
    let status = cmd.status().map_err(|e| {
        ErrorInfo::new(
            "cli.no_desktop",
            format!("cannot start the desktop app ({}): {e}", program.display()),
        )
        .with_hint("build it with `cargo build -p prowl-desktop`, or install the .deb (see README)")
    })?;
    Ok(ExitCode::from(
        status.code().unwrap_or(1).clamp(0, 255) as u8
    ))
}

/// A pool of `workers` workers (default: one per core) for the workspace at `root`, creating
/// or updating its Python environment first when needed (saying so, asking for approval as
/// `approval` allows).
fn worker_pool(
    root: &std::path::Path,
    approval: &env::ApprovalArgs,
    workers: Option<u16>,
) -> Result<crate::engine::pool::Pool, CliError> {
    // First use: create (or bring up to date) the workspace's Python environment, saying so.
    let style = output::Style::detect();
    let mut failure: Option<CliError> = None;
    let prepared = crate::engine::prepare_workers(
        root,
        &mut |line| eprintln!("{} {line}", style.bold("env:")),
        &mut |env| {
            eprintln!(
                "{} preparing the Python environment for this workspace (once; needs the package index)",
                style.bold("env:")
            );
            env::sync_for_cli(env, false, approval, &style)
                .map(|_| ())
                .map_err(|e| {
                    failure = Some(e);
                    crate::env::EnvError::Cancelled
                })
        },
    );
    let worker = match (prepared, failure) {
        (Ok(w), _) => w,
        (Err(_), Some(e)) => return Err(e),
        (Err(e), None) => return Err(e.into()),
    };
    let workers = workers
        .map(usize::from)
        .unwrap_or_else(crate::engine::pool::Pool::default_size);
    Ok(crate::engine::pool::Pool::new(worker, workers))
}

fn test(args: &TestArgs) -> Result<ExitCode, CliError> {
    let mut pool = worker_pool(&args.workspace.path, &args.approval, args.workers)?;
    let workers = pool.size();
    // Workers start Python while the workspace is read; a narrowed run needs only one.
    let narrowed = !args.workspace.filter.is_empty() || !args.test_names.is_empty();
    pool.prewarm(if narrowed { 1 } else { workers });
    let started = std::time::Instant::now();
    let (ws, filters) = open(&args.workspace)?;
    // The profiling switches are read here, once.
    let debug = crate::testing::DebugSwitches::from_env();
    if debug.timings {
        eprintln!("open: {:?}", started.elapsed());
    }
    let options = crate::testing::TestOptions {
        filters,
        minimum_tests: args.minimum_tests,
        test_names: args.test_names.clone(),
        skip_disabled_tests: args.skip_disabled_tests,
        available_destinations: args.available_destinations.clone(),
        sort_test_results: args.sort_test_results,
        show_failures_only: args.show_failures_only,
        timeout: std::time::Duration::from_secs_f64(args.timeout.max(0.1)),
        path_label: args.workspace.path.display().to_string(),
        only: None,
        local: !args.pat_only,
        fail_on_local: args.fail_on_local,
        remote: remote_tests(args)?,
        keep_warm: args.watch,
        debug,
    };
    if args.watch {
        if args.format != Format::Text {
            return Err(usage(
                "--watch prints text reports",
                Some("leave out --format, or run without --watch"),
            ));
        }
        return watch::watch(args, &mut pool, ws, options);
    }
    let run = crate::testing::run(&ws, &mut pool, &options)?;
    pool.shutdown();
    exit_without_freeing(ws);
    match args.format {
        Format::Json => output::print_json(&serde_json::json!({
            "exit_code": run.exit_code,
            "summary": run.summary,
            "detections": run.detections,
            "local": run.local,
        })),
        Format::Junit => {
            let mut all = run.detections.clone();
            all.extend(run.local.iter().flat_map(|l| l.detections.iter().cloned()));
            print!("{}", crate::testing::junit::render(&all));
        }
        _ => {
            use std::io::Write;
            let _ = std::io::stdout().write_all(run.stdout.as_bytes());
            let _ = std::io::stderr().write_all(run.stderr.as_bytes());
        }
    }
    Ok(ExitCode::from(run.exit_code.clamp(0, 255) as u8))
}
