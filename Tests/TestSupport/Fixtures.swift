import Foundation

/// Files that scripts/fixtures.sh computes with the Python reference stack.
public enum Fixtures {
    public static func url(_ name: String) throws -> URL {
        let url = TestEnvironment.repositoryRoot.appendingPathComponent(".steward/fixtures/\(name)")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TestSupportError("missing \(url.path): run scripts/fixtures.sh (scripts/test.sh does)")
        }
        return url
    }

    /// A copy of the tiny model directory that a test may change.
    public static func tinyModelCopy() throws -> URL {
        let copy = try TestEnvironment.temporaryDirectory("model").appendingPathComponent("tiny")
        try FileManager.default.copyItem(at: try url("tiny-model"), to: copy)
        return copy
    }
}
