import CRabbitMQ
import Glibc

/// A librabbitmq memory pool for building the C structures of one outgoing method or message.
/// Everything allocated is valid until `recycle()`; only the holder of the connection's
/// ownership lock uses it (see `ConnectionLoop`).
final class ScratchPool {
    let pool: UnsafeMutablePointer<amqp_pool_t>

    init(pageSize: Int = 16 * 1024) {
        pool = .allocate(capacity: 1)
        init_amqp_pool(pool, pageSize)
    }

    deinit {
        empty_amqp_pool(pool)
        pool.deallocate()
    }

    func recycle() { recycle_amqp_pool(pool) }

    func allocate(_ count: Int) -> UnsafeMutableRawPointer? {
        count == 0 ? nil : amqp_pool_alloc(pool, count)
    }

    /// The UTF-8 bytes of `text`, copied into the pool.
    func bytes(_ text: String) -> amqp_bytes_t {
        var text = text
        return text.withUTF8 { bytes($0) }
    }

    func bytes(_ buffer: UnsafeBufferPointer<UInt8>) -> amqp_bytes_t {
        guard buffer.count > 0, let base = buffer.baseAddress, let target = allocate(buffer.count) else {
            return amqp_bytes_t(len: 0, bytes: nil)
        }
        target.copyMemory(from: base, byteCount: buffer.count)
        return amqp_bytes_t(len: buffer.count, bytes: target)
    }

    func bytes(_ array: [UInt8]) -> amqp_bytes_t {
        array.withUnsafeBufferPointer { bytes($0) }
    }

    /// `table` as a librabbitmq table whose entries, keys and values live in the pool.
    func table(_ table: AMQPFieldTable) -> amqp_table_t {
        var result = amqp_table_t(num_entries: 0, entries: nil)
        guard !table.isEmpty,
              let raw = allocate(MemoryLayout<amqp_table_entry_t>.stride * table.count)
        else { return result }
        let entries = raw.bindMemory(to: amqp_table_entry_t.self, capacity: table.count)
        for (i, entry) in table.entries.enumerated() {
            (entries + i).initialize(to: amqp_table_entry_t(key: bytes(entry.key), value: field(entry.value)))
        }
        result.num_entries = Int32(table.count)
        result.entries = entries
        return result
    }

    func field(_ value: AMQPFieldValue) -> amqp_field_value_t {
        var f = amqp_field_value_t()
        func kind(_ k: amqp_field_value_kind_t) { f.kind = UInt8(k.rawValue) }
        switch value {
        case .boolean(let v): kind(AMQP_FIELD_KIND_BOOLEAN); f.value.boolean = v ? 1 : 0
        case .int8(let v): kind(AMQP_FIELD_KIND_I8); f.value.i8 = v
        case .uint8(let v): kind(AMQP_FIELD_KIND_U8); f.value.u8 = v
        case .int16(let v): kind(AMQP_FIELD_KIND_I16); f.value.i16 = v
        case .uint16(let v): kind(AMQP_FIELD_KIND_U16); f.value.u16 = v
        case .int32(let v): kind(AMQP_FIELD_KIND_I32); f.value.i32 = v
        case .uint32(let v): kind(AMQP_FIELD_KIND_U32); f.value.u32 = v
        case .int64(let v): kind(AMQP_FIELD_KIND_I64); f.value.i64 = v
        case .uint64(let v): kind(AMQP_FIELD_KIND_U64); f.value.u64 = v
        case .float(let v): kind(AMQP_FIELD_KIND_F32); f.value.f32 = v
        case .double(let v): kind(AMQP_FIELD_KIND_F64); f.value.f64 = v
        case .decimal(let d): kind(AMQP_FIELD_KIND_DECIMAL); f.value.decimal = amqp_decimal_t(decimals: d.scale, value: d.value)
        case .string(let s): kind(AMQP_FIELD_KIND_UTF8); f.value.bytes = bytes(s)
        case .bytes(let b): kind(AMQP_FIELD_KIND_BYTES); f.value.bytes = bytes(b)
        case .timestamp(let t): kind(AMQP_FIELD_KIND_TIMESTAMP); f.value.u64 = t
        case .void: kind(AMQP_FIELD_KIND_VOID)
        case .table(let t): kind(AMQP_FIELD_KIND_TABLE); f.value.table = table(t)
        case .array(let items):
            kind(AMQP_FIELD_KIND_ARRAY)
            var array = amqp_array_t(num_entries: 0, entries: nil)
            if !items.isEmpty, let raw = allocate(MemoryLayout<amqp_field_value_t>.stride * items.count) {
                let values = raw.bindMemory(to: amqp_field_value_t.self, capacity: items.count)
                for (i, item) in items.enumerated() { (values + i).initialize(to: field(item)) }
                array.num_entries = Int32(items.count)
                array.entries = values
            }
            f.value.array = array
        }
        return f
    }

    /// The C form of `properties`, with `_flags` set for every field present.
    func properties(_ p: AMQPProperties) -> amqp_basic_properties_t {
        var c = amqp_basic_properties_t()
        var flags: UInt32 = 0
        if let v = p.contentType { flags |= UInt32(AMQP_BASIC_CONTENT_TYPE_FLAG); c.content_type = bytes(v) }
        if let v = p.contentEncoding { flags |= UInt32(AMQP_BASIC_CONTENT_ENCODING_FLAG); c.content_encoding = bytes(v) }
        if let v = p.headers { flags |= UInt32(AMQP_BASIC_HEADERS_FLAG); c.headers = table(v) }
        if let v = p.deliveryMode { flags |= UInt32(AMQP_BASIC_DELIVERY_MODE_FLAG); c.delivery_mode = v.rawValue }
        if let v = p.priority { flags |= UInt32(AMQP_BASIC_PRIORITY_FLAG); c.priority = v }
        if let v = p.correlationID { flags |= UInt32(AMQP_BASIC_CORRELATION_ID_FLAG); c.correlation_id = bytes(v) }
        if let v = p.replyTo { flags |= UInt32(AMQP_BASIC_REPLY_TO_FLAG); c.reply_to = bytes(v) }
        if let v = p.expiration { flags |= UInt32(AMQP_BASIC_EXPIRATION_FLAG); c.expiration = bytes(v) }
        if let v = p.messageID { flags |= UInt32(AMQP_BASIC_MESSAGE_ID_FLAG); c.message_id = bytes(v) }
        if let v = p.timestamp { flags |= UInt32(AMQP_BASIC_TIMESTAMP_FLAG); c.timestamp = v }
        if let v = p.type { flags |= UInt32(AMQP_BASIC_TYPE_FLAG); c.type = bytes(v) }
        if let v = p.userID { flags |= UInt32(AMQP_BASIC_USER_ID_FLAG); c.user_id = bytes(v) }
        if let v = p.appID { flags |= UInt32(AMQP_BASIC_APP_ID_FLAG); c.app_id = bytes(v) }
        if let v = p.clusterID { flags |= UInt32(AMQP_BASIC_CLUSTER_ID_FLAG); c.cluster_id = bytes(v) }
        c._flags = flags
        return c
    }
}

// MARK: - Reading C values

extension amqp_bytes_t {
    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: bytes, count: len) }
    var string: String { String(decoding: buffer, as: UTF8.self) }
    var array: [UInt8] { len == 0 ? [] : [UInt8](buffer) }
}

extension AMQPFieldTable {
    init(_ c: amqp_table_t) {
        var entries: [Entry] = []
        if c.num_entries > 0, let base = c.entries {
            entries.reserveCapacity(Int(c.num_entries))
            for i in 0..<Int(c.num_entries) {
                entries.append(Entry(key: base[i].key.string, value: AMQPFieldValue(base[i].value)))
            }
        }
        self.init(entries)
    }
}

extension AMQPFieldValue {
    init(_ f: amqp_field_value_t) {
        switch amqp_field_value_kind_t(rawValue: UInt32(f.kind)) {
        case AMQP_FIELD_KIND_BOOLEAN: self = .boolean(f.value.boolean != 0)
        case AMQP_FIELD_KIND_I8: self = .int8(f.value.i8)
        case AMQP_FIELD_KIND_U8: self = .uint8(f.value.u8)
        case AMQP_FIELD_KIND_I16: self = .int16(f.value.i16)
        case AMQP_FIELD_KIND_U16: self = .uint16(f.value.u16)
        case AMQP_FIELD_KIND_I32: self = .int32(f.value.i32)
        case AMQP_FIELD_KIND_U32: self = .uint32(f.value.u32)
        case AMQP_FIELD_KIND_I64: self = .int64(f.value.i64)
        case AMQP_FIELD_KIND_U64: self = .uint64(f.value.u64)
        case AMQP_FIELD_KIND_F32: self = .float(f.value.f32)
        case AMQP_FIELD_KIND_F64: self = .double(f.value.f64)
        case AMQP_FIELD_KIND_DECIMAL:
            self = .decimal(AMQPDecimal(scale: f.value.decimal.decimals, value: f.value.decimal.value))
        case AMQP_FIELD_KIND_UTF8:
            let raw = f.value.bytes
            if let s = String(validating: raw.buffer, as: UTF8.self) {
                self = .string(s)
            } else {
                self = .bytes(raw.array)
            }
        case AMQP_FIELD_KIND_BYTES: self = .bytes(f.value.bytes.array)
        case AMQP_FIELD_KIND_TIMESTAMP: self = .timestamp(f.value.u64)
        case AMQP_FIELD_KIND_TABLE: self = .table(AMQPFieldTable(f.value.table))
        case AMQP_FIELD_KIND_ARRAY:
            var items: [AMQPFieldValue] = []
            let a = f.value.array
            if a.num_entries > 0, let base = a.entries {
                items.reserveCapacity(Int(a.num_entries))
                for i in 0..<Int(a.num_entries) { items.append(AMQPFieldValue(base[i])) }
            }
            self = .array(items)
        default: self = .void
        }
    }
}
