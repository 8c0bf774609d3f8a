//! The practical lower bound for reading the process table (std only, no dependencies): list /proc and
//! read each process's `stat` and `cmdline` once, with one `read(2)` each into a reused buffer, and
//! print how many processes were read. Any tool that shows a process's parent, memory and command line
//! does at least this; `benches/mcpd_bench.rs -- scale` times `mcpd status` against it.
//!
//! Built by the bench with `rustc -O` (it needs nothing else); also a cargo bench target so that it is
//! compiled and linted with the rest. Arguments starting with `--` (cargo's) are ignored.

use std::fs::File;
use std::io::Read;

fn main() {
    let mut buf = vec![0u8; 16 * 1024];
    let mut path = String::with_capacity(32);
    let (mut procs, mut bytes) = (0usize, 0usize);
    let dir = std::fs::read_dir("/proc").expect("cannot list /proc");
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        for file in ["stat", "cmdline"] {
            path.clear();
            path.push_str("/proc/");
            path.push_str(pid);
            path.push('/');
            path.push_str(file);
            if let Ok(mut f) = File::open(&path) {
                bytes += f.read(&mut buf).unwrap_or(0);
            }
        }
        procs += 1;
    }
    println!("{procs} processes, {bytes} bytes");
}
