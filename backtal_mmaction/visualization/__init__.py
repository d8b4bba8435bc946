from .cas_plot import (cas_plot_inputs, render_cas_figure, save_rgb_png,
                       snippet_times)
from .map_curves import plot_map_curves

__all__ = [
    'cas_plot_inputs', 'plot_map_curves', 'render_cas_figure',
    'save_rgb_png', 'snippet_times'
]
