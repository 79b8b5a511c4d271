import Foundation
import JSON
import MagnumObjects
import OsloMessaging
import Testing
import TestSupport
import Worker

/// One scenario run through both conductors.
struct ParityCase: Sendable, CustomTestStringConvertible {
    let name: String
    let messages: @Sendable () throws -> [ConductorMessage]
    /// The fake drivers' script (the same JSON for Swift and Python).
    var script: JSONValue = [:]
    /// Entry-point names the fake driver is registered under.
    var drivers: [String] = ["k8s_capi_helm_v1"]
    /// Run on MariaDB too (the SQLite run covers every case).
    var mariadb = false
    /// Per message: whether it fails (checked on both sides).
    var fails: [Bool]
    /// Columns left out of the row comparison, per table, for a documented difference.
    var ignoreColumns: [String: Set<String>] = [:]
    /// Checks on the Swift side where it differs from Magnum on purpose.
    var swiftChecks: (@Sendable (_ rows: JSONValue) -> [String])?

    var testDescription: String { name }
}

/// Every cluster, nodegroup and certificate message of the recordings (and variants of them
/// reaching the other branches of each handler) through our endpoints and through Magnum 23's
/// own conductor handlers (`tools/peers/magnum_conductor.py`: oslo.messaging's RPC dispatcher,
/// Magnum's serializer, the same fake driver script), each over its own copy of one seeded
/// database. After every message the replies, the notifications, the driver calls and every row
/// of every table must match, timestamps and generated ids aside.
///
/// The cases run one at a time: the Python side answers one request at a time anyway, and the
/// comparisons are CPU work that would otherwise crowd Swift's two cooperative threads on CI.
@Suite("Conductor answers like Magnum's conductor handlers", .serialized, .enabled(if: TestEnvironment.pythonEnabled))
struct ConductorParityTests {
    static func recorded(_ file: String, _ index: Int = 0) -> @Sendable () throws -> [ConductorMessage] {
        { [try ConductorMessage.recorded(file, index)] }
    }

    static let failCreate: JSONValue = ["create_cluster": ["raise": ["class": "InvalidParameterValue",
                                                                      "kwargs": ["err": "flavor m1.tiny has too little disk for boot_volume_size 50"]]]]
    static let seededRefs: [(String, JSONValue)] = [
        ("ca_cert_ref", .string(Seed.keyPairUUIDs[0])), ("etcd_ca_cert_ref", .string(Seed.keyPairUUIDs[1])),
        ("front_proxy_ca_cert_ref", .string(Seed.keyPairUUIDs[2])), ("magnum_cert_ref", .string(Seed.keyPairUUIDs[3])),
    ]

    static func withRefs(_ m: ConductorMessage) -> ConductorMessage {
        var m = m
        for (field, ref) in seededRefs { m = m.setting("cluster", field, ref) }
        return m
    }

    static func csr() throws -> String {
        try String(contentsOf: TestEnvironment.fixturesDirectory.appendingPathComponent("conductor/node.csr"), encoding: .utf8)
    }

    static let cases: [ParityCase] = [
        // MARK: cluster_create
        ParityCase(name: "cluster_create, defaults", messages: recorded("cluster_create_defaults.jsonl"),
                   script: ["create_cluster": ["cluster": ["stack_id": "dev-small-abc123"]]], mariadb: true, fails: [false]),
        ParityCase(name: "cluster_create, autoscaling labels (min_node_count)", messages: recorded("cluster_create_autoscaling.jsonl"),
                   fails: [false]),
        ParityCase(name: "cluster_create, network options", messages: recorded("cluster_create_network_options.jsonl"), fails: [false]),
        ParityCase(name: "cluster_create, the driver fails (recorded call)", messages: recorded("cluster_create_call_failure.jsonl"),
                   script: failCreate, mariadb: true, fails: [true]),
        ParityCase(name: "cluster_create, no driver for the template", messages: recorded("cluster_create_defaults.jsonl"),
                   drivers: ["k8s_other_v1"], fails: [true]),
        ParityCase(name: "cluster_create, a template that does not exist",
                   messages: { [try ConductorMessage.recorded("cluster_create_defaults.jsonl")
                       .setting("cluster", "cluster_template_id", "00000000-0000-4000-8000-00000000beef")] }, fails: [true]),
        ParityCase(name: "cluster_create, node_count not a number",
                   messages: { [try ConductorMessage.recorded("cluster_create_defaults.jsonl").arg("node_count", "many")] }, fails: [true]),

        // MARK: cluster_update
        ParityCase(name: "cluster_update, recorded (cluster still UPDATE_IN_PROGRESS)", messages: recorded("cluster_update_node_count.jsonl"),
                   mariadb: true, fails: [true]),
        ParityCase(name: "cluster_update, node count", messages: { [try ConductorMessage.recorded("cluster_update_node_count.jsonl")
            .setting("cluster", "status", "CREATE_COMPLETE")] }, mariadb: true, fails: [false]),
        ParityCase(name: "cluster_update, the driver fails", messages: { [try ConductorMessage.recorded("cluster_update_node_count.jsonl")
            .setting("cluster", "status", "UPDATE_COMPLETE")] },
                   script: ["update_cluster": ["raise": ["class": "MagnumException", "message": "helm upgrade failed: timeout"]]],
                   fails: [true]),
        ParityCase(name: "cluster_update, health only", messages: { [try ConductorMessage.recorded("cluster_update_node_count.jsonl")
            .setting("cluster", "status", "CREATE_COMPLETE").arg("node_count", 2).arg("health_status", "UNHEALTHY")
            .arg("health_status_reason", ["api": "down"])] }, fails: [false]),
        ParityCase(name: "cluster_update, nothing to change", messages: { [try ConductorMessage.recorded("cluster_update_node_count.jsonl")
            .setting("cluster", "status", "CREATE_COMPLETE").arg("node_count", 2)] }, fails: [false]),

        // MARK: cluster_resize
        ParityCase(name: "cluster_resize, recorded", messages: recorded("cluster_resize_nodes_to_remove.jsonl"),
                   script: ["resize_cluster": ["nodegroups": ["default-master": ["status": "UPDATE_IN_PROGRESS"]]]], mariadb: true,
                   fails: [false]),
        ParityCase(name: "cluster_resize, the driver fails", messages: recorded("cluster_resize_nodes_to_remove.jsonl"),
                   script: ["resize_cluster": ["raise": ["class": "NGResizeOutBounds",
                                                         "kwargs": ["nodegroup": "default-worker", "min_nc": 1, "max_nc": 5]]]],
                   mariadb: true, fails: [true]),
        ParityCase(name: "cluster_resize, wrong status", messages: { [try ConductorMessage.recorded("cluster_resize_nodes_to_remove.jsonl")
            .setting("cluster", "status", "DELETE_IN_PROGRESS")] }, fails: [true]),

        // MARK: cluster_upgrade
        ParityCase(name: "cluster_upgrade, recorded (returns the cluster)", messages: recorded("cluster_upgrade.jsonl"),
                   script: ["upgrade_cluster": ["nodegroups": ["default-worker": ["status": "UPDATE_IN_PROGRESS"],
                                                               "gpu-pool": ["status": "UPDATE_IN_PROGRESS"]],
                                                "cluster": ["coe_version": "v1.32.1"]]],
                   mariadb: true, fails: [false]),
        ParityCase(name: "cluster_upgrade, the driver does not support it", messages: recorded("cluster_upgrade.jsonl"),
                   script: ["upgrade_cluster": ["raise": ["class": "NotSupported", "kwargs": ["operation": "Upgrading to v1.32.1"]]]],
                   fails: [true]),
        ParityCase(name: "cluster_upgrade, the driver fails", messages: recorded("cluster_upgrade.jsonl"),
                   script: ["upgrade_cluster": ["raise": ["class": "InvalidVersion", "kwargs": ["tag": "v1.32.1"]]]], fails: [true]),
        ParityCase(name: "cluster_upgrade, wrong status", messages: { [try ConductorMessage.recorded("cluster_upgrade.jsonl")
            .setting("cluster", "status", "UPDATE_FAILED")] }, fails: [true]),

        // MARK: cluster_delete
        ParityCase(name: "cluster_delete, recorded", messages: recorded("cluster_delete.jsonl"),
                   script: ["delete_cluster": ["nodegroups": ["default-master": ["status": "DELETE_IN_PROGRESS"],
                                                              "default-worker": ["status": "DELETE_IN_PROGRESS"],
                                                              "gpu-pool": ["status": "DELETE_IN_PROGRESS"]]]],
                   mariadb: true, fails: [false]),
        ParityCase(name: "cluster_delete, the driver fails", messages: recorded("cluster_delete.jsonl"),
                   script: ["delete_cluster": ["raise": ["class": "PreDeletionFailed", "kwargs": ["cluster_uuid": .string(Seed.cluster),
                                                                                                  "msg": "load balancers remain"]]]],
                   fails: [true]),
        ParityCase(name: "cluster_delete, another project's cluster",
                   messages: { [try ConductorMessage.recorded("cluster_delete.jsonl").arg("uuid", .string(Seed.otherCluster))] },
                   fails: [true]),

        // MARK: nodegroups
        ParityCase(name: "nodegroup_create, recorded (status set to None)", messages: recorded("nodegroup_create_labels_taints.jsonl"),
                   fails: [true]),
        ParityCase(name: "nodegroup_create", messages: { [try ConductorMessage.recorded("nodegroup_create_labels_taints.jsonl")
            .setting("nodegroup", "status", nil)] },
                   script: ["create_nodegroup": ["nodegroup": ["stack_id": "prod-east-a1b2c3d4"]]], mariadb: true, fails: [false]),
        ParityCase(name: "nodegroup_create, the driver fails", messages: { [try ConductorMessage.recorded("nodegroup_create_labels_taints.jsonl")
            .setting("nodegroup", "status", nil)] },
                   script: ["create_nodegroup": ["raise": ["class": "NodeGroupInvalidInput",
                                                           "kwargs": ["attr": "max_node_count", "nodegroup": "batch", "expl": "too many"]]]],
                   fails: [true]),
        ParityCase(name: "nodegroup_update then nodegroup_delete, recorded",
                   messages: { [try ConductorMessage.recorded("nodegroup_update_and_delete.jsonl", 0),
                                try ConductorMessage.recorded("nodegroup_update_and_delete.jsonl", 1)] },
                   script: ["delete_nodegroup": ["save_nodegroup": true]], mariadb: true, fails: [false, false]),
        ParityCase(name: "nodegroup_update and nodegroup_delete, the driver fails",
                   messages: { [try ConductorMessage.recorded("nodegroup_update_and_delete.jsonl", 0),
                                try ConductorMessage.recorded("nodegroup_update_and_delete.jsonl", 1)] },
                   script: ["update_nodegroup": ["raise": ["class": "MagnumException", "message": "no quota for m1.medium"]],
                            "delete_nodegroup": ["raise": ["class": "MagnumException", "message": "release locked"]]],
                   fails: [true, true]),
        ParityCase(name: "nodegroup_update, nodegroup in DELETE_IN_PROGRESS",
                   messages: { [try ConductorMessage.recorded("nodegroup_update_and_delete.jsonl", 0)
                       .setting("nodegroup", "status", "DELETE_IN_PROGRESS")] }, fails: [true]),

        // MARK: credentials
        ParityCase(name: "credential_rotate, recorded (the driver cannot)", messages: recorded("credential_rotate.jsonl"),
                   mariadb: true, fails: [true]),
        ParityCase(name: "credential_rotate", messages: recorded("credential_rotate.jsonl"),
                   script: ["rotate_credential": ["cluster": ["status_reason": "credential rotated"]]], fails: [false]),
        ParityCase(name: "credential_rotate, wrong status", messages: { [try ConductorMessage.recorded("credential_rotate.jsonl")
            .setting("cluster", "status", "CREATE_IN_PROGRESS")] }, fails: [true]),

        // MARK: certificates
        ParityCase(name: "certificates, recorded (the message's cluster has no refs)",
                   messages: { try (0..<3).map { try ConductorMessage.recorded("certificates.jsonl", $0) } },
                   mariadb: true, fails: [true, true, true]),
        ParityCase(name: "certificates with the cluster's refs",
                   messages: {
                       let csr = try Self.csr()
                       return [withRefs(try ConductorMessage.recorded("certificates.jsonl", 0)),
                               withRefs(try ConductorMessage.recorded("certificates.jsonl", 0)).setting("certificate", "csr", .string(csr)),
                               withRefs(try ConductorMessage.recorded("certificates.jsonl", 0)).setting("certificate", "csr", .string(csr))
                                   .setting("certificate", "ca_cert_type", "etcd"),
                               withRefs(try ConductorMessage.recorded("certificates.jsonl", 1)),
                               withRefs(try ConductorMessage.recorded("certificates.jsonl", 2)),
                               withRefs(try ConductorMessage.recorded("certificates.jsonl", 2)).arg("ca_cert_type", "front_proxy")]
                   },
                   mariadb: true, fails: [true, false, false, false, false, false]),
        ParityCase(name: "rotate_ca_certificate, recorded (cluster UPDATE_IN_PROGRESS)", messages: recorded("rotate_ca_not_supported.jsonl"),
                   fails: [true]),
        ParityCase(name: "rotate_ca_certificate, the driver refuses (Magnum's base driver)",
                   messages: { [withRefs(try ConductorMessage.recorded("rotate_ca_not_supported.jsonl")).setting("cluster", "status", "CREATE_COMPLETE")] },
                   mariadb: true, fails: [true],
                   // Magnum saves the new refs and keeps the new key pairs although the cluster still
                   // runs with the old CAs; we keep the old ones (docs/certificates.md).
                   ignoreColumns: ["cluster": ["ca_cert_ref", "etcd_ca_cert_ref", "front_proxy_ca_cert_ref", "magnum_cert_ref"],
                                   "x509keypair": ["*"]],
                   swiftChecks: { rows in
                       var problems: [String] = []
                       let cluster = rows["cluster"]?[0]
                       for (i, (field, _)) in seededRefs.enumerated() where cluster?[field]?.stringValue != Seed.keyPairUUIDs[i] {
                           problems.append("\(field) should still be the seeded key pair")
                       }
                       if rows["x509keypair"]?.arrayValue?.count != 4 { problems.append("the new key pairs should be gone") }
                       return problems
                   }),
        ParityCase(name: "rotate_ca_certificate, the driver rotates",
                   messages: { [withRefs(try ConductorMessage.recorded("rotate_ca_not_supported.jsonl")).setting("cluster", "status", "CREATE_COMPLETE")] },
                   script: ["rotate_ca_certificate": ["nodegroups": ["default-master": ["status": "UPDATE_IN_PROGRESS"]]]], fails: [false]),

        // MARK: the rest of the topic
        ParityCase(name: "ping_conductor, federations, unknown methods, bad arguments",
                   messages: {
                       let ctx = try ConductorMessage.recorded("credential_rotate.jsonl").context
                       let federation: JSONValue = [PrimitiveKey.name: "Federation", PrimitiveKey.namespace: "magnum",
                                                    PrimitiveKey.version: "1.0",
                                                    PrimitiveKey.data: ["uuid": "f0000000-0000-4000-8000-000000000001", "name": "fed"]]
                       let cluster = try ConductorMessage.recorded("credential_rotate.jsonl").args["cluster"] ?? .null
                       var newer = cluster
                       newer[PrimitiveKey.version] = "1.99"
                       var badField = cluster
                       badField[PrimitiveKey.data]?["create_timeout"] = "soon"
                       return [
                           ConductorMessage(method: "ping_conductor", args: [:], context: ctx),
                           ConductorMessage(method: "federation_create", args: ["federation": federation, "create_timeout": 60], context: ctx),
                           ConductorMessage(method: "federation_update", args: ["federation": federation], context: ctx),
                           ConductorMessage(method: "federation_delete", args: ["uuid": "f0000000-0000-4000-8000-000000000001"], context: ctx),
                           try ConductorMessage.recorded("ping.jsonl"),
                           ConductorMessage(method: "cluster_explode", args: [:], context: ctx),
                           ConductorMessage(method: "cluster_delete", args: [:], context: ctx),
                           ConductorMessage(method: "cluster_delete", args: ["uuid": .string(Seed.cluster), "force": true], context: ctx),
                           ConductorMessage(method: "credential_rotate", args: ["cluster": newer], context: ctx),
                           ConductorMessage(method: "credential_rotate", args: ["cluster": badField], context: ctx),
                           ConductorMessage(method: "ping_conductor", args: [:], context: ctx, version: "2.0"),
                           ConductorMessage(method: "ping_conductor", args: [:], context: ctx, namespace: "baremetal"),
                       ]
                   },
                   fails: [false, true, true, true, true, true, true, true, true, true, true, true]),
    ]

    @Test("SQLite", arguments: cases)
    func sqlite(_ c: ParityCase) async throws {
        try await Self.run(c, .sqlite)
    }

    @Test("MariaDB", .enabled(if: TestEnvironment.mariadbEnabled), arguments: cases.filter(\.mariadb))
    func mariadb(_ c: ParityCase) async throws {
        try await Self.run(c, .mariadb)
    }

    /// A signed certificate differs every time (serial number, validity): only its presence counts.
    static func hidePEM(_ answer: JSONValue) -> JSONValue {
        var answer = answer
        if let pem = answer["result"]?[PrimitiveKey.data]?["pem"], !pem.isNull {
            answer["result"]?[PrimitiveKey.data]?["pem"] = "<pem>"
        }
        return answer
    }

    static func run(_ c: ParityCase, _ backend: Backend) async throws {
        try await MagnumDatabase.with(backend, count: 2) { dbs in
            let (swiftDB, pythonDB) = (dbs[0], dbs[1])
            try await Seed.apply(to: swiftDB.store)
            try await Seed.apply(to: pythonDB.store)
            let messages = try c.messages()
            #expect(messages.count == c.fails.count, "the case lists \(c.fails.count) outcomes for \(messages.count) messages")

            // Magnum's handlers, all messages in one request (one forked process).
            let python = try await askConductorPeer([
                "op": "conductor", "connection": .string(pythonDB.url), "host": .string(ConductorHarness.host),
                "rsa_key_size": .int(Int64(ConductorHarness.rsaKeySize)), "drivers": .array(c.drivers.map { ["name": .string($0)] }), "script": c.script,
                "messages": .array(messages.map(\.json)),
            ])
            guard let pythonAnswers = python.arrayValue, pythonAnswers.count == messages.count else {
                Issue.record("the Python conductor answered \(python.jsonString().prefix(2000))")
                return
            }

            let harness = await ConductorHarness(store: swiftDB.store, script: try DriverScript(json: c.script), drivers: c.drivers)
            var seenNotifications = 0, seenCalls = 0
            for (i, message) in messages.enumerated() {
                let label = "\(c.name), message \(i) (\(message.method))"
                let answer = await harness.handle(message)
                let swiftRows = try await askConductorPeer(["op": "rows", "connection": .string(swiftDB.url)])
                let py = pythonAnswers[i]
                let pythonRows = py["rows"] ?? .null

                // Generated ids mean the same thing on both sides.
                let swiftMap = Parity.placeholders(swiftRows)
                let pythonMap = Parity.placeholders(pythonRows)

                // The reply.
                #expect((answer["failure"] != nil) == c.fails[i], "\(label): \(JSONValue.object(answer).jsonString().prefix(1500))")
                #expect((py["failure"] != nil) == c.fails[i], "\(label), Python: \(py["failure"]?.jsonString() ?? py["result"]?.jsonString() ?? "")")
                var expected: JSONValue = py["failure"].map { ["failure": $0] } ?? ["result": py["result"] ?? .null]
                var actual = JSONValue.object(answer)
                if message.method == "sign_certificate" {
                    // A new certificate each time (serial number, validity): compare that there is one.
                    expected = Self.hidePEM(expected)
                    actual = Self.hidePEM(actual)
                }
                let replyDiff = Parity.differences(Parity.normalise(expected, pythonMap), Parity.normalise(actual, swiftMap))
                #expect(replyDiff.isEmpty, "\(label) reply:\n  \(replyDiff.joined(separator: "\n  "))")

                // Notifications (ours without the worker's own status_update events).
                let all = try await harness.notifications()
                let ours = all[seenNotifications...].filter { $0.eventType != ClusterStatusUpdate.eventType }
                seenNotifications = all.count
                let theirs = py["notifications"]?.arrayValue ?? []
                let notificationDiff = Parity.differences(.array(theirs.map { Parity.pythonNotification($0, pythonMap) }),
                                                          .array(ours.map { Parity.notification($0, swiftMap) }))
                #expect(notificationDiff.isEmpty && theirs.count == ours.count,
                        "\(label) notifications (Python \(theirs.count), Swift \(ours.count)):\n  \(notificationDiff.joined(separator: "\n  "))")

                // What the driver was asked to do.
                let calls = harness.driver.calls
                let ourCalls = JSONValue.array(calls[seenCalls...].map { .object($0) })
                seenCalls = calls.count
                let callDiff = Parity.differences(Parity.normalise(py["driver_calls"] ?? [], pythonMap), Parity.normalise(ourCalls, swiftMap))
                #expect(callDiff.isEmpty, "\(label) driver calls:\n  \(callDiff.joined(separator: "\n  "))")

                // Every row of every table.
                var ignore = c.ignoreColumns
                var pythonTables = Parity.rows(pythonRows, pythonMap, ignore: ignore)
                var swiftTables = Parity.rows(swiftRows, swiftMap, ignore: ignore)
                for (table, columns) in ignore where columns.contains("*") {
                    pythonTables[table] = nil
                    swiftTables[table] = nil
                    ignore[table] = nil
                }
                let rowDiff = Parity.differences(.object(pythonTables), .object(swiftTables))
                #expect(rowDiff.isEmpty, "\(label) rows:\n  \(rowDiff.joined(separator: "\n  "))")
                if let checks = c.swiftChecks {
                    let problems = checks(swiftRows)
                    #expect(problems.isEmpty, "\(label): \(problems.joined(separator: "; "))")
                }
            }
        }
    }
}
