"""Posterior calibration: softmax over hypotheses, then Platt scaling fitted on held-out data.

The fit uses decisions on injected garbles in the calibration split (documents that built
neither the dictionaries nor the language model); ``fit_platt`` returns the parameters stored
in ``dictionaries/calibration.json``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pipeline.lexicon import Calibration


def softmax(scores: Sequence[float]) -> list[float]:
    """Normalized probabilities of log scores."""
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def fit_platt(raw: Sequence[float], correct: Sequence[bool]) -> Calibration:
    """Fit ``sigmoid(a * logit(p) + b)`` to outcomes by minimizing the log loss on a grid.

    A grid (a in 0.02-3, b in -6-6, refined once) is slower than Newton's method but cannot
    diverge on nearly separable data.

    Args:
        raw: raw posteriors of the chosen hypotheses.
        correct: whether each chosen hypothesis was right.
    """
    import numpy as np

    p = np.clip(np.asarray(raw, dtype=float), 1e-9, 1 - 1e-9)
    x = np.log(p / (1 - p))
    positives = float(sum(correct))
    negatives = len(correct) - positives
    # Platt's target smoothing.
    y = np.where(
        np.asarray(correct, dtype=bool), (positives + 1) / (positives + 2), 1 / (negatives + 2)
    )

    def loss(a: float, b: float) -> float:
        z = np.clip(a * x + b, -30, 30)
        q = 1 / (1 + np.exp(-z))
        return float(-np.sum(y * np.log(q) + (1 - y) * np.log(1 - q)))

    best = (1.0, 0.0)
    best_loss = loss(*best)
    a_grid, b_grid = np.linspace(0.02, 3.0, 150), np.linspace(-6.0, 6.0, 121)
    for _ in range(2):
        for a in a_grid:
            for b in b_grid:
                value = loss(float(a), float(b))
                if value < best_loss:
                    best, best_loss = (float(a), float(b)), value
        a_grid = np.linspace(max(0.005, best[0] - 0.04), best[0] + 0.04, 41)
        b_grid = np.linspace(best[1] - 0.1, best[1] + 0.1, 41)
    return Calibration(*best)


def fit_logistic(
    features: Sequence[Sequence[float]],
    correct: Sequence[bool],
    l2: float = 1.0,
    offset: Sequence[float] | None = None,
) -> tuple[float, ...]:
    """L2-regularized logistic regression by Newton's method (bias = first feature, unpenalized).

    Args:
        features: one feature vector per decision (``pipeline.correction.features``).
        correct: whether each proposed change was right.
        l2: ridge penalty on the non-bias weights.
        offset: fixed log-odds added per decision (a model already fitted; the weights fitted
            here then adjust it, e.g. for one mechanism's features only).

    Returns:
        The weights, in feature order.
    """
    import numpy as np

    x = np.asarray(features, dtype=float)
    y = np.asarray(correct, dtype=float)
    base = np.zeros(len(y)) if offset is None else np.asarray(offset, dtype=float)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 1e-6
    for _ in range(50):
        q = 1 / (1 + np.exp(-np.clip(base + x @ w, -30, 30)))
        gradient = x.T @ (q - y) + penalty * w
        hessian = (x * (q * (1 - q))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return tuple(float(v) for v in w)
