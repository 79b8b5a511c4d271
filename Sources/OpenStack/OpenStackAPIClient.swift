import Curl
import Foundation
import JSON
public import Logging

/// The real OpenStack client: Keystone, Glance, Nova, Neutron and Cinder over libcurl, through one
/// `KeystoneSession` (token cache, catalog, re-auth on 401).
public final class OpenStackAPIClient: OpenStackCloud {
    public let session: KeystoneSession
    private let logger: Logger

    public init(configuration: OpenStackConfiguration, logger: Logger) throws {
        self.session = try KeystoneSession(configuration: configuration, logger: logger)
        self.logger = logger
    }

    /// A client over an existing session (for example one per calling user, sharing one HTTP
    /// client).
    public init(session: KeystoneSession, logger: Logger) {
        self.session = session
        self.logger = logger
    }

    private func json(_ response: HTTPResponse, service: String, operation: String) throws -> JSONValue {
        do {
            return try JSONValue(parsing: response.body)
        } catch {
            throw OpenStackError(kind: .malformedResponse, service: service, operation: operation, status: response.status,
                                 message: "the answer is not JSON: \(error)")
        }
    }

    // MARK: Identity

    public func createApplicationCredential(userID: String, name: String, description: String?) async throws -> ApplicationCredential {
        var body: JSONObject = ["name": .string(name)]
        if let description { body["description"] = .string(description) }
        let response = try await session.send(serviceType: "identity", operation: "create application credential", method: .post,
                                              path: "/users/\(KeystoneSession.escape(userID))/application_credentials",
                                              body: ["application_credential": .object(body)])
        let credential = ApplicationCredential(json: try json(response, service: "identity", operation: "create application credential")["application_credential"] ?? .null)
        logger.info("Application credential created", metadata: ["application_credential_id": "\(credential.id)", "name": "\(credential.name)"])
        return credential
    }

    public func applicationCredential(userID: String, id: String) async throws -> ApplicationCredential {
        let response = try await session.send(serviceType: "identity", operation: "get application credential", method: .get,
                                              path: "/users/\(KeystoneSession.escape(userID))/application_credentials/\(KeystoneSession.escape(id))")
        return ApplicationCredential(json: try json(response, service: "identity", operation: "get application credential")["application_credential"] ?? .null)
    }

    public func applicationCredentials(userID: String) async throws -> [ApplicationCredential] {
        let response = try await session.send(serviceType: "identity", operation: "list application credentials", method: .get,
                                              path: "/users/\(KeystoneSession.escape(userID))/application_credentials")
        let list = try json(response, service: "identity", operation: "list application credentials")["application_credentials"]
        return (list?.arrayValue ?? []).map { ApplicationCredential(json: $0) }
    }

    public func deleteApplicationCredential(userID: String, id: String) async throws {
        _ = try await session.send(serviceType: "identity", operation: "delete application credential", method: .delete,
                                   path: "/users/\(KeystoneSession.escape(userID))/application_credentials/\(KeystoneSession.escape(id))")
        logger.info("Application credential deleted", metadata: ["application_credential_id": "\(id)"])
    }

    public func regions() async throws -> [String] {
        let response = try await session.send(serviceType: "identity", operation: "list regions", method: .get, path: "/regions")
        return (try json(response, service: "identity", operation: "list regions")["regions"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
    }

    public func endpointURL(serviceType: String, interface: EndpointInterface) async throws -> String {
        try await session.endpoint(serviceType: serviceType, interface: interface)
    }

    // MARK: Image

    public func findImage(_ idOrName: String) async throws -> Image {
        if isUUIDLike(idOrName) {
            do {
                let response = try await session.send(serviceType: "image", operation: "get image", method: .get,
                                                      path: "/v2/images/\(KeystoneSession.escape(idOrName))")
                return Image(json: try json(response, service: "image", operation: "get image"))
            } catch let error as OpenStackError where error.kind == .notFound {
                // Fall through: a name that looks like a UUID.
            }
        }
        let response = try await session.send(serviceType: "image", operation: "find image", method: .get, path: "/v2/images",
                                              query: [("name", idOrName)])
        let images = (try json(response, service: "image", operation: "find image")["images"]?.arrayValue ?? []).map(Image.init(json:))
        let matches = images.filter { $0.name == idOrName || $0.id == idOrName }
        guard let image = matches.first else {
            throw OpenStackError(kind: .notFound, service: "image", operation: "find image", status: 404, message: "No Image found for \(idOrName)")
        }
        if matches.count > 1 {
            throw OpenStackError(kind: .ambiguous, service: "image", operation: "find image",
                                 message: "More than one Image exists with the name '\(idOrName)'.")
        }
        return image
    }

    // MARK: Compute

    public func flavors(minimumRAM: Int?) async throws -> [Flavor] {
        var flavors: [Flavor] = []
        var marker: String?
        while true {
            var query: [(String, String)] = []
            if let minimumRAM { query.append(("minRam", String(minimumRAM))) }
            if let marker { query.append(("marker", marker)) }
            let response = try await session.send(serviceType: "compute", operation: "list flavors", method: .get, path: "/flavors/detail", query: query)
            let body = try json(response, service: "compute", operation: "list flavors")
            let page = (body["flavors"]?.arrayValue ?? []).map(Flavor.init(json:))
            flavors += page
            let hasNext = (body["flavors_links"]?.arrayValue ?? []).contains { $0["rel"]?.stringValue == "next" }
            guard hasNext, let last = page.last else { break }
            marker = last.id
        }
        return flavors
    }

    public func findFlavor(_ idOrName: String) async throws -> Flavor {
        do {
            let response = try await session.send(serviceType: "compute", operation: "get flavor", method: .get,
                                                  path: "/flavors/\(KeystoneSession.escape(idOrName))")
            return Flavor(json: try json(response, service: "compute", operation: "get flavor")["flavor"] ?? .null)
        } catch let error as OpenStackError where error.kind == .notFound {
            let matches = try await flavors(minimumRAM: nil).filter { $0.name == idOrName }
            guard let flavor = matches.first else {
                throw OpenStackError(kind: .notFound, service: "compute", operation: "find flavor", status: 404, message: "No Flavor found for \(idOrName)")
            }
            if matches.count > 1 {
                throw OpenStackError(kind: .ambiguous, service: "compute", operation: "find flavor", message: "More than one Flavor exists with the name '\(idOrName)'.")
            }
            return flavor
        }
    }

    // MARK: Network

    public func networks(name: String?, id: String?, external: Bool?) async throws -> [Network] {
        var query: [(String, String)] = []
        if let name { query.append(("name", name)) }
        if let id { query.append(("id", id)) }
        if let external { query.append(("router:external", external ? "True" : "False")) }
        let response = try await session.send(serviceType: "network", operation: "list networks", method: .get, path: "/v2.0/networks", query: query)
        return (try json(response, service: "network", operation: "list networks")["networks"]?.arrayValue ?? []).map(Network.init(json:))
    }

    public func subnets(name: String?, id: String?) async throws -> [Subnet] {
        var query: [(String, String)] = []
        if let name { query.append(("name", name)) }
        if let id { query.append(("id", id)) }
        let response = try await session.send(serviceType: "network", operation: "list subnets", method: .get, path: "/v2.0/subnets", query: query)
        return (try json(response, service: "network", operation: "list subnets")["subnets"]?.arrayValue ?? []).map(Subnet.init(json:))
    }

    // MARK: Block storage

    public func volumeTypes() async throws -> [VolumeType] {
        let response = try await session.send(serviceType: "block-storage", operation: "list volume types", method: .get, path: "/types")
        return (try json(response, service: "block-storage", operation: "list volume types")["volume_types"]?.arrayValue ?? []).map(VolumeType.init(json:))
    }
}
