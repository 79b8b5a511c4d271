import ClusterCertificates
import ClusterStore
import JSON
public import MagnumObjects
public import OsloMessaging

/// `ca_conductor.Handler`, `credential_conductor.Handler`, `federation_conductor.Handler` and
/// `conductor_listener.Handler`.
extension Conductor {
    /// `sign_certificate(context, cluster, certificate)`: the certificate with `pem` set, signed
    /// by the CA its `ca_cert_type` names (the Kubernetes CA when it is not set).
    public func signCertificate(context: RequestContext, cluster: Cluster, certificate: MagnumObjects.Certificate) async throws -> MagnumObjects.Certificate {
        try await certificates.signCertificate(cluster: cluster, certificate: certificate, context: CertificateContext(context))
    }

    /// `get_ca_certificate(context, cluster, ca_cert_type=None)`: a new `Certificate` of the
    /// cluster with the CA certificate in `pem`.
    public func getCACertificate(context: RequestContext, cluster: Cluster, caCertType: String?) async throws -> MagnumObjects.Certificate {
        try await certificates.getCACertificate(cluster: cluster, caCertType: caCertType, context: CertificateContext(context))
    }

    /// `rotate_ca_certificate(context, cluster)`: new CAs, then the driver; returns the cluster
    /// (`UPDATE_IN_PROGRESS`, new refs). A failure sets `UPDATE_FAILED` with `str(e)` and sends a
    /// failure notification; unlike Magnum the cluster keeps its old certificate refs (and the
    /// new key pairs are deleted), since the cluster still runs with the old CAs.
    public func rotateCACertificate(context: RequestContext, cluster input: Cluster) async throws -> Cluster {
        let status = try attribute(input, "status")
        var tracker = ClusterStatusTracker(initial: status.stringValue)
        guard Self.updatable.contains(status.stringValue ?? "") else {
            await notifications.clusterOperation(.update, .failure, cluster: input, context: context)
            throw MagnumError.notSupported("Updating a cluster when status is \"\(PythonFormat.str(status))\"")
        }
        let drivers = self.drivers, store = self.store
        let outcome = await certificates.rotateCACertificate(cluster: input, context: CertificateContext(context)) { updated in
            var cluster = updated
            let driver = try await drivers.driver(for: cluster, store: store, context: StoreContext(context))
            try await driver.rotateCACertificate(&cluster, context: context)
        }
        switch outcome {
        case .rejected(let error):
            await notifications.clusterOperation(.update, .failure, cluster: input, context: context)
            throw error
        case .started(var cluster):
            try await store.saveRow(&cluster)
            await tracker.saved(cluster, notifications: notifications, context: context)
            return cluster
        case .failed(let updated, let error):
            log(input, context).error("CA rotation failed, the cluster keeps its certificates: \(PythonText.str(error))")
            var cluster = input
            cluster.status = updated.status
            cluster.statusReason = updated.statusReason
            try await store.saveRow(&cluster)
            await tracker.saved(cluster, notifications: notifications, context: context)
            await notifications.clusterOperation(.update, .failure, cluster: cluster, context: context)
            throw error
        }
    }

    /// `credential_rotate(context, cluster)`: the driver's `rotate_credential`; a driver without
    /// it is `NotSupported`.
    public func credentialRotate(context: RequestContext, cluster input: Cluster) async throws {
        let status = try attribute(input, "status")
        guard Self.nodeGroupAllowed.contains(status.stringValue ?? "") else {
            throw MagnumError.notSupported("magnum.conductor.handlers.credential_conductor when cluster status is \"\(PythonFormat.str(status))\"")
        }
        var cluster = input
        var tracker = ClusterStatusTracker(initial: status.stringValue)
        let driver = try await drivers.driver(for: cluster, store: store, context: StoreContext(context))
        do {
            try await driver.rotateCredential(&cluster, context: context)
        } catch is DriverNotImplemented {
            throw MagnumError("NotSupported", message: "Credential rotation is not supported by driver.")
        } catch {
            // The driver saved whatever it recorded (e.g. UPDATE_FAILED with the reason).
            await tracker.saved(cluster, notifications: notifications, context: context)
            throw error
        }
        await tracker.saved(cluster, notifications: notifications, context: context)
    }

    /// `federation_create` / `federation_update` / `federation_delete`: Magnum 23 does not
    /// implement federations and raises `NotImplementedError`; so do we.
    public func federationNotImplemented() throws -> Never {
        throw PythonBuiltinError("NotImplementedError", "This feature is not yet implemented.")
    }
}
