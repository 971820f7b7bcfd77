//! Deploying from a front end (the desktop's Deploy view): the profiles, a connection check,
//! the drift as a preview of the upload, the upload itself on the session's warm workers (the
//! same steps `prowl remote upload` takes: [`crate::remote::deploy`]) and deletion.
//!
//! The token never comes back: a profile says only whether the keyring holds one.

use super::{Session, SessionError, TestReport};
use crate::error::ErrorInfo;
use crate::filter::Filters;
use crate::remote::client::{graphql_url, Client, Notify, Token};
use crate::remote::deploy::{self, Event, Level, Stage, Unsupported, Uploaded};
use crate::remote::{drift, ops, profiles};
use serde::Serialize;
use std::sync::Arc;
use ts_rs::TS;

/// Whether the keyring holds a profile's token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    /// It does.
    InKeyring,
    /// It does not (`prowl remote login` again).
    Missing,
    /// The keyring could not be asked.
    KeyringUnavailable,
}

impl TokenState {
    /// As `prowl remote profiles` prints it.
    pub fn text(self) -> &'static str {
        match self {
            TokenState::InKeyring => "in keyring",
            TokenState::Missing => "none",
            TokenState::KeyringUnavailable => "keyring unavailable",
        }
    }
}

/// One profile.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProfileRow {
    /// Its name.
    pub name: String,
    /// The API host as given.
    pub api_host: String,
    /// The GraphQL URL it stands for.
    pub url: String,
    /// Whether it is the default one.
    pub default: bool,
    /// Whether its token is in the keyring.
    pub token: TokenState,
}

/// The profiles, and the instance PAT's environment variables name.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RemoteView {
    /// Every profile, by name.
    pub profiles: Vec<ProfileRow>,
    /// The URL `PANTHER_API_HOST` names when it and `PANTHER_API_TOKEN` are both set (used
    /// when no profile is chosen, as `prowl remote` does).
    pub from_environment: Option<String>,
    /// The file the profiles are kept in.
    pub config_file: String,
}

/// The profiles (and the environment's instance).
pub fn remote_view() -> Result<RemoteView, ErrorInfo> {
    let all = profiles::Profiles::load()?;
    let rows = all
        .profiles
        .iter()
        .map(|(name, p)| ProfileRow {
            name: name.clone(),
            api_host: p.api_host.clone(),
            url: graphql_url(&p.api_host),
            default: all.default.as_deref() == Some(name.as_str()),
            token: match profiles::load_token(name) {
                Ok(Some(_)) => TokenState::InKeyring,
                Ok(None) => TokenState::Missing,
                Err(_) => TokenState::KeyringUnavailable,
            },
        })
        .collect();
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let from_environment = match (env("PANTHER_API_HOST"), env("PANTHER_API_TOKEN")) {
        (Some(host), Some(_)) => Some(graphql_url(&host)),
        _ => None,
    };
    Ok(RemoteView {
        profiles: rows,
        from_environment,
        config_file: profiles::config_dir()
            .join("profiles.toml")
            .display()
            .to_string(),
    })
}

/// An instance that answered.
#[derive(Debug, Clone, Serialize, TS)]
#[ts(rename = "RemoteConnection")]
pub struct Connection {
    /// Its GraphQL URL.
    pub url: String,
    /// The profile used (none: PAT's environment variables).
    pub profile: Option<String>,
    /// The Panther version it reported.
    pub panther_version: Option<String>,
}

/// The client for a profile (`None`: PAT's environment variables, else the default profile).
pub fn client(profile: Option<&str>, notify: Option<Notify>) -> Result<Client, ErrorInfo> {
    let (host, token, _) = profiles::resolve(None, None, profile)?;
    let client = Client::new(&host, token);
    Ok(match notify {
        Some(n) => client.with_notify(n),
        None => client,
    })
}

/// Asks the instance for its version (PAT's `check-connection`).
pub fn check(profile: Option<&str>) -> Result<Connection, ErrorInfo> {
    let client = client(profile, None)?;
    let panther_version = client.panther_version().map_err(ErrorInfo::from)?;
    Ok(Connection {
        url: client.url().to_owned(),
        profile: profile.map(str::to_owned),
        panther_version,
    })
}

/// Keeps a profile: checks the token against the instance first (unless `check` is false),
/// then the host in the profiles file and the token in the keyring.
pub fn login(
    profile: &str,
    api_host: &str,
    token: &str,
    make_default: bool,
    check: bool,
) -> Result<Connection, ErrorInfo> {
    let token = Token::new(token).ok_or_else(|| {
        ErrorInfo::new("remote.no_token", "no API token was given").with_hint(
            "paste the token an administrator made in Panther's console (Settings → API Tokens)",
        )
    })?;
    let mut all = profiles::Profiles::load()?;
    // The name is checked before anything is sent.
    all.set(profile, api_host)?;
    let client = Client::new(api_host, token.clone());
    let panther_version = if check {
        client.panther_version().map_err(ErrorInfo::from)?
    } else {
        None
    };
    if make_default {
        all.default = Some(profile.to_owned());
    }
    profiles::store_token(profile, api_host, &token)?;
    all.save()?;
    Ok(Connection {
        url: client.url().to_owned(),
        profile: Some(profile.to_owned()),
        panther_version,
    })
}

/// Removes a profile's token from the keyring, and the profile too with `forget`.
pub fn logout(profile: &str, forget: bool) -> Result<(), ErrorInfo> {
    let mut all = profiles::Profiles::load()?;
    if !all.profiles.contains_key(profile) {
        return Err(profiles::ProfileError::Unknown(profile.to_owned()).into());
    }
    profiles::clear_token(profile)?;
    if forget {
        all.profiles.remove(profile);
        if all.default.as_deref() == Some(profile) {
            all.default = all.profiles.keys().next().cloned();
        }
        all.save()?;
    }
    Ok(())
}

/// The drift between the workspace and an instance.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DriftView {
    /// The instance's GraphQL URL.
    pub url: String,
    /// What differs.
    pub drift: drift::Drift,
}

/// What an upload from the window did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DeployOutcome {
    /// The instance's GraphQL URL.
    pub url: String,
    /// Selected items the instance cannot run (with the tests, they stop the upload; without,
    /// they are left out of it).
    pub unsupported: Vec<Unsupported>,
    /// The tests run first (none with `skip_tests`, or when the log types stopped the upload).
    pub tests: Option<TestReport>,
    /// The upload (none when something before it stopped it).
    pub uploaded: Option<Uploaded>,
    /// Every event, in order (PAT's log lines).
    pub events: Vec<Event>,
}

/// What a deletion found or did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DeleteOutcome {
    /// Only a dry run: nothing was deleted.
    pub dry_run: bool,
    /// Detections (and the saved queries linked to them).
    pub detections: ops::Deleted,
    /// Saved queries (and the detections linked to them).
    pub queries: ops::Deleted,
}

/// Deletes detections by ID and saved queries by name (PAT's `delete`), or with `dry_run`
/// says what would go.
pub fn delete(
    client: &Client,
    ids: &[String],
    query_names: &[String],
    dry_run: bool,
) -> Result<DeleteOutcome, ErrorInfo> {
    let detections = if ids.is_empty() {
        ops::Deleted::default()
    } else {
        ops::delete_detections(client, ids, dry_run).map_err(ErrorInfo::from)?
    };
    let queries = if query_names.is_empty() {
        ops::Deleted::default()
    } else {
        ops::delete_saved_queries(client, query_names, dry_run).map_err(ErrorInfo::from)?
    };
    Ok(DeleteOutcome {
        dry_run,
        detections,
        queries,
    })
}

impl Session {
    /// Uploads the whole workspace as `prowl remote upload` does: the tests first (what only
    /// the instance can run sent to it) unless `skip_tests`, then the archive.
    pub fn deploy(
        &mut self,
        client: Arc<Client>,
        skip_tests: bool,
        on: &mut dyn FnMut(&Event),
    ) -> Result<DeployOutcome, ErrorInfo> {
        let mut events = Vec::new();
        let outcome = self.deploy_steps(client, skip_tests, &mut |e: Event| {
            on(&e);
            events.push(e);
        });
        outcome.map(|mut o| {
            o.events = events;
            o
        })
    }

    fn deploy_steps(
        &mut self,
        client: Arc<Client>,
        skip_tests: bool,
        emit: &mut dyn FnMut(Event),
    ) -> Result<DeployOutcome, ErrorInfo> {
        let filters = Filters::default();
        let plan = deploy::plan(&client, &self.ws, &filters, false, emit)?;
        let mut outcome = DeployOutcome {
            url: client.url().to_owned(),
            unsupported: plan.unsupported.clone(),
            tests: None,
            uploaded: None,
            events: Vec::new(),
        };
        if !skip_tests {
            if !plan.unsupported.is_empty() {
                emit(Event {
                    stage: Stage::Done,
                    level: Level::Error,
                    text: format!(
                        "{} item(s) name log types the instance does not have, so nothing was uploaded",
                        plan.unsupported.len()
                    ),
                });
                return Ok(outcome);
            }
            emit(Event {
                stage: Stage::Testing,
                level: Level::Info,
                text: "running the unit tests".into(),
            });
            let options = crate::testing::TestOptions {
                path_label: self.ws.root.display().to_string(),
                local: true,
                fail_on_local: true,
                remote: Some(crate::testing::RemoteTests(Arc::clone(&client))),
                keep_warm: true,
                ..crate::testing::TestOptions::default()
            };
            let report = self
                .run_tests_with(&options, &mut |_| true)
                .map_err(|e: SessionError| ErrorInfo::from(e))?;
            let failed = report.exit_code != 0;
            outcome.tests = Some(report);
            if failed {
                emit(Event {
                    stage: Stage::Done,
                    level: Level::Error,
                    text: "the tests failed, so nothing was uploaded".into(),
                });
                return Ok(outcome);
            }
        }
        outcome.uploaded = Some(deploy::send(&client, &self.ws, &plan, 10, emit)?);
        Ok(outcome)
    }
}
