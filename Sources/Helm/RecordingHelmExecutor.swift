public import JSON

/// A ``HelmExecutor`` that runs nothing: it records every call in order (``HelmCall``) and answers
/// with canned results. Driver tests compare its calls with the Python driver's cases; replay
/// and benchmarks use it where no cluster exists.
///
/// Answers, in order of precedence: a result queued with ``enqueue(_:for:)`` for that operation;
/// the `responder` given at creation; else a plausible default (upgrades deploy the release with
/// the next revision, uninstalling or asking for a release never installed here says
/// `release: not found`, `version` is 3.17.2).
public actor RecordingHelmExecutor: HelmExecutor {
    /// A canned answer.
    public enum Result: Sendable {
        case release(HelmRelease)
        case uninstall(HelmUninstallResult)
        case manifests(HelmRenderedManifests)
        case version(HelmVersion)
        case failure(HelmError)
    }

    /// Decides the answer for a call; `nil` falls back to the defaults.
    public typealias Responder = @Sendable (HelmCall) -> Result?

    public private(set) var calls: [HelmCall] = []
    private var queued: [HelmOperation: [Result]] = [:]
    private let responder: Responder?
    /// Installed releases by "namespace/release" → revision.
    private var revisions: [String: Int] = [:]

    public init(responder: Responder? = nil) {
        self.responder = responder
    }

    /// Answers the next call of `operation` with `result` (FIFO per operation).
    public func enqueue(_ result: Result, for operation: HelmOperation) {
        queued[operation, default: []].append(result)
    }

    /// The calls as a JSON array (``HelmCall/json``), the recording format.
    public var callsJSON: JSONValue { .array(calls.map(\.json)) }

    /// The calls the Python driver would have made, in its cases' shape (``HelmCall/driverCaseJSON``).
    public var driverCaseJSON: JSONValue { .array(calls.compactMap(\.driverCaseJSON)) }

    public func reset() {
        calls = []
        queued = [:]
        revisions = [:]
    }

    // MARK: - HelmExecutor

    public func upgradeInstall(_ request: HelmUpgradeRequest) async throws -> HelmRelease {
        let call = HelmCall(request)
        switch try answer(call) {
        case .release(let release)?:
            return release
        case nil:
            let key = "\(request.namespace)/\(request.release)"
            let revision = (revisions[key] ?? 0) + 1
            revisions[key] = revision
            return HelmRelease(
                name: request.release, namespace: request.namespace, revision: revision, status: .deployed,
                description: revision == 1 ? "Install complete" : "Upgrade complete",
                chartName: request.chart.name, chartVersion: request.chart.version)
        case let other?:
            throw mismatch(other, call)
        }
    }

    public func uninstall(_ request: HelmUninstallRequest) async throws -> HelmUninstallResult {
        let call = HelmCall(request)
        switch try answer(call) {
        case .uninstall(let result)?:
            return result
        case nil:
            let key = "\(request.namespace)/\(request.release)"
            return revisions.removeValue(forKey: key) == nil
                ? .releaseNotFound(release: request.release) : .uninstalled(release: request.release)
        case let other?:
            throw mismatch(other, call)
        }
    }

    public func status(_ request: HelmStatusRequest) async throws -> HelmRelease {
        let call = HelmCall(request)
        switch try answer(call) {
        case .release(let release)?:
            return release
        case nil:
            guard let revision = revisions["\(request.namespace)/\(request.release)"] else {
                throw HelmError(
                    kind: .releaseNotFound, operation: .status, release: request.release,
                    namespace: request.namespace, exitStatus: 1, detail: "release: not found")
            }
            return HelmRelease(
                name: request.release, namespace: request.namespace, revision: revision, status: .deployed,
                description: revision == 1 ? "Install complete" : "Upgrade complete")
        case let other?:
            throw mismatch(other, call)
        }
    }

    public func template(_ request: HelmTemplateRequest) async throws -> HelmRenderedManifests {
        let call = HelmCall(request)
        switch try answer(call) {
        case .manifests(let manifests)?:
            return manifests
        case nil:
            return HelmRenderedManifests(
                directory: request.outputDirectory, files: [], manifest: request.outputDirectory == nil ? "" : nil)
        case let other?:
            throw mismatch(other, call)
        }
    }

    public func version() async throws -> HelmVersion {
        switch try answer(HelmCall(operation: .version)) {
        case .version(let version)?:
            return version
        case nil:
            return HelmVersion(major: 3, minor: 17, patch: 2)
        case let other?:
            throw mismatch(other, HelmCall(operation: .version))
        }
    }

    // MARK: - Answers

    /// Records the call and finds its canned answer; a canned failure is thrown.
    private func answer(_ call: HelmCall) throws(HelmError) -> Result? {
        calls.append(call)
        var result: Result?
        if var queue = queued[call.operation], !queue.isEmpty {
            result = queue.removeFirst()
            queued[call.operation] = queue
        } else {
            result = responder?(call)
        }
        if case .failure(let error)? = result { throw error }
        return result
    }

    private func mismatch(_ result: Result, _ call: HelmCall) -> HelmError {
        HelmError(
            kind: .unexpectedOutput, operation: call.operation, release: call.release,
            namespace: call.namespace, detail: "canned result \(result) does not fit \(call.operation)")
    }
}
