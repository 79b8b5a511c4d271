import ArgumentParser
import Foundation
import JSON
import OsloMessaging

/// `magnum-capi-worker decode`: prints recorded or raw oslo.messaging messages decoded.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode oslo.messaging messages from a recording (JSON lines) or one raw AMQP body.",
        discussion: """
            FILE is a recording as written by the recorder (one JSON object per line with seq, exchange, \
            routing_key, properties and body or body_b64) or a single message body; '-' reads standard input. \
            Secrets (tokens, passwords) are masked. Undecodable messages are reported and decoding goes on; \
            the exit status is 1 when any message failed.
            """)

    @Flag(name: .long, help: "One JSON object per message instead of text.")
    var json = false

    @Option(name: .long, help: "Largest body decoded, in bytes.")
    var maxBodyBytes = DecodingLimits.default.maxBodyBytes

    @Argument(help: "Recording or body file, or - for standard input.")
    var file: String

    func run() throws {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                throw InputError(description: "cannot read \(file): \(error.localizedDescription)")
            }
        }
        let messages = WireInspector.decode(input: Array(data), limits: DecodingLimits(maxBodyBytes: maxBodyBytes))
        var out = ""
        for message in messages {
            if json {
                out += JSONValue.object(message.jsonObject).jsonString(.compact) + "\n"
            } else {
                out += message.text + "\n\n"
            }
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        if messages.contains(where: \.failed) { throw ExitCode(1) }
    }
}

struct InputError: Error, CustomStringConvertible {
    let description: String
}
