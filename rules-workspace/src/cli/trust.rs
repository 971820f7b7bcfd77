//! `prowl trust [PATH] [--revoke]`: trust a workspace folder (or stop trusting it), or show
//! what is trusted (`--status`, `--list`). See [`crate::trust`].

use super::{output, CliError, Format};
use crate::trust::{self, TrustReason};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// `prowl trust`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// The workspace folder.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Stop trusting the folder (and every trusted folder inside it).
    #[arg(long, conflicts_with_all = ["status", "list"])]
    pub revoke: bool,
    /// Only say whether the folder is trusted, and why; change nothing.
    #[arg(long, conflicts_with = "list")]
    pub status: bool,
    /// List every trusted folder.
    #[arg(long)]
    pub list: bool,
    /// text, or json.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Runs `prowl trust`.
pub fn run(args: &TrustArgs, style: &output::Style) -> Result<ExitCode, CliError> {
    if matches!(args.format, Format::Pat | Format::Junit) {
        return Err(super::usage(
            "prowl trust prints text or json",
            Some("use --format text or --format json"),
        ));
    }
    let json = args.format == Format::Json;
    if args.list {
        let folders = trust::list()?;
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&folders).expect("plain data")
            );
        } else if folders.is_empty() {
            println!("no trusted folders");
        } else {
            for f in &folders {
                match &f.origin {
                    Some(o) => println!("{}  (origin {o})", f.path),
                    None => println!("{}", f.path),
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let shown = args.path.display();
    if args.status {
        let state = trust::state(&args.path);
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&state).expect("plain data")
            );
        } else {
            println!("{shown}: {}", state.explain());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.revoke {
        let gone = trust::revoke(&args.path)?;
        let state = trust::state(&args.path);
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&state).expect("plain data")
            );
            return Ok(ExitCode::SUCCESS);
        }
        if gone.is_empty() {
            println!("{shown} was not trusted by a folder of its own; nothing changed");
        } else {
            for f in &gone {
                println!("no longer trusted: {}", f.path);
            }
        }
        if state.trusted {
            // A parent folder (or PROWL_TRUST) still covers it: say so rather than pretend.
            eprintln!(
                "{} {shown} is still {}",
                style.bold("note:"),
                state.explain()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let before = trust::state(&args.path);
    let state = trust::grant(&args.path)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&state).expect("plain data")
        );
        return Ok(ExitCode::SUCCESS);
    }
    if matches!(before.reason, TrustReason::Folder) {
        println!("{shown} was already {}", before.explain());
    }
    match &state.origin {
        Some(origin) => println!(
            "trusted: {} (a clone of {origin})",
            state.folder.as_deref().unwrap_or_default()
        ),
        None => println!("trusted: {}", state.folder.as_deref().unwrap_or_default()),
    }
    println!(
        "  its Python packages are installed without asking, and PROWL_SANDBOX=off may run its code outside the sandbox;"
    );
    println!("  `prowl trust --revoke {shown}` undoes it");
    Ok(ExitCode::SUCCESS)
}
