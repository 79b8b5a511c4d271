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
        .package(url: "https://github.com/jpsim/Yams", "5.0.1"..<"7.0.0"),
        // Test support only: the in-process HTTPS fakes (Kubernetes API, OpenStack APIs).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Without the default ConfigurationSupport trait: we read magnum.conf ourselves, and
        // swift-configuration would only add build time.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
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
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
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
            ],
            swiftSettings: strict
        ),

        // MARK: The capi-helm driver (pure; talks to the world through its ports)
        .target(
            name: "CapiHelmDriver",
            dependencies: [
                "JSON", "MagnumObjects",
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: The driver's ports adapted to the executors (real and offline)
        .target(
            name: "CapiHelmRuntime",
            dependencies: [
                "CapiHelmDriver", "Helm", "Kubernetes", "OpenStack", "ClusterStore", "ClusterCertificates",
                "OsloConfig", "MagnumObjects", "JSON", "Curl", "BlockingIO",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),

        // MARK: Worker
        .target(
            name: "Worker",
            dependencies: [
                "CapiHelmDriver", "CapiHelmRuntime", "ClusterStore", "ClusterCertificates", "MagnumObjects", "OsloMessaging", "OsloConfig", "JSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),

        // MARK: Replay: recorded bus traffic through the same worker, on virtual time
        .target(
            name: "Replay",
            dependencies: [
                "Worker", "CapiHelmRuntime", "CapiHelmDriver", "Helm", "ClusterStore", "ClusterCertificates", "MagnumObjects",
                "OsloMessaging", "OsloConfig", "JSON",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),

        // MARK: Operability: logs, metrics, health endpoints, service lifecycle
        .target(
            name: "Operations",
            dependencies: [
                "BlockingIO",
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
            dependencies: [
                "CRabbitMQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "OsloMessaging",
            dependencies: [
                "AMQP",
                "JSON",
                "OsloConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),

        // MARK: HTTP executors
        .target(
            name: "Curl",
            dependencies: ["CCurl", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "Kubernetes",
            dependencies: [
                "Curl", "JSON", "Yams",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "OpenStack",
            dependencies: ["Curl", "JSON", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        // MARK: Executable
        .executableTarget(
            name: "magnum-capi-worker",
            dependencies: [
                "AMQP",
                "CapiHelmDriver",
                "CapiHelmRuntime",
                "ClusterCertificates",
                "ClusterStore",
                "JSON",
                "MagnumObjects",
                "Operations",
                "OsloConfig",
                "OsloMessaging",
                "Worker",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "Replay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // MARK: Benchmarks (built in release by tools/bench-driver)
        .executableTarget(
            name: "bench-driver",
            dependencies: ["CapiHelmDriver", "JSON", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        // MARK: Benchmarks (built in release by tools/bench; not part of the test suite)
        .executableTarget(
            name: "amqp-bench",
            dependencies: ["AMQP", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/amqp-bench",
            swiftSettings: strict
        ),

        .executableTarget(
            name: "oslo-bench",
            dependencies: ["OsloMessaging", "MagnumObjects", "Operations", "JSON", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/oslo-bench",
            swiftSettings: strict
        ),

        // The worker as deployed: full-path cluster_create casts, status sync against the fake
        // Kubernetes API, notifications (tools/bench).
        .executableTarget(
            name: "worker-bench",
            dependencies: [
                "Worker", "CapiHelmRuntime", "CapiHelmDriver", "ClusterStore", "MagnumObjects", "OsloMessaging", "OsloConfig",
                "AMQP", "JSON", "FakeKubernetes", "FakeHTTP", "Kubernetes",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/worker-bench",
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
        .testTarget(
            name: "OsloMessagingTests",
            dependencies: ["OsloMessaging", "JSON", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        .testTarget(
            name: "OsloInteropTests",
            dependencies: [
                "OsloMessaging", "OsloConfig", "AMQP", "JSON", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
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
            name: "CapiHelmDriverTests",
            dependencies: [
                "CapiHelmDriver", "MagnumObjects", "JSON", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CapiHelmRuntimeTests",
            dependencies: [
                "CapiHelmRuntime", "CapiHelmDriver", "Helm", "Kubernetes", "OpenStack", "ClusterStore", "ClusterCertificates",
                "OsloConfig", "MagnumObjects", "JSON", "FakeKubernetes", "FakeOpenStack", "FakeHTTP", "TestSupport",
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
            name: "CurlTests",
            dependencies: ["Curl", "FakeHTTP", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KubernetesTests",
            dependencies: [
                "Kubernetes", "Curl", "JSON", "FakeKubernetes", "FakeHTTP", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "OpenStackTests",
            dependencies: [
                "OpenStack", "Curl", "JSON", "FakeOpenStack", "FakeHTTP", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // In-process HTTPS servers for tests and benchmarks (never linked into the worker).
        .target(
            name: "FakeHTTP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/FakeHTTP",
            swiftSettings: strict
        ),
        .target(
            name: "FakeKubernetes",
            dependencies: ["FakeHTTP", "JSON", "Yams"],
            path: "Tests/FakeKubernetes",
            swiftSettings: strict
        ),
        .target(
            name: "FakeOpenStack",
            dependencies: ["FakeHTTP", "JSON"],
            path: "Tests/FakeOpenStack",
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TestSupport", "OsloMessaging", "JSON", .product(name: "Logging", package: "swift-log")],
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
        .testTarget(
            name: "ReliabilityTests",
            dependencies: [
                "Worker", "CapiHelmDriver", "CapiHelmRuntime", "ClusterStore", "ClusterCertificates", "MariaDB", "MagnumObjects", "OsloMessaging", "OsloConfig", "AMQP", "JSON", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ReplayTests",
            dependencies: [
                "Replay", "OsloMessaging", "AMQP", "ClusterStore", "JSON", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            dependencies: ["JSON", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
