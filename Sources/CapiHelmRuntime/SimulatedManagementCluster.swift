public import CapiHelmDriver
public import Foundation
public import JSON
public import Logging

/// **A simulation, not a cluster.** For demos and the quickstart (`[capi_worker]
/// management_cluster = simulated`): it answers the driver's reads as a Cluster API management
/// cluster would for the releases helm installed, so the whole status lifecycle can be shown
/// without Kubernetes:
///
/// - after an install or upgrade, the release's Cluster, KubeadmControlPlane, OpenStackCluster,
///   one MachineDeployment per `nodeGroups` entry of the values, their Machines and the addon
///   HelmReleases exist at once but report progress (provisioning, rolling update, scaling),
///   and all become Ready `delay` seconds later;
/// - node groups dropped from the values are deleting for `delay` seconds, then gone;
/// - after an uninstall, everything is deleting (deletionTimestamp) for `delay` seconds, then
///   gone, so the status sync reaches DELETE_COMPLETE.
///
/// The objects are v1beta1-shaped, derived only from the values helm would have received (sizes,
/// versions, addons enabled), and marked with the annotation `magnum-capi-worker/simulated`.
/// API addresses are from TEST-NET-1 (192.0.2.0/24, RFC 5737). Without a `SharedEventLog` the
/// simulation lives in this process's memory; with one (`[capi_worker] offline_state_dir`),
/// every install, uninstall and annotation is an event in the shared file, so several worker
/// processes (and a restarted one) simulate one management cluster.
public actor SimulatedManagementCluster {
    /// Annotation on every simulated object.
    public static let marker = "magnum-capi-worker/simulated"

    public let delay: Double
    let controlPlaneConditions: [String]
    let now: @Sendable () -> Date
    let logger: Logger

    struct NodeGroupState {
        var machines: [String]
        var nextMachine: Int
        /// When the group left the values (deleting until `removedAt + delay`).
        var removedAt: Date?
    }

    struct Release {
        var name: String
        var namespace: String
        var values: JSONValue
        var createdAt: Date
        var changedAt: Date
        var uninstalledAt: Date?
        /// The control plane version before the last change (reported while rolling out).
        var previousVersion: String?
        var becameReadyOnce: Bool
        var groups: [String: NodeGroupState]
        var controlPlaneMachines: [String]
        var annotations: [String: [String: String]]
    }

    var releases: [String: Release] = [:]
    let log: SharedEventLog?

    /// `controlPlaneConditions` are `[capi_helm] k8s_control_plane_resource_conditions` (all
    /// reported True once ready).
    public init(delay: Double, controlPlaneConditions: [String] = ["MachinesReady", "Ready", "EtcdClusterHealthy", "ControlPlaneComponentsHealthy"],
                now: @escaping @Sendable () -> Date = { Date() }, log: SharedEventLog? = nil, logger: Logger) {
        self.delay = max(0, delay)
        self.log = log
        self.controlPlaneConditions = controlPlaneConditions
        self.now = now
        self.logger = logger
    }

    static func key(_ namespace: String, _ release: String) -> String { "\(namespace)/\(release)" }

    /// The releases simulated now (`namespace/release`), sorted.
    public func releaseNames() throws -> [String] {
        try catchUp()
        purge(at: now())
        return releases.keys.sorted()
    }

    // MARK: Events (this process's and, with a shared log, every other process's)

    /// Applies the events other processes logged since the last look.
    func catchUp() throws {
        try SharedEventLog.catchUp(log) { apply($0) }
    }

    /// Logs and applies the event `decide` makes from the state brought up to date (none: no
    /// change); whether there was one.
    func change(_ decide: () -> JSONValue?) throws -> Bool {
        try SharedEventLog.change(log, apply: { apply($0) }, decide: decide)
    }

    func apply(_ event: JSONValue) {
        guard let release = event["release"]?.stringValue, let namespace = event["namespace"]?.stringValue,
              let at = event["at"]?.doubleValue else { return }
        let time = Date(timeIntervalSince1970: at)
        switch event["event"]?.stringValue {
        case "installed": applyInstalled(release: release, namespace: namespace, values: event["values"] ?? [:], at: time)
        case "uninstalled":
            purge(at: time)
            let key = Self.key(namespace, release)
            if releases[key] != nil, releases[key]?.uninstalledAt == nil { releases[key]?.uninstalledAt = time }
        case "annotated":
            purge(at: time)
            var annotations: [String: String] = [:]
            for (key, value) in event["annotations"]?.objectValue ?? [:] { annotations[key] = value.stringValue ?? "" }
            for (key, state) in releases where state.namespace == namespace {
                guard state.controlPlaneMachines.contains(release) || state.groups.values.contains(where: { $0.machines.contains(release) }) else { continue }
                releases[key]?.annotations[release, default: [:]].merge(annotations) { $1 }
                break
            }
        default: break
        }
    }

    static func event(_ kind: String, release: String, namespace: String, at time: Date, _ extra: JSONObject = [:]) -> JSONValue {
        var object: JSONObject = ["event": .string(kind), "release": .string(release), "namespace": .string(namespace),
                                  "at": .double(time.timeIntervalSince1970)]
        for (key, value) in extra { object[key] = value }
        return .object(object)
    }

    // MARK: What helm did

    /// A `helm upgrade --install` of `release` with `values`.
    public func installed(release: String, namespace: String, values: JSONValue) throws {
        let event = Self.event("installed", release: release, namespace: namespace, at: now(), ["values": values])
        _ = try change { event }
        logger.info("simulated management cluster: release installed", metadata: [
            "helm_release": "\(release)", "namespace": "\(namespace)", "ready_in_seconds": "\(delay)",
        ])
    }

    func applyInstalled(release: String, namespace: String, values: JSONValue, at time: Date) {
        purge(at: time)
        let key = Self.key(namespace, release)
        var state = releases[key] ?? Release(
            name: release, namespace: namespace, values: values, createdAt: time, changedAt: time, uninstalledAt: nil,
            previousVersion: nil, becameReadyOnce: false, groups: [:], controlPlaneMachines: [], annotations: [:])
        if releases[key] != nil {
            state.becameReadyOnce = state.becameReadyOnce || isReady(state, at: time)
            state.previousVersion = Self.kubernetesVersion(state.values)
        }
        state.values = values
        state.changedAt = time
        state.uninstalledAt = nil
        // Control plane machines follow machineCount.
        state.controlPlaneMachines = Self.resize(state.controlPlaneMachines, to: Self.controlPlaneCount(values),
                                                 prefix: "\(release)-control-plane", annotations: state.annotations, counter: nil).names
        let wanted = Self.nodeGroups(values)
        for (name, count) in wanted {
            var group = state.groups[name] ?? NodeGroupState(machines: [], nextMachine: 0, removedAt: nil)
            group.removedAt = nil
            let resized = Self.resize(group.machines, to: count, prefix: Self.deploymentName(release, name),
                                      annotations: state.annotations, counter: group.nextMachine)
            group.machines = resized.names
            group.nextMachine = resized.counter
            state.groups[name] = group
        }
        for (name, var group) in state.groups where !wanted.contains(where: { $0.name == name }) && group.removedAt == nil {
            group.removedAt = time
            state.groups[name] = group
        }
        releases[key] = state
    }

    /// A `helm uninstall`; false when there was no such release.
    @discardableResult
    public func uninstalled(release: String, namespace: String) throws -> Bool {
        let time = now()
        var existed = false
        _ = try change {
            purge(at: time)
            guard let state = releases[Self.key(namespace, release)] else { return nil }
            existed = true
            // Uninstalling again changes nothing (the first uninstall's time stands).
            guard state.uninstalledAt == nil else { return nil }
            return Self.event("uninstalled", release: release, namespace: namespace, at: time)
        }
        if existed {
            logger.info("simulated management cluster: release uninstalled", metadata: [
                "helm_release": "\(release)", "namespace": "\(namespace)", "gone_in_seconds": "\(delay)",
            ])
        }
        return existed
    }

    /// The `cluster.x-k8s.io/delete-machine` annotation and friends (remove_specific_nodes);
    /// false when there is no such machine. (`release` in the event is the machine's name.)
    public func annotateMachine(name: String, namespace: String, annotations: [String: String]) throws -> Bool {
        let time = now()
        var values = JSONObject()
        for key in annotations.keys.sorted() { values[key] = .string(annotations[key] ?? "") }
        return try change {
            purge(at: time)
            let exists = releases.values.contains { state in
                state.namespace == namespace
                    && (state.controlPlaneMachines.contains(name) || state.groups.values.contains { $0.machines.contains(name) })
            }
            guard exists else { return nil }
            return Self.event("annotated", release: name, namespace: namespace, at: time, ["annotations": .object(values)])
        }
    }

    // MARK: What the driver reads

    public func cluster(name: String, namespace: String) throws -> JSONValue? {
        try catchUp()
        purge(at: now())
        guard let state = releases[Self.key(namespace, name)] else { return nil }
        return clusterObject(state, at: now())
    }

    public func openStackCluster(name: String, namespace: String) throws -> JSONValue? {
        try catchUp()
        purge(at: now())
        guard let state = releases[Self.key(namespace, name)] else { return nil }
        let time = now()
        let ready = isReady(state, at: time) || state.becameReadyOnce
        return object(state, apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "OpenStackCluster", name: state.name, at: time,
                      spec: ["controlPlaneEndpoint": endpoint(state, at: time)],
                      status: ["ready": .bool(ready), "conditions": .array([Self.condition("Ready", ready, reason: "Provisioning")])])
    }

    public func controlPlane(name: String, namespace: String) throws -> JSONValue? {
        try catchUp()
        purge(at: now())
        guard let state = releases.values.first(where: { $0.namespace == namespace && "\($0.name)-control-plane" == name }) else { return nil }
        let time = now()
        let ready = isReady(state, at: time)
        let replicas = Self.controlPlaneCount(state.values)
        let version = Self.kubernetesVersion(state.values)
        let firstRollout = !state.becameReadyOnce
        var conditions: [JSONValue] = []
        for type in controlPlaneConditions + ["Available", "CertificatesAvailable", "MachinesCreated"] where !conditions.contains(where: { $0["type"]?.stringValue == type }) {
            let holds = ready || (!firstRollout && type != "Ready" && type != "MachinesReady")
            conditions.append(Self.condition(type, holds, reason: firstRollout ? "WaitingForControlPlane" : "RollingUpdateInProgress"))
        }
        let status: JSONObject = [
            "replicas": .int(Int64(ready || !firstRollout ? replicas : 0)),
            "updatedReplicas": .int(Int64(ready ? replicas : 0)),
            "readyReplicas": .int(Int64(ready || !firstRollout ? replicas : 0)),
            "unavailableReplicas": .int(Int64(ready ? 0 : replicas)),
            "version": JSONValue(ready ? version : (state.previousVersion ?? version)),
            "initialized": .bool(ready || !firstRollout),
            "ready": .bool(ready || !firstRollout),
            "conditions": .array(conditions),
        ]
        return object(state, apiVersion: "controlplane.cluster.x-k8s.io/v1beta1", kind: "KubeadmControlPlane", name: name, at: time,
                      spec: ["replicas": .int(Int64(replicas)), "version": JSONValue(version)], status: .object(status))
    }

    public func machineDeployment(name: String, namespace: String) throws -> JSONValue? {
        try catchUp()
        purge(at: now())
        let time = now()
        for state in releases.values where state.namespace == namespace {
            for (group, info) in state.groups where Self.deploymentName(state.name, group) == name {
                let count = info.machines.count
                let deleting = info.removedAt != nil
                let ready = isReady(state, at: time) && !deleting
                let phase = deleting ? "ScalingDown" : ready ? "Running" : "ScalingUp"
                var object = self.object(state, apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineDeployment", name: name, at: time,
                                         spec: ["clusterName": .string(state.name), "replicas": .int(Int64(count))],
                                         status: ["phase": .string(phase), "replicas": .int(Int64(count)),
                                                  "updatedReplicas": .int(Int64(ready ? count : 0)), "readyReplicas": .int(Int64(ready ? count : 0)),
                                                  "availableReplicas": .int(Int64(ready ? count : 0)),
                                                  "conditions": .array([Self.condition("Ready", ready, reason: phase)])])
                if let removed = info.removedAt { object = Self.deleting(object, since: removed) }
                return object
            }
        }
        return nil
    }

    /// Addon HelmReleases (`addons.stackhpc.com`) of the releases the labels select.
    public func addons(labels: LabelSelector, namespace: String) throws -> [JSONValue] {
        try catchUp()
        purge(at: now())
        let time = now()
        var out: [JSONValue] = []
        for state in releases.values.sorted(by: { $0.name < $1.name }) where state.namespace == namespace {
            let ready = isReady(state, at: time)
            for addon in Self.addonNames(state.values) {
                var object = self.object(state, apiVersion: "addons.stackhpc.com/v1alpha1", kind: "HelmRelease", name: "\(state.name)-\(addon)",
                                         at: time, labels: ["addons.stackhpc.com/cluster": state.name, "addons.stackhpc.com/release-name": addon],
                                         spec: ["clusterName": .string(state.name), "releaseName": .string(addon)],
                                         status: ["phase": .string(ready ? "Deployed" : (state.becameReadyOnce ? "Upgrading" : "Installing"))])
                if let since = state.uninstalledAt { object = Self.deleting(object, since: since) }
                if Self.matches(object, labels) { out.append(object) }
            }
        }
        return out
    }

    /// Machines of the releases that the labels select.
    public func machines(labels: LabelSelector, namespace: String) throws -> [JSONValue] {
        try catchUp()
        purge(at: now())
        let time = now()
        var out: [JSONValue] = []
        for state in releases.values.sorted(by: { $0.name < $1.name }) where state.namespace == namespace {
            let ready = isReady(state, at: time)
            for name in state.controlPlaneMachines {
                let machine = machineObject(state, name: name, at: time, ready: ready || state.becameReadyOnce, labels: [
                    "cluster.x-k8s.io/control-plane": "", "capi.stackhpc.com/component": "control-plane",
                ], removedAt: nil)
                if Self.matches(machine, labels) { out.append(machine) }
            }
            for (group, info) in state.groups.sorted(by: { $0.key < $1.key }) {
                for name in info.machines {
                    let machine = machineObject(state, name: name, at: time, ready: ready && info.removedAt == nil, labels: [
                        "capi.stackhpc.com/component": "worker", "capi.stackhpc.com/node-group": group,
                        "cluster.x-k8s.io/deployment-name": Self.deploymentName(state.name, group),
                    ], removedAt: info.removedAt)
                    if Self.matches(machine, labels) { out.append(machine) }
                }
            }
        }
        return out
    }

    // MARK: Objects

    func isReady(_ state: Release, at time: Date) -> Bool {
        state.uninstalledAt == nil && time.timeIntervalSince(state.changedAt) >= delay
    }

    /// Forgets what is gone at `time`: uninstalled releases and removed node groups past the delay.
    func purge(at time: Date) {
        for (key, var state) in releases {
            if let gone = state.uninstalledAt, time.timeIntervalSince(gone) >= delay {
                releases.removeValue(forKey: key)
                continue
            }
            var changed = false
            for (name, group) in state.groups {
                if let removed = group.removedAt, time.timeIntervalSince(removed) >= delay {
                    state.groups.removeValue(forKey: name)
                    changed = true
                }
            }
            if changed { releases[key] = state }
        }
    }

    func endpoint(_ state: Release, at time: Date) -> JSONValue {
        guard isReady(state, at: time) || state.becameReadyOnce else { return ["host": "", "port": 0] }
        var hash: UInt32 = 2166136261
        for byte in "\(state.namespace)/\(state.name)".utf8 { hash = (hash ^ UInt32(byte)) &* 16777619 }
        return ["host": .string("192.0.2.\(hash % 254 + 1)"), "port": 6443]
    }

    func clusterObject(_ state: Release, at time: Date) -> JSONValue {
        let ready = isReady(state, at: time)
        let up = ready || state.becameReadyOnce
        let phase = state.uninstalledAt != nil ? "Deleting" : up ? "Provisioned" : "Provisioning"
        var endpoint = self.endpoint(state, at: time)
        if endpoint["host"]?.stringValue == "" { endpoint = [:] }
        var object = self.object(
            state, apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Cluster", name: state.name, at: time,
            spec: [
                "controlPlaneEndpoint": endpoint,
                "controlPlaneRef": ["apiVersion": "controlplane.cluster.x-k8s.io/v1beta1", "kind": "KubeadmControlPlane",
                                    "name": .string("\(state.name)-control-plane"), "namespace": .string(state.namespace)],
                "infrastructureRef": ["apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "OpenStackCluster",
                                      "name": .string(state.name), "namespace": .string(state.namespace)],
            ],
            status: [
                "phase": .string(phase), "infrastructureReady": .bool(up), "controlPlaneReady": .bool(up),
                "conditions": [
                    Self.condition("Ready", up && state.uninstalledAt == nil, reason: phase),
                    Self.condition("ControlPlaneReady", up, reason: "WaitingForControlPlane"),
                    Self.condition("InfrastructureReady", up, reason: "WaitingForInfrastructure"),
                ],
            ])
        if let since = state.uninstalledAt { object = Self.deleting(object, since: since) }
        return object
    }

    func machineObject(_ state: Release, name: String, at time: Date, ready: Bool, labels: [String: String], removedAt: Date?) -> JSONValue {
        var hash: UInt64 = 1469598103934665603
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 1099511628211 }
        let hex = String(hash, radix: 16)
        let id = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        var status: JSONObject = ["phase": .string(ready ? "Running" : "Provisioning"), "bootstrapReady": .bool(true),
                                  "infrastructureReady": .bool(ready),
                                  "conditions": .array([Self.condition("Ready", ready, reason: "WaitingForInfrastructure")])]
        if ready { status["nodeRef"] = ["apiVersion": "v1", "kind": "Node", "name": .string(name)] }
        var allLabels = labels
        allLabels["cluster.x-k8s.io/cluster-name"] = state.name
        allLabels["capi.stackhpc.com/cluster"] = state.name
        var object = self.object(state, apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Machine", name: name, at: time, labels: allLabels,
                                 spec: ["clusterName": .string(state.name),
                                        "providerID": .string("openstack:///\(id.prefix(8))-\(id.dropFirst(8).prefix(4))-4\(id.dropFirst(13).prefix(3))-8\(id.prefix(3))-\(id.suffix(12))"),
                                        "version": JSONValue(Self.kubernetesVersion(state.values))],
                                 status: .object(status), annotations: state.annotations[name] ?? [:])
        if let since = removedAt ?? state.uninstalledAt { object = Self.deleting(object, since: since) }
        return object
    }

    func object(_ state: Release, apiVersion: String, kind: String, name: String, at time: Date, labels: [String: String] = [:],
                spec: JSONValue, status: JSONValue, annotations: [String: String] = [:]) -> JSONValue {
        var allLabels = labels
        allLabels["cluster.x-k8s.io/cluster-name"] = state.name
        var labelObject = JSONObject()
        for key in allLabels.keys.sorted() { labelObject[key] = .string(allLabels[key] ?? "") }
        var annotationObject: JSONObject = [Self.marker: "true"]
        for key in annotations.keys.sorted() { annotationObject[key] = .string(annotations[key] ?? "") }
        return [
            "apiVersion": .string(apiVersion), "kind": .string(kind),
            "metadata": [
                "name": .string(name), "namespace": .string(state.namespace), "labels": .object(labelObject),
                "annotations": .object(annotationObject), "creationTimestamp": .string(Self.timestamp(state.createdAt)),
            ],
            "spec": spec, "status": status,
        ]
    }

    static func deleting(_ object: JSONValue, since: Date) -> JSONValue {
        guard var top = object.objectValue, var metadata = top["metadata"]?.objectValue else { return object }
        metadata["deletionTimestamp"] = .string(timestamp(since))
        top["metadata"] = .object(metadata)
        return .object(top)
    }

    static func condition(_ type: String, _ holds: Bool, reason: String) -> JSONValue {
        var condition: JSONObject = ["type": .string(type), "status": .string(holds ? "True" : "False")]
        if !holds {
            condition["reason"] = .string(reason)
            condition["severity"] = "Info"
        }
        return .object(condition)
    }

    static func matches(_ object: JSONValue, _ selector: LabelSelector) -> Bool {
        selector.allSatisfy { object["metadata"]?["labels"]?[$0.key]?.stringValue == $0.value }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    // MARK: What the values say

    static func kubernetesVersion(_ values: JSONValue) -> String? {
        values["kubernetesVersion"]?.stringValue.map { $0.hasPrefix("v") ? $0 : "v\($0)" }
    }

    static func controlPlaneCount(_ values: JSONValue) -> Int {
        values["controlPlane"]?["machineCount"]?.intValue ?? 1
    }

    /// `nodeGroups[]` names and sizes (an autoscaled group starts at its minimum).
    static func nodeGroups(_ values: JSONValue) -> [(name: String, count: Int)] {
        (values["nodeGroups"]?.arrayValue ?? []).compactMap { group in
            guard let name = group["name"]?.stringValue else { return nil }
            let count = group["machineCount"]?.intValue ?? group["machineCountMin"]?.intValue ?? 0
            return (name, count)
        }
    }

    static func deploymentName(_ release: String, _ group: String) -> String {
        CapiNaming.resourceName(release: release, group) ?? "\(release)-\(group)"
    }

    /// The addons the chart would install for these values.
    static func addonNames(_ values: JSONValue) -> [String] {
        let addons = values["addons"] ?? [:]
        var names = ["cni-\(addons["cni"]?["type"]?.stringValue ?? "calico")", "ccm-openstack", "csi-cinder", "metrics-server"]
        if addons["kubernetesDashboard"]?["enabled"]?.boolValue == true { names.append("kubernetes-dashboard") }
        if addons["monitoring"]?["enabled"]?.boolValue == true { names.append("kube-prometheus-stack") }
        if addons["openstack"]?["k8sKeystoneAuth"]?["enabled"]?.boolValue == true { names.append("k8s-keystone-auth") }
        if addons["ingress"]?["enabled"]?.boolValue == true { names.append("ingress-nginx") }
        return names
    }

    /// Machine names for `count` replicas: removals take machines marked
    /// `cluster.x-k8s.io/delete-machine` first, then the newest; new ones get fresh names.
    static func resize(_ names: [String], to count: Int, prefix: String, annotations: [String: [String: String]],
                       counter: Int?) -> (names: [String], counter: Int) {
        var names = names
        var next = counter ?? names.count
        while names.count > count {
            if let marked = names.lastIndex(where: { annotations[$0]?["cluster.x-k8s.io/delete-machine"] != nil }) {
                names.remove(at: marked)
            } else {
                names.removeLast()
            }
        }
        while names.count < count {
            names.append("\(prefix)-\(String(next, radix: 36).leftPadded(5))")
            next += 1
        }
        return (names, next)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
