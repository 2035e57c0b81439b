//! Who a message pings, worked out as Discord does: mentions in the content (`<@id>`, `<@!id>`,
//! `<@&id>`, `@everyone`, `@here`) filtered by `allowed_mentions`, plus the author of the
//! message replied to (`message_reference`) when `replied_user` allows it.
//!
//! Without `allowed_mentions` Discord parses everything and pings the replied-to author. With
//! it, only what `parse` names (`users`, `roles`, `everyone`) or what its `users` / `roles`
//! lists hold pings, and the replied-to author only with `replied_user: true`. The bot has
//! every permission in a guild here (as its interactions' `app_permissions` say), so it may
//! mention `@everyone`, `@here` and every role; nobody is pinged in a DM but its recipient.

use serde_json::Value;

use crate::model::Pinged;
use crate::state::State;

fn ids_after(content: &str, prefix: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut rest = content;
    while let Some(i) = rest.find(prefix) {
        rest = &rest[i + prefix.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !digits.is_empty() && rest[digits.len()..].starts_with('>') {
            if let Ok(id) = digits.parse() {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
        }
    }
    out
}

fn id_list(v: Option<&Value>) -> Vec<u64> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().and_then(|s| s.parse().ok()).or_else(|| x.as_u64()))
                .collect()
        })
        .unwrap_or_default()
}

/// The pings of a message body posted by the bot in `channel_id`.
pub(crate) fn pinged(st: &State, channel_id: u64, body: &Value) -> Pinged {
    let content = body.get("content").and_then(Value::as_str).unwrap_or_default();
    let am = body.get("allowed_mentions").filter(|v| !v.is_null());
    let parse: Vec<&str> = match am {
        None => vec!["users", "roles", "everyone"],
        Some(am) => am
            .get("parse")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default(),
    };
    let allowed_users = id_list(am.and_then(|a| a.get("users")));
    let allowed_roles = id_list(am.and_then(|a| a.get("roles")));
    let replied_user = match am {
        None => true,
        Some(am) => am.get("replied_user").and_then(Value::as_bool).unwrap_or(false),
    };
    let channel = st.channels.get(&channel_id);
    let guild = channel.and_then(|c| c.guild_id).and_then(|g| st.guilds.get(&g));
    let can_be_pinged = |user: u64| match (guild, channel) {
        (Some(g), _) => g.members.contains_key(&user),
        (None, Some(c)) => c.recipient_id == Some(user),
        (None, None) => false,
    };

    let mut out = Pinged::default();
    let mut users = ids_after(content, "<@");
    for u in ids_after(content, "<@!") {
        if !users.contains(&u) {
            users.push(u);
        }
    }
    for u in users {
        if (parse.contains(&"users") || allowed_users.contains(&u)) && can_be_pinged(u) && u != st.bot.id {
            out.users.push(u);
        }
    }
    if let Some(g) = guild {
        for r in ids_after(content, "<@&") {
            let exists = g.guild.roles.iter().any(|x| x.id == r);
            if exists && (parse.contains(&"roles") || allowed_roles.contains(&r)) {
                out.roles.push(r);
            }
        }
        if parse.contains(&"everyone") {
            out.everyone = content.contains("@everyone");
            out.here = content.contains("@here");
        }
    }
    if replied_user {
        let replied = body
            .pointer("/message_reference/message_id")
            .and_then(|v| v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_u64()))
            .and_then(|id: u64| st.message(id))
            .map(|m| m.author_id);
        if let Some(author) = replied.filter(|a| *a != st.bot.id && *a != st.app_id && can_be_pinged(*a)) {
            if !out.users.contains(&author) {
                out.users.push(author);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::ids_after;

    #[test]
    fn mentions_are_found_in_content() {
        assert_eq!(ids_after("hi <@12> and <@&34> <@!56>", "<@"), vec![12]);
        assert_eq!(ids_after("hi <@12> and <@&34> <@!56>", "<@&"), vec![34]);
        assert_eq!(ids_after("hi <@12> and <@&34> <@!56>", "<@!"), vec![56]);
        assert!(ids_after("<@12", "<@").is_empty());
    }
}
