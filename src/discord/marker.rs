//! A job's marker on each message it sends, so a retry can recognise the copy an earlier
//! attempt sent (and crashed before recording) once Discord has forgotten its nonce: the
//! marker is the job's nonce for that recipient, stable across attempts, whatever the text
//! (a digest's counts, say) has become since.
//!
//! A message with buttons carries it at the end of each button's custom id, after
//! [`SEPARATOR`] (which [`super::ids::CustomId::parse`] ignores); one without buttons carries
//! it in a small last line of its text.
use serenity::all::{ActionRowComponent, Button, ButtonKind, CreateActionRow, CreateButton, Message};

use super::limits;

/// Between a custom id and the marker appended to it.
pub const SEPARATOR: char = '~';

/// The line a message without buttons ends with.
fn line(marker: &str) -> String {
    format!("\n-# ref {marker}")
}

/// `text` with the marker's line at its end, shortened first so both fit in `max` characters.
pub fn text_with(text: &str, marker: &str, max: usize) -> String {
    let line = line(marker);
    let room = max.saturating_sub(limits::len(&line));
    format!("{}{line}", limits::fit(text, room))
}

/// `text` with the marker's line at its end, if both fit in `max` characters.
pub fn text_if_fits(text: &str, marker: &str, max: usize) -> Option<String> {
    let with = format!("{text}{}", line(marker));
    (limits::len(&with) <= max).then_some(with)
}

/// The buttons with the marker appended to each custom id (link buttons stay as they are).
pub fn rows_with(rows: &[CreateActionRow], marker: &str) -> Vec<CreateActionRow> {
    rows.iter()
        .map(|row| match row {
            CreateActionRow::Buttons(buttons) => {
                CreateActionRow::Buttons(buttons.iter().map(|b| button_with(b, marker)).collect())
            }
            other => other.clone(),
        })
        .collect()
}

fn button_with(button: &CreateButton, marker: &str) -> CreateButton {
    // The builder keeps its fields private; its JSON is the model's, which has them.
    let parsed = serde_json::to_value(button)
        .ok()
        .and_then(|v| serde_json::from_value::<Button>(v).ok());
    match parsed {
        Some(mut b) => {
            if let ButtonKind::NonLink { custom_id, .. } = &mut b.data {
                custom_id.push(SEPARATOR);
                custom_id.push_str(marker);
            }
            CreateButton::from(b)
        }
        None => button.clone(),
    }
}

/// Whether `message` carries `marker` (in a custom id or in its last line).
pub fn carries(message: &Message, marker: &str) -> bool {
    let suffix = format!("{SEPARATOR}{marker}");
    let in_buttons = message.components.iter().flat_map(|r| &r.components).any(|c| match c {
        ActionRowComponent::Button(Button {
            data: ButtonKind::NonLink { custom_id, .. },
            ..
        }) => custom_id.ends_with(&suffix),
        _ => false,
    });
    in_buttons || message.content.ends_with(&line(marker))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serenity::all::ButtonStyle;

    #[test]
    fn buttons_keep_label_and_style_and_gain_the_marker() {
        let rows = vec![CreateActionRow::Buttons(vec![CreateButton::new("mb:met:1:2:3")
            .label("We met")
            .style(ButtonStyle::Success)])];
        let marked = rows_with(&rows, "mbj16.x");
        let v = serde_json::to_value(&marked[0]).unwrap();
        assert_eq!(v["components"][0]["custom_id"], "mb:met:1:2:3~mbj16.x");
        assert_eq!(v["components"][0]["label"], "We met");
        assert_eq!(v["components"][0]["style"], 3);
    }

    #[test]
    fn the_line_fits_the_limit() {
        let long = "x".repeat(3000);
        let text = text_with(&long, "mbj16.x", limits::DM_MAX);
        assert_eq!(limits::len(&text), limits::DM_MAX);
        assert!(text.ends_with("\n-# ref mbj16.x"));
        assert_eq!(text_with("hi", "m", 100), "hi\n-# ref m");
    }
}
