import FakeOpenStack
import Foundation
import JSON
import Logging
import OpenStack
import Synchronization

enum Cloud {
    static let userID = "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b"
    static let projectID = "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b"
    static let password = "correct horse battery staple"

    static var data: FakeOpenStackCloud.Data {
        var data = FakeOpenStackCloud.Data()
        data.users = [.init(id: userID, name: "magnum", password: password, projectID: projectID, projectName: "service")]
        data.images = [
            ["id": "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70", "name": "ubuntu-jammy-kube-v1.31.4", "status": "active", "visibility": "public",
             "disk_format": "qcow2", "container_format": "bare", "os_distro": "ubuntu", "kube_version": "v1.31.4", "min_ram": 0,
             "tags": [], "self": "/v2/images/0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70", "schema": "/v2/schemas/image"],
            ["id": "1d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f71", "name": "flatcar", "status": "active", "os_distro": "flatcar"],
            ["id": "2d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f72", "name": "twin", "status": "active"],
            ["id": "3d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f73", "name": "twin", "status": "active"],
        ]
        data.flavors = [
            flavor("1", "m1.small", ram: 2048, vcpus: 1), flavor("2", "m1.medium", ram: 4096, vcpus: 2),
            flavor("3", "m1.large", ram: 8192, vcpus: 4), flavor("4", "m1.tiny", ram: 512, vcpus: 1),
        ]
        data.networks = [
            ["id": "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b", "name": "public", "router:external": true, "status": "ACTIVE", "subnets": [], "admin_state_up": true, "shared": false, "project_id": "admin"],
            ["id": "8e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6c", "name": "private", "router:external": false, "status": "ACTIVE", "subnets": ["5f0c"], "admin_state_up": true, "shared": false, "project_id": .string(projectID)],
            ["id": "9e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6d", "name": "dup", "router:external": true, "status": "ACTIVE", "subnets": []],
            ["id": "ae1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6e", "name": "dup", "router:external": true, "status": "ACTIVE", "subnets": []],
        ]
        data.subnets = [
            ["id": "5f0c2a1b-3c4d-4e5f-8a9b-0c1d2e3f4a5b", "name": "private-subnet", "network_id": "8e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6c", "cidr": "10.0.0.0/24", "ip_version": 4],
        ]
        data.volumeTypes = [
            ["id": "6a0e3f7c", "name": "__DEFAULT__", "description": "Default Volume Type", "is_public": true, "extra_specs": [:], "os-volume-type-access:is_public": true],
            ["id": "7b1f4a8d", "name": "ssd", "description": nil, "is_public": true, "extra_specs": ["volume_backend_name": "ssd"], "os-volume-type-access:is_public": true],
        ]
        return data
    }

    static func flavor(_ id: String, _ name: String, ram: Int, vcpus: Int) -> JSONValue {
        ["id": .string(id), "name": .string(name), "ram": .int(Int64(ram)), "vcpus": .int(Int64(vcpus)), "disk": 20,
         "OS-FLV-EXT-DATA:ephemeral": 0, "OS-FLV-DISABLED:disabled": false, "swap": 0, "rxtx_factor": 1.0,
         "os-flavor-access:is_public": true, "links": [["href": .string("http://nova/v2.1/flavors/\(id)"), "rel": "self"]]]
    }

    static func start(_ adjust: (inout FakeOpenStackCloud.Data) -> Void = { _ in }) async throws -> FakeOpenStackCloud {
        var data = Cloud.data
        adjust(&data)
        return try await FakeOpenStackCloud.start(data: data)
    }

    static func configuration(_ cloud: FakeOpenStackCloud, credentials: KeystoneCredentials? = nil, region: String? = "RegionOne",
                              interface: EndpointInterface = .public) -> OpenStackConfiguration {
        OpenStackConfiguration(
            authURL: cloud.authURL,
            credentials: credentials ?? .password(username: "magnum", password: SecretString(password), project: .name("service")),
            region: region, interface: interface)
    }
}

/// Keeps every log record (message and metadata) so tests can check no secret was logged.
final class CollectingLogHandler: LogHandler, @unchecked Sendable {
    final class Store: Sendable {
        let lines = Mutex<[String]>([])
        var all: String { lines.withLock { $0.joined(separator: "\n") } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(store: Store) { self.store = store }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        store.lines.withLock { $0.append("\(event.level) \(event.message) \(merged)") }
    }

    static func logger() -> (Logger, Store) {
        let store = Store()
        var logger = Logger(label: "test") { _ in CollectingLogHandler(store: store) }
        logger.logLevel = .trace
        return (logger, store)
    }
}
