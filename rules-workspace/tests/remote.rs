//! The remote Panther API against a real HTTP server of our own on loopback (no mock of the
//! client): `prowl remote check` sends PAT 1.6.3's request (the same query as `pat
//! check-connection` sends to the same server), reads PAT's replies as PAT does, fails clearly
//! on a bad token, a server error, a non-GraphQL reply or an unreachable host, and never shows
//! the token.

mod common;

use common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::sync::{Arc, Mutex};

/// One request as the server read it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP/1.1 server on 127.0.0.1 answering every request with `reply` (status, body), and
/// recording what it was sent.
struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

fn serve(status: u16, body: &'static str) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/public/graphql", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() || line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (method, path) = (
                parts.next().unwrap_or("").to_owned(),
                parts.next().unwrap_or("").to_owned(),
            );
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.push((k.trim().to_owned(), v.trim().to_owned()));
                }
            }
            let length: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut raw = vec![0; length];
            reader.read_exact(&mut raw).unwrap();
            record.lock().unwrap().push(Seen {
                method,
                path,
                headers,
                body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
            });
            let reason = if status == 200 { "OK" } else { "Error" };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Server { url, seen }
}

const TOKEN: &str = "prowl-test-token-5f1c9a";

fn check(host: &str, token: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_prowl"));
    cmd.args(["remote", "check", "--api-host", host])
        .env_remove("PANTHER_API_TOKEN")
        .env_remove("PANTHER_API_HOST")
        .env("NO_COLOR", "1");
    if let Some(t) = token {
        cmd.env("PANTHER_API_TOKEN", t);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_sends_pats_request_and_reads_the_version() {
    let server = serve(
        200,
        r#"{"data":{"generalSettings":{"pantherVersion":"1.118.3"}}}"#,
    );
    let (code, out, err) = check(&server.url, Some(TOKEN));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("connected to Panther backend on version: 1.118.3"),
        "{err}"
    );
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN));
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/public/graphql")
    );
    assert_eq!(request.header("X-API-Key"), Some(TOKEN));
    assert!(request
        .header("Content-Type")
        .unwrap()
        .starts_with("application/json"));
    // PAT sends no variables for GetVersion, and no operationName.
    assert_eq!(
        request.body.as_object().unwrap().len(),
        1,
        "{}",
        request.body
    );

    // The same query as PAT 1.6.3 sends to the same server.
    let pat = Command::new(pat_binary())
        .args([
            "--skip-version-check",
            "check-connection",
            "--api-host",
            &server.url,
        ])
        .env("PANTHER_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(
        pat.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&pat.stderr)
    );
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].body, request.body, "PAT's request body");
    assert_eq!(seen[1].header("X-API-Key"), Some(TOKEN));
}

#[test]
fn a_reply_without_a_version_fails_as_pat_does() {
    let server = serve(200, r#"{"data":{"generalSettings":{}}}"#);
    let (code, _, err) = check(&server.url, Some(TOKEN));
    assert_eq!(code, 1);
    assert!(
        err.contains("ERROR: did not receive version in response"),
        "{err}"
    );
}

#[test]
fn failures_are_clear_and_never_show_the_token() {
    // A bad token: 401 without a GraphQL body.
    let server = serve(401, r#"{"message":"Unauthorized"}"#);
    let (code, out, err) = check(&server.url, Some(TOKEN));
    assert_ne!(code, 0);
    assert!(
        err.contains("401") && err.contains("refused the API token"),
        "{err}"
    );
    assert!(err.contains("prowl remote login"), "{err}");
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN), "{err}");
    // GraphQL errors, whatever the status.
    let server = serve(
        500,
        r#"{"errors":[{"message":"boom","path":["generalSettings"]}]}"#,
    );
    let (code, _, err) = check(&server.url, Some(TOKEN));
    assert_ne!(code, 0);
    assert!(err.contains("boom"), "{err}");
    // Not GraphQL.
    let server = serve(200, "<html>login</html>");
    let (code, _, err) = check(&server.url, Some(TOKEN));
    assert_ne!(code, 0);
    assert!(err.contains("did not return a GraphQL result"), "{err}");
    // Nobody listening.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, _, err) = check(
        &format!("http://127.0.0.1:{port}/public/graphql"),
        Some(TOKEN),
    );
    assert_ne!(code, 0);
    assert!(err.contains("could not reach"), "{err}");
    assert!(!err.contains(TOKEN));
    // No token at all.
    let (code, _, err) = check(&server.url, None);
    assert_ne!(code, 0);
    assert!(err.contains("no API token"), "{err}");
}
