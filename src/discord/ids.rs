//! Buttons and modals carry what they act on in their custom id, so they keep working after a
//! restart and in DMs (where Discord sends no server id). Format: `mb:<action>:<numbers...>`.
use crate::domain::ids::{CheckinId, GuildId, RelationshipId, UserId};
use crate::domain::listing::Kind;
use crate::domain::questions::QuestionId;
use crate::domain::relationship::EndReason;
use crate::engine::presses::{Press, Select, Submit};
use crate::engine::Direction;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Accept,
    Decline,
    /// Confirm a version of the agreement.
    Confirm,
    /// Open the retrospective form.
    Retro,
    /// Open the agreement form from the thread.
    Agreement,
    /// Open the reflection form after a meeting.
    Reflect,
    // Modal submissions.
    RetroForm,
    AgreementForm,
    ReflectForm,
    JournalForm,
    /// A slash command's form whose options wait in a draft.
    DraftForm,
    // The schedule's buttons: guild, relationship, check-in.
    /// Skip a planned check-in.
    Skip,
    /// Move one check-in (opens the form).
    Reschedule,
    /// "We met" after a check-in (records it as held, opens the reflection form).
    Met,
    /// "Not this time" after a check-in.
    NotMet,
    RescheduleForm,
    // The issue-handling prompt's buttons: guild, relationship.
    /// Change the frequency (opens the form).
    ChangeFrequency,
    PauseRel,
    EndRel,
    /// Resume a paused relationship (on the pause notice): guild, relationship.
    ResumeRel,
    FrequencyForm,
    /// Confirm `/mentor forget`: guild, user.
    Forget,
    /// A `/mentor suggest` button: ask this mentor (numbers: guild, for whom, mentor, kind).
    SuggestRequest,
    /// A `/mentor suggest` button: offer to this mentee (numbers: guild, for whom, mentee, kind).
    SuggestOffer,
    /// Previous / Next of a paged answer (numbers: listing, guild, asker, page, arguments).
    Page,
    /// "Show in full" on a shortened message (numbers: listing, guild, arguments).
    Full,
    /// Show a page of the matching questions (numbers: guild, for whom, page).
    QuestionsPage,
    /// A matching question's select menu (numbers: guild, for whom, question, page).
    AnswerQuestion,
    /// The midpoint's fit check (numbers: guild, relationship, answer code).
    Fit,
    /// The retrospective's rating (numbers: guild, relationship, 1 to 5).
    Rate,
    /// Would join again (numbers: guild, relationship, 1 yes / 0 no).
    Again,
    /// "Find me another" after an ending (numbers: guild, relationship); opens the purpose form.
    FindAnother,
    FindAnotherForm,
    /// Apply a `/program import` dry run (numbers: guild, import).
    ImportApply,
    /// The import's welcome: may others see me in /mentor suggest (numbers: guild, user, 1 yes / 0 no).
    ImportSuggest,
    /// Confirm an ending (numbers: guild, relationship, reason code; see `end_reason_code`).
    EndConfirm,
    /// Keep the mentorship after all (numbers: guild, relationship).
    EndCancel,
    /// Leave a peer group that goes on without you (numbers: guild, relationship).
    LeaveGroup,
    /// Celebrate in the program channel? (numbers: guild, relationship, 1 yes / 0 no).
    Celebrate,
    /// "Suggest a change" on an agreement's Confirm message (numbers: guild, relationship).
    SuggestChange,
    SuggestChangeForm,
}

impl Action {
    fn code(self) -> &'static str {
        match self {
            Action::Accept => "acc",
            Action::Decline => "dec",
            Action::Confirm => "conf",
            Action::Retro => "retro",
            Action::Agreement => "agr",
            Action::Reflect => "refl",
            Action::RetroForm => "fretro",
            Action::AgreementForm => "fagr",
            Action::ReflectForm => "frefl",
            Action::JournalForm => "fjour",
            Action::DraftForm => "fdraft",
            Action::Skip => "skip",
            Action::Reschedule => "resch",
            Action::Met => "met",
            Action::NotMet => "notmet",
            Action::RescheduleForm => "fresch",
            Action::ChangeFrequency => "freq",
            Action::PauseRel => "pause",
            Action::EndRel => "end",
            Action::ResumeRel => "resume",
            Action::FrequencyForm => "ffreq",
            Action::Forget => "forget",
            Action::SuggestRequest => "sugr",
            Action::SuggestOffer => "sugo",
            Action::Page => "page",
            Action::Full => "full",
            Action::QuestionsPage => "qpage",
            Action::AnswerQuestion => "qans",
            Action::Fit => "fit",
            Action::Rate => "rate",
            Action::Again => "again",
            Action::FindAnother => "another",
            Action::FindAnotherForm => "fanother",
            Action::ImportApply => "impapply",
            Action::ImportSuggest => "impsug",
            Action::EndConfirm => "endok",
            Action::EndCancel => "endno",
            Action::LeaveGroup => "leave",
            Action::Celebrate => "celeb",
            Action::SuggestChange => "sugchg",
            Action::SuggestChangeForm => "fsugchg",
        }
    }

    const ALL: [Action; 41] = [
        Action::Accept,
        Action::Decline,
        Action::Confirm,
        Action::Retro,
        Action::Agreement,
        Action::Reflect,
        Action::RetroForm,
        Action::AgreementForm,
        Action::ReflectForm,
        Action::JournalForm,
        Action::DraftForm,
        Action::Skip,
        Action::Reschedule,
        Action::Met,
        Action::NotMet,
        Action::RescheduleForm,
        Action::ChangeFrequency,
        Action::PauseRel,
        Action::EndRel,
        Action::ResumeRel,
        Action::FrequencyForm,
        Action::Forget,
        Action::SuggestRequest,
        Action::SuggestOffer,
        Action::Page,
        Action::Full,
        Action::QuestionsPage,
        Action::AnswerQuestion,
        Action::Fit,
        Action::Rate,
        Action::Again,
        Action::FindAnother,
        Action::FindAnotherForm,
        Action::ImportApply,
        Action::ImportSuggest,
        Action::EndConfirm,
        Action::EndCancel,
        Action::LeaveGroup,
        Action::Celebrate,
        Action::SuggestChange,
        Action::SuggestChangeForm,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomId {
    pub action: Action,
    pub numbers: Vec<u64>,
}

impl CustomId {
    pub fn new(action: Action, numbers: &[u64]) -> Self {
        Self {
            action,
            numbers: numbers.to_vec(),
        }
    }

    /// For the common case of an action on one relationship of one server.
    pub fn on(action: Action, guild: GuildId, rel: RelationshipId) -> Self {
        Self::new(action, &[guild.0, rel.0 as u64])
    }

    pub fn encode(&self) -> String {
        let mut s = format!("mb:{}", self.action.code());
        for n in &self.numbers {
            s.push(':');
            s.push_str(&n.to_string());
        }
        s
    }

    pub fn parse(s: &str) -> Option<CustomId> {
        // A job's message carries its marker after the id (see `marker`); it names no target.
        let s = s.split_once(super::marker::SEPARATOR).map_or(s, |(id, _)| id);
        let mut parts = s.split(':');
        if parts.next()? != "mb" {
            return None;
        }
        let code = parts.next()?;
        let action = Action::ALL.into_iter().find(|a| a.code() == code)?;
        let numbers = parts.map(|p| p.parse().ok()).collect::<Option<Vec<u64>>>()?;
        Some(CustomId { action, numbers })
    }

    pub fn guild_rel(&self) -> Option<(GuildId, RelationshipId)> {
        match self.numbers.as_slice() {
            [g, r, ..] => Some((GuildId(*g), RelationshipId(*r as i64))),
            _ => None,
        }
    }
}

/// The metrics' name of a button or form: its kind and action (`button mb:met`), or `button
/// other` for a custom id that is not ours. Forged custom ids cannot add label values.
pub fn metric_label(form: bool, action: Option<Action>) -> String {
    let kind = if form { "form" } else { "button" };
    match action {
        Some(a) => format!("{kind} mb:{}", a.code()),
        None => format!("{kind} other"),
    }
}

/// A custom id's numbers, read strictly: exactly as many as the action takes, each in range.
/// Anything else is not a button or form of ours.
impl CustomId {
    pub fn press(&self) -> Option<Press> {
        let rel = |r: u64| i64::try_from(r).ok().map(RelationshipId);
        let checkin = |c: u64| i64::try_from(c).ok().map(CheckinId);
        Some(match (self.action, self.numbers.as_slice()) {
            (Action::Accept, &[g, r]) => Press::Accept {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::Decline, &[g, r]) => Press::Decline {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::Confirm, &[g, r, v]) => Press::Confirm {
                guild: GuildId(g),
                rel: rel(r)?,
                version: u32::try_from(v).ok()?,
            },
            (Action::Retro, &[g, r]) => Press::Retro {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::Reflect, &[g, r]) => Press::Reflect {
                guild: GuildId(g),
                rel: rel(r)?,
                checkin: None,
            },
            (Action::Reflect, &[g, r, c]) => Press::Reflect {
                guild: GuildId(g),
                rel: rel(r)?,
                checkin: Some(checkin(c)?),
            },
            (Action::Skip, &[g, r, c]) => Press::Skip {
                guild: GuildId(g),
                rel: rel(r)?,
                checkin: checkin(c)?,
            },
            (Action::Met, &[g, r, c]) => Press::Met {
                guild: GuildId(g),
                rel: rel(r)?,
                checkin: checkin(c)?,
            },
            (Action::NotMet, &[g, r, c]) => Press::NotMet {
                guild: GuildId(g),
                rel: rel(r)?,
                checkin: checkin(c)?,
            },
            (Action::Reschedule, &[g, r, c]) => Press::Reschedule {
                guild: GuildId(g),
                rel: rel(r)?,
                checkin: checkin(c)?,
            },
            (Action::ChangeFrequency, &[g, r]) => Press::ChangeFrequency {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::PauseRel, &[g, r]) => Press::Pause {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::EndRel, &[g, r]) => Press::End {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::ResumeRel, &[g, r]) => Press::Resume {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::Forget, &[g, u]) => Press::Forget {
                guild: GuildId(g),
                user: UserId(u),
            },
            (Action::SuggestRequest | Action::SuggestOffer, &[g, for_user, other, kind]) => Press::Suggested {
                guild: GuildId(g),
                for_user: UserId(for_user),
                other: UserId(other),
                kind: match kind {
                    0 => Kind::Classic,
                    1 => Kind::Reverse,
                    _ => return None,
                },
                direction: if self.action == Action::SuggestOffer {
                    Direction::Offer
                } else {
                    Direction::Request
                },
            },
            // Inside the questions a page button turns the page in place; the profile's button
            // (a fourth number, 1) opens them as a message of their own.
            (Action::QuestionsPage, &[g, for_user, page]) => Press::Questions {
                guild: GuildId(g),
                for_user: UserId(for_user),
                page: u32::try_from(page).ok()?,
                open: false,
            },
            (Action::QuestionsPage, &[g, for_user, page, 1]) => Press::Questions {
                guild: GuildId(g),
                for_user: UserId(for_user),
                page: u32::try_from(page).ok()?,
                open: true,
            },
            (Action::Fit, &[g, r, f]) => Press::Fit {
                guild: GuildId(g),
                rel: rel(r)?,
                fit: crate::domain::guide::Fit::from_code(f)?,
            },
            (Action::Rate, &[g, r, v @ 1..=5]) => Press::Rate {
                guild: GuildId(g),
                rel: rel(r)?,
                answer: crate::store::guide::EvaluationAnswer::Value(v as u8),
            },
            (Action::Again, &[g, r, a @ 0..=1]) => Press::Rate {
                guild: GuildId(g),
                rel: rel(r)?,
                answer: crate::store::guide::EvaluationAnswer::Again(a == 1),
            },
            (Action::FindAnother, &[g, r]) => Press::FindAnother {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::EndConfirm, &[g, r, code]) => Press::EndConfirm {
                guild: GuildId(g),
                rel: rel(r)?,
                reason: end_reason_of(code)?,
            },
            (Action::EndCancel, &[g, r]) => Press::EndCancel {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::LeaveGroup, &[g, r]) => Press::Leave {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::SuggestChange, &[g, r]) => Press::SuggestChange {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::Celebrate, &[g, r, a @ 0..=1]) => Press::Celebrate {
                guild: GuildId(g),
                rel: rel(r)?,
                yes: a == 1,
            },
            _ => return None,
        })
    }

    /// A select menu's custom id, read as strictly as [`CustomId::press`].
    pub fn select(&self) -> Option<Select> {
        Some(match (self.action, self.numbers.as_slice()) {
            (Action::AnswerQuestion, &[g, for_user, question, page]) => Select::Answer {
                guild: GuildId(g),
                for_user: UserId(for_user),
                question: QuestionId(i64::try_from(question).ok()?),
                page: u32::try_from(page).ok()?,
            },
            _ => return None,
        })
    }

    pub fn submit(&self) -> Option<Submit> {
        let rel = |r: u64| i64::try_from(r).ok().map(RelationshipId);
        let checkin = |c: u64| i64::try_from(c).ok().map(CheckinId);
        Some(match (self.action, self.numbers.as_slice()) {
            (Action::DraftForm, &[key]) => Submit::Draft { key },
            (Action::ReflectForm, &[g, r, c]) => Submit::Reflection {
                guild: GuildId(g),
                rel: rel(r)?,
                // 0: a reflection about no particular check-in.
                checkin: if c == 0 { None } else { Some(checkin(c)?) },
            },
            (Action::JournalForm, &[g, r]) => Submit::Reflection {
                guild: GuildId(g),
                rel: rel(r)?,
                checkin: None,
            },
            (Action::RetroForm, &[g, r]) => Submit::Retro {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::RescheduleForm, &[g, r, c]) => Submit::Reschedule {
                guild: GuildId(g),
                rel: rel(r)?,
                checkin: checkin(c)?,
            },
            (Action::FrequencyForm, &[g, r]) => Submit::Frequency {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::FindAnotherForm, &[g, r]) => Submit::FindAnother {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            (Action::SuggestChangeForm, &[g, r]) => Submit::SuggestChange {
                guild: GuildId(g),
                rel: rel(r)?,
            },
            _ => return None,
        })
    }
}

/// An ending's reason as a confirm button carries it (the order of `/mentorship end`'s choices).
pub fn end_reason_code(reason: EndReason) -> u64 {
    match reason {
        EndReason::GoalsMet => 0,
        EndReason::NotAFit => 1,
        EndReason::PlannedEnd => 2,
        EndReason::Other => 3,
        EndReason::LeftServer => 4,
    }
}

fn end_reason_of(code: u64) -> Option<EndReason> {
    Some(match code {
        0 => EndReason::GoalsMet,
        1 => EndReason::NotAFit,
        2 => EndReason::PlannedEnd,
        3 => EndReason::Other,
        // Leaving the server is the bot's reason, never a member's button.
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let id = CustomId::new(Action::Confirm, &[1_000_000_000_000_001, 42, 3]);
        assert_eq!(CustomId::parse(&id.encode()), Some(id.clone()));
        assert!(id.encode().len() <= 100);
        assert_eq!(CustomId::parse("mb:nope:1"), None);
        assert_eq!(CustomId::parse("other:acc:1"), None);
        assert_eq!(CustomId::parse("mb:acc:x"), None);
        // A suggestion's button carries the server, whom it is for, the other person and the kind.
        let sug = CustomId::new(
            Action::SuggestOffer,
            &[
                1_000_000_000_000_001,
                900_000_000_000_000_001,
                900_000_000_000_000_099,
                1,
            ],
        );
        assert_eq!(CustomId::parse(&sug.encode()), Some(sug.clone()));
        assert!(sug.encode().len() <= 100);
        // Every reason a member can choose survives its confirm button; leaving the server does not.
        for reason in [
            EndReason::GoalsMet,
            EndReason::NotAFit,
            EndReason::PlannedEnd,
            EndReason::Other,
        ] {
            let id = CustomId::new(Action::EndConfirm, &[1, 2, end_reason_code(reason)]);
            assert_eq!(
                CustomId::parse(&id.encode()).and_then(|c| c.press()),
                Some(Press::EndConfirm {
                    guild: GuildId(1),
                    rel: RelationshipId(2),
                    reason
                })
            );
        }
        let left = CustomId::new(Action::EndConfirm, &[1, 2, end_reason_code(EndReason::LeftServer)]);
        assert_eq!(left.press(), None);
    }
}
