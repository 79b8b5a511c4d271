"""What the real oslo.config reads from config files, for the Swift tests to compare against.

stdin: {"options": [{"group", "name", "type", "default", "deprecated": [[group, name]]}],
        "files": [...], "dirs": [...]}
stdout: {"values": {"group.name": value-or-{"error": text}}}
"""
import json
import sys

from oslo_config import cfg
from oslo_config import types

TYPES = {
    "string": cfg.StrOpt, "integer": cfg.IntOpt, "float": cfg.FloatOpt, "boolean": cfg.BoolOpt,
    "list": cfg.ListOpt, "dict": cfg.DictOpt, "multiString": cfg.MultiStrOpt, "port": cfg.PortOpt,
    "uri": cfg.URIOpt,
}


def main():
    req = json.load(sys.stdin)
    conf = cfg.ConfigOpts()
    for o in req["options"]:
        kwargs = {}
        if o.get("default") is not None:
            kwargs["default"] = o["default"]
        if o.get("deprecated"):
            kwargs["deprecated_opts"] = [cfg.DeprecatedOpt(n, group=g) for g, n in o["deprecated"]]
        if o["type"] == "multiString" and "default" in kwargs:
            kwargs["default"] = [kwargs["default"]]
        opt = TYPES[o["type"]](o["name"], **kwargs)
        conf.register_opt(opt, group=None if o["group"] == "DEFAULT" else o["group"])
    args = []
    for f in req.get("files", []):
        args += ["--config-file", f]
    for d in req.get("dirs", []):
        args += ["--config-dir", d]
    conf(args=args, project="magnum", default_config_files=[], default_config_dirs=[])
    out = {}
    for o in req["options"]:
        group = conf if o["group"] == "DEFAULT" else getattr(conf, o["group"])
        key = "%s.%s" % (o["group"], o["name"])
        try:
            out[key] = getattr(group, o["name"])
        except Exception as e:  # bad values are errors in oslo too
            out[key] = {"error": type(e).__name__}
    json.dump({"values": out}, sys.stdout)


if __name__ == "__main__":
    main()
