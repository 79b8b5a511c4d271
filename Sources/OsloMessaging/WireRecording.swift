public import JSON
import Foundation

/// The recordings' format: one JSON object per published message with `seq`, `exchange` (`""` is
/// the default exchange), `routing_key`, `properties` (as RabbitMQ's firehose reports them) and
/// `body` (UTF-8 text) or `body_b64` (anything else).
public enum WireRecording {
    public struct Entry: Sendable, Equatable {
        public var seq: Int
        public var exchange: String
        public var routingKey: String
        public var properties: MessageProperties
        public var body: [UInt8]

        public init(seq: Int, exchange: String, routingKey: String, properties: MessageProperties, body: [UInt8]) {
            self.seq = seq
            self.exchange = exchange
            self.routingKey = routingKey
            self.properties = properties
            self.body = body
        }

        public var jsonObject: JSONObject {
            var o: JSONObject = [
                "seq": JSONValue(seq), "exchange": .string(exchange), "routing_key": .string(routingKey),
                "properties": .object(properties.jsonObject),
            ]
            if let text = String(validating: body, as: UTF8.self) {
                o["body"] = .string(text)
            } else {
                o["body_b64"] = .string(Data(body).base64EncodedString())
            }
            return o
        }

        /// One line of a recording (compact JSON, no trailing newline).
        public func jsonLine() -> String { JSONValue.object(jsonObject).jsonString(.compact) }
    }

    /// Why a line is not a recording entry.
    public struct EntryError: Error, Sendable, Equatable, CustomStringConvertible {
        public let line: Int
        public let reason: String
        public var description: String { "recording line \(line): \(reason)" }
    }

    /// Reads one recording line (`line` is 1-based, for messages).
    public static func parse(line text: some Collection<UInt8>, lineNumber: Int) throws(EntryError) -> Entry {
        let value: JSONValue
        do { value = try JSONValue(parsing: text) } catch {
            throw EntryError(line: lineNumber, reason: "not JSON: \(error)")
        }
        guard case .object(let o) = value else {
            throw EntryError(line: lineNumber, reason: "a JSON \(value.typeName), expected an object")
        }
        let body: [UInt8]
        if case .string(let s)? = o["body"] {
            body = Array(s.utf8)
        } else if case .string(let b64)? = o["body_b64"] {
            guard let data = Data(base64Encoded: b64) else {
                throw EntryError(line: lineNumber, reason: "body_b64 is not base64")
            }
            body = Array(data)
        } else {
            throw EntryError(line: lineNumber, reason: "no \"body\" or \"body_b64\" string")
        }
        return Entry(
            seq: o["seq"]?.intValue ?? (lineNumber - 1),
            exchange: o["exchange"]?.stringValue ?? "",
            routingKey: o["routing_key"]?.stringValue ?? "",
            properties: MessageProperties(jsonObject: o["properties"]?.objectValue ?? [:]),
            body: body)
    }

    /// Whether `bytes` looks like a recording (its first non-empty line is an object with a body)
    /// rather than one raw message body.
    public static func looksLikeRecording(_ bytes: [UInt8]) -> Bool {
        for line in lines(of: bytes) where !line.bytes.allSatisfy(isWhitespace) {
            guard case .object(let o)? = try? JSONValue(parsing: line.bytes) else { return false }
            return o["body"] != nil || o["body_b64"] != nil
        }
        return false
    }

    /// Lines (split on `\n`), with 1-based numbers, blank lines included.
    public static func lines(of bytes: [UInt8]) -> [(number: Int, bytes: ArraySlice<UInt8>)] {
        var out: [(Int, ArraySlice<UInt8>)] = []
        var start = bytes.startIndex
        var number = 1
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            out.append((number, bytes[start..<index]))
            start = index + 1
            number += 1
        }
        if start < bytes.endIndex { out.append((number, bytes[start..<bytes.endIndex])) }
        return out
    }

    static func isWhitespace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
}
