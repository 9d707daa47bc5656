"""Process memory settings for big batch runs (period compute, engine benchmark).

A period run allocates and frees many large numpy temporaries. glibc returns blocks above
its mmap threshold (at most 32 MB) to the kernel on free, and a VM with a free-page-reporting
balloon hands those pages back to the host, so every new big temporary faults its memory in
again at a fraction of memory speed (measured here: ~0.6 GB/s instead of ~3 GB/s). Serving
all allocations from the heap and never trimming it keeps freed memory in the process for
reuse. Peak RSS is unchanged in practice (the peak is live data, not free space).
Linux/glibc only; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["keep_freed_memory"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory; True when the allocator accepted the settings."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # -1 as a size is "never": the heap's free top is never given back to the kernel.
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, -1))
