public import JSON
public import OrderedCollections

/// The registry of object schemas a peer may send us (oslo's `VersionedObjectRegistry`).
public struct ObjectRegistry: Sendable {
    private let schemas: [String: ObjectSchema]

    public init(_ schemas: [ObjectSchema]) {
        var byName: [String: ObjectSchema] = [:]
        for s in schemas { byName[s.name] = s }
        self.schemas = byName
    }

    public func schema(named name: String) -> ObjectSchema? { schemas[name] }

    public var names: [String] { schemas.keys.sorted() }

    /// Every key these objects' wire primitives use: `magnum_object.*` and the field names
    /// (decoders share the strings of the long ones instead of allocating them per message).
    public var wireKeys: [String] {
        [PrimitiveKey.name, PrimitiveKey.namespace, PrimitiveKey.version, PrimitiveKey.data, PrimitiveKey.changes]
            + names.flatMap { schemas[$0]?.fields.map(\.name) ?? [] }
    }

    /// Every object Magnum 23 registers, at the versions it speaks.
    public static let magnum = ObjectRegistry([
        Cluster.schema, ClusterTemplate.schema, NodeGroup.schema, X509KeyPair.schema, MagnumService.schema,
        Certificate.schema, Federation.schema, Quota.schema, Stats.schema,
    ])
}

/// A typed view of one kind of Magnum object. The stored `VersionedObject` stays the source of
/// truth, so typed code and the generic RPC paths see the same fields and the same changes.
public protocol MagnumObject: Sendable, Equatable {
    static var schema: ObjectSchema { get }
    var base: VersionedObject { get set }
    init(unchecked base: VersionedObject)
}

extension MagnumObject {
    /// A new object with no field set.
    public init() {
        self.init(unchecked: VersionedObject(schema: Self.schema))
    }

    /// Wraps a generic object, checking that it is of this kind.
    public init(_ object: VersionedObject) throws(ObjectError) {
        guard object.schema.name == Self.schema.name else {
            throw ObjectError(.invalidFieldValue, objectName: Self.schema.name,
                              "Expected a \(Self.schema.name) object, got \(object.schema.name)")
        }
        self.init(unchecked: object)
    }

    /// Hydrates from a wire primitive.
    public init(primitive: JSONValue) throws(ObjectError) {
        try self.init(VersionedObject(primitive: primitive))
    }

    public func primitive(targetVersion: ObjectVersion? = nil, manifest: [String: ObjectVersion] = [:]) throws(ObjectError) -> JSONValue {
        try base.primitive(targetVersion: targetVersion, manifest: manifest)
    }

    /// `obj_what_changed()`.
    public var changedFields: OrderedSet<String> { base.whatChanged }

    /// `obj_get_changes()`.
    public var changedValues: JSONObject { base.changedValues }

    public mutating func resetChanges(_ fields: [String]? = nil) { base.resetChanges(fields) }

    public func isSet(_ field: String) -> Bool { base.isSet(field) }

    /// Sets a field from untrusted input with oslo's coercion rules.
    public mutating func setValue(_ value: JSONValue, for field: String) throws(ObjectError) {
        try base.setValue(value, for: field)
    }

    // Persistent objects (`MagnumPersistentObject`) all have these.
    public var createdAt: Timestamp? {
        get { base.timestamp("created_at") }
        set { base.set("created_at", timestamp: newValue) }
    }

    public var updatedAt: Timestamp? {
        get { base.timestamp("updated_at") }
        set { base.set("updated_at", timestamp: newValue) }
    }
}

/// The two timestamp fields `MagnumPersistentObject` adds after an object's own fields.
let persistentFields: [FieldSpec] = [
    FieldSpec("created_at", .dateTime, nullable: true),
    FieldSpec("updated_at", .dateTime, nullable: true),
]
