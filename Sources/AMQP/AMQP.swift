// The AMQP 0-9-1 client the worker talks to RabbitMQ with. The only module that calls librabbitmq.
internal import CRabbitMQ

/// Version of the librabbitmq the worker is linked with, for `--version` and startup logs.
public var librabbitmqVersion: String { String(cString: amqp_version()) }
