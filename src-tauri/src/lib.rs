//! Prowl's desktop shell: a Tauri window over the core library. Every command converts its
//! arguments, calls one `rules_workspace` function and converts the result; the contract with
//! the front end is `ui/CONTRACT.md`.
//!
//! Blocking work (opening a workspace, validation, test runs, git) runs on Tauri's blocking
//! thread pool or, for the workspace given at start, on its own thread; never on the main
//! thread. Python runs only in worker processes: `prowl-worker` (`src/bin/prowl-worker.rs`),
//! or this same binary started as `prowl-desktop worker` (see `main.rs`).

mod commands;
mod error;
mod state;
mod window_state;

pub use error::AppError;
pub use state::AppState;

use tauri::Manager;

/// Adds the app's state, commands and start-up to a builder, for any runtime (the real
/// window, or Tauri's mock runtime in tests).
pub fn configure<R: tauri::Runtime>(
    builder: tauri::Builder<R>,
    workspace: Option<std::path::PathBuf>,
) -> tauri::Builder<R> {
    builder
        .manage(AppState::<R>::new(workspace))
        .invoke_handler(tauri::generate_handler![
            commands::open_workspace,
            commands::open_demo,
            commands::recent_workspaces,
            commands::clone_workspace,
            commands::workspace_view,
            commands::read_file,
            commands::validate_buffer,
            commands::save_file,
            commands::edit_tests,
            commands::recovery_save,
            commands::recovery_list,
            commands::recovery_clear,
            commands::run_tests,
            commands::cancel_run,
            commands::git_status,
            commands::git_diff,
            commands::git_stage,
            commands::git_unstage,
            commands::git_discard,
            commands::git_commit,
            commands::git_branches,
            commands::git_checkout,
        ])
        .setup(|app| {
            if let Some(window) = app.get_webview_window("main") {
                window_state::restore(&window);
            }
            let handle = app.handle().clone();
            app.state::<AppState<R>>().start(handle);
            Ok(())
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { .. } = event {
                window_state::save(window);
            }
        })
}

/// Starts the app on `workspace` (the start screen when `None`).
pub fn run(workspace: Option<std::path::PathBuf>) {
    configure(tauri::Builder::default(), workspace)
        .run(tauri::generate_context!())
        .expect("error while running the Prowl window");
}
