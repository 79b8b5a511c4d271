import CapiHelmDriver
import Foundation
import JSON
import Logging
import TestSupport

/// Loading driver cases and running them through `DriverCase`, for the tests.
enum Cases {
    static let directory = TestEnvironment.fixturesDirectory.appendingPathComponent("driver")

    static var files: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }

    static func load(_ file: String) throws -> JSONValue {
        let data = try Data(contentsOf: directory.appendingPathComponent(file))
        return try JSONValue(parsing: data)
    }

    /// A fixture's case without its `expected`, to build new cases from.
    static func base(_ file: String = "create_defaults.json") throws -> JSONValue {
        var c = try load(file)
        c["expected"] = nil
        return c
    }

    static let quiet: Logger = {
        var l = Logger(label: "capi-helm-driver-tests")
        l.logLevel = .critical
        return l
    }()

    static func run(_ document: JSONValue) async throws -> JSONValue {
        try await DriverCase(document).run(logger: quiet)
    }

    /// The real Python driver's outcomes for the cases (`tools/peers/driver_oracle.py --batch`,
    /// one Python process), in order.
    static func python(_ cases: [JSONValue]) async throws -> [JSONValue] {
        let input = cases.map { $0.jsonString(.python) }.joined(separator: "\n") + "\n"
        let output = try await TestEnvironment.runPythonPeer("driver_oracle.py", arguments: ["--batch"], input: Data(input.utf8))
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
        return try lines.map { try JSONValue(parsing: String($0)) }
    }
}

extension JSONValue {
    /// Reads and writes nested members by path, creating objects on the way (`c[path: "input",
    /// "cluster", "labels"] = [...]`).
    subscript(path keys: String...) -> JSONValue? {
        get {
            var v: JSONValue? = self
            for k in keys { v = v?[k] }
            return v
        }
        set { setPath(keys[...], newValue) }
    }

    mutating func setPath(_ keys: ArraySlice<String>, _ value: JSONValue?) {
        guard let first = keys.first else { return }
        guard case .object(var o) = self else { return }
        if keys.count == 1 {
            o[first] = value
        } else {
            var child = o[first] ?? [:]
            if case .null = child { child = [:] }
            child.setPath(keys.dropFirst(), value)
            o[first] = child
        }
        self = .object(o)
    }
}
