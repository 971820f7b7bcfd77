//! `prowl remote …`: a Panther instance through its public API, as PAT 1.6.3 speaks to it
//! (`check`, `upload`, `validate`, `delete`), plus what PAT lacks: named profiles with the
//! token in the system keyring, and the drift between the workspace and the instance.
//!
//! PAT's log lines go to stderr as PAT writes them (`INFO: …`); results to stdout (PAT's upload
//! summary, or JSON with `--format json`). The token is never printed.

use super::{open, usage, worker_pool, CliError, Format, WorkspaceArgs};
use crate::error::ErrorInfo;
use crate::remote::client::{Client, Token};
use crate::remote::{deploy, drift, ops, profiles};
use crate::session::deploy as session_deploy;
use clap::{Args, Subcommand};
use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::sync::Arc;

/// `prowl remote …`.
#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// Check the connection and print the instance's Panther version (PAT's `check-connection`).
    Check(RemoteArgs),
    /// Test, then upload the workspace's selection (PAT's `upload`: asynchronous with polling,
    /// synchronous on instances without it, PAT's retries).
    Upload(UploadArgs),
    /// Have the instance validate the workspace's selection without saving it (PAT's
    /// `validate`); its issues are shown by file.
    Validate(ServerValidateArgs),
    /// Delete detections (by ID) and saved queries (by name) from the instance: a dry run
    /// first, then a confirmation (PAT's `delete`).
    Delete(DeleteArgs),
    /// What an upload would change: items only in the workspace, only on the instance, and
    /// different (enabled, severity, tests, code).
    Diff(DiffArgs),
    /// Keep a named profile: its API host in Prowl's config, its token (read from standard
    /// input) in the system keyring.
    Login(LoginArgs),
    /// Remove a profile's token from the keyring (and the profile with --forget).
    Logout(LogoutArgs),
    /// List the profiles.
    Profiles(ProfilesArgs),
}

/// Where the instance is and how to sign in.
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// The API host (`acme.runpanther.net` becomes `https://api.acme.runpanther.net/public/graphql`)
    /// or a full URL used as written. Default: PANTHER_API_HOST, else the profile's.
    #[arg(long)]
    pub api_host: Option<String>,
    /// The API token. Default: PANTHER_API_TOKEN, else the profile's (from the keyring).
    /// Better not on the command line: it stays in your shell's history.
    #[arg(long)]
    pub api_token: Option<String>,
    /// A profile made with `prowl remote login` (default: PROWL_PROFILE, else the default one).
    #[arg(long)]
    pub profile: Option<String>,
}

impl RemoteArgs {
    pub(super) fn client(&self) -> Result<Client, CliError> {
        let (host, token, _) = profiles::resolve(
            self.api_host.as_deref(),
            self.api_token.as_deref(),
            self.profile.as_deref(),
        )?;
        Ok(Client::new(&host, token).with_notify(Arc::new(|m: &str| {
            eprintln!("WARNING: {m}");
        })))
    }
}

/// `prowl remote upload`.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// The workspace and its selection.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The instance.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// Upload without running the unit tests first.
    #[arg(long)]
    pub skip_tests: bool,
    /// Use the synchronous upload even where the asynchronous one exists.
    #[arg(long)]
    pub no_async: bool,
    /// How many times a retryable failure starts the whole upload again (PAT: 0 to 10).
    #[arg(long, default_value_t = 10)]
    pub max_retries: u32,
    /// As for `prowl test`: fail detections with fewer tests than this.
    #[arg(long, default_value_t = 0)]
    pub minimum_tests: usize,
    /// As for `prowl test`: skip detections that are not enabled.
    #[arg(long)]
    pub skip_disabled_tests: bool,
    /// As for `prowl test`: a destination name `destinations()` may return (repeatable).
    #[arg(long = "available-destination", value_name = "NAME")]
    pub available_destinations: Vec<String>,
    /// text: PAT's summary; json: the counts by kind.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// How the first sync of the workspace's Python environment may proceed.
    #[command(flatten)]
    pub approval: super::env::ApprovalArgs,
}

/// `prowl remote validate`.
#[derive(Debug, Args)]
pub struct ServerValidateArgs {
    /// The workspace and its selection.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The instance.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// text or json.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `prowl remote delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Detection IDs to delete.
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// A detection ID (repeatable; PAT's spelling).
    #[arg(long = "analysis-id", value_name = "ID")]
    pub analysis_ids: Vec<String>,
    /// A saved query's name (repeatable).
    #[arg(long = "query-id", value_name = "NAME")]
    pub query_ids: Vec<String>,
    /// Only the dry run: say what would be deleted.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (PAT's --no-confirm).
    #[arg(long, visible_alias = "no-confirm")]
    pub yes: bool,
    /// The instance.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// text or json.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `prowl remote diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The workspace and its selection.
    #[command(flatten)]
    pub workspace: WorkspaceArgs,
    /// The instance.
    #[command(flatten)]
    pub remote: RemoteArgs,
    /// text or json.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 when there is any drift (for CI).
    #[arg(long)]
    pub fail_on_drift: bool,
}

/// `prowl remote login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The profile's name.
    #[arg(long, default_value = "default")]
    pub profile: String,
    /// The API host or full URL (kept in the profile).
    #[arg(long)]
    pub api_host: String,
    /// Keep the profile without checking the connection first.
    #[arg(long)]
    pub no_check: bool,
    /// Make it the default profile.
    #[arg(long)]
    pub default: bool,
}

/// `prowl remote logout`.
#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The profile's name.
    #[arg(long, default_value = "default")]
    pub profile: String,
    /// Remove the profile too, not only its token.
    #[arg(long)]
    pub forget: bool,
}

/// `prowl remote profiles`.
#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// text or json.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Runs a `prowl remote` command.
pub fn run(cmd: &RemoteCommand) -> Result<ExitCode, CliError> {
    match cmd {
        RemoteCommand::Check(args) => check(args),
        RemoteCommand::Upload(args) => upload(args),
        RemoteCommand::Validate(args) => server_validate(args),
        RemoteCommand::Delete(args) => delete(args),
        RemoteCommand::Diff(args) => diff(args),
        RemoteCommand::Login(args) => login(args),
        RemoteCommand::Logout(args) => logout(args),
        RemoteCommand::Profiles(args) => list_profiles(args),
    }
}

fn check(args: &RemoteArgs) -> Result<ExitCode, CliError> {
    let client = args.client()?;
    // PAT's log lines, on stderr.
    eprintln!("INFO: Panther Public API endpoint: {}", client.url());
    eprintln!("INFO: checking connection to {}...", client.url());
    match client.panther_version().map_err(ErrorInfo::from)? {
        Some(version) => {
            eprintln!(
                "INFO: connection successful: connected to Panther backend on version: {version}"
            );
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!("INFO: connection failed");
            eprintln!("ERROR: did not receive version in response");
            Ok(ExitCode::from(1))
        }
    }
}

/// Prints a deployment's event as PAT's log line (stderr).
fn print_event(e: deploy::Event) {
    eprintln!("{}", e.pat_line());
}

fn upload(args: &UploadArgs) -> Result<ExitCode, CliError> {
    let client = Arc::new(args.remote.client()?);
    let (ws, filters) = open(&args.workspace)?;
    // PAT's order: the introspection and the instance's managed log types, then the tests,
    // then the archive. `LogTypes` the instance lacks are invalid in the tests; left out of the
    // archive when the tests are skipped.
    let plan = deploy::plan(&client, &ws, &filters, args.no_async, &mut print_event)?;
    if !args.skip_tests {
        if !plan.unsupported.is_empty() {
            for u in &plan.unsupported {
                eprintln!("ERROR: {}: {}", u.path, u.message);
            }
            eprintln!(
                "prowl: {} item(s) name log types the instance does not have, so nothing was uploaded",
                plan.unsupported.len()
            );
            return Ok(ExitCode::from(1));
        }
        let mut pool = worker_pool(&args.workspace.path, &args.approval, None)?;
        let options = crate::testing::TestOptions {
            filters: filters.clone(),
            minimum_tests: args.minimum_tests,
            skip_disabled_tests: args.skip_disabled_tests,
            available_destinations: args.available_destinations.clone(),
            path_label: args.workspace.path.display().to_string(),
            // What PAT sends the instance (Simple Detections and inline filters to transpile,
            // correlation rules' tests) goes to it, as PAT does with a token; a failure there
            // stops the upload.
            local: true,
            fail_on_local: true,
            remote: Some(crate::testing::RemoteTests(Arc::clone(&client))),
            ..crate::testing::TestOptions::default()
        };
        let run = crate::testing::run(&ws, &mut pool, &options)?;
        pool.shutdown();
        let _ = std::io::stdout().write_all(run.stdout.as_bytes());
        let _ = std::io::stderr().write_all(run.stderr.as_bytes());
        if run.exit_code != 0 {
            eprintln!("prowl: the tests failed, so nothing was uploaded");
            return Ok(ExitCode::from(run.exit_code.clamp(1, 255) as u8));
        }
    }
    // "Upload succeeded" is PAT's last line, after the summary.
    let mut done = None;
    let uploaded = deploy::send(&client, &ws, &plan, args.max_retries, &mut |e| {
        if e.stage == deploy::Stage::Done {
            done = Some(e);
        } else {
            print_event(e);
        }
    })?;
    let summary = &uploaded.summary;
    let archive = uploaded.archive_bytes;
    match args.format {
        Format::Json => {
            let value = serde_json::json!({
                "url": client.url(),
                "asynchronous": summary.asynchronous,
                "retries": summary.retries,
                "archive_bytes": archive,
                "kinds": ops::counts_map(summary),
                "items": uploaded.items,
            });
            println!("{}", serde_json::to_string_pretty(&value).expect("JSON"));
        }
        _ => {
            print!("{}", summary.pat_text());
            let _ = std::io::stdout().flush();
            if let Some(e) = done {
                print_event(e);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn server_validate(args: &ServerValidateArgs) -> Result<ExitCode, CliError> {
    let client = args.remote.client()?;
    let (ws, filters) = open(&args.workspace)?;
    eprintln!("INFO: Panther Public API endpoint: {}", client.url());
    // As PAT: the instance's log types first, items it lacks left out of the archive.
    let managed = deploy::managed_log_types(&client, &mut print_event);
    let mut selection = crate::remote::zip::selection(&ws, &filters);
    let unsupported = deploy::unsupported_log_types(&ws, &selection, &managed);
    deploy::skip_unsupported(&ws, &mut selection, &unsupported, &mut print_event);
    let archive = crate::remote::zip::bytes_for(&ws, &selection).map_err(ErrorInfo::from)?;
    let result = ops::validate(&client, &archive, &mut |p| {
        print_event(deploy::progress_event(&p))
    })
    .map_err(ErrorInfo::from)?;
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "ok": result.ok(),
                "error": result.error,
                "issues": result.issues.iter().map(|i| serde_json::json!({
                    "path": i.path,
                    "file": ws.root.join(&i.path).is_file().then(|| ws.root.join(&i.path)),
                    "message": i.message,
                })).collect::<Vec<_>>(),
            }))
            .expect("JSON")
        ),
        _ => {
            if result.ok() {
                eprintln!("INFO: Validation success");
            } else {
                if let Some(e) = &result.error {
                    println!("Validation failed: {e}");
                } else {
                    println!("Validation failed");
                }
                for issue in &result.issues {
                    let shown = if ws.root.join(&issue.path).is_file() {
                        ws.root.join(&issue.path).display().to_string()
                    } else {
                        issue.path.clone()
                    };
                    println!("{shown}: {}", issue.message);
                }
            }
        }
    }
    Ok(if result.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn delete(args: &DeleteArgs) -> Result<ExitCode, CliError> {
    let mut ids = args.ids.clone();
    ids.extend(args.analysis_ids.iter().cloned());
    let names = args.query_ids.clone();
    if ids.is_empty() && names.is_empty() {
        return Err(usage(
            "name the detections (IDs) or saved queries (--query-id NAME) to delete",
            Some("`prowl remote diff` lists what the instance has that the workspace lacks"),
        ));
    }
    let client = args.remote.client()?;
    eprintln!("INFO: preparing bulk delete...");
    let json = args.format == Format::Json;
    let dry_detections = if ids.is_empty() {
        ops::Deleted::default()
    } else {
        ops::delete_detections(&client, &ids, true).map_err(ErrorInfo::from)?
    };
    let dry_queries = if names.is_empty() {
        ops::Deleted::default()
    } else {
        ops::delete_saved_queries(&client, &names, true).map_err(ErrorInfo::from)?
    };
    for id in &ids {
        if dry_detections.ids.contains(id) {
            eprintln!("INFO: Detection '{id}' will be deleted");
        } else {
            eprintln!("INFO: Detection '{id}' was not found.");
        }
    }
    for q in &dry_detections.linked_queries {
        eprintln!("INFO: Linked saved query '{q}' will be deleted.");
    }
    for n in &names {
        if dry_queries.queries.contains(n) {
            eprintln!("INFO: Saved query '{n}' will be deleted");
        } else {
            eprintln!("INFO: Saved query '{n}' was not found.");
        }
    }
    for d in &dry_queries.linked_detections {
        eprintln!("INFO: Linked detection '{d}' will be deleted.");
    }
    if args.dry_run {
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "dry_run": true, "detections": dry_detections, "queries": dry_queries,
                }))
                .expect("JSON")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes {
        eprint!("\nContinue? (y/n) ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if answer.trim().to_lowercase() != "y" {
            println!("Cancelled");
            return Ok(ExitCode::SUCCESS);
        }
        println!();
    }
    let mut done = serde_json::Map::new();
    if !ids.is_empty() {
        let d = ops::delete_detections(&client, &ids, false).map_err(ErrorInfo::from)?;
        eprintln!(
            "INFO: {} detections and {} linked saved queries deleted",
            d.ids.len(),
            d.linked_queries.len()
        );
        eprintln!("INFO: successfully deleted detections.");
        done.insert("detections".into(), serde_json::to_value(d).expect("JSON"));
    }
    if !names.is_empty() {
        let d = ops::delete_saved_queries(&client, &names, false).map_err(ErrorInfo::from)?;
        eprintln!(
            "INFO: {} saved queries and {} linked detections deleted",
            d.queries.len(),
            d.linked_detections.len()
        );
        eprintln!("INFO: successfully deleted saved queries.");
        done.insert("queries".into(), serde_json::to_value(d).expect("JSON"));
    }
    eprintln!("INFO: done");
    if json {
        println!("{}", serde_json::to_string_pretty(&done).expect("JSON"));
    }
    Ok(ExitCode::SUCCESS)
}

fn diff(args: &DiffArgs) -> Result<ExitCode, CliError> {
    let client = args.remote.client()?;
    let (ws, filters) = open(&args.workspace)?;
    let remote = drift::remote_items(&client).map_err(ErrorInfo::from)?;
    let report = drift::drift(&ws, &filters, &remote);
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&report).expect("JSON")),
        _ => print!(
            "{}",
            report.text(&args.workspace.path.display().to_string(), client.url())
        ),
    }
    Ok(if args.fail_on_drift && !report.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reads the token from standard input: without echo on a terminal, else the first line.
fn read_token() -> Result<Token, CliError> {
    let stdin = std::io::stdin();
    let tty = unsafe { libc::isatty(0) } == 1;
    let mut line = String::new();
    if tty {
        eprint!("API token (not shown): ");
        let _ = std::io::stderr().flush();
        // SAFETY: termios calls on fd 0 with a zeroed struct filled by tcgetattr.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut t) == 0 {
                let saved = t;
                t.c_lflag &= !libc::ECHO;
                libc::tcsetattr(0, libc::TCSANOW, &t);
                let _ = stdin.lock().read_line(&mut line);
                libc::tcsetattr(0, libc::TCSANOW, &saved);
                eprintln!();
            } else {
                let _ = stdin.lock().read_line(&mut line);
            }
        }
    } else {
        let _ = stdin.lock().read_line(&mut line);
    }
    Token::new(&line).ok_or_else(|| {
        usage(
            "no token was given on standard input",
            Some("pipe it in (`prowl remote login … < token-file`) or type it at the prompt"),
        )
    })
}

fn login(args: &LoginArgs) -> Result<ExitCode, CliError> {
    let token = read_token()?;
    let connection = session_deploy::login(
        &args.profile,
        &args.api_host,
        token.expose(),
        args.default,
        !args.no_check,
    )?;
    if !args.no_check {
        eprintln!(
            "INFO: connected to {} (Panther {})",
            connection.url,
            connection
                .panther_version
                .as_deref()
                .unwrap_or("of an unknown version")
        );
    }
    eprintln!(
        "INFO: profile {:?} saved (host in {}, token in the system keyring)",
        args.profile,
        profiles::config_dir().join("profiles.toml").display()
    );
    Ok(ExitCode::SUCCESS)
}

fn logout(args: &LogoutArgs) -> Result<ExitCode, CliError> {
    session_deploy::logout(&args.profile, args.forget)?;
    if args.forget {
        eprintln!("INFO: profile {:?} and its token removed", args.profile);
    } else {
        eprintln!(
            "INFO: the token of profile {:?} removed from the keyring",
            args.profile
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list_profiles(args: &ProfilesArgs) -> Result<ExitCode, CliError> {
    let view = session_deploy::remote_view()?;
    if args.format == Format::Json {
        let rows: Vec<serde_json::Value> = view
            .profiles
            .iter()
            .map(|r| {
                serde_json::json!({
                    "name": r.name,
                    "api_host": r.api_host,
                    "url": r.url,
                    "default": r.default,
                    "token": r.token.text(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows).expect("JSON"));
    } else if view.profiles.is_empty() {
        println!("No profiles. Make one with `prowl remote login --profile NAME --api-host HOST`.");
    } else {
        for r in &view.profiles {
            println!(
                "{} {:<16} {:<48} token: {}",
                if r.default { "*" } else { " " },
                r.name,
                r.url,
                r.token.text()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
