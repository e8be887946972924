//! `scandyctl check daily|weekly|monthly [--json] [--nagios]`: runs a checklist's automatic
//! items, records them, and exits like a Nagios plugin: 0 ok, 1 warning, 2 failed, 3 could
//! not check (also when the configuration cannot be read).

use color_eyre::eyre::Result;
use serde::Serialize;

use crate::checks::model::{Cadence, ItemDef, ItemResult, Severity};
use crate::checks::nagios::{exit_code, plugin_worst, status_line};
use crate::checks::run::{CheckContext, run_checklist};
use crate::cli::{CadenceArg, CheckArgs, GlobalArgs};
use crate::config::{LoadContext, load};
use crate::i18n::Lang;
use crate::sanitize::escape_controls;

/// One item in `--json` output.
#[derive(Serialize)]
struct JsonItem<'a> {
    title: &'a str,
    fix: &'a str,
    kind: &'static str,
    #[serde(flatten)]
    result: &'a ItemResult,
}

/// The `--json` document.
#[derive(Serialize)]
struct JsonReport<'a> {
    checklist: &'static str,
    outcome: &'static str,
    exit_code: i32,
    items: Vec<JsonItem<'a>>,
    manual_items: Vec<&'a str>,
}

/// Runs `scandyctl check`.
pub async fn run(global: &GlobalArgs, args: &CheckArgs) -> Result<i32> {
    let cadence = match args.cadence {
        CadenceArg::Daily => Cadence::Daily,
        CadenceArg::Weekly => Cadence::Weekly,
        CadenceArg::Monthly => Cadence::Monthly,
    };
    let cannot_check = |what: String| {
        let what = escape_controls(&what).into_owned();
        if args.nagios {
            println!(
                "SCANDY {} UNKNOWN - {}",
                cadence.as_str().to_ascii_uppercase(),
                what.replace('|', "/")
            );
        } else {
            eprintln!("scandyctl: {what}");
        }
        Ok(exit_code(Severity::Unknown))
    };
    let loaded = match load(&global.overrides(), &LoadContext::from_process()) {
        Ok(loaded) => loaded,
        Err(err) => return cannot_check(format!("{err:#}")),
    };
    let lang = Lang::resolve(loaded.config.ui.language, |k| std::env::var(k).ok());
    let ctx = match CheckContext::load(
        loaded.config,
        loaded.file.clone(),
        crate::state::state_dir(),
        lang,
    ) {
        Ok(ctx) => ctx,
        Err(err) => return cannot_check(format!("{err:#}")),
    };
    let ran = match run_checklist(&ctx, cadence).await {
        Ok(ran) => ran,
        Err(err) => return cannot_check(format!("{err:#}")),
    };
    let results: Vec<ItemResult> = ran.iter().map(|(_, r)| r.clone()).collect();
    let worst = plugin_worst(&results);
    let code = exit_code(worst);
    let manual: Vec<ItemDef> = crate::checks::catalog::items_of(&ctx.items(), cadence)
        .into_iter()
        .filter(|d| !d.is_automatic())
        .collect();
    if args.nagios {
        println!("{}", escape_controls(&status_line(cadence, &results)));
    } else if args.json {
        let report = JsonReport {
            checklist: cadence.as_str(),
            outcome: worst.as_str(),
            exit_code: code,
            items: ran
                .iter()
                .map(|(def, result)| JsonItem {
                    title: def.title.get(lang),
                    fix: def.fix.get(lang),
                    kind: if matches!(def.kind, crate::checks::ItemKind::Command { .. }) {
                        "command"
                    } else {
                        "automatic"
                    },
                    result,
                })
                .collect(),
            manual_items: manual.iter().map(|d| d.id.as_str()).collect(),
        };
        println!("{}", crate::sanitize::to_json_pretty(&report)?);
    } else {
        print_human(cadence, lang, &ran, &manual);
    }
    Ok(code)
}

fn print_human(cadence: Cadence, lang: Lang, ran: &[(ItemDef, ItemResult)], manual: &[ItemDef]) {
    println!("{} checklist", cadence.title(lang));
    for (def, result) in ran {
        println!(
            "[{:<7}] {} {} — {}",
            result.severity.label(lang),
            def.id,
            escape_controls(def.title.get(lang)),
            escape_controls(&result.summary)
        );
        for line in &result.evidence {
            println!("            {}", escape_controls(line));
        }
        if result.severity >= Severity::Warning && !def.fix.get(lang).is_empty() {
            println!("            fix: {}", escape_controls(def.fix.get(lang)));
        }
    }
    if !manual.is_empty() {
        println!("Manual items (confirm them on the console's Checklists tab):");
        for def in manual {
            println!(
                "            {} {}",
                def.id,
                escape_controls(def.title.get(lang))
            );
        }
    }
    let results: Vec<ItemResult> = ran.iter().map(|(_, r)| r.clone()).collect();
    println!("Outcome: {}", plugin_worst(&results).label(lang));
}
