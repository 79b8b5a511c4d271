public import JSON
public import OrderedCollections

/// Keys of an oslo.versionedobjects primitive in Magnum's namespace.
public enum PrimitiveKey {
    public static let name = "magnum_object.name"
    public static let namespace = "magnum_object.namespace"
    public static let version = "magnum_object.version"
    public static let data = "magnum_object.data"
    public static let changes = "magnum_object.changes"
    /// `OBJ_PROJECT_NAMESPACE` of every Magnum object.
    public static let projectNamespace = "magnum"
}

/// What one kind of object looks like at our version: its name, version and fields in
/// declaration order (the order Python writes them in a primitive).
public struct ObjectSchema: Sendable, Equatable {
    public let name: String
    public let version: ObjectVersion
    public let fields: [FieldSpec]
    private let index: [String: Int]

    public init(name: String, version: ObjectVersion, fields: [FieldSpec]) {
        self.name = name
        self.version = version
        self.fields = fields
        var index: [String: Int] = [:]
        for (i, f) in fields.enumerated() { index[f.name] = i }
        self.index = index
    }

    public func field(_ name: String) -> FieldSpec? {
        index[name].map { fields[$0] }
    }

    public static func == (lhs: ObjectSchema, rhs: ObjectSchema) -> Bool {
        lhs.name == rhs.name && lhs.version == rhs.version
    }
}

/// A Magnum versioned object as oslo.versionedobjects holds it: the fields that are set (in
/// their primitive form), the version it was received at, and which fields changed.
///
/// Typed views (`Cluster`, `NodeGroup`, ...) wrap one of these; the dynamic form is what the
/// indirection API, backports and round-tripping need, so nothing a peer sent is reinterpreted.
public struct VersionedObject: Sendable, Equatable {
    public let schema: ObjectSchema
    /// The version this object speaks: ours for new objects, the sender's for received ones
    /// (oslo keeps `VERSION = objver` on hydration and answers at that version).
    public var version: ObjectVersion
    /// Set fields by name, values in primitive form.
    public private(set) var values: [String: JSONValue]
    /// Fields changed since the last `resetChanges()`, in the order they were changed.
    public private(set) var changes: OrderedSet<String>

    public init(schema: ObjectSchema) {
        self.schema = schema
        self.version = schema.version
        self.values = [:]
        self.changes = []
    }

    public var name: String { schema.name }

    public func isSet(_ field: String) -> Bool { values[field] != nil }

    /// The primitive value of a set field; `nil` when unset (Python's `obj_attr_is_set` false).
    public subscript(field: String) -> JSONValue? { values[field] }

    /// Sets a field from untrusted input with oslo's coercion rules, marking it changed.
    public mutating func setValue(_ value: JSONValue, for field: String) throws(ObjectError) {
        guard let spec = schema.field(field) else {
            throw ObjectError(.unknownField, objectName: name, "\(name) object has no attribute '\(field)'")
        }
        values[field] = try spec.coerce(value, objectName: name)
        changes.append(field)
    }

    /// Sets a field from a value already of the right primitive type (typed setters), marking it
    /// changed. `null` on a non-nullable field takes the field's default, as oslo does.
    public mutating func set(_ field: String, _ value: JSONValue) {
        if value.isNull, let spec = schema.field(field), !spec.nullable, let d = spec.defaultValue {
            values[field] = d
        } else {
            values[field] = value
        }
        changes.append(field)
    }

    /// Removes a field (Python `delattr` / `obj_reset_changes` of a lazy field).
    public mutating func unset(_ field: String) {
        values[field] = nil
        changes.remove(field)
    }

    /// `obj_what_changed()`: own changes plus object fields whose nested object changed.
    public var whatChanged: OrderedSet<String> {
        var result = changes
        for spec in schema.fields {
            guard case .object = spec.type, let nested = values[spec.name],
                  let nestedChanges = nested[PrimitiveKey.changes]?.arrayValue, !nestedChanges.isEmpty else { continue }
            result.append(spec.name)
        }
        return result
    }

    /// `obj_reset_changes(recursive=True)` (or only some fields).
    public mutating func resetChanges(_ fields: [String]? = nil, recursive: Bool = true) {
        if let fields {
            for f in fields { changes.remove(f) }
        } else {
            changes.removeAll()
        }
        guard recursive else { return }
        for spec in schema.fields {
            guard case .object = spec.type, fields?.contains(spec.name) ?? true,
                  case .object(var nested)? = values[spec.name], nested[PrimitiveKey.changes] != nil else { continue }
            nested[PrimitiveKey.changes] = nil
            values[spec.name] = .object(nested)
        }
    }

    /// Field values in declaration order, for output and comparison.
    public var orderedValues: JSONObject {
        var out = JSONObject(minimumCapacity: values.count)
        for spec in schema.fields {
            if let v = values[spec.name] { out[spec.name] = v }
        }
        return out
    }
}

// MARK: - Primitives

extension VersionedObject {
    /// Hydrates an object from its primitive (`obj_from_primitive`), checking the name, the
    /// namespace and the version against `registry`, and coercing every known field. Unknown
    /// fields are ignored, as oslo ignores them.
    public init(primitive: JSONValue, registry: ObjectRegistry = .magnum) throws(ObjectError) {
        guard case .object(let p) = primitive else {
            throw ObjectError(.malformedPrimitive, objectName: nil, "Expected an object primitive, got \(primitive.pythonTypeName)")
        }
        guard let name = p[PrimitiveKey.name]?.stringValue else {
            throw ObjectError(.malformedPrimitive, objectName: nil, "Object primitive has no \(PrimitiveKey.name)")
        }
        if let ns = p[PrimitiveKey.namespace], ns.stringValue != PrimitiveKey.projectNamespace {
            throw ObjectError(.malformedPrimitive, objectName: name,
                              "Unsupported object namespace \(ns.stringValue ?? ns.jsonString()) for \(name)")
        }
        guard let schema = registry.schema(named: name) else {
            throw ObjectError(.unsupportedObject, objectName: name, "Unsupported object type \(name)")
        }
        guard let versionText = p[PrimitiveKey.version]?.stringValue, let version = ObjectVersion(versionText) else {
            throw ObjectError(.malformedPrimitive, objectName: name, "Object primitive of \(name) has no valid \(PrimitiveKey.version)")
        }
        guard schema.version.canServe(version) else {
            throw ObjectError(.incompatibleVersion, objectName: name,
                              "Version \(version) of \(name) is not supported, supported version is \(schema.version)")
        }
        guard case .object(let data)? = p[PrimitiveKey.data] else {
            throw ObjectError(.malformedPrimitive, objectName: name, "Object primitive of \(name) has no \(PrimitiveKey.data) object")
        }
        self.init(schema: schema)
        self.version = version
        for spec in schema.fields {
            guard let raw = data[spec.name] else { continue }
            if case .object = spec.type, !raw.isNull {
                // Validate the nested object too; keep its primitive (with its own changes).
                _ = try VersionedObject(primitive: raw, registry: registry)
            }
            values[spec.name] = try spec.coerce(raw, objectName: name)
        }
        if let changed = p[PrimitiveKey.changes] {
            guard case .array(let list) = changed else {
                throw ObjectError(.malformedPrimitive, objectName: name, "\(PrimitiveKey.changes) of \(name) is not a list")
            }
            for item in list {
                if let field = item.stringValue, values[field] != nil { changes.append(field) }
            }
        }
    }

    /// `obj_to_primitive(target_version, version_manifest)`: the wire form at `target` (default:
    /// this object's version). Nested objects are written at the manifest's version for their
    /// name. Like Magnum's objects (which define no `obj_make_compatible`), a backport changes
    /// the version label and nested versions only; a version newer than ours is refused.
    public func primitive(targetVersion: ObjectVersion? = nil, manifest: [String: ObjectVersion] = [:]) throws(ObjectError) -> JSONValue {
        let target = targetVersion ?? version
        guard target <= schema.version else {
            throw ObjectError(.invalidTargetVersion, objectName: name, "Invalid target version \(target)")
        }
        var data = JSONObject(minimumCapacity: values.count)
        for spec in schema.fields {
            guard var v = values[spec.name] else { continue }
            if case .object(let childName) = spec.type, !v.isNull, let childVersion = manifest[childName] {
                let child = try VersionedObject(primitive: v, registry: .magnum)
                v = try child.primitive(targetVersion: min(childVersion, child.schema.version), manifest: manifest)
            }
            data[spec.name] = v
        }
        var out: JSONObject = [
            PrimitiveKey.name: .string(name),
            PrimitiveKey.namespace: .string(PrimitiveKey.projectNamespace),
            PrimitiveKey.version: .string(target.description),
            PrimitiveKey.data: .object(data),
        ]
        let changed = whatChanged.filter { data[$0] != nil }
        if !changed.isEmpty { out[PrimitiveKey.changes] = .array(changed.map { .string($0) }) }
        return .object(out)
    }

    /// `obj_get_changes()`: changed fields with their values.
    public var changedValues: JSONObject {
        var out = JSONObject()
        for f in whatChanged {
            if let v = values[f] { out[f] = v }
        }
        return out
    }
}

// MARK: - Typed field access

extension VersionedObject {
    public func string(_ field: String) -> String? { values[field]?.stringValue }
    public func int(_ field: String) -> Int? { values[field]?.intValue }
    public func bool(_ field: String) -> Bool? { values[field]?.boolValue }

    public func timestamp(_ field: String) -> Timestamp? {
        values[field]?.stringValue.flatMap(Timestamp.init(parsing:))
    }

    public func stringDictionary(_ field: String) -> OrderedDictionary<String, String>? {
        guard case .object(let o)? = values[field] else { return nil }
        var out = OrderedDictionary<String, String>(minimumCapacity: o.count)
        for (k, v) in o { out[k] = v.stringValue ?? v.jsonString() }
        return out
    }

    public func stringList(_ field: String) -> [String]? {
        values[field]?.arrayValue?.map { $0.stringValue ?? $0.jsonString() }
    }

    public mutating func set(_ field: String, string: String?) { set(field, JSONValue(string)) }
    public mutating func set(_ field: String, int: Int?) { set(field, int.map { .int(Int64($0)) } ?? .null) }
    public mutating func set(_ field: String, bool: Bool?) { set(field, bool.map { .bool($0) } ?? .null) }
    public mutating func set(_ field: String, timestamp: Timestamp?) {
        set(field, timestamp.map { .string($0.isoPrimitive) } ?? .null)
    }

    public mutating func set(_ field: String, stringDictionary: OrderedDictionary<String, String>?) {
        guard let stringDictionary else { return set(field, .null) }
        var o = JSONObject(minimumCapacity: stringDictionary.count)
        for (k, v) in stringDictionary { o[k] = .string(v) }
        set(field, .object(o))
    }

    public mutating func set(_ field: String, stringList: [String]?) {
        set(field, stringList.map { .array($0.map { .string($0) }) } ?? .null)
    }
}
