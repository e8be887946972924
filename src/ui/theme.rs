//! Colours and styles used across the console.

use ratatui::style::{Color, Modifier, Style};

/// Style of the active tab label.
pub fn tab_active() -> Style {
    Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD)
}

/// Style of inactive tab labels.
pub fn tab_inactive() -> Style {
    Style::new().fg(Color::Gray)
}

/// Style of the brand label.
pub fn brand() -> Style {
    Style::new()
        .fg(Color::White)
        .bg(Color::Blue)
        .add_modifier(Modifier::BOLD)
}

/// Style of field labels in key/value panels.
pub fn label() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// Style for good states.
pub fn ok() -> Style {
    Style::new().fg(Color::Green).add_modifier(Modifier::BOLD)
}

/// Style for warnings.
pub fn warn() -> Style {
    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
}

/// Style for failures.
pub fn bad() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

/// Style of the status line.
pub fn status_line() -> Style {
    Style::new().fg(Color::Gray).bg(Color::DarkGray)
}

/// Style of muted explanatory text.
pub fn muted() -> Style {
    Style::new().fg(Color::Gray)
}
