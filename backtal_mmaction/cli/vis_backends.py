"""Switching on TensorBoard curves for a run (``tools/train.py --tensorboard``).

Every config writes ``vis_data/scalars.json`` through MMEngine's
``LocalVisBackend``; :func:`enable_tensorboard` adds MMEngine's
``TensorboardVisBackend`` next to it (event files in
``<work_dir>/<time>/vis_data/``). In a config file the same switch is::

    visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
                                    dict(type='TensorboardVisBackend')])
"""
import importlib.util

TENSORBOARD = dict(type='TensorboardVisBackend')


def enable_tensorboard(cfg) -> None:
    """Add ``TensorboardVisBackend`` to ``cfg.visualizer`` (once).

    Raises:
        ValueError: the ``tensorboard`` package is missing (MMEngine would
            only fail at the first logged scalar, after the run started).
    """
    if importlib.util.find_spec('tensorboard') is None:
        raise ValueError('`tensorboard` needs the tensorboard package: '
                         'pip install tensorboard')
    visualizer = cfg.setdefault('visualizer', dict(type='ActionVisualizer'))
    backends = list(visualizer.get('vis_backends') or
                    [dict(type='LocalVisBackend')])
    if not any(b.get('type') == TENSORBOARD['type'] for b in backends):
        backends.append(dict(TENSORBOARD))
    visualizer['vis_backends'] = backends
