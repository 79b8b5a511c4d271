import CCurl
import Foundation
import Synchronization

/// libcurl is initialised once per process, before the first handle exists.
let curlGlobalInit: Bool = {
    curl_global_init(mcw_curl_global_all) == CURLE_OK
}()

/// The one place that drives libcurl: a multi handle owned by a dedicated thread.
///
/// Callers configure an easy handle on their own thread (it is not shared yet), then hand it over
/// through a locked command queue and `curl_multi_wakeup`. The thread sleeps in `curl_multi_poll`
/// until a socket is ready, a libcurl timer expires or a command arrives, so it never spins and
/// never blocks Swift's cooperative pool. Every libcurl callback runs on that thread. Connections
/// live in the multi handle's cache and are reused by later transfers to the same host (and
/// multiplexed when HTTP/2 was negotiated).
final class CurlEngine: @unchecked Sendable {
    enum Command {
        case add(CurlTransfer)
        case cancel(CurlTransfer)
        case resume(CurlTransfer)
        case shutdown
    }

    private struct Queue {
        var commands: [Command] = []
        var isShutDown = false
        /// Set by the engine thread just before it frees the multi handle.
        var isClosed = false
    }

    private let multi: UnsafeMutableRawPointer
    private let queue = Mutex(Queue())
    /// Transfers currently added to the multi handle, by easy handle. Engine thread only.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private let threadName: String

    init?(configuration: HTTPClientConfiguration, name: String) {
        guard curlGlobalInit, let multi = curl_multi_init() else { return nil }
        self.multi = multi
        self.threadName = name
        _ = mcw_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(0, configuration.maximumConnectionsPerHost))
        _ = mcw_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(1, configuration.maximumIdleConnections))
        _ = mcw_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        let thread = Thread { [self] in self.run() }
        thread.name = name
        thread.start()
    }

    /// Queues a command for the engine thread and wakes it. Returns false after shutdown.
    @discardableResult
    func submit(_ command: Command) -> Bool {
        // The wake-up happens under the lock so that it cannot race with the thread freeing the
        // multi handle (which marks the queue closed under the same lock first).
        queue.withLock { state -> Bool in
            if state.isShutDown || state.isClosed { return false }
            if case .shutdown = command { state.isShutDown = true }
            state.commands.append(command)
            curl_multi_wakeup(multi)
            return true
        }
    }

    private func run() {
        var running: Int32 = 0
        var shuttingDown = false
        while true {
            let commands = queue.withLock { state -> [Command] in
                let taken = state.commands
                state.commands.removeAll(keepingCapacity: true)
                return taken
            }
            for command in commands {
                switch command {
                case .add(let transfer):
                    if transfer.isCancelled {
                        transfer.complete(error: transfer.cancellationError())
                    } else if curl_multi_add_handle(multi, transfer.easy) == CURLM_OK {
                        active[transfer.easy] = transfer
                    } else {
                        transfer.complete(error: HTTPClientError(
                            kind: .other, method: transfer.method, url: transfer.url,
                            detail: "libcurl refused the transfer"))
                    }
                case .cancel(let transfer):
                    if active[transfer.easy] === transfer {
                        active.removeValue(forKey: transfer.easy)
                        curl_multi_remove_handle(multi, transfer.easy)
                        transfer.complete(error: transfer.cancellationError())
                    }
                case .resume(let transfer):
                    if active[transfer.easy] === transfer {
                        curl_easy_pause(transfer.easy, mcw_curlpause_cont)
                    }
                case .shutdown:
                    shuttingDown = true
                }
            }
            if shuttingDown {
                for (easy, transfer) in active {
                    curl_multi_remove_handle(multi, easy)
                    transfer.complete(error: HTTPClientError(kind: .shutdown, method: transfer.method, url: transfer.url))
                }
                active.removeAll()
                break
            }
            curl_multi_perform(multi, &running)
            var easy: UnsafeMutableRawPointer?
            var result = CURLE_OK
            while mcw_multi_info_read(multi, &easy, &result) == 1 {
                guard let done = easy, let transfer = active.removeValue(forKey: done) else { continue }
                curl_multi_remove_handle(multi, done)
                transfer.finish(result: result)
            }
            var descriptors: Int32 = 0
            curl_multi_poll(multi, nil, 0, 1000, &descriptors)
        }
        // Commands that raced with shutdown.
        let leftovers = queue.withLock { state -> [Command] in
            let taken = state.commands
            state.commands.removeAll()
            state.isClosed = true
            return taken
        }
        for case .add(let transfer) in leftovers {
            transfer.complete(error: HTTPClientError(kind: .shutdown, method: transfer.method, url: transfer.url))
        }
        curl_multi_cleanup(multi)
    }
}
