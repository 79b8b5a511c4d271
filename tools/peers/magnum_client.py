"""magnum-api's side of the quickstart, with the real Python Magnum and oslo.messaging.

    magnum_client.py --config-file magnum.conf --recording cluster_create_defaults.jsonl \
        --template-case create_cilium.json --render-dir DIR [--node-count 3] [--timeout 90]

What magnum-api does for `openstack coe cluster create / resize / delete`, against the same
magnum.conf the worker serves: the cluster template is created in Magnum's database (magnum-api
does this on `coe cluster template create`), then the recorded `cluster_create` cast is sent again
through `magnum.conductor.api.API` (Magnum's own RPC client) with the recorded request context,
then a `cluster_resize` of the default worker nodegroup and a `cluster_delete`. Between steps it
reads the cluster from the database as magnum-api does for `coe cluster show` and prints every
status change, and it listens for the notifications the conductor publishes (oslo.messaging's
notification listener on `notifications.info` / `.error`). After create and resize it prints the
helm command line and values the worker recorded (render-only or record mode).

Exit status 0 when every step reached its *_COMPLETE status, 1 otherwise.
"""
import argparse
import json
import os
import sys
import threading
import time
import warnings

warnings.simplefilter("ignore")
import logging  # noqa: E402

logging.disable(logging.CRITICAL)

import magnum.conf  # noqa: E402

CONF = magnum.conf.CONF


PRINT_LOCK = threading.Lock()


def say(text=""):
    with PRINT_LOCK:
        print(text, flush=True)


def recorded_cast(path):
    """The first cast of a recording: (method, args, context)."""
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            record = json.loads(line)
            envelope = json.loads(record["body"])
            message = json.loads(envelope["oslo.message"]) if "oslo.message" in envelope else envelope
            context = {k[len("_context_"):]: v for k, v in message.items() if k.startswith("_context_")}
            return message["method"], message["args"], context
    raise SystemExit(f"{path}: no message")


class Notifications:
    """oslo.messaging's notification listener, collecting what the worker publishes."""

    def __init__(self, transport):
        import oslo_messaging
        self.events = []
        self.lock = threading.Lock()
        outer = self

        class Endpoint:
            def info(self, ctxt, publisher_id, event_type, payload, metadata):
                outer.add("INFO", publisher_id, event_type, payload)

            def error(self, ctxt, publisher_id, event_type, payload, metadata):
                outer.add("ERROR", publisher_id, event_type, payload)

        targets = [oslo_messaging.Target(topic=t) for t in (CONF.oslo_messaging_notifications.topics or ["notifications"])]
        self.listener = oslo_messaging.get_notification_listener(transport, targets, [Endpoint()], executor="threading")
        self.listener.start()

    def add(self, priority, publisher, event_type, payload):
        with self.lock:
            self.events.append((priority, publisher, event_type, payload))
        if event_type == "magnum.cluster.status_update":
            detail = f"{payload.get('previous_status')} -> {payload.get('status')}"
        else:
            detail = f"outcome={payload.get('outcome')} action={payload.get('action')}"
        say(f"    notification {priority:5} {event_type:32} {detail}  (from {publisher})")

    def stop(self):
        self.listener.stop()
        self.listener.wait()


def wait_for(context, uuid, done, timeout, seen, absent="(no row)"):
    """Polls the cluster row (as `coe cluster show` reads it) until `done(status)` or timeout."""
    from magnum.common import exception
    from magnum import objects
    deadline = time.monotonic() + timeout
    last = seen.get("status")
    while time.monotonic() < deadline:
        try:
            cluster = objects.Cluster.get_by_uuid(context, uuid)
            status, reason = cluster.status, cluster.status_reason
        except exception.ClusterNotFound:
            status, reason = absent, None
        if status != last:
            say(f"    status {status}" + (f"  reason: {reason}" if reason else ""))
            last = status
            seen["status"] = status
        if done(status):
            return status
        time.sleep(0.25)
    say(f"    timed out after {timeout} s in {last}")
    return None


def show_helm(render_dir, label):
    calls = []
    for root, _dirs, files in os.walk(render_dir):
        if "helm-command.json" in files:
            with open(os.path.join(root, "helm-command.json")) as f:
                calls.append(json.load(f))
    if not calls:
        say(f"    (no helm command recorded under {render_dir})")
        return
    for call in calls:
        say(f"    helm command ({label}): {call['command']}")
        values = call.get("values") or {}
        groups = [f"{g.get('name')}={g.get('machineCount', g.get('autoscale'))}" for g in values.get("nodeGroups", [])]
        say(f"      kubernetesVersion={values.get('kubernetesVersion')} controlPlane.machineCount="
            f"{(values.get('controlPlane') or {}).get('machineCount')} nodeGroups: {', '.join(groups)}")
        say(f"      values: {len(json.dumps(values))} bytes of JSON on helm's standard input"
            + (f"; manifests in {call['manifests']}" if call.get("manifests") else "")
            + f"; full file: {os.path.join(render_dir, call['namespace'], call['release'], 'helm-command.json')}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config-file", required=True)
    parser.add_argument("--recording", required=True)
    parser.add_argument("--template-case", required=True, help="driver case whose cluster_template is created")
    parser.add_argument("--render-dir", required=True)
    parser.add_argument("--node-count", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=90)
    args = parser.parse_args()

    CONF([], project="magnum", default_config_files=[args.config_file])
    from oslo_db.sqlalchemy import enginefacade
    enginefacade._context_manager._root_factory = enginefacade._context_manager._create_root_factory()
    from magnum.common import context as magnum_context
    from magnum.common import rpc
    from magnum.conductor import api as conductor_api
    from magnum import objects
    rpc.set_defaults(control_exchange="magnum")
    rpc.init(CONF)

    method, cast_args, recorded_context = recorded_cast(args.recording)
    if method != "cluster_create":
        raise SystemExit(f"{args.recording}: the first message is {method}, not cluster_create")
    context = magnum_context.RequestContext.from_dict(recorded_context)
    admin = magnum_context.make_admin_context(all_tenants=True)

    # magnum-api: `openstack coe cluster template create`.
    with open(args.template_case) as f:
        template_fields = json.load(f)["input"]["cluster_template"]
    template_fields = {k: v for k, v in template_fields.items() if k in objects.ClusterTemplate.fields}
    try:
        objects.ClusterTemplate.get_by_uuid(admin, template_fields["uuid"])
    except Exception:
        objects.ClusterTemplate(admin, **template_fields).create()
    say(f"  cluster template {template_fields['name']} ({template_fields['uuid']}) in Magnum's database")

    notifications = Notifications(rpc.TRANSPORT)
    api = conductor_api.API(context=context)
    serializer = objects.base.MagnumObjectSerializer()
    cluster = serializer.deserialize_entity(context, cast_args["cluster"])
    uuid = cluster.uuid
    ok = True
    seen = {}

    say(f"\n  1. cluster_create {cluster.name} ({uuid}): master_count={cast_args['master_count']} "
        f"node_count={cast_args['node_count']} — cast with magnum.conductor.api.API, as magnum-api does")
    api.cluster_create_async(cluster, cast_args["master_count"], cast_args["node_count"], cast_args["create_timeout"])
    ok &= wait_for(admin, uuid, lambda s: s in ("CREATE_COMPLETE", "CREATE_FAILED"), args.timeout, seen,
                   absent="(no row yet)") == "CREATE_COMPLETE"
    show_helm(args.render_dir, "after create")

    if ok:
        cluster = objects.Cluster.get_by_uuid(admin, uuid)
        worker = next(ng for ng in objects.NodeGroup.list(admin, uuid) if ng.role != "master")
        say(f"\n  2. cluster_resize: nodegroup {worker.name} {worker.node_count} -> {args.node_count} nodes")
        api.cluster_resize_async(cluster, args.node_count, [], worker)
        ok &= wait_for(admin, uuid, lambda s: s in ("UPDATE_COMPLETE", "UPDATE_FAILED"), args.timeout, seen) == "UPDATE_COMPLETE"
        show_helm(args.render_dir, "after resize")

    if ok:
        say(f"\n  3. cluster_delete {uuid}")
        api.cluster_delete_async(uuid)
        ok &= wait_for(admin, uuid, lambda s: s in ("(row deleted)", "DELETE_FAILED"), args.timeout, seen,
                       absent="(row deleted)") == "(row deleted)"

    time.sleep(1.0)  # the last notifications
    notifications.stop()
    counts = {}
    for _p, _pub, event_type, _payload in notifications.events:
        counts[event_type] = counts.get(event_type, 0) + 1
    say("\n  notifications received: " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())))
    say("  result: " + ("every step completed" if ok else "a step did not complete (see the worker log)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
