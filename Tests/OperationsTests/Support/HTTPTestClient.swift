import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a real TCP socket (no proxies, no libcurl), run on its own
/// thread so a blocking read never holds a cooperative-pool thread the server needs.
struct HTTPTestResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

struct HTTPTestClientError: Error, CustomStringConvertible {
    var description: String
}

enum HTTPTestClient {
    static func get(port: Int, path: String, host: String = "127.0.0.1") async throws -> HTTPTestResponse {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HTTPTestResponse, any Error>) in
            let thread = Thread {
                continuation.resume(with: Result { try blockingGet(host: host, port: port, path: path) })
            }
            thread.start()
        }
    }

    static func blockingGet(host: String, port: Int, path: String) throws -> HTTPTestResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPTestClientError(description: "socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw HTTPTestClientError(description: "bad address \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw HTTPTestClientError(description: "connect to \(host):\(port): errno \(errno)") }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nAccept: */*\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw HTTPTestClientError(description: "send: errno \(errno)") }
            sent += n
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else { throw HTTPTestClientError(description: "recv: errno \(errno)") }
            data.append(contentsOf: buffer[..<n])
        }
        return try parse(data)
    }

    static func parse(_ data: [UInt8]) throws -> HTTPTestResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headEnd = data.indices.first(where: { data[$0...].starts(with: separator) }) else {
            throw HTTPTestClientError(description: "no header end in \(data.count) bytes")
        }
        let head = String(decoding: data[..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, head[0].hasPrefix("HTTP/1.1 "), let status = Int(statusParts[1]) else {
            throw HTTPTestClientError(description: "bad status line \(head[0])")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(headEnd + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = try dechunk(body)
        } else if let length = headers["content-length"].flatMap(Int.init) {
            guard body.count == length else {
                throw HTTPTestClientError(description: "body has \(body.count) bytes, content-length \(length)")
            }
        }
        return HTTPTestResponse(status: status, headers: headers, body: body)
    }

    static func dechunk(_ data: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < data.count {
            guard let lineEnd = data[i...].indices.first(where: { data[$0...].starts(with: [13, 10]) }),
                  let size = Int(String(decoding: data[i..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16)
            else { throw HTTPTestClientError(description: "bad chunk") }
            if size == 0 { break }
            out.append(contentsOf: data[(lineEnd + 2)..<(lineEnd + 2 + size)])
            i = lineEnd + 2 + size + 2
        }
        return out
    }
}
