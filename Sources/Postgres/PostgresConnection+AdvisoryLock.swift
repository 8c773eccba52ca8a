extension PostgresConnection {
    /// Takes a session-level advisory lock without waiting. Session locks are
    /// re-entrant within one connection and vanish when the connection closes,
    /// which is what leader election relies on.
    public func tryAdvisoryLock(_ key: Int64) throws -> Bool {
        try query("SELECT pg_try_advisory_lock(\(key)::bigint)").first?.get(0) ?? false
    }

    /// Waits for a session-level advisory lock.
    public func advisoryLock(_ key: Int64) throws {
        try query("SELECT pg_advisory_lock(\(key)::bigint)")
    }

    @discardableResult
    public func advisoryUnlock(_ key: Int64) throws -> Bool {
        try query("SELECT pg_advisory_unlock(\(key)::bigint)").first?.get(0) ?? false
    }

    /// A stable 64-bit key for a lock name (FNV-1a), so call sites name locks in words.
    public static func advisoryKey(_ name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }
}
