import ClusterStore
import Foundation
import JSON
import MagnumObjects
import OsloMessaging
import Testing
import TestSupport
import Worker

/// The worker's `magnum_service` row, as magnum-api's service list reads it.
@Suite("Service heartbeat")
struct ServiceHeartbeatTests {
    @Test func firstReportRegistersThenEachReportCounts() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            let store = dbs[0].store
            let heartbeat = ServiceHeartbeat(store: store, host: "worker-7", logger: ConductorHarness.logger)
            #expect(await heartbeat.report())
            var row = try #require(try await store.magnumService(host: "worker-7", binary: "magnum-conductor"))
            #expect(row.reportCount == 1)
            #expect(row.disabled == false)
            #expect(row.forcedDown == false)
            #expect(row.lastSeenUp != nil)
            #expect(await heartbeat.report())
            #expect(await heartbeat.report())
            row = try #require(try await store.magnumService(host: "worker-7", binary: "magnum-conductor"))
            #expect(row.reportCount == 3)
            #expect(try await store.magnumServices(disabled: nil, options: .all).count == 1)
        }
    }

    @Test func anExistingRowIsTakenOverAndADeletedOneComesBack() async throws {
        try await MagnumDatabase.with(.sqlite) { dbs in
            let store = dbs[0].store
            // A Python conductor ran on this host before.
            _ = try await store.createMagnumService(["host": "worker-7", "binary": "magnum-conductor", "report_count": 41])
            let heartbeat = ServiceHeartbeat(store: store, host: "worker-7", logger: ConductorHarness.logger)
            #expect(await heartbeat.report())
            #expect(try await store.magnumService(host: "worker-7", binary: "magnum-conductor")?.reportCount == 42)

            // An operator removed the row: the next report fails, the one after registers again.
            let id = try #require(try await store.magnumService(host: "worker-7", binary: "magnum-conductor")?.id)
            try await store.destroyMagnumService(.id(id))
            #expect(await heartbeat.report() == false)
            #expect(await heartbeat.report())
            #expect(try await store.magnumService(host: "worker-7", binary: "magnum-conductor")?.reportCount == 1)
        }
    }

    /// magnum-api's `MagnumService.list` + `ServiceGroup.service_is_up` on the same database: the
    /// worker is `up` while it runs, `down` once it stopped for longer than `service_down_time`.
    @Test("magnum-api sees the worker up, then down", .enabled(if: TestEnvironment.pythonEnabled), arguments: Backend.allCases)
    func magnumAPISeesTheWorkerUpThenDown(_ backend: Backend) async throws {
        try await MagnumDatabase.with(backend) { dbs in
            let db = dbs[0]
            let host = "worker-\(backend)"
            let options = ConductorOptions(host: host, periodicEnable: false, serviceDownTime: 3, notificationDriver: .noop)
            #expect(options.heartbeatInterval == 1)
            let service = ConductorService(options: options, transport: await InMemoryBroker().connect(), store: db.store,
                                           drivers: ClusterDriverRegistry([]), logger: ConductorHarness.logger)
            try await service.start()
            try await Task.sleep(for: .milliseconds(1500))
            let up = try await Self.serviceList(db.url, downTime: 3)
            #expect(up.count == 1)
            #expect(up.first?["host"] == .string(host))
            #expect(up.first?["binary"] == "magnum-conductor")
            #expect(up.first?["state"] == "up", "\(up)")
            #expect((up.first?["report_count"]?.intValue ?? 0) >= 2)

            await service.stop()
            let count = try await db.store.magnumService(host: host, binary: "magnum-conductor")?.reportCount
            try await Task.sleep(for: .milliseconds(4500))
            let down = try await Self.serviceList(db.url, downTime: 3)
            #expect(down.first?["state"] == "down", "\(down)")
            // Nothing reported after the stop.
            #expect(down.first?["report_count"]?.intValue == count)
        }
    }

    static func serviceList(_ url: String, downTime: Int) async throws -> [JSONValue] {
        let answer = try await askConductorPeer(["op": "service_list", "connection": .string(url), "service_down_time": .int(Int64(downTime))])
        return answer.arrayValue ?? []
    }
}
