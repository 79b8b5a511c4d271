import JSON
import OpenStack
import Testing

@Suite struct ServiceCatalogTests {
    static let catalog = ServiceCatalog(json: [
        ["type": "volumev3", "name": "cinderv3", "endpoints": [
            ["interface": "public", "region_id": "RegionOne", "region": "RegionOne", "url": "https://cinder.one/v3/p/"],
            ["interface": "internal", "region_id": "RegionOne", "region": "RegionOne", "url": "http://cinder.one.internal/v3/p"],
            ["interface": "public", "region_id": "RegionTwo", "region": "RegionTwo", "url": "https://cinder.two/v3/p"],
        ]],
        ["type": "compute", "name": "nova", "endpoints": [
            ["interface": "public", "region": "RegionOne", "url": "https://nova.one/v2.1"],
        ]],
    ])

    @Test func selectsByTypeAliasInterfaceAndRegion() {
        let catalog = Self.catalog
        #expect(catalog.url(serviceType: "block-storage", interface: .public, region: "RegionOne") == "https://cinder.one/v3/p")
        #expect(catalog.url(serviceType: "block-storage", interface: .internal, region: "RegionOne") == "http://cinder.one.internal/v3/p")
        #expect(catalog.url(serviceType: "block-storage", interface: .public, region: "RegionTwo") == "https://cinder.two/v3/p")
        #expect(catalog.url(serviceType: "block-storage", interface: .admin, region: nil) == nil)
        #expect(catalog.url(serviceType: "compute", interface: .public, region: nil) == "https://nova.one/v2.1")
        #expect(catalog.url(serviceType: "image", interface: .public, region: nil) == nil)
        #expect(catalog.regions == ["RegionOne", "RegionTwo"])
    }

    @Test func configuredEndpointTypesAreUnderstood() {
        #expect(EndpointInterface(configured: "publicURL") == .public)
        #expect(EndpointInterface(configured: "internalURL") == .internal)
        #expect(EndpointInterface(configured: "admin") == .admin)
        #expect(EndpointInterface(configured: "private") == nil)
    }
}
