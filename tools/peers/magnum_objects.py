"""Magnum's real objects and exceptions, for the Swift tests to compare against.

Reads one JSON request on stdin and prints one JSON answer:
  {"op": "roundtrip", "primitives": [...]}          -> each primitive hydrated by magnum's own
      object classes and serialised again: [{"primitive": ..., "changes": [...]} | {"error": ...}]
  {"op": "exceptions", "cases": [[class, kwargs], ...]} -> [{"message", "kwargs", "code"}]
  {"op": "backport", "primitive": p, "version": v, "manifest": {...}}
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")

from magnum.common import exception  # noqa: E402
from magnum import objects  # noqa: E402
from magnum.objects import base  # noqa: E402




def roundtrip(primitives):
    out = []
    for p in primitives:
        try:
            obj = base.MagnumObject.obj_from_primitive(p)
            prim = obj.obj_to_primitive()
            out.append({"primitive": prim, "changes": sorted(obj.obj_what_changed())})
        except Exception as e:  # report, do not crash
            out.append({"error": "%s: %s" % (type(e).__name__, e)})
    return out


def exceptions(cases):
    out = []
    for name, kwargs in cases:
        e = getattr(exception, name)(**kwargs)
        out.append({"message": str(e), "kwargs": e.kwargs, "code": e.code})
    return out


def backport(primitive, version, manifest):
    obj = base.MagnumObject.obj_from_primitive(primitive)
    return obj.obj_to_primitive(target_version=version, version_manifest=manifest)


def main():
    req = json.load(sys.stdin)
    op = req["op"]
    if op == "roundtrip":
        res = roundtrip(req["primitives"])
    elif op == "exceptions":
        res = exceptions(req["cases"])
    elif op == "backport":
        res = backport(req["primitive"], req["version"], req.get("manifest"))
    else:
        raise SystemExit("unknown op %r" % op)
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
