//! `prowl cluster [ADDRESS]`: checks a Ray cluster for `prowl replay --cluster` (its Ray, its
//! nodes with their Python, machine and CPUs) without sending any workspace.

use super::{output, CliError};
use crate::replay::cluster::check_cluster;
use clap::Args;
use std::process::ExitCode;

/// `prowl cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// The Ray address: `auto`, `ray://HOST:10001`, `HOST:6379`, or `saved` (the cluster set in
    /// the app's Settings, `cluster.toml`). Default: the saved one, else `auto`. The driver's
    /// Python is `$PROWL_RAY_PYTHON`, else the saved one, else `python3`.
    pub address: Option<String>,
    /// Print the check as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the check and prints the nodes.
pub(super) fn run(args: &ClusterArgs, style: &output::Style) -> Result<ExitCode, CliError> {
    let options = crate::session::cluster::cli_options(args.address.as_deref())?;
    let check = check_cluster(&options)?;
    if args.json {
        output::print_json(&check);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} Ray {}: {} nodes, {} CPUs",
        style.bold(&check.address),
        check.ray,
        check.nodes.len(),
        check.cpus
    );
    for n in &check.nodes {
        let what = match &n.error {
            Some(e) => format!("did not answer: {e}"),
            None => format!(
                "Python {}, Ray {}, {}",
                n.python.as_deref().unwrap_or("?"),
                n.ray.as_deref().unwrap_or("?"),
                n.machine.as_deref().unwrap_or("?")
            ),
        };
        println!(
            "  {}  {} CPUs  {what}",
            n.address.as_deref().unwrap_or(&n.id),
            n.cpus
        );
    }
    Ok(ExitCode::SUCCESS)
}
