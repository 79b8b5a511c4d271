public import Logging
public import MagnumObjects

/// Runs the conductor's periodic tasks (oslo.service's `periodic_task` + dynamic timers): each
/// task every `interval` seconds, the first run at once when `runImmediately`, a run never
/// overlapping the previous run of the same task.
///
/// Two ways to drive it:
/// - `start()`: one loop per task sleeping on the clock (the live worker, wall clock);
/// - `advance(_:to:)`: with a `VirtualClock`, runs every task due up to a time, in time order,
///   each run awaited to completion — deterministic, for tests and the replay tool.
public actor PeriodicTaskScheduler {
    public typealias Body = @Sendable () async -> Void

    struct Entry {
        let name: String
        let interval: Double
        let jitter: Double
        let body: Body
        var nextDue: Timestamp
    }

    public nonisolated let clock: any WorkerClock
    let logger: Logger
    private var entries: [Entry] = []
    private var loops: [Task<Void, Never>] = []

    public init(clock: any WorkerClock, logger: Logger) {
        self.clock = clock
        self.logger = logger
    }

    /// Adds a task; `interval` in seconds (> 0).
    /// `jitter`: up to this many seconds added at random to each wait of the live loop, so
    /// workers started together do not hit the database in step (virtual time ignores it).
    public func add(_ name: String, interval: Double, runImmediately: Bool = true, jitter: Double = 0, _ body: @escaping Body) {
        let now = clock.now()
        entries.append(Entry(name: name, interval: interval, jitter: max(0, jitter), body: body,
                             nextDue: runImmediately ? now : now.adding(seconds: interval)))
    }

    public var taskNames: [String] { entries.map(\.name) }

    /// When each task runs next.
    public var schedule: [(name: String, nextDue: Timestamp)] { entries.map { ($0.name, $0.nextDue) } }

    /// Starts one loop per task on the clock. `stop()` ends them (a running task finishes first).
    public func start() {
        guard loops.isEmpty else { return }
        for entry in entries {
            let clock = self.clock, logger = self.logger
            loops.append(Task {
                var next = entry.nextDue
                while !Task.isCancelled {
                    do { try await clock.sleep(until: next) } catch { return }
                    let started = clock.now()
                    logger.trace("periodic task \(entry.name) running")
                    await entry.body()
                    // oslo's spacing: the next run is `interval` after this one started (at once
                    // when the run took longer than that).
                    next = started.adding(seconds: entry.interval + (entry.jitter > 0 ? Double.random(in: 0...entry.jitter) : 0))
                }
            })
        }
    }

    public func stop() async {
        let running = loops
        loops = []
        for loop in running { loop.cancel() }
        for loop in running { await loop.value }
    }

    /// Virtual time: runs every task due at or before `time`, earliest first (tasks due at the
    /// same time in the order they were added), moving `clock` to each due time, then to `time`.
    public func advance(_ clock: VirtualClock, to time: Timestamp) async {
        while let index = entries.indices.min(by: { (entries[$0].nextDue, $0) < (entries[$1].nextDue, $1) }),
              entries[index].nextDue <= time {
            let due = entries[index].nextDue
            clock.advance(to: due)
            let started = clock.now()
            await entries[index].body()
            entries[index].nextDue = started.adding(seconds: entries[index].interval)
        }
        clock.advance(to: time)
    }
}
