public import ClusterStore
import JSON
public import Logging
public import MagnumObjects

/// The worker's row in `magnum_service`, what `openstack coe service list` shows
/// (`magnum/servicegroup/magnum_service_periodic.py`): found by (host, binary) or created on the
/// first report, then `report_count` incremented on every report, which makes the database stamp
/// `last_seen_up`. magnum-api shows the service `up` while `last_seen_up` is at most
/// `[DEFAULT] service_down_time` seconds old.
///
/// A failed report is logged and retried at the next interval; a row deleted under the worker
/// (by an operator) is created again at the next report.
public actor ServiceHeartbeat {
    public nonisolated let host: String
    public nonisolated let binary: String
    let store: any ClusterStore
    let logger: Logger
    private var service: MagnumService?
    private var failures = 0

    public static let conductorBinary = "magnum-conductor"

    public init(store: any ClusterStore, host: String, binary: String = ServiceHeartbeat.conductorBinary, logger: Logger) {
        self.store = store
        self.host = host
        self.binary = binary
        self.logger = logger
    }

    /// The row as last written.
    public var current: MagnumService? { service }

    /// `update_magnum_service`: one heartbeat. Returns whether it was recorded.
    @discardableResult
    public func report() async -> Bool {
        do {
            var row: MagnumService
            if let service {
                row = service
            } else if let existing = try await store.magnumService(host: host, binary: binary) {
                row = existing
            } else {
                var new = MagnumService()
                new.host = host
                new.binary = binary
                row = try await store.create(new)
                logger.info("registered in magnum_service", metadata: ["host": "\(host)", "binary": "\(binary)"])
            }
            row.reportCount = (row.reportCount ?? 0) + 1
            service = try await store.save(row)
            if failures > 0 {
                logger.info("service heartbeat recorded again after \(failures) failure(s)")
                failures = 0
            }
            return true
        } catch let error as MagnumError where error.className == "MagnumServiceNotFound" {
            logger.warning("magnum_service row for \(host)/\(binary) disappeared; it is created again at the next report")
            service = nil
        } catch {
            failures += 1
            logger.error("could not record the service heartbeat: \(error)")
        }
        return false
    }
}
