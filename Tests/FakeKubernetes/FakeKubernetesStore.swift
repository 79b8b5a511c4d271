import Foundation
public import JSON

/// The fake API server's state and semantics: objects by resource, namespace and name; one
/// resourceVersion counter bumped on every write; an event history for watches (a watch from a
/// compacted resourceVersion gets 410 Expired); server-side apply with per-manager field
/// ownership (conflicts without `force`); JSON merge patch; optimistic concurrency on update.
public actor FakeKubernetesStore {
    struct Entry {
        var object: JSONObject
        /// Per field manager, the fields it last set (apply configuration or patch).
        var managers: [String: JSONValue] = [:]
    }

    struct HistoryEvent {
        var resourceVersion: Int
        var resource: String
        var namespace: String
        var type: String
        var object: JSONObject
        var oldLabels: [String: String]?
    }

    struct Watcher {
        var resource: FakeResource
        var version: String
        var namespace: String?
        var selector: LabelSelector?
        var nameField: String?
        var bookmarks: Bool
        var continuation: AsyncStream<[UInt8]>.Continuation
    }

    public nonisolated let resources: [FakeResource]
    private var objects: [String: [String: [String: Entry]]] = [:]
    /// resource → namespace → "key=value" → names: label-equality lookups stay fast with many
    /// thousands of objects (status sync benchmarks).
    private var labelIndex: [String: [String: [String: Set<String>]]] = [:]
    public private(set) var resourceVersion = 1000
    private var history: [HistoryEvent] = []
    private var historyStart = 0
    /// A watch or continue token older than this answers 410.
    public private(set) var oldestWatchableVersion = 1000
    public var historyLimit = 50_000
    private var watchers: [Int: Watcher] = [:]
    private var nextWatcher = 0
    private var uidCounter = 0

    public init(resources: [FakeResource] = FakeResource.standard) {
        self.resources = resources
    }

    nonisolated func key(_ resource: FakeResource) -> String { "\(resource.group)/\(resource.plural)" }

    // MARK: Test hooks

    /// Forgets the event history: watches from any earlier resourceVersion now get 410.
    public func compactHistory() {
        history.removeAll()
        historyStart = 0
        oldestWatchableVersion = resourceVersion
    }

    /// What an API server does when etcd compacts past its watchers: every open watch gets an
    /// ERROR event with 410 Expired and ends, and the history is forgotten.
    public func expireWatches() {
        compactHistory()
        for (id, watcher) in watchers {
            let status = APIStatus.expired("The resourceVersion for the provided watch is too old.")
            watcher.continuation.yield(Self.eventLine("ERROR", status.json))
            watcher.continuation.finish()
            watchers.removeValue(forKey: id)
        }
    }

    /// Sends a BOOKMARK with the current resourceVersion to every watch that asked for them.
    public func sendBookmarks() {
        for watcher in watchers.values where watcher.bookmarks {
            let object: JSONValue = [
                "kind": .string(watcher.resource.kind), "apiVersion": .string(watcher.resource.apiVersion(watcher.version)),
                "metadata": ["resourceVersion": .string(String(resourceVersion))],
            ]
            watcher.continuation.yield(Self.eventLine("BOOKMARK", object))
        }
    }

    public var activeWatches: Int { watchers.count }

    /// Number of objects stored for `plural` (all namespaces).
    public func count(_ plural: String) -> Int {
        objects.filter { $0.key.hasSuffix("/\(plural)") }.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } }
    }

    /// Sets `status` of an object directly, as a controller would (bumps resourceVersion, MODIFIED).
    public func setStatus(_ plural: String, group: String, namespace: String?, name: String, status: JSONValue) throws {
        guard let resource = resources.first(where: { $0.plural == plural && $0.group == group }) else { throw APIStatus.noSuchResource }
        let ns = namespace ?? ""
        guard var entry = objects[key(resource)]?[ns]?[name] else { throw APIStatus.notFound(resource, name) }
        let oldLabels = Self.labels(entry.object)
        entry.object["status"] = status
        commit(resource, ns, name, entry, type: "MODIFIED", oldLabels: oldLabels)
    }

    /// Stores an object as given (status included), creating or replacing it: for seeding tests
    /// and benchmarks with what controllers would have written.
    @discardableResult
    public func seed(_ plural: String, group: String, object: JSONValue) throws -> JSONValue {
        guard let resource = resources.first(where: { $0.plural == plural && $0.group == group }) else { throw APIStatus.noSuchResource }
        guard var body = object.objectValue, let name = body["metadata"]?["name"]?.stringValue else {
            throw APIStatus.badRequest("object has no metadata.name")
        }
        let ns = resource.namespaced ? (body["metadata"]?["namespace"]?.stringValue ?? "default") : ""
        let existing = objects[key(resource)]?[ns]?[name]
        var metadata = body["metadata"]?.objectValue ?? [:]
        if resource.namespaced { metadata["namespace"] = .string(ns) }
        if existing == nil { initialiseMetadata(&metadata) } else {
            for field in ["uid", "creationTimestamp", "generation"] { metadata[field] = existing?.object["metadata"]?[field] }
        }
        body["metadata"] = .object(metadata)
        if body["apiVersion"] == nil { body["apiVersion"] = .string(resource.apiVersion(resource.versions[0])) }
        if body["kind"] == nil { body["kind"] = .string(resource.kind) }
        let entry = Entry(object: body, managers: existing?.managers ?? [:])
        return .object(commit(resource, ns, name, entry, type: existing == nil ? "ADDED" : "MODIFIED", oldLabels: existing.map { Self.labels($0.object) }))
    }

    // MARK: Reads

    func get(_ resource: FakeResource, version: String, namespace: String?, name: String) throws -> JSONValue {
        guard let entry = objects[key(resource)]?[namespace ?? ""]?[name] else { throw APIStatus.notFound(resource, name) }
        return present(entry.object, resource, version)
    }

    struct ContinueToken: Codable {
        var rv: Int
        var start: String
    }

    func list(_ resource: FakeResource, version: String, namespace: String?, selector: LabelSelector?, nameField: String?,
              limit: Int?, continueToken: String?) throws -> JSONValue {
        var startAfter: String?
        var listVersion = resourceVersion
        if let continueToken, !continueToken.isEmpty {
            guard let data = Data(base64Encoded: continueToken),
                  let token = try? JSONDecoder().decode(ContinueToken.self, from: data) else {
                throw APIStatus.badRequest("continue key is not valid: invalid continue token")
            }
            if token.rv < oldestWatchableVersion {
                throw APIStatus.expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
            }
            startAfter = token.start
            listVersion = token.rv
        }
        var matched: [(String, JSONObject)] = []
        let byNamespace = objects[key(resource)] ?? [:]
        let namespaces = namespace.map { [$0] } ?? byNamespace.keys.sorted()
        for ns in namespaces {
            guard let entries = byNamespace[ns] else { continue }
            let candidates: [String]
            if let nameField {
                candidates = [nameField]
            } else if let (labelKey, labelValue) = selector?.firstEquality {
                candidates = Array(labelIndex[key(resource)]?[ns]?["\(labelKey)=\(labelValue)"] ?? [])
            } else {
                candidates = Array(entries.keys)
            }
            for name in candidates {
                guard let entry = entries[name] else { continue }
                if let selector, !selector.matches(Self.labels(entry.object)) { continue }
                matched.append(("\(ns)/\(name)", entry.object))
            }
        }
        matched.sort { $0.0 < $1.0 }
        if let startAfter { matched.removeAll { $0.0 <= startAfter } }
        var next: String?
        var remaining = 0
        if let limit, limit > 0, matched.count > limit {
            remaining = matched.count - limit
            matched = Array(matched.prefix(limit))
            let token = ContinueToken(rv: listVersion, start: matched.last?.0 ?? "")
            next = (try? JSONEncoder().encode(token)).map { $0.base64EncodedString() }
        }
        var metadata: JSONObject = ["resourceVersion": .string(String(listVersion))]
        if let next {
            metadata["continue"] = .string(next)
            metadata["remainingItemCount"] = .int(Int64(remaining))
        } else if !resource.isBuiltIn {
            metadata["continue"] = ""
        }
        let items: [JSONValue] = matched.map { _, object in
            var shown = present(object, resource, version)
            if resource.isBuiltIn, case .object(var o) = shown {
                o.removeValue(forKey: "apiVersion")
                o.removeValue(forKey: "kind")
                shown = .object(o)
            }
            return shown
        }
        return .object([
            "kind": .string(resource.kind + "List"), "apiVersion": .string(resource.apiVersion(version)),
            "metadata": .object(metadata), "items": .array(items),
        ])
    }

    // MARK: Watch

    func watch(_ resource: FakeResource, version: String, namespace: String?, selector: LabelSelector?, nameField: String?,
               resourceVersion from: String?, bookmarks: Bool, timeout: Duration?) -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
        let start = from.flatMap(Int.init) ?? 0
        if start != 0 && start < oldestWatchableVersion {
            let status = APIStatus.expired("too old resource version: \(start) (\(oldestWatchableVersion))")
            continuation.yield(Self.eventLine("ERROR", status.json))
            continuation.finish()
            return stream
        }
        let watcher = Watcher(resource: resource, version: version, namespace: namespace, selector: selector, nameField: nameField,
                              bookmarks: bookmarks, continuation: continuation)
        if start == 0 {
            let byNamespace = objects[key(resource)] ?? [:]
            let namespaces = namespace.map { [$0] } ?? byNamespace.keys.sorted()
            for ns in namespaces {
                for name in (byNamespace[ns] ?? [:]).keys.sorted() {
                    guard let entry = byNamespace[ns]?[name] else { continue }
                    if let line = deliver(watcher, type: "ADDED", object: entry.object, namespace: ns, oldLabels: nil) {
                        continuation.yield(line)
                    }
                }
            }
        } else {
            for event in history[historyStart...] where event.resourceVersion > start && event.resource == key(resource) {
                if let line = deliver(watcher, type: event.type, object: event.object, namespace: event.namespace, oldLabels: event.oldLabels) {
                    continuation.yield(line)
                }
            }
        }
        let id = nextWatcher
        nextWatcher += 1
        watchers[id] = watcher
        continuation.onTermination = { _ in
            Task { await self.removeWatcher(id) }
        }
        if let timeout {
            Task {
                try? await Task.sleep(for: timeout)
                continuation.finish()
            }
        }
        return stream
    }

    private func removeWatcher(_ id: Int) {
        watchers.removeValue(forKey: id)
    }

    /// The line to send `watcher` for this change, translating label-selector transitions the
    /// way the API server's watch cache does (entering the selection is ADDED, leaving it DELETED).
    private func deliver(_ watcher: Watcher, type: String, object: JSONObject, namespace: String, oldLabels: [String: String]?) -> [UInt8]? {
        if let wanted = watcher.namespace, wanted != namespace { return nil }
        if let nameField = watcher.nameField, object["metadata"]?["name"]?.stringValue != nameField { return nil }
        let newMatches = watcher.selector?.matches(Self.labels(object)) ?? true
        let oldMatches = oldLabels.map { watcher.selector?.matches($0) ?? true } ?? false
        var sent = type
        switch type {
        case "ADDED": if !newMatches { return nil }
        case "MODIFIED":
            if newMatches && !oldMatches { sent = "ADDED" } else if !newMatches && oldMatches { sent = "DELETED" } else if !newMatches { return nil }
        case "DELETED": if !newMatches { return nil }
        default: break
        }
        return Self.eventLine(sent, present(object, watcher.resource, watcher.version))
    }

    static func eventLine(_ type: String, _ object: JSONValue) -> [UInt8] {
        var line = JSONValue.object(["type": .string(type), "object": object]).serialized(.compact)
        line.append(UInt8(ascii: "\n"))
        return line
    }

    // MARK: Writes

    func create(_ resource: FakeResource, version: String, namespace: String?, body: JSONValue, manager: String?) throws -> JSONValue {
        guard var object = body.objectValue else { throw APIStatus.badRequest("the body of the request was in an unknown format") }
        try checkKind(object, resource, version)
        var metadata = object["metadata"]?.objectValue ?? [:]
        var name = metadata["name"]?.stringValue ?? ""
        if name.isEmpty, let prefix = metadata["generateName"]?.stringValue, !prefix.isEmpty {
            uidCounter += 1
            name = prefix + String(String(uidCounter * 7919 + 10007, radix: 36).suffix(5))
            metadata["name"] = .string(name)
        }
        if name.isEmpty {
            throw APIStatus.invalid(resource, "", [("metadata.name", "Required value: name or generateName is required")])
        }
        let ns = try namespaceFor(resource, namespace, metadata)
        if resource.namespaced { metadata["namespace"] = .string(ns) }
        if objects[key(resource)]?[ns]?[name] != nil { throw APIStatus.alreadyExists(resource, name) }
        try validate(resource, name: name, metadata: metadata)
        for field in ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "generation", "managedFields"] {
            metadata.removeValue(forKey: field)
        }
        initialiseMetadata(&metadata)
        object["metadata"] = .object(metadata)
        object["apiVersion"] = .string(resource.apiVersion(resource.versions[0]))
        object["kind"] = .string(resource.kind)
        if resource.hasStatusSubresource && resource.group != "" { object.removeValue(forKey: "status") }
        try normalise(resource, &object, name: name)
        var entry = Entry(object: object)
        entry.managers[manager ?? "unknown"] = Self.ownedFields(body)
        return present(commit(resource, ns, name, entry, type: "ADDED", oldLabels: nil), resource, version)
    }

    func update(_ resource: FakeResource, version: String, namespace: String?, name: String, body: JSONValue,
                subresource: String?, manager: String?) throws -> JSONValue {
        guard var object = body.objectValue else { throw APIStatus.badRequest("the body of the request was in an unknown format") }
        try checkKind(object, resource, version)
        let ns = resource.namespaced ? (namespace ?? "") : ""
        try checkName(object, name)
        guard var entry = objects[key(resource)]?[ns]?[name] else { throw APIStatus.notFound(resource, name) }
        let current = entry.object["metadata"]?["resourceVersion"]?.stringValue
        if let sent = object["metadata"]?["resourceVersion"]?.stringValue, !sent.isEmpty, sent != current {
            throw APIStatus.conflict(resource, name)
        }
        var metadata = object["metadata"]?.objectValue ?? [:]
        try validate(resource, name: name, metadata: metadata)
        for field in ["uid", "creationTimestamp", "generation", "deletionTimestamp", "namespace"] {
            metadata[field] = entry.object["metadata"]?[field]
        }
        object["metadata"] = .object(metadata.filter { !$0.value.isNull })
        object["apiVersion"] = .string(resource.apiVersion(resource.versions[0]))
        object["kind"] = .string(resource.kind)
        try normalise(resource, &object, name: name)
        let oldLabels = Self.labels(entry.object)
        entry.object = applySubresourceRules(resource, old: entry.object, new: object, subresource: subresource)
        entry.managers[manager ?? "unknown"] = Self.ownedFields(body)
        return present(commit(resource, ns, name, entry, type: "MODIFIED", oldLabels: oldLabels), resource, version)
    }

    func mergePatch(_ resource: FakeResource, version: String, namespace: String?, name: String, patch: JSONValue,
                    subresource: String?, manager: String?) throws -> JSONValue {
        let ns = resource.namespaced ? (namespace ?? "") : ""
        guard var entry = objects[key(resource)]?[ns]?[name] else { throw APIStatus.notFound(resource, name) }
        guard patch.objectValue != nil else { throw APIStatus.badRequest("the body of the request was in an unknown format") }
        if let sent = patch["metadata"]?["resourceVersion"]?.stringValue,
           sent != entry.object["metadata"]?["resourceVersion"]?.stringValue {
            throw APIStatus.conflict(resource, name)
        }
        guard case .object(var patched) = Self.mergePatch(.object(entry.object), patch) else {
            throw APIStatus.badRequest("the patch did not produce an object")
        }
        var metadata = patched["metadata"]?.objectValue ?? [:]
        for field in ["uid", "creationTimestamp", "generation", "namespace", "name"] { metadata[field] = entry.object["metadata"]?[field] }
        try validate(resource, name: name, metadata: metadata)
        patched["metadata"] = .object(metadata.filter { !$0.value.isNull })
        try normalise(resource, &patched, name: name)
        let oldLabels = Self.labels(entry.object)
        let next = applySubresourceRules(resource, old: entry.object, new: patched, subresource: subresource)
        let owner = manager ?? "unknown"
        entry.managers[owner] = Self.mergePatch(entry.managers[owner] ?? .object([:]), Self.ownedFields(patch))
        if Self.stripVolatile(next) == Self.stripVolatile(entry.object) {
            objects[key(resource)]?[ns]?[name] = entry  // no-op patch: no new resourceVersion, no event
            return present(entry.object, resource, version)
        }
        entry.object = next
        return present(commit(resource, ns, name, entry, type: "MODIFIED", oldLabels: oldLabels), resource, version)
    }

    /// Server-side apply. Returns whether the object was created.
    func apply(_ resource: FakeResource, version: String, namespace: String?, name: String, body: JSONValue,
               manager: String, force: Bool, subresource: String?) throws -> (created: Bool, object: JSONValue) {
        guard var applied = body.objectValue else { throw APIStatus.badRequest("the body of the request was in an unknown format") }
        guard applied["apiVersion"]?.stringValue != nil, applied["kind"]?.stringValue != nil else {
            throw APIStatus.badRequest("apiVersion and kind must be set in an apply configuration")
        }
        try checkKind(applied, resource, version)
        try checkName(applied, name)
        let ns = resource.namespaced ? (namespace ?? "") : ""
        if resource.namespaced, let bodyNamespace = applied["metadata"]?["namespace"]?.stringValue, bodyNamespace != ns {
            throw APIStatus.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        guard let existing = objects[key(resource)]?[ns]?[name] else {
            if subresource != nil { throw APIStatus.notFound(resource, name) }
            var metadata = applied["metadata"]?.objectValue ?? [:]
            metadata["name"] = .string(name)
            applied["metadata"] = .object(metadata)
            let created = try create(resource, version: version, namespace: namespace, body: .object(applied), manager: manager)
            if var entry = objects[key(resource)]?[ns]?[name] {
                entry.managers = [manager: Self.ownedFields(body)]
                objects[key(resource)]?[ns]?[name] = entry
            }
            return (true, created)
        }
        var entry = existing
        let newOwned = Self.ownedFields(body)
        // Conflicts: fields this manager sets to a value another manager set differently.
        var conflicts: [(String, String)] = []
        let mine = Self.leaves(newOwned)
        for (other, owned) in entry.managers where other != manager {
            let theirs = Self.leaves(owned)
            for (path, value) in mine {
                if let theirValue = theirs[path], theirValue != value, Self.value(at: path, in: .object(entry.object)) != value {
                    conflicts.append((other, path))
                }
            }
        }
        if !conflicts.isEmpty {
            if !force {
                let text = conflicts.map { "conflict with \"\($0.0)\": \($0.1)" }.sorted().joined(separator: "\n")
                var details = APIStatus.details(resource, name: name)
                details["causes"] = .array(conflicts.map { .object(["reason": "FieldManagerConflict", "message": .string("conflict with \"\($0.0)\""), "field": .string($0.1)]) })
                throw APIStatus(code: 409, reason: "Conflict",
                                message: "Apply failed with \(conflicts.count) conflict\(conflicts.count == 1 ? "" : "s"): \(text)", details: details)
            }
            for (other, path) in conflicts {
                if let owned = entry.managers[other] { entry.managers[other] = Self.removing(path: path, from: owned) }
            }
        }
        guard case .object(var merged) = Self.applyMerge(existing: .object(entry.object), applied: body, previous: entry.managers[manager]) else {
            throw APIStatus.badRequest("the apply configuration is not an object")
        }
        var metadata = merged["metadata"]?.objectValue ?? [:]
        for field in ["uid", "creationTimestamp", "generation", "resourceVersion", "namespace", "name", "deletionTimestamp"] {
            metadata[field] = entry.object["metadata"]?[field]
        }
        try validate(resource, name: name, metadata: metadata)
        merged["metadata"] = .object(metadata.filter { !$0.value.isNull })
        merged["apiVersion"] = .string(resource.apiVersion(resource.versions[0]))
        merged["kind"] = .string(resource.kind)
        try normalise(resource, &merged, name: name)
        let oldLabels = Self.labels(entry.object)
        let next = applySubresourceRules(resource, old: entry.object, new: merged, subresource: subresource)
        entry.managers[manager] = newOwned
        if Self.stripVolatile(next) == Self.stripVolatile(entry.object) {
            objects[key(resource)]?[ns]?[name] = entry  // no-op apply: no new resourceVersion, no event
            return (false, present(entry.object, resource, version))
        }
        entry.object = next
        return (false, present(commit(resource, ns, name, entry, type: "MODIFIED", oldLabels: oldLabels), resource, version))
    }

    func delete(_ resource: FakeResource, version: String, namespace: String?, name: String) throws -> JSONValue {
        let ns = resource.namespaced ? (namespace ?? "") : ""
        guard var entry = objects[key(resource)]?[ns]?[name] else { throw APIStatus.notFound(resource, name) }
        let finalizers = entry.object["metadata"]?["finalizers"]?.arrayValue ?? []
        if !finalizers.isEmpty {
            if entry.object["metadata"]?["deletionTimestamp"] == nil {
                var metadata = entry.object["metadata"]?.objectValue ?? [:]
                metadata["deletionTimestamp"] = .string(Self.timestamp())
                entry.object["metadata"] = .object(metadata)
                let oldLabels = Self.labels(entry.object)
                return present(commit(resource, ns, name, entry, type: "MODIFIED", oldLabels: oldLabels), resource, version)
            }
            return present(entry.object, resource, version)
        }
        remove(resource, ns, name, entry)
        var details = APIStatus.details(resource, name: name)
        details["uid"] = entry.object["metadata"]?["uid"]
        return .object(["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success", "details": .object(details)])
    }

    func deleteCollection(_ resource: FakeResource, version: String, namespace: String?, selector: LabelSelector?) throws -> JSONValue {
        let ns = resource.namespaced ? namespace : nil
        let listed = try list(resource, version: version, namespace: ns, selector: selector, nameField: nil, limit: nil, continueToken: nil)
        var deleted: [JSONValue] = []
        for item in listed["items"]?.arrayValue ?? [] {
            guard let name = item["metadata"]?["name"]?.stringValue else { continue }
            let itemNamespace = item["metadata"]?["namespace"]?.stringValue
            _ = try delete(resource, version: version, namespace: itemNamespace, name: name)
            deleted.append(item)
        }
        var result = listed.objectValue ?? [:]
        result["items"] = .array(deleted)
        result["metadata"] = ["resourceVersion": .string(String(resourceVersion))]
        return .object(result)
    }

    // MARK: Internals

    private func initialiseMetadata(_ metadata: inout JSONObject) {
        uidCounter += 1
        metadata["uid"] = .string(Self.uid(uidCounter))
        metadata["creationTimestamp"] = .string(Self.timestamp())
        metadata["generation"] = .int(1)
    }

    @discardableResult
    private func commit(_ resource: FakeResource, _ ns: String, _ name: String, _ entry: Entry, type: String, oldLabels: [String: String]?) -> JSONObject {
        var entry = entry
        resourceVersion += 1
        var metadata = entry.object["metadata"]?.objectValue ?? [:]
        if type == "MODIFIED", let old = objects[key(resource)]?[ns]?[name]?.object,
           Self.specOf(old) != Self.specOf(entry.object) {
            metadata["generation"] = .int(Int64((old["metadata"]?["generation"]?.intValue ?? 1) + 1))
        }
        metadata["resourceVersion"] = .string(String(resourceVersion))
        entry.object["metadata"] = .object(metadata)
        if let old = objects[key(resource)]?[ns]?[name] { unindex(resource, ns, name, old.object) }
        index(resource, ns, name, entry.object)
        objects[key(resource), default: [:]][ns, default: [:]][name] = entry
        record(HistoryEvent(resourceVersion: resourceVersion, resource: key(resource), namespace: ns, type: type, object: entry.object, oldLabels: oldLabels))
        return entry.object
    }

    private func index(_ resource: FakeResource, _ ns: String, _ name: String, _ object: JSONObject) {
        for (labelKey, labelValue) in Self.labels(object) {
            labelIndex[key(resource), default: [:]][ns, default: [:]]["\(labelKey)=\(labelValue)", default: []].insert(name)
        }
    }

    private func unindex(_ resource: FakeResource, _ ns: String, _ name: String, _ object: JSONObject) {
        for (labelKey, labelValue) in Self.labels(object) {
            labelIndex[key(resource)]?[ns]?["\(labelKey)=\(labelValue)"]?.remove(name)
        }
    }

    private func remove(_ resource: FakeResource, _ ns: String, _ name: String, _ entry: Entry) {
        unindex(resource, ns, name, entry.object)
        objects[key(resource)]?[ns]?.removeValue(forKey: name)
        resourceVersion += 1
        var object = entry.object
        var metadata = object["metadata"]?.objectValue ?? [:]
        metadata["resourceVersion"] = .string(String(resourceVersion))
        object["metadata"] = .object(metadata)
        let labels = Self.labels(object)
        record(HistoryEvent(resourceVersion: resourceVersion, resource: key(resource), namespace: ns, type: "DELETED", object: object, oldLabels: labels))
    }

    private func record(_ event: HistoryEvent) {
        history.append(event)
        if history.count - historyStart > historyLimit {
            let drop = (history.count - historyStart) / 2
            oldestWatchableVersion = history[historyStart + drop - 1].resourceVersion
            historyStart += drop
            if historyStart > 4096 {
                history.removeFirst(historyStart)
                historyStart = 0
            }
        }
        for watcher in watchers.values where watcher.resource.group == "" ? key(watcher.resource) == event.resource : key(watcher.resource) == event.resource {
            if let line = deliver(watcher, type: event.type, object: event.object, namespace: event.namespace, oldLabels: event.oldLabels) {
                watcher.continuation.yield(line)
            }
        }
    }

    private func present(_ object: JSONObject, _ resource: FakeResource, _ version: String) -> JSONValue {
        var shown = object
        shown["apiVersion"] = .string(resource.apiVersion(version))
        return .object(shown)
    }

    private func namespaceFor(_ resource: FakeResource, _ namespace: String?, _ metadata: JSONObject) throws -> String {
        guard resource.namespaced else { return "" }
        let ns = namespace ?? metadata["namespace"]?.stringValue ?? ""
        if let bodyNamespace = metadata["namespace"]?.stringValue, let namespace, bodyNamespace != namespace {
            throw APIStatus.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        guard let namespaces = resources.first(where: { $0.plural == "namespaces" && $0.group == "" }),
              objects[key(namespaces)]?[""]?[ns] != nil else {
            throw APIStatus(code: 404, reason: "NotFound", message: "namespaces \"\(ns)\" not found", details: ["name": .string(ns), "kind": "namespaces"])
        }
        return ns
    }

    private func checkKind(_ object: JSONObject, _ resource: FakeResource, _ version: String) throws {
        if let kind = object["kind"]?.stringValue, kind != resource.kind {
            throw APIStatus.badRequest("the API version in the data (\(object["apiVersion"]?.stringValue ?? "")) does not match the expected API version (\(resource.apiVersion(version)))")
        }
        if let apiVersion = object["apiVersion"]?.stringValue, !resource.versions.map(resource.apiVersion).contains(apiVersion) {
            throw APIStatus.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(resource.apiVersion(version)))")
        }
    }

    private func checkName(_ object: JSONObject, _ name: String) throws {
        if let bodyName = object["metadata"]?["name"]?.stringValue, bodyName != name {
            throw APIStatus.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
    }

    private func validate(_ resource: FakeResource, name: String, metadata: JSONObject) throws {
        var causes: [(String, String)] = []
        let maxLength = resource.plural == "namespaces" ? 63 : 253
        if !Self.isDNSSubdomain(name, maxLength: maxLength, allowDots: resource.plural != "namespaces") {
            causes.append(("metadata.name", "Invalid value: \"\(name)\": a lowercase RFC 1123 \(resource.plural == "namespaces" ? "label" : "subdomain") must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"))
        }
        for (key, value) in metadata["labels"]?.objectValue ?? [:] {
            guard let text = value.stringValue else {
                causes.append(("metadata.labels", "Invalid value: labels must be strings"))
                continue
            }
            if !Self.isLabelKey(key) {
                causes.append(("metadata.labels", "Invalid value: \"\(key)\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"))
            }
            if !Self.isLabelValue(text) {
                causes.append(("metadata.labels", "Invalid value: \"\(text)\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (must be no more than 63 characters)"))
            }
        }
        if !causes.isEmpty { throw APIStatus.invalid(resource, name, causes) }
    }

    /// Secrets: `stringData` folds into base64 `data` (as the API server does); `data` must be base64.
    private func normalise(_ resource: FakeResource, _ object: inout JSONObject, name: String) throws {
        guard resource.plural == "secrets", resource.group.isEmpty else {
            if resource.plural == "namespaces" && resource.group.isEmpty {
                object["spec"] = ["finalizers": ["kubernetes"]]
                object["status"] = ["phase": "Active"]
            }
            return
        }
        var data = object["data"]?.objectValue ?? [:]
        for (key, value) in data {
            guard let text = value.stringValue, Data(base64Encoded: text) != nil else {
                throw APIStatus.badRequest("Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data in data[\(key)]")
            }
        }
        for (key, value) in object["stringData"]?.objectValue ?? [:] {
            data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
        }
        object.removeValue(forKey: "stringData")
        if !data.isEmpty { object["data"] = .object(data) }
        if object["type"] == nil { object["type"] = "Opaque" }
    }

    private func applySubresourceRules(_ resource: FakeResource, old: JSONObject, new: JSONObject, subresource: String?) -> JSONObject {
        guard resource.hasStatusSubresource else { return new }
        if subresource == "status" {
            var result = old
            result["status"] = new["status"]
            if result["status"] == nil || result["status"]?.isNull == true { result.removeValue(forKey: "status") }
            return result
        }
        var result = new
        if resource.group.isEmpty && resource.plural == "namespaces" { return result }
        if let status = old["status"] { result["status"] = status } else { result.removeValue(forKey: "status") }
        return result
    }

    static func labels(_ object: JSONObject) -> [String: String] {
        var labels: [String: String] = [:]
        for (key, value) in object["metadata"]?["labels"]?.objectValue ?? [:] { labels[key] = value.stringValue }
        return labels
    }

    static func specOf(_ object: JSONObject) -> JSONObject {
        object.filter { $0.key != "metadata" && $0.key != "status" }
    }

    static func stripVolatile(_ object: JSONObject) -> JSONObject {
        var copy = object
        if var metadata = copy["metadata"]?.objectValue {
            metadata.removeValue(forKey: "resourceVersion")
            metadata.removeValue(forKey: "generation")
            copy["metadata"] = .object(metadata)
        }
        return copy
    }

    /// RFC 7386 JSON merge patch.
    static func mergePatch(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in patchObject {
            if value.isNull {
                result.removeValue(forKey: key)
            } else {
                result[key] = mergePatch(result[key] ?? .null, value)
            }
        }
        return .object(result)
    }

    /// Apply: maps merge recursively, anything else replaces; fields this manager applied before
    /// and no longer applies are removed.
    static func applyMerge(existing: JSONValue?, applied: JSONValue, previous: JSONValue?) -> JSONValue {
        guard case .object(let appliedObject) = applied, case .object(let existingObject)? = existing else { return applied }
        var result = existingObject
        for (key, value) in appliedObject {
            result[key] = applyMerge(existing: existingObject[key], applied: value, previous: previous?[key])
        }
        if case .object(let previousObject)? = previous {
            for key in previousObject.keys where appliedObject[key] == nil { result.removeValue(forKey: key) }
        }
        return .object(result)
    }

    /// The fields a write sets, without identity fields every writer sends.
    static func ownedFields(_ body: JSONValue) -> JSONValue {
        guard var object = body.objectValue else { return body }
        object.removeValue(forKey: "apiVersion")
        object.removeValue(forKey: "kind")
        if var metadata = object["metadata"]?.objectValue {
            for field in ["name", "namespace", "resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"] {
                metadata.removeValue(forKey: field)
            }
            if metadata.isEmpty { object.removeValue(forKey: "metadata") } else { object["metadata"] = .object(metadata) }
        }
        return .object(object)
    }

    static func leaves(_ value: JSONValue, prefix: String = "") -> [String: JSONValue] {
        guard case .object(let object) = value, !object.isEmpty || prefix.isEmpty else { return [prefix: value] }
        var result: [String: JSONValue] = [:]
        for (key, child) in object { result.merge(leaves(child, prefix: prefix + "." + key)) { $1 } }
        return result
    }

    static func value(at path: String, in root: JSONValue) -> JSONValue? {
        var current: JSONValue? = root
        for part in path.split(separator: ".") { current = current?[String(part)] }
        return current
    }

    static func removing(path: String, from root: JSONValue) -> JSONValue {
        let parts = path.split(separator: ".").map(String.init)
        func remove(_ value: JSONValue, _ index: Int) -> JSONValue {
            guard case .object(var object) = value, index < parts.count else { return value }
            if index == parts.count - 1 {
                object.removeValue(forKey: parts[index])
            } else if let child = object[parts[index]] {
                object[parts[index]] = remove(child, index + 1)
            }
            return .object(object)
        }
        return remove(root, 0)
    }

    static func isDNSSubdomain(_ name: String, maxLength: Int, allowDots: Bool) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maxLength else { return false }
        let bytes = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == 45 || (allowDots && $0 == 46) }
    }

    static func isLabelValue(_ value: String) -> Bool {
        if value.isEmpty { return true }
        let bytes = Array(value.utf8)
        guard bytes.count <= 63 else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }

    static func isLabelKey(_ key: String) -> Bool {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last else { return false }
        if parts.count == 2 && !isDNSSubdomain(String(parts[0]), maxLength: 253, allowDots: true) { return false }
        return !name.isEmpty && isLabelValue(String(name))
    }

    static func uid(_ counter: Int) -> String {
        let hex = String(counter, radix: 16).leftPadded(12)
        return "6f1c2a9e-0b7d-4c3e-9f5a-\(hex)"
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
