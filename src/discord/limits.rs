//! Discord's limits, in one place. Every message the bot sends is built here: its text fitted to
//! Discord's 2,000 characters and its `allowed_mentions` set to exactly the people (or the
//! coordinator role) it means to ping, so that what a member typed (`@everyone`, a role, someone
//! else) is shown as typed and pings nobody.
//!
//! Builders lay their messages out within [`MESSAGE_MAX`] themselves, shortening long texts with
//! [`shorten`] and a pointer to where the text stands whole; the fitting here is the last guard,
//! never the layout.
use serenity::all::{
    CreateAllowedMentions, CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage, RoleId,
    UserId as SUserId,
};
use tracing::warn;

use crate::domain::ids::UserId;

/// Discord's limit on a message's text (the OpenAPI file says 4,000; Discord refuses a bot's
/// message over 2,000).
pub const MESSAGE_MAX: usize = 2000;
/// What a DM may fall back to in the relationship's thread puts a mention in front of it
/// (`<@` + up to 20 digits + `> `); DMs leave room for it.
pub const FALLBACK_MENTION: usize = 24;
/// The longest text of a DM.
pub const DM_MAX: usize = MESSAGE_MAX - FALLBACK_MENTION;
/// A form's title and a field's label.
pub const LABEL_MAX: usize = 45;
/// A button's label.
pub const BUTTON_LABEL_MAX: usize = 80;
/// A button's or form's custom id.
pub const CUSTOM_ID_MAX: usize = 100;
/// Buttons in one action row, and rows in one message.
pub const BUTTONS_PER_ROW: usize = 5;
pub const ROWS_MAX: usize = 5;
/// Users (or roles) one `allowed_mentions` may name.
pub const MENTIONS_MAX: usize = 100;

const ELLIPSIS: char = '…';

/// A text's length as Discord may count it: in UTF-16 code units, which is never less than its
/// characters, so a text that fits by this count fits by either.
pub fn len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// The longest prefix of `text` of at most `max` units, cut at a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += c.len_utf16();
        if used > max {
            return &text[..i];
        }
    }
    text
}

/// `text` cut to `max` with an ellipsis when longer.
pub fn fit(text: &str, max: usize) -> String {
    shorten(text, max, "")
}

/// `text` as it is when it fits in `max`, else cut with an ellipsis followed by `pointer`, a few
/// words that say where the text stands whole (e.g. " (in full: /mentorship list)").
pub fn shorten(text: &str, max: usize, pointer: &str) -> String {
    if len(text) <= max {
        return text.to_string();
    }
    let room = max.saturating_sub(len(pointer) + 1);
    if room == 0 {
        // Not even the pointer fits: the ellipsis alone says that something is missing.
        return if max == 0 { String::new() } else { ELLIPSIS.to_string() };
    }
    let kept = prefix(text, room).trim_end();
    format!("{kept}{ELLIPSIS}{pointer}")
}

/// Where [`place`] puts the text in its template.
pub const TEXT: &str = "{text}";

/// `template` with its [`TEXT`] marker replaced by `text`, shortened (with `pointer`) to what the
/// rest of the template leaves of `max`. For a message around one long text a member typed.
pub fn place(template: &str, text: &str, max: usize, pointer: &str) -> String {
    let (before, after) = template.split_once(TEXT).unwrap_or((template, ""));
    let room = max.saturating_sub(len(before) + len(after));
    format!("{before}{}{after}", shorten(text, room, pointer))
}

/// How much of `budget` each text gets: a text shorter than its fair share keeps all of it and
/// leaves the rest to the others (water filling). The result sums to at most `budget`.
pub fn shares(lengths: &[usize], budget: usize) -> Vec<usize> {
    let mut out = vec![0; lengths.len()];
    let mut open: Vec<usize> = (0..lengths.len()).collect();
    let mut left = budget;
    while !open.is_empty() {
        let share = left / open.len();
        let (small, big): (Vec<usize>, Vec<usize>) = open.iter().partition(|&&i| lengths[i] <= share);
        if small.is_empty() {
            for i in big {
                out[i] = share;
            }
            break;
        }
        for i in small {
            out[i] = lengths[i];
            left -= lengths[i];
        }
        open = big;
    }
    out
}

/// Whom a message pings. Anything else it mentions (users, roles, `@everyone`, `@here`) is shown
/// but pings nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pings {
    users: Vec<u64>,
    roles: Vec<u64>,
}

impl Pings {
    pub fn nobody() -> Self {
        Self::default()
    }

    pub fn users(users: impl IntoIterator<Item = UserId>) -> Self {
        let mut out = Self::default();
        for u in users {
            if !out.users.contains(&u.0) {
                out.users.push(u.0);
            }
        }
        out
    }

    pub fn role(role: u64) -> Self {
        Self {
            users: Vec::new(),
            roles: vec![role],
        }
    }

    /// The `allowed_mentions` object: `parse` empty, only the named users and roles.
    pub fn allowed(&self) -> CreateAllowedMentions {
        CreateAllowedMentions::new()
            .users(self.users.iter().take(MENTIONS_MAX).map(|u| SUserId::new(*u)))
            .roles(self.roles.iter().take(MENTIONS_MAX).map(|r| RoleId::new(*r)))
    }
}

/// The last guard: a text the layout let grow past `max` is cut, and the layout is logged as a
/// bug to fix.
fn guard(text: String, max: usize, what: &str) -> String {
    if len(&text) <= max {
        return text;
    }
    warn!(
        what,
        length = len(&text),
        max,
        "a message was laid out past Discord's limit; cut"
    );
    fit(&text, max)
}

/// A message for a channel or a thread, pinging exactly `pings`.
pub fn post(text: impl Into<String>, pings: &Pings) -> CreateMessage {
    CreateMessage::new()
        .content(guard(text.into(), MESSAGE_MAX, "post"))
        .allowed_mentions(pings.allowed())
}

/// A DM, with room for the mention the thread fallback puts in front. A DM pings nobody by
/// mentions (the DM itself notifies); the fallback pings its recipient ([`in_thread_for`]).
pub fn dm(text: impl Into<String>) -> CreateMessage {
    CreateMessage::new()
        .content(guard(text.into(), DM_MAX, "dm"))
        .allowed_mentions(Pings::nobody().allowed())
}

/// A DM that could not be delivered, posted in the relationship's thread instead: the text with
/// its recipient's mention in front, pinging the recipient only.
pub fn in_thread_for(message: CreateMessage, content: &str, user: UserId) -> CreateMessage {
    let text = format!("<@{}> {content}", user.0);
    message
        .content(guard(text, MESSAGE_MAX, "thread fallback"))
        .allowed_mentions(Pings::users([user]).allowed())
}

/// An answer only the person sees, as a slash command's reply (poise).
pub fn reply(text: impl Into<String>) -> poise::CreateReply {
    poise::CreateReply::default()
        .content(guard(text.into(), MESSAGE_MAX, "reply"))
        .ephemeral(true)
        .allowed_mentions(Pings::nobody().allowed())
}

/// An answer only the person sees, as the first response to a button or a form.
pub fn response(text: impl Into<String>) -> CreateInteractionResponseMessage {
    CreateInteractionResponseMessage::new()
        .content(guard(text.into(), MESSAGE_MAX, "response"))
        .ephemeral(true)
        .allowed_mentions(Pings::nobody().allowed())
}

/// A new text for the message a button sits on (a page turned): pings nobody.
pub fn update(text: impl Into<String>) -> CreateInteractionResponseMessage {
    CreateInteractionResponseMessage::new()
        .content(guard(text.into(), MESSAGE_MAX, "update"))
        .allowed_mentions(Pings::nobody().allowed())
}

/// An answer only the person sees, after a deferral or a first response.
pub fn followup(text: impl Into<String>) -> CreateInteractionResponseFollowup {
    CreateInteractionResponseFollowup::new()
        .content(guard(text.into(), MESSAGE_MAX, "followup"))
        .ephemeral(true)
        .allowed_mentions(Pings::nobody().allowed())
}

/// Splits `lines` into pages of at most `max` units each: `header`, as many whole lines as fit,
/// and room for a footer of [`FOOTER_MAX`] units. A line longer than a page is shortened.
pub fn paginate(header: &str, lines: &[String], max: usize) -> Vec<String> {
    let body_max = max.saturating_sub(len(header) + 1 + FOOTER_MAX);
    let mut pages = Vec::new();
    let mut page = String::new();
    for line in lines {
        let line = fit(line, body_max);
        let needed = len(&line) + usize::from(!page.is_empty());
        if !page.is_empty() && len(&page) + needed > body_max {
            pages.push(std::mem::take(&mut page));
        }
        if !page.is_empty() {
            page.push('\n');
        }
        page.push_str(&line);
    }
    if !page.is_empty() || pages.is_empty() {
        pages.push(page);
    }
    pages
        .into_iter()
        .map(|body| {
            if header.is_empty() {
                body
            } else if body.is_empty() {
                header.to_string()
            } else {
                format!("{header}\n{body}")
            }
        })
        .collect()
}

/// Room kept on each page for "Page 12 of 34".
pub const FOOTER_MAX: usize = 40;

/// The footer of page `index` (from 0) of `count`.
pub fn footer(index: usize, count: usize) -> String {
    format!("\n-# Page {} of {count}", index + 1)
}

/// A list cut to what fits in `max` units when joined by `sep`, with "and N more" for the rest;
/// the flag says whether it was cut.
pub fn and_more(items: &[String], sep: &str, max: usize) -> (String, bool) {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let candidate = if out.is_empty() {
            item.clone()
        } else {
            format!("{out}{sep}{item}")
        };
        let rest = items.len() - i - 1;
        let tail = if rest == 0 {
            0
        } else {
            len(&format!("{sep}and {rest} more"))
        };
        if len(&candidate) + tail > max {
            let more = items.len() - i;
            if out.is_empty() {
                // Not even the first fits whole: it is shortened, and the rest counted.
                let tail = if more > 1 {
                    format!("{sep}and {} more", more - 1)
                } else {
                    String::new()
                };
                return (format!("{}{tail}", fit(item, max.saturating_sub(len(&tail)))), true);
            }
            return (fit(&format!("{out}{sep}and {more} more"), max), true);
        }
        out = candidate;
    }
    (out, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_stay_and_long_ones_end_with_an_ellipsis_and_the_pointer() {
        assert_eq!(shorten("hello", 5, " (more)"), "hello");
        let long = "x".repeat(3000);
        let cut = shorten(&long, 100, " (in full: /mentorship list)");
        assert_eq!(len(&cut), 100);
        assert!(cut.ends_with("… (in full: /mentorship list)"), "{cut}");
        // Characters outside the basic plane count twice and are never split.
        let emoji = "🎉".repeat(1500);
        let cut = fit(&emoji, 2000);
        assert!(len(&cut) <= 2000 && cut.ends_with('…'));
        assert_eq!(fit("abc", 0), "");
    }

    #[test]
    fn a_placed_text_fills_what_the_template_leaves() {
        let t = format!("Purpose: {TEXT}. The end.");
        assert_eq!(place(&t, "short", 100, " (more)"), "Purpose: short. The end.");
        let out = place(&t, &"p".repeat(1000), 100, " (more)");
        assert_eq!(len(&out), 100);
        assert!(out.ends_with("… (more). The end."), "{out}");
        // A member's text that contains the marker is not a template.
        assert_eq!(place(&t, TEXT, 100, ""), format!("Purpose: {TEXT}. The end."));
    }

    #[test]
    fn shares_leave_short_texts_whole_and_split_the_rest() {
        assert_eq!(shares(&[10, 1000, 1000], 610), vec![10, 300, 300]);
        assert_eq!(shares(&[10, 20], 100), vec![10, 20]);
        assert_eq!(shares(&[], 100), Vec::<usize>::new());
        let s = shares(&[1000; 9], 1300);
        assert!(s.iter().sum::<usize>() <= 1300 && s.iter().all(|&x| x == 144), "{s:?}");
    }

    #[test]
    fn pages_hold_whole_lines_within_the_limit() {
        let lines: Vec<String> = (0..60).map(|i| format!("{i}: {}", "y".repeat(180))).collect();
        let pages = paginate("**Header**", &lines, MESSAGE_MAX);
        assert!(pages.len() > 5);
        for p in &pages {
            assert!(len(p) + FOOTER_MAX <= MESSAGE_MAX, "{}", len(p));
            assert!(p.starts_with("**Header**\n"));
        }
        let joined: Vec<&str> = pages.iter().flat_map(|p| p.lines().skip(1)).collect();
        assert_eq!(joined.len(), 60, "every line once, none split");
        assert_eq!(paginate("Nothing here.", &[], MESSAGE_MAX), vec!["Nothing here."]);
        let huge = vec!["z".repeat(5000)];
        let pages = paginate("", &huge, MESSAGE_MAX);
        assert_eq!(pages.len(), 1);
        assert!(len(&pages[0]) <= MESSAGE_MAX - FOOTER_MAX);
    }

    #[test]
    fn lists_end_with_and_n_more() {
        let items: Vec<String> = (0..30).map(|i| format!("item{i:02}")).collect();
        let (text, cut) = and_more(&items, ", ", 60);
        assert!(cut && len(&text) <= 60, "{text}");
        assert!(text.starts_with("item00, item01") && text.ends_with("more"), "{text}");
        let n: usize = text
            .rsplit("and ")
            .next()
            .unwrap()
            .trim_end_matches(" more")
            .parse()
            .unwrap();
        assert_eq!(text.matches("item").count() + n, 30);
        assert_eq!(and_more(&items[..2], ", ", 60), ("item00, item01".to_string(), false));
        let long = vec!["x".repeat(100), "y".into()];
        let (text, cut) = and_more(&long, ", ", 40);
        assert!(cut && len(&text) <= 40 && text.ends_with("…, and 1 more"), "{text}");
    }

    /// Every message the bot sends is built here: a builder made elsewhere would carry no
    /// `allowed_mentions` and no fitting.
    #[test]
    fn no_message_is_built_outside_this_module() {
        let raw = [
            "CreateMessage::new(",
            "CreateReply::default(",
            "CreateReply::new(",
            "CreateInteractionResponseMessage::new(",
            "CreateInteractionResponseFollowup::new(",
            "EditInteractionResponse::new(",
            "EditMessage::new(",
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut stack = vec![dir];
        let mut found = Vec::new();
        let mut files = 0;
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("discord/limits.rs") {
                    files += 1;
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        if raw.iter().any(|r| line.contains(r)) {
                            found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                        }
                    }
                }
            }
        }
        assert!(files > 50, "the sources were read");
        assert!(
            found.is_empty(),
            "build these with discord::limits:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn pings_name_exactly_whom_they_mean() {
        let v = serde_json::to_value(Pings::nobody().allowed()).unwrap();
        assert_eq!(v, serde_json::json!({"parse": [], "users": [], "roles": []}));
        let v = serde_json::to_value(Pings::users([UserId(5), UserId(5), UserId(7)]).allowed()).unwrap();
        assert_eq!(v, serde_json::json!({"parse": [], "users": ["5", "7"], "roles": []}));
        let v = serde_json::to_value(Pings::role(9).allowed()).unwrap();
        assert_eq!(v, serde_json::json!({"parse": [], "users": [], "roles": ["9"]}));
    }
}
