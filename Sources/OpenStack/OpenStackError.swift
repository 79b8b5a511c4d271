public import Curl
import Foundation
import JSON

/// A failed OpenStack call: service, operation, HTTP status and the service's own message.
/// Never includes tokens, passwords, application-credential secrets or request bodies.
public struct OpenStackError: Error, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }
        public static let badRequest = Kind(name: "bad request")
        /// Authentication failed (wrong credentials, or a token that cannot be renewed).
        public static let unauthorized = Kind(name: "unauthorized")
        public static let forbidden = Kind(name: "forbidden")
        public static let notFound = Kind(name: "not found")
        public static let conflict = Kind(name: "conflict")
        /// A name matched more than one resource.
        public static let ambiguous = Kind(name: "ambiguous name")
        public static let serverError = Kind(name: "server error")
        public static let unexpectedStatus = Kind(name: "unexpected status")
        /// The catalog has no endpoint for the service, interface and region asked for.
        public static let endpointNotFound = Kind(name: "endpoint not found")
        public static let transport = Kind(name: "transport failure")
        public static let malformedResponse = Kind(name: "malformed response")
    }

    public let kind: Kind
    /// identity, compute, image, network, block-storage
    public let service: String
    /// What was being done, e.g. "create application credential".
    public let operation: String
    public let status: Int
    public let message: String
    public let transport: HTTPClientError?

    public init(kind: Kind, service: String, operation: String, status: Int = 0, message: String = "", transport: HTTPClientError? = nil) {
        self.kind = kind
        self.service = service
        self.operation = operation
        self.status = status
        self.message = message
        self.transport = transport
    }

    public var description: String {
        var text = "OpenStack \(service) \(operation) failed: \(kind)"
        if status != 0 { text += " (HTTP \(status))" }
        if !message.isEmpty { text += ": \(message)" }
        return text
    }

    static func kind(forStatus status: Int) -> Kind {
        switch status {
        case 400: return .badRequest
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        case 409: return .conflict
        case 500...599: return .serverError
        default: return .unexpectedStatus
        }
    }

    /// Reads the message of the usual OpenStack error bodies: Keystone `{"error": {...}}`, Nova
    /// `{"itemNotFound": {"message"}}`, Neutron `{"NeutronError": {"message"}}`, Cinder likewise,
    /// Glance's plain text.
    static func message(from body: [UInt8]) -> String {
        guard !body.isEmpty else { return "" }
        if let json = try? JSONValue(parsing: body), let object = json.objectValue {
            if let message = object["error"]?["message"]?.stringValue { return message }
            if let message = object["message"]?.stringValue { return message }
            for (_, value) in object {
                if let message = value["message"]?.stringValue { return message }
            }
            return ""
        }
        let text = String(decoding: body.prefix(500), as: UTF8.self)
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}

