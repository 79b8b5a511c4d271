import FakeOpenStack
import JSON
import Logging
import OpenStack
import Testing

@Suite struct RecordingOpenStackClientTests {
    @Test func answersFromDataAndRecordsCallsWithoutSecrets() async throws {
        var data = RecordingOpenStackClient.Data()
        data.images = [Image(json: ["id": "img", "name": "ubuntu", "os_distro": "ubuntu", "kube_version": "v1.31.4"])]
        data.flavors = [Flavor(id: "1", name: "m1.small", ram: 2048, vcpus: 1), Flavor(id: "2", name: "m1.large", ram: 8192, vcpus: 4)]
        data.networks = [Network(id: "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b", name: "public", isRouterExternal: true)]
        data.volumeTypes = [VolumeType(id: "1", name: "ssd")]
        data.nextCredentials = [(id: "6b5e2a1c9d8f4e7a", secret: "s3cr3t-app-cred")]
        let recorder = RecordingOpenStackClient(data: data)

        #expect(try await recorder.findImage("img").kubeVersion == "v1.31.4")
        #expect(try await recorder.flavors(minimumRAM: 4096).map(\.name) == ["m1.large"])
        #expect(try await recorder.externalNetworkID("public") == "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b")
        #expect(try await recorder.volumeTypes().map(\.name) == ["ssd"])
        let credential = try await recorder.createApplicationCredential(userID: "u", name: "magnum-c-1", description: "d")
        #expect(credential.id == "6b5e2a1c9d8f4e7a")
        #expect(credential.secret?.value == "s3cr3t-app-cred")
        try await recorder.deleteApplicationCredential(userID: "u", id: credential.id)
        let again = await #expect(throws: OpenStackError.self) { try await recorder.deleteApplicationCredential(userID: "u", id: credential.id) }
        #expect(again?.kind == .notFound)

        #expect(recorder.calls.map(\.call) == ["find_image", "list_flavors", "list_networks", "list_volume_types",
                                               "create_application_credential", "delete_application_credential", "delete_application_credential"])
        let text = String(decoding: recorder.recording.serialized(.canonical), as: UTF8.self)
        #expect(!text.contains("s3cr3t-app-cred"))
        #expect(text.contains(#"{"arguments":{"is_router_external":true,"name":"public"},"call":"list_networks","service":"network"}"#))
    }

    @Test func injectedFailuresAndPassThrough() async throws {
        var data = RecordingOpenStackClient.Data()
        data.failures = ["list_volume_types": .serverError]
        let failing = RecordingOpenStackClient(data: data)
        let error = await #expect(throws: OpenStackError.self) { _ = try await failing.volumeTypes() }
        #expect(error?.kind == .serverError)

        let cloud = try await Cloud.start()
        defer { Task { await cloud.shutdown() } }
        let real = try OpenStackAPIClient(configuration: Cloud.configuration(cloud), logger: Logger(label: "t"))
        let recorder = RecordingOpenStackClient(base: real)
        #expect(try await recorder.findFlavor("m1.large").vcpus == 4)
        #expect(recorder.calls.first?.json == ["service": "compute", "call": "find_flavor", "arguments": ["flavor": "m1.large"]])
    }
}
