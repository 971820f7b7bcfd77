//! The run's package and its shares: the inputs listed and cut into shares, the workspace's
//! files and Prowl's modules staged for the runtime environment, and the pinned requirements.

use super::ClusterError;
use crate::engine::messages::Request;
use crate::replay::run::{ReplayOptions, ReplayPlan, RouteTable};
use crate::replay::share::{ShareFile, ShareJob, ShareRead};
use crate::replay::{ReadOptions, ReplayError};
use std::collections::BTreeSet;
use std::path::Path;

/// One share and what it covers, for the report when it fails.
pub(super) struct Share {
    pub(super) job: ShareJob,
    pub(super) place: String,
    pub(super) bytes: u64,
}

/// The files of a replay's inputs, in the order a local replay reads them, with their groups.
pub(super) struct Listed {
    pub(super) files: Vec<(crate::replay::SourceFile, usize)>,
    pub(super) reads: Vec<ReadOptions>,
    pub(super) problems: Vec<crate::replay::Problem>,
}

pub(super) fn list(
    sources: crate::replay::Sources,
    options: &ReplayOptions,
) -> Result<Listed, ReplayError> {
    let groups = crate::replay::run::input_groups(sources, options)?;
    let mut listed = Listed {
        files: Vec::new(),
        reads: Vec::new(),
        problems: Vec::new(),
    };
    for (i, (sources, read)) in groups.into_iter().enumerate() {
        listed.problems.extend(sources.problems);
        listed
            .files
            .extend(sources.files.into_iter().map(|f| (f, i)));
        listed.reads.push(read);
    }
    Ok(listed)
}

/// Cuts the inputs into shares of about `share_bytes`: a large JSON-lines file into byte
/// ranges, small files packed together in order.
pub(super) fn shares(
    listed: &Listed,
    reads: &[ShareRead],
    routes: &RouteTable,
    options: &ReplayOptions,
    share_bytes: u64,
) -> Result<Vec<Share>, ClusterError> {
    let share_bytes = share_bytes.max(1);
    let mut out: Vec<Share> = Vec::new();
    let job = |files: Vec<ShareFile>| ShareJob {
        files,
        reads: reads.to_vec(),
        routes: routes.clone(),
        batch_events: options.batch_events.max(1),
        keep_events: options.keep_events,
    };
    let mut pack: Vec<ShareFile> = Vec::new();
    let mut pack_bytes = 0u64;
    let flush = |pack: &mut Vec<ShareFile>, pack_bytes: &mut u64, out: &mut Vec<Share>| {
        if pack.is_empty() {
            return;
        }
        let first = pack.first().map(|f| f.name.clone()).unwrap_or_default();
        let place = if pack.len() == 1 {
            first
        } else {
            format!("{first} and {} more files", pack.len() - 1)
        };
        out.push(Share {
            job: job(std::mem::take(pack)),
            place,
            bytes: std::mem::take(pack_bytes),
        });
    };
    for (number, (file, group)) in listed.files.iter().enumerate() {
        let path = match &file.input {
            crate::replay::Input::File(p) => p,
            crate::replay::Input::Stdin => {
                return Err(ClusterError::Input {
                    what: "standard input cannot be replayed on a cluster: the nodes read the inputs themselves".into(),
                })
            }
        };
        // An object in S3 is downloaded whole by its task.
        let remote = path.to_str().is_some_and(|p| p.starts_with("s3://"));
        let absolute = if remote {
            path.clone()
        } else {
            std::path::absolute(path).unwrap_or_else(|_| path.clone())
        };
        let size = file.size.unwrap_or(0);
        let base = ShareFile {
            path: absolute.display().to_string(),
            name: file.name.to_string(),
            number: number as u64,
            size: file.size,
            range: None,
            group: *group,
        };
        let split =
            !remote && size > share_bytes && crate::replay::splittable(path).unwrap_or(false);
        if split {
            flush(&mut pack, &mut pack_bytes, &mut out);
            let mut start = 0;
            while start < size {
                let end = (start + share_bytes).min(size);
                out.push(Share {
                    job: job(vec![ShareFile {
                        range: Some((start, end)),
                        ..base.clone()
                    }]),
                    place: format!("{} (bytes {start}–{end})", file.name),
                    bytes: end - start,
                });
                start = end;
            }
            continue;
        }
        if pack_bytes + size > share_bytes && !pack.is_empty() {
            flush(&mut pack, &mut pack_bytes, &mut out);
        }
        pack_bytes += size;
        pack.push(base);
    }
    flush(&mut pack, &mut pack_bytes, &mut out);
    Ok(out)
}

/// The files a replay's detections load, copied under `dir/ws`, and the load request and
/// detections with paths relative to it.
pub(super) fn stage_workspace(
    root: &Path,
    dir: &Path,
    load: &Request,
    plan: &ReplayPlan,
) -> std::io::Result<(serde_json::Value, serde_json::Value)> {
    let mut load = serde_json::to_value(load)?;
    if let Some(obj) = load.as_object_mut() {
        obj.remove("op");
        obj.remove("replay");
        obj.insert("root".into(), serde_json::Value::String("ws".into()));
    }
    let mut specs = serde_json::to_value(plan.requests())?;
    let prefix = format!("{}/", root.display());
    let mut files: BTreeSet<String> = BTreeSet::new();
    fn walk(v: &mut serde_json::Value, prefix: &str, files: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    if matches!(k.as_str(), "path" | "spec_path") {
                        if let serde_json::Value::String(s) = v {
                            if let Some(rel) = s.strip_prefix(prefix) {
                                files.insert(rel.to_owned());
                                *s = rel.to_owned();
                            } else if Path::new(s.as_str()).is_relative() {
                                // Relative to the workspace, as PAT names them (`./rules/…`).
                                files.insert(s.trim_start_matches("./").to_owned());
                            }
                        }
                    } else {
                        walk(v, prefix, files);
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for v in items {
                    walk(v, prefix, files);
                }
            }
            _ => {}
        }
    }
    walk(&mut load, &prefix, &mut files);
    walk(&mut specs, &prefix, &mut files);
    let ws = dir.join("ws");
    for rel in &files {
        let from = root.join(rel);
        if !from.is_file() {
            continue;
        }
        let to = ws.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&from, &to)?;
    }
    std::fs::create_dir_all(&ws)?;
    Ok((load, specs))
}

/// Prowl's modules and `prowl-read` (when given), beside the workspace in the package.
pub(super) fn stage_prowl(dir: &Path, reader: Option<&Path>) -> Result<(), ClusterError> {
    let io = |what: &str, e: std::io::Error| ClusterError::Start {
        what: what.to_owned(),
        message: e.to_string(),
    };
    for (name, text) in crate::engine::python_modules() {
        std::fs::write(dir.join(name), text).map_err(|e| io("the run's package", e))?;
    }
    if let Some(reader) = reader {
        std::fs::copy(reader, dir.join("prowl-read")).map_err(|e| ClusterError::NoReader {
            path: reader.to_path_buf(),
            message: e.to_string(),
        })?;
    }
    Ok(())
}

/// The workspace environment's packages, pinned, for the nodes (not Ray and the installers).
pub(super) fn pinned_requirements(root: &Path) -> Result<(String, Vec<String>), ClusterError> {
    let env = crate::env::PythonEnv::for_workspace(root);
    let manifest = env.manifest().ok_or(ClusterError::NoEnvironment)?;
    // The Python the pins are for; `PROWL_CLUSTER_EXPECT_PYTHON` asks for another (the tests
    // check the refusal of nodes on the wrong Python with it: these machines have only 3.11).
    let python = std::env::var("PROWL_CLUSTER_EXPECT_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or(manifest.python);
    let skip = ["ray", "pip", "setuptools", "wheel", "uv"];
    let pins = manifest
        .packages
        .iter()
        .filter(|p| !skip.contains(&p.name.as_str()))
        .map(|p| format!("{}=={}", p.name, p.version))
        .collect();
    Ok((python, pins))
}
