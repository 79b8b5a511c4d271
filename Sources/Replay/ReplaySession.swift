import CapiHelmRuntime
import ClusterCertificates
import ClusterStore
import Foundation
import Synchronization
public import JSON
public import Logging
public import MagnumObjects
import OsloConfig
public import OsloMessaging
import Worker

/// How a replay runs.
public struct ReplayOptions: Sendable {
    /// The operator's magnum.conf, read over the embedded defaults (its database, helm mode and
    /// render directory are overridden: nothing leaves the replay).
    public var configFile: String?
    /// Rows to add to (or replace in) the embedded seed (`ReplaySeed` format).
    public var seedFile: String?
    /// Where virtual time starts; nil: the first `recorded_at` of the recording, else
    /// `ReplayDefaults.startMicroseconds` (2026-11-25T00:05:00Z).
    public var start: Timestamp?
    /// Virtual seconds between two recorded requests (when lines carry no `recorded_at`).
    public var stepSeconds: Double
    /// Virtual seconds the periodic tasks run after the last request (simulated clusters
    /// become Ready after `simulation_delay`, the status sync notices within its interval).
    public var settleSeconds: Double
    /// Real seconds to wait for the worker to finish one request before giving up.
    public var requestTimeout: Double
    /// Feed only the messages up to this `seq` (`render` of one message).
    public var lastSeq: Int?

    public init(configFile: String? = nil, seedFile: String? = nil,
                start: Timestamp? = nil,
                stepSeconds: Double = 5, settleSeconds: Double = 120, requestTimeout: Double = 120) {
        self.configFile = configFile
        self.seedFile = seedFile
        self.start = start
        self.stepSeconds = stepSeconds
        self.settleSeconds = settleSeconds
        self.requestTimeout = requestTimeout
    }
}

/// Why a replay could not run (not: why a request failed — that is part of the result).
public struct ReplayError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Where a replay's messages travel: the worker's connection (it consumes and publishes there)
/// and the connection the recorded requests are published on. By default an in-memory broker;
/// the live comparison uses two connections to a real RabbitMQ.
public struct ReplayBus: Sendable {
    public var worker: any MessageTransport
    public var client: any MessageTransport

    public init(worker: any MessageTransport, client: any MessageTransport) {
        self.worker = worker
        self.client = client
    }

    public static func inMemory() async -> ReplayBus {
        let broker = InMemoryBroker()
        return ReplayBus(worker: await broker.connect(), client: await broker.connect())
    }
}

/// One recorded message, classified.
struct RecordedInput: Sendable {
    let entry: WireRecording.Entry
    let decoded: DecodedWireMessage
    /// Virtual time the line says it was recorded at (`recorded_at`, optional).
    let recordedAt: Timestamp?

    var isRequest: Bool {
        guard decoded.error == nil, let kind = decoded.kind else { return false }
        return kind == .cast || kind == .call || kind == .fanout
    }
}

/// Replays recorded bus traffic through the worker as `serve` builds it (`WorkerAssembly`: the
/// same RPC server, dispatcher, conductor endpoints, driver and notifier) over an in-memory
/// broker, with the recording executors (`helm_mode = record`, the simulated management cluster,
/// the offline cloud) and a scratch SQLite database, on virtual time. The result is one
/// deterministic JSON document: what the worker answered, notified and asked of helm,
/// Kubernetes and OpenStack, and the database it left.
public enum ReplaySession {
    /// The result document's `format`.
    public static let format = "magnum-capi-worker.replay/1"

    /// Reads a recording (`Tests/Fixtures/wire/` format).
    static func parse(recording bytes: [UInt8]) throws -> [RecordedInput] {
        var out: [RecordedInput] = []
        for line in WireRecording.lines(of: bytes) where !line.bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
            let entry: WireRecording.Entry
            do { entry = try WireRecording.parse(line: line.bytes, lineNumber: line.number) } catch {
                throw ReplayError(error.description)
            }
            var recordedAt: Timestamp?
            if case .object(let o)? = try? JSONValue(parsing: line.bytes), let text = o["recorded_at"]?.stringValue {
                recordedAt = Timestamp(parsing: text)
            }
            let decoded = WireInspector.decode(body: entry.body, index: out.count, exchange: entry.exchange, routingKey: entry.routingKey)
            out.append(RecordedInput(entry: entry, decoded: decoded, recordedAt: recordedAt))
        }
        return out
    }

    /// Replays `recording` (the bytes of a JSON-lines recording).
    public static func run(recording bytes: [UInt8], options: ReplayOptions = ReplayOptions(), bus: ReplayBus? = nil,
                           logger: Logger) async throws -> JSONValue {
        let inputs = try parse(recording: bytes)
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("mcw-replay-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        var seed = ReplaySeed.embedded
        if let seedFile = options.seedFile {
            guard let data = FileManager.default.contents(atPath: seedFile) else { throw ReplayError("cannot read seed file \(seedFile)") }
            do { seed.merge(try ReplaySeed(json: try JSONValue(parsing: Array(data)))) } catch {
                throw ReplayError("seed file \(seedFile): \(error)")
            }
        }

        let configuration = try makeConfiguration(scratch: scratch, userFile: options.configFile)
        try Data(ReplayDefaults.cloud.utf8).write(to: URL(fileURLWithPath: "\(scratch)/cloud.json"))

        let start = options.start ?? inputs.lazy.compactMap(\.recordedAt).first
            ?? Timestamp(microsecondsSinceEpoch: ReplayDefaults.startMicroseconds)
        let clock = VirtualClock(start: start)
        let store = try await SQLiteClusterStore.open(path: "\(scratch)/replay.sqlite", clock: { clock.now() })
        do {
            let chosen: ReplayBus
            if let bus { chosen = bus } else { chosen = await ReplayBus.inMemory() }
            let result = try await run(inputs: inputs, seed: seed, configuration: configuration, store: store, clock: clock,
                                       options: options, bus: chosen, logger: logger)
            await store.close()
            return result
        } catch {
            await store.close()
            throw error
        }
    }

    static func makeConfiguration(scratch: String, userFile: String?) throws -> Configuration {
        var registry = OptionRegistry()
        WorkerAssembly.register(into: &registry)
        MessagingSettings.register(in: &registry)
        func file(_ name: String, _ text: String) throws -> ConfigFile {
            try ConfigFile(path: name, contents: text.replacingOccurrences(of: "@SCRATCH@", with: scratch))
        }
        var files = [try file("<replay defaults>", ReplayDefaults.configuration)]
        var forced = ReplayDefaults.forced
        if let userFile {
            guard let data = FileManager.default.contents(atPath: userFile) else { throw ReplayError("cannot read config file \(userFile)") }
            let user = try ConfigFile(path: userFile, contents: String(decoding: data, as: UTF8.self))
            files.append(user)
            // The operator may choose no management cluster at all; anything else is simulated.
            let alone = Configuration(registry: registry, files: [user])
            if (try? alone.string("capi_worker", "management_cluster")) != "none" {
                forced += "\n[capi_worker]\nmanagement_cluster = simulated\n"
            }
        }
        files.append(try file("<replay overrides>", forced))
        return Configuration(registry: registry, files: files)
    }

    struct Marks {
        var events = 0
        var helm = 0
        var kubernetes = 0
        var openStack = 0
    }

    static func run(inputs: [RecordedInput], seed: ReplaySeed, configuration: Configuration, store: SQLiteClusterStore,
                    clock: VirtualClock, options: ReplayOptions, bus: ReplayBus, logger: Logger) async throws -> JSONValue {
        let start = clock.now()
        let x509 = try X509Options(configuration: configuration)
        try await seed.apply(to: store, certificates: ClusterCertificateService(store: ClusterStoreX509KeyPairs(store: store), options: x509, logger: logger))

        let recorder = TransportRecorder()
        let transport = RecordingTransport(wrapping: bus.worker, recorder: recorder)
        let failures = HandlerFailureLog()
        let random = DeterministicRandom(seed: 0x6D63_775F_7265_706C)
        let suffixes = DeterministicReleaseSuffixes()
        // While seeded clusters are primed (below), the simulation's clock reads a day earlier, so
        // their Cluster API objects are long Ready when the replay starts.
        let priming = Mutex(false)
        var hooks = CapiHelmRuntime.Hooks()
        hooks.simulationClock = {
            let now = clock.now().secondsSinceEpoch
            return Date(timeIntervalSince1970: priming.withLock { $0 } ? now - 86_400 : now)
        }
        hooks.driverClock = { clock.now() }
        hooks.releaseSuffix = { suffixes.next() }
        hooks.offlineCloudRandom = { random.next() }
        let assembly: WorkerAssembly
        do {
            assembly = try await WorkerAssembly.build(configuration: configuration, transport: transport, store: store, clock: clock,
                                                      periodicMode: .manual(clock), runtimeHooks: hooks,
                                                      logger: failures.logger(forwardingTo: logger))
        } catch {
            throw ReplayError("the worker could not be assembled: \(error)")
        }
        let runtime = assembly.runtime
        let conductor = assembly.conductor
        let client = bus.client

        var steps: [JSONValue] = []
        var replies: [JSONValue] = []
        var notifications: [JSONValue] = []
        var helmCalls: [JSONValue] = []
        var kubernetesCalls: [JSONValue] = []
        var openStackCalls: [JSONValue] = []
        var skipped: [JSONValue] = []
        var marks = Marks()

        /// Everything the worker did since the last mark, attributed to `cause`.
        func collect(cause: JSONValue) async {
            let events = await recorder.events
            for event in events[marks.events...] {
                guard case .published(let message, let outcome) = event else { continue }
                let decoded = WireInspector.decode(body: message.body, index: 0, exchange: message.exchange, routingKey: message.routingKey)
                var o = decoded.jsonObject
                o["index"] = nil
                o["cause"] = cause
                if case .returned(let code, let text) = outcome { o["returned"] = .string("\(code) \(text)") }
                if decoded.kind == .reply { replies.append(.object(o)) } else { notifications.append(.object(o)) }
            }
            marks.events = events.count
            let helm = runtime.renderOnly?.calls ?? []
            for call in helm[marks.helm...] {
                var o = call.json.objectValue ?? [:]
                o["cause"] = cause
                helmCalls.append(.object(o))
            }
            marks.helm = helm.count
            let writes = runtime.offlineManagementCluster?.writes ?? []
            for write in writes[marks.kubernetes...] {
                var o = write.json.objectValue ?? [:]
                o["cause"] = cause
                kubernetesCalls.append(.object(o))
            }
            marks.kubernetes = writes.count
            let cloud = runtime.offlineCloud?.calls ?? []
            for call in cloud[marks.openStack...] {
                var o = call.json.objectValue ?? [:]
                o["cause"] = cause
                openStackCalls.append(.object(o))
            }
            marks.openStack = cloud.count
        }

        do {
            priming.withLock { $0 = true }
            try await SimulationPriming.prime(runtime: runtime, store: store, seed: seed, logger: logger)
            priming.withLock { $0 = false }
            // What priming asked of the executors is not part of the replay.
            marks.helm = runtime.renderOnly?.calls.count ?? 0
            marks.kubernetes = runtime.offlineManagementCluster?.writes.count ?? 0
            marks.openStack = runtime.offlineCloud?.calls.count ?? 0
            try await conductor.start()
            await conductor.runPeriodicTasks(until: clock.now())
            await collect(cause: "start")
            var declaredReplyQueues: Set<String> = []
            for input in inputs {
                let seq = input.entry.seq
                if let last = options.lastSeq, seq > last { break }
                guard input.isRequest else {
                    var o: JSONObject = ["seq": JSONValue(seq), "kind": input.decoded.kind.map { .string($0.rawValue) } ?? .null]
                    o["reason"] = input.decoded.error.map { .string("undecodable: \($0.kind)") }
                        ?? .string("not a request: the worker's own output is compared, not fed")
                    skipped.append(.object(o))
                    continue
                }
                if let at = input.recordedAt, at > clock.now() {
                    await conductor.runPeriodicTasks(until: at)
                    await collect(cause: "periodic")
                }
                if let replyQueue = input.decoded.fields["reply_q"]?.stringValue, !declaredReplyQueues.contains(replyQueue) {
                    // magnum-api's reply queue (oslo: auto-delete, not durable).
                    try await client.declareQueue(QueueDeclaration(name: replyQueue, autoDelete: true))
                    declaredReplyQueues.insert(replyQueue)
                }
                let settledBefore = await recorder.settlements.count
                let outcome = try await client.publish(OutgoingMessage(exchange: input.entry.exchange, routingKey: input.entry.routingKey,
                                                                       body: input.entry.body, properties: input.entry.properties,
                                                                       mandatory: true))
                var step: JSONObject = [
                    "seq": JSONValue(seq), "kind": .string(input.decoded.kind?.rawValue ?? ""),
                    "method": input.decoded.fields["method"] ?? .null,
                    "exchange": .string(input.entry.exchange), "routing_key": .string(input.entry.routingKey),
                    "virtual_time": .string(clock.now().isoPrimitive),
                ]
                if case .returned(let code, let text) = outcome {
                    step["outcome"] = .string("unroutable: \(code) \(text) (no worker queue for this routing key)")
                } else {
                    let settlement = try await waitForSettlement(recorder: recorder, after: settledBefore, timeout: options.requestTimeout, seq: seq)
                    step["outcome"] = .string(settlement.rawValue)
                    if let uniqueID = input.decoded.fields["unique_id"]?.stringValue, let failure = failures.take(uniqueID: uniqueID) {
                        step["error"] = .string(failure)
                    }
                }
                steps.append(.object(step))
                await collect(cause: .object(["seq": JSONValue(seq)]))
                let next = clock.now().adding(seconds: options.stepSeconds)
                await conductor.runPeriodicTasks(until: next)
                await collect(cause: "periodic")
            }
            await conductor.runPeriodicTasks(until: clock.now().adding(seconds: options.settleSeconds))
            await collect(cause: "periodic")
            await conductor.stop()
        } catch {
            await conductor.stop()
            await runtime.shutdown()
            throw error
        }
        let end = clock.now()
        await runtime.shutdown()

        let database = try await databaseState(store)
        let document: JSONValue = .object([
            "format": .string(format),
            "recording": .object([
                "messages": JSONValue(inputs.count),
                "requests": JSONValue(inputs.filter(\.isRequest).count),
                "skipped": .array(skipped),
            ]),
            "virtual_time": .object([
                "start": .string(start.isoPrimitive), "end": .string(end.isoPrimitive),
                "step_seconds": .double(options.stepSeconds), "settle_seconds": .double(options.settleSeconds),
            ]),
            "requests": .array(steps),
            "replies": .array(replies),
            "notifications": .array(notifications),
            "executor_calls": .object([
                "helm": .array(helmCalls), "kubernetes": .array(kubernetesCalls), "openstack": .array(openStackCalls),
            ]),
            "database": database,
        ])
        var known: Set<String> = []
        for input in inputs { known.formUnion(ReplayNormalizer.identifiers(in: String(decoding: input.entry.body, as: UTF8.self))) }
        known.formUnion(ReplayNormalizer.identifiers(in: ReplayDefaults.seed))
        known.formUnion(ReplayNormalizer.identifiers(in: ReplayDefaults.cloud))
        for uuid in seed.uuids { known.insert(uuid.lowercased()) }
        return ReplayNormalizer(known: known).normalize(document)
    }

    /// Waits (real time, yielding) until the worker settled one more delivery.
    static func waitForSettlement(recorder: TransportRecorder, after count: Int, timeout: Double, seq: Int) async throws -> Settlement {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let settlements = await recorder.settlements
            if settlements.count > count { return settlements[count].settlement }
            if Date() > deadline {
                throw ReplayError("message seq \(seq) was not settled by the worker within \(Int(timeout)) s")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// The tables a replay can change, rows in id order. Key material (fresh every run) is
    /// replaced by placeholders; the rest is shown as stored.
    static func databaseState(_ store: SQLiteClusterStore) async throws -> JSONValue {
        let tables = ["cluster_template", "cluster", "nodegroup", "x509keypair", "magnum_service", "capi_worker_operation"]
        let secretColumns: Set<String> = ["certificate", "private_key", "private_key_passphrase", "intermediates"]
        var out = JSONObject()
        for table in tables {
            let rows = try await store.database.read { conn in
                try conn.query("SELECT * FROM \(conn.dialect.quote(table)) ORDER BY 1", [])
            }
            out[table] = .array(rows.rows.map { row in
                var o = JSONObject()
                for (column, value) in zip(rows.columns, row) {
                    switch value {
                    case .null: o[column] = .null
                    case .integer(let i): o[column] = .int(i)
                    case .double(let d): o[column] = .double(d)
                    case .text(let t): o[column] = secretColumns.contains(column) ? .string("<\(column)>") : .string(t)
                    }
                }
                return .object(o)
            })
        }
        return .object(out)
    }
}
