//! The daemon's heap between sweeps. A sweep builds its process table on one of the blocking pool's
//! threads, and glibc gives each such thread its own arena: the memory a sweep frees stays in that
//! arena, and successive sweeps on other threads each keep a table's worth. At 10,000 processes the
//! idle daemon grew from 38 to 99 MB in a minute that way (BENCHMARKS.md, the `idle` part). So the
//! daemon uses few arenas, and gives back what a sweep freed once its result is taken in.
//! Elsewhere than glibc these are no-ops.

/// At start: at most two arenas (the loop's thread and one for the pool's).
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any other thread runs.
    unsafe {
        nix::libc::mallopt(nix::libc::M_ARENA_MAX, 2);
    }
}

/// After a sweep's result is taken in (and the previous table dropped): return the free pages of
/// every arena to the kernel.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the allocator's own locks; it frees nothing that is in use.
    unsafe {
        nix::libc::malloc_trim(0);
    }
}
