import Helm
import JSON
import Testing

/// Reading helm's release documents and versions.
@Suite struct HelmReleaseTests {
    @Test func parsesHelm3And4UpgradeOutput() throws {
        // Captured from helm 3.17.2 and 4.1.4 (`upgrade --install --output json` of a chart "empty").
        let helm3 = #"{"name":"rel","info":{"first_deployed":"2026-11-26T04:53:40.855017368Z","last_deployed":"2026-11-26T04:53:40.855017368Z","deleted":"","description":"Install complete","status":"deployed"},"chart":{"metadata":{"name":"empty","version":"0.1.0","apiVersion":"v2"},"lock":null,"templates":null,"values":null,"schema":null,"files":null},"config":{"a":{"b":1}},"version":1,"namespace":"ns"}"#
        let helm4 = #"{"name":"rel","info":{"first_deployed":"2026-11-26T04:53:53.612681435Z","last_deployed":"2026-11-26T04:53:53.612681435Z","description":"Install complete","status":"deployed"},"chart":{"metadata":{"name":"empty","version":"0.1.0","apiVersion":"v2"},"lock":null,"templates":null,"values":null,"schema":null,"schemamodtime":"0001-01-01T00:00:00Z","files":null,"modtime":"2026-11-26T04:53:30.476002302Z"},"config":{"a":1},"version":1,"namespace":"ns","apply_method":"ssa"}"#
        for text in [helm3, helm4] {
            let release = try #require(HelmRelease(helmOutput: try JSONValue(parsing: text)))
            #expect(release.name == "rel")
            #expect(release.namespace == "ns")
            #expect(release.revision == 1)
            #expect(release.status == .deployed)
            #expect(!release.status.isPending)
            #expect(release.chartName == "empty")
            #expect(release.chartVersion == "0.1.0")
            #expect(release.appVersion == nil)
            #expect(HelmRelease(helmOutput: release.json) == release)
        }
    }

    @Test func rejectsDocumentsThatAreNotReleases() throws {
        #expect(HelmRelease(helmOutput: ["name": "x"]) == nil)
        #expect(HelmRelease(helmOutput: .array([])) == nil)
    }

    @Test func pendingStates() {
        #expect(HelmRelease.Status.pendingInstall.isPending)
        #expect(HelmRelease.Status(rawValue: "pending-upgrade").isPending)
        #expect(!HelmRelease.Status.failed.isPending)
    }

    @Test(arguments: [
        ("v3.17.2", HelmVersion(major: 3, minor: 17, patch: 2)),
        ("v3.17.2+gcc0bbbd", HelmVersion(major: 3, minor: 17, patch: 2)),
        ("v4.1.4\n", HelmVersion(major: 4, minor: 1, patch: 4)),
        ("3.8.0-rc.1", HelmVersion(major: 3, minor: 8, patch: 0)),
    ])
    func parsesVersions(text: String, version: HelmVersion) {
        #expect(HelmVersion(parsing: text) == version)
    }

    @Test func rejectsNonVersions() {
        for text in ["", "v3", "version.BuildInfo{}", "v3.x.1"] {
            #expect(HelmVersion(parsing: text) == nil)
        }
    }

    @Test func versionsOrder() {
        #expect(HelmVersion(major: 3, minor: 7, patch: 9) < HelmVersion.minimumSupported)
        #expect(HelmVersion(major: 3, minor: 17, patch: 2) > HelmVersion.minimumSupported)
        #expect(HelmVersion(major: 4, minor: 0, patch: 0) > HelmVersion(major: 3, minor: 99, patch: 99))
    }
}
