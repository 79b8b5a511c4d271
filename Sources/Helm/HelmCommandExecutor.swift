internal import Foundation
internal import JSON
public import Logging
internal import Synchronization

/// The real ``HelmExecutor``: runs the `helm` binary, one process per operation.
///
/// - Arguments are exactly the Python driver's (``HelmCommandLine``); values go on standard input
///   and nowhere else; a kubeconfig given as content lives in a 0600 file only for the call.
/// - helm's environment is built from scratch: `PATH`, a private HOME and cache/config/data
///   directories, `KUBECONFIG` only when falling back as Python would, and the configured
///   pass-through variables (proxies, CA bundles). Nothing else of the worker's environment.
/// - Each process runs in its own process group; a deadline (helm's `--timeout` plus a margin) or
///   a cancelled task terminates the whole group (SIGTERM, then SIGKILL).
/// - At most ``HelmConfiguration/maxConcurrentProcesses`` run at once.
/// - Failures become ``HelmError`` with a classified kind and helm's message, secrets masked.
public final class HelmCommandExecutor: HelmExecutor {
    public let configuration: HelmConfiguration
    public let limiter: HelmProcessLimiter
    private let logger: Logger
    private let baseMasker: SecretMasker
    private let workspaceState = Mutex<HelmWorkspace?>(nil)

    public init(configuration: HelmConfiguration, logger: Logger) {
        self.configuration = configuration
        self.limiter = HelmProcessLimiter(limit: configuration.maxConcurrentProcesses)
        self.logger = logger
        self.baseMasker = SecretMasker().adding(kubeconfig: configuration.kubeconfig)
    }

    /// Removes the private temporary directory (when ``HelmConfiguration/stateDirectory`` is not
    /// set). Calls after this make a new one.
    public func shutdown() {
        let workspace = workspaceState.withLock { state -> HelmWorkspace? in
            defer { state = nil }
            return state
        }
        workspace?.remove()
    }

    // MARK: - Operations

    public func upgradeInstall(_ request: HelmUpgradeRequest) async throws -> HelmRelease {
        let context = CallContext(
            operation: .upgradeInstall, release: request.release, namespace: request.namespace,
            masker: baseMasker.adding(values: request.values).adding(kubeconfig: request.kubeconfig),
            requestMetadata: request.logMetadata)
        let output = try await withKubeconfig(request.kubeconfig, context) { path in
            try await self.execute(
                .upgradeInstall(request, kubeconfigPath: path),
                standardInput: request.values.serialized(.python),
                deadline: request.timeout + self.configuration.deadlineMargin,
                context,
                usesFallbackKubeconfig: path == nil)
        }
        guard case .exited(0) = output.termination else { throw failure(output, context) }
        return try parseRelease(output, context)
    }

    public func uninstall(_ request: HelmUninstallRequest) async throws -> HelmUninstallResult {
        let context = CallContext(
            operation: .uninstall, release: request.release, namespace: request.namespace,
            masker: baseMasker.adding(kubeconfig: request.kubeconfig),
            requestMetadata: request.logMetadata)
        let output = try await withKubeconfig(request.kubeconfig, context) { path in
            try await self.execute(
                .uninstall(request, kubeconfigPath: path), standardInput: nil,
                deadline: request.timeout + self.configuration.deadlineMargin, context,
                usesFallbackKubeconfig: path == nil)
        }
        if case .exited(0) = output.termination { return .uninstalled(release: request.release) }
        // The Python driver's test, verbatim: a missing release is the state we want.
        if output.standardError.contains("release: not found") {
            logger.info("helm release already absent", metadata: context.metadata)
            return .releaseNotFound(release: request.release)
        }
        throw failure(output, context)
    }

    public func status(_ request: HelmStatusRequest) async throws -> HelmRelease {
        let context = CallContext(
            operation: .status, release: request.release, namespace: request.namespace,
            masker: baseMasker.adding(kubeconfig: request.kubeconfig),
            requestMetadata: request.logMetadata)
        let output = try await withKubeconfig(request.kubeconfig, context) { path in
            try await self.execute(
                .status(request, kubeconfigPath: path), standardInput: nil,
                deadline: request.timeout, context, usesFallbackKubeconfig: path == nil)
        }
        guard case .exited(0) = output.termination else { throw failure(output, context) }
        return try parseRelease(output, context)
    }

    public func template(_ request: HelmTemplateRequest) async throws -> HelmRenderedManifests {
        let context = CallContext(
            operation: .template, release: request.release, namespace: request.namespace,
            masker: baseMasker.adding(values: request.values),
            requestMetadata: request.logMetadata)
        let output = try await execute(
            .template(request), standardInput: request.values.serialized(.python),
            deadline: request.timeout, context, usesFallbackKubeconfig: false)
        guard case .exited(0) = output.termination else { throw failure(output, context) }
        guard let directory = request.outputDirectory else {
            return HelmRenderedManifests(
                directory: nil, files: [], manifest: String(decoding: output.standardOutput, as: UTF8.self))
        }
        return HelmRenderedManifests(directory: directory, files: Self.files(under: directory), manifest: nil)
    }

    public func version() async throws -> HelmVersion {
        let context = CallContext(operation: .version, release: nil, namespace: nil, masker: baseMasker)
        let output = try await execute(
            .version(), standardInput: nil, deadline: .seconds(30), context, usesFallbackKubeconfig: false)
        guard case .exited(0) = output.termination else { throw failure(output, context) }
        let text = String(decoding: output.standardOutput, as: UTF8.self)
        guard let version = HelmVersion(parsing: text) else {
            throw HelmError(
                kind: .unexpectedOutput, operation: .version, exitStatus: 0,
                detail: "`helm version` printed \(context.masker.mask(String(text.prefix(200)))), not a version")
        }
        return version
    }

    // MARK: - Running helm

    struct CallContext: Sendable {
        var operation: HelmOperation
        var release: String?
        var namespace: String?
        var masker: SecretMasker
        var requestMetadata: Logger.Metadata = [:]

        var metadata: Logger.Metadata {
            var metadata = requestMetadata
            metadata["helm_operation"] = "\(operation)"
            if let release { metadata["release"] = "\(release)" }
            if let namespace { metadata["namespace"] = "\(namespace)" }
            return metadata
        }
    }

    /// Runs `body` with the `--kubeconfig` path for this call: the configured or given file,
    /// a temporary 0600 file for content (removed afterwards), or `nil` (helm's own fallback).
    private func withKubeconfig<Result>(
        _ override: HelmKubeconfig?, _ context: CallContext, _ body: (String?) async throws -> Result
    ) async throws -> Result {
        switch override ?? configuration.kubeconfig {
        case nil:
            return try await body(nil)
        case .file(let path):
            return try await body(path)
        case .content(let text):
            let workspace = try self.workspace(context)
            do {
                return try await workspace.withTemporaryFile(named: "kubeconfig", content: text, body)
            } catch let error as HelmWorkspaceError {
                throw HelmError(
                    kind: .failed, operation: context.operation, release: context.release,
                    namespace: context.namespace, detail: error.description)
            }
        }
    }

    private func workspace(_ context: CallContext) throws(HelmError) -> HelmWorkspace {
        do {
            return try workspaceState.withLock { state throws(HelmWorkspaceError) -> HelmWorkspace in
                if let state { return state }
                let made = try HelmWorkspace(directory: configuration.stateDirectory)
                state = made
                return made
            }
        } catch {
            let fix = configuration.stateDirectory == nil
                ? "check TMPDIR" : "check \(HelmConfiguration.Option.stateDirectory)"
            throw HelmError(
                kind: .failed, operation: context.operation, release: context.release,
                namespace: context.namespace, detail: "\(error.description) (\(fix))")
        }
    }

    /// helm's environment, from scratch.
    func environment(workspace: HelmWorkspace, usesFallbackKubeconfig: Bool) -> [String: String] {
        var environment = workspace.environment
        environment["PATH"] = configuration.searchPath
        for name in configuration.passthroughEnvironment {
            if let value = configuration.inheritedEnvironment[name] { environment[name] = value }
        }
        if usesFallbackKubeconfig, let path = configuration.fallbackKubeconfigPath() {
            environment["KUBECONFIG"] = path
        }
        return environment
    }

    private func execute(
        _ commandLine: HelmCommandLine, standardInput: [UInt8]?, deadline: Duration,
        _ context: CallContext, usesFallbackKubeconfig: Bool
    ) async throws -> HelmProcessRunner.Output {
        guard let executable = configuration.resolvedExecutable() else {
            throw HelmError(
                kind: .executableUnavailable, operation: context.operation, release: context.release,
                namespace: context.namespace,
                detail: HelmPreflight.missingExecutableMessage(configuration))
        }
        let workspace = try self.workspace(context)
        let runner = HelmProcessRunner(
            executable: executable,
            environment: environment(workspace: workspace, usesFallbackKubeconfig: usesFallbackKubeconfig),
            workingDirectory: workspace.root,
            gracePeriod: configuration.terminationGracePeriod,
            maximumOutputBytes: configuration.maximumOutputBytes,
            maximumErrorBytes: configuration.maximumErrorBytes)
        var metadata = context.metadata
        metadata["helm_command"] = "\(commandLine)"
        let started = ContinuousClock.now
        let outcome: HelmProcessRunner.Outcome
        do {
            let startMetadata = metadata
            outcome = try await limiter.withPermit {
                self.logger.debug("running helm", metadata: startMetadata)
                return try await runner.run(commandLine, standardInput: standardInput, deadline: deadline)
            }
        } catch let error as HelmProcessRunner.LaunchError {
            throw HelmError(
                kind: .executableUnavailable, operation: context.operation, release: context.release,
                namespace: context.namespace,
                detail: "\(error.description); set \(HelmConfiguration.Option.executable) to a working helm ≥ \(HelmVersion.minimumSupported)")
        } catch let error as HelmProcessRunner.OutputTooLarge {
            throw HelmError(
                kind: .unexpectedOutput, operation: context.operation, release: context.release,
                namespace: context.namespace, detail: error.description)
        } catch is CancellationError {
            logger.info("helm call cancelled; its process group was terminated", metadata: metadata)
            throw CancellationError()
        }
        let elapsed = (ContinuousClock.now - started).components
        metadata["duration_ms"] = "\(elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000)"
        switch outcome {
        case .deadlineExceeded(let pid):
            configuration.observer?(HelmInvocation(operation: context.operation, outcome: .timeout, duration: ContinuousClock.now - started))
            metadata["pid"] = "\(pid)"
            let error = HelmError(
                kind: .timedOut, operation: context.operation, release: context.release,
                namespace: context.namespace,
                detail: "helm did not finish within \(HelmCommandLine.goDuration(deadline)) and was stopped with its process group (SIGTERM, then SIGKILL after \(HelmCommandLine.goDuration(configuration.terminationGracePeriod)))")
            logger.warning("\(error.statusReason)", metadata: metadata)
            throw error
        case .completed(let output):
            let succeeded = output.termination == .exited(0)
            configuration.observer?(HelmInvocation(operation: context.operation, outcome: succeeded ? .success : .failure,
                                                   duration: ContinuousClock.now - started))
            metadata["pid"] = "\(output.processID)"
            metadata["helm_exit"] = "\(output.termination)"
            logger.debug("helm finished", metadata: metadata)
            return output
        }
    }

    /// The ``HelmError`` for a helm run that did not exit 0.
    private func failure(_ output: HelmProcessRunner.Output, _ context: CallContext) -> HelmError {
        let message = HelmErrorClassifier.message(from: output.standardError)
        let kind: HelmError.Kind
        let exitStatus: Int32?
        switch output.termination {
        case .exited(let code):
            kind = HelmErrorClassifier.kind(of: output.standardError)
            exitStatus = code
        case .signaled:
            kind = .failed
            exitStatus = nil
        }
        var detail = context.masker.mask(message)
        if detail.isEmpty { detail = "helm ended with \(output.termination) and printed no error" }
        let error = HelmError(
            kind: kind, operation: context.operation, release: context.release,
            namespace: context.namespace, exitStatus: exitStatus, detail: detail)
        var metadata = context.metadata
        metadata["helm_error_kind"] = "\(kind)"
        logger.warning("\(error.statusReason)", metadata: metadata)
        return error
    }

    private func parseRelease(_ output: HelmProcessRunner.Output, _ context: CallContext) throws(HelmError) -> HelmRelease {
        if let json = try? JSONValue(parsing: output.standardOutput), let release = HelmRelease(helmOutput: json) {
            return release
        }
        throw HelmError(
            kind: .unexpectedOutput, operation: context.operation, release: context.release,
            namespace: context.namespace, exitStatus: 0,
            detail: "helm succeeded but its output (\(output.standardOutput.count) bytes) is not a release in JSON")
    }

    /// Regular files under `directory`, relative paths, sorted.
    static func files(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: "\(directory)/\(path)", isDirectory: &isDirectory),
               !isDirectory.boolValue
            {
                files.append(path)
            }
        }
        return files.sorted()
    }
}
