import ClusterCertificates
import ClusterStore
import Foundation
import JSON
import Logging
import MagnumObjects
import OsloConfig
import OsloMessaging
import Testing
import TestSupport
import Worker

/// The assembled conductor: the real `RPCServer` over an in-memory broker, magnum-api's calls and
/// casts sent with an oslo-style `RPCClient`.
@Suite("Conductor service over RPC")
struct ConductorServiceTests {
    struct Running {
        let service: ConductorService
        let broker: InMemoryBroker
        let client: RPCClient
        let driver: RecordingClusterDriver
        let store: any ClusterStore
        let clock: VirtualClock

        static let host = "worker-rpc"

        static func start(_ store: any ClusterStore, script: DriverScript = DriverScript(), pingEnabled: Bool = false) async throws -> Running {
            let broker = InMemoryBroker()
            // Dead letters go somewhere a test can look.
            await broker.addPolicy(.init(exchange: "dlx") { $0 == "magnum-conductor" || $0.hasPrefix("magnum-conductor.") })
            let admin = await broker.connect()
            try await admin.declareExchange(ExchangeDeclaration(name: "dlx", type: .fanout))
            try await admin.declareQueue(QueueDeclaration(name: "dead"))
            try await admin.bindQueue(QueueBinding(queue: "dead", exchange: "dlx", routingKey: ""))
            let driver = RecordingClusterDriver(store: store, script: script)
            let clock = VirtualClock(start: Timestamp(microsecondsSinceEpoch: 1_795_000_000_654_321))
            let options = ConductorOptions(host: host, rpcPingEnabled: pingEnabled, notificationDriver: .messagingV2)
            let service = ConductorService(options: options, transport: await broker.connect(), store: store,
                                           drivers: ClusterDriverRegistry([.init(name: "k8s_capi_helm_v1", driver: driver)]),
                                           x509: X509Options(rsaKeySize: ConductorHarness.rsaKeySize),
                                           periodicMode: .manual(clock), logger: ConductorHarness.logger)
            try await service.start()
            let client = RPCClient(transport: await broker.connect(), target: RPCTarget(exchange: "magnum", topic: "magnum-conductor"),
                                   options: RPCClientOptions(timeout: .seconds(20)), logger: ConductorHarness.logger)
            return Running(service: service, broker: broker, client: client, driver: driver, store: store, clock: clock)
        }

        func call(_ message: ConductorMessage, server: String? = nil) async throws -> JSONValue {
            try await client.call(message.method, args: message.args, context: RequestContext(fields: message.context),
                                  target: server.map { RPCTarget(exchange: "magnum", topic: "magnum-conductor", server: $0) })
        }

        /// Casts and waits until the server settled the delivery.
        func cast(_ message: ConductorMessage) async throws {
            let before = service.server.statistics
            try await client.cast(message.method, args: message.args, context: RequestContext(fields: message.context))
            for _ in 0..<2000 {
                let now = service.server.statistics
                if now.acked + now.deadLettered + now.requeued > before.acked + before.deadLettered + before.requeued { return }
                try await Task.sleep(for: .milliseconds(5))
            }
            throw HarnessError("the cast was not settled")
        }

        func notifications() async throws -> [OsloNotification] {
            var out: [OsloNotification] = []
            for queue in ["notifications.info", "notifications.error"] {
                out += try await broker.readyBodies(queue).map { try OsloNotification(body: $0) }
            }
            return out
        }

        func stop() async {
            await client.close()
            await service.stop()
        }
    }

    static func failure(_ error: any Error) -> RemoteFailure? { error as? RemoteFailure }

    @Test func declaresMagnumConductorsQueuesAndConsumesThem() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            let r = try await Running.start(dbs[0].store)
            #expect(r.service.server.target == RPCTarget(exchange: "magnum", topic: "magnum-conductor", server: Running.host))
            for queue in r.service.server.queues {
                #expect(await r.broker.consumerCount(queue) == 1, "\(queue)")
            }
            #expect(r.service.server.queues.prefix(2) == ["magnum-conductor", "magnum-conductor.worker-rpc"])
            #expect(r.service.server.queues[2].hasPrefix("magnum-conductor_fanout_"))
            await r.stop()
            #expect(await r.broker.consumerCount("magnum-conductor") == 0)
        }
    }

    @Test func aCallGetsTheHandlersResult() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            try await Seed.apply(to: dbs[0].store)
            let r = try await Running.start(dbs[0].store)
            let result = try await r.call(try ConductorMessage.recorded("cluster_upgrade.jsonl"))
            let cluster = try Cluster(primitive: result)
            #expect(cluster.uuid == Seed.cluster)
            #expect(cluster.status == .updateInProgress)
            #expect(cluster.statusReason == nil)
            #expect(try await r.store.cluster(uuid: Seed.cluster, context: .allProjects).status == .updateInProgress)
            #expect(r.driver.calls.map { $0["method"] } == ["upgrade_cluster"])
            let events = try await r.notifications()
            #expect(events.map(\.eventType).contains("magnum.cluster.update"))
            #expect(events.contains { $0.eventType == ClusterStatusUpdate.eventType && $0.payload["status"] == "UPDATE_IN_PROGRESS" })
            await r.stop()
        }
    }

    @Test func theRecordedFailingCreateGetsTheRecordedFailure() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            try await Seed.apply(to: dbs[0].store)
            let r = try await Running.start(dbs[0].store, script: DriverScript(steps: ["create_cluster": [
                .fail(MagnumError("InvalidParameterValue", ["err": "flavor m1.tiny has too little disk for boot_volume_size 50"])),
            ]]))
            var thrown: (any Error)?
            do { _ = try await r.call(try ConductorMessage.recorded("cluster_create_call_failure.jsonl")) } catch { thrown = error }
            let failure = try #require(Self.failure(thrown ?? HarnessError("no failure")))
            // What Magnum's conductor sent in the recording.
            let url = TestEnvironment.fixturesDirectory.appendingPathComponent("wire/cluster_create_call_failure.jsonl")
            let replyLine = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")[1]
            let replyBody = try JSONValue(parsing: String(replyLine))["body"]?.stringValue ?? ""
            let recorded = try RemoteFailure(serialized: try RPCEnvelope.decode(Array(replyBody.utf8)).message["failure"]?.stringValue ?? "")
            #expect(failure.className == recorded.className)
            #expect(failure.moduleName == recorded.moduleName)
            #expect(failure.message == recorded.message)
            #expect(failure.args == recorded.args)
            #expect(failure.kwargs == recorded.kwargs)
            #expect(failure.pythonExceptionName(allowedModules: ["magnum.common.exception"])
                    == "magnum.common.exception_Remote.InvalidParameterValue_Remote")
            // The cluster is recorded as failed, with str(e) as its reason, and a failure notification went out.
            let cluster = try await r.store.cluster(name: "fail-tiny", context: .allProjects)
            #expect(cluster.status == .createFailed)
            #expect(cluster.statusReason == "flavor m1.tiny has too little disk for boot_volume_size 50")
            let events = try await r.notifications()
            let failureEvent = try #require(events.first { $0.eventType == "magnum.cluster.create" && $0.priority == "ERROR" })
            #expect(failureEvent.payload["outcome"] == "failure")
            #expect(failureEvent.payload["target"]?["attachments"]?[0]?["content"]?["status"] == "CREATE_FAILED")
            await r.stop()
        }
    }

    @Test func castsRunAndAreAcknowledged() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            try await Seed.apply(to: dbs[0].store)
            let r = try await Running.start(dbs[0].store, script: DriverScript(steps: ["create_cluster": [.cluster(["stack_id": "dev-small-x1"])]]))
            try await r.cast(try ConductorMessage.recorded("cluster_create_defaults.jsonl"))
            let cluster = try await r.store.cluster(name: "dev-small", context: .allProjects)
            #expect(cluster.status == .createInProgress)
            #expect(cluster.stackId == "dev-small-x1")
            for ref in [cluster.caCertRef, cluster.etcdCACertRef, cluster.frontProxyCACertRef, cluster.magnumCertRef] {
                #expect(ref != nil)
            }
            let groups = try await r.store.nodeGroups(clusterId: cluster.uuid ?? "", context: .allProjects, filters: [:], options: .all)
            #expect(groups.map(\.name) == ["default-master", "default-worker"])
            #expect(groups.map(\.role) == ["master", "worker"])
            #expect(groups.allSatisfy { $0.isDefault == true && $0.status == .createInProgress && $0.stackId == "dev-small-x1" })
            #expect(r.service.server.statistics.acked >= 1)
            #expect(await r.broker.readyCount("dead") == 0)
            let events = try await r.notifications()
            #expect(events.filter { $0.eventType == "magnum.cluster.create" }.map { $0.payload["outcome"]?.stringValue } == ["pending"])
            await r.stop()
        }
    }

    @Test func aWrongStatusIsNotSupportedWithMagnumsText() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            try await Seed.apply(to: dbs[0].store)
            let r = try await Running.start(dbs[0].store)
            let message = try ConductorMessage.recorded("cluster_upgrade.jsonl").setting("cluster", "status", "UPDATE_FAILED")
            var thrown: (any Error)?
            do { _ = try await r.call(message) } catch { thrown = error }
            let failure = try #require(Self.failure(thrown ?? HarnessError("no failure")))
            #expect(failure.className == "NotSupported")
            #expect(failure.moduleName == "magnum.common.exception")
            #expect(failure.message == "Upgrading a cluster when status is \"UPDATE_FAILED\" is not supported.")
            #expect(failure.kwargs == ["operation": "Upgrading a cluster when status is \"UPDATE_FAILED\"", "code": 400])
            #expect(r.driver.calls.isEmpty)
            let events = try await r.notifications()
            #expect(events.map(\.eventType) == ["magnum.cluster.update"])
            #expect(events.first?.priority == "ERROR")
            await r.stop()
        }
    }

    @Test func aDriverFailureOnACastIsRecordedNotifiedAndAcknowledged() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            try await Seed.apply(to: dbs[0].store)
            let r = try await Running.start(dbs[0].store, script: DriverScript(steps: ["delete_cluster": [
                .fail(MagnumError("MagnumException", message: "helm uninstall: context deadline exceeded")),
            ]]))
            try await r.cast(try ConductorMessage.recorded("cluster_delete.jsonl"))
            let cluster = try await r.store.cluster(uuid: Seed.cluster, context: .allProjects)
            #expect(cluster.status == .deleteFailed)
            #expect(cluster.statusReason == "helm uninstall: context deadline exceeded")
            let events = try await r.notifications()
            let delete = events.filter { $0.eventType == "magnum.cluster.delete" }
            #expect(delete.map { $0.payload["outcome"]?.stringValue } == ["pending", "failure"])
            let updates = events.filter { $0.eventType == ClusterStatusUpdate.eventType }
            #expect(updates.map { $0.payload["status"]?.stringValue } == ["DELETE_FAILED"])
            #expect(updates.first?.priority == "ERROR")
            #expect(await r.broker.readyCount("dead") == 0)
            await r.stop()
        }
    }

    @Test func anUnexpectedFailureOfACastIsDeadLettered() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            try await Seed.apply(to: dbs[0].store)
            let r = try await Running.start(dbs[0].store)
            // The database goes away under the worker.
            await dbs[0].store.close()
            try await r.cast(try ConductorMessage.recorded("cluster_delete.jsonl"))
            #expect(await r.broker.readyCount("dead") == 1)
            #expect(r.service.server.statistics.deadLettered == 1)
            await r.stop()
        }
    }

    @Test func pingConductorOnTheServerQueueAndOsloPing() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            let context = try ConductorMessage.recorded("credential_rotate.jsonl").context
            let r = try await Running.start(dbs[0].store, pingEnabled: true)
            #expect(try await r.call(ConductorMessage(method: "ping_conductor", args: [:], context: context), server: Running.host) == true)
            #expect(try await r.call(ConductorMessage(method: "oslo_rpc_server_ping", args: [:], context: [:])) == "pong")
            await r.stop()

            let quiet = try await Running.start(dbs[0].store, pingEnabled: false)
            var thrown: (any Error)?
            do { _ = try await quiet.call(try ConductorMessage.recorded("ping.jsonl")) } catch { thrown = error }
            #expect(Self.failure(thrown ?? HarnessError("none"))?.className == "NoSuchMethod")
            await quiet.stop()
        }
    }

    @Test func badObjectArgumentsFailLikeOsloVersionedObjects() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            try await Seed.apply(to: dbs[0].store)
            let r = try await Running.start(dbs[0].store)
            let base = try ConductorMessage.recorded("credential_rotate.jsonl")
            func failure(_ m: ConductorMessage) async -> RemoteFailure? {
                do { _ = try await r.call(m); return nil } catch { return error as? RemoteFailure }
            }
            var newer = base.args["cluster"] ?? .null
            newer[PrimitiveKey.version] = "1.30"
            let incompatible = await failure(base.arg("cluster", newer))
            #expect(incompatible?.className == "IncompatibleObjectVersion")
            #expect(incompatible?.moduleName == "oslo_versionedobjects.exception")
            #expect(incompatible?.message == "Version 1.30 of Cluster is not supported, supported version is 1.24")

            var unknown = base.args["cluster"] ?? .null
            unknown[PrimitiveKey.name] = "Widget"
            let unsupported = await failure(base.arg("cluster", unknown))
            #expect(unsupported?.className == "UnsupportedObjectError")
            #expect(unsupported?.message == "Unsupported object type Widget")

            var badField = base.args["cluster"] ?? .null
            badField[PrimitiveKey.data]?["node_addresses_count"] = 3
            badField[PrimitiveKey.data]?["create_timeout"] = "soon"
            let valueError = await failure(base.arg("cluster", badField))
            #expect(valueError?.className == "ValueError")
            #expect(valueError?.moduleName == "builtins")

            let nodeGroup = try ConductorMessage.recorded("cluster_upgrade.jsonl").args["nodegroup"] ?? .null
            let wrongClass = await failure(base.arg("cluster", nodeGroup))
            #expect(wrongClass?.className == "TypeError")
            #expect(wrongClass?.message == "credential_rotate(): argument 'cluster' must be a Cluster object, not NodeGroup")

            let missing = await failure(ConductorMessage(method: "cluster_resize", args: [:], context: base.context))
            #expect(missing?.className == "TypeError")
            #expect(missing?.message.hasPrefix("Handler.cluster_resize() missing 4 required positional arguments") == true)
            // Nothing was written, nothing sent to the driver.
            #expect(r.driver.calls.isEmpty)
            #expect(try await r.store.cluster(uuid: Seed.cluster, context: .allProjects).status == .createComplete)
            await r.stop()
        }
    }

    @Test func theIndirectionAPIIsServedToo() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            try await Seed.apply(to: dbs[0].store)
            let r = try await Running.start(dbs[0].store)
            let result = try await r.call(try ConductorMessage.recorded("indirection_reads.jsonl", 0))
            #expect(result[PrimitiveKey.data]?["name"] == "prod-east")
            await r.stop()
        }
    }

    @Test func periodicTasksRunOnlyWhenTheVirtualClockIsMoved() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            try await Seed.apply(to: dbs[0].store)
            _ = try await dbs[0].store.updateCluster(.uuid(Seed.cluster), values: ["status": "UPDATE_IN_PROGRESS"])
            let r = try await Running.start(dbs[0].store, script: DriverScript(statusByCluster: [Seed.cluster: [.cluster(["status": "UPDATE_COMPLETE"])]]))
            try await Task.sleep(for: .milliseconds(50))
            #expect(r.driver.calls.isEmpty)
            #expect(try await r.store.magnumService(host: Running.host, binary: "magnum-conductor") == nil)
            await r.service.runPeriodicTasks(until: r.clock.now())
            #expect(try await r.store.cluster(uuid: Seed.cluster, context: .allProjects).status == .updateComplete)
            #expect(try await r.store.magnumService(host: Running.host, binary: "magnum-conductor")?.reportCount == 1)
            await r.stop()
        }
    }

    @Test func settlementAcknowledgesMagnumsFailuresAndDeadLettersTheRest() {
        let policy = ConductorService.settlement()
        func decide(_ error: (any Error)?, call: Bool = false) -> Settlement {
            policy.decide(HandlerOutcome(method: "cluster_create", isCall: call, msgID: nil, uniqueID: nil, error: error,
                                         redelivered: false, deliveryCount: 0))
        }
        #expect(policy.timing == .afterOutcome)
        #expect(decide(nil) == .ack)
        #expect(decide(MagnumError.clusterNotFound("x")) == .ack)
        #expect(decide(PythonBuiltinError("IndexError", "x")) == .ack)
        // A cast whose arguments do not bind changed nothing: kept for an operator.
        #expect(decide(PythonBuiltinError("TypeError", "x")) == .deadLetter)
        #expect(decide(PythonBuiltinError("TypeError", "x"), call: true) == .ack)
        // The database away: a cast goes back to the queue (docs/reliability.md); a call is answered.
        #expect(decide(StoreError(.connection, "down")) == .requeue)
        #expect(decide(StoreError(.connection, "down"), call: true) == .ack)
        #expect(decide(ClusterBusy(resource: "c", holder: "w")) == .requeue)
        #expect(decide(PoisonMessage(method: "cluster_create", messageID: "m", clusterUUID: "c", attempts: 5)) == .deadLetter)
        #expect(decide(HarnessError("bug")) == .deadLetter)
    }

    @Test func optionsAreReadFromMagnumConf() throws {
        let conf = """
        [DEFAULT]
        host = conductor-b
        periodic_interval_max = 30
        service_down_time = 45
        rpc_ping_enabled = true

        [conductor]
        topic = magnum-conductor-test

        [kubernetes]
        health_polling_interval = -1

        [oslo_messaging_notifications]
        driver = messagingv2
        topics = notifications,audit

        [drivers]
        disabled_drivers = k8s_fedora_coreos_v1
        enabled_beta_drivers = k8s_capi_helm_v1

        [capi_worker]
        status_sync_interval = 5
        periodic_max_concurrency = 4
        """
        let configuration = Configuration(registry: OptionRegistry(ConductorService.optionSpecs),
                                          files: [try ConfigFile(path: "magnum.conf", contents: conf)])
        #expect(configuration.validate().errors.isEmpty)
        let options = try ConductorOptions(configuration: configuration)
        #expect(options.host == "conductor-b")
        #expect(options.topic == "magnum-conductor-test")
        #expect(options.controlExchange == "magnum")
        #expect(options.periodicIntervalMax == 30)
        #expect(options.serviceDownTime == 45)
        #expect(options.heartbeatInterval == 15)
        #expect(options.healthPollingInterval == -1)
        #expect(options.rpcPingEnabled)
        #expect(options.notificationDriver == .messagingV2)
        #expect(options.notificationTopics == ["notifications", "audit"])
        #expect(options.statusSyncInterval == 5)
        #expect(options.periodicMaxConcurrency == 4)
        let drivers = try DriverSelectionOptions(configuration: configuration)
        #expect(drivers.disabledDrivers == ["k8s_fedora_coreos_v1"])
        #expect(drivers.enabledBetaDrivers == ["k8s_capi_helm_v1"])

        // Magnum's defaults; no notification driver means no notifications, as in oslo.
        let defaults = try ConductorOptions(configuration: Configuration(registry: OptionRegistry(ConductorService.optionSpecs), files: []))
        #expect(defaults.topic == "magnum-conductor")
        #expect(defaults.serviceDownTime == 180)
        #expect(defaults.heartbeatInterval == 60)
        #expect(defaults.statusSyncInterval == 10)
        #expect(defaults.notificationDriver == .noop)
        #expect(defaults.host == ConductorOptions.defaultHost)

        let logDriver = Configuration(registry: OptionRegistry(ConductorService.optionSpecs),
                                      files: [try ConfigFile(path: "m.conf", contents: "[oslo_messaging_notifications]\ndriver = log\n")])
        #expect(throws: ConfigError.self) { try ConductorOptions(configuration: logDriver) }
    }
}
