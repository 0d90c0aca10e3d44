//! The world map of far ends: country shapes from Natural Earth 1:110m
//! (public domain), converted once by scripts/build-world-map.py into
//! `world-110m.txt` (one line per country: code, marker point, SVG path in
//! an equirectangular projection, 720 × 284 units, 84° N to 58° S).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::escape::esc;

static WORLD: &str = include_str!("world-110m.txt");

pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 284;

/// One country's shape.
pub struct CountryShape<'a> {
    pub code: &'a str,
    pub marker: (i32, i32),
    pub path: &'a str,
}

/// The shapes, in file order (a code may have several lines).
pub fn shapes() -> impl Iterator<Item = CountryShape<'static>> {
    WORLD.lines().filter_map(|line| {
        let mut parts = line.splitn(4, ' ');
        let code = parts.next()?;
        let x = parts.next()?.parse().ok()?;
        let y = parts.next()?.parse().ok()?;
        let path = parts.next()?;
        Some(CountryShape {
            code,
            marker: (x, y),
            path,
        })
    })
}

/// Where a marker for `code` goes; `None` for countries too small for the
/// 1:110m map (they are listed beside the map instead).
pub fn marker(code: &str) -> Option<(i32, i32)> {
    shapes().find(|s| s.code == code).map(|s| s.marker)
}

/// What the map shows for one country.
#[derive(Clone, Debug, Default)]
pub struct CountryMark {
    /// CSS class of the fill (the strongest role seen there).
    pub class: &'static str,
    /// Far ends located there.
    pub far_ends: usize,
    /// Tooltip text.
    pub title: String,
}

/// The map as inline SVG, marked countries filled by class, with a dot
/// and a tooltip at each marked country.
pub fn svg(marks: &BTreeMap<String, CountryMark>) -> String {
    let mut s = String::with_capacity(60_000);
    let _ = write!(
        s,
        r#"<svg class="map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="World map of the far ends of call flows"><rect width="{WIDTH}" height="{HEIGHT}" class="sea"/>"#
    );
    for shape in shapes() {
        let class = marks.get(shape.code).map_or("land", |m| m.class);
        let _ = write!(s, r#"<path class="{class}" d="{}"/>"#, esc(shape.path));
    }
    for (code, mark) in marks {
        if let Some((x, y)) = marker(code) {
            let r = 3.0 + (mark.far_ends as f64).sqrt().min(4.0);
            let _ = write!(
                s,
                r#"<g class="pin {}"><title>{}</title><circle cx="{x}" cy="{y}" r="{r:.1}"/><text x="{}" y="{}">{}</text></g>"#,
                mark.class,
                esc(&mark.title),
                x + 6,
                y + 3,
                esc(code)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_has_major_countries_with_markers_inside_the_frame() {
        for cc in ["US", "DE", "IE", "CN", "BR", "AU", "IN", "RU", "ZA"] {
            let (x, y) = marker(cc).unwrap_or_else(|| panic!("{cc} missing"));
            assert!(
                (0..WIDTH as i32).contains(&x) && (0..HEIGHT as i32).contains(&y),
                "{cc}"
            );
        }
        // Ireland is west of Germany, Australia south of China.
        assert!(marker("IE").unwrap().0 < marker("DE").unwrap().0);
        assert!(marker("AU").unwrap().1 > marker("CN").unwrap().1);
        assert!(shapes().count() > 150);
    }
}
