import CapiHelmDriver
import CapiHelmRuntime
import Foundation
import JSON
import Logging
import MagnumObjects
import Testing
import TestSupport

/// `[capi_worker] offline_cloud_file`: the OpenStack port answered from a JSON file.
@Suite struct OfflineCloudTests {
    static let good: JSONValue = [
        "region": "RegionOne",
        "auth_url": "https://keystone.example:5000/v3",
        "images": [
            ["id": "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70", "name": "ubuntu-2204-kube-v1.31.4", "os_distro": "ubuntu", "kube_version": "v1.31.4"],
            ["id": "1d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70", "name": "twice"],
            ["id": "2d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70", "name": "twice"],
        ],
        "flavors": [["id": "f-small", "name": "m1.small", "ram": 2048, "vcpus": 1], ["id": "f-medium", "name": "m1.medium", "ram": 4096, "vcpus": 2],
                    ["id": "f-tiny", "name": "m1.tiny", "ram": 512, "vcpus": 1]],
        "networks": [["id": "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b", "name": "public", "external": true],
                     ["id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "name": "tenant-net"]],
        "subnets": [["id": "9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f", "name": "tenant-subnet", "network_id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"]],
        "volume_types": ["__DEFAULT__", ["name": "ssd"]],
        "ca_certificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    ]

    static func cloud(_ document: JSONValue = good, logger: Logger = Logger(label: "test")) throws -> OfflineCloud {
        OfflineCloud(cloud: try OfflineCloudDescription.parse(document.serialized(.pretty), path: "cloud.json"), clusterCABundleFile: nil, logger: logger)
    }

    static let context = RequestContext(userId: "u1", projectId: "p1")

    static func cluster(_ uuid: String = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02") -> Cluster {
        var cluster = Cluster()
        cluster.uuid = uuid
        cluster.name = "prod-east"
        return cluster
    }

    @Test func aGoodFileAnswersLikeTheRealCloud() async throws {
        let cloud = try Self.cloud()
        let image = try await cloud.image("ubuntu-2204-kube-v1.31.4", context: Self.context)
        #expect(image.id == "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70")
        #expect(image.attributes["kube_version"] == "v1.31.4")
        #expect(try await cloud.image("0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70", context: Self.context).attributes["os_distro"] == "ubuntu")
        let missing = await #expect(throws: MagnumError.self) { try await cloud.image("nope", context: Self.context) }
        #expect(missing?.message == "Image nope could not be found.")
        let twice = await #expect(throws: MagnumError.self) { try await cloud.image("twice", context: Self.context) }
        #expect(twice?.className == "Conflict")
        #expect(try await cloud.flavors(minimumRAM: 2048, context: Self.context).map(\.name) == ["m1.small", "m1.medium"])
        #expect(try await cloud.volumeTypes(context: Self.context) == ["__DEFAULT__", "ssd"])
        #expect(try await cloud.externalNetworkID("public", context: Self.context) == "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b")
        #expect(try await cloud.networkID(name: "tenant-net", external: false, context: Self.context) == "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f")
        let notExternal = await #expect(throws: MagnumError.self) { try await cloud.externalNetworkID("tenant-net", context: Self.context) }
        #expect(notExternal?.message == "Unable to find external network tenant-net.")
        #expect(try await cloud.fixedSubnetID("tenant-subnet", context: Self.context) == "9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f")
        #expect(try await cloud.cloudEndpoint(context: Self.context) == CloudEndpoint(regionName: "RegionOne", authURL: "https://keystone.example:5000/v3"))
        #expect(try await cloud.openStackCACertificate().hasPrefix("-----BEGIN CERTIFICATE-----"))
    }

    @Test func applicationCredentialsAreMadeUpLocallyAndNeverPrinted() async throws {
        let logs = LogCapture()
        let cloud = try Self.cloud(logger: logs.logger)
        let credential = try await cloud.createApplicationCredential(cluster: Self.cluster(), context: Self.context)
        #expect(credential.id.count == 32)
        #expect(credential.secret.count == 64)
        #expect(cloud.applicationCredentialIDs == [credential.id])
        #expect(!logs.text.contains(credential.secret))
        #expect(logs.text.contains(credential.id))
        #expect(!"\(credential)".contains(credential.secret))
        let other = await #expect(throws: ApplicationCredentialError.self) {
            try await cloud.deleteApplicationCredential(id: credential.id, cluster: Self.cluster("11111111-51d5-4b57-9a44-7e7f1c1a9b02"))
        }
        #expect(other?.message == "\(credential.id) is not managed by Magnum.")
        try await cloud.deleteApplicationCredential(id: credential.id, cluster: Self.cluster())
        #expect(cloud.applicationCredentialIDs.isEmpty)
        let gone = await #expect(throws: ApplicationCredentialError.self) {
            try await cloud.deleteApplicationCredential(id: credential.id, cluster: Self.cluster())
        }
        #expect(gone?.message == "\(credential.id) does not exist.")
    }

    @Test(arguments: [
        ("{\"region\": ", "not valid JSON"),
        ("[]", "the top level must be a JSON object"),
        (#"{"region": "R", "auth_url": "https://k/v3"}"#, "images is missing"),
        (#"{"region": "R", "auth_url": "https://k/v3", "images": [], "flavour": []}"#, "unknown key \"flavour\""),
        (#"{"auth_url": "https://k/v3", "images": []}"#, "region is missing"),
        (#"{"region": "R", "auth_url": "keystone:5000", "images": []}"#, "must be an http:// or https:// URL"),
        (#"{"region": "R", "auth_url": "https://k/v3", "images": [{"name": "x"}]}"#, "images[0].id is missing"),
        (#"{"region": "R", "auth_url": "https://k/v3", "images": [], "flavors": [{"id": "f", "name": "m", "ram": "lots", "vcpus": 1}]}"#, "flavors[0].ram must be an integer"),
        (#"{"region": "R", "auth_url": "https://k/v3", "images": [], "networks": [{"id": "a", "name": "n", "external": "yes"}]}"#, "networks[0].external must be true or false"),
        (#"{"region": "R", "auth_url": "https://k/v3", "images": [{"id": "a"}, {"id": "a"}]}"#, "images has two entries with id \"a\""),
        (#"{"region": "R", "auth_url": "https://k/v3", "images": [], "volume_types": [3]}"#, "volume_types[0] must be a name"),
    ])
    func malformedFilesAreRefusedWithTheProblem(_ text: String, _ problem: String) throws {
        let error = #expect(throws: OfflineCloudFileError.self) { try OfflineCloudDescription.parse(Array(text.utf8), path: "/etc/magnum/cloud.json") }
        #expect(error?.description.hasPrefix("[capi_worker] offline_cloud_file /etc/magnum/cloud.json: ") == true)
        #expect(error?.problem.contains(problem) == true, "\(error?.problem ?? "")")
    }

    @Test func aMissingFileIsRefused() {
        let error = #expect(throws: OfflineCloudFileError.self) { try OfflineCloudDescription.load(path: "/nonexistent/cloud.json") }
        #expect(error?.problem == "the file cannot be read (missing, or no permission)")
    }
}
