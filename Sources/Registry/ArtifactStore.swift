import Digest
import Foundation
import Postgres

/// Artifact bytes, content-addressed by SHA-256 under a `file://` root
/// (`objects/ab/abcdef...`), and the table that maps each logical path
/// (`<experiment>/<run>/artifacts/model/model.onnx`) to its digest.
///
/// Writes are atomic: the upload is hashed, then renamed into place, then the
/// path row is written; a crash leaves at worst an unreferenced object.
public final class ArtifactStore: Sendable {
    public let root: URL
    let incoming: URL

    public init(root: URL) throws {
        self.root = root
        self.incoming = root.appendingPathComponent("incoming", isDirectory: true)
        for directory in [root.appendingPathComponent("objects"), incoming] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        removeStalePuts()
    }

    /// `ingest(data:)` writes and renames its file within milliseconds; one an hour
    /// old was left by a process that died in between.
    private func removeStalePuts() {
        let cutoff = Date().addingTimeInterval(-3600)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: incoming.path)) ?? []
        for name in names where name.hasPrefix(".put-") {
            let url = incoming.appendingPathComponent(name)
            let modified = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate]) as? Date
            if let modified, modified < cutoff { try? FileManager.default.removeItem(at: url) }
        }
    }

    public struct Entry: Sendable, Equatable {
        public let path: String
        public let isDirectory: Bool
        public let size: Int64?
    }

    /// A relative artifact path with `.`/empty segments dropped; refuses `..`,
    /// absolute paths, backslashes and control characters.
    public static func normalize(_ path: String, allowEmpty: Bool = false) throws(RegistryError) -> String {
        if path.hasPrefix("/") { throw .invalid("artifact path must be relative: \(path.debugDescription)") }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) {
            throw .invalid("artifact path contains a control character or backslash")
        }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." { throw .invalid("artifact path must not contain '..': \(path.debugDescription)") }
            segments.append(segment)
        }
        let normalized = segments.joined(separator: "/")
        if normalized.isEmpty, !allowEmpty { throw .invalid("artifact path is empty") }
        if normalized.utf8.count > 1024 { throw .invalid("artifact path is longer than 1024 bytes") }
        return normalized
    }

    func objectURL(_ sha256: String) -> URL {
        root.appendingPathComponent("objects/\(sha256.prefix(2))/\(sha256)")
    }

    /// Moves an uploaded file into the store under its digest; returns digest and size.
    /// When `expectedSHA256` is given, a mismatch refuses the upload.
    func ingest(file: URL, expectedSHA256: String? = nil) throws -> (sha256: String, size: Int64) {
        let digest = try SHA256.hex(fileAt: file.path)
        if let expectedSHA256, expectedSHA256.lowercased() != digest {
            throw RegistryError.invalid("upload digest \(digest) does not match the declared \(expectedSHA256)")
        }
        let size = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0
        let target = objectURL(digest)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: target.path) {
            try? FileManager.default.removeItem(at: file)
        } else if rename(file.path, target.path) != 0 {
            throw RegistryError.invalid("cannot store the upload: \(String(cString: strerror(errno)))")
        }
        return (digest, size)
    }

    /// Stores bytes given in memory (small files written by the server itself).
    func ingest(data: Data) throws -> (sha256: String, size: Int64) {
        let temporary = incoming.appendingPathComponent(".put-\(SecureRandom.hex(bytes: 8))")
        try data.write(to: temporary)
        return try ingest(file: temporary)
    }

    func record(_ connection: PostgresConnection, path: String, sha256: String, size: Int64) throws {
        _ = try connection.query(
            """
            INSERT INTO steward.artifacts (path, sha256, size) VALUES (\(path), \(sha256), \(size))
            ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, size = excluded.size, created_at = now()
            """)
    }

    /// The stored file for a path, or nil.
    func lookup(_ pool: PostgresPool, path: String) throws -> (url: URL, sha256: String, size: Int64)? {
        guard let row = try pool.query("SELECT sha256, size FROM steward.artifacts WHERE path = \(path)").first else {
            return nil
        }
        let sha: String = try row.get("sha256")
        return (objectURL(sha), sha, try row.get("size"))
    }

    /// Files and folders directly under `prefix` ("" for the root).
    func list(_ pool: PostgresPool, under prefix: String) throws -> [Entry] {
        let start = prefix.isEmpty ? "" : prefix + "/"
        let rows = try pool.query(
            """
            SELECT path, size FROM steward.artifacts WHERE path LIKE \(Self.likePrefix(start)) ESCAPE '\\' ORDER BY path
            """)
        var entries: [Entry] = []
        var folders = Set<String>()
        for row in rows {
            let path: String = try row.get("path")
            let rest = path.dropFirst(start.count)
            if let slash = rest.firstIndex(of: "/") {
                let folder = start + rest[..<slash]
                if folders.insert(folder).inserted { entries.append(Entry(path: folder, isDirectory: true, size: nil)) }
            } else {
                entries.append(Entry(path: path, isDirectory: false, size: try row.get("size")))
            }
        }
        return entries
    }

    /// Every file under `prefix`, recursively, with digests.
    func files(
        _ connection: PostgresConnection, under prefix: String
    ) throws -> [(path: String, sha256: String, size: Int64)] {
        try connection.query(
            """
            SELECT path, sha256, size FROM steward.artifacts WHERE path LIKE \(Self.likePrefix(prefix + "/"))
                ESCAPE '\\' ORDER BY path
            """
        ).map { row in
            (try row.get("path"), try row.get("sha256"), try row.get("size"))
        }
    }

    static func likePrefix(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped + "%"
    }
}
