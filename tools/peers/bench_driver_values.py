#!/usr/bin/env python3
"""How many openstack-cluster values documents the real magnum-capi-helm 1.4.0 driver renders
per second of CPU time: the real Driver._update_helm_release on a driver case's objects (stored in a
scratch SQLite Magnum database, as driver_oracle.py does), with every boundary faked by plain
Python objects that answer at once (no MagicMock) and a helm client that keeps nothing.

  bench_driver_values.py CASE.json [SECONDS] [--cached-db]
      -> {"calls", "seconds", "per_second"} as JSON

--cached-db answers Magnum's NodeGroup.list from memory (the driver reads the nodegroups three
times per render from the database), to time the driver's own logic alone.

  bench_driver_values.py CASE.json [SECONDS] --both [--reps N]
      -> one line per repetition (N, default 1): {"db": {...}, "cached": {...}}, both measurements
      (SECONDS each) from one Python start-up (importing Magnum costs seconds of CPU: tools/bench
      runs its repetitions in one process)

The case runs as update_cluster (a release name is set). tools/bench-driver runs this and the
Swift bench-driver on the same case.
"""
import json
import os
import sys
import time
import types
import warnings
from unittest import mock

warnings.simplefilter("ignore")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import driver_oracle  # noqa: E402  (scratch database, object loading, config overrides)
import magnum_parts  # noqa: E402  (offline Nova and Cinder managers)


def main():
    args = [a for i, a in enumerate(sys.argv[1:], 1) if not a.startswith("--") and sys.argv[i - 1] != "--reps"]
    path = args[0]
    seconds = float(args[1]) if len(args) > 1 else 3.0
    both = "--both" in sys.argv
    cached_db = "--cached-db" in sys.argv
    mode = {"cached": cached_db}
    case = json.load(open(path))
    inp = case["input"]
    inp["cluster"] = dict(inp["cluster"], stack_id="prod-east-a1b2c3d4e5f6")

    driver_oracle.setup_magnum()
    from magnum.common import context as mctx, neutron
    from magnum_capi_helm import driver, helm

    driver_oracle.apply_config(case.get("config"))
    ctx = mctx.RequestContext(is_admin=False, **inp["context"])
    cluster, _ = driver_oracle.make_objects(ctx, inp)

    image = driver_oracle.Image(inp["image"])
    nova = types.SimpleNamespace(flavors=magnum_parts.Flavors(inp.get("flavors", [])))
    cinder = types.SimpleNamespace(volume_types=magnum_parts.VolumeTypes(inp.get("volume_types", ["__DEFAULT__"])))
    class Images:
        def get(self, ident):
            return image

    class Clients:
        def __init__(self, context):
            pass

        def nova(self):
            return nova

        def cinder(self):
            return cinder

        def glance(self):
            return types.SimpleNamespace(images=Images())

    networks = inp.get("networks", {})
    subnets = inp.get("subnets", {})
    last = {}

    def install(self, release, chart, values, repo=None, version=None, namespace=None):
        last["values"] = values

    from magnum import objects
    listed = objects.NodeGroup.list(ctx, cluster.uuid)
    real_list = objects.NodeGroup.list

    def cached_list(context, cluster_id, filters=None, **kw):
        if not mode["cached"]:
            return real_list(context, cluster_id, filters=filters, **kw)
        return [n for n in listed if all(getattr(n, k) == v for k, v in (filters or {}).items())]

    with mock.patch("magnum.common.clients.OpenStackClients", Clients), \
         mock.patch.object(objects.NodeGroup, "list", cached_list), \
         mock.patch.object(driver.api_utils, "get_openstack_resource", lambda *a: image), \
         mock.patch.object(neutron, "get_network", lambda c, n, source, target, external: networks.get(n, f"{n}-id")), \
         mock.patch.object(neutron, "get_fixed_subnet_id", lambda c, s: subnets.get(s, f"{s}-id") if s else None), \
         mock.patch.object(neutron, "get_external_network_id", lambda c, n: networks.get(n, n)), \
         mock.patch.object(helm.Client, "install_or_upgrade", install):
        d = driver.Driver()
        d._update_helm_release(ctx, cluster)  # warm up

        def measure():
            # CPU time of the process, so a busy machine does not distort the figure.
            calls = 0
            start = time.process_time()
            while time.process_time() - start < seconds:
                for _ in range(10):
                    d._update_helm_release(ctx, cluster)
                calls += 10
            elapsed = time.process_time() - start
            return {"calls": calls, "seconds": elapsed, "per_second": calls / elapsed, "cached_db": mode["cached"]}

        if both:
            reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 1
            for _ in range(reps):
                mode["cached"] = False
                db = measure()
                mode["cached"] = True
                print(json.dumps({"db": db, "cached": measure()}))
                sys.stdout.flush()
        else:
            print(json.dumps(measure()))


if __name__ == "__main__":
    main()
