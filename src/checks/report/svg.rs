//! Inline SVG charts for the HTML report: grouped bars, trend lines and an up-time strip.
//! Plain shapes and text only (no scripts, no external references); every label is escaped.

use std::fmt::Write;

use super::document::{Chart, Series};
use super::html::safe_text;

/// Width of every chart in SVG units (the page scales it).
const WIDTH: f64 = 920.0;
/// Left margin for the value axis.
const LEFT: f64 = 48.0;
/// Right margin.
const RIGHT: f64 = 12.0;
/// Space for the title and the legend.
const TOP: f64 = 44.0;
/// Space for the labels under the plot.
const BOTTOM: f64 = 34.0;
/// Height of the plot area of bar and line charts.
const PLOT_HEIGHT: f64 = 180.0;
/// Colour of grid lines and axes.
const GRID: &str = "#d5dbe1";
/// Colour of axis text.
const MUTED: &str = "#5b6773";

/// The chart as one `<svg>` element.
pub fn chart_svg(chart: &Chart) -> String {
    match chart {
        Chart::Bars {
            title,
            labels,
            series,
        } => bars(title, labels, series),
        Chart::Lines {
            title,
            labels,
            series,
        } => lines(title, labels, series),
        Chart::Uptime {
            title,
            labels,
            values,
            no_data,
        } => uptime(title, labels, values, no_data),
    }
}

/// A round upper bound for the value axis (1, 2, 5 × 10ⁿ), at least 1.
fn axis_max(series: &[Series]) -> f64 {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0_f64, f64::max);
    if max <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|step| step * magnitude)
        .find(|bound| *bound >= max)
        .unwrap_or(max)
}

/// A number for an SVG attribute (one decimal, no exponent).
fn n(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

/// A value as a label: whole numbers without decimals.
fn value_label(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{}", value as i64)
    } else {
        format!("{value:.1}")
    }
}

/// The opening tag, title and legend shared by every chart.
fn open(title: &str, height: f64, legend: &[(&str, &str)]) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">\
         <text x=\"{LEFT}\" y=\"18\" class=\"chart-title\">{}</text>",
        n(WIDTH),
        n(height),
        safe_text(title),
        safe_text(title)
    );
    let mut x = LEFT;
    for (name, color) in legend {
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"27\" width=\"10\" height=\"10\" fill=\"{color}\"/>\
             <text x=\"{}\" y=\"36\" class=\"legend\">{}</text>",
            n(x),
            n(x + 14.0),
            safe_text(name)
        );
        x += 24.0 + 7.0 * name.chars().count() as f64;
    }
    svg
}

/// How many steps the value axis up to `max` (from [`axis_max`]) has, so that small counts
/// get whole-number ticks: 1 → 1, 2 → 2, 5 → 5, 10 → 5, 20 → 4, 50 → 5 …
fn axis_steps(max: f64) -> u32 {
    let magnitude = 10f64.powf(max.log10().floor());
    let leading = (max / magnitude).round();
    match (leading as u32, max <= 5.0) {
        (1, true) => 1,
        (2, true) => 2,
        (2, false) => 4,
        _ => 5,
    }
}

/// Horizontal grid lines with their values, for a plot from `TOP` to `TOP + PLOT_HEIGHT`.
fn grid(svg: &mut String, max: f64) {
    let steps = axis_steps(max);
    for step in 0..=steps {
        let value = max * f64::from(step) / f64::from(steps);
        let y = TOP + PLOT_HEIGHT - PLOT_HEIGHT * f64::from(step) / f64::from(steps);
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{GRID}\" stroke-width=\"1\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"axis\" fill=\"{MUTED}\">{}</text>",
            n(WIDTH - RIGHT),
            n(LEFT - 6.0),
            n(y + 4.0),
            value_label((value * 10.0).round() / 10.0),
            y = n(y),
        );
    }
}

/// Labels under the plot, thinned out so at most about twelve are written.
fn x_labels(svg: &mut String, labels: &[String], center: impl Fn(usize) -> f64) {
    let every = labels.len().div_ceil(12).max(1);
    for (i, label) in labels.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"axis\" fill=\"{MUTED}\">{}</text>",
            n(center(i)),
            n(TOP + PLOT_HEIGHT + 18.0),
            safe_text(label)
        );
    }
}

/// Grouped bars: one group per label, one bar per series, the value above each bar.
fn bars(title: &str, labels: &[String], series: &[Series]) -> String {
    let legend: Vec<(&str, &str)> = series.iter().map(|s| (s.name.as_str(), s.color)).collect();
    let height = TOP + PLOT_HEIGHT + BOTTOM;
    let mut svg = open(title, height, &legend);
    let max = axis_max(series);
    grid(&mut svg, max);
    let groups = labels.len().max(1) as f64;
    let group_width = (WIDTH - LEFT - RIGHT) / groups;
    let bar_width = group_width * 0.7 / series.len().max(1) as f64;
    for (g, _) in labels.iter().enumerate() {
        for (s, line) in series.iter().enumerate() {
            let value = line.values.get(g).copied().unwrap_or(0.0);
            let bar_height = PLOT_HEIGHT * value / max;
            let x = LEFT + group_width * g as f64 + group_width * 0.15 + bar_width * s as f64;
            let y = TOP + PLOT_HEIGHT - bar_height;
            let _ = write!(
                svg,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>",
                n(x),
                n(y),
                n(bar_width.max(1.0)),
                n(bar_height),
                line.color,
                safe_text(&line.name),
                value_label(value)
            );
            if value > 0.0 {
                let _ = write!(
                    svg,
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"value\">{}</text>",
                    n(x + bar_width / 2.0),
                    n(y - 3.0),
                    value_label(value)
                );
            }
        }
    }
    x_labels(&mut svg, labels, |i| LEFT + group_width * (i as f64 + 0.5));
    svg.push_str("</svg>");
    svg
}

/// One line per series over evenly spaced labels, with a dot at each point.
fn lines(title: &str, labels: &[String], series: &[Series]) -> String {
    let legend: Vec<(&str, &str)> = series.iter().map(|s| (s.name.as_str(), s.color)).collect();
    let height = TOP + PLOT_HEIGHT + BOTTOM;
    let mut svg = open(title, height, &legend);
    let max = axis_max(series);
    grid(&mut svg, max);
    let span = (WIDTH - LEFT - RIGHT - 20.0) / (labels.len().max(2) - 1) as f64;
    let x_of = |i: usize| LEFT + 10.0 + span * i as f64;
    let y_of = |v: f64| TOP + PLOT_HEIGHT - PLOT_HEIGHT * v / max;
    for line in series {
        let points: Vec<String> = line
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("{},{}", n(x_of(i)), n(y_of(*v))))
            .collect();
        let _ = write!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
            points.join(" "),
            line.color
        );
        for (i, v) in line.values.iter().enumerate() {
            let _ = write!(
                svg,
                "<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"{}\"><title>{} {}: {}</title></circle>",
                n(x_of(i)),
                n(y_of(*v)),
                line.color,
                safe_text(labels.get(i).map_or("", String::as_str)),
                safe_text(&line.name),
                value_label(*v)
            );
        }
    }
    x_labels(&mut svg, labels, x_of);
    svg.push_str("</svg>");
    svg
}

/// The colour of a cell with `percent` up-time (grey without data).
fn uptime_color(percent: Option<f64>) -> &'static str {
    match percent {
        None => "#cfd6dd",
        Some(p) if p >= 100.0 => "#2e7d32",
        Some(p) if p >= 99.0 => "#7cb342",
        Some(p) if p >= 95.0 => "#f9a825",
        Some(_) => "#c62828",
    }
}

/// A strip of cells, one per label, coloured by up-time, with the percentage as tooltip.
fn uptime(title: &str, labels: &[String], values: &[Option<f64>], no_data: &str) -> String {
    let legend = [
        ("100 %", uptime_color(Some(100.0))),
        ("≥ 99 %", uptime_color(Some(99.0))),
        ("≥ 95 %", uptime_color(Some(95.0))),
        ("< 95 %", uptime_color(Some(0.0))),
        (no_data, uptime_color(None)),
    ];
    let cell_height = 36.0;
    let height = TOP + cell_height + BOTTOM;
    let mut svg = open(title, height, &legend);
    let cell = (WIDTH - LEFT - RIGHT) / labels.len().max(1) as f64;
    for (i, label) in labels.iter().enumerate() {
        let value = values.get(i).copied().flatten();
        let tip = value.map_or_else(|| no_data.to_string(), |v| format!("{v:.1} %"));
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"{TOP}\" width=\"{}\" height=\"{cell_height}\" fill=\"{}\" \
             stroke=\"#ffffff\" stroke-width=\"1\"><title>{}: {}</title></rect>",
            n(LEFT + cell * i as f64),
            n(cell),
            uptime_color(value),
            safe_text(label),
            safe_text(&tip)
        );
    }
    let every = labels.len().div_ceil(12).max(1);
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"axis\" fill=\"{MUTED}\">{}</text>",
            n(LEFT + cell * (i as f64 + 0.5)),
            n(TOP + cell_height + 18.0),
            safe_text(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_bounds_are_round() {
        let s = |v: &[f64]| {
            vec![Series {
                name: "x".into(),
                values: v.to_vec(),
                color: "#000000",
            }]
        };
        assert_eq!(axis_max(&s(&[0.0])), 1.0);
        assert_eq!(axis_max(&s(&[3.0])), 5.0);
        assert_eq!(axis_max(&s(&[7.0, 12.0])), 20.0);
        assert_eq!(axis_max(&s(&[100.0])), 100.0);
        let steps: Vec<u32> = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0]
            .iter()
            .map(|m| axis_steps(*m))
            .collect();
        assert_eq!(steps, [1, 2, 5, 5, 4, 5, 5, 4]);
    }

    #[test]
    fn labels_are_escaped_and_nothing_external() {
        let chart = Chart::Bars {
            title: "<b>\u{1b}".into(),
            labels: vec!["a&b".into()],
            series: vec![Series {
                name: "\"q\"".into(),
                values: vec![2.0],
                color: "#000000",
            }],
        };
        let svg = chart_svg(&chart);
        assert!(svg.contains("&lt;b&gt;\\x1b"), "{svg}");
        assert!(
            svg.contains("a&amp;b") && svg.contains("&quot;q&quot;"),
            "{svg}"
        );
        assert!(!svg.contains("http") && !svg.contains("href"), "{svg}");
    }
}
