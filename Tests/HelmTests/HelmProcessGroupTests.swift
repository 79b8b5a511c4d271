import Foundation
import Helm
import JSON
import Testing

/// helm runs in its own process group, and a deadline, a cancelled task or a normal exit leaves
/// nothing of that group alive.
@Suite struct HelmProcessGroupTests {
    static let request = HelmUpgradeRequest(
        release: "rel", chart: HelmChartReference(name: "c", repository: "https://r"), namespace: "ns",
        values: ["kubernetesVersion": "1.31.4"], timeout: .milliseconds(400))

    /// Fake helm bodies: `$CALL/child` gets the pid of a child in helm's process group.
    static let forkAndSleep = """
        sleep 30 &
        echo $! > "$CALL/child"
        wait
        """
    static let childIgnoresTerm = """
        sh -c 'trap "" TERM; exec sleep 30' &
        echo $! > "$CALL/child"
        wait
        """
    static let everyoneIgnoresTerm = """
        trap '' TERM
        sh -c 'trap "" TERM; exec sleep 30' &
        echo $! > "$CALL/child"
        while :; do sleep 0.05; done
        """

    func childPID(_ run: FakeHelm.Run) throws -> Int32 {
        let text = try String(contentsOfFile: "\(run.directory)/child", encoding: .utf8)
        return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    func executor(_ fake: FakeHelm) -> HelmCommandExecutor {
        HelmCommandExecutor(
            configuration: .testing(helm: fake.path, gracePeriod: .milliseconds(500), deadlineMargin: .zero),
            logger: CapturedLogs().logger)
    }

    @Test(arguments: [forkAndSleep, childIgnoresTerm, everyoneIgnoresTerm])
    func deadlineTerminatesTheWholeGroup(body: String) async throws {
        let fake = try FakeHelm(body: body)
        defer { fake.remove() }
        let executor = executor(fake)
        defer { executor.shutdown() }
        let started = ContinuousClock.now
        let error = await #expect(throws: HelmError.self) { _ = try await executor.upgradeInstall(Self.request) }
        #expect(error?.kind == .timedOut)
        #expect(error?.exitStatus == nil)
        #expect(error?.detail.contains("did not finish within 400ms") == true)
        #expect(ContinuousClock.now - started < .seconds(10))
        let run = try fake.onlyRun()
        let child = try childPID(run)
        #expect(!processIsAlive(run.pid), "helm survived")
        #expect(!processIsAlive(child), "helm's child survived")
    }

    @Test func cancellationTerminatesTheWholeGroupAndRemovesTheKubeconfig() async throws {
        let fake = try FakeHelm(body: Self.childIgnoresTerm)
        defer { fake.remove() }
        let executor = executor(fake)
        defer { executor.shutdown() }
        var request = Self.request
        request.timeout = .seconds(300)
        request.kubeconfig = .content("apiVersion: v1\nkind: Config\n")
        let task = Task { [request] in try await executor.upgradeInstall(request) }
        let started = await eventually(within: 10) {
            (try? fake.runs().first.map { FileManager.default.fileExists(atPath: "\($0.directory)/child") }) == true
        }
        #expect(started)
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        let run = try fake.onlyRun()
        #expect(!processIsAlive(run.pid))
        #expect(!processIsAlive(try childPID(run)))
        let kubeconfig = try #require(run.kubeconfigPath)
        #expect(!FileManager.default.fileExists(atPath: kubeconfig))
    }

    @Test func childrenLeftBehindByANormalExitAreTerminated() async throws {
        let output = HelmCommandExecutorTests.releaseOutput(name: "rel", namespace: "ns")
        let fake = try FakeHelm(body: """
            sleep 30 >/dev/null 2>&1 &
            echo $! > "$CALL/child"
            \(FakeHelm.printing(output))
            """)
        defer { fake.remove() }
        let executor = executor(fake)
        defer { executor.shutdown() }
        var request = Self.request
        request.timeout = .seconds(30)
        let release = try await executor.upgradeInstall(request)
        #expect(release.status == .deployed)
        let child = try childPID(try fake.onlyRun())
        #expect(!processIsAlive(child), "a process of helm's group outlived the call")
    }

    @Test func helmLeadsItsOwnProcessGroup() async throws {
        let fake = try FakeHelm(body: FakeHelm.printing("v3.17.2"))
        defer { fake.remove() }
        let executor = executor(fake)
        defer { executor.shutdown() }
        _ = try await executor.version()
        let run = try fake.onlyRun()
        #expect(run.processGroup == run.pid)
        #expect(run.processGroup != getpgrp())
    }
}
