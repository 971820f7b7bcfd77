//! `prowl env`: the workspace's Python environment (`sync`, `check`, `show`, `export`,
//! `import`), and the approval prompt and Ctrl+C handling every sync of the command line uses
//! (`prowl test` syncs through [`sync_for_cli`] on first use).

use super::{output, CliError, Format};
use crate::env::manifest::{Manifest, Reason};
use crate::env::{wheelhouse, Approval, PythonEnv, SyncOptions};
use clap::{Args, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// `prowl env …`.
#[derive(Debug, Subcommand)]
pub enum EnvCommand {
    /// Create or update the environment: panther-core and the packages the workspace declares
    /// (Pipfile, requirements.txt or pyproject.toml; lock files honoured), from wheels only.
    Sync(SyncArgs),
    /// Say where the environment is and whether it is ready.
    Check {
        /// The workspace folder.
        #[arg(default_value = ".")]
        path: PathBuf,
    },
    /// Show the environment: its interpreter, every package with its version and why it is
    /// there, what was left out, and when it was synced.
    Show {
        /// The workspace folder.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Output format: text or json.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write the synced environment's packages as wheels into a folder (for a machine without
    /// the package index: `prowl env import` there).
    Export {
        /// The workspace folder.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The folder to write the wheels into.
        #[arg(long)]
        to: PathBuf,
    },
    /// Make the environment from a folder written by `prowl env export`, without the network.
    Import {
        /// The workspace folder.
        #[arg(default_value = ".")]
        path: PathBuf,
        /// The wheelhouse folder.
        #[arg(long)]
        from: PathBuf,
        /// Approve the list of packages without asking.
        #[arg(long)]
        yes: bool,
    },
}

/// `prowl env sync`'s flags (also what `prowl test` takes for its first sync).
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The workspace folder.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Recreate it even when it is up to date.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub approval: ApprovalArgs,
}

/// How a sync may proceed without asking.
#[derive(Debug, Args, Default, Clone)]
pub struct ApprovalArgs {
    /// Approve the list of packages the workspace asks for without asking (scripts and CI).
    #[arg(long)]
    pub yes: bool,
    /// Allow this package to build from source (repeatable; Panther's own source-only
    /// packages are allowed already).
    #[arg(long = "allow-build", value_name = "PACKAGE")]
    pub allow_build: Vec<String>,
    /// Seconds the environment sync may take (default 600, or PROWL_ENV_TIMEOUT).
    #[arg(long = "env-timeout", value_name = "SECONDS")]
    pub env_timeout: Option<f64>,
}

/// Runs `prowl env …`.
pub fn run(cmd: &EnvCommand, style: &output::Style) -> Result<ExitCode, CliError> {
    match cmd {
        EnvCommand::Sync(args) => {
            let env = PythonEnv::for_workspace(&args.path);
            let manifest = sync_for_cli(&env, args.force, &args.approval, style)?;
            println!("{}", env.path.display());
            println!(
                "ready: {} packages ({})",
                manifest.packages.len(),
                manifest.installer
            );
            Ok(ExitCode::SUCCESS)
        }
        EnvCommand::Check { path } => {
            let env = PythonEnv::for_workspace(path);
            println!("{}", env.path.display());
            match env.check() {
                Ok(()) => {
                    let n = env.manifest().map_or(0, |m| m.packages.len());
                    println!("ready: {n} packages");
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    super::print_error(&e.into(), style);
                    Ok(ExitCode::from(1))
                }
            }
        }
        EnvCommand::Show { path, format } => show(path, *format, style),
        EnvCommand::Export { path, to } => {
            let env = PythonEnv::for_workspace(path);
            let cancel = CtrlC::install();
            let house = wheelhouse::export(
                &env,
                to,
                SyncOptions::default_timeout(),
                Some(cancel.flag()),
                &mut |line| eprintln!("{} {line}", style.bold("env:")),
            )?;
            println!(
                "wrote {} packages as wheels into {}",
                house.packages.len(),
                to.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        EnvCommand::Import { path, from, yes } => {
            let env = PythonEnv::for_workspace(path);
            let cancel = CtrlC::install();
            let mut approve = |a: &Approval| ask_approval(a, *yes, style);
            let manifest = wheelhouse::import(
                &env,
                from,
                SyncOptions::default_timeout(),
                Some(cancel.flag()),
                &mut |line| eprintln!("{} {line}", style.bold("env:")),
                &mut approve,
            )?;
            println!(
                "{}: {} packages from {}",
                env.path.display(),
                manifest.packages.len(),
                from.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Syncs `env` as the command line does: progress on stderr, the list shown for approval
/// (asked on a terminal, `--yes` otherwise), Ctrl+C stops it cleanly.
pub fn sync_for_cli(
    env: &PythonEnv,
    force: bool,
    approval: &ApprovalArgs,
    style: &output::Style,
) -> Result<Manifest, CliError> {
    let cancel = CtrlC::install();
    let mut allow = SyncOptions::allow_builds_from_env();
    allow.extend(approval.allow_build.iter().cloned());
    let mut progress = |line: &str| eprintln!("{} {line}", style.bold("env:"));
    let mut approve = |a: &Approval| ask_approval(a, approval.yes, style);
    let manifest = env.sync(SyncOptions {
        force,
        allow_builds: allow,
        timeout: approval
            .env_timeout
            .filter(|s| *s > 0.0)
            .map(Duration::from_secs_f64)
            .unwrap_or_else(SyncOptions::default_timeout),
        cancel: Some(cancel.flag()),
        progress: &mut progress,
        approve: &mut approve,
    })?;
    Ok(manifest)
}

/// Shows the list, then takes it when the workspace is trusted or with `--yes`, else asks (on a
/// terminal).
fn ask_approval(a: &Approval, yes: bool, style: &output::Style) -> bool {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "{} {} asks for {} package(s); installing it means installing exactly these {}:",
        style.bold("env:"),
        a.workspace,
        a.asked.len(),
        a.packages.len()
    );
    for (name, origin) in &a.asked {
        let _ = writeln!(err, "    asked: {name} ({origin})");
    }
    for p in &a.packages {
        let from = if p.from_source {
            "  (built from source, allowed by name)"
        } else {
            ""
        };
        let _ = writeln!(err, "    {}=={}{from}", p.name, p.version);
    }
    let trust = crate::trust::state(std::path::Path::new(&a.workspace));
    if trust.trusted {
        let _ = writeln!(
            err,
            "{} approved: the workspace is {}",
            style.bold("env:"),
            trust.explain()
        );
        return true;
    }
    if yes {
        let _ = writeln!(err, "{} approved with --yes", style.bold("env:"));
        return true;
    }
    let _ = writeln!(
        err,
        "{} the workspace is {} (`prowl trust {}` trusts it)",
        style.bold("env:"),
        trust.explain(),
        a.workspace
    );
    if !std::io::stdin().is_terminal() {
        let _ = writeln!(
            err,
            "{} not approved: no terminal to ask on (pass --yes to approve this list)",
            style.bold("env:")
        );
        return false;
    }
    let _ = write!(err, "Install these {} packages? [y/N] ", a.packages.len());
    let _ = err.flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn show(
    path: &std::path::Path,
    format: Format,
    style: &output::Style,
) -> Result<ExitCode, CliError> {
    let env = PythonEnv::for_workspace(path);
    let manifest = env.manifest();
    let status = match env.check() {
        Ok(()) => "ready".to_owned(),
        Err(e) => e.to_string(),
    };
    if format == Format::Json {
        output::print_json(&serde_json::json!({
            "path": env.path,
            "interpreter": crate::env::build_python(),
            "status": status,
            "manifest": manifest,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} {}", style.bold("environment:"), env.path.display());
    println!(
        "{} {} (Python {})",
        style.bold("interpreter:"),
        crate::env::build_python(),
        crate::env::build_python_version()
    );
    println!("{} {status}", style.bold("status:"));
    let Some(m) = manifest else {
        println!("never synced: run `prowl env sync {}`", path.display());
        return Ok(ExitCode::from(1));
    };
    println!(
        "{} {} with {}{}",
        style.bold("synced:"),
        crate::env::manifest::time_text(m.synced_at),
        m.installer,
        m.source
            .as_deref()
            .map(|s| format!(", requirements from {s}"))
            .unwrap_or_default()
    );
    println!("{} ({})", style.bold("packages"), m.packages.len());
    for p in &m.packages {
        let why = match &p.reason {
            Reason::Runtime => "Prowl's runtime".to_owned(),
            Reason::Asked { origin } => format!("asked at {origin}"),
            Reason::Dependency { of } if of.is_empty() => "a dependency".to_owned(),
            Reason::Dependency { of } => format!("needed by {}", of.join(", ")),
        };
        let built = if p.built_from_source {
            ", built from source"
        } else {
            ""
        };
        println!("  {:<32} {:<16} {why}{built}", p.name, p.version);
    }
    if !m.left_out.is_empty() {
        println!("{}", style.bold("left out"));
        for l in &m.left_out {
            println!("  {} ({}): {}", l.name, l.origin, l.why);
        }
    }
    for n in &m.notes {
        println!("{} {n}", style.bold("note:"));
    }
    Ok(ExitCode::SUCCESS)
}

/// Ctrl+C sets a flag instead of killing `prowl` while a sync runs (the installer, in a
/// process group of its own, is then stopped and the new environment removed); the default
/// handling comes back when this is dropped.
struct CtrlC;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

impl CtrlC {
    fn install() -> CtrlC {
        INTERRUPTED.store(false, Ordering::SeqCst);
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, on_sigint as *const () as libc::sighandler_t);
        }
        CtrlC
    }

    fn flag(&self) -> &'static AtomicBool {
        &INTERRUPTED
    }
}

impl Drop for CtrlC {
    fn drop(&mut self) {
        // SAFETY: restores the default disposition.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
        }
    }
}
