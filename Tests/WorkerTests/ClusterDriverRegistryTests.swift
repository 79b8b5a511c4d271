import ClusterStore
import JSON
import MagnumObjects
import OsloMessaging
import Testing
import Worker

/// Magnum's driver selection (`Driver.get_driver`): by name, by cluster type, beta drivers,
/// disabled entry points, and the errors with Magnum's texts.
@Suite("Cluster driver selection")
struct ClusterDriverRegistryTests {
    struct Fake: ClusterDriver {
        let provides: [ClusterType]
        var isBeta = false
        let tag: String

        func createCluster(_ cluster: inout Cluster, createTimeout: Int?, context: RequestContext) async throws {}
        func updateCluster(_ cluster: inout Cluster, rollback: Bool, context: RequestContext) async throws {}
        func resizeCluster(_ cluster: inout Cluster, nodeCount: Int, nodesToRemove: [String], nodeGroup: inout NodeGroup,
                           context: RequestContext) async throws {}
        func upgradeCluster(_ cluster: inout Cluster, to clusterTemplate: ClusterTemplate, maxBatchSize: Int?, nodeGroup: inout NodeGroup,
                            rollback: Bool, context: RequestContext) async throws {}
        func deleteCluster(_ cluster: inout Cluster, context: RequestContext) async throws {}
        func createNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {}
        func updateNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {}
        func deleteNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {}
    }

    static let ubuntu = ClusterType(serverType: "vm", os: "ubuntu", coe: "kubernetes")
    static let flatcar = ClusterType(serverType: "vm", os: "flatcar", coe: "kubernetes")
    static let coreos = ClusterType(serverType: "vm", os: "fedora-coreos", coe: "kubernetes")

    static func tag(_ driver: any ClusterDriver) -> String? { (driver as? Fake)?.tag }

    static let registry = ClusterDriverRegistry([
        .init(name: "k8s_capi_helm_v1", driver: Fake(provides: [ubuntu, flatcar], tag: "capi")),
        .init(name: "k8s_fedora_coreos_v1", driver: Fake(provides: [coreos], tag: "heat")),
        .init(name: "k8s_cluster_api_flatcar", driver: Fake(provides: [flatcar], isBeta: true, tag: "beta")),
    ])

    @Test func byNameFirstThenByType() throws {
        #expect(Self.tag(try Self.registry.driver(serverType: "vm", os: "ubuntu", coe: "kubernetes", driverName: "k8s_fedora_coreos_v1")) == "heat")
        #expect(Self.tag(try Self.registry.driver(serverType: "vm", os: "ubuntu", coe: "kubernetes", driverName: nil)) == "capi")
        #expect(Self.tag(try Self.registry.driver(serverType: "vm", os: "ubuntu", coe: "kubernetes", driverName: "")) == "capi")
    }

    @Test func anUnknownNameIsClusterDriverNotSupported() {
        #expect(throws: MagnumError("ClusterDriverNotSupported", ["driver_name": "k8s_nope"])) {
            try Self.registry.driver(serverType: "vm", os: "ubuntu", coe: "kubernetes", driverName: "k8s_nope")
        }
        #expect(MagnumError("ClusterDriverNotSupported", ["driver_name": "k8s_nope"]).message == "Cluster driver (k8s_nope) not supported.")
    }

    @Test func anUnknownTypeListsWhatIsSupported() throws {
        do {
            _ = try Self.registry.driver(serverType: "bm", os: "ubuntu", coe: "kubernetes", driverName: nil)
            Issue.record("no error")
        } catch {
            #expect(error.className == "ClusterTypeNotSupported")
            #expect(error.message == "Cluster type (bm, ubuntu, kubernetes) is not supported by any loaded cluster driver. Loaded drivers support: (vm, fedora-coreos, kubernetes), (vm, flatcar, kubernetes), (vm, ubuntu, kubernetes).")
            #expect(error.code == 400)
        }
        let empty = ClusterDriverRegistry([])
        do {
            _ = try empty.driver(serverType: "vm", os: "ubuntu", coe: "kubernetes", driverName: nil)
        } catch {
            #expect(error.message.hasSuffix("Loaded drivers support: none (no cluster drivers are loaded)."))
        }
    }

    @Test func theLastDriverForATypeWinsAndBetaOnesMustBeEnabled() throws {
        // k8s_cluster_api_flatcar comes later and also provides flatcar; it is beta.
        do {
            _ = try Self.registry.driver(serverType: "vm", os: "flatcar", coe: "kubernetes", driverName: nil)
            Issue.record("no error")
        } catch {
            #expect(error.className == "ClusterTypeBetaNotEnabled")
            #expect(error.kwargs["driver_name"] == "k8s_cluster_api_flatcar")
        }
        let enabled = ClusterDriverRegistry(Self.registry.entries, options: DriverSelectionOptions(enabledBetaDrivers: ["k8s_cluster_api_flatcar"]))
        #expect(Self.tag(try enabled.driver(serverType: "vm", os: "flatcar", coe: "kubernetes", driverName: nil)) == "beta")
        // Disabled, the beta driver no longer claims the type; by name it is still found (as in Magnum).
        let disabled = ClusterDriverRegistry(Self.registry.entries, options: DriverSelectionOptions(disabledDrivers: ["k8s_cluster_api_flatcar"]))
        #expect(Self.tag(try disabled.driver(serverType: "vm", os: "flatcar", coe: "kubernetes", driverName: nil)) == "capi")
        #expect(Self.tag(try disabled.driver(serverType: nil, os: nil, coe: nil, driverName: "k8s_cluster_api_flatcar")) == "beta")
    }

    @Test func theTemplateDecides() async throws {
        var template = ClusterTemplate()
        template.serverType = "vm"
        template.clusterDistro = "fedora-coreos"
        template.coe = "kubernetes"
        #expect(Self.tag(try Self.registry.driver(for: template)) == "heat")
        template.driver = "k8s_capi_helm_v1"
        #expect(Self.tag(try Self.registry.driver(for: template)) == "capi")
    }

    @Test func theBaseDriverBehaviourOfTheOptionalMethods() async throws {
        let driver = Fake(provides: [Self.ubuntu], tag: "x")
        var cluster = Cluster()
        #expect(try await driver.clusterHealth(cluster, context: RequestContext()) == nil)
        try await driver.updateClusterStatus(&cluster, context: RequestContext())
        await #expect(throws: MagnumError("NotSupported", message: "'rotate_ca_certificate' is not supported by this driver.")) {
            try await driver.rotateCACertificate(&cluster, context: RequestContext())
        }
        await #expect(throws: DriverNotImplemented("Driver does not support credential rotate.")) {
            try await driver.rotateCredential(&cluster, context: RequestContext())
        }
        try driver.validateMasterSize(3)
        #expect(throws: MagnumError("MasterNGSizeInvalid", ["requested_size": 2])) { try driver.validateMasterSize(2) }
        #expect(throws: MagnumError("MasterNGSizeInvalid", ["requested_size": 0])) { try driver.validateMasterSize(0) }
        #expect(throws: MagnumError("MasterNGResizeNotSupported")) { try driver.validateMasterResize(3) }
        #expect(MagnumError("MasterNGSizeInvalid", ["requested_size": 2]).message
                == "master nodegroup size of 2 is invalid, size cannot be an even number.")
    }

    @Test func driverScriptsReadTheirJSONForm() throws {
        let script = try DriverScript(json: [
            "create_cluster": ["cluster": ["stack_id": "s1"], "nodegroups": ["default-worker": ["status": "X"]],
                               "raise": ["class": "InvalidParameterValue", "kwargs": ["err": "bad"]]],
            "rotate_credential": [["raise": ["builtin": "NotImplementedError", "message": "nope"]], [:]],
            "get_monitor": ["health": ["health_status": "HEALTHY", "health_status_reason": ["api": "ok"]]],
            "status_by_cluster": ["u1": [["cluster": ["status": "CREATE_COMPLETE"]]]],
        ])
        let create = try #require(script.steps["create_cluster"]?.first)
        #expect(create.cluster == ["stack_id": "s1"])
        #expect(create.nodeGroups["default-worker"] == ["status": "X"])
        #expect(create.failure == .magnum(MagnumError("InvalidParameterValue", ["err": "bad"])))
        #expect(script.steps["rotate_credential"]?.count == 2)
        #expect(script.steps["rotate_credential"]?.first?.failure == .notImplemented("nope"))
        #expect(script.steps["get_monitor"]?.first?.health == .some(ClusterHealthReport(healthStatus: "HEALTHY", healthStatusReason: ["api": "ok"])))
        #expect(script.statusByCluster["u1"]?.first?.cluster == ["status": "CREATE_COMPLETE"])
        #expect(throws: DriverScriptError.self) { try DriverScript(json: ["create_cluster": ["raise": ["builtin": "KeyError"]]]) }
        #expect(throws: DriverScriptError.self) { try DriverScript(json: "nope") }
    }
}
