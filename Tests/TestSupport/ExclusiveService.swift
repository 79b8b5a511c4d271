/// Lets tests share a service (the run's one MariaDB server) while a fault test that restarts it
/// runs alone: ordinary tests hold a shared claim, the fault test an exclusive one. Waiters are
/// served in arrival order, so the exclusive test is not starved.
public actor ServiceGate {
    private var shared = 0
    private var exclusive = false
    private var queue: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []

    public init() {}

    private func acquire(exclusive wantsExclusive: Bool) async {
        if queue.isEmpty && !exclusive && (wantsExclusive ? shared == 0 : true) {
            if wantsExclusive { exclusive = true } else { shared += 1 }
            return
        }
        await withCheckedContinuation { queue.append((wantsExclusive, $0)) }
    }

    private func release(exclusive wasExclusive: Bool) {
        if wasExclusive { exclusive = false } else { shared -= 1 }
        while let next = queue.first {
            if next.exclusive {
                guard shared == 0 && !exclusive else { return }
                exclusive = true
            } else {
                guard !exclusive else { return }
                shared += 1
            }
            queue.removeFirst()
            next.continuation.resume()
        }
    }

    public func shared<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire(exclusive: false)
        do {
            let result = try await body()
            release(exclusive: false)
            return result
        } catch {
            release(exclusive: false)
            throw error
        }
    }

    public func exclusive<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire(exclusive: true)
        do {
            let result = try await body()
            release(exclusive: true)
            return result
        } catch {
            release(exclusive: true)
            throw error
        }
    }
}

extension TestEnvironment {
    /// Every test using the shared MariaDB server runs inside `mariadbGate.shared { }`; a test
    /// that stops or restarts it inside `mariadbGate.exclusive { }`.
    public static let mariadbGate = ServiceGate()
}
