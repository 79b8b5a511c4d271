public import JSON

/// Decides which keys hold secrets and replaces their values, so a context, an argument list or
/// a decoded message can be logged or printed without leaking tokens or passwords.
///
/// A key is secret when its lower-cased name contains one of `markers` (token, password, secret,
/// credential, private key, kubeconfig, ...). oslo.context masks the same way (`'***'`).
public enum SecretMasking {
    /// What replaces a secret value.
    public static let mask = "***"

    static let markers = [
        "token", "password", "passwd", "secret", "credential", "private_key", "privatekey",
        "kubeconfig", "hmac_key", "api_key", "access_key", "auth_key", "encryption_key",
    ]

    /// Whether a key names a secret (`auth_token`, `auth_token_info`, `password`, `trustee_password`,
    /// `application_credential_secret`, `private_key`, ...).
    public static func isSecret(key: String) -> Bool {
        let lower = key.lowercased()
        return markers.contains { lower.contains($0) }
    }

    /// `value` with every secret key's value (at any depth) replaced by `"***"`; `null` stays
    /// `null` so an absent token still reads as absent.
    public static func masked(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object): return .object(masked(object))
        case .array(let array): return .array(array.map(masked))
        default: return value
        }
    }

    public static func masked(_ object: JSONObject) -> JSONObject {
        var out = JSONObject(minimumCapacity: object.count)
        for (key, value) in object {
            if isSecret(key: key) {
                out[key] = value.isNull ? .null : .string(mask)
            } else {
                out[key] = masked(value)
            }
        }
        return out
    }
}
