import MagnumObjects
import Testing
import ClusterCertificates

@Suite struct ClusterCATypeTests {
    @Test func magnumsMappingOfCACertType() {
        #expect(ClusterCAType(magnumCACertType: nil) == .kubernetes)
        #expect(ClusterCAType(magnumCACertType: "kubernetes") == .kubernetes)
        #expect(ClusterCAType(magnumCACertType: "etcd") == .etcd)
        #expect(ClusterCAType(magnumCACertType: "front_proxy") == .frontProxy)
        #expect(ClusterCAType(magnumCACertType: "front-proxy") == .frontProxy)
        // Magnum falls back to the Kubernetes CA for anything else, case-sensitively.
        #expect(ClusterCAType(magnumCACertType: "ETCD") == .kubernetes)
        #expect(ClusterCAType(magnumCACertType: "service-account") == .kubernetes)
    }

    @Test func refsLiveInTheClusterFieldsMagnumUses() {
        var cluster = Cluster()
        for (i, type) in ClusterCAType.allCases.enumerated() { type.setRef("ref-\(i)", in: &cluster) }
        #expect(cluster.caCertRef == "ref-0")
        #expect(cluster.etcdCACertRef == "ref-1")
        #expect(cluster.frontProxyCACertRef == "ref-2")
        #expect(cluster.magnumCertRef == "ref-3")
        for type in ClusterCAType.allCases {
            #expect(cluster.base[type.clusterField]?.stringValue == type.ref(in: cluster))
        }
        #expect(ClusterCAType.allCases.map(\.capiHelmSecretSuffix) == ["ca", "etcd", "proxy", "sa"])
    }
}
