public import JSON

extension JSONValue {
    /// The chart values merge of magnum-capi-helm (`helm.mergeconcat`): objects merge key by key
    /// (keys keep their first position), lists concatenate, anything else is replaced unless the
    /// override is null.
    public func mergeConcat(_ overrides: JSONValue) -> JSONValue {
        switch (self, overrides) {
        case (.object(var merged), .object(let o)):
            for (key, value) in o {
                if let existing = merged[key] {
                    merged[key] = existing.mergeConcat(value)
                } else {
                    merged[key] = value
                }
            }
            return .object(merged)
        case (.array(let a), .array(let b)):
            return .array(a + b)
        default:
            return overrides.isNull ? self : overrides
        }
    }

    /// Merges `overrides` into `self` in place (`values = mergeconcat(values, overrides)`).
    public mutating func mergeConcatInPlace(_ overrides: JSONValue) {
        self = mergeConcat(overrides)
    }
}
