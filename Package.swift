// swift-tools-version: 6.1
//
// magnum-capi-worker: a native worker that does the job of OpenStack Magnum's conductor for
// Kubernetes clusters built with Cluster API and Helm.
//
// Layers (dependencies point down; see docs/architecture.md):
//   magnum-capi-worker (CLI) → Worker → CapiHelmDriver → Helm · Kubernetes · OpenStack · ClusterStore
//   → MagnumObjects → OsloMessaging → AMQP → CRabbitMQ
// Every C library is wrapped by exactly one Swift module (CRabbitMQ→AMQP, CSQLite→SQLite,
// CMariaDB→MariaDB, CCurl→Curl).

import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "magnum-capi-worker",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "magnum-capi-worker", targets: ["magnum-capi-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Without the default ConfigurationSupport trait: we read magnum.conf ourselves, and
        // swift-configuration would only add build time.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // MARK: C libraries, each wrapped by exactly one Swift module
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),

        // MARK: Pure building blocks
        .target(
            name: "JSON",
            dependencies: [.product(name: "OrderedCollections", package: "swift-collections")],
            swiftSettings: strict
        ),

        .target(
            name: "MagnumObjects",
            dependencies: ["JSON", .product(name: "OrderedCollections", package: "swift-collections")],
            swiftSettings: strict
        ),

        .target(name: "OsloConfig", swiftSettings: strict),

        // MARK: Executors behind protocols
        .target(
            name: "Helm",
            dependencies: [
                "JSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strict
        ),

        // MARK: Operability: logs, metrics, health endpoints, service lifecycle
        .target(
            name: "Operations",
            dependencies: [
                "JSON",
                "OsloConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        // MARK: Messaging
        .target(
            name: "AMQP",
            dependencies: ["CRabbitMQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        // MARK: Executable
        .executableTarget(
            name: "magnum-capi-worker",
            dependencies: [
                "AMQP",
                "JSON",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: Tests
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: strict),
        .testTarget(name: "SchemaTests", dependencies: ["JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "OsloConfigTests", dependencies: ["OsloConfig", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "MagnumObjectsTests", dependencies: ["MagnumObjects", "JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "HelmTests",
            dependencies: ["Helm", "JSON", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "OperationsTests",
            dependencies: [
                "Operations",
                "JSON",
                "OsloConfig",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AMQPTests",
            dependencies: ["AMQP", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
