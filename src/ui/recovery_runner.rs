//! Carries out the Recovery tab's commands on the engine in tokio tasks: every step's work
//! runs on a copy of the wizard, is saved, and comes back as a [`RecoveryEvent`]. Saves go
//! through one task, in the order they were asked for.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::action::Action;
use super::tabs::recovery::view::{
    Busy, CandidateRow, GuideView, PreparedRestore, RecoveryCommand, RecoveryEvent,
};
use crate::jobs::Shared;
use crate::jobs::detached::{job_path, mark_interrupted_if_dead, read_job};
use crate::recovery::model::IncidentKind;
use crate::recovery::steps::{self, StepContext};
use crate::recovery::wizard::{Step, Wizard, close_wizard, load_wizard, save_wizard};
use crate::recovery::{console_support, fixes, report};

/// MongoDB's own log, read by the guided fix of "MongoDB down".
const MONGOD_LOG: &str = "/var/log/mongodb/mongod.log";

/// Runs the Recovery tab's work for one console.
pub struct RecoveryRunner {
    context: Arc<StepContext>,
    state_dir: PathBuf,
    jobs_dir: PathBuf,
    tx: UnboundedSender<Action>,
    saves: UnboundedSender<FileWork>,
}

/// Work on the wizard's files, done one after the other (saves, then the closing).
type FileWork = Box<dyn FnOnce() + Send>;

fn send(tx: &UnboundedSender<Action>, event: RecoveryEvent) {
    let _ = tx.send(Action::RecoveryEvent(event));
}

impl RecoveryRunner {
    /// A runner for `context` keeping the wizard in `state_dir` and following restore jobs
    /// in `jobs_dir`; reports go to `tx`.
    pub fn new(
        context: StepContext,
        state_dir: PathBuf,
        jobs_dir: PathBuf,
        tx: UnboundedSender<Action>,
    ) -> RecoveryRunner {
        let (saves, mut queue) = unbounded_channel::<FileWork>();
        tokio::spawn(async move {
            while let Some(work) = queue.recv().await {
                let _ = tokio::task::spawn_blocking(work).await;
            }
        });
        RecoveryRunner {
            context: Arc::new(context),
            state_dir,
            jobs_dir,
            tx,
            saves,
        }
    }

    /// A function that queues a save of a wizard.
    fn saver(&self) -> impl Fn(Wizard) + Send + Sync + Clone + 'static {
        let saves = self.saves.clone();
        let dir = self.state_dir.clone();
        let tx = self.tx.clone();
        move |w: Wizard| {
            let dir = dir.clone();
            let tx = tx.clone();
            let _ = saves.send(Box::new(move || {
                if let Err(e) = save_wizard(&dir, &w) {
                    send(&tx, RecoveryEvent::SaveFailed(format!("{e:#}")));
                }
            }));
        }
    }

    /// Starts the work of `command`.
    pub fn run(&self, command: RecoveryCommand) {
        let ctx = self.context.clone();
        let tx = self.tx.clone();
        let save = self.saver();
        let done = move |what: Busy, w: Wizard| {
            save(w.clone());
            send(
                &tx,
                RecoveryEvent::Done {
                    what,
                    wizard: Box::new(w),
                },
            );
        };
        let tx = self.tx.clone();
        let failed = move |what: Busy, error: String, w: Option<Wizard>| {
            send(
                &tx,
                RecoveryEvent::Failed {
                    what,
                    error,
                    wizard: w.map(Box::new),
                },
            );
        };
        let tx = self.tx.clone();
        match command {
            RecoveryCommand::Load => {
                let dir = self.state_dir.clone();
                let settings = Box::new(ctx.settings.clone());
                tokio::task::spawn_blocking(move || {
                    let wizard = load_wizard(&dir)
                        .map(|w| w.map(Box::new))
                        .map_err(|e| format!("{e:#}"));
                    let reports = report::list_reports(&dir);
                    send(
                        &tx,
                        RecoveryEvent::Loaded {
                            wizard,
                            reports,
                            settings,
                        },
                    );
                });
            }
            RecoveryCommand::Save(w) => (self.saver())(*w),
            RecoveryCommand::Detect(w) => {
                tokio::spawn(async move {
                    let mut w = *w;
                    steps::detect(&ctx, &mut w).await;
                    done(Busy::Detecting, w);
                });
            }
            RecoveryCommand::Correct(w, kind) => {
                let mut w = *w;
                steps::correct_incident(&ctx, &mut w, kind);
                done(Busy::Correcting, w);
            }
            RecoveryCommand::Send {
                wizard,
                message,
                audience,
            } => {
                tokio::spawn(async move {
                    let result =
                        steps::send_message(&ctx, &wizard, &message, audience_resolved(audience))
                            .await
                            .map_err(|e| format!("{e:#}"));
                    send(&tx, RecoveryEvent::Sent { audience, result });
                });
            }
            RecoveryCommand::ListCandidates => {
                tokio::task::spawn_blocking(move || {
                    let list = crate::recovery::reference::candidates(&ctx.config)
                        .into_iter()
                        .map(|c| CandidateRow {
                            id: c.id,
                            source: c.source,
                            created_at: c.created_at,
                            known_bad: c.known_bad,
                        })
                        .collect();
                    send(&tx, RecoveryEvent::Candidates(list));
                });
            }
            RecoveryCommand::ChoosePoint { wizard, wanted } => {
                tokio::spawn(async move {
                    let mut w = *wizard;
                    match steps::choose_recovery_point(&ctx, &mut w, wanted).await {
                        Ok(()) => done(Busy::ChoosingPoint, w),
                        Err(e) => {
                            let error = format!("{e:#}");
                            w.log("scandyctl", format!("no recovery point: {error}"));
                            failed(Busy::ChoosingPoint, error, Some(w));
                        }
                    }
                });
            }
            RecoveryCommand::Prepare { wizard, decision } => {
                let save = self.saver();
                tokio::spawn(async move {
                    let mut w = *wizard;
                    let prepared = async {
                        let (record, _) =
                            steps::prepare_restore(&ctx, &mut w, decision, None).await?;
                        let request = record.to_request();
                        let plan = crate::backup::restore::plan_restore(
                            &ctx.config,
                            &request,
                            &ctx.identities,
                        )
                        .await?;
                        Ok::<_, color_eyre::eyre::Report>(PreparedRestore {
                            request: Shared::new(request),
                            plan: Shared::new(plan),
                        })
                    }
                    .await;
                    match prepared {
                        Ok(prepared) => {
                            save(w.clone());
                            send(
                                &tx,
                                RecoveryEvent::Prepared {
                                    wizard: Box::new(w),
                                    prepared,
                                },
                            );
                        }
                        Err(e) => failed(Busy::Preparing, format!("{e:#}"), None),
                    }
                });
            }
            RecoveryCommand::ReadJob(key) => {
                let path = job_path(&self.jobs_dir, &key);
                tokio::task::spawn_blocking(move || {
                    send(&tx, RecoveryEvent::JobRead(read_restore_job(&path)));
                });
            }
            RecoveryCommand::AfterRestore(w) => {
                tokio::spawn(async move {
                    let mut w = *w;
                    steps::restart_down_services(&ctx, &mut w).await;
                    done(Busy::Finishing, w);
                });
            }
            RecoveryCommand::Verify(w) => {
                tokio::spawn(async move {
                    let mut w = *w;
                    match steps::verify(&ctx, &mut w).await {
                        Ok(()) => done(Busy::Verifying, w),
                        Err(e) => failed(Busy::Verifying, format!("{e:#}"), None),
                    }
                });
            }
            RecoveryCommand::Recheck(w) => {
                tokio::spawn(async move {
                    let mut w = *w;
                    let diagnosis =
                        crate::recovery::detect::diagnose(&ctx.config, &ctx.settings).await;
                    let kind = w.incident.unwrap_or(IncidentKind::ServiceDown);
                    let report = console_support::recheck_report(kind, &diagnosis);
                    w.log(
                        "scandyctl",
                        format!(
                            "detection run again: {} ({})",
                            diagnosis.summary_line(),
                            if report.passed { "passed" } else { "FAILED" }
                        ),
                    );
                    w.verification = Some(report);
                    done(Busy::Verifying, w);
                });
            }
            RecoveryCommand::Guide(kind) => {
                tokio::spawn(async move {
                    let guide = match kind {
                        IncidentKind::DiskFull => {
                            let config = ctx.config.clone();
                            match tokio::task::spawn_blocking(move || fixes::disk_guide(&config))
                                .await
                            {
                                Ok(guide) => GuideView::Disk(guide),
                                Err(e) => {
                                    failed(Busy::LoadingGuide, e.to_string(), None);
                                    return;
                                }
                            }
                        }
                        IncidentKind::MongoDown => {
                            GuideView::Mongo(fixes::mongo_guide(Path::new(MONGOD_LOG)).await)
                        }
                        IncidentKind::CredentialsBroken => GuideView::Credentials,
                        _ => GuideView::Service(fixes::service_guide(&ctx.config).await),
                    };
                    send(&tx, RecoveryEvent::Guide(guide));
                });
            }
            RecoveryCommand::RestartServices(w) => {
                tokio::spawn(async move {
                    let mut w = *w;
                    let path_var = std::env::var_os("PATH").unwrap_or_default();
                    let targets = crate::system::services::service_targets(&ctx.config);
                    if targets.is_empty() {
                        w.log(&ctx.actor, "no Scandy service configured to restart");
                    }
                    for target in targets {
                        let line = match crate::system::services::restart_service(
                            &target, &path_var,
                        )
                        .await
                        {
                            Ok(()) => format!("{} restarted", target.name()),
                            Err(e) => format!("restart of {} failed: {e}", target.name()),
                        };
                        w.fix_log.push(line.clone());
                        w.log(&ctx.actor, line);
                    }
                    done(Busy::Restarting, w);
                });
            }
            RecoveryCommand::Finish(w) => {
                let dir = self.state_dir.clone();
                let _ = self.saves.send(Box::new(move || {
                    let mut w = *w;
                    let result = report::write_report(&dir, &w, &ctx.actor).and_then(|md| {
                        w.log(&ctx.actor, format!("report written: {}", md.display()));
                        w.report = Some(md.clone());
                        w.step = Step::Closed;
                        close_wizard(&dir, &w)?;
                        Ok(md)
                    });
                    match result {
                        Ok(report_path) => send(
                            &tx,
                            RecoveryEvent::Closed {
                                wizard: Box::new(w),
                                report: report_path,
                                reports: report::list_reports(&dir),
                            },
                        ),
                        Err(e) => failed(Busy::Writing, format!("{e:#}"), None),
                    }
                }));
            }
        }
    }
}

/// Whether a message to `audience` reports the incident resolved.
fn audience_resolved(audience: super::tabs::recovery::view::Audience) -> bool {
    audience == super::tabs::recovery::view::Audience::Users
}

/// The restore's job file, marked interrupted first when its worker died.
fn read_restore_job(path: &Path) -> Result<Box<crate::jobs::job_file::JobFile>, String> {
    if let Ok(Some(file)) = mark_interrupted_if_dead(path) {
        return Ok(Box::new(file));
    }
    read_job(path).map(Box::new).map_err(|e| format!("{e:#}"))
}
