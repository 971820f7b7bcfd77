//! `prowl audit SOURCE`: argument parsing and rendering around [`crate::audit::run`].
//!
//! Exit codes: 0 no finding at or above `--fail-on` (default `error`); 1 at least one; 2 the
//! audit could not be made (bad arguments, a source that cannot be read, a refused archive).

use super::CliError;
use crate::audit::report::{self, ReportFormat};
use crate::audit::{AuditOptions, Severity, Source, SourceLimits};
use crate::error::ErrorInfo;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// `--format` of `prowl audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// For people.
    Text,
    /// The report as JSON.
    Json,
    /// SARIF 2.1.0 (code-scanning tools).
    Sarif,
    /// One self-contained HTML page.
    Html,
}

/// `--fail-on`: the least severity that makes the exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Errors only (the default).
    Error,
    /// Warnings and errors.
    Warning,
    /// Any finding.
    Note,
}

/// `prowl audit`: what a third-party pack's code can do, before you trust it.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The pack: a folder, a git URL (https://, file://), or a .zip/.tar/.tar.gz archive. With
    /// --branch, a folder inside the repository (default: the current one).
    pub source: Option<String>,
    /// Audit this branch of the repository: only what it changed since its merge base with
    /// the default branch (a pull request).
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// With --branch: the branch it is merged into (default: origin/HEAD, main or master).
    #[arg(long, value_name = "BRANCH", requires = "branch")]
    pub base: Option<String>,
    /// Your own fork, for "would replace" and "new requirements" findings (default: the
    /// current folder when it is a workspace and not the pack; with --branch, the merge base).
    #[arg(long, value_name = "WORKSPACE")]
    pub against: Option<PathBuf>,
    /// Do not run the pack's unit tests in the sandbox (static findings only).
    #[arg(long)]
    pub no_dynamic: bool,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = AuditFormat::Text)]
    pub format: AuditFormat,
    /// Write the report to this file (atomically) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit with 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Seconds one detection's tests may take.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Workers (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub workers: Option<u16>,
    /// Most bytes a cloned, extracted or exported source may hold.
    #[arg(long, value_name = "BYTES")]
    pub max_size: Option<u64>,
    /// Most files a cloned, extracted or exported source may hold.
    #[arg(long, value_name = "N")]
    pub max_files: Option<usize>,
}

fn usage(message: impl Into<String>, hint: &str) -> ErrorInfo {
    ErrorInfo::new("cli.usage", message).with_hint(hint)
}

/// Runs `prowl audit`.
pub fn run(args: &AuditArgs) -> Result<ExitCode, CliError> {
    let started = std::time::Instant::now();
    let source =
        match (&args.branch, &args.source) {
            (Some(branch), repo) => Source::Branch {
                repo: PathBuf::from(repo.as_deref().unwrap_or(".")),
                branch: branch.clone(),
                base: args.base.clone(),
            },
            (None, Some(s)) => Source::from_argument(s),
            (None, None) => return Err(usage(
                "nothing to audit",
                "pass a pack's folder, git URL or archive (prowl audit ./pack), or --branch NAME",
            )),
        };
    let mut options = AuditOptions::new(source);
    options.dynamic = !args.no_dynamic;
    options.timeout = std::time::Duration::from_secs_f64(args.timeout.max(0.1));
    if let Some(w) = args.workers {
        options.workers = usize::from(w);
    }
    let defaults = SourceLimits::default();
    options.limits = SourceLimits {
        max_bytes: args.max_size.unwrap_or(defaults.max_bytes),
        max_files: args.max_files.unwrap_or(defaults.max_files),
    };
    options.against = match &args.against {
        Some(a) => {
            if !a.is_dir() {
                return Err(usage(
                    format!("--against {}: no such folder", a.display()),
                    "pass the folder of your own fork",
                ));
            }
            Some(a.clone())
        }
        None if args.branch.is_none() => current_workspace(),
        None => None,
    };
    if options.dynamic {
        ensure_baseline(&options);
    }
    let mut progress = |p: &crate::audit::AuditProgress| {
        if let crate::audit::AuditProgress::Dynamic { done, total, .. } = p {
            if *done == *total {
                eprintln!("audit: ran the tests of {total} detections in the sandbox");
            }
        }
        true
    };
    let report_data = crate::audit::run(&options, Some(&mut progress))?;
    let format = match args.format {
        AuditFormat::Text => ReportFormat::Text,
        AuditFormat::Json => ReportFormat::Json,
        AuditFormat::Sarif => ReportFormat::Sarif,
        AuditFormat::Html => ReportFormat::Html,
    };
    let rendered = report::render(&report_data, format);
    match &args.out {
        Some(path) => {
            let stamp = crate::workspace::save::stamp_on_disk(path).map_err(ErrorInfo::from)?;
            crate::workspace::save::save_text(path, &rendered, &stamp).map_err(ErrorInfo::from)?;
            eprintln!(
                "wrote {}: {} ({} errors, {} warnings, {} notes)",
                path.display(),
                report_data.summary.verdict.as_str(),
                report_data.summary.errors,
                report_data.summary.warnings,
                report_data.summary.notes
            );
        }
        None => print!("{rendered}"),
    }
    eprintln!("audited in {} ms", started.elapsed().as_millis());
    let fail_on = match args.fail_on {
        FailOn::Error => Severity::Error,
        FailOn::Warning => Severity::Warning,
        FailOn::Note => Severity::Note,
    };
    Ok(ExitCode::from(report::exit_code(&report_data, fail_on)))
}

/// The current folder, when it holds analysis items (the user's own fork). Only a folder with
/// a content folder of its own (`rules/`, `policies/`, …) is opened: run from a home folder,
/// the walk would otherwise read every workspace below it.
fn current_workspace() -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let content = [
        "rules",
        "policies",
        "global_helpers",
        "data_models",
        "queries",
        "packs",
        "correlation_rules",
    ];
    if !content.iter().any(|d| cwd.join(d).is_dir()) {
        return None;
    }
    let ws = crate::workspace::Workspace::open(&cwd, &Default::default()).ok()?;
    (!ws.items.is_empty()).then_some(cwd)
}

/// Makes Prowl's baseline environment when neither `--against`'s environment nor the
/// baseline can be used (Prowl's runtime only: nothing of the pack's, no approval needed).
/// A failure is left for the audit to report (the tests are then not run).
fn ensure_baseline(options: &AuditOptions) {
    let (env, _) = crate::audit::default_environment(options.against.as_deref());
    if env.usable() {
        return;
    }
    eprintln!(
        "audit: making Prowl's baseline Python environment (once; needs the package index; none of the pack's packages)"
    );
    let result = env.sync(crate::env::SyncOptions {
        force: false,
        allow_builds: Vec::new(),
        timeout: crate::env::SyncOptions::default_timeout(),
        cancel: None,
        progress: &mut |line| eprintln!("env: {line}"),
        approve: &mut |_| false,
    });
    if let Err(e) = result {
        eprintln!("audit: the baseline environment could not be made: {e}");
    }
}
