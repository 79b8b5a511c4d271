import CRabbitMQ
import Glibc

/// The last value seen for one string field, so that a stream of messages with the same content
/// type, exchange or consumer tag shares one `String` instead of allocating one per message.
struct InternedString {
    private var bytes: [UInt8] = []
    private var string: String = ""
    private var valid = false

    mutating func get(_ raw: amqp_bytes_t) -> String {
        let buffer = raw.buffer
        if valid, bytes.count == buffer.count {
            if buffer.count == 0 { return string }
            let same = bytes.withUnsafeBytes { mine -> Bool in
                guard let a = mine.baseAddress, let b = buffer.baseAddress else { return false }
                return memcmp(a, b, buffer.count) == 0
            }
            if same { return string }
        }
        bytes = buffer.count == 0 ? [] : [UInt8](buffer)
        string = String(decoding: bytes, as: UTF8.self)
        valid = true
        return string
    }
}

/// Interning slots for the repetitive fields of incoming messages on one channel.
struct IncomingStrings {
    var exchange = InternedString()
    var routingKey = InternedString()
    var consumerTag = InternedString()
    var contentType = InternedString()
    var contentEncoding = InternedString()
    var type = InternedString()
    var replyTo = InternedString()
    var expiration = InternedString()
    var userID = InternedString()
    var appID = InternedString()
    var clusterID = InternedString()
}

extension AMQPProperties {
    init(_ c: amqp_basic_properties_t, strings: inout IncomingStrings) {
        self.init()
        let flags = c._flags
        func has(_ flag: Int32) -> Bool { flags & UInt32(flag) != 0 }
        if has(AMQP_BASIC_CONTENT_TYPE_FLAG) { contentType = strings.contentType.get(c.content_type) }
        if has(AMQP_BASIC_CONTENT_ENCODING_FLAG) { contentEncoding = strings.contentEncoding.get(c.content_encoding) }
        if has(AMQP_BASIC_HEADERS_FLAG) { headers = c.headers.num_entries == 0 ? AMQPFieldTable() : AMQPFieldTable(c.headers) }
        if has(AMQP_BASIC_DELIVERY_MODE_FLAG) { deliveryMode = DeliveryMode(rawValue: c.delivery_mode) }
        if has(AMQP_BASIC_PRIORITY_FLAG) { priority = c.priority }
        if has(AMQP_BASIC_CORRELATION_ID_FLAG) { correlationID = c.correlation_id.string }
        if has(AMQP_BASIC_REPLY_TO_FLAG) { replyTo = strings.replyTo.get(c.reply_to) }
        if has(AMQP_BASIC_EXPIRATION_FLAG) { expiration = strings.expiration.get(c.expiration) }
        if has(AMQP_BASIC_MESSAGE_ID_FLAG) { messageID = c.message_id.string }
        if has(AMQP_BASIC_TIMESTAMP_FLAG) { timestamp = c.timestamp }
        if has(AMQP_BASIC_TYPE_FLAG) { type = strings.type.get(c.type) }
        if has(AMQP_BASIC_USER_ID_FLAG) { userID = strings.userID.get(c.user_id) }
        if has(AMQP_BASIC_APP_ID_FLAG) { appID = strings.appID.get(c.app_id) }
        if has(AMQP_BASIC_CLUSTER_ID_FLAG) { clusterID = strings.clusterID.get(c.cluster_id) }
    }
}
