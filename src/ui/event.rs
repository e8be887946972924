//! The input task: terminal events and clock ticks become actions.

use std::time::{Duration, Instant};

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use super::action::Action;

/// How often the clock ticks (drives countdowns; redraws only on visible change).
pub const TICK_INTERVAL: Duration = Duration::from_millis(500);

/// Reads terminal events and ticks until the receiver goes away.
pub async fn run_input(tx: UnboundedSender<Action>) {
    let mut events = EventStream::new();
    let mut ticks = tokio::time::interval(TICK_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let action = tokio::select! {
            _ = ticks.tick() => Some(Action::Tick(Instant::now())),
            event = events.next() => match event {
                Some(Ok(event)) => translate(event),
                Some(Err(err)) => Some(Action::TaskFailed { task: "terminal input".into(), message: err.to_string() }),
                None => return,
            },
        };
        if let Some(action) = action
            && tx.send(action).is_err()
        {
            return;
        }
    }
}

/// Maps a terminal event to an action; events the console ignores give `None`.
pub fn translate(event: Event) -> Option<Action> {
    match event {
        Event::Key(key) => Some(Action::Key(key)),
        Event::Mouse(mouse) => Some(Action::Mouse(mouse)),
        Event::Resize(width, height) => Some(Action::Resize(width, height)),
        _ => None,
    }
}
