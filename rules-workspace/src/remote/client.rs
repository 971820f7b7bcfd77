//! Panther's public GraphQL API, spoken as PAT 1.6.3 speaks it, over a network that fails.
//!
//! - The endpoint: a host given with a scheme (`https://…`, `http://…`) is used as written;
//!   any other host becomes `https://api.<host>/public/graphql` (PAT's `_build_api_url`).
//! - Every operation is one `POST` of `{"query": …[, "variables": {"input": …}]}` with the
//!   token in `X-API-Key`; a JSON reply with `data` or `errors` is read as GraphQL whatever its
//!   HTTP status, as PAT's transport does.
//! - Every request has a time limit; a `429` (after its `Retry-After`), a `5xx` without a
//!   GraphQL answer, a dropped connection and a timeout are tried again with a growing wait
//!   (PAT gives up at once on those); a wrong token, a TLS or DNS failure are not.
//! - TLS comes from the system (OpenSSL and its certificate store).
//!
//! The token is held in a [`Token`], whose `Debug` never shows it, and no error this module
//! makes contains it.

use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

/// An API token. Printing it shows `<redacted>`.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Wraps a token (surrounding whitespace dropped).
    pub fn new(token: &str) -> Option<Token> {
        let t = token.trim();
        (!t.is_empty()).then(|| Token(t.to_owned()))
    }

    /// The token itself, for the request header and the keyring only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The GraphQL endpoint for what a user typed as the API host (PAT's rule).
pub fn graphql_url(host: &str) -> String {
    let host = host.trim();
    let has_scheme = host
        .split_once("://")
        .is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty());
    if has_scheme {
        host.to_owned()
    } else {
        format!("https://api.{host}/public/graphql")
    }
}

/// The waits of the remote operations. PAT's are the defaults; `PROWL_REMOTE_TIME_SCALE`
/// (a factor, for the tests) shortens all but a server's `Retry-After`.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Between two polls of an asynchronous upload or validation (PAT: 2 s).
    pub poll: Duration,
    /// Before trying a whole upload again after a retryable failure (PAT: 30 s).
    pub retry_upload: Duration,
    /// The first wait before a request is tried again; it doubles each time.
    pub backoff: Duration,
    /// The longest wait for an asynchronous upload or validation to finish.
    pub max_poll: Duration,
    /// The limit of one request (PAT: 30 s); an upload's own request gets four times this.
    pub request: Duration,
}

impl Timing {
    /// PAT's waits, scaled by `PROWL_REMOTE_TIME_SCALE` when it is set.
    pub fn from_env() -> Timing {
        let scale = std::env::var("PROWL_REMOTE_TIME_SCALE")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 1.0)
            .unwrap_or(1.0);
        let s = |secs: f64| Duration::from_secs_f64(secs * scale);
        Timing {
            poll: s(2.0),
            retry_upload: s(30.0),
            backoff: s(1.0),
            max_poll: s(15.0 * 60.0),
            request: s(30.0).max(Duration::from_millis(500)),
        }
    }
}

/// One error of a GraphQL reply.
#[derive(Debug, Clone)]
pub struct GraphQlError {
    /// Its `message`.
    pub message: String,
    /// Its `extensions.code`, if any (`GRAPHQL_VALIDATION_FAILED` for an unknown operation).
    pub code: Option<String>,
}

/// How a request failed to get through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The host name does not resolve.
    Dns,
    /// The TLS handshake failed (a certificate the system does not trust, a wrong name, …).
    Tls,
    /// No answer within the time limit.
    Timeout,
    /// The connection was refused or dropped.
    Connection,
}

/// Why an operation failed. No variant carries the token.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// No token anywhere.
    #[error("no API token: give --api-token, set PANTHER_API_TOKEN, or sign in a profile")]
    NoToken,
    /// No host anywhere.
    #[error("no API host: give --api-host, set PANTHER_API_HOST, or choose a profile")]
    NoHost,
    /// The server could not be reached.
    #[error("could not reach {url}: {message}")]
    Unreachable {
        /// The endpoint.
        url: String,
        /// What kind of failure.
        failure: Failure,
        /// What failed.
        message: String,
    },
    /// The token was refused.
    #[error("{url} refused the API token (HTTP {status})")]
    Unauthorized {
        /// The endpoint.
        url: String,
        /// 401 or 403.
        status: u16,
    },
    /// An HTTP error without a GraphQL reply (5xx after the retries, 413, …).
    #[error("{url} answered HTTP {status}: {body}")]
    Http {
        /// The endpoint.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The reply is not GraphQL (or not the shape the operation has).
    #[error("{url} did not return a GraphQL result: {body}")]
    NotGraphQl {
        /// The endpoint.
        url: String,
        /// The start of the body, or what was missing.
        body: String,
    },
    /// The server answered with GraphQL errors.
    #[error("the Panther API refused the request: {}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    GraphQl(Vec<GraphQlError>),
    /// The instance does not have the operation (PAT's "does not support this feature").
    #[error("your Panther instance does not support this feature ({0})")]
    Unsupported(String),
    /// The archive is over the size the API takes.
    #[error("the archive is {} KiB; Panther's API takes at most {} KiB per upload", .bytes / 1024, .limit / 1024)]
    TooLarge {
        /// The archive's size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The upload (or validation) failed on the server.
    #[error("{message}")]
    Failed {
        /// The server's message.
        message: String,
        /// False when PAT's rules call it retryable.
        permanent: bool,
    },
    /// An asynchronous upload or validation that did not finish in time.
    #[error("the server did not finish {what} {receipt} within {} s", .waited.as_secs())]
    NeverFinished {
        /// "upload" or "validation".
        what: &'static str,
        /// The receipt the server gave.
        receipt: String,
        /// How long Prowl waited.
        waited: Duration,
    },
}

impl crate::error::UserError for RemoteError {
    fn family(&self) -> &'static str {
        "remote"
    }

    fn name(&self) -> &'static str {
        match self {
            RemoteError::NoToken => "no_token",
            RemoteError::NoHost => "no_host",
            RemoteError::Unreachable {
                failure: Failure::Dns,
                ..
            } => "dns",
            RemoteError::Unreachable {
                failure: Failure::Tls,
                ..
            } => "tls",
            RemoteError::Unreachable {
                failure: Failure::Timeout,
                ..
            } => "timeout",
            RemoteError::Unreachable { .. } => "unreachable",
            RemoteError::Unauthorized { .. } => "unauthorized",
            RemoteError::Http { .. } => "http",
            RemoteError::NotGraphQl { .. } => "not_graphql",
            RemoteError::GraphQl(_) => "graphql",
            RemoteError::Unsupported(_) => "unsupported",
            RemoteError::TooLarge { .. } => "too_large",
            RemoteError::Failed { .. } => "failed",
            RemoteError::NeverFinished { .. } => "never_finished",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            RemoteError::Unauthorized { .. } => Some(
                "the token is wrong, expired or lacks the permission this needs: run `prowl remote login` with a new one (Panther's Console, Settings > API Tokens)"
                    .into(),
            ),
            RemoteError::Http { status: 413, .. } | RemoteError::TooLarge { .. } => Some(
                "upload a part of the workspace at a time with --filter (for example AnalysisType=rule, then the others)".into(),
            ),
            RemoteError::Unreachable {
                failure: Failure::Dns,
                ..
            } => Some(
                "check the host: a bare name becomes https://api.<host>/public/graphql; give a full URL to use it as written".into(),
            ),
            RemoteError::Unreachable {
                failure: Failure::Tls,
                ..
            } => Some(
                "the server's certificate is not one this system trusts (or is for another name); add its authority to the system's certificates".into(),
            ),
            RemoteError::Unreachable { .. } => {
                Some("check the host and the network, then try again".into())
            }
            RemoteError::NoToken | RemoteError::NoHost => Some(
                "`prowl remote login --profile NAME --api-host HOST` keeps both (the token in the system keyring)".into(),
            ),
            RemoteError::NeverFinished { receipt, .. } => Some(format!(
                "the upload may still complete on the server: check the Console, or look again before uploading (receipt {receipt})"
            )),
            _ => None,
        }
    }
}

/// What the client reports while it waits (a retry, a poll).
pub type Notify = Arc<dyn Fn(&str) + Send + Sync>;

/// A client of one Panther instance.
pub struct Client {
    agent: ureq::Agent,
    url: String,
    token: Token,
    /// The waits and limits.
    pub timing: Timing,
    notify: Notify,
}

/// The longest part of a body quoted in an error.
const QUOTED: usize = 300;

/// How many times a request is tried in all (PAT tries once).
const ATTEMPTS: u32 = 5;

/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

fn quote(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(QUOTED) {
        Some((i, _)) => format!("{}…", &body[..i]),
        None => body.to_owned(),
    }
}

/// What one attempt gave.
enum Attempt {
    Done(Result<Value, RemoteError>),
    /// Worth another try, after at least this long (a server's `Retry-After`).
    Again(RemoteError, Option<Duration>),
}

impl Client {
    /// A client for `host` (see [`graphql_url`]) with `token`.
    pub fn new(host: &str, token: Token) -> Client {
        let timing = Timing::from_env();
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timing.request))
            .tls_config(tls)
            .user_agent(concat!("prowl/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            url: graphql_url(host),
            token,
            timing,
            notify: Arc::new(|_| {}),
        }
    }

    /// Reports retries and waits through `notify` (the CLI prints them on stderr).
    pub fn with_notify(mut self, notify: Notify) -> Client {
        self.notify = notify;
        self
    }

    /// The endpoint this client posts to.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn say(&self, message: &str) {
        (self.notify)(message);
    }

    /// Runs one operation; `input` becomes the `$input` variable (PAT sends `variables` only
    /// when there is one). Returns the reply's `data`.
    pub fn execute(&self, query: &str, input: Option<Value>) -> Result<Value, RemoteError> {
        self.execute_within(query, input, self.timing.request)
    }

    /// [`Client::execute`] with its own time limit per attempt.
    pub fn execute_within(
        &self,
        query: &str,
        input: Option<Value>,
        limit: Duration,
    ) -> Result<Value, RemoteError> {
        let body = match input {
            Some(input) => json!({"query": query, "variables": {"input": input}}),
            None => json!({"query": query}),
        };
        let body = serde_json::to_vec(&body).expect("JSON");
        let mut wait = self.timing.backoff;
        for attempt in 1..=ATTEMPTS {
            match self.attempt(&body, limit) {
                Attempt::Done(result) => return result,
                Attempt::Again(error, retry_after) => {
                    if attempt == ATTEMPTS {
                        return Err(error);
                    }
                    let pause = retry_after.map_or(wait, |r| r.min(MAX_RETRY_AFTER));
                    self.say(&format!(
                        "{error}; trying again in {:.1} s ({attempt} of {} tries made)",
                        pause.as_secs_f64(),
                        ATTEMPTS
                    ));
                    std::thread::sleep(pause);
                    wait *= 2;
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    fn attempt(&self, body: &[u8], limit: Duration) -> Attempt {
        let unreachable = |e: ureq::Error| {
            let failure = match &e {
                ureq::Error::HostNotFound => Failure::Dns,
                ureq::Error::Tls(_) | ureq::Error::NativeTls(_) | ureq::Error::Der(_) => {
                    Failure::Tls
                }
                ureq::Error::Timeout(_) => Failure::Timeout,
                ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                    Failure::Timeout
                }
                _ => Failure::Connection,
            };
            let error = RemoteError::Unreachable {
                url: self.url.clone(),
                failure,
                message: e.to_string(),
            };
            match failure {
                Failure::Dns | Failure::Tls => Attempt::Done(Err(error)),
                Failure::Timeout | Failure::Connection => Attempt::Again(error, None),
            }
        };
        let request = self
            .agent
            .post(&self.url)
            .config()
            .timeout_global(Some(limit))
            .build()
            .header("X-API-Key", self.token.expose())
            .header("Content-Type", "application/json");
        let mut reply = match request.send(body) {
            Ok(r) => r,
            Err(e) => return unreachable(e),
        };
        let status = reply.status().as_u16();
        let retry_after = reply
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = match reply
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
        {
            Ok(t) => t,
            Err(e) => return unreachable(e),
        };
        let parsed: Option<Value> = serde_json::from_str(&text).ok();
        let graphql = parsed
            .as_ref()
            .and_then(Value::as_object)
            .filter(|o| o.contains_key("data") || o.contains_key("errors"));
        let Some(reply) = graphql else {
            let http = RemoteError::Http {
                url: self.url.clone(),
                status,
                body: quote(&text),
            };
            return match status {
                401 | 403 => Attempt::Done(Err(RemoteError::Unauthorized {
                    url: self.url.clone(),
                    status,
                })),
                429 => Attempt::Again(http, retry_after),
                500..=599 => Attempt::Again(http, retry_after),
                400..=499 => Attempt::Done(Err(http)),
                _ => Attempt::Done(Err(RemoteError::NotGraphQl {
                    url: self.url.clone(),
                    body: quote(&text),
                })),
            };
        };
        if let Some(errors) = reply.get("errors").and_then(Value::as_array) {
            if !errors.is_empty() {
                return Attempt::Done(Err(RemoteError::GraphQl(
                    errors
                        .iter()
                        .map(|e| GraphQlError {
                            message: e
                                .get("message")
                                .and_then(Value::as_str)
                                .map_or_else(|| e.to_string(), str::to_owned),
                            code: e
                                .pointer("/extensions/code")
                                .and_then(Value::as_str)
                                .map(str::to_owned),
                        })
                        .collect(),
                )));
            }
        }
        match reply.get("data") {
            Some(data) if !data.is_null() => Attempt::Done(Ok(data.clone())),
            _ => Attempt::Done(Err(RemoteError::Failed {
                // PAT's message for a reply without data: a retryable failure.
                message: "empty data".into(),
                permanent: false,
            })),
        }
    }

    /// `GET` of a REST path of the same instance (the GraphQL URL's `/public/graphql` replaced
    /// by `/public/<path>`… see [`rest_url`]), with the same retries; returns the JSON body.
    pub fn get_rest(&self, path_and_query: &str) -> Result<Value, RemoteError> {
        let url = rest_url(&self.url, path_and_query);
        let mut wait = self.timing.backoff;
        for attempt in 1..=ATTEMPTS {
            let result = self
                .agent
                .get(&url)
                .header("X-API-Key", self.token.expose())
                .call();
            let again = |error: RemoteError, after: Option<Duration>| (error, after);
            let (error, after) = match result {
                Err(e) => {
                    let dns_or_tls = matches!(
                        e,
                        ureq::Error::HostNotFound
                            | ureq::Error::Tls(_)
                            | ureq::Error::NativeTls(_)
                            | ureq::Error::Der(_)
                    );
                    let failure = match &e {
                        ureq::Error::HostNotFound => Failure::Dns,
                        ureq::Error::Timeout(_) => Failure::Timeout,
                        _ if dns_or_tls => Failure::Tls,
                        _ => Failure::Connection,
                    };
                    let error = RemoteError::Unreachable {
                        url: url.clone(),
                        failure,
                        message: e.to_string(),
                    };
                    if dns_or_tls {
                        return Err(error);
                    }
                    again(error, None)
                }
                Ok(mut reply) => {
                    let status = reply.status().as_u16();
                    let retry_after = reply
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let text = reply
                        .body_mut()
                        .with_config()
                        .limit(256 * 1024 * 1024)
                        .read_to_string()
                        .unwrap_or_default();
                    match status {
                        200..=299 => {
                            return serde_json::from_str(&text).map_err(|_| {
                                RemoteError::NotGraphQl {
                                    url: url.clone(),
                                    body: quote(&text),
                                }
                            })
                        }
                        401 | 403 => return Err(RemoteError::Unauthorized { url, status }),
                        429 | 500..=599 => again(
                            RemoteError::Http {
                                url: url.clone(),
                                status,
                                body: quote(&text),
                            },
                            retry_after,
                        ),
                        _ => {
                            return Err(RemoteError::Http {
                                url,
                                status,
                                body: quote(&text),
                            })
                        }
                    }
                }
            };
            if attempt == ATTEMPTS {
                return Err(error);
            }
            let pause = after.map_or(wait, |r| r.min(MAX_RETRY_AFTER));
            self.say(&format!(
                "{error}; trying again in {:.1} s",
                pause.as_secs_f64()
            ));
            std::thread::sleep(pause);
            wait *= 2;
        }
        unreachable!("the last attempt returns")
    }

    /// `GetVersion`: the instance's Panther version (`None` when the reply has none).
    pub fn panther_version(&self) -> Result<Option<String>, RemoteError> {
        let data = self.execute(super::ops::GET_VERSION, None)?;
        Ok(data
            .pointer("/generalSettings/pantherVersion")
            .and_then(Value::as_str)
            .map(str::to_owned))
    }
}

/// The REST endpoint beside a GraphQL endpoint: `…/public/graphql` becomes `…/<path>` at the
/// same origin (Panther serves both from its API host).
pub fn rest_url(graphql: &str, path_and_query: &str) -> String {
    let base = graphql
        .strip_suffix("/public/graphql")
        .or_else(|| graphql.strip_suffix("/graphql"))
        .unwrap_or(graphql)
        .trim_end_matches('/');
    format!("{base}/{}", path_and_query.trim_start_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_pats_rule_and_tokens_never_print() {
        assert_eq!(
            graphql_url("acme.runpanther.net"),
            "https://api.acme.runpanther.net/public/graphql"
        );
        assert_eq!(
            graphql_url("https://x.example/public/graphql"),
            "https://x.example/public/graphql"
        );
        assert_eq!(
            graphql_url("localhost:8080"),
            "https://api.localhost:8080/public/graphql"
        );
        assert_eq!(
            rest_url("https://api.x.example/public/graphql", "rules?limit=5"),
            "https://api.x.example/rules?limit=5"
        );
        let t = Token::new(" s3cret ").unwrap();
        assert_eq!(format!("{t:?}"), "<redacted>");
        assert!(Token::new("  ").is_none());
        assert!(quote(&"x".repeat(1000)).chars().count() <= QUOTED + 1);
    }
}
