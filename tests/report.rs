//! `scandyctl report`: the real binary against the real test MongoDB, a generated install
//! with known documents, logs, history points, maintenance log entries and a real backup
//! set. The numbers are asserted in Markdown, HTML and JSON; the HTML is parsed with a
//! real HTML parser and rendered by headless Chromium; German output, hostile bytes, bad
//! flags, an unreachable database and the history `watch` writes are covered too.

mod common;
mod report_support;

use std::path::PathBuf;

use chrono::{Datelike, NaiveDate};
use report_support::render::{html5lib_parse, png_colors, screenshot};
use report_support::{ReportFixture, assert_lines, html_data_rows, html_row, text};
use scandyctl::system::sample_log::HistoryPoint;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn monthly_report_shows_the_known_numbers_in_markdown_html_and_json() {
    let fx = ReportFixture::new("report_numbers").await;
    let md = fx.report(&["monthly", "--month", "2026-11"], "november.md");
    assert_lines(
        &md,
        &[
            "# Scandy maintenance report",
            "**Monthly report November 2026**",
            "## Usage statistics",
            // At a glance.
            "| Lendings started | 7 |",
            "| Lendings returned | 3 |",
            "| Tickets opened | 5 |",
            "| Tickets closed | 3 |",
            "| Errors | 5 |",
            "| Warnings | 3 |",
            "| /health up-time | 80.0 % |",
            "| Backup sets created | 0 |",
            // Totals.
            "| Consumable units used | 10 |",
            "| Consumable withdrawals | 3 |",
            "| Active tools | 3 |",
            "| Active workers | 2 |",
            "| Overdue lendings (open more than 14 days) | 1 |",
            // Per week: 1 Nov is a Sunday (week 44), 30 Nov a Monday (week 49).
            "| Week | From | To | Lendings | Returns | Tickets opened | Tickets closed |",
            "| W44 | 2026-11-01 | 2026-11-01 | 1 | 1 | 0 | 0 |",
            "| W45 | 2026-11-02 | 2026-11-08 | 2 | 1 | 2 | 0 |",
            "| W46 | 2026-11-09 | 2026-11-15 | 1 | 1 | 1 | 1 |",
            "| W47 | 2026-11-16 | 2026-11-22 | 1 | 0 | 1 | 1 |",
            "| W48 | 2026-11-23 | 2026-11-29 | 1 | 0 | 1 | 1 |",
            "| W49 | 2026-11-30 | 2026-11-30 | 1 | 0 | 0 | 0 |",
            // Top tools and consumables.
            "| 1 | W001 | Bohrmaschine Makita | 4 |",
            "| 2 | W002 | Akkuschrauber | 2 |",
            "| 1 | V001 | Schrauben 4x40 | 8 | 2 |",
            "| 2 | V002 | Holzleim | 2 | 1 |",
            // Errors.
            "| Kinds of errors and warnings | 4 |",
            "| 2026-11-01 | 1 | 0 |",
            "| 2026-11-02 | 2 | 0 |",
            "| 2026-11-03 | 0 | 2 |",
            "| 2026-11-05 | 1 | 0 |",
            "| 2026-11-20 | 1 | 0 |",
            "| 2026-11-21 | 0 | 1 |",
            // Availability.
            "| History points | 10 (0.1 % of the period covered) |",
            "| /health up-time | 80.0 % (2 of 10 points down) |",
            "| MongoDB up-time | 90.0 % (1 of 10 points down) |",
            "| /health response time (median) | 50 ms |",
            "| /health response time (95th percentile) | 100 ms |",
            "| CPU (average / peak) | 45.0 % / 90.0 % |",
            "| Memory in use (average / peak) | 50.0 % / 50.0 % |",
            "| 2026-11-10 | 10 | 2 | 1 |",
            // Backups: the only set is newer than November.
            "| Newest good backup | none: no verified full or incremental backup before the end of the period |",
            // Maintenance log.
            "| Entries | 3 |",
            "| backup | 1 |",
            "| checklist | 2 |",
            "### checklist (2)",
            "| 2026-11-02 07:00 UTC | anna | Tägliche Checkliste abgeschlossen |",
            "| 2026-11-09 07:00 UTC | anna | Wöchentliche Checkliste abgeschlossen |",
            "### Configured alert rules",
        ],
    );
    let kinds: Vec<&str> = md
        .lines()
        .filter(|l| l.starts_with("| ERROR |") || l.starts_with("| WARNING |"))
        .collect();
    assert_eq!(kinds.len(), 4, "{kinds:#?}");
    assert!(
        kinds[0].starts_with("| ERROR | 4 | 2026-11-01 00:00 | 2026-11-05 10:00 | Datenbankfehler"),
        "{kinds:#?}"
    );
    assert!(
        kinds[1]
            .starts_with("| WARNING | 2 | 2026-11-03 09:00 | 2026-11-03 09:30 | Statische Datei"),
        "{kinds:#?}"
    );
    assert!(
        kinds
            .iter()
            .any(|k| k.starts_with("| ERROR | 1 | 2026-11-20 14:00 |") && k.contains("KeyError")),
        "{kinds:#?}"
    );
    // The overdue lending: W003 lent on 5 Nov 10:00, 25 whole days before 1 Dec.
    let overdue: Vec<&str> = md.lines().filter(|l| l.starts_with("| W003 |")).collect();
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert!(
        overdue[0].ends_with("| M002 | 2026-11-05 10:00 | 25 |"),
        "{overdue:?}"
    );
    assert!(!md.contains("Oktober") && !md.contains("Alte Flex"));

    let html = fx.report(&["monthly", "--month", "2026-11"], "november.html");
    for (label, value) in [
        ("Lendings started", "7"),
        ("Lendings returned", "3"),
        ("Consumable units used", "10"),
        ("Tickets opened", "5"),
        ("Tickets closed", "3"),
        ("Active tools", "3"),
        ("Active workers", "2"),
        ("Overdue lendings (open more than 14 days)", "1"),
        ("Kinds of errors and warnings", "4"),
        ("/health up-time", "80.0 % (2 of 10 points down)"),
        ("MongoDB up-time", "90.0 % (1 of 10 points down)"),
        ("/health response time (median)", "50 ms"),
        ("Entries", "3"),
    ] {
        assert_eq!(html_row(&html, label), value, "{label}");
    }
    let rows = html_data_rows(&html);
    for row in [
        "W45|2026-11-02|2026-11-08|2|1|2|0",
        "W48|2026-11-23|2026-11-29|1|0|1|1",
        "1|W001|Bohrmaschine Makita|4",
        "1|V001|Schrauben 4x40|8|2",
        "2026-11-02|2|0",
        "2026-11-10|10|2|1",
    ] {
        assert!(rows.iter().any(|r| r == row), "no row {row:?} in {rows:#?}");
    }
    assert!(html.contains("<div class=\"label\">Errors</div><div class=\"value\">5</div>"));
    assert_eq!(
        html.matches("<svg class=\"chart\"").count(),
        3,
        "three charts"
    );

    // The same numbers for machines.
    let json_out = fx.run(&[
        "report",
        "monthly",
        "--month",
        "2026-11",
        "--out",
        fx.path("n.md").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(json_out.status.code(), Some(0), "{}", text(&json_out));
    let json: Value = serde_json::from_slice(&json_out.stdout).expect("json");
    let usage = &json["report"]["usage"]["value"];
    assert_eq!(json["report"]["usage"]["state"], "ok");
    assert_eq!(usage["lendings_started"], 7);
    assert_eq!(usage["lendings_returned"], 3);
    assert_eq!(usage["tickets_closed"], 3);
    assert_eq!(usage["overdue_count"], 1);
    assert_eq!(usage["consumable_units"], 10.0);
    assert_eq!(json["report"]["errors"]["value"]["errors"], 5);
    assert_eq!(json["report"]["availability"]["health"]["down"], 2);
    assert_eq!(json["report"]["period"]["label"], "2026-11");
    assert_eq!(json["format"], "markdown");
}

#[tokio::test(flavor = "multi_thread")]
async fn html_is_well_formed_self_contained_and_renders_in_chromium() {
    let fx = ReportFixture::new("report_html").await;
    let html = fx.report(&["monthly", "--month", "2026-11"], "report.html");
    let page = fx.path("report.html");
    let parsed = html5lib_parse(&page);
    assert!(
        parsed.status.success(),
        "html5lib (strict): {}",
        text(&parsed)
    );
    // The parser really is strict: a stray end tag fails.
    let broken = fx.path("broken.html");
    std::fs::write(&broken, html.replace("</thead>", "</thead></span>")).unwrap();
    assert!(
        !html5lib_parse(&broken).status.success(),
        "html5lib accepted a stray end tag"
    );

    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script element");
    assert!(!lower.contains("src="), "an embedded resource");
    assert!(
        !lower.contains("@import") && !lower.contains("url("),
        "a CSS resource"
    );
    assert!(!lower.contains("<link"), "a linked resource");
    let hrefs: Vec<&str> = lower.split("href=\"").skip(1).collect();
    assert!(!hrefs.is_empty(), "no table of contents");
    assert!(hrefs.iter().all(|h| h.starts_with('#')), "an external link");
    assert!(lower.contains("@media print"), "no print layout");

    let Some(chromium) = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
    else {
        assert!(
            std::env::var_os("SCANDYCTL_REQUIRE_CHROMIUM").is_none(),
            "SCANDYCTL_REQUIRE_CHROMIUM is set but chromium is not installed"
        );
        eprintln!("chromium is not installed: screenshot skipped");
        return;
    };
    let blank_page = fx.path("blank.html");
    std::fs::write(
        &blank_page,
        "<!DOCTYPE html><html><head><title>x</title></head><body></body></html>",
    )
    .unwrap();
    let shot = fx.path("report.png");
    let blank_shot = fx.path("blank.png");
    screenshot(&chromium, &page, &shot, &fx.path("profile-report"));
    screenshot(
        &chromium,
        &blank_page,
        &blank_shot,
        &fx.path("profile-blank"),
    );
    let report_png = std::fs::read(&shot).expect("screenshot written");
    let blank_png = std::fs::read(&blank_shot).expect("blank screenshot written");
    assert!(!report_png.is_empty());
    let blank_colors = png_colors(&blank_png);
    let report_colors = png_colors(&report_png);
    assert!(
        blank_colors <= 2,
        "the blank page has {blank_colors} colours"
    );
    assert!(
        report_colors >= 32,
        "the report renders as {report_colors} colours only"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn german_report_has_german_headings_and_numbers() {
    let fx = ReportFixture::new("report_german").await;
    let md = fx.report(
        &["--lang", "de", "monthly", "--month", "2026-11"],
        "bericht.md",
    );
    assert_lines(
        &md,
        &[
            "# Scandy-Wartungsbericht",
            "**Monatsbericht November 2026**",
            "## Auf einen Blick",
            "## Nutzungsstatistiken",
            "## Fehleranalyse",
            "## Verfügbarkeit",
            "## Sicherungen und Prüfungen",
            "## Wartungsprotokoll",
            "## Alarme",
            "| Ausleihen | 7 |",
            "| Rückgaben | 3 |",
            "| Tickets geschlossen | 3 |",
            "| KW 45 | 02.11.2026 | 08.11.2026 | 2 | 1 | 2 | 0 |",
            "| /health-Verfügbarkeit | 80,0 % (2 von 10 Punkten ausgefallen) |",
            "| Überfällige Ausleihen (länger als 14 Tage offen) | 1 |",
        ],
    );
    assert!(!md.contains("Usage statistics"));
    // The config's language applies without --lang.
    fx.write_config(&common::test_mongo().uri, "de");
    let html = fx.report(&["monthly", "--month", "2026-11"], "bericht.html");
    assert!(html.contains("<html lang=\"de\">"));
    assert!(html.contains("<h2>Nutzungsstatistiken</h2>"));
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_bytes_are_escaped_in_html_and_markdown() {
    let fx = ReportFixture::new("report_hostile").await;
    let md = fx.report(&["monthly", "--month", "2026-11"], "h.md");
    let html = fx.report(&["monthly", "--month", "2026-11"], "h.html");
    for (name, doc) in [("md", &md), ("html", &html)] {
        assert!(!doc.contains('\u{1b}'), "{name}: a raw ESC byte");
        assert!(!doc.contains("<script"), "{name}: a raw script tag");
        assert!(!doc.contains("<b>"), "{name}: raw markup from the log");
        assert!(
            doc.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{name}: the tool name is gone"
        );
        assert!(
            doc.contains("31mSäge"),
            "{name}: the rest of the name is gone"
        );
    }
    assert!(
        html.contains("&lt;/script&gt;\\x1b[31mSäge"),
        "HTML shows the ESC as \\x1b"
    );
    assert!(
        md.contains("&lt;/script&gt;\\\\x1b\\[31mSäge"),
        "Markdown escapes the backslash and bracket"
    );
    // The log message's kind (its numbers masked) shows the ESC and the markup as text.
    assert!(
        html.contains("&lt;b&gt;rot&lt;/b&gt;") && html.contains("Eingabe: \\x1b["),
        "the log message is escaped"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn weekly_report_lists_the_backup_taken_this_week() {
    let fx = ReportFixture::new("report_backup").await;
    let out = fx.run(&["backup", "--type", "full"]);
    assert_eq!(out.status.code(), Some(0), "backup: {}", text(&out));
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let verify = fx.run(&["verify", &id]);
    assert_eq!(verify.status.code(), Some(0), "verify: {}", text(&verify));
    let now = chrono::Utc::now().date_naive().iso_week();
    let week = format!("{}-W{:02}", now.year(), now.week());
    let md = fx.report(&["weekly", "--week", &week], "week.md");
    assert_lines(
        &md,
        &[
            "| Backup sets created | 1 |",
            "| By kind | full 1 |",
            "| Verification ok / failed / never | 1 / 0 / 0 |",
        ],
    );
    let newest = md
        .lines()
        .find(|l| l.starts_with("| Newest good backup |"))
        .expect("newest good backup");
    assert!(newest.contains(&id.replace('_', "\\_")), "{newest}");
    let rows: Vec<&str> = md
        .lines()
        .filter(|l| l.contains(&id.replace('_', "\\_")))
        .collect();
    assert!(
        rows.iter()
            .any(|r| r.contains("| full |") && r.ends_with("| no | ok |")),
        "{rows:#?}"
    );
    // A weekly report counts per day.
    assert!(md.contains("| Day | From | To | Lendings |"), "{md}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_periods_and_file_names_exit_2_and_write_nothing() {
    let fx = ReportFixture::new("report_usage").await;
    let out_md = fx.path("x.md");
    let out_md = out_md.to_str().unwrap();
    for (args, named) in [
        (
            vec!["monthly", "--month", "2026-13", "--out", out_md],
            "2026-13",
        ),
        (
            vec!["monthly", "--month", "Nov-2026", "--out", out_md],
            "Nov-2026",
        ),
        (
            vec!["weekly", "--week", "2026-W60", "--out", out_md],
            "2026-W60",
        ),
        (
            vec!["weekly", "--month", "2026-11", "--out", out_md],
            "--month",
        ),
        (
            vec!["monthly", "--month", "2026-11", "--out", "report.pdf"],
            "report.pdf",
        ),
    ] {
        let mut all = vec!["report"];
        all.extend(args.iter().copied());
        let out = fx.run(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
    assert!(!fx.path("x.md").exists() && !fx.path("report.pdf").exists());

    // Without --month: the last complete month.
    let today = chrono::Utc::now().date_naive();
    let previous = NaiveDate::from_ymd_opt(today.year(), today.month(), 1)
        .unwrap()
        .pred_opt()
        .unwrap();
    let out = fx.run(&["report", "monthly", "--out", out_md]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let label = format!("{}-{:02}", previous.year(), previous.month());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&label),
        "{}",
        text(&out)
    );
    let md = std::fs::read_to_string(fx.path("x.md")).unwrap();
    assert!(md.contains(&format!("| Period | {label} (")), "{md}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_database_still_writes_the_rest_and_exits_6() {
    const PASSWORD: &str = "Geheim-Passwort-42";
    let fx = ReportFixture::new("report_offline").await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    fx.write_config(
        &format!("mongodb://admin:{PASSWORD}@127.0.0.1:{port}/?authSource=admin"),
        "en",
    );
    let path = fx.path("offline.md");
    let out = fx.run(&[
        "report",
        "monthly",
        "--month",
        "2026-11",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: usage statistics missing"),
        "{stderr}"
    );
    let md = std::fs::read_to_string(&path).expect("the report is written anyway");
    for (what, text) in [
        ("stdout", String::from_utf8_lossy(&out.stdout)),
        ("stderr", stderr.clone()),
        ("report", md.as_str().into()),
    ] {
        assert!(
            !text.contains(PASSWORD),
            "{what} shows the password: {text}"
        );
    }
    assert!(
        md.contains("127.0.0.1"),
        "the report names the server it could not reach"
    );
    assert!(
        md.contains("> **⚠** The database could not be queried: "),
        "{md}"
    );
    assert_lines(
        &md,
        &[
            "| Lendings started | – |",
            "| Errors | 5 |",
            "| Entries | 3 |",
        ],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_once_appends_a_history_point_the_report_reads() {
    let fx = ReportFixture::new("report_watch").await;
    let url = common::healthy_stand_in();
    let mut config = std::fs::read_to_string(&fx.config).unwrap();
    config.push_str(&format!("[web]\nhealth_url = \"{url}\"\n"));
    std::fs::write(&fx.config, config).unwrap();
    // Only the points `watch` writes (the fixture's December point would fall into this week).
    let history = fx.state.join("history");
    std::fs::remove_dir_all(&history).unwrap();
    let month_file =
        |at: chrono::DateTime<chrono::Utc>| history.join(at.format("%Y-%m.jsonl").to_string());
    let before = chrono::Utc::now();
    let out = fx.run(&["watch", "--once"]);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "watch --once: {}",
        text(&out)
    );
    let after = chrono::Utc::now();
    let points: Vec<HistoryPoint> = std::fs::read_to_string(month_file(after))
        .expect("history file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("point"))
        .filter(|p: &HistoryPoint| p.at >= before)
        .collect();
    assert_eq!(points.len(), 1, "{points:?}");
    let point = &points[0];
    assert!(point.at <= after);
    assert_eq!(point.health_ok, Some(true), "{point:?}");
    assert!(point.health_ms.is_some(), "{point:?}");
    assert_eq!(point.mongo_ok, Some(true), "{point:?}");
    assert!(point.mongo_ms.is_some(), "{point:?}");
    assert!(
        (0.0..=100.0).contains(&point.memory_used_percent),
        "{point:?}"
    );
    assert!(point.disk_used_percent.is_some(), "{point:?}");

    let now = after.date_naive().iso_week();
    let week = format!("{}-W{:02}", now.year(), now.week());
    let md = fx.report(&["weekly", "--week", &week], "watch.md");
    assert_lines(&md, &["| /health up-time | 100.0 % (0 of 1 points down) |"]);
}
