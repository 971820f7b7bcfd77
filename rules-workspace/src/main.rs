use clap::Parser;

fn main() -> std::process::ExitCode {
    // End quietly when the reader of our output goes away (`prowl list | head`), like other
    // command-line tools, instead of panicking on a broken pipe.
    // SAFETY: called before any other thread exists; SIG_DFL is always a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    rules_workspace::cli::run(rules_workspace::cli::Cli::parse())
}
