"""Magnum's real conductor (handlers, periodic tasks, service group) for the Swift Worker tests.

`magnum_conductor.py serve` answers one JSON request per line (`OK <json>` or `CRASH <traceback
as a JSON string>`), each in a forked child of a process that imported magnum once (the same
pattern as magnum_db.py). Database URLs (which may hold a password) come in requests, never on
the command line.

Every request may carry:
  "connection": URL             the Magnum database to work on
  "host": NAME                  [DEFAULT] host (publisher container-infra.<host>)
  "rsa_key_size": N             [x509] rsa_key_size
  "drivers": [{"name", "provides": [{"server_type", "os", "coe"}], "beta"}]
                                fake cluster drivers, registered as magnum.drivers entry points
  "script": {...}               what the fake drivers do (the JSON form of the Swift
                                DriverScript: steps per driver method, "status_by_cluster")
  "disabled_drivers", "enabled_beta_drivers": [...]    [drivers] options

Operations:
  {"op": "conductor", "messages": [{"method", "args", "context", "namespace", "version"}], ...}
      each message through oslo.messaging's RPCDispatcher with magnum-conductor's endpoints
      (indirection API, cluster, listener, credential, CA, federation, nodegroup handlers) and
      serializer, as magnum-conductor's RPC server runs it. Per message:
      {"result": R} or {"failure": {class, module, message, args, kwargs}}, plus
      "notifications": [{"ctxt", "message", "priority"}] (oslo's test notification driver),
      "driver_calls": [...] and "rows": every table after the message.
  {"op": "periodic", "task": "sync_cluster_status" | "sync_cluster_health_status", ...}
      one run of MagnumPeriodicTasks' task, its looping calls run to completion in order;
      answers notifications, driver_calls, errors and rows.
  {"op": "service_list", "service_down_time": N, ...}
      MagnumService.list with magnum-api's ServiceGroup.service_is_up: [{host, binary, state, ...}]
  {"op": "rows", "connection": URL}    every Magnum table, rows ordered by id (read with a plain
                                SQLAlchemy engine, answered without forking)
  {"op": "notifications", "bodies": [TEXT...]}
      each body through oslo.messaging's deserialize_msg, unpack_context and a notification
      dispatcher (what a notification listener does): [{"result", "calls": [...]}]
"""
import datetime
import json
import logging
import os
import sys
import traceback
import warnings

warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)

import magnum.conf  # noqa: E402

CONF = magnum.conf.CONF

SECRET_COLUMNS = {"certificate", "private_key", "private_key_passphrase"}
TABLES = ["cluster_template", "cluster", "nodegroup", "x509keypair", "magnum_service", "quotas", "federation"]


def to_json(value):
    from oslo_serialization import jsonutils
    return json.loads(jsonutils.dumps(value))


def configure(req):
    from oslo_messaging import transport
    from oslo_messaging.notify import notifier
    from oslo_messaging.rpc import dispatcher as rpc_dispatcher
    from magnum.common import rpc
    # A fresh database engine for this request's URL (the parent's warm-up started one).
    from oslo_db.sqlalchemy import enginefacade
    enginefacade._context_manager._root_factory = enginefacade._context_manager._create_root_factory()
    CONF.reset()
    CONF([], project="magnum")
    CONF.register_opts(transport._transport_opts)
    CONF.register_opts(notifier._notifier_opts, group="oslo_messaging_notifications")
    CONF.register_opts(rpc_dispatcher._dispatcher_opts)
    rpc.set_defaults(control_exchange="magnum")
    CONF.set_override("transport_url", "fake:/")
    CONF.set_override("driver", ["test"], group="oslo_messaging_notifications")
    if "connection" in req:
        CONF.set_override("connection", req["connection"], group="database")
    CONF.set_override("host", req.get("host", "conductor-1"))
    CONF.set_override("cert_manager_type", "x509keypair", group="certificates")
    if "rsa_key_size" in req:
        CONF.set_override("rsa_key_size", req["rsa_key_size"], group="x509")
    CONF.set_override("disabled_drivers", req.get("disabled_drivers", []), group="drivers")
    CONF.set_override("enabled_beta_drivers", req.get("enabled_beta_drivers", []), group="drivers")
    if "service_down_time" in req:
        CONF.set_override("service_down_time", req["service_down_time"])
    rpc.init(CONF)


# MARK: - The fake driver (the same script semantics as the Swift RecordingClusterDriver)

class Recorder:
    def __init__(self, script):
        self.script = script or {}
        self.used = {}
        self.calls = []

    def take(self, method, cluster, arguments):
        call = {"method": method, "cluster": cluster.uuid, "cluster_status": cluster.status}
        call.update(arguments)
        self.calls.append(to_json(call))
        by_cluster = self.script.get("status_by_cluster", {})
        if method == "update_cluster_status" and cluster.uuid in by_cluster:
            key, steps = "status:" + cluster.uuid, by_cluster[cluster.uuid]
        else:
            key, steps = method, self.script.get(method)
        if steps is None:
            return None
        if not isinstance(steps, list):
            steps = [steps]
        if not steps:
            return None
        index = min(self.used.get(key, 0), len(steps) - 1)
        self.used[key] = self.used.get(key, 0) + 1
        return steps[index]


def make_exception(spec):
    from magnum.common import exception
    if "builtin" in spec:
        return NotImplementedError(spec.get("message", ""))
    cls = getattr(exception, spec["class"])
    kwargs = dict(spec.get("kwargs", {}))
    if spec.get("message") is not None:
        return cls(message=spec["message"], **kwargs)
    return cls(**kwargs)


def apply_step(step, context, cluster, nodegroup=None):
    from magnum import objects
    if step is None:
        return
    if step.get("nodegroups") or step.get("destroy_nodegroups"):
        for ng in objects.NodeGroup.list(context, cluster.uuid):
            fields = step.get("nodegroups", {}).get(ng.name)
            if fields is not None:
                for key, value in fields.items():
                    setattr(ng, key, value)
                ng.save()
            if ng.name in step.get("destroy_nodegroups", []):
                ng.destroy()
    if step.get("cluster"):
        for key, value in step["cluster"].items():
            setattr(cluster, key, value)
        cluster.save()
    if nodegroup is not None:
        for key, value in step.get("nodegroup", {}).items():
            setattr(nodegroup, key, value)
        if step.get("save_nodegroup"):
            nodegroup.save()
    if "raise" in step:
        raise make_exception(step["raise"])


def make_driver_class(spec, recorder):
    from magnum.drivers.common import driver as driver_module

    provides = [dict(t) for t in spec.get("provides", [{"server_type": "vm", "os": "ubuntu", "coe": "kubernetes"}])]

    class Monitor(object):
        def __init__(self, step, context, cluster):
            self.step, self.context, self.cluster, self.data = step, context, cluster, {}

        def poll_health_status(self):
            apply_step(self.step, self.context, self.cluster)
            self.data = dict(self.step.get("health") or {})

    class FakeDriver(driver_module.Driver):
        beta = bool(spec.get("beta", False))

        @property
        def provides(self):
            return provides

        def create_cluster(self, context, cluster, cluster_create_timeout):
            apply_step(recorder.take("create_cluster", cluster, {"create_timeout": cluster_create_timeout}), context, cluster)

        def update_cluster(self, context, cluster, scale_manager=None, rollback=False):
            apply_step(recorder.take("update_cluster", cluster, {"rollback": bool(rollback)}), context, cluster)

        def resize_cluster(self, context, cluster, resize_manager, node_count, nodes_to_remove, nodegroup=None):
            step = recorder.take("resize_cluster", cluster, {"node_count": node_count, "nodes_to_remove": list(nodes_to_remove or []),
                                                             "nodegroup": nodegroup.name if nodegroup is not None else None})
            apply_step(step, context, cluster, nodegroup)

        def upgrade_cluster(self, context, cluster, cluster_template, max_batch_size, nodegroup, scale_manager=None,
                            rollback=False):
            step = recorder.take("upgrade_cluster", cluster, {"cluster_template": cluster_template.uuid,
                                                              "max_batch_size": max_batch_size, "nodegroup": nodegroup.name,
                                                              "rollback": bool(rollback)})
            apply_step(step, context, cluster, nodegroup)

        def delete_cluster(self, context, cluster):
            apply_step(recorder.take("delete_cluster", cluster, {}), context, cluster)

        def create_nodegroup(self, context, cluster, nodegroup):
            step = recorder.take("create_nodegroup", cluster, {"nodegroup": nodegroup.name, "nodegroup_status": nodegroup.status})
            apply_step(step, context, cluster, nodegroup)

        def update_nodegroup(self, context, cluster, nodegroup):
            step = recorder.take("update_nodegroup", cluster, {"nodegroup": nodegroup.name, "nodegroup_status": nodegroup.status})
            apply_step(step, context, cluster, nodegroup)

        def delete_nodegroup(self, context, cluster, nodegroup):
            step = recorder.take("delete_nodegroup", cluster, {"nodegroup": nodegroup.name, "nodegroup_status": nodegroup.status})
            apply_step(step, context, cluster, nodegroup)

        def update_cluster_status(self, context, cluster, use_admin_ctx=False):
            apply_step(recorder.take("update_cluster_status", cluster, {}), context, cluster)

        def get_monitor(self, context, cluster):
            step = recorder.take("get_monitor", cluster, {})
            if step is None or ("health" in step and step["health"] is None and "raise" not in step):
                return None
            return Monitor(step, context, cluster)

        def rotate_ca_certificate(self, context, cluster):
            step = recorder.take("rotate_ca_certificate", cluster, {"ca_cert_ref": cluster.ca_cert_ref is not None})
            if step is None:
                return super().rotate_ca_certificate(context, cluster)
            apply_step(step, context, cluster)

        def rotate_credential(self, context, cluster):
            step = recorder.take("rotate_credential", cluster, {})
            if step is None:
                return super().rotate_credential(context, cluster)
            apply_step(step, context, cluster)

        def create_federation(self, context, federation):
            raise NotImplementedError()

        def update_federation(self, context, federation):
            raise NotImplementedError()

        def delete_federation(self, context, federation):
            raise NotImplementedError()

    FakeDriver.__name__ = "FakeDriver_" + spec["name"]
    return FakeDriver


class _EntryPoint(object):
    def __init__(self, name):
        self.name = name


def install_drivers(req):
    """Registers the fake drivers the way stevedore would find entry points."""
    from stevedore import exception as stevedore_exception
    from magnum.drivers.common import driver as driver_module
    recorder = Recorder(req.get("script"))
    specs = req.get("drivers") or [{"name": "k8s_capi_helm_v1"}]
    classes = [(spec["name"], make_driver_class(spec, recorder)) for spec in specs]

    def load_entry_points(cls):
        for name, klass in classes:
            if name not in CONF.drivers.disabled_drivers:
                yield _EntryPoint(name), klass

    class DriverManager(object):
        def __init__(self, namespace, name):
            found = [klass for n, klass in classes if n == name]
            if not found:
                raise stevedore_exception.NoMatches("No %r driver found, looking for %r" % (namespace, name))
            self.driver = found[-1]

    class StevedoreDriver(object):
        pass

    StevedoreDriver.DriverManager = DriverManager
    driver_module.Driver.load_entry_points = classmethod(load_entry_points)
    driver_module.Driver.definitions = None
    driver_module.driver = StevedoreDriver
    return recorder


# MARK: - Operations

class _Incoming(object):
    def __init__(self, ctxt, message):
        self.ctxt = ctxt
        self.message = message
        self.client_timeout = None


def notifications():
    from oslo_messaging.notify import _impl_test
    out = [{"ctxt": to_json(c), "message": to_json(m), "priority": p} for (c, m, p, _r) in _impl_test.NOTIFICATIONS]
    _impl_test.reset()
    return out


def rows(connection=None):
    """Every table, rows by id; with `connection`, read with a plain SQLAlchemy engine (no
    oslo.config set-up: the cheap path for reading the Swift side's database)."""
    if connection is None:
        from oslo_db.sqlalchemy import enginefacade
        engine = enginefacade.writer.get_engine()
    else:
        import sqlalchemy
        engine = sqlalchemy.create_engine(connection)
    out = {}
    with engine.connect() as conn:
        for table in TABLES:
            result = conn.exec_driver_sql("SELECT * FROM %s ORDER BY id" % table)
            names = list(result.keys())
            out[table] = []
            for row in result:
                item = {}
                for name, value in zip(names, row):
                    if isinstance(value, datetime.datetime):
                        value = value.isoformat(sep=" ")
                    elif name in SECRET_COLUMNS and value is not None:
                        # Key material is never compared (and never leaves the test run).
                        value = "<material>"
                    item[name] = value
                out[table].append(item)
    if connection is not None:
        engine.dispose()
    return out


def failure_of(exc_info):
    from oslo_messaging._drivers import common
    failure = json.loads(common.serialize_remote_exception(exc_info))
    failure.pop("tb", None)
    return failure


def conductor(req):
    configure(req)
    recorder = install_drivers(req)
    import oslo_messaging
    from oslo_messaging.rpc import dispatcher as rpc_dispatcher
    from magnum.common import rpc
    from magnum.objects import base
    import magnum_parts
    endpoints = magnum_parts.conductor_endpoints()
    serializer = rpc.RequestContextSerializer(base.MagnumObjectSerializer())
    dispatcher = rpc_dispatcher.RPCDispatcher(endpoints, serializer, rpc_dispatcher.DefaultRPCAccessPolicy)
    notifications()
    answers = []
    for msg in req["messages"]:
        before = len(recorder.calls)
        message = {"method": msg["method"], "args": msg.get("args", {})}
        for key in ("namespace", "version"):
            if msg.get(key) is not None:
                message[key] = msg[key]
        try:
            answer = {"result": to_json(dispatcher.dispatch(_Incoming(dict(msg.get("context", {})), message)))}
        except oslo_messaging.ExpectedException as e:
            answer = {"failure": failure_of(e.exc_info)}
        except Exception:  # noqa: BLE001 - reported like the RPC server reports it
            answer = {"failure": failure_of(sys.exc_info())}
        answer["notifications"] = notifications()
        answer["driver_calls"] = recorder.calls[before:]
        answer["rows"] = rows()
        answers.append(answer)
    return answers


class _SyncLoopingCall(object):
    """FixedIntervalLoopingCall run to completion at once, so a periodic run is deterministic."""
    errors = []

    def __init__(self, f=None, *args, **kwargs):
        self.f, self.args, self.kwargs = f, args, kwargs

    def start(self, interval=None, initial_delay=None, stop_on_exception=True):
        from oslo_service import loopingcall
        try:
            while True:
                self.f(*self.args, **self.kwargs)
        except loopingcall.LoopingCallDone:
            pass
        except Exception as exc:  # noqa: BLE001 - the looping call logs and stops
            _SyncLoopingCall.errors.append("%s: %s" % (type(exc).__name__, exc))
        return self


def periodic(req):
    configure(req)
    recorder = install_drivers(req)
    from magnum.service import periodic as periodic_module
    periodic_module.loopingcall.FixedIntervalLoopingCall = _SyncLoopingCall
    _SyncLoopingCall.errors = []
    tasks = periodic_module.MagnumPeriodicTasks(CONF)
    notifications()
    getattr(tasks, req["task"])(None)
    return {"notifications": notifications(), "driver_calls": recorder.calls, "errors": _SyncLoopingCall.errors,
            "rows": rows()}


def service_list(req):
    configure(req)
    from magnum.api import servicegroup
    from magnum.common import context
    from magnum import objects
    ctx = context.make_admin_context(all_tenants=True)
    group = servicegroup.ServiceGroup()
    out = []
    for svc in objects.MagnumService.list(ctx):
        out.append({"host": svc.host, "binary": svc.binary, "state": "up" if group.service_is_up(svc) else "down",
                    "report_count": svc.report_count, "disabled": svc.disabled, "forced_down": svc.forced_down,
                    "last_seen_up": svc.last_seen_up.isoformat() if svc.last_seen_up else None})
    return out


def decode_notifications(req):
    from oslo_messaging._drivers import amqp as rpc_amqp
    from oslo_messaging._drivers import common as rpc_common
    from oslo_messaging.notify import dispatcher as notify_dispatcher
    from magnum.common import rpc
    out = []
    for body in req["bodies"]:
        raw = dict(rpc_common.deserialize_msg(json.loads(body)))
        ctxt = rpc_amqp.unpack_context(raw).to_dict()
        for key in ("msg_id", "reply_q", "client_timeout"):
            ctxt.pop(key, None)
        raw.pop("_unique_id", None)
        seen = []

        class Endpoint(object):
            pass

        for prio in notify_dispatcher.PRIORITIES:
            def handler(self, ctxt, publisher_id, event_type, payload, metadata, _p=prio):
                seen.append({"priority": _p, "publisher_id": publisher_id, "event_type": event_type, "payload": payload,
                             "metadata": metadata, "ctxt": to_json(ctxt.to_dict() if hasattr(ctxt, "to_dict") else ctxt)})
                return notify_dispatcher.NotificationResult.HANDLED
            setattr(Endpoint, prio, handler)
        # Magnum's notification serializer, as a Magnum listener would use it.
        serializer = rpc.RequestContextSerializer(rpc.JsonPayloadSerializer())
        dispatcher = notify_dispatcher.NotificationDispatcher([Endpoint()], serializer)
        result = dispatcher.dispatch(_Incoming(ctxt, raw))
        out.append({"result": result, "calls": seen})
    return out


def handle(req):
    op = req["op"]
    if op == "conductor":
        return conductor(req)
    if op == "periodic":
        return periodic(req)
    if op == "service_list":
        return service_list(req)
    if op == "rows":
        return rows(req["connection"])
    if op == "notifications":
        return decode_notifications(req)
    raise SystemExit("unknown op %r" % op)


def warm_up():
    """Runs a few requests once before forking, so SQLAlchemy's mappers and statement caches and
    stevedore's entry points are ready in every child instead of being built per request."""
    import tempfile
    from magnum.db.sqlalchemy import models
    directory = tempfile.mkdtemp(prefix="magnum-conductor-warm-up-")
    url = "sqlite:///" + os.path.join(directory, "warm-up.sqlite")
    try:
        import sqlalchemy
        engine = sqlalchemy.create_engine(url)
        models.Base.metadata.create_all(engine)
        engine.dispose()
        handle({"op": "conductor", "connection": url, "messages": [
            {"method": "ping_conductor", "args": {}, "context": {}},
            {"method": "cluster_delete", "args": {"uuid": "00000000-0000-4000-8000-000000000000"},
             "context": {"is_admin": True, "all_tenants": True}},
        ]})
        from oslo_db.sqlalchemy import enginefacade
        enginefacade.writer.get_engine().dispose()
    except Exception:  # noqa: BLE001 - warming up is an optimisation only
        traceback.print_exc()
    finally:
        import shutil
        shutil.rmtree(directory, ignore_errors=True)


def serve():
    # Import everything a request may need before forking.
    import oslo_messaging  # noqa: F401
    from oslo_messaging._drivers import common  # noqa: F401
    from oslo_messaging.notify import dispatcher  # noqa: F401
    from oslo_messaging.rpc import dispatcher as rpc_dispatcher  # noqa: F401
    from magnum import objects  # noqa: F401
    from magnum.api import servicegroup  # noqa: F401
    from magnum.conductor.handlers import ca_conductor, cluster_conductor, conductor_listener  # noqa: F401
    from magnum.conductor.handlers import credential_conductor, federation_conductor  # noqa: F401
    from magnum.conductor.handlers import indirection_api, nodegroup_conductor  # noqa: F401
    import magnum_parts  # noqa: F401
    from magnum.service import periodic as periodic_module  # noqa: F401
    from oslo_db.sqlalchemy import enginefacade  # noqa: F401
    import sqlalchemy  # noqa: F401
    import pymysql  # noqa: F401
    warm_up()
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        if req.get("op") in ("rows", "notifications"):
            # Read-only, no global state: answered in this process, without a fork.
            try:
                answer = "OK " + json.dumps(handle(req))
            except Exception:  # noqa: BLE001
                answer = "CRASH " + json.dumps(traceback.format_exc())
            out.write(answer + "\n")
            out.flush()
            continue
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            try:
                answer = "OK " + json.dumps(handle(json.loads(line)))
            except BaseException:
                answer = "CRASH " + json.dumps(traceback.format_exc())
            with os.fdopen(write_fd, "w") as w:
                w.write(answer)
            os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd) as r:
            data = r.read()
        os.waitpid(pid, 0)
        out.write((data or "CRASH " + json.dumps("the request's process died")) + "\n")
        out.flush()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve()
        return
    json.dump(handle(json.load(sys.stdin)), sys.stdout)


if __name__ == "__main__":
    main()
