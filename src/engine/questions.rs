//! Chemistry and formal criteria (issue 13): the server's levels, the organisers' questions,
//! members' profession, unit, level and answers, and how they enter the program file that
//! matching, suggestions, previews and publishing all read.
use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};

use super::matching::{MenteeEntry, MentorEntry};
use super::{Engine, Error, Result};
use crate::domain::ids::*;
use crate::domain::listing::{Request, RequestInput};
use crate::domain::questions::{
    parse_levels, Answer, CriteriaInput, MemberCriteria, Question, QuestionId, QuestionInput, Wish, MAX_QUESTIONS,
    READY_MADE,
};
use crate::domain::validate::ValidationError;
use crate::store::criteria::TooManyQuestions;

/// The id of a server question in the program file.
pub fn file_id(id: QuestionId) -> String {
    format!("q{id}")
}

fn too_many(in_use: usize, adding: usize) -> Error {
    let reason = if adding == 1 {
        format!(
            "this server already has {in_use} questions in use, the most it can have is {MAX_QUESTIONS}; remove one with \
             /program question remove first"
        )
    } else {
        format!(
            "the ready-made set adds {adding} questions and this server has {in_use} in use, the most it can have is \
             {MAX_QUESTIONS}; remove some with /program question remove first"
        )
    };
    ValidationError::new("questions", reason).into()
}

/// A page of the matching questions for one member: the questions in use, their answers, the
/// page asked for, and what the last pick did.
#[derive(Debug, Clone)]
pub struct QuestionsPage {
    pub guild: GuildId,
    pub user: UserId,
    pub questions: Vec<Question>,
    pub answers: Vec<Answer>,
    pub page: usize,
    /// Opened from the profile as a message of its own (else the page changes in place).
    pub open: bool,
    pub note: Option<String>,
}

impl Engine {
    /// The member's page of questions, read now.
    pub(super) async fn questions_page(
        &self,
        guild: GuildId,
        user: UserId,
        page: u32,
        open: bool,
        note: Option<String>,
    ) -> Result<QuestionsPage> {
        Ok(QuestionsPage {
            guild,
            user,
            questions: self.questions(guild).await?,
            answers: self.my_answers(guild, user).await?,
            page: page as usize,
            open,
            note,
        })
    }

    async fn require_question_organiser(&self, guild: GuildId, is_admin: bool, roles: &[u64]) -> Result<()> {
        self.require_organiser(
            guild,
            is_admin,
            roles,
            "only server admins and the program's coordinators can change the matching questions and levels",
        )
        .await
    }

    /// The server's levels, lowest first.
    pub async fn levels(&self, guild: GuildId) -> Result<Vec<String>> {
        Ok(self.store.levels(guild).await?)
    }

    /// Sets the server's levels ("student < new grad < clinician"), or removes them (`none`).
    /// Members keep the level they gave; one no longer on the ladder counts no more.
    pub async fn set_levels(&self, guild: GuildId, is_admin: bool, roles: &[u64], text: &str) -> Result<Vec<String>> {
        self.require_question_organiser(guild, is_admin, roles).await?;
        let levels = if text.trim().eq_ignore_ascii_case("none") {
            Vec::new()
        } else {
            parse_levels(text)?
        };
        self.store.set_levels(guild, &levels).await?;
        Ok(levels)
    }

    /// The questions in use, oldest first (anyone may read them: they answer them).
    pub async fn questions(&self, guild: GuildId) -> Result<Vec<Question>> {
        Ok(self.store.questions(guild, false).await?)
    }

    /// Adds an organiser's question (at most ten in use).
    pub async fn add_question(
        &self,
        guild: GuildId,
        is_admin: bool,
        roles: &[u64],
        input: &QuestionInput,
    ) -> Result<Question> {
        self.require_question_organiser(guild, is_admin, roles).await?;
        let mut q = Question::new(guild, input, self.now())?;
        match self.store.insert_question(&q, MAX_QUESTIONS).await? {
            Ok(id) => q.id = id,
            Err(TooManyQuestions(n)) => return Err(too_many(n, 1)),
        }
        Ok(q)
    }

    /// Turns on the ready-made questions on working and communication styles (those not in use
    /// already). Returns the questions added.
    pub async fn add_ready_made(&self, guild: GuildId, is_admin: bool, roles: &[u64]) -> Result<Vec<Question>> {
        self.require_question_organiser(guild, is_admin, roles).await?;
        let now = self.now();
        let in_use: HashSet<String> = self
            .questions(guild)
            .await?
            .into_iter()
            .filter_map(|q| q.preset)
            .collect();
        let mut new: Vec<Question> = READY_MADE
            .iter()
            .filter(|p| !in_use.contains(p.key))
            .map(|p| p.question(guild, now))
            .collect();
        if new.is_empty() {
            return Err(ValidationError::new(
                "questions",
                "the ready-made questions are already in use; see them with /program question list",
            )
            .into());
        }
        match self.store.insert_questions(&new, MAX_QUESTIONS).await? {
            Ok(ids) => {
                for (q, id) in new.iter_mut().zip(ids) {
                    q.id = id;
                }
            }
            Err(TooManyQuestions(n)) => return Err(too_many(n, new.len())),
        }
        Ok(new)
    }

    /// Removes a question from future matching. Its answers stay (each person still sees and
    /// can take away their own data), and whatever earlier matches and messages said stays.
    pub async fn remove_question(&self, guild: GuildId, is_admin: bool, roles: &[u64], id: i64) -> Result<Question> {
        self.require_question_organiser(guild, is_admin, roles).await?;
        let missing = || {
            Error::from(ValidationError::new(
                "question",
                format!("there is no question #{id} in use in this server; see them with /program question list"),
            ))
        };
        let q = self.store.question(guild, QuestionId(id)).await?.ok_or_else(missing)?;
        if !self.store.remove_question(guild, q.id, self.now()).await? {
            return Err(missing());
        }
        Ok(q)
    }

    /// A member's profession, unit and level.
    pub async fn criteria(&self, guild: GuildId, user: UserId) -> Result<MemberCriteria> {
        Ok(self.store.member_criteria(guild, user).await?)
    }

    /// The member's criteria after `input`, checked (the level against the server's), not saved.
    pub async fn check_criteria(&self, guild: GuildId, user: UserId, input: &CriteriaInput) -> Result<MemberCriteria> {
        let levels = self.store.levels(guild).await?;
        let current = self.store.member_criteria(guild, user).await?;
        Ok(current.updated(input, &levels)?)
    }

    /// Changes a member's profession, unit or level.
    pub async fn set_criteria(&self, guild: GuildId, user: UserId, input: &CriteriaInput) -> Result<MemberCriteria> {
        let updated = self.check_criteria(guild, user, input).await?;
        self.store
            .save_member_criteria(guild, user, &updated, self.now())
            .await?;
        Ok(updated)
    }

    /// Professions (or units) others gave in this server, for autocompletion.
    pub async fn criteria_values(&self, guild: GuildId, unit: bool) -> Result<Vec<String>> {
        Ok(self.store.criteria_values(guild, unit).await?)
    }

    /// Records a member's answer from a select menu (choice numbers); nothing picked clears it.
    pub async fn answer_question(
        &self,
        guild: GuildId,
        user: UserId,
        question: QuestionId,
        values: &[String],
    ) -> Result<(Question, Vec<usize>)> {
        let q = match self.store.question(guild, question).await? {
            Some(q) if q.removed_at.is_none() => q,
            _ => {
                return Err(ValidationError::new(
                    "answer",
                    "the organisers removed this question; open the questions again from /mentor profile",
                )
                .into())
            }
        };
        let choices = q.answer(values)?;
        let answer = Answer {
            question: q.id,
            user,
            choices: choices.clone(),
            answered_at: self.now(),
        };
        self.store.save_answer(guild, &answer).await?;
        Ok((q, choices))
    }

    /// A member's answers (to questions in use or removed).
    pub async fn my_answers(&self, guild: GuildId, user: UserId) -> Result<Vec<Answer>> {
        Ok(self.store.answers_of(guild, user).await?)
    }

    /// A request with its wish about the mentor's profession.
    pub async fn create_request_with_wish(
        &self,
        guild: GuildId,
        user: UserId,
        input: &RequestInput,
        wish: Wish,
    ) -> Result<Request> {
        let request = self.create_request(guild, user, input).await?;
        if wish != Wish::Either {
            self.store.set_request_wish(guild, request.id, wish).await?;
        }
        Ok(request)
    }

    /// The wish of each of the server's requests that has one.
    pub async fn request_wishes(&self, guild: GuildId) -> Result<HashMap<RequestId, Wish>> {
        Ok(self.store.request_wishes(guild).await?)
    }

    /// What the criteria add to a member's `/mentor my-data`.
    pub async fn my_criteria_data(&self, guild: GuildId, user: UserId) -> Result<Value> {
        let criteria = self.store.member_criteria(guild, user).await?;
        let questions: HashMap<QuestionId, Question> = self
            .store
            .questions(guild, true)
            .await?
            .into_iter()
            .map(|q| (q.id, q))
            .collect();
        let answers: Vec<Value> = self
            .store
            .answers_of(guild, user)
            .await?
            .into_iter()
            .map(|a| {
                let q = questions.get(&a.question);
                json!({
                    "question": q.map(|q| q.text.clone()),
                    "answer": a.choices.iter().filter_map(|&c| q.and_then(|q| q.choices.get(c)).cloned()).collect::<Vec<_>>(),
                    "answered_at": a.answered_at,
                    "question_removed": q.is_some_and(|q| q.removed_at.is_some()),
                })
            })
            .collect();
        let wishes = self.store.request_wishes(guild).await?;
        let mine: Vec<Value> = self
            .store
            .requests_of(guild, user)
            .await?
            .iter()
            .filter_map(|r| {
                wishes
                    .get(&r.id)
                    .map(|w| json!({"request": r.id, "mentor_profession": w.as_str()}))
            })
            .collect();
        Ok(json!({
            "profession": criteria.profession,
            "unit": criteria.unit,
            "level": criteria.level,
            "answers": answers,
            "request_wishes": mine,
        }))
    }

    /// Adds the criteria to a server's program file: each person's profession, unit, level and
    /// answers, each mentee's wish, the levels, the questions in use and the weights of
    /// profession and level. A server that uses none of them gets its file unchanged, so it
    /// scores exactly as before.
    pub(super) async fn add_criteria_to_file(
        &self,
        guild: GuildId,
        file: &mut Value,
        mentees: &[MenteeEntry],
        mentors: &[MentorEntry],
    ) -> Result<()> {
        let levels = self.store.levels(guild).await?;
        let criteria = self.store.all_member_criteria(guild).await?;
        let wishes = self.store.request_wishes(guild).await?;
        let questions = self.store.questions(guild, false).await?;
        let mut answers: HashMap<UserId, Map<String, Value>> = HashMap::new();
        for a in self.store.answers_in(guild).await? {
            let Some(q) = questions.iter().find(|q| q.id == a.question) else {
                continue;
            };
            let labels: Vec<&String> = a.choices.iter().filter_map(|&c| q.choices.get(c)).collect();
            if !labels.is_empty() {
                answers.entry(a.user).or_default().insert(file_id(q.id), json!(labels));
            }
        }
        let mut used = !questions.is_empty();
        let mut fill = |o: &mut Value, user: UserId, wish: Option<Wish>| {
            if let Some(c) = criteria.get(&user) {
                if let Some(p) = &c.profession {
                    o["profession"] = json!(p);
                    used = true;
                }
                if let Some(u) = &c.unit {
                    o["unit"] = json!(u);
                    used = true;
                }
                if let Some(l) = c.level.as_ref().filter(|l| levels.contains(l)) {
                    o["level"] = json!(l);
                    used = true;
                }
            }
            if let Some(w) = wish.filter(|w| *w != Wish::Either) {
                o["profession_wish"] = json!(w.as_str());
                used = true;
            }
            if let Some(a) = answers.get(&user) {
                o["answers"] = Value::Object(a.clone());
            }
        };
        if let Some(list) = file["mentees"].as_array_mut() {
            for (o, m) in list.iter_mut().zip(mentees) {
                fill(o, m.user, wishes.get(&m.request.id).copied());
            }
        }
        if let Some(list) = file["mentors"].as_array_mut() {
            for (o, m) in list.iter_mut().zip(mentors) {
                fill(o, m.user, None);
            }
        }
        if !used {
            return Ok(());
        }
        if !levels.is_empty() {
            file["levels"] = json!(levels);
        }
        file["questions"] = Value::Array(
            questions
                .iter()
                .map(|q| {
                    let mut v = json!({
                        "id": file_id(q.id),
                        "text": q.text,
                        "choices": q.choices,
                        "multiple": q.multiple,
                        "rule": q.rule.as_str(),
                        "weight": q.weight,
                    });
                    if !q.pairs.is_empty() {
                        v["pairs"] = json!(q
                            .pairs
                            .iter()
                            .map(|&(a, b)| json!([q.choices[a], q.choices[b]]))
                            .collect::<Vec<_>>());
                    }
                    if let Some(p) = &q.phrase {
                        v["phrase"] = json!(p);
                    }
                    v
                })
                .collect(),
        );
        let extra = self.matching_extra_weights(guild).await?;
        for (name, w) in crate::matching::EXTRA_CRITERIA.iter().zip(extra) {
            file["weights"][*name] = json!(w);
        }
        Ok(())
    }
}
