// swift-tools-version: 6.1
//
// magnum-capi-worker: a native worker that does the job of OpenStack Magnum's conductor for
// Kubernetes clusters built with Cluster API and Helm.
//
// Layers (dependencies point down; see docs/architecture.md):
//   magnum-capi-worker (CLI) → Worker → CapiHelmDriver → Helm · Kubernetes · OpenStack · ClusterStore
//   · ClusterCertificates → MagnumObjects → OsloMessaging → AMQP → CRabbitMQ
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
        .package(url: "https://github.com/apple/swift-certificates", exact: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        // MARK: C libraries, each wrapped by exactly one Swift module
        .systemLibrary(
            name: "CRabbitMQ",
            pkgConfig: "librabbitmq",
            providers: [.apt(["librabbitmq-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CMariaDB",
            pkgConfig: "libmariadb",
            providers: [.apt(["libmariadb-dev"])]
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

        // MARK: Databases
        .target(name: "BlockingIO", swiftSettings: strict),
        .target(name: "SQLite", dependencies: ["CSQLite", "BlockingIO"], swiftSettings: strict),
        .target(
            name: "MariaDB",
            dependencies: ["CMariaDB", "BlockingIO", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "ClusterStore",
            dependencies: [
                "SQLite", "MariaDB", "MagnumObjects", "JSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),

        // Certificates exactly as Magnum's x509keypair cert manager makes and stores them.
        .target(
            name: "ClusterCertificates",
            dependencies: [
                "MagnumObjects",
                "OsloConfig",
                "JSON",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: Worker
        .target(
            name: "Worker",
            dependencies: [
                "ClusterStore", "ClusterCertificates", "MagnumObjects", "OsloMessaging", "OsloConfig", "JSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),

        // MARK: Messaging
        .target(
            name: "AMQP",
            dependencies: ["CRabbitMQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        .target(
            name: "OsloMessaging",
            dependencies: [
                "JSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),

        // MARK: Executable
        .executableTarget(
            name: "magnum-capi-worker",
            dependencies: [
                "AMQP",
                "JSON",
                "OsloMessaging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: Tests
        .testTarget(name: "JSONTests", dependencies: ["JSON"], swiftSettings: strict),
        .testTarget(name: "SchemaTests", dependencies: ["JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "OsloConfigTests", dependencies: ["OsloConfig", "JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "MagnumObjectsTests", dependencies: ["MagnumObjects", "JSON", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "HelmTests",
            dependencies: ["Helm", "JSON", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ClusterCertificatesTests",
            dependencies: [
                "ClusterCertificates", "MagnumObjects", "OsloConfig", "JSON", "TestSupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "AMQPTests",
            dependencies: ["AMQP", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "OsloMessagingTests",
            dependencies: ["OsloMessaging", "JSON", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        .testTarget(name: "SQLiteTests", dependencies: ["SQLite", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "MariaDBTests",
            dependencies: ["MariaDB", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ClusterStoreTests",
            dependencies: [
                "ClusterStore", "MariaDB", "SQLite", "MagnumObjects", "JSON", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IndirectionAPITests",
            dependencies: [
                "Worker", "ClusterStore", "MagnumObjects", "JSON", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WorkerTests",
            dependencies: [
                "Worker", "ClusterStore", "ClusterCertificates", "MagnumObjects", "OsloMessaging", "OsloConfig", "JSON", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
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
