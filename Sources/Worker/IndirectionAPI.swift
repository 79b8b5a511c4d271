public import ClusterStore
public import JSON
public import Logging
public import MagnumObjects

/// The conductor's object indirection API (`magnum/conductor/handlers/indirection_api.py` over
/// oslo.versionedobjects' `VersionedObjectIndirectionAPI`): magnum-api, run as the `magnum-api`
/// console script, calls its objects' remotable methods (`Cluster.get_by_uuid`, `cluster.save()`,
/// `NodeGroup.list`, ...) through the conductor, which runs them against Magnum's database.
///
/// Transport-independent: arguments and results are the JSON primitives of the RPC message
/// (`args` of `object_class_action_versions`, `object_action`, `object_backport_versions`);
/// the RPC layer maps the request context onto `StoreContext` and failures onto replies.
///
/// Answers as Magnum does: single objects at the caller's `object_versions`, lists as lists of
/// primitives, `object_action` as `[updates, result]`. Failures are thrown as `MagnumError`
/// (Magnum's exceptions: `ClusterNotFound`, ...), `StoreError` (database) or
/// `IndirectionFailure` (oslo.versionedobjects and Python built-in exceptions). Everything the
/// caller sent is validated before the database is touched, and each database change is one
/// transaction, so a bad request writes nothing.
///
/// Deliberate differences from Magnum 23: only remotable methods can be called (Python would
/// run any attribute); `Quota.quota_get_all_by_project_id` and `Federation.get_count_all`
/// work (Magnum's call database functions that do not exist and raise `AttributeError`).
public struct IndirectionAPI: Sendable {
    public let store: any ClusterStore
    public let registry: ObjectRegistry
    let logger: Logger

    public init(store: any ClusterStore, registry: ObjectRegistry = .magnum, logger: Logger) {
        self.store = store
        self.registry = registry
        self.logger = logger
    }

    /// Runs one of the three indirection RPC methods with its `args` object.
    public func call(method: String, context: StoreContext, args: JSONObject) async throws -> JSONValue {
        switch method {
        case "object_class_action_versions":
            return try await objectClassActionVersions(
                context: context, objname: try string(args, "objname", method), objmethod: try string(args, "objmethod", method),
                objectVersions: try object(args, "object_versions", method), args: try list(args, "args", method),
                kwargs: try object(args, "kwargs", method))
        case "object_action":
            guard let objinst = args["objinst"] else { throw IndirectionFailure.typeError("\(method)() missing 1 required positional argument: 'objinst'") }
            return try await objectAction(context: context, objinst: objinst, objmethod: try string(args, "objmethod", method),
                                          args: try list(args, "args", method), kwargs: try object(args, "kwargs", method))
        case "object_backport_versions":
            guard let objinst = args["objinst"] else { throw IndirectionFailure.typeError("\(method)() missing 1 required positional argument: 'objinst'") }
            return try objectBackportVersions(context: context, objinst: objinst, objectVersions: try object(args, "object_versions", method))
        default:
            throw IndirectionFailure(className: "NoSuchMethod", moduleName: "oslo_messaging.rpc.dispatcher",
                                     message: "Endpoint does not support RPC method \(method)", kwargs: [:])
        }
    }

    private func string(_ args: JSONObject, _ key: String, _ method: String) throws(IndirectionFailure) -> String {
        guard let v = args[key] else { throw .typeError("\(method)() missing 1 required positional argument: '\(key)'") }
        guard case .string(let s) = v else { throw .typeError("\(key) must be a string, not \(v.pythonTypeName)") }
        return s
    }

    private func object(_ args: JSONObject, _ key: String, _ method: String) throws(IndirectionFailure) -> JSONObject {
        guard let v = args[key] else { throw .typeError("\(method)() missing 1 required positional argument: '\(key)'") }
        if v.isNull { return [:] }
        guard case .object(let o) = v else { throw .typeError("\(key) must be a dict, not \(v.pythonTypeName)") }
        return o
    }

    private func list(_ args: JSONObject, _ key: String, _ method: String) throws(IndirectionFailure) -> [JSONValue] {
        guard let v = args[key] else { throw .typeError("\(method)() missing 1 required positional argument: '\(key)'") }
        if v.isNull { return [] }
        guard case .array(let a) = v else { throw .typeError("\(key) must be a list, not \(v.pythonTypeName)") }
        return a
    }

    // MARK: object_class_action_versions

    /// `Handler.object_class_action_versions`: runs the classmethod `objname.objmethod` and
    /// answers a single object at `object_versions[objname]` (nested objects at their manifest
    /// versions), anything else as is.
    public func objectClassActionVersions(context: StoreContext, objname: String, objmethod: String,
                                          objectVersions: JSONObject, args: [JSONValue], kwargs: JSONObject) async throws -> JSONValue {
        guard let schema = registry.schema(named: objname) else { throw IndirectionFailure.unsupportedObject(objname) }
        guard let versionValue = objectVersions[objname] else {
            throw IndirectionFailure.builtin("KeyError", "'\(objname)'")
        }
        let versionText = versionValue.stringValue ?? PythonFormat.str(versionValue)
        guard let requested = ObjectVersion(versionText), schema.version.canServe(requested) else {
            throw IndirectionFailure.incompatibleVersion(objname, requested: versionText, supported: schema.version)
        }
        let manifest = try Self.manifest(objectVersions)
        try Self.validatePrimitives(.array(args))
        try Self.validatePrimitives(.object(kwargs))
        logger.debug("indirection class action", metadata: ["object": "\(objname)", "method": "\(objmethod)"])
        let result: ActionResult
        do {
            result = try await ClassActions(store: store, context: context).run(objname, objmethod, args, kwargs)
        } catch let error as ObjectError {
            throw IndirectionFailure.from(error, primitive: nil)
        }
        switch result {
        case .object(let object):
            do {
                return try object.primitive(targetVersion: requested, manifest: manifest)
            } catch {
                throw IndirectionFailure.from(error, primitive: nil)
            }
        case .objects(let objects):
            var out: [JSONValue] = []
            out.reserveCapacity(objects.count)
            for o in objects {
                do { out.append(try o.primitive()) } catch { throw IndirectionFailure.from(error, primitive: nil) }
            }
            return .array(out)
        case .value(let value):
            return value
        }
    }

    // MARK: object_action

    /// `Handler.object_action`: runs `objinst.objmethod(context, *args, **kwargs)` and answers
    /// `[updates, result]`: every field whose value the call changed (or set), in primitive
    /// form, plus `obj_what_changed`.
    public func objectAction(context: StoreContext, objinst: JSONValue, objmethod: String,
                             args: [JSONValue], kwargs: JSONObject) async throws -> JSONValue {
        var object = try Self.hydrate(objinst, registry: registry)
        try Self.validatePrimitives(.array(args))
        try Self.validatePrimitives(.object(kwargs))
        let before = object
        logger.debug("indirection object action", metadata: ["object": "\(object.name)", "method": "\(objmethod)"])
        let result: JSONValue
        do {
            result = try await InstanceActions(store: store, context: context).run(&object, objmethod, args, kwargs)
        } catch let error as ObjectError {
            throw IndirectionFailure.from(error, primitive: nil)
        }
        var updates = JSONObject()
        for spec in object.schema.fields {
            guard let now = object[spec.name] else { continue }
            var changed = before[spec.name] == nil || before[spec.name] != now
            // Python compares the nested object with its deep copy by identity: always "changed".
            if case .object = spec.type, !now.isNull { changed = true }
            if changed { updates[spec.name] = now }
        }
        updates["obj_what_changed"] = .array(object.whatChanged.map { .string($0) })
        return .array([.object(updates), result])
    }

    // MARK: object_backport_versions

    /// `Handler.object_backport_versions`: the object at `object_versions[name]`.
    public func objectBackportVersions(context: StoreContext, objinst: JSONValue, objectVersions: JSONObject) throws -> JSONValue {
        let object = try Self.hydrate(objinst, registry: registry)
        guard let target = objectVersions[object.name] else { throw IndirectionFailure.builtin("KeyError", "'\(object.name)'") }
        let targetText = target.stringValue ?? PythonFormat.str(target)
        guard let version = ObjectVersion(targetText) else {
            throw IndirectionFailure.builtin("ValueError", "invalid version string '\(targetText)'")
        }
        let manifest = try Self.manifest(objectVersions)
        do {
            return try object.primitive(targetVersion: version, manifest: manifest)
        } catch {
            throw IndirectionFailure.from(error, primitive: nil)
        }
    }

    // MARK: Helpers

    static func manifest(_ versions: JSONObject) throws(IndirectionFailure) -> [String: ObjectVersion] {
        var out: [String: ObjectVersion] = [:]
        for (name, value) in versions {
            let text = value.stringValue ?? PythonFormat.str(value)
            guard let v = ObjectVersion(text) else { throw .builtin("ValueError", "invalid version string '\(text)' for \(name)") }
            out[name] = v
        }
        return out
    }

    /// `VersionedObjectSerializer.deserialize_entity` for one object argument.
    static func hydrate(_ primitive: JSONValue, registry: ObjectRegistry) throws(IndirectionFailure) -> VersionedObject {
        do {
            return try VersionedObject(primitive: primitive, registry: registry)
        } catch {
            throw IndirectionFailure.from(error, primitive: primitive)
        }
    }

    /// Every object primitive nested in the arguments must hydrate, as the RPC server's
    /// serializer hydrates them before the handler runs.
    static func validatePrimitives(_ value: JSONValue) throws(IndirectionFailure) {
        switch value {
        case .object(let o):
            if o[PrimitiveKey.name] != nil {
                _ = try hydrate(value, registry: .magnum)
                return
            }
            for (_, v) in o { try validatePrimitives(v) }
        case .array(let a):
            for v in a { try validatePrimitives(v) }
        default:
            return
        }
    }
}
