import Curl
import JSON

/// The events of one watch request, in order. Ends when the server closes the stream (its
/// `timeoutSeconds` passed); an `ERROR` event becomes a thrown `KubernetesError` (`.gone` for
/// "too old resource version": list again and watch from the list's resourceVersion).
/// Dropping the sequence or cancelling the iterating task aborts the HTTP transfer.
public struct KubernetesWatch: AsyncSequence, Sendable {
    public typealias Element = KubernetesWatchEvent

    enum Source: Sendable {
        case http(HTTPLineSequence)
        case canned([KubernetesWatchEvent], end: KubernetesError?)
    }

    let source: Source
    let resource: KubernetesResource
    let namespace: String?

    init(lines: HTTPLineSequence, resource: KubernetesResource, namespace: String?) {
        self.source = .http(lines)
        self.resource = resource
        self.namespace = namespace
    }

    /// A watch that replays `events`, then ends (or throws `end`). For test doubles.
    public init(events: [KubernetesWatchEvent], resource: KubernetesResource, namespace: String?, end: KubernetesError? = nil) {
        self.source = .canned(events, end: end)
        self.resource = resource
        self.namespace = namespace
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var lines: HTTPLineSequence.AsyncIterator?
        var canned: [KubernetesWatchEvent]
        var cannedIndex = 0
        var end: KubernetesError?
        let resource: KubernetesResource
        let namespace: String?

        public mutating func next() async throws -> KubernetesWatchEvent? {
            guard var iterator = lines else {
                if cannedIndex < canned.count {
                    cannedIndex += 1
                    return canned[cannedIndex - 1]
                }
                if let end {
                    self.end = nil
                    throw end
                }
                return nil
            }
            while true {
                let line: [UInt8]?
                do {
                    line = try await iterator.next()
                } catch let error as HTTPClientError {
                    lines = iterator
                    throw KubernetesError(kind: .transport, verb: "watch", resource: resource.qualifiedName, namespace: namespace,
                                          message: error.description, transport: error)
                }
                lines = iterator
                guard let line else { return nil }
                if line.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
                return try decode(line)
            }
        }

        func decode(_ line: [UInt8]) throws -> KubernetesWatchEvent {
            let json: JSONValue
            do {
                json = try JSONValue(parsing: line)
            } catch {
                throw KubernetesError(kind: .malformedResponse, verb: "watch", resource: resource.qualifiedName, namespace: namespace,
                                      message: "a watch event is not JSON: \(error)")
            }
            let typeName = json["type"]?.stringValue ?? ""
            let object = json["object"] ?? .null
            if typeName == "ERROR" {
                let code = object["code"]?.intValue ?? 500
                throw KubernetesError(
                    kind: KubernetesError.kind(forStatus: code), verb: "watch", resource: resource.qualifiedName,
                    namespace: namespace, status: code, reason: object["reason"]?.stringValue,
                    message: object["message"]?.stringValue ?? "")
            }
            guard let type = KubernetesWatchEvent.EventType(rawValue: typeName), object.objectValue != nil else {
                throw KubernetesError(kind: .malformedResponse, verb: "watch", resource: resource.qualifiedName, namespace: namespace,
                                      message: "unexpected watch event type '\(typeName)'")
            }
            return KubernetesWatchEvent(type: type, object: KubernetesObject(object))
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case .http(let lines):
            return AsyncIterator(lines: lines.makeAsyncIterator(), canned: [], end: nil, resource: resource, namespace: namespace)
        case .canned(let events, let end):
            return AsyncIterator(lines: nil, canned: events, end: end, resource: resource, namespace: namespace)
        }
    }
}
