import FakeKubernetes
import Foundation
import JSON
import Kubernetes
import Logging

/// A fake API server and a real client connected to it through a kubeconfig file.
struct Harness {
    let server: FakeKubernetesAPIServer
    let client: KubernetesAPIClient
    let kubeconfigPath: String

    static func start(_ credentials: FakeKubernetesAPIServer.Credentials = .clientCertificateFiles,
                      options: FakeKubernetesAPIServer.Options = .init(),
                      configuration: KubernetesAPIClient.Configuration = .init()) async throws -> Harness {
        let server = try await FakeKubernetesAPIServer.start(options: options)
        let path = try writeTemporary(try server.kubeconfig(credentials), name: "kubeconfig")
        let client = try KubernetesAPIClient(kubeconfigPath: path, configuration: configuration, logger: Logger(label: "test"))
        return Harness(server: server, client: client, kubeconfigPath: path)
    }

    func stop() async { await server.shutdown() }
}

func writeTemporary(_ text: String, name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcw-k8s-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

func secret(_ name: String, labels: [String: String] = [:], data: [String: String] = [:]) -> KubernetesObject {
    var stringData = JSONObject()
    for (key, value) in data.sorted(by: { $0.key < $1.key }) { stringData[key] = .string(value) }
    return KubernetesObject(apiVersion: "v1", kind: "Secret", name: name, labels: labels, extra: ["stringData": .object(stringData)])
}
