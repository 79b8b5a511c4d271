import ClusterStore
import Foundation
import JSON
import Logging
import OsloMessaging
import Testing
import TestSupport
import Worker

extension FaultRuns {
    /// The chaos run over a real RabbitMQ (a private node started by `tools/broker`, quorum queues as
    /// an operator running several workers would configure), with the broker restarted twice while
    /// casts are in flight (kill -9, then started again on the same data): the workers' transports reconnect by themselves, what was unsettled is
    /// delivered again, and the result is the same — every effect once, every status right.
    @Suite(.enabled(if: TestEnvironment.brokerEnabled, "needs RabbitMQ (tools/test)"), .serialized)
    struct BrokerRestartChaosTests {
        @Test(.timeLimit(.minutes(8)))
        func fiveHundredCastsTwoBrokerRestartsEveryEffectOnce() async throws {
            let broker = try await TestEnvironment.startPrivateBroker()
            defer { broker.destroy() }
            let rabbit = quorumRabbit
            let database = try SharedDatabase.sqlite()
            let ledger = EffectLedger()
            let options = ReliabilityOptions(leaseTime: 3, leaseAcquireTimeout: 30, maxDeliveries: 8, periodicJitter: 0)
            let magnumAPI = try await BrokerClient.connect(url: broker.url)
            let restarts = Counter()
            let url = broker.url
            let outcome = try await ClusterFaultRuns.ChaosTests.phases(
                label: "rabbitmq", database: database, ledger: ledger, client: magnumAPI.client,
                start: { host in
                    let transport = try await faultRunTransport(url: url)
                    // Driver calls last a second, so requests are surely in flight when the broker dies.
                    return try await TestWorker.start(host: host, transport: transport, disconnect: { await transport.close() }, rabbit: rabbit,
                                                      database: database, ledger: ledger, options: options, callDuration: .seconds(1))
                },
                fault: { _, _ in
                    // Restart the broker during the first and the third phase, while casts flow.
                    restarts.add(1)
                    guard [1, 3].contains(restarts.current) else { return }
                    // Once this phase's requests are being worked on.
                    let baseline = ledger.calls.count
                    for _ in 0..<6000 where ledger.calls.count < baseline + 5 { try await Task.sleep(for: .milliseconds(10)) }
                    let before = ledger.calls.count
                    let started = Date()
                    // Abruptly (kill -9), then started again on the same data: quorum queues keep
                    // what was confirmed; unsettled deliveries come back.
                    try await broker.control("kill")
                    try await broker.control("restart")
                    print("chaos[rabbitmq]: broker killed and restarted in \(Int(Date().timeIntervalSince(started) * 1000)) ms; driver calls before \(before), after \(ledger.calls.count)")
                })
            #expect(restarts.current == 5)
            // The restarts did catch requests in flight: their settlements were lost with the old
            // connections and the broker delivered them again (resumed, or recognised as done).
            #expect(outcome.redelivered + outcome.resumed > 0, "the restarts interrupted nothing")
            await magnumAPI.close()
            await database.cleanup()
        }
    }
}
