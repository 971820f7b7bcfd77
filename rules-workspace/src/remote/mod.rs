//! The remote side: what Prowl sends to a Panther instance, as PAT 1.6.3 sends it.
//!
//! - [`zip`]: the archive PAT's `zip` writes and `upload` sends;
//! - [`client`]: the GraphQL client (time limits, retries, errors that never hold the token);
//! - [`ops`]: PAT's operations and flows (upload with polling and retries, validation,
//!   deletion in batches);
//! - [`profiles`]: named instances, their tokens in the system keyring;
//! - [`deploy`]: the upload's steps, shared by the CLI and the window;
//! - [`drift`]: what the instance has against what an upload would send.

pub mod client;
pub mod deploy;
pub mod drift;
pub mod ops;
pub mod profiles;
pub mod zip;
