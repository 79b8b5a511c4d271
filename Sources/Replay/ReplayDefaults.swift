/// What a replay runs with when the operator gives nothing: the world the recordings in
/// `Tests/Fixtures/wire/` were made in (template `k8s-v1.31`, cluster `prod-east` with its three
/// node groups, as magnum's own database returned them in `indirection_reads.jsonl`), an offline
/// cloud that knows its images, flavors and networks, and a magnum.conf with the recording
/// executors (`helm_mode = record`, `management_cluster = simulated`).
public enum ReplayDefaults {
    /// `2026-11-25T00:05:00Z`: virtual time starts here unless told otherwise (after the seed's
    /// `created_at`).
    public static let startMicroseconds: Int64 = 1_795_565_100_000_000

    /// The embedded magnum.conf. `@SCRATCH@` is the replay's private directory.
    static let configuration = """
        [DEFAULT]
        host = replay-worker
        state_path = @SCRATCH@
        periodic_enable = true

        [oslo_messaging_notifications]
        driver = messagingv2

        [capi_worker]
        helm_mode = record
        management_cluster = simulated
        simulation_delay = 30
        status_sync_interval = 10
        offline_cloud_file = @SCRATCH@/cloud.json

        [cinder_client]
        region_name = RegionOne

        [certificates]
        cert_manager_type = x509keypair

        [x509]
        # Key material is never part of a replay's result: small keys keep replays fast.
        rsa_key_size = 1024

        """

    /// Settings a replay always has, whatever the operator's file says: nothing may reach a real
    /// helm, cluster or database.
    static let forced = """
        [capi_worker]
        helm_mode = record
        render_output_dir = @SCRATCH@/rendered
        periodic_max_concurrency = 1

        [database]
        connection = sqlite:///@SCRATCH@/replay.sqlite

        """

    /// The offline cloud of the recordings' world.
    public static let cloud = """
        {
          "region": "RegionOne",
          "auth_url": "http://keystone.example:5000/v3",
          "images": [
            {"id": "0d4e3b1a-7f2c-4a55-9c1e-2b3c4d5e6f70", "name": "ubuntu-2204-kube-v1.31.4", "os_distro": "ubuntu", "kube_version": "v1.31.4"},
            {"id": "1e5f4c2b-8a3d-4b66-8d2f-3c4d5e6f7a81", "name": "ubuntu-2204-kube-v1.32.1", "os_distro": "ubuntu", "kube_version": "v1.32.1"}
          ],
          "flavors": [
            {"id": "f-medium", "name": "m1.medium", "ram": 4096, "vcpus": 2},
            {"id": "f-large", "name": "m1.large", "ram": 8192, "vcpus": 4},
            {"id": "f-xlarge", "name": "m1.xlarge", "ram": 16384, "vcpus": 8},
            {"id": "f-tiny", "name": "m1.tiny", "ram": 512, "vcpus": 1}
          ],
          "networks": [
            {"id": "7e1b5f2a-0c3d-4e5f-8a9b-1c2d3e4f5a6b", "name": "public", "external": true},
            {"id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "name": "tenant-net"}
          ],
          "subnets": [{"id": "9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f", "name": "tenant-subnet"}],
          "volume_types": ["__DEFAULT__", "ssd"],
          "ca_certificate": "-----BEGIN CERTIFICATE-----\\nMIIBreplayCAnotarealcertificate\\n-----END CERTIFICATE-----\\n"
        }
        """

    /// The recordings' database, as Magnum returned it (`ReplaySeed` format).
    static let seed = """
        {
          "cluster_templates": [
            {"uuid": "5a8ea1c3-3c56-4e3e-9a7a-1b5a8f0c2d11", "project_id": "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b", "user_id": "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b", "name": "k8s-v1.31", "image_id": "ubuntu-2204-kube-v1.31.4", "flavor_id": "m1.medium", "master_flavor_id": "m1.large", "keypair_id": "ops-key", "dns_nameserver": "8.8.8.8", "external_network_id": "public", "fixed_network": null, "fixed_subnet": null, "network_driver": "calico", "volume_driver": "cinder", "apiserver_port": null, "docker_volume_size": null, "docker_storage_driver": null, "cluster_distro": "ubuntu", "coe": "kubernetes", "http_proxy": null, "https_proxy": null, "no_proxy": null, "registry_enabled": false, "labels": {"kube_tag": "v1.31.4", "monitoring_enabled": "false"}, "tls_disabled": false, "public": true, "server_type": "vm", "insecure_registry": null, "master_lb_enabled": true, "floating_ip_enabled": true, "hidden": false, "tags": "", "driver": "k8s_capi_helm_v1", "created_at": "2026-11-25T00:01:42Z", "updated_at": null}
          ],
          "clusters": [
            {"uuid": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", "name": "prod-east", "project_id": "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b", "user_id": "4e5f6a7b8c9d4e0f1a2b3c4d5e6f7a8b", "cluster_template_id": "5a8ea1c3-3c56-4e3e-9a7a-1b5a8f0c2d11", "keypair": "ops-key", "docker_volume_size": null, "labels": {"kube_tag": "v1.31.4"}, "master_flavor_id": "m1.large", "flavor_id": "m1.medium", "stack_id": "prod-east-a1b2c3d4", "status": "CREATE_COMPLETE", "status_reason": "Cluster creation complete", "health_status": "HEALTHY", "health_status_reason": {"api": "ok"}, "create_timeout": 60, "api_address": "https://203.0.113.10:6443", "discovery_url": null, "coe_version": "v1.31.4", "container_version": null, "fixed_network": null, "fixed_subnet": null, "floating_ip_enabled": true, "master_lb_enabled": true, "created_at": "2026-11-25T00:01:42Z", "updated_at": null}
          ],
          "nodegroups": [
            {"uuid": "42e07147-fddb-5c3c-a670-4e80ee2753b9", "name": "default-master", "cluster_id": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", "project_id": "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b", "docker_volume_size": null, "labels": {}, "flavor_id": "m1.large", "image_id": "ubuntu-2204-kube-v1.31.4", "node_addresses": [], "node_count": 3, "role": "master", "max_node_count": null, "min_node_count": 1, "is_default": true, "stack_id": null, "status": "CREATE_COMPLETE", "status_reason": null, "version": null, "node_labels": {}, "node_taints": [], "created_at": "2026-11-25T00:01:42Z", "updated_at": null},
            {"uuid": "5ddfed56-12d7-5835-98c7-504522ed7132", "name": "default-worker", "cluster_id": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", "project_id": "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b", "docker_volume_size": null, "labels": {}, "flavor_id": "m1.medium", "image_id": "ubuntu-2204-kube-v1.31.4", "node_addresses": [], "node_count": 2, "role": "worker", "max_node_count": null, "min_node_count": 1, "is_default": true, "stack_id": null, "status": "CREATE_COMPLETE", "status_reason": null, "version": null, "node_labels": {}, "node_taints": [], "created_at": "2026-11-25T00:01:42Z", "updated_at": null},
            {"uuid": "80ca45af-ee7d-52af-beb6-384b01ba03df", "name": "gpu-pool", "cluster_id": "0c7f4a86-51d5-4b57-9a44-7e7f1c1a9b02", "project_id": "9b3c2f0e6a4d4f1e8c7b5a3d2e1f0a9b", "docker_volume_size": null, "labels": {}, "flavor_id": "m1.medium", "image_id": "ubuntu-2204-kube-v1.31.4", "node_addresses": [], "node_count": 1, "role": "worker", "max_node_count": null, "min_node_count": 0, "is_default": false, "stack_id": null, "status": "CREATE_COMPLETE", "status_reason": null, "version": null, "node_labels": {"tier": "gpu"}, "node_taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}], "created_at": "2026-11-25T00:01:42Z", "updated_at": null}
          ]
        }
        """
}
