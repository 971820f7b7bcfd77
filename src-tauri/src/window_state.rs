//! The window's size, position and maximised state, kept between runs in
//! `<cache>/window-state.json` (saved when the window closes, restored at start if it still
//! fits on a monitor). `PROWL_WINDOW_STATE=off` disables it (the end-to-end tests use a fixed
//! window).

use rules_workspace::engine::env::cache_dir;
use serde::{Deserialize, Serialize};
use tauri::{PhysicalPosition, PhysicalSize, Runtime, WebviewWindow, Window};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
struct State {
    width: u32,
    height: u32,
    x: i32,
    y: i32,
    maximized: bool,
}

fn enabled() -> bool {
    std::env::var("PROWL_WINDOW_STATE").map_or(true, |v| v != "off")
}

fn file() -> std::path::PathBuf {
    cache_dir().join("window-state.json")
}

/// Remembers the window's geometry (called when it is about to close).
pub fn save<R: Runtime>(window: &Window<R>) {
    if !enabled() {
        return;
    }
    let (Ok(size), Ok(pos), Ok(maximized)) = (
        window.outer_size(),
        window.outer_position(),
        window.is_maximized(),
    ) else {
        return;
    };
    let state = State {
        width: size.width,
        height: size.height,
        x: pos.x,
        y: pos.y,
        maximized,
    };
    if let Ok(text) = serde_json::to_vec(&state) {
        let path = file();
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(path, text);
    }
}

/// Puts the window back where it was, when that place is still on a monitor.
pub fn restore<R: Runtime>(window: &WebviewWindow<R>) {
    if !enabled() {
        return;
    }
    let Some(state) = std::fs::read(file())
        .ok()
        .and_then(|b| serde_json::from_slice::<State>(&b).ok())
    else {
        return;
    };
    let on_screen = window
        .available_monitors()
        .unwrap_or_default()
        .iter()
        .any(|m| {
            let (p, s) = (m.position(), m.size());
            state.x >= p.x
                && state.y >= p.y
                && state.x < p.x + s.width as i32
                && state.y < p.y + s.height as i32
        });
    if state.width >= 600 && state.height >= 400 {
        let _ = window.set_size(PhysicalSize::new(state.width, state.height));
    }
    if on_screen {
        let _ = window.set_position(PhysicalPosition::new(state.x, state.y));
    }
    if state.maximized {
        let _ = window.maximize();
    }
}
