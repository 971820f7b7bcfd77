//! `prowl git …`: the git view's operations (`crate::fork`) on the command line.
//!
//! Paths are relative to `--repo` (default: the current folder), as with `git -C DIR`; paths
//! printed are relative to the repository's root. Text output follows git's short formats;
//! `--format json` prints the same values the desktop app receives.

use super::output::{self, Style};
use super::CliError;
use crate::error::UserError;
use crate::fork::{self, CloneProgress, ForkError, Repo};
use clap::{Args, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct GitArgs {
    #[command(subcommand)]
    pub command: GitCommand,
    /// The repository, or any folder inside it.
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    #[arg(long, global = true, value_enum, default_value_t = GitFormat::Text)]
    pub format: GitFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GitFormat {
    /// For people (git's short formats).
    Text,
    /// For machines.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum GitCommand {
    /// The branch and the changed files, like `git status --short --branch`.
    Status,
    /// One file's changes: unstaged (index → working tree) or, with --staged, HEAD → index.
    Diff {
        path: String,
        #[arg(long)]
        staged: bool,
    },
    /// Stage files or folders (`.` for everything), like `git add`.
    Stage {
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Unstage files or folders, like `git reset -- PATHS`.
    Unstage {
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Throw away unstaged changes and delete untracked files under PATHS. Cannot be undone.
    Discard {
        #[arg(required = true)]
        paths: Vec<String>,
        /// Confirm: the changes are lost.
        #[arg(long)]
        yes: bool,
    },
    /// Commit what is staged.
    Commit {
        #[arg(short, long)]
        message: String,
    },
    /// List local branches.
    Branches,
    /// Switch to a local branch; refuses to overwrite uncommitted changes.
    Checkout { branch: String },
    /// Clone a repository from a local path, a file:// or an http(s):// URL into a new or empty
    /// folder (credentials in the URL are used, never stored or printed).
    Clone { url: String, dest: PathBuf },
}

/// Runs `prowl git …`.
pub fn run(args: &GitArgs, style: &Style) -> Result<ExitCode, CliError> {
    let json = args.format == GitFormat::Json;
    match &args.command {
        GitCommand::Clone { url, dest } => {
            for warning in fork::clone_warnings(url) {
                eprintln!("{} {warning}", style.bold("warning:"));
            }
            let repo = fork::clone(url, dest, &mut clone_progress_printer())
                .map_err(|e| fork_error(&e))?;
            let branch = repo.status().map_err(|e| fork_error(&e))?.branch;
            if json {
                output::print_json(&serde_json::json!({
                    "path": repo.workdir(),
                    "branch": branch,
                }));
            } else {
                println!(
                    "{} {} into {}",
                    style.bold("Cloned"),
                    fork::without_credentials(url),
                    repo.workdir().display()
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        GitCommand::Discard { paths, yes: false } => {
            return Err(super::usage(
                format!(
                    "`discard` deletes the uncommitted changes in {} for good",
                    paths.join(", ")
                ),
                Some("re-run with --yes to confirm"),
            ));
        }
        _ => {}
    }
    let repo = Repo::discover(&args.repo).map_err(|e| fork_error(&e))?;
    match &args.command {
        GitCommand::Status => {
            let status = repo.status().map_err(|e| fork_error(&e))?;
            if json {
                output::print_json(&status);
            } else {
                print!("{}", status.short_format());
            }
        }
        GitCommand::Diff { path, staged } => {
            let path = resolve(&args.repo, path)?;
            let diff = repo.diff_file(&path, *staged).map_err(|e| fork_error(&e))?;
            if json {
                output::print_json(&diff);
            } else {
                print!("{}", diff.unified);
            }
        }
        GitCommand::Stage { paths } => {
            let resolved = resolve_all(&args.repo, paths)?;
            repo.stage(&as_strs(&resolved))
                .map_err(|e| fork_error(&e))?;
            report(json, "staged", paths);
        }
        GitCommand::Unstage { paths } => {
            let resolved = resolve_all(&args.repo, paths)?;
            repo.unstage(&as_strs(&resolved))
                .map_err(|e| fork_error(&e))?;
            report(json, "unstaged", paths);
        }
        GitCommand::Discard { paths, .. } => {
            let resolved = resolve_all(&args.repo, paths)?;
            repo.discard(&as_strs(&resolved))
                .map_err(|e| fork_error(&e))?;
            report(json, "discarded", paths);
        }
        GitCommand::Commit { message } => {
            let oid = repo.commit(message).map_err(|e| fork_error(&e))?;
            let status = repo.status().map_err(|e| fork_error(&e))?;
            let summary = message.lines().next().unwrap_or_default().trim();
            if json {
                output::print_json(&serde_json::json!({
                    "oid": oid,
                    "branch": status.branch,
                    "summary": summary,
                }));
            } else {
                let place = status.branch.as_deref().unwrap_or("detached HEAD");
                let short = status.head.as_deref().unwrap_or(&oid);
                println!("[{place} {short}] {summary}");
            }
        }
        GitCommand::Branches => {
            let branches = repo.branches().map_err(|e| fork_error(&e))?;
            if json {
                output::print_json(&branches);
            } else {
                for b in &branches {
                    let mark = if b.current { '*' } else { ' ' };
                    match &b.upstream {
                        Some(up) => println!("{mark} {} [{up}]", b.name),
                        None => println!("{mark} {}", b.name),
                    }
                }
            }
        }
        GitCommand::Checkout { branch } => {
            repo.checkout(branch).map_err(|e| fork_error(&e))?;
            if json {
                output::print_json(&serde_json::json!({ "branch": branch }));
            } else {
                println!("Switched to branch '{branch}'");
            }
        }
        GitCommand::Clone { .. } => unreachable!("handled before the repository is opened"),
    }
    Ok(ExitCode::SUCCESS)
}

fn fork_error(e: &ForkError) -> CliError {
    e.info()
}

/// A path argument relative to `--repo` (as `git -C DIR` reads paths), made absolute so the
/// library can place it inside the working tree.
fn resolve(repo_arg: &Path, path: &str) -> Result<String, CliError> {
    let given = Path::new(path);
    let joined = if given.is_absolute() {
        given.to_path_buf()
    } else {
        std::path::absolute(repo_arg.join(given)).map_err(|e| crate::error::io_error(given, &e))?
    };
    joined.to_str().map(str::to_owned).ok_or_else(|| {
        super::usage(
            format!("{}: the path is not valid UTF-8", joined.display()),
            None,
        )
    })
}

fn resolve_all(repo_arg: &Path, paths: &[String]) -> Result<Vec<String>, CliError> {
    paths.iter().map(|p| resolve(repo_arg, p)).collect()
}

fn as_strs(paths: &[String]) -> Vec<&str> {
    paths.iter().map(String::as_str).collect()
}

fn report(json: bool, verb: &str, paths: &[String]) {
    if json {
        output::print_json(&serde_json::json!({ verb: paths }));
    } else {
        for p in paths {
            println!("{verb} {p}");
        }
    }
}

/// Clone progress on stderr: a line updated in place on a terminal, and a summary at the end.
fn clone_progress_printer() -> impl FnMut(CloneProgress) {
    let terminal = std::io::stderr().is_terminal();
    let mut last_percent = None;
    let mut finished = false;
    move |p: CloneProgress| {
        if finished {
            return;
        }
        let percent = (p.received_objects * 100)
            .checked_div(p.total_objects)
            .unwrap_or(0);
        if terminal && last_percent != Some(percent) {
            eprint!(
                "\rReceiving objects: {percent:3}% ({}/{}), {} KiB",
                p.received_objects,
                p.total_objects,
                p.received_bytes / 1024
            );
            let _ = std::io::stderr().flush();
            last_percent = Some(percent);
        }
        if p.total_objects > 0 && p.indexed_objects == p.total_objects {
            if terminal {
                eprintln!();
            }
            eprintln!(
                "received {} objects ({} KiB)",
                p.total_objects,
                p.received_bytes / 1024
            );
            finished = true;
        }
    }
}
