//! `/mentor`: a person's profile, offers and requests, and direct proposals.
use serenity::all::User;

use super::{caller, guild, open_draft_form, other_person, purpose_form, say};
use crate::discord::bot::Draft;
use crate::discord::limits;
use crate::discord::pages::{self, Listing, Paged};
use crate::discord::reply::{BotError, Ctx};
use crate::domain::listing::{Kind, OfferInput, RequestInput};
use crate::domain::profile::ProfileInput;
use crate::domain::questions::{CriteriaInput, Wish};
use crate::domain::validate::split_list;
use crate::engine::Direction;

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum KindChoice {
    #[name = "classic"]
    Classic,
    #[name = "reverse"]
    Reverse,
}

impl From<KindChoice> for Kind {
    fn from(k: KindChoice) -> Kind {
        match k {
            KindChoice::Classic => Kind::Classic,
            KindChoice::Reverse => Kind::Reverse,
        }
    }
}

/// Whether the mentor should be from the mentee's own profession (issue 13).
#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum WishChoice {
    #[name = "from my profession"]
    Same,
    #[name = "from another profession"]
    Other,
    #[name = "either"]
    Either,
}

impl From<WishChoice> for Wish {
    fn from(w: WishChoice) -> Wish {
        match w {
            WishChoice::Same => Wish::Same,
            WishChoice::Other => Wish::Other,
            WishChoice::Either => Wish::Either,
        }
    }
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum ListingChoice {
    #[name = "offer"]
    Offer,
    #[name = "request"]
    Request,
}

/// Mentoring: your profile, offers, requests and invitations.
#[poise::command(
    slash_command,
    guild_only,
    subcommands(
        "profile",
        "pause",
        "resume",
        "offer",
        "seek",
        "withdraw",
        "request",
        "offer_to",
        "peer_group",
        "super::notifications::notifications",
        "super::privacy::my_data",
        "super::privacy::forget",
        "super::matching::suggest",
        "super::guide::guide",
        "super::help::help"
    )
)]
pub async fn mentor(_ctx: Ctx<'_>) -> Result<(), BotError> {
    Ok(())
}

pub async fn zones(_ctx: Ctx<'_>, partial: &str) -> serenity::all::CreateAutocompleteResponse {
    let lower = partial.to_ascii_lowercase();
    let choices = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|z| z.name())
        .filter(|name| name.to_ascii_lowercase().contains(&lower))
        .take(25)
        .map(|name| serenity::all::AutocompleteChoice::new(name, name))
        .collect();
    serenity::all::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Show your profile, or set parts of it.
#[poise::command(slash_command, guild_only)]
#[allow(clippy::too_many_arguments)]
pub async fn profile(
    ctx: Ctx<'_>,
    #[description = "Your time zone, e.g. Europe/Berlin"]
    #[autocomplete = "zones"]
    timezone: Option<String>,
    #[description = "When you are free each week, e.g. tue 18:00-20:00, sat 10:00-14:00"] availability: Option<String>,
    #[description = "How you like to meet: voice, video, text, in person (comma-separated)"] methods: Option<String>,
    #[description = "Your role or job title"] role: Option<String>,
    #[description = "Your experience, in a sentence"] experience: Option<String>,
    #[description = "The mentoring style you offer, e.g. coaching"] mentoring_styles: Option<String>,
    #[description = "The learning style you want, e.g. hands-on"] learning_styles: Option<String>,
    #[description = "The name the program shows"] name: Option<String>,
    #[description = "Your profession, e.g. nurse (none clears it)"]
    #[autocomplete = "super::questions::profession_names"]
    profession: Option<String>,
    #[description = "Your organisational unit, e.g. cardiology (none clears it)"]
    #[autocomplete = "super::questions::unit_names"]
    unit: Option<String>,
    #[description = "Your level, one of the server's (see /program levels; none clears it)"]
    #[autocomplete = "super::questions::level_names"]
    level: Option<String>,
    #[description = "May others see you in /mentor suggest? (off until you say yes)"] suggestable: Option<bool>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let me = caller(ctx);
    let engine = &ctx.data().engine;
    let existing = engine.profile(g, me).await?;
    let criteria = CriteriaInput {
        profession,
        unit,
        level,
    };
    let nothing_given = criteria.is_empty()
        && [
            &timezone,
            &availability,
            &methods,
            &role,
            &experience,
            &mentoring_styles,
            &learning_styles,
            &name,
        ]
        .iter()
        .all(|o| o.is_none());
    if nothing_given {
        if let (Some(on), Some(_)) = (suggestable, &existing) {
            engine.set_suggestable(g, me, on).await?;
        }
        return match existing {
            Some(p) => {
                let suggestable = engine.is_suggestable(g, me).await?;
                let (criteria_text, questions_button) = super::questions::profile_part(engine, g, me).await?;
                ctx.send(
                    limits::reply(profile_text(&p, suggestable, &criteria_text))
                        .components(questions_button.into_iter().collect()),
                )
                .await?;
                Ok(())
            }
            None => say(
                ctx,
                "You have no profile yet. Set one with `/mentor profile timezone:<your zone>` and the other options.",
            )
            .await,
        };
    }
    // Only profession, unit or level given: the rest of the profile stays as it is.
    let profile_unchanged = [
        &timezone,
        &availability,
        &methods,
        &role,
        &experience,
        &mentoring_styles,
        &learning_styles,
        &name,
    ]
    .iter()
    .all(|o| o.is_none());
    let mut input = match &existing {
        Some(p) => ProfileInput {
            display_name: p.display_name.clone(),
            timezone: p.timezone.name().to_string(),
            availability: p
                .availability
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            methods: p.methods.iter().map(|m| m.to_string()).collect(),
            role: p.role.clone(),
            experience: p.experience.clone(),
            mentoring_styles: p.mentoring_styles.clone(),
            learning_styles: p.learning_styles.clone(),
        },
        None => {
            if timezone.is_none() {
                return say(
                    ctx,
                    "Please give your time zone too (the `timezone` option): the bot needs it for meeting times.",
                )
                .await;
            }
            ProfileInput {
                display_name: ctx
                    .interaction
                    .user
                    .global_name
                    .clone()
                    .unwrap_or_else(|| ctx.interaction.user.name.clone()),
                ..Default::default()
            }
        }
    };
    if let Some(v) = timezone {
        input.timezone = v;
    }
    if let Some(v) = availability {
        input.availability = v;
    }
    if let Some(v) = methods {
        input.methods = split_list(&v);
    }
    if let Some(v) = role {
        input.role = Some(v);
    }
    if let Some(v) = experience {
        input.experience = Some(v);
    }
    if let Some(v) = mentoring_styles {
        input.mentoring_styles = split_list(&v);
    }
    if let Some(v) = learning_styles {
        input.learning_styles = split_list(&v);
    }
    if let Some(v) = name {
        input.display_name = v;
    }
    // Profession, unit and level are checked before anything is saved.
    if !criteria.is_empty() {
        engine.check_criteria(g, me, &criteria).await?;
    }
    let saved = match existing {
        Some(p) if profile_unchanged => p,
        _ => engine.set_profile(g, me, &input).await?,
    };
    if let Some(on) = suggestable {
        engine.set_suggestable(g, me, on).await?;
    }
    let mut text = format!("Profile saved: {} in {}.", saved.display_name, saved.timezone.name());
    if !criteria.is_empty() {
        let c = engine.set_criteria(g, me, &criteria).await?;
        let shown: Vec<String> = [("profession", &c.profession), ("unit", &c.unit), ("level", &c.level)]
            .iter()
            .map(|(what, v)| format!("{what} {}", v.as_deref().unwrap_or("not given")))
            .collect();
        text += &format!(" Matching sees your {}.", shown.join(", "));
    }
    text += match suggestable {
        Some(true) => " Others may see you in /mentor suggest.",
        Some(false) => " You will not appear in /mentor suggest.",
        None => "",
    };
    say(ctx, text).await?;
    Ok(())
}

/// A profile as the person sees it. The long parts (availability, experience, styles) share
/// what a message holds; what does not fit is cut with "and N more" or an ellipsis, and
/// `/mentor my-data` has all of it.
fn profile_text(p: &crate::domain::profile::Profile, suggestable: bool, criteria: &str) -> String {
    const ALL: &str = " (all of it: /mentor my-data)";
    let shown = if suggestable {
        "yes (turn it off with /mentor profile suggestable:False)"
    } else {
        "no (turn it on with /mentor profile suggestable:True)"
    };
    let windows: Vec<String> = p.availability.iter().map(|w| w.to_string()).collect();
    let methods: Vec<&str> = p.methods.iter().map(|m| m.as_str()).collect();
    let paused = p
        .paused_until
        .map(|d| format!("\nPaused until {d}."))
        .unwrap_or_default();
    let head = format!(
        "**{}** ({})\nTime zone: {}\nMeets by: {}\nShown in /mentor suggest: {shown}{paused}",
        p.display_name,
        p.role.as_deref().unwrap_or("no role given"),
        p.timezone.name(),
        if methods.is_empty() {
            "any".into()
        } else {
            methods.join(", ")
        },
    );
    let labels = [
        "\nAvailable: ",
        "\nExperience: ",
        "\nMentoring styles: ",
        "\nLearning styles: ",
    ];
    let parts = [
        windows.join(", "),
        p.experience.clone().unwrap_or_default(),
        p.mentoring_styles.join(", "),
        p.learning_styles.join(", "),
    ];
    let fixed = limits::len(&head)
        + limits::len(criteria)
        + labels.iter().map(|l| limits::len(l)).sum::<usize>()
        + 4 * limits::len(ALL);
    let lengths: Vec<usize> = parts.iter().map(|x| limits::len(x)).collect();
    let shares = limits::shares(&lengths, limits::MESSAGE_MAX.saturating_sub(fixed));
    let list = |items: &[String], share: usize| {
        if items.is_empty() {
            "not given".to_string()
        } else {
            match limits::and_more(items, ", ", share) {
                (shown, true) => format!("{shown}{ALL}"),
                (shown, false) => shown,
            }
        }
    };
    let experience = match &p.experience {
        Some(e) => limits::shorten(e, shares[1] + limits::len(ALL), ALL),
        None => "not given".to_string(),
    };
    format!(
        "{head}{}{}{}{}{}{}{}{}{criteria}",
        labels[0],
        list(&windows, shares[0]),
        labels[1],
        experience,
        labels[2],
        list(&p.mentoring_styles, shares[2]),
        labels[3],
        list(&p.learning_styles, shares[3]),
    )
}

/// Pause your participation until a date: no new invitations or matches until then.
#[poise::command(slash_command, guild_only)]
pub async fn pause(
    ctx: Ctx<'_>,
    #[description = "The date you are back, YYYY-MM-DD"] until: String,
) -> Result<(), BotError> {
    let p = ctx
        .data()
        .engine
        .pause_profile(guild(ctx)?, caller(ctx), &until)
        .await?;
    say(
        ctx,
        format!(
            "Paused until {}. Use /mentor resume to come back earlier.",
            p.paused_until.unwrap_or_default()
        ),
    )
    .await
}

/// Resume your participation.
#[poise::command(slash_command, guild_only)]
pub async fn resume(ctx: Ctx<'_>) -> Result<(), BotError> {
    ctx.data().engine.resume_profile(guild(ctx)?, caller(ctx)).await?;
    say(ctx, "Welcome back: you can be matched and invited again.").await
}

/// Offer to mentor; you type your purpose in the form that opens.
#[poise::command(slash_command, guild_only)]
pub async fn offer(
    ctx: Ctx<'_>,
    #[description = "Topics you can help with, comma-separated"] topics: String,
    #[description = "How many mentees at once (1 to 10)"] capacity: i64,
    #[description = "Skills you bring, comma-separated"] skills: Option<String>,
    #[description = "Kinds you accept: classic, reverse, peer (comma-separated; all if empty)"] kinds: Option<String>,
    #[description = "What you hope to learn in return"] hopes_to_learn: Option<String>,
    #[description = "May members looking for a mentor see you in /mentor suggest? (off until you say yes)"]
    suggest_me: Option<bool>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let input = OfferInput {
        purpose: "(typed in the form)".into(),
        topics: split_list(&topics),
        skills: skills.as_deref().map(split_list).unwrap_or_default(),
        kinds: kinds.as_deref().map(split_list).unwrap_or_default(),
        capacity,
        hopes_to_learn,
    };
    // Check the options before the form opens, so nobody types a purpose in vain.
    crate::domain::listing::Offer::new(g, caller(ctx), &input, ctx.data().engine.now())
        .map_err(crate::engine::Error::from)?;
    ctx.data().engine.check_room_for_offer(g, caller(ctx)).await?;
    let draft = Draft::Offer {
        input,
        suggestable: suggest_me,
    };
    open_draft_form(ctx, g, draft, |id| {
        purpose_form(id, "Your offer to mentor", "Why do you offer mentoring? (your purpose)")
    })
    .await
}

/// Ask to be mentored; you type your purpose in the form that opens.
#[poise::command(slash_command, guild_only)]
pub async fn seek(
    ctx: Ctx<'_>,
    #[description = "Your goals or topics, comma-separated"] goals: String,
    #[description = "Kinds you want: classic, reverse, peer (comma-separated; all if empty)"] kinds: Option<String>,
    #[description = "Mentoring styles you would like, comma-separated"] styles: Option<String>,
    #[description = "Should your mentor be from your profession, another one, or either? (default either)"]
    mentor_profession: Option<WishChoice>,
    #[description = "May mentors see you in /mentor suggest? (off until you say yes)"] suggest_me: Option<bool>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let input = RequestInput {
        purpose: "(typed in the form)".into(),
        goals: split_list(&goals),
        kinds: kinds.as_deref().map(split_list).unwrap_or_default(),
        styles: styles.as_deref().map(split_list).unwrap_or_default(),
    };
    crate::domain::listing::Request::new(g, caller(ctx), &input, ctx.data().engine.now())
        .map_err(crate::engine::Error::from)?;
    ctx.data().engine.check_room_for_request(g, caller(ctx)).await?;
    // A request its mentorship's end closed opens again, its purpose ready to edit, rather
    // than a second one beside it (issue 16, item 7).
    let closed = ctx.data().engine.closed_by_ending(g, caller(ctx)).await?;
    let closed_number = match &closed {
        Some(q) => ctx.data().engine.request_number(g, caller(ctx), q.id).await?,
        None => 0,
    };
    let draft = Draft::Seek {
        input,
        suggestable: suggest_me,
        wish: mentor_profession.map(Wish::from).unwrap_or_default(),
        reopen: closed.as_ref().map(|q| q.id),
    };
    open_draft_form(ctx, g, draft, |id| match &closed {
        Some(q) => super::purpose_form_with(
            id,
            &format!("Re-open your request #{closed_number}"),
            "Your career goal (edit it if it changed)",
            Some(&q.purpose),
        ),
        None => purpose_form(
            id,
            "Your request for a mentor",
            "Your career goal: why you seek a mentor",
        ),
    })
    .await
}

/// Withdraw one of your offers or requests (its history is kept); without an id, list them.
#[poise::command(slash_command, guild_only)]
pub async fn withdraw(
    ctx: Ctx<'_>,
    #[description = "An offer or a request"] what: ListingChoice,
    #[description = "Its number; leave empty to see yours"] id: Option<i64>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let me = caller(ctx);
    let engine = &ctx.data().engine;
    match (what, id) {
        (ListingChoice::Offer, Some(n)) => {
            let id = engine.offer_numbered(g, me, n).await?;
            engine.withdraw_offer(g, me, id).await?;
            say(ctx, format!("Offer #{n} withdrawn.")).await
        }
        (ListingChoice::Request, Some(n)) => {
            let id = engine.request_numbered(g, me, n).await?;
            engine.withdraw_request(g, me, id).await?;
            say(ctx, format!("Request #{n} withdrawn.")).await
        }
        (ListingChoice::Offer, None) => listing(ctx, Listing::Offers).await,
        (ListingChoice::Request, None) => listing(ctx, Listing::Requests).await,
    }
}

/// The caller's offers or requests, paged.
async fn listing(ctx: Ctx<'_>, what: Listing) -> Result<(), BotError> {
    let p = Paged::new(what, guild(ctx)?, caller(ctx), &[]);
    let first = pages::page(ctx.data(), &p, 0).await?;
    ctx.send(pages::reply(first)).await?;
    Ok(())
}

async fn direct(ctx: Ctx<'_>, user: User, kind: Option<KindChoice>, direction: Direction) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let to = other_person(ctx, &user)?;
    let kind: Kind = kind.unwrap_or(KindChoice::Classic).into();
    let (title, hint) = match direction {
        Direction::Request => ("Ask for mentoring", "What do you hope to achieve with their help?"),
        Direction::Offer => ("Offer mentoring", "What would you like to help them achieve?"),
    };
    open_draft_form(ctx, g, Draft::Direct { to, kind, direction }, |id| {
        purpose_form(id, title, hint)
    })
    .await
}

/// Ask someone to mentor you.
#[poise::command(slash_command, guild_only)]
pub async fn request(
    ctx: Ctx<'_>,
    #[description = "The person you would like as a mentor"] user: User,
    #[description = "classic (default) or reverse"] kind: Option<KindChoice>,
) -> Result<(), BotError> {
    direct(ctx, user, kind, Direction::Request).await
}

/// Offer to mentor someone.
#[poise::command(slash_command, guild_only, rename = "offer-to")]
pub async fn offer_to(
    ctx: Ctx<'_>,
    #[description = "The person you offer to mentor"] user: User,
    #[description = "classic (default) or reverse"] kind: Option<KindChoice>,
) -> Result<(), BotError> {
    direct(ctx, user, kind, Direction::Offer).await
}

/// Invite two to seven people into a peer mentoring group.
#[poise::command(slash_command, guild_only, rename = "peer-group")]
#[allow(clippy::too_many_arguments)]
pub async fn peer_group(
    ctx: Ctx<'_>,
    #[description = "A peer"] user1: User,
    #[description = "A peer"] user2: User,
    #[description = "A peer"] user3: Option<User>,
    #[description = "A peer"] user4: Option<User>,
    #[description = "A peer"] user5: Option<User>,
    #[description = "A peer"] user6: Option<User>,
    #[description = "A peer"] user7: Option<User>,
) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let mut invitees = Vec::new();
    for u in [Some(user1), Some(user2), user3, user4, user5, user6, user7]
        .into_iter()
        .flatten()
    {
        let id = other_person(ctx, &u)?;
        if invitees.contains(&id) {
            return Err(BotError::user(format!(
                "{} is named twice; name each peer once.",
                u.name
            )));
        }
        invitees.push(id);
    }
    open_draft_form(ctx, g, Draft::Peer { invitees }, |id| {
        purpose_form(id, "A peer mentoring group", "What will the group work on together?")
    })
    .await
}
