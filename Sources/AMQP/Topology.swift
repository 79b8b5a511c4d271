/// The exchanges, queues and bindings declared through a connection, in declaration order,
/// so that they can be declared again on a new connection after the old one was lost.
struct Topology {
    struct QueueRecord {
        /// As declared; an empty name means the broker names the queue.
        var declaration: QueueDeclaration
        /// The name the broker gave it on the current connection.
        var name: String
        var serverNamed: Bool { declaration.name.isEmpty }
    }

    var exchanges: [ExchangeDeclaration] = []
    var queues: [QueueRecord] = []
    var queueBindings: [QueueBinding] = []
    var exchangeBindings: [ExchangeBinding] = []

    var isEmpty: Bool { exchanges.isEmpty && queues.isEmpty && queueBindings.isEmpty && exchangeBindings.isEmpty }

    mutating func record(_ exchange: ExchangeDeclaration) {
        // The default exchange and amq.* exchanges are the broker's own.
        guard !exchange.name.isEmpty, !exchange.name.hasPrefix("amq.") else { return }
        if let i = exchanges.firstIndex(where: { $0.name == exchange.name }) {
            exchanges[i] = exchange
        } else {
            exchanges.append(exchange)
        }
    }

    mutating func removeExchange(_ name: String) {
        exchanges.removeAll { $0.name == name }
        queueBindings.removeAll { $0.exchange == name }
        exchangeBindings.removeAll { $0.source == name || $0.destination == name }
    }

    mutating func record(_ queue: QueueDeclaration, name: String) {
        let record = QueueRecord(declaration: queue, name: name)
        if let i = queues.firstIndex(where: { $0.name == name }) {
            queues[i] = record
        } else {
            queues.append(record)
        }
    }

    mutating func removeQueue(_ name: String) {
        queues.removeAll { $0.name == name }
        queueBindings.removeAll { $0.queue == name }
    }

    func queue(named name: String) -> QueueRecord? { queues.first { $0.name == name } }

    mutating func record(_ binding: QueueBinding) {
        if !queueBindings.contains(binding) { queueBindings.append(binding) }
    }

    mutating func remove(_ binding: QueueBinding) { queueBindings.removeAll { $0 == binding } }

    mutating func record(_ binding: ExchangeBinding) {
        if !exchangeBindings.contains(binding) { exchangeBindings.append(binding) }
    }

    mutating func remove(_ binding: ExchangeBinding) { exchangeBindings.removeAll { $0 == binding } }

    /// A server-named queue came back under a new name: bindings follow it.
    mutating func renameQueue(_ old: String, to new: String) {
        for i in queues.indices where queues[i].name == old { queues[i].name = new }
        for i in queueBindings.indices where queueBindings[i].queue == old { queueBindings[i].queue = new }
    }
}
