"""Geo points in ES|QL: read from any form a document gives them, shown as WKT, measured on a sphere."""

from __future__ import annotations

import math
from typing import Any


def geo_point(row: dict, name: str) -> str | None:
    """A geo_point column as ES|QL shows it, WKT `POINT (lon lat)`, from any form a document gives it: an
    object (flat: `name.lat`/`name.lon`), "lat,lon", WKT, or [lon, lat]."""
    value: Any = row.get(name)
    lat: Any
    lon: Any
    if value is None:
        value = {"lat": row.get(name + ".lat"), "lon": row.get(name + ".lon")}
    if isinstance(value, dict):
        lat, lon = value.get("lat"), value.get("lon")
    elif isinstance(value, list) and len(value) == 2:
        lon, lat = value
    elif isinstance(value, str) and value.strip().upper().startswith("POINT"):
        return value.strip()
    elif isinstance(value, str) and value.count(",") == 1:
        lat, lon = (part.strip() for part in value.split(","))
    else:
        return None
    try:
        return f"POINT ({float(lon)!r} {float(lat)!r})"
    except (TypeError, ValueError):
        return None


def _point(value: Any) -> tuple[float, float] | None:
    """(x, y) of a WKT point; ValueError on a bad number (the row gets null)."""
    text = str(value).strip()
    if not text.upper().startswith("POINT") or "(" not in text or ")" not in text:
        return None
    parts = text[text.index("(") + 1:text.rindex(")")].split()
    return (float(parts[0]), float(parts[1])) if len(parts) == 2 else None


def point_coordinate(point: Any, index: int) -> float | None:
    """ST_X (index 0) or ST_Y (1) of a WKT point."""
    xy = _point(point)
    return None if xy is None else xy[index]


def to_geopoint(value: Any) -> str | None:
    xy = _point(value)
    return None if xy is None else f"POINT ({xy[0]!r} {xy[1]!r})"


_EARTH_MEAN_RADIUS = 6371008.7714  # metres, Elasticsearch's GeoUtils


def st_distance(a: Any, b: Any) -> float | None:
    """Great-circle (haversine) distance in metres between two geo points, as geo_distance computes it."""
    first, second = _point(a), _point(b)
    if first is None or second is None:
        return None
    (lon1, lat1), (lon2, lat2) = first, second
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_MEAN_RADIUS * math.asin(min(1.0, math.sqrt(h)))
