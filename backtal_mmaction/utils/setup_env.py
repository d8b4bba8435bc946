"""Process set-up: registering the plugin (:func:`register_all_modules`, as
``mmaction.utils.register_all_modules``) and the CPU allocator setting of
the tools (:func:`enable_cpu_huge_pages`). Neither imports torch when this
module is imported."""
import os

__all__ = ['register_all_modules', 'enable_cpu_huge_pages']


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register every component of the plugin and of MMAction2 in
    MMAction2's registries.

    Args:
        init_default_scope (bool): Also make ``'mmaction'`` the default
            registry scope, as ``mmaction.utils.register_all_modules`` does
            (what ``default_scope = 'mmaction'`` does in a config).
    """
    # The import is the registration; kept inside the function so that
    # importing ``backtal_mmaction`` stays light (no torch, no MMEngine).
    import backtal_mmaction.registration  # noqa: F401
    from mmaction.utils import register_all_modules as register_mmaction
    register_mmaction(init_default_scope=init_default_scope)


def enable_cpu_huge_pages() -> None:
    """Transparent huge pages for CPU tensors of 2 MiB and more.

    40-60x fewer page faults on a fresh ~100 MB activation
    (``docs/benchmark.md``: 5-31 % faster CPU training steps, same peak
    memory). PyTorch reads ``THP_MEM_ALLOC_ENABLE`` once, at its first CPU
    allocation, so a tool calls this before anything imports torch. A
    user's own value (``THP_MEM_ALLOC_ENABLE=0``) wins; CUDA is unaffected.
    """
    os.environ.setdefault('THP_MEM_ALLOC_ENABLE', '1')
