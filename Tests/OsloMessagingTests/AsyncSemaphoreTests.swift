@testable import OsloMessaging
import Synchronization
import Testing

@Suite struct AsyncSemaphoreTests {
    struct Counts {
        var holding = 0, most = 0, done = 0
    }

    final class Holders: Sendable {
        let state = Mutex(Counts())
    }

    final class Order: Sendable {
        let values = Mutex<[Int]>([])
    }

    @Test func atMostValueHoldersAndEveryWaiterGetsItsTurn() async {
        let semaphore = AsyncSemaphore(value: 3)
        let holders = Holders()
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                group.addTask {
                    await semaphore.acquire()
                    holders.state.withLock {
                        $0.holding += 1
                        $0.most = max($0.most, $0.holding)
                    }
                    if i % 3 == 0 { await Task.yield() }
                    if i % 17 == 0 { try? await Task.sleep(for: .milliseconds(1)) }
                    holders.state.withLock {
                        $0.holding -= 1
                        $0.done += 1
                    }
                    semaphore.release()
                }
            }
        }
        let final = holders.state.withLock { $0 }
        #expect(final.done == 200)
        #expect(final.most == 3)
        #expect(final.holding == 0)
        // Every permit came back: three more holders get in at once.
        await semaphore.acquire()
        await semaphore.acquire()
        await semaphore.acquire()
    }

    @Test func aReleaseWakesTheOldestWaiter() async throws {
        let semaphore = AsyncSemaphore(value: 1)
        await semaphore.acquire()
        let order = Order()
        var waiters: [Task<Void, Never>] = []
        for i in 0..<3 {
            waiters.append(Task {
                await semaphore.acquire()
                order.values.withLock { $0.append(i) }
                semaphore.release()
            })
            // Let each one start waiting before the next.
            try await Task.sleep(for: .milliseconds(20))
        }
        semaphore.release()
        for waiter in waiters { await waiter.value }
        #expect(order.values.withLock { $0 } == [0, 1, 2])
    }
}
