//! `/mentor help`: the commands by phase, and the check that every command a message names is
//! one Discord shows (issue 16: no dead ends).
use super::{say, BotError, Ctx};

/// The commands by phase of a mentorship, short enough for one message.
pub const HELP: &str = "**Mentoring, step by step**
**1. You:** /mentor profile (time zone, availability; matching needs it), /mentor pause and /mentor resume \
(your participation), /mentor notifications (mute reminders, nudges or the halfway prompt; your own \
reminder times), /mentor my-data, /mentor forget.
**2. Finding a match:** /mentor seek (ask for a mentor), /mentor offer (offer to mentor), /mentor suggest \
(people who fit), /mentor request and /mentor offer-to (ask one person), /mentor peer-group, /mentor withdraw.
**3. Invitations:** the Accept and Decline buttons in your DMs (or /mentorship answer); /mentorship withdraw \
takes back one you sent; /mentorship list shows every mentorship and its next step.
**4. The agreement:** /mentorship agreement (to change it, type only what changes), then everyone presses \
Confirm.
**5. Working together:** /mentorship plan add, /mentorship plan step, /mentorship plan done, /mentorship plan \
undo, /mentorship plan drop, /mentorship plan rename, /mentorship plan list; /mentorship checkin after a \
meeting; /mentorship journal write, /mentorship journal list, /mentorship journal share, /mentorship journal \
export; /mentorship pause and /mentorship resume.
The `mentorship`, goal, step and entry options suggest your own as you type; with one mentorship in progress \
you can leave `mentorship` out.
**6. The end:** /mentorship end (it asks first; in a peer group that goes on, you leave it), then the Write my \
retrospective and Find me another buttons.
**Organisers:** /program setup, /program match preview, /program match publish, /program stats.";

/// The commands by phase.
#[poise::command(slash_command, guild_only)]
pub async fn help(ctx: Ctx<'_>) -> Result<(), BotError> {
    say(ctx, HELP).await
}

/// A command as registered: its name and its subcommands.
#[derive(Debug, Clone)]
pub struct CommandTree {
    pub name: String,
    pub children: Vec<CommandTree>,
}

impl CommandTree {
    /// The bot's registered commands.
    pub fn registered() -> Vec<CommandTree> {
        fn tree(c: &poise::Command<crate::discord::reply::Data, BotError>) -> CommandTree {
            CommandTree {
                name: c.name.to_string(),
                children: c.subcommands.iter().map(tree).collect(),
            }
        }
        super::all().iter().map(tree).collect()
    }
}

/// Every `/command subcommand` that `text` names and that is not a registered command path
/// (a leaf: something Discord lets a person run). Words after `/` that are no top-level command
/// ("and/or", links) are prose and not checked.
pub fn unknown_paths(text: &str, commands: &[CommandTree]) -> Vec<String> {
    let mut bad = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c != '/' || (i > 0 && !matches!(chars[i - 1], ' ' | '\n' | '`' | '(' | '*' | '"' | '\'')) {
            continue;
        }
        let rest: String = chars[i + 1..].iter().collect();
        let mut words = rest
            .split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '-' || ch == '_'))
            .take_while(|w| !w.is_empty());
        // Only words separated by single spaces belong to the command.
        let head: String = rest
            .chars()
            .take_while(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | ' '))
            .collect();
        let spaced: Vec<&str> = head.split(' ').take(4).collect();
        let Some(root) = words.next() else { continue };
        let Some(mut node) = commands.iter().find(|t| t.name == root) else {
            continue;
        };
        let mut path = vec![root.to_string()];
        let mut k = 1;
        while !node.children.is_empty() {
            let next = spaced
                .get(k)
                .map(|w| w.trim_end_matches(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')));
            match next.and_then(|w| node.children.iter().find(|t| t.name == w)) {
                Some(child) => {
                    path.push(child.name.clone());
                    node = child;
                    k += 1;
                }
                // A top-level command named alone ("allow /program for the role") is the whole
                // command, as Discord's permission settings list it.
                None if k == 1 && next.is_none_or(str::is_empty) => break,
                None => {
                    path.push(next.unwrap_or("").to_string());
                    bad.push(format!("/{}", path.join(" ").trim_end()));
                    break;
                }
            }
        }
    }
    bad
}

/// The keys of a recorded request body whose strings people read: message text, embeds,
/// buttons, forms, autocomplete choices and command descriptions.
const READ_KEYS: [&str; 7] = [
    "content",
    "description",
    "value",
    "title",
    "label",
    "placeholder",
    "text",
];

fn read_texts<'a>(v: &'a serde_json::Value, key: Option<&str>, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::String(s) if key.is_some_and(|k| READ_KEYS.contains(&k)) => out.push(s),
        serde_json::Value::Array(items) => items.iter().for_each(|i| read_texts(i, key, out)),
        serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| read_texts(v, Some(k), out)),
        _ => {}
    }
}

/// Every `/command subcommand` that a request of a stand-in recording (`FAKE_DISCORD_RECORD`,
/// one JSON line per request) names and that is not a registered command path: (line number,
/// path). Lines that are not JSON are reported with the path `unreadable line`.
pub fn unknown_paths_in_record(record: &str, commands: &[CommandTree]) -> Vec<(usize, String)> {
    let mut bad = Vec::new();
    for (i, line) in record.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let Ok(request) = serde_json::from_str::<serde_json::Value>(line) else {
            bad.push((i + 1, "unreadable line".to_string()));
            continue;
        };
        let mut texts = Vec::new();
        if let Some(body) = request.get("body") {
            read_texts(body, None, &mut texts);
        }
        for text in texts {
            for path in unknown_paths(text, commands) {
                if !bad.iter().any(|(_, p)| *p == path) {
                    bad.push((i + 1, path));
                }
            }
        }
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_checked_line_by_line() {
        let commands = CommandTree::registered();
        let record = [
            r#"{"method": "POST", "path": "/api/v10/channels/1/messages", "body": {"content": "Try /mentorship plan list."}}"#,
            r#"{"method": "POST", "path": "/api/v10/interactions/1/t/callback", "body": {"type": 4, "data": {"embeds": [{"description": "Run /mentorship resumes"}]}}}"#,
            r#"{"method": "PATCH", "path": "/api/v10/channels/2", "body": {"archived": false}}"#,
            r#"{"method": "POST", "path": "/api/v10/channels/3/messages", "body": {"components": [{"type": 1, "components": [{"type": 2, "label": "See /program nothing"}]}]}}"#,
            "",
            r#"{"method": "GET", "path": "/api/v10/users/@me", "body": null}"#,
        ]
        .join("\n");
        assert_eq!(
            unknown_paths_in_record(&record, &commands),
            vec![
                (2, "/mentorship resumes".to_string()),
                (4, "/program nothing".to_string())
            ]
        );
        assert_eq!(
            unknown_paths_in_record("not json", &commands),
            vec![(1, "unreadable line".to_string())]
        );
    }

    #[test]
    fn help_names_only_registered_commands() {
        let commands = CommandTree::registered();
        assert_eq!(unknown_paths(HELP, &commands), Vec::<String>::new());
        assert!(crate::discord::limits::len(HELP) <= 2000);
        // The check finds a command that does not exist, and leaves prose alone.
        assert_eq!(
            unknown_paths("Resume with /mentorship resumes, or `/mentorship plan`.", &commands),
            vec!["/mentorship resumes", "/mentorship plan"]
        );
        assert!(unknown_paths("and/or /mentor profile first, /nothing here", &commands).is_empty());
        assert!(unknown_paths("For them to use /program, allow it.", &commands).is_empty());
        assert_eq!(unknown_paths("Try /program stat.", &commands), vec!["/program stat"]);
    }

    /// Every refusal of the engine names a command or button that helps.
    #[test]
    fn every_refusal_names_a_way_forward() {
        use crate::domain::listing::Kind;
        use crate::domain::relationship::{RelationshipError as R, State};
        use crate::engine::Error;
        let commands = CommandTree::registered();
        let mut errors = vec![
            Error::Relationship(R::NotMember),
            Error::Relationship(R::NotInvited),
            Error::Relationship(R::AlreadyAnswered),
            Error::Relationship(R::SelfPairing),
            Error::Relationship(R::DuplicateMember),
            Error::Relationship(R::GroupSize { min: 3, max: 8, got: 9 }),
            Error::Relationship(R::PairShape(Kind::Peer)),
            Error::Relationship(R::CapacityFull),
            Error::Relationship(R::AlreadyLive { kind: Kind::Classic }),
            Error::Relationship(R::StaleAgreement { given: 1, latest: 2 }),
            Error::Relationship(R::NoAgreement),
            Error::Relationship(R::AlreadyConfirmed(1)),
            Error::Relationship(R::TooManyOwn(20)),
            Error::Relationship(R::TooManyOther(20)),
        ];
        for thing in [
            "mentorship",
            "goal",
            "step",
            "journal entry",
            "check-in",
            "agreement",
            "offer",
            "request",
        ] {
            errors.push(Error::NotFound(thing));
        }
        for action in [
            "accept",
            "decline",
            "pause",
            "resume",
            "end",
            "write an agreement for",
            "confirm the agreement of",
        ] {
            for state in [
                State::Proposed,
                State::Accepted,
                State::Declined,
                State::Expired,
                State::Agreeing,
                State::Active,
                State::Paused,
                State::Ended,
            ] {
                errors.push(Error::Relationship(R::WrongState { action, state }));
            }
        }
        for e in errors {
            let text = e.user_message();
            let names_one = text.contains(" /") || text.contains("button") || text.contains("Mention");
            assert!(names_one, "no way forward in: {text}");
            assert_eq!(unknown_paths(&text, &commands), Vec::<String>::new(), "{text}");
        }
    }
}
