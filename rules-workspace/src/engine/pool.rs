//! A pool of warm workers: one per core by default, each with the workspace loaded, serving
//! jobs in parallel while the caller consumes the answers in its own order.
//!
//! A job is a list of requests that must run in order on one worker (detections that share a
//! stateful or noisy global helper, see `analyze_globals` in the harness); the pool hands jobs
//! out in order, as workers become free, so the answers arrive roughly in request order and the
//! caller can stream them. A worker that times out, crashes, or answers with a harness error or
//! a `MemoryError` is dropped and the next request on its slot starts a fresh one (the load
//! request is replayed first). Workers stay alive between runs (`prowl test --watch`, the IDE):
//! a slot reloads the workspace only when the load request's key changes.

use super::messages::{Answer, Done, LoadAnswer, Request};
use super::worker::{Worker, WorkerOptions};
use super::EngineError;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

/// The request that prepares a worker for a run (`load_workspace`), and a key that changes
/// whenever the files it reads change.
#[derive(Debug, Clone)]
pub struct Load {
    /// The `load_workspace` request.
    pub request: Request,
    /// A hash of the request and of every global helper's and data model's code: equal keys
    /// mean a worker already loaded for it can serve the run as it is (in-process only).
    pub key: u64,
    /// Time allowed for the load itself (imports data-model modules).
    pub timeout: Duration,
}

/// One request of a job: where its answer goes in the caller's order, and the request.
pub type Step = (usize, Request);

#[derive(Default)]
struct Slot {
    worker: Option<Worker>,
    loaded: Option<u64>,
}

impl Slot {
    fn ensure(&mut self, options: &WorkerOptions, load: &Load) -> Result<(), EngineError> {
        if self.worker.is_none() {
            self.worker = Some(Worker::spawn(options)?);
            self.loaded = None;
        }
        if self.loaded != Some(load.key) {
            let w = self.worker.as_mut().expect("worker just ensured");
            match w.request::<LoadAnswer>(&load.request, load.timeout) {
                Ok(_) => {
                    self.loaded = Some(load.key);
                }
                Err(EngineError::Harness(failure)) => {
                    self.drop_worker();
                    return Err(EngineError::Protocol(format!(
                        "loading the workspace failed: {}",
                        failure.message
                    )));
                }
                Err(e) => {
                    self.drop_worker();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn call<A: Answer>(
        &mut self,
        options: &WorkerOptions,
        load: &Load,
        request: &Request,
        timeout: Duration,
    ) -> Result<A, EngineError> {
        self.ensure(options, load)?;
        let w = self.worker.as_mut().expect("worker just ensured");
        match w.request::<A>(request, timeout) {
            Ok(answer) => {
                if answer.poisons_worker() {
                    self.drop_worker();
                }
                Ok(answer)
            }
            Err(e) => {
                self.drop_worker();
                Err(e)
            }
        }
    }

    fn drop_worker(&mut self) {
        self.worker = None;
        self.loaded = None;
    }
}

/// Warm workers for one workspace.
pub struct Pool {
    options: WorkerOptions,
    slots: Vec<Slot>,
    /// The first worker's answer to the load with this key (replayed while nothing changed).
    primary: Option<(u64, LoadAnswer)>,
    /// What the harness found of the global helpers loaded with this key (kept across
    /// invalidations: it is a property of their code, not of a worker's state).
    traits: Option<(u64, super::messages::GlobalTraits)>,
    /// The last `load_primary` found the workspace still loaded.
    reused: bool,
}

impl Pool {
    /// A pool of `size` workers (at least one); workers start on first use.
    pub fn new(options: WorkerOptions, size: usize) -> Pool {
        Pool {
            options,
            slots: (0..size.max(1)).map(|_| Slot::default()).collect(),
            primary: None,
            traits: None,
            reused: false,
        }
    }

    /// Whether the last run found the workspace still loaded in its first worker (nothing
    /// changed since the run before, and no helper keeps state).
    pub fn last_load_reused(&self) -> bool {
        self.reused
    }

    /// The helpers' traits found for the load with this key, if they were asked for.
    pub fn known_traits(&self, key: u64) -> Option<&super::messages::GlobalTraits> {
        self.traits
            .as_ref()
            .filter(|(k, _)| *k == key)
            .map(|(_, t)| t)
    }

    /// Remembers the helpers' traits of the load with this key.
    pub fn remember_traits(&mut self, key: u64, traits: super::messages::GlobalTraits) {
        self.traits = Some((key, traits));
    }

    /// One worker per core.
    pub fn default_size() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    }

    /// How the pool starts its workers.
    pub fn options(&self) -> &WorkerOptions {
        &self.options
    }

    /// How many workers the pool may run at once (its slots, started or not).
    pub fn size(&self) -> usize {
        self.slots.len()
    }

    /// Starts up to `count` workers now, without waiting: each initialises Python and imports
    /// panther-core on its own while the caller reads the workspace. Errors are left for the
    /// first request to report.
    pub fn prewarm(&mut self, count: usize) {
        for slot in self.slots.iter_mut().take(count) {
            if slot.worker.is_none() {
                slot.worker = Worker::spawn(&self.options).ok();
                slot.loaded = None;
            }
        }
    }

    /// How many workers are running now.
    pub fn running(&self) -> usize {
        self.slots.iter().filter(|s| s.worker.is_some()).count()
    }

    /// Loads the workspace on the first worker and returns its answer (the one whose output a
    /// run prints). While the key is unchanged and the worker alive, the previous answer is
    /// returned without asking again: the worker is still loaded.
    pub fn load_primary(&mut self, load: &Load) -> Result<LoadAnswer, EngineError> {
        let slot = &mut self.slots[0];
        if let Some((key, answer)) = &self.primary {
            if *key == load.key && slot.loaded == Some(load.key) && slot.worker.is_some() {
                self.reused = true;
                return Ok(answer.clone());
            }
        }
        self.reused = false;
        self.primary = None;
        let (first, others) = self.slots.split_at_mut(1);
        let slot = &mut first[0];
        if slot.worker.is_none() {
            slot.worker = Some(Worker::spawn(&self.options)?);
        }
        slot.loaded = None;
        let options = &self.options;
        // The other started workers load at the same time, each on its own core, instead of
        // when the run's first job reaches them. Their answers are not printed (only the
        // first worker's is); a failure leaves the slot to start again on its first job.
        let answer = std::thread::scope(|scope| {
            for other in others.iter_mut().filter(|s| s.worker.is_some()) {
                scope.spawn(move || {
                    let _ = other.ensure(options, load);
                });
            }
            let w = slot.worker.as_mut().expect("worker just started");
            w.request::<LoadAnswer>(&load.request, load.timeout)
        });
        match answer {
            Ok(answer) => {
                if answer.fatal.is_none() {
                    slot.loaded = Some(load.key);
                    self.primary = Some((load.key, answer.clone()));
                }
                Ok(answer)
            }
            Err(e) => {
                slot.drop_worker();
                Err(e)
            }
        }
    }

    /// Makes every worker reload before its next request (module state of the last run must
    /// not leak into the next one).
    pub fn invalidate(&mut self) {
        self.primary = None;
        for slot in &mut self.slots {
            slot.loaded = None;
        }
    }

    /// Sends a request that needs no workspace (e.g. compiling a buffer) to the first worker.
    pub fn ask<A: Answer>(
        &mut self,
        request: &Request,
        timeout: Duration,
    ) -> Result<A, EngineError> {
        let slot = &mut self.slots[0];
        if slot.worker.is_none() {
            slot.worker = Some(Worker::spawn(&self.options)?);
            slot.loaded = None;
        }
        let w = slot.worker.as_mut().expect("worker just ensured");
        let answer = w.request::<A>(request, timeout);
        if answer.is_err() {
            slot.drop_worker();
        }
        answer
    }

    /// Sends one request to the first worker (loading the workspace first if needed).
    pub fn call<A: Answer>(
        &mut self,
        load: &Load,
        request: &Request,
        timeout: Duration,
    ) -> Result<A, EngineError> {
        let options = self.options.clone();
        self.slots[0].call(&options, load, request, timeout)
    }

    /// Runs `jobs` on all workers. `on_answer(index, answer)` is called on the caller's thread
    /// as answers arrive (in any order); returning `false` cancels the jobs not yet started.
    /// Jobs are taken in the order given.
    pub fn run<A: Answer + Send>(
        &mut self,
        load: &Load,
        jobs: Vec<Vec<Step>>,
        timeout: Duration,
        on_answer: &mut dyn FnMut(usize, Result<A, EngineError>) -> bool,
    ) {
        let next = AtomicUsize::new(0);
        let cancelled = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel::<(usize, Result<A, EngineError>)>();
        let active = self.slots.len().min(jobs.len()).max(1);
        // Every slot that will take jobs starts its worker now: a slot whose thread found no job
        // left (another worker was quicker) still has one warm for the next run.
        self.prewarm(active);
        let options = &self.options;
        let jobs = &jobs;
        std::thread::scope(|scope| {
            for slot in self.slots.iter_mut().take(active) {
                let tx = tx.clone();
                let (next, cancelled) = (&next, &cancelled);
                scope.spawn(move || loop {
                    if cancelled.load(Ordering::Relaxed) {
                        break;
                    }
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(j) else { break };
                    for (index, request) in job {
                        if cancelled.load(Ordering::Relaxed) {
                            return;
                        }
                        let answer = slot.call(options, load, request, timeout);
                        if tx.send((*index, answer)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(tx);
            for (index, answer) in rx {
                if !on_answer(index, answer) {
                    cancelled.store(true, Ordering::Relaxed);
                }
            }
        });
    }

    /// Runs jobs as they arrive on `jobs` (a bounded channel: the producer waits while every
    /// worker is busy and the queue is full) on up to `workers` workers. `request` turns a job
    /// into its request; `on_answer(job, answer)` is called on the caller's thread as answers
    /// arrive (in any order), and returning `false` stops taking jobs. Returns when the
    /// producer has hung up and every job taken has been answered.
    pub fn feed<J: Send, A: Answer + Send>(
        &mut self,
        load: &Load,
        workers: usize,
        jobs: mpsc::Receiver<J>,
        request: &(dyn Fn(&J) -> Request + Sync),
        timeout: Duration,
        on_answer: &mut dyn FnMut(J, Result<A, EngineError>) -> bool,
    ) {
        let cancelled = AtomicBool::new(false);
        let jobs = std::sync::Mutex::new(jobs);
        let (tx, rx) = mpsc::channel::<(J, Result<A, EngineError>)>();
        let active = workers.clamp(1, self.slots.len());
        self.prewarm(active);
        let options = &self.options;
        std::thread::scope(|scope| {
            for slot in self.slots.iter_mut().take(active) {
                let tx = tx.clone();
                let (jobs, cancelled) = (&jobs, &cancelled);
                scope.spawn(move || loop {
                    if cancelled.load(Ordering::Relaxed) {
                        break;
                    }
                    let job = match jobs.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(job) = job else { break };
                    let answer = slot.call(options, load, &request(&job), timeout);
                    if tx.send((job, answer)).is_err() {
                        break;
                    }
                });
            }
            drop(tx);
            for (job, answer) in rx {
                if !on_answer(job, answer) {
                    cancelled.store(true, Ordering::Relaxed);
                }
            }
        });
    }

    /// Stops the workers beyond the first `keep` (an interactive session keeps one warm for
    /// the next run of one detection, and lets the others go once a whole-workspace run is
    /// over). Returns how many were stopped. The slots stay: a later run starts them again.
    pub fn retire_beyond(&mut self, keep: usize) -> usize {
        let mut stopped = 0;
        for slot in self.slots.iter_mut().skip(keep) {
            if let Some(mut w) = slot.worker.take() {
                let _ = w.request::<Done>(&Request::Shutdown, Duration::from_secs(5));
                w.shutdown();
                stopped += 1;
            }
            slot.loaded = None;
        }
        stopped
    }

    /// Stops every worker (each removes its temp folder).
    pub fn shutdown(&mut self) {
        self.retire_beyond(0);
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shutdown();
    }
}
