"""Posterior calibration: softmax over hypotheses, then Platt scaling fitted on held-out data.

The fit uses decisions on injected garbles in the calibration split (documents that built
neither the dictionaries nor the language model); ``fit_platt``, ``fit_logistic`` and
``fit_boosted`` return the parameters stored in ``dictionaries/calibration.json``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pipeline.lexicon import Calibration, Tree, tree_value


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


def fit_boosted(
    features: Sequence[Sequence[float]],
    correct: Sequence[bool],
    trees: int = 150,
    depth: int = 3,
    rate: float = 0.1,
    min_leaf: int = 30,
    l2: float = 1.0,
    bins: int = 32,
) -> tuple[float, tuple[Tree, ...]]:
    """Gradient-boosted regression trees on the log odds of a change being right.

    Newton steps on the log loss; each split is chosen among ``bins`` quantiles of a feature,
    and each leaf keeps at least ``min_leaf`` decisions.

    Returns:
        The base log odds and the trees, each already scaled by ``rate``
        (``pipeline.lexicon.Calibration.trees``).
    """
    import numpy as np

    x = np.asarray(features, dtype=float)
    y = np.asarray(correct, dtype=float)
    share = min(max(float(y.mean()), 1e-6), 1 - 1e-6)
    base = math.log(share / (1 - share))
    quantiles = np.linspace(0, 1, bins + 1)[1:-1]
    cuts = [np.unique(np.quantile(x[:, j], quantiles)) for j in range(x.shape[1])]
    grower = _Grower(x, cuts, depth, rate, min_leaf, l2)
    score = np.full(len(y), base)
    fitted: list[Tree] = []
    for _ in range(trees):
        q = 1 / (1 + np.exp(-score))
        tree = grower.grow(q - y, q * (1 - q), np.arange(len(y)), 0)
        fitted.append(tree)
        score += np.array([tree_value(tree, row) for row in x.tolist()])
    return base, tuple(fitted)


class _Grower:
    """Grows one regression tree of ``fit_boosted`` from gradients and hessians."""

    def __init__(
        self, x: Any, cuts: list[Any], depth: int, rate: float, min_leaf: int, l2: float
    ) -> None:
        import numpy as np

        self.x, self.cuts = x, cuts
        self.binned = np.stack(
            [np.searchsorted(cut, x[:, j], side="right") for j, cut in enumerate(cuts)], axis=1
        )
        self.depth, self.rate, self.min_leaf, self.l2 = depth, rate, min_leaf, l2

    def grow(self, gradient: Any, hessian: Any, rows: Any, level: int) -> Tree:
        """The (sub)tree for ``rows`` at depth ``level``."""
        import numpy as np

        g, h = float(gradient[rows].sum()), float(hessian[rows].sum())
        leaf = -self.rate * g / (h + self.l2)
        if level == self.depth or len(rows) < 2 * self.min_leaf:
            return leaf
        best: tuple[float, int, float] | None = None
        for j, cut in enumerate(self.cuts):
            if not len(cut):
                continue
            b = self.binned[rows, j]
            gl = np.cumsum(np.bincount(b, gradient[rows], len(cut) + 1))[:-1]
            hl = np.cumsum(np.bincount(b, hessian[rows], len(cut) + 1))[:-1]
            nl = np.cumsum(np.bincount(b, None, len(cut) + 1))[:-1]
            l2 = self.l2
            gain = gl**2 / (hl + l2) + (g - gl) ** 2 / (h - hl + l2) - g**2 / (h + l2)
            gain[(nl < self.min_leaf) | (len(rows) - nl < self.min_leaf)] = -1.0
            k = int(np.argmax(gain))
            if gain[k] > 0 and (best is None or gain[k] > best[0]):
                best = (float(gain[k]), j, float(cut[k]))
        if best is None:
            return leaf
        _, j, threshold = best
        below = self.x[rows, j] < threshold
        return (
            j,
            threshold,
            self.grow(gradient, hessian, rows[below], level + 1),
            self.grow(gradient, hessian, rows[~below], level + 1),
        )
