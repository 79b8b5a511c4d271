public import Curl
import Foundation
import JSON

/// A kubeconfig file (the format `kubectl` uses): clusters, users, contexts and the current
/// context. Only what a client needs is modelled; exec and auth-provider plugins are rejected
/// with a clear error rather than silently ignored.
public struct Kubeconfig: Sendable {
    public struct Cluster: Sendable, Equatable {
        public var server: String
        public var certificateAuthority: PEMSource?
        public var insecureSkipTLSVerify: Bool
        public var tlsServerName: String?
    }

    public struct User: Sendable, Equatable {
        public var clientCertificate: PEMSource?
        public var clientKey: PEMSource?
        public var token: String?
        public var tokenFile: String?
        /// Set when the user relies on something this client cannot do (exec, auth-provider,
        /// username/password); the value names it.
        public var unsupported: String?
    }

    public struct Context: Sendable, Equatable {
        public var cluster: String
        public var user: String
        public var namespace: String?
    }

    public var clusters: [String: Cluster]
    public var users: [String: User]
    public var contexts: [String: Context]
    public var currentContext: String?
    /// Where it was read from (relative certificate paths are resolved against its directory).
    public var path: String?

    /// Parses kubeconfig YAML. `path` is the file it came from, for relative paths and messages.
    public init(yaml text: String, path: String? = nil) throws(KubeconfigError) {
        self.path = path
        let document: JSONValue
        do {
            document = try YAMLDocument.parse(text)
        } catch {
            throw KubeconfigError(path: path, problem: "it is not valid YAML: \(error)")
        }
        guard case .object(let root) = document else {
            throw KubeconfigError(path: path, problem: "it is not a kubeconfig (expected a YAML mapping with clusters, users and contexts)")
        }
        let baseDirectory = path.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
        func resolve(_ file: String) -> String {
            guard let baseDirectory, !file.hasPrefix("/") else { return file }
            return baseDirectory + "/" + file
        }
        func decode(_ base64: String, field: String, entry: String) throws(KubeconfigError) -> [UInt8] {
            guard let data = Data(base64Encoded: base64.filter { !$0.isWhitespace }) else {
                throw KubeconfigError(path: path, problem: "\(field) of \(entry) is not valid base64")
            }
            return Array(data)
        }
        func entries(_ key: String, inner: String) throws(KubeconfigError) -> [(String, JSONObject)] {
            guard let list = root[key] else { return [] }
            if list.isNull { return [] }
            guard case .array(let items) = list else {
                throw KubeconfigError(path: path, problem: "'\(key)' must be a list")
            }
            var result: [(String, JSONObject)] = []
            for item in items {
                guard let name = item["name"]?.stringValue else {
                    throw KubeconfigError(path: path, problem: "an entry of '\(key)' has no name")
                }
                result.append((name, item[inner]?.objectValue ?? [:]))
            }
            return result
        }

        var clusters: [String: Cluster] = [:]
        for (name, cluster) in try entries("clusters", inner: "cluster") {
            guard let server = cluster["server"]?.stringValue, !server.isEmpty else {
                throw KubeconfigError(path: path, problem: "cluster '\(name)' has no server")
            }
            var ca: PEMSource?
            if let data = cluster["certificate-authority-data"]?.stringValue, !data.isEmpty {
                ca = .data(try decode(data, field: "certificate-authority-data", entry: "cluster '\(name)'"))
            } else if let file = cluster["certificate-authority"]?.stringValue, !file.isEmpty {
                ca = .file(resolve(file))
            }
            clusters[name] = Cluster(
                server: server, certificateAuthority: ca,
                insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"]?.boolValue ?? false,
                tlsServerName: cluster["tls-server-name"]?.stringValue)
        }
        var users: [String: User] = [:]
        for (name, user) in try entries("users", inner: "user") {
            var entry = User()
            let who = "user '\(name)'"
            if let data = user["client-certificate-data"]?.stringValue, !data.isEmpty {
                entry.clientCertificate = .data(try decode(data, field: "client-certificate-data", entry: who))
            } else if let file = user["client-certificate"]?.stringValue, !file.isEmpty {
                entry.clientCertificate = .file(resolve(file))
            }
            if let data = user["client-key-data"]?.stringValue, !data.isEmpty {
                entry.clientKey = .data(try decode(data, field: "client-key-data", entry: who))
            } else if let file = user["client-key"]?.stringValue, !file.isEmpty {
                entry.clientKey = .file(resolve(file))
            }
            if let token = user["token"]?.stringValue, !token.isEmpty { entry.token = token }
            if let file = user["tokenFile"]?.stringValue, !file.isEmpty { entry.tokenFile = resolve(file) }
            if user["exec"] != nil {
                entry.unsupported = "exec credential plugins"
            } else if user["auth-provider"] != nil {
                entry.unsupported = "auth-provider plugins"
            } else if user["username"] != nil || user["password"] != nil {
                entry.unsupported = "basic authentication (username/password)"
            }
            users[name] = entry
        }
        var contexts: [String: Context] = [:]
        for (name, context) in try entries("contexts", inner: "context") {
            contexts[name] = Context(
                cluster: context["cluster"]?.stringValue ?? "", user: context["user"]?.stringValue ?? "",
                namespace: context["namespace"]?.stringValue)
        }
        self.clusters = clusters
        self.users = users
        self.contexts = contexts
        let current = root["current-context"]?.stringValue
        self.currentContext = (current?.isEmpty ?? true) ? nil : current
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(KubeconfigError) -> Kubeconfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason: String
            if !FileManager.default.fileExists(atPath: path) {
                reason = "the file does not exist"
            } else if !FileManager.default.isReadableFile(atPath: path) {
                reason = "the file is not readable by this process (check its owner and mode)"
            } else {
                reason = "the file could not be read as UTF-8 text"
            }
            throw KubeconfigError(path: path, problem: reason)
        }
        return try Kubeconfig(yaml: text, path: path)
    }

    /// Where the Python driver looks: `[capi_helm] kubeconfig_file` when set, else `$KUBECONFIG`
    /// (the first existing entry of a `:`-separated list), else `~/.kube/config`.
    public static func defaultPath(configured: String?) -> String {
        defaultPath(configured: configured, environment: ProcessInfo.processInfo.environment)
    }

    public static func defaultPath(configured: String?, environment: [String: String]) -> String {
        if let configured, !configured.isEmpty { return configured }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let candidates = list.split(separator: ":").map(String.init)
            return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates.first ?? list
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.kube/config"
    }

    /// The cluster, user and namespace of `context` (default: the current context), ready for a
    /// client. Token files are read here.
    public func connection(context name: String? = nil) throws(KubeconfigError) -> KubernetesConnection {
        guard let contextName = name ?? currentContext else {
            throw KubeconfigError(path: path, problem: "it has no current-context and no context was named")
        }
        guard let context = contexts[contextName] else {
            throw KubeconfigError(path: path, problem: "context '\(contextName)' is not defined (contexts: \(contexts.keys.sorted().joined(separator: ", ")))")
        }
        guard let cluster = clusters[context.cluster] else {
            throw KubeconfigError(path: path, problem: "context '\(contextName)' names cluster '\(context.cluster)', which is not defined")
        }
        guard let user = users[context.user] else {
            throw KubeconfigError(path: path, problem: "context '\(contextName)' names user '\(context.user)', which is not defined")
        }
        if let unsupported = user.unsupported, user.clientCertificate == nil, user.token == nil, user.tokenFile == nil {
            throw KubeconfigError(path: path, problem: "user '\(context.user)' uses \(unsupported), which magnum-capi-worker does not support; use a client certificate or a bearer token")
        }
        var token = user.token
        if token == nil, let file = user.tokenFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw KubeconfigError(path: path, problem: "the tokenFile of user '\(context.user)' (\(file)) cannot be read")
            }
            token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let hasCertificate = user.clientCertificate != nil && user.clientKey != nil
        if user.clientCertificate != nil && user.clientKey == nil {
            throw KubeconfigError(path: path, problem: "user '\(context.user)' has a client certificate but no client key")
        }
        if !hasCertificate && (token ?? "").isEmpty {
            throw KubeconfigError(path: path, problem: "user '\(context.user)' has neither a client certificate and key nor a token")
        }
        let server = cluster.server.hasSuffix("/") ? String(cluster.server.dropLast()) : cluster.server
        guard server.lowercased().hasPrefix("https://") || server.lowercased().hasPrefix("http://") else {
            throw KubeconfigError(path: path, problem: "the server of cluster '\(context.cluster)' (\(server)) is not an http(s) URL")
        }
        return KubernetesConnection(
            server: server,
            tls: TLSConfiguration(
                trustRoots: cluster.insecureSkipTLSVerify ? nil : cluster.certificateAuthority,
                clientCertificate: hasCertificate ? user.clientCertificate : nil,
                clientKey: hasCertificate ? user.clientKey : nil,
                verifyPeer: !cluster.insecureSkipTLSVerify,
                verifyHost: !cluster.insecureSkipTLSVerify),
            bearerToken: hasCertificate ? nil : token,
            namespace: context.namespace,
            contextName: contextName)
    }
}

/// Where and how to reach one API server: what a kubeconfig context resolves to.
public struct KubernetesConnection: Sendable, CustomStringConvertible {
    /// Base URL without a trailing slash, e.g. `https://10.0.0.1:6443`.
    public var server: String
    public var tls: TLSConfiguration
    /// Sent as `Authorization: Bearer …` when there is no client certificate.
    public var bearerToken: String?
    public var namespace: String?
    public var contextName: String?

    public init(server: String, tls: TLSConfiguration, bearerToken: String? = nil, namespace: String? = nil, contextName: String? = nil) {
        self.server = server
        self.tls = tls
        self.bearerToken = bearerToken
        self.namespace = namespace
        self.contextName = contextName
    }

    /// Never shows the token or key material.
    public var description: String {
        let auth = tls.clientCertificate != nil ? "client certificate" : (bearerToken != nil ? "bearer token" : "anonymous")
        return "\(server) (context \(contextName ?? "-"), \(auth)\(tls.verifyPeer ? "" : ", TLS verification off"))"
    }
}

/// A kubeconfig that cannot be used, with what is wrong and how to fix it. Never quotes the
/// file's secrets.
public struct KubeconfigError: Error, Sendable, CustomStringConvertible {
    public let path: String?
    public let problem: String

    public init(path: String?, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        "kubeconfig \(path ?? "(inline)"): \(problem)"
    }
}
