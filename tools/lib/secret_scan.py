"""Scans the whole test suite's output for secrets (issue: nothing secret in logs, ever).

    secret_scan.py OUTPUT [SECRETS_FILE...]

Looks for
  * the secrets the test run itself made (MariaDB passwords from MCW_MARIADB_ENV, the broker's TLS
    client key) and every line of the given secrets files (Tests/Fixtures/test-secrets.txt: the
    literal secrets tests feed the worker), verbatim;
  * secrets by shape: a PEM private key with its body, a Keystone Fernet token, a URL with a
    password other than the masks (*** / ****) and the test broker's well-known guest account.
Prints each finding (file line number and the kind, never the secret itself) and exits 1 when
there is any, 0 otherwise.
"""
import os
import re
import sys

SHAPES = [
    ("PEM private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----\s*(\\n)?\s*[A-Za-z0-9+/]{40}")),
    ("Fernet token", re.compile(r"gAAAAA[A-Za-z0-9_\-]{40,}")),
    ("URL password", re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s/:@'\"]+:(?!\*{3,4}@)(?!guest@)([^\s@/'\"]+)@")),
]


def env_file(path):
    values = {}
    try:
        with open(path) as f:
            for line in f:
                if "=" in line and not line.startswith("#"):
                    key, value = line.rstrip("\n").split("=", 1)
                    values[key] = value.strip("'\"")
    except OSError:
        pass
    return values


def main():
    output = sys.argv[1]
    literals = []
    mariadb = env_file(os.environ.get("MCW_MARIADB_ENV", ""))
    for key in ("MARIADB_PASSWORD", "MARIADB_TLS_PASSWORD"):
        if mariadb.get(key):
            literals.append((f"MariaDB {key}", mariadb[key]))
    broker = env_file(os.environ.get("MCW_BROKER_ENV", ""))
    if broker.get("BROKER_TLS_DIR"):
        try:
            with open(os.path.join(broker["BROKER_TLS_DIR"], "client.key")) as f:
                body = [l for l in f.read().splitlines() if l and not l.startswith("-----")]
            if body:
                literals.append(("broker TLS client key", body[1] if len(body) > 1 else body[0]))
        except OSError:
            pass
    for path in sys.argv[2:]:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    literals.append((f"test secret from {os.path.basename(path)}", line))

    findings = 0
    with open(output, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            for kind, value in literals:
                if value in line:
                    findings += 1
                    print(f"{output}:{number}: {kind} in the output")
            for kind, pattern in SHAPES:
                if pattern.search(line):
                    findings += 1
                    print(f"{output}:{number}: {kind} (by shape) in the output: {pattern.sub('<SECRET>', line.strip())[:200]}")
    print(f"secret scan: {findings} finding(s) in {output} ({len(literals)} known secrets, {len(SHAPES)} shapes)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
