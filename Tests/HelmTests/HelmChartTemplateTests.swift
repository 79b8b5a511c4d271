import Foundation
import Helm
import JSON
import Testing
import TestSupport

/// The real `helm template` renders every driver case's values with the test chart, whose schema
/// rejects values of the wrong shape.
@Suite(.enabled(if: TestEnvironment.helmEnabled, "needs helm from tools/helm (MCW_HELM)"))
struct HelmChartTemplateTests {
    let executor: HelmCommandExecutor

    init() throws {
        executor = HelmCommandExecutor(
            configuration: .testing(helm: try TestEnvironment.requireHelm()), logger: CapturedLogs().logger)
    }

    func render(_ values: JSONValue, release: String = "prod-east-x9k2m4p7q1w3") async throws -> String {
        let rendered = try await executor.template(HelmTemplateRequest(
            release: release, chart: HelmChartReference(name: Fixtures.chartDirectory),
            namespace: "magnum-9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b", values: values))
        return try #require(rendered.manifest)
    }

    /// Every install_or_upgrade of the Python driver's cases renders, and what the values say
    /// shows up in the manifests.
    @Test func everyDriverCaseRenders() async throws {
        defer { executor.shutdown() }
        let requests = try Fixtures.driverUpgradeRequests()
        #expect(requests.count == 28)
        // Rendered concurrently; the executor's limiter keeps it to 4 helm processes.
        let manifests = await withTaskGroup(of: (String, Result<String, any Error>).self) { group in
            for (name, request) in requests {
                group.addTask {
                    do {
                        return (name, .success(try await render(request.values, release: request.release)))
                    } catch {
                        return (name, .failure(error))
                    }
                }
            }
            var results: [String: Result<String, any Error>] = [:]
            for await (name, result) in group { results[name] = result }
            return results
        }
        for (name, request) in requests {
            let manifest: String
            switch manifests[name] {
            case .success(let text)?:
                manifest = text
            case .failure(let error)?:
                Issue.record("\(name): \(error)")
                continue
            case nil:
                Issue.record("\(name) was not rendered")
                continue
            }
            let values = request.values
            #expect(manifest.contains("kind: KubeadmControlPlane"), "\(name)")
            if let version = values["kubernetesVersion"]?.stringValue {
                #expect(manifest.contains("version: v\(version)"), "\(name)")
            }
            if let flavor = values["controlPlane"]?["machineFlavor"]?.stringValue {
                #expect(manifest.contains("flavor: \"\(flavor)\""), "\(name)")
            }
            if let count = values["controlPlane"]?["machineCount"]?.intValue {
                #expect(manifest.contains("replicas: \(count)"), "\(name)")
            }
            for group in values["nodeGroups"]?.arrayValue ?? [] {
                let groupName = try #require(group["name"]?.stringValue)
                #expect(manifest.contains("name: \(request.release)-\(groupName)"), "\(name) \(groupName)")
                if let max = group["machineCountMax"]?.intValue {
                    #expect(manifest.contains("cluster-api-autoscaler-node-group-max-size: \"\(max)\""), "\(name)")
                }
            }
            if let secret = values["cloudCredentialsSecretName"]?.stringValue {
                #expect(manifest.contains("name: \(secret)"), "\(name)")
            }
            if let cidrs = values["apiServer"]?["allowedCidrs"]?.arrayValue {
                for cidr in cidrs.compactMap(\.stringValue) { #expect(manifest.contains(cidr), "\(name)") }
            }
            let classes = values["addons"]?["openstack"]?["csiCinder"]?["additionalStorageClasses"]?.arrayValue ?? []
            for storageClass in classes.compactMap({ $0["name"]?.stringValue }) {
                #expect(manifest.contains("name: \(storageClass)"), "\(name)")
            }
            if let provider = values["addons"]?["openstack"]?["cloudConfig"]?["LoadBalancer"]?["lb-provider"]?.stringValue {
                #expect(manifest.contains("lb-provider=\(provider)"), "\(name)")
            }
            if values["addons"]?["openstack"]?["k8sKeystoneAuth"]?["enabled"]?.boolValue == true {
                #expect(manifest.contains("k8s-keystone-auth"), "\(name)")
                #expect(manifest.contains("authorization-mode: Node,Webhook,RBAC"), "\(name)")
            }
            #expect(manifest.contains("kubernetes-dashboard") == (values["addons"]?["kubernetesDashboard"]?["enabled"]?.boolValue == true), "\(name)")
            #expect(manifest.contains("kube-prometheus-stack") == (values["addons"]?["monitoring"]?["enabled"]?.boolValue == true), "\(name)")
        }
    }

    static func defaults() throws -> JSONValue {
        try #require(try Fixtures.driverUpgradeRequests().first { $0.name == "create_defaults.json" }?.request.values)
    }

    static func replacing(_ values: JSONValue, _ path: [String], with value: JSONValue) -> JSONValue {
        guard let key = path.first, case .object(var object) = values else { return values }
        object[key] = path.count == 1 ? value : replacing(object[key] ?? [:], Array(path.dropFirst()), with: value)
        return .object(object)
    }

    @Test(arguments: [
        (["kubernetesVersion"], JSONValue.double(1.31)),
        (["controlPlane", "machineCount"], .string("3")),
        (["apiServer", "associateFloatingIP"], .string("yes")),
        (["clusterNetworking", "internalNetwork", "nodeCidr"], .int(10)),
        (["addons", "openstack", "csiCinder", "defaultStorageClass", "reclaimPolicy"], .string("Keep")),
        (["nodeGroups"], .object(["name": "default-worker"])),
        (["machineImageID"], .string("typo-of-machineImageId")),
        (["controlPlane", "machineFlavour"], .string("m1.large")),
    ])
    func wrongValuesAreRejectedByTheSchema(path: [String], value: JSONValue) async throws {
        defer { executor.shutdown() }
        let values = Self.replacing(try Self.defaults(), path, with: value)
        let error = try #require(await #expect(throws: HelmError.self) { _ = try await render(values) })
        #expect(error.kind == .schemaValidationFailed)
        #expect(error.operation == .template)
        #expect(error.detail.contains("values don't meet the specifications of the schema"))
    }

    @Test func inconsistentValuesFailTheTemplates() async throws {
        defer { executor.shutdown() }
        let values = Self.replacing(
            try Self.defaults(), ["nodeGroups"],
            with: [["name": "batch", "machineFlavor": "m1.medium", "autoscale": "true", "machineCountMin": 4, "machineCountMax": 2]])
        let error = try #require(await #expect(throws: HelmError.self) { _ = try await render(values) })
        #expect(error.kind == .renderFailed)
        #expect(error.detail.contains("maximum machine count < minimum machine count for node group 'batch'"))
    }

    @Test func templateWritesOneFilePerTemplateIntoTheDirectory() async throws {
        defer { executor.shutdown() }
        let output = try makeTemporaryDirectory("rendered")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let rendered = try await executor.template(HelmTemplateRequest(
            release: "rel", chart: HelmChartReference(name: Fixtures.chartDirectory), namespace: "ns",
            values: try Self.defaults(), outputDirectory: output, kubeVersion: "1.31.4"))
        #expect(rendered.directory == output)
        #expect(rendered.files == [
            "openstack-cluster-paths/templates/addons.yaml",
            "openstack-cluster-paths/templates/cluster.yaml",
            "openstack-cluster-paths/templates/control-plane.yaml",
            "openstack-cluster-paths/templates/node-groups.yaml",
            "openstack-cluster-paths/templates/openstack-cluster.yaml",
        ])
    }
}
