#!/usr/bin/env python3
"""A real oslo.messaging 18.3.1 service on a real RabbitMQ, driven by the Swift interop tests.

Reads one JSON request per line on stdin and answers each with one JSON line on stdout:
  {"id": N, "ok": {...}}   or   {"id": N, "error": "<traceback>"}
Every request runs on a thread of its own, so a slow call does not hold up the others (answers
may come out of order; match them by id). oslo.messaging and magnum are imported once.

Every request that touches the bus names its transport: "url" (transport_url), "exchange" (the
control exchange) and optionally "rabbit" ({option: value} for [oslo_messaging_rabbit]); one
oslo transport is made and kept per distinct (url, exchange, rabbit, kind).

Operations:
  call   {target, method, args, timeout, call_monitor_timeout?, context?}
         -> {"result": R} or {"exception": {python_class, python_module, str, is_remote_error,
             exc_type, value, kwargs, code}}
  cast   {target, method, args, context?}                            -> {}
  calls  {target, method, args, timeout, concurrency, total}          concurrent callers, one
         client: -> {"latencies_ms": [...], "exceptions": {"Class": n}, "seconds": wall}
  raw_call {target, body_template, timeout}   a raw body (text; "@MSG_ID@" / "@REPLY_Q@" are
         replaced by a real oslo reply queue and message id, "@PAD@" by pad_bytes x's;
         "body_b64" for bytes) published
         with pika to the target's queue, then waited for with oslo's own ReplyWaiter
         -> like call
  start_server {target, endpoints: [{namespace, version, methods: [...]}], ping}
         -> {"handle": H}. Methods by name: "echo" returns {"server", "method", "args"};
         "noop" returns None; "sleep" sleeps args.seconds; "raise_magnum" raises
         magnum.common.exception.<args.class>(**args.kwargs); "raise_value" raises ValueError.
  server_received {handle} -> {"received": [{"method", "args", "server"}]}
  stop_server {handle} -> {}
  notify {publisher_id, event_type, payload, priority, topics, context?}        -> {}
         (context: keyword arguments of magnum's RequestContext; oslo sends its redacted_copy())
  start_listener {topics, pool?} -> {"handle": H};  listener_received {handle};  stop_listener
  option_specs -> {"options": {"group.name": {kind, default, choices, min, max, secret, deprecated}}}
         oslo.messaging's own option definitions
  quit -> exits
A target is {"topic", "server"?, "fanout"?, "namespace"?, "version"?}.
"""
import base64
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
import warnings

warnings.filterwarnings("ignore")
logging.basicConfig(stream=sys.stderr, level=logging.WARNING,
                    format="%(asctime)s %(threadName)s %(levelname)s %(name)s %(message)s")

from oslo_config import cfg  # noqa: E402
import oslo_messaging  # noqa: E402
from oslo_messaging import transport as om_transport  # noqa: E402
from oslo_messaging._metrics import client as om_metrics  # noqa: E402
from oslo_messaging._tracing import client as om_tracing  # noqa: E402
from oslo_messaging.rpc import dispatcher as rpc_dispatcher  # noqa: E402
import pika  # noqa: E402

from magnum.common import context as magnum_context  # noqa: E402
from magnum.common import exception as magnum_exception  # noqa: E402

cfg.CONF.register_opts(rpc_dispatcher._dispatcher_opts)
# Magnum's RequestContext reads the global configuration (policy): parse an empty one.
cfg.CONF([], project="magnum", default_config_files=[], default_config_dirs=[])

_out_lock = threading.Lock()
_transports = {}
_transports_lock = threading.Lock()
_handles = {}
_ping_lock = threading.Lock()


def answer(message):
    line = json.dumps(message, sort_keys=True, default=str)
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def transport_for(req, kind="rpc"):
    rabbit = req.get("rabbit") or {}
    key = json.dumps([req["url"], req.get("exchange", "openstack"), rabbit, kind], sort_keys=True)
    with _transports_lock:
        if key in _transports:
            return _transports[key]
        conf = cfg.ConfigOpts()
        conf([], project="oslo-bus-peer")
        conf.register_opts(om_transport._transport_opts)
        # oslo registers these on the global CONF only, and the RPC client reads them.
        conf.register_opts(om_tracing.oslo_messaging_tracing, group="oslo_messaging_tracing")
        conf.register_opts(om_metrics.oslo_messaging_metrics, group="oslo_messaging_metrics")
        conf.set_override("control_exchange", req.get("exchange", "openstack"))
        if kind == "rpc":
            t = oslo_messaging.get_rpc_transport(conf, url=req["url"],
                                                 allowed_remote_exmods=["magnum.common.exception"])
        else:
            t = oslo_messaging.get_notification_transport(conf, url=req["url"])
        for name, value in rabbit.items():
            conf.set_override(name, value, group="oslo_messaging_rabbit")
        _transports[key] = t
        return t


def make_target(req, exchange=None):
    t = req["target"]
    return oslo_messaging.Target(exchange=exchange or req.get("exchange"), topic=t["topic"], server=t.get("server"),
                                 fanout=t.get("fanout", False), namespace=t.get("namespace"),
                                 version=t.get("version"))


def describe(exc):
    info = {
        "python_class": type(exc).__name__,
        "python_module": type(exc).__module__,
        "str": str(exc),
        "is_remote_error": isinstance(exc, oslo_messaging.RemoteError),
        "is_timeout": isinstance(exc, oslo_messaging.MessagingTimeout),
        "kwargs": getattr(exc, "kwargs", None),
        "code": getattr(exc, "code", None),
    }
    if isinstance(exc, oslo_messaging.RemoteError):
        info["exc_type"] = exc.exc_type
        info["value"] = exc.value
    return info


def client_for(req):
    transport = transport_for(req)
    return oslo_messaging.get_rpc_client(transport, make_target(req))


def op_call(req):
    client = client_for(req).prepare(timeout=req.get("timeout", 30),
                                     call_monitor_timeout=req.get("call_monitor_timeout"))
    try:
        return {"result": client.call(req.get("context") or {}, req["method"], **req.get("args", {}))}
    except Exception as exc:  # noqa: BLE001 - reported to the test
        return {"exception": describe(exc)}


def op_cast(req):
    client_for(req).cast(req.get("context") or {}, req["method"], **req.get("args", {}))
    return {}


def op_calls(req):
    client = client_for(req).prepare(timeout=req.get("timeout", 30))
    total = int(req["total"])
    concurrency = int(req["concurrency"])
    latencies = []
    exceptions = {}
    lock = threading.Lock()
    counter = iter(range(total))

    def caller():
        while True:
            with lock:
                try:
                    next(counter)
                except StopIteration:
                    return
            start = time.perf_counter()
            try:
                client.call({}, req["method"], **req.get("args", {}))
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
            except Exception as exc:  # noqa: BLE001
                with lock:
                    exceptions[type(exc).__name__] = exceptions.get(type(exc).__name__, 0) + 1

    begin = time.perf_counter()
    threads = [threading.Thread(target=caller, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"latencies_ms": latencies, "exceptions": exceptions, "seconds": time.perf_counter() - begin}


def pika_url(url):
    # rabbit://user:pass@host:port/vhost -> amqp://user:pass@host:port/<vhost, %2F for />
    rest = url.split("://", 1)[1]
    netloc, _, vhost = rest.partition("/")
    vhost = vhost.split("?", 1)[0]
    return "amqp://%s/%s" % (netloc.split(",")[0], vhost if vhost else "%2F")


def op_raw_call(req):
    transport = transport_for(req)
    driver = transport._driver
    target = make_target(req)
    reply_q = driver._get_reply_q()
    msg_id = uuid.uuid4().hex
    if "body_b64" in req:
        body = base64.b64decode(req["body_b64"])
    else:
        body = req["body_template"].encode("utf-8")
    body = body.replace(b"@MSG_ID@", msg_id.encode()).replace(b"@REPLY_Q@", reply_q.encode())
    body = body.replace(b"@PAD@", b"x" * int(req.get("pad_bytes", 0)))
    timeout = req.get("timeout", 10)
    routing_key = target.topic if not target.server else "%s.%s" % (target.topic, target.server)
    driver._waiter.listen(msg_id)
    try:
        conn = pika.BlockingConnection(pika.URLParameters(pika_url(req["url"])))
        try:
            ch = conn.channel()
            ch.basic_publish(exchange=req["exchange"], routing_key=routing_key, body=body,
                             properties=pika.BasicProperties(content_type="application/json",
                                                             content_encoding="utf-8", delivery_mode=2,
                                                             priority=0, expiration=str(int(timeout * 1000))))
        finally:
            conn.close()
        try:
            result = driver._waiter.wait(msg_id, timeout, None, reply_q)
            if isinstance(result, Exception):
                raise result
            return {"result": result, "msg_id": msg_id}
        except Exception as exc:  # noqa: BLE001
            return {"exception": describe(exc), "msg_id": msg_id}
    finally:
        driver._waiter.unlisten(msg_id)


class RecordingEndpoint:
    def __init__(self, server_name, namespace, version, methods, received):
        self.target = oslo_messaging.Target(namespace=namespace, version=version)
        for name in methods:
            setattr(self, name, self._method(server_name, name, received))

    @staticmethod
    def _method(server_name, name, received):
        def method(ctxt, **kwargs):
            received.append({"method": name, "args": kwargs, "server": server_name,
                             "context_request_id": (ctxt or {}).get("request_id")})
            if name.startswith("sleep"):
                time.sleep(float(kwargs.get("seconds", 1)))
                return "slept"
            if name.startswith("raise_magnum"):
                raise getattr(magnum_exception, kwargs["class"])(**kwargs.get("kwargs", {}))
            if name.startswith("raise_value"):
                raise ValueError(kwargs.get("message", "bad value"))
            if name.startswith("noop"):
                return None
            return {"server": server_name, "method": name, "args": kwargs}
        return method


def op_start_server(req):
    transport = transport_for(req)
    received = []
    target = make_target(req)
    endpoints = [RecordingEndpoint(target.server, e.get("namespace"), e.get("version"), e.get("methods", []), received)
                 for e in req["endpoints"]]
    with _ping_lock:  # the dispatcher reads the global option when it is made
        cfg.CONF.set_override("rpc_ping_enabled", bool(req.get("ping", False)))
        server = oslo_messaging.get_rpc_server(transport, target, endpoints, executor="threading")
    server.start()
    handle = uuid.uuid4().hex
    _handles[handle] = (server, received)
    return {"handle": handle}


def op_server_received(req):
    return {"received": list(_handles[req["handle"]][1])}


def op_stop(req):
    server, _ = _handles.pop(req["handle"])
    server.stop()
    server.wait()
    return {}


class NotificationEndpoint:
    def __init__(self, received):
        for priority in ("audit", "debug", "info", "warn", "error", "critical", "sample"):
            setattr(self, priority, self._method(priority, received))

    @staticmethod
    def _method(priority, received):
        def method(ctxt, publisher_id, event_type, payload, metadata):
            received.append({"priority": priority, "publisher_id": publisher_id, "event_type": event_type,
                             "payload": payload, "metadata": metadata, "ctxt": ctxt})
        return method


def op_notify(req):
    transport = transport_for(req, kind="notification")
    notifier = oslo_messaging.Notifier(transport, publisher_id=req["publisher_id"], driver="messagingv2",
                                       topics=req.get("topics", ["notifications"]))
    # oslo drops a plain dict context (it cannot redact it): send Magnum's RequestContext.
    ctxt = magnum_context.RequestContext(**req["context"]) if req.get("context") else {}
    getattr(notifier, req.get("priority", "info"))(ctxt, req["event_type"], req["payload"])
    return {}


def op_start_listener(req):
    transport = transport_for(req, kind="notification")
    received = []
    targets = [oslo_messaging.Target(topic=t, exchange=req.get("exchange")) for t in req.get("topics", ["notifications"])]
    listener = oslo_messaging.get_notification_listener(transport, targets, [NotificationEndpoint(received)],
                                                        executor="threading", pool=req.get("pool"))
    listener.start()
    handle = uuid.uuid4().hex
    _handles[handle] = (listener, received)
    return {"handle": handle}


def op_option_specs(req):
    from oslo_messaging._drivers import amqp as rpc_amqp
    from oslo_messaging._drivers import impl_rabbit
    from oslo_messaging.notify import notifier
    from oslo_messaging.rpc import client as rpc_client
    out = {}

    def add(group, opts):
        for o in opts:
            t = o.type
            choices = getattr(t, "choices", None)
            out["%s.%s" % (group, o.name)] = {
                "kind": type(o).__name__, "default": o.default,
                "choices": [c[0] if isinstance(c, tuple) else c for c in choices] if choices else None,
                "min": getattr(t, "min", None), "max": getattr(t, "max", None), "secret": bool(o.secret),
                "deprecated": [[d.group or group, d.name] for d in o.deprecated_opts],
            }
    add("oslo_messaging_rabbit", impl_rabbit.rabbit_opts + rpc_amqp.amqp_opts)
    add("DEFAULT", om_transport._transport_opts + rpc_client._client_opts)
    add("oslo_messaging_notifications", notifier._notifier_opts)
    return {"options": out}


OPS = {"call": op_call, "cast": op_cast, "calls": op_calls, "raw_call": op_raw_call,
       "start_server": op_start_server, "server_received": op_server_received, "stop_server": op_stop,
       "notify": op_notify, "start_listener": op_start_listener, "listener_received": op_server_received,
       "stop_listener": op_stop, "option_specs": op_option_specs}


def run(req):
    try:
        answer({"id": req.get("id"), "ok": OPS[req["op"]](req)})
    except Exception:  # noqa: BLE001 - a failed request must not stop the peer
        answer({"id": req.get("id"), "error": traceback.format_exc()})


def main():
    answer({"id": None, "ok": {"ready": True, "pid": os.getpid()}})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        if req.get("op") == "quit":
            break
        threading.Thread(target=run, args=(req,), daemon=True, name="op-%s" % req.get("id")).start()
    for server, _ in list(_handles.values()):
        try:
            server.stop()
        except Exception:  # noqa: BLE001
            pass
    os._exit(0)


if __name__ == "__main__":
    main()
