"""Lists the tests a Swift Testing log shows as started but never finished (for hang reports)."""
import re
import sys

started, done = [], set()
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"^◇ Test (.+?) started\.", line)
    if m:
        started.append(m.group(1))
    m = re.match(r"^[✔✘] Test (.+?) (passed|failed)", line)
    if m:
        done.add(m.group(1))
    m = re.match(r"^[✔✘] Test (.+?) with \d+ test cases? (passed|failed)", line)
    if m:
        done.add(m.group(1))
for name in started:
    if name not in done:
        print("  still running:", name)
