import Foundation

/// Throwaway certificates for the HTTPS fakes, made with the `openssl` command (installed by
/// `tools/setup`) in a temporary directory: a CA, a server certificate for 127.0.0.1/localhost,
/// a client certificate (`O=system:masters, CN=kubernetes-admin`, as kubeadm makes), and a second,
/// unrelated CA with its own server and client certificates for the failure cases.
public struct TestPKI: Sendable {
    public let directory: String

    public var caCertificate: String { "\(directory)/ca.crt" }
    public var serverCertificate: String { "\(directory)/server.crt" }
    public var serverKey: String { "\(directory)/server.key" }
    public var clientCertificate: String { "\(directory)/client.crt" }
    public var clientKey: String { "\(directory)/client.key" }
    /// A second client of the same CA (a different identity).
    public var otherClientCertificate: String { "\(directory)/client2.crt" }
    public var otherClientKey: String { "\(directory)/client2.key" }
    /// An unrelated CA, and a client certificate it signed (rejected by the fakes' TLS).
    public var rogueCACertificate: String { "\(directory)/rogue-ca.crt" }
    public var rogueClientCertificate: String { "\(directory)/rogue-client.crt" }
    public var rogueClientKey: String { "\(directory)/rogue-client.key" }

    /// The certificates of this process, made on first use.
    public static func shared() throws -> TestPKI {
        try sharedResult.get()
    }

    private static let sharedResult: Result<TestPKI, any Error> = Result { try TestPKI.make() }

    public static func make() throws -> TestPKI {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("mcw-pki-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pki = TestPKI(directory: dir)
        try pki.makeCA(name: "ca", subject: "/CN=fake-kubernetes-ca")
        try pki.makeCA(name: "rogue-ca", subject: "/CN=rogue-ca")
        try pki.issue(name: "server", ca: "ca", subject: "/CN=kube-apiserver",
                      extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        try pki.issue(name: "client", ca: "ca", subject: "/O=system:masters/CN=kubernetes-admin",
                      extensions: "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
        try pki.issue(name: "client2", ca: "ca", subject: "/CN=magnum-reader",
                      extensions: "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
        try pki.issue(name: "rogue-client", ca: "rogue-ca", subject: "/O=system:masters/CN=kubernetes-admin",
                      extensions: "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n")
        return pki
    }

    /// The file's bytes (for inline `*-data` kubeconfig fields and blobs).
    public func contents(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private func makeCA(name: String, subject: String) throws {
        try TestPKI.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).crt", "-days", "2",
            "-subj", subject,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    private func issue(name: String, ca: String, subject: String, extensions: String) throws {
        let ext = "\(directory)/\(name).ext"
        try extensions.write(toFile: ext, atomically: true, encoding: .utf8)
        try TestPKI.openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", subject,
        ])
        try TestPKI.openssl([
            "x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", "\(directory)/\(ca).crt",
            "-CAkey", "\(directory)/\(ca).key", "-CAcreateserial", "-out", "\(directory)/\(name).crt",
            "-days", "2", "-extfile", ext,
        ])
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FakeServerError(message: "openssl \(arguments.first ?? "") failed: \(String(decoding: data, as: UTF8.self))")
        }
    }
}
