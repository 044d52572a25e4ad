"""Lantern user filter functions: the alert object a `filter(alert)` function receives, the
sandboxed worker that `lantern run` starts (worker.py) and a local runner (run.py).

    def filter(alert):
        if alert["ncand"] >= 3 and alert.lightcurve.mag.min() < 18:   # numpy arrays if installed
            return {"brightest": float(alert.lightcurve.mag.min())}  # match + annotation
        return False
"""
from .alert import Alert, LightCurve, call_filter, load_function

__all__ = ["Alert", "LightCurve", "call_filter", "load_function"]
