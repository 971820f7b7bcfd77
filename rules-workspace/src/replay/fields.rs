//! The standard `p_` fields a rule may read, and the table of log types they come from.
//!
//! Events exported from Panther's data lake arrive complete (`p_log_type`, `p_event_time`,
//! `p_row_id`, `p_any_*`, …) and are kept exactly as they are. A raw log gets its fields here:
//! `p_log_type` (from `--log-type`), `p_event_time` (from the log type's time field in
//! [`LOG_TYPES`], or `--time-field`), `p_parse_time` (when the replay started reading, one value
//! per run), `p_row_id` (a hash of the file and the record's offset, so that runs repeat),
//! `p_source_label` (from `--source-label`), and the `p_any_*` indicator fields from the
//! fields [`LOG_TYPES`] says hold IPs, domains, emails, usernames, ARNs, hashes. What Panther
//! derives beyond this table (its per-schema indicator tags for other log types, enrichment,
//! `p_source_id`, `p_udm`) is not derived; `docs/replay-fields.md` lists it all.
//!
//! Paths are dotted (`userIdentity.sessionContext.sessionIssuer.arn`); an array on the way is
//! looked into element by element (`resources.ARN`), and a key that is not found exactly is
//! looked up ignoring case, as Panther's rules see events.
//!
//! One file past 800 lines on purpose: most of it is the table and its tests, which read best
//! beside the code that walks it.

use super::time::EventTime;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::net::IpAddr;

/// A standard field Panther adds, holding the indicators of one kind found in an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnyField {
    /// `p_any_ip_addresses`.
    IpAddresses,
    /// `p_any_domain_names`.
    DomainNames,
    /// `p_any_emails`.
    Emails,
    /// `p_any_usernames`.
    Usernames,
    /// `p_any_aws_arns`.
    AwsArns,
    /// `p_any_aws_account_ids`.
    AwsAccountIds,
    /// `p_any_aws_instance_ids`.
    AwsInstanceIds,
    /// `p_any_aws_tags` (`key:value`).
    AwsTags,
    /// `p_any_md5_hashes`.
    Md5Hashes,
    /// `p_any_sha1_hashes`.
    Sha1Hashes,
    /// `p_any_sha256_hashes`.
    Sha256Hashes,
    /// `p_any_trace_ids`.
    TraceIds,
}

impl AnyField {
    /// Every kind, in the order of the enum.
    pub const ALL: [AnyField; 12] = [
        AnyField::IpAddresses,
        AnyField::DomainNames,
        AnyField::Emails,
        AnyField::Usernames,
        AnyField::AwsArns,
        AnyField::AwsAccountIds,
        AnyField::AwsInstanceIds,
        AnyField::AwsTags,
        AnyField::Md5Hashes,
        AnyField::Sha1Hashes,
        AnyField::Sha256Hashes,
        AnyField::TraceIds,
    ];

    /// The field's name in an event (`p_any_ip_addresses`).
    pub fn name(self) -> &'static str {
        match self {
            AnyField::IpAddresses => "p_any_ip_addresses",
            AnyField::DomainNames => "p_any_domain_names",
            AnyField::Emails => "p_any_emails",
            AnyField::Usernames => "p_any_usernames",
            AnyField::AwsArns => "p_any_aws_arns",
            AnyField::AwsAccountIds => "p_any_aws_account_ids",
            AnyField::AwsInstanceIds => "p_any_aws_instance_ids",
            AnyField::AwsTags => "p_any_aws_tags",
            AnyField::Md5Hashes => "p_any_md5_hashes",
            AnyField::Sha1Hashes => "p_any_sha1_hashes",
            AnyField::Sha256Hashes => "p_any_sha256_hashes",
            AnyField::TraceIds => "p_any_trace_ids",
        }
    }
}

/// What a field of a log type holds, and so which `p_any_*` field its value goes to (after a
/// check that it has that shape: an IP parses, an email has an `@`, an ARN starts `arn:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    /// An IPv4 or IPv6 address (anything else, such as `s3.amazonaws.com`, is left out).
    Ip,
    /// A domain name.
    Domain,
    /// An email address.
    Email,
    /// An email address when it looks like one, else a username (Okta's `alternateId`).
    EmailOrUsername,
    /// A username.
    Username,
    /// An AWS ARN; its account ID and an EC2 instance ID in it are collected too.
    AwsArn,
    /// A 12-digit AWS account ID.
    AwsAccountId,
    /// An EC2 instance ID (`i-…`).
    AwsInstanceId,
    /// An MD5 hash (32 hex digits).
    Md5,
    /// A SHA-1 hash (40 hex digits).
    Sha1,
    /// A SHA-256 hash (64 hex digits).
    Sha256,
    /// A trace or request ID.
    TraceId,
}

/// What replay knows of one log type: where its event time is and which fields hold
/// indicators.
#[derive(Debug)]
pub struct LogTypeFields {
    /// Panther's name for the log type (`AWS.CloudTrail`).
    pub log_type: &'static str,
    /// The event time's field(s), tried in order: the first one present is the time.
    pub time_fields: &'static [&'static str],
    /// Fields holding indicators.
    pub indicators: &'static [(&'static str, Indicator)],
    /// Free-form AWS objects searched as Panther's AWS extractor does: any string starting
    /// `arn:`, keys named `…instanceId`/`…accountId`, `tags` lists, `publicIp`,
    /// `privateIpAddress`, `ipAddressV4`, `ipv6Addresses`, `publicDnsName`, `privateDnsName`,
    /// `domain`.
    pub aws_objects: &'static [&'static str],
}

use Indicator::*;

/// The log types replay knows (see `docs/replay-fields.md`).
pub const LOG_TYPES: &[LogTypeFields] = &[
    LogTypeFields {
        log_type: "AWS.ALB",
        time_fields: &["timestamp"],
        indicators: &[
            ("clientIp", Ip),
            ("targetIp", Ip),
            ("domainName", Domain),
            ("targetGroupArn", AwsArn),
            ("chosenCertArn", AwsArn),
            ("traceId", TraceId),
        ],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "AWS.CloudTrail",
        time_fields: &["eventTime"],
        indicators: &[
            ("sourceIPAddress", Ip),
            ("userIdentity.arn", AwsArn),
            ("userIdentity.sessionContext.sessionIssuer.arn", AwsArn),
            ("resources.ARN", AwsArn),
            ("recipientAccountId", AwsAccountId),
            ("userIdentity.accountId", AwsAccountId),
            (
                "userIdentity.sessionContext.sessionIssuer.accountId",
                AwsAccountId,
            ),
            ("resources.accountId", AwsAccountId),
            ("userIdentity.userName", Username),
            (
                "userIdentity.sessionContext.sessionIssuer.userName",
                Username,
            ),
        ],
        aws_objects: &[
            "requestParameters",
            "responseElements",
            "additionalEventData",
            "serviceEventDetails",
            "userIdentity.sessionContext.webIdFederationData.attributes",
        ],
    },
    LogTypeFields {
        log_type: "AWS.CloudWatchEvents",
        time_fields: &["time"],
        indicators: &[("account", AwsAccountId), ("resources", AwsArn)],
        aws_objects: &["detail"],
    },
    LogTypeFields {
        log_type: "AWS.GuardDuty",
        time_fields: &["updatedAt", "createdAt"],
        indicators: &[("accountId", AwsAccountId), ("arn", AwsArn)],
        aws_objects: &["resource", "service"],
    },
    LogTypeFields {
        log_type: "AWS.S3ServerAccess",
        time_fields: &["time"],
        indicators: &[("remoteip", Ip), ("requester", AwsArn)],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "AWS.VPCDns",
        time_fields: &["query_timestamp"],
        indicators: &[
            ("srcaddr", Ip),
            ("query_name", Domain),
            ("account_id", AwsAccountId),
            ("srcids.instance", AwsInstanceId),
        ],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "AWS.VPCFlow",
        time_fields: &["start"],
        indicators: &[
            ("srcAddr", Ip),
            ("dstAddr", Ip),
            ("pktSrcAddr", Ip),
            ("pktDstAddr", Ip),
            ("account", AwsAccountId),
            ("instanceId", AwsInstanceId),
        ],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "AWS.WAFWebACL",
        time_fields: &["timestamp"],
        indicators: &[("httpRequest.clientIp", Ip), ("webaclId", AwsArn)],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "Box.Event",
        time_fields: &["created_at"],
        indicators: &[
            ("ip_address", Ip),
            ("created_by.login", Email),
            ("source.login", Email),
        ],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "Cloudflare.HttpRequest",
        time_fields: &["EdgeStartTimestamp"],
        indicators: &[
            ("ClientIP", Ip),
            ("OriginIP", Ip),
            ("ClientRequestHost", Domain),
        ],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "Crowdstrike.FDREvent",
        time_fields: &["timestamp"],
        indicators: &[
            ("aip", Ip),
            ("LocalAddressIP4", Ip),
            ("RemoteAddressIP4", Ip),
            ("LocalAddressIP6", Ip),
            ("RemoteAddressIP6", Ip),
            ("event.aip", Ip),
            ("event.LocalAddressIP4", Ip),
            ("event.RemoteAddressIP4", Ip),
            ("event.LocalAddressIP6", Ip),
            ("event.RemoteAddressIP6", Ip),
            ("DomainName", Domain),
            ("event.DomainName", Domain),
            ("UserName", Username),
            ("event.UserName", Username),
            ("MD5HashData", Md5),
            ("event.MD5HashData", Md5),
            ("SHA1HashData", Sha1),
            ("event.SHA1HashData", Sha1),
            ("SHA256HashData", Sha256),
            ("event.SHA256HashData", Sha256),
        ],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "Duo.Authentication",
        time_fields: &["isotimestamp", "timestamp"],
        indicators: &[("access_device.ip", Ip), ("user.name", Username)],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "GCP.AuditLog",
        time_fields: &["timestamp", "receiveTimestamp"],
        indicators: &[
            ("protoPayload.requestMetadata.callerIp", Ip),
            ("protoPayload.authenticationInfo.principalEmail", Email),
        ],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "GCP.HTTPLoadBalancer",
        time_fields: &["timestamp", "receiveTimestamp"],
        indicators: &[("httpRequest.remoteIp", Ip), ("httpRequest.serverIp", Ip)],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "GitHub.Audit",
        time_fields: &["@timestamp", "created_at"],
        indicators: &[("actor", Username), ("user", Username), ("actor_ip", Ip)],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "GSuite.Reports",
        time_fields: &["id.time"],
        indicators: &[("ipAddress", Ip), ("actor.email", Email)],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "Okta.SystemLog",
        time_fields: &["published"],
        indicators: &[
            ("client.ipAddress", Ip),
            ("request.ipChain.ip", Ip),
            ("actor.alternateId", EmailOrUsername),
            ("target.alternateId", EmailOrUsername),
        ],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "OneLogin.Events",
        time_fields: &["created_at"],
        indicators: &[
            ("ipaddr", Ip),
            ("user_name", Username),
            ("actor_user_name", Username),
        ],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "OnePassword.SignInAttempt",
        time_fields: &["timestamp"],
        indicators: &[("client.ip_address", Ip), ("target_user.email", Email)],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "Slack.AuditLogs",
        time_fields: &["date_create"],
        indicators: &[
            ("context.ip_address", Ip),
            ("actor.user.email", Email),
            ("entity.user.email", Email),
        ],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "Zendesk.Audit",
        time_fields: &["created_at"],
        indicators: &[("ip_address", Ip)],
        aws_objects: &[],
    },
    LogTypeFields {
        log_type: "Zoom.Activity",
        time_fields: &["time"],
        indicators: &[("ip_address", Ip), ("email", Email)],
        aws_objects: &[],
    },
];

/// The table's entry for a log type (exact name, as Panther spells it).
pub fn log_type_fields(log_type: &str) -> Option<&'static LogTypeFields> {
    LOG_TYPES.iter().find(|t| t.log_type == log_type)
}

/// A known log type whose name differs only in case (for a hint).
pub fn log_type_ignoring_case(log_type: &str) -> Option<&'static str> {
    LOG_TYPES
        .iter()
        .find(|t| t.log_type.eq_ignore_ascii_case(log_type))
        .map(|t| t.log_type)
}

/// A key of an object: exactly, else ignoring case.
fn get_key<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Calls `f` with every value at a dotted `path`, looking into arrays along the way and at the
/// end.
pub fn visit_path<'a>(value: &'a Value, path: &str, f: &mut dyn FnMut(&'a Value)) {
    match value {
        Value::Array(items) => {
            for item in items {
                visit_path(item, path, f);
            }
        }
        _ if path.is_empty() => f(value),
        Value::Object(map) => {
            let (head, rest) = path.split_once('.').unwrap_or((path, ""));
            if let Some(v) = get_key(map, head) {
                visit_path(v, rest, f);
            }
        }
        _ => {}
    }
}

/// The first non-null value at a field of an event: the whole name as one key first (a key
/// may hold a dot), then as a dotted path.
pub fn field<'a>(event: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = get_key(event, path).filter(|v| !v.is_null()) {
        return Some(v);
    }
    let (head, rest) = path.split_once('.')?;
    let mut found = None;
    visit_path(get_key(event, head)?, rest, &mut |v| {
        if found.is_none() && !v.is_null() {
            found = Some(v);
        }
    });
    found
}

/// The indicators found in one event, by kind, each sorted and without duplicates.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Indicators {
    sets: [BTreeSet<String>; AnyField::ALL.len()],
}

impl Indicators {
    /// The values of one kind.
    pub fn get(&self, kind: AnyField) -> &BTreeSet<String> {
        &self.sets[kind as usize]
    }

    fn add(&mut self, kind: AnyField, value: &str) {
        if !self.sets[kind as usize].contains(value) {
            self.sets[kind as usize].insert(value.to_owned());
        }
    }

    /// Adds `value` as an indicator of `what`, when it has that shape.
    pub fn add_checked(&mut self, what: Indicator, value: &str) {
        let v = value.trim();
        if v.is_empty() {
            return;
        }
        match what {
            Ip => {
                if v.parse::<IpAddr>().is_ok() {
                    self.add(AnyField::IpAddresses, v);
                }
            }
            Domain => {
                if v.len() <= 253 && !v.contains(char::is_whitespace) && !v.contains('/') {
                    self.add(AnyField::DomainNames, v);
                }
            }
            Email => {
                if is_email(v) {
                    self.add(AnyField::Emails, v);
                }
            }
            EmailOrUsername => {
                if is_email(v) {
                    self.add(AnyField::Emails, v);
                } else {
                    self.add(AnyField::Usernames, v);
                }
            }
            Username => self.add(AnyField::Usernames, v),
            AwsArn => self.add_arn(v),
            AwsAccountId => {
                if is_account_id(v) {
                    self.add(AnyField::AwsAccountIds, v);
                }
            }
            AwsInstanceId => {
                if v.starts_with("i-") {
                    self.add(AnyField::AwsInstanceIds, v);
                }
            }
            Md5 => self.add_hash(AnyField::Md5Hashes, v, 32),
            Sha1 => self.add_hash(AnyField::Sha1Hashes, v, 40),
            Sha256 => self.add_hash(AnyField::Sha256Hashes, v, 64),
            TraceId => self.add(AnyField::TraceIds, v),
        }
    }

    fn add_hash(&mut self, kind: AnyField, v: &str, len: usize) {
        if v.len() == len && v.bytes().all(|b| b.is_ascii_hexdigit()) {
            self.add(kind, v);
        }
    }

    /// `arn:partition:service:region:account-id:resource`; its account ID and an EC2
    /// instance ID (`instance/i-…`) are indicators too.
    fn add_arn(&mut self, v: &str) {
        let parts: Vec<&str> = v.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2].is_empty() {
            return;
        }
        self.add(AnyField::AwsArns, v);
        if is_account_id(parts[4]) {
            self.add(AnyField::AwsAccountIds, parts[4]);
        }
        if let Some(rest) = parts[5].strip_prefix("instance/") {
            let id = rest.rsplit('/').next().unwrap_or_default();
            if id.starts_with("i-") && id.len() > 2 {
                self.add(AnyField::AwsInstanceIds, id);
            }
        }
    }

    /// Searches a free-form AWS object as Panther's AWS extractor does (see
    /// [`LogTypeFields::aws_objects`]).
    pub fn scan_aws_object(&mut self, value: &Value) {
        match value {
            Value::Array(items) => items.iter().for_each(|v| self.scan_aws_object(v)),
            Value::Object(map) => {
                for (key, v) in map {
                    self.scan_aws_pair(key, v);
                    if v.is_object() || v.is_array() {
                        self.scan_aws_object(v);
                    }
                }
            }
            _ => {}
        }
    }

    fn scan_aws_pair(&mut self, key: &str, value: &Value) {
        if let Value::String(s) = value {
            if s.starts_with("arn:") {
                self.add_arn(s);
                return;
            }
            if key == "instanceId" || key.ends_with("InstanceId") {
                self.add_checked(AwsInstanceId, s);
            } else if key == "accountId" || key.ends_with("AccountId") {
                self.add_checked(AwsAccountId, s);
            } else if matches!(key, "publicIp" | "privateIpAddress" | "ipAddressV4") {
                self.add_checked(Ip, s);
            } else if matches!(key, "publicDnsName" | "privateDnsName" | "domain") {
                self.add_checked(Domain, s);
            }
            return;
        }
        if let Value::Array(items) = value {
            if key == "tags" {
                for tag in items.iter().filter_map(Value::as_object) {
                    let k = get_key(tag, "key").and_then(Value::as_str);
                    let v = get_key(tag, "value").and_then(Value::as_str);
                    if let (Some(k), Some(v)) = (k, v) {
                        self.add(AnyField::AwsTags, &format!("{k}:{v}"));
                    }
                }
            } else if key == "ipv6Addresses" {
                for ip in items.iter().filter_map(Value::as_str) {
                    self.add_checked(Ip, ip);
                }
            }
        }
    }

    /// The indicators of one event of a known log type.
    pub fn of_event(event: &Map<String, Value>, fields: &LogTypeFields) -> Indicators {
        let mut found = Indicators::default();
        let root = EventRef(event);
        for (path, what) in fields.indicators {
            root.visit(path, &mut |v| {
                if let Some(s) = v.as_str() {
                    found.add_checked(*what, s);
                }
            });
        }
        for path in fields.aws_objects {
            root.visit(path, &mut |v| found.scan_aws_object(v));
        }
        found
    }
}

/// An event's top-level object seen as the root of paths.
struct EventRef<'a>(&'a Map<String, Value>);

impl<'a> EventRef<'a> {
    fn visit(&self, path: &str, f: &mut dyn FnMut(&'a Value)) {
        let (head, rest) = path.split_once('.').unwrap_or((path, ""));
        if let Some(v) = get_key(self.0, head) {
            visit_path(v, rest, f);
        }
    }
}

fn is_email(v: &str) -> bool {
    match v.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !v.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn is_account_id(v: &str) -> bool {
    v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit())
}

/// Why an event could not be completed: it is reported as a problem and not replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incomplete {
    /// No `p_log_type` in the event and no `--log-type`.
    NoLogType,
    /// A resource without `ResourceType` (or `resourceType`), read without `--resource-type`.
    NoResourceType,
    /// A log type the table does not know, on an event without `p_event_time`, and no
    /// `--time-field`.
    UnknownLogType(String),
    /// No usable time: the field is missing, or its value is not a time.
    NoTime {
        /// The field(s) looked at.
        fields: String,
        /// The value found, when there was one (shortened).
        found: Option<String>,
    },
}

/// How raw events are completed (the same for every event of a read).
#[derive(Debug, Clone, Default)]
pub struct Completion {
    /// The log type of events without `p_log_type` (`--log-type`).
    pub log_type: Option<String>,
    /// The time field of events without `p_event_time`, instead of the table's (`--time-field`).
    pub time_field: Option<String>,
    /// `p_source_label` for events without one (`--source-label`).
    pub source_label: Option<String>,
    /// `p_parse_time` for events without one, in Panther's format.
    pub parse_time: String,
    /// The records are not log events but rows of a scheduled query's result, or cloud
    /// resources (see [`Rows`]).
    pub rows: Option<Rows>,
    /// The time of rows without one: the read's start (as `parse_time`).
    pub now: Option<EventTime>,
    /// Keep lake exports as text (see [`ReadOptions::raw_exports`](super::ReadOptions)).
    pub raw_exports: bool,
}

/// What non-log records are, and how they are routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rows {
    /// Rows of the result of this scheduled query (`--query-results QUERY=FILE`): they go to
    /// the scheduled rules running on it, with the route `query:QUERY`.
    Query(String),
    /// Cloud resources (`--resources FILE`): each goes to the policies of its `ResourceType`
    /// (`resourceType`, else `--resource-type`), with the route `resource:TYPE`.
    Resources,
}

/// The route key of a scheduled query's rows.
pub fn query_route(query: &str) -> String {
    format!("query:{query}")
}

/// The route key of a resource type.
pub fn resource_route(resource_type: &str) -> String {
    format!("resource:{resource_type}")
}

/// A row or resource as it is given: nothing is added to it (Panther hands query rows and
/// resources to detections as they are). Its time is its `p_event_time` when it has one, else
/// the `--time-field`'s value, else the read's start.
fn complete_row(
    event: &Map<String, Value>,
    how: &Completion,
    rows: &Rows,
) -> Result<(String, EventTime), Incomplete> {
    let route = match rows {
        Rows::Query(q) => query_route(q),
        Rows::Resources => {
            let own = ["ResourceType", "resourceType"]
                .iter()
                .find_map(|k| event.get(*k).and_then(Value::as_str));
            match (own, &how.log_type) {
                (Some(t), _) => resource_route(t),
                (None, Some(t)) => resource_route(t),
                (None, None) => return Err(Incomplete::NoResourceType),
            }
        }
    };
    let found = match &how.time_field {
        Some(f) => field(event, f),
        None => event.get("p_event_time").filter(|v| !v.is_null()),
    };
    let time = match found {
        Some(v) => EventTime::from_json(v).ok_or_else(|| Incomplete::NoTime {
            fields: how
                .time_field
                .clone()
                .unwrap_or_else(|| "p_event_time".into()),
            found: Some(shorten(v)),
        })?,
        None => how.now.unwrap_or_else(EventTime::now),
    };
    Ok((route, time))
}

/// Adds the standard fields an event lacks (see the module header) and returns its log type
/// and event time. `row_id` is called only when the event has no `p_row_id`.
///
/// An event that came with `p_event_time` is a lake export: nothing is derived for it, only
/// `p_parse_time`, `p_row_id` and `p_source_label` are added when missing.
pub fn complete(
    event: &mut Map<String, Value>,
    how: &Completion,
    row_id: impl FnOnce() -> String,
) -> Result<(String, EventTime), Incomplete> {
    if let Some(rows) = &how.rows {
        return complete_row(event, how, rows);
    }
    let own_log_type = event.get("p_log_type").and_then(Value::as_str);
    let has_log_type = own_log_type.is_some();
    let log_type = match (own_log_type, &how.log_type) {
        (Some(t), _) => t.to_owned(),
        (None, Some(t)) => t.clone(),
        (None, None) => return Err(Incomplete::NoLogType),
    };
    let exported = event.get("p_event_time").filter(|v| !v.is_null());
    let time = match exported {
        Some(v) => EventTime::from_json(v).ok_or_else(|| Incomplete::NoTime {
            fields: "p_event_time".to_owned(),
            found: Some(shorten(v)),
        })?,
        None => {
            let table = log_type_fields(&log_type);
            let fields: Vec<&str> = match (&how.time_field, table) {
                (Some(f), _) => vec![f.as_str()],
                (None, Some(t)) => t.time_fields.to_vec(),
                (None, None) => return Err(Incomplete::UnknownLogType(log_type)),
            };
            let found = fields.iter().find_map(|f| field(event, f));
            let time = found.and_then(EventTime::from_json);
            let Some(time) = time else {
                return Err(Incomplete::NoTime {
                    fields: fields.join(", "),
                    found: found.map(shorten),
                });
            };
            if let Some(t) = table {
                let indicators = Indicators::of_event(event, t);
                for kind in AnyField::ALL {
                    let set = indicators.get(kind);
                    if !set.is_empty() && !event.contains_key(kind.name()) {
                        let values = set.iter().cloned().map(Value::String).collect();
                        event.insert(kind.name().to_owned(), Value::Array(values));
                    }
                }
            }
            event.insert("p_event_time".to_owned(), Value::String(time.to_panther()));
            time
        }
    };
    if !has_log_type {
        event.insert("p_log_type".to_owned(), Value::String(log_type.clone()));
    }
    if !event.contains_key("p_parse_time") {
        event.insert(
            "p_parse_time".to_owned(),
            Value::String(how.parse_time.clone()),
        );
    }
    if !event.contains_key("p_row_id") {
        event.insert("p_row_id".to_owned(), Value::String(row_id()));
    }
    if let Some(label) = &how.source_label {
        if !event.contains_key("p_source_label") {
            event.insert("p_source_label".to_owned(), Value::String(label.clone()));
        }
    }
    Ok((log_type, time))
}

/// A value as a short piece of text for a problem report.
fn shorten(v: &Value) -> String {
    let mut s = v.to_string();
    if s.len() > 80 {
        let mut cut = 77;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// A row ID that is the same on every run over the same input: 32 hex digits hashed from the
/// file's name and the record's byte offset (two 64-bit FNV-1a hashes with different seeds).
pub fn row_id(file: &str, offset: u64) -> String {
    fn fnv(seed: u64, parts: &[&[u8]]) -> u64 {
        let mut h = seed;
        for part in parts {
            for b in *part {
                h ^= u64::from(*b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            h ^= 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    }
    let parts: [&[u8]; 2] = [file.as_bytes(), &offset.to_le_bytes()];
    let a = fnv(0xcbf2_9ce4_8422_2325, &parts);
    let b = fnv(0x6c62_272e_07bb_0142, &parts);
    format!("{a:016x}{b:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn how(log_type: Option<&str>) -> Completion {
        Completion {
            log_type: log_type.map(str::to_owned),
            time_field: None,
            source_label: Some("replay".into()),
            parse_time: "2024-05-01 00:00:00.000000000".into(),
            rows: None,
            now: None,
            raw_exports: false,
        }
    }

    #[test]
    fn every_log_type_is_listed_once() {
        let mut names: Vec<&str> = LOG_TYPES.iter().map(|t| t.log_type).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), LOG_TYPES.len());
        assert!(LOG_TYPES.iter().all(|t| !t.time_fields.is_empty()));
    }

    #[test]
    fn arns_bring_their_account_and_instance() {
        let mut i = Indicators::default();
        i.add_checked(
            AwsArn,
            "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc123",
        );
        i.add_checked(AwsArn, "arn:aws:s3:::bucket");
        i.add_checked(AwsArn, "not:an:arn");
        assert_eq!(
            i.get(AnyField::AwsArns).iter().collect::<Vec<_>>(),
            [
                "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc123",
                "arn:aws:s3:::bucket"
            ]
        );
        assert!(i.get(AnyField::AwsAccountIds).contains("123456789012"));
        assert!(i.get(AnyField::AwsInstanceIds).contains("i-0abc123"));
    }

    #[test]
    fn only_well_shaped_values_become_indicators() {
        let mut i = Indicators::default();
        i.add_checked(Ip, "s3.amazonaws.com");
        i.add_checked(Ip, " 10.0.0.1 ");
        i.add_checked(Ip, "2001:db8::1");
        i.add_checked(Email, "not an email");
        i.add_checked(EmailOrUsername, "alice@example.com");
        i.add_checked(EmailOrUsername, "bob");
        i.add_checked(AwsAccountId, "12345");
        i.add_checked(Md5, "d41d8cd98f00b204e9800998ecf8427e");
        i.add_checked(Md5, "xyz");
        assert_eq!(
            i.get(AnyField::IpAddresses).iter().collect::<Vec<_>>(),
            ["10.0.0.1", "2001:db8::1"]
        );
        assert_eq!(
            i.get(AnyField::Emails).iter().collect::<Vec<_>>(),
            ["alice@example.com"]
        );
        assert_eq!(
            i.get(AnyField::Usernames).iter().collect::<Vec<_>>(),
            ["bob"]
        );
        assert!(i.get(AnyField::AwsAccountIds).is_empty());
        assert_eq!(i.get(AnyField::Md5Hashes).len(), 1);
    }

    #[test]
    fn the_aws_extractor_finds_arns_ids_tags_and_addresses_anywhere() {
        let mut i = Indicators::default();
        i.scan_aws_object(&json!({
            "instancesSet": {"items": [{"instanceId": "i-1", "ownerAccountId": "111122223333"}]},
            "roleArn": "arn:aws:iam::444455556666:role/x",
            "tags": [{"key": "env", "value": "prod"}],
            "networkInterfaces": [{"privateIpAddress": "10.1.2.3", "ipv6Addresses": ["::1"], "privateDnsName": "ip-10-1-2-3.ec2.internal"}]
        }));
        assert!(i.get(AnyField::AwsInstanceIds).contains("i-1"));
        assert_eq!(
            i.get(AnyField::AwsAccountIds).iter().collect::<Vec<_>>(),
            ["111122223333", "444455556666"]
        );
        assert!(i.get(AnyField::AwsTags).contains("env:prod"));
        assert_eq!(
            i.get(AnyField::IpAddresses).iter().collect::<Vec<_>>(),
            ["10.1.2.3", "::1"]
        );
        assert!(i
            .get(AnyField::DomainNames)
            .contains("ip-10-1-2-3.ec2.internal"));
    }

    #[test]
    fn paths_look_into_arrays_and_ignore_case_when_they_must() {
        let e = obj(json!({"Resources": [{"arn": "a"}, {"ARN": "b"}], "x.y": 1, "x": {"y": 2}}));
        let mut got = Vec::new();
        EventRef(&e).visit("resources.ARN", &mut |v| got.push(v.clone()));
        assert_eq!(got, [json!("a"), json!("b")]);
        assert_eq!(field(&e, "x.y"), Some(&json!(1)), "a dotted key wins");
        assert_eq!(field(&e, "Resources.arn"), Some(&json!("a")));
    }

    #[test]
    fn a_raw_event_gets_every_standard_field() {
        let mut e = obj(json!({"published": "2024-01-02T03:04:05.678Z",
            "client": {"ipAddress": "1.2.3.4"}, "actor": {"alternateId": "a@b.co"}}));
        let (t, time) = complete(&mut e, &how(Some("Okta.SystemLog")), || "row".into()).unwrap();
        assert_eq!(t, "Okta.SystemLog");
        assert_eq!(time.to_panther(), "2024-01-02 03:04:05.678000000");
        assert_eq!(e["p_event_time"], "2024-01-02 03:04:05.678000000");
        assert_eq!(e["p_log_type"], "Okta.SystemLog");
        assert_eq!(e["p_row_id"], "row");
        assert_eq!(e["p_parse_time"], "2024-05-01 00:00:00.000000000");
        assert_eq!(e["p_source_label"], "replay");
        assert_eq!(e["p_any_ip_addresses"], json!(["1.2.3.4"]));
        assert_eq!(e["p_any_emails"], json!(["a@b.co"]));
    }

    #[test]
    fn a_lake_export_keeps_its_fields_and_gets_nothing_derived() {
        let original = json!({"p_log_type": "Okta.SystemLog", "p_event_time": "2024-01-02 03:04:05.000000000",
            "p_row_id": "abc", "p_parse_time": "2024-01-02 03:05:00.000000000", "p_source_label": "prod",
            "published": "1999-01-01T00:00:00Z", "client": {"ipAddress": "1.2.3.4"}});
        let mut e = obj(original.clone());
        let (_, time) = complete(&mut e, &how(Some("AWS.CloudTrail")), || {
            unreachable!("has a row id")
        })
        .unwrap();
        assert_eq!(time.to_panther(), "2024-01-02 03:04:05.000000000");
        assert_eq!(Value::Object(e), original);
    }

    #[test]
    fn what_cannot_be_completed_says_why() {
        let no = |v: Value, h: &Completion| complete(&mut obj(v), h, || "r".into()).unwrap_err();
        assert_eq!(no(json!({"a": 1}), &how(None)), Incomplete::NoLogType);
        assert_eq!(
            no(json!({"a": 1}), &how(Some("Custom.Thing"))),
            Incomplete::UnknownLogType("Custom.Thing".into())
        );
        assert_eq!(
            no(json!({"eventTime": "soon"}), &how(Some("AWS.CloudTrail"))),
            Incomplete::NoTime {
                fields: "eventTime".into(),
                found: Some("\"soon\"".into())
            }
        );
        let mut with_field = how(Some("Custom.Thing"));
        with_field.time_field = Some("meta.when".into());
        let mut e = obj(json!({"meta": {"when": 1_700_000_000}}));
        let (_, t) = complete(&mut e, &with_field, || "r".into()).unwrap();
        assert_eq!(t.to_panther(), "2023-11-14 22:13:20.000000000");
        assert!(!e.contains_key("p_any_ip_addresses"));
    }

    #[test]
    fn row_ids_repeat_for_the_same_place_and_differ_elsewhere() {
        assert_eq!(row_id("a.json", 10), row_id("a.json", 10));
        assert_ne!(row_id("a.json", 10), row_id("a.json", 11));
        assert_ne!(row_id("a.json", 10), row_id("b.json", 10));
        assert_eq!(row_id("a.json", 10).len(), 32);
    }
}
