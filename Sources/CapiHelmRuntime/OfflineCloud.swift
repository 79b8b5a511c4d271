public import CapiHelmDriver
import Foundation
public import JSON
public import Logging
public import MagnumObjects
import Synchronization

/// An OpenStack cloud described by a JSON file (`[capi_worker] offline_cloud_file`), for the
/// quickstart, demos and `--dry-run` where no cloud is reachable:
///
/// ```json
/// {
///   "region": "RegionOne",
///   "auth_url": "https://keystone.example:5000/v3",
///   "images": [{"id": "0d4e…", "name": "ubuntu-2204-kube-v1.31.4", "os_distro": "ubuntu", "kube_version": "v1.31.4"}],
///   "flavors": [{"id": "f-medium", "name": "m1.medium", "ram": 4096, "vcpus": 2}],
///   "networks": [{"id": "7e1b…", "name": "public", "external": true}, {"id": "3c4d…", "name": "tenant-net"}],
///   "subnets": [{"id": "9f8e…", "name": "tenant-subnet", "network_id": "3c4d…"}],
///   "volume_types": ["__DEFAULT__", "ssd"],
///   "ca_certificate": "-----BEGIN CERTIFICATE-----…"
/// }
/// ```
///
/// Images are Glance v2 documents (properties at the top level). Only `region`, `auth_url` and
/// `images` are required; unknown keys are refused (a typo should not silently empty the
/// cloud). `ca_certificate` is optional: `[drivers] openstack_ca_file`, else the system bundle.
public struct OfflineCloudDescription: Sendable, Equatable {
    public var region: String
    public var authURL: String
    public var images: [JSONObject]
    public var flavors: [(id: String, name: String, ram: Int, vcpus: Int)]
    public var networks: [(id: String, name: String, external: Bool)]
    public var subnets: [(id: String, name: String)]
    public var volumeTypes: [String]
    public var caCertificate: String?

    public static func == (a: Self, b: Self) -> Bool {
        a.region == b.region && a.authURL == b.authURL && a.images == b.images && a.volumeTypes == b.volumeTypes
            && a.caCertificate == b.caCertificate && a.flavors.map(\.id) == b.flavors.map(\.id)
            && a.networks.map(\.id) == b.networks.map(\.id) && a.subnets.map(\.id) == b.subnets.map(\.id)
    }

    static let keys: Set<String> = ["region", "auth_url", "images", "flavors", "networks", "subnets", "volume_types", "ca_certificate"]

    /// Reads and checks the file; every problem names the file and the entry at fault.
    public static func load(path: String) throws(OfflineCloudFileError) -> OfflineCloudDescription {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw OfflineCloudFileError(path: path, problem: "the file cannot be read (missing, or no permission)")
        }
        return try parse(Array(data), path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws(OfflineCloudFileError) -> OfflineCloudDescription {
        func fail(_ problem: String) -> OfflineCloudFileError { OfflineCloudFileError(path: path, problem: problem) }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: bytes)
        } catch {
            throw fail("not valid JSON: \(error)")
        }
        guard let top = document.objectValue else { throw fail("the top level must be a JSON object") }
        for key in top.keys where !keys.contains(key) {
            throw fail("unknown key \(key.debugDescription) (known: \(keys.sorted().joined(separator: ", ")))")
        }
        func string(_ value: JSONValue?, _ what: String, required: Bool = true) throws(OfflineCloudFileError) -> String? {
            guard let value, !value.isNull else {
                if required { throw fail("\(what) is missing") }
                return nil
            }
            guard let text = value.stringValue, !text.isEmpty else { throw fail("\(what) must be a non-empty string") }
            return text
        }
        func list(_ key: String) throws(OfflineCloudFileError) -> [JSONValue] {
            guard let value = top[key], !value.isNull else { return [] }
            guard let array = value.arrayValue else { throw fail("\(key) must be a list") }
            return array
        }
        func object(_ value: JSONValue, _ what: String) throws(OfflineCloudFileError) -> JSONObject {
            guard let object = value.objectValue else { throw fail("\(what) must be an object") }
            return object
        }
        func int(_ value: JSONValue?, _ what: String) throws(OfflineCloudFileError) -> Int {
            guard let number = value?.intValue else { throw fail("\(what) must be an integer") }
            return number
        }
        func unique(_ ids: [String], _ key: String) throws(OfflineCloudFileError) {
            var seen: Set<String> = []
            for id in ids where !seen.insert(id).inserted { throw fail("\(key) has two entries with id \(id.debugDescription)") }
        }

        let region = try string(top["region"], "region") ?? ""
        let authURL = try string(top["auth_url"], "auth_url") ?? ""
        guard authURL.hasPrefix("http://") || authURL.hasPrefix("https://") else {
            throw fail("auth_url \(authURL.debugDescription) must be an http:// or https:// URL")
        }
        guard top["images"] != nil else { throw fail("images is missing (the cluster templates' images must be described)") }
        var images: [JSONObject] = []
        for (i, value) in try list("images").enumerated() {
            let image = try object(value, "images[\(i)]")
            _ = try string(image["id"], "images[\(i)].id")
            _ = try string(image["name"], "images[\(i)].name", required: false)
            images.append(image)
        }
        try unique(images.compactMap { $0["id"]?.stringValue }, "images")
        var flavors: [(id: String, name: String, ram: Int, vcpus: Int)] = []
        for (i, value) in try list("flavors").enumerated() {
            let flavor = try object(value, "flavors[\(i)]")
            flavors.append((try string(flavor["id"], "flavors[\(i)].id") ?? "", try string(flavor["name"], "flavors[\(i)].name") ?? "",
                            try int(flavor["ram"], "flavors[\(i)].ram"), try int(flavor["vcpus"], "flavors[\(i)].vcpus")))
        }
        try unique(flavors.map(\.id), "flavors")
        var networks: [(id: String, name: String, external: Bool)] = []
        for (i, value) in try list("networks").enumerated() {
            let network = try object(value, "networks[\(i)]")
            let flag = network["external"] ?? network["router:external"]
            if let flag, flag.boolValue == nil, !flag.isNull { throw fail("networks[\(i)].external must be true or false") }
            networks.append((try string(network["id"], "networks[\(i)].id") ?? "", try string(network["name"], "networks[\(i)].name") ?? "",
                             flag?.boolValue ?? false))
        }
        try unique(networks.map(\.id), "networks")
        var subnets: [(id: String, name: String)] = []
        for (i, value) in try list("subnets").enumerated() {
            let subnet = try object(value, "subnets[\(i)]")
            subnets.append((try string(subnet["id"], "subnets[\(i)].id") ?? "", try string(subnet["name"], "subnets[\(i)].name") ?? ""))
        }
        try unique(subnets.map(\.id), "subnets")
        var volumeTypes: [String] = []
        for (i, value) in try list("volume_types").enumerated() {
            if let name = value.stringValue, !name.isEmpty {
                volumeTypes.append(name)
            } else if let name = value["name"]?.stringValue, !name.isEmpty {
                volumeTypes.append(name)
            } else {
                throw fail("volume_types[\(i)] must be a name or an object with a name")
            }
        }
        let ca = try string(top["ca_certificate"], "ca_certificate", required: false)
        return OfflineCloudDescription(region: region, authURL: authURL, images: images, flavors: flavors, networks: networks,
                                       subnets: subnets, volumeTypes: volumeTypes, caCertificate: ca)
    }
}

/// `[capi_worker] offline_cloud_file` cannot be used.
public struct OfflineCloudFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let problem: String
    public var description: String { "[capi_worker] offline_cloud_file \(path): \(problem)" }
}

/// The driver's `OpenStackPort` answered from an `OfflineCloudDescription`, with the real
/// port's semantics and Magnum's errors (images by id or name, flavors by minimum RAM, networks
/// by name among external or internal ones...). Application credentials are made up here
/// (random id and secret; only the id and name are kept, so a later delete can check them) and
/// their secrets are never logged or printed. With a `SharedEventLog` (`[capi_worker]
/// offline_state_dir`) the credentials made and deleted are events in the shared file, so one
/// worker process can delete a credential another made.
public final class OfflineCloud: OpenStackPort {
    public let cloud: OfflineCloudDescription
    let clusterCABundleFile: String?
    let log: SharedEventLog?
    let logger: Logger

    struct Credential {
        var name: String
        var user: String?
    }

    let credentials = Mutex<[String: Credential]>([:])
    let random: (@Sendable () -> UInt64)?
    let recorded = Mutex<[RecordedOpenStackCall]>([])

    /// - Parameter random: 64 random bits at a time for made-up credentials (ids, secrets, name
    ///   suffixes); `nil` is the system generator. Replays pass a seeded source.
    public init(cloud: OfflineCloudDescription, clusterCABundleFile: String?, random: (@Sendable () -> UInt64)? = nil,
                log: SharedEventLog? = nil, logger: Logger) {
        self.cloud = cloud
        self.clusterCABundleFile = clusterCABundleFile
        self.random = random
        self.log = log
        self.logger = logger
    }

    /// Under the credentials' lock, brought up to date with the shared log: logs and applies the
    /// event `decide` makes (none: no change). Without a log, only applies it.
    func changeCredentials(_ decide: ([String: Credential]) -> JSONValue?) throws {
        _ = try credentials.withLock { table in
            try SharedEventLog.change(log, apply: { Self.apply($0, to: &table) }, decide: { decide(table) })
        }
    }

    /// The credentials brought up to date with the shared log (shared lock; nothing appended).
    func currentCredentials() throws -> [String: Credential] {
        try credentials.withLock { table in
            try SharedEventLog.catchUp(log) { Self.apply($0, to: &table) }
            return table
        }
    }

    static func apply(_ event: JSONValue, to table: inout [String: Credential]) {
        guard let id = event["id"]?.stringValue else { return }
        switch event["event"]?.stringValue {
        case "created": table[id] = Credential(name: event["name"]?.stringValue ?? "", user: event["user"]?.stringValue)
        case "deleted": table.removeValue(forKey: id)
        default: break
        }
    }

    /// What the driver asked of the cloud so far, oldest first (never a secret).
    public var calls: [RecordedOpenStackCall] { recorded.withLock { $0 } }

    func record(_ call: String, _ arguments: JSONObject, _ result: JSONValue? = nil, error: (any Error)? = nil) {
        recorded.withLock { $0.append(RecordedOpenStackCall(call: call, arguments: arguments, result: result,
                                                            error: error.map { String(describing: $0) })) }
    }

    public func image(_ identifier: String, context: RequestContext) async throws -> GlanceImage {
        do {
            let value = try await imageUnrecorded(identifier, context: context)
            record("image", ["identifier": .string(identifier)], .string(identifier))
            return value
        } catch {
            record("image", ["identifier": .string(identifier)], error: error)
            throw error
        }
    }

    func imageUnrecorded(_ identifier: String, context: RequestContext) async throws -> GlanceImage {
        if let byID = cloud.images.first(where: { $0["id"]?.stringValue == identifier }) {
            return OpenStackClientPort.glanceImage(.object(byID))
        }
        let named = cloud.images.filter { $0["name"]?.stringValue == identifier }
        if named.count > 1 {
            throw MagnumError("Conflict", message: "Multiple images exist with same name \(identifier). Please use the resource id instead.")
        }
        guard let image = named.first else { throw MagnumError("ImageNotFound", ["image_id": .string(identifier)]) }
        return OpenStackClientPort.glanceImage(.object(image))
    }

    public func flavors(minimumRAM: Int, context: RequestContext) async throws -> [Flavor] {
        do {
            let value = try await flavorsUnrecorded(minimumRAM: minimumRAM, context: context)
            record("flavors", ["minimum_ram": JSONValue(minimumRAM)], .array(value.map { .string($0.name) }))
            return value
        } catch {
            record("flavors", ["minimum_ram": JSONValue(minimumRAM)], error: error)
            throw error
        }
    }

    func flavorsUnrecorded(minimumRAM: Int, context: RequestContext) async throws -> [Flavor] {
        cloud.flavors.filter { $0.ram >= minimumRAM }.map { Flavor(id: $0.id, name: $0.name, ram: $0.ram, vcpus: $0.vcpus) }
    }

    public func volumeTypes(context: RequestContext) async throws -> [String] { cloud.volumeTypes }

    public func networkID(name: String, external: Bool, context: RequestContext) async throws -> String {
        do {
            let value = try await networkIDUnrecorded(name: name, external: external, context: context)
            record("networkID", ["name": .string(name), "external": .bool(external)], .string(value))
            return value
        } catch {
            record("networkID", ["name": .string(name), "external": .bool(external)], error: error)
            throw error
        }
    }

    func networkIDUnrecorded(name: String, external: Bool, context: RequestContext) async throws -> String {
        let found = cloud.networks.filter { $0.name == name && $0.external == external }
        if found.isEmpty { throw MagnumError(external ? "ExternalNetworkNotFound" : "FixedNetworkNotFound", ["network": .string(name)]) }
        if found.count > 1 {
            throw MagnumError("Conflict", message: "Multiple networks exist with same name '\(name)'. Please use the network ID instead.")
        }
        return found[0].id
    }

    public func externalNetworkID(_ network: String?, context: RequestContext) async throws -> String? {
        if let network, !network.isEmpty, UUIDText.isLike(network) { return network }
        guard let network else { throw MagnumError("ExternalNetworkNotFound", ["network": .null]) }
        return try await networkID(name: network, external: true, context: context)
    }

    public func fixedSubnetID(_ subnet: String?, context: RequestContext) async throws -> String? {
        guard let subnet, !subnet.isEmpty, !UUIDText.isLike(subnet) else { return subnet }
        let found = cloud.subnets.filter { $0.name == subnet }
        if found.isEmpty { throw MagnumError("FixedSubnetNotFound", ["subnet": .string(subnet)]) }
        if found.count > 1 {
            throw MagnumError("Conflict", message: "Multiple subnets exist with same name '\(subnet)'. Please use the subnet ID instead.")
        }
        return found[0].id
    }

    public func createApplicationCredential(cluster: Cluster, context: RequestContext) async throws -> ApplicationCredential {
        do {
            let value = try await createApplicationCredentialUnrecorded(cluster: cluster, context: context)
            record("createApplicationCredential", ["cluster": cluster.uuid.map { .string($0) } ?? .null, "user_id": context.userId.map { .string($0) } ?? .null], ["id": .string(value.id)])
            return value
        } catch {
            record("createApplicationCredential", ["cluster": cluster.uuid.map { .string($0) } ?? .null, "user_id": context.userId.map { .string($0) } ?? .null], error: error)
            throw error
        }
    }

    func createApplicationCredentialUnrecorded(cluster: Cluster, context: RequestContext) async throws -> ApplicationCredential {
        var generator = OfflineCloudRandom(source: random)
        let id = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let secret = String((0..<64).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
        let hex = String(format: "%08x", UInt32.random(in: 0...UInt32.max, using: &generator))
        let name = ApplicationCredentialNames.name(for: cluster, randomHex: hex)
        try changeCredentials { _ in
            ["event": "created", "id": .string(id), "name": .string(name), "user": context.userId.map { .string($0) } ?? .null,
             "cluster": cluster.uuid.map { .string($0) } ?? .null]
        }
        logger.info("offline cloud: application credential made up (not in any Keystone)", metadata: [
            "cluster_uuid": "\(cluster.uuid ?? "-")", "application_credential_id": "\(id)",
        ])
        return ApplicationCredential(id: id, secret: secret)
    }

    public func deleteApplicationCredential(id: String, cluster: Cluster) async throws {
        do {
            let value = try await deleteApplicationCredentialUnrecorded(id: id, cluster: cluster)
            record("deleteApplicationCredential", ["id": .string(id), "cluster": cluster.uuid.map { .string($0) } ?? .null], nil)
            return value
        } catch {
            record("deleteApplicationCredential", ["id": .string(id), "cluster": cluster.uuid.map { .string($0) } ?? .null], error: error)
            throw error
        }
    }

    func deleteApplicationCredentialUnrecorded(id: String, cluster: Cluster) async throws {
        var refusal: ApplicationCredentialError?
        try changeCredentials { table in
            guard let found = table[id] else {
                refusal = ApplicationCredentialError("\(id) does not exist.")
                return nil
            }
            guard ApplicationCredentialNames.isManaged(name: found.name, cluster: cluster) else {
                refusal = ApplicationCredentialError("\(id) is not managed by Magnum.")
                return nil
            }
            return ["event": "deleted", "id": .string(id), "cluster": cluster.uuid.map { .string($0) } ?? .null]
        }
        if let refusal { throw refusal }
        logger.info("offline cloud: application credential forgotten", metadata: [
            "cluster_uuid": "\(cluster.uuid ?? "-")", "application_credential_id": "\(id)",
        ])
    }

    public func managedApplicationCredentialIDs(cluster: Cluster) async throws -> [String] {
        let ids = try currentCredentials().filter { ApplicationCredentialNames.isManaged(name: $0.value.name, cluster: cluster) }.keys.sorted()
        record("managedApplicationCredentialIDs", ["cluster": cluster.uuid.map { .string($0) } ?? .null], .array(ids.map { .string($0) }))
        return ids
    }

    /// Ids of the credentials made up and not deleted yet.
    public var applicationCredentialIDs: [String] {
        ((try? currentCredentials()) ?? credentials.withLock { $0 }).keys.sorted()
    }

    public func cloudEndpoint(context: RequestContext) async throws -> CloudEndpoint {
        CloudEndpoint(regionName: cloud.region, authURL: cloud.authURL)
    }

    public func openStackCACertificate() async throws -> String {
        if let configured = clusterCABundleFile, !configured.isEmpty { return try ClusterCABundle.read(configured) }
        if let ca = cloud.caCertificate { return ca }
        return try ClusterCABundle.read(nil)
    }
}

/// One question the driver asked the offline cloud (`OfflineCloud.calls`): the call, its
/// arguments and what came back — an application credential only by id, never its secret.
public struct RecordedOpenStackCall: Sendable, Equatable {
    public var call: String
    public var arguments: JSONObject
    public var result: JSONValue?
    public var error: String?

    public var json: JSONValue {
        var o: JSONObject = ["call": .string(call), "arguments": .object(arguments)]
        if let result { o["result"] = result }
        if let error { o["error"] = .string(error) }
        return .object(o)
    }
}

/// The system generator, or a caller's source of 64-bit values (repeatable runs).
struct OfflineCloudRandom: RandomNumberGenerator {
    let source: (@Sendable () -> UInt64)?
    var system = SystemRandomNumberGenerator()

    mutating func next() -> UInt64 { source?() ?? system.next() }
}
