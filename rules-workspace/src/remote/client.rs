//! Panther's public GraphQL API, spoken as PAT 1.6.3 speaks it.
//!
//! - The endpoint: a host given with a scheme (`https://…`, `http://…`) is used as written;
//!   any other host becomes `https://api.<host>/public/graphql` (PAT's `_build_api_url`).
//! - Every operation is one `POST` of `{"query": …[, "variables": {"input": …}]}` with the
//!   token in `X-API-Key`; a JSON reply with `data` or `errors` is read as GraphQL whatever its
//!   HTTP status, as PAT's transport does.
//! - TLS comes from the system (OpenSSL and its certificate store).
//!
//! The token is held in a [`Token`], whose `Debug` and `Display` never show it, and no error
//! this module makes contains it.

use serde_json::{json, Value};
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

/// Why an operation failed. No variant carries the token.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// No token anywhere.
    #[error("no API token: give --api-token or set PANTHER_API_TOKEN")]
    NoToken,
    /// No host anywhere.
    #[error("no API host: give --api-host or set PANTHER_API_HOST")]
    NoHost,
    /// The server could not be reached (DNS, connection, TLS, timeout).
    #[error("could not reach {url}: {message}")]
    Unreachable {
        /// The endpoint.
        url: String,
        /// What failed.
        message: String,
    },
    /// An HTTP error without a GraphQL reply (401 for a bad token, 5xx, …).
    #[error("{url} answered HTTP {status}: {body}")]
    Http {
        /// The endpoint.
        url: String,
        /// The status code.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// The reply is not GraphQL.
    #[error("{url} did not return a GraphQL result: {body}")]
    NotGraphQl {
        /// The endpoint.
        url: String,
        /// The start of the body.
        body: String,
    },
    /// The server answered with GraphQL errors.
    #[error("the Panther API refused the request: {}", .0.join("; "))]
    GraphQl(Vec<String>),
}

impl crate::error::UserError for RemoteError {
    fn family(&self) -> &'static str {
        "remote"
    }

    fn name(&self) -> &'static str {
        match self {
            RemoteError::NoToken => "no_token",
            RemoteError::NoHost => "no_host",
            RemoteError::Unreachable { .. } => "unreachable",
            RemoteError::Http { .. } => "http",
            RemoteError::NotGraphQl { .. } => "not_graphql",
            RemoteError::GraphQl(_) => "graphql",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            RemoteError::Http { status: 401 | 403, .. } => Some(
                "check the API token (it needs the permissions the operation asks for) and the host"
                    .into(),
            ),
            RemoteError::Unreachable { .. } => Some(
                "check the host: a bare name becomes https://api.<host>/public/graphql; give a full URL to use it as written".into(),
            ),
            RemoteError::NoToken | RemoteError::NoHost => {
                Some("an API token is made in Panther's Console under Settings > API Tokens".into())
            }
            _ => None,
        }
    }
}

/// A client of one Panther instance.
pub struct Client {
    agent: ureq::Agent,
    url: String,
    token: Token,
}

/// The longest part of a body quoted in an error.
const QUOTED: usize = 300;

fn quote(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(QUOTED) {
        Some((i, _)) => format!("{}…", &body[..i]),
        None => body.to_owned(),
    }
}

impl Client {
    /// A client for `host` (see [`graphql_url`]) with `token`.
    pub fn new(host: &str, token: Token) -> Client {
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            // PAT's per-operation limit.
            .timeout_global(Some(Duration::from_secs(30)))
            .tls_config(tls)
            .user_agent(concat!("prowl/", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            url: graphql_url(host),
            token,
        }
    }

    /// The endpoint this client posts to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs one operation; `input` becomes the `$input` variable (PAT sends `variables` only
    /// when there is one). Returns the reply's `data`.
    pub fn execute(&self, query: &str, input: Option<Value>) -> Result<Value, RemoteError> {
        let body = match input {
            Some(input) => json!({"query": query, "variables": {"input": input}}),
            None => json!({"query": query}),
        };
        let unreachable = |e: ureq::Error| RemoteError::Unreachable {
            url: self.url.clone(),
            message: e.to_string(),
        };
        let mut reply = self
            .agent
            .post(&self.url)
            .header("X-API-Key", &self.token.0)
            .send_json(&body)
            .map_err(unreachable)?;
        let status = reply.status().as_u16();
        let text = reply
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_string()
            .map_err(unreachable)?;
        let parsed: Option<Value> = serde_json::from_str(&text).ok();
        let graphql = parsed
            .as_ref()
            .and_then(Value::as_object)
            .filter(|o| o.contains_key("data") || o.contains_key("errors"));
        let Some(reply) = graphql else {
            return Err(if status >= 400 {
                RemoteError::Http {
                    url: self.url.clone(),
                    status,
                    body: quote(&text),
                }
            } else {
                RemoteError::NotGraphQl {
                    url: self.url.clone(),
                    body: quote(&text),
                }
            });
        };
        if let Some(errors) = reply.get("errors").and_then(Value::as_array) {
            if !errors.is_empty() {
                return Err(RemoteError::GraphQl(
                    errors
                        .iter()
                        .map(|e| {
                            e.get("message")
                                .and_then(Value::as_str)
                                .map_or_else(|| e.to_string(), str::to_owned)
                        })
                        .collect(),
                ));
            }
        }
        match reply.get("data") {
            Some(data) if !data.is_null() => Ok(data.clone()),
            _ => Err(RemoteError::NotGraphQl {
                url: self.url.clone(),
                body: "a reply without data or errors".into(),
            }),
        }
    }

    /// `GetVersion`: the instance's Panther version (`None` when the reply has none).
    pub fn panther_version(&self) -> Result<Option<String>, RemoteError> {
        // PAT 1.6.3's query, as its GraphQL library prints it.
        const GET_VERSION: &str =
            "query GetVersion {\n  generalSettings {\n    pantherVersion\n  }\n}";
        let data = self.execute(GET_VERSION, None)?;
        Ok(data
            .pointer("/generalSettings/pantherVersion")
            .and_then(Value::as_str)
            .map(str::to_owned))
    }
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
        let t = Token::new(" s3cret ").unwrap();
        assert_eq!(format!("{t:?}"), "<redacted>");
        assert!(Token::new("  ").is_none());
        assert!(quote(&"x".repeat(1000)).chars().count() <= QUOTED + 1);
    }
}
