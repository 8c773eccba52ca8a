// swift-tools-version: 6.0
// The target graph is the architecture (see ARCHITECTURE.md): C bridges at the
// bottom, infrastructure libraries above them, domain modules above those, and
// thin executables on top. No package dependencies.
import PackageDescription

let package = Package(
    name: "Steward",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stewardd", targets: ["stewardd"]),
        .executable(name: "steward-serve", targets: ["steward-serve"]),
        .executable(name: "stewardctl", targets: ["stewardctl"])
    ],
    targets: [
        // C bridges: module maps and static inline shims only, no logic.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq"),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl"),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd"),
        .systemLibrary(name: "COnnxRuntime", pkgConfig: "libonnxruntime"),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto"),
        .systemLibrary(name: "CMalloc"),

        // Infrastructure: knows nothing of MLOps.
        .target(name: "Telemetry", exclude: ["README.md"]),
        .target(name: "Digest", dependencies: ["CCrypto"], exclude: ["README.md"]),
        .target(name: "Postgres", dependencies: ["CLibPQ", "Telemetry"], exclude: ["README.md"]),
        .target(
            name: "HTTPKit", dependencies: ["CMicroHTTPD", "CCurl", "Telemetry", "Lifecycle"], exclude: ["README.md"]),
        .target(name: "Lifecycle", dependencies: ["Telemetry"], exclude: ["README.md"]),
        .target(
            name: "ConsoleKit", dependencies: ["HTTPKit"], exclude: ["README.md"], resources: [.process("Resources")]),

        // Domain.
        .target(name: "TextFeatures", exclude: ["README.md"]),
        .target(name: "Schema", dependencies: ["Postgres"], exclude: ["README.md"], resources: [.copy("Migrations")]),
        .target(
            name: "Registry",
            dependencies: ["Postgres", "HTTPKit", "Telemetry", "Digest", "TextFeatures", "ConsoleKit"],
            exclude: ["README.md"]),
        .target(
            name: "ServingLog", dependencies: ["Postgres", "Telemetry", "TextFeatures", "Lifecycle"],
            exclude: ["README.md"]),
        .target(
            name: "Monitor",
            dependencies: ["Registry", "ServingLog", "Postgres", "HTTPKit", "Telemetry", "TextFeatures", "Lifecycle"],
            exclude: ["README.md"]),
        .target(
            name: "Orchestrator",
            dependencies: [
                "Registry", "Monitor", "ServingLog", "Postgres", "HTTPKit", "Telemetry", "Lifecycle", "Digest",
                "TextFeatures", "ConsoleKit"
            ],
            exclude: ["README.md"]),
        .target(
            name: "Serving",
            dependencies: [
                "COnnxRuntime", "ServingLog", "Postgres", "HTTPKit", "Telemetry", "Digest", "TextFeatures", "Lifecycle"
            ],
            exclude: ["README.md"]),

        // Executables: config -> wire -> run.
        .executableTarget(
            name: "stewardd",
            dependencies: [
                "Registry", "Orchestrator", "Monitor", "ServingLog", "Schema", "Lifecycle", "CMalloc", "ConsoleKit"
            ],
            exclude: ["README.md"],
            resources: [.copy("openapi.json")]),
        .executableTarget(
            name: "steward-serve", dependencies: ["Serving", "ServingLog", "Lifecycle"], exclude: ["README.md"]),
        .executableTarget(name: "stewardctl", dependencies: ["HTTPKit"], exclude: ["README.md"]),

        // Shared test fixtures: a database per suite, loopback helpers, fakes.
        .target(
            name: "TestSupport", dependencies: ["Postgres", "Schema", "HTTPKit", "Telemetry"], path: "Tests/TestSupport"
        ),

        .testTarget(name: "TelemetryTests", dependencies: ["Telemetry", "TestSupport"]),
        .testTarget(name: "DigestTests", dependencies: ["Digest"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "HTTPKitTests", dependencies: ["HTTPKit", "TestSupport"]),
        .testTarget(name: "ConsoleKitTests", dependencies: ["ConsoleKit", "HTTPKit"]),
        .testTarget(name: "LifecycleTests", dependencies: ["Lifecycle", "HTTPKit", "TestSupport"]),
        .testTarget(name: "TextFeaturesTests", dependencies: ["TextFeatures", "TestSupport"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "TestSupport"]),
        .testTarget(
            name: "MonitorTests",
            dependencies: ["Monitor", "ServingLog", "Postgres", "HTTPKit", "Telemetry", "TestSupport"]),
        .testTarget(
            name: "OrchestratorTests",
            dependencies: [
                "Orchestrator", "Registry", "Monitor", "ServingLog", "Postgres", "Telemetry", "TextFeatures", "HTTPKit",
                "TestSupport"
            ]),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "ServingLog", "TestSupport"])
    ],
    swiftLanguageModes: [.v6]
)
