import Foundation

/// A process's memory as Linux reports it (`/proc/<pid>/status`), in KiB; -1 when unreadable.
public struct ProcessMemory: Sendable, Equatable {
    /// `VmRSS`: resident now.
    public let resident: Int
    /// `VmHWM`: the highest resident size so far.
    public let peak: Int

    /// Of process `pid`, or of this process.
    public static func of(_ pid: Int32? = nil) -> ProcessMemory {
        let path = pid.map { "/proc/\($0)/status" } ?? "/proc/self/status"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return ProcessMemory(resident: -1, peak: -1) }
        func field(_ name: String) -> Int {
            for line in text.split(separator: "\n") where line.hasPrefix(name) {
                return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
            }
            return -1
        }
        return ProcessMemory(resident: field("VmRSS:"), peak: field("VmHWM:"))
    }
}
