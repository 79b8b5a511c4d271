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

        // MARK: Messaging
        .target(
            name: "AMQP",
            dependencies: [
                "CRabbitMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
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

        // MARK: Benchmarks (built in release by tools/bench; not part of the test suite)
        .executableTarget(
            name: "amqp-bench",
            dependencies: ["AMQP", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/amqp-bench",
            swiftSettings: strict
        ),

        // MARK: Tests
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: strict),
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
