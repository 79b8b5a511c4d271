import AMQP
import ArgumentParser

@main
struct MagnumCapiWorker: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "magnum-capi-worker",
        abstract: "Does the job of OpenStack Magnum's conductor for Cluster API + Helm clusters.",
        discussion: """
            A drop-in for magnum-conductor with the capi-helm driver: it reads magnum.conf, consumes the \
            conductor's RPC topic on RabbitMQ, keeps Magnum's database and installs each cluster's \
            openstack-cluster Helm release on the Cluster API management cluster.

            Start with `check-config`, then `serve`. See README.md and docs/ for operators' guides.
            """,
        version: "\(version) (librabbitmq \(librabbitmqVersion))",
        subcommands: [ServeCommand.self, CheckConfigCommand.self, RecordCommand.self, ReplayCommand.self, RenderCommand.self,
                      DecodeCommand.self, DriverCaseCommand.self]
    )
}
