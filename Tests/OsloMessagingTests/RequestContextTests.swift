import JSON
import OsloMessaging
import Testing

@Suite struct RequestContextTests {
    static let token = "gAAAAABtokenTOKENtoken-not-a-real-token"

    @Test func readsMagnumsContextFromARecordedRequest() throws {
        let message = try WireFixtures.message("cluster_create_defaults.jsonl", 0)
        let context = RequestContext(message: message)
        #expect(context.fields.count == 25)
        #expect(Array(context.fields.keys) == RequestContext.magnumKeys)
        #expect(context.authToken == Self.token)
        #expect(context.userID == "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b")
        #expect(context.projectName == "demo")
        #expect(context.roles == ["member", "reader"])
        #expect(context.isAdmin == false)
        #expect(context.requestID == "req-081f819e-22b1-4658-a9f8-28af3c6e71a7")
        #expect(context.unknownKeys.isEmpty)
    }

    @Test func contextKeysNextToKnownOnesAreKeptAsSent() throws {
        // Known long names (shared strings) and keys that look like them: prefixes, one byte
        // more or different, an escaped spelling of a known key.
        let body = Array(#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"m\", \"args\": {}, "#.utf8)
            + Array(#"\"_context_global_request_id\": 1, \"_context_global_request_i\": 2, "#.utf8)
            + Array(#"\"_context_global_request_idx\": 3, \"_context_Global_request_id\": 4, "#.utf8)
            + Array(#"\"_context_user_domain_nam\\u0065\": 5, \"_context_is_admin_projecT\": 6}"}"#.utf8)
        let request = try RPCRequest(body: body)
        #expect(Array(request.context.fields.keys) == [
            "global_request_id", "global_request_i", "global_request_idx", "Global_request_id", "user_domain_name",
            "is_admin_projecT",
        ])
        #expect(request.context.fields.values.map { $0.intValue } == [1, 2, 3, 4, 5, 6])
        #expect(request.context.globalRequestID == nil)  // 1 is not a string
        #expect(request.context.userDomainName == nil)
        // The prefix is matched as Python's `startswith` does, by code points: a combining mark
        // right after it does not hide a context key, and keys that only resemble it are not ones.
        var message: JSONObject = ["method": "m", "args": [:]]
        message["_context_\u{301}accent"] = 7
        message["_context"] = 8
        message["_Context_user"] = 9
        message["_context_"] = 10
        let marked = try RPCRequest(message: message)
        #expect(Array(marked.context.fields.keys) == ["\u{301}accent", ""])
        #expect(marked.context.fields["\u{301}accent"] == .int(7))
        #expect(Array(marked.extraFields.keys) == ["_context", "_Context_user"])
        // The same with no shared keys at all.
        let plain = try RPCRequest(message: RPCEnvelope.decode(body, limits: DecodingLimits(sharedKeys: .empty)).message)
        #expect(plain.context == request.context)
        #expect(Array(plain.context.fields.keys) == Array(request.context.fields.keys))
    }

    @Test func roundTripsUnchangedWithUnknownKeys() throws {
        var message = try WireFixtures.message("cluster_create_defaults.jsonl", 0)
        message["_context_trace_info"] = ["hmac_key": "SECRET_HMAC", "base_id": "b1", "parent_id": "p1"]
        message["_context_trust_id"] = "trust-123"
        message["_context_password"] = "hunter2"
        message["_context_weird"] = [1, 2.5, ["x": nil]]
        let context = RequestContext(message: message)
        #expect(context.unknownKeys == ["trace_info", "trust_id", "password", "weird"])
        #expect(context.trustID == "trust-123")
        #expect(context.password == "hunter2")

        var packed = JSONObject()
        context.pack(into: &packed)
        let original = message.filter { $0.key.hasPrefix("_context_") }
        #expect(Array(packed.keys) == Array(original.keys))
        #expect(JSONValue.object(packed).jsonString() == JSONValue.object(original).jsonString())

        // And through a whole request encode/decode.
        let request = try RPCRequest(message: message)
        let again = try RPCRequest(body: request.encodedBody())
        #expect(again.context == context)
        #expect(JSONValue.object(again.context.fields).jsonString() == JSONValue.object(context.fields).jsonString())
    }

    @Test func descriptionMasksSecrets() throws {
        var message = try WireFixtures.message("cluster_create_defaults.jsonl", 0)
        message["_context_password"] = "hunter2"
        message["_context_trustee_password"] = "hunter3"
        message["_context_application_credential_secret"] = "appcred"
        message["_context_auth_token_info"] = ["token": ["id": "abc"]]
        message["_context_trace_info"] = ["hmac_key": "SECRET_HMAC"]
        let context = RequestContext(message: message)
        let text = context.description
        for secret in [Self.token, "hunter2", "hunter3", "appcred", "SECRET_HMAC", "\"abc\""] {
            #expect(!text.contains(secret), "description leaks \(secret)")
        }
        #expect(text.contains("auth_token=***"))
        #expect(text.contains("request_id=req-081f819e-22b1-4658-a9f8-28af3c6e71a7"))
        #expect(context.maskedFields["auth_token"] == "***")
        #expect(context.maskedFields["user_name"] == "demo")
        #expect(context.maskedFields["auth_token_info"] == "***")
    }

    @Test func requestDescriptionShowsIdsNotSecrets() throws {
        var message = try WireFixtures.message("cluster_create_call_failure.jsonl", 0)
        message["args"]?["password"] = "hunter2"
        let text = try RPCRequest(message: message).description
        #expect(text.hasPrefix("call cluster_create msg_id=1271cf70afe74773bb5f426b7782e6e4"))
        #expect(text.contains("args=[cluster, master_count, node_count, create_timeout, password]"))
        #expect(!text.contains(Self.token) && !text.contains("hunter2") && !text.contains("fail-tiny"))
    }

    @Test func nullSecretsStayNull() {
        let context = RequestContext(fields: ["auth_token": nil, "user": "u"])
        #expect(context.maskedFields["auth_token"] == .null)
    }

    @Test func redactionForNotificationsDropsCredentials() throws {
        var message = try WireFixtures.message("cluster_create_defaults.jsonl", 0)
        message["_context_trace_info"] = ["hmac_key": "SECRET_HMAC"]
        let redacted = RequestContext(message: message).redacted()
        #expect(redacted.authToken == nil)
        #expect(redacted.fields["auth_token"] == .null)
        #expect(redacted.fields["auth_url"] == .null)
        #expect(redacted.fields["trace_info"] == nil)
        #expect(redacted.userName == "demo")
        #expect(Array(redacted.fields.keys) == RequestContext.magnumKeys)
    }

    /// `RequestContext.from_dict(ctx).redacted_copy().to_dict()` in magnum 23 for a context with
    /// every field set: only the identity survives (computed with the real magnum).
    @Test func redactionKeepsOnlyWhatRedactedCopyKeeps() throws {
        let context = RequestContext(fields: [
            "user": "u1", "project_id": "p1", "system_scope": "all", "project": "p1", "domain": "d1", "user_domain": "ud1",
            "project_domain": "pd1", "is_admin": true, "read_only": true, "show_deleted": true, "auth_token": "tok",
            "request_id": "req-1", "global_request_id": "req-g", "resource_uuid": "r1", "roles": ["admin"], "user_identity": "x",
            "is_admin_project": false, "auth_url": "http://k", "user_domain_id": "ud1", "user_domain_name": "UD",
            "user_name": "alice", "user_id": "u1", "project_name": "proj", "auth_token_info": ["token": [:]],
            "all_tenants": true, "trace_info": ["hmac_key": "s"],
        ])
        let expected = try JSONValue(parsing: #"{"user": "u1", "project_id": "p1", "system_scope": null, "project": "p1", "domain": null, "user_domain": "ud1", "project_domain": null, "is_admin": true, "read_only": false, "show_deleted": false, "auth_token": null, "request_id": "req-1", "global_request_id": null, "resource_uuid": null, "roles": ["admin"], "user_identity": "u1 p1 - ud1 -", "is_admin_project": true, "auth_url": null, "user_domain_id": "ud1", "user_domain_name": "UD", "user_name": "alice", "user_id": "u1", "project_name": "proj", "auth_token_info": null, "all_tenants": false}"#)
        let redacted = JSONValue.object(context.redacted().fields)
        #expect(redacted.jsonString(.python) == expected.jsonString(.python))
    }

    @Test func newContextsAreLaidOutLikeMagnum() {
        let context = RequestContext(userID: "u1", projectID: "p1", userName: "alice", projectName: "proj",
                                     roles: ["admin"], isAdmin: true, authToken: "t", requestID: "req-1")
        #expect(Array(context.fields.keys) == RequestContext.magnumKeys)
        #expect(context.userIdentity == "u1 p1 - - -")
        #expect(context.fields["project"] == "p1")
    }
}
