"""Parts of Magnum the Python peers assemble the same way.

- `conductor_endpoints()`: the RPC endpoints magnum-conductor serves (magnum/cmd/conductor.py),
  for the peers that run Magnum's own conductor (magnum_conductor.py, bench_create.py).
- `Flavors`, `VolumeTypes`: novaclient's and cinderclient's managers over offline data, for the
  benchmarks' Python references (bench_create.py, bench_driver_values.py).
"""
import types


def conductor_endpoints():
    """Magnum's conductor handlers, in magnum-conductor's order (made now: a handler patched
    before the call is the one served)."""
    from magnum.conductor.handlers import ca_conductor, cluster_conductor, conductor_listener
    from magnum.conductor.handlers import credential_conductor, federation_conductor
    from magnum.conductor.handlers import indirection_api, nodegroup_conductor
    return [
        indirection_api.Handler(),
        cluster_conductor.Handler(),
        conductor_listener.Handler(),
        credential_conductor.Handler(),
        ca_conductor.Handler(),
        federation_conductor.Handler(),
        nodegroup_conductor.Handler(),
    ]


class Flavors:
    """`nova.flavors` over a list of flavor dicts (`id`, `name`, `ram`, `vcpus`)."""

    def __init__(self, flavors):
        self.flavors = [types.SimpleNamespace(**f) for f in flavors]

    def list(self, min_ram=None):
        return [f for f in self.flavors if f.ram >= (min_ram or 0)]


class VolumeTypes:
    """`cinder.volume_types` over a list of names."""

    def __init__(self, names):
        self.types = [types.SimpleNamespace(name=n) for n in names]

    def list(self):
        return self.types
