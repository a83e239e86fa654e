"""Seeds: one ``seed`` argument, normalized once, split into independent block streams.

A seed is an int >= 0, a ``numpy.random.Generator`` or None (fresh OS entropy). Parallel
kernels work in fixed-size blocks; block ``i`` gets its own 256-bit state derived from the
seed's ``SeedSequence``, so the numbers depend on the seed and the block size only, never
on how many threads run the blocks.
"""

import numbers

import numpy as np

from catgoodhart import _validation

BLOCK = 1 << 16  # samples per independent stream


def seed_sequence(seed):
    """Normalize ``seed`` (int >= 0, Generator or None) to a ``numpy.random.SeedSequence``.

    A Generator is advanced by one draw, so successive calls with the same Generator give
    different streams, as they would with the Generator's own methods.
    """
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**63, size=4, dtype=np.uint64))
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0:
        return np.random.SeedSequence(int(seed))
    raise ValueError(
        f"`seed` must be an int >= 0, a numpy.random.Generator or None, got {seed!r}")


def block_states(seed, n, block=BLOCK):
    """Return a ``(ceil(n / block), 4)`` uint64 array: one xoshiro256++ state per block.

    ``n`` is the number of samples, checked as :func:`catgoodhart._validation.count` checks
    it with 8 bytes a sample, so a count whose samples could not be held is refused here too,
    before the states (32 bytes a block) are drawn.
    """
    n = _validation.count("n", n, item_bytes=8)
    nblocks = max(1, -(-n // block))
    words = seed_sequence(seed).generate_state(4 * nblocks, dtype=np.uint64)
    return words.reshape(nblocks, 4)
