//! The guide's third feature, knowing the process (issue 13): the five phases in the bot's own
//! words, the short tips each transition carries, the organisers' resources per phase, and the
//! answers that tell whether mentorships work (the midpoint fit check, the retrospective's
//! rating). Plain values: no Discord, no database.
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::{GuildId, RelationshipId, UserId};
use super::relationship::Role;
use super::validate::{Valid, ValidationError};

/// The five phases of a mentorship, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Purpose,
    Find,
    Scope,
    Implement,
    End,
}

impl Phase {
    pub const ALL: [Phase; 5] = [Phase::Purpose, Phase::Find, Phase::Scope, Phase::Implement, Phase::End];

    /// The word `/mentor guide <phase>` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Purpose => "purpose",
            Phase::Find => "find",
            Phase::Scope => "scope",
            Phase::Implement => "implement",
            Phase::End => "end",
        }
    }

    pub fn number(self) -> usize {
        Phase::ALL.iter().position(|p| *p == self).unwrap_or(0) + 1
    }

    pub fn title(self) -> &'static str {
        match self {
            Phase::Purpose => "Know your purpose",
            Phase::Find => "Find the right relationship",
            Phase::Scope => "Define the scope",
            Phase::Implement => "Implement the plan and evaluate progress",
            Phase::End => "End the relationship",
        }
    }

    pub fn parse(s: &str) -> Valid<Phase> {
        let norm = s.trim().to_ascii_lowercase();
        Phase::ALL
            .into_iter()
            .find(|p| p.as_str() == norm || p.number().to_string() == norm)
            .ok_or_else(|| {
                ValidationError::new(
                    "phase",
                    format!(
                        "\"{}\" is not a phase; choose purpose, find, scope, implement or end",
                        s.trim()
                    ),
                )
            })
    }

    /// The pointer a transition message carries.
    pub fn pointer(self) -> String {
        format!("More: `/mentor guide phase:{}`", self.as_str())
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "phase {}, {}", self.number(), self.title().to_lowercase())
    }
}

/// The guide's overview: what makes mentorships work and the five phases in a line each.
pub fn overview() -> String {
    let phases: Vec<String> = Phase::ALL
        .iter()
        .map(|p| format!("{}. **{}** (`{}`): {}", p.number(), p.title(), p.as_str(), one_line(*p)))
        .collect();
    format!(
        "**Welcome to the mentorship program.** Mentorships that go well have three things: the match serves \
         someone's career goals, the two people get on, and both know how a mentorship is built. This bot helps with \
         all three, phase by phase:\n{}\n\n**Roles.** The mentor guides the conversations, keeps the pace, looks back \
         at progress with you, and encourages, supports and challenges. The mentee acts on the goals, reflects on \
         progress, and brings successes, setbacks and new questions. It goes both ways: mentors learn too.\n\n\
         `/mentor guide phase:<phase>` explains each phase: what to do, what to ask yourself, each role, and your \
         program's resources.",
        phases.join("\n")
    )
}

fn one_line(p: Phase) -> &'static str {
    match p {
        Phase::Purpose => "say which career goal brings you here and how a mentorship would help",
        Phase::Find => "look for who has (or needs) the knowledge, skills or experience, then ask or offer",
        Phase::Scope => "agree on expectations, how to handle problems and how you meet; then an action plan",
        Phase::Implement => "meet, and after each conversation take time to reflect; keep a journal",
        Phase::End => "mark the end, celebrate or admit it did not work, and take the lessons with you",
    }
}

/// What to do in a phase, the questions to ask yourself, and each role's part in it.
pub struct PhaseGuide {
    pub phase: Phase,
    pub what_to_do: &'static str,
    pub questions: &'static [&'static str],
    pub mentor: &'static str,
    pub mentee: &'static str,
    /// How the bot helps in this phase.
    pub with_the_bot: &'static str,
}

pub fn phase_guide(phase: Phase) -> PhaseGuide {
    match phase {
        Phase::Purpose => PhaseGuide {
            phase,
            what_to_do: "Before looking for anyone, put into words why you want a mentorship. Name the career goal \
                         behind it and how working with someone would get you closer to it. Mentors do this too: \
                         knowing your own goals shapes how you mentor.",
            questions: &[
                "Which career goal made me look for mentoring (or offer it)?",
                "How would a mentorship help me reach it?",
                "What do I hope to learn or give back?",
            ],
            mentor: "Be clear about what you want from it too: new knowledge, other perspectives, a view of the \
                     next generation's questions.",
            mentee: "The mentorship centres on your goals, so state them as plainly as you can.",
            with_the_bot:
                "Every `/mentor seek` and `/mentor offer` starts with your purpose; the other person reads it.",
        },
        Phase::Find => PhaseGuide {
            phase,
            what_to_do: "Look for the person whose knowledge, skills or experience fit your goal (or who needs \
                         yours). Look around you, inside and outside your profession. Then ask or offer: both \
                         sides gain, so do not hesitate. Chemistry matters: someone respected, patient, \
                         enthusiastic, with humour, whose way of leading and teaching suits how you learn, and who \
                         has the time.",
            questions: &[
                "Who has (or is looking for) what best matches my goal?",
                "Would someone from another profession help me more?",
                "Do our styles fit, and do we both have the time?",
            ],
            mentor: "Notice colleagues who could use support and offer it; you need no formal program to start.",
            mentee: "You can ask anyone who could help, such as someone who taught or supervised you.",
            with_the_bot: "`/mentor suggest` lists who fits and why; `/mentor request` or `/mentor offer-to` asks \
                           someone directly; organisers also match the whole program.",
        },
        Phase::Scope => PhaseGuide {
            phase,
            what_to_do: "Agree on how you will work together: what each of you expects, how you will handle issues \
                         when they come up, and the practical side (how often, when and how you meet). Then write \
                         an action plan: the goals and the steps that get you there.",
            questions: &[
                "What do I expect of the other person, and they of me?",
                "What will we do if meetings slip or something feels wrong?",
                "How often, when and how do we meet?",
                "Which goals and steps go into our action plan?",
            ],
            mentor: "Lead the conversation about the agreement and propose a pace you can keep.",
            mentee: "Bring your goals and turn them into concrete steps you will act on.",
            with_the_bot: "`/mentorship agreement` holds the agreement everyone confirms; `/mentorship plan add` \
                           and `step` hold the action plan; the frequency becomes your check-ins.",
        },
        Phase::Implement => PhaseGuide {
            phase,
            what_to_do: "Follow the plan, and after each conversation set time aside to reflect: what are you \
                         learning, and how is the relationship going? A journal tracks your progress. Halfway, look \
                         at the goals and the agreement again.",
            questions: &[
                "What did I learn in this conversation?",
                "How is the relationship evolving?",
                "Are the goals still the right ones, and is the rhythm working?",
            ],
            mentor: "Keep the pace, review progress, and encourage, support and challenge.",
            mentee: "Act on the steps, reflect on progress, and share successes, challenges and new questions.",
            with_the_bot: "Reminders before each check-in, \"Did you meet?\" after it with a reflection for your \
                           private journal (`/mentorship journal list`), and a halfway review.",
        },
        Phase::End => PhaseGuide {
            phase,
            what_to_do: "Take time to mark the end, whether you celebrate what you achieved or acknowledge that the \
                         relationship is not working. Either way, look back at what you learned. If the fit was not \
                         there, that is normal: look for another mentor or mentee.",
            questions: &[
                "What have I learned along the way?",
                "What would I do differently in my next mentorship?",
                "What deserves to be celebrated?",
            ],
            mentor: "Acknowledge the mentee's progress and what you learned from them.",
            mentee: "Thank your mentor, name what changed for you, and think about your next goal.",
            with_the_bot: "`/mentorship end` (or the planned end) brings a retrospective for each of you, an \
                           optional celebration, and \"Find me another\" for the next mentorship.",
        },
    }
}

/// Ways to mentor without a formal program, from the guide.
pub const WITHOUT_A_PROGRAM: &str = "**Without a formal program.** Ask anyone who could help you directly. As a \
     mentor, offer help to a colleague who could use it: take them to a board or committee meeting, nominate them for \
     a leadership opportunity and coach them through it, or write an article or paper together.";

/// The text of `/mentor guide phase:<phase>`, seen from `role` (both roles when `None`).
pub fn phase_text(phase: Phase, role: Option<Role>) -> String {
    let g = phase_guide(phase);
    let questions: Vec<String> = g.questions.iter().map(|q| format!("- {q}")).collect();
    let mut text = format!(
        "**Phase {} of 5: {}**\n{}\n\n**Ask yourself:**\n{}\n",
        phase.number(),
        phase.title(),
        g.what_to_do,
        questions.join("\n")
    );
    match role {
        Some(Role::Mentor) => text += &format!("\n**As the mentor:** {}", g.mentor),
        Some(Role::Mentee) => text += &format!("\n**As the mentee:** {}", g.mentee),
        _ => text += &format!("\n**The mentor:** {}\n**The mentee:** {}", g.mentor, g.mentee),
    }
    text += &format!("\n\n**With the bot:** {}", g.with_the_bot);
    if phase == Phase::Find {
        text += "\n\n";
        text += WITHOUT_A_PROGRAM;
    }
    if let Some(next) = Phase::ALL.get(phase.number()) {
        text += &format!("\n\nNext: `/mentor guide phase:{}`.", next.as_str());
    }
    text
}

/// The moments a message carries tips for the phase that starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// An offer or a request was opened: finding the right relationship starts.
    Opened,
    /// A proposal was accepted: defining the scope starts.
    Accepted,
    /// The agreement is in force: the action plan, then implementing it.
    Confirmed,
    /// The first check-in took place (or was due).
    FirstCheckin,
    /// Halfway through the agreement.
    Midpoint,
    /// The mentorship ended.
    Ended,
}

impl Transition {
    pub fn phase(self) -> Phase {
        match self {
            Transition::Opened => Phase::Find,
            Transition::Accepted => Phase::Scope,
            Transition::Confirmed | Transition::FirstCheckin | Transition::Midpoint => Phase::Implement,
            Transition::Ended => Phase::End,
        }
    }

    /// The short tips: a line or two, then the pointer to the guide.
    pub fn tips(self) -> String {
        let tips = match self {
            Transition::Opened => {
                "look inside and outside your profession for who fits your goal; `/mentor suggest` shows who and \
                 why, and asking directly is welcome: both sides gain."
            }
            Transition::Accepted => {
                "agree on what each of you expects, how you will handle issues, and how often, when and how you \
                 meet; then write your action plan."
            }
            Transition::Confirmed => {
                "turn your goals into an action plan (`/mentorship plan add`), and after each conversation take a \
                 few minutes to reflect."
            }
            Transition::FirstCheckin => {
                "after each conversation, note what you learned and how the relationship is going; your private \
                 journal keeps track."
            }
            Transition::Midpoint => {
                "look at the goals and the agreement together; change what no longer fits. If it is not working, \
                 ending early is fine."
            }
            Transition::Ended => {
                "mark the end: celebrate what you achieved or acknowledge what did not work, and note what you \
                 would do differently next time."
            }
        };
        let phase = self.phase();
        format!(
            "**Tips for phase {}, {}:** {tips} {}",
            phase.number(),
            phase.title().to_lowercase(),
            phase.pointer()
        )
    }
}

/// The most resources a server may have in use.
pub const MAX_RESOURCES: usize = 20;
pub const RESOURCE_TITLE_MAX: usize = 80;
pub const RESOURCE_LINK_MAX: usize = 300;
pub const RESOURCE_TEXT_MAX: usize = 300;

/// A link or a short text an organiser gives for a phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub id: i64,
    pub guild: GuildId,
    pub phase: Phase,
    pub title: String,
    /// An http(s) link or a short text.
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
}

impl Resource {
    /// A checked new resource: a title and exactly one of a link (http or https) and a text.
    pub fn new(
        guild: GuildId,
        phase: Phase,
        title: &str,
        link: Option<&str>,
        text: Option<&str>,
        now: DateTime<Utc>,
    ) -> Valid<Resource> {
        let title = super::validate::required_text("title", title, RESOURCE_TITLE_MAX)?;
        if title.contains('\n') {
            return Err(ValidationError::new("title", "keep it to one line"));
        }
        let link = link.map(str::trim).filter(|l| !l.is_empty());
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        let body = match (link, text) {
            (Some(_), Some(_)) => {
                return Err(ValidationError::new("resource", "give a link or a text, not both"));
            }
            (None, None) => return Err(ValidationError::new("resource", "give a link or a short text")),
            (Some(l), None) => check_link(l)?,
            (None, Some(t)) => super::validate::required_text("text", t, RESOURCE_TEXT_MAX)?,
        };
        Ok(Resource {
            id: 0,
            guild,
            phase,
            title,
            body,
            created_at: now,
            removed_at: None,
        })
    }

    /// One line of a list: the title, then the link or text.
    pub fn line(&self) -> String {
        format!("- **{}**: {}", self.title, self.body)
    }
}

/// A link members can open: http or https, a host, no spaces.
pub fn check_link(link: &str) -> Valid<String> {
    let l = link.trim();
    if l.chars().count() > RESOURCE_LINK_MAX {
        return Err(ValidationError::new(
            "link",
            format!("it is too long; keep it within {RESOURCE_LINK_MAX} characters"),
        ));
    }
    let lower = l.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| ValidationError::new("link", "it must start with http:// or https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || l.chars().any(|c| c.is_whitespace() || c.is_control()) || !host.contains('.') {
        return Err(ValidationError::new(
            "link",
            "it is not a web address (like https://example.org/page)",
        ));
    }
    Ok(l.to_string())
}

/// A member's answer to "Is this mentorship working for you?" at the midpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    Yes,
    Partly,
    No,
}

impl Fit {
    pub const ALL: [Fit; 3] = [Fit::Yes, Fit::Partly, Fit::No];

    pub fn as_str(self) -> &'static str {
        match self {
            Fit::Yes => "yes",
            Fit::Partly => "partly",
            Fit::No => "no",
        }
    }

    pub fn code(self) -> u64 {
        match self {
            Fit::Yes => 1,
            Fit::Partly => 2,
            Fit::No => 3,
        }
    }

    pub fn from_code(c: u64) -> Option<Fit> {
        Fit::ALL.into_iter().find(|f| f.code() == c)
    }

    pub fn parse(s: &str) -> Option<Fit> {
        Fit::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// A member's answers about one mentorship: the fit check and the retrospective's rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub guild: GuildId,
    pub relationship: RelationshipId,
    pub user: UserId,
    pub fit: Option<Fit>,
    /// How valuable the mentorship was, 1 to 5.
    pub value: Option<u8>,
    /// Whether the member would join the program again.
    pub again: Option<bool>,
    pub updated_at: DateTime<Utc>,
}

/// The fewest answers before `/program stats` shows any evaluation.
pub const MIN_ANSWERS: usize = 5;

/// What organisers see of the evaluations: counts, only with enough answers.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationStats {
    /// How many members rated a mentorship.
    pub answers: usize,
    /// How many gave 1, 2, 3, 4 and 5.
    pub values: [usize; 5],
    /// Would join again: yes, no; only from [`MIN_ANSWERS`] answers to that question on (it is
    /// asked apart from the rating, so fewer people may have answered it).
    pub again: Option<(usize, usize)>,
    /// Ended mentorships, and how many of them ended before their planned end.
    pub ended: usize,
    pub ended_early: usize,
}

impl EvaluationStats {
    /// Counts over the ratings given; `None` below [`MIN_ANSWERS`], so no small group (a pair)
    /// can be told apart.
    pub fn of(evaluations: &[Evaluation], ended: usize, ended_early: usize) -> Option<EvaluationStats> {
        let rated: Vec<&Evaluation> = evaluations.iter().filter(|e| e.value.is_some()).collect();
        if rated.len() < MIN_ANSWERS {
            return None;
        }
        let mut values = [0; 5];
        for v in rated.iter().filter_map(|e| e.value) {
            if (1..=5).contains(&v) {
                values[usize::from(v) - 1] += 1;
            }
        }
        let again = (
            evaluations.iter().filter(|e| e.again == Some(true)).count(),
            evaluations.iter().filter(|e| e.again == Some(false)).count(),
        );
        let again = (again.0 + again.1 >= MIN_ANSWERS).then_some(again);
        Some(EvaluationStats {
            answers: rated.len(),
            values,
            again,
            ended,
            ended_early,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_has_a_guide_for_both_roles_within_discords_limit() {
        for phase in Phase::ALL {
            assert_eq!(Phase::parse(phase.as_str()).unwrap(), phase);
            assert_eq!(Phase::parse(&phase.number().to_string()).unwrap(), phase);
            let g = phase_guide(phase);
            assert!(!g.questions.is_empty());
            let both = phase_text(phase, None);
            assert!(both.contains(g.mentor) && both.contains(g.mentee), "{both}");
            for q in g.questions {
                assert!(both.contains(q));
            }
            let mentor = phase_text(phase, Some(Role::Mentor));
            assert!(mentor.contains(g.mentor) && !mentor.contains(g.mentee));
            let mentee = phase_text(phase, Some(Role::Mentee));
            assert!(mentee.contains(g.mentee) && !mentee.contains(g.mentor));
            // Leaves room for the resources' pointer.
            for t in [&both, &mentor, &mentee] {
                assert!(t.chars().count() <= 1700, "{phase:?}: {}", t.chars().count());
            }
        }
        assert!(phase_text(Phase::Find, None).contains(WITHOUT_A_PROGRAM));
        assert!(overview().chars().count() <= 1700);
        for p in Phase::ALL {
            assert!(overview().contains(p.title()));
        }
        assert!(Phase::parse("middle").is_err());
    }

    #[test]
    fn the_guide_covers_what_the_source_says_of_each_phase() {
        let text = |p| phase_text(p, None).to_lowercase();
        assert!(text(Phase::Purpose).contains("career goal"));
        assert!(text(Phase::Find).contains("outside your profession"));
        for w in ["expects", "issues", "how often", "action plan"] {
            assert!(text(Phase::Scope).contains(w), "{w}");
        }
        for w in ["reflect", "journal"] {
            assert!(text(Phase::Implement).contains(w), "{w}");
        }
        for w in ["celebrate", "not working", "learned", "differently"] {
            assert!(text(Phase::End).contains(w), "{w}");
        }
    }

    #[test]
    fn each_transition_points_to_the_phase_that_starts() {
        let all = [
            (Transition::Opened, Phase::Find),
            (Transition::Accepted, Phase::Scope),
            (Transition::Confirmed, Phase::Implement),
            (Transition::FirstCheckin, Phase::Implement),
            (Transition::Midpoint, Phase::Implement),
            (Transition::Ended, Phase::End),
        ];
        for (t, p) in all {
            assert_eq!(t.phase(), p);
            let tips = t.tips();
            assert!(tips.contains(&format!("/mentor guide phase:{}", p.as_str())), "{tips}");
            assert!(tips.chars().count() <= 320, "{t:?}: {}", tips.chars().count());
        }
    }

    #[test]
    fn resources_take_a_title_and_a_web_link_or_a_short_text() {
        let now = Utc::now();
        let g = GuildId(1);
        let ok = Resource::new(
            g,
            Phase::Scope,
            "Template",
            Some("https://example.org/a?b=c"),
            None,
            now,
        )
        .unwrap();
        assert_eq!(ok.body, "https://example.org/a?b=c");
        assert!(Resource::new(g, Phase::Scope, "Note", None, Some("Bring your CV."), now).is_ok());
        for bad in [
            "ftp://example.org",
            "javascript:alert(1)",
            "example.org",
            "https://",
            "https://exa mple.org",
        ] {
            assert!(
                Resource::new(g, Phase::Scope, "x", Some(bad), None, now).is_err(),
                "{bad}"
            );
        }
        let long_link = format!("https://example.org/{}", "a".repeat(RESOURCE_LINK_MAX));
        assert!(Resource::new(g, Phase::Scope, "x", Some(&long_link), None, now).is_err());
        assert!(Resource::new(
            g,
            Phase::Scope,
            "x",
            None,
            Some(&"a".repeat(RESOURCE_TEXT_MAX + 1)),
            now
        )
        .is_err());
        assert!(Resource::new(
            g,
            Phase::Scope,
            &"t".repeat(RESOURCE_TITLE_MAX + 1),
            None,
            Some("a"),
            now
        )
        .is_err());
        assert!(Resource::new(g, Phase::Scope, "x", None, None, now).is_err());
        assert!(Resource::new(g, Phase::Scope, "x", Some("https://a.org"), Some("t"), now).is_err());
        assert!(Resource::new(g, Phase::Scope, " ", Some("https://a.org"), None, now).is_err());
    }

    #[test]
    fn stats_need_five_ratings() {
        let e = |v: u8, again: Option<bool>| Evaluation {
            guild: GuildId(1),
            relationship: RelationshipId(1),
            user: UserId(v.into()),
            fit: None,
            value: Some(v),
            again,
            updated_at: Utc::now(),
        };
        let four: Vec<Evaluation> = (1..=4).map(|v| e(v, Some(true))).collect();
        assert_eq!(EvaluationStats::of(&four, 3, 1), None);
        let mut five = four.clone();
        five.push(e(5, Some(false)));
        // A fit check alone is not a rating.
        five.push(Evaluation {
            value: None,
            fit: Some(Fit::No),
            ..e(1, None)
        });
        let s = EvaluationStats::of(&five, 3, 1).unwrap();
        assert_eq!(s.answers, 5);
        assert_eq!(s.values, [1, 1, 1, 1, 1]);
        assert_eq!(s.again, Some((4, 1)));
        assert_eq!((s.ended, s.ended_early), (3, 1));
        // Five ratings, but only one "would join again" answer: that answer is not shown.
        let mut rated_only: Vec<Evaluation> = (1..=5).map(|v| e(v, None)).collect();
        rated_only[0].again = Some(false);
        assert_eq!(EvaluationStats::of(&rated_only, 3, 1).unwrap().again, None);
    }
}
