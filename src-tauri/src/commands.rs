//! The commands the window may call (`ui/CONTRACT.md`). Each converts its arguments, calls one
//! core function on the blocking thread pool and converts the result; failures are the core's
//! `ErrorInfo` (`{code, message, hint, location}`).

use crate::state::AppState;
use rules_workspace::audit::{AuditOptions, AuditProgress, Source};
use rules_workspace::diagnostics::Diagnostic;
use rules_workspace::error::ErrorInfo;
use rules_workspace::fork::{self, Repo};
use rules_workspace::replay::ReplayProgress;
use rules_workspace::session;
use rules_workspace::session::cluster::{ClusterSettings, ClusterSettingsView};
use rules_workspace::session::replay::KeepLimits;
use rules_workspace::spec::edit::{self, TestEdit, TestInfo};
use rules_workspace::testing::Progress;
use rules_workspace::trust as core_trust;
use rules_workspace::workspace::{recovery, save};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tauri::ipc::{Channel, Response};
use tauri::{AppHandle, Manager, Runtime};
use ts_rs::TS;

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ErrorInfo> + Send + 'static,
) -> Result<T, ErrorInfo> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| ErrorInfo::new("shell.internal", format!("internal error: {e}")))?
}

fn shared<R: Runtime>(app: &AppHandle<R>) -> std::sync::Arc<session::shared::SharedSession> {
    std::sync::Arc::clone(&app.state::<AppState<R>>().shared)
}

/// The open workspace's view, serialised once, straight to the JSON text the window receives.
fn view<R: Runtime>(app: &AppHandle<R>) -> Result<Response, ErrorInfo> {
    let shared = shared(app);
    let guard = shared.session();
    let session = guard.as_ref().ok_or_else(ErrorInfo::no_workspace)?;
    json_response(session.view())
}

/// `value` as the JSON text the window receives. The memory `value` and its serialisation
/// used is given back to the system afterwards (a whole workspace's test report is tens of
/// megabytes of JSON values, freed in an arena of the blocking pool's thread).
fn json_response<T: Serialize>(value: T) -> Result<Response, ErrorInfo> {
    let text = serde_json::to_string(&value)
        .map_err(|e| ErrorInfo::new("shell.internal", format!("internal error: {e}")))?;
    drop(value);
    session::release_free_memory();
    Ok(Response::new(text))
}

#[tauri::command]
pub async fn open_workspace<R: Runtime>(
    app: AppHandle<R>,
    path: String,
) -> Result<Response, ErrorInfo> {
    blocking(move || {
        app.state::<AppState<R>>().open(Path::new(&path))?;
        view(&app)
    })
    .await
}

#[tauri::command]
pub async fn open_demo<R: Runtime>(app: AppHandle<R>) -> Result<Response, ErrorInfo> {
    blocking(move || {
        app.state::<AppState<R>>()
            .open(&session::demo_workspace()?)?;
        view(&app)
    })
    .await
}

#[tauri::command]
pub async fn recent_workspaces() -> Result<Vec<PathBuf>, ErrorInfo> {
    blocking(|| Ok(session::recent_workspaces())).await
}

/// A clone, opened: the workspace's view and what the user should know about the URL (plain
/// http, credentials that were used and not stored).
#[derive(Serialize, TS)]
pub struct Cloned<'a> {
    /// The cloned workspace, as `open_workspace` gives it.
    view: session::WorkspaceView<'a>,
    /// Warnings to show (`fork::clone_warnings`), usually none.
    warnings: Vec<String>,
}

#[tauri::command]
pub async fn clone_workspace<R: Runtime>(
    app: AppHandle<R>,
    url: String,
    dest: String,
    on_progress: Channel<fork::CloneProgress>,
) -> Result<Response, ErrorInfo> {
    blocking(move || {
        let warnings = fork::clone_warnings(&url);
        fork::clone(&url, Path::new(&dest), &mut |p| {
            let _ = on_progress.send(p);
        })?;
        app.state::<AppState<R>>().open(Path::new(&dest))?;
        let shared = shared(&app);
        let guard = shared.session();
        let session = guard.as_ref().ok_or_else(ErrorInfo::no_workspace)?;
        json_response(Cloned {
            view: session.view(),
            warnings,
        })
    })
    .await
}

#[tauri::command]
pub async fn workspace_view<R: Runtime>(app: AppHandle<R>) -> Result<Response, ErrorInfo> {
    blocking(move || {
        let shared = shared(&app);
        shared.wait_opened();
        if shared.session().is_none() {
            return Ok(Response::new("null".to_string()));
        }
        view(&app)
    })
    .await
}

/// A file's text and its stamp (what a later save must find on disk).
#[derive(Serialize, TS)]
pub struct FileText {
    /// The file, resolved.
    path: PathBuf,
    /// Its text.
    text: String,
    /// Its stamp.
    stamp: String,
}

#[tauri::command]
pub async fn read_file<R: Runtime>(app: AppHandle<R>, path: String) -> Result<FileText, ErrorInfo> {
    blocking(move || {
        let (path, text, stamp) = shared(&app).read_file(&path)?;
        Ok(FileText { path, text, stamp })
    })
    .await
}

#[tauri::command]
pub async fn validate_buffer<R: Runtime>(
    app: AppHandle<R>,
    path: String,
    text: String,
) -> Result<Vec<Diagnostic>, ErrorInfo> {
    blocking(move || shared(&app).validate_buffer(&path, &text)).await
}

/// A save's new stamp.
#[derive(Serialize, TS)]
pub struct Saved {
    /// The stamp of what was written.
    stamp: String,
}

#[tauri::command]
pub async fn save_file<R: Runtime>(
    app: AppHandle<R>,
    path: String,
    text: String,
    stamp: Option<String>,
) -> Result<Saved, ErrorInfo> {
    blocking(move || {
        let shared = shared(&app);
        let expected = stamp.unwrap_or_else(|| save::ABSENT.to_owned());
        let (path, stamp) = shared.save_file(&path, &text, &expected)?;
        let _ = recovery::clear(&shared.root()?, &path);
        Ok(Saved { stamp })
    })
    .await
}

/// A spec's text after a test edit.
#[derive(Serialize, TS)]
pub struct Edited {
    /// The whole text, only the edited test's lines changed.
    text: String,
}

#[tauri::command]
pub async fn edit_tests(text: String, edit: TestEdit) -> Result<Edited, ErrorInfo> {
    blocking(move || {
        Ok(Edited {
            text: edit::apply_test_edit(&text, &edit)?,
        })
    })
    .await
}

#[tauri::command]
pub async fn list_tests(text: String) -> Result<Vec<TestInfo>, ErrorInfo> {
    blocking(move || Ok(edit::tests_of(&text)?)).await
}

#[tauri::command]
pub async fn recovery_save<R: Runtime>(
    app: AppHandle<R>,
    path: String,
    text: String,
) -> Result<(), ErrorInfo> {
    blocking(move || {
        let shared = shared(&app);
        let path = shared.inside(&path)?;
        recovery::keep(&shared.root()?, &path, &text).map_err(|e| {
            let mut info = rules_workspace::error::io_error(&path, &e);
            info.message = format!("cannot keep a recovery copy: {e}");
            info
        })
    })
    .await
}

#[tauri::command]
pub async fn recovery_list<R: Runtime>(
    app: AppHandle<R>,
) -> Result<Vec<recovery::Recovered>, ErrorInfo> {
    blocking(move || Ok(recovery::list(&shared(&app).root()?))).await
}

#[tauri::command]
pub async fn recovery_clear<R: Runtime>(app: AppHandle<R>, path: String) -> Result<(), ErrorInfo> {
    blocking(move || {
        recovery::clear(&shared(&app).root()?, Path::new(&path))
            .map_err(|e| rules_workspace::error::io_error(Path::new(&path), &e))
    })
    .await
}

/// How often a test run reports its progress to the page, at most.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

/// At most one progress message per [`PROGRESS_EVERY`] (and the last one): each is a message to
/// the page, and answers are collected on the command's thread.
#[derive(Default)]
struct Throttle(Option<std::time::Instant>);

impl Throttle {
    /// Whether to send this message (`last`: always).
    fn due(&mut self, last: bool) -> bool {
        let due = last || self.0.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY);
        if due {
            self.0 = Some(std::time::Instant::now());
        }
        due
    }
}

#[tauri::command]
pub async fn run_tests<R: Runtime>(
    app: AppHandle<R>,
    ids: Option<Vec<String>>,
    test_names: Option<Vec<String>>,
    on_progress: Channel<Progress>,
) -> Result<Response, ErrorInfo> {
    blocking(move || {
        let mut throttle = Throttle::default();
        let report = shared(&app).run_tests(ids, test_names.unwrap_or_default(), &mut |p| {
            if throttle.due(p.done == p.total) {
                let _ = on_progress.send(p.clone());
            }
        })?;
        json_response(report)
    })
    .await
}

#[tauri::command]
pub async fn cancel_run<R: Runtime>(app: AppHandle<R>) -> Result<(), ErrorInfo> {
    shared(&app).cancel_run();
    Ok(())
}

fn repo<R: Runtime>(app: &AppHandle<R>) -> Result<Repo, ErrorInfo> {
    Ok(Repo::discover(&shared(app).root()?)?)
}

#[tauri::command]
pub async fn git_status<R: Runtime>(app: AppHandle<R>) -> Result<fork::Status, ErrorInfo> {
    blocking(move || Ok(repo(&app)?.status()?)).await
}

#[tauri::command]
pub async fn git_diff<R: Runtime>(
    app: AppHandle<R>,
    path: String,
    staged: bool,
) -> Result<fork::FileDiff, ErrorInfo> {
    blocking(move || Ok(repo(&app)?.diff_file(&path, staged)?)).await
}

fn refs(paths: &[String]) -> Vec<&str> {
    paths.iter().map(String::as_str).collect()
}

#[tauri::command]
pub async fn git_stage<R: Runtime>(
    app: AppHandle<R>,
    paths: Vec<String>,
) -> Result<fork::Status, ErrorInfo> {
    blocking(move || {
        let r = repo(&app)?;
        r.stage(&refs(&paths))?;
        Ok(r.status()?)
    })
    .await
}

#[tauri::command]
pub async fn git_unstage<R: Runtime>(
    app: AppHandle<R>,
    paths: Vec<String>,
) -> Result<fork::Status, ErrorInfo> {
    blocking(move || {
        let r = repo(&app)?;
        r.unstage(&refs(&paths))?;
        Ok(r.status()?)
    })
    .await
}

#[tauri::command]
pub async fn git_discard<R: Runtime>(
    app: AppHandle<R>,
    paths: Vec<String>,
) -> Result<fork::Status, ErrorInfo> {
    blocking(move || {
        let r = repo(&app)?;
        r.discard(&refs(&paths))?;
        Ok(r.status()?)
    })
    .await
}

/// A commit made, and the status after it.
#[derive(Serialize, TS)]
pub struct Committed {
    /// The new commit's ID.
    oid: String,
    /// The status after it.
    status: fork::Status,
}

#[tauri::command]
pub async fn git_commit<R: Runtime>(
    app: AppHandle<R>,
    message: String,
) -> Result<Committed, ErrorInfo> {
    blocking(move || {
        let r = repo(&app)?;
        let oid = r.commit(&message)?;
        Ok(Committed {
            oid,
            status: r.status()?,
        })
    })
    .await
}

#[tauri::command]
pub async fn git_branches<R: Runtime>(app: AppHandle<R>) -> Result<Vec<fork::Branch>, ErrorInfo> {
    blocking(move || Ok(repo(&app)?.branches()?)).await
}

#[tauri::command]
pub async fn git_checkout<R: Runtime>(
    app: AppHandle<R>,
    branch: String,
) -> Result<fork::Status, ErrorInfo> {
    blocking(move || {
        let r = repo(&app)?;
        r.checkout(&branch)?;
        Ok(r.status()?)
    })
    .await
}

#[tauri::command]
pub async fn environment_view<R: Runtime>(
    app: AppHandle<R>,
) -> Result<session::shared::EnvironmentView, ErrorInfo> {
    blocking(move || shared(&app).environment()).await
}

#[tauri::command]
pub async fn sync_environment<R: Runtime>(
    app: AppHandle<R>,
    approved: Option<Vec<String>>,
    allow_builds: Option<Vec<String>>,
    on_progress: Channel<String>,
) -> Result<session::shared::EnvSyncOutcome, ErrorInfo> {
    blocking(move || {
        shared(&app).sync_environment(approved, allow_builds.unwrap_or_default(), &mut |line| {
            let _ = on_progress.send(line.to_owned());
        })
    })
    .await
}

#[tauri::command]
pub async fn cancel_environment_sync<R: Runtime>(app: AppHandle<R>) -> Result<(), ErrorInfo> {
    shared(&app).cancel_environment_sync();
    Ok(())
}

#[tauri::command]
pub async fn trust_view<R: Runtime>(
    app: AppHandle<R>,
) -> Result<core_trust::TrustState, ErrorInfo> {
    blocking(move || shared(&app).trust()).await
}

#[tauri::command]
pub async fn set_trust<R: Runtime>(
    app: AppHandle<R>,
    trusted: bool,
) -> Result<core_trust::TrustState, ErrorInfo> {
    blocking(move || shared(&app).set_trust(trusted)).await
}

/// What kind of source `audit_source` is given.
#[derive(Debug, Clone, Copy, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AuditSourceKind {
    /// A folder, audited where it is.
    Folder,
    /// A git URL (`https://`, `file://`), cloned into quarantine.
    Git,
    /// A zip or tar(.gz) archive, extracted into quarantine.
    Archive,
}

#[tauri::command]
pub async fn audit_source<R: Runtime>(
    app: AppHandle<R>,
    source: String,
    kind: AuditSourceKind,
    against: Option<String>,
    dynamic: bool,
    on_progress: Channel<AuditProgress>,
) -> Result<Response, ErrorInfo> {
    blocking(move || {
        let source = match kind {
            AuditSourceKind::Folder => Source::Folder(PathBuf::from(source)),
            AuditSourceKind::Git => Source::Git(source),
            AuditSourceKind::Archive => Source::Archive(PathBuf::from(source)),
        };
        let mut options = AuditOptions::new(source);
        options.dynamic = dynamic;
        // "Would replace" is about the user's own fork: the open workspace unless one is named.
        options.against = against
            .map(PathBuf::from)
            .or_else(|| shared(&app).root().ok());
        let mut throttle = Throttle::default();
        let report = app
            .state::<AppState<R>>()
            .audits
            .audit(&options, &mut |p| {
                let last = matches!(p, AuditProgress::Dynamic { done, total, .. } if done == total);
                if throttle.due(last) {
                    let _ = on_progress.send(p.clone());
                }
            })?;
        json_response(report)
    })
    .await
}

#[tauri::command]
pub async fn cancel_audit<R: Runtime>(app: AppHandle<R>) -> Result<(), ErrorInfo> {
    app.state::<AppState<R>>().audits.cancel();
    Ok(())
}

#[tauri::command]
pub async fn audit_file<R: Runtime>(app: AppHandle<R>, path: String) -> Result<String, ErrorInfo> {
    blocking(move || app.state::<AppState<R>>().audits.read_text(&path)).await
}

/// The workspace's conventional log folders (`sample_logs/`), offered as one-click sources.
#[tauri::command]
pub async fn replay_sources<R: Runtime>(app: AppHandle<R>) -> Result<Vec<PathBuf>, ErrorInfo> {
    blocking(move || Ok(session::replay::suggested_sources(&shared(&app).root()?))).await
}

/// Replays logs through the open workspace's rules: on this machine's workers, or on the Ray
/// cluster at `cluster` (driven by the Python the cluster settings name).
#[tauri::command]
pub async fn run_replay<R: Runtime>(
    app: AppHandle<R>,
    sources: Vec<String>,
    filter: Option<Vec<String>>,
    cluster: Option<String>,
    on_progress: Channel<ReplayProgress>,
) -> Result<Response, ErrorInfo> {
    blocking(move || {
        let mut throttle = Throttle::default();
        let mut send = |p: &ReplayProgress| {
            if throttle.due(false) {
                let _ = on_progress.send(p.clone());
            }
        };
        let (filter, keep) = (filter.unwrap_or_default(), KeepLimits::default());
        let view = match cluster {
            None => shared(&app).replay(&sources, &filter, keep, &mut send)?,
            Some(address) => {
                let options = ClusterSettings::load()?.options(&address)?;
                shared(&app).replay_on_cluster(&sources, &filter, keep, &options, &mut send)?
            }
        };
        json_response(view)
    })
    .await
}

/// The Ray cluster the user replays on, as the Settings view shows it.
#[tauri::command]
pub async fn cluster_settings() -> Result<ClusterSettingsView, ErrorInfo> {
    blocking(|| Ok(ClusterSettings::load()?.view())).await
}

/// Keeps the cluster's address (and the Ray driver's Python; null: the default) for the user.
#[tauri::command]
pub async fn save_cluster_settings(
    address: Option<String>,
    python: Option<String>,
) -> Result<ClusterSettingsView, ErrorInfo> {
    blocking(move || {
        let settings = ClusterSettings::new(address.as_deref(), python.as_deref());
        settings.save()?;
        Ok(settings.view())
    })
    .await
}

/// "Check connection": connects to the cluster at `address` and probes its nodes (no
/// workspace is sent), with the Python given (null: the default).
#[tauri::command]
pub async fn check_cluster(
    address: String,
    python: Option<String>,
) -> Result<rules_workspace::replay::cluster::ClusterCheck, ErrorInfo> {
    blocking(move || {
        session::cluster::check(&ClusterSettings::new(Some(&address), python.as_deref()))
    })
    .await
}

/// The window's "Impact": the same logs through the rules of the last commit and of the
/// working tree, and the alerts each detection gains, loses and changes; on this machine's
/// workers, or on the Ray cluster at `cluster` (both sides there).
#[tauri::command]
pub async fn replay_impact<R: Runtime>(
    app: AppHandle<R>,
    sources: Vec<String>,
    filter: Option<Vec<String>>,
    cluster: Option<String>,
    on_progress: Channel<ReplayProgress>,
) -> Result<Response, ErrorInfo> {
    blocking(move || {
        let mut throttle = Throttle::default();
        let mut send = |_: _, p: &ReplayProgress| {
            if throttle.due(false) {
                let _ = on_progress.send(p.clone());
            }
        };
        let filter = filter.unwrap_or_default();
        let view = match cluster {
            None => shared(&app).replay_impact(&sources, &filter, &mut send)?,
            Some(address) => {
                let options = ClusterSettings::load()?.options(&address)?;
                shared(&app).replay_impact_on_cluster(&sources, &filter, &options, &mut send)?
            }
        };
        json_response(view)
    })
    .await
}

#[tauri::command]
pub async fn cancel_replay<R: Runtime>(app: AppHandle<R>) -> Result<(), ErrorInfo> {
    shared(&app).cancel_replay();
    Ok(())
}

#[tauri::command]
pub async fn replay_events<R: Runtime>(
    app: AppHandle<R>,
    alert: u64,
) -> Result<Response, ErrorInfo> {
    blocking(move || json_response(shared(&app).replay_events(alert)?)).await
}

#[tauri::command]
pub async fn replay_event_test<R: Runtime>(
    app: AppHandle<R>,
    alert: u64,
    index: usize,
    name: String,
    expected: bool,
) -> Result<session::replay::EventTest, ErrorInfo> {
    blocking(move || shared(&app).replay_event_test(alert, index, &name, expected)).await
}

/// The Deploy view's profiles (their tokens only as "in the keyring or not").
#[tauri::command]
pub async fn remote_view() -> Result<session::deploy::RemoteView, ErrorInfo> {
    blocking(session::deploy::remote_view).await
}

/// Keeps a profile after checking its token against the instance; the token goes to the
/// keyring and never back to the window.
#[tauri::command]
pub async fn remote_login(
    profile: String,
    api_host: String,
    token: String,
    make_default: bool,
) -> Result<session::deploy::Connection, ErrorInfo> {
    blocking(move || session::deploy::login(&profile, &api_host, &token, make_default, true)).await
}

#[tauri::command]
pub async fn remote_logout(profile: String, forget: bool) -> Result<(), ErrorInfo> {
    blocking(move || session::deploy::logout(&profile, forget)).await
}

/// PAT's `check-connection` for a profile (`None`: PAT's environment variables, else the
/// default profile).
#[tauri::command]
pub async fn remote_check(
    profile: Option<String>,
) -> Result<session::deploy::Connection, ErrorInfo> {
    blocking(move || session::deploy::check(profile.as_deref())).await
}

/// What an upload of the open workspace would change on the instance.
#[tauri::command]
pub async fn remote_drift<R: Runtime>(
    app: AppHandle<R>,
    profile: Option<String>,
) -> Result<Response, ErrorInfo> {
    blocking(move || json_response(shared(&app).remote_drift(profile.as_deref())?)).await
}

/// Tests then uploads the open workspace, as `prowl remote upload`; every step goes to
/// `on_event` as it happens.
#[tauri::command]
pub async fn remote_upload<R: Runtime>(
    app: AppHandle<R>,
    profile: Option<String>,
    skip_tests: bool,
    on_event: Channel<rules_workspace::remote::deploy::Event>,
) -> Result<Response, ErrorInfo> {
    blocking(move || {
        let outcome = shared(&app).deploy(profile.as_deref(), skip_tests, &move |e| {
            let _ = on_event.send(e.clone());
        })?;
        json_response(outcome)
    })
    .await
}

/// Deletes detections (by ID) and saved queries (by name) from the instance, or with
/// `dry_run` says what would go (and what is linked to them).
#[tauri::command]
pub async fn remote_delete(
    profile: Option<String>,
    ids: Vec<String>,
    queries: Vec<String>,
    dry_run: bool,
) -> Result<session::deploy::DeleteOutcome, ErrorInfo> {
    blocking(move || {
        let client = session::deploy::client(profile.as_deref(), None)?;
        session::deploy::delete(&client, &ids, &queries, dry_run)
    })
    .await
}

/// The Upstream view: the remote, its releases, the plan of merging `target` (`None`: the
/// remote's default branch) or of the merge in progress, what is open, the merged result's
/// check.
#[tauri::command]
pub async fn upstream_view<R: Runtime>(
    app: AppHandle<R>,
    target: Option<String>,
) -> Result<Response, ErrorInfo> {
    blocking(move || json_response(shared(&app).upstream_view(target.as_deref())?)).await
}

/// Points the upstream remote at `url` (adding it when missing).
#[tauri::command]
pub async fn upstream_set_remote<R: Runtime>(
    app: AppHandle<R>,
    url: String,
) -> Result<Response, ErrorInfo> {
    blocking(move || json_response(shared(&app).upstream_set_remote(&url)?)).await
}

/// Fetches the upstream remote; progress on `on_progress`, `cancel_upstream_fetch` stops it.
#[tauri::command]
pub async fn upstream_fetch<R: Runtime>(
    app: AppHandle<R>,
    target: Option<String>,
    on_progress: Channel<rules_workspace::upstream::FetchProgress>,
) -> Result<Response, ErrorInfo> {
    blocking(move || {
        let mut throttle = Throttle::default();
        // Every object received is reported once at least (then libgit2 goes on indexing).
        let mut received_all = false;
        let outcome = shared(&app).upstream_fetch(target.as_deref(), &mut |p| {
            let last = !received_all && p.received_objects == p.total_objects;
            received_all |= last;
            if throttle.due(last) {
                let _ = on_progress.send(p);
            }
        })?;
        json_response(outcome)
    })
    .await
}

#[tauri::command]
pub async fn cancel_upstream_fetch<R: Runtime>(app: AppHandle<R>) -> Result<(), ErrorInfo> {
    shared(&app).cancel_upstream_fetch();
    Ok(())
}

/// One item of the plan with its three versions and the proposed result.
#[tauri::command]
pub async fn upstream_item<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    target: Option<String>,
) -> Result<Response, ErrorInfo> {
    blocking(move || json_response(shared(&app).upstream_item(&id, target.as_deref())?)).await
}

/// Writes the merge into the working tree (`stash`: uncommitted changes stashed first) and
/// checks the merged result on the session's workers.
#[tauri::command]
pub async fn upstream_merge<R: Runtime>(
    app: AppHandle<R>,
    target: Option<String>,
    stash: bool,
) -> Result<Response, ErrorInfo> {
    blocking(move || json_response(shared(&app).upstream_merge(target.as_deref(), stash)?)).await
}

/// Answers an item's (or a file's) decision or conflicts: a side for all of it (`take`), or
/// per spec key (`keys`).
#[tauri::command]
pub async fn upstream_resolve<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    take: Option<rules_workspace::upstream::Take>,
    keys: Option<std::collections::BTreeMap<String, rules_workspace::upstream::Take>>,
) -> Result<Response, ErrorInfo> {
    blocking(move || {
        let resolution = rules_workspace::upstream::Resolution {
            take,
            keys: keys.unwrap_or_default(),
        };
        json_response(shared(&app).upstream_resolve(&id, resolution)?)
    })
    .await
}

#[tauri::command]
pub async fn upstream_accept_proposed<R: Runtime>(
    app: AppHandle<R>,
) -> Result<Response, ErrorInfo> {
    blocking(move || json_response(shared(&app).upstream_accept_proposed()?)).await
}

/// Makes the merge commit (both parents) once nothing is open.
#[tauri::command]
pub async fn upstream_commit<R: Runtime>(
    app: AppHandle<R>,
    message: Option<String>,
) -> Result<Response, ErrorInfo> {
    blocking(move || json_response(shared(&app).upstream_commit(message.as_deref())?)).await
}

#[tauri::command]
pub async fn upstream_abort<R: Runtime>(app: AppHandle<R>) -> Result<Response, ErrorInfo> {
    blocking(move || json_response(shared(&app).upstream_abort()?)).await
}

#[tauri::command]
pub async fn upstream_undo<R: Runtime>(app: AppHandle<R>) -> Result<Response, ErrorInfo> {
    blocking(move || json_response(shared(&app).upstream_undo()?)).await
}
