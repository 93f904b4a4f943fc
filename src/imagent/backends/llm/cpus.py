"""How many threads llama.cpp should use: the physical cores this process may run on.

`os.cpu_count()` counts the host's logical CPUs; a container may be pinned to fewer
(affinity) or given a CPU quota (cgroup v2 `cpu.max`), and SMT siblings add little to
llama.cpp's matrix work while they slow its thread barriers. More threads than usable cores
is the worst case: each barrier then waits for a thread the OS has parked.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

_SYS_CPU = Path("/sys/devices/system/cpu")
_CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def default_threads() -> int:
    """Physical cores among the CPUs this process may use, capped by its CPU quota."""
    cpus = _usable_cpus()
    cores = _physical_cores(cpus) or len(cpus)
    quota = _cpu_quota()
    return max(1, min(cores, quota) if quota else cores)


def _usable_cpus() -> set[int]:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return set(range(os.cpu_count() or 1))


def _physical_cores(cpus: set[int], root: Path = _SYS_CPU) -> int:
    """Distinct (package, core) pairs among `cpus`; 0 where the topology is not readable."""
    cores = set()
    for cpu in cpus:
        topology = root / f"cpu{cpu}" / "topology"
        try:
            package = (topology / "physical_package_id").read_text().strip()
            core = (topology / "core_id").read_text().strip()
        except OSError:
            return 0
        cores.add((package, core))
    return len(cores)


def _cpu_quota(path: Path = _CGROUP_CPU_MAX) -> int:
    """The cgroup v2 CPU quota rounded up to whole CPUs; 0 when there is none."""
    try:
        quota, period = path.read_text().split()[:2]
    except (OSError, ValueError):
        return 0
    if quota == "max":
        return 0
    return max(1, math.ceil(int(quota) / int(period)))
