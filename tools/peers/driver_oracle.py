#!/usr/bin/env python3
"""Run the real magnum-capi-helm 1.4.0 driver on driver cases and print what it did.

Adapted for this project from the lead's tools/driver-oracle/oracle.py (shared folder):

  driver_oracle.py CASE.json            -> prints the case with "expected" filled in (JSON)
  driver_oracle.py --write CASE.json... -> fills "expected" in place
  driver_oracle.py --batch              -> reads one case per line on stdin, writes one
                                           "expected" per line on stdout (one Python start-up
                                           for many cases: the Swift suite's random comparisons)
  driver_oracle.py --time N             -> prints how many helm values per second the real
                                           _update_helm_release computes (faked boundaries)

Besides the original operations: rotate_credential, poll_health_status (CAPIMonitor; adds
"health" to the outcome), inputs app_credential_create_fails and k8s.openstack_cluster. Any
exception (not only MagnumException) is reported as {"class", "message"} instead of crashing,
including those raised while building the objects (then "cluster" is null). Options of our own
[capi_worker] section are not Python's and are skipped.

A case: {"name", "description", "operation", "config": {SECTION: {OPTION: VALUE}},
         "input": {"context", "cluster_template", "cluster", "nodegroups", "image", "flavors",
                   "volume_types", "networks", "subnets", "app_credential", "certificates",
                   "release_suffix", "operation_args"}}
Only the boundaries are faked (Glance, Nova, Cinder, Neutron, Keystone, Kubernetes, helm, the
Magnum certificate store); the driver's own code runs unchanged over a scratch SQLite Magnum DB.
"""
import copy, json, os, sys, tempfile, types, uuid
from unittest import mock

WORK = tempfile.mkdtemp(prefix="driver-oracle-")


def setup_magnum():
    conf = os.path.join(WORK, "magnum.conf")
    with open(conf, "w") as f:
        f.write(f"[DEFAULT]\ntransport_url = fake://\n[database]\nconnection = sqlite:///{WORK}/magnum.sqlite\n")
    from magnum.common import config
    config.parse_args([sys.argv[0]], default_config_files=[conf])
    import magnum.objects  # noqa: F401
    from oslo_db.sqlalchemy import enginefacade
    from magnum.db.sqlalchemy import models
    models.Base.metadata.create_all(enginefacade.writer.get_engine())
    import magnum_capi_helm.conf  # noqa: F401  registers [capi_helm] options


OWN_SECTIONS = {"capi_worker"}


def apply_config(cfg):
    from magnum_capi_helm import conf
    CONF = conf.CONF
    for section, opts in (cfg or {}).items():
        if section in OWN_SECTIONS:
            continue
        for k, v in opts.items():
            CONF.set_override(k, v, group=None if section == "DEFAULT" else section)


def reset_config(cfg):
    from magnum_capi_helm import conf
    for section, opts in (cfg or {}).items():
        if section in OWN_SECTIONS:
            continue
        for k in opts:
            conf.CONF.clear_override(k, group=None if section == "DEFAULT" else section)


class Image(dict):
    def __init__(self, d):
        super().__init__({k: v for k, v in d.items() if k != "properties"})
        self.id = d["id"]
        self.properties = d.get("properties", {})


def make_objects(ctx, inp):
    from magnum import objects
    ct = objects.ClusterTemplate(ctx, **inp["cluster_template"])
    ct.create()
    cd = dict(inp["cluster"])
    cd["cluster_template_id"] = ct.uuid
    cl = objects.Cluster(ctx, **cd)
    cl.create()
    for ng in inp["nodegroups"]:
        d = dict(ng)
        d.setdefault("uuid", str(uuid.uuid5(uuid.NAMESPACE_URL, cl.uuid + d["name"])))
        d["cluster_id"] = cl.uuid
        d.setdefault("project_id", cl.project_id)
        objects.NodeGroup(ctx, **d).create()
    return objects.Cluster.get_by_uuid(ctx, cl.uuid), ct


def run_case(case):
    from magnum.common import context as mctx, exception, neutron
    from magnum import objects
    from magnum_capi_helm import driver, helm, kubernetes
    from magnum_capi_helm.common import app_creds, ca_certificates

    inp = case["input"]
    calls = {"helm": [], "kubernetes": [], "openstack": []}
    try:
        ctx = mctx.RequestContext(is_admin=False, **inp["context"])
        try:
            apply_config(case.get("config"))
            cluster, template = make_objects(ctx, inp)
        except Exception as e:
            return {"helm": [], "kubernetes": [], "openstack": [], "cluster": None, "nodegroups": [],
                    "error": {"class": type(e).__name__, "message": str(e)}}

        image = Image(inp["image"])
        flavors = [types.SimpleNamespace(**f) for f in inp.get("flavors", [])]
        vtypes = [types.SimpleNamespace(name=n) for n in inp.get("volume_types", ["__DEFAULT__"])]
        osc = mock.MagicMock()
        osc.return_value.nova.return_value.flavors.list.side_effect = (
            lambda min_ram=None: [f for f in flavors if f.ram >= (min_ram or 0)])
        osc.return_value.cinder.return_value.volume_types.list.return_value = vtypes

        def get_network(c, net, source, target, external):
            calls["openstack"].append({"call": "neutron.get_network", "name": net, "external": external})
            return inp.get("networks", {}).get(net, f"{net}-id")

        def get_fixed_subnet_id(c, subnet):
            if not subnet:
                return None
            return inp.get("subnets", {}).get(subnet, f"{subnet}-id")

        def get_external_network_id(c, net):
            return inp.get("networks", {}).get(net, net)

        appcred = inp.get("app_credential", {"id": "appcred-id", "secret": "appcred-secret"})

        def create_app_cred(c, cl):
            calls["openstack"].append({"call": "keystone.create_application_credential", "cluster": cl.uuid})
            if inp.get("app_credential_create_fails"):
                fails = inp["app_credential_create_fails"]
                raise app_creds.ApplicationCredentialError(
                    fails if isinstance(fails, str) else "Failed to create application credential.")
            return types.SimpleNamespace(id=appcred["id"], secret=appcred["secret"])

        osc.return_value.cinder_region_name.return_value = inp.get("region", "RegionOne")
        osc.return_value.url_for.side_effect = lambda service_type, interface: inp["context"]["auth_url"]

        certs = inp.get("certificates", {"ca": {"tls.crt": "CA-CERT", "tls.key": "CA-KEY"},
                                         "etcd": {"tls.crt": "ETCD-CERT", "tls.key": "ETCD-KEY"},
                                         "proxy": {"tls.crt": "PROXY-CERT", "tls.key": "PROXY-KEY"},
                                         "sa": {"tls.crt": "SA-PUB", "tls.key": "SA-KEY"}})

        k8s = mock.MagicMock(spec=kubernetes.Client)
        for name in ("ensure_namespace", "apply_secret", "delete_all_secrets_by_label"):
            getattr(k8s, name).side_effect = (lambda n: lambda *a, **kw: calls["kubernetes"].append(
                {"call": n, "args": list(a), "kwargs": kw}))(name)
        state = inp.get("k8s", {})

        def reader(n, fn):
            def read(*a, **kw):
                calls["kubernetes"].append({"call": n, "args": list(a), "kwargs": kw})
                return copy.deepcopy(fn(*a))
            return read
        k8s.get_capi_cluster.side_effect = reader("get_capi_cluster", lambda name, ns: state.get("capi_cluster"))
        k8s.get_capi_openstackcluster.side_effect = reader(
            "get_capi_openstackcluster", lambda name, ns: state.get("openstack_cluster"))
        k8s.get_k8s_control_plane.side_effect = reader("get_k8s_control_plane", lambda name, ns: state.get("control_plane"))
        k8s.get_machine_deployment.side_effect = reader(
            "get_machine_deployment", lambda name, ns: state.get("machine_deployments", {}).get(name))
        k8s.get_addons_by_label.side_effect = reader("get_addons_by_label", lambda labels, ns: state.get("addons", []))
        def machines_by_label(labels, ns):
            groups = state.get("machines", {})
            if "capi.stackhpc.com/node-group" in labels:
                return groups.get(labels["capi.stackhpc.com/node-group"], [])
            return [m for ms in groups.values() for m in ms
                    if all((m.get("metadata", {}).get("labels") or {}).get(k) == v for k, v in labels.items())
                    and m.get("metadata", {}).get("labels")]
        k8s.get_all_machines_by_label.side_effect = reader("get_all_machines_by_label", machines_by_label)
        k8s.get_secret_value.side_effect = reader(
            "get_secret_value", lambda name, ns, key: state.get("secrets", {}).get(name, {}).get(key))

        def delete_app_cred(cl, app_cred_id):
            calls["openstack"].append({"call": "keystone.delete_application_credential", "id": app_cred_id})
            if inp.get("app_credential_delete_fails"):
                raise app_creds.ApplicationCredentialError("403 Forbidden from Keystone")

        def install(self, release, chart, values, repo=None, version=None, namespace=None):
            calls["helm"].append({"call": "install_or_upgrade", "release": release, "chart": chart, "repo": repo,
                                  "version": version, "namespace": namespace, "values": copy.deepcopy(values)})

        def uninstall(self, release, namespace=None):
            calls["helm"].append({"call": "uninstall_release", "release": release, "namespace": namespace})

        with mock.patch("magnum.common.clients.OpenStackClients", osc), \
             mock.patch.object(driver.api_utils, "get_openstack_resource", lambda *a: image), \
             mock.patch.object(neutron, "get_network", get_network), \
             mock.patch.object(neutron, "get_fixed_subnet_id", get_fixed_subnet_id), \
             mock.patch.object(neutron, "get_external_network_id", get_external_network_id), \
             mock.patch.object(app_creds, "create_app_cred", create_app_cred), \
             mock.patch.object(app_creds, "delete_app_cred", delete_app_cred), \
             mock.patch.object(app_creds, "_get_openstack_ca_certificate", lambda: inp.get("openstack_ca", "(CA bundle)")), \
             mock.patch.object(ca_certificates, "get_certificate_string_data", lambda c, cl: certs), \
             mock.patch.object(driver.short_id, "generate_id", lambda: inp.get("release_suffix", "abcdefghijkl")), \
             mock.patch.object(kubernetes.Client, "load", lambda *a: k8s), \
             mock.patch.object(helm.Client, "install_or_upgrade", install), \
             mock.patch.object(helm.Client, "uninstall_release", uninstall):
            d = driver.Driver()
            op = case["operation"]
            args = inp.get("operation_args", {})
            error = None
            health = None
            try:
                if op == "create_cluster":
                    d.create_cluster(ctx, cluster, cluster.create_timeout)
                elif op == "update_cluster":
                    d.update_cluster(ctx, cluster)
                elif op == "resize_cluster":
                    ng = objects.NodeGroup.get(ctx, cluster.uuid, args["nodegroup"])
                    ng.node_count = args["node_count"]
                    ng.save()
                    d.resize_cluster(ctx, cluster, None, args["node_count"], args.get("nodes_to_remove", []), ng)
                elif op == "upgrade_cluster":
                    nt = dict(inp["cluster_template"])
                    nt.update(args["new_template"])
                    nt["uuid"] = args["new_template"].get("uuid", str(uuid.uuid4()))
                    new_ct = objects.ClusterTemplate(ctx, **nt)
                    new_ct.create()
                    ng = objects.NodeGroup.get(ctx, cluster.uuid, args.get("nodegroup", "default-worker"))
                    d.upgrade_cluster(ctx, cluster, new_ct, args.get("max_batch_size", 1), ng)
                elif op in ("create_nodegroup", "update_nodegroup", "delete_nodegroup"):
                    if op == "create_nodegroup":
                        nd = dict(args["nodegroup"])
                        nd.setdefault("uuid", str(uuid.uuid5(uuid.NAMESPACE_URL, cluster.uuid + nd["name"])))
                        nd["cluster_id"] = cluster.uuid
                        nd.setdefault("project_id", cluster.project_id)
                        ng = objects.NodeGroup(ctx, **nd)
                        ng.create()
                    else:
                        ng = objects.NodeGroup.get(ctx, cluster.uuid, args["nodegroup"])
                        for k, v in args.get("changes", {}).items():
                            setattr(ng, k, v)
                    getattr(d, op)(ctx, cluster, ng)
                elif op == "delete_cluster":
                    d.delete_cluster(ctx, cluster)
                elif op == "update_cluster_status":
                    d.update_cluster_status(ctx, cluster)
                elif op == "rotate_credential":
                    d.rotate_credential(ctx, cluster)
                elif op == "poll_health_status":
                    from magnum_capi_helm.common import capi_monitor
                    monitor = capi_monitor.CAPIMonitor(ctx, cluster)
                    monitor.poll_health_status()
                    health = {"status": monitor.data["health_status"],
                              "reason": monitor.data["health_status_reason"]}
                else:
                    raise SystemExit(f"unknown operation {op}")
            except Exception as e:
                error = {"class": type(e).__name__, "message": str(e)}
            cluster = objects.Cluster.get_by_uuid(ctx, cluster.uuid)
            expected = {"helm": calls["helm"], "kubernetes": calls["kubernetes"],
                        "openstack": calls["openstack"],
                        "cluster": {"stack_id": cluster.stack_id, "status": cluster.status,
                                    "status_reason": cluster.status_reason, "api_address": cluster.api_address,
                                    "coe_version": cluster.coe_version,
                                    "cluster_template_id": cluster.cluster_template_id},
                        "nodegroups": sorted(({"name": n.name, "status": n.status, "node_count": n.node_count}
                                              for n in objects.NodeGroup.list(ctx, cluster.uuid)),
                                             key=lambda n: n["name"])}
            if health is not None:
                expected["health"] = health
            if error:
                expected["error"] = error
            return expected
    finally:
        reset_config(case.get("config"))
        from magnum.db.sqlalchemy import models
        from oslo_db.sqlalchemy import enginefacade
        eng = enginefacade.writer.get_engine()
        with eng.begin() as conn:
            for t in reversed(models.Base.metadata.sorted_tables):
                conn.execute(t.delete())


def batch():
    """One case per line in, one outcome per line out."""
    out = sys.stdout
    sys.stdout = sys.stderr  # nothing else may write to the answer stream
    for line in sys.stdin:
        if not line.strip():
            continue
        case = json.loads(line)
        try:
            expected = run_case(case)
        except Exception as e:  # the harness itself failed: say so, keep going
            expected = {"oracle_error": "%s: %s" % (type(e).__name__, e)}
        out.write(json.dumps(expected, sort_keys=True) + "\n")
        out.flush()


def time_values(case_path, seconds):
    """Values per second of the real _update_helm_release, boundaries faked as in run_case."""
    import time
    from magnum_capi_helm import driver, helm
    case = json.load(open(case_path))
    captured = {}
    original = driver.Driver._update_helm_release
    counter = {"n": 0, "t": 0.0}

    def timed(self, context, cluster, nodegroups=None):
        # Warm up once, then call the real method repeatedly for the given time.
        original(self, context, cluster, nodegroups)
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            original(self, context, cluster, nodegroups)
            counter["n"] += 1
        counter["t"] = time.perf_counter() - start
    driver.Driver._update_helm_release = timed
    try:
        case = dict(case, operation="update_cluster")
        case["input"] = dict(case["input"])
        case["input"]["cluster"] = dict(case["input"]["cluster"], stack_id="prod-east-a1b2c3d4e5f6")
        expected = run_case(case)
    finally:
        driver.Driver._update_helm_release = original
    if "error" in expected:
        raise SystemExit("case failed: %s" % expected["error"])
    print(json.dumps({"calls": counter["n"], "seconds": counter["t"],
                      "per_second": counter["n"] / counter["t"]}))


def main():
    setup_magnum()
    if "--batch" in sys.argv:
        return batch()
    if "--time" in sys.argv:
        i = sys.argv.index("--time")
        return time_values(sys.argv[i + 2], float(sys.argv[i + 1]))
    write = "--write" in sys.argv
    for path in [a for a in sys.argv[1:] if a != "--write"]:
        case = json.load(open(path))
        case["expected"] = run_case(case)
        text = json.dumps(case, indent=1, sort_keys=True) + "\n"
        if write:
            open(path, "w").write(text)
        else:
            sys.stdout.write(text)


if __name__ == "__main__":
    main()
