//! `/program invitations`: the program's proposals waiting for an answer, with their age and
//! expiry, and those declined or lapsed lately (issue 17); and the note to the organisers when
//! one is declined or lapses.
use chrono::{DateTime, Utc};
use serenity::all::CreateAttachment;

use super::{caller, caller_rights, guild};
use crate::discord::limits;
use crate::discord::render::{mention, mentions, when};
use crate::discord::reply::{BotError, Ctx};
use crate::engine::hands::Organiser;
use crate::engine::invitation_status::{Answer, InvitationLine, RECENT_WEEKS};
use crate::engine::organisers::write_csv;

fn who(line: &InvitationLine) -> String {
    line.members
        .iter()
        .map(|(u, role, _)| format!("{} ({role})", mention(*u)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn days(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_days()
}

/// One line of the list.
pub fn line_text(l: &InvitationLine, now: DateTime<Utc>) -> String {
    match l.answer {
        Answer::Waiting => format!(
            "#{} {}: waiting {} day(s), expires {}; not answered: {}",
            l.number,
            who(l),
            days(l.proposed_at, now),
            when(l.expires_at),
            mentions(&l.not_answered())
        ),
        Answer::Declined => format!(
            "#{} {}: declined by {} {}",
            l.number,
            who(l),
            mentions(&l.declined_by()),
            l.closed_at.map(when).unwrap_or_default()
        ),
        Answer::Lapsed => format!(
            "#{} {}: lapsed {}; nobody answered: {}",
            l.number,
            who(l),
            l.closed_at.map(when).unwrap_or_default(),
            mentions(&l.not_answered())
        ),
    }
}

/// The note the organisers get when one of the program's proposals is declined or lapses.
pub fn answer_note(l: &InvitationLine) -> String {
    let what = match l.answer {
        Answer::Declined => format!("was declined by {}", mentions(&l.declined_by())),
        _ => format!("lapsed: {} did not answer in time", mentions(&l.not_answered())),
    };
    format!(
        "The program's proposal #{} ({}) {what}. /program pair or the next /program match publish can place them \
         again; /program invitations lists every proposal.",
        l.number,
        who(l)
    )
}

/// Every line as CSV: ids, roles, answers and dates.
pub fn invitations_csv(lines: &[InvitationLine]) -> String {
    let t = |d: Option<DateTime<Utc>>| {
        d.map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default()
    };
    let rows = lines.iter().map(|l| {
        let members: Vec<String> = l
            .members
            .iter()
            .map(|(u, role, status)| format!("{role}:{u}:{status}"))
            .collect();
        let not: Vec<String> = l.not_answered().iter().map(|u| u.0.to_string()).collect();
        vec![
            l.number.to_string(),
            l.kind.to_string(),
            l.answer.as_str().to_string(),
            members.join(" "),
            t(Some(l.proposed_at)),
            t(Some(l.expires_at)),
            t(l.closed_at),
            not.join(" "),
        ]
    });
    write_csv(
        &[
            "relationship",
            "kind",
            "answer",
            "members",
            "proposed",
            "expires",
            "closed",
            "not_answered",
        ],
        rows,
    )
}

/// The program's invitations: who has not answered, and what was declined or lapsed lately.
#[poise::command(slash_command, guild_only, default_member_permissions = "MANAGE_GUILD")]
pub async fn invitations(ctx: Ctx<'_>) -> Result<(), BotError> {
    let g = guild(ctx)?;
    let (is_admin, roles) = caller_rights(ctx);
    ctx.defer_ephemeral().await?;
    let engine = &ctx.data().engine;
    let lines = engine
        .program_invitations(
            g,
            Organiser {
                user: caller(ctx),
                is_admin,
                roles: &roles,
            },
        )
        .await?;
    let now = engine.now();
    let count = |a: Answer| lines.iter().filter(|l| l.answer == a).count();
    let mut text = format!(
        "**Program invitations:** {} waiting for an answer; {} declined and {} lapsed in the last {RECENT_WEEKS} weeks.",
        count(Answer::Waiting),
        count(Answer::Declined),
        count(Answer::Lapsed)
    );
    for l in &lines {
        text.push('\n');
        text += &line_text(l, now);
    }
    if lines.is_empty() {
        text += "\nNo proposals of the program to show.";
    }
    ctx.send(
        limits::reply(limits::shorten(
            &text,
            limits::MESSAGE_MAX,
            " (every line: invitations.csv)",
        ))
        .attachment(CreateAttachment::bytes(
            invitations_csv(&lines).into_bytes(),
            "invitations.csv",
        )),
    )
    .await?;
    Ok(())
}
