"""PyYAML as the Python driver uses it, for the Swift tests to compare against.

Reads one JSON request on stdin, prints one JSON answer:
  {"dump": [doc, ...]}   -> [yaml.safe_dump(doc), ...]   (how clouds.yaml is written)
  {"credential_id": [text, ...]} -> for each text, clouds.openstack.auth.application_credential_id
      as magnum-capi-helm's _get_app_cred_id reads it: the value (as str), or null when the
      text is not YAML or the key is missing.
"""
import json
import sys

import yaml


def credential_id(text):
    try:
        value = yaml.safe_load(text)["clouds"]["openstack"]["auth"]["application_credential_id"]
    except (KeyError, TypeError, yaml.YAMLError):
        return None
    return None if value is None else str(value)


def main():
    request = json.load(sys.stdin)
    if "dump" in request:
        answer = [yaml.safe_dump(doc) for doc in request["dump"]]
    else:
        answer = [credential_id(t) for t in request["credential_id"]]
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
