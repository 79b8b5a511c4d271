import AMQP
import Foundation
import JSON

// Conversions between the transport protocol's shapes (JSON values, oslo-style properties) and
// the AMQP module's (field tables, basic properties). Kept in one place so that what goes on the
// wire is decided here only: integers are long-longs ('l'), strings long strings ('S'), booleans
// 't', objects tables ('F'), arrays 'A', null void ('V') — what RabbitMQ compares by type class
// when it checks that a redeclaration is equivalent.

enum AMQPMapping {
    static func fieldValue(_ value: JSONValue) -> AMQPFieldValue {
        switch value {
        case .null: .void
        case .bool(let b): .boolean(b)
        case .int(let i): .int64(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .array(let a): .array(a.map(fieldValue))
        case .object(let o): .table(fieldTable(o))
        }
    }

    static func fieldTable(_ object: JSONObject) -> AMQPFieldTable {
        var entries: [AMQPFieldTable.Entry] = []
        entries.reserveCapacity(object.count)
        for (key, value) in object { entries.append(AMQPFieldTable.Entry(key: key, value: fieldValue(value))) }
        return AMQPFieldTable(entries)
    }

    /// A field value as JSON: every integer type becomes `.int`, floats and decimals `.double`,
    /// timestamps their seconds, byte arrays their UTF-8 text (or base64 when not UTF-8).
    static func jsonValue(_ value: AMQPFieldValue) -> JSONValue {
        switch value {
        case .boolean(let b): return .bool(b)
        case .int8(let v): return .int(Int64(v))
        case .uint8(let v): return .int(Int64(v))
        case .int16(let v): return .int(Int64(v))
        case .uint16(let v): return .int(Int64(v))
        case .int32(let v): return .int(Int64(v))
        case .uint32(let v): return .int(Int64(v))
        case .int64(let v): return .int(v)
        case .uint64(let v): return Int64(exactly: v).map { .int($0) } ?? .double(Double(v))
        case .float(let v): return .double(Double(v))
        case .double(let v): return .double(v)
        case .decimal(let d):
            var scaled = Double(d.value)
            for _ in 0..<d.scale { scaled /= 10 }
            return .double(scaled)
        case .string(let s): return .string(s)
        case .bytes(let b):
            if let text = String(validating: b, as: UTF8.self) { return .string(text) }
            return .string(Data(b).base64EncodedString())
        case .timestamp(let t): return Int64(exactly: t).map { .int($0) } ?? .double(Double(t))
        case .array(let a): return .array(a.map(jsonValue))
        case .table(let t): return .object(jsonObject(t))
        case .void: return .null
        }
    }

    static func jsonObject(_ table: AMQPFieldTable) -> JSONObject {
        var object = JSONObject(minimumCapacity: table.count)
        for entry in table.entries where object[entry.key] == nil { object[entry.key] = jsonValue(entry.value) }
        return object
    }

    static func amqpProperties(_ p: MessageProperties) -> AMQPProperties {
        AMQPProperties(
            contentType: p.contentType, contentEncoding: p.contentEncoding,
            headers: fieldTable(p.headers),
            deliveryMode: p.deliveryMode.flatMap { UInt8(exactly: $0) }.map(AMQPProperties.DeliveryMode.init(rawValue:)),
            priority: p.priority.flatMap { UInt8(exactly: $0) }, correlationID: p.correlationID, replyTo: p.replyTo,
            expiration: p.expiration, messageID: p.messageID, timestamp: p.timestamp.flatMap { UInt64(exactly: $0) },
            type: p.type, userID: p.userID, appID: p.appID)
    }

    static func messageProperties(_ p: AMQPProperties) -> MessageProperties {
        MessageProperties(
            contentType: p.contentType, contentEncoding: p.contentEncoding,
            headers: p.headers.map(jsonObject) ?? [:],
            deliveryMode: p.deliveryMode.map { Int($0.rawValue) }, priority: p.priority.map(Int.init),
            correlationID: p.correlationID, replyTo: p.replyTo, expiration: p.expiration, messageID: p.messageID,
            timestamp: p.timestamp.flatMap { Int64(exactly: $0) }, type: p.type, userID: p.userID, appID: p.appID)
    }

    static func exchange(_ d: ExchangeDeclaration) -> AMQP.ExchangeDeclaration {
        AMQP.ExchangeDeclaration(
            name: d.name, type: AMQP.ExchangeType(rawValue: d.type.rawValue), durable: d.durable,
            autoDelete: d.autoDelete, internal: d.isInternal, arguments: fieldTable(d.arguments))
    }

    static func queue(_ d: QueueDeclaration) -> AMQP.QueueDeclaration {
        AMQP.QueueDeclaration(
            name: d.name, durable: d.durable, exclusive: d.exclusive, autoDelete: d.autoDelete,
            arguments: fieldTable(d.arguments))
    }

    /// How many times the broker delivered the message before: quorum queues say so in
    /// `x-delivery-count`; classic queues only flag `redelivered` (then at least 1).
    static func deliveryCount(headers: AMQPFieldTable?, redelivered: Bool) -> Int {
        if let count = headers?["x-delivery-count"]?.intValue, count >= 0 { return max(count, redelivered ? 1 : 0) }
        return redelivered ? 1 : 0
    }

    /// A broker or connection failure in the transport protocol's terms (reply codes kept).
    static func transportError(_ error: any Error, _ what: String) -> any Error {
        guard let error = error as? AMQPError else { return error }
        let kind: TransportError.Kind
        switch error.replyCode {
        case AMQPReplyCode.preconditionFailed?: kind = .preconditionFailed
        case AMQPReplyCode.notFound?: kind = .notFound
        case AMQPReplyCode.resourceLocked?: kind = .resourceLocked
        case AMQPReplyCode.accessRefused?: kind = .accessRefused
        default:
            switch error.kind {
            case .lostOwnership: kind = .lostOwnership
            case .connectionClosed, .timeout, .connectionRefused, .hostResolutionFailed: kind = .connectionClosed
            case .accessRefused, .authenticationFailed: kind = .accessRefused
            default: kind = .other
            }
        }
        return TransportError(kind, replyCode: error.replyCode.map(Int.init), "\(what): \(error)")
    }
}
