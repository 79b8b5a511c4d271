import CRabbitMQ

/// A synchronous AMQP method (one that the broker answers) sent on a channel.
enum ChannelRequest {
    case channelOpen
    case channelClose
    case exchangeDeclare(ExchangeDeclaration, passive: Bool)
    case exchangeDelete(name: String, ifUnused: Bool)
    case exchangeBind(ExchangeBinding)
    case exchangeUnbind(ExchangeBinding)
    case queueDeclare(QueueDeclaration, passive: Bool)
    case queueBind(QueueBinding)
    case queueUnbind(QueueBinding)
    case queuePurge(name: String)
    case queueDelete(name: String, ifUnused: Bool, ifEmpty: Bool)
    case basicQos(Prefetch)
    case basicConsume(ConsumeRequest)
    case basicCancel(consumerTag: String)
    case confirmSelect

    /// `class.method`, for errors and logs.
    var methodName: String {
        switch self {
        case .channelOpen: "channel.open"
        case .channelClose: "channel.close"
        case .exchangeDeclare(let d, let passive): "exchange.declare\(passive ? " (passive)" : "") '\(d.name)'"
        case .exchangeDelete(let name, _): "exchange.delete '\(name)'"
        case .exchangeBind(let b): "exchange.bind '\(b.destination)' to '\(b.source)'"
        case .exchangeUnbind(let b): "exchange.unbind '\(b.destination)' from '\(b.source)'"
        case .queueDeclare(let d, let passive): "queue.declare\(passive ? " (passive)" : "") '\(d.name)'"
        case .queueBind(let b): "queue.bind '\(b.queue)' to '\(b.exchange)'"
        case .queueUnbind(let b): "queue.unbind '\(b.queue)' from '\(b.exchange)'"
        case .queuePurge(let name): "queue.purge '\(name)'"
        case .queueDelete(let name, _, _): "queue.delete '\(name)'"
        case .basicQos: "basic.qos"
        case .basicConsume(let c): "basic.consume '\(c.queue)'"
        case .basicCancel(let tag): "basic.cancel '\(tag)'"
        case .confirmSelect: "confirm.select"
        }
    }

    var reply: amqp_method_number_t {
        switch self {
        case .channelOpen: AMQP_CHANNEL_OPEN_OK_METHOD
        case .channelClose: AMQP_CHANNEL_CLOSE_OK_METHOD
        case .exchangeDeclare: AMQP_EXCHANGE_DECLARE_OK_METHOD
        case .exchangeDelete: AMQP_EXCHANGE_DELETE_OK_METHOD
        case .exchangeBind: AMQP_EXCHANGE_BIND_OK_METHOD
        case .exchangeUnbind: AMQP_EXCHANGE_UNBIND_OK_METHOD
        case .queueDeclare: AMQP_QUEUE_DECLARE_OK_METHOD
        case .queueBind: AMQP_QUEUE_BIND_OK_METHOD
        case .queueUnbind: AMQP_QUEUE_UNBIND_OK_METHOD
        case .queuePurge: AMQP_QUEUE_PURGE_OK_METHOD
        case .queueDelete: AMQP_QUEUE_DELETE_OK_METHOD
        case .basicQos: AMQP_BASIC_QOS_OK_METHOD
        case .basicConsume: AMQP_BASIC_CONSUME_OK_METHOD
        case .basicCancel: AMQP_BASIC_CANCEL_OK_METHOD
        case .confirmSelect: AMQP_CONFIRM_SELECT_OK_METHOD
        }
    }

    /// Builds the C method in `pool` and hands it to `body` (valid only during the call).
    func withCMethod<R>(pool: ScratchPool, _ body: (amqp_method_number_t, UnsafeMutableRawPointer) -> R) -> R {
        func call<M>(_ id: amqp_method_number_t, _ method: M) -> R {
            var method = method
            return withUnsafeMutablePointer(to: &method) { body(id, UnsafeMutableRawPointer($0)) }
        }
        func flag(_ b: Bool) -> amqp_boolean_t { b ? 1 : 0 }
        switch self {
        case .channelOpen:
            return call(AMQP_CHANNEL_OPEN_METHOD, amqp_channel_open_t(out_of_band: amqp_bytes_t(len: 0, bytes: nil)))
        case .channelClose:
            var m = amqp_channel_close_t()
            m.reply_code = UInt16(AMQP_REPLY_SUCCESS)
            m.reply_text = pool.bytes("closed by client")
            return call(AMQP_CHANNEL_CLOSE_METHOD, m)
        case .exchangeDeclare(let d, let passive):
            var m = amqp_exchange_declare_t()
            m.exchange = pool.bytes(d.name)
            m.type = pool.bytes(d.type.rawValue)
            m.passive = flag(passive)
            m.durable = flag(d.durable)
            m.auto_delete = flag(d.autoDelete)
            m.internal = flag(d.internal)
            m.arguments = pool.table(d.arguments)
            return call(AMQP_EXCHANGE_DECLARE_METHOD, m)
        case .exchangeDelete(let name, let ifUnused):
            var m = amqp_exchange_delete_t()
            m.exchange = pool.bytes(name)
            m.if_unused = flag(ifUnused)
            return call(AMQP_EXCHANGE_DELETE_METHOD, m)
        case .exchangeBind(let b), .exchangeUnbind(let b):
            if case .exchangeBind = self {
                var m = amqp_exchange_bind_t()
                m.destination = pool.bytes(b.destination)
                m.source = pool.bytes(b.source)
                m.routing_key = pool.bytes(b.routingKey)
                m.arguments = pool.table(b.arguments)
                return call(AMQP_EXCHANGE_BIND_METHOD, m)
            }
            var m = amqp_exchange_unbind_t()
            m.destination = pool.bytes(b.destination)
            m.source = pool.bytes(b.source)
            m.routing_key = pool.bytes(b.routingKey)
            m.arguments = pool.table(b.arguments)
            return call(AMQP_EXCHANGE_UNBIND_METHOD, m)
        case .queueDeclare(let d, let passive):
            var m = amqp_queue_declare_t()
            m.queue = pool.bytes(d.name)
            m.passive = flag(passive)
            m.durable = flag(d.durable)
            m.exclusive = flag(d.exclusive)
            m.auto_delete = flag(d.autoDelete)
            m.arguments = pool.table(d.arguments)
            return call(AMQP_QUEUE_DECLARE_METHOD, m)
        case .queueBind(let b):
            var m = amqp_queue_bind_t()
            m.queue = pool.bytes(b.queue)
            m.exchange = pool.bytes(b.exchange)
            m.routing_key = pool.bytes(b.routingKey)
            m.arguments = pool.table(b.arguments)
            return call(AMQP_QUEUE_BIND_METHOD, m)
        case .queueUnbind(let b):
            var m = amqp_queue_unbind_t()
            m.queue = pool.bytes(b.queue)
            m.exchange = pool.bytes(b.exchange)
            m.routing_key = pool.bytes(b.routingKey)
            m.arguments = pool.table(b.arguments)
            return call(AMQP_QUEUE_UNBIND_METHOD, m)
        case .queuePurge(let name):
            var m = amqp_queue_purge_t()
            m.queue = pool.bytes(name)
            return call(AMQP_QUEUE_PURGE_METHOD, m)
        case .queueDelete(let name, let ifUnused, let ifEmpty):
            var m = amqp_queue_delete_t()
            m.queue = pool.bytes(name)
            m.if_unused = flag(ifUnused)
            m.if_empty = flag(ifEmpty)
            return call(AMQP_QUEUE_DELETE_METHOD, m)
        case .basicQos(let p):
            return call(
                AMQP_BASIC_QOS_METHOD,
                amqp_basic_qos_t(prefetch_size: p.size, prefetch_count: p.count, global: flag(p.global)))
        case .basicConsume(let c):
            var m = amqp_basic_consume_t()
            m.queue = pool.bytes(c.queue)
            m.consumer_tag = pool.bytes(c.consumerTag)
            m.no_local = 0
            m.no_ack = flag(c.noAck)
            m.exclusive = flag(c.exclusive)
            m.arguments = pool.table(c.arguments)
            return call(AMQP_BASIC_CONSUME_METHOD, m)
        case .basicCancel(let tag):
            var m = amqp_basic_cancel_t()
            m.consumer_tag = pool.bytes(tag)
            return call(AMQP_BASIC_CANCEL_METHOD, m)
        case .confirmSelect:
            return call(AMQP_CONFIRM_SELECT_METHOD, amqp_confirm_select_t(nowait: 0))
        }
    }

    /// The reply's content as Swift values (`decoded` is the librabbitmq-decoded reply method).
    func response(_ decoded: UnsafeMutableRawPointer?) -> ChannelResponse {
        guard let decoded else { return .done }
        switch self {
        case .queueDeclare:
            let ok = decoded.assumingMemoryBound(to: amqp_queue_declare_ok_t.self).pointee
            return .queue(DeclaredQueue(name: ok.queue.string, messageCount: ok.message_count, consumerCount: ok.consumer_count))
        case .queuePurge:
            return .messageCount(decoded.assumingMemoryBound(to: amqp_queue_purge_ok_t.self).pointee.message_count)
        case .queueDelete:
            return .messageCount(decoded.assumingMemoryBound(to: amqp_queue_delete_ok_t.self).pointee.message_count)
        case .basicConsume:
            return .consumerTag(decoded.assumingMemoryBound(to: amqp_basic_consume_ok_t.self).pointee.consumer_tag.string)
        default:
            return .done
        }
    }
}

enum ChannelResponse: Sendable {
    case done
    case queue(DeclaredQueue)
    case messageCount(UInt32)
    case consumerTag(String)
}

struct QueueBinding: Sendable, Hashable {
    var queue: String
    var exchange: String
    var routingKey: String
    var arguments: AMQPFieldTable
}

struct ExchangeBinding: Sendable, Hashable {
    var destination: String
    var source: String
    var routingKey: String
    var arguments: AMQPFieldTable
}

struct Prefetch: Sendable, Hashable {
    var count: UInt16
    var size: UInt32
    var global: Bool
}

struct ConsumeRequest: Sendable {
    var queue: String
    var consumerTag: String
    var noAck: Bool
    var exclusive: Bool
    var arguments: AMQPFieldTable
    var buffer: DeliveryBuffer
}
