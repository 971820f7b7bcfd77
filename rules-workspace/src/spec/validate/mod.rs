//! PAT's validation of analysis specs, reproduced: which files are specs, which are valid, and
//! for each invalid one PAT's exact message with our location, summary and hint.
//!
//! The layers run in PAT's order: the `schema`-library check (`schema_lib`), the ID and
//! duplicate-value checks, the JSON-Schema check (`json_schema`), and for scheduled queries the
//! SQL table-name check (`sql_tables`); `classify` drives them. Only the driver's types are
//! public: the layers are private to this module, so their shape can follow PAT's without
//! becoming an API.

mod classify;
mod json_schema;
mod schema_lib;
mod sql_tables;

pub use classify::{classify, classify_with, Classified, LoadFailure, SpecFile, ValidationOptions};
