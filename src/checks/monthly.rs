//! The monthly checklist's items: the security audit (failed logins, accounts, `.env`,
//! the emergency admin, MongoDB's exposure, backup encryption, secrets in old backups,
//! OS updates) and the performance analysis (`/health`, resources, database, slow
//! operations). The report item (`SCY-RPT-001`) is added by the report code.

use super::model::{Cadence, ItemDef, ItemKind};
use super::run::{CheckContext, ItemRun};
use super::state::ChecklistsState;
use super::support::item_def;

/// Failed logins and other security events of the last 30 days.
pub const FAILED_LOGINS_ID: &str = "SCY-SEC-010";
/// Admin accounts and accounts never used.
pub const ACCOUNTS_ID: &str = "SCY-SEC-011";
/// Mode and owner of `.env`.
pub const ENV_MODE_ID: &str = "SCY-SEC-012";
/// `ENABLE_EMERGENCY_ADMIN` in `.env`.
pub const EMERGENCY_ADMIN_ID: &str = "SCY-SEC-013";
/// MongoDB reachable beyond loopback without authentication.
pub const MONGO_EXPOSURE_ID: &str = "SCY-SEC-014";
/// Backups encrypted or not.
pub const BACKUP_ENCRYPTION_ID: &str = "SCY-SEC-015";
/// Secrets in clear in old backups.
pub const BACKUP_SECRETS_ID: &str = "SCY-SEC-016";
/// Pending OS updates.
pub const OS_UPDATES_ID: &str = "SCY-SEC-017";
/// `/health` up-time and response times.
pub const HEALTH_ID: &str = "SCY-PRF-010";
/// CPU and memory use.
pub const RESOURCES_ID: &str = "SCY-PRF-011";
/// Database latency, up-time and growth.
pub const DATABASE_ID: &str = "SCY-PRF-012";
/// Slow operations.
pub const SLOW_OPERATIONS_ID: &str = "SCY-PRF-013";

/// The monthly items in order.
pub fn monthly_items() -> Vec<ItemDef> {
    let monthly =
        |id, title, fix| item_def(id, Cadence::Monthly, ItemKind::Automatic, title, fix, None);
    vec![
        monthly(
            FAILED_LOGINS_ID,
            (
                "Failed logins and security events (30 days)",
                "Fehlgeschlagene Anmeldungen und Sicherheitsereignisse (30 Tage)",
            ),
            (
                "Block an address that keeps guessing (firewall, or fail2ban on \
                 logs/security.log) and ask the users concerned to change their passwords.",
                "Eine Adresse, die weiter rät, sperren (Firewall oder fail2ban auf \
                 logs/security.log) und die betroffenen Benutzer ihr Passwort ändern lassen.",
            ),
        ),
        monthly(
            ACCOUNTS_ID,
            (
                "Admin accounts and accounts never used",
                "Admin-Konten und nie benutzte Konten",
            ),
            (
                "Take admin rights from accounts that do not need them and deactivate \
                 accounts nobody uses (Scandy: Administration, Benutzer).",
                "Admin-Rechte entziehen, wo sie nicht nötig sind, und nie benutzte Konten \
                 deaktivieren (Scandy: Administration, Benutzer).",
            ),
        ),
        monthly(
            ENV_MODE_ID,
            ("Mode and owner of .env", "Rechte und Besitzer der .env"),
            (
                "Let only the user Scandy runs as read it: chmod 600 .env (and chown that \
                 user); it holds SECRET_KEY and the database password.",
                "Nur der Benutzer, unter dem Scandy läuft, darf sie lesen: chmod 600 .env \
                 (und chown auf diesen Benutzer); sie enthält SECRET_KEY und das \
                 Datenbank-Passwort.",
            ),
        ),
        monthly(
            EMERGENCY_ADMIN_ID,
            ("Emergency admin switched off", "Notfall-Admin abgeschaltet"),
            (
                "Set ENABLE_EMERGENCY_ADMIN=false in .env (or remove the line) and restart \
                 Scandy.",
                "ENABLE_EMERGENCY_ADMIN=false in der .env setzen (oder die Zeile löschen) und \
                 Scandy neu starten.",
            ),
        ),
        monthly(
            MONGO_EXPOSURE_ID,
            (
                "MongoDB not reachable without authentication",
                "MongoDB nicht ohne Anmeldung erreichbar",
            ),
            (
                "Bind mongod to 127.0.0.1 (net.bindIp in /etc/mongod.conf) or switch on \
                 security.authorization with a user for Scandy; with docker, publish 27017 \
                 on 127.0.0.1 only, or not at all.",
                "mongod an 127.0.0.1 binden (net.bindIp in /etc/mongod.conf) oder \
                 security.authorization mit einem Benutzer für Scandy einschalten; bei docker \
                 Port 27017 nur auf 127.0.0.1 oder gar nicht veröffentlichen.",
            ),
        ),
        monthly(
            BACKUP_ENCRYPTION_ID,
            ("Backups encrypted", "Backups verschlüsselt"),
            (
                "Set [backup] recipients (age public keys from age-keygen) so new backups are \
                 encrypted; keep the identity away from the backup disk.",
                "[backup] recipients setzen (öffentliche age-Schlüssel aus age-keygen), damit \
                 neue Backups verschlüsselt werden; den privaten Schlüssel nicht auf der \
                 Backup-Platte aufbewahren.",
            ),
        ),
        monthly(
            BACKUP_SECRETS_ID,
            (
                "No secrets in clear in old backups",
                "Keine Geheimnisse im Klartext in alten Backups",
            ),
            (
                "Convert a backup you still need (scandyctl import --legacy ID, encrypted when \
                 recipients are set), then delete the old file; change SECRET_KEY and the \
                 database password if it ever left the machine.",
                "Ein noch benötigtes Backup umwandeln (scandyctl import --legacy ID, \
                 verschlüsselt, wenn recipients gesetzt sind) und die alte Datei löschen; \
                 SECRET_KEY und das Datenbank-Passwort ändern, falls sie den Rechner je \
                 verlassen hat.",
            ),
        ),
        monthly(
            OS_UPDATES_ID,
            ("Pending OS updates", "Ausstehende Betriebssystem-Updates"),
            (
                "Install them: apt-get update && apt-get upgrade (security updates \
                 automatically with unattended-upgrades).",
                "Einspielen: apt-get update && apt-get upgrade (Sicherheits-Updates \
                 automatisch mit unattended-upgrades).",
            ),
        ),
        monthly(
            HEALTH_ID,
            (
                "/health up-time and response times (30 days)",
                "/health: Verfügbarkeit und Antwortzeiten (30 Tage)",
            ),
            (
                "Look at the Logs tab around the outages; keep scandyctl watch running as a \
                 service so the history is recorded.",
                "Im Reiter Logs die Zeit um die Ausfälle ansehen; scandyctl watch als Dienst \
                 laufen lassen, damit der Verlauf aufgezeichnet wird.",
            ),
        ),
        monthly(
            RESOURCES_ID,
            (
                "CPU and memory use (30 days)",
                "CPU- und Speicherauslastung (30 Tage)",
            ),
            (
                "Find the process that uses it (System tab); give the machine more memory or \
                 run fewer gunicorn workers.",
                "Den verursachenden Prozess suchen (Reiter System); dem Rechner mehr Speicher \
                 geben oder weniger gunicorn-Worker starten.",
            ),
        ),
        monthly(
            DATABASE_ID,
            (
                "Database latency, up-time and growth",
                "Datenbank: Latenz, Verfügbarkeit und Wachstum",
            ),
            (
                "Slow pings point at a busy or swapping server (System tab); unexpected growth \
                 at a collection that fills up (Database tab).",
                "Langsame Pings deuten auf einen ausgelasteten oder auslagernden Server \
                 (Reiter System); unerwartetes Wachstum auf eine volllaufende Collection \
                 (Reiter Datenbank).",
            ),
        ),
        monthly(
            SLOW_OPERATIONS_ID,
            ("Slow operations", "Langsame Operationen"),
            (
                "Look at the operation on the Database tab (it can be stopped there); a \
                 missing index is the usual cause (see SCY-DB-012).",
                "Die Operation im Reiter Datenbank ansehen (dort lässt sie sich beenden); \
                 meist fehlt ein Index (siehe SCY-DB-012).",
            ),
        ),
    ]
}

/// Runs the monthly item `id` (`None`: no such item).
pub async fn run_monthly(
    ctx: &CheckContext,
    _prior: &ChecklistsState,
    id: &str,
) -> Option<ItemRun> {
    use super::{
        mongo_exposure, os_updates, performance, security_backups, security_files, security_log,
    };
    Some(match id {
        FAILED_LOGINS_ID => security_log::failed_logins_item(ctx, id).await,
        ACCOUNTS_ID => security_log::accounts_item(ctx, id).await,
        ENV_MODE_ID => security_files::env_mode_item(ctx, id),
        EMERGENCY_ADMIN_ID => security_files::emergency_admin_item(ctx, id),
        MONGO_EXPOSURE_ID => mongo_exposure::mongo_exposure_item(ctx, id),
        BACKUP_ENCRYPTION_ID => security_backups::encryption_item(ctx, id).await,
        BACKUP_SECRETS_ID => security_backups::secrets_item(ctx, id).await,
        OS_UPDATES_ID => os_updates::os_updates_item(ctx, id).await,
        HEALTH_ID => performance::health_item(ctx, id),
        RESOURCES_ID => performance::resources_item(ctx, id),
        DATABASE_ID => performance::database_item(ctx, id).await,
        SLOW_OPERATIONS_ID => performance::slow_operations_item(ctx, id).await,
        _ => return None,
    })
}
