public import JSON

/// A failure answered with the API server's `Status` object (same codes, reasons and messages).
public struct APIStatus: Error, Sendable {
    public var code: Int
    public var reason: String
    public var message: String
    public var details: JSONObject?

    public init(code: Int, reason: String, message: String, details: JSONObject? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var json: JSONValue {
        var object: JSONObject = [
            "kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Failure",
            "message": .string(message), "reason": .string(reason),
        ]
        if let details { object["details"] = .object(details) }
        object["code"] = .int(Int64(code))
        return .object(object)
    }

    static func details(_ resource: FakeResource, name: String?) -> JSONObject {
        var details: JSONObject = [:]
        if let name { details["name"] = .string(name) }
        if !resource.group.isEmpty { details["group"] = .string(resource.group) }
        details["kind"] = .string(resource.plural)
        return details
    }

    static func notFound(_ resource: FakeResource, _ name: String) -> APIStatus {
        APIStatus(code: 404, reason: "NotFound", message: "\(resource.qualifiedName) \"\(name)\" not found",
                  details: details(resource, name: name))
    }

    static let noSuchResource = APIStatus(code: 404, reason: "NotFound", message: "the server could not find the requested resource", details: [:])

    static func alreadyExists(_ resource: FakeResource, _ name: String) -> APIStatus {
        APIStatus(code: 409, reason: "AlreadyExists", message: "\(resource.qualifiedName) \"\(name)\" already exists",
                  details: details(resource, name: name))
    }

    static func conflict(_ resource: FakeResource, _ name: String) -> APIStatus {
        APIStatus(code: 409, reason: "Conflict",
                  message: "Operation cannot be fulfilled on \(resource.qualifiedName) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
                  details: details(resource, name: name))
    }

    static func badRequest(_ message: String) -> APIStatus {
        APIStatus(code: 400, reason: "BadRequest", message: message)
    }

    static func invalid(_ resource: FakeResource, _ name: String, _ causes: [(field: String, message: String)]) -> APIStatus {
        var details = details(resource, name: name)
        details["kind"] = .string(resource.kind)
        details["causes"] = .array(causes.map { .object(["reason": "FieldValueInvalid", "message": .string($0.message), "field": .string($0.field)]) })
        return APIStatus(code: 422, reason: "Invalid",
                         message: "\(resource.kind) \"\(name)\" is invalid: " + causes.map { "\($0.field): \($0.message)" }.joined(separator: ", "),
                         details: details)
    }

    static let unauthorized = APIStatus(code: 401, reason: "Unauthorized", message: "Unauthorized")

    static func forbidden(_ resource: FakeResource, name: String?, user: String, verb: String, namespace: String?) -> APIStatus {
        var message = "\(resource.qualifiedName)\(name.map { " \"\($0)\"" } ?? "") is forbidden: User \"\(user)\" cannot \(verb) resource \"\(resource.plural)\" in API group \"\(resource.group)\""
        if let namespace { message += " in the namespace \"\(namespace)\"" } else { message += " at the cluster scope" }
        return APIStatus(code: 403, reason: "Forbidden", message: message, details: details(resource, name: name))
    }

    static func expired(_ message: String) -> APIStatus {
        APIStatus(code: 410, reason: "Expired", message: message)
    }
}
