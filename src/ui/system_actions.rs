//! The pure part of the System tab: moving the service selection, the process sort, and
//! the confirmation before a service restart (which runs as a job).

use super::action::{Command, SystemAction};
use super::dialogs::{Confirmation, Dialog};
use super::state::State;
use crate::i18n::Msg;
use crate::jobs::JobSpec;
use crate::system::services::ServiceTarget;

/// A key of the System tab.
pub fn on_action(state: &mut State, action: SystemAction) -> Vec<Command> {
    let lang = state.lang;
    match action {
        SystemAction::MoveService(delta) => {
            state.dirty |= state.system.move_service(delta);
        }
        SystemAction::ToggleSort => {
            state.system.sort_by_memory = !state.system.sort_by_memory;
            state.dirty = true;
        }
        SystemAction::Restart => {
            let Some(target) = state.system.selected_target().cloned() else {
                return Vec::new();
            };
            let statement = match &target {
                ServiceTarget::Systemd { unit } => format!("systemctl restart {unit}"),
                ServiceTarget::Docker { container } => format!("docker restart {container}"),
            };
            state.dialog = Some(Dialog::Confirm(Box::new(Confirmation {
                title: Msg::SysRestartTitle.fill(lang, &[&target.name()]),
                lines: vec![Msg::SysRestartText.text(lang).to_string()],
                warning: Some(Msg::SysRestartWarning.text(lang).to_string()),
                statements: vec![statement],
                spec: JobSpec::RestartService { target },
            })));
            state.dirty = true;
        }
    }
    Vec::new()
}
