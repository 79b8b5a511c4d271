import CapiHelmDriver
import JSON
import Logging
import MagnumObjects
import Testing

/// `[capi_worker] operation_timeouts`: a create/update/delete that runs past its timeout fails
/// with a reason (1.4.0 leaves such clusters in progress forever).
@Suite("Operation timeouts")
struct OperationTimeoutTests {
    static let now = "2026-01-01T12:00:00Z"

    static func statusCase(_ file: String, startedMinutesAgo minutes: Int?, options: JSONValue = ["operation_timeouts": true]) throws -> JSONValue {
        var c = try Cases.base(file)
        c[path: "config", "capi_worker"] = options
        c[path: "input", "now"] = .string(now)
        if let minutes {
            let start = Timestamp(parsing: now)!.adding(seconds: Double(-minutes * 60))
            c[path: "input", "operation_started_at"] = .string(start.isoPrimitive)
        }
        return c
    }

    @Test("a create running past the cluster's create_timeout fails, with its nodegroups")
    func createTimesOut() async throws {
        let out = try await Cases.run(try Self.statusCase("status_create_provisioning.json", startedMinutesAgo: 61))
        #expect(out[path: "cluster", "status"] == "CREATE_FAILED")
        #expect(out[path: "cluster", "status_reason"] == "Timed out after 60 minutes waiting for the create to finish.")
        for ng in out["nodegroups"]?.arrayValue ?? [] { #expect(ng["status"] == "CREATE_FAILED") }
    }

    @Test("within the timeout nothing changes")
    func withinTimeout() async throws {
        let out = try await Cases.run(try Self.statusCase("status_create_provisioning.json", startedMinutesAgo: 59))
        #expect(out[path: "cluster", "status"] == "CREATE_IN_PROGRESS")
        #expect(out[path: "cluster", "status_reason"] == .null)
    }

    @Test("the cluster's own create_timeout wins over the site default")
    func clusterCreateTimeout() async throws {
        var c = try Self.statusCase("status_create_provisioning.json", startedMinutesAgo: 11)
        c[path: "input", "cluster", "create_timeout"] = 10
        let out = try await Cases.run(c)
        #expect(out[path: "cluster", "status"] == "CREATE_FAILED")
        #expect(out[path: "cluster", "status_reason"] == "Timed out after 10 minutes waiting for the create to finish.")
    }

    @Test("updates and deletes have their own timeouts")
    func updateAndDelete() async throws {
        let update = try await Cases.run(try Self.statusCase("status_nodegroup_delete_machines_left.json", startedMinutesAgo: 91,
                                                             options: ["operation_timeouts": true, "update_timeout": 90]))
        #expect(update[path: "cluster", "status"] == "UPDATE_FAILED")
        #expect(update[path: "cluster", "status_reason"] == "Timed out after 90 minutes waiting for the update to finish.")
        // The nodegroup still deleting is not an update: it keeps its state.
        let gpu = update["nodegroups"]?.arrayValue?.first { $0["name"] == "gpu-pool" }
        #expect(gpu?["status"] == "DELETE_IN_PROGRESS")

        let delete = try await Cases.run(try Self.statusCase("status_delete_waiting.json", startedMinutesAgo: 61))
        #expect(delete[path: "cluster", "status"] == "DELETE_FAILED")
        for ng in delete["nodegroups"]?.arrayValue ?? [] { #expect(ng["status"] == "DELETE_FAILED") }
    }

    @Test("without a recorded start, created_at (create) is the reference")
    func fallsBackToCreatedAt() async throws {
        var c = try Self.statusCase("status_create_not_started.json", startedMinutesAgo: nil)
        c[path: "input", "cluster", "created_at"] = "2026-01-01T10:00:00Z"
        let out = try await Cases.run(c)
        #expect(out[path: "cluster", "status"] == "CREATE_FAILED")
    }

    @Test("1.4.0 compatibility never times out")
    func compatibility() async throws {
        let c = try Self.statusCase("status_create_provisioning.json", startedMinutesAgo: 6000, options: [:])
        let out = try await Cases.run(c)
        #expect(out[path: "cluster", "status"] == "CREATE_IN_PROGRESS")
    }

    @Test("the reason carries what Cluster API reports, when that is on too")
    func reasonWithFailures() async throws {
        var c = try Self.statusCase("status_create_provisioning.json", startedMinutesAgo: 61,
                                    options: ["operation_timeouts": true, "report_machine_failures": true])
        c[path: "input", "k8s", "openstack_cluster"] = ["status": ["failureReason": "CreateError", "failureMessage": "quota exceeded"]]
        let out = try await Cases.run(c)
        #expect(out[path: "cluster", "status_reason"]
            == "Timed out after 60 minutes waiting for the create to finish. Cluster API reports: OpenStackCluster: CreateError: quota exceeded")
    }

    @Test("operations record when they started")
    func recordsStart() async throws {
        var configuration = DriverConfiguration.compatibility140
        configuration.worker.operationTimeouts = true
        let store = InMemoryClusterStore()
        var template = ClusterTemplate()
        template.id = 1
        template.uuid = "t"
        template.imageId = "img"
        template.labels = [:]
        _ = try store.insert(template)
        var cluster = Cluster()
        cluster.uuid = "c"
        cluster.projectId = "p"
        cluster.userId = "u"
        cluster.clusterTemplateId = "t"
        cluster.stackId = "rel"
        cluster.status = .updateInProgress
        cluster = try store.insert(cluster)
        let input: JSONValue = ["image": ["id": "img", "kube_version": "v1.31.0", "os_distro": "ubuntu"]]
        let start = Timestamp(parsing: Self.now)!
        let driver = CapiHelmDriver(
            configuration: configuration,
            ports: DriverPorts(helm: RecordingHelm(), kubernetes: RecordingKubernetes(state: [:]), openStack: RecordingOpenStack(input: input),
                               certificates: StaticCertificates(input: nil), store: store),
            logger: Cases.quiet, now: { start })
        try await driver.updateCluster(&cluster, context: RequestContext(userId: "u", projectId: "p"))
        #expect(try await store.operationStart(clusterUUID: "c") == start)
    }
}
