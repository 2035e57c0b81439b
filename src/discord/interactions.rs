//! Buttons and forms. They carry what they act on in their custom id (see `ids`), and the
//! engine decides whether the person pressing may do it.
use std::collections::HashMap;

use serenity::all::{
    ActionRowComponent, ComponentInteraction, Context, CreateInteractionResponse, CreateModal, Interaction,
    ModalInteraction,
};
use tracing::{info_span, warn, Instrument};

use super::bot::{Bot, Draft, DraftEntry};
use super::commands::mentorship::reflection_form;
use super::commands::text_field;
use super::ids::{Action, CustomId};
use super::limits;
use super::pages;
use super::render::{mention, when};
use super::reply::{Answerable, BotError};
use super::schedule::{checkin_target, tell_others};
use crate::domain::ids::{CheckinId, GuildId, RelationshipId, UserId};
use crate::domain::journal::reflection_questions;
use crate::domain::relationship::{EndReason, Relationship, State};
use crate::domain::retrospective::RetrospectiveInput;
use crate::engine::{Error, MeetingAnswer};

pub async fn handle(ctx: &Context, bot: &Bot, interaction: &Interaction) {
    match interaction {
        Interaction::Component(c) => {
            let span = info_span!("button", custom_id = %c.data.custom_id, user = c.user.id.get());
            let result = component(ctx, bot, c).instrument(span).await;
            if let Err(e) = result {
                let text = e.reply_text(&c.data.custom_id);
                if let Err(e) = Answerable::Component(c).ephemeral(ctx, text).await {
                    warn!(error = %e, "could not answer a button");
                }
            }
        }
        Interaction::Modal(m) => {
            let span = info_span!("form", custom_id = %m.data.custom_id, user = m.user.id.get());
            let result = modal(ctx, bot, m).instrument(span).await;
            if let Err(e) = result {
                let text = e.reply_text(&m.data.custom_id);
                if let Err(e) = Answerable::Modal(m).ephemeral(ctx, text).await {
                    warn!(error = %e, "could not answer a form");
                }
            }
        }
        _ => {}
    }
}

fn parse(custom_id: &str) -> Result<CustomId, BotError> {
    CustomId::parse(custom_id).ok_or_else(|| BotError::user("This button or form is no longer valid."))
}

fn target(id: &CustomId) -> Result<(GuildId, RelationshipId), BotError> {
    id.guild_rel()
        .ok_or_else(|| BotError::user("This button or form is no longer valid."))
}

async fn component(ctx: &Context, bot: &Bot, c: &ComponentInteraction) -> Result<(), BotError> {
    let id = parse(&c.data.custom_id)?;
    if matches!(id.action, Action::SuggestRequest | Action::SuggestOffer) {
        return super::commands::matching::suggestion_pressed(ctx, bot, c, &id).await;
    }
    match id.action {
        Action::Page => return pages::turn(ctx, bot, c, &id).await,
        Action::Full => {
            let (listing, guild, args) =
                pages::parse_full(&id).ok_or_else(|| BotError::user("This button is no longer valid."))?;
            return pages::show_in_full(ctx, bot, c, listing, guild, &args).await;
        }
        _ => {}
    }
    let user = UserId(c.user.id.get());
    let (g, r) = target(&id)?;
    let answer = Answerable::Component(c);
    match id.action {
        Action::Accept | Action::Decline => {
            let before = bot.engine.relationship_for(g, r, user).await?;
            let accepted = id.action == Action::Accept;
            let rel = if accepted {
                bot.engine.accept(g, r, user).await?
            } else {
                bot.engine.decline(g, r, user).await?
            };
            let text = match (accepted, rel.state) {
                (true, State::Proposed) => format!("You accepted mentorship #{r}; waiting for the others."),
                (true, _) => format!("You accepted mentorship #{r}. Next: agree on how you will work together."),
                (false, _) => format!("You declined mentorship #{r}. Thank you for answering."),
            };
            answer.ephemeral(ctx, text).await?;
            bot.on_answered(before.state, &rel, user, accepted).await;
        }
        Action::Confirm => {
            let version = *id
                .numbers
                .get(2)
                .ok_or_else(|| BotError::user("This button is no longer valid."))? as u32;
            let before = bot.engine.relationship_for(g, r, user).await?.state;
            let rel = bot.engine.confirm_agreement(g, r, user, version).await?;
            let text = if before == State::Agreeing && rel.state == State::Active {
                format!("Confirmed. Everyone agreed: mentorship #{r} is active.")
            } else {
                format!("You confirmed version {version} of the agreement of mentorship #{r}.")
            };
            answer.ephemeral(ctx, text).await?;
            bot.on_confirmed(&rel, user, version).await;
        }
        Action::Retro => {
            let rel = bot.engine.relationship_for(g, r, user).await?;
            rel.require_joined(user).map_err(Error::from)?;
            if rel.state != State::Ended {
                return Err(BotError::user("This mentorship has not ended."));
            }
            if bot.engine.my_retrospective(g, r, user).await?.is_some() {
                return Err(BotError::user(
                    "You already wrote your retrospective for this mentorship. Thank you!",
                ));
            }
            let modal = CreateModal::new(
                CustomId::on(Action::RetroForm, g, r).encode(),
                format!("Looking back on #{r}"),
            )
            .components(vec![
                text_field("learned", "What did you learn?", true, true, 1000, None),
                text_field(
                    "differently",
                    "What would you do differently next time?",
                    true,
                    false,
                    1000,
                    None,
                ),
                text_field("celebrate", "What should be celebrated?", true, false, 1000, None),
                text_field(
                    "public",
                    "Celebrate it in the program channel? (yes/no)",
                    false,
                    false,
                    3,
                    Some("no"),
                ),
            ]);
            c.create_response(&ctx.http, CreateInteractionResponse::Modal(modal))
                .await?;
        }
        Action::Reflect => {
            let rel = bot.engine.relationship_for(g, r, user).await?;
            let role = rel.require_joined(user).map_err(Error::from)?.role;
            let checkin = id.numbers.get(2).copied().unwrap_or(0);
            let form = CustomId::new(Action::ReflectForm, &[g.0, r.0 as u64, checkin]).encode();
            c.create_response(
                &ctx.http,
                CreateInteractionResponse::Modal(reflection_form(form, "Reflect on your meeting".into(), role)),
            )
            .await?;
        }
        Action::Skip | Action::Met | Action::NotMet | Action::Reschedule => {
            let (g, r, checkin) =
                checkin_target(&id).ok_or_else(|| BotError::user("This button is no longer valid."))?;
            checkin_button(ctx, bot, c, id.action, g, r, checkin, user).await?;
        }
        Action::ChangeFrequency => {
            let rel = bot.engine.relationship_for(g, r, user).await?;
            rel.require_joined(user).map_err(Error::from)?;
            let current = rel
                .agreement_in_force()
                .map(|a| a.terms.frequency.to_string())
                .unwrap_or_default();
            let modal = CreateModal::new(
                CustomId::on(Action::FrequencyForm, g, r).encode(),
                format!("How often should #{r} meet?"),
            )
            .components(vec![text_field(
                "frequency",
                "e.g. weekly, every 2 weeks, monthly",
                false,
                true,
                100,
                Some(&current),
            )]);
            c.create_response(&ctx.http, CreateInteractionResponse::Modal(modal))
                .await?;
        }
        Action::PauseRel => {
            let rel = bot.engine.pause(g, r, user).await?;
            answer
                .ephemeral(
                    ctx,
                    format!(
                        "Mentorship #{r} is paused; no reminders until one of you resumes it with /mentorship resume."
                    ),
                )
                .await?;
            let text = format!("{} paused mentorship #{r}.", super::render::mention(user));
            tell_others(bot, g, &rel, user, &text).await;
        }
        Action::Forget => {
            // Only the person themselves: the button carries whose data it deletes.
            if id.numbers.get(1) != Some(&user.0) {
                return Err(BotError::user("Only the person who asked can confirm this."));
            }
            let ended = bot.engine.forget(g, user).await?;
            answer
                .ephemeral(
                    ctx,
                    "Done: the bot has forgotten you in this server. Thank you for taking part.",
                )
                .await?;
            for rel in &ended {
                let template = format!(
                    "Mentorship #{} ({}) has ended: a member left the program.",
                    rel.id,
                    limits::TEXT
                );
                let text = super::render::with_purpose(&template, &rel.purpose, limits::DM_MAX);
                for m in rel.joined().filter(|m| m.user != user) {
                    bot.notifier.dm(g, Some(rel.id), m.user, limits::dm(text.clone())).await;
                }
            }
        }
        Action::EndRel => {
            let rel = bot.engine.end(g, r, user, EndReason::Other).await?;
            answer.ephemeral(ctx, format!("Mentorship #{r} has ended.")).await?;
            bot.on_ended(&rel).await;
        }
        _ => return Err(BotError::user("This button is no longer valid.")),
    }
    Ok(())
}

/// The schedule's buttons on one check-in.
#[allow(clippy::too_many_arguments)]
async fn checkin_button(
    ctx: &Context,
    bot: &Bot,
    c: &ComponentInteraction,
    action: Action,
    g: GuildId,
    r: RelationshipId,
    checkin: CheckinId,
    user: UserId,
) -> Result<(), BotError> {
    let answer = Answerable::Component(c);
    match action {
        Action::Skip => {
            let (rel, skipped) = bot.engine.skip_checkin(g, r, checkin, user).await?;
            let at = when(skipped.scheduled_at);
            answer
                .ephemeral(
                    ctx,
                    format!("Skipped the check-in of mentorship #{r} on {at}. The others are told."),
                )
                .await?;
            let text = format!("{} skipped the check-in of mentorship #{r} on {at}.", mention(user));
            tell_others(bot, g, &rel, user, &text).await;
        }
        Action::Met => {
            let (rel, _) = bot
                .engine
                .answer_meeting(g, r, checkin, user, MeetingAnswer::Met)
                .await?;
            let role = rel.require_joined(user).map_err(Error::from)?.role;
            let form = CustomId::new(Action::ReflectForm, &[g.0, r.0 as u64, checkin.0 as u64]).encode();
            c.create_response(
                &ctx.http,
                CreateInteractionResponse::Modal(reflection_form(form, "Reflect on your meeting".into(), role)),
            )
            .await?;
        }
        Action::NotMet => {
            bot.engine
                .answer_meeting(g, r, checkin, user, MeetingAnswer::NotThisTime)
                .await?;
            answer
                .ephemeral(
                    ctx,
                    format!("Noted: mentorship #{r} did not meet this time. See you at the next check-in."),
                )
                .await?;
        }
        Action::Reschedule => {
            let rel = bot.engine.relationship_for(g, r, user).await?;
            rel.require_joined(user).map_err(Error::from)?;
            let tz = rel
                .agreement_in_force()
                .map(|a| a.terms.timezone)
                .ok_or_else(|| BotError::user("This mentorship has no agreement in force."))?;
            let current = bot
                .engine
                .checkins(g, r, user)
                .await?
                .into_iter()
                .find(|x| x.id == checkin)
                .ok_or_else(|| BotError::user("That check-in no longer exists."))?;
            let local = current.scheduled_at.with_timezone(&tz);
            let modal = CreateModal::new(
                CustomId::new(Action::RescheduleForm, &[g.0, r.0 as u64, checkin.0 as u64]).encode(),
                format!("Move a check-in of #{r}"),
            )
            .components(vec![
                text_field(
                    "date",
                    "New date (YYYY-MM-DD)",
                    false,
                    true,
                    10,
                    Some(&local.format("%Y-%m-%d").to_string()),
                ),
                text_field(
                    "time",
                    &format!("New time, HH:MM in {}", tz.name()),
                    false,
                    true,
                    5,
                    Some(&local.format("%H:%M").to_string()),
                ),
            ]);
            c.create_response(&ctx.http, CreateInteractionResponse::Modal(modal))
                .await?;
        }
        _ => return Err(BotError::user("This button is no longer valid.")),
    }
    Ok(())
}

fn values(m: &ModalInteraction) -> HashMap<String, String> {
    m.data
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .filter_map(|c| match c {
            ActionRowComponent::InputText(t) => Some((t.custom_id.clone(), t.value.clone().unwrap_or_default())),
            _ => None,
        })
        .collect()
}

async fn modal(ctx: &Context, bot: &Bot, m: &ModalInteraction) -> Result<(), BotError> {
    let id = parse(&m.data.custom_id)?;
    let user = UserId(m.user.id.get());
    let fields = values(m);
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let answer = Answerable::Modal(m);
    match id.action {
        Action::DraftForm => {
            let key = *id
                .numbers
                .first()
                .ok_or_else(|| BotError::user("This form is no longer valid."))?;
            let Some(DraftEntry {
                guild,
                user: owner,
                draft,
            }) = bot.take_draft(key).await
            else {
                return Err(BotError::user("This form has expired; please run the command again."));
            };
            if owner != user {
                return Err(BotError::user("This form belongs to someone else."));
            }
            let (text, then) = submit_draft(bot, guild, user, draft, &field).await?;
            // Answer first: telling the others may take longer than Discord waits for an answer.
            answer.ephemeral(ctx, text).await?;
            match then {
                Some(Then::Invite(rel)) => bot.on_proposed(&rel).await,
                Some(Then::Agreement(rel)) => bot.on_agreement(&rel).await,
                None => {}
            }
        }
        Action::ReflectForm | Action::JournalForm => {
            let (g, r) = target(&id)?;
            let rel = bot.engine.relationship_for(g, r, user).await?;
            let role = rel.require_joined(user).map_err(Error::from)?.role;
            let answers: Vec<(String, String)> = reflection_questions(role)
                .iter()
                .enumerate()
                .map(|(i, q)| (q.to_string(), field(&format!("q{i}"))))
                .collect();
            let checkin = id
                .numbers
                .get(2)
                .copied()
                .filter(|c| *c > 0)
                .map(|c| CheckinId(c as i64));
            let entry = bot.engine.write_journal(g, r, user, checkin, &answers).await?;
            answer
                .ephemeral(
                    ctx,
                    format!(
                        "Saved to your private journal (entry #{}). Share it with /mentorship journal share.",
                        entry.id
                    ),
                )
                .await?;
        }
        Action::RetroForm => {
            let (g, r) = target(&id)?;
            let public = field("public").trim().to_ascii_lowercase();
            let input = RetrospectiveInput {
                learned: field("learned"),
                differently: Some(field("differently")),
                celebrate: Some(field("celebrate")),
                celebrate_publicly: matches!(public.as_str(), "yes" | "y"),
            };
            bot.engine.write_retrospective(g, r, user, &input).await?;
            answer
                .ephemeral(ctx, "Thank you for looking back. When you are ready, /mentor seek or /mentor offer starts your next mentorship.")
                .await?;
        }
        Action::RescheduleForm => {
            let (g, r, checkin) = checkin_target(&id).ok_or_else(|| BotError::user("This form is no longer valid."))?;
            let moved = bot
                .engine
                .reschedule_checkin(g, r, checkin, user, &field("date"), &field("time"))
                .await?;
            let (from, to) = (when(moved.old.scheduled_at), when(moved.new.scheduled_at));
            answer
                .ephemeral(
                    ctx,
                    format!("Moved the check-in of mentorship #{r} to {to}. The others are told."),
                )
                .await?;
            let text = format!(
                "{} moved the check-in of mentorship #{r} from {from} to {to}.",
                mention(user)
            );
            tell_others(bot, g, &moved.rel, user, &text).await;
        }
        Action::FrequencyForm => {
            let (g, r) = target(&id)?;
            let (rel, version) = bot.engine.propose_frequency(g, r, user, &field("frequency")).await?;
            answer
                .ephemeral(
                    ctx,
                    format!(
                        "Version {version} of the agreement, with the new frequency, is sent to everyone to confirm."
                    ),
                )
                .await?;
            bot.on_agreement(&rel).await;
        }
        _ => return Err(BotError::user("This form is no longer valid.")),
    }
    Ok(())
}

/// What the others are told once the person has their answer.
enum Then {
    Invite(Relationship),
    Agreement(Relationship),
}

async fn submit_draft(
    bot: &Bot,
    guild: GuildId,
    user: UserId,
    draft: Draft,
    field: &(dyn Fn(&str) -> String + Sync),
) -> Result<(String, Option<Then>), BotError> {
    let engine = &bot.engine;
    Ok(match draft {
        Draft::Offer(mut input) => {
            input.purpose = field("purpose");
            let offer = engine.create_offer(guild, user, &input).await?;
            let topics = offer.topics.join(", ");
            (
                format!(
                    "Your offer #{} is open: {} mentee(s) on {topics}.",
                    offer.id, offer.capacity
                ),
                None,
            )
        }
        Draft::Seek(mut input) => {
            input.purpose = field("purpose");
            let request = engine.create_request(guild, user, &input).await?;
            let goals = request.goals.join(", ");
            let text = format!(
                "Your request #{} is open: {goals}. Organisers can now match you, or ask someone directly with /mentor request.",
                request.id
            );
            (text, None)
        }
        Draft::Direct { to, kind, direction } => {
            let rel = engine
                .propose_direct(guild, user, to, kind, direction, &field("purpose"))
                .await?;
            let text = format!(
                "Invitation sent to <@{}> (mentorship #{}). You will hear their answer.",
                to.0, rel.id
            );
            (text, Some(Then::Invite(rel)))
        }
        Draft::Peer { invitees } => {
            let rel = engine
                .invite_peer_group(guild, user, &invitees, &field("purpose"))
                .await?;
            let text = format!(
                "Invitations sent for peer group #{}. It forms once two have accepted.",
                rel.id
            );
            (text, Some(Then::Invite(rel)))
        }
        Draft::Agreement { rel, mut input } => {
            input.expectations = field("expectations");
            input.issue_handling = field("issue_handling");
            let (rel, version) = engine.propose_agreement(guild, rel, user, &input).await?;
            (
                format!("Version {version} of the agreement is sent to everyone to confirm."),
                Some(Then::Agreement(rel)),
            )
        }
    })
}
