import Foundation

/// Where things are when tests run: the repository, the built binaries.
public enum TestEnvironment {
    /// The repository root, found from this file's location.
    public static let repositoryRoot: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }()

    /// The folder with the built executables (`stewardd`, `steward-serve`, `stewardctl`):
    /// `STEWARD_BIN_DIR`, else the folder of the running test binary.
    public static var binaryDirectory: URL {
        if let dir = ProcessInfo.processInfo.environment["STEWARD_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        var executable = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])
        executable.resolveSymlinksInPath()
        var dir = executable.deletingLastPathComponent()
        // The test binary lives inside `Name.xctest/` on some platforms.
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir
    }

    /// The path to a built executable; a clear error when it has not been built.
    public static func binary(_ name: String) throws -> URL {
        let url = binaryDirectory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw TestSupportError(
                "\(name) is not built in \(binaryDirectory.path); run `swift build --build-tests` first")
        }
        return url
    }

    public static func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }

    /// A fresh temporary directory, removed by the caller when done (or left for the OS).
    public static func temporaryDirectory(_ prefix: String = "steward-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
