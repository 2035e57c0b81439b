//! The second, independent judge: twilight-validate (with twilight-model) run on the parts of a
//! body it has types for: content, components, embeds, modals, autocomplete choices, commands.
//! Where a request body lacks a field twilight's type requires, a placeholder is put in
//! (`version` and `type` of a command, `type` of an embed). Where twilight and Discord's
//! documentation disagree, the documentation decides ([`DISAGREEMENTS`]); the refusal is then
//! noted as overruled, not recorded as a violation.

use serde::de::DeserializeOwned;
use serde_json::Value;
use twilight_model::application::command::{Command, CommandOptionChoice};
use twilight_model::channel::message::{Component, Embed};
use twilight_validate::command::CommandValidationErrorType;
use twilight_validate::{command, component, message};

use crate::rules::{
    commands::chat_input_name_problem, commands::command_characters, limits, refuse, BodyKind, Refusal,
};

/// Where twilight-validate 0.18 and Discord's documentation disagree; Discord's documentation
/// decides: `(twilight's check, what Discord's documentation says)`.
pub const DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "twilight:command::command (CommandTooLarge, 4000 characters)",
        "Application Commands, limits: a command holds at most 8000 characters in all (names, descriptions, choices)",
    ),
    (
        "twilight:command::options (NameCharacterInvalid: `'` and Devanagari/Thai marks)",
        "Application Command Naming: ^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$",
    ),
];

/// What the judge concluded: refusals it stands by, and refusals Discord's documentation overrules.
#[derive(Default)]
pub(crate) struct Verdict {
    pub refusals: Vec<Refusal>,
    pub overruled: Vec<Refusal>,
}

fn read<T: DeserializeOwned>(what: &str, v: &Value, out: &mut Verdict) -> Option<T> {
    match serde_json::from_value(v.clone()) {
        Ok(x) => Some(x),
        Err(e) => {
            out.refusals.push(refuse(
                "twilight:model",
                format!("twilight-model cannot read the {what}: {e}"),
            ));
            None
        }
    }
}

pub(crate) fn check(kind: BodyKind, body: &Value) -> Verdict {
    let mut out = Verdict::default();
    let null = Value::Null;
    match kind {
        BodyKind::Message => check_message(body, &mut out),
        BodyKind::Callback => {
            let data = body.get("data").unwrap_or(&null);
            match body.get("type").and_then(Value::as_u64) {
                Some(4 | 7) => check_message(data, &mut out),
                Some(8) => check_choices(data, &mut out),
                Some(9) => check_modal(data, &mut out),
                _ => {}
            }
        }
        BodyKind::Commands => {
            for c in body.as_array().into_iter().flatten() {
                check_command(c, &mut out);
            }
        }
        BodyKind::Command => check_command(body, &mut out),
    }
    out
}

fn check_message(body: &Value, out: &mut Verdict) {
    if let Some(c) = body.get("content").and_then(Value::as_str) {
        if let Err(e) = message::content(c) {
            out.refusals.push(refuse("twilight:message::content", e.to_string()));
        }
    }
    if let Some(embeds) = body.get("embeds").filter(|e| e.is_array()) {
        // A request's embeds carry no `type`; twilight's Embed requires one.
        let mut with_type = embeds.clone();
        for e in with_type.as_array_mut().into_iter().flatten() {
            if let Some(o) = e.as_object_mut() {
                o.entry("type").or_insert_with(|| Value::from("rich"));
                o.retain(|_, v| !v.is_null());
            }
        }
        if let Some(embeds) = read::<Vec<Embed>>("embeds", &with_type, out) {
            if let Err(e) = message::embeds(&embeds) {
                out.refusals.push(refuse("twilight:message::embeds", e.to_string()));
            }
        }
    }
    if let Some(c) = body.get("components").filter(|c| c.is_array()) {
        let v2 = body.get("flags").and_then(Value::as_u64).unwrap_or(0) & (1 << 15) != 0;
        if let Some(components) = read::<Vec<Component>>("components", c, out) {
            if let Err(e) = message::components(&components, v2) {
                out.refusals.push(refuse("twilight:message::components", e.to_string()));
            }
        }
    }
}

fn check_modal(data: &Value, out: &mut Verdict) {
    let Some(rows) = data.get("components").filter(|c| c.is_array()) else {
        return;
    };
    let Some(components) = read::<Vec<Component>>("modal components", rows, out) else {
        return;
    };
    if components.len() > twilight_validate::component::COMPONENT_COUNT {
        out.refusals.push(refuse(
            "twilight:component::COMPONENT_COUNT",
            format!("a modal of {} rows", components.len()),
        ));
    }
    for c in &components {
        let r = match c {
            Component::ActionRow(row) => component::action_row(row, false),
            Component::Label(label) => component::label(label),
            other => component::component_v2(other),
        };
        if let Err(e) = r {
            out.refusals.push(refuse("twilight:component", e.to_string()));
        }
    }
}

fn check_choices(data: &Value, out: &mut Verdict) {
    let Some(choices) = data.get("choices").filter(|c| c.is_array()) else {
        return;
    };
    let Some(choices) = read::<Vec<CommandOptionChoice>>("autocomplete choices", choices, out) else {
        return;
    };
    if choices.len() > command::CHOICES_LIMIT {
        out.refusals.push(refuse(
            "twilight:command::CHOICES_LIMIT",
            format!(
                "{} autocomplete choices; twilight allows {}",
                choices.len(),
                command::CHOICES_LIMIT
            ),
        ));
    }
    for c in &choices {
        if let Err(e) = command::choice(c) {
            out.refusals.push(refuse("twilight:command::choice", e.to_string()));
        }
    }
}

/// Whether Discord's documentation overrules this refusal of twilight's for this command.
fn overruled(kind: &CommandValidationErrorType, c: &Value) -> bool {
    match kind {
        CommandValidationErrorType::CommandTooLarge { .. } => command_characters(c) <= limits::COMMAND_TOTAL,
        CommandValidationErrorType::NameCharacterInvalid { character } => {
            // Discord allows it if the name it sits in passes the documented regex.
            let mut names = Vec::new();
            collect_names(c, &mut names);
            names
                .iter()
                .filter(|n| n.contains(*character))
                .all(|n| chat_input_name_problem(n).is_none())
        }
        _ => false,
    }
}

fn collect_names(v: &Value, out: &mut Vec<String>) {
    if let Some(n) = v.get("name").and_then(Value::as_str) {
        out.push(n.to_string());
    }
    if let Some(m) = v.get("name_localizations").and_then(Value::as_object) {
        out.extend(m.values().filter_map(Value::as_str).map(String::from));
    }
    for o in v.get("options").and_then(Value::as_array).into_iter().flatten() {
        collect_names(o, out);
    }
}

fn check_command(c: &Value, out: &mut Verdict) {
    // A request body has no `version` (Discord assigns it) and may leave `type` and
    // `description` out; twilight's Command requires them.
    let mut v = c.clone();
    if let Some(o) = v.as_object_mut() {
        o.insert("version".into(), Value::from("1"));
        o.entry("type").or_insert_with(|| Value::from(1));
        o.entry("description").or_insert_with(|| Value::from(""));
        o.retain(|_, x| !x.is_null());
    }
    let Some(cmd) = read::<Command>("command", &v, out) else {
        return;
    };
    let name = &cmd.name;
    for (check, r) in [
        ("twilight:command::command", command::command(&cmd)),
        ("twilight:command::options", command::options(&cmd.options)),
    ] {
        if let Err(e) = r {
            let refusal = refuse(check, format!("/{name}: {e}"));
            if overruled(e.kind(), c) {
                out.overruled.push(refusal);
            } else {
                out.refusals.push(refusal);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn twilight_reads_what_serenity_sends() {
        let body = json!({
            "content": "hi",
            "embeds": [{"title": "t", "fields": [{"name": "a", "value": "b", "inline": false}]}],
            "components": [{"type": 1, "components": [
                {"type": 2, "style": 1, "custom_id": "x", "label": "X"},
                {"type": 2, "style": 5, "url": "https://example.com", "label": "Y"}
            ]}],
        });
        let v = check(BodyKind::Message, &body);
        assert!(v.refusals.is_empty(), "{:?}", v.refusals);
    }
}
