import OpenStack

/// oslo's `is_uuid_like`, for files that must not import `OpenStack` (its `Flavor` and
/// `ApplicationCredential` would shadow the driver's).
enum UUIDText {
    static func isLike(_ text: String) -> Bool { isUUIDLike(text) }
}
