import JSON
public import Logging
public import MagnumObjects

/// The Cluster API + Helm driver: what magnum-capi-helm 1.4.0's `Driver` does for each conductor
/// operation, against ports instead of the world. Operations take the cluster `inout`: whatever
/// the driver changes it also saves through `ClusterPersistence` (the caller's copy and the
/// database agree, even when an error is thrown half-way, as in Python).
///
/// Errors Python raises come out as `MagnumError` of the same class and message; errors of the
/// ports pass through unchanged.
public struct CapiHelmDriver: Sendable {
    public let configuration: DriverConfiguration
    public let features: DriverFeatures
    public let ports: DriverPorts
    public let logger: Logger
    /// The wall clock (operation timeouts).
    public let now: @Sendable () -> Timestamp
    /// The 12-character random part of new release names (`short_id.generate_id`).
    public let releaseSuffix: @Sendable () -> String

    public init(configuration: DriverConfiguration, ports: DriverPorts, logger: Logger,
                now: @escaping @Sendable () -> Timestamp = SystemClock.now,
                releaseSuffix: @escaping @Sendable () -> String = ShortID.generate) {
        self.configuration = configuration
        self.features = configuration.worker.features
        self.ports = ports
        self.logger = logger
        self.now = now
        self.releaseSuffix = releaseSuffix
    }

    var builder: HelmValuesBuilder {
        HelmValuesBuilder(configuration: configuration, features: features, openStack: ports.openStack)
    }

    // MARK: - Operations

    /// What a `create_cluster` made again after an interruption inside it needs to know about
    /// the earlier attempts of the same request (kept by the worker's journal).
    public struct CreateResume: Sendable, Equatable {
        /// Ids of the application credentials earlier attempts made (reported through
        /// `credentialMade`).
        public var earlierCredentialIDs: [String]

        public init(earlierCredentialIDs: [String]) {
            self.earlierCredentialIDs = earlierCredentialIDs
        }
    }

    /// `create_cluster`: flavors checked, release name generated and saved, namespace, the
    /// application credential Secret, the CA Secrets, then the Helm release.
    public func createCluster(_ cluster: inout Cluster, context: RequestContext) async throws {
        try await createCluster(&cluster, context: context, resume: nil, credentialMade: nil)
    }

    /// `create_cluster` as a journalling worker runs it. `credentialMade` is told the id of the
    /// new application credential as soon as Keystone made it (before the Secret that holds it
    /// is written). With `resume` (an earlier attempt of this request died inside this call),
    /// no second credential is left behind: the one in the cluster's `-cloud-credentials`
    /// Secret, written by the earlier attempt, is reused; credentials the earlier attempts made
    /// but never stored (the attempt died before writing the Secret) are deleted — those the
    /// journal recorded and any other Keystone lists under this cluster's names (an attempt
    /// that died before the journal heard of its credential) — and a new one is made only when
    /// no Secret holds one.
    public func createCluster(_ cluster: inout Cluster, context: RequestContext, resume: CreateResume?,
                              credentialMade: (@Sendable (String) async throws -> Void)?) async throws {
        let log = logger(for: cluster, context)
        log.info("Starting to create cluster")
        let template = try await template(for: cluster)
        if features.validateRequests {
            try await validator.validate(.create, cluster: cluster, template: template, nodeGroups: try await nodeGroups(of: cluster), context: context)
        }
        try await validateFlavor(cluster.masterFlavorId, context: context)
        for ng in try await nodeGroups(of: cluster) {
            try await validateFlavor(ng.flavorId, context: context)
        }
        try await generateReleaseName(&cluster)
        try await ports.kubernetes.ensureNamespace(namespace(of: cluster))
        if let resume {
            try await resumeApplicationCredential(cluster, resume: resume, context: context, credentialMade: credentialMade)
        } else {
            _ = try await createApplicationCredentialSecret(cluster, context: context, credentialMade: credentialMade)
        }
        try await ensureCertificateSecrets(cluster, context: context)
        try await recordOperationStart(cluster)
        try await updateHelmRelease(cluster, template: template, context: context)
    }

    /// `update_cluster`: the values re-rendered (the conductor already changed what changed).
    public func updateCluster(_ cluster: inout Cluster, context: RequestContext) async throws {
        let template = try await template(for: cluster)
        if features.validateRequests {
            try await validator.validate(.update, cluster: cluster, template: template, nodeGroups: try await nodeGroups(of: cluster), context: context)
        }
        try await recordOperationStart(cluster)
        try await updateHelmRelease(cluster, template: template, context: context)
    }

    /// `resize_cluster`: the nodegroup's `node_count` is already saved. `nodes_to_remove` is
    /// ignored with a warning unless `[capi_worker] remove_specific_nodes` marks those Machines
    /// for deletion first.
    public func resizeCluster(_ cluster: inout Cluster, nodeCount: Int, nodesToRemove: [String], nodeGroup: NodeGroup?,
                              context: RequestContext) async throws {
        let log = logger(for: cluster, context)
        let template = try await template(for: cluster)
        let all = try await nodeGroups(of: cluster)
        if features.validateRequests {
            try await validator.validate(.resize(nodeGroup: nodeGroup?.name, nodeCount: nodeCount), cluster: cluster, template: template,
                                         nodeGroups: all, context: context)
        }
        if !nodesToRemove.isEmpty {
            if features.removeSpecificNodes {
                let target = nodeGroup ?? NodeGroupCounts.defaultWorker(in: all)
                try await markNodesForRemoval(cluster, nodeGroup: target, nodes: nodesToRemove, nodeCount: nodeCount)
            } else {
                log.warning("Removing specific nodes is not currently supported")
            }
        }
        try await recordOperationStart(cluster)
        try await updateHelmRelease(cluster, template: template, context: context)
    }

    /// `upgrade_cluster`: every nodegroup to UPDATE_IN_PROGRESS (flavors checked), the cluster
    /// moved to the new template and UPDATE_IN_PROGRESS, the values re-rendered from it.
    public func upgradeCluster(_ cluster: inout Cluster, to newTemplate: ClusterTemplate, maxBatchSize: Int, nodeGroup: NodeGroup?,
                               context: RequestContext) async throws {
        if features.validateRequests {
            try await validator.validate(.upgrade, cluster: cluster, template: newTemplate, nodeGroups: try await nodeGroups(of: cluster), context: context)
        }
        for var ng in try await nodeGroups(of: cluster) {
            ng.status = .updateInProgress
            try await validateFlavor(ng.flavorId, context: context)
            try await save(&ng)
        }
        cluster.clusterTemplateId = newTemplate.uuid
        cluster.status = .updateInProgress
        try await save(&cluster)
        try await recordOperationStart(cluster)
        try await updateHelmRelease(cluster, template: newTemplate, context: context)
    }

    /// `delete_cluster`: every nodegroup to DELETE_IN_PROGRESS, then `helm uninstall` when a
    /// release was ever named. The status sync finishes the job once the CAPI Cluster is gone.
    public func deleteCluster(_ cluster: inout Cluster, context: RequestContext) async throws {
        logger(for: cluster, context).info("Starting to delete cluster")
        for var ng in try await nodeGroups(of: cluster) {
            ng.status = .deleteInProgress
            try await save(&ng)
        }
        try await recordOperationStart(cluster)
        if let release = cluster.stackId, !release.isEmpty {
            try await ports.helm.uninstallRelease(release: release, namespace: namespace(of: cluster))
        }
    }

    /// `create_nodegroup` (the nodegroup exists in the database already).
    public func createNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        try await changeNodeGroup(&cluster, &nodeGroup, status: .createInProgress, operation: .createNodeGroup, context: context)
    }

    /// `update_nodegroup` (the changes are on `nodeGroup`, not yet saved).
    public func updateNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        try await changeNodeGroup(&cluster, &nodeGroup, status: .updateInProgress, operation: .updateNodeGroup, context: context)
    }

    func changeNodeGroup(_ cluster: inout Cluster, _ nodeGroup: inout NodeGroup, status: ClusterStatus,
                         operation: RequestValidator.Operation, context: RequestContext) async throws {
        let template = try await template(for: cluster)
        if features.validateRequests {
            var all = try await nodeGroups(of: cluster)
            if let i = all.firstIndex(where: { $0.name == nodeGroup.name }) { all[i] = nodeGroup } else { all.append(nodeGroup) }
            try await validator.validate(operation, cluster: cluster, template: template, nodeGroups: all, context: context)
        }
        nodeGroup.status = status
        try await validateFlavor(nodeGroup.flavorId, context: context)
        let labels = ClusterLabels(cluster: cluster, template: template)
        if labels.bool("auto_scaling_enabled", default: configuration.labelDefaults.autoScalingEnabled) {
            let defaultWorker = NodeGroupCounts.defaultWorker(in: try await nodeGroups(of: cluster))
            _ = try NodeGroupCounts.validatedBounds(of: nodeGroup, defaultWorker: defaultWorker, labels: labels,
                                                    config: configuration.labelDefaults)
        }
        try await save(&nodeGroup)
        try await recordOperationStart(cluster)
        try await updateHelmRelease(cluster, template: template, context: context)
    }

    /// `delete_nodegroup`: DELETE_IN_PROGRESS, and the release re-rendered without it.
    public func deleteNodeGroup(_ cluster: inout Cluster, nodeGroup: inout NodeGroup, context: RequestContext) async throws {
        nodeGroup.status = .deleteInProgress
        try await save(&nodeGroup)
        let template = try await template(for: cluster)
        let remaining = try await nodeGroups(of: cluster).filter { $0.name != nodeGroup.name }
        try await recordOperationStart(cluster)
        try await updateHelmRelease(cluster, template: template, context: context, nodeGroups: remaining)
    }

    /// `rotate_credential`: a new application credential (and Secret) for the calling user; on a
    /// change of owner the CA Secrets are re-labelled; the old credential is deleted (a failure
    /// there is only noted in `status_reason`). Any failure before that: UPDATE_FAILED with the
    /// reason, the old owner restored, and `MagnumException` with the reason.
    public func rotateCredential(_ cluster: inout Cluster, context: RequestContext) async throws {
        let log = logger(for: cluster, context)
        let oldUser = cluster.userId
        log.info("Rotating application credential")
        cluster.userId = context.userId
        cluster.statusReason = nil
        let oldCredential = try await applicationCredentialID(of: cluster)

        var errorMessage: String?
        var created: ApplicationCredential?
        do {
            created = try await createApplicationCredentialSecret(cluster, context: context)
        } catch let error where Self.isCredentialFailure(error) {
            errorMessage = Self.message(of: error)
        }
        if let credential = created {
            if credential.id == oldCredential {
                errorMessage = "Application credential secret failed to apply."
            } else if cluster.userId != oldUser {
                // Ownership moves: the CA Secrets carry the owner's id in a label.
                do {
                    try await ensureCertificateSecrets(cluster, context: context)
                    log.info("Ownership of cluster transferred", metadata: ["from": "\(oldUser ?? "-")", "to": "\(context.userId ?? "-")"])
                } catch let error where Self.isTransportError(error) {
                    errorMessage = Self.message(of: error)
                }
            }
        }
        if let errorMessage {
            log.warning("Failed to rotate application credential: \(errorMessage)")
            cluster.status = .updateFailed
            cluster.statusReason = errorMessage
            cluster.userId = oldUser
            try await save(&cluster)
            throw MagnumError("MagnumException", message: errorMessage)
        }
        if let oldCredential, !oldCredential.isEmpty {
            do {
                try await ports.openStack.deleteApplicationCredential(id: oldCredential, cluster: cluster)
            } catch let error as ApplicationCredentialError {
                cluster.statusReason = "A new application credential was applied successfully but the previous application credential could not be deleted: \(error.message)"
                log.warning("Failed to delete the previous application credential: \(error.message)")
            }
        }
        cluster.status = .updateComplete
        try await save(&cluster)
    }

    // MARK: - Building blocks

    func validateFlavor(_ requested: String?, context: RequestContext) async throws {
        let minRAM = configuration.capiHelm.minimumFlavorRAM
        let minCPUs = configuration.capiHelm.minimumFlavorVCPUs
        let shown = requested ?? "None"
        for flavor in try await ports.openStack.flavors(minimumRAM: minRAM, context: context)
        where requested == flavor.id || requested == flavor.name {
            if flavor.vcpus < minCPUs {
                throw MagnumError("MagnumException", message: "Flavor \(shown) does not have enough CPU to run Kubernetes. Minimum \(minCPUs) vcpus required.")
            }
            return
        }
        throw MagnumError("MagnumException", message: "Flavor \(shown) does not have enough RAM to run Kubernetes. Minimum \(minRAM) MB required.")
    }

    func generateReleaseName(_ cluster: inout Cluster) async throws {
        if let existing = cluster.stackId, !existing.isEmpty { return }
        cluster.stackId = CapiNaming.releaseName(clusterName: cluster.name, randomSuffix: releaseSuffix())
        // Saved before use, so a retry never makes a second release.
        try await save(&cluster)
    }

    func resourceLabels(_ cluster: Cluster) -> JSONValue {
        .object(CapiNaming.resourceLabels(cluster: cluster, release: cluster.stackId))
    }

    /// The application credential of a resumed `create_cluster` (see `createCluster(_:context:resume:credentialMade:)`).
    func resumeApplicationCredential(_ cluster: Cluster, resume: CreateResume, context: RequestContext,
                                     credentialMade: (@Sendable (String) async throws -> Void)?) async throws {
        let log = logger(for: cluster, context)
        var stored: String?
        if let name = CapiNaming.resourceName(release: cluster.stackId, "cloud-credentials"),
           let text = try await ports.kubernetes.secretValue(name: name, namespace: namespace(of: cluster), key: "clouds.yaml"),
           case .success(let id?) = CloudsYAML.applicationCredentialID(in: text), !id.isEmpty {
            stored = id
            log.warning("create_cluster resumed: reusing application credential \(id), stored by the interrupted attempt")
        }
        // Made by an interrupted attempt but never stored: those the journal recorded, and any
        // Keystone holds for this cluster (an attempt can die between Keystone's answer and
        // the journal's write).
        var orphans = resume.earlierCredentialIDs.filter { $0 != stored }
        do {
            for id in try await ports.openStack.managedApplicationCredentialIDs(cluster: cluster) where id != stored && !orphans.contains(id) {
                orphans.append(id)
            }
        } catch {
            log.warning("create_cluster resumed: the cluster's application credentials could not be listed (only those the journal recorded are cleaned up): \(error)")
        }
        for id in orphans {
            do {
                try await ports.openStack.deleteApplicationCredential(id: id, cluster: cluster)
                log.warning("create_cluster resumed: deleted application credential \(id), made by the interrupted attempt but never stored")
            } catch {
                log.error("create_cluster resumed: application credential \(id), made by the interrupted attempt, could not be deleted: \(error)")
            }
        }
        if stored == nil {
            _ = try await createApplicationCredentialSecret(cluster, context: context, credentialMade: credentialMade)
        }
    }

    func createApplicationCredentialSecret(_ cluster: Cluster, context: RequestContext,
                                           credentialMade: (@Sendable (String) async throws -> Void)? = nil) async throws -> ApplicationCredential {
        let credential = try await ports.openStack.createApplicationCredential(cluster: cluster, context: context)
        try await credentialMade?(credential.id)
        let endpoint = try await ports.openStack.cloudEndpoint(context: context)
        let clouds = CloudsYAML.render(credential: credential, endpoint: endpoint,
                                       interface: configuration.capiHelm.appCredInterfaceType,
                                       verify: configuration.drivers.verifyCA)
        let ca = try await ports.openStack.openStackCACertificate()
        let body: JSONValue = [
            "metadata": ["labels": resourceLabels(cluster)],
            "stringData": ["cacert": .string(ca), "clouds.yaml": .string(clouds)],
        ]
        try await ports.kubernetes.applySecret(name: CapiNaming.resourceName(release: cluster.stackId, "cloud-credentials") ?? "",
                                               body: body, namespace: namespace(of: cluster))
        return credential
    }

    func ensureCertificateSecrets(_ cluster: Cluster, context: RequestContext) async throws {
        for cert in try await ports.certificates.certificates(for: cluster, context: context) {
            let body: JSONValue = [
                "metadata": ["labels": resourceLabels(cluster)],
                "type": "cluster.x-k8s.io/secret",
                "stringData": ["tls.crt": .string(cert.certificate), "tls.key": .string(cert.privateKey)],
            ]
            try await ports.kubernetes.applySecret(name: CapiNaming.resourceName(release: cluster.stackId, cert.name) ?? "",
                                                   body: body, namespace: namespace(of: cluster))
        }
    }

    /// The id in the cluster's `-cloud-credentials` Secret, `nil` (logged) when it cannot be read.
    func applicationCredentialID(of cluster: Cluster) async throws -> String? {
        guard let name = CapiNaming.resourceName(release: cluster.stackId, "cloud-credentials") else { return nil }
        let problem: String
        if let text = try await ports.kubernetes.secretValue(name: name, namespace: namespace(of: cluster), key: "clouds.yaml"),
           !text.isEmpty {
            switch CloudsYAML.applicationCredentialID(in: text) {
            case .success(let id): return id
            case .failure(let e): problem = e.description
            }
        } else {
            problem = "secret containing credential does not exist"
        }
        logger.error("Failed to fetch application credential for cluster \(cluster.uuid ?? ""): \(problem)")
        return nil
    }

    /// The chart values for the cluster, sent to helm.
    func updateHelmRelease(_ cluster: Cluster, template: ClusterTemplate, context: RequestContext,
                           nodeGroups selected: [NodeGroup]? = nil) async throws {
        let spec = try await helmRelease(cluster, template: template, context: context, nodeGroups: selected)
        guard !spec.release.isEmpty else {
            throw MagnumError("MagnumException", message: "Cluster \(cluster.uuid ?? "") has no Helm release name (stack_id) yet.")
        }
        try await ports.helm.installOrUpgrade(release: spec.release, chart: spec.chart, values: spec.values,
                                              repo: spec.repo, version: spec.version, namespace: spec.namespace)
    }

    /// What `helm upgrade --install` would be given for the cluster now (also for `render`).
    public func helmRelease(_ cluster: Cluster, template: ClusterTemplate, context: RequestContext,
                            nodeGroups selected: [NodeGroup]? = nil) async throws -> HelmReleaseSpec {
        let all = try await nodeGroups(of: cluster)
        return try await builder.release(.init(cluster: cluster, template: template, nodeGroups: selected ?? all,
                                               allNodeGroups: all, context: context))
    }

    // MARK: - Persistence helpers

    public func namespace(of cluster: Cluster) -> String {
        CapiNaming.namespace(projectId: cluster.projectId, prefix: configuration.capiHelm.namespacePrefix)
    }

    /// The cluster's template: the nested one when it is the current one, else from the store.
    public func template(for cluster: Cluster) async throws -> ClusterTemplate {
        if let nested = cluster.clusterTemplate, nested.uuid == cluster.clusterTemplateId { return nested }
        return try await ports.store.clusterTemplate(uuid: cluster.clusterTemplateId ?? "")
    }

    func nodeGroups(of cluster: Cluster) async throws -> [NodeGroup] {
        try await ports.store.nodeGroups(clusterUUID: cluster.uuid ?? "")
    }

    func save(_ cluster: inout Cluster) async throws {
        try await ports.store.saveCluster(cluster)
        cluster.resetChanges()
    }

    func save(_ nodeGroup: inout NodeGroup) async throws {
        try await ports.store.saveNodeGroup(nodeGroup)
        nodeGroup.resetChanges()
    }

    func recordOperationStart(_ cluster: Cluster) async throws {
        guard features.operationTimeouts, let uuid = cluster.uuid else { return }
        try await ports.store.recordOperationStart(clusterUUID: uuid, at: now())
    }

    func logger(for cluster: Cluster, _ context: RequestContext? = nil) -> Logger {
        var l = logger
        l[metadataKey: "cluster_uuid"] = "\(cluster.uuid ?? "-")"
        if let r = context?.requestId { l[metadataKey: "request_id"] = "\(r)" }
        return l
    }

    var validator: RequestValidator { RequestValidator(driver: self) }

    // MARK: - Error classification (what rotate_credential catches)

    static func message(of error: any Error) -> String {
        switch error {
        case let e as MagnumError: return e.message
        case let e as ApplicationCredentialError: return e.message
        default: return String(describing: error)
        }
    }

    /// Python catches `ApplicationCredentialError`, `AuthorizationFailure`, request and YAML
    /// errors around the new credential; other Magnum exceptions propagate.
    static func isCredentialFailure(_ error: any Error) -> Bool {
        if error is ApplicationCredentialError { return true }
        if let m = error as? MagnumError { return m.isKind(of: "AuthorizationFailure") }
        return !(error is CancellationError)
    }

    /// Python catches request errors around the CA Secrets' ownership transfer.
    static func isTransportError(_ error: any Error) -> Bool {
        !(error is MagnumError) && !(error is CancellationError)
    }
}
