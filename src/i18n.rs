//! The console's message catalog: every user-visible console text in English and German.

use crate::config::LanguageSetting;

/// A console language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// German.
    De,
}

impl Lang {
    /// Resolves the configured setting; `auto` follows `LC_ALL`, `LC_MESSAGES`, then `LANG`.
    pub fn resolve(setting: LanguageSetting, env: impl Fn(&str) -> Option<String>) -> Lang {
        match setting {
            LanguageSetting::En => Lang::En,
            LanguageSetting::De => Lang::De,
            LanguageSetting::Auto => {
                let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
                    .iter()
                    .filter_map(|var| env(var))
                    .find(|value| !value.is_empty());
                match locale {
                    Some(value) if value.to_ascii_lowercase().starts_with("de") => Lang::De,
                    _ => Lang::En,
                }
            }
        }
    }
}

macro_rules! catalog {
    ($($key:ident => $en:expr, $de:expr;)*) => {
        /// A key into the message catalog.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg { $(
            #[allow(missing_docs)]
            $key
        ),* }

        impl Msg {
            /// The text of this message in `lang`; `{}` marks are filled by [`Msg::fill`].
            pub fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $( (Msg::$key, Lang::En) => $en, (Msg::$key, Lang::De) => $de, )*
                }
            }
        }

        /// Every message key, for completeness checks.
        pub const ALL_MESSAGES: &[Msg] = &[$(Msg::$key),*];
    };
}

impl Msg {
    /// The text with each `{}` replaced by the next argument, in order.
    pub fn fill(self, lang: Lang, args: &[&str]) -> String {
        let mut out = String::new();
        let mut rest = self.text(lang);
        let mut args = args.iter();
        while let Some(pos) = rest.find("{}") {
            out.push_str(&rest[..pos]);
            out.push_str(args.next().copied().unwrap_or(""));
            rest = &rest[pos + 2..];
        }
        out.push_str(rest);
        out
    }
}

catalog! {
    // Tabs
    TabOverview => "Overview", "Übersicht";
    TabLogs => "Logs", "Protokolle";
    TabSystem => "System", "System";
    TabBackups => "Backups", "Sicherungen";
    TabDatabase => "Database", "Datenbank";
    TabChecklists => "Checklists", "Checklisten";
    TabRecovery => "Recovery", "Notfall";
    // Key help
    HelpTitle => "Keys", "Tasten";
    HelpGoToTab => "go to tab {}", "zum Reiter {}";
    HelpNextTab => "next tab", "nächster Reiter";
    HelpPrevTab => "previous tab", "vorheriger Reiter";
    HelpToggleHelp => "show or hide this help", "diese Hilfe ein-/ausblenden";
    HelpClose => "close the overlay", "Einblendung schließen";
    HelpRetry => "reconnect to MongoDB now", "MongoDB jetzt neu verbinden";
    HelpQuit => "quit", "beenden";
    HelpMouse => "click a tab to open it", "Klick auf einen Reiter öffnet ihn";
    HelpFooter => "Esc or ? closes this help", "Esc oder ? schließt diese Hilfe";
    StatusHints => "? help   1-7 tabs   r reconnect   q quit", "? Hilfe   1-7 Reiter   r neu verbinden   q beenden";
    // Overview: install
    InstallTitle => "Scandy install", "Scandy-Installation";
    InstallKind => "Kind", "Art";
    InstallRoot => "Root", "Verzeichnis";
    InstallDatabase => "Database", "Datenbank";
    InstallUri => "MongoDB URI", "MongoDB-URI";
    InstallConfigFile => "Config file", "Konfig-Datei";
    InstallNoConfigFile => "none (defaults, environment, .env)", "keine (Standardwerte, Umgebung, .env)";
    InstallNotDetected => "not detected", "nicht erkannt";
    KindNative => "native (systemd)", "nativ (systemd)";
    KindDocker => "docker compose", "Docker Compose";
    KindMulti => "multi-instance docker ({})", "Mehrinstanz-Docker ({})";
    KindConfigured => "configured", "konfiguriert";
    FromSource => "from {}", "aus {}";
    SourceFlag => "command line {}", "Befehlszeile {}";
    SourceEnvironment => "environment variable {}", "Umgebungsvariable {}";
    SourceConfigFile => "config file {}", "Konfigurationsdatei {}";
    SourceDotEnv => "{} ({})", "{} ({})";
    SourceDiscovery => "discovery ({})", "Erkennung ({})";
    SourceDefault => "built-in default", "eingebauter Standardwert";
    SourceDemo => "demo sandbox", "Demo-Sandbox";
    // Overview: MongoDB
    MongoTitle => "MongoDB", "MongoDB";
    MongoState => "State", "Zustand";
    MongoConnecting => "connecting (attempt {}) …", "verbinde (Versuch {}) …";
    MongoConnected => "connected", "verbunden";
    MongoUnreachable => "unreachable — retrying in {} s", "nicht erreichbar — neuer Versuch in {} s";
    MongoRetryingNow => "unreachable — retrying now", "nicht erreichbar — neuer Versuch läuft";
    MongoVersion => "Server version", "Server-Version";
    MongoLatency => "Ping latency", "Ping-Latenz";
    MongoSince => "Connected since", "Verbunden seit";
    MongoLastError => "Reason", "Ursache";
    MongoAttempts => "Failed attempts", "Fehlversuche";
    MongoHint => "Hint", "Hinweis";
    // Overview: backup dir
    BackupDirTitle => "Backups", "Sicherungen";
    BackupDirFree => "{} free of {} ({} % used)", "{} frei von {} ({} % belegt)";
    BackupDirMissing => "does not exist yet (filesystem of {}: {} free)", "existiert noch nicht (Dateisystem von {}: {} frei)";
    BackupDirMeasuring => "measuring …", "wird gemessen …";
    BackupDirError => "cannot measure: {}", "nicht messbar: {}";
    // Overview: upcoming capabilities
    BackupsNewest => "Newest backup", "Letzte Sicherung";
    BackupsNone => "no backup sets yet — run scandyctl backup --type full", "noch keine Sicherung — scandyctl backup --type full ausführen";
    BackupsAgo => "{} ago", "vor {}";
    BackupsVerifiedOk => "verified ok {} ago", "vor {} erfolgreich geprüft";
    BackupsVerifyFailed => "last verification FAILED", "letzte Prüfung FEHLGESCHLAGEN";
    BackupsNeverVerified => "never verified", "nie geprüft";
    BackupsCount => "Sets", "Sätze";
    BackupsScanning => "reading the inventory …", "Bestand wird gelesen …";
    BackupsScanError => "cannot read the inventory: {}", "Bestand nicht lesbar: {}";
    WarnNoBackup => "no backup exists yet", "es gibt noch keine Sicherung";
    WarnBackupTooOld => "the newest backup is older than 26 hours", "die neueste Sicherung ist älter als 26 Stunden";
    WarnVerifyFailed => "the last verification failed", "die letzte Prüfung ist fehlgeschlagen";
    WarnNeverVerified => "the newest backup was never verified", "die neueste Sicherung wurde nie geprüft";
    WarnVerifyTooOld => "the last verification is older than 7 days", "die letzte Prüfung ist älter als 7 Tage";
    WarnSecretsSkipped => "files holding secrets were skipped: set [backup] recipients to encrypt", "Dateien mit Geheimnissen wurden übersprungen: [backup] recipients zum Verschlüsseln setzen";
    WarnLowSpace => "the backup directory has less than 10 % free", "im Sicherungsverzeichnis sind weniger als 10 % frei";
    WarnPartialLeft => "an interrupted backup (.partial) is left; the next backup removes it", "eine abgebrochene Sicherung (.partial) liegt noch da; die nächste Sicherung entfernt sie";
    WarnUnreadableSet => "a backup set cannot be read", "ein Sicherungssatz ist nicht lesbar";
    WarnScandyHasBackups => "no scandyctl backup yet; Scandy keeps {} backup(s) of its own in {} (newest {})", "noch keine scandyctl-Sicherung; Scandy hat {} eigene Sicherung(en) in {} (neueste {})";
    WarnScandyEmptyDump => "{} empty scandy_native_backup_* folder(s) in {}: Scandy's mongodump failed", "{} leere(r) scandy_native_backup_*-Ordner in {}: Scandys mongodump ist fehlgeschlagen";
    WarnBackupDirMissing => "backup.dir {} does not exist yet; the first backup creates it", "backup.dir {} existiert noch nicht; die erste Sicherung legt es an";
    WarnRestoreRunning => "a restore of {} into {} is running", "eine Wiederherstellung von {} nach {} läuft";
    WarnRestoreRolledBack => "the restore of {} into {} was interrupted before it changed anything; staging data removed (acknowledge: scandyctl restore --ack {})", "die Wiederherstellung von {} nach {} wurde abgebrochen, bevor sie etwas geändert hat; Zwischendaten entfernt (bestätigen: scandyctl restore --ack {})";
    WarnRestoreRolledForward => "the restore of {} into {} was interrupted during the swap; scandyctl completed it (acknowledge: scandyctl restore --ack {})", "die Wiederherstellung von {} nach {} wurde beim Umschalten unterbrochen; scandyctl hat sie abgeschlossen (bestätigen: scandyctl restore --ack {})";
    WarnRestoreUnattended => "the restore of {} into {} completed after its terminal went away (acknowledge: scandyctl restore --ack {})", "die Wiederherstellung von {} nach {} wurde ohne Terminal abgeschlossen (bestätigen: scandyctl restore --ack {})";
    WarnRestorePending => "the restore of {} into {} was interrupted and is not finished or undone yet; the next scandyctl command retries", "die Wiederherstellung von {} nach {} wurde unterbrochen und ist noch nicht abgeschlossen oder rückgängig gemacht; der nächste scandyctl-Befehl versucht es erneut";
    WarnRestoreOtherInstall => "restore journal {} belongs to another install's backup directory or MongoDB: run scandyctl with that install's configuration (or drop it: scandyctl restore --ack {} --force)", "Wiederherstellungsjournal {} gehört zu einer anderen Installation (Sicherungsverzeichnis oder MongoDB): scandyctl mit deren Konfiguration ausführen (oder verwerfen: scandyctl restore --ack {} --force)";
    WarnRestoreJournalRefused => "restore journal {} needs attention: nothing was done automatically (acknowledge: scandyctl restore --ack {})", "Wiederherstellungsjournal {} braucht Aufmerksamkeit: nichts wurde automatisch getan (bestätigen: scandyctl restore --ack {})";
    WarnBackupDirUnmounted => "backup.dir {} is on {}, an fstab mount point that is not mounted: backups refused", "backup.dir {} liegt auf {}, einem nicht eingehängten fstab-Einhängepunkt: Sicherungen verweigert";
    // Checklists tab
    CkShortNever => "never done", "nie erledigt";
    CkShortDue => "due", "fällig";
    CkShortOverdue => "OVERDUE", "ÜBERFÄLLIG";
    CkShortDone => "done", "erledigt";
    CkReading => "reading the checklists …", "Checklisten werden gelesen …";
    CkDueNever => "never done", "noch nie erledigt";
    CkDueSince => "due since {}", "fällig seit {}";
    CkOverdueSince => "overdue since {}", "überfällig seit {}";
    CkDoneNext => "done, next due {}", "erledigt, wieder fällig {}";
    CkKindAuto => "auto", "auto";
    CkKindManual => "manual", "manuell";
    CkKindCommand => "command", "Befehl";
    CkFollowCompact => "f: compact every collection (asks first)", "f: alle Sammlungen komprimieren (fragt vorher)";
    CkFollowIndexes => "f: create Scandy's missing indexes (asks first)", "f: fehlende Scandy-Indizes anlegen (fragt vorher)";
    CkFollowLogrotate => "f: write the logrotate rule (shown first, asks first)", "f: logrotate-Regel schreiben (wird gezeigt, fragt vorher)";
    CkAfterRun => "offered once the item ran", "sobald der Punkt gelaufen ist";
    CkChecklistTitle => "{} checklist", "Checkliste {}";
    CkHints => "a run all · Enter run · c confirm · f follow-up · ←→ list · l log · v reports", "a alle · Enter prüfen · c bestätigen · f Folge · l Protokoll · v Berichte";
    CkHintsLog => "/ filter text · t kind · j k entry · l or Esc back", "/ Textfilter · t Art · j k Eintrag · l oder Esc zurück";
    CkHintsReports => "← → report · j k scroll · v or Esc back", "← → Bericht · j k blättern · v oder Esc zurück";
    CkHintsComment => "Enter confirm · Esc cancel", "Enter bestätigen · Esc abbrechen";
    CkHintsFilter => "Enter apply · Esc cancel · empty: no filter", "Enter anwenden · Esc abbrechen · leer: kein Filter";
    CkOnlyInChecklist => "back to the checklist first (l / v or Esc)", "erst zurück zur Checkliste (l / v oder Esc)";
    CkOnlyInLog => "open the maintenance log first (l)", "erst das Wartungsprotokoll öffnen (l)";
    CkNoAutomatic => "the {} has no automatic items: confirm its manual ones with c", "die {} hat keine automatischen Punkte: manuelle mit c bestätigen";
    CkBusy => "already running; wait for it to finish", "läuft bereits; bitte das Ende abwarten";
    CkRunStarted => "running {} automatic items in the background", "{} automatische Punkte laufen im Hintergrund";
    CkNotManual => "{} is checked by scandyctl: Enter runs it", "{} prüft scandyctl: Enter führt ihn aus";
    CkNoFollowUp => "{} offers no follow-up", "{} bietet keinen Folgeschritt";
    CkRunFirst => "run {} first: its follow-up is offered once it ran", "erst {} ausführen: der Folgeschritt folgt danach";
    CkListing => "listing the collections …", "Sammlungen werden gelesen …";
    CkNoLogrotateRule => "no logrotate rule is known to write", "keine logrotate-Regel zum Schreiben bekannt";
    CkJobStarted => "started as job {} (the Database tab lists it)", "als Auftrag {} gestartet (im Reiter Datenbank zu sehen)";
    CkCompactDone => "compact finished: {} collections compacted, {} failed", "Komprimieren beendet: {} Sammlungen komprimiert, {} fehlgeschlagen";
    CkCompactProgress => "compact {} of {}: {}", "Komprimieren {} von {}: {}";
    CkCompleted => "{} completed", "{} abgeschlossen";
    CkNoCollections => "no collection to compact", "keine Sammlung zu komprimieren";
    CkFileWritten => "{} written (noted in the maintenance log)", "{} geschrieben (im Wartungsprotokoll vermerkt)";
    CkCompactTitle => "Compact {} collections of {}", "{} Sammlungen von {} komprimieren";
    CkCompactOneByOne => "One collection after the other, each as its own job.", "Eine Sammlung nach der anderen, jede als eigener Auftrag.";
    CkIndexesTitle => "Create Scandy's missing indexes", "Fehlende Scandy-Indizes anlegen";
    CkLogrotateTitle => "Write {}", "{} schreiben";
    CkLogrotateText => "This rule for Scandy's log files is written to {}:", "Diese Regel für Scandys Protokolldateien wird nach {} geschrieben:";
    CkLogrotateWarning => "An existing file of that name is never replaced (then nothing is written); logrotate uses the rule on its next run (check it: logrotate -d).", "Eine vorhandene Datei dieses Namens wird nie ersetzt (dann wird nichts geschrieben); logrotate nutzt die Regel beim nächsten Lauf (prüfen: logrotate -d).";
    CkCommentPrompt => "Comment on {} (optional): ", "Kommentar zu {} (optional): ";
    CkFilterPrompt => "Filter (text): ", "Filter (Text): ";
    CkStateError => "cannot read the checklists' state: {}", "Stand der Checklisten nicht lesbar: {}";
    CkProgress => "{} of {} done", "{} von {} erledigt";
    CkRunningCount => "{} running", "{} laufen";
    CkColId => "Id", "Id";
    CkColKind => "Kind", "Art";
    CkColItem => "Item", "Punkt";
    CkColResult => "Result", "Ergebnis";
    CkColWhen => "When (UTC)", "Wann (UTC)";
    CkColBy => "By", "Von";
    CkRunningItem => "running …", "läuft …";
    CkQueued => "queued", "wartet";
    CkNotDone => "not done", "offen";
    CkNoItems => "no items in this checklist", "keine Punkte in dieser Checkliste";
    CkMore => "… and {} more", "… und {} weitere";
    CkDetailResult => "Result", "Ergebnis";
    CkDetailNotRun => "not done in this round", "in dieser Runde noch offen";
    CkDetailConfirmed => "Confirmed", "Bestätigt";
    CkDetailChecked => "Checked", "Geprüft";
    CkDetailComment => "Comment", "Kommentar";
    CkDetailCommand => "Command", "Befehl";
    CkDetailEvidence => "Evidence", "Befund";
    CkManualHint => "A manual item: do it, then confirm it with c (a comment is optional).", "Ein manueller Punkt: erledigen, dann mit c bestätigen (Kommentar optional).";
    CkDetailFix => "Fix", "Abhilfe";
    CkDetailFollowUp => "Follow-up", "Folgeschritt";
    CkLogTitle => "Maintenance log", "Wartungsprotokoll";
    CkLogCount => "{} of {} entries", "{} von {} Einträgen";
    CkLogAllKinds => "all kinds", "alle Arten";
    CkLogKind => "kind: {}", "Art: {}";
    CkLogText => "text: {}", "Text: {}";
    CkLogColKind => "Kind", "Art";
    CkLogColWho => "Who", "Wer";
    CkLogColEntry => "Entry", "Eintrag";
    CkLogNone => "the maintenance log is empty", "das Wartungsprotokoll ist leer";
    CkLogNoMatch => "no entry matches the filter", "kein Eintrag passt zum Filter";
    CkReportsTitle => "Reports", "Berichte";
    CkReportsNone => "No report yet in {}. The monthly checklist writes one there; scandyctl report monthly --out FILE.md writes one anywhere.", "Noch kein Bericht in {}. Die monatliche Checkliste schreibt einen dorthin; scandyctl report monthly --out DATEI.md schreibt einen beliebig.";
    CkReportColName => "Report", "Bericht";
    CkReportColWritten => "Written", "Geschrieben";
    CkReportReading => "reading {} …", "{} wird gelesen …";
    CkSettingsError => "Checklists", "Checklisten";
    // Overview: checklists
    CkOverviewTitle => "Checklists · key 6", "Checklisten · Taste 6";
    CkOverviewOverdue => "{} checklist OVERDUE since {} — 6 to walk it", "Checkliste {} ÜBERFÄLLIG seit {} — 6 zum Durchgehen";
    CkOverviewDue => "{} checklist due since {} — 6 to walk it", "Checkliste {} fällig seit {} — 6 zum Durchgehen";
    CkOverviewNever => "{} checklist never done — 6 to walk it", "Checkliste {} noch nie erledigt — 6 zum Durchgehen";
    CkOverviewAllDone => "all checklists done; next due: {}", "alle Checklisten erledigt; als Nächstes fällig: {}";
    // Checklists tab: keys
    HelpCkSwitch => "previous / next checklist (reports: report)", "vorige / nächste Checkliste (Berichte: Bericht)";
    HelpCkShow => "daily / weekly / monthly checklist", "tägliche / wöchentliche / monatliche Checkliste";
    HelpCkScrollDetail => "scroll the item's detail", "Details des Punkts blättern";
    HelpCkRunAll => "run all automatic items in the background", "alle automatischen Punkte im Hintergrund ausführen";
    HelpCkRun => "run the selected item again (manual: confirm)", "ausgewählten Punkt erneut ausführen (manuell: bestätigen)";
    HelpCkConfirm => "confirm the selected manual item, with a comment", "ausgewählten manuellen Punkt bestätigen, mit Kommentar";
    HelpCkFollowUp => "the selected item's follow-up (asks first)", "Folgeschritt des ausgewählten Punkts (fragt vorher)";
    HelpCkLog => "maintenance log (again: back)", "Wartungsprotokoll (nochmals: zurück)";
    HelpCkReports => "reports (again: back)", "Berichte (nochmals: zurück)";
    HelpCkFilter => "log: filter by text", "Protokoll: nach Text filtern";
    HelpCkKind => "log: filter by kind (all → each kind)", "Protokoll: nach Art filtern (alle → jede Art)";
    // Backups tab
    HelpTabKeys => "On the {} tab", "Im Reiter {}";
    HelpRowDown => "next row", "nächste Zeile";
    HelpRowUp => "previous row", "vorherige Zeile";
    HelpPageDown => "page down", "Seite weiter";
    HelpPageUp => "page up", "Seite zurück";
    HelpFirstRow => "first row", "erste Zeile";
    HelpLastRow => "last row", "letzte Zeile";
    HelpBackupsFilter => "filter by type: all → full → pre-restore", "nach Typ filtern: alle → full → pre-restore";
    HelpSortColumn => "sort by the next column", "nach der nächsten Spalte sortieren";
    HelpSortFlip => "reverse the sort", "Sortierung umkehren";
    BkDirectory => "Directory", "Verzeichnis";
    BkLastBackup => "Last backup", "Letzte Sicherung";
    BkNextRun => "Next run", "Nächster Lauf";
    BkNotScheduled => "not scheduled", "nicht geplant";
    BkLastScheduled => "last scheduled", "zuletzt geplant";
    SchedNeverRan => "never ran", "noch nie gelaufen";
    SchedOk => "ok", "ok";
    SchedFailed => "FAILED", "FEHLGESCHLAGEN";
    SchedDeferred => "deferred (directory busy)", "verschoben (Verzeichnis belegt)";
    SchedRunning => "running", "läuft";
    SchedConfigError => "[schedule]: {}", "[schedule]: {}";
    OvSchedule => "Schedule", "Zeitplan";
    OvLegacy => "Legacy backups", "Alt-Sicherungen";
    OvLegacyFailed => "{} FAILED (empty dump)", "{} FEHLGESCHLAGEN (leerer Dump)";
    OvLegacyNewest => "newest", "neueste";
    WarnScheduleFailed => "the last scheduled backup failed: {}", "die letzte geplante Sicherung ist fehlgeschlagen: {}";
    WarnScheduleMissed => "scheduled backup not run: {}", "geplante Sicherung nicht gelaufen: {}";
    BkWarnings => "Warnings", "Warnungen";
    BkNoWarnings => "none", "keine";
    BkColId => "ID", "ID";
    BkColType => "Type", "Typ";
    BkColTime => "Time (UTC)", "Zeit (UTC)";
    BkColAge => "Age", "Alter";
    BkColSize => "Size", "Größe";
    BkColParent => "Parent", "Basis";
    BkColEncryption => "Enc.", "Verschl.";
    BkColVerification => "Verified", "Geprüft";
    BkColSkipped => "Skipped", "Ausgel.";
    BkVerifyNever => "never", "nie";
    BkVerifyOk => "✓ {}", "✓ {}";
    BkVerifyFailed => "✗ FAILED", "✗ FEHLER";
    BkEncryptedShort => "age", "age";
    BkTableTitle => "Backup sets: {} of {} · filter: {} · sort: {}", "Sicherungssätze: {} von {} · Filter: {} · Sortierung: {}";
    BkTableHints => "b backup · v/V verify · R restore · x export · p prune · ? keys", "b sichern · v/V prüfen · R zurück · x export · p aufräumen · ? Tasten";
    BkFilterAll => "all", "alle";
    BkNewestGood => "★ newest good set", "★ neuester guter Satz";
    BkNoMatch => "no set of this type — press f to change the filter", "kein Satz dieses Typs — f wechselt den Filter";
    BkEmpty => "no backup sets in {} — run scandyctl backup --type full", "keine Sicherungssätze in {} — scandyctl backup --type full ausführen";
    BkPartials => "Interrupted backups (.partial) left over — the next backup removes them:", "Übrig gebliebene abgebrochene Sicherungen (.partial) — die nächste Sicherung entfernt sie:";
    BkLegacyTitle => "Legacy backups: {} (Scandy's own, mongodump output; never written into or pruned — scandyctl verify/restore/import --legacy ID)", "Alt-Sicherungen: {} (Scandys eigene, mongodump-Ausgaben; nie beschrieben oder gelöscht — scandyctl verify/restore/import --legacy ID)";
    BkLegacyNever => "never verified", "nie geprüft";
    BkLegacyFailedDump => "FAILED: empty, Scandy's mongodump failed", "FEHLGESCHLAGEN: leer, Scandys mongodump schlug fehl";
    BkLegacyUnknown => "unknown, left untouched: {} ({})", "unbekannt, unberührt gelassen: {} ({})";
    BkUnreadable => "Directories that look like sets but cannot be read:", "Verzeichnisse, die wie Sätze aussehen, aber nicht lesbar sind:";
    BkDetailTitle => "Set {}", "Satz {}";
    BkCreated => "Taken", "Erstellt";
    BkCreatedValue => "{} – {} UTC on {} (scandyctl {})", "{} – {} UTC auf {} (scandyctl {})";
    BkServer => "Server", "Server";
    BkDatabase => "Database", "Datenbank";
    BkCollections => "Collections", "Sammlungen";
    BkCollectionsValue => "{} with {} documents, {}", "{} mit {} Dokumenten, {}";
    BkMoreCollections => "… {} more", "… {} weitere";
    BkDocuments => "{} docs", "{} Dok.";
    BkFiles => "Files", "Dateien";
    BkFilesValue => "{} files, {}", "{} Dateien, {}";
    BkSkippedItems => "Skipped", "Ausgelassen";
    BkMembers => "Members", "Bestandteile";
    BkMemberEncrypted => "age-encrypted", "age-verschlüsselt";
    BkMemberPlain => "not encrypted", "unverschlüsselt";
    BkRecipients => "Recipients", "Empfänger";
    BkNoRecipients => "none (not encrypted)", "keine (unverschlüsselt)";
    BkVerification => "Verification", "Prüfung";
    BkVerifyNeverLong => "never verified — run scandyctl verify {}", "nie geprüft — scandyctl verify {} ausführen";
    BkVerifyOkLong => "ok · {} check", "ok · {} Prüfung";
    BkVerifyFailedLong => "FAILED · {} check", "FEHLGESCHLAGEN · {} Prüfung";
    BkVerifyWhen => "{} ago · {} UTC", "vor {} · {} UTC";
    BkLevelQuick => "quick", "schnelle";
    BkLevelDeep => "deep", "gründliche";
    BkChecked => "Checked", "Geprüft";
    BkFindings => "Findings", "Befunde";
    BkChain => "Chain", "Kette";
    BkNoParent => "self-contained (no parent)", "eigenständig (keine Basis)";
    BkParentMissing => "{} (not in this directory!)", "{} (nicht in diesem Verzeichnis!)";
    BkNoManifest => "manifest not available", "Manifest nicht verfügbar";
    // Backup actions and jobs
    HelpNewBackup => "take a new backup (full, incremental or auto)", "neue Sicherung erstellen (voll, inkrementell oder automatisch)";
    HelpVerifyQuick => "verify the selected set (quick: checksums)", "gewählten Satz prüfen (schnell: Prüfsummen)";
    HelpVerifyDeep => "verify the selected set (deep: read every document)", "gewählten Satz prüfen (gründlich: jedes Dokument lesen)";
    HelpRestore => "restore the selected set …", "gewählten Satz wiederherstellen …";
    HelpExport => "export the selected set to a file …", "gewählten Satz in eine Datei exportieren …";
    HelpPrune => "prune by the retention rules (preview first)", "nach Aufbewahrungsregeln aufräumen (erst Vorschau)";
    HelpCancelJob => "cancel the running job", "laufenden Auftrag abbrechen";
    HelpDismissJobs => "dismiss the finished jobs (and their job files)", "erledigte Aufträge entfernen (samt Auftragsdateien)";
    JobsHintsBackups => "c cancel · d dismiss finished", "c abbrechen · d Erledigte entfernen";
    JobInConsole => "runs inside this console (no background worker: {}); quitting cancels it", "läuft in dieser Konsole (kein Hintergrundprozess: {}); Beenden bricht ihn ab";
    JobInterrupted => "interrupted — its worker process ended without an outcome", "unterbrochen — sein Hintergrundprozess endete ohne Ergebnis";
    JobLog => "log: {}", "Protokoll: {}";
    JobsRunOn => "{} job(s) keep running in the background; start scandyctl again to follow them.", "{} Auftrag/Aufträge laufen im Hintergrund weiter; scandyctl erneut starten, um sie zu verfolgen.";
    JobsTitle => "Jobs: {} running of {}", "Aufträge: {} laufend von {}";
    JobsHints => "c cancel", "c abbrechen";
    JobBackup => "backup (full)", "Sicherung (voll)";
    BkIncrement => "Increment", "Inkrement";
    RsPointInTime => "at (empty: the set itself)", "Zeitpunkt (leer: der Satz selbst)";
    RsBadTime => "the point in time is not a time: write 2026-12-01 14:05 or 2026-12-01 14:05:30", "der Zeitpunkt ist keine Zeit: 2026-12-01 14:05 oder 2026-12-01 14:05:30 schreiben";
    BkIncrementValue => "depth {} from {} ({}); {} of {} documents and {} of {} files stored", "Tiefe {} ab {} ({}); {} von {} Dokumenten und {} von {} Dateien gespeichert";
    BkFullReason => "Full because", "Voll, weil";
    BkSynthetic => "Synthetic of", "Synthetisch aus";
    BkOplogSlice => "Oplog", "Oplog";
    BkRestorable => "Sizes", "Größen";
    BkRestorableValue => "{} stored, {} to restore from {} sets", "{} gespeichert, {} zum Wiederherstellen aus {} Sätzen";
    BkPointInTime => "Point in time", "Zeitpunkt";
    JobBackupIncremental => "backup (incremental)", "Sicherung (inkrementell)";
    JobBackupAuto => "backup (auto)", "Sicherung (automatisch)";
    BackupTypeTitle => "New backup", "Neue Sicherung";
    BackupTypeFull => "f  full: database and files, complete", "f  voll: Datenbank und Dateien, vollständig";
    BackupTypeIncremental => "i  incremental: only what changed since the newest set", "i  inkrementell: nur was sich seit dem neuesten Satz geändert hat";
    BackupTypeAuto => "a  auto: incremental, a full once the chain is too long or too old", "a  automatisch: inkrementell, voll sobald die Kette zu lang oder zu alt ist";
    BackupTypeHints => "↑↓ choose · Enter start · Esc cancel", "↑↓ wählen · Enter starten · Esc abbrechen";
    JobVerify => "verify ({}) {}", "Prüfung ({}) {}";
    JobRestore => "restore {} → {}", "Wiederherstellung {} → {}";
    JobExport => "export {} → {}", "Export {} → {}";
    JobPrune => "prune {} set(s)", "Aufräumen {} Satz/Sätze";
    JobFailed => "failed; nothing half-done was kept", "fehlgeschlagen; nichts Halbfertiges behalten";
    JobDbFailed => "failed", "fehlgeschlagen";
    JobCancelling => "cancelling …", "wird abgebrochen …";
    JobStarting => "starting …", "startet …";
    JobCancelled => "cancelled — nothing half-done was kept", "abgebrochen — nichts Halbfertiges behalten";
    JobNotCancellable => "cannot cancel now: the restore is writing; stopping would leave a half-restored state", "Abbruch jetzt nicht möglich: die Wiederherstellung schreibt; ein Abbruch hinterließe einen halben Stand";
    JobEta => "ETA {}", "noch {}";
    JobBackupDone => "set {} written", "Satz {} geschrieben";
    JobVerifyOk => "ok", "ok";
    JobVerifyFailed => "FAILED, {} finding(s): {}: {}", "FEHLGESCHLAGEN, {} Befund(e): {}: {}";
    JobRestoreDone => "{} collection(s), {} document(s) restored; {} file(s) written, {} overwritten", "{} Sammlung(en), {} Dokument(e) wiederhergestellt; {} Datei(en) geschrieben, {} überschrieben";
    JobSafetyBackup => " · safety backup {} (restore it to undo)", " · Sicherheitssicherung {} (zum Rückgängigmachen wiederherstellen)";
    JobExportDone => "{} written ({})", "{} geschrieben ({})";
    JobPruneDone => "{} set(s) removed, {} freed", "{} Satz/Sätze entfernt, {} frei";
    StageMaintenance => "maintenance", "Wartung";
    UnitCollections => "collections", "Sammlungen";
    DbAllCollections => "all collections", "alle Sammlungen";
    DbFull => "full", "vollständig";
    JobValidate => "validate {}", "validate {}";
    JobCompact => "compact {}", "compact {}";
    JobReindex => "reIndex {}", "reIndex {}";
    JobCreateIndexes => "create missing indexes", "fehlende Indizes anlegen";
    JobKillOp => "killOp {}", "killOp {}";
    JobHealthFix => "fix {}", "Korrektur {}";
    JobValidateOk => "valid: {} collection(s), {} records", "gültig: {} Sammlung(en), {} Datensätze";
    JobValidateInvalid => "{} collection(s) INVALID, e.g. {}: {}", "{} Sammlung(en) UNGÜLTIG, z. B. {}: {}";
    JobValidateWarnings => " · {} warning(s)", " · {} Warnung(en)";
    JobCompactDone => "compacted, {} freed", "komprimiert, {} frei";
    JobDone => "done", "erledigt";
    JobReindexDone => "{} index(es) rebuilt", "{} Index/Indizes neu aufgebaut";
    JobNoIndexesMissing => "no expected index was missing", "kein erwarteter Index fehlte";
    JobIndexesCreated => "{} index(es) created: {}", "{} Index/Indizes angelegt: {}";
    JobKillSent => "killOp sent", "killOp gesendet";
    JobFixDone => "{} document(s) changed", "{} Dokument(e) geändert";
    DbStatements => "Runs:", "Führt aus:";
    AlertsTitle => "Alerts", "Alarme";
    AlertsNone => "no active alert", "kein aktiver Alarm";
    AlertsSince => "since {}", "seit {}";
    AlertsBadge => "⚠ {} alert(s)", "⚠ {} Alarm(e)";
    AlertsRulesError => "alert rules", "Alarmregeln";
    SysSampling => "sampling the system …", "erfasse das System …";
    SysCpu => "CPU", "CPU";
    SysCores => "{} cores", "{} Kerne";
    SysLoad => "load", "Last";
    SysUptime => "up {}", "läuft seit {}";
    SysChartSpan => "chart: last 10 min", "Verlauf: letzte 10 min";
    SysMemory => "Memory", "Speicher";
    SysOf => "{} of {}", "{} von {}";
    SysSwap => "swap", "Swap";
    SysDisk => "disk", "Platte";
    SysNetwork => "net", "Netz";
    SysFilesystems => "Filesystems", "Dateisysteme";
    SysFree => "{} free of {}", "{} frei von {}";
    SysRoleBackups => "backups", "Sicherungen";
    SysRoleMongo => "MongoDB data", "MongoDB-Daten";
    SysRoleScandy => "Scandy", "Scandy";
    SysServices => "Services", "Dienste";
    SysServiceHints => "j/k select · R restart", "j/k wählen · R neu starten";
    SysNoServices => "no services configured ([system] units / containers)", "keine Dienste konfiguriert ([system] units / containers)";
    SysSince => "since {}", "seit {}";
    SysRestarts => "{} restart(s)", "{} Neustart(s)";
    SysProbing => "probing …", "prüfe …";
    SysProcesses => "Top processes (m: by CPU / memory)", "Top-Prozesse (m: nach CPU / Speicher)";
    SysColName => "Name", "Name";
    SysColMemory => "Memory", "Speicher";
    SysColRole => "Role", "Rolle";
    SysColCommand => "Command", "Befehl";
    SysNoProcesses => "no processes", "keine Prozesse";
    SysRestartTitle => "Restart {}?", "{} neu starten?";
    SysRestartText => "Stops and starts the service; Scandy is unavailable for a few seconds.", "Stoppt und startet den Dienst; Scandy ist einige Sekunden nicht erreichbar.";
    SysRestartWarning => "Users lose requests in flight; running backups and restores are not affected unless MongoDB is restarted.", "Laufende Anfragen gehen verloren; laufende Sicherungen und Wiederherstellungen sind nur betroffen, wenn MongoDB neu startet.";
    JobRestartService => "restart {}", "Neustart {}";
    JobRestarted => "restarted", "neu gestartet";
    HelpSysService => "select a service", "Dienst wählen";
    HelpSysRestart => "restart the selected service (asks first)", "ausgewählten Dienst neu starten (fragt vorher)";
    HelpSysSort => "sort processes by CPU / memory", "Prozesse nach CPU / Speicher sortieren";
    LogsReading => "reading the logs …", "lese die Protokolle …";
    LogsNoSources => "No log files found. Scandy writes app/logs/app.log and logs/*.log under its root; set [logs] files in the configuration for other places.", "Keine Protokolldateien gefunden. Scandy schreibt app/logs/app.log und logs/*.log unter seinem Verzeichnis; andere Orte über [logs] files in der Konfiguration angeben.";
    LogsCounts => "{} source(s) · {} of {} entries", "{} Quelle(n) · {} von {} Einträgen";
    LogsFilterLevel => "level ≥ {}", "Stufe ≥ {}";
    LogsOnlyMatches => "only matches", "nur Treffer";
    LogsFollowing => "▶ following", "▶ folgt";
    LogsPaused => "⏸ paused — End resumes", "⏸ angehalten — Ende setzt fort";
    LogsRate => "errors/min until {} ", "Fehler/min bis {} ";
    LogsRateTotal => "{} in the hour, at most {}/min", "{} in der Stunde, höchstens {}/min";
    LogsMoreLines => "[+{} lines, Enter]", "[+{} Zeilen, Enter]";
    LogsSummaryTitle => "Most frequent errors", "Häufigste Fehler";
    LogsNoErrors => "no errors in the loaded entries", "keine Fehler in den geladenen Einträgen";
    LogsPromptSearch => "/", "/";
    LogsPromptTime => "jump to (21:35, 2025-07-31 21:35, 2h):", "springe zu (21:35, 2025-07-31 21:35, 2h):";
    LogsPromptSave => "save to:", "speichern unter:";
    LogsHints => "/ search · n/N match · f only matches · l level · s source · e/E error · t time · Enter expand · m mark · w save · S summary · End follow", "/ suchen · n/N Treffer · f nur Treffer · l Stufe · s Quelle · e/E Fehler · t Zeit · Enter aufklappen · m markieren · w speichern · S Übersicht · Ende folgen";
    LogsEmpty => "no entries yet", "noch keine Einträge";
    LogsNoMatch => "no entry matches the filter", "kein Eintrag passt zum Filter";
    LogsLoadingOlder => "reading older entries …", "lese ältere Einträge …";
    LogsOlderHint => "↑ at the top reads older entries (also from app.log.1, .2, …)", "↑ am Anfang liest ältere Einträge (auch aus app.log.1, .2, …)";
    LogsNoSearch => "no search yet: / starts one", "noch keine Suche: / beginnt eine";
    LogsNoFurtherMatch => "no further match", "kein weiterer Treffer";
    LogsNoFurtherError => "no further error", "kein weiterer Fehler";
    LogsBadPattern => "not a valid pattern", "kein gültiges Muster";
    LogsNothingAfter => "no entry at or after {}", "kein Eintrag ab {}";
    LogsSaved => "{} entries saved to {}", "{} Einträge gespeichert in {}";
    LogsSaveFailed => "could not save: {}", "konnte nicht speichern: {}";
    HelpLogsSearch => "search (regular expression, as you type)", "suchen (regulärer Ausdruck, beim Tippen)";
    HelpLogsNextMatch => "next match", "nächster Treffer";
    HelpLogsPrevMatch => "previous match", "voriger Treffer";
    HelpLogsOnlyMatches => "show only matching entries / all", "nur Treffer zeigen / alle";
    HelpLogsLevel => "level filter: all → warning → error", "Stufenfilter: alle → Warnung → Fehler";
    HelpLogsSource => "source filter: all → each source", "Quellenfilter: alle → jede Quelle";
    HelpLogsNextError => "next error", "nächster Fehler";
    HelpLogsPrevError => "previous error", "voriger Fehler";
    HelpLogsTime => "jump to a time", "zu einer Zeit springen";
    HelpLogsExpand => "expand / collapse a traceback", "Traceback auf-/zuklappen";
    HelpLogsMark => "mark / unmark the entry for saving", "Eintrag zum Speichern markieren";
    HelpLogsSave => "save the marked entries (or the filter result) to a file", "markierte Einträge (oder das Filterergebnis) speichern";
    HelpLogsSummary => "most frequent errors", "häufigste Fehler";
    HelpLogsOlder => "read older entries", "ältere Einträge lesen";
    HelpLogsFollow => "newest entry, follow new ones", "neuester Eintrag, neuen folgen";
    DbSampling => "reading the database statistics …", "lese die Datenbankstatistik …";
    DbUnavailable => "The database cannot be read right now:", "Die Datenbank kann gerade nicht gelesen werden:";
    DbNotSupported => "not supported by this server", "von diesem Server nicht unterstützt";
    DbNotPermitted => "not permitted for this user", "für diesen Benutzer nicht erlaubt";
    DbServer => "Server", "Server";
    DbDatabase => "Database", "Datenbank";
    DbIndexCheck => "Indexes", "Indizes";
    DbUptime => "up {}", "läuft seit {}";
    DbStandalone => "standalone", "Einzelserver";
    DbRouter => "mongos router", "mongos-Router";
    DbReplicaSet => "replica set {} ({})", "Replikat-Set {} ({})";
    DbConnections => "connections {} / {}", "Verbindungen {} / {}";
    DbOpsPerSec => "{} ops/s", "{} Op./s";
    DbMemory => "memory {} resident", "Speicher {} belegt";
    DbMemoryVirtual => "memory {} resident, {} virtual", "Speicher {} belegt, {} virtuell";
    DbTotals => "{} collections · {} documents · data {} · storage {} · {} indexes, {}", "{} Sammlungen · {} Dokumente · Daten {} · Speicher {} · {} Indizes, {}";
    DbIndexesOk => "every index Scandy expects is there", "alle von Scandy erwarteten Indizes vorhanden";
    DbIndexesMissing => "{} expected missing (m creates them)", "{} erwartete fehlen (m legt sie an)";
    DbIndexLegacy => "legacy unique barcode_1", "veralteter eindeutiger barcode_1";
    DbIndexesDiffer => "{} with other options", "{} mit anderen Optionen";
    DbIndexesUnused => "{} unused", "{} ungenutzt";
    DbIndexesScandyDefect => "Scandy defect: its index setup failed", "Scandy-Fehler: Indexanlage gescheitert";
    DbIndexesPending => "{} wait for their collection", "{} warten auf ihre Sammlung";
    DbSampledAt => "as of {}", "Stand {}";
    DbPaneCollections => "Collections ({})", "Sammlungen ({})";
    DbPaneOperations => "Operations ({})", "Operationen ({})";
    DbPaneHealth => "Health: {} problem(s)", "Datenbestand: {} Problem(e)";
    DbPaneHealthNotRun => "Health: not checked", "Datenbestand: nicht geprüft";
    DbPaneHealthRunning => "Health: checking …", "Datenbestand: prüfe …";
    DbPaneHealthFailed => "Health: failed", "Datenbestand: fehlgeschlagen";
    DbHintsCollections => "←/→ view · s sort · v validate · C compact · m create indexes", "←/→ Ansicht · s Sortierung · v prüfen · C compact · m Indizes anlegen";
    DbHintsOperations => "←/→ view · j/k select · K kill · ? help", "←/→ Ansicht · j/k wählen · K abbrechen · ? Hilfe";
    DbHintsHealth => "←/→ view · H check · j/k select · F fix · ? help", "←/→ Ansicht · H prüfen · j/k wählen · F korrigieren · ? Hilfe";
    DbCollectionsTitle => "Collections of {}", "Sammlungen von {}";
    DbNoCollections => "no collections", "keine Sammlungen";
    DbColName => "Name", "Name";
    DbColDocuments => "Documents", "Dokumente";
    DbColSize => "Size", "Größe";
    DbColStorage => "Storage", "Speicher";
    DbColAvg => "Avg doc", "Ø Dok.";
    DbColIndexes => "Indexes", "Indizes";
    DbColIndexSize => "Index size", "Indexgröße";
    DbView => "{} (view)", "{} (Sicht)";
    DbIndexesTitle => "Indexes of {}", "Indizes von {}";
    DbNoIndexes => "no indexes", "keine Indizes";
    DbColIndex => "Index", "Index";
    DbColKeys => "Keys", "Schlüssel";
    DbColOptions => "Options", "Optionen";
    DbColUsage => "Used", "Benutzt";
    DbUsage => "{} times", "{}-mal";
    DbUsageSince => "{} since {}", "{} seit {}";
    DbUnused => "unused", "ungenutzt";
    DbOperationsTitle => "Current operations (longest first)", "Laufende Operationen (längste zuerst)";
    DbOperationsUnavailable => "currentOp: {}", "currentOp: {}";
    DbNoOperations => "no operation running", "keine laufende Operation";
    DbColRunning => "Running", "Läuft";
    DbColNamespace => "Namespace", "Namensraum";
    DbColClient => "Client", "Client";
    DbColApp => "App", "Anwendung";
    DbColCommand => "Command", "Befehl";
    DbWaitingForLock => "waiting for a lock", "wartet auf eine Sperre";
    DbKillHint => "K kills this operation (asks first)", "K bricht diese Operation ab (fragt vorher)";
    DbHealthTitle => "Scandy data health", "Scandy-Datenbestand";
    DbHealthNotRun => "Not checked yet: press H to run the checks (read-only).", "Noch nicht geprüft: H startet die Prüfungen (nur lesend).";
    DbHealthRunning => "Checking the data …", "Prüfe den Datenbestand …";
    DbHealthFailed => "The checks could not run: {}", "Die Prüfungen konnten nicht laufen: {}";
    DbCheckedAt => "checked {}", "geprüft {}";
    DbColCheck => "Check", "Prüfung";
    DbColFound => "Found", "Funde";
    DbColFix => "Fix", "Korrektur";
    DbFixAvailable => "F applies", "F wendet an";
    DbFixManual => "by hand", "von Hand";
    DbCheckUnavailable => "could not run: {}", "konnte nicht laufen: {}";
    DbExamples => "Examples:", "Beispiele:";
    DbFixPrompt => "Fix (F, asks first): {}", "Korrektur (F, fragt vorher): {}";
    HelpDbNextPane => "next view (collections, operations, health)", "nächste Ansicht (Sammlungen, Operationen, Datenbestand)";
    HelpDbPrevPane => "previous view", "vorige Ansicht";
    HelpDbCollections => "collections and their indexes", "Sammlungen und ihre Indizes";
    HelpDbOperations => "current operations", "laufende Operationen";
    HelpDbHealth => "Scandy data health", "Scandy-Datenbestand";
    HelpDbValidate => "validate the selected collection", "ausgewählte Sammlung prüfen (validate)";
    HelpDbValidateAll => "validate all collections (full, asks first)", "alle Sammlungen prüfen (vollständig, fragt vorher)";
    HelpDbCompact => "compact the selected collection (asks first)", "ausgewählte Sammlung komprimieren (fragt vorher)";
    HelpDbReindex => "reIndex the selected collection (standalone only, asks first)", "reIndex der ausgewählten Sammlung (nur Einzelserver, fragt vorher)";
    HelpDbCreateIndexes => "create Scandy's missing indexes (asks first)", "fehlende Scandy-Indizes anlegen (fragt vorher)";
    HelpDbKill => "kill the selected operation (asks first)", "ausgewählte Operation abbrechen (fragt vorher)";
    HelpDbRunHealth => "run the data health checks", "Datenbestand prüfen";
    HelpDbFix => "apply the selected check's fix (asks first)", "Korrektur der ausgewählten Prüfung anwenden (fragt vorher)";
    DbNoSample => "no database sample yet", "noch keine Datenbank-Stichprobe";
    DbSelectCollection => "select a collection first (Collections view)", "zuerst eine Sammlung wählen (Ansicht Sammlungen)";
    DbSelectOperation => "select an operation first (Operations view)", "zuerst eine Operation wählen (Ansicht Operationen)";
    DbSelectCheck => "select a check first (Health view; H runs the checks)", "zuerst eine Prüfung wählen (Ansicht Datenbestand; H startet die Prüfungen)";
    DbNothingToFix => "nothing to fix", "nichts zu korrigieren";
    DbValidateAllTitle => "Validate all collections (full)?", "Alle Sammlungen prüfen (vollständig)?";
    DbValidateAllText => "Runs validate with full: true on every collection, one after another.", "Führt validate mit full: true auf jeder Sammlung nacheinander aus.";
    DbValidateWarning => "validate locks each collection while it checks it; Scandy waits for that collection meanwhile. Run it outside working hours on large databases.", "validate sperrt jede Sammlung während der Prüfung; Scandy wartet so lange auf diese Sammlung. Bei großen Datenbanken außerhalb der Arbeitszeit ausführen.";
    DbCompactTitle => "Compact {}?", "{} komprimieren (compact)?";
    DbCompactText => "Rewrites the collection and its indexes to give unused disk space back.", "Schreibt die Sammlung und ihre Indizes neu, um ungenutzten Speicherplatz freizugeben.";
    DbCompactWarning => "compact blocks other work on the collection (on MongoDB before 4.4 the whole database) and needs free disk space; a server without compact answers \"not supported\".", "compact blockiert andere Arbeit auf der Sammlung (vor MongoDB 4.4 die ganze Datenbank) und braucht freien Speicher; ein Server ohne compact antwortet „nicht unterstützt“.";
    DbReindexStandaloneOnly => "reIndex only runs on a standalone server (and is deprecated since MongoDB 6.0)", "reIndex läuft nur auf einem Einzelserver (und ist seit MongoDB 6.0 veraltet)";
    DbMembers => "{} member(s): {}", "{} Mitglied(er): {}";
    DbReindexTitle => "reIndex {}?", "reIndex {}?";
    DbReindexText => "Drops and rebuilds every index of the collection.", "Löscht alle Indizes der Sammlung und baut sie neu auf.";
    DbReindexWarning => "reIndex is deprecated since MongoDB 6.0 and blocks the collection while it runs; prefer dropping and creating a single broken index.", "reIndex ist seit MongoDB 6.0 veraltet und blockiert die Sammlung während des Laufs; besser einen einzelnen defekten Index löschen und neu anlegen.";
    DbCreateIndexesTitle => "Create {} missing index(es)?", "{} fehlende(n) Index/Indizes anlegen?";
    DbCreateIndexesText => "Creates the indexes Scandy expects that do not exist.", "Legt die Indizes an, die Scandy erwartet und die fehlen.";
    DbKillTitle => "Kill operation {}?", "Operation {} abbrechen?";
    DbKillText => "{} on {}, running {}, from {}", "{} auf {}, läuft seit {}, von {}";
    DbKillWarning => "The client of this operation gets an error; a write may be left half done.", "Der Client dieser Operation erhält einen Fehler; ein Schreibvorgang kann halb erledigt bleiben.";
    DbFixTitle => "Apply fix {}?", "Korrektur {} anwenden?";
    DbFixWarning => "Changes documents in the live database; take a backup first if in doubt (Backups tab, b).", "Ändert Dokumente in der Live-Datenbank; im Zweifel vorher sichern (Reiter Sicherungen, b).";
    StageDatabase => "database", "Datenbank";
    StageFiles => "files", "Dateien";
    StageVerify => "verify", "Prüfung";
    StageRestore => "loading database", "Datenbank laden";
    StageExtract => "writing files", "Dateien schreiben";
    StageExport => "export", "Export";
    UnitDocuments => "docs", "Dok.";
    UnitFiles => "files", "Dateien";
    UnitItems => "items", "Einträge";
    StatusJobs => "▶ {} job(s) running (tab 4)", "▶ {} Auftrag/Aufträge laufen (Reiter 4)";
    // Restore dialog
    RsTitle => "Restore {}", "Wiederherstellen {}";
    RsWhat => "What and where", "Was und wohin";
    RsDatabasePart => "Database", "Datenbank";
    RsAllCollections => "all collections ({} of {} chosen)", "alle Sammlungen ({} von {} gewählt)";
    RsLiveDatabase => "live database {}", "Live-Datenbank {}";
    RsOtherDatabase => "another database", "andere Datenbank";
    RsName => "Name", "Name";
    RsFilesPart => "Files (uploads, configuration, logs)", "Dateien (Uploads, Konfiguration, Protokolle)";
    RsOriginalPaths => "original paths under {}", "ursprüngliche Pfade unter {}";
    RsOtherDirectory => "another directory", "anderes Verzeichnis";
    RsDirectory => "Directory", "Verzeichnis";
    RsPreview => "Preview the restore (dry run)", "Wiederherstellung vorab ansehen (Probelauf)";
    RsPlanning => "working out what the restore would change …", "ermittle, was die Wiederherstellung ändern würde …";
    RsHintsChoose => "↑/↓ move · Space toggle · type to edit · Enter on Preview · Esc close", "↑/↓ bewegen · Leertaste umschalten · tippen zum Bearbeiten · Enter auf Vorschau · Esc schließen";
    RsHintsPlanning => "Esc close", "Esc schließen";
    RsHintsConfirm => "Enter restore · Esc back to the choices", "Enter wiederherstellen · Esc zurück zur Auswahl";
    RsSafetyBackup => "A safety backup of the current state is taken first (restore it to undo).", "Zuerst wird eine Sicherheitssicherung des jetzigen Stands erstellt (zum Rückgängigmachen wiederherstellen).";
    RsNoSafetyBackup => "No live data is overwritten, so no safety backup is needed.", "Keine Live-Daten werden überschrieben, daher ist keine Sicherheitssicherung nötig.";
    RsPlanLiveDatabase => "Database {} (the LIVE database): {} collection(s) replaced", "Datenbank {} (die LIVE-Datenbank): {} Sammlung(en) ersetzt";
    RsPlanOtherDatabase => "Database {}: {} collection(s) replaced", "Datenbank {}: {} Sammlung(en) ersetzt";
    RsNow => "{} now", "{} jetzt";
    RsAbsent => "does not exist", "existiert nicht";
    RsPlanFiles => "Files into {}: {} added, {} overwritten", "Dateien nach {}: {} neu, {} überschrieben";
    RsOverwrite => "overwrite", "überschreibt";
    RsTypeToConfirm => "Type the database name ({}) to confirm:", "Zum Bestätigen den Datenbanknamen ({}) eingeben:";
    RsNothingChosen => "choose the database, the files or both", "Datenbank, Dateien oder beides wählen";
    RsNoCollection => "choose at least one collection", "mindestens eine Sammlung wählen";
    RsBadDatabaseName => "not a valid database name (1–63 characters, none of / \\ . \" $ * < > : | ?)", "kein gültiger Datenbankname (1–63 Zeichen, keines von / \\ . \" $ * < > : | ?)";
    RsBadDirectory => "enter an absolute directory path", "einen absoluten Verzeichnispfad eingeben";
    RsPlanFailed => "the dry run failed: {}", "der Probelauf ist fehlgeschlagen: {}";
    RsMismatch => "that is not {}; nothing was changed", "das ist nicht {}; nichts wurde geändert";
    // Small dialogs
    YesNo => "y yes · n / Esc no", "j/y ja · n / Esc nein";
    QuitTitle => "Quit scandyctl?", "scandyctl beenden?";
    QuitRunning => "{} job(s) still running; quitting cancels them (nothing half-done is kept).", "{} Auftrag/Aufträge laufen noch; Beenden bricht sie ab (nichts Halbfertiges bleibt).";
    CancelTitle => "Cancel job?", "Auftrag abbrechen?";
    CancelQuestion => "Cancel {}?", "{} abbrechen?";
    CancelPromise => "Work in progress is removed; nothing half-done is kept.", "Begonnenes wird entfernt; nichts Halbfertiges bleibt.";
    ExportTitle => "Export {}", "Export {}";
    ExportPrompt => "Write the set as one file (a directory takes <id>.tar):", "Satz als eine Datei schreiben (ein Verzeichnis erhält <id>.tar):";
    ExportEmpty => "enter a path", "einen Pfad eingeben";
    ExportHints => "Enter export · Esc close", "Enter exportieren · Esc schließen";
    PruneTitle => "Prune by retention rules", "Nach Aufbewahrungsregeln aufräumen";
    PruneNothing => "Nothing to remove: every set is kept by a rule.", "Nichts zu entfernen: jeder Satz wird von einer Regel behalten.";
    PruneSummary => "Remove {} set(s), freeing {}; {} kept:", "{} Satz/Sätze entfernen, {} frei; {} behalten:";
    PruneScroll => "rows {}–{} of {} (↑/↓ scroll)", "Zeilen {}–{} von {} (↑/↓ blättern)";
    PruneHints => "y remove · n / Esc keep everything", "j/y entfernen · n / Esc alles behalten";
    PruneHintsNothing => "Enter / Esc close", "Enter / Esc schließen";
    // Errors
    ErrorTitle => "Background task failed", "Hintergrundaufgabe fehlgeschlagen";
    ErrorDismiss => "Esc closes this message", "Esc schließt diese Meldung";
    // Probe failure hints
    HintRefused => "nothing listens on that port: is mongod (or the MongoDB container) running?", "an diesem Port lauscht nichts: läuft mongod (bzw. der MongoDB-Container)?";
    HintTimeout => "the server accepted the connection but did not answer in time", "der Server hat die Verbindung angenommen, aber nicht rechtzeitig geantwortet";
    HintAuth => "SCRAM authentication failed: the password in .env may no longer match the database user", "SCRAM-Anmeldung fehlgeschlagen: das Passwort in .env passt evtl. nicht mehr zum Datenbankbenutzer";
    HintDns => "the host name cannot be resolved", "der Hostname lässt sich nicht auflösen";
    HintTls => "TLS handshake failed: check the certificate settings in the URI", "TLS-Aushandlung fehlgeschlagen: Zertifikatseinstellungen in der URI prüfen";
    // Recovery tab
    RcTitle => "Recovery", "Notfall";
    RcStepOf => "Step {} of 8: {}", "Schritt {} von 8: {}";
    RcStepDetection => "Detection", "Erkennung";
    RcStepReaction => "Reaction", "Reaktion";
    RcStepPoint => "Recovery point", "Wiederherstellungspunkt";
    RcStepFix => "Guided fix (steps 3–5)", "Geführte Behebung (Schritte 3–5)";
    RcStepSafety => "Safety backup", "Sicherheitskopie";
    RcStepRestore => "Restore", "Wiederherstellung";
    RcStepVerification => "Verification", "Überprüfung";
    RcStepInform => "Inform users", "Nutzer informieren";
    RcStepPost => "Post-incident report", "Nachbereitung";
    RcStepClosed => "Closed", "Abgeschlossen";
    RcKindCredentials => "Credentials broken", "Zugangsdaten defekt";
    RcKindMongoDown => "MongoDB down", "MongoDB ausgefallen";
    RcKindDatabaseLost => "Database lost", "Datenbank verloren";
    RcKindCollectionsLost => "Collections lost or emptied", "Sammlungen verloren oder geleert";
    RcKindFilesLost => "Files lost", "Dateien verloren";
    RcKindDiskFull => "Disk full", "Platte voll";
    RcKindServiceDown => "Service down", "Dienst ausgefallen";
    RcIncident => "Incident:", "Vorfall:";
    RcHealthyShort => "none (Scandy looks healthy)", "keiner (Scandy wirkt gesund)";
    RcCorrected => "corrected", "korrigiert";
    RcBusy => "please wait: the step is still running", "bitte warten: der Schritt läuft noch";
    RcAlreadyOpen => "a recovery is open: finish it (step 8) first", "ein Notfall ist offen: erst abschließen (Schritt 8)";
    RcBusyLoading => "reading the saved state …", "gespeicherter Stand wird gelesen …";
    RcBusyDetecting => "detecting …", "Erkennung läuft …";
    RcBusyCorrecting => "setting the incident …", "Vorfall wird gesetzt …";
    RcBusySending => "sending …", "wird gesendet …";
    RcBusyListing => "listing backups …", "Sicherungen werden gelistet …";
    RcBusyVerifying => "verifying backups (deep) …", "Sicherungen werden geprüft (tief) …";
    RcBusyPreparing => "planning the restore …", "Wiederherstellung wird geplant …";
    RcBusyReadingJob => "reading the restore job …", "Wiederherstellungsauftrag wird gelesen …";
    RcBusyFinishing => "restarting services …", "Dienste werden neu gestartet …";
    RcBusyChecking => "verifying …", "wird überprüft …";
    RcBusyGuide => "reading status and logs …", "Status und Protokolle werden gelesen …";
    RcBusyRestarting => "restarting …", "Neustart läuft …";
    RcBusyWriting => "writing the report …", "Bericht wird geschrieben …";
    RcLoading => "Reading the saved recovery state …", "Gespeicherter Notfall-Stand wird gelesen …";
    RcClosed => "Incident {} closed; the report is written.", "Vorfall {} abgeschlossen; der Bericht ist geschrieben.";
    RcReport => "Report", "Bericht";
    RcIntroHeading => "Emergency plan", "Notfallplan";
    RcIntro => "A guided recovery in 8 steps: detection, reaction, recovery point, safety backup, restore, verification, informing users and the incident report. Every step is saved: quitting or a dropped connection resumes here.", "Geführte Wiederherstellung in 8 Schritten: Erkennung, Reaktion, Wiederherstellungspunkt, Sicherheitskopie, Wiederherstellung, Überprüfung, Nutzer informieren und Vorfallbericht. Jeder Schritt wird gespeichert: nach Beenden oder Verbindungsabbruch geht es hier weiter.";
    RcIntroStart => "Press n or Enter to start a new recovery (detection only reads).", "n oder Enter startet einen neuen Notfall (die Erkennung liest nur).";
    RcReports => "Earlier incident reports", "Frühere Vorfallberichte";
    RcNoReports => "none yet", "noch keine";
    RcMoreReports => "… and {} older", "… und {} ältere";
    RcDetecting => "Detection is running (MongoDB, backups, files, disks, services, logs) …", "Erkennung läuft (MongoDB, Sicherungen, Dateien, Platten, Dienste, Protokolle) …";
    RcProposed => "Proposed incident:", "Vorgeschlagener Vorfall:";
    RcAlsoFound => "Also found", "Außerdem";
    RcHealthy => "Nothing is wrong: Scandy looks healthy (database {}). Enter closes the wizard.", "Nichts gefunden: Scandy wirkt gesund (Datenbank {}). Enter schließt den Assistenten.";
    RcCheckedAt => "checked {}, {} checks", "geprüft {}, {} Prüfungen";
    RcPickIncident => "Which incident is it? (↑/↓, Enter)", "Welcher Vorfall liegt vor? (↑/↓, Enter)";
    RcPriority => "Priority", "Priorität";
    RcContacts => "Who to call", "Wen anrufen";
    RcNoContacts => "no contacts: add [[recovery.contacts]] to the config file", "keine Kontakte: [[recovery.contacts]] in der Konfiguration eintragen";
    RcRunbook => "Runbook notes", "Hinweise zum Ablauf";
    RcMessageTeam => "Message to the team", "Nachricht an das Team";
    RcMessageUsers => "Message to the users", "Nachricht an die Nutzer";
    RcEditingBelow => "(editing below)", "(wird unten bearbeitet)";
    RcSentAt => "Sent", "Gesendet";
    RcChannels => "{}: {} of {} channel(s) delivered", "{}: {} von {} Kanal/Kanälen zugestellt";
    RcNoChannels => "no channel configured in [notify]: nobody was reached", "kein Kanal in [notify]: niemand wurde erreicht";
    RcNotSent => "not sent", "nicht gesendet";
    RcInformIntro => "Tell the users Scandy is back and what must be entered again.", "Den Nutzern sagen, dass Scandy wieder läuft und was neu einzugeben ist.";
    RcPointSearching => "Choosing the recovery point: newest backup first, each deep-verified …", "Wiederherstellungspunkt wird gewählt: neueste Sicherung zuerst, je tief geprüft …";
    RcPointWhy => "This reads every member of the backup and can take a while.", "Dabei wird jeder Teil der Sicherung gelesen; das kann dauern.";
    RcPointChosen => "Backup", "Sicherung";
    RcPointKind => "Kind", "Art";
    RcSourceSet => "scandyctl set", "scandyctl-Satz";
    RcSourceLegacy => "Scandy's own backup", "Scandys eigene Sicherung";
    RcPointTaken => "Taken", "Erstellt";
    RcPointAge => "{} ({} before the check)", "{} ({} vor der Prüfung)";
    RcPointVerified => "Deep verify", "Tiefe Prüfung";
    RcDeepPassed => "passed {}", "bestanden {}";
    RcPointHolds => "Holds", "Inhalt";
    RcPointContent => "{} collections, {} documents", "{} Sammlungen, {} Dokumente";
    RcUploadFiles => "Upload files", "Upload-Dateien";
    RcWindow => "Data-loss window", "Datenverlust-Zeitraum";
    RcWindowSpan => "From – to", "Von – bis";
    RcWindowFromTo => "{} – {} ({} min)", "{} – {} ({} min)";
    RcWindowChanged => "Changed since", "Seitdem geändert";
    RcWindowUnread => "unknown (the live database cannot be read)", "unbekannt (die Datenbank ist nicht lesbar)";
    RcWindowNone => "no collection differs from the backup", "keine Sammlung weicht ab";
    RcWindowLost => "Changes made after the backup are lost and must be entered again.", "Änderungen nach der Sicherung gehen verloren und sind neu einzugeben.";
    RcPassedOver => "Newer backups passed over", "Übergangene neuere Sicherungen";
    RcPickBackup => "Choose the backup to restore (↑/↓, Enter; it is deep-verified first)", "Sicherung wählen (↑/↓, Enter; sie wird zuerst tief geprüft)";
    RcNoCandidates => "no backup found to choose from", "keine Sicherung zur Auswahl gefunden";
    RcNoPoint => "no recovery point", "kein Wiederherstellungspunkt";
    RcFailed => "the step failed", "der Schritt ist fehlgeschlagen";
    RcSafetyIntro => "Before anything is overwritten, what is still readable is saved as a pre-restore set.", "Bevor etwas überschrieben wird, wird der lesbare Stand als Vorher-Satz gesichert.";
    RcSafetyDefault => "Default: take the safety backup (Enter).", "Standard: Sicherheitskopie anlegen (Enter).";
    RcSafetyUnreadable => "MongoDB cannot be read: a safety backup is not possible (Enter goes on).", "MongoDB ist nicht lesbar: keine Sicherheitskopie möglich (Enter: weiter).";
    RcSafetySkipNote => "Skipping it (x) needs a reason; it goes into the report.", "Überspringen (x) braucht eine Begründung; sie kommt in den Bericht.";
    RcSafetySkipped => "Skipped because", "Übersprungen weil";
    RcSafetyNotPossible => "Not possible", "Nicht möglich";
    RcReasonNeeded => "type a reason: skipping the safety backup needs one", "Begründung eingeben: ohne sie kein Überspringen";
    RcRestoring => "Restores", "Stellt her";
    RcNotInBackup => "Not in the backup", "Nicht gesichert";
    RcFromBackup => "From backup", "Aus Sicherung";
    RcSafetyYes => "taken first", "wird zuerst angelegt";
    RcSafetySkippedBecause => "skipped: {}", "übersprungen: {}";
    RcSafetyNo => "none: {}", "keine: {}";
    RcPreparing => "Working out what the restore changes (dry run) …", "Probelauf: was die Wiederherstellung ändert …";
    RcOverwriteHeading => "This OVERWRITES:", "Dies ÜBERSCHREIBT:";
    RcDatabase => "Database", "Datenbank";
    RcCollectionChange => "{} → {} from the backup", "{} → {} aus der Sicherung";
    RcNowCount => "now {}", "jetzt {}";
    RcMissingNow => "missing now", "fehlt jetzt";
    RcFilesDir => "Files into", "Dateien nach";
    RcFilesChange => "{} files added, {} overwritten", "{} Dateien neu, {} überschrieben";
    RcStarted => "Started", "Gestartet";
    RcJob => "Job", "Auftrag";
    RcWaitingForJob => "waiting for the job's first report …", "warte auf die erste Meldung des Auftrags …";
    RcDetachedNote => "The restore runs in its own process: quitting the console does not stop it.", "Die Wiederherstellung läuft eigenständig: Beenden der Konsole hält sie nicht an.";
    RcRestoreDone => "Restore finished: {} documents, {} files.", "Wiederherstellung fertig: {} Dokumente, {} Dateien.";
    RcRestoreFailedWith => "Restore failed: {}", "Wiederherstellung fehlgeschlagen: {}";
    RcRestoreFailed => "the restore failed: Enter tries again", "die Wiederherstellung ist fehlgeschlagen: Enter versucht es erneut";
    RcRestoreRunning => "the restore is still running", "die Wiederherstellung läuft noch";
    RcSafetyBackup => "Safety backup", "Sicherheitskopie";
    RcFixDone => "Done", "Erledigt";
    RcMismatch => "that is not {}; nothing was changed", "das ist nicht {}; nichts wurde geändert";
    RcVerifying => "Verifying: counts, indexes, sample documents, data health, /health, logs …", "Überprüfung: Anzahlen, Indizes, Stichproben, Datenbestand, /health, Protokolle …";
    RcVerifyNotRun => "Verification has not run: Enter runs it.", "Überprüfung noch nicht gelaufen: Enter startet sie.";
    RcVerifyPassed => "Verification passed", "Überprüfung bestanden";
    RcVerifyFailed => "Verification FAILED", "Überprüfung FEHLGESCHLAGEN";
    RcHealthOk => "/health OK since", "/health OK seit";
    RcPostIntro => "Note what would prevent this incident; Enter writes the report and closes the incident.", "Notieren, was den Vorfall verhindert hätte; Enter schreibt den Bericht und schließt ab.";
    RcPrevention => "Prevention notes", "Vorbeugung";
    RcNoNotes => "none yet (e to type)", "noch keine (e zum Schreiben)";
    RcNotesBelow => "(being typed below)", "(wird unten geschrieben)";
    RcReportHolds => "The report holds", "Der Bericht enthält";
    RcTimelineTitle => "Timeline", "Zeitleiste";
    RcEntries => "{} entries", "{} Einträge";
    RcFixIntro => "No restore fixes this incident: follow the guided fix, then Enter.", "Keine Wiederherstellung behebt das: der Anleitung folgen, dann Enter.";
    RcFixStatus => "Status", "Status";
    RcFixLog => "Last log lines", "Letzte Protokollzeilen";
    RcFixRestartOffer => "R restarts the Scandy services (type restart to confirm).", "R startet die Scandy-Dienste neu (restart tippen zum Bestätigen).";
    RcFixMongoHint => "Start MongoDB (systemctl start mongod), then Enter checks again.", "MongoDB starten (systemctl start mongod), dann prüft Enter erneut.";
    RcFixLargest => "Largest files", "Größte Dateien";
    RcFixPrunable => "Backups retention no longer keeps (scandyctl prune)", "Von der Aufbewahrung nicht mehr gehaltene Sicherungen (scandyctl prune)";
    RcFixRotated => "Rotated logs", "Rotierte Protokolle";
    RcFixDiskHint => "Free space (prune, remove rotated logs), then Enter checks again.", "Platz schaffen (prune, rotierte Protokolle löschen), dann prüft Enter erneut.";
    RcFixCredentials => "The credentials in .env do not open the database", "Die Zugangsdaten in .env öffnen die Datenbank nicht";
    RcFixNeverDownV => "Never run `docker compose down -v`: it deletes the database volume.", "Nie `docker compose down -v` ausführen: das löscht das Datenbank-Volume.";
    RcInputMessage => "Message", "Nachricht";
    RcInputNotes => "Prevention notes", "Vorbeugung";
    RcInputReason => "Why skip the safety backup?", "Warum keine Sicherheitskopie?";
    RcInputConfirm => "Type the database name ({}) to confirm", "Zum Bestätigen den Datenbanknamen ({}) eingeben";
    RcInputRestart => "Type {} to restart the services", "{} eingeben für den Neustart";
    RcSaveFailed => "the recovery state could not be saved", "der Notfall-Stand konnte nicht gespeichert werden";
    RcHintsIntro => "n / Enter start a new recovery", "n / Enter neuen Notfall starten";
    RcHintsTimeline => "t back to the step · j/k scroll", "t zurück zum Schritt · j/k blättern";
    RcHintsHealthy => "Enter close · d detect again · t timeline", "Enter schließen · d neu erkennen · t Zeitleiste";
    RcHintsDetection => "Enter go on · c correct · d detect again · t timeline · j/k", "Enter weiter · c korrigieren · d neu erkennen · t Zeitleiste";
    RcHintsReaction => "e edit · s send · x skip · Enter go on · t timeline", "e bearbeiten · s senden · x überspringen · Enter weiter";
    RcHintsPoint => "Enter go on · b another backup · t timeline · j/k", "Enter weiter · b andere Sicherung · t Zeitleiste";
    RcHintsFix => "Enter done, check again · t timeline · j/k scroll", "Enter erledigt, neu prüfen · t Zeitleiste";
    RcHintsFixRestart => "R restart services · Enter done, check again · t", "R Dienste neu starten · Enter erledigt, neu prüfen";
    RcHintsSafety => "Enter take it and go on · x skip (reason needed)", "Enter anlegen, weiter · x überspringen (mit Grund)";
    RcHintsRestore => "Enter type the confirmation · t timeline · j/k", "Enter Bestätigung eingeben · t Zeitleiste";
    RcHintsRestoreRunning => "the restore runs on its own · t timeline", "die Wiederherstellung läuft eigenständig · t Zeitleiste";
    RcHintsRestoreFailed => "Enter try again · t timeline · j/k scroll", "Enter erneut versuchen · t Zeitleiste";
    RcHintsVerification => "Enter go on · t timeline · j/k scroll", "Enter weiter · t Zeitleiste · j/k blättern";
    RcHintsInform => "e edit · s send · x skip · Enter go on · t timeline", "e bearbeiten · s senden · x überspringen · Enter weiter";
    RcHintsPost => "e notes · Enter write the report and close · t timeline", "e Notizen · Enter Bericht schreiben, schließen";
    RcHintsMessage => "type the message · Enter / Esc done", "Nachricht tippen · Enter / Esc fertig";
    RcHintsNotes => "Enter new line · Esc done", "Enter neue Zeile · Esc fertig";
    RcHintsReason => "type the reason · Enter skip · Esc cancel", "Grund tippen · Enter überspringen · Esc abbrechen";
    RcHintsConfirm => "Enter confirm · Esc cancel", "Enter bestätigen · Esc abbrechen";
    RcHintsPicker => "↑/↓ choose · Enter take · Esc cancel", "↑/↓ wählen · Enter übernehmen · Esc abbrechen";
    HelpRcStart => "start a new recovery", "neuen Notfall starten";
    HelpRcContinue => "go on / run the step / confirm", "weiter / Schritt ausführen / bestätigen";
    HelpRcCorrect => "correct the proposed incident", "vorgeschlagenen Vorfall korrigieren";
    HelpRcDetect => "run detection again", "Erkennung erneut ausführen";
    HelpRcEdit => "edit the message or the notes", "Nachricht oder Notizen bearbeiten";
    HelpRcSend => "send the message", "Nachricht senden";
    HelpRcSkip => "skip (sending, the safety backup)", "überspringen (Senden, Sicherheitskopie)";
    HelpRcOtherBackup => "choose another backup", "andere Sicherung wählen";
    HelpRcRestart => "restart the Scandy services (guided fix)", "Scandy-Dienste neu starten (Anleitung)";
    HelpRcTimeline => "show or hide the timeline", "Zeitleiste ein-/ausblenden";
    HelpRcScroll => "scroll", "blättern";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_lang_variables() {
        let env = |lang: &'static str| move |key: &str| (key == "LANG").then(|| lang.to_string());
        assert_eq!(
            Lang::resolve(LanguageSetting::Auto, env("de_DE.UTF-8")),
            Lang::De
        );
        assert_eq!(
            Lang::resolve(LanguageSetting::Auto, env("en_US.UTF-8")),
            Lang::En
        );
        assert_eq!(Lang::resolve(LanguageSetting::Auto, |_| None), Lang::En);
        assert_eq!(
            Lang::resolve(LanguageSetting::De, env("en_US.UTF-8")),
            Lang::De
        );
    }

    #[test]
    fn lc_all_wins_over_lang() {
        let env = |key: &str| match key {
            "LC_ALL" => Some("de_AT.UTF-8".to_string()),
            "LANG" => Some("en_GB.UTF-8".to_string()),
            _ => None,
        };
        assert_eq!(Lang::resolve(LanguageSetting::Auto, env), Lang::De);
    }

    #[test]
    fn every_message_has_both_languages_with_matching_placeholders() {
        for msg in ALL_MESSAGES {
            let en = msg.text(Lang::En);
            let de = msg.text(Lang::De);
            assert!(!en.is_empty() && !de.is_empty(), "{msg:?} is empty");
            assert_eq!(
                en.matches("{}").count(),
                de.matches("{}").count(),
                "{msg:?}"
            );
        }
    }

    #[test]
    fn fill_replaces_placeholders_in_order() {
        assert_eq!(
            Msg::BackupDirFree.fill(Lang::En, &["1 GiB", "2 GiB", "50"]),
            "1 GiB free of 2 GiB (50 % used)"
        );
    }
}
