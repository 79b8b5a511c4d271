import JSON
import OsloMessaging
import Testing

@Suite struct WireInspectorTests {
    static let token = "gAAAAABtokenTOKENtoken-not-a-real-token"

    @Test func jsonFormHasTheDocumentedFields() throws {
        let decoded = WireInspector.decode(input: try WireFixtures.bytes("cluster_create_call_failure.jsonl"))
        let call = decoded[0].jsonObject
        #expect(Array(call.keys.prefix(4)) == ["index", "exchange", "routing_key", "kind"])
        for key in ["method", "namespace", "version", "msg_id", "reply_q", "unique_id", "context", "args"] {
            #expect(call[key] != nil, "missing \(key)")
        }
        #expect(call["args"]?["cluster"]?["object"] == "Cluster")
        #expect(call["args"]?["cluster"]?["version"] == "1.24")
        #expect(call["args"]?["cluster"]?["data"]?["name"] == "fail-tiny")
        #expect(call["context"]?["auth_token"] == "***")

        let reply = decoded[1].jsonObject
        #expect(reply["kind"] == "reply")
        for key in ["msg_id", "result", "failure", "ending"] { #expect(reply[key] != nil, "missing \(key)") }
        #expect(reply["failure"]?["kwargs"]?["code"] == 400)
    }

    @Test func secretsAreMaskedEverywhereInTheOutput() throws {
        for file in WireFixtures.recordingNames {
            for message in WireInspector.decode(input: try WireFixtures.bytes(file)) {
                #expect(!JSONValue.object(message.jsonObject).jsonString().contains(Self.token), "\(file)")
                #expect(!message.text.contains(Self.token), "\(file)")
            }
        }
        let body = RPCEnvelope.encode(["method": "m", "args": ["password": "hunter2", "nested": ["private_key": "PEM"]],
                                       "_context_password": "hunter3"])
        let out = WireInspector.decode(body: body, index: 0, exchange: "magnum", routingKey: "t")
        let text = JSONValue.object(out.jsonObject).jsonString()
        #expect(!text.contains("hunter2") && !text.contains("hunter3") && !text.contains("PEM"))
    }

    @Test func summarisesAnyObjectNamespace() {
        let value: JSONValue = ["x": ["nova_object.name": "Instance", "nova_object.version": "2.7",
                                      "nova_object.data": ["flavor": ["nova_object.name": "Flavor", "nova_object.version": "1.2",
                                                                      "nova_object.data": ["id": 1]]]]]
        #expect(WireInspector.summarized(value) == ["x": ["object": "Instance", "version": "2.7",
                                                          "data": ["flavor": ["object": "Flavor", "version": "1.2", "data": ["id": 1]]]]])
    }

    @Test func undecodableMessagesAreReportedAndDecodingGoesOn() {
        let good = WireRecording.Entry(seq: 0, exchange: "magnum", routingKey: "t", properties: .oslo(),
                                       body: RPCEnvelope.encode(["method": "m", "args": [:]])).jsonLine()
        let badBody = WireRecording.Entry(seq: 1, exchange: "magnum", routingKey: "t", properties: .oslo(),
                                          body: Array(#"{"oslo.version": "9.0", "oslo.message": "{}"}"#.utf8)).jsonLine()
        let input = Array([good, badBody, "this is not a recording line", good].joined(separator: "\n").utf8)
        let out = WireInspector.decode(input: input)
        #expect(out.count == 4)
        #expect(out.map(\.failed) == [false, true, true, false])
        #expect(out[1].jsonObject["error_kind"] == "unsupported_envelope_version")
        #expect(out[2].jsonObject["error_kind"] == "bad_recording_line")
        #expect(out[3].jsonObject["index"] == 3)
    }

    @Test func aRawBodyIsOneMessage() {
        let out = WireInspector.decode(input: RPCEnvelope.encode(["method": "cluster_delete", "args": ["uuid": "u"], "_unique_id": "x"]))
        #expect(out.count == 1)
        #expect(out[0].kind == .cast)
        #expect(out[0].jsonObject["exchange"] == nil)
        #expect(out[0].text.contains("cluster_delete"))
        let garbage = WireInspector.decode(input: Array("nope".utf8))
        #expect(garbage.count == 1 && garbage[0].failed)
        #expect(garbage[0].jsonObject["error_kind"] == "not_json")
    }

    @Test func fanoutCastsAreToldByTheirExchange() {
        let body = RPCEnvelope.encode(["method": "m", "args": [:]])
        #expect(WireInspector.decode(body: body, index: 0, exchange: "magnum-conductor_fanout", routingKey: "").kind == .fanout)
    }

    @Test func textFormIsReadable() throws {
        let out = WireInspector.decode(input: try WireFixtures.bytes("rotate_ca_not_supported.jsonl"))
        #expect(out[0].text.contains("rotate_ca_certificate"))
        #expect(out[0].text.contains("cluster: Cluster 1.24 (uuid=0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02, name=prod-east"))
        #expect(out[1].text.contains("failure: magnum.common.exception.NotSupported: rotate_ca_certificate is not supported."))
    }
}
