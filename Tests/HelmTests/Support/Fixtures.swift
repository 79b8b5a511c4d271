import Foundation
import Helm
import JSON
import Logging
import TestSupport

enum Fixtures {
    /// The test chart, or the real chart an operator gave with `tools/test --chart PATH` (`MCW_CHART`).
    static let chartDirectory = ProcessInfo.processInfo.environment["MCW_CHART"].flatMap { $0.isEmpty ? nil : $0 }
        ?? TestEnvironment.fixturesDirectory.appendingPathComponent("charts/openstack-cluster-paths").path
    static let driverDirectory = TestEnvironment.fixturesDirectory.appendingPathComponent("driver").path

    static func json(_ relativePath: String) throws -> JSONValue {
        let path = TestEnvironment.fixturesDirectory.appendingPathComponent(relativePath).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FakeHelmError(message: "missing fixture \(path)")
        }
        return try JSONValue(parsing: Array(data))
    }

    /// The driver cases with helm calls (file name → `expected.helm`).
    static func driverHelmCalls() throws -> [(name: String, calls: [JSONValue])] {
        try FileManager.default.contentsOfDirectory(atPath: driverDirectory)
            .filter { $0.hasSuffix(".json") }.sorted()
            .map { name in (name, try json("driver/\(name)")["expected"]?["helm"]?.arrayValue ?? []) }
    }

    /// Every `install_or_upgrade` of the driver cases, as a request.
    static func driverUpgradeRequests() throws -> [(name: String, request: HelmUpgradeRequest)] {
        try driverHelmCalls().flatMap { name, calls in
            calls.compactMap { call -> (String, HelmUpgradeRequest)? in
                guard call["call"]?.stringValue == "install_or_upgrade" else { return nil }
                return (name, upgradeRequest(call))
            }
        }
    }

    static func upgradeRequest(_ call: JSONValue, kubeconfig: HelmKubeconfig? = nil) -> HelmUpgradeRequest {
        HelmUpgradeRequest(
            release: call["release"]?.stringValue ?? "",
            chart: HelmChartReference(
                name: call["chart"]?.stringValue ?? "",
                repository: call["repo"]?.stringValue, version: call["version"]?.stringValue),
            namespace: call["namespace"]?.stringValue ?? "",
            values: call["values"] ?? .null,
            kubeconfig: kubeconfig)
    }

    /// What the real Python helm client executed (tools/oracles/helm_client.py).
    static func pythonClient() throws -> JSONValue {
        try json("helm/python-helm-client.json")
    }
}

/// Keeps every log line, to check what reaches logs.
final class CapturedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) {
        lock.lock()
        lines.append(line)
        lock.unlock()
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    var text: String { all.joined(separator: "\n") }

    var logger: Logger {
        var logger = Logger(label: "helm-tests") { _ in CapturingLogHandler(sink: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let sink: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        sink.append("\(event.level) \(event.message) \(rendered)")
    }
}

extension HelmConfiguration {
    /// A configuration for tests: the given helm, nothing inherited unless given, short grace.
    static func testing(
        helm: String,
        kubeconfig: HelmKubeconfig? = nil,
        maxConcurrentProcesses: Int = 4,
        inheritedEnvironment: [String: String] = [:],
        gracePeriod: Duration = .milliseconds(500),
        deadlineMargin: Duration = .seconds(60)
    ) -> HelmConfiguration {
        HelmConfiguration(
            executable: helm, kubeconfig: kubeconfig, maxConcurrentProcesses: maxConcurrentProcesses,
            deadlineMargin: deadlineMargin, terminationGracePeriod: gracePeriod,
            inheritedEnvironment: inheritedEnvironment)
    }
}
