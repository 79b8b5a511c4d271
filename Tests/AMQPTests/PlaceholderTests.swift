import AMQP
import Testing

@Test func linksLibrabbitmq() {
    #expect(librabbitmqVersion.hasPrefix("0."))
}
