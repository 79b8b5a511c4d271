"""Validates JSON instances against the project's schemas/ with the reference implementation
(jsonschema, draft 2020-12).

stdin: {"schemas_dir": path, "items": [{"schema": "file.schema.json", "instance": ..., "label": ...}]}
stdout: {"checked": n, "errors": [{"label", "schema", "path", "message"}]}
"""
import json
import os
import sys

import jsonschema
from referencing import Registry, Resource


def main():
    req = json.load(sys.stdin)
    base = req["schemas_dir"]
    resources = []
    schemas = {}
    for name in sorted(os.listdir(base)):
        if name.endswith(".schema.json"):
            with open(os.path.join(base, name)) as f:
                s = json.load(f)
            schemas[name] = s
            resources.append((s["$id"], Resource.from_contents(s)))
    registry = Registry().with_resources(resources)
    for s in schemas.values():
        jsonschema.Draft202012Validator.check_schema(s)
    errors = []
    for item in req["items"]:
        schema = schemas[item["schema"]]
        v = jsonschema.Draft202012Validator(schema, registry=registry,
                                            format_checker=jsonschema.FormatChecker())
        for e in v.iter_errors(item["instance"]):
            errors.append({"label": item.get("label"), "schema": item["schema"],
                           "path": "/".join(str(p) for p in e.absolute_path), "message": e.message[:300]})
    json.dump({"checked": len(req["items"]), "errors": errors}, sys.stdout)


if __name__ == "__main__":
    main()
