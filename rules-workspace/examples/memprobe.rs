fn rss() -> String {
    unsafe {
        libc::malloc_trim(0);
    }
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .filter(|l| l.starts_with("RssAnon"))
        .collect::<Vec<_>>()
        .join(" ")
}
fn main() {
    let p = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    eprintln!("start {}", rss());
    let opts = rules_workspace::workspace::OpenOptions::default();
    let ws = rules_workspace::workspace::Workspace::open(&p, &opts).unwrap();
    eprintln!("plain open (live) {}", rss());
    eprintln!(
        "size_of AnalysisItem {}",
        std::mem::size_of::<rules_workspace::spec::AnalysisItem>()
    );
    drop(ws);
    eprintln!("dropped {}", rss());
    let s = rules_workspace::session::Session::open(&p).unwrap();
    eprintln!("session open (live) {}", rss());
    let t = serde_json::to_string(&s.view()).unwrap();
    eprintln!("view string {} {}", rss(), t.len());
}
