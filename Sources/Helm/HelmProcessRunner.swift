internal import Foundation
internal import Subprocess
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif
#if canImport(System)
internal import System
#else
internal import SystemPackage
#endif

/// Runs one helm process in its own process group, with an explicit environment, values on
/// standard input, a deadline, and a guarantee: when `run` returns or throws, nothing of the
/// group is left running.
///
/// Built on swift-subprocess (posix_spawn with `POSIX_SPAWN_SETPGROUP`, signal dispositions reset
/// in the child, every other descriptor closed). On a deadline or task cancellation the group gets
/// SIGTERM, then SIGKILL after the grace period; afterwards any member still alive (a plugin or
/// child that ignored SIGTERM, or one that outlived a helm that exited normally) is terminated the
/// same way.
struct HelmProcessRunner: Sendable {
    var executable: String
    var environment: [String: String]
    var workingDirectory: String
    var gracePeriod: Duration
    var maximumOutputBytes: Int
    var maximumErrorBytes: Int

    /// How a run ended.
    enum Outcome: Sendable {
        case completed(Output)
        /// The deadline passed; the group was terminated. Holds the process id.
        case deadlineExceeded(processID: Int32)
    }

    struct Output: Sendable {
        var termination: Termination
        var standardOutput: [UInt8]
        var standardError: String
        var processID: Int32
    }

    enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signaled(let signal): "signal \(signal)"
            }
        }
    }

    /// The process could not be started (missing or non-executable binary, exhausted resources).
    struct LaunchError: Error, CustomStringConvertible {
        var executable: String
        var reason: String
        var description: String { "cannot start \(executable): \(reason)" }
    }

    /// helm printed more than the configured limit; it was stopped.
    struct OutputTooLarge: Error, CustomStringConvertible {
        var limit: Int
        var description: String { "helm printed more than \(limit) bytes and was stopped" }
    }

    func run(
        _ commandLine: HelmCommandLine, standardInput: [UInt8]?, deadline: Duration
    ) async throws -> Outcome {
        _ = Self.brokenPipesIgnored
        let processID = ProcessIDBox()
        enum Race: Sendable {
            case finished(Result<Output, any Error>)
            case deadline
        }
        let race: Race
        do {
            race = try await withThrowingTaskGroup(of: Race.self) { group in
                group.addTask {
                    do {
                        return .finished(.success(try await launch(commandLine, standardInput, processID)))
                    } catch {
                        return .finished(.failure(error))
                    }
                }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    return .deadline
                }
                guard let first = try await group.next() else { throw CancellationError() }
                group.cancelAll()
                if case .deadline = first {
                    // Wait until the cancelled launch has torn the process down.
                    while let next = try? await group.next() {
                        if case .finished = next { break }
                    }
                }
                return first
            }
        } catch {
            // Cancelled (the group has already waited for the launch task to tear helm down).
            await Self.terminateGroup(processID.value, gracePeriod: gracePeriod)
            throw error
        }
        await Self.terminateGroup(processID.value, gracePeriod: gracePeriod)
        switch race {
        case .deadline:
            return .deadlineExceeded(processID: processID.value ?? 0)
        case .finished(.success(let output)):
            return .completed(output)
        case .finished(.failure(let error)):
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    private func launch(
        _ commandLine: HelmCommandLine, _ standardInput: [UInt8]?, _ processID: ProcessIDBox
    ) async throws -> Output {
        var options = PlatformOptions()
        options.processGroupID = 0  // a new group whose id is helm's pid
        options.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: gracePeriod)]
        var variables: [Environment.Key: String] = [:]
        for (key, value) in environment {
            if let key = Environment.Key(rawValue: key) { variables[key] = value }
        }
        let configuration = Configuration(
            executable: .path(FilePath(executable)),
            arguments: Arguments(commandLine.arguments),
            environment: .custom(variables),
            workingDirectory: FilePath(workingDirectory),
            platformOptions: options)
        do {
            let input = standardInput ?? []
            let result = try await Subprocess.run(
                configuration,
                input: .inputWriter,
                output: .bytes(limit: maximumOutputBytes),
                error: .bytes(limit: maximumErrorBytes)
            ) { execution in
                processID.set(execution.processIdentifier.value)
                let writer = execution.standardInputWriter
                do {
                    if !input.isEmpty { _ = try await writer.write(input) }
                } catch {
                    // helm stopped reading (it failed before it wanted the values, or was
                    // killed): its exit status and standard error tell why, not EPIPE.
                }
                try? await writer.finish()
            }
            let termination: Termination
            switch result.terminationStatus {
            case .exited(let code): termination = .exited(code)
            case .signaled(let signal): termination = .signaled(signal)
            }
            return Output(
                termination: termination,
                standardOutput: result.standardOutput,
                standardError: String(decoding: result.standardError, as: UTF8.self),
                processID: result.processIdentifier.value)
        } catch let error as SubprocessError {
            if Task.isCancelled { throw CancellationError() }
            if error.code == .outputLimitExceeded {
                throw OutputTooLarge(limit: max(maximumOutputBytes, maximumErrorBytes))
            }
            throw LaunchError(executable: executable, reason: "\(error)")
        }
    }

    /// A helm that exits before reading all of its standard input must not kill the worker with
    /// SIGPIPE: writes then fail with EPIPE instead. (Children get default dispositions back.)
    static let brokenPipesIgnored: Void = {
        signal(SIGPIPE, SIG_IGN)
    }()

    // MARK: - Process groups

    /// SIGTERM to every live member of process group `groupID`, SIGKILL to whatever is left after
    /// `gracePeriod`; returns once none is alive (or after a last short wait). Runs to the end
    /// even when the calling task is cancelled (that is when it matters most).
    static func terminateGroup(_ groupID: Int32?, gracePeriod: Duration) async {
        guard let groupID, groupID > 1, hasLiveMembers(groupID) else { return }
        // An unstructured task does not inherit cancellation, so its sleeps really wait.
        await Task { await signalGroup(groupID, gracePeriod: gracePeriod) }.value
    }

    private static func signalGroup(_ groupID: Int32, gracePeriod: Duration) async {
        kill(-groupID, SIGTERM)
        let clock = ContinuousClock()
        let termDeadline = clock.now + gracePeriod
        while clock.now < termDeadline {
            if !hasLiveMembers(groupID) { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(-groupID, SIGKILL)
        let killDeadline = clock.now + .seconds(2)
        while clock.now < killDeadline, hasLiveMembers(groupID) {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Whether any process of the group is alive (zombies waiting for a reaper do not count: they
    /// hold nothing and cannot be killed).
    static func hasLiveMembers(_ groupID: Int32) -> Bool {
        guard kill(-groupID, 0) == 0 || errno == EPERM else { return false }
        #if os(Linux)
        return !liveMembers(of: groupID).isEmpty
        #else
        return true
        #endif
    }

    #if os(Linux)
    /// Pids of the group's processes that are not zombies, from /proc.
    static func liveMembers(of groupID: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var members: [Int32] = []
        for entry in entries {
            guard let pid = Int32(entry), let stat = ProcessStat(pid: pid) else { continue }
            if stat.processGroup == groupID && stat.isAlive { members.append(pid) }
        }
        return members
    }
    #endif
}

/// Where the launch task leaves helm's pid for the group clean-up.
final class ProcessIDBox: Sendable {
    private let storage = Mutex<Int32?>(nil)
    var value: Int32? { storage.withLock { $0 } }
    func set(_ pid: Int32) { storage.withLock { $0 = pid } }
}

/// The fields of `/proc/<pid>/stat` the runner needs (Linux).
struct ProcessStat: Sendable {
    var state: Character
    var parent: Int32
    var processGroup: Int32

    /// Not a zombie (`Z`) nor dead (`X`).
    var isAlive: Bool { state != "Z" && state != "X" && state != "x" }

    init?(pid: Int32) {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        self.init(statLine: String(decoding: data, as: UTF8.self))
    }

    /// `pid (comm) state ppid pgrp ...`; `comm` may hold spaces and parentheses, so fields are
    /// read after the last `)`.
    init?(statLine: String) {
        guard let close = statLine.lastIndex(of: ")") else { return nil }
        let fields = statLine[statLine.index(after: close)...].split(separator: " ")
        guard fields.count >= 3, let state = fields[0].first, let parent = Int32(fields[1]),
              let group = Int32(fields[2])
        else { return nil }
        self.state = state
        self.parent = parent
        self.processGroup = group
    }
}
