@testable import CapiHelmDriver
import Testing

/// The Python and oslo text rules labels and names go through (answers taken from Python 3.11
/// and oslo.utils).
@Suite("Python text rules")
struct PythonTextTests {
    @Test("int() accepts what Python accepts", arguments: [
        ("7", 7), (" 7 ", 7), ("1_0", 10), ("+4", 4), ("-3", -3), ("007", 7), ("0", 0),
    ] as [(String, Int)])
    func intAccepts(_ text: String, _ value: Int) {
        #expect(PythonText.int(text) == value)
    }

    @Test("int() refuses what Python refuses", arguments: ["1__0", "_1", "1_", "", "x", "3.5", "0x10", "- 3", "--3", "1 0", "20GB"])
    func intRefuses(_ text: String) {
        #expect(PythonText.int(text) == nil)
    }

    @Test("bool_from_string")
    func boolFromString() {
        for t in ["1", "t", "TRUE", " yes ", "On", "y"] { #expect(PythonText.boolFromString(t, default: false)) }
        for f in ["0", "f", "False", "no", "OFF", "n"] { #expect(!PythonText.boolFromString(f, default: true)) }
        #expect(PythonText.boolFromString("maybe", default: true))
        #expect(!PythonText.boolFromString("", default: false))
    }

    @Test("split_by_commas")
    func splitByCommas() {
        #expect(PythonText.splitByCommas("8.8.8.8") == ["8.8.8.8"])
        #expect(PythonText.splitByCommas("8.8.8.8, 1.1.1.1") == ["8.8.8.8", "1.1.1.1"])
        #expect(PythonText.splitByCommas("\"a,b\", c") == ["a,b", "c"])
        #expect(PythonText.splitByCommas(" a ") == ["a"])
        #expect(PythonText.splitByCommas("\"x\\\"y\"") == ["x\"y"])
        for bad in ["a,,b", "", "a b", "a\"b\"", "\"open"] { #expect(PythonText.splitByCommas(bad) == nil, "\(bad)") }
    }

    @Test("is_uuid_like")
    func uuidLike() {
        for yes in ["0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", "0C7F4A8651D54B579A447E7F1C1A9B02", "{0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02}",
                    "urn:uuid:0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", "0c7f4a86--51d5-4b57-9a44-7e7f1c1a9b02-"] {
            #expect(PythonText.isUUIDLike(yes), "\(yes)")
        }
        for no in ["0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b0", "tenant-net", "", "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b0g"] {
            #expect(!PythonText.isUUIDLike(no), "\(no)")
        }
    }

    @Test("sanitisers keep exactly their character classes")
    func sanitisers() {
        #expect(PythonText.sanitizeLabel("a b_c.d-e/f!@#é") == "a b_c.d-e/f")
        #expect(PythonText.sanitizeListEntry("2001:db8::/32;x y") == "2001:db8::/32xy")
        #expect(PythonText.sanitizeChartVersion("V0.24.0-RC.1+Build") == "0.24.0-.1+uild")
        #expect(PythonText.sanitizeKubeVersion("1.31.4+build!") == "1.31.4")
        #expect(PythonText.sanitizeOSDistro("Ubuntu 22.04!") == "Ubuntu 22.04")
        #expect(PythonText.sanitizeNetworkDriver("cil!ium_2.0") == "cilium_2.0")
    }

    @Test("sanitized_name")
    func sanitizedName() {
        #expect(PythonText.sanitizedName("Team_A's Very Long Cluster Name (prod) #1") == "team-a-s-very-long-cluster-name-prod-1")
        #expect(PythonText.sanitizedName("___") == "")
        #expect(PythonText.sanitizedName("") == nil)
        #expect(PythonText.sanitizedName(nil) == nil)
        #expect(PythonText.sanitizedName("prod", suffix: "GPU Pool") == "prod-gpu-pool")
        #expect(PythonText.sanitizedName("prod", suffix: "") == "prod")
    }
}
