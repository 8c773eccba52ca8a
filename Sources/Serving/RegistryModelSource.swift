import Digest
import Foundation
import HTTPKit
import Lifecycle
import Telemetry

/// Follows a registered model's alias (or stage, or a fixed version) in
/// `stewardd`: downloads a new version's files, verifies every sha256 and the
/// version's artifact digest, loads it in the background and swaps it in.
public final class RegistryModelSource: Service, @unchecked Sendable {
    public enum Selector: Sendable, Equatable, CustomStringConvertible {
        case alias(String), stage(String), version(Int)
        public var description: String {
            switch self {
            case .alias(let alias): "alias \(alias)"
            case .stage(let stage): "stage \(stage)"
            case .version(let version): "version \(version)"
            }
        }
    }

    public let name = "model-source"
    private let client: HTTPClient
    private let model: String
    private let selector: Selector
    private let cache: URL
    private let pollInterval: Duration
    private let holder: ModelHolder
    private let track: String
    private let sessionOptions: InferenceSession.Options
    private let precision: ModelPrecision
    private let logger: Logger
    private let stop = StopSignal()

    public init(
        client: HTTPClient, model: String, selector: Selector, cache: URL, pollInterval: Duration, holder: ModelHolder,
        track: String, sessionOptions: InferenceSession.Options, precision: ModelPrecision = .fp32, logger: Logger
    ) {
        self.client = client
        self.model = model
        self.selector = selector
        self.cache = cache
        self.pollInterval = pollInterval
        self.holder = holder
        self.track = track
        self.sessionOptions = sessionOptions
        self.precision = precision
        self.logger = logger.labelled("model-source")
    }

    struct VersionInfo: Decodable { let version: Int }
    struct VersionPage: Decodable { let items: [VersionInfo] }
    struct Files: Decodable {
        struct File: Decodable { let path: String, sha256: String, size: Int64, url: String }
        let artifactSHA256: String?
        let files: [File]
        enum CodingKeys: String, CodingKey { case files, artifactSHA256 = "artifact_sha256" }
    }

    private var encodedModel: String {
        model.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? model
    }

    /// The version the selector points at now.
    func resolve() throws -> Int {
        switch selector {
        case .version(let version):
            return version
        case .alias(let alias):
            return try client.send(ClientRequest(.GET, "/api/v1/models/\(encodedModel)/aliases/\(alias)")).success()
                .json(VersionInfo.self).version
        case .stage(let stage):
            let page = try client.send(
                ClientRequest(.GET, "/api/v1/models/\(encodedModel)/versions?stage=\(stage)&limit=1")
            ).success().json(VersionPage.self)
            guard let newest = page.items.first else {
                throw ModelLoadError("\(model) has no version in stage \(stage)")
            }
            return newest.version
        }
    }

    /// Downloads (or reuses a verified cached copy of) a version and loads it.
    func load(version: Int) throws -> LoadedModel {
        let files = try client.send(ClientRequest(.GET, "/api/v1/models/\(encodedModel)/versions/\(version)/files"))
            .success().json(Files.self)
        guard !files.files.isEmpty else { throw ModelLoadError("\(model) version \(version) has no files") }
        let directory = cache.appendingPathComponent("\(model)/\(version)", isDirectory: true)
        let digest = SHA256Hasher()
        for file in files.files.sorted(by: { $0.path < $1.path }) {
            guard !file.path.split(separator: "/").contains(".."), !file.path.hasPrefix("/") else {
                throw ModelLoadError("the registry named an unsafe path: \(file.path)")
            }
            digest.update("\(file.path)\t\(file.sha256)\n")
            let target = directory.appendingPathComponent(file.path)
            if FileManager.default.fileExists(atPath: target.path),
                (try? SHA256.hex(fileAt: target.path)) == file.sha256
            {
                continue
            }
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let partial = target.appendingPathExtension("partial")
            _ = try client.download(ClientRequest(.GET, file.url), to: partial).success()
            let actual = try SHA256.hex(fileAt: partial.path)
            guard actual == file.sha256 else {
                try? FileManager.default.removeItem(at: partial)
                throw ModelLoadError(
                    "\(file.path) of \(model) version \(version) has sha256 \(actual), the registry says "
                        + "\(file.sha256): refusing it"
                )
            }
            guard rename(partial.path, target.path) == 0 else {
                throw ModelLoadError("cannot move \(file.path) into the cache: \(String(cString: strerror(errno)))")
            }
        }
        if let expected = files.artifactSHA256, digest.finalizeHex() != expected {
            throw ModelLoadError(
                "\(model) version \(version): the files' digest does not match the version's artifact sha256")
        }
        return try LoadedModel(
            directory: directory, name: model, version: String(version), options: sessionOptions, precision: precision)
    }

    /// Loads the current version once; used at start-up before serving. The
    /// canary track may start before any rollout names a version (its alias is
    /// unset at rest): it then stays not ready and `run` loads the version once
    /// the alias appears.
    public func loadInitial() throws {
        let version: Int
        do {
            version = try resolve()
        } catch let error as HTTPStatusError where error.status == 404 && track == "canary" {
            logger.info(
                "nothing to serve yet; waiting for the registry to name a version",
                ["model": .string(model), "selector": .string(selector.description), "error": .string(error.message)])
            return
        }
        let loaded = try load(version: version)
        holder.swap(to: loaded, track: track)
        logger.info(
            "serving", ["model": .string(model), "version": .int(version), "selector": .string(selector.description)])
    }

    /// Polls the selector; a new version is loaded beside the old one and swapped in.
    public func run() throws {
        var problem = RepeatedProblem()
        while stop.wait(pollInterval) {
            do {
                let version = try resolve()
                if holder.model?.version != String(version) {
                    logger.info("new version; loading it", ["model": .string(model), "version": .int(version)])
                    let loaded = try load(version: version)
                    holder.swap(to: loaded, track: track)
                    logger.info("swapped", ["model": .string(model), "version": .int(version)])
                }
                problem.clear()
            } catch {
                problem.report(error, "cannot follow the registry; serving the current version", to: logger)
            }
        }
    }

    public func shutdown() { stop.stop() }
}
