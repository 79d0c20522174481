"""The learned scorer's scikit-learn parts as plain numbers, run without importing scikit-learn (about 0.8 s).

The pair model dingmi trains is ``interactions → StandardScaler → LogisticRegression`` (binary) and
the calibrator an ``IsotonicRegression`` that clips. These classes repeat scikit-learn's arithmetic
step by step (the same NumPy operations on the same shapes, the logistic through libm's ``exp``
like SciPy's ``expit``), so their answers equal scikit-learn's to the last bit
(``tests/training/test_fast_load.py``). ``export_*`` read the fitted numbers off the estimators and
answer None for any other estimator (the caller then keeps scikit-learn).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from dingmi.learned import interactions


def _expit(x: float) -> float:
    """1 / (1 + e^-x) as SciPy computes it (C ``exp``, which ``math.exp`` calls too)."""
    try:
        return 1.0 / (1.0 + math.exp(-x))
    except OverflowError:  # e^-x beyond the largest double: C gives inf, hence 0
        return 0.0


@dataclass
class PairModel:
    """``predict_proba`` of the trained pair-model pipeline."""

    mean: np.ndarray | None  # StandardScaler.mean_ (None without centring)
    scale: np.ndarray | None  # StandardScaler.scale_ (None without scaling)
    coef: np.ndarray  # LogisticRegression.coef_, shape (1, n)
    intercept: np.ndarray

    def predict_proba(self, X: Any) -> np.ndarray:
        Xt = np.array(interactions(X), dtype=np.float64, copy=True)
        if self.mean is not None:
            Xt -= self.mean
        if self.scale is not None:
            Xt /= self.scale
        scores = (Xt @ self.coef.T + self.intercept).reshape(-1)
        prob = np.array([_expit(float(s)) for s in scores], dtype=np.float64)
        return np.stack([1 - prob, prob], axis=1)

    def to_json(self) -> dict[str, Any]:
        return {"mean": None if self.mean is None else self.mean.tolist(),
                "scale": None if self.scale is None else self.scale.tolist(),
                "coef": self.coef.tolist(), "intercept": self.intercept.tolist()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PairModel:
        def arr(v: Any) -> np.ndarray | None:
            return None if v is None else np.array(v, dtype=np.float64)

        return cls(arr(d["mean"]), arr(d["scale"]), np.array(d["coef"], dtype=np.float64),
                   np.array(d["intercept"], dtype=np.float64))


@dataclass
class Calibrator:
    """``predict`` of a fitted IsotonicRegression with ``out_of_bounds="clip"``."""

    x_min: float
    x_max: float
    x: np.ndarray  # the interpolation knots as SciPy's interp1d holds them
    y: np.ndarray

    def predict(self, T: Any) -> np.ndarray:
        T = np.asarray(T, dtype=np.float64).reshape(-1)
        T = np.clip(T, self.x_min, self.x_max)
        if len(self.y) == 1:
            return self.y.repeat(T.shape).astype(T.dtype)
        res = np.interp(T, self.x, self.y)
        res[(T < self.x[0]) | (T > self.x[-1])] = np.nan  # interp1d's fill value
        return res.astype(T.dtype)

    def to_json(self) -> dict[str, Any]:
        return {"x_min": self.x_min, "x_max": self.x_max, "x": self.x.tolist(), "y": self.y.tolist()}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Calibrator:
        return cls(float(d["x_min"]), float(d["x_max"]), np.array(d["x"], dtype=np.float64),
                   np.array(d["y"], dtype=np.float64))


def _plain_output(est: Any) -> bool:
    """No ``set_output`` container configured (outputs stay NumPy arrays)."""
    config = getattr(est, "_sklearn_output_config", {}) or {}
    return all(v == "default" for v in config.values())


def export_pair_model(model: Any) -> PairModel | None:
    """The numbers of a fitted ``interactions → StandardScaler → LogisticRegression`` pipeline, else None."""
    try:
        steps = [step for _, step in model.steps]
        if type(model).__name__ != "Pipeline" or len(steps) != 3 or not all(map(_plain_output, [model, *steps])):
            return None
        ft, sc, lr = steps
        if (type(ft).__name__ != "FunctionTransformer" or ft.func is not interactions or ft.kw_args
                or ft.validate or type(sc).__name__ != "StandardScaler" or type(lr).__name__ != "LogisticRegression"):
            return None
        coef = np.asarray(lr.coef_, dtype=np.float64)
        if len(lr.classes_) != 2 or coef.ndim != 2 or coef.shape[0] != 1:
            return None
        mean = np.asarray(sc.mean_, dtype=np.float64) if sc.with_mean else None
        scale = np.asarray(sc.scale_, dtype=np.float64) if sc.with_std else None
        return PairModel(mean, scale, np.array(coef), np.atleast_1d(np.asarray(lr.intercept_, dtype=np.float64)))
    except (AttributeError, TypeError, ValueError):
        return None


def export_calibrator(iso: Any) -> Calibrator | None:
    """The knots of a fitted, clipping IsotonicRegression, else None (None stays None)."""
    if iso is None:
        return None
    try:
        if type(iso).__name__ != "IsotonicRegression" or iso.out_of_bounds != "clip" or not _plain_output(iso):
            return None
        if len(iso.y_thresholds_) == 1:
            y = np.asarray(iso.y_thresholds_, dtype=np.float64)
            return Calibrator(float(iso.X_min_), float(iso.X_max_), np.asarray(iso.X_thresholds_, dtype=np.float64), y)
        f = iso.f_
        if getattr(f, "_call", None).__name__ != "_call_linear_np" or f.x.dtype != np.float64 or f.y.dtype != np.float64:
            return None
        return Calibrator(float(iso.X_min_), float(iso.X_max_), np.array(f.x), np.array(f.y))
    except (AttributeError, TypeError, ValueError):
        return None
