/// Why a versioned-object primitive could not be accepted. Each case names the oslo exception a
/// Python service raises in the same situation, so RPC failures carry the same class.
public struct ObjectError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// oslo `UnsupportedObjectError`: no object of that name is registered.
        case unsupportedObject
        /// oslo `IncompatibleObjectVersion`: the caller's major version differs, or its minor is newer.
        case incompatibleVersion
        /// oslo `InvalidTargetVersion`: asked to serialise to a version newer than ours.
        case invalidTargetVersion
        /// A field's value has the wrong type or is not allowed (oslo raises ValueError).
        case invalidFieldValue
        /// The primitive is not an object primitive at all (missing keys, wrong namespace).
        case malformedPrimitive
        /// A field that is not part of the object.
        case unknownField
    }

    public let kind: Kind
    public let objectName: String?
    public let message: String

    public init(_ kind: Kind, objectName: String?, _ message: String) {
        self.kind = kind
        self.objectName = objectName
        self.message = message
    }

    public var description: String { message }

    /// The oslo.versionedobjects exception class this corresponds to, for RPC failure replies.
    public var osloClassName: String {
        switch kind {
        case .unsupportedObject: return "UnsupportedObjectError"
        case .incompatibleVersion: return "IncompatibleObjectVersion"
        case .invalidTargetVersion: return "InvalidTargetVersion"
        case .invalidFieldValue, .unknownField: return "ValueError"
        case .malformedPrimitive: return "ObjectActionError"
        }
    }
}
