//! Application commands: Discord's rules at registration, and the check that an interaction a
//! test injects is one the registered commands allow.

use std::collections::HashSet;

use serde_json::Value;

use super::{chars, limits, refuse, Refusal};
use crate::{OptionValue, SlashCommand};

/// Devanagari and Thai, the scripts Discord's name regex adds (`\p{sc=Deva}\p{sc=Thai}`), so
/// their combining marks count too.
fn deva_or_thai(c: char) -> bool {
    matches!(c as u32, 0x0900..=0x097F | 0xA8E0..=0xA8FF | 0x11B00..=0x11B5F | 0x0E00..=0x0E7F)
}

/// Discord's documented rule for CHAT_INPUT command and option names:
/// `^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$`, lowercase where a letter has a lowercase form.
pub(crate) fn chat_input_name_problem(name: &str) -> Option<String> {
    let n = name.chars().count();
    if n == 0 || n > limits::NAME {
        return Some(format!("`{name}` is {n} characters; names are 1 to {}", limits::NAME));
    }
    for c in name.chars() {
        let allowed = c == '-' || c == '_' || c == '\'' || c.is_alphabetic() || c.is_numeric() || deva_or_thai(c);
        if !allowed {
            return Some(format!(
                "`{name}` holds `{c}`, which ^[-_'\\p{{L}}\\p{{N}}]{{1,32}}$ does not allow"
            ));
        }
        if c.to_lowercase().next() != Some(c) {
            return Some(format!("`{name}` holds `{c}`; names must be lowercase"));
        }
    }
    None
}

fn longest(v: &Value, key: &str) -> usize {
    let base = chars(v.get(key));
    let loc = v
        .get(format!("{key}_localizations"))
        .and_then(Value::as_object)
        .map(|m| m.values().map(|x| chars(Some(x))).max().unwrap_or(0))
        .unwrap_or(0);
    base.max(loc)
}

fn option_characters(o: &Value) -> usize {
    let mut n = longest(o, "name") + longest(o, "description");
    for c in o.get("choices").and_then(Value::as_array).into_iter().flatten() {
        n += longest(c, "name") + c.get("value").and_then(Value::as_str).map_or(0, |s| s.chars().count());
    }
    for sub in o.get("options").and_then(Value::as_array).into_iter().flatten() {
        n += option_characters(sub);
    }
    n
}

/// Characters Discord counts towards a command's 8,000: names, descriptions, choice names and
/// string values of the command and all its options, the longest localization of each.
pub(crate) fn command_characters(c: &Value) -> usize {
    longest(c, "name")
        + longest(c, "description")
        + c.get("options")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(option_characters)
            .sum::<usize>()
}

fn check_names(at: &str, v: &Value, chat_input: bool, out: &mut Vec<Refusal>) {
    let mut names = vec![v.get("name").and_then(Value::as_str).unwrap_or_default().to_string()];
    if let Some(m) = v.get("name_localizations").and_then(Value::as_object) {
        names.extend(m.values().filter_map(Value::as_str).map(String::from));
    }
    for name in names {
        if chat_input {
            if let Some(p) = chat_input_name_problem(&name) {
                out.push(refuse("command.name", format!("{at}: {p}")));
            }
        } else {
            let n = name.chars().count();
            if n == 0 || n > limits::NAME {
                out.push(refuse(
                    "command.name",
                    format!("{at}: `{name}` is {n} characters; names are 1 to 32"),
                ));
            }
        }
    }
}

fn check_description(at: &str, v: &Value, out: &mut Vec<Refusal>) {
    let mut texts = vec![chars(v.get("description"))];
    if let Some(m) = v.get("description_localizations").and_then(Value::as_object) {
        texts.extend(m.values().map(|x| chars(Some(x))));
    }
    for n in texts {
        if n == 0 || n > limits::DESCRIPTION {
            out.push(refuse(
                "command.description",
                format!(
                    "{at}: a description is {n} characters; Discord wants 1 to {}",
                    limits::DESCRIPTION
                ),
            ));
        }
    }
}

fn is_sub(o: &Value) -> bool {
    matches!(o.get("type").and_then(Value::as_u64), Some(1 | 2))
}

/// A list of options of a command (`depth` 0), a group (1) or a subcommand (2).
fn check_options(at: &str, options: &[Value], depth: u8, out: &mut Vec<Refusal>) {
    if options.len() > limits::OPTIONS {
        out.push(refuse(
            "command.options_count",
            format!("{at} has {} options; Discord allows {}", options.len(), limits::OPTIONS),
        ));
    }
    let subs = options.iter().filter(|o| is_sub(o)).count();
    if subs > 0 && subs < options.len() {
        out.push(refuse(
            "command.subcommand_mix",
            format!("{at} mixes subcommands or groups with plain options"),
        ));
    }
    let mut names = HashSet::new();
    let mut seen_optional = false;
    for (i, o) in options.iter().enumerate() {
        let name = o.get("name").and_then(Value::as_str).unwrap_or_default();
        let here = format!("{at} > {name}");
        if !names.insert(name) {
            out.push(refuse(
                "command.option_names_unique",
                format!("{at}: option `{name}` is there twice"),
            ));
        }
        let t = o.get("type").and_then(Value::as_u64).unwrap_or(0);
        match (t, depth) {
            (2, 0) => {}
            (2, _) => out.push(refuse(
                "command.subcommand_mix",
                format!("{here}: a group can only sit on the command"),
            )),
            (1, 0 | 1) => {}
            (1, _) => out.push(refuse(
                "command.subcommand_mix",
                format!("{here}: a subcommand cannot hold subcommands"),
            )),
            (_, 1) => out.push(refuse(
                "command.subcommand_mix",
                format!("{here}: a group holds only subcommands"),
            )),
            _ => {}
        }
        check_names(&here, o, true, out);
        check_description(&here, o, out);
        if !matches!(t, 1 | 2) {
            let required = o.get("required").and_then(Value::as_bool).unwrap_or(false);
            if required && seen_optional {
                out.push(refuse(
                    "command.required_first",
                    format!(
                        "{here} (option {i}) is required but follows an optional option; required options come first"
                    ),
                ));
            }
            seen_optional |= !required;
        }
        if let Some(choices) = o.get("choices").and_then(Value::as_array) {
            if choices.len() > limits::CHOICES {
                out.push(refuse(
                    "command.choices_count",
                    format!(
                        "{here} has {} choices; Discord allows {}",
                        choices.len(),
                        limits::CHOICES
                    ),
                ));
            }
            for c in choices {
                let n = chars(c.get("name"));
                let v = chars(c.get("value"));
                if n == 0 || n > limits::CHOICE_TEXT || v > limits::CHOICE_TEXT {
                    out.push(refuse(
                        "command.choice_length",
                        format!(
                            "{here}: a choice's name ({n}) or value ({v}) is outside 1 to {}",
                            limits::CHOICE_TEXT
                        ),
                    ));
                }
            }
        }
        if let Some(sub) = o.get("options").and_then(Value::as_array) {
            if matches!(t, 1 | 2) {
                check_options(&here, sub, if t == 2 { 1 } else { 2 }, out);
            }
        }
    }
}

/// One command as registered (POST, PATCH, or an element of a bulk PUT).
pub(crate) fn check_command(c: &Value, out: &mut Vec<Refusal>) {
    let kind = c.get("type").and_then(Value::as_u64).unwrap_or(1);
    let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
    let at = format!("/{name}");
    check_names(&at, c, kind == 1, out);
    if kind == 1 {
        check_description(&at, c, out);
        let options = c
            .get("options")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        check_options(&at, options, 0, out);
    } else if chars(c.get("description")) > 0 {
        out.push(refuse(
            "command.description",
            format!("{at}: user and message commands have an empty description"),
        ));
    }
    let total = command_characters(c);
    if total > limits::COMMAND_TOTAL {
        out.push(refuse(
            "command.total_length",
            format!(
                "{at} holds {total} characters in all; Discord allows {}",
                limits::COMMAND_TOTAL
            ),
        ));
    }
}

/// A bulk overwrite: every command, names unique per type, at most 100 chat input commands.
pub(crate) fn check_bulk(body: &Value, out: &mut Vec<Refusal>) {
    let Some(list) = body.as_array() else { return };
    let mut names = HashSet::new();
    let mut chat = 0;
    for c in list {
        let kind = c.get("type").and_then(Value::as_u64).unwrap_or(1);
        chat += usize::from(kind == 1);
        let name = c.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
        if !names.insert((kind, name.clone())) {
            out.push(refuse("command.names_unique", format!("/{name} is registered twice")));
        }
        check_command(c, out);
    }
    if chat > 100 {
        out.push(refuse(
            "commands.count",
            format!("{chat} chat input commands; Discord allows 100"),
        ));
    }
}

// ----- interactions a test injects -----------------------------------------------------------

fn option_type(v: &OptionValue) -> u64 {
    match v {
        OptionValue::String(_) => 3,
        OptionValue::Integer(_) => 4,
        OptionValue::Boolean(_) => 5,
        OptionValue::User(_) => 6,
        OptionValue::Channel(_) => 7,
        OptionValue::Role(_) => 8,
        OptionValue::Number(_) => 10,
        OptionValue::Attachment(_) => 11,
    }
}

fn find<'a>(options: &'a Value, name: &str) -> Option<&'a Value> {
    options
        .as_array()?
        .iter()
        .find(|o| o.get("name").and_then(Value::as_str) == Some(name))
}

/// Whether Discord's client could send this invocation of `registered`: the subcommand path
/// exists, every option exists with its type, required options are there, strings fit the
/// declared lengths and choices, numbers the declared range, and an autocomplete focus is on
/// an option that has `autocomplete`. `Err` says what the test got wrong.
pub(crate) fn check_invocation(registered: &Value, cmd: &SlashCommand, autocomplete: bool) -> Result<(), String> {
    let null = Value::Null;
    let mut level = registered;
    let mut path = format!("/{}", cmd.name);
    for p in &cmd.path {
        let Some(next) = find(level.get("options").unwrap_or(&null), p).filter(|o| is_sub(o)) else {
            return Err(format!("{path} has no subcommand or group `{p}`"));
        };
        level = next;
        path = format!("{path} {p}");
    }
    let options = level.get("options").cloned().unwrap_or(Value::Array(vec![]));
    if options.as_array().is_some_and(|a| a.iter().any(is_sub)) {
        return Err(format!(
            "{path} needs a subcommand; Discord never sends the bare command"
        ));
    }
    for (name, value) in &cmd.options {
        let Some(o) = find(&options, name) else {
            return Err(format!("{path} has no option `{name}`"));
        };
        let t = o.get("type").and_then(Value::as_u64).unwrap_or(0);
        let focused = autocomplete && cmd.focused.as_deref() == Some(name.as_str());
        if t != option_type(value) {
            return Err(format!(
                "{path} option `{name}` is of type {t}, the test gives {value:?}"
            ));
        }
        if focused {
            continue;
        }
        if let OptionValue::String(s) = value {
            let n = s.chars().count() as u64;
            let min = o.get("min_length").and_then(Value::as_u64).unwrap_or(0);
            let max = o.get("max_length").and_then(Value::as_u64).unwrap_or(6000);
            if n < min || n > max {
                return Err(format!(
                    "{path} option `{name}` takes {min} to {max} characters; the test gives {n}, which Discord's client does not send"
                ));
            }
        }
        let number = match value {
            OptionValue::Integer(i) => Some(*i as f64),
            OptionValue::Number(x) => Some(*x),
            _ => None,
        };
        if let Some(x) = number {
            let min = o.get("min_value").and_then(Value::as_f64);
            let max = o.get("max_value").and_then(Value::as_f64);
            if min.is_some_and(|m| x < m) || max.is_some_and(|m| x > m) {
                return Err(format!(
                    "{path} option `{name}` takes {min:?} to {max:?}; the test gives {x}"
                ));
            }
        }
        if let Some(choices) = o.get("choices").and_then(Value::as_array) {
            let given = match value {
                OptionValue::String(s) => Value::from(s.clone()),
                OptionValue::Integer(i) => Value::from(*i),
                OptionValue::Number(x) => Value::from(*x),
                _ => Value::Null,
            };
            let matches = choices.iter().any(|c| {
                c.get("value")
                    .is_some_and(|v| v == &given || (v.as_f64().is_some() && v.as_f64() == given.as_f64()))
            });
            if !matches {
                return Err(format!(
                    "{path} option `{name}` takes one of its choices; the test gives {given}"
                ));
            }
        }
    }
    if autocomplete {
        let Some(f) = &cmd.focused else {
            return Err(format!("{path}: an autocomplete interaction needs a focused option"));
        };
        let Some(o) = find(&options, f) else {
            return Err(format!("{path} has no option `{f}` to focus"));
        };
        if o.get("autocomplete").and_then(Value::as_bool) != Some(true) {
            return Err(format!("{path} option `{f}` has no autocomplete"));
        }
    } else {
        for o in options.as_array().into_iter().flatten() {
            let name = o.get("name").and_then(Value::as_str).unwrap_or_default();
            if o.get("required").and_then(Value::as_bool) == Some(true) && !cmd.options.iter().any(|(n, _)| n == name) {
                return Err(format!(
                    "{path} option `{name}` is required; Discord's client does not send the command without it"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_discords_documented_regex() {
        assert!(chat_input_name_problem("mentor").is_none());
        assert!(chat_input_name_problem("plan-list_2").is_none());
        assert!(chat_input_name_problem("don't").is_none());
        assert!(chat_input_name_problem("über").is_none());
        assert!(chat_input_name_problem("Mentor").is_some());
        assert!(chat_input_name_problem("two words").is_some());
        assert!(chat_input_name_problem("").is_some());
        assert!(chat_input_name_problem(&"a".repeat(33)).is_some());
    }
}
