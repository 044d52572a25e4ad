"""The alert object given to a user's `filter(alert)` function, and the rules for its result.

An alert arrives as one JSON object (docs/filters.md "Python functions"): survey, objectId,
alertId, ra/dec (the object's mean position), features (Lasair column names), context,
watchlists, lightcurve (one entry per detection), candidate (the triggering detection) and
alert (the packet's own top-level fields, without cutouts). The sandboxed worker receives
`alert` as separate text and parses it only when the function reads it. Pure Python; numpy
is used for light-curve arrays when it can be imported.
"""
import math

try:  # optional: numpy arrays for the light curve when available
    import numpy as _np
except Exception:  # noqa: BLE001 - any import failure means "no numpy"
    _np = None

LIGHTCURVE_COLUMNS = ("mjd", "band", "flux", "fluxErr", "mag", "magErr", "sourceId")


class LightCurve:
    """The object's detections as column arrays (numpy when importable, else lists).
    Missing values (null in JSON) are NaN in numeric columns."""

    def __init__(self, points):
        self._points = points
        self._columns = {}

    def __len__(self):
        return len(self._points)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name):
        if name not in LIGHTCURVE_COLUMNS:
            raise KeyError(f"light curve has no column {name!r}; columns: {LIGHTCURVE_COLUMNS}")
        col = self._columns.get(name)
        if col is None:
            if name == "band":
                values = [p.get("band") for p in self._points]
                col = _np.array(values, dtype=object) if _np is not None else values
            elif name == "sourceId":
                values = [p.get("sourceId") for p in self._points]
                col = _np.array(values, dtype=_np.int64) if _np is not None else values
            else:
                values = [math.nan if p.get(name) is None else float(p[name]) for p in self._points]
                col = _np.array(values, dtype=_np.float64) if _np is not None else values
            self._columns[name] = col
        return col

    def points(self):
        """The detections as a list of dicts (mjd, band, flux, fluxErr, mag, magErr, sourceId)."""
        return list(self._points)


class Alert:
    """Field access by name: alert["ncand"], alert.objectId, alert.get("rb").

    A name is looked up, in order, among the top-level keys (survey, objectId, alertId, ra,
    dec, features, context, watchlists, lightcurve, candidate, alert), the features, the
    triggering detection (ZTF `candidate`, Rubin `diaSource`) and the packet's top-level fields.
    """

    def __init__(self, data, packet_text=None):
        self._data = data
        self._packet_text = packet_text  # the packet, parsed when first read
        self._packet = None
        self._lightcurve = None

    @property
    def data(self):
        """The alert as the JSON object that was received."""
        return self._data

    @property
    def lightcurve(self):
        if self._lightcurve is None:
            self._lightcurve = LightCurve(self._data.get("lightcurve") or [])
        return self._lightcurve

    @property
    def features(self):
        return self._data.get("features") or {}

    @property
    def packet(self):
        """The packet's top-level fields without the cutouts (a dict)."""
        if self._packet is None:
            if "alert" in self._data:
                self._packet = self._data["alert"] or {}
            elif self._packet_text is not None:
                import json
                self._packet = json.loads(self._packet_text) or {}
            else:
                self._packet = {}
        return self._packet

    @property
    def candidate(self):
        """The triggering detection: ZTF `candidate` or Rubin `diaSource` (a dict)."""
        c = self._data.get("candidate")
        if c is None:
            packet = self.packet
            c = packet.get("candidate") or packet.get("diaSource")
        return c or {}

    _MISSING = object()

    def _lookup(self, name):
        if name == "lightcurve":
            return self.lightcurve
        if name == "alert":
            return self.packet
        # The packet is parsed only when the cheaper scopes do not have the name.
        for scope in (self._data, self.features, self.candidate):
            if isinstance(scope, dict) and name in scope:
                return scope[name]
        packet = self.packet
        if isinstance(packet, dict) and name in packet:
            return packet[name]
        return Alert._MISSING

    def __getitem__(self, name):
        value = self._lookup(name)
        if value is Alert._MISSING:
            raise KeyError(f"alert has no field {name!r}")
        return value

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        value = self._lookup(name)
        if value is Alert._MISSING:
            raise AttributeError(f"alert has no field {name!r}")
        return value

    def __contains__(self, name):
        return self._lookup(name) is not Alert._MISSING

    def get(self, name, default=None):
        value = self._lookup(name)
        return default if value is Alert._MISSING else value

    def __repr__(self):
        d = self._data
        return f"Alert({d.get('survey')} {d.get('objectId')} {d.get('alertId')})"


class FilterError(Exception):
    """The function's result broke the rules (wrong type, annotation not JSON)."""


def _plain(value):
    """numpy scalars and arrays → Python values, for JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def check_annotation(annotation):
    """The annotation as compact JSON text; NaN/inf are not JSON and are refused."""
    import json
    try:
        return json.dumps(annotation, separators=(",", ":"), allow_nan=False, default=_plain)
    except (TypeError, ValueError) as e:
        raise FilterError(f"filter returned an annotation that is not JSON: {e}") from None


def call_filter(fn, alert_dict, packet_text=None):
    """Calls fn on one alert; returns False, True or ("annotation", dict).

    A bool (or numpy bool) selects; None is False; a dict is a match with that annotation (an
    empty dict too). Anything else is a FilterError."""
    result = fn(Alert(alert_dict, packet_text))
    if result is None:
        return False
    if isinstance(result, dict):
        check_annotation(result)
        return ("annotation", result)
    numpy_bool = type(result).__module__ == "numpy" and type(result).__name__ in ("bool_", "bool")
    if isinstance(result, bool) or numpy_bool:
        return bool(result)
    raise FilterError(f"filter returned {type(result).__name__}; expected bool, dict or None")


def load_function(source, filename="<filter>"):
    """Executes the user's source and returns its `filter` callable."""
    namespace = {"__name__": "lantern_user_filter", "__file__": filename}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - this is the point
    fn = namespace.get("filter")
    if not callable(fn):
        raise FilterError(f"{filename} does not define a function filter(alert)")
    return fn
