import CMalloc

/// glibc's allocator keeps an arena per thread that ever allocated (up to eight per
/// core) and keeps freed memory in them: after a burst of large answers built on many
/// workers the process holds hundreds of MB it no longer uses. Fewer arenas, and a
/// periodic trim, give it back.
enum MemoryTrim {
    /// Before any thread starts.
    static func limitArenas() { _ = steward_malloc_limit_arenas(2) }

    static func now() { _ = steward_malloc_trim() }
}
