"""The ε paths of the linear model: target smoothing (a tilt of one
objective), forward smoothing, and Newton's homotopy."""

from sksmooth._paths._forward import forward_paths
from sksmooth._paths._newton import homotopy_predictor
from sksmooth._paths._tilted import PathResult, smoothing_path, smoothing_paths

__all__ = [
    "PathResult",
    "forward_paths",
    "homotopy_predictor",
    "smoothing_path",
    "smoothing_paths",
]
