"""GeoJSON on the area tree (RFC 7946, WGS 84 `[lon, lat]`): a grid's or compound's outline,
a building's point. Checked here in plain Python (no GDAL): the shape each kind may have,
closed rings of at least four positions, coordinates in range, a bound on the size. Pure.

Also the other way: the outlines and points of a subtree as a FeatureCollection, and as
SVG paths for a map drawn without tiles (there is no tile server offline).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

POINT = "Point"
OUTLINES = ("Polygon", "MultiPolygon")
MAX_POSITIONS = 5000  # all rings of one outline together: a grid is not a coastline
MAX_FEATURES = 2000
MAX_BYTES = 5 * 1024 * 1024
# Which geometry each kind of node may have.
SHAPES: dict[str, tuple[str, ...]] = {
    "community": OUTLINES,
    "grid": OUTLINES,
    "compound": OUTLINES,
    "building": (POINT,),
}


def _fail(where: str, message: str) -> ValidationError:
    return ValidationError({"geometry": [f"{where}: {message}" if where else message]})


def _position(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise _fail(where, _("a position is [longitude, latitude]."))
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        raise _fail(where, _("a position holds numbers only."))
    try:
        lon, lat = float(value[0]), float(value[1])
    except OverflowError:  # an integer too large for a float
        raise _fail(where, _("a position holds numbers only.")) from None
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise _fail(where, _("a position holds numbers only."))
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        raise _fail(
            where,
            _("longitude must lie within ±180 and latitude within ±90 (WGS 84, longitude first)."),
        )
    return lon, lat


def _ring(value: Any, where: str) -> list[list[float]]:
    if not isinstance(value, list) or len(value) < 4:
        raise _fail(where, _("a ring has at least four positions."))
    ring = [list(_position(p, f"{where}[{i}]")) for i, p in enumerate(value)]
    if ring[0] != ring[-1]:
        raise _fail(where, _("a ring must end where it starts (a closed line)."))
    if len({tuple(p) for p in ring}) < 3:
        raise _fail(where, _("a ring needs at least three different positions."))
    return ring


def _polygon(value: Any, where: str) -> list[list[list[float]]]:
    if not isinstance(value, list) or not value:
        raise _fail(where, _("a polygon is a list of rings, the outline first."))
    return [_ring(r, f"{where}[{i}]") for i, r in enumerate(value)]


def clean_geometry(kind: str, value: Any) -> dict[str, Any] | None:
    """The geometry a node of `kind` may hold, normalised; a Feature gives its geometry.
    None clears it. A ValidationError on `geometry` names the place and the rule."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _fail("", _("A GeoJSON geometry is an object with a type and coordinates."))
    if value.get("type") == "Feature":  # one level only: a Feature holds a geometry
        value = value.get("geometry")
        if value is None:
            return None
        if not isinstance(value, Mapping) or value.get("type") == "Feature":
            raise _fail("", _("A GeoJSON geometry is an object with a type and coordinates."))
    allowed = SHAPES.get(kind)
    if not allowed:
        raise _fail("", _("This kind of area has no shape on the map."))
    shape = value.get("type")
    if shape not in allowed:
        raise _fail(
            "type",
            _("a %(kind)s takes %(allowed)s, not %(given)s.")
            % {"kind": kind, "allowed": " or ".join(allowed), "given": str(shape)[:40]},
        )
    coordinates = value.get("coordinates")
    if shape == POINT:
        return {"type": POINT, "coordinates": list(_position(coordinates, "coordinates"))}
    if shape == "Polygon":
        cleaned: Any = _polygon(coordinates, "coordinates")
        count = sum(len(r) for r in cleaned)
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise _fail("coordinates", _("a MultiPolygon is a list of polygons."))
        cleaned = [_polygon(p, f"coordinates[{i}]") for i, p in enumerate(coordinates)]
        count = sum(len(r) for p in cleaned for r in p)
    if count > MAX_POSITIONS:
        raise _fail(
            "coordinates",
            _("at most %(max)d positions in one outline; this has %(count)d: simplify it.")
            % {"max": MAX_POSITIONS, "count": count},
        )
    return {"type": shape, "coordinates": cleaned}


def collection_features(data: Any) -> list[dict[str, Any]]:
    """The features of an uploaded FeatureCollection (checked for shape, not contents)."""
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise ValidationError(
            {"file": [_("The file is not a GeoJSON FeatureCollection.")]}, code="not_collection"
        )
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise ValidationError({"file": [_("The FeatureCollection has no features.")]})
    if len(features) > MAX_FEATURES:
        raise ValidationError(
            {"file": [_("At most %(max)d features in one file.") % {"max": MAX_FEATURES}]}
        )
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            raise ValidationError(
                {"file": [_("Feature %(n)d is not a GeoJSON Feature.") % {"n": number}]}
            )
    return list(features)


def centre(geometry: Mapping[str, Any]) -> tuple[float, float]:
    """A representative point: the point itself, or the mean of an outline's first ring."""
    if geometry["type"] == POINT:
        lon, lat = geometry["coordinates"][:2]
        return float(lon), float(lat)
    ring = _outer_rings(geometry)[0][:-1]
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def _outer_rings(geometry: Mapping[str, Any]) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    return [polygon[0] for polygon in geometry["coordinates"]]


def contains(outline: Mapping[str, Any], lon: float, lat: float) -> bool:
    """Is the point inside the outline's outer rings (ray casting; holes ignored)?"""
    for ring in _outer_rings(outline):
        inside = False
        for (x1, y1), (x2, y2) in zip(
            (p[:2] for p in ring), (p[:2] for p in ring[1:]), strict=False
        ):
            if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
                inside = not inside
        if inside:
            return True
    return False


# --- drawing --------------------------------------------------------------------------------


class Projection:
    """Longitude/latitude onto an SVG box `width` wide and at most `max_height` high,
    north up, metres kept square near the centre, the drawing centred across."""

    def __init__(
        self,
        geometries: Iterable[Mapping[str, Any]],
        width: int = 600,
        max_height: int = 480,
        pad: int = 16,
    ):
        xs: list[float] = []
        ys: list[float] = []
        for g in geometries:
            for lon, lat in _positions(g):
                xs.append(lon)
                ys.append(lat)
        self.empty = not xs
        if self.empty:
            xs, ys = [0.0], [0.0]
        self.scale_x = math.cos(math.radians((min(ys) + max(ys)) / 2))
        self.west, self.north = min(xs), max(ys)
        span_x = max((max(xs) - min(xs)) * self.scale_x, 1e-6)
        span_y = max(max(ys) - min(ys), 1e-6)
        self.factor = min((width - 2 * pad) / span_x, (max_height - 2 * pad) / span_y)
        self.pad = pad
        self.left = (width - span_x * self.factor) / 2  # where the west edge is drawn
        self.width = width
        self.height = round(span_y * self.factor + 2 * pad)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x = (lon - self.west) * self.scale_x * self.factor + self.left
        y = (self.north - lat) * self.factor + self.pad
        return round(x, 1), round(y, 1)

    def path(self, geometry: Mapping[str, Any]) -> str:
        """An outline as an SVG path's `d` (holes drawn with the even-odd rule)."""
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        parts = []
        for polygon in polygons:
            for ring in polygon:
                points = [self.xy(p[0], p[1]) for p in ring]
                parts.append("M" + " L".join(f"{x},{y}" for x, y in points) + " Z")
        return " ".join(parts)


def _positions(geometry: Mapping[str, Any]) -> Iterable[tuple[float, float]]:
    if geometry["type"] == POINT:
        yield float(geometry["coordinates"][0]), float(geometry["coordinates"][1])
        return
    for ring in (
        r
        for polygon in (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        for r in polygon
    ):
        for p in ring:
            yield float(p[0]), float(p[1])
