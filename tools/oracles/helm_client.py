#!/usr/bin/env python3
"""What the real magnum_capi_helm.helm.Client (1.4.0) hands to the operating system.

Runs the real Client.install_or_upgrade / uninstall_release with only the process launcher
(magnum.common.utils.execute) replaced by a recorder, for every helm call of the driver cases
given, with [capi_helm] kubeconfig_file unset and set. Prints JSON:

  {"calls": [{"case", "kubeconfig_file", "call", "argv", "stdin"}...],
   "uninstall_errors": [{"stderr", "swallowed"}...]}

Used to regenerate Tests/Fixtures/helm/python-helm-client.json:

  $(tools/python-env) tools/oracles/helm_client.py Tests/Fixtures/driver/*.json \
      > Tests/Fixtures/helm/python-helm-client.json
"""
import json
import os
import sys
from unittest import mock

KUBECONFIG_FILE = "/etc/magnum/capi-kubeconfig"


def main(paths):
    from oslo_config import cfg
    from oslo_concurrency import processutils
    import magnum_capi_helm.conf  # noqa: F401  registers [capi_helm]
    from magnum_capi_helm import helm

    cfg.CONF([], project="magnum", default_config_files=[])
    recorded = []

    def execute(*argv, **kwargs):
        recorded.append({"argv": [str(a) for a in argv], "stdin": kwargs.get("process_input")})
        return ('{"name": "x"}', "")

    calls = []
    with mock.patch.object(helm.utils, "execute", execute):
        for kubeconfig_file in ("", KUBECONFIG_FILE):
            cfg.CONF.set_override("kubeconfig_file", kubeconfig_file, group="capi_helm")
            for path in paths:
                with open(path) as f:
                    case = json.load(f)
                for expected in case.get("expected", {}).get("helm", []):
                    client = helm.Client()
                    recorded.clear()
                    if expected["call"] == "install_or_upgrade":
                        client.install_or_upgrade(
                            expected["release"], expected["chart"], expected["values"],
                            namespace=expected["namespace"], repo=expected["repo"],
                            version=expected["version"])
                    elif expected["call"] == "uninstall_release":
                        client.uninstall_release(expected["release"], namespace=expected["namespace"])
                    else:
                        continue
                    (record,) = recorded
                    calls.append({
                        "case": os.path.basename(path),
                        "kubeconfig_file": kubeconfig_file or None,
                        "call": expected["call"],
                        "argv": record["argv"],
                        "stdin": record["stdin"],
                    })
        cfg.CONF.clear_override("kubeconfig_file", group="capi_helm")

    # How uninstall_release treats helm's failures.
    uninstall_errors = []
    for stderr in (
        "Error: uninstall: Release not loaded: prod-east-a1b2c3d4e5f6: release: not found\n",
        'Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:1/version": dial tcp 127.0.0.1:1: connect: connection refused\n',
    ):
        def failing(*argv, stderr=stderr, **kwargs):
            raise processutils.ProcessExecutionError(exit_code=1, stderr=stderr, cmd=" ".join(map(str, argv)))
        with mock.patch.object(helm.utils, "execute", failing):
            try:
                helm.Client().uninstall_release("prod-east-a1b2c3d4e5f6", namespace="magnum-x")
                swallowed = True
            except processutils.ProcessExecutionError:
                swallowed = False
        uninstall_errors.append({"stderr": stderr, "swallowed": swallowed})

    json.dump({"calls": calls, "uninstall_errors": uninstall_errors}, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
