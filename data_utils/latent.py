"""Latent-space helpers shared by the Sketch-RNN sampler and the web app (numpy only)."""
import numpy as np


def slerp(z0: np.ndarray, z1: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation between latent vectors z0, z1 [z] at fraction t in [0, 1] (linear
    when they point the same way), as the original's sketch_rnn notebook interpolates."""
    cos = np.dot(z0 / np.linalg.norm(z0), z1 / np.linalg.norm(z1))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return (1.0 - t) * z0 + t * z1
    return (np.sin((1.0 - t) * omega) * z0 + np.sin(t * omega) * z1) / np.sin(omega)
