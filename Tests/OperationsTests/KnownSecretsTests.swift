import Operations
import OsloConfig
import Testing

/// Secrets known at run time are hidden verbatim, whatever the surrounding text.
@Suite struct KnownSecretsTests {
    @Test func urlsRegisterTheirPasswordsNotTheirHosts() {
        let secrets = KnownSecrets()
        secrets.register("rabbit://openstack:pa%40ss@mq1:5672,openstack:second-pass@mq2:5672/")
        let values = secrets.values
        #expect(values.contains("pa%40ss"))
        #expect(values.contains("pa@ss"))
        #expect(values.contains("second-pass"))
        #expect(!values.contains { $0.contains("mq1") })
        let out = LogRedactor(knownSecrets: secrets).redact("user typed pa@ss and second-pass on mq1")
        #expect(out == "user typed *** and *** on mq1")
    }

    @Test func shortValuesAreNotRegistered() {
        let secrets = KnownSecrets(["abc", ""])
        #expect(secrets.isEmpty)
        #expect(LogRedactor(knownSecrets: secrets).redact("abc is the alphabet") == "abc is the alphabet")
    }

    @Test func longestSecretsAreReplacedFirst() {
        let secrets = KnownSecrets(["secretvalue", "secretvalue-longer"])
        #expect(LogRedactor(knownSecrets: secrets).redact("x secretvalue-longer y") == "x *** y")
    }

    @Test func everySecretOptionOfAConfigurationIsRegistered() throws {
        let registry = OptionRegistry([
            OptionSpec("DEFAULT", "transport_url", .string, secret: true, help: "broker"),
            OptionSpec("database", "connection", .string, secret: true, help: "db"),
            OptionSpec("keystone_authtoken", "password", .string, secret: true, help: "pw"),
            OptionSpec("keystone_authtoken", "username", .string, help: "user"),
        ])
        let file = try ConfigFile(path: "magnum.conf", contents: """
            [DEFAULT]
            transport_url = rabbit://magnum:RabbitPass1@mq:5672/
            [database]
            connection = mysql+pymysql://magnum:DbPass22@db/magnum
            [keystone_authtoken]
            username = magnum
            password = KeystonePass333
            """)
        let secrets = KnownSecrets()
        secrets.registerSecrets(of: Configuration(registry: registry, files: [file]))
        let out = LogRedactor(knownSecrets: secrets).redact("RabbitPass1 DbPass22 KeystonePass333 magnum")
        #expect(out == "*** *** *** magnum")
    }
}
