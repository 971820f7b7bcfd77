//! `prowl upstream …`: bring upstream's changes into the fork item by item (see
//! [`crate::upstream`]). Human output by default, `--format json` for machines; exit code 1
//! when the merge needs the user (decisions, conflicts) or the merged result fails its checks.

use super::output::{self, Style};
use super::{env, CliError};
use crate::upstream::{
    check, ChangeClass, ItemChange, MergeOptions, Outcome, Plan, Resolution, Take, Upstream,
    DEFAULT_REMOTE,
};
use clap::{Args, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

/// `prowl upstream`'s options shared by its subcommands.
#[derive(Debug, Args)]
pub struct UpstreamArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: UpstreamCommand,
    /// The fork (any folder inside its repository).
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The remote that holds upstream.
    #[arg(long, global = true, default_value = DEFAULT_REMOTE)]
    pub remote: String,
    /// How to print the result.
    #[arg(long, global = true, value_enum, default_value_t = UpFormat::Text)]
    pub format: UpFormat,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UpFormat {
    /// For people.
    Text,
    /// For machines.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum UpstreamCommand {
    /// Show the remote's URL, or set it (adding the remote when missing).
    Remote {
        /// A URL (https, ssh) or a local path of the content repository.
        url: Option<String>,
    },
    /// Fetch the remote's branches and tags.
    Fetch,
    /// What merging the target would do: counts per class and the items that need you.
    Status {
        /// A branch of the remote, a tag (a release) or a commit; default: the remote's
        /// default branch. Ignored while a merge is in progress.
        #[arg(long)]
        target: Option<String>,
        /// List every item and file that changed, not only those that need you.
        #[arg(long)]
        all: bool,
    },
    /// One item's three versions and the proposed result, per key and per line.
    Diff {
        /// The item's ID (or a file's path).
        id: String,
        /// As for status.
        #[arg(long)]
        target: Option<String>,
    },
    /// Merge the target into the working tree, check the result (validation and the unit
    /// tests of every item the merge touched), and leave it to commit.
    Merge {
        /// As for status.
        #[arg(long)]
        target: Option<String>,
        /// Print the full plan; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Stash uncommitted changes first (given back after the commit or abort).
        #[arg(long)]
        stash: bool,
        /// Do not validate and test the merged result.
        #[arg(long)]
        no_check: bool,
        /// Seconds one detection's tests may take.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
        /// How the first sync of the workspace's Python environment may proceed.
        #[command(flatten)]
        approval: env::ApprovalArgs,
    },
    /// Answer an item's decision or conflicts: a side for all of it, or per spec key.
    Resolve {
        /// The item's ID (or a file's path). Not needed with --accept-proposed.
        id: Option<String>,
        /// ours (the fork), theirs (upstream) or both (for an ID changed upstream: follow the
        /// rename; for a conflict: the fork's lines, then upstream's).
        #[arg(long, value_parser = parse_take)]
        take: Option<Take>,
        /// KEY=ours|theirs|both for one conflicting key (`Threshold=ours`,
        /// `Tests[Name of test]=theirs`); repeatable.
        #[arg(long = "key", value_name = "KEY=SIDE")]
        keys: Vec<String>,
        /// Take Prowl's proposed answer for every open decision.
        #[arg(long, conflicts_with_all = ["id", "take", "keys"])]
        accept_proposed: bool,
    },
    /// Make the merge commit (both parents) once nothing is open.
    Commit {
        /// The commit message (default: "Merge upstream TARGET (COMMIT)").
        #[arg(short, long)]
        message: Option<String>,
    },
    /// Stop the merge: the files it wrote go back to HEAD (your edits are kept as copies).
    Abort,
    /// Undo the last merge commit (back to the commit before it).
    Undo,
}

fn parse_take(s: &str) -> Result<Take, String> {
    Take::parse(s).ok_or_else(|| format!("`{s}`: use ours, theirs or both"))
}

/// Runs `prowl upstream …`.
pub fn run(args: &UpstreamArgs, style: &Style) -> Result<ExitCode, CliError> {
    let up = Upstream::open(&args.repo)?;
    let json = args.format == UpFormat::Json;
    let remote = args.remote.as_str();
    match &args.command {
        UpstreamCommand::Remote { url } => {
            if let Some(url) = url {
                up.set_remote(remote, url)?;
            }
            let shown = up.remote_url(remote);
            if json {
                output::print_json(&serde_json::json!({ "remote": remote, "url": shown }));
            } else {
                match shown {
                    Some(u) => println!("{remote}\t{u}"),
                    None => {
                        eprintln!("no remote `{remote}`: `prowl upstream remote URL` adds it");
                        return Ok(ExitCode::from(1));
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        UpstreamCommand::Fetch => {
            let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
            let mut last = std::time::Instant::now();
            let fetched = up.fetch(remote, &mut |p| {
                if tty && last.elapsed().as_millis() > 100 {
                    last = std::time::Instant::now();
                    eprint!(
                        "\rfetching {remote}: {}/{} objects, {} kB",
                        p.received_objects,
                        p.total_objects,
                        p.received_bytes / 1024
                    );
                }
                true
            })?;
            if tty {
                eprintln!();
            }
            if json {
                output::print_json(&fetched);
            } else {
                println!(
                    "fetched {} ({}): {} objects",
                    fetched.remote, fetched.url, fetched.received_objects
                );
                if let Some(h) = &fetched.head {
                    println!("default branch at {}", short(h));
                }
                if !fetched.releases.is_empty() {
                    println!("releases: {}", fetched.releases.join(", "));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        UpstreamCommand::Status { target, all } => {
            let (plan, state) = up.status(remote, target.as_deref())?;
            let open = up.open_items(&plan);
            if json {
                output::print_json(&serde_json::json!({
                    "in_progress": state.is_some(),
                    "target": state.as_ref().map(|s| &s.target),
                    "open": open,
                    "plan": plan,
                }));
            } else {
                let label = match &state {
                    Some(s) => format!(
                        "merge in progress: {} ({})",
                        s.target.label,
                        short(&s.target.commit)
                    ),
                    None => format!(
                        "merging {} into HEAD {}",
                        short(&plan.theirs),
                        short(&plan.ours)
                    ),
                };
                println!("{} (base {})", style.bold(&label), short(&plan.base));
                print_plan(&plan, *all, style);
                if state.is_some() {
                    if open.is_empty() {
                        println!("\nnothing open: `prowl upstream commit` makes the merge commit");
                    } else {
                        println!("\n{} open: {}", open.len(), open.join(", "));
                    }
                }
            }
            Ok(
                if open.is_empty() && plan.open_questions() == 0
                    || (state.is_some() && open.is_empty())
                {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                },
            )
        }
        UpstreamCommand::Diff { id, target } => {
            let (plan, _) = up.status(remote, target.as_deref())?;
            let Some(item) = plan
                .items
                .iter()
                .find(|i| i.id == *id || i.renamed_to.as_deref() == Some(id))
            else {
                return Err(crate::upstream::UpstreamError::UnknownItem(id.clone()).into());
            };
            let texts = plan.texts.get(&item.id).cloned().unwrap_or_default();
            if json {
                output::print_json(&serde_json::json!({ "item": item, "texts": texts }));
            } else {
                print_item(item, style);
                for (what, t) in [("spec", &texts.spec), ("code", &texts.code)] {
                    let Some(path) = &t.path else { continue };
                    if t.ours.is_none() && t.theirs.is_none() && t.base.is_none() {
                        continue;
                    }
                    println!("\n{} {what} {path}", style.bold("──"));
                    for (side, text) in
                        [("upstream", &t.theirs), ("the proposed result", &t.result)]
                    {
                        let from = t.ours.as_deref().unwrap_or("");
                        let to = text.as_deref().unwrap_or("");
                        if from == to {
                            println!("fork -> {side}: no change");
                            continue;
                        }
                        println!("fork -> {side}:");
                        let diff = similar::TextDiff::from_lines(from, to);
                        print!(
                            "{}",
                            diff.unified_diff().context_radius(2).header("fork", side)
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        UpstreamCommand::Merge {
            target,
            dry_run,
            stash,
            no_check,
            timeout,
            approval,
        } => {
            if *dry_run {
                let (plan, state) = up.status(remote, target.as_deref())?;
                if json {
                    output::print_json(&serde_json::json!({
                        "in_progress": state.is_some(),
                        "plan": plan,
                        "writes": plan.writes.iter().map(|(p, w)| (p.clone(), if w.is_some() { "write" } else { "delete" })).collect::<BTreeMap<_, _>>(),
                    }));
                } else {
                    println!(
                        "{} (dry run: nothing written)",
                        style.bold(&format!(
                            "merging {} into HEAD {}",
                            short(&plan.theirs),
                            short(&plan.ours)
                        ))
                    );
                    print_plan(&plan, true, style);
                    println!("\nfiles the merge would write ({}):", plan.writes.len());
                    for (p, w) in &plan.writes {
                        println!("  {} {p}", if w.is_some() { "write " } else { "delete" });
                    }
                }
                return Ok(if plan.open_questions() == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                });
            }
            let started = up.merge(remote, target.as_deref(), &MergeOptions { stash: *stash })?;
            if !json {
                if started.resumed {
                    eprintln!("resumed an interrupted merge of {}", started.target.label);
                }
                if let Some(s) = &started.stashed {
                    eprintln!("your uncommitted changes were stashed ({}); they come back after the commit or abort", short(s));
                }
                println!(
                    "{} (base {}): {} files written",
                    style.bold(&format!(
                        "merged {} ({}) into the working tree",
                        started.target.label,
                        short(&started.target.commit)
                    )),
                    short(&started.plan.base),
                    started.plan.writes.len()
                );
                print_plan(&started.plan, false, style);
            }
            let report = if *no_check {
                None
            } else {
                let touched = started.plan.touched_items();
                let mut pool = super::worker_pool(up.workdir(), approval, None)?;
                // Python starts while the merged workspace is read and validated.
                let size = pool.size();
                pool.prewarm(size);
                let ws = crate::workspace::Workspace::open(
                    up.workdir(),
                    &crate::workspace::OpenOptions::default(),
                )?;
                let files: Vec<String> = started
                    .plan
                    .writes
                    .iter()
                    .filter(|(_, w)| w.is_some())
                    .map(|(p, _)| p.clone())
                    .collect();
                let r = check::verify(
                    &ws,
                    &mut pool,
                    &touched,
                    &files,
                    std::time::Duration::from_secs_f64(timeout.max(0.1)),
                )?;
                pool.shutdown();
                Some(r)
            };
            let open = up.open_items(&started.plan);
            if json {
                output::print_json(&serde_json::json!({
                    "target": started.target,
                    "stashed": started.stashed,
                    "resumed": started.resumed,
                    "plan": started.plan,
                    "open": open,
                    "check": report,
                }));
            } else {
                if let Some(r) = &report {
                    print_check(r, style);
                }
                if open.is_empty() {
                    println!("\nnothing open: review with `git diff HEAD`, then `prowl upstream commit` (or `prowl upstream abort`)");
                } else {
                    println!("\n{} open: answer with `prowl upstream resolve ID --take ours|theirs|both` (or edit the files), then `prowl upstream commit`", open.len());
                }
            }
            let failed = report.as_ref().is_some_and(|r| r.failed > 0);
            Ok(if open.is_empty() && !failed {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        UpstreamCommand::Resolve {
            id,
            take,
            keys,
            accept_proposed,
        } => {
            let plan = if *accept_proposed {
                up.accept_proposed()?
            } else {
                let Some(id) = id else {
                    return Err(super::usage("name the item to resolve", Some("`prowl upstream resolve ID --take ours|theirs|both`, or --accept-proposed")));
                };
                if take.is_none() && keys.is_empty() {
                    return Err(super::usage(
                        "say which side to take",
                        Some("--take ours|theirs|both, or --key KEY=ours|theirs|both"),
                    ));
                }
                let mut res = Resolution {
                    take: *take,
                    keys: BTreeMap::new(),
                };
                for k in keys {
                    let Some((key, side)) = k.rsplit_once('=') else {
                        return Err(super::usage(
                            format!("`{k}`: expected KEY=ours|theirs|both"),
                            None,
                        ));
                    };
                    let side = Take::parse(side).ok_or_else(|| {
                        super::usage(format!("`{side}`: use ours, theirs or both"), None)
                    })?;
                    res.keys.insert(key.to_owned(), side);
                }
                up.resolve(id, res)?
            };
            let open = up.open_items(&plan);
            if json {
                output::print_json(&serde_json::json!({ "open": open, "plan": plan }));
            } else {
                if let Some(id) = id {
                    if let Some(i) = plan
                        .items
                        .iter()
                        .find(|i| i.id == *id || i.renamed_to.as_deref() == Some(id))
                    {
                        print_item(i, style);
                    }
                }
                if open.is_empty() {
                    println!("nothing open: `prowl upstream commit` makes the merge commit");
                } else {
                    println!("{} open: {}", open.len(), open.join(", "));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        UpstreamCommand::Commit { message } => {
            let done = up.commit(message.as_deref())?;
            if json {
                output::print_json(&done);
            } else {
                println!(
                    "merge commit {} ({} files); `prowl upstream undo` goes back to {}",
                    short(&done.commit),
                    done.files,
                    short(&done.pre_merge)
                );
                if let Some(n) = &done.stash_note {
                    println!("{n}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        UpstreamCommand::Abort => {
            let done = up.abort()?;
            if json {
                output::print_json(&done);
            } else {
                println!("merge aborted: {} files restored from HEAD", done.restored);
                for k in &done.kept {
                    println!("  your edited copy kept at {k}");
                }
                if let Some(n) = &done.stash_note {
                    println!("{n}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        UpstreamCommand::Undo => {
            let done = up.undo()?;
            if json {
                output::print_json(&done);
            } else {
                println!("undone: HEAD is back at {} (the merge commit {} stays in refs/prowl/upstream/undone)", short(&done.head), short(&done.merge));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn short(oid: &str) -> &str {
    &oid[..oid.len().min(10)]
}

fn mark(i: &ItemChange) -> &'static str {
    match i.outcome {
        Outcome::Decision => "?",
        Outcome::Conflict => "!",
        Outcome::Review => "~",
        Outcome::Merged => "+",
        Outcome::Clean => " ",
    }
}

fn item_detail(i: &ItemChange) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(d) = &i.decision {
        match d.chosen {
            Some(t) => parts.push(format!(
                "decided: {}",
                d.options
                    .iter()
                    .find(|o| o.take == t)
                    .map(|o| o.label.as_str())
                    .unwrap_or(t.as_str())
            )),
            None => parts.push(format!(
                "{} (proposed: --take {})",
                d.question,
                d.proposed.as_str()
            )),
        }
    }
    let open: Vec<&str> = i
        .conflicts
        .iter()
        .filter(|c| !i.resolved.contains_key(&c.path))
        .map(|c| c.path.as_str())
        .collect();
    if !open.is_empty() {
        parts.push(format!("conflict on {}", open.join(", ")));
    }
    if i.line_conflict {
        parts.push("conflicting lines (markers in the file)".into());
    }
    parts.extend(i.review.iter().cloned());
    if !i.merged.is_empty() && parts.is_empty() {
        parts.push(format!("merged: {}", i.merged.join("; ")));
    }
    if let Some(m) = &i.moved {
        parts.push(m.clone());
    }
    if let Some(r) = &i.renamed_to {
        parts.push(format!("now {r} upstream"));
    }
    parts.extend(i.notes.iter().cloned());
    parts.join("; ")
}

fn print_item(i: &ItemChange, style: &Style) {
    println!(
        "{} {} ({}) — {}",
        mark(i),
        style.bold(&i.id),
        i.analysis_type,
        i.class.label()
    );
    println!("    {}", i.path);
    let d = item_detail(i);
    if !d.is_empty() {
        println!("    {d}");
    }
    for c in &i.conflicts {
        let state = match i.resolved.get(&c.path) {
            Some(t) => format!("resolved: {}", t.as_str()),
            None => "open".into(),
        };
        println!("    conflict `{}` ({state}): {}", c.path, c.reason);
        for (side, text) in [
            ("base", &c.base),
            ("fork", &c.ours),
            ("upstream", &c.theirs),
        ] {
            match text {
                Some(t) => {
                    for (n, line) in t.lines().enumerate() {
                        println!(
                            "      {:<9}{line}",
                            if n == 0 {
                                format!("{side}:")
                            } else {
                                String::new()
                            }
                        );
                    }
                }
                None => println!("      {:<9}(absent)", format!("{side}:")),
            }
        }
    }
}

/// Which items a group of the report lists.
type ItemFilter = dyn Fn(&ItemChange) -> bool;

fn print_plan(plan: &Plan, all: bool, style: &Style) {
    let counts: Vec<String> = ChangeClass::ALL
        .iter()
        .filter_map(|c| plan.counts.get(c).map(|n| format!("{n} {}", c.label())))
        .collect();
    println!("items: {}", counts.join(", "));
    let groups: [(&str, &ItemFilter); 4] = [
        ("need you", &|i| i.needs_user()),
        ("to review", &|i| i.outcome == Outcome::Review),
        ("merged from both sides", &|i| i.outcome == Outcome::Merged),
        ("taken from one side", &|i| {
            i.outcome == Outcome::Clean
                && !matches!(
                    i.class,
                    ChangeClass::Unchanged
                        | ChangeClass::ChangedInFork
                        | ChangeClass::NewInFork
                        | ChangeClass::DeletedBoth
                )
        }),
    ];
    for (n, (title, pred)) in groups.iter().enumerate() {
        let items: Vec<&ItemChange> = plan.items.iter().filter(|i| pred(i)).collect();
        if items.is_empty() {
            continue;
        }
        println!("\n{} ({}):", style.bold(title), items.len());
        let limit = if all || n < 2 { usize::MAX } else { 12 };
        for i in items.iter().take(limit) {
            let d = item_detail(i);
            println!("  {} {:<48} {:<22} {}", mark(i), i.id, i.class.label(), d);
        }
        if items.len() > limit {
            println!("  … and {} more (--all lists them)", items.len() - limit);
        }
    }
    let files: Vec<_> = plan
        .files
        .iter()
        .filter(|f| all || f.outcome != Outcome::Clean)
        .collect();
    if !files.is_empty() {
        println!("\n{} ({}):", style.bold("other files"), files.len());
        for f in files {
            let d = match &f.decision {
                Some(d) if d.chosen.is_none() => d.question.clone(),
                _ => String::new(),
            };
            let m = match f.outcome {
                Outcome::Decision => "?",
                Outcome::Conflict => "!",
                Outcome::Merged => "+",
                _ => " ",
            };
            println!("  {m} {:<48} {:<22} {d}", f.path, f.class.label());
        }
    }
}

fn print_check(r: &check::CheckReport, style: &Style) {
    let tests: usize = r.items.iter().map(|i| i.tests).sum();
    println!(
        "\n{}: {} items, {} tests; {} with problems",
        style.bold("checked the merged result"),
        r.items.len(),
        tests,
        r.failed
    );
    for i in r.items.iter().filter(|i| !i.ok()) {
        println!("  ✗ {} ({})", i.id, i.path);
        for p in &i.invalid {
            println!("      invalid: {p}");
        }
        for f in &i.failing {
            println!("      test {f}");
        }
    }
}
