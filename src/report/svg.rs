//! A small SVG writer: shapes, text and linear scales as strings.
//!
//! Charts are built by hand rather than with a plotting crate so that no
//! font library is linked: `<text>` elements name the generic `sans-serif`
//! family and the viewer draws them with whatever font it has. Coordinates
//! are rounded to 0.1 px to keep files small and byte-stable.

use std::fmt::Write as _;

use super::escape;

/// Palette for series (colour-blind-safe Okabe–Ito hues).
pub const PALETTE: [&str; 8] =
    ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"];

/// An SVG document being built.
pub struct Svg {
    width: f64,
    height: f64,
    body: String,
}

impl Svg {
    /// An empty drawing of the given size in pixels.
    pub fn new(width: f64, height: f64) -> Svg {
        Svg { width, height, body: String::new() }
    }

    /// Appends raw markup (callers escape their text).
    pub fn raw(&mut self, markup: &str) {
        self.body.push_str(markup);
    }

    /// Text at (x, y); `anchor` is `start`, `middle` or `end`.
    pub fn text(&mut self, x: f64, y: f64, size: f64, anchor: &str, text: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{:.1}" y="{:.1}" font-size="{size}" text-anchor="{anchor}">{}</text>"#,
            x,
            y,
            escape(text)
        );
    }

    /// Bold text, for titles.
    pub fn title(&mut self, x: f64, y: f64, size: f64, text: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" font-weight="bold">{}</text>"#,
            escape(text)
        );
    }

    /// A straight line.
    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, extra: &str) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" {extra}/>"#
        );
    }

    /// A rectangle.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, extra: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{fill}" {extra}/>"#,
            w.max(0.0),
            h.max(0.0)
        );
    }

    /// A path through pixel points; `close` fills it as a polygon.
    pub fn path(&mut self, points: &[(f64, f64)], class: &str, style: &str, close: bool) {
        if points.is_empty() {
            return;
        }
        let mut d = String::new();
        for (i, (x, y)) in points.iter().enumerate() {
            let _ = write!(d, "{}{:.1},{:.1}", if i == 0 { "M" } else { " L" }, x, y);
        }
        if close {
            d.push_str(" Z");
        }
        let _ = writeln!(self.body, r#"<path class="{class}" d="{d}" {style}/>"#);
    }

    /// The finished document, with the namespace a standalone file needs.
    pub fn finish(self) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
             font-family=\"sans-serif\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n{}</svg>\n",
            self.body,
            w = self.width,
            h = self.height
        )
    }
}

/// A linear map from data values to pixels.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    /// Maps `d0..d1` onto `p0..p1` (either may be decreasing).
    pub fn new(d0: f64, d1: f64, p0: f64, p1: f64) -> Scale {
        let d1 = if (d1 - d0).abs() < 1e-12 { d0 + 1.0 } else { d1 };
        Scale { d0, d1, p0, p1 }
    }

    /// The pixel for data value `v`.
    pub fn at(&self, v: f64) -> f64 {
        self.p0 + (v - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
    }
}

/// A tick step from 1, 2, 5 × 10^k giving at most `max_ticks` ticks over `span`.
pub fn tick_step(span: f64, max_ticks: usize) -> f64 {
    let span = span.abs().max(1e-9);
    let raw = span / max_ticks.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * mag >= raw {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Step-function points of monthly values: each month's value holds from
/// month m to m + 1 (`None` breaks nothing: it is skipped).
pub fn steps(values: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(values.len() * 2);
    for (m, v) in values {
        out.push((*m, *v));
        out.push((m + 1.0, *v));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_maps_ends() {
        let s = Scale::new(0.0, 10.0, 100.0, 0.0);
        assert_eq!(s.at(0.0), 100.0);
        assert_eq!(s.at(10.0), 0.0);
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(30.0, 7), 5.0);
        assert_eq!(tick_step(1.0, 5), 0.2);
    }

    #[test]
    fn text_is_escaped() {
        let mut svg = Svg::new(10.0, 10.0);
        svg.text(0.0, 0.0, 10.0, "start", "<a&b>");
        let out = svg.finish();
        assert!(out.starts_with("<svg"));
        assert!(out.contains("&lt;a&amp;b&gt;"));
    }
}
