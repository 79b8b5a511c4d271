#!/usr/bin/env python3
"""The Python side of `tools/bench oslo`: the real oslo.messaging 18.3.1 as the baseline.

  oslo_bench.py server URL EXCHANGE TOPIC SERVER COUNT PREFETCH EXECUTOR
      An oslo RPC server (rabbit driver, EXECUTOR = threading | eventlet) with a no-op
      `cluster_create` endpoint (and `noop` for calls). With COUNT > 0 it prints, once COUNT
      cluster_create casts were handled, one JSON line: rate (casts/s from the first to the
      last), seconds, cpu_seconds, max_rss_kb; then exits. With COUNT = 0 it serves until
      stdin closes. Prints "ready" on stderr once consuming.
  oslo_bench.py callers URL EXCHANGE TOPIC CONCURRENCY TOTAL
      CONCURRENCY threads share one RPCClient and make TOTAL `noop` calls in all; prints one
      JSON line: p50, p99, max, mean (milliseconds), calls, errors, seconds.
  oslo_bench.py caller-pool URL EXCHANGE PROCESSES
      PROCESSES caller processes (forked once, each with its own transport and RPCClient per
      topic, so the GIL of one process does not serialise every caller), driven from standard
      input: one line "TOPIC CONCURRENCY TOTAL" per measurement. The CONCURRENCY callers are
      spread over min(PROCESSES, CONCURRENCY) processes as threads; each process makes one
      warm-up call, then all start together and make TOTAL `noop` calls in all. Prints one JSON
      line per measurement (the merged samples): p50, p99, max, mean, calls, errors, seconds,
      processes.
  oslo_bench.py notify URL EXCHANGE COUNT BODY_FILE
      An oslo Notifier (messagingv2, topic notifications) sends COUNT copies of a recorded
      notification (BODY_FILE: the message body as on the wire; its event type, priority,
      payload, publisher and context are reused), one after the other as Magnum's conductor
      does; prints one JSON line: rate, seconds, cpu_seconds, max_rss_kb. A first notification
      (not counted) declares the queue.
"""
import sys

if len(sys.argv) > 8 and sys.argv[1] == "server" and sys.argv[8] == "eventlet":
    import eventlet
    eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
import logging  # noqa: E402
import resource  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore")
logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

from oslo_config import cfg  # noqa: E402
import oslo_messaging  # noqa: E402


def transport(url, exchange, prefetch=0):
    conf = cfg.CONF
    conf([], project="oslo-bench")
    oslo_messaging.set_transport_defaults(exchange)
    t = oslo_messaging.get_rpc_transport(conf, url=url)
    conf.set_override("rabbit_qos_prefetch_count", prefetch, group="oslo_messaging_rabbit")
    return t


def usage_now():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_maxrss


def anon_rss_kb():
    """RssAnon of /proc/self/status: the private part of the resident set (KiB)."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def server(url, exchange, topic, name, count, prefetch, executor):
    state = {"n": 0, "first": None, "last": None, "cpu0": None}
    done = threading.Event()

    class Endpoint:
        target = oslo_messaging.Target(version="1.0")

        def cluster_create(self, ctxt, **kwargs):
            now = time.perf_counter()
            if state["first"] is None:
                state["first"] = now
                state["cpu0"] = usage_now()[0]
            state["n"] += 1
            state["last"] = now
            if count and state["n"] >= count:
                done.set()

        def noop(self, ctxt, **kwargs):
            return None

    t = transport(url, exchange, prefetch)
    target = oslo_messaging.Target(topic=topic, server=name)
    srv = oslo_messaging.get_rpc_server(t, target, [Endpoint()], executor=executor)
    srv.start()
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    if count:
        while not done.wait(0.2):
            pass
        cpu, rss = usage_now()
        seconds = state["last"] - state["first"]
        print(json.dumps({"rate": (count - 1) / seconds if seconds > 0 else 0, "seconds": seconds,
                          "cpu_seconds": cpu - state["cpu0"], "cpu_seconds_total": cpu, "max_rss_kb": rss,
                          "anon_rss_kb": anon_rss_kb(),
                          "executor": executor}))
        sys.stdout.flush()
    else:
        if executor == "eventlet":
            # A plain read would block eventlet's hub (and every call) until stdin closes.
            import eventlet.tpool
            eventlet.tpool.execute(sys.stdin.read)
        else:
            sys.stdin.read()
        cpu, rss = usage_now()
        print(json.dumps({"cpu_seconds_total": cpu, "max_rss_kb": rss}))
        sys.stdout.flush()
    # The figures are out: leave at once (stopping the server and its executor takes seconds, and
    # the broker drops the consumer with the connection anyway).
    os._exit(0)


def callers(url, exchange, topic, concurrency, total):
    t = transport(url, exchange)
    client = oslo_messaging.get_rpc_client(t, oslo_messaging.Target(topic=topic), timeout=60)
    lock = threading.Lock()
    remaining = [total]
    latencies = []
    errors = [0]
    # One warm-up call (reply queue, connections).
    client.call({}, "noop")

    def caller():
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            start = time.perf_counter()
            try:
                client.call({}, "noop")
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    latencies.append(elapsed)
            except Exception:  # noqa: BLE001
                with lock:
                    errors[0] += 1

    begin = time.perf_counter()
    threads = [threading.Thread(target=caller) for _ in range(concurrency)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    seconds = time.perf_counter() - begin
    latencies.sort()

    def pct(p):
        if not latencies:
            return None
        return latencies[min(len(latencies) - 1, int(round(p / 100.0 * (len(latencies) - 1))))]

    print(json.dumps({"p50": pct(50), "p99": pct(99), "max": latencies[-1] if latencies else None,
                      "mean": sum(latencies) / len(latencies) if latencies else None, "calls": len(latencies),
                      "errors": errors[0], "seconds": seconds}))
    sys.stdout.flush()
    t.cleanup()


def percentiles(latencies):
    latencies = sorted(latencies)

    def pct(p):
        if not latencies:
            return None
        return latencies[min(len(latencies) - 1, int(round(p / 100.0 * (len(latencies) - 1))))]

    return {"p50": pct(50), "p99": pct(99), "max": latencies[-1] if latencies else None,
            "mean": sum(latencies) / len(latencies) if latencies else None, "calls": len(latencies)}


def pool_member(url, exchange, conn):
    """One caller process of caller-pool: ("prepare", topic, threads, calls) -> warm-up call, "ready";
    ("go",) -> the calls, then (latencies, errors); ("exit",) -> leaves."""
    t = transport(url, exchange)
    clients = {}
    while True:
        msg = conn.recv()
        if msg[0] == "exit":
            os._exit(0)  # closing the transport takes seconds; the broker drops the connection
        _, topic, threads, calls = msg
        if topic not in clients:
            clients[topic] = oslo_messaging.get_rpc_client(t, oslo_messaging.Target(topic=topic), timeout=60)
        client = clients[topic]
        client.call({}, "noop")
        conn.send("ready")
        conn.recv()  # go
        lock = threading.Lock()
        remaining = [calls]
        latencies = []
        errors = [0]

        def caller():
            mine = []
            while True:
                with lock:
                    if remaining[0] <= 0:
                        break
                    remaining[0] -= 1
                start = time.perf_counter()
                try:
                    client.call({}, "noop")
                    mine.append((time.perf_counter() - start) * 1000)
                except Exception:  # noqa: BLE001
                    with lock:
                        errors[0] += 1
            with lock:
                latencies.extend(mine)

        ths = [threading.Thread(target=caller) for _ in range(threads)]
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        conn.send((latencies, errors[0]))
    t.cleanup()


def caller_pool(url, exchange, processes):
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    members = []
    for _ in range(processes):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=pool_member, args=(url, exchange, child), daemon=True)
        p.start()
        members.append((p, parent))
    sys.stderr.write("ready\n")
    sys.stderr.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        topic, concurrency, total = line.split()
        concurrency, total = int(concurrency), int(total)
        used = members[:max(1, min(processes, concurrency))]
        n = len(used)
        for i, (_, conn) in enumerate(used):
            threads = concurrency // n + (1 if i < concurrency % n else 0)
            calls = total // n + (1 if i < total % n else 0)
            conn.send(("prepare", topic, threads, calls))
        for _, conn in used:
            conn.recv()
        begin = time.perf_counter()
        for _, conn in used:
            conn.send(("go",))
        latencies, errors = [], 0
        for _, conn in used:
            lat, err = conn.recv()
            latencies += lat
            errors += err
        seconds = time.perf_counter() - begin
        out = percentiles(latencies)
        out.update({"errors": errors, "seconds": seconds, "processes": n})
        print(json.dumps(out))
        sys.stdout.flush()
    for p, conn in members:
        conn.send(("exit",))
    for p, _ in members:
        p.join(2)
    os._exit(0)


def notify(url, exchange, count, body_file):
    conf = cfg.CONF
    conf([], project="oslo-bench")
    oslo_messaging.set_transport_defaults(exchange)
    t = oslo_messaging.get_notification_transport(conf, url=url)
    with open(body_file) as f:
        envelope = json.loads(f.read())
    message = json.loads(envelope["oslo.message"]) if "oslo.message" in envelope else envelope
    ctxt = {k[len("_context_"):]: v for k, v in message.items() if k.startswith("_context_")}
    notifier = oslo_messaging.Notifier(t, publisher_id=message["publisher_id"], driver="messagingv2",
                                       topics=["notifications"])
    send = getattr(notifier, message["priority"].lower())
    send(ctxt, message["event_type"], message["payload"])
    cpu0 = usage_now()[0]
    begin = time.perf_counter()
    for _ in range(count):
        send(ctxt, message["event_type"], message["payload"])
    seconds = time.perf_counter() - begin
    cpu, rss = usage_now()
    print(json.dumps({"rate": count / seconds, "seconds": seconds, "cpu_seconds": cpu - cpu0, "max_rss_kb": rss}))
    sys.stdout.flush()
    # Every notification was confirmed by the broker; closing the transport only costs time.
    os._exit(0)


def main():
    mode = sys.argv[1]
    if mode == "server":
        url, exchange, topic, name, count, prefetch, executor = sys.argv[2:9]
        server(url, exchange, topic, name, int(count), int(prefetch), executor)
    elif mode == "callers":
        url, exchange, topic, concurrency, total = sys.argv[2:7]
        callers(url, exchange, topic, int(concurrency), int(total))
    elif mode == "caller-pool":
        url, exchange, processes = sys.argv[2:5]
        caller_pool(url, exchange, int(processes))
    elif mode == "notify":
        url, exchange, count, body_file = sys.argv[2:6]
        notify(url, exchange, int(count), body_file)
    else:
        sys.exit("usage: oslo_bench.py server|callers|notify ...")


if __name__ == "__main__":
    main()
