import Foundation
import MagnumObjects
import Synchronization
import Testing
import Worker

/// The periodic task scheduler and the clocks it runs on.
@Suite("Periodic task scheduler")
struct PeriodicTaskSchedulerTests {
    static let start = Timestamp(microsecondsSinceEpoch: 1_800_000_000_000_000)

    final class Log: Sendable {
        let entries = Mutex<[(String, Double)]>([])
        func add(_ name: String, _ at: Timestamp) {
            entries.withLock { $0.append((name, Double(at.microsecondsSinceEpoch - PeriodicTaskSchedulerTests.start.microsecondsSinceEpoch) / 1e6)) }
        }
        var all: [String] { entries.withLock { $0.map { "\($0.0)@\(Int($0.1))" } } }
    }

    @Test func virtualTimeRunsEveryDueTaskInOrder() async {
        let clock = VirtualClock(start: Self.start)
        let scheduler = PeriodicTaskScheduler(clock: clock, logger: ConductorHarness.logger)
        let log = Log()
        await scheduler.add("sync", interval: 10) { log.add("sync", clock.now()) }
        await scheduler.add("health", interval: 25) { log.add("health", clock.now()) }
        await scheduler.add("late", interval: 30, runImmediately: false) { log.add("late", clock.now()) }
        await scheduler.advance(clock, to: Self.start.adding(seconds: 60))
        // Tasks due at the same time run in the order they were added.
        #expect(log.all == ["sync@0", "health@0", "sync@10", "sync@20", "health@25", "sync@30", "late@30", "sync@40",
                            "sync@50", "health@50", "sync@60", "late@60"])
        #expect(clock.now() == Self.start.adding(seconds: 60))
        // Nothing is due before the next interval.
        await scheduler.advance(clock, to: Self.start.adding(seconds: 69))
        #expect(log.all.count == 12)
    }

    @Test func aSlowRunDelaysOnlyItsOwnTaskAndNeverOverlaps() async {
        let clock = VirtualClock(start: Self.start)
        let scheduler = PeriodicTaskScheduler(clock: clock, logger: ConductorHarness.logger)
        let log = Log()
        // The run "takes" 15 s of virtual time; the next is due 10 s after it started.
        await scheduler.add("slow", interval: 10) {
            log.add("slow", clock.now())
            clock.advance(by: 15)
        }
        await scheduler.advance(clock, to: Self.start.adding(seconds: 35))
        #expect(log.all == ["slow@0", "slow@15", "slow@30"])
    }

    @Test func theLiveLoopsSleepOnTheClockAndStop() async throws {
        let clock = VirtualClock(start: Self.start)
        let scheduler = PeriodicTaskScheduler(clock: clock, logger: ConductorHarness.logger)
        let log = Log()
        await scheduler.add("beat", interval: 5) { log.add("beat", clock.now()) }
        await scheduler.start()
        try await Self.eventually { log.all == ["beat@0"] }
        try await Self.eventually { clock.sleeperCount == 1 }
        clock.advance(by: 5)
        try await Self.eventually { log.all == ["beat@0", "beat@5"] }
        try await Self.eventually { clock.sleeperCount == 1 }
        await scheduler.stop()
        #expect(clock.sleeperCount == 0)
        clock.advance(by: 100)
        try await Task.sleep(for: .milliseconds(20))
        #expect(log.all == ["beat@0", "beat@5"])
    }

    @Test func wallClockSleepsForReal() async throws {
        let clock = WallClock()
        let before = ContinuousClock.now
        try await clock.sleep(until: clock.now().adding(seconds: 0.05))
        #expect(ContinuousClock.now - before >= .milliseconds(45))
        // A deadline in the past returns at once.
        try await clock.sleep(until: clock.now().adding(seconds: -1))
    }

    @Test func aCancelledSleepThrows() async {
        let clock = VirtualClock(start: Self.start)
        let task = Task { try await clock.sleep(until: Self.start.adding(seconds: 10)) }
        try? await Self.eventually { clock.sleeperCount == 1 }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.sleeperCount == 0)
    }

    static func eventually(_ condition: @Sendable () -> Bool) async throws {
        for _ in 0..<1000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(2))
        }
        Issue.record("condition not met in time")
    }
}
