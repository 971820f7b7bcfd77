//! The table of audit codes: one stable code per kind of finding, its severity, and the words
//! reports use for it. `docs/AUDIT.md` is this table for people; SARIF's `tool.driver.rules`
//! is this table for machines. A code never changes meaning; new kinds get new codes.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "AuditSeverity")] // a diagnostic's `Severity` has the name in TypeScript
pub enum Severity {
    /// Worth knowing; never blocks.
    Note,
    /// A reviewer should look before trusting the pack.
    Warning,
    /// The pack can harm the user, or hides what it does.
    Error,
}

impl Severity {
    /// SARIF's `level` for this severity.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }

    /// The word reports print.
    pub fn as_str(self) -> &'static str {
        self.sarif_level()
    }

    /// `error`, `warning` or `note`.
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "note" => Some(Severity::Note),
            _ => None,
        }
    }
}

macro_rules! codes {
    ($( $variant:ident = $code:literal, $name:literal, $severity:ident, $summary:literal, $help:literal; )*) => {
        /// A kind of finding, by its stable code (`PA101`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
        #[ts(rename = "AuditCode")] // a diagnostic's `Code` has the name in TypeScript
        pub enum Code {
            $(
                #[doc = $summary]
                #[serde(rename = $code)]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable code (`PA101`).
            pub fn id(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            /// A short kebab-case name (`network`), SARIF's `rule.name`.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name),* }
            }

            /// The severity every finding of this code has (findings in files no item uses
            /// are lowered to notes).
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity),* }
            }

            /// One line on what the code means.
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary),* }
            }

            /// Why it matters and what to check.
            pub fn help(self) -> &'static str {
                match self { $(Code::$variant => $help),* }
            }
        }
    };
}

codes! {
    Unparsable = "PA100", "not-analysed", Note,
        "A Python file could not be analysed.",
        "The file has a syntax error or is too large to parse; Prowl could not see what it does. PAT and Panther fail to load it too, unless it is never imported.";
    Network = "PA101", "network", Warning,
        "Code can open network connections.",
        "Sockets, HTTP clients (urllib, requests, http.client) and cloud SDK clients (boto3) can send your events or secrets anywhere. Check every destination.";
    Process = "PA102", "process", Error,
        "Code can start other programs.",
        "subprocess, os.system, os.popen, os.exec*/spawn*, pty: a detection never needs to start programs.";
    FileWrite = "PA103", "file-write", Warning,
        "Code can create, change or delete files.",
        "open() for writing, os.remove/rename/mkdir, shutil, pathlib writes: a detection never needs to change files.";
    FileRead = "PA104", "file-read", Warning,
        "Code reads files outside the pack.",
        "An absolute path, `~`, `..` or a computed path: the code may read files that are not part of the pack.";
    NativeCode = "PA105", "native-code", Error,
        "Code can load native code.",
        "ctypes and cffi call into C libraries, beyond what Python's audit hooks and the reader can see.";
    DynamicCode = "PA106", "dynamic-code", Error,
        "Code runs code a reader cannot see.",
        "eval, exec, compile, __import__ or importlib.import_module with a computed argument: what runs is decided at run time.";
    Deserialisation = "PA107", "unsafe-deserialisation", Warning,
        "Code deserialises data in a way that can run code.",
        "pickle, marshal, shelve, dill and yaml.load without a safe loader run code hidden in the data they read.";
    ComputedAttribute = "PA108", "computed-attribute", Warning,
        "Code reaches attributes or names a reader cannot see.",
        "getattr/setattr with a computed name, __dict__, __builtins__, __subclasses__, frames and globals() can reach anything, and are how sandbox escapes are written.";
    Obfuscation = "PA109", "decode-then-exec", Error,
        "Code decodes data and runs it.",
        "base64, zlib, codecs, bytes.fromhex or marshal output passed to exec, eval or compile hides what runs: treat the pack as hostile until the decoded code is read.";
    Environment = "PA110", "environment-read", Warning,
        "Code reads environment variables.",
        "os.environ and os.getenv can read tokens and credentials of the process the detection runs in.";
    SecretRead = "PA111", "secret-read", Error,
        "Code reads credential files or cloud credentials.",
        "Paths under ~/.ssh, ~/.aws, ~/.netrc, ~/.kube, private keys, or boto3's get_credentials(): a detection never needs them.";
    ShadowingHelper = "PA112", "helper-shadows-module", Error,
        "A global helper has the name of a standard or well-known module.",
        "Detections that import that module get the helper instead: the pack can change what every detection's `import json` (or `requests`, `boto3`) means.";
    MonkeyPatch = "PA113", "monkey-patch", Error,
        "Code changes another module or the import system.",
        "Assigning attributes of imported modules, sys.modules[...] =, builtins.x =, or changing sys.path/meta_path changes how every other detection behaves.";
    NeverAlerts = "PA201", "never-alerts", Warning,
        "A detection can never alert.",
        "Its rule() returns only constant false values (a policy: only constant true values), so it never raises an alert while looking enabled.";
    Disabled = "PA202", "disabled", Note,
        "A detection is disabled.",
        "Enabled: false: it is deployed but does not run. Check that this is intended.";
    Suppressed = "PA203", "suppressed", Warning,
        "A detection's alerts are suppressed by its dedup period or threshold.",
        "DedupPeriodMinutes above 1440 (a day) groups a day's alerts into one; Threshold above 1000 needs that many matches before any alert.";
    FiltersExcludeAll = "PA204", "filters-exclude-everything", Warning,
        "A detection's InlineFilters exclude every event.",
        "Filters that contradict each other, or exclude every log type the detection runs on: the detection never sees an event. Only cases that can be decided from the spec are reported (docs/AUDIT.md).";
    OutputIds = "PA205", "output-ids", Warning,
        "A detection sends its alerts to destinations of its choosing.",
        "OutputIds override where your alerts go: check that each destination is yours.";
    Destinations = "PA206", "destinations-function", Warning,
        "A detection chooses its alert destinations in code.",
        "A destinations() function decides where alerts go at run time, overriding your routing.";
    NoAlertingTest = "PA207", "no-alerting-test", Warning,
        "A detection has no test in which it alerts.",
        "No test with ExpectedResult: true (a policy: false): nothing shows that the detection ever fires.";
    NewRequirement = "PA301", "new-requirement", Warning,
        "The pack asks for a Python package your workspace does not.",
        "Installing a package runs its code; Prowl never installs a pack's requirements during an audit. Check the package before adding it.";
    ReplacesDetection = "PA302", "replaces-item", Warning,
        "An item of the pack would replace one of yours.",
        "The same ID with different content: adding the pack overwrites your version of it.";
    LargeData = "PA303", "large-embedded-data", Warning,
        "The pack embeds a large file or literal.",
        "Files above 1 MiB and string literals above 64 KiB can hide payloads or data copied from elsewhere.";
    OutsidePack = "PA304", "outside-pack", Error,
        "The pack reaches outside its own folder.",
        "A symbolic link or a Filename leading outside the pack makes Prowl and PAT read files that are not part of it.";
    InvalidSpec = "PA305", "invalid-spec", Note,
        "A spec is invalid and was not audited as an item.",
        "PAT refuses the spec, so its checks (tests, filters, routing) were not made.";
    AttemptNetwork = "PA401", "tried-network", Error,
        "A test tried to use the network (blocked by the sandbox).",
        "Recorded by the sandbox's audit hook while the pack's unit tests ran.";
    AttemptFile = "PA402", "tried-file", Error,
        "A test tried to open a file outside the pack or write one (blocked by the sandbox).",
        "Recorded by the sandbox's audit hook while the pack's unit tests ran.";
    AttemptProcess = "PA403", "tried-process", Error,
        "A test tried to start a program (blocked by the sandbox).",
        "Recorded by the sandbox's audit hook while the pack's unit tests ran.";
    AttemptNative = "PA404", "tried-native-code", Error,
        "A test loaded native code.",
        "Recorded by the sandbox's audit hook while the pack's unit tests ran.";
    AttemptGeneratedCode = "PA405", "tried-generated-code", Warning,
        "A test compiled or ran generated code.",
        "Recorded by the sandbox's audit hook while the pack's unit tests ran.";
    AttemptEnvironment = "PA406", "tried-environment", Warning,
        "A test read environment variables (the sandbox gives it none of yours).",
        "Recorded by the sandbox's audit hook while the pack's unit tests ran.";
    AttemptDeserialisation = "PA407", "tried-deserialisation", Warning,
        "A test deserialised data in a way that can run code.",
        "Recorded by the sandbox's audit hook while the pack's unit tests ran.";
    DynamicSkipped = "PA410", "not-run-dynamically", Warning,
        "The pack's tests were not run in the sandbox.",
        "The kernel refused the sandbox, or no Python environment was available: only the static findings are known.";
    MissingPackage = "PA411", "missing-package", Note,
        "A detection's tests could not run: a package is missing.",
        "Prowl runs a pack's tests in your environment (or Prowl's baseline) and never installs the pack's requirements, so what needs them is not run dynamically.";
    TestDidNotFinish = "PA412", "test-did-not-finish", Warning,
        "A detection's tests did not finish in the time allowed.",
        "The worker was stopped; a detection that never returns would stall Panther's processing too.";
}

impl Code {
    /// The code with this ID (`PA101`).
    pub fn parse(id: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.id() == id)
    }

    /// The code of an attempt the harness recorded (by its kind).
    pub fn for_attempt(kind: &str) -> Option<Code> {
        Some(match kind {
            "network" => Code::AttemptNetwork,
            "file" => Code::AttemptFile,
            "process" => Code::AttemptProcess,
            "native code" => Code::AttemptNative,
            "generated code" => Code::AttemptGeneratedCode,
            "environment" => Code::AttemptEnvironment,
            "deserialisation" => Code::AttemptDeserialisation,
            _ => return None,
        })
    }

    /// Found without running anything (from the syntax tree, the specs, the files).
    pub fn is_static(self) -> bool {
        self.id() < "PA400"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_stable_and_parse_back() {
        let mut ids: Vec<&str> = Code::ALL.iter().map(|c| c.id()).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate codes");
        for c in Code::ALL {
            assert_eq!(Code::parse(c.id()), Some(*c));
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::json!(c.id()),
                "serialised as its code"
            );
        }
        assert_eq!(Code::Network.id(), "PA101");
        assert!(Code::Network.is_static() && !Code::AttemptNetwork.is_static());
    }
}
