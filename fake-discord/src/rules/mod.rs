//! The stand-in's own judge: Discord's rules that the OpenAPI description cannot express, checked
//! on request bodies before anything changes (messages, components, embeds, modals,
//! autocomplete answers, command registration). Each refusal names its rule; the request is
//! answered 400 / 50035 "Invalid Form Body", as Discord answers it.

pub(crate) mod commands;

use std::collections::HashSet;

use serde_json::Value;

/// Discord's limits, as its documentation states them.
pub mod limits {
    /// Message content, on create and edit (Discord: "up to 2000 characters").
    pub const CONTENT: usize = 2000;
    /// Action rows in a message (non-V2 components).
    pub const ACTION_ROWS: usize = 5;
    /// Buttons in one action row.
    pub const BUTTONS_PER_ROW: usize = 5;
    /// A component's `custom_id`.
    pub const CUSTOM_ID: usize = 100;
    /// A button's label.
    pub const BUTTON_LABEL: usize = 80;
    /// Options of a string select menu.
    pub const SELECT_OPTIONS: usize = 25;
    /// A select option's label, value and description.
    pub const SELECT_OPTION_TEXT: usize = 100;
    /// A select menu's placeholder.
    pub const SELECT_PLACEHOLDER: usize = 150;
    /// Embeds in a message.
    pub const EMBEDS: usize = 10;
    /// Characters in all embeds of a message together.
    pub const EMBED_TOTAL: usize = 6000;
    /// Modal title and text input labels.
    pub const MODAL_TITLE: usize = 45;
    /// Rows of a modal.
    pub const MODAL_ROWS: usize = 5;
    /// A text input's value, min_length and max_length.
    pub const TEXT_INPUT_LENGTH: usize = 4000;
    /// A text input's placeholder.
    pub const TEXT_INPUT_PLACEHOLDER: usize = 100;
    /// Autocomplete choices and command option choices.
    pub const CHOICES: usize = 25;
    /// A choice's name and string value.
    pub const CHOICE_TEXT: usize = 100;
    /// Options of a command, subcommand or group.
    pub const OPTIONS: usize = 25;
    /// Characters of a command in all (names, descriptions, choices; longest localization).
    pub const COMMAND_TOTAL: usize = 8000;
    /// A command's or option's description.
    pub const DESCRIPTION: usize = 100;
    /// A command's or option's name.
    pub const NAME: usize = 32;
    /// Interaction tokens stay valid this long after the interaction (seconds).
    pub const TOKEN_SECONDS: u64 = 15 * 60;
}

/// One rule a body broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub rule: String,
    pub detail: String,
}

pub(crate) fn refuse(rule: &str, detail: impl Into<String>) -> Refusal {
    Refusal {
        rule: rule.to_string(),
        detail: detail.into(),
    }
}

/// What a request body is, by method and path (after `/api/v10`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyKind {
    /// A message created or edited: channel messages, follow-ups, `@original` edits.
    Message,
    /// `POST /interactions/{id}/{token}/callback`.
    Callback,
    /// `PUT .../commands` (bulk overwrite).
    Commands,
    /// `POST .../commands` or `PATCH .../commands/{id}`.
    Command,
}

pub(crate) fn body_kind(method: &str, path: &str) -> Option<BodyKind> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (method, segs.as_slice()) {
        ("POST", ["channels", _, "messages"])
        | ("PATCH", ["channels", _, "messages", _])
        | ("POST", ["webhooks", _, _])
        | ("PATCH", ["webhooks", _, _, "messages", _]) => Some(BodyKind::Message),
        ("POST", ["interactions", _, _, "callback"]) => Some(BodyKind::Callback),
        ("PUT", ["applications", _, "commands"]) | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            Some(BodyKind::Commands)
        }
        ("POST", ["applications", _, "commands"])
        | ("POST", ["applications", _, "guilds", _, "commands"])
        | ("PATCH", ["applications", _, "commands", _])
        | ("PATCH", ["applications", _, "guilds", _, "commands", _]) => Some(BodyKind::Command),
        _ => None,
    }
}

/// Checks a body by the rules of its kind.
pub(crate) fn check(kind: BodyKind, body: &Value) -> Vec<Refusal> {
    let mut out = Vec::new();
    match kind {
        BodyKind::Message => check_message(body, &mut out),
        BodyKind::Callback => check_callback(body, &mut out),
        BodyKind::Commands => commands::check_bulk(body, &mut out),
        BodyKind::Command => commands::check_command(body, &mut out),
    }
    out
}

pub(crate) fn chars(v: Option<&Value>) -> usize {
    v.and_then(Value::as_str).map_or(0, |s| s.chars().count())
}

fn too_long(out: &mut Vec<Refusal>, rule: &str, what: &str, v: Option<&Value>, max: usize) {
    let n = chars(v);
    if n > max {
        out.push(refuse(rule, format!("{what} is {n} characters; Discord allows {max}")));
    }
}

/// `IS_COMPONENTS_V2`: the message is made of layout components, not action rows.
const COMPONENTS_V2: u64 = 1 << 15;

/// A message body (create or edit, channel or webhook, or an interaction's message data).
pub(crate) fn check_message(body: &Value, out: &mut Vec<Refusal>) {
    too_long(
        out,
        "message.content_length",
        "content",
        body.get("content"),
        limits::CONTENT,
    );
    if let Some(embeds) = body.get("embeds").and_then(Value::as_array) {
        check_embeds(embeds, out);
    }
    let v2 = body.get("flags").and_then(Value::as_u64).unwrap_or(0) & COMPONENTS_V2 != 0;
    if let (Some(c), false) = (body.get("components"), v2) {
        check_components(c, out);
    }
    if let Some(am) = body.get("allowed_mentions").filter(|v| !v.is_null()) {
        check_allowed_mentions(am, out);
    }
}

fn check_callback(body: &Value, out: &mut Vec<Refusal>) {
    let null = Value::Null;
    let data = body.get("data").unwrap_or(&null);
    match body.get("type").and_then(Value::as_u64) {
        Some(4 | 7) => check_message(data, out),
        Some(5) => {
            let flags = data.get("flags").and_then(Value::as_u64).unwrap_or(0);
            if flags & !64 != 0 {
                out.push(refuse(
                    "interaction.deferral_flags",
                    format!("a deferred response may only set EPHEMERAL (64); flags are {flags}"),
                ));
            }
        }
        Some(8) => check_autocomplete(data, out),
        Some(9) => check_modal(data, out),
        _ => {}
    }
}

fn check_embeds(embeds: &[Value], out: &mut Vec<Refusal>) {
    if embeds.len() > limits::EMBEDS {
        out.push(refuse(
            "embeds.count",
            format!("{} embeds; Discord allows {}", embeds.len(), limits::EMBEDS),
        ));
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let part = |k: &str, max: usize, out: &mut Vec<Refusal>, v: Option<&Value>| {
            too_long(out, "embed.field_length", &format!("embeds[{i}].{k}"), v, max);
            chars(v)
        };
        total += part("title", 256, out, e.get("title"));
        total += part("description", 4096, out, e.get("description"));
        total += part("footer.text", 2048, out, e.pointer("/footer/text"));
        total += part("author.name", 256, out, e.pointer("/author/name"));
        let fields = e
            .get("fields")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if fields.len() > 25 {
            out.push(refuse(
                "embed.field_length",
                format!("embeds[{i}] has {} fields; Discord allows 25", fields.len()),
            ));
        }
        for (j, f) in fields.iter().enumerate() {
            total += part(&format!("fields[{j}].name"), 256, out, f.get("name"));
            total += part(&format!("fields[{j}].value"), 1024, out, f.get("value"));
        }
    }
    if total > limits::EMBED_TOTAL {
        out.push(refuse(
            "embeds.total_length",
            format!(
                "the embeds hold {total} characters in all; Discord allows {}",
                limits::EMBED_TOTAL
            ),
        ));
    }
}

fn is_select(t: u64) -> bool {
    matches!(t, 3 | 5 | 6 | 7 | 8)
}

fn check_components(components: &Value, out: &mut Vec<Refusal>) {
    let Some(rows) = components.as_array() else {
        return;
    };
    if rows.len() > limits::ACTION_ROWS {
        out.push(refuse(
            "components.rows",
            format!("{} action rows; Discord allows {}", rows.len(), limits::ACTION_ROWS),
        ));
    }
    let mut ids = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let t = row.get("type").and_then(Value::as_u64).unwrap_or(0);
        if t != 1 {
            out.push(refuse(
                "components.top_level",
                format!("components[{i}] is of type {t}; a message's top level holds action rows (1)"),
            ));
            continue;
        }
        let children = row
            .get("components")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if children.is_empty() {
            out.push(refuse("components.row_size", format!("action row {i} is empty")));
        }
        let selects = children
            .iter()
            .filter(|c| c.get("type").and_then(Value::as_u64).is_some_and(is_select))
            .count();
        if selects > 0 && children.len() > 1 {
            out.push(refuse(
                "select.one_per_row",
                format!(
                    "action row {i} holds a select menu and {} other component(s); a select menu fills its row",
                    children.len() - 1
                ),
            ));
        } else if children.len() > limits::BUTTONS_PER_ROW {
            out.push(refuse(
                "components.row_size",
                format!(
                    "action row {i} holds {} buttons; Discord allows {}",
                    children.len(),
                    limits::BUTTONS_PER_ROW
                ),
            ));
        }
        for (j, c) in children.iter().enumerate() {
            let at = format!("components[{i}].components[{j}]");
            let ct = c.get("type").and_then(Value::as_u64).unwrap_or(0);
            if let Some(id) = c.get("custom_id").and_then(Value::as_str) {
                if !ids.insert(id.to_string()) {
                    out.push(refuse(
                        "components.custom_id_unique",
                        format!("{at}: custom_id `{id}` is used twice in one message"),
                    ));
                }
            }
            too_long(
                out,
                "components.custom_id_length",
                &format!("{at}.custom_id"),
                c.get("custom_id"),
                limits::CUSTOM_ID,
            );
            match ct {
                2 => check_button(&at, c, out),
                t if is_select(t) => check_select(&at, c, out),
                4 => out.push(refuse(
                    "components.text_input_in_message",
                    format!("{at} is a text input; text inputs belong in modals"),
                )),
                t => out.push(refuse(
                    "components.unknown",
                    format!("{at} is of type {t}, which an action row cannot hold"),
                )),
            }
        }
    }
}

fn check_button(at: &str, b: &Value, out: &mut Vec<Refusal>) {
    let has = |k: &str| b.get(k).is_some_and(|v| !v.is_null());
    let style = b.get("style").and_then(Value::as_u64).unwrap_or(0);
    if has("custom_id") && has("url") {
        out.push(refuse(
            "button.custom_id_or_url",
            format!("{at}: a button has a custom_id or a url, never both"),
        ));
    } else if style == 5 && !has("url") {
        out.push(refuse(
            "button.custom_id_or_url",
            format!("{at}: a link button (style 5) needs a url"),
        ));
    } else if (1..=4).contains(&style) && !has("custom_id") {
        out.push(refuse(
            "button.custom_id_or_url",
            format!("{at}: a button of style {style} needs a custom_id"),
        ));
    } else if (1..=4).contains(&style) && has("url") {
        out.push(refuse(
            "button.custom_id_or_url",
            format!("{at}: only link buttons (style 5) carry a url"),
        ));
    }
    too_long(
        out,
        "button.label_length",
        &format!("{at}.label"),
        b.get("label"),
        limits::BUTTON_LABEL,
    );
}

fn check_select(at: &str, s: &Value, out: &mut Vec<Refusal>) {
    if s.get("type").and_then(Value::as_u64) == Some(3) {
        let options = s
            .get("options")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if options.is_empty() || options.len() > limits::SELECT_OPTIONS {
            out.push(refuse(
                "select.options",
                format!(
                    "{at}: a string select has {} options; Discord wants 1 to {}",
                    options.len(),
                    limits::SELECT_OPTIONS
                ),
            ));
        }
        for (k, o) in options.iter().enumerate() {
            for f in ["label", "value", "description"] {
                too_long(
                    out,
                    "select.option_length",
                    &format!("{at}.options[{k}].{f}"),
                    o.get(f),
                    limits::SELECT_OPTION_TEXT,
                );
            }
            for f in ["label", "value"] {
                if chars(o.get(f)) == 0 {
                    out.push(refuse(
                        "select.option_length",
                        format!("{at}.options[{k}].{f} is empty"),
                    ));
                }
            }
        }
    }
    too_long(
        out,
        "select.placeholder_length",
        &format!("{at}.placeholder"),
        s.get("placeholder"),
        limits::SELECT_PLACEHOLDER,
    );
    let min = s.get("min_values").and_then(Value::as_u64);
    let max = s.get("max_values").and_then(Value::as_u64);
    if min.is_some_and(|m| m > 25) || max.is_some_and(|m| m == 0 || m > 25) || min.zip(max).is_some_and(|(a, b)| a > b)
    {
        out.push(refuse(
            "select.values_range",
            format!("{at}: min_values {min:?} / max_values {max:?} outside 0..=25 / 1..=25"),
        ));
    }
}

fn check_allowed_mentions(am: &Value, out: &mut Vec<Refusal>) {
    let parse: Vec<&str> = am
        .get("parse")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (kind, list) in [("users", "users"), ("roles", "roles")] {
        let n = am.get(list).and_then(Value::as_array).map_or(0, Vec::len);
        if parse.contains(&kind) && n > 0 {
            out.push(refuse(
                "allowed_mentions.parse_conflict",
                format!("allowed_mentions: parse holds `{kind}` and `{list}` lists ids; they are mutually exclusive"),
            ));
        }
        if n > 100 {
            out.push(refuse(
                "allowed_mentions.list_length",
                format!("allowed_mentions.{list} holds {n} ids; Discord allows 100"),
            ));
        }
    }
}

fn check_autocomplete(data: &Value, out: &mut Vec<Refusal>) {
    let choices = data
        .get("choices")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if choices.len() > limits::CHOICES {
        out.push(refuse(
            "autocomplete.choices",
            format!("{} choices; Discord allows {}", choices.len(), limits::CHOICES),
        ));
    }
    for (i, c) in choices.iter().enumerate() {
        let n = chars(c.get("name"));
        if n == 0 || n > limits::CHOICE_TEXT {
            out.push(refuse(
                "autocomplete.choice_length",
                format!(
                    "choices[{i}].name is {n} characters; Discord wants 1 to {}",
                    limits::CHOICE_TEXT
                ),
            ));
        }
        too_long(
            out,
            "autocomplete.choice_length",
            &format!("choices[{i}].value"),
            c.get("value"),
            limits::CHOICE_TEXT,
        );
    }
}

fn check_text_input(at: &str, t: &Value, in_label: bool, out: &mut Vec<Refusal>) {
    too_long(
        out,
        "components.custom_id_length",
        &format!("{at}.custom_id"),
        t.get("custom_id"),
        limits::CUSTOM_ID,
    );
    if !in_label && chars(t.get("label")) == 0 {
        out.push(refuse(
            "modal.label_length",
            format!("{at}: a text input in an action row needs a label"),
        ));
    }
    too_long(
        out,
        "modal.label_length",
        &format!("{at}.label"),
        t.get("label"),
        limits::MODAL_TITLE,
    );
    too_long(
        out,
        "modal.text_input",
        &format!("{at}.value"),
        t.get("value"),
        limits::TEXT_INPUT_LENGTH,
    );
    too_long(
        out,
        "modal.text_input",
        &format!("{at}.placeholder"),
        t.get("placeholder"),
        limits::TEXT_INPUT_PLACEHOLDER,
    );
    let min = t.get("min_length").and_then(Value::as_u64);
    let max = t.get("max_length").and_then(Value::as_u64);
    let cap = limits::TEXT_INPUT_LENGTH as u64;
    if min.is_some_and(|m| m > cap)
        || max.is_some_and(|m| m == 0 || m > cap)
        || min.zip(max).is_some_and(|(a, b)| a > b)
    {
        out.push(refuse(
            "modal.text_input",
            format!("{at}: min_length {min:?} / max_length {max:?} outside 0..=4000 / 1..=4000"),
        ));
    }
    // A prefilled value longer than the input takes is refused, not cut: Discord checks it
    // against the input's own max_length.
    let value = chars(t.get("value")) as u64;
    if let Some(m) = max.filter(|m| value > *m) {
        out.push(refuse(
            "modal.text_input",
            format!("{at}: the value is {value} characters; its max_length is {m}"),
        ));
    }
    if !matches!(t.get("style").and_then(Value::as_u64), Some(1 | 2)) {
        out.push(refuse(
            "modal.text_input",
            format!("{at}: style must be 1 (short) or 2 (paragraph)"),
        ));
    }
}

fn check_modal(data: &Value, out: &mut Vec<Refusal>) {
    let title = chars(data.get("title"));
    if title == 0 || title > limits::MODAL_TITLE {
        out.push(refuse(
            "modal.title_length",
            format!(
                "the title is {title} characters; Discord wants 1 to {}",
                limits::MODAL_TITLE
            ),
        ));
    }
    let id = chars(data.get("custom_id"));
    if id == 0 || id > limits::CUSTOM_ID {
        out.push(refuse(
            "modal.custom_id_length",
            format!(
                "the custom_id is {id} characters; Discord wants 1 to {}",
                limits::CUSTOM_ID
            ),
        ));
    }
    let rows = data
        .get("components")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if rows.is_empty() || rows.len() > limits::MODAL_ROWS {
        out.push(refuse(
            "modal.rows",
            format!("{} rows; a modal holds 1 to {}", rows.len(), limits::MODAL_ROWS),
        ));
    }
    let mut ids = HashSet::new();
    for (i, row) in rows.iter().enumerate() {
        let at = format!("components[{i}]");
        match row.get("type").and_then(Value::as_u64) {
            Some(1) => {
                let children = row
                    .get("components")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                let inputs = children
                    .iter()
                    .filter(|c| c.get("type").and_then(Value::as_u64) == Some(4))
                    .count();
                if children.len() != 1 || inputs != 1 {
                    out.push(refuse(
                        "modal.one_input_per_row",
                        format!(
                            "{at} holds {} component(s); a modal row holds exactly one text input",
                            children.len()
                        ),
                    ));
                }
                for (j, c) in children.iter().enumerate() {
                    if c.get("type").and_then(Value::as_u64) == Some(4) {
                        check_text_input(&format!("{at}.components[{j}]"), c, false, out);
                    }
                    if let Some(id) = c.get("custom_id").and_then(Value::as_str) {
                        if !ids.insert(id.to_string()) {
                            out.push(refuse(
                                "components.custom_id_unique",
                                format!("custom_id `{id}` is used twice"),
                            ));
                        }
                    }
                }
            }
            Some(18) => {
                too_long(
                    out,
                    "modal.label_length",
                    &format!("{at}.label"),
                    row.get("label"),
                    limits::MODAL_TITLE,
                );
                if chars(row.get("label")) == 0 {
                    out.push(refuse("modal.label_length", format!("{at}: a label needs its text")));
                }
                too_long(
                    out,
                    "modal.label_length",
                    &format!("{at}.description"),
                    row.get("description"),
                    100,
                );
                match row.get("component") {
                    Some(c) if c.get("type").and_then(Value::as_u64) == Some(4) => {
                        check_text_input(&format!("{at}.component"), c, true, out)
                    }
                    Some(c) if c.get("type").and_then(Value::as_u64).is_some_and(is_select) => {
                        check_select(&format!("{at}.component"), c, out)
                    }
                    _ => out.push(refuse(
                        "modal.one_input_per_row",
                        format!("{at}: a label holds one text input or select menu"),
                    )),
                }
            }
            Some(10) => {}
            t => out.push(refuse(
                "modal.one_input_per_row",
                format!("{at} is of type {t:?}; a modal holds action rows with one text input, or labels"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_by_route() {
        assert_eq!(body_kind("POST", "/channels/1/messages"), Some(BodyKind::Message));
        assert_eq!(
            body_kind("PATCH", "/webhooks/1/t/messages/@original"),
            Some(BodyKind::Message)
        );
        assert_eq!(
            body_kind("POST", "/interactions/1/t/callback"),
            Some(BodyKind::Callback)
        );
        assert_eq!(
            body_kind("PUT", "/applications/1/guilds/2/commands"),
            Some(BodyKind::Commands)
        );
        assert_eq!(body_kind("GET", "/channels/1/messages"), None);
    }

    #[test]
    fn content_of_exactly_2000_passes_and_2001_does_not() {
        let ok = check(BodyKind::Message, &json!({"content": "é".repeat(2000)}));
        assert!(ok.is_empty(), "{ok:?}");
        let bad = check(BodyKind::Message, &json!({"content": "é".repeat(2001)}));
        assert_eq!(bad[0].rule, "message.content_length");
    }
}
