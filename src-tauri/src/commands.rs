//! The commands the window may call (`ui/CONTRACT.md`). Each is a thin conversion around one
//! core call, run on the blocking thread pool.

use crate::error::{AppError, ErrorKind};
use crate::state::AppState;
use rules_workspace::fork::{self, Repo};
use rules_workspace::session;
use rules_workspace::spec::edit::{self, TestEdit};
use rules_workspace::workspace::{recovery, save};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use tauri::ipc::{Channel, Response};
use tauri::{AppHandle, Manager, Runtime};

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::new(ErrorKind::Io, format!("internal error: {e}")))?
}

/// The open workspace's view, serialised once, straight to the JSON text the window receives.
fn view<R: Runtime>(st: &AppState<R>) -> Result<Response, AppError> {
    let guard = st.session();
    let session = guard.as_ref().ok_or_else(AppError::no_workspace)?;
    json_response(session.view())
}

/// `value` as the JSON text the window receives. The memory `value` and its serialisation
/// used is given back to the system afterwards (a whole workspace's test report is tens of
/// megabytes of JSON values, freed in an arena of the blocking pool's thread).
fn json_response<T: Serialize>(value: T) -> Result<Response, AppError> {
    let text = serde_json::to_string(&value)
        .map_err(|e| AppError::new(ErrorKind::Io, format!("internal error: {e}")))?;
    drop(value);
    session::release_free_memory();
    Ok(Response::new(text))
}

/// The open workspace's root.
fn root<R: Runtime>(st: &AppState<R>) -> Result<PathBuf, AppError> {
    st.root().ok_or_else(AppError::no_workspace)
}

/// `path`, if it lies inside the open workspace (the window may touch nothing else).
fn inside<R: Runtime>(st: &AppState<R>, path: &str) -> Result<PathBuf, AppError> {
    let root = root(st)?;
    let path = PathBuf::from(path);
    let parent = path
        .parent()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .ok_or_else(|| {
            AppError::new(
                ErrorKind::NotFound,
                format!("{}: no such folder", path.display()),
            )
            .at(path.display().to_string())
        })?;
    let full = parent.join(path.file_name().unwrap_or_default());
    if !full.starts_with(&root) {
        return Err(AppError::new(
            ErrorKind::Invalid,
            format!(
                "{} is outside the workspace {}",
                full.display(),
                root.display()
            ),
        )
        .at(full.display().to_string()));
    }
    Ok(full)
}

#[tauri::command]
pub async fn open_workspace<R: Runtime>(
    app: AppHandle<R>,
    path: String,
) -> Result<Response, AppError> {
    blocking(move || {
        let st = app.state::<AppState<R>>();
        st.open(Path::new(&path))?;
        view(&st)
    })
    .await
}

#[tauri::command]
pub async fn open_demo<R: Runtime>(app: AppHandle<R>) -> Result<Response, AppError> {
    blocking(move || {
        let st = app.state::<AppState<R>>();
        st.open(&session::demo_workspace()?)?;
        view(&st)
    })
    .await
}

#[tauri::command]
pub async fn recent_workspaces() -> Result<Vec<PathBuf>, AppError> {
    blocking(|| Ok(session::recent_workspaces())).await
}

#[tauri::command]
pub async fn clone_workspace<R: Runtime>(
    app: AppHandle<R>,
    url: String,
    dest: String,
    on_progress: Channel<fork::CloneProgress>,
) -> Result<Response, AppError> {
    blocking(move || {
        fork::clone(&url, Path::new(&dest), &mut |p| {
            let _ = on_progress.send(p);
        })?;
        let st = app.state::<AppState<R>>();
        st.open(Path::new(&dest))?;
        view(&st)
    })
    .await
}

#[tauri::command]
pub async fn workspace_view<R: Runtime>(app: AppHandle<R>) -> Result<Response, AppError> {
    blocking(move || {
        let st = app.state::<AppState<R>>();
        st.wait_opened();
        if st.session().is_none() {
            return Ok(Response::new("null".to_string()));
        }
        view(&st)
    })
    .await
}

#[derive(Serialize)]
pub struct FileText {
    path: PathBuf,
    text: String,
    stamp: String,
}

#[tauri::command]
pub async fn read_file<R: Runtime>(app: AppHandle<R>, path: String) -> Result<FileText, AppError> {
    blocking(move || {
        let path = inside(&app.state::<AppState<R>>(), &path)?;
        let (text, stamp) = save::read_text(&path)?;
        Ok(FileText { path, text, stamp })
    })
    .await
}

#[tauri::command]
pub async fn validate_buffer<R: Runtime>(
    app: AppHandle<R>,
    path: String,
    text: String,
) -> Result<Vec<rules_workspace::diagnostics::Diagnostic>, AppError> {
    blocking(move || {
        let st = app.state::<AppState<R>>();
        let path = inside(&st, &path)?;
        if path.extension().is_some_and(|e| e == "py") {
            // Compiling needs a worker; while a test run holds them, skip rather than wait.
            let Some(mut guard) = st.try_session() else {
                return Ok(Vec::new());
            };
            let session = guard.as_mut().ok_or_else(AppError::no_workspace)?;
            return Ok(session.validate_buffer(&path, &text)?);
        }
        // A spec is validated from disk plus this buffer: no need to wait for a test run.
        let options = rules_workspace::workspace::OpenOptions::default();
        let cache = st.parse_cache().ok_or_else(AppError::no_workspace)?;
        rules_workspace::workspace::Workspace::validate_buffer_cached(
            &root(&st)?,
            &options,
            cache,
            &path,
            &text,
        )
        .map_err(|e| AppError::from(rules_workspace::session::SessionError::from(e)))
    })
    .await
}

#[derive(Serialize)]
pub struct Saved {
    stamp: String,
}

#[tauri::command]
pub async fn save_file<R: Runtime>(
    app: AppHandle<R>,
    path: String,
    text: String,
    stamp: Option<String>,
) -> Result<Saved, AppError> {
    blocking(move || {
        let st = app.state::<AppState<R>>();
        let path = inside(&st, &path)?;
        let expected = stamp.unwrap_or_else(|| save::ABSENT.to_owned());
        let stamp = save::save_text(&path, &text, &expected)?;
        let _ = recovery::clear(&root(&st)?, &path);
        Ok(Saved { stamp })
    })
    .await
}

#[derive(Serialize)]
pub struct Edited {
    text: String,
}

#[tauri::command]
pub async fn edit_tests(text: String, edit: TestEdit) -> Result<Edited, AppError> {
    blocking(move || {
        Ok(Edited {
            text: edit::apply_test_edit(&text, &edit)?,
        })
    })
    .await
}

#[tauri::command]
pub async fn recovery_save<R: Runtime>(
    app: AppHandle<R>,
    path: String,
    text: String,
) -> Result<(), AppError> {
    blocking(move || {
        let st = app.state::<AppState<R>>();
        let path = inside(&st, &path)?;
        recovery::keep(&root(&st)?, &path, &text)
            .map_err(|e| AppError::new(ErrorKind::Io, format!("cannot keep a recovery copy: {e}")))
    })
    .await
}

#[tauri::command]
pub async fn recovery_list<R: Runtime>(
    app: AppHandle<R>,
) -> Result<Vec<recovery::Recovered>, AppError> {
    blocking(move || Ok(recovery::list(&root(&app.state::<AppState<R>>())?))).await
}

#[tauri::command]
pub async fn recovery_clear<R: Runtime>(app: AppHandle<R>, path: String) -> Result<(), AppError> {
    blocking(move || {
        let st = app.state::<AppState<R>>();
        recovery::clear(&root(&st)?, Path::new(&path))
            .map_err(|e| AppError::new(ErrorKind::Io, e.to_string()))
    })
    .await
}

#[derive(Clone, Serialize)]
pub struct RunProgress {
    done: usize,
    total: usize,
    id: String,
}

/// How often a test run reports its progress to the page, at most.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

#[tauri::command]
pub async fn run_tests<R: Runtime>(
    app: AppHandle<R>,
    ids: Option<Vec<String>>,
    test_names: Option<Vec<String>>,
    on_progress: Channel<RunProgress>,
) -> Result<Response, AppError> {
    blocking(move || {
        let st = app.state::<AppState<R>>();
        st.cancel.store(false, Ordering::SeqCst);
        let cancel = std::sync::Arc::clone(&st.cancel);
        let mut guard = st.session();
        let session = guard.as_mut().ok_or_else(AppError::no_workspace)?;
        let mut last_sent: Option<std::time::Instant> = None;
        let report = session.run_tests(ids, test_names.unwrap_or_default(), &mut |p| {
            // At most one message per PROGRESS_EVERY (and the last): each is a message to the
            // page, and answers are collected on this thread.
            let due = p.done == p.total || last_sent.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY);
            if due {
                last_sent = Some(std::time::Instant::now());
                let _ = on_progress.send(RunProgress {
                    done: p.done,
                    total: p.total,
                    id: p.id.to_owned(),
                });
            }
            !cancel.load(Ordering::SeqCst)
        })?;
        drop(guard);
        st.retire_extra_workers_after(crate::state::EXTRA_WORKERS_IDLE);
        json_response(report)
    })
    .await
}

#[tauri::command]
pub async fn cancel_run<R: Runtime>(app: AppHandle<R>) -> Result<(), AppError> {
    app.state::<AppState<R>>()
        .cancel
        .store(true, Ordering::SeqCst);
    Ok(())
}

fn repo<R: Runtime>(app: &AppHandle<R>) -> Result<Repo, AppError> {
    Ok(Repo::discover(&root(&app.state::<AppState<R>>())?)?)
}

#[tauri::command]
pub async fn git_status<R: Runtime>(app: AppHandle<R>) -> Result<fork::Status, AppError> {
    blocking(move || Ok(repo(&app)?.status()?)).await
}

#[tauri::command]
pub async fn git_diff<R: Runtime>(
    app: AppHandle<R>,
    path: String,
    staged: bool,
) -> Result<fork::FileDiff, AppError> {
    blocking(move || Ok(repo(&app)?.diff_file(&path, staged)?)).await
}

fn refs(paths: &[String]) -> Vec<&str> {
    paths.iter().map(String::as_str).collect()
}

#[tauri::command]
pub async fn git_stage<R: Runtime>(
    app: AppHandle<R>,
    paths: Vec<String>,
) -> Result<fork::Status, AppError> {
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
) -> Result<fork::Status, AppError> {
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
) -> Result<fork::Status, AppError> {
    blocking(move || {
        let r = repo(&app)?;
        r.discard(&refs(&paths))?;
        Ok(r.status()?)
    })
    .await
}

#[derive(Serialize)]
pub struct Committed {
    oid: String,
    status: fork::Status,
}

#[tauri::command]
pub async fn git_commit<R: Runtime>(
    app: AppHandle<R>,
    message: String,
) -> Result<Committed, AppError> {
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
pub async fn git_branches<R: Runtime>(app: AppHandle<R>) -> Result<Vec<fork::Branch>, AppError> {
    blocking(move || Ok(repo(&app)?.branches()?)).await
}

#[tauri::command]
pub async fn git_checkout<R: Runtime>(
    app: AppHandle<R>,
    branch: String,
) -> Result<fork::Status, AppError> {
    blocking(move || {
        let r = repo(&app)?;
        r.checkout(&branch)?;
        Ok(r.status()?)
    })
    .await
}
