import AMQP
import ArgumentParser

@main
struct MagnumCapiWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "magnum-capi-worker",
        abstract: "Does the job of OpenStack Magnum's conductor for Cluster API + Helm clusters.",
        version: "0.1.0 (librabbitmq \(librabbitmqVersion))",
        subcommands: [DecodeCommand.self, DriverCaseCommand.self, RecordCommand.self, ReplayCommand.self, RenderCommand.self]
    )
}
