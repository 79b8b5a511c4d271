#!/usr/bin/env python3
"""Oracle for the Swift OsloMessaging module: runs bodies and requests through the real
oslo.messaging 18.3.1 and magnum 23.0.0 code paths and prints what Python makes of them.

Reads one JSON request per line on stdin, writes one JSON answer per line on stdout (flushed
after each, so one process can serve many requests).
Operations:
  {"op": "decode", "body": TEXT | "body_b64": B64, "allowed_modules": [...]}
      deserialize_msg + unpack_context (requests), deserialize_remote_exception (replies),
      the notification dispatcher (notifications); magnum's RequestContext.from_dict().
  {"op": "dispatch", "endpoints": [{"namespace", "version", "legacy_namespaces", "methods"}],
   "ping_enabled": bool, "message": {...}}
      the real RPCDispatcher; the result, or the failure as serialize_remote_exception writes it.
  {"op": "redact_context", "context": {...}}   magnum RequestContext.redacted_copy().to_dict()
  {"op": "magnum_exception", "class": NAME, "kwargs": {...}}
      serialize_remote_exception of a real magnum.common.exception instance.
"""
import base64
import json
import logging
import sys
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)

from oslo_config import cfg  # noqa: E402
import oslo_messaging  # noqa: E402
from oslo_messaging._drivers import amqp as rpc_amqp  # noqa: E402
from oslo_messaging._drivers import common as rpc_common  # noqa: E402
from oslo_messaging.notify import dispatcher as notify_dispatcher  # noqa: E402
from oslo_messaging.rpc import dispatcher as rpc_dispatcher  # noqa: E402

from magnum.common import context as magnum_context  # noqa: E402
from magnum.common import exception as magnum_exception  # noqa: E402

cfg.CONF.register_opts(rpc_dispatcher._dispatcher_opts)


def describe_exception(exc):
    info = {
        "python_class": type(exc).__name__,
        "python_module": type(exc).__module__,
        "str": str(exc),
        "is_remote_error": isinstance(exc, oslo_messaging.RemoteError),
        "kwargs": getattr(exc, "kwargs", None),
        "code": getattr(exc, "code", None),
    }
    if isinstance(exc, oslo_messaging.RemoteError):
        info["exc_type"] = exc.exc_type
        info["value"] = exc.value
    return info


class _Incoming:
    def __init__(self, ctxt, message):
        self.ctxt = ctxt
        self.message = message
        self.client_timeout = None


def decode(req):
    if "body_b64" in req:
        raw_body = base64.b64decode(req["body_b64"])
    else:
        raw_body = req["body"].encode("utf-8")
    allowed = req.get("allowed_modules", ["magnum.common.exception"])
    try:
        msg = json.loads(raw_body)  # what kombu's JSON codec does
        raw = rpc_common.deserialize_msg(msg)
    except Exception as exc:  # noqa: BLE001 - we report what Python says
        return {"error": type(exc).__name__, "message": str(exc)}
    if not isinstance(raw, dict):
        return {"kind": "other", "value": raw}
    raw = dict(raw)
    if "method" in raw:
        ctxt = rpc_amqp.unpack_context(raw)
        values = ctxt.to_dict()
        out = {
            "kind": "request",
            "method": raw.get("method"),
            "args": raw.get("args", {}),
            "namespace": raw.get("namespace"),
            "version": raw.get("version"),
            "unique_id": raw.get("_unique_id"),
            "msg_id": ctxt.msg_id,
            "reply_q": ctxt.reply_q,
            "client_timeout": values.get("client_timeout"),
            "context": {k: v for k, v in values.items() if k != "client_timeout"},
        }
        try:
            mctx = magnum_context.RequestContext.from_dict(out["context"])
            out["magnum_context"] = mctx.to_dict()
        except Exception as exc:  # noqa: BLE001
            out["magnum_context_error"] = f"{type(exc).__name__}: {exc}"
        return out
    if "event_type" in raw and "publisher_id" in raw:
        ctxt = rpc_amqp.unpack_context(raw).to_dict()
        for key in ("msg_id", "reply_q", "client_timeout"):
            ctxt.pop(key, None)
        seen = []

        class Endpoint:
            pass

        for prio in notify_dispatcher.PRIORITIES:
            def handler(self, ctxt, publisher_id, event_type, payload, metadata, _p=prio):
                seen.append({"priority": _p, "publisher_id": publisher_id, "event_type": event_type,
                             "payload": payload, "metadata": metadata, "ctxt": ctxt})
                return notify_dispatcher.NotificationResult.HANDLED
            setattr(Endpoint, prio, handler)
        raw.pop("_unique_id", None)
        d = notify_dispatcher.NotificationDispatcher([Endpoint()], None)
        result = d.dispatch(_Incoming(ctxt, raw))
        return {"kind": "notification", "result": result, "calls": seen}
    # a reply, as the ReplyWaiter processes it
    out = {
        "kind": "reply",
        "msg_id": raw.get("_msg_id"),
        "unique_id": raw.get("_unique_id"),
        "ending": raw.get("ending", False),
        "result": raw.get("result"),
        "exception": None,
    }
    if raw.get("failure"):
        exc = rpc_common.deserialize_remote_exception(raw["failure"], allowed)
        out["exception"] = describe_exception(exc)
        out["failure"] = json.loads(raw["failure"])
    return out


def dispatch(req):
    endpoints = []
    for index, spec in enumerate(req["endpoints"]):
        attrs = {"target": oslo_messaging.Target(namespace=spec.get("namespace"), version=spec.get("version"),
                                                 legacy_namespaces=spec.get("legacy_namespaces"))}
        for name in spec.get("methods", []):
            def method(self, ctxt, _i=index, _n=name, **kwargs):
                return {"endpoint": _i, "method": _n}
            attrs[name] = method
        endpoints.append(type(f"Endpoint{index}", (object,), attrs)())
    cfg.CONF.set_override("rpc_ping_enabled", bool(req.get("ping_enabled", False)))
    d = rpc_dispatcher.RPCDispatcher(endpoints, None)
    try:
        return {"result": d.dispatch(_Incoming({}, req["message"]))}
    except Exception:  # noqa: BLE001
        failure = json.loads(rpc_common.serialize_remote_exception(sys.exc_info()))
        failure.pop("tb", None)
        return {"failure": failure}


def redact_context(req):
    ctx = magnum_context.RequestContext.from_dict(req["context"])
    return {"redacted": ctx.redacted_copy().to_dict()}


def magnum_exception_failure(req):
    cls = getattr(magnum_exception, req["class"])
    try:
        raise cls(**req.get("kwargs", {}))
    except Exception:  # noqa: BLE001
        failure = json.loads(rpc_common.serialize_remote_exception(sys.exc_info()))
    failure.pop("tb", None)
    return {"failure": failure}


OPS = {"decode": decode, "dispatch": dispatch, "redact_context": redact_context,
       "magnum_exception": magnum_exception_failure}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        try:
            answer = OPS[req["op"]](req)
        except Exception as exc:  # noqa: BLE001 - a broken request must not hide the others
            answer = {"oracle_error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer, sort_keys=True, default=str) + "\n")
        sys.stdout.flush()  # one answer per request, at once: callers may keep us running


if __name__ == "__main__":
    main()
