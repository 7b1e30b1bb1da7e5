"""Stage 1: page image -> cleaned image ready for OCR.

Every step is a pure function ``(image, **params) -> image`` registered in ``STEPS`` with its
default parameters in ``DEFAULT_PARAMS``. Steps keep the page size, so word boxes found on
the cleaned image are valid on the page image. ``preprocess_page`` runs the configured steps
in order and records each as a ``ProcessingStep``.

Costs on a 300 dpi letter page (one core): grayscale, median, gaussian, otsu, border, rules,
background < 0.05 s; sauvola ~0.2 s; deskew ~0.05 s; nlmeans several seconds; orientation runs
Tesseract's orientation detection (``--psm 0``), about 0.5-1 s, so it is off by default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import cv2
import numpy as np

from pipeline.config import PreprocessConfig
from pipeline.errors import BadArgumentsError
from pipeline.records import ProcessingStep

cv2.setNumThreads(1)

Image = np.ndarray


def _gray(image: Image) -> Image:
    if image.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        return np.asarray(cv2.cvtColor(image, code))
    return image


def _shrink(gray: Image, longest: int) -> Image:
    """Downscale so the longer side is at most ``longest`` px (never upscales).

    Halves with ``cv2.pyrDown`` (Gaussian blur + decimation, ~2 ms on a 10-megapixel
    page) while the page is at least twice too large, then resamples the small image
    with ``INTER_AREA``: the same result as one ``INTER_AREA`` resize at a tenth of its
    cost (~12 ms), which matters for steps run on every page.
    """
    while max(gray.shape[:2]) >= 2 * longest:
        gray = np.asarray(cv2.pyrDown(gray))
    scale = longest / max(gray.shape[:2])
    if scale >= 1.0:
        return gray
    return np.asarray(cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))


def _area_shrink(gray: Image, longest: int) -> Image:
    """Downscale with one ``INTER_AREA`` resize (a box average over the whole factor).

    Used for the paper estimate: a single box average gives a smoother paper level than
    the pyramid of ``_shrink``, and the OCR of dark pages proved sensitive to it (one page
    moved by 4 CER points between the two).
    """
    scale = min(1.0, longest / max(gray.shape[:2]))
    return np.asarray(cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))


def _odd(value: int) -> int:
    value = max(1, int(value))
    return value if value % 2 else value + 1


def grayscale(image: Image) -> Image:
    """Convert a BGR image to 8-bit grayscale (grayscale input is returned as is)."""
    return _gray(image)


def median(image: Image, ksize: int = 3) -> Image:
    """Median filter: removes salt-and-pepper specks."""
    return np.asarray(cv2.medianBlur(image, _odd(ksize)))


def gaussian(image: Image, ksize: int = 3, sigma: float = 0.0) -> Image:
    """Gaussian blur: smooths grain and JPEG noise."""
    k = _odd(ksize)
    return np.asarray(cv2.GaussianBlur(image, (k, k), sigma))


def nlmeans(image: Image, h: float = 10.0, template: int = 7, search: int = 21) -> Image:
    """Non-local means denoising (slow: seconds per page)."""
    return np.asarray(cv2.fastNlMeansDenoising(_gray(image), None, h, _odd(template), _odd(search)))


def otsu(image: Image) -> Image:
    """Global Otsu binarization: text black (0), paper white (255)."""
    _, binary = cv2.threshold(_gray(image), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(binary)


def sauvola(image: Image, window: int = 41, k: float = 0.2, r: float = 128.0) -> Image:
    """Local Sauvola binarization: threshold = mean * (1 + k * (std / r - 1)) per window.

    Copes with uneven lighting and faint carbon copies better than one global threshold.
    Local mean and deviation come from box filters (integral images).
    """
    gray = _gray(image)
    size = (_odd(window), _odd(window))
    values = gray.astype(np.float32)
    mean = cv2.boxFilter(values, cv2.CV_32F, size, borderType=cv2.BORDER_REFLECT)
    spread = cv2.sqrBoxFilter(values, cv2.CV_32F, size, borderType=cv2.BORDER_REFLECT)
    # In place, to keep three float planes at most: spread -> variance -> std -> factor.
    np.multiply(mean, mean, out=values)
    np.subtract(spread, values, out=spread)
    np.maximum(spread, 0.0, out=spread)
    np.sqrt(spread, out=spread)
    np.multiply(spread, k / r, out=spread)
    np.add(spread, 1.0 - k, out=spread)
    np.multiply(mean, spread, out=mean)
    return (gray > mean).astype(np.uint8) * np.uint8(255)


def ink_mask(gray: Image) -> Image:
    """Boolean mask of dark pixels (Otsu), or all False on a page without contrast."""
    if int(gray.max()) - int(gray.min()) < 32:
        return np.zeros(gray.shape, dtype=bool)
    _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return np.asarray(binary) > 0


def find_skew(image: Image, max_angle: float = 10.0) -> float:
    """Skew angle in degrees (counter-clockwise positive) by projection profiles.

    Ink pixels of a downscaled page are projected on rows for each candidate angle; the
    angle whose row histogram is sharpest (largest sum of squared differences) wins.
    Coarse 0.5° steps over ±``max_angle``, then 0.05° steps around the best. Returns 0.0
    when the page has too little ink to tell.
    """
    mask = ink_mask(_shrink(_gray(image), 1200))
    ys, xs = np.nonzero(mask)
    if ys.size < 200 or ys.size > 0.5 * mask.size:
        return 0.0
    if ys.size > 150_000:
        pick = np.random.default_rng(0).choice(ys.size, 150_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    xs_f = xs.astype(np.float64) - mask.shape[1] / 2
    ys_f = ys.astype(np.float64) - mask.shape[0] / 2
    span = int(np.hypot(*mask.shape)) + 2

    def score(angle: float) -> float:
        theta = np.deg2rad(angle)
        rows = np.rint(ys_f * np.cos(theta) - xs_f * np.sin(theta)).astype(np.int64) + span // 2
        hist = np.bincount(rows, minlength=span).astype(np.float64)
        return float(np.sum(np.diff(hist) ** 2))

    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.5)
    best = float(coarse[int(np.argmax([score(a) for a in coarse]))])
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, 0.05)
    best = float(fine[int(np.argmax([score(a) for a in fine]))])
    # The rotation that straightens the rows is the negative of the page's skew.
    return round(-best, 2)


def rotate(image: Image, angle: float) -> Image:
    """Rotate by ``angle`` degrees (counter-clockwise) about the centre, keeping the size."""
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    fill: Any = (255, 255, 255) if image.ndim == 3 else 255
    return np.asarray(
        cv2.warpAffine(
            image,
            matrix,
            (width, height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=fill,
        )
    )


def deskew(image: Image, max_angle: float = 10.0, min_angle: float = 0.8) -> Image:
    """Straighten a skewed page (±``max_angle``°); blank pages and small angles are untouched.

    Tesseract's own line finding copes with a skew under about a degree, so rotating such
    a page only resamples it and perturbs the layout analysis (on the InkBench pages the
    rotations between 0.3° and 0.8° changed one page's CER by -1.3 points and another's by
    +2.7, through a different reading order of letterhead blocks). Rotations of 0.9° and
    more paid off on most pages (up to -44 points), hence ``min_angle`` 0.8.
    """
    angle = find_skew(image, max_angle)
    if abs(angle) < min_angle:
        return image
    return rotate(image, -angle)


def orientation(image: Image, min_confidence: float = 2.0) -> Image:
    """Turn a page upright (0/90/180/270°) using Tesseract's orientation detection.

    Costs one extra Tesseract run (``--psm 0``, ~0.5-1 s a page). The page is left as is
    when detection fails or its confidence is below ``min_confidence``.
    """
    from pipeline.ocr import detect_orientation

    found = detect_orientation(image)
    if found is None:
        return image
    rotate_by, confidence = found
    if confidence < min_confidence or rotate_by % 360 == 0:
        return image
    turns = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    code = turns.get(rotate_by % 360)
    return image if code is None else np.asarray(cv2.rotate(image, code))


def border(image: Image, dark_fraction: float = 0.5, max_fraction: float = 0.1) -> Image:
    """Whiten dark scanner borders: edge rows/columns that are mostly ink.

    Scans inward from each side while a row (column) is more than ``dark_fraction`` ink, up
    to ``max_fraction`` of the page, and paints those margins white. The size is kept.
    """
    mask = ink_mask(_gray(image))
    if not mask.any():
        return image
    out = image.copy()
    white: Any = 255
    height, width = mask.shape
    rows = mask.mean(axis=1)
    cols = mask.mean(axis=0)

    def run(values: np.ndarray, limit: int) -> int:
        n = 0
        while n < limit and values[n] > dark_fraction:
            n += 1
        return n

    top = run(rows, int(height * max_fraction))
    bottom = run(rows[::-1], int(height * max_fraction))
    left = run(cols, int(width * max_fraction))
    right = run(cols[::-1], int(width * max_fraction))
    pad = 2
    if top:
        out[: top + pad] = white
    if bottom:
        out[height - bottom - pad :] = white
    if left:
        out[:, : left + pad] = white
    if right:
        out[:, width - right - pad :] = white
    return out


def rules(image: Image, horizontal: float = 0.0, vertical: float = 0.03, grow: int = 1) -> Image:
    """Whiten ruled lines, paper edges and borders: long straight runs of ink.

    Ink (Otsu) that survives a morphological opening with a line ``horizontal`` x page
    width long (``vertical`` x page height tall) is painted white, widened by ``grow`` px
    so that its antialiased fringe goes too; 0 turns a direction off. The default,
    vertical runs longer than 3 % of the page height (about two text lines; no typed
    glyph is that tall), removes the edges of pasted or folded paper and margin rules
    that split Tesseract's text columns. It serves the second reading of low-confidence
    pages (``OcrConfig.retry_steps``), not every page: as a default step it cut into a
    few letterheads.
    """
    gray = _gray(image)
    mask = ink_mask(gray)
    if not mask.any():
        return image
    ink = mask.astype(np.uint8) * np.uint8(255)
    height, width = gray.shape
    found = np.zeros_like(ink)
    for size in ((int(horizontal * width), 1), (1, int(vertical * height))):
        if max(size) > 1:
            kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
            found |= np.asarray(cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel))
    if not found.any():
        return image
    if grow > 0:
        found = np.asarray(cv2.dilate(found, np.ones((2 * grow + 1, 2 * grow + 1), np.uint8)))
    out = image.copy()
    out[found > 0] = 255
    return out


def _background(gray: Image, kernel: float) -> Image:
    """Paper brightness under every pixel of a downscaled copy (``gray`` <= 400 px).

    A grey-level dilation (max filter) wider than any glyph removes the ink; a Gaussian
    blur of the same size smooths the block edges of the max filter.
    """
    size = max(3, int(round(kernel * max(gray.shape))) | 1)
    shape = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    paper = cv2.dilate(gray, shape)
    return np.asarray(cv2.GaussianBlur(paper, (size, size), 0))


def paper_level(image: Image, kernel: float = 0.03) -> float:
    """Median paper brightness (0-255) of a page, ink removed by a max filter.

    ``kernel`` is the filter size as a fraction of the page's longer side (3 % is about
    three text lines, wider than any typewritten glyph).
    """
    return float(np.median(_background(_area_shrink(_gray(image), 400), kernel)))


def background(image: Image, max_paper: float = 225.0, kernel: float = 0.03) -> Image:
    """Flatten dark or uneven paper: divide the page by its estimated background.

    The paper brightness is estimated on a copy downscaled to 400 px (``paper_level``),
    scaled back up, and the page divided by it, so the paper becomes white (255) and the
    ink keeps its contrast to the local paper. Only pages whose median paper level is
    below ``max_paper`` are changed: on white paper the division gains nothing and can
    only move Tesseract's global threshold. Measured on the 23 InkBench pages (after
    grayscale + deskew, psm 3): the seven pages with darker paper (toned, photocopied or
    grey scans, median paper 176-223) went from 29.7 % to 26.9 % CER (one page 9 % -> 4 %,
    the faintest 88 % -> 79 %); applied to every page the division lost up to 23 points on
    white pages. The gains on the darkest pages are fragile: a slightly different paper
    estimate moved one page by 4 points either way. Colour input is converted to gray.
    """
    gray = _gray(image)
    paper = _background(_area_shrink(gray, 400), kernel)
    if float(np.median(paper)) >= max_paper:
        return image
    height, width = gray.shape
    full = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(cv2.divide(gray, np.maximum(full, 1), scale=255))


def is_blank(image: Image, min_ink: float = 0.0005) -> bool:
    """True when a page has (almost) no ink: no contrast, or under ``min_ink`` dark pixels.

    Dark means at least 60 grey levels below the page's median brightness, so paper tone
    and scanner noise do not count as text.
    """
    small = _shrink(_gray(image), 1000)
    paper = float(np.median(small))
    dark = np.count_nonzero(small < paper - 60) / small.size
    return bool(dark < min_ink)


STEPS: dict[str, Callable[..., Image]] = {
    "grayscale": grayscale,
    "median": median,
    "gaussian": gaussian,
    "nlmeans": nlmeans,
    "otsu": otsu,
    "sauvola": sauvola,
    "deskew": deskew,
    "orientation": orientation,
    "border": border,
    "background": background,
    "rules": rules,
}
"""Every preprocessing step by name."""

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "grayscale": {},
    "median": {"ksize": 3},
    "gaussian": {"ksize": 3, "sigma": 0.0},
    "nlmeans": {"h": 10.0, "template": 7, "search": 21},
    "otsu": {},
    "sauvola": {"window": 41, "k": 0.2, "r": 128.0},
    "deskew": {"max_angle": 10.0, "min_angle": 0.8},
    "orientation": {"min_confidence": 2.0},
    "border": {"dark_fraction": 0.5, "max_fraction": 0.1},
    "background": {"max_paper": 225.0, "kernel": 0.03},
    "rules": {"horizontal": 0.0, "vertical": 0.03, "grow": 1},
}
"""Default parameters of each step (overridden by ``PreprocessConfig.params``)."""


def step_params(name: str, overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Parameters for step ``name``: defaults updated with ``overrides[name]``.

    Raises:
        BadArgumentsError: unknown step or parameter name.
    """
    if name not in STEPS:
        raise BadArgumentsError(
            f"unknown preprocessing step '{name}'; valid steps: {', '.join(STEPS)}"
        )
    params = dict(DEFAULT_PARAMS[name])
    extra = dict(overrides.get(name, {}))
    unknown = set(extra) - set(params)
    if unknown:
        raise BadArgumentsError(
            f"unknown parameter(s) {', '.join(sorted(unknown))} for preprocessing step "
            f"'{name}'; valid: {', '.join(params) or 'none'}"
        )
    params.update(extra)
    return params


def validate_steps(config: PreprocessConfig) -> None:
    """Raise ``BadArgumentsError`` for unknown step or parameter names."""
    for name in config.steps:
        step_params(name, config.params)
    stray = set(config.params) - set(STEPS)
    if stray:
        raise BadArgumentsError(
            f"parameters given for unknown step(s) {', '.join(sorted(stray))}; "
            f"valid steps: {', '.join(STEPS)}"
        )


def preprocess_page(
    image: Image, config: PreprocessConfig
) -> tuple[Image, tuple[ProcessingStep, ...]]:
    """Run the configured steps on a page image.

    Args:
        image: 8-bit grayscale or BGR page.
        config: the steps and parameter overrides.

    Returns:
        The cleaned image (grayscale when any step converts it) and one ``ProcessingStep``
        per step run.

    Raises:
        BadArgumentsError: an unknown step or parameter name.
    """
    validate_steps(config)
    steps = []
    for name in config.steps:
        params = step_params(name, config.params)
        image = STEPS[name](image, **params)
        steps.append(ProcessingStep("preprocess", name, params))
    return image, tuple(steps)
