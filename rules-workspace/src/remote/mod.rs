//! The remote side: what Prowl sends to a Panther instance, as PAT 1.6.3 sends it.
//!
//! For now the archive PAT's `zip` writes ([`zip`]) and the API client ([`client`]) with the
//! connection check; uploading, validation on the server, deletion and drift build on them.

pub mod client;
pub mod zip;
