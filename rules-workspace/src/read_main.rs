//! `prowl-read`: reads one share of a cluster replay on a node (see
//! `rules_workspace::replay::share`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(rules_workspace::replay::share::main_with_args(&args));
}
