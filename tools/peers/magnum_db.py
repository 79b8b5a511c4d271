"""Magnum's real database layer and conductor indirection handler, for the Swift store tests.

Reads one JSON request on stdin and prints one JSON answer. The database URL (which may hold a
password) comes in the request, never on the command line.

  {"op": "models_schema", "path": P}     create Magnum's tables in a new SQLite file P with
                                         magnum.db.sqlalchemy.models.Base.metadata.create_all
                                         and describe them (see describe_sqlite)
  {"op": "describe_sqlite", "path": P}   describe the tables of an existing SQLite file
  {"op": "calls", "connection": URL, "calls": [CALL...]}
        run real magnum objects against the database at URL, in order. CALL is
          {"context": CTX, "class": "Cluster", "method": "get_by_uuid", "args": [...], "kwargs": {}}
              a remotable classmethod; the answer is its result, objects as primitives
          {"context": CTX, "object": PRIMITIVE, "method": "create"|"save"|"destroy"|..., "args": [...]}
              an object method; the answer is the object's primitive afterwards
        each answer is {"result": ...} or {"error": {"class", "module", "message", "kwargs"}}
  {"op": "handler", "connection": URL, "requests": [REQ...]}
        run magnum.conductor.handlers.indirection_api.Handler as magnum-conductor's RPC server
        would: arguments deserialized with MagnumObjectSerializer, the result serialized back,
        failures as oslo.messaging serializes them. REQ is
          {"context": CTX, "method": "object_class_action_versions"|"object_action"|
           "object_backport_versions", "args": {...}}
        each answer is {"result": ...} or {"failure": {"class", "module", "message", "kwargs"}}
  {"op": "rows", "connection": URL, "tables": [T...]}   raw rows, ordered by id

CTX is {"project_id", "user_id", "is_admin", "all_tenants"}.

`magnum_db.py serve` answers one request per line instead (`OK <json>` or `CRASH <traceback as a
JSON string>`), each in a forked child of a process
that imported magnum once (imports take seconds; a fork takes milliseconds, and every request
gets a fresh oslo.config and database engine).
"""
import datetime
import json
import os
import sqlite3
import sys
import traceback
import warnings

warnings.simplefilter("ignore")

import magnum.conf  # noqa: E402

CONF = magnum.conf.CONF


def configure(connection):
    CONF([], project="magnum")
    CONF.set_override("connection", connection, group="database")


def describe_sqlite(path):
    """Tables of an SQLite file: columns (PRAGMA table_info), indexes with their columns
    (PRAGMA index_list / index_info) and the CREATE statement."""
    db = sqlite3.connect(path)
    out = {}
    for (name, sql) in db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        columns = [
            {"cid": cid, "name": cname, "type": ctype, "notnull": bool(notnull), "default": dflt, "pk": pk}
            for (cid, cname, ctype, notnull, dflt, pk) in db.execute("PRAGMA table_info(\"%s\")" % name)
        ]
        indexes = []
        for (_seq, iname, unique, origin, partial) in db.execute("PRAGMA index_list(\"%s\")" % name):
            cols = [c[2] for c in db.execute("PRAGMA index_info(\"%s\")" % iname)]
            indexes.append({"name": iname, "unique": bool(unique), "origin": origin, "partial": bool(partial),
                            "columns": cols})
        indexes.sort(key=lambda i: i["name"])
        out[name] = {"columns": columns, "indexes": indexes, "sql": sql}
    db.close()
    return out


def models_schema(path):
    configure("sqlite:///" + path)
    from magnum.db.sqlalchemy import models
    from oslo_db.sqlalchemy import enginefacade
    engine = enginefacade.writer.get_engine()
    models.Base.metadata.create_all(engine)
    engine.dispose()
    return describe_sqlite(path)


def make_context(ctx):
    from magnum.common import context
    ctx = ctx or {}
    return context.make_context(project_id=ctx.get("project_id"), user_id=ctx.get("user_id"),
                                is_admin=ctx.get("is_admin", False), all_tenants=ctx.get("all_tenants", False))


def to_json(value):
    from oslo_serialization import jsonutils
    return json.loads(jsonutils.dumps(value))


def error_of(exc):
    return {"class": type(exc).__name__, "module": type(exc).__module__, "message": str(exc),
            "kwargs": to_json(getattr(exc, "kwargs", {}))}


def calls(connection, requests):
    configure(connection)
    from magnum import objects
    from magnum.objects import base
    answers = []
    for req in requests:
        ctx = make_context(req.get("context"))
        try:
            if "class" in req:
                cls = getattr(objects, req["class"])
                result = getattr(cls, req["method"])(ctx, *req.get("args", []), **req.get("kwargs", {}))
                ser = base.MagnumObjectSerializer()
                answers.append({"result": to_json(ser.serialize_entity(ctx, result))})
            else:
                obj = base.MagnumObject.obj_from_primitive(req["object"], context=ctx)
                getattr(obj, req["method"])(*req.get("args", []), **req.get("kwargs", {}))
                answers.append({"result": to_json(obj.obj_to_primitive())})
        except Exception as exc:  # report, do not crash
            answers.append({"error": error_of(exc)})
    return answers


def handler(connection, requests):
    configure(connection)
    import oslo_messaging
    from oslo_messaging._drivers import common
    from magnum.conductor.handlers import indirection_api
    from magnum.objects import base
    h = indirection_api.Handler()
    ser = base.MagnumObjectSerializer()
    answers = []
    for req in requests:
        ctx = make_context(req.get("context"))
        try:
            args = {k: ser.deserialize_entity(ctx, v) for k, v in req["args"].items()}
            try:
                result = getattr(h, req["method"])(ctx, **args)
            except oslo_messaging.ExpectedException as e:
                raise e.exc_info[1].with_traceback(e.exc_info[2])
            answers.append({"result": to_json(ser.serialize_entity(ctx, result))})
        except Exception:
            failure = json.loads(common.serialize_remote_exception(sys.exc_info()))
            failure.pop("tb", None)
            answers.append({"failure": failure})
    return answers


def rows(connection, tables):
    configure(connection)
    from oslo_db.sqlalchemy import enginefacade
    engine = enginefacade.writer.get_engine()
    out = {}
    with engine.connect() as conn:
        for table in tables:
            result = conn.exec_driver_sql("SELECT * FROM %s ORDER BY id" % table)
            names = list(result.keys())
            out[table] = []
            for row in result:
                item = {}
                for name, value in zip(names, row):
                    if isinstance(value, datetime.datetime):
                        value = value.isoformat(sep=" ")
                    item[name] = value
                out[table].append(item)
    return out


def handle(req):
    op = req["op"]
    if op == "models_schema":
        return models_schema(req["path"])
    if op == "describe_sqlite":
        return describe_sqlite(req["path"])
    if op == "calls":
        return calls(req["connection"], req["calls"])
    if op == "handler":
        return handler(req["connection"], req["requests"])
    if op == "rows":
        return rows(req["connection"], req["tables"])
    raise SystemExit("unknown op %r" % op)


def serve():
    # Import everything a request may need before forking.
    import oslo_messaging  # noqa: F401
    from oslo_messaging._drivers import common  # noqa: F401
    from magnum import objects  # noqa: F401
    from magnum.conductor.handlers import indirection_api  # noqa: F401
    from magnum.db.sqlalchemy import models  # noqa: F401
    from oslo_db.sqlalchemy import enginefacade  # noqa: F401
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
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
