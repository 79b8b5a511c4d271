// bench-driver: how many openstack-cluster values documents the Swift driver renders per second
// (per second of CPU time the process spends, so a busy machine does not distort it) for a
// driver case, run as `update_cluster` (values built from the cluster, its template and
// nodegroups through the ports, then handed to a helm port that does nothing). Build in
// release: `tools/bench-driver` does, and compares with the Python driver on the same case.
//
//   bench-driver CASE.json [SECONDS]
import CapiHelmDriver
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import JSON
import Logging

/// A helm port that keeps nothing: the benchmark measures the driver, not the recording.
struct DiscardingHelm: HelmPort {
    func installOrUpgrade(release: String, chart: String, values: JSONValue, repo: String, version: String, namespace: String) async throws {}
    func uninstallRelease(release: String, namespace: String) async throws {}
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: bench-driver CASE.json [SECONDS]\n".utf8))
    exit(2)
}
let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 3 : 3
var document = try JSONValue(parsing: try Data(contentsOf: URL(fileURLWithPath: arguments[1])))
document["operation"] = "update_cluster"
if case .object(var input) = document["input"], case .object(var cluster) = input["cluster"] {
    cluster["stack_id"] = "prod-east-a1b2c3d4e5f6"
    input["cluster"] = .object(cluster)
    document["input"] = .object(input)
}
var logger = Logger(label: "bench-driver")
logger.logLevel = .critical

/// The measurement runs off the main actor: top-level code is main-actor isolated, and a hop
/// per call would be measured instead of the driver.
nonisolated func benchmark(_ document: JSONValue, seconds: Double, logger: Logger) async throws -> JSONValue {
    var prepared = try await DriverCase(document).prepare(helm: DiscardingHelm(), logger: logger)

    /// CPU seconds used by the whole process so far (every thread).
    func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func measure(_ body: () async throws -> Void) async throws -> (calls: Int, seconds: Double) {
        for _ in 0..<100 { try await body() }  // warm up
        let start = cpuSeconds()
        var calls = 0
        var elapsed = 0.0
        while elapsed < seconds {
            for _ in 0..<100 { try await body() }
            calls += 100
            elapsed = cpuSeconds() - start
        }
        return (calls, elapsed)
    }

    let update = try await measure { try await prepared.driver.updateCluster(&prepared.cluster, context: prepared.context) }
    let values = try await measure {
        _ = try await prepared.driver.helmRelease(prepared.cluster, template: prepared.template, context: prepared.context)
    }
    return [
        "update_cluster": ["calls": JSONValue(update.calls), "seconds": .double(update.seconds), "per_second": .double(Double(update.calls) / update.seconds)],
        "values_only": ["calls": JSONValue(values.calls), "seconds": .double(values.seconds), "per_second": .double(Double(values.calls) / values.seconds)],
    ]
}

print(try await benchmark(document, seconds: seconds, logger: logger).jsonString(.compact))
