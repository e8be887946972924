//! Numbers, dates and labels as the report writes them in English and German.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};

use super::period::{BucketUnit, ReportKind, ReportPeriod};
use super::words::{fill, month_name, weekday_name, words};
use crate::i18n::Lang;

/// A calendar day: `2026-11-16` / `16.11.2026`.
pub fn date(lang: Lang, day: NaiveDate) -> String {
    match lang {
        Lang::En => day.format("%Y-%m-%d").to_string(),
        Lang::De => day.format("%d.%m.%Y").to_string(),
    }
}

/// A naive time as written (Scandy's local times): `2026-11-16 08:00` / `16.11.2026 08:00`.
pub fn naive_time(lang: Lang, at: NaiveDateTime) -> String {
    format!("{} {}", date(lang, at.date()), at.format("%H:%M"))
}

/// A UTC instant with its zone: `2026-11-16 08:00 UTC`.
pub fn utc_time(lang: Lang, at: DateTime<Utc>) -> String {
    format!("{} UTC", naive_time(lang, at.naive_utc()))
}

/// A decimal number with `decimals` places and the language's decimal mark.
pub fn decimal(lang: Lang, value: f64, decimals: usize) -> String {
    let text = format!("{value:.decimals$}");
    match lang {
        Lang::En => text,
        Lang::De => text.replace('.', ","),
    }
}

/// A quantity: whole numbers without decimals, others with two.
pub fn quantity(lang: Lang, value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        decimal(lang, value, 2)
    }
}

/// A percentage with one decimal: `99.5 %` / `99,5 %`.
pub fn percent(lang: Lang, value: f64) -> String {
    format!("{} %", decimal(lang, value, 1))
}

/// Bytes in binary units: `1.5 MiB` / `1,5 MiB`.
pub fn bytes(lang: Lang, value: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if value < 1024 {
        return format!("{value} B");
    }
    let mut size = value as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{} {}", decimal(lang, size, 1), UNITS[unit])
}

/// The period in words: `November 2026`, `2026-W47 (2026-11-16 – 2026-11-22)`,
/// `KW 47/2026 (16.11.2026 – 22.11.2026)`.
pub fn period_name(lang: Lang, period: &ReportPeriod) -> String {
    let first = period.start.date_naive();
    match period.kind {
        ReportKind::Monthly => format!("{} {}", month_name(lang, first.month()), first.year()),
        ReportKind::Weekly => {
            let last = (period.end - chrono::Duration::days(1)).date_naive();
            let week = first.iso_week();
            let name = match lang {
                Lang::En => format!("{}-W{:02}", week.year(), week.week()),
                Lang::De => format!("KW {}/{}", week.week(), week.year()),
            };
            format!("{name} ({} – {})", date(lang, first), date(lang, last))
        }
    }
}

/// The report's heading line: `Monthly report November 2026`.
pub fn report_title(lang: Lang, period: &ReportPeriod) -> String {
    let w = words(lang);
    let template = match period.kind {
        ReportKind::Monthly => w.monthly_title,
        ReportKind::Weekly => w.weekly_title,
    };
    fill(template, &[&period_name(lang, period)])
}

/// A bucket's short label: `W47` / `KW 47`, `Mon 11-16` / `Mo 16.11.`.
pub fn bucket_label(lang: Lang, unit: BucketUnit) -> String {
    match (unit, lang) {
        (BucketUnit::Week(n), Lang::En) => format!("W{n:02}"),
        (BucketUnit::Week(n), Lang::De) => format!("KW {n}"),
        (BucketUnit::Day(d), _) => day_label(lang, d),
    }
}

/// A day's short label: `Mon 11-16` / `Mo 16.11.`.
pub fn day_label(lang: Lang, day: NaiveDate) -> String {
    let name = weekday_name(lang, day.weekday());
    match lang {
        Lang::En => format!("{name} {}", day.format("%m-%d")),
        Lang::De => format!("{name} {}", day.format("%d.%m.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_names_per_language() {
        assert_eq!(percent(Lang::En, 99.54), "99.5 %");
        assert_eq!(percent(Lang::De, 99.54), "99,5 %");
        assert_eq!(quantity(Lang::De, 12.0), "12");
        assert_eq!(quantity(Lang::De, 2.5), "2,50");
        assert_eq!(bytes(Lang::En, 512), "512 B");
        assert_eq!(bytes(Lang::En, 1536 * 1024), "1.5 MiB");
        let nov = ReportPeriod::month(2026, 11).unwrap();
        assert_eq!(report_title(Lang::En, &nov), "Monthly report November 2026");
        assert_eq!(report_title(Lang::De, &nov), "Monatsbericht November 2026");
        let week = ReportPeriod::iso_week(2026, 47).unwrap();
        assert_eq!(
            period_name(Lang::De, &week),
            "KW 47/2026 (16.11.2026 – 22.11.2026)"
        );
        assert_eq!(bucket_label(Lang::De, BucketUnit::Week(45)), "KW 45");
        let monday = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        assert_eq!(bucket_label(Lang::En, BucketUnit::Day(monday)), "Mon 11-16");
        assert_eq!(day_label(Lang::De, monday), "Mo 16.11.");
    }
}
