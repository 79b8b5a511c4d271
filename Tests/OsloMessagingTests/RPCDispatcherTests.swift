import JSON
import Logging
import OsloMessaging
import Testing

@Suite struct RPCDispatcherTests {
    let logger = Logger(label: "test")

    static func table(_ namespace: String?, _ version: String?, _ methods: [String], tag: String) -> RPCMethodTable {
        var t = RPCMethodTable(namespace: namespace, version: version)
        for m in methods { t.register(m) { inv in .object(["endpoint": .string(tag), "method": .string(inv.method)]) } }
        return t
    }

    func run(_ dispatcher: RPCDispatcher, _ method: String, namespace: String? = nil, version: String? = nil) async -> Result<JSONValue, RemoteFailure> {
        do {
            return .success(try await dispatcher.dispatch(RPCRequest(method: method, namespace: namespace, version: version), logger: logger))
        } catch {
            return .failure(RemoteFailure(error: error))
        }
    }

    @Test func selectsTheFirstCompatibleEndpointByNamespaceAndVersion() async throws {
        let d = RPCDispatcher(endpoints: [
            Self.table(nil, "1.1", ["a"], tag: "v1.1"),
            Self.table(nil, "1.5", ["a", "b"], tag: "v1.5"),
            Self.table(nil, "2.0", ["a"], tag: "v2"),
            Self.table("admin", "1.0", ["a"], tag: "admin"),
            Self.table("baremetal", "1.0", ["c"], tag: "legacy-ns"),
        ])
        #expect(try await run(d, "a").get()["endpoint"] == "v1.1")
        #expect(try await run(d, "a", version: "1.3").get()["endpoint"] == "v1.5")
        #expect(try await run(d, "b", version: "1.0").get()["endpoint"] == "v1.5")
        #expect(try await run(d, "a", version: "2.0").get()["endpoint"] == "v2")
        #expect(try await run(d, "a", namespace: "admin").get()["endpoint"] == "admin")
    }

    @Test func legacyNamespacesAreAccepted() async throws {
        let d = RPCDispatcher(endpoints: [RPCMethodTable(namespace: "new", legacyNamespaces: ["old"], methods: ["m": { _ in "ok" }])])
        #expect(try await run(d, "m", namespace: "old").get() == "ok")
        #expect(try await run(d, "m", namespace: "new").get() == "ok")
    }

    @Test func noSuchMethodWhenACompatibleEndpointLacksIt() async {
        let d = RPCDispatcher(endpoints: [Self.table(nil, "1.3", ["a"], tag: "x")])
        guard case .failure(let f) = await run(d, "nope") else { Issue.record("expected a failure"); return }
        #expect(f.className == "NoSuchMethod")
        #expect(f.moduleName == "oslo_messaging.rpc.dispatcher")
        #expect(f.message == "Endpoint does not support RPC method nope")
        #expect(f.args == ["Endpoint does not support RPC method nope"])
        #expect(f.kwargs.isEmpty)
    }

    @Test func unsupportedVersionWhenNoEndpointServesIt() async {
        let d = RPCDispatcher(endpoints: [Self.table(nil, "1.3", ["a"], tag: "x"), Self.table("ns", "3.0", ["a"], tag: "y")])
        guard case .failure(let f) = await run(d, "a", version: "2.0") else { Issue.record("expected a failure"); return }
        #expect(f.className == "UnsupportedVersion")
        #expect(f.moduleName == "oslo_messaging.rpc.dispatcher")
        #expect(f.message == "Endpoint does not support RPC version 2.0. Attempted method: a")
        #expect(f.args == [.string(f.message)])
        guard case .failure(let g) = await run(d, "a", namespace: "other") else { Issue.record("expected a failure"); return }
        #expect(g.message == "Endpoint does not support RPC version 1.0. Attempted method: a")
    }

    @Test func privateMethodsAreNotDispatched() async {
        let d = RPCDispatcher(endpoints: [RPCMethodTable(methods: ["_secret": { _ in "leak" }])])
        guard case .failure(let f) = await run(d, "_secret") else { Issue.record("expected a failure"); return }
        #expect(f.className == "NoSuchMethod")
    }

    @Test func unparsableVersionsFailLikePython() async {
        let d = RPCDispatcher(endpoints: [Self.table(nil, "1.0", ["a"], tag: "x")])
        guard case .failure(let f) = await run(d, "a", version: "x.1") else { Issue.record("expected a failure"); return }
        #expect(f.className == "ValueError")
        #expect(f.moduleName == "builtins")
        #expect(f.message == "invalid literal for int() with base 10: 'x'")
    }

    @Test func pingIsAnsweredOnlyWhenEnabled() async throws {
        let endpoints = [Self.table(nil, "1.3", ["a"], tag: "x")]
        let enabled = RPCDispatcher(endpoints: endpoints, pingEnabled: true)
        #expect(try await run(enabled, RPCDispatcher.pingMethod).get() == "pong")

        // Disabled: the same failure the recorded Python server sent (ping.jsonl).
        let disabled = RPCDispatcher(endpoints: endpoints, pingEnabled: false)
        guard case .failure(let ours) = await run(disabled, RPCDispatcher.pingMethod) else { Issue.record("expected a failure"); return }
        let recorded = try RemoteFailure(serialized: try #require(WireFixtures.message("ping.jsonl", 1)["failure"]?.stringValue))
        #expect(ours.className == recorded.className)
        #expect(ours.moduleName == recorded.moduleName)
        #expect(ours.message == recorded.message)
        #expect(ours.args == recorded.args)
        #expect(ours.kwargs == recorded.kwargs)
        #expect(recorded.traceback.last == ours.traceback.last)
    }

    @Test func serializerHookSeesContextArgumentsAndResult() async throws {
        struct Tagging: RPCSerializer {
            func deserializeContext(_ context: RequestContext) async throws -> RequestContext {
                var c = context
                c["seen"] = true
                return c
            }
            func deserializeArguments(_ args: JSONObject, context: RequestContext) async throws -> JSONObject {
                var a = args
                a["deserialized"] = true
                return a
            }
            func serializeResult(_ result: JSONValue, context: RequestContext) async throws -> JSONValue {
                ["wrapped": result, "ctx_seen": context["seen"] ?? nil]
            }
        }
        let d = RPCDispatcher(endpoints: [RPCMethodTable(methods: ["m": { inv in .object(inv.args) }])], serializer: Tagging())
        let result = try await d.dispatch(RPCRequest(method: "m", args: ["x": 1]), logger: logger)
        #expect(result == ["wrapped": ["x": 1, "deserialized": true], "ctx_seen": true])
    }
}
