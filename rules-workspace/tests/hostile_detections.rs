//! Hostile detections (tests/fixtures/hostile): an infinite loop, `os._exit`, a segfault, a
//! memory bomb, a fork, 10 MB and 100 MB of prints. Each gives a clear result for that detection, and
//! the run goes on to the ordinary rule and the summary. The prints reach the terminal cut at
//! 1 MiB each, with a line naming the file in the cache that keeps the whole capture.

mod common;

use common::*;
use std::process::Command;

#[test]
fn every_hostile_detection_is_contained_and_the_run_completes() {
    let env = test_env();
    let root = repo().join("tests/fixtures/hostile");
    let cache = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_prowl"))
        .args(["test", ".", "--timeout", "10"])
        .current_dir(&root)
        .env("PROWL_PYTHON_ENV", &env)
        .env("PROWL_CACHE", cache.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run prowl test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let short: String = stdout
        .lines()
        .filter(|l| !l.starts_with("xxxxxxxxxx") && !l.starts_with("yyyyyyyyyy"))
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(out.status.code(), Some(1), "{short}\n{stderr}");

    // The run reached the ordinary rule and the summary.
    assert!(short.contains("Hostile.G.Fine\n\t[PASS] runs"), "{short}");
    assert!(short.contains("Test Summary"), "{short}");
    let invalid = |file: &str, message: &str| {
        let needle = format!("rules/{file}.yml\n\t\t{message}");
        assert!(short.contains(&needle), "missing `{needle}` in:\n{short}");
    };
    invalid(
        "a_loop",
        "the Python worker did not answer within 10.0 s and was stopped",
    );
    invalid(
        "b_exit",
        "the Python worker stopped unexpectedly (exit code 3)",
    );
    invalid(
        "c_segfault",
        "the Python worker stopped unexpectedly (killed by SIGSEGV, a segmentation fault (11))",
    );
    // The address-space limit turns the memory bomb into that test's MemoryError.
    assert!(
        short.contains("Hostile.D.MemoryBomb\n\t[FAIL] runs\n\t\t[FAIL] [rule] MemoryError"),
        "{short}"
    );
    // The fork's child left at once; the rule's verdict stands and no second answer arrived.
    assert!(short.contains("Hostile.E.Fork\n\t[PASS] runs"), "{short}");
    // 100,000 printed lines (10 MB) are the chatty test's captured output, printed before its
    // result: the terminal gets the first 1 MiB of them, then a line naming the kept file.
    let chatty = stdout.find("\nHostile.F.Chatty\n").expect("chatty block") + 1;
    let shown: Vec<&str> = stdout[chatty..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with('x'))
        .collect();
    let shown_bytes: usize = shown.iter().map(|l| l.len() + 1).sum();
    assert!(
        shown_bytes <= 1024 * 1024 && shown_bytes > 1024 * 1024 - 200,
        "{shown_bytes} bytes shown"
    );
    let kept_file = |block: usize| -> std::path::PathBuf {
        let line = stdout[block..]
            .lines()
            .find(|l| l.starts_with("[prowl: ") && l.contains("bytes of output cut"))
            .expect("a cut line");
        let path = line
            .split("the full output is in ")
            .nth(1)
            .expect("names the kept file")
            .trim_end_matches(']');
        assert!(path.starts_with(cache.path().to_str().unwrap()), "{path}");
        std::path::PathBuf::from(path)
    };
    let kept = std::fs::read_to_string(kept_file(chatty)).unwrap();
    assert_eq!(kept.lines().filter(|l| l.starts_with('x')).count(), 100_000);
    assert!(
        stdout[chatty..].contains("\t[PASS] runs"),
        "chatty's result line follows its output"
    );
    assert!(
        !stderr.contains("xxxxxxxxxx"),
        "detection output leaked to stderr"
    );
    // 100 MB of prints: the harness keeps the first 16 Mi characters and counts the rest; the
    // terminal gets 1 MiB of them; the kept file has all the harness kept, and its note.
    let flood = stdout.find("\nHostile.H.Flood\n").expect("flood block") + 1;
    let shown: usize = stdout[flood..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with('y'))
        .map(|l| l.len() + 1)
        .sum();
    assert!(shown <= 1024 * 1024 + 1, "{shown} bytes shown");
    let kept = std::fs::read_to_string(kept_file(flood)).unwrap();
    let kept_chars: usize = kept
        .lines()
        .take_while(|l| l.starts_with('y'))
        .map(|l| l.chars().count() + 1)
        .sum();
    assert!(
        // (+1: the last, cut line ends with the newline that starts the note)
        (16 * 1024 * 1024 - 100..=16 * 1024 * 1024 + 1).contains(&kept_chars),
        "kept {kept_chars} characters"
    );
    assert!(
        kept.contains(&format!(
            "[prowl: {} more characters of output were dropped]",
            100_000_000 - 16 * 1024 * 1024
        )),
        "the harness's note is in the kept file"
    );
    assert!(stdout[flood..].contains("\t[PASS] runs"), "{short}");
    assert!(short.contains("\tInvalid: 3\n"), "{short}");
}
