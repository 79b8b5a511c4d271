import Foundation
import Helm
import JSON
import Testing

/// No more than the configured number of helm processes at once; waiting callers can give up.
@Suite struct HelmProcessLimiterTests {
    @Test func neverMoreThanTheLimitOfRealProcesses() async throws {
        let limit = 2
        // Each fake helm counts the fake helms running beside it (including itself) while it sleeps.
        let fake = try FakeHelm(body: """
            mkdir -p "$REC/../running"
            touch "$REC/../running/$$"
            ls "$REC/../running" | wc -l >> "$REC/../concurrency"
            sleep 0.5
            rm -f "$REC/../running/$$"
            printf 'v3.17.2'
            """)
        defer { fake.remove() }
        let executor = HelmCommandExecutor(
            configuration: .testing(helm: fake.path, maxConcurrentProcesses: limit), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        try await withThrowingTaskGroup(of: HelmVersion.self) { group in
            for _ in 0..<(limit + 3) {
                group.addTask { try await executor.version() }
            }
            for try await version in group { #expect(version.major == 3) }
        }
        let counts = try String(contentsOfFile: "\(fake.directory)/concurrency", encoding: .utf8)
            .split(whereSeparator: \.isNewline).compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        #expect(counts.count == limit + 3)
        #expect(counts.allSatisfy { $0 <= limit }, "seen at once: \(counts)")
        #expect(counts.contains(limit), "the limit was never reached: \(counts)")
        #expect(await executor.limiter.highWaterMark == limit)
        #expect(await executor.limiter.runningCount == 0)
    }

    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let limiter = HelmProcessLimiter(limit: 1)
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await limiter.withPermit {
                for await _ in gate { break }
                return "holder"
            }
        }
        while await limiter.runningCount == 0 { await Task.yield() }
        let waiter = Task { try await limiter.withPermit { "waiter" } }
        let cancelled = Task { try await limiter.withPermit { "cancelled" } }
        while await limiter.waitingCount < 2 { await Task.yield() }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { _ = try await cancelled.value }
        #expect(await limiter.waitingCount == 1)
        open.yield()
        #expect(try await holder.value == "holder")
        #expect(try await waiter.value == "waiter")
        #expect(await limiter.runningCount == 0)
        #expect(await limiter.waitingCount == 0)
    }

    @Test func waitersAreServedFirstComeFirstServed() async throws {
        let limiter = HelmProcessLimiter(limit: 1)
        let order = OrderLog()
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await limiter.withPermit {
                for await _ in gate { break }
            }
        }
        while await limiter.runningCount == 0 { await Task.yield() }
        var waiters: [Task<Void, any Error>] = []
        for index in 0..<4 {
            waiters.append(Task { try await limiter.withPermit { await order.append(index) } })
            while await limiter.waitingCount < index + 1 { await Task.yield() }
        }
        open.yield()
        try await holder.value
        for waiter in waiters { try await waiter.value }
        #expect(await order.entries == [0, 1, 2, 3])
    }

    @Test func aCancelledCallerNeverStartsHelm() async throws {
        let fake = try FakeHelm(body: "sleep 1\nprintf 'v3.17.2'")
        defer { fake.remove() }
        let executor = HelmCommandExecutor(
            configuration: .testing(helm: fake.path, maxConcurrentProcesses: 1), logger: CapturedLogs().logger)
        defer { executor.shutdown() }
        let first = Task { try await executor.version() }
        while await executor.limiter.runningCount == 0 { await Task.yield() }
        let second = Task { try await executor.version() }
        while await executor.limiter.waitingCount == 0 { await Task.yield() }
        second.cancel()
        await #expect(throws: CancellationError.self) { _ = try await second.value }
        _ = try await first.value
        #expect(try fake.runs().count == 1)
    }
}

actor OrderLog {
    private(set) var entries: [Int] = []
    func append(_ entry: Int) { entries.append(entry) }
}
