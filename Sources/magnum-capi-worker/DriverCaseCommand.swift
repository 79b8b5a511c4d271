import ArgumentParser
import CapiHelmDriver
import Foundation
import JSON
import Logging

/// `magnum-capi-worker driver-case FILE`: runs one driver conformance case against recording
/// ports and prints the outcome in the case's `expected` shape (helm, Kubernetes and OpenStack
/// calls, cluster and nodegroups afterwards, error). Options the case does not set follow
/// magnum-capi-helm 1.4.0.
struct DriverCaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "driver-case",
        abstract: "Run a capi-helm driver case file and print its outcome as JSON."
    )

    @Argument(help: "A driver case (JSON: operation, config, input), or - for standard input.")
    var file: String

    @Flag(help: "Print the whole case with `expected` filled in, instead of the outcome alone.")
    var fill = false

    func run() async throws {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw ValidationError("cannot read \(file): \(error.localizedDescription)")
            }
        }
        let document: JSONValue
        do {
            document = try JSONValue(parsing: data)
        } catch {
            throw ValidationError("\(file) is not JSON: \(error)")
        }
        let driverCase = try DriverCase(document)
        var logger = Logger(label: "driver-case")
        logger.logLevel = .critical
        let outcome = try await driverCase.run(logger: logger)
        var output = outcome
        if fill, case .object(var whole) = document {
            whole["expected"] = outcome
            output = .object(whole)
        }
        print(output.jsonString(.pretty))
    }
}
