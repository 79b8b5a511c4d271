public import ClusterCertificates
public import ClusterStore
public import JSON
public import MagnumObjects
public import OsloMessaging

// How the worker's errors travel back to a Python caller: the class, module, message and
// constructor arguments a Magnum conductor would have put in the failure for the same
// condition. magnum-api re-raises `magnum.common.exception` classes (with their HTTP `code`);
// other modules arrive as `RemoteError` naming the class.

/// Magnum's own exceptions: `magnum.common.exception.<Class>`, `args` = (message,), `kwargs` with
/// `code`, exactly as `serialize_remote_exception` writes a `MagnumException`.
extension MagnumError: RemoteExceptionConvertible {
    public var remoteClassName: String { className }
    public var remoteModuleName: String { MagnumError.module }
    public var remoteMessage: String { message }
    public var remoteKwargs: JSONObject { kwargs }
}

/// An object primitive that could not be accepted: oslo.versionedobjects' exception of the same
/// meaning (or Python's `ValueError` for a field of the wrong type).
extension ObjectError: RemoteExceptionConvertible {
    private var failure: IndirectionFailure { IndirectionFailure.from(self, primitive: nil) }
    public var remoteClassName: String { failure.className }
    public var remoteModuleName: String { failure.moduleName }
    public var remoteMessage: String { failure.message }
    public var remoteKwargs: JSONObject { failure.kwargs }
}

/// Failures of the indirection API and of argument decoding carry their Python class already.
extension IndirectionFailure: RemoteExceptionConvertible {
    public var remoteClassName: String { className }
    public var remoteModuleName: String { moduleName }
    public var remoteMessage: String { message }
    public var remoteKwargs: JSONObject { kwargs }
}

/// Database failures as oslo.db (or SQLAlchemy, or Python) would report them.
extension StoreError: RemoteExceptionConvertible {
    public var remoteClassName: String { pythonClassName }
    public var remoteModuleName: String { pythonModuleName }
    public var remoteMessage: String { message }
}

/// A key or certificate problem: Magnum's exception when Magnum raises one (`InvalidCsr`,
/// `CertificateValidationError`), otherwise the bare `ValueError` Magnum's crypto calls raise.
extension CertificateOperationError: RemoteExceptionConvertible {
    public var remoteClassName: String { magnumError?.className ?? "ValueError" }
    public var remoteModuleName: String { magnumError == nil ? "builtins" : MagnumError.module }
    public var remoteMessage: String { magnumError?.message ?? reason }
    public var remoteKwargs: JSONObject { magnumError?.kwargs ?? [:] }
}

enum PythonText {
    /// `str(e)` of the exception an error stands for: what Magnum stores as `status_reason`.
    static func str(_ error: any Error) -> String {
        if let magnum = error as? MagnumError { return magnum.message }
        if let remote = error as? any RemoteExceptionConvertible { return remote.remoteMessage }
        return String(describing: error)
    }

    /// Python's `==` between an `int` and a decoded JSON value (`5 == 5.0`, `1 == True`).
    static func equals(_ int: Int?, _ value: JSONValue) -> Bool {
        guard let int else { return value.isNull }
        switch value {
        case .int(let i): return Int64(int) == i
        case .double(let d): return Double(int) == d
        case .bool(let b): return int == (b ? 1 : 0)
        default: return false
        }
    }
}
