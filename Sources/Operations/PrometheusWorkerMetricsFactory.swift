public import CoreMetrics
public import Prometheus

/// swift-metrics → Prometheus, with the worker's help texts and histogram buckets: metrics named
/// in `WorkerMetrics.descriptors` are registered with their `# HELP` line and buckets; any other
/// metric (from libraries) goes through swift-prometheus' own factory unchanged.
public struct PrometheusWorkerMetricsFactory: MetricsFactory {
    public let registry: PrometheusCollectorRegistry
    private let fallback: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        var fallback = PrometheusMetricsFactory(registry: registry)
        for descriptor in WorkerMetrics.descriptors where descriptor.kind == .histogram {
            fallback.durationHistogramBuckets[descriptor.name] = descriptor.buckets.map(Self.duration)
            fallback.valueHistogramBuckets[descriptor.name] = descriptor.buckets
        }
        self.fallback = fallback
    }

    static func duration(_ seconds: Double) -> Duration {
        .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    private func nameDescriptor(_ descriptor: WorkerMetricDescriptor) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: descriptor.name, unitName: "", helpText: descriptor.help)
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let descriptor = WorkerMetrics.descriptorsByName[label] else {
            return fallback.makeCounter(label: label, dimensions: dimensions)
        }
        return registry.makeCounter(descriptor: nameDescriptor(descriptor), labels: dimensions)
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        guard let descriptor = WorkerMetrics.descriptorsByName[label] else {
            return fallback.makeFloatingPointCounter(label: label, dimensions: dimensions)
        }
        return registry.makeCounter(descriptor: nameDescriptor(descriptor), labels: dimensions)
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard let descriptor = WorkerMetrics.descriptorsByName[label] else {
            return fallback.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
        }
        if aggregate {
            return registry.makeValueHistogram(descriptor: nameDescriptor(descriptor), labels: dimensions,
                                               buckets: descriptor.buckets)
        }
        return registry.makeGauge(descriptor: nameDescriptor(descriptor), labels: dimensions)
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        guard let descriptor = WorkerMetrics.descriptorsByName[label] else {
            return fallback.makeMeter(label: label, dimensions: dimensions)
        }
        return registry.makeGauge(descriptor: nameDescriptor(descriptor), labels: dimensions)
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        guard let descriptor = WorkerMetrics.descriptorsByName[label] else {
            return fallback.makeTimer(label: label, dimensions: dimensions)
        }
        return registry.makeDurationHistogram(descriptor: nameDescriptor(descriptor), labels: dimensions,
                                              buckets: descriptor.buckets.map(Self.duration))
    }

    public func destroyCounter(_ handler: any CounterHandler) { fallback.destroyCounter(handler) }
    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        fallback.destroyFloatingPointCounter(handler)
    }
    public func destroyRecorder(_ handler: any RecorderHandler) { fallback.destroyRecorder(handler) }
    public func destroyMeter(_ handler: any MeterHandler) { fallback.destroyMeter(handler) }
    public func destroyTimer(_ handler: any TimerHandler) { fallback.destroyTimer(handler) }
}

/// The process-wide metrics bootstrap.
public enum OperationsMetrics {
    /// Makes swift-metrics record into `registry` (once per process, as swift-metrics requires)
    /// and returns the registry `/metrics` serves.
    @discardableResult
    public static func bootstrap(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry())
        -> PrometheusCollectorRegistry
    {
        MetricsSystem.bootstrap(PrometheusWorkerMetricsFactory(registry: registry))
        return registry
    }
}
