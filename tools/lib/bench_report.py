#!/usr/bin/env python3
"""The table of tools/bench: reads the measurements the sections wrote (JSON lines) and prints
one table — each figure per system, its mean, spread over the repetitions, the ratio to the
figure's reference and whether the target is met — and writes docs/benchmarks.md.

  bench_report.py MEASUREMENTS.jsonl MACHINE.json OUTPUT.md|-

A "## Findings" section already in OUTPUT (written by hand) is kept at the end.

Lines of MEASUREMENTS:
  {"kind": "figure", "id", "title", "unit", "ref": SYSTEM|null, "target": {"system", "op", "value", "text"}|null,
   "better": "higher"|"lower", "note": TEXT|null}
  {"kind": "values", "id", "system", "values": [...]}
  {"kind": "note", "text"}
"""
import json
import sys


def fmt(x):
    if x is None:
        return "–"
    a = abs(x)
    if a >= 1000:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def main():
    measurements, machine_file, output = sys.argv[1:4]
    figures, order, values, notes = {}, [], {}, []
    for line in open(measurements):
        line = line.strip()
        if not line:
            continue
        d = json.loads(line)
        if d["kind"] == "figure":
            if d["id"] not in figures:
                order.append(d["id"])
            figures[d["id"]] = d
        elif d["kind"] == "values":
            values.setdefault(d["id"], {}).setdefault(d["system"], []).extend(float(v) for v in d["values"])
        elif d["kind"] == "note":
            notes.append(d["text"])
    machine = json.load(open(machine_file))

    rows, verdicts = [], []
    for fid in order:
        f = figures[fid]
        systems = values.get(fid, {})
        if not systems:
            continue
        means = {s: sum(v) / len(v) for s, v in systems.items()}
        ref = f.get("ref")
        target = f.get("target")
        first = True
        for system, xs in systems.items():
            mean = means[system]
            spread = 100 * (max(xs) - min(xs)) / mean if mean and len(xs) > 1 else None
            ratio = None
            if ref and ref in means and means[ref] and system != ref:
                ratio = mean / means[ref]
            met = ""
            if target and target["system"] == system:
                op, goal = target["op"], float(target["value"])
                got = ratio if target.get("of", "ratio") == "ratio" else mean
                if got is None:
                    met = "no reference"
                else:
                    ok = got >= goal if op == ">=" else got <= goal
                    met = ("met" if ok else "MISSED") + f" ({target['text']})"
                    verdicts.append((f["title"], system, ok, target["text"], got))
            rows.append([
                f["title"] if first else "", f["unit"] if first else "", system, fmt(mean),
                f"{spread:.1f} %" if spread is not None else "–", f"{len(xs)}",
                (f"{ratio:.3g}× {ref}" if ratio is not None else ("reference" if system == ref else "")), met,
            ])
            first = False
    header = ["figure", "unit", "system", "mean", "spread", "runs", "ratio", "target"]
    table = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    table += ["| " + " | ".join(r) + " |" for r in rows]
    text = "\n".join(table)
    print(text)
    print()
    for title, system, ok, goal, got in verdicts:
        print(f"{'met   ' if ok else 'MISSED'}  {title} — {system}: {got:.3g} ({goal})")
    for n in notes:
        print(f"note: {n}")
    print(f"elapsed: {machine.get('elapsed', '?')}")
    if output == "-":
        return
    md = ["# Benchmarks", "",
          "Measured by `tools/bench` (not part of the test suite). Every figure of one table comes from one",
          "run on one machine: the C consumer, the Python peers and the worker use the same broker,",
          "messages and cases, so the ratios hold even where absolute rates are depressed by other load.",
          "Spread is (max − min) / mean over the repetitions.", "",
          "## Machine and command", "",
          f"- command: `{machine['command']}` ({machine['mode']} mode), {machine['date']}",
          f"- {machine['cpu']}, {machine['cores']} cores, {machine['memory']}; {machine['kernel']}",
          f"- load average {machine['load_start']} at the start and {machine['load_end']} at the end "
          f"(other engineers' builds ran on the same 2 cores: absolute rates are depressed, ratios are what count)",
          f"- {machine['swift']}; Python {machine['python']}, oslo.messaging {machine['oslo_messaging']}; "
          f"RabbitMQ {machine['rabbitmq']}; librabbitmq {machine['librabbitmq']}",
          f"- counts: {machine['counts']}",
          f"- elapsed: {machine.get('elapsed', '?')}", "",
          "## Results", "", text, "", "## Targets", ""]
    for title, system, ok, goal, got in verdicts:
        md.append(f"- {'met' if ok else '**missed**'}: {title}, {system}: {got:.3g} ({goal})")
    if notes:
        md += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    # The hand-written "## Findings" section (profiles, explanations) survives a new run.
    try:
        previous = open(output).read()
    except OSError:
        previous = ""
    at = previous.find("\n## Findings")
    if at >= 0:
        md += ["", previous[at + 1:].rstrip()]
    with open(output, "w") as f:
        f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
