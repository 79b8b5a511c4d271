import AMQP
import CapiHelmRuntime
import ClusterStore
import Foundation
import Logging
import MagnumObjects
import Operations
import OsloConfig
import OsloMessaging
import ServiceLifecycle
import Worker

/// The worker while it serves: Magnum's database, the broker connections, the conductor and the
/// driver's runtime, started in that order and stopped in the reverse one on graceful shutdown.
final class RunningWorker: Service, Sendable {
    let assembly: WorkerAssembly
    let transport: AMQPTransport
    let notificationTransport: AMQPTransport?
    /// `--workers N`: the other N - 1 consumers, each on its own broker connection.
    let extraConsumers: [(conductor: ConductorService, transport: AMQPTransport)]
    let store: any ClusterStore
    let metrics: WorkerMetrics
    let logger: Logger

    private init(assembly: WorkerAssembly, transport: AMQPTransport, notificationTransport: AMQPTransport?,
                 extraConsumers: [(conductor: ConductorService, transport: AMQPTransport)],
                 store: any ClusterStore, metrics: WorkerMetrics, logger: Logger) {
        self.assembly = assembly
        self.transport = transport
        self.notificationTransport = notificationTransport
        self.extraConsumers = extraConsumers
        self.store = store
        self.metrics = metrics
        self.logger = logger
    }

    /// Every consumer with its connection, the first (with the periodic tasks) first.
    var consumers: [(conductor: ConductorService, transport: AMQPTransport)] {
        [(assembly.conductor, transport)] + extraConsumers
    }

    /// Opens the database, connects to the broker (waiting for it as oslo.messaging does) and
    /// builds the conductor; any problem an operator must fix is a `StartupFailure`.
    static func start(configuration: Configuration, workers: Int, metrics: WorkerMetrics, health: HealthMonitor,
                      logger: Logger) async throws -> RunningWorker {
        let messaging: MessagingSettings
        let database: DatabaseSettings
        let reliabilityOptions: ReliabilityOptions
        do {
            messaging = try MessagingSettings(configuration: configuration)
            database = try DatabaseSettings(configuration: configuration)
            reliabilityOptions = try ReliabilityOptions(configuration: configuration)
        } catch {
            throw StartupFailure(lines: ["\(error)"])
        }

        let store: any ClusterStore
        do {
            store = try await ClusterStores.open(connection: database.connection,
                                                 pool: .init(maxConnections: database.maxPoolSize), logger: logger)
        } catch {
            throw StartupFailure(lines: ["[database] connection \(Secrets.mask(database.connection)): \(error)"])
        }

        let transport: AMQPTransport
        let notificationTransport: AMQPTransport?
        do {
            transport = try await connect(messaging, url: messaging.transportURL, name: "magnum-capi-worker", logger: logger)
            if let url = messaging.notificationTransportURL, url != messaging.transportURL {
                notificationTransport = try await connect(messaging, url: url, name: "magnum-capi-worker-notify", logger: logger)
            } else {
                notificationTransport = nil
            }
        } catch {
            await store.close()
            throw error
        }

        var rpcOptions = RPCServerOptions(rabbit: messaging.rabbit, settlement: ConductorService.settlement())
        rpcOptions.observer = { observation in
            let method = observation.method ?? "unknown"
            let kind: WorkerMetrics.RPCKind = observation.isCall ? .call : .cast
            switch observation.outcome {
            case .success: metrics.rpcMessage(method: method, kind: kind, outcome: .success)
            case .failure: metrics.rpcMessage(method: method, kind: kind, outcome: .failure)
            case .rejected: metrics.rpcMessage(method: method, kind: kind, outcome: .rejected)
            }
            if observation.outcome != .rejected { metrics.rpcHandlerDuration(method: method, observation.duration) }
            if observation.settlement == .deadLetter {
                metrics.deadLettered(reason: observation.outcome == .rejected ? .malformed : .handlerFailure)
            }
        }

        // Leases, the operation journal, sharded syncs and the poison bound (docs/reliability.md).
        guard let sql = ClusterStorePersistence.database(of: store) else {
            await transport.close()
            await notificationTransport?.close()
            await store.close()
            throw StartupFailure(lines: ["[database] connection: not an SQLite or MariaDB store"])
        }
        let leaseEvents = LeaseEvents(owned: { metrics.setOwnedLeases($0) }, acquired: { metrics.leaseAcquired() },
                                      lost: { metrics.leaseLost(reason: .init(rawValue: $0)) })
        let reliability = ReliabilitySetup(database: sql, options: reliabilityOptions, leaseEvents: leaseEvents)
        let notificationObserver: @Sendable (String, Bool) -> Void = { eventType, published in
            metrics.notificationPublished(eventType: eventType, outcome: published ? .success : .failure)
        }

        var hooks = CapiHelmRuntime.Hooks()
        hooks.helmObserver = { invocation in
            let operation = WorkerMetrics.HelmOperation(rawValue: invocation.operation.rawValue) ?? .version
            let outcome: WorkerMetrics.Outcome = switch invocation.outcome {
            case .success: .success
            case .failure: .failure
            case .timeout: .timeout
            }
            metrics.helmInvocation(operation, outcome: outcome, duration: invocation.duration)
        }
        let assembly: WorkerAssembly
        do {
            assembly = try await WorkerAssembly.build(
                configuration: configuration, transport: transport, notificationTransport: notificationTransport,
                store: store, rpcOptions: rpcOptions, runtimeHooks: hooks,
                notificationObserver: notificationObserver, reliability: reliability, logger: logger)
        } catch {
            await transport.close()
            await notificationTransport?.close()
            await store.close()
            throw StartupFailure(lines: error.problems)
        }

        health.registerReadinessCheck(ReadinessCheck.broker) {
            transport.isConnected ? .healthy("connected to \(transport.endpoint ?? "?")") : .unhealthy("not connected; reconnecting")
        }
        let host = assembly.options.host
        health.registerReadinessCheck(ReadinessCheck.database) {
            _ = try await store.magnumService(host: host, binary: "magnum-conductor")
            return .healthy()
        }
        let runtime = assembly.runtime
        if runtime.settings.helmMode == .real {
            health.registerReadinessCheck(ReadinessCheck.helm) {
                .healthy("helm \(try await runtime.helmExecutor.version().text)")
            }
        }
        if runtime.settings.managementCluster == .real {
            health.registerReadinessCheck(ReadinessCheck.managementCluster) {
                .healthy(try await runtime.managementClusterStatus() ?? "not used")
            }
        }
        var extra: [(conductor: ConductorService, transport: AMQPTransport)] = []
        for index in 1..<max(workers, 1) {
            do {
                let connection = try await connect(messaging, url: messaging.transportURL, name: "magnum-capi-worker-\(index + 1)",
                                                   logger: logger)
                extra.append((assembly.additionalConsumer(
                    transport: connection, notificationTransport: notificationTransport ?? transport, store: store,
                    rpcOptions: rpcOptions, notificationObserver: notificationObserver, reliability: reliability, logger: logger),
                    connection))
            } catch {
                for consumer in extra { await consumer.transport.close() }
                await transport.close()
                await notificationTransport?.close()
                await assembly.runtime.shutdown()
                await store.close()
                throw error
            }
        }
        return RunningWorker(assembly: assembly, transport: transport, notificationTransport: notificationTransport,
                             extraConsumers: extra, store: store, metrics: metrics, logger: logger)
    }

    /// Connects, retrying like oslo.messaging (`rabbit_retry_interval`, `rabbit_retry_backoff`,
    /// `rabbit_interval_max`) until the broker answers; a refused login or a TLS mismatch is
    /// not retried (it will not fix itself).
    static func connect(_ messaging: MessagingSettings, url: String, name: String, logger: Logger) async throws -> AMQPTransport {
        var settings = messaging
        settings.transportURL = url
        let parsed: TransportURL
        do {
            parsed = try settings.parsedTransportURL()
        } catch {
            throw StartupFailure(lines: ["[DEFAULT] transport_url: \(error)"])
        }
        var delay = Double(max(messaging.connection.rabbitRetryInterval, 1))
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await settings.connectTransport(connectionName: name, logger: logger)
            } catch let error as AMQPError where RunningWorker.permanent.contains(error.kind) {
                throw StartupFailure(lines: ["[DEFAULT] transport_url \(parsed): \(error)"])
            } catch {
                logger.warning("broker \(parsed) not reachable (attempt \(attempt)): \(error); retrying in \(Int(delay)) s")
                try await Task.sleep(for: .seconds(delay))
                delay = min(delay + Double(messaging.connection.rabbitRetryBackoff), Double(max(messaging.connection.rabbitIntervalMax, 1)))
            }
        }
    }

    /// Connection failures that retrying cannot fix.
    static let permanent: Set<AMQPError.Kind> = [.invalidTransportURL, .invalidConfiguration, .authenticationFailed, .accessRefused,
                                                 .tlsHandshakeFailed, .tlsVerificationFailed]

    func run() async throws {
        for consumer in consumers { try await consumer.conductor.start() }
        logger.info("serving", metadata: [
            "topic": "\(assembly.options.topic)", "server": "\(assembly.options.host)",
            "exchange": "\(assembly.options.controlExchange)", "broker": "\(transport.endpoint ?? "?")",
            "helm_mode": "\(assembly.runtime.settings.helmMode.rawValue)", "consumers": "\(consumers.count)",
            "management_cluster": "\(assembly.runtime.settings.managementCluster.rawValue)",
        ])
        // Broker reconnections, for the counter.
        let reconnects = (transport.connectionEvents() + (notificationTransport?.connectionEvents() ?? [])).map { events in
            Task { [metrics] in
                for await event in events {
                    if case .reconnected = event { metrics.brokerReconnected() }
                }
            }
        }
        // Clusters by status for the gauge, on the status sync's rhythm.
        let gauge = Task { [store, metrics, logger] in
            while !Task.isCancelled {
                do {
                    // COUNT queries, not the rows: decoding every cluster each round would cost
                    // as much as a status sync on a large deployment.
                    var counts: [String: Int] = [:]
                    for status in ClusterStatus.allCases {
                        counts[status.rawValue] = try await store.clusterCount(context: .allProjects, filters: ["status": .array([.string(status.rawValue)])])
                    }
                    let total = try await store.clusterCount(context: .allProjects, filters: [:])
                    counts["other"] = total - counts.values.reduce(0, +)
                    metrics.setClusterCounts(counts)
                } catch {
                    logger.debug("cluster count for metrics failed: \(error)")
                }
                try? await Task.sleep(for: .seconds(30))
            }
        }
        try? await gracefulShutdown()
        logger.info("stopping: no new requests; running ones finish")
        gauge.cancel()
        for task in reconnects { task.cancel() }
        // Bounded ([capi_worker] shutdown_timeout): requests still running then are handed back —
        // closing the connection returns their deliveries to the broker; another worker resumes
        // them from the journal once the leases expire.
        await withTaskGroup(of: Void.self) { group in
            for consumer in consumers {
                group.addTask { [logger] in
                    if await !consumer.conductor.shutdown() {
                        logger.warning("requests still running after the shutdown timeout; handing them back to the broker")
                    }
                }
            }
        }
        for consumer in extraConsumers { await consumer.transport.close() }
        await transport.close()
        await notificationTransport?.close()
        await assembly.runtime.shutdown()
        await store.close()
    }
}
