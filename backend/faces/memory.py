"""Making glibc give the memory of a big decode back to the system when it is freed.

glibc serves a request of 128 KB or more with its own mapping, unmapped when freed; but once
such a block is freed it raises that threshold to the block's size, up to 32 MB, and blocks
under it then come from heaps that it keeps: decoders' buffers of a few MB to 16 MB (Pillow
allocates pictures in 16 MB blocks) stayed resident after the decode, hundreds of MB a process
(bench/image_bombs.py). Setting the threshold ourselves fixes it where it is.
"""

from __future__ import annotations

import ctypes

MMAP_THRESHOLD = 1024 * 1024
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h


def map_big_blocks() -> bool:
    """Have every C allocation of MMAP_THRESHOLD or more mapped on its own; False if not glibc."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, TypeError):  # not glibc (musl, macOS, Windows)
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
