import CapiHelmDriver
import JSON
import MagnumObjects
import Testing

@Suite("Names on the management cluster")
struct CapiNamingTests {
    @Test("namespace: prefix and the project id's lower-case letters and digits")
    func namespace() {
        #expect(CapiNaming.namespace(projectId: "9B3C2F0E-6a4d", prefix: "magnum") == "magnum-9b3c2f0e6a4d")
        #expect(CapiNaming.namespace(projectId: "Proj-ID_With.Odd", prefix: "capi") == "capi-projidwithodd")
    }

    @Test("release name: sanitised, cut to 30, random suffix")
    func releaseName() {
        #expect(CapiNaming.releaseName(clusterName: "Team_A's Very Long Cluster Name (prod) #1", randomSuffix: "x9k2m4p7q1w3")
            == "team-a-s-very-long-cluster-nam-x9k2m4p7q1w3")
        #expect(CapiNaming.releaseName(clusterName: "prod-east", randomSuffix: "abc") == "prod-east-abc")
    }

    @Test("resource names and labels")
    func resources() {
        #expect(CapiNaming.resourceName(release: "prod-east-x9k2m4p7q1w3", "GPU_Pool #2") == "prod-east-x9k2m4p7q1w3-gpu-pool-2")
        #expect(CapiNaming.resourceName(release: nil, "control-plane") == nil)
        var cluster = Cluster()
        cluster.projectId = String(repeating: "p", count: 70)
        cluster.userId = "u"
        cluster.uuid = "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02"
        let labels = CapiNaming.resourceLabels(cluster: cluster, release: "r")
        #expect(labels["magnum.openstack.org/project-id"] == .string(String(repeating: "p", count: 63)))
        #expect(labels["cluster.x-k8s.io/cluster-name"] == "r")
    }

    @Test("short ids are 12 base32 characters")
    func shortID() {
        var rng = SplitMix64(seed: 7)
        let id = ShortID.generate(using: &rng)
        #expect(id.count == 12)
        #expect(id.allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })
        #expect(ShortID.generate() != ShortID.generate())
    }
}
