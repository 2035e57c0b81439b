//! Listings longer than one message: each is read again for the page asked for, laid out in
//! pages that fit Discord's limit, and turned with Previous / Next buttons that only the person
//! who asked can use. The buttons carry the listing, the asker and the page in their custom id,
//! so they keep working after a restart.
use serenity::all::{
    ButtonStyle, ComponentInteraction, Context, CreateActionRow, CreateButton, CreateInteractionResponse,
};

use super::bot::Bot;
use super::ids::{Action, CustomId};
use super::limits::{self, MESSAGE_MAX};
use super::render::{self, mention};
use super::reply::{Answerable, BotError};
use crate::domain::ids::{GuildId, RelationshipId, UserId};
use crate::engine::members::Presser;

/// What a paged answer lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// `/mentorship list`.
    Mentorships = 1,
    /// `/mentor withdraw what:offer`.
    Offers = 2,
    /// `/mentor withdraw what:request`.
    Requests = 3,
    /// `/mentorship plan list` (argument: the mentorship).
    Plan = 4,
    /// `/mentorship journal list` (argument: the mentorship, or 0 for all).
    Journal = 5,
    /// An agreement's texts in full (arguments: the mentorship and the version).
    Agreement = 6,
    /// A celebration's notes in full (argument: the mentorship).
    Celebration = 7,
}

impl Listing {
    const ALL: [Listing; 7] = [
        Listing::Mentorships,
        Listing::Offers,
        Listing::Requests,
        Listing::Plan,
        Listing::Journal,
        Listing::Agreement,
        Listing::Celebration,
    ];

    fn from_number(n: u64) -> Option<Listing> {
        Self::ALL.into_iter().find(|l| *l as u64 == n)
    }
}

/// One paged answer: what, in which server, for whom, with which arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged {
    pub listing: Listing,
    pub guild: GuildId,
    pub asker: UserId,
    pub args: Vec<u64>,
}

impl Paged {
    pub fn new(listing: Listing, guild: GuildId, asker: UserId, args: &[u64]) -> Self {
        Self {
            listing,
            guild,
            asker,
            args: args.to_vec(),
        }
    }

    /// The custom id of the button that shows page `page`.
    fn button_id(&self, page: usize) -> String {
        let mut numbers = vec![self.listing as u64, self.guild.0, self.asker.0, page as u64];
        numbers.extend(&self.args);
        CustomId::new(Action::Page, &numbers).encode()
    }

    fn parse(id: &CustomId) -> Option<(Paged, usize)> {
        match id.numbers.as_slice() {
            [listing, guild, asker, page, args @ ..] => Some((
                Paged::new(Listing::from_number(*listing)?, GuildId(*guild), UserId(*asker), args),
                usize::try_from(*page).ok()?,
            )),
            _ => None,
        }
    }

    fn arg(&self, i: usize) -> Result<u64, BotError> {
        self.args.get(i).copied().ok_or_else(|| {
            BotError::user("This button is no longer valid; run the command again (/mentor help lists them).")
        })
    }
}

/// One page of an answer: its text and its Previous / Next buttons (none when it all fits).
pub struct Page {
    pub text: String,
    pub rows: Vec<CreateActionRow>,
}

/// The header and the lines of a listing, read now. Each line fits a page; a long entry is
/// several lines, kept in order.
async fn lines(bot: &Bot, p: &Paged) -> Result<(String, Vec<String>), BotError> {
    let engine = &bot.engine;
    let (g, me) = (p.guild, p.asker);
    Ok(match p.listing {
        Listing::Mentorships => {
            let rels = engine.relationships(g, me).await?;
            let header = if rels.is_empty() {
                "You have no mentorships yet. Start with /mentor seek, /mentor offer or /mentor request.".to_string()
            } else {
                format!("**Your mentorships** ({}):", rels.len())
            };
            let mut lines = Vec::with_capacity(rels.len());
            for r in &rels {
                let ctx = engine.next_context(r, me).await?;
                lines.push(render::relationship_line(r, me, &ctx));
            }
            (header, lines)
        }
        Listing::Offers => {
            let offers = engine.offers_of(g, me).await?;
            let mut lines = Vec::new();
            for (n, o) in (1..).zip(&offers) {
                lines.push(format!("**#{n}** ({}): {}", o.status.as_str(), o.topics.join(", ")));
                lines.extend(paragraphs(&o.purpose));
            }
            (listing_header("offers", offers.len()), lines)
        }
        Listing::Requests => {
            let requests = engine.requests_of(g, me).await?;
            let mut lines = Vec::new();
            for (n, r) in (1..).zip(&requests) {
                lines.push(format!("**#{n}** ({}): {}", r.status.as_str(), r.goals.join(", ")));
                lines.extend(paragraphs(&r.purpose));
            }
            (listing_header("requests", requests.len()), lines)
        }
        Listing::Plan => {
            let rel = RelationshipId(p.arg(0)? as i64);
            let goals = engine.plan(g, rel, me).await?;
            if goals.is_empty() {
                return Ok((
                    "The plan is empty. Add a goal with /mentorship plan add.".to_string(),
                    Vec::new(),
                ));
            }
            let mut lines = Vec::new();
            let steps = crate::engine::numbers::numbered_steps(&goals);
            for (n, goal) in (1..).zip(&goals) {
                lines.push(format!("**Goal {n}** {} ({})", goal.title, goal.status));
                for (number, _, s) in steps.iter().filter(|(_, g, _)| g.id == goal.id) {
                    let owner = s.owner.map(|u| format!(" {}", mention(u))).unwrap_or_default();
                    let due = s.due.map(|d| format!(" due {d}")).unwrap_or_default();
                    lines.push(format!("- step {number}: {} ({}){owner}{due}", s.text, s.status));
                }
            }
            let number = engine.mentorship_number(g, rel).await?;
            (format!("**The plan of mentorship #{number}**"), lines)
        }
        Listing::Journal => {
            let rel = p.arg(0)?;
            let rel = (rel > 0).then_some(RelationshipId(rel as i64));
            let entries = engine.journal(g, me, rel).await?;
            if entries.is_empty() {
                return Ok((
                    "No journal entries yet. Write one with /mentorship journal write.".to_string(),
                    Vec::new(),
                ));
            }
            // Your own entries carry their number in your journal (the one /mentorship journal
            // share takes); the others' shared entries carry none.
            let mine: std::collections::HashMap<_, _> = engine
                .my_journal_numbered(g, me)
                .await?
                .into_iter()
                .map(|(n, e)| (e.id, n))
                .collect();
            let numbers = engine.mentorship_numbers(g, me).await?;
            let mut lines = Vec::new();
            for e in entries.iter().rev() {
                let head = match mine.get(&e.id) {
                    Some(n) if e.author == me => format!("**Entry {n}** by you"),
                    _ => format!("**Shared entry** by {}", mention(e.author)),
                };
                let shared = if e.shared { ", shared" } else { "" };
                lines.push(format!(
                    "{head} (mentorship #{}, <t:{}:D>{shared})",
                    numbers.get(&e.relationship).copied().unwrap_or_default(),
                    e.created_at.timestamp()
                ));
                for a in &e.answers {
                    lines.push(format!("*{}* {}", a.question, a.answer));
                }
            }
            (format!("**Journal** ({} entries, newest first)", entries.len()), lines)
        }
        Listing::Agreement => {
            let rel = engine.relationship_for(g, RelationshipId(p.arg(0)? as i64), me).await?;
            let version = p.arg(1)? as u32;
            let a = rel.agreements.iter().find(|a| a.version == version).ok_or_else(|| {
                BotError::user(
                    "That version of the agreement no longer exists; /mentorship list shows your mentorships.",
                )
            })?;
            let mut lines = Vec::new();
            for e in &a.terms.expectations {
                lines.push(format!("**{} expects:**", mention(e.user)));
                lines.extend(paragraphs(&e.text));
            }
            lines.push("**If issues come up:**".to_string());
            lines.extend(paragraphs(&a.terms.issue_handling));
            (
                format!(
                    "**Agreement for mentorship #{}, version {}, in full**",
                    rel.number, a.version
                ),
                lines,
            )
        }
        Listing::Celebration => {
            let rel = RelationshipId(p.arg(0)? as i64);
            let due = engine
                .celebration(g, rel)
                .await?
                .ok_or_else(|| BotError::user("This celebration is no longer shown."))?;
            // As the post: the members' notes, not the mentorship's number nor its purpose.
            let mut lines = Vec::new();
            for (who, note) in &due.notes {
                lines.push(format!("**{}:**", mention(*who)));
                lines.extend(paragraphs(note));
            }
            ("🎉 **Celebrating, in full**".to_string(), lines)
        }
    })
}

fn listing_header(what: &str, n: usize) -> String {
    if n == 0 {
        format!("You have no {what}.")
    } else {
        format!("**Your {what}** ({n}; withdraw one with its number):")
    }
}

/// A member's text as lines of a page: its own lines, so a page never splits one.
fn paragraphs(text: &str) -> Vec<String> {
    text.lines().map(|l| format!("> {l}")).collect()
}

/// Page `page` of `p` (the last one when there are fewer).
pub async fn page(bot: &Bot, p: &Paged, page: usize) -> Result<Page, BotError> {
    let (header, lines) = lines(bot, p).await?;
    let pages = limits::paginate(&header, &lines, MESSAGE_MAX);
    let count = pages.len();
    let index = page.min(count - 1);
    if count == 1 {
        return Ok(Page {
            text: pages.into_iter().next().unwrap_or_default(),
            rows: Vec::new(),
        });
    }
    let text = format!("{}{}", pages[index], limits::footer(index, count));
    let previous = CreateButton::new(p.button_id(index.saturating_sub(1)))
        .label("Previous")
        .style(ButtonStyle::Secondary)
        .disabled(index == 0);
    // On the first page "Previous" leads to page 0 too, "Next" to page 1: the ids still differ.
    let next = CreateButton::new(p.button_id(index + 1))
        .label("Next")
        .style(ButtonStyle::Primary)
        .disabled(index + 1 >= count);
    Ok(Page {
        text,
        rows: vec![CreateActionRow::Buttons(vec![previous, next])],
    })
}

/// The first page as a slash command's answer, only to the asker.
pub fn reply(page: Page) -> poise::CreateReply {
    limits::reply(page.text).components(page.rows)
}

/// Previous / Next pressed: the same message shows the page asked for. Only the asker may turn.
pub async fn turn(
    ctx: &Context,
    bot: &Bot,
    c: &ComponentInteraction,
    id: &CustomId,
    presser: Presser,
) -> Result<(), BotError> {
    let (p, index) = Paged::parse(id).ok_or_else(|| {
        BotError::user("This button is no longer valid; run the command again (/mentor help lists them).")
    })?;
    bot.engine.require_presser(p.guild, presser).await?;
    if c.user.id.get() != p.asker.0 {
        return Err(BotError::user(
            "Only the person who asked can turn these pages; run the command yourself to see yours.",
        ));
    }
    let shown = page(bot, &p, index).await?;
    let message = limits::update(shown.text).components(shown.rows);
    c.create_response(&ctx.http, CreateInteractionResponse::UpdateMessage(message))
        .await?;
    Ok(())
}

/// "Show in full" pressed: the first page of the full texts, only to the presser.
pub async fn show_in_full(
    ctx: &Context,
    bot: &Bot,
    c: &ComponentInteraction,
    presser: Presser,
    listing: Listing,
    guild: GuildId,
    args: &[u64],
) -> Result<(), BotError> {
    bot.engine.require_presser(guild, presser).await?;
    let p = Paged::new(listing, guild, UserId(c.user.id.get()), args);
    let shown = page(bot, &p, 0).await?;
    Answerable::Component(c)
        .ephemeral_with(ctx, shown.text, shown.rows)
        .await?;
    Ok(())
}

/// The "Show in full" button of a shortened message.
pub fn show_in_full_button(listing: Listing, guild: GuildId, args: &[u64]) -> CreateButton {
    let mut numbers = vec![listing as u64, guild.0];
    numbers.extend(args);
    CreateButton::new(CustomId::new(Action::Full, &numbers).encode())
        .label("Show in full")
        .style(ButtonStyle::Secondary)
}

/// What a "Show in full" button shows.
pub fn parse_full(id: &CustomId) -> Option<(Listing, GuildId, Vec<u64>)> {
    match id.numbers.as_slice() {
        [listing, guild, args @ ..] => Some((Listing::from_number(*listing)?, GuildId(*guild), args.to_vec())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_buttons_round_trip_and_fit_a_custom_id() {
        let p = Paged::new(
            Listing::Agreement,
            GuildId(1_000_000_000_000_000_001),
            UserId(18_000_000_000_000_000_001),
            &[9_000_000_000, 4_000_000_000],
        );
        let id = p.button_id(123_456);
        assert!(id.len() <= limits::CUSTOM_ID_MAX, "{id}");
        let parsed = CustomId::parse(&id).unwrap();
        assert_eq!(Paged::parse(&parsed), Some((p, 123_456)));
        let full = show_in_full_button(Listing::Celebration, GuildId(1_000_000_000_000_000_001), &[42]);
        let v = serde_json::to_value(full).unwrap();
        let id = CustomId::parse(v["custom_id"].as_str().unwrap()).unwrap();
        assert_eq!(
            parse_full(&id),
            Some((Listing::Celebration, GuildId(1_000_000_000_000_000_001), vec![42]))
        );
    }
}
