import CapiHelmDriver
import CapiHelmRuntime
import FakeOpenStack
import Foundation
import JSON
import Logging
import MagnumObjects
import OpenStack
import OsloConfig
import Testing
import TestSupport

/// The OpenStack port against the fake cloud: every call as the calling user (their token,
/// re-scoped to their project), the admin service user only for deleting credentials, Magnum's
/// errors and messages, no secret in logs.
@Suite struct OpenStackClientPortTests {
    static let project = "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b"
    static let userID = "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b"
    static let imageID = "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70"
    static let publicID = "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b"

    struct Setup {
        let bed: RuntimeTestbed
        let port: OpenStackClientPort
        let context: RequestContext
        let token: String
        let logs: LogCapture
    }

    func withPort(conf extra: [String: [String: String]] = [:], _ body: (Setup) async throws -> Void) async throws {
        var data = FakeOpenStackCloud.Data()
        data.images = [
            ["id": .string(Self.imageID), "name": "ubuntu-2204-kube-v1.31.4", "os_distro": "ubuntu", "kube_version": "v1.31.4", "status": "active"],
            ["id": "11111111-2222-4333-8444-555555555555", "name": "twice", "status": "active"],
            ["id": "11111111-2222-4333-8444-666666666666", "name": "twice", "status": "active"],
        ]
        data.flavors = [["id": "f-small", "name": "m1.small", "ram": 2048, "vcpus": 1], ["id": "f-tiny", "name": "m1.tiny", "ram": 512, "vcpus": 1],
                        ["id": "f-large", "name": "m1.large", "ram": 8192, "vcpus": 4]]
        data.networks = [["id": .string(Self.publicID), "name": "public", "router:external": true],
                         ["id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "name": "tenant-net", "router:external": false],
                         ["id": "aaaaaaaa-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "name": "dup", "router:external": false],
                         ["id": "bbbbbbbb-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "name": "dup", "router:external": false]]
        data.subnets = [["id": "9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f", "name": "tenant-subnet", "network_id": "n"]]
        data.volumeTypes = [["id": "v1", "name": "__DEFAULT__"], ["id": "v2", "name": "Fast HDD"]]
        let user = FakeOpenStackCloud.User(id: Self.userID, name: "demo", password: RuntimeTestbed.userPassword, projectID: Self.project, projectName: "demo")
        let bed = try await RuntimeTestbed.start(cloudData: data, users: [user])
        let logs = LogCapture()
        do {
            let settings = try OpenStackSettings(configuration: try bed.configuration(extra))
            let port = try OpenStackClientPort(settings: settings, logger: logs.logger)
            let token = try await bed.token(user: "demo", project: Self.project)
            let context = RequestContext(userId: Self.userID, projectId: Self.project, authToken: token)
            try await body(Setup(bed: bed, port: port, context: context, token: token, logs: logs))
            port.shutdown()
        } catch {
            await bed.close()
            throw error
        }
        await bed.close()
    }

    func cluster(_ uuid: String = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02") -> Cluster {
        var cluster = Cluster()
        cluster.uuid = uuid
        cluster.name = "prod-east"
        cluster.userId = Self.userID
        cluster.projectId = Self.project
        return cluster
    }

    @Test func actsAsTheCallerWithTheirTokenRescopedToTheirProject() async throws {
        try await withPort { s async throws in
            let issuedBefore = s.bed.cloud.tokensIssued
            let credential = try await s.port.createApplicationCredential(cluster: cluster(), context: s.context)
            _ = try await s.port.flavors(minimumRAM: 2048, context: s.context)
            _ = try await s.port.volumeTypes(context: s.context)
            // One re-scoping for the caller, then their session is reused.
            #expect(s.bed.cloud.tokensIssued == issuedBefore + 1)
            #expect(s.bed.cloud.requests.contains("POST /identity/v3/users/\(Self.userID)/application_credentials"))
            let name = try #require(s.bed.cloud.applicationCredentials[credential.id])
            #expect(name.hasPrefix("magnum-0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02-") && name.count == "magnum-0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02-".count + 8)
            #expect(!credential.secret.isEmpty)
            #expect(!s.logs.text.contains(credential.secret))
            #expect(!s.logs.text.contains(s.token))
            #expect(!s.logs.text.contains(RuntimeTestbed.adminPassword))
            #expect("\(credential)" == "ApplicationCredential(\(credential.id))")
        }
    }

    @Test func aContextWithoutTokenIsRefusedUnlessAdmin() async throws {
        try await withPort { s async throws in
            let anonymous = RequestContext(userId: Self.userID, projectId: Self.project)
            let error = await #expect(throws: MagnumError.self) { try await s.port.volumeTypes(context: anonymous) }
            #expect(error?.className == "AuthorizationFailure")
            // Magnum passes message=, which replaces the class's template (str(e) is the message).
            #expect(error?.message == "reason Keystone API connection failed: no password or token found.")
            // Magnum's admin context uses the [keystone_auth] service user.
            let admin = RequestContext(isAdmin: true)
            #expect(try await s.port.volumeTypes(context: admin) == ["__DEFAULT__", "Fast HDD"])
        }
    }

    @Test func imagesByIdOrNameWithMagnumsErrors() async throws {
        try await withPort { s async throws in
            let byName = try await s.port.image("ubuntu-2204-kube-v1.31.4", context: s.context)
            #expect(byName.id == Self.imageID)
            #expect(byName.attributes["kube_version"] == "v1.31.4")
            #expect(byName.attributes["os_distro"] == "ubuntu")
            #expect(try await s.port.image(Self.imageID, context: s.context).id == Self.imageID)
            let missing = await #expect(throws: MagnumError.self) { try await s.port.image("no-such-image", context: s.context) }
            #expect(missing?.className == "ImageNotFound")
            #expect(missing?.message == "Image no-such-image could not be found.")
            let twice = await #expect(throws: MagnumError.self) { try await s.port.image("twice", context: s.context) }
            #expect(twice?.className == "Conflict")
            #expect(twice?.message == "Multiple images exist with same name twice. Please use the resource id instead.")
        }
    }

    @Test func flavorsAndVolumeTypes() async throws {
        try await withPort { s async throws in
            let flavors = try await s.port.flavors(minimumRAM: 2048, context: s.context)
            #expect(flavors.map(\.name) == ["m1.small", "m1.large"])
            #expect(flavors.first?.vcpus == 1)
            #expect(try await s.port.volumeTypes(context: s.context) == ["__DEFAULT__", "Fast HDD"])
            #expect(s.bed.cloud.requests.contains { $0.hasSuffix("/compute/v2.1/flavors/detail?minRam=2048") })
        }
    }

    @Test func networksAndSubnetsWithMagnumsMessages() async throws {
        try await withPort { s async throws in
            #expect(try await s.port.networkID(name: "tenant-net", external: false, context: s.context) == "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f")
            #expect(try await s.port.externalNetworkID("public", context: s.context) == Self.publicID)
            let before = s.bed.cloud.requests.count
            #expect(try await s.port.externalNetworkID(Self.publicID, context: s.context) == Self.publicID)
            #expect(s.bed.cloud.requests.count == before)
            let fixed = await #expect(throws: MagnumError.self) { try await s.port.networkID(name: "public", external: false, context: s.context) }
            #expect(fixed?.message == "Unable to find fixed network public.")
            let external = await #expect(throws: MagnumError.self) { try await s.port.externalNetworkID("tenant-net", context: s.context) }
            #expect(external?.className == "ExternalNetworkNotFound")
            #expect(external?.message == "Unable to find external network tenant-net.")
            let dup = await #expect(throws: MagnumError.self) { try await s.port.networkID(name: "dup", external: false, context: s.context) }
            #expect(dup?.message == "Multiple networks exist with same name 'dup'. Please use the network ID instead.")
            #expect(try await s.port.fixedSubnetID("tenant-subnet", context: s.context) == "9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f")
            #expect(try await s.port.fixedSubnetID(nil, context: s.context) == nil)
            let subnet = await #expect(throws: MagnumError.self) { try await s.port.fixedSubnetID("nope", context: s.context) }
            #expect(subnet?.message == "Unable to find fixed subnet nope.")
        }
    }

    @Test func deletingCredentialsUsesTheAdminAndRefusesOthers() async throws {
        try await withPort { s async throws in
            let mine = try await s.port.createApplicationCredential(cluster: cluster(), context: s.context)
            s.bed.cloud.addApplicationCredential(userID: Self.userID, id: "someone-elses", name: "backup-tool", secret: "x")
            let notManaged = await #expect(throws: ApplicationCredentialError.self) {
                try await s.port.deleteApplicationCredential(id: "someone-elses", cluster: cluster())
            }
            #expect(notManaged?.message == "someone-elses is not managed by Magnum.")
            let missing = await #expect(throws: ApplicationCredentialError.self) {
                try await s.port.deleteApplicationCredential(id: "0000", cluster: cluster())
            }
            #expect(missing?.message == "0000 does not exist.")
            let otherCluster = await #expect(throws: ApplicationCredentialError.self) {
                try await s.port.deleteApplicationCredential(id: mine.id, cluster: cluster("11111111-51d5-4b57-9a44-7e7f1c1a9b02"))
            }
            #expect(otherCluster?.message == "\(mine.id) is not managed by Magnum.")
            try await s.port.deleteApplicationCredential(id: mine.id, cluster: cluster())
            #expect(s.bed.cloud.applicationCredentials[mine.id] == nil)
            #expect(s.bed.cloud.applicationCredentials["someone-elses"] != nil)
        }
    }

    @Test func cloudEndpointIsTheValidatedCinderRegionAndPublicKeystone() async throws {
        try await withPort { s async throws in
            let endpoint = try await s.port.cloudEndpoint(context: s.context)
            #expect(endpoint == CloudEndpoint(regionName: "RegionOne", authURL: s.bed.cloud.authURL))
            #expect(try await s.port.openStackCACertificate() == String(contentsOfFile: s.bed.caBundlePath, encoding: .utf8))
        }
        try await withPort(conf: ["cinder_client": ["region_name": "Atlantis"]]) { s async throws in
            let error = await #expect(throws: MagnumError.self) { try await s.port.cloudEndpoint(context: s.context) }
            #expect(error?.className == "InvalidParameterValue")
            #expect(error?.message == "region_name Atlantis is invalid, expecting a region_name in RegionOne/RegionTwo/unspecified.")
        }
    }

    @Test func servicesUseTheConfiguredEndpointTypeAndRegion() async throws {
        try await withPort(conf: ["nova_client": ["endpoint_type": "internalURL", "region_name": "RegionTwo"]]) { s async throws in
            _ = try await s.port.flavors(minimumRAM: 1, context: s.context)
            #expect(s.bed.cloud.requests.contains { $0.hasPrefix("GET /RegionTwo/internal/compute/v2.1/flavors/detail") })
        }
    }

    @Test func settingsFollowMagnumsOptions() throws {
        let conf = try RuntimeConfiguration.parse("""
            [keystone_authtoken]
            www_authenticate_uri = https://keystone.example:5000
            [keystone_auth]
            username = magnum
            password = s3cret
            user_domain_id = default
            project_domain_id = default
            project_name = service
            insecure = true
            [cinder_client]
            region_name = RegionOne
            endpoint_type = internalURL
            """)
        let settings = try OpenStackSettings(configuration: conf)
        #expect(settings.authURL == "https://keystone.example:5000/v3")
        #expect(settings.verifyTLS == false)
        #expect(settings.cinderRegion == "RegionOne")
        #expect(settings.interfaceOverrides["block-storage"] == .internal)
        #expect(settings.interfaceOverrides["compute"] == .public)
        guard case .password(let user, _, let userDomain, let project)? = settings.adminCredentials else {
            Issue.record("no admin credentials")
            return
        }
        #expect(user == "magnum")
        #expect(userDomain == .id("default"))
        #expect("\(project)" == "project service (domain id default)")
        #expect(!"\(settings.adminCredentials.map { "\($0)" } ?? "")".contains("s3cret"))
    }
}
