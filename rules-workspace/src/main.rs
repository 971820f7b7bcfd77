use clap::Parser;

fn main() -> std::process::ExitCode {
    rules_workspace::cli::run(rules_workspace::cli::Cli::parse())
}
