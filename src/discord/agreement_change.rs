//! The Suggest a change button of an agreement's message and its form (issue 16, item 9).
//! Discord's modals hold five text inputs with labels of at most 45 characters, so the form
//! asks the five parts people change most; the zone of the next meeting, up to 32 characters,
//! goes in its placeholder.
use serenity::all::{ButtonStyle, CreateActionRow, CreateButton, CreateInputText, CreateModal, InputTextStyle};

use super::commands::text_field;
use super::ids::{Action, CustomId};
use super::limits;
use crate::domain::ids::{GuildId, RelationshipId};
use crate::engine::agreement_change::ChangeForm;

/// The frequency's input (its canonical text is far shorter).
const FREQUENCY_MAX: u16 = 100;
/// `YYYY-MM-DD HH:MM`.
const MEETING_MAX: u16 = 16;
/// "in person", with room.
const METHOD_MAX: u16 = 20;

pub fn button(guild: GuildId, rel: RelationshipId) -> CreateButton {
    CreateButton::new(CustomId::on(Action::SuggestChange, guild, rel).encode())
        .label("Suggest a change")
        .style(ButtonStyle::Secondary)
}

/// A value that fits its input (Discord refuses the whole form otherwise).
fn within(value: &str, max: u16) -> String {
    value.chars().take(usize::from(max)).collect()
}

pub fn form(f: &ChangeForm) -> CreateModal {
    let zone = f.zone.name();
    CreateModal::new(
        CustomId::on(Action::SuggestChangeForm, f.rel.guild, f.rel.id).encode(),
        limits::fit(&format!("Suggest a change to #{}", f.rel.number), limits::LABEL_MAX),
    )
    .components(vec![
        text_field(
            "expectations",
            "What do you expect (of both of you)?",
            true,
            true,
            1000,
            Some(&within(&f.expectations, 1000)),
        ),
        text_field(
            "issue_handling",
            "How will you handle issues?",
            true,
            true,
            1000,
            Some(&within(&f.issue_handling, 1000)),
        ),
        text_field(
            "frequency",
            "How often: weekly, every 2 weeks, monthly",
            false,
            true,
            FREQUENCY_MAX,
            Some(&within(&f.frequency, FREQUENCY_MAX)),
        ),
        CreateActionRow::InputText(
            CreateInputText::new(
                InputTextStyle::Short,
                "Next meeting, in your own time zone",
                "next_meeting",
            )
            .required(true)
            .max_length(MEETING_MAX)
            .placeholder(format!("YYYY-MM-DD HH:MM in {zone}"))
            .value(within(&f.next_meeting, MEETING_MAX)),
        ),
        text_field(
            "method",
            "Method: voice, video, text or in person",
            false,
            true,
            METHOD_MAX,
            Some(&within(&f.method, METHOD_MAX)),
        ),
    ])
}
