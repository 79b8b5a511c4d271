#!/usr/bin/env python3
"""The Python reference of `tools/bench create`: Magnum 23's own conductor consuming recorded
`cluster_create` casts and running the real magnum-capi-helm 1.4.0 driver.

  bench_create.py CONF URL COUNT CLOUD_FILE
      Starts the conductor's RPC service as magnum-conductor builds it (magnum.common.service.
      prepare_service with CONF, rpc_service.Service with the seven conductor handlers, Magnum's
      serializers, oslo.messaging's default executor) on `[conductor] topic` of CONF, and waits
      until COUNT clusters reached helm. Prints one JSON line: rate (clusters/s from the start of
      consumption to the last helm call), seconds, cpu_seconds (same span), max_rss_kb, clusters.
      Any CREATE_FAILED cluster stops it with an error (exit 1).

What runs for real: oslo.messaging (rabbit driver, RabbitMQ of URL), Magnum's
RequestContextSerializer and versioned objects, cluster_conductor.Handler.cluster_create (cluster
and nodegroup rows in the SQLite database of CONF, certificates through the x509keypair cert
manager: four RSA key pairs and certificates per cluster), Magnum's notifier, the driver's
create_cluster (flavour checks, release name, app credential clouds.yaml, certificate secrets,
_update_helm_release with its database reads) and helm.Client.install_or_upgrade (command and
values document built as for helm).

What is faked (the same boundaries as the worker's `helm_mode = record` with an offline cloud and
no management cluster; CLOUD_FILE is the worker's `offline_cloud_file`):
  - OpenStack: OpenStackClients (Nova flavours, Cinder volume types, Keystone application
    credential creation, the endpoint catalogue), Glance image lookup, Neutron name lookups;
    plain Python objects answering from CLOUD_FILE at once.
  - Kubernetes: kubernetes.Client.load returns an in-memory recorder (namespaces, secrets).
  - helm: helm.Client._run (the `helm` subprocess) writes the command and the values document to
    `[capi_worker] render_output_dir`/<namespace>/<release>/helm-command.json and answers as a
    dry run would, instead of running helm against a cluster.
"""
import json
import os
import resource
import sqlite3
import sys
import tempfile
import threading
import time
import types
import warnings

warnings.simplefilter("ignore")

import magnum_parts  # noqa: E402  (Magnum's conductor endpoints, offline Nova and Cinder managers)


def usage_now():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_maxrss


class Image(dict):
    def __init__(self, d):
        super().__init__({k: v for k, v in d.items() if k != "properties"})
        self.id = d["id"]
        self.properties = d.get("properties", {})
        for k, v in d.items():
            if k not in ("id", "properties"):
                setattr(self, k, v)


def install_fakes(cloud, render_dir, helm_calls, lock):
    """Patches the boundaries (OpenStack, Kubernetes, the helm subprocess); see the module doc."""
    from magnum.common import clients, neutron
    from magnum_capi_helm import driver, helm, kubernetes

    # Made once, as the managers' data were before (the reference must not do extra work).
    nova = types.SimpleNamespace(flavors=magnum_parts.Flavors(cloud["flavors"]))
    cinder = types.SimpleNamespace(volume_types=magnum_parts.VolumeTypes(cloud["volume_types"]))
    images = [Image(i) for i in cloud["images"]]
    networks = {n["name"]: n for n in cloud["networks"]}
    subnets = {s["name"]: s["id"] for s in cloud["subnets"]}
    counter = [0]

    class Images:
        def get(self, ident):
            return find_image(self, ident)

    class AppCredentials:
        def create(self, user, name, description, **kw):
            with lock:
                counter[0] += 1
                n = counter[0]
            return types.SimpleNamespace(id="appcred-%08d" % n, secret="appcred-secret-%08d" % n, name=name)

    class Clients:
        def __init__(self, context):
            self.context = context

        def nova(self):
            return nova

        def cinder(self):
            return cinder

        def glance(self):
            # glanceclient's shape; lookups go through api_utils.get_openstack_resource (below).
            return types.SimpleNamespace(images=Images())

        def keystone(self):
            return types.SimpleNamespace(client=types.SimpleNamespace(application_credentials=AppCredentials()))

        def url_for(self, service_type=None, interface=None, **kw):
            return cloud["auth_url"]

        def cinder_region_name(self):
            return cloud["region"]

    def find_image(manager, ident, *a):
        for i in images:
            if ident in (i.id, i.get("name")):
                return i
        raise LookupError("no image %s in the offline cloud" % ident)

    def get_network(context, net, source, target, external):
        n = networks.get(net)
        return n["id"] if n else net

    def get_fixed_subnet_id(context, subnet):
        return subnets.get(subnet, subnet) if subnet else None

    def get_external_network_id(context, net):
        n = networks.get(net)
        return n["id"] if n else net

    class RecordingKubernetes:
        """The management cluster: keeps what the driver applies, in memory."""
        def __init__(self):
            self.namespaces = set()
            self.secrets = {}

        def ensure_namespace(self, namespace):
            with lock:
                self.namespaces.add(namespace)

        def apply_secret(self, name, data, namespace):
            with lock:
                self.secrets[(namespace, name)] = data

    k8s = RecordingKubernetes()

    def run_helm(self, command, process_input=None, **kw):
        # ["upgrade", RELEASE, CHART, ..., "--namespace", NS, ...]: what helm would have been given.
        release = command[1]
        namespace = command[command.index("--namespace") + 1]
        directory = os.path.join(render_dir, namespace, release)
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "helm-command.json"), "w") as f:
            json.dump({"argv": ["helm"] + [str(c) for c in command], "values": json.loads(process_input)}, f, indent=2)
        with lock:
            helm_calls.append(time.perf_counter())
        return json.dumps({"name": release, "namespace": namespace, "version": 1,
                           "info": {"status": "pending-install", "description": "Dry run complete"}}).encode()

    clients.OpenStackClients = Clients
    driver.api_utils.get_openstack_resource = find_image
    neutron.get_network = get_network
    neutron.get_fixed_subnet_id = get_fixed_subnet_id
    neutron.get_external_network_id = get_external_network_id
    kubernetes.Client.load = classmethod(lambda cls: k8s)
    helm.Client._run = run_helm
    return k8s


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: bench_create.py CONF URL COUNT CLOUD_FILE")
    conf_path, url, count, cloud_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    # oslo.log writes to standard output when no log file is configured: the result line gets a
    # descriptor of its own and everything else goes to standard error.
    result = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    cloud = json.load(open(cloud_path))
    # The transport URL comes in a second configuration file, as a deployment would set it.
    extra = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    extra.write("[DEFAULT]\ntransport_url = %s\n" % url)
    extra.close()

    from magnum.common import service as magnum_service
    magnum_service.prepare_service([sys.argv[0], "--config-file", conf_path, "--config-file", extra.name])
    os.unlink(extra.name)
    import logging
    logging.getLogger().setLevel(logging.WARNING)
    import magnum.conf
    import magnum_capi_helm.conf  # noqa: F401  ([capi_helm] options)
    CONF = magnum.conf.CONF
    import configparser
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(conf_path)
    render_dir = parser.get("capi_worker", "render_output_dir")
    database = CONF.database.connection
    assert database.startswith("sqlite:///"), "bench_create.py expects a SQLite database"
    db_path = database[len("sqlite:///"):]
    # Magnum's conductor handles up to executor_thread_pool_size (64) messages at once, each on its
    # own SQLite connection. oslo.db's deferred transactions (its own "BEGIN") then fail at once
    # with "database is locked" when two of them read and then try to write (SQLite cannot wait
    # there without a deadlock). Production Magnum runs on MySQL; on SQLite oslo.db's BEGIN is
    # made BEGIN IMMEDIATE and waits up to 300 s for the lock, so the handlers run concurrently as
    # in magnum-conductor and their transactions are serialised, as the worker's SQLite store
    # serialises its own.
    import sqlalchemy
    from sqlalchemy.engine import Engine

    @sqlalchemy.event.listens_for(Engine, "before_cursor_execute", retval=True)
    def _begin_immediate(conn, cursor, statement, parameters, context, executemany):
        return ("BEGIN IMMEDIATE" if statement == "BEGIN" else statement), parameters

    if "?" not in database:
        CONF.set_override("connection", database + "?timeout=300", group="database")

    helm_calls = []
    lock = threading.Lock()
    install_fakes(cloud, render_dir, helm_calls, lock)

    from magnum.common import rpc_service, short_id
    from magnum.conductor.handlers import cluster_conductor
    from magnum.drivers.common import driver as driver_module
    # What magnum-conductor does at start: load the drivers' entry points.
    [ep.name for ep, _ in driver_module.Driver.load_entry_points()]
    # A failed create stops the run (the handler's own exception, also when no CREATE_FAILED row
    # could be written).
    failures = []
    handler_create = cluster_conductor.Handler.cluster_create

    def cluster_create(self, context, cluster, *args, **kwargs):
        try:
            return handler_create(self, context, cluster, *args, **kwargs)
        except Exception as e:
            failures.append("cluster %s: %s: %s" % (cluster.uuid, type(e).__name__, str(e)[:300]))
            raise
    cluster_conductor.Handler.cluster_create = cluster_create
    endpoints = magnum_parts.conductor_endpoints()
    service = rpc_service.Service.create(CONF.conductor.topic, short_id.generate_id(), endpoints,
                                         binary="magnum-conductor")
    cpu_start = usage_now()[0]
    start = time.perf_counter()
    service.start()
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    last_check = start
    db = sqlite3.connect(db_path, timeout=30)
    while True:
        with lock:
            done = len(helm_calls)
        if done >= count:
            break
        if failures:
            sys.stderr.write("bench_create.py: cluster_create failed: %s\n" % failures[0])
            os._exit(1)
        now = time.perf_counter()
        if now - last_check > 0.5:
            last_check = now
            failed = db.execute("SELECT uuid, status_reason FROM cluster WHERE status = 'CREATE_FAILED' LIMIT 1").fetchone()
            if failed:
                sys.stderr.write("bench_create.py: cluster %s CREATE_FAILED: %s\n" % failed)
                os._exit(1)
            if now - start > 900:
                sys.stderr.write("bench_create.py: only %d of %d clusters created in 900 s\n" % (done, count))
                os._exit(1)
        time.sleep(0.002)
    with lock:
        end = helm_calls[count - 1]
    cpu, rss = usage_now()
    elapsed = end - start
    clusters = db.execute("SELECT COUNT(*) FROM cluster").fetchone()[0]
    result.write(json.dumps({"rate": count / elapsed if elapsed > 0 else 0, "seconds": elapsed,
                             "cpu_seconds": cpu - cpu_start, "cpu_seconds_total": cpu, "max_rss_kb": rss,
                             "clusters": clusters, "first_helm_call_seconds": helm_calls[0] - start}) + "\n")
    result.flush()
    # The service's threads may be mid-message; the figures are out, leave at once.
    os._exit(0)


if __name__ == "__main__":
    main()
