#!/usr/bin/env python3
"""Builds src/report/html/world-110m.txt, the world map of HTML reports.

Source: Natural Earth 1:110m Admin 0 countries (public domain), as TopoJSON
in the npm package `world-atlas` 2.0.2 (ISC licence, Natural Earth 4.1.0);
ISO numeric -> alpha-2 codes from the npm package `i18n-iso-countries`
(MIT). Get both with `npm pack world-atlas@2.0.2 i18n-iso-countries@7.14.0`
and unpack them, then:

    python3 scripts/build-world-map.py WORLD_ATLAS_DIR I18N_DIR > src/report/html/world-110m.txt

Output: one line per country, `CC X Y PATH`: ISO 3166-1 alpha-2 code (`--`
when it has none), a marker point (centre of the bounding box of its
largest ring) and an SVG path in an equirectangular projection, 2 units per
degree, x = (lon + 180) * 2, y = (84 - lat) * 2 (Antarctica left out), with
coordinates rounded to whole units and repeated points dropped.
"""
import json
import sys

SCALE = 2.0
TOP_LAT = 84.0
BOTTOM_LAT = -58.0
NAMED = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}


def main():
    atlas_dir, i18n_dir = sys.argv[1], sys.argv[2]
    topo = json.load(open(f"{atlas_dir}/countries-110m.json"))
    codes = json.load(open(f"{i18n_dir}/codes.json"))
    numeric = {row[2]: row[0] for row in codes}
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]

    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((x * sx + tx, y * sy + ty))
        arcs.append(pts)

    def arc_points(i):
        return arcs[i] if i >= 0 else list(reversed(arcs[~i]))

    def ring(indices):
        pts = []
        for i in indices:
            p = arc_points(i)
            pts.extend(p if not pts else p[1:])
        return pts

    def project(lon, lat):
        return (round((lon + 180.0) * SCALE), round((TOP_LAT - lat) * SCALE))

    lines = []
    for geom in topo["objects"]["countries"]["geometries"]:
        name = geom["properties"]["name"]
        if name == "Antarctica":
            continue
        cc = numeric.get(geom.get("id"), NAMED.get(name, "--"))
        polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        d = []
        best = None
        for poly in polys:
            for k, r in enumerate(poly):
                pts = []
                raw = ring(r)
                # A ring that crosses the antimeridian (Fiji, Chukotka) is
                # folded onto the side where most of its points lie.
                if any(abs(a[0] - b[0]) > 180 for a, b in zip(raw, raw[1:])):
                    east = sum(1 for lon, _ in raw if lon > 0) * 2 >= len(raw)
                    raw = [(180.0 if east else -180.0, lat) if (lon > 0) != east else (lon, lat)
                           for lon, lat in raw]
                for lon, lat in raw:
                    if lat < BOTTOM_LAT:
                        lat = BOTTOM_LAT
                    p = project(lon, lat)
                    if not pts or pts[-1] != p:
                        pts.append(p)
                if len(pts) > 1 and pts[0] == pts[-1]:
                    pts.pop()
                if len(set(pts)) < 3:
                    continue
                x0, y0 = pts[0]
                seg = [f"M{x0} {y0}l"]
                px, py = x0, y0
                rel = []
                for x, y in pts[1:]:
                    rel.append(f"{x - px} {y - py}")
                    px, py = x, y
                seg.append(" ".join(rel))
                seg.append("z")
                d.append("".join(seg))
                if k == 0:
                    xs = [p[0] for p in pts]
                    ys = [p[1] for p in pts]
                    area = (max(xs) - min(xs)) * (max(ys) - min(ys))
                    if best is None or area > best[0]:
                        best = (area, (min(xs) + max(xs)) // 2, (min(ys) + max(ys)) // 2)
        if not d or best is None:
            continue
        lines.append(f"{cc} {best[1]} {best[2]} {''.join(d)}")
    lines.sort()
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
