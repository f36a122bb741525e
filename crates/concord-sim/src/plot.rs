//! The traces drawn as an SVG file.
//!
//! The SVG backend writes each label as an SVG `<text>` element that the viewer renders with
//! its own fonts, so no font is read or shipped here. Plotters lays text out with a crude
//! width estimate (0.7 em per character, no font metrics), which the margins below allow for.
//! Plotters writes a text size of `n` as `font-size` `n / 1.24`, hence the sizes below.

use std::fmt;
use std::io;
use std::ops::Range;
use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordu64;
use plotters::prelude::*;

use crate::trace::Trace;

/// Width and height of the drawing, in SVG user units (pixels).
const SIZE: (u32, u32) = (1000, 760);
/// The text family; the viewer picks its own sans-serif font.
const FAMILY: &str = "sans-serif";
/// One colour per mode, in trace order, repeated past the last (colour-blind safe, Okabe–Ito).
const COLOURS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];
/// The fill of the rounds after the heal: translucent, so the grid shows through.
const HEALED: RGBAColor = RGBAColor(0, 0, 0, 0.08);

/// Why a plot could not be drawn.
#[derive(Debug)]
pub struct PlotError(Kind);

#[derive(Debug)]
enum Kind {
    /// The drawing backend failed; its error as a message.
    Draw(String),
    /// The SVG could not be written.
    Io(io::Error),
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Draw(message) => write!(f, "cannot draw the plot: {message}"),
            Kind::Io(e) => write!(f, "cannot write the plot: {e}"),
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            Kind::Draw(_) => None,
            Kind::Io(e) => Some(e),
        }
    }
}

impl From<io::Error> for PlotError {
    fn from(e: io::Error) -> Self {
        Self(Kind::Io(e))
    }
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        Self(Kind::Draw(e.to_string()))
    }
}

/// Draws the traces into an SVG file at `path`, replacing any file there.
///
/// Two panels are stacked under the `title`: "writes not yet at every replica" (each mode's
/// writes missing per round, summed over the replicas) and "bytes shipped" (each mode's cumulative bytes, on a log axis in
/// decimal units: 1 KB = 1000 bytes). The x axis is the gossip round; the rounds from the
/// first healed point of any trace on are shaded, with a line and a "heal" mark where they
/// start. A legend in the first panel names the modes by colour. Empty traces, or no traces,
/// draw empty panels.
///
/// # Errors
///
/// [`PlotError`] if drawing fails or the file cannot be written.
pub fn plot_svg(path: &Path, title: &str, traces: &[Trace]) -> Result<(), PlotError> {
    let svg = render(title, traces)?;
    std::fs::write(path, svg)?;
    Ok(())
}

/// The SVG document of [`plot_svg`].
fn render(title: &str, traces: &[Trace]) -> Result<String, PlotError> {
    let extent = Extent::of(traces);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let body = root
            .margin(8, 8, 8, 8)
            .titled(title, (FAMILY, 30).into_font().style(FontStyle::Bold))?;
        let (top, bottom) = body.split_vertically(body.dim_in_pixel().1 / 2);
        missing_panel(&top, traces, &extent)?;
        bytes_panel(&bottom, traces, &extent)?;
        root.present()?;
    }
    Ok(svg)
}

/// The ranges every panel shares, and what the bytes panel needs.
#[derive(Debug)]
struct Extent {
    /// Rounds on the x axis (never empty).
    rounds: Range<u64>,
    /// The first round after the heal, if any trace has one.
    heal: Option<u64>,
    /// The most writes missing in any round.
    missing: u64,
    /// Bytes on the log y axis: powers of ten around every positive count (never empty).
    bytes: Range<f64>,
}

impl Extent {
    fn of(traces: &[Trace]) -> Self {
        let points = || traces.iter().flat_map(|t| t.points.iter());
        let first = points().map(|p| p.round).min().unwrap_or(0);
        let last = points().map(|p| p.round).max().unwrap_or(0);
        let heal = points().filter(|p| p.healed).map(|p| p.round).min();
        let missing = points().map(|p| p.missing).max().unwrap_or(0);
        let low = points().map(|p| p.bytes).filter(|&b| b > 0).min();
        let high = points().map(|p| p.bytes).max().unwrap_or(0);
        let bytes = match low {
            Some(low) => {
                let low = power_of_ten_below(low as f64);
                let high = power_of_ten_above(high as f64);
                low..high.max(low * 10.0)
            }
            None => 1.0..1000.0,
        };
        Self {
            // One round or none still spans a unit, even at the end of u64.
            rounds: if last > first {
                first..last
            } else if let Some(next) = first.checked_add(1) {
                first..next
            } else {
                first.saturating_sub(1)..first
            },
            heal,
            missing,
            bytes,
        }
    }
}

/// The greatest power of ten not above `x` (`x` >= 1).
fn power_of_ten_below(x: f64) -> f64 {
    10f64.powf(x.max(1.0).log10().floor())
}

/// The least power of ten not below `x`, and at least 10.
fn power_of_ten_above(x: f64) -> f64 {
    10f64.powf(x.max(10.0).log10().ceil())
}

/// Replicas missing writes per round, with the legend.
fn missing_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    traces: &[Trace],
    extent: &Extent,
) -> Result<(), PlotError> {
    // Headroom above the highest line, and room for the heal mark.
    let top = extent
        .missing
        .saturating_add(extent.missing / 8)
        .saturating_add(1);
    let mut chart = ChartBuilder::on(area)
        .caption("writes not yet at every replica", (FAMILY, 24))
        .margin(10)
        .margin_right(24)
        .x_label_area_size(44)
        .y_label_area_size(84)
        .build_cartesian_2d(extent.rounds.clone(), 0u64..top)?;
    chart
        .configure_mesh()
        .x_desc("gossip round")
        .y_desc("writes")
        .y_labels(usize::try_from(top).unwrap_or(usize::MAX).clamp(2, 10))
        .label_style((FAMILY, 17))
        .axis_desc_style((FAMILY, 18))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    if let Some(heal) = extent.heal {
        draw_heal(&mut chart, heal, extent.rounds.end, 0, top)?;
        // An empty series that only carries the legend entry of the shading.
        chart
            .draw_series(std::iter::empty::<Rectangle<(u64, u64)>>())?
            .label("after the heal")
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], HEALED.filled()));
    }
    for (trace, colour) in traces.iter().zip(COLOURS.iter().cycle()) {
        chart
            .draw_series(LineSeries::new(
                trace.points.iter().map(|p| (p.round, p.missing)),
                colour.stroke_width(2),
            ))?
            .label(trace.mode.as_str())
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(3)));
    }
    if traces.is_empty() && extent.heal.is_none() {
        // Nothing to name: no empty legend box.
        return Ok(());
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, 18))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.5))
        .margin(12)
        .draw()?;
    Ok(())
}

/// Cumulative bytes per round, on a log axis.
fn bytes_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    traces: &[Trace],
    extent: &Extent,
) -> Result<(), PlotError> {
    let floor = extent.bytes.start;
    let decades = (extent.bytes.end / floor).log10().round();
    let mut chart = ChartBuilder::on(area)
        .caption("bytes shipped", (FAMILY, 24))
        .margin(10)
        .margin_right(24)
        .x_label_area_size(44)
        .y_label_area_size(84)
        .build_cartesian_2d(extent.rounds.clone(), extent.bytes.clone().log_scale())?;
    chart
        .configure_mesh()
        .x_desc("gossip round")
        .y_desc("bytes (cumulative)")
        // One label per power of ten: with no more labels asked for than decades plus one,
        // the log axis puts no labels between them.
        .y_labels(if decades.is_finite() && decades >= 1.0 {
            decades as usize + 1
        } else {
            2
        })
        .y_label_formatter(&|b| human_bytes(*b))
        .label_style((FAMILY, 17))
        .axis_desc_style((FAMILY, 18))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    if let Some(heal) = extent.heal {
        draw_heal(&mut chart, heal, extent.rounds.end, floor, extent.bytes.end)?;
    }
    for (trace, colour) in traces.iter().zip(COLOURS.iter().cycle()) {
        chart.draw_series(LineSeries::new(
            // Nothing shipped yet sits on the axis floor: a log axis has no zero.
            trace
                .points
                .iter()
                .map(|p| (p.round, (p.bytes as f64).max(floor))),
            colour.stroke_width(2),
        ))?;
    }
    Ok(())
}

/// Shades the rounds from `heal` to `end` between `low` and `high` on the y axis, and draws
/// the line where they start with its "heal" mark.
fn draw_heal<Y>(
    chart: &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<RangedCoordu64, Y>>,
    heal: u64,
    end: u64,
    low: Y::ValueType,
    high: Y::ValueType,
) -> Result<(), PlotError>
where
    Y: Ranged,
    Y::ValueType: Clone + 'static,
{
    chart.draw_series(std::iter::once(Rectangle::new(
        [(heal, low.clone()), (end, high.clone())],
        HEALED.filled(),
    )))?;
    chart.draw_series(std::iter::once(PathElement::new(
        [(heal, low), (heal, high.clone())],
        BLACK.mix(0.6).stroke_width(1),
    )))?;
    chart.draw_series(std::iter::once(
        EmptyElement::at((heal, high)) + Text::new("heal", (5, 4), (FAMILY, 17).into_font()),
    ))?;
    Ok(())
}

/// `bytes` in B, KB, MB or GB (decimal), as short as exact allows.
fn human_bytes(bytes: f64) -> String {
    let (value, unit) = if bytes >= 1e9 {
        (bytes / 1e9, "GB")
    } else if bytes >= 1e6 {
        (bytes / 1e6, "MB")
    } else if bytes >= 1e3 {
        (bytes / 1e3, "KB")
    } else {
        (bytes, "B")
    };
    if (value - value.round()).abs() < 0.05 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::TracePoint;

    /// Made-up runs of four modes: 120 rounds, healed from round 80, partitions keeping some
    /// replicas behind before it, bytes growing at rates orders of magnitude apart.
    fn sample() -> Vec<Trace> {
        let modes: [(&str, u64, u64); 4] = [
            ("seed", 9_000, 3),
            ("full", 4_000, 4),
            ("delta", 300, 2),
            ("sync", 40, 1),
        ];
        modes
            .iter()
            .map(|&(mode, per_round, lag)| {
                let mut bytes = 0;
                let points = (0..120u64)
                    .map(|round| {
                        let healed = round >= 80;
                        let missing = if healed {
                            let behind = 80 + lag * 2;
                            behind.saturating_sub(round).min(8) * 40
                        } else {
                            (2 + (round / 10 + lag) % 4) * 40
                        };
                        bytes += per_round * (1 + round % 3);
                        TracePoint {
                            round,
                            missing,
                            bytes,
                            reads_waiting: u32::try_from(missing / 80).unwrap(),
                            healed,
                        }
                    })
                    .collect();
                Trace {
                    mode: mode.into(),
                    points,
                }
            })
            .collect()
    }

    #[test]
    fn writes_an_svg_with_title_and_modes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.svg");
        plot_svg(&path, "OrSet, 5 replicas, seed 7", &sample()).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
        assert!(svg.trim_end().ends_with("</svg>"));
        for text in [
            "OrSet, 5 replicas, seed 7",
            "writes not yet at every replica",
            "bytes shipped",
            "gossip round",
            "heal",
            "\nseed\n",
            "\nfull\n",
            "\ndelta\n",
            "\nsync\n",
            " KB\n",
            " MB\n",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
    }

    #[test]
    fn text_is_escaped() {
        let traces = [Trace {
            mode: "a<b".into(),
            points: Vec::new(),
        }];
        let svg = render("x & y", &traces).unwrap();
        assert!(svg.contains("x &amp; y"));
        assert!(svg.contains("a&lt;b"));
    }

    #[test]
    fn empty_and_zero_traces_draw() {
        let dir = tempfile::tempdir().unwrap();
        let zero = |round, healed| TracePoint {
            round,
            missing: 0,
            bytes: 0,
            reads_waiting: 0,
            healed,
        };
        let cases = [
            Vec::new(),
            vec![Trace {
                mode: "seed".into(),
                points: Vec::new(),
            }],
            vec![Trace {
                mode: "full".into(),
                points: vec![zero(0, false)],
            }],
            vec![Trace {
                mode: "delta".into(),
                points: vec![zero(0, false), zero(1, true), zero(2, true)],
            }],
            vec![Trace {
                mode: "sync".into(),
                points: vec![TracePoint {
                    bytes: u64::MAX,
                    missing: u64::MAX,
                    ..zero(u64::MAX, true)
                }],
            }],
        ];
        for (i, traces) in cases.iter().enumerate() {
            let path = dir.path().join(format!("{i}.svg"));
            plot_svg(&path, "empty", traces).unwrap();
            let svg = std::fs::read_to_string(&path).unwrap();
            assert!(svg.starts_with("<svg") && svg.contains("empty"));
        }
    }

    #[test]
    fn unwritable_path_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("trace.svg");
        let e = plot_svg(&path, "t", &sample()).unwrap_err();
        assert!(matches!(e.0, Kind::Io(_)));
        assert!(e.to_string().starts_with("cannot write the plot: "));
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn byte_labels() {
        assert_eq!(human_bytes(1.0), "1 B");
        assert_eq!(human_bytes(1000.0), "1 KB");
        assert_eq!(human_bytes(10_000.0), "10 KB");
        assert_eq!(human_bytes(2_500_000.0), "2.5 MB");
        assert_eq!(human_bytes(3e9), "3 GB");
    }

    /// Writes the sample plot to `$CONCORD_PLOT_SAMPLE` for a look at the layout:
    /// `CONCORD_PLOT_SAMPLE=/tmp/plot.svg cargo test -p concord-sim plot -- --ignored`.
    #[test]
    #[ignore = "writes a file outside the test's directory when asked to"]
    fn write_sample() {
        if let Some(path) = std::env::var_os("CONCORD_PLOT_SAMPLE") {
            plot_svg(
                Path::new(&path),
                "OrSet, 5 replicas, 120 rounds, heal at 80 (sample data)",
                &sample(),
            )
            .unwrap();
        }
    }
}
