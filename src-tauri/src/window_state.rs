//! The window's size, position and maximised state, kept between runs in
//! `<cache>/window-state.json` (saved when the window closes, restored at start where it still
//! fits on a monitor). `PROWL_WINDOW_STATE=off` disables it (the end-to-end tests use a fixed
//! window).

use rules_workspace::env::cache_dir;
use rules_workspace::workspace::save;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tauri::{PhysicalPosition, PhysicalSize, Runtime, WebviewWindow, Window};

/// Below this the saved size is not used (a window shrunk by accident, a corrupt file).
const MIN_SIZE: (u32, u32) = (600, 400);

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
struct State {
    width: u32,
    height: u32,
    x: i32,
    y: i32,
    maximized: bool,
}

/// A monitor's rectangle: position and size, in physical pixels.
#[derive(Debug, Clone, Copy)]
struct Screen {
    x: i32,
    y: i32,
    width: u32,
    height: u32,
}

/// What to do to the new window.
#[derive(Debug, PartialEq)]
struct Plan {
    size: Option<(u32, u32)>,
    position: Option<(i32, i32)>,
    maximize: bool,
}

fn enabled() -> bool {
    std::env::var("PROWL_WINDOW_STATE").map_or(true, |v| v != "off")
}

fn file() -> std::path::PathBuf {
    cache_dir().join("window-state.json")
}

/// The state to save at close: a maximised window keeps the size and place it had before
/// (`previous`), so that un-maximising next time goes back to it.
fn closing_state(now: State, previous: Option<State>) -> State {
    match previous {
        Some(p) if now.maximized => State {
            maximized: true,
            ..p
        },
        _ => now,
    }
}

/// Where the saved window goes on these screens: its size when sensible, its place only when
/// its top-left corner is on one of them (a monitor unplugged since leaves it where the
/// system puts it), maximised again if it was.
fn plan(state: &State, screens: &[Screen]) -> Plan {
    let on_screen = screens.iter().any(|m| {
        state.x >= m.x
            && state.y >= m.y
            && i64::from(state.x) < i64::from(m.x) + i64::from(m.width)
            && i64::from(state.y) < i64::from(m.y) + i64::from(m.height)
    });
    // Never larger than the largest screen (a state saved on a bigger monitor).
    let (max_w, max_h) = screens
        .iter()
        .fold((0, 0), |(w, h), m| (w.max(m.width), h.max(m.height)));
    let sensible = state.width >= MIN_SIZE.0 && state.height >= MIN_SIZE.1;
    Plan {
        size: sensible.then(|| {
            if screens.is_empty() {
                (state.width, state.height)
            } else {
                (state.width.min(max_w), state.height.min(max_h))
            }
        }),
        position: on_screen.then_some((state.x, state.y)),
        maximize: state.maximized,
    }
}

fn load(path: &Path) -> Option<State> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Writes the state atomically (a crash mid-write leaves the previous file).
fn store(path: &Path, state: &State) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    }
    let text = serde_json::to_string(state).map_err(|e| e.to_string())?;
    let stamp = save::stamp_on_disk(path).map_err(|e| e.to_string())?;
    save::save_text(path, &text, &stamp)
        .map(|_| ())
        .map_err(|e| e.to_string())
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
    let now = State {
        width: size.width,
        height: size.height,
        x: pos.x,
        y: pos.y,
        maximized,
    };
    let path = file();
    let state = closing_state(now, load(&path));
    if let Err(e) = store(&path, &state) {
        eprintln!("prowl: cannot remember the window's place: {e}");
    }
}

/// Puts the window back where it was, as far as the screens allow.
pub fn restore<R: Runtime>(window: &WebviewWindow<R>) {
    if !enabled() {
        return;
    }
    let Some(state) = load(&file()) else {
        return;
    };
    let screens: Vec<Screen> = window
        .available_monitors()
        .unwrap_or_default()
        .iter()
        .map(|m| Screen {
            x: m.position().x,
            y: m.position().y,
            width: m.size().width,
            height: m.size().height,
        })
        .collect();
    let plan = plan(&state, &screens);
    if let Some((w, h)) = plan.size {
        let _ = window.set_size(PhysicalSize::new(w, h));
    }
    if let Some((x, y)) = plan.position {
        let _ = window.set_position(PhysicalPosition::new(x, y));
    }
    if plan.maximize {
        let _ = window.maximize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL_HD: Screen = Screen {
        x: 0,
        y: 0,
        width: 1920,
        height: 1080,
    };
    const RIGHT: Screen = Screen {
        x: 1920,
        y: 0,
        width: 2560,
        height: 1440,
    };

    fn state(width: u32, height: u32, x: i32, y: i32) -> State {
        State {
            width,
            height,
            x,
            y,
            maximized: false,
        }
    }

    #[test]
    fn a_window_on_a_screen_goes_back_where_it_was() {
        let s = state(1400, 900, 100, 50);
        assert_eq!(
            plan(&s, &[FULL_HD]),
            Plan {
                size: Some((1400, 900)),
                position: Some((100, 50)),
                maximize: false
            }
        );
        // On the second monitor, with both still there.
        let s = state(2000, 1200, 2100, 100);
        assert_eq!(plan(&s, &[FULL_HD, RIGHT]).position, Some((2100, 100)));
        assert_eq!(plan(&s, &[FULL_HD, RIGHT]).size, Some((2000, 1200)));
    }

    #[test]
    fn a_monitor_gone_keeps_the_size_but_not_the_place() {
        let s = state(2000, 1200, 2100, 100);
        let p = plan(&s, &[FULL_HD]);
        assert_eq!(p.position, None);
        // Shrunk to fit the remaining screen.
        assert_eq!(p.size, Some((1920, 1080)));
    }

    #[test]
    fn tiny_or_absurd_sizes_are_ignored() {
        assert_eq!(plan(&state(200, 100, 0, 0), &[FULL_HD]).size, None);
        assert_eq!(plan(&state(0, 0, 0, 0), &[FULL_HD]).size, None);
        // Extreme coordinates do not overflow.
        let far = state(800, 600, i32::MAX, i32::MAX);
        assert_eq!(plan(&far, &[FULL_HD, RIGHT]).position, None);
        let neg = state(800, 600, i32::MIN, -5);
        assert_eq!(plan(&neg, &[FULL_HD]).position, None);
        // No monitor reported (some compositors): size only.
        let p = plan(&state(1000, 700, 10, 10), &[]);
        assert_eq!((p.size, p.position), (Some((1000, 700)), None));
    }

    #[test]
    fn a_maximised_window_keeps_its_normal_size_for_next_time() {
        let before = state(1200, 800, 40, 30);
        let now = State {
            width: 1920,
            height: 1080,
            x: 0,
            y: 0,
            maximized: true,
        };
        let saved = closing_state(now, Some(before));
        assert_eq!(
            saved,
            State {
                maximized: true,
                ..before
            }
        );
        // Maximised without an earlier state: what there is.
        assert_eq!(closing_state(now, None), now);
        // Not maximised: the current geometry.
        assert_eq!(closing_state(before, Some(now)), before);
        assert!(plan(&saved, &[FULL_HD]).maximize);
    }

    #[test]
    fn the_file_round_trips_and_junk_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/window-state.json");
        assert_eq!(load(&path), None);
        let s = state(1300, 850, 12, 34);
        store(&path, &s).unwrap();
        assert_eq!(load(&path), Some(s));
        store(&path, &state(1400, 900, 0, 0)).unwrap();
        assert_eq!(load(&path), Some(state(1400, 900, 0, 0)));
        // No temporary file left next to it.
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
        std::fs::write(&path, b"\x00\xffnot json").unwrap();
        assert_eq!(load(&path), None);
        std::fs::write(&path, br#"{"width": -3}"#).unwrap();
        assert_eq!(load(&path), None);
    }
}
