//! The sandbox every worker that runs workspace code lives in, built from what Linux gives an
//! unprivileged process (no daemon, no root):
//!
//! 1. **Namespaces**: a user namespace (the worker is root inside it, nobody outside), a mount
//!    namespace, a PID namespace (the worker is its init: when it dies, every process it
//!    started dies with it), an IPC namespace and a network namespace with no interface up (no
//!    network at all, loopback included).
//! 2. **A filesystem view**: `$HOME`, `/home`, `/root`, `/tmp`, `/var/tmp`, `/run`, `/mnt`,
//!    `/media`, `/srv` and `/opt` are covered by empty in-memory folders; the workspace and the
//!    managed environment come back read-only at their own paths, the worker's scratch folder
//!    and the workspace's bytecode cache writable. Nothing else of the user's files is there.
//! 3. **Landlock** (second layer, where the kernel has it): reading only the system's
//!    interpreter and libraries (`/usr`, `/lib*`, `/etc`, `/proc`) and the paths above, writing
//!    only the writable ones; no TCP bind or connect; no abstract UNIX sockets or signals
//!    outside the sandbox.
//! 4. **seccomp**: `execve`, `ptrace`, mounts, namespaces, BPF, kernel modules, keyrings and
//!    cross-process memory access are refused (`clone3` reports ENOSYS so the C library falls
//!    back to `clone`, whose namespace flags are refused).
//! 5. **Limits**: the address space (set by the pool), CPU time, open files, file size.
//!
//! Where the kernel refuses a layer, the worker says once on stderr which layer is missing and
//! what remains, and goes on with the others. The Python audit hook in the harness records what
//! workspace code tried; the sandbox is what blocks it.
//!
//! All of this runs in the worker process before Python starts, while it has one thread.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// What the sandbox lets a worker see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxPaths {
    /// Visible read-only (the workspace, the environment).
    pub read_only: Vec<PathBuf>,
    /// Visible and writable (the scratch folder, the bytecode cache).
    pub writable: Vec<PathBuf>,
}

impl SandboxPaths {
    /// The worker's command-line arguments for these paths.
    pub fn to_args(&self) -> Vec<std::ffi::OsString> {
        let mut args = Vec::new();
        for p in &self.read_only {
            args.push("--sandbox-ro".into());
            args.push(p.clone().into_os_string());
        }
        for p in &self.writable {
            args.push("--sandbox-rw".into());
            args.push(p.clone().into_os_string());
        }
        args
    }
}

/// Which layers are in place, for the message when one is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layers {
    /// User, mount, PID, IPC and network namespaces.
    pub namespaces: bool,
    /// The filesystem view (user files covered).
    pub filesystem_view: bool,
    /// The Landlock ABI in force (0: none).
    pub landlock_abi: i64,
    /// The seccomp filter.
    pub seccomp: bool,
}

impl Layers {
    /// The layers as the worker tells them (`namespaces=1 view=1 landlock=6 seccomp=1`).
    pub fn to_env(&self) -> String {
        format!(
            "namespaces={} view={} landlock={} seccomp={}",
            u8::from(self.namespaces),
            u8::from(self.filesystem_view),
            self.landlock_abi,
            u8::from(self.seccomp)
        )
    }

    /// The layers a worker told ([`Layers::to_env`]'s text); `None` when it is not that.
    pub fn parse(text: &str) -> Option<Layers> {
        let mut layers = Layers::default();
        for part in text.split_whitespace() {
            let (key, value) = part.split_once('=')?;
            let n: i64 = value.parse().ok()?;
            match key {
                "namespaces" => layers.namespaces = n != 0,
                "view" => layers.filesystem_view = n != 0,
                "landlock" => layers.landlock_abi = n,
                "seccomp" => layers.seccomp = n != 0,
                _ => return None,
            }
        }
        Some(layers)
    }

    /// Enough to run code nobody trusts (`prowl audit`): no network and its own processes
    /// (namespaces), the user's files hidden (the view), no new programs (seccomp). Landlock
    /// is a second wall where the kernel has it, not a requirement.
    pub fn enough_for_untrusted_code(&self) -> bool {
        self.namespaces && self.filesystem_view && self.seccomp
    }

    /// One line on what protects the worker, when a layer is missing.
    pub fn missing(&self) -> Option<String> {
        let mut missing = Vec::new();
        let mut kept = vec!["resource limits", "a reduced environment"];
        if !self.namespaces {
            missing.push("namespaces (network and process isolation)");
        } else {
            kept.push("no network, its own processes");
        }
        if !self.filesystem_view {
            missing.push("the filesystem view");
        } else {
            kept.push("the user's files hidden");
        }
        if self.landlock_abi == 0 {
            missing.push("Landlock");
        } else {
            kept.push("Landlock file and network rules");
        }
        if !self.seccomp {
            missing.push("seccomp");
        } else {
            kept.push("no new programs or kernel interfaces (seccomp)");
        }
        (!missing.is_empty()).then(|| {
            format!(
                "prowl sandbox: this kernel does not allow {}; workers keep {}",
                missing.join(", "),
                kept.join(", ")
            )
        })
    }
}

fn errno() -> std::io::Error {
    std::io::Error::last_os_error()
}

fn cstr(p: &Path) -> CString {
    CString::new(p.as_os_str().as_encoded_bytes()).unwrap_or_default()
}

/// Puts this process (single-threaded, before Python starts) into the sandbox. Returns the
/// layers in place; the process that returns is the sandboxed one (the original process stays
/// outside as a relay that waits for it and exits as it exits).
pub fn enter(paths: &SandboxPaths) -> Layers {
    let mut layers = Layers::default();
    // Descriptors of what must stay visible, taken in the new mount namespace (a bind mount's
    // source must be one of its own mounts) before the view covers them.
    let keep = || -> Vec<(PathBuf, bool, Option<OwnedFd>)> {
        paths
            .read_only
            .iter()
            .map(|p| (p.clone(), false))
            .chain(paths.writable.iter().map(|p| (p.clone(), true)))
            .map(|(p, w)| {
                let fd = open_path(&p);
                (p, w, fd)
            })
            .collect()
    };
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let flags = libc::CLONE_NEWUSER
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWNET;
    // SAFETY: unshare on this single-threaded process.
    if unsafe { libc::unshare(flags) } == 0 {
        let maps = std::fs::write("/proc/self/setgroups", "deny").is_ok()
            && std::fs::write("/proc/self/uid_map", format!("0 {uid} 1")).is_ok()
            && std::fs::write("/proc/self/gid_map", format!("0 {gid} 1")).is_ok();
        layers.namespaces = maps;
        if maps {
            become_init_of_the_new_pid_namespace();
            layers.filesystem_view = build_view(&keep());
        }
    }
    limit_resources();
    layers.landlock_abi = landlock(&keep());
    layers.seccomp = seccomp();
    layers
}

/// Forks: the child is PID 1 of the new PID namespace and returns; this process waits for it
/// and then ends exactly as it ended (its exit code, or the same signal).
fn become_init_of_the_new_pid_namespace() {
    // SAFETY: fork in a single-threaded process; the parent only waits and exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return; // no PID namespace then; the other layers still apply
    }
    if pid == 0 {
        // SAFETY: the child dies with the relay (Prowl kills the relay on a timeout).
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
        return;
    }
    // The relay: nothing of Python's runs here. Its copies of the pipes are closed so the
    // worker's end of them is the only one.
    // SAFETY: closing this process's own standard descriptors.
    unsafe {
        libc::close(0);
        libc::close(1);
    }
    let mut status = 0;
    loop {
        // SAFETY: waits for this process's own child.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        if r < 0 && errno().raw_os_error() != Some(libc::EINTR) {
            // SAFETY: ends this process.
            unsafe { libc::_exit(3) };
        }
    }
    // SAFETY: ends this process the way its child ended.
    unsafe {
        if libc::WIFSIGNALED(status) {
            let sig = libc::WTERMSIG(status);
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
            libc::_exit(128 + sig);
        }
        libc::_exit(libc::WEXITSTATUS(status));
    }
}

fn open_path(p: &Path) -> Option<OwnedFd> {
    let c = cstr(p);
    // SAFETY: opens a path descriptor; ownership moves into OwnedFd.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    // SAFETY: a fresh descriptor.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

fn mount(
    src: Option<&CString>,
    target: &CString,
    fstype: Option<&str>,
    flags: u64,
    data: Option<&str>,
) -> bool {
    let fstype = fstype.map(|s| CString::new(s).unwrap_or_default());
    let data = data.map(|s| CString::new(s).unwrap_or_default());
    // SAFETY: mount with valid C strings (or null) for the duration of the call.
    let ok = unsafe {
        libc::mount(
            src.map_or(std::ptr::null(), |s| s.as_ptr()),
            target.as_ptr(),
            fstype.as_ref().map_or(std::ptr::null(), |s| s.as_ptr()),
            flags as libc::c_ulong,
            data.as_ref()
                .map_or(std::ptr::null(), |s| s.as_ptr() as *const libc::c_void),
        ) == 0
    };
    if !ok && std::env::var_os("PROWL_SANDBOX_DEBUG").is_some() {
        eprintln!("prowl sandbox: mounting {target:?} failed: {}", errno());
    }
    ok
}

/// Covers the user's folders with empty ones and brings back only what the worker needs.
fn build_view(keep: &[(PathBuf, bool, Option<OwnedFd>)]) -> bool {
    let root = CString::new("/").unwrap_or_default();
    if !mount(None, &root, None, libc::MS_REC | libc::MS_PRIVATE, None) {
        return false;
    }
    // The new PID namespace's own /proc (this process is its init).
    let proc_ = CString::new("/proc").unwrap_or_default();
    let proc_src = CString::new("proc").unwrap_or_default();
    let _ = mount(
        Some(&proc_src),
        &proc_,
        Some("proc"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        None,
    );
    let mut cover: Vec<PathBuf> = [
        "/home", "/root", "/tmp", "/var/tmp", "/run", "/mnt", "/media", "/srv", "/opt",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        if home.is_absolute()
            && home != Path::new("/")
            && !cover.iter().any(|c| home.starts_with(c))
        {
            cover.push(home);
        }
    }
    let tmpfs = CString::new("tmpfs").unwrap_or_default();
    for dir in cover.iter().filter(|d| d.is_dir()) {
        if !mount(
            Some(&tmpfs),
            &cstr(dir),
            Some("tmpfs"),
            libc::MS_NOSUID | libc::MS_NODEV,
            Some("mode=0755,size=16m"),
        ) {
            return false;
        }
    }
    for (path, writable, fd) in keep {
        let Some(fd) = fd else { continue };
        if !cover.iter().any(|c| path.starts_with(c)) {
            continue; // never covered: still visible, Landlock decides
        }
        if std::fs::create_dir_all(path).is_err() {
            return false;
        }
        let src = CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap_or_default();
        let target = cstr(path);
        if !mount(
            Some(&src),
            &target,
            None,
            libc::MS_BIND | libc::MS_REC,
            None,
        ) {
            return false;
        }
        let mut flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_NOSUID | libc::MS_NODEV;
        if !writable {
            flags |= libc::MS_RDONLY;
        }
        if !mount(None, &target, None, flags, None) {
            return false;
        }
    }
    true
}

fn limit_resources() {
    let set = |resource: libc::__rlimit_resource_t, value: u64| {
        let mut current = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: reads and lowers this process's own limits.
        unsafe {
            if libc::getrlimit(resource, &mut current) == 0 {
                let v = value.min(current.rlim_max);
                let lim = libc::rlimit {
                    rlim_cur: v,
                    rlim_max: v,
                };
                libc::setrlimit(resource, &lim);
            }
        }
    };
    set(libc::RLIMIT_CPU, 3600);
    set(libc::RLIMIT_NOFILE, 1024);
    set(libc::RLIMIT_FSIZE, 1 << 30);
    set(libc::RLIMIT_CORE, 0);
}

// ---- Landlock (raw system calls; the structures are the kernel's) ---------------------------

#[repr(C)]
struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1;
const RULE_PATH_BENEATH: i32 = 1;
const FS_EXECUTE: u64 = 1 << 0;
const FS_WRITE_FILE: u64 = 1 << 1;
const FS_READ_FILE: u64 = 1 << 2;
const FS_READ_DIR: u64 = 1 << 3;
const NET_ALL: u64 = (1 << 0) | (1 << 1);
const SCOPE_ALL: u64 = (1 << 0) | (1 << 1);

/// Applies the Landlock rules; returns the ABI in force (0: not available).
fn landlock(keep: &[(PathBuf, bool, Option<OwnedFd>)]) -> i64 {
    // SAFETY: the version query takes no pointer.
    let abi = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    if abi < 1 {
        return 0;
    }
    let mut fs_all: u64 = (1 << 13) - 1;
    if abi >= 2 {
        fs_all |= 1 << 13; // REFER
    }
    if abi >= 3 {
        fs_all |= 1 << 14; // TRUNCATE
    }
    if abi >= 5 {
        fs_all |= 1 << 15; // IOCTL_DEV
    }
    let attr = RulesetAttr {
        handled_access_fs: fs_all,
        handled_access_net: if abi >= 4 { NET_ALL } else { 0 },
        scoped: if abi >= 6 { SCOPE_ALL } else { 0 },
    };
    let size = if abi >= 6 {
        std::mem::size_of::<RulesetAttr>()
    } else if abi >= 4 {
        16
    } else {
        8
    };
    // SAFETY: creates a ruleset from a valid attribute of the size the ABI knows.
    let ruleset = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, &attr, size, 0u32) };
    if ruleset < 0 {
        return 0;
    }
    // SAFETY: a fresh descriptor.
    let ruleset = unsafe { OwnedFd::from_raw_fd(ruleset as i32) };
    let read = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR;
    let file_read = FS_EXECUTE | FS_READ_FILE;
    let allow = |path: &Path, access: u64| {
        let Some(fd) = open_path(path) else { return };
        let rule = PathBeneathAttr {
            allowed_access: access & fs_all,
            parent_fd: fd.as_raw_fd(),
        };
        // SAFETY: adds a rule with a valid attribute and descriptors.
        unsafe {
            libc::syscall(
                libc::SYS_landlock_add_rule,
                ruleset.as_raw_fd(),
                RULE_PATH_BENEATH,
                &rule,
                0u32,
            )
        };
    };
    for dir in [
        "/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/proc",
    ] {
        allow(Path::new(dir), read);
    }
    for dev in [
        "/dev/null",
        "/dev/zero",
        "/dev/urandom",
        "/dev/random",
        "/dev/full",
    ] {
        allow(Path::new(dev), file_read | FS_WRITE_FILE);
    }
    for (path, writable, _) in keep {
        allow(path, if *writable { fs_all } else { read });
    }
    // SAFETY: no_new_privs then restricting this process (and what it starts) to the ruleset.
    unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return 0;
        }
        if libc::syscall(libc::SYS_landlock_restrict_self, ruleset.as_raw_fd(), 0u32) != 0 {
            return 0;
        }
    }
    abi
}

// ---- seccomp ---------------------------------------------------------------------------------

#[repr(C)]
struct SockFilter {
    code: u16,
    jt: u8,
    jf: u8,
    k: u32,
}

#[repr(C)]
struct SockFprog {
    len: u16,
    filter: *const SockFilter,
}

/// Installs the seccomp filter (x86-64 only); whether it is in place.
#[cfg(target_arch = "x86_64")]
fn seccomp() -> bool {
    const LD_ABS_W: u16 = 0x20;
    const JEQ_K: u16 = 0x15;
    const JSET_K: u16 = 0x45;
    const RET_K: u16 = 0x06;
    const ARCH_X86_64: u32 = 0xC000_003E;
    const ALLOW: u32 = 0x7fff_0000;
    const KILL_PROCESS: u32 = 0x8000_0000;
    let errno = |e: i32| 0x0005_0000 | (e as u32 & 0xffff);
    const DENIED: &[u32] = &[
        59,  // execve
        322, // execveat
        101, // ptrace
        165, // mount
        166, // umount2
        155, // pivot_root
        161, // chroot
        272, // unshare
        308, // setns
        321, // bpf
        246, // kexec_load
        320, // kexec_file_load
        175, // init_module
        313, // finit_module
        176, // delete_module
        250, // keyctl
        248, // add_key
        249, // request_key
        298, // perf_event_open
        323, // userfaultfd
        310, // process_vm_readv
        311, // process_vm_writev
        303, // name_to_handle_at
        304, // open_by_handle_at
        428, // open_tree
        429, // move_mount
        430, // fsopen
        431, // fsconfig
        432, // fsmount
        433, // fspick
        442, // mount_setattr
        169, // reboot
        167, // swapon
        168, // swapoff
        163, // acct
        172, // iopl
        173, // ioperm
        179, // quotactl
        103, // syslog
    ];
    let ns_flags = (libc::CLONE_NEWUSER
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWNET
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWUTS
        | libc::CLONE_NEWCGROUP) as u32;
    let ins = |code, jt, jf, k| SockFilter { code, jt, jf, k };
    let mut prog = vec![
        ins(LD_ABS_W, 0, 0, 4), // arch
        ins(JEQ_K, 1, 0, ARCH_X86_64),
        ins(RET_K, 0, 0, KILL_PROCESS),
        ins(LD_ABS_W, 0, 0, 0), // syscall number
    ];
    for nr in DENIED {
        prog.push(ins(JEQ_K, 0, 1, *nr));
        prog.push(ins(RET_K, 0, 0, errno(libc::EPERM)));
    }
    prog.push(ins(JEQ_K, 0, 1, 435)); // clone3: the C library falls back to clone
    prog.push(ins(RET_K, 0, 0, errno(libc::ENOSYS)));
    prog.push(ins(JEQ_K, 0, 3, 56)); // clone: refuse new namespaces
    prog.push(ins(LD_ABS_W, 0, 0, 16)); // args[0], low 32 bits
    prog.push(ins(JSET_K, 0, 1, ns_flags));
    prog.push(ins(RET_K, 0, 0, errno(libc::EPERM)));
    prog.push(ins(RET_K, 0, 0, ALLOW));
    let fprog = SockFprog {
        len: prog.len() as u16,
        filter: prog.as_ptr(),
    };
    // SAFETY: no_new_privs, then a filter program that lives until the call returns.
    unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER as libc::c_ulong,
            &fprog as *const SockFprog,
        ) == 0
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn seccomp() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_layers_are_named_with_what_remains() {
        let all = Layers {
            namespaces: true,
            filesystem_view: true,
            landlock_abi: 7,
            seccomp: true,
        };
        assert_eq!(all.missing(), None);
        let no_ns = Layers {
            namespaces: false,
            filesystem_view: false,
            ..all
        };
        let text = no_ns.missing().unwrap();
        assert!(
            text.contains("namespaces") && text.contains("Landlock file and network rules"),
            "{text}"
        );
    }

    #[test]
    fn layers_round_trip_through_the_workers_text_and_untrusted_code_needs_three() {
        let all = Layers {
            namespaces: true,
            filesystem_view: true,
            landlock_abi: 6,
            seccomp: true,
        };
        assert_eq!(Layers::parse(&all.to_env()), Some(all.clone()));
        assert!(all.enough_for_untrusted_code());
        let no_landlock = Layers {
            landlock_abi: 0,
            ..all.clone()
        };
        assert!(no_landlock.enough_for_untrusted_code());
        let no_view = Layers {
            filesystem_view: false,
            ..all
        };
        assert!(!no_view.enough_for_untrusted_code());
        assert_eq!(Layers::parse("bogus"), None);
    }

    #[test]
    fn paths_become_worker_arguments() {
        let p = SandboxPaths {
            read_only: vec!["/w".into()],
            writable: vec!["/s".into()],
        };
        assert_eq!(
            p.to_args(),
            vec!["--sandbox-ro", "/w", "--sandbox-rw", "/s"]
        );
    }
}
