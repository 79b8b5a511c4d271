import Foundation
import JSON
import OsloConfig
import Testing
import TestSupport

@Suite struct ConfigurationTests {
    static let registry = OptionRegistry([
        OptionSpec("DEFAULT", "transport_url", .string, secret: true, help: "broker"),
        OptionSpec("DEFAULT", "host", .string, default: "node-1", help: "host"),
        OptionSpec("DEFAULT", "control_exchange", .string, default: "openstack", help: "exchange"),
        OptionSpec("DEFAULT", "state_path", .string, default: "/var/lib/magnum", help: "state"),
        OptionSpec("conductor", "topic", .string, default: "magnum-conductor", help: "topic"),
        OptionSpec("conductor", "workers", .integer(min: 1, max: nil), help: "workers"),
        OptionSpec("oslo_messaging_rabbit", "heartbeat_timeout_threshold", .integer, default: "60", help: "hb"),
        OptionSpec("oslo_messaging_rabbit", "rabbit_quorum_queue", .boolean, default: "false", help: "quorum"),
        OptionSpec("oslo_messaging_rabbit", "ssl", .boolean, default: "false", help: "ssl"),
        OptionSpec("oslo_messaging_notifications", "topics", .list, default: "notifications", help: "topics"),
        OptionSpec("oslo_messaging_notifications", "driver", .multiString, help: "drivers"),
        OptionSpec("database", "connection", .string, secret: true,
                   deprecatedNames: [OptionName("DEFAULT", "sql_connection")], help: "db"),
        OptionSpec("capi_helm", "kubeconfig_file", .string, default: "$state_path/kubeconfig", help: "kubeconfig"),
        OptionSpec("capi_helm", "minimum_flavor_ram", .integer, default: "2048", help: "ram"),
        OptionSpec("capi_helm", "app_cred_interface_type", .string(choices: ["public", "internal"]), default: "public", help: "iface"),
        OptionSpec("capi_helm_cluster_labels", "extra", .dict, help: "labels"),
        OptionSpec("api", "port", .port, default: "9511", help: "port"),
    ], ignoringGroups: ["keystone_authtoken"])

    static let main = """
        [DEFAULT]
        transport_url = rabbit://magnum:s3cret@10.0.0.1:5672,magnum:s3cret@10.0.0.2:5672/magnum
        control_exchange = magnum
        state_path = /srv/magnum
        sql_connection = sqlite:////old.db

        [conductor]
        workers = 4

        [Oslo_Messaging_Rabbit]
        rabbit_quorum_queue = yes
        heartbeat_timeout_threshold: 30
        ssl = "on"

        [oslo_messaging_notifications]
        driver = messagingv2
        driver = log
        topics = notifications, [audit] ,  magnum

        [capi_helm]
        minimum_flavor_ram = 4096
        app_cred_interface_type = internal

        [capi_helm_cluster_labels]
        extra = a:1, b : two

        [keystone_authtoken]
        password = hunter2

        [mystery]
        whatever = 1
        """

    static let override = """
        # a later file wins
        [conductor]
        workers = 8
        [database]
        connection = mysql+pymysql://magnum:dbpass@db:3306/magnum?charset=utf8
        [oslo_messaging_notifications]
        driver = noop
        [capi_helm]
        kubeconfig_file = $state_path/k/$host-${conductor.topic}.conf
        """

    func withFiles<T>(_ body: ([String], String) async throws -> T) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
        let confd = dir.appendingPathComponent("magnum.conf.d")
        try FileManager.default.createDirectory(at: confd, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let main = dir.appendingPathComponent("magnum.conf")
        try Self.main.write(to: main, atomically: true, encoding: .utf8)
        try Self.override.write(to: confd.appendingPathComponent("10-override.conf"), atomically: true, encoding: .utf8)
        try "[conductor]\nworkers = 2\n".write(to: confd.appendingPathComponent("05-first.conf"), atomically: true, encoding: .utf8)
        try "ignored".write(to: confd.appendingPathComponent("README"), atomically: true, encoding: .utf8)
        return try await body([main.path], confd.path)
    }

    @Test func readsLikeOsloConfig() async throws {
        try await withFiles { files, dir in
            let c = try Configuration(registry: Self.registry, configFiles: files, configDirs: [dir])
            #expect(try c.string("DEFAULT", "control_exchange") == "magnum")
            #expect(try c.int("conductor", "workers") == 8)
            #expect(try c.bool("oslo_messaging_rabbit", "rabbit_quorum_queue") == true)
            #expect(try c.int("oslo_messaging_rabbit", "heartbeat_timeout_threshold") == 30)
            #expect(try c.bool("oslo_messaging_rabbit", "ssl") == true)
            #expect(try c.list("oslo_messaging_notifications", "topics") == ["notifications", "[audit]", "magnum"])
            #expect(try c.multi("oslo_messaging_notifications", "driver") == ["messagingv2", "log", "noop"])
            #expect(try c.string("database", "connection")?.hasPrefix("mysql+pymysql://") == true)
            #expect(try c.string("capi_helm", "kubeconfig_file") == "/srv/magnum/k/node-1-magnum-conductor.conf")
            #expect(try c.int("capi_helm", "minimum_flavor_ram") == 4096)
            #expect(try c.dict("capi_helm_cluster_labels", "extra")?.map { "\($0.key)=\($0.value)" } == ["a=1", "b=two"])
            #expect(try c.int("api", "port") == 9511)
        }
    }

    @Test(.enabled(if: TestEnvironment.pythonEnabled))
    func agreesWithRealOsloConfig() async throws {
        try await withFiles { files, dir in
            let c = try Configuration(registry: Self.registry, configFiles: files, configDirs: [dir])
            var options: [JSONValue] = []
            for name in Self.registry.order {
                guard let spec = Self.registry.spec(name) else { continue }
                let type: String
                switch spec.type {
                case .string: type = "string"
                case .integer: type = "integer"
                case .float: type = "float"
                case .boolean: type = "boolean"
                case .list: type = "list"
                case .dict: type = "dict"
                case .multiString: type = "multiString"
                case .port: type = "port"
                case .uri: type = "uri"
                }
                options.append(["group": .string(name.group), "name": .string(name.name), "type": .string(type),
                                "default": JSONValue(spec.defaultText),
                                "deprecated": .array(spec.deprecatedNames.map { [.string($0.group), .string($0.name)] })])
            }
            let request: JSONValue = ["options": .array(options), "files": .array(files.map { .string($0) }),
                                      "dirs": [.string(dir)]]
            let reply = try JSONValue(parsing: await TestEnvironment.runPythonPeer("oslo_config_values.py", input: Data(request.serialized())))
            let values = try #require(reply["values"]?.objectValue)
            for name in Self.registry.order {
                let python = values["\(name.group).\(name.name)"] ?? .null
                let spec = try #require(Self.registry.spec(name))
                let mine: JSONValue
                switch spec.type {
                case .string, .uri: mine = JSONValue(try c.string(name.group, name.name))
                case .integer, .port: mine = try c.int(name.group, name.name).map { JSONValue($0) } ?? .null
                case .float: mine = try c.double(name.group, name.name).map { .double($0) } ?? .null
                case .boolean: mine = try c.bool(name.group, name.name).map { .bool($0) } ?? .null
                case .list: mine = try c.list(name.group, name.name).map { .array($0.map { .string($0) }) } ?? .null
                case .dict:
                    mine = try c.dict(name.group, name.name).map { pairs in
                        var o = JSONObject()
                        for p in pairs { o[p.key] = .string(p.value) }
                        return .object(o)
                    } ?? .null
                case .multiString: mine = .array(try c.multi(name.group, name.name).map { .string($0) })
                }
                #expect(mine == python, "\(name)")
            }
        }
    }

    @Test func badValuesNameFileLineAndForm() async throws {
        let text = "[conductor]\nworkers = 0\n[capi_helm]\napp_cred_interface_type = admin\n[oslo_messaging_rabbit]\nssl = maybe\n"
        let file = try ConfigFile(path: "/etc/magnum/magnum.conf", contents: text)
        let c = Configuration(registry: Self.registry, files: [file])
        let (errors, _) = c.validate()
        let texts = errors.map(\.description)
        #expect(texts.contains("/etc/magnum/magnum.conf:2: [conductor] workers: invalid value '0', expected an integer ≥ 1"))
        #expect(texts.contains("/etc/magnum/magnum.conf:4: [capi_helm] app_cred_interface_type: invalid value 'admin', expected one of: public, internal"))
        #expect(texts.contains { $0.hasPrefix("/etc/magnum/magnum.conf:6: [oslo_messaging_rabbit] ssl: invalid value 'maybe'") })
    }

    @Test func warnsAboutUnknownAndDeprecatedOptions() async throws {
        try await withFiles { files, _ in
            let c = try Configuration(registry: Self.registry, configFiles: files)
            let (errors, warnings) = c.validate()
            #expect(errors.isEmpty, "\(errors)")
            let texts = warnings.map(\.message)
            #expect(texts.contains("unknown option [mystery] whatever is ignored"))
            #expect(texts.contains("[DEFAULT] sql_connection is deprecated, use [database] connection instead"))
            #expect(!texts.contains { $0.contains("keystone_authtoken") }, "ignored groups are not warned about")
        }
    }

    @Test func secretsAreMaskedInEffectiveValues() async throws {
        try await withFiles { files, dir in
            let c = try Configuration(registry: Self.registry, configFiles: files, configDirs: [dir])
            let shown = c.effectiveValues().map { "\($0.name)=\($0.value)" }.joined(separator: "\n")
            #expect(!shown.contains("s3cret") && !shown.contains("dbpass"))
            #expect(shown.contains("[DEFAULT] transport_url=rabbit://magnum:****@10.0.0.1:5672,magnum:****@10.0.0.2:5672/magnum"))
            #expect(shown.contains("[database] connection=mysql+pymysql://magnum:****@db:3306/magnum?charset=utf8"))
        }
    }

    @Test(arguments: [
        ("[DEFAULT]\nkey\n", "No ':' or '=' found in assignment"),
        ("[DEFAULT\nkey = v\n", "Invalid section (must end with ])"),
        ("[]\n", "Empty section name"),
        ("  orphan = 1\n", "Unexpected continuation line"),
        ("[DEFAULT]\n= v\n", "Key cannot be empty"),
        ("key = v\n", "Section must be started before assignment"),
    ])
    func syntaxErrors(_ text: String, _ reason: String) {
        #expect { try ConfigFile(path: "x.conf", contents: text) } throws: { ($0 as? ConfigParseError)?.reason == reason }
    }

    @Test func continuationLinesAndQuotes() async throws {
        let file = try ConfigFile(path: "x.conf", contents: "[a]\nk = first\n  second\n\tthird\nq = 'quoted'\nr: \"x\"\n")
        #expect(file.sections["a"]?.map(\.value) == ["first\nsecond\nthird", "quoted", "x"])
    }
}
