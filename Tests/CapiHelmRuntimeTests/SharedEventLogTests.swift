import CapiHelmDriver
import CapiHelmRuntime
import Foundation
import JSON
import Logging
import MagnumObjects
import Testing
import TestSupport

/// `[capi_worker] offline_state_dir`: the offline world shared by several worker processes.
/// Two instances on one file stand for two processes here: each opens the file itself, so
/// `flock` excludes them from each other exactly as it would two processes.
@Suite struct SharedEventLogTests {
    static func directory() throws -> URL { try TestEnvironment.temporaryDirectory("offline-state") }

    @Test func eachReaderSeesEveryEventOnceInOrder() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("events.jsonl").path
        let a = try SharedEventLog(path: path)
        let b = try SharedEventLog(path: path)
        var seen: [[JSONValue]] = []
        let appended = try a.update { pending in
            seen.append(pending)
            return ["n": 1]
        }
        #expect(appended == ["n": 1])
        _ = try b.update { pending in
            seen.append(pending)
            return ["n": 2]
        }
        #expect(seen == [[], [["n": 1]]])
        // a's own event is not given back; b's is, once.
        #expect(try a.catchUp() == [["n": 2]])
        #expect(try a.catchUp().isEmpty)
        #expect(try b.catchUp().isEmpty)
        // A decision of nil appends nothing.
        #expect(try a.update { _ in nil } == nil)
        // A process started later reads everything from the start.
        #expect(try SharedEventLog(path: path).catchUp() == [["n": 1], ["n": 2]])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    /// Two writers appending at once, 400 events each: every event lands whole, once, and each
    /// writer's decisions saw every earlier event (a counter both increment never repeats).
    @Test func concurrentWritersAreSerialised() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("events.jsonl").path
        let writers = [try SharedEventLog(path: path), try SharedEventLog(path: path)]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (w, log) in writers.enumerated() {
                group.addTask {
                    var last = -1
                    for _ in 0..<400 {
                        _ = try log.update { pending in
                            if let seen = pending.last?["counter"]?.intValue { last = seen }
                            last += 1
                            return ["counter": .int(Int64(last)), "writer": .int(Int64(w))]
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let all = try SharedEventLog(path: path).catchUp()
        #expect(all.count == 800)
        #expect(all.compactMap { $0["counter"]?.intValue } == Array(0..<800))
    }

    /// A writer killed in the middle of a line: readers wait for the line's end, the next writer
    /// closes it, every reader skips it (and counts it), and nothing after it is lost.
    @Test func aLineCutByAKilledWriterIsSkipped() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("events.jsonl").path
        let reader = try SharedEventLog(path: path)
        _ = try SharedEventLog(path: path).update { _ in ["n": 1] }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"n": 2, "values": {"kubernetes"#.utf8))
        try handle.close()
        #expect(try reader.catchUp() == [["n": 1]])
        #expect(try reader.catchUp().isEmpty)
        var seen: [JSONValue] = []
        let closer = try SharedEventLog(path: path)
        _ = try closer.update { pending in
            seen = pending
            return ["n": 3]
        }
        #expect(seen == [["n": 1]])
        #expect(try reader.catchUp() == [["n": 3]])
        #expect(reader.skippedLines == 1)
        #expect(closer.skippedLines == 1)
    }

    @Test func anUnwritableDirectoryIsAStartupProblem() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        guard case .failure(let problem) = RuntimeStartupChecks.offlineState(file.appendingPathComponent("state").path, "events.jsonl") else {
            Issue.record("a directory under a file was accepted")
            return
        }
        #expect(problem.option == "[capi_worker] offline_state_dir")
        #expect(problem.message.contains("cannot be created"))
    }

    /// Two simulations on one directory: what one process installed, the other sees (and its
    /// readiness follows the install's time, not the reader's); an uninstall by the second is
    /// seen by the first; annotations travel too.
    @Test func twoSimulationsShareOneManagementCluster() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(OfflineStateFiles.simulatedReleases).path
        let clock = TestClock()
        func simulation() throws -> SimulatedManagementCluster {
            SimulatedManagementCluster(delay: 30, now: { clock.now }, log: try SharedEventLog(path: path), logger: Logger(label: "test"))
        }
        let first = try simulation()
        let second = try simulation()
        try await first.installed(release: "demo", namespace: "ns", values: SimulatedManagementClusterTests.values)
        #expect(try await second.cluster(name: "demo", namespace: "ns")?["status"]?["phase"] == "Provisioning")
        clock.advance(31)
        #expect(try await second.cluster(name: "demo", namespace: "ns")?["status"]?["phase"] == "Provisioned")
        let machines = try await second.machines(labels: ["capi.stackhpc.com/node-group": "default-worker"], namespace: "ns").compactMap { $0["metadata"]?["name"]?.stringValue }
        #expect(machines.count == 2)
        #expect(try await second.annotateMachine(name: machines[0], namespace: "ns", annotations: ["cluster.x-k8s.io/delete-machine": "yes"]))
        let annotated = try await first.machines(labels: ["capi.stackhpc.com/node-group": "default-worker"], namespace: "ns")
        #expect(annotated.first?["metadata"]?["annotations"]?["cluster.x-k8s.io/delete-machine"] == "yes")
        #expect(try await second.uninstalled(release: "demo", namespace: "ns"))
        #expect(try await first.cluster(name: "demo", namespace: "ns")?["metadata"]?["deletionTimestamp"] != nil)
        // A second uninstall (a resumed delete) finds the release but logs nothing new.
        #expect(try await first.uninstalled(release: "demo", namespace: "ns"))
        // A process started now (a restart after kill -9) rebuilds the same state from the file.
        let restarted = try simulation()
        #expect(try await restarted.releaseNames() == ["ns/demo"])
        clock.advance(31)
        #expect(try await restarted.releaseNames().isEmpty)
        #expect(try await first.cluster(name: "demo", namespace: "ns") == nil)
        let events = try SharedEventLog(path: path).catchUp()
        #expect(events.map { $0["event"]?.stringValue ?? "\($0)" } == ["installed", "annotated", "uninstalled"])
        // Nothing for a machine that does not exist.
        #expect(try await first.annotateMachine(name: "unknown", namespace: "ns", annotations: ["a": "b"]) == false)
        #expect(try SharedEventLog(path: path).catchUp().count == 3)
    }

    /// Secrets stored by one process are read by another; a label deletion by either removes them
    /// for both.
    @Test func secretsAreSharedBetweenProcesses() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(OfflineStateFiles.managementCluster).path
        let a = OfflineManagementCluster(simulation: nil, log: try SharedEventLog(path: path), logger: Logger(label: "test"))
        let b = OfflineManagementCluster(simulation: nil, log: try SharedEventLog(path: path), logger: Logger(label: "test"))
        try await a.ensureNamespace("ns")
        try await a.applySecret(name: "demo-cloud-credentials", body: [
            "metadata": ["labels": ["magnum.openstack.org/cluster-uuid": "u1"]], "stringData": ["clouds.yaml": "secret-text"],
        ], namespace: "ns")
        #expect(try await b.secretValue(name: "demo-cloud-credentials", namespace: "ns", key: "clouds.yaml") == "secret-text")
        #expect(b.secretNames == ["ns/demo-cloud-credentials"])
        try await b.deleteAllSecrets(label: "magnum.openstack.org/cluster-uuid", value: "u1", namespace: "ns")
        #expect(try await a.secretValue(name: "demo-cloud-credentials", namespace: "ns", key: "clouds.yaml") == nil)
        // What a process records as its own writes never holds a value.
        #expect(!"\(a.writes.map(\.json))".contains("secret-text"))
    }

    /// A credential made by one process is deleted by another; deleting it again, or a
    /// credential of another cluster, fails as Keystone would.
    @Test func applicationCredentialsAreSharedBetweenProcesses() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(OfflineStateFiles.applicationCredentials).path
        let description = try OfflineCloudDescription.parse(OfflineCloudTests.good.serialized(.pretty), path: "cloud.json")
        func cloud() throws -> OfflineCloud {
            OfflineCloud(cloud: description, clusterCABundleFile: nil, log: try SharedEventLog(path: path), logger: Logger(label: "test"))
        }
        let a = try cloud(), b = try cloud()
        let cluster = OfflineCloudTests.cluster()
        let made = try await a.createApplicationCredential(cluster: cluster, context: OfflineCloudTests.context)
        #expect(b.applicationCredentialIDs == [made.id])
        // A resumed create finds it by the cluster's names, in any process.
        #expect(try await b.managedApplicationCredentialIDs(cluster: cluster) == [made.id])
        #expect(try await b.managedApplicationCredentialIDs(cluster: OfflineCloudTests.cluster("11111111-2222-4333-8444-555555555555")).isEmpty)
        await #expect(throws: ApplicationCredentialError.self) {
            try await b.deleteApplicationCredential(id: made.id, cluster: OfflineCloudTests.cluster("11111111-2222-4333-8444-555555555555"))
        }
        try await b.deleteApplicationCredential(id: made.id, cluster: cluster)
        #expect(a.applicationCredentialIDs.isEmpty)
        await #expect(throws: ApplicationCredentialError.self) { try await a.deleteApplicationCredential(id: made.id, cluster: cluster) }
        // The file never holds the secret.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains(made.secret))
        #expect(text.contains(made.id))
    }
}
