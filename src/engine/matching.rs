//! Matching on a server's own data: the program file built from its open offers and requests,
//! the optimal pairing over it (with a priority for people the last publish left unplaced),
//! peer groups, suggestions for one person, and publishing the result as proposals.
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::{json, Value};

use super::{Direction, Engine, Error, Result};
use crate::domain::ids::*;
use crate::domain::listing::{Kind, Offer, Request};
use crate::domain::profile::Profile;
use crate::domain::relationship::{MemberStatus, Origin, Proposal, Relationship, Role, State};
use crate::domain::validate::ValidationError;
use crate::matching::{
    self, program::norm, MatchResult, Program, CRITERIA, DEFAULT_EXTRA_WEIGHTS, DEFAULT_WEIGHTS, EXTRA_CRITERIA,
};
use crate::store::{OfferLoad, RelationshipLink};

/// The bonus on the scores of people the last publish left unplaced, until an organiser sets one.
pub const DEFAULT_UNPLACED_BONUS: f64 = 0.1;
/// Peer groups the program forms have three to five members.
pub const PEER_GROUP_MIN: usize = 3;
pub const PEER_GROUP_MAX: usize = 5;
/// How many people `/mentor suggest` shows.
pub const SUGGESTIONS: usize = 5;

/// A mentee of the program file: one person, their oldest open classic or reverse request.
#[derive(Debug, Clone)]
pub struct MenteeEntry {
    pub user: UserId,
    pub request: Request,
    pub kind: Kind,
}

/// A mentor of the program file: one person, their open offers merged.
#[derive(Debug, Clone)]
pub struct MentorEntry {
    pub user: UserId,
    /// Their open offers with the places each has left, oldest first.
    pub offers: Vec<(Offer, u32)>,
    pub free: u32,
}

/// Someone with an open request or offer who is not in the program file, with why.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftOut {
    pub user: UserId,
    pub reason: String,
    /// Left out as a mentor (their offer), not as a mentee.
    pub mentor: bool,
}

/// An open peer request: who wants to be in a peer group, on what.
#[derive(Debug, Clone)]
pub struct PeerCandidate {
    pub user: UserId,
    pub request: RequestId,
    pub topics: Vec<String>,
}

/// A peer group the program would form, and what its members share.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerGroup {
    pub members: Vec<UserId>,
    pub topics: Vec<String>,
}

impl PeerGroup {
    /// The same explanation for every group.
    pub fn explanation(&self) -> String {
        format!("you all want to work on {}", and_list(&self.topics))
    }
}

/// A server's open offers and requests as a program file (the `match --input` format).
#[derive(Debug, Clone)]
pub struct ProgramFile {
    pub json: Value,
    /// In the file's order (the parsed program's indices).
    pub mentees: Vec<MenteeEntry>,
    pub mentors: Vec<MentorEntry>,
    pub left_out: Vec<LeftOut>,
    /// Open peer requests of people not waiting for a peer group already, one per person.
    pub peers: Vec<PeerCandidate>,
    /// Everyone who was ever in a relationship in this server.
    pub ever_paired: HashSet<UserId>,
}

impl ProgramFile {
    pub fn text(&self) -> String {
        serde_json::to_string_pretty(&self.json).unwrap_or_default()
    }

    pub fn parse(&self) -> Result<Program> {
        matching::parse_program(&self.json.to_string())
            .map_err(|e| ValidationError::new("program file", e.message).into())
    }
}

/// One run of the assignment over a server's program.
#[derive(Debug, Clone)]
pub struct MatchRun {
    pub file: ProgramFile,
    pub program: Program,
    pub result: MatchResult,
    /// The bonus and who got it (left unplaced by the last publish).
    pub bonus: f64,
    pub boosted: Vec<UserId>,
    pub groups: Vec<PeerGroup>,
    /// Peer requests no group could take, with why.
    pub peers_left: Vec<LeftOut>,
}

impl MatchRun {
    pub fn mentee(&self, id: &str) -> Option<&MenteeEntry> {
        self.file.mentees.iter().find(|m| m.user.0.to_string() == id)
    }

    pub fn mentor(&self, id: &str) -> Option<&MentorEntry> {
        self.file.mentors.iter().find(|m| m.user.0.to_string() == id)
    }

    /// Mentees of the pairing left unplaced.
    pub fn unplaced_mentees(&self) -> Vec<UserId> {
        self.result
            .unmatched
            .iter()
            .filter_map(|u| self.mentee(&u.mentee).map(|m| m.user))
            .collect()
    }

    /// Places the pairing uses, of the places mentors have free.
    pub fn capacity_use(&self) -> (usize, u64) {
        (
            self.result.pairs.len(),
            self.program.mentors.iter().map(|m| m.capacity).sum(),
        )
    }

    pub fn mean_score(&self) -> Option<f64> {
        let n = self.result.pairs.len();
        (n > 0).then(|| self.result.pairs.iter().map(|p| p.score).sum::<f64>() / n as f64)
    }

    /// Placed mentees who were never in any relationship before, of all placed mentees.
    pub fn never_paired_before(&self) -> (usize, usize) {
        let placed: Vec<UserId> = self
            .result
            .pairs
            .iter()
            .filter_map(|p| self.mentee(&p.mentee).map(|m| m.user))
            .collect();
        let fresh = placed.iter().filter(|u| !self.file.ever_paired.contains(u)).count();
        (fresh, placed.len())
    }

    /// Why people are left unplaced, grouped: (reason, people), largest group first.
    pub fn unplaced_by_reason(&self) -> Vec<(String, Vec<UserId>)> {
        let mut groups: BTreeMap<String, Vec<UserId>> = BTreeMap::new();
        for u in &self.result.unmatched {
            if let Some(m) = self.mentee(&u.mentee) {
                let head = u.reason.split(':').next().unwrap_or(&u.reason).to_string();
                groups.entry(head).or_default().push(m.user);
            }
        }
        for l in self.file.left_out.iter().filter(|l| !l.mentor).chain(&self.peers_left) {
            groups.entry(l.reason.clone()).or_default().push(l.user);
        }
        let mut out: Vec<(String, Vec<UserId>)> = groups.into_iter().collect();
        out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Everyone left unplaced, whatever the reason.
    pub fn unplaced_count(&self) -> usize {
        self.result.unmatched.len() + self.file.left_out.iter().filter(|l| !l.mentor).count() + self.peers_left.len()
    }
}

/// What a publish sent, and what it could not.
#[derive(Debug, Clone)]
pub struct Published {
    pub run: MatchRun,
    /// New pair proposals with their reasons.
    pub pairs: Vec<(Relationship, Vec<String>)>,
    /// New peer group invitations with their explanation.
    pub groups: Vec<(Relationship, String)>,
    /// Proposals refused on the way (say, someone answered another one meanwhile).
    pub refused: Vec<(UserId, String)>,
    /// Who is now recorded as left unplaced.
    pub unplaced: Vec<UserId>,
}

/// A person `/mentor suggest` proposes, with why.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub user: UserId,
    pub score: f64,
    pub reasons: Vec<String>,
    pub kind: Kind,
}

/// Whom suggestions are for: the caller as a mentee (their request) or as a mentor (their offer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestFor {
    Request,
    Offer,
}

/// A server's weights, written as `topic=0.4, availability=0.3`: the criteria named take the
/// values given (0 to 10), the others keep the default table's; `default` restores the table.
/// At least one weight must stay above 0. Returns the weights in the order of [`CRITERIA`].
pub fn parse_weights(text: &str) -> std::result::Result<[f64; 7], ValidationError> {
    parse_all_weights(text).map(|(w, _)| w)
}

/// Like [`parse_weights`], with the weights of profession and level (issue 13) too, in the
/// order of [`EXTRA_CRITERIA`].
pub fn parse_all_weights(text: &str) -> std::result::Result<([f64; 7], [f64; 2]), ValidationError> {
    let mut weights = DEFAULT_WEIGHTS;
    let mut extra = DEFAULT_EXTRA_WEIGHTS;
    // Profession and level count towards "one weight above 0" only when named: they add
    // nothing for people who gave neither.
    let mut named = [false; 2];
    let t = text.trim();
    if t.eq_ignore_ascii_case("default") {
        return Ok((weights, extra));
    }
    for part in t.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').ok_or_else(|| {
            ValidationError::new(
                "weights",
                format!("\"{part}\" is not name=value; write e.g. topic=0.4, availability=0.3"),
            )
        })?;
        let name = name.trim().to_ascii_lowercase();
        let slot = match CRITERIA.iter().position(|c| *c == name) {
            Some(i) => &mut weights[i],
            None => match EXTRA_CRITERIA.iter().position(|c| *c == name) {
                Some(i) => {
                    named[i] = true;
                    &mut extra[i]
                }
                None => {
                    return Err(ValidationError::new(
                        "weights",
                        format!(
                            "\"{name}\" is not a criterion; use {}, {}",
                            CRITERIA.join(", "),
                            EXTRA_CRITERIA.join(", ")
                        ),
                    ))
                }
            },
        };
        let v: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && (0.0..=10.0).contains(v))
            .ok_or_else(|| {
                ValidationError::new(
                    "weights",
                    format!(
                        "the weight of {name} must be a number from 0 to 10, not \"{}\"",
                        value.trim()
                    ),
                )
            })?;
        *slot = v;
    }
    let extra_named = extra.iter().zip(named).filter(|(_, n)| *n).map(|(w, _)| w);
    if weights.iter().chain(extra_named).all(|w| *w == 0.0) {
        return Err(ValidationError::new("weights", "at least one weight must be above 0"));
    }
    Ok((weights, extra))
}

/// The bonus must keep a score's meaning: from 0 to 1.
pub fn check_unplaced_bonus(bonus: f64) -> std::result::Result<f64, ValidationError> {
    if (0.0..=1.0).contains(&bonus) {
        Ok(bonus)
    } else {
        Err(ValidationError::new(
            "unplaced bonus",
            format!("{bonus} is out of range; give a number from 0 to 1, e.g. 0.1"),
        ))
    }
}

fn and_list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

fn id(user: UserId) -> String {
    user.0.to_string()
}

/// Names as a set: trimmed, compared case-insensitively, the first spelling kept, in order.
fn union_names<'a>(lists: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for n in lists {
        if seen.insert(norm(n)) {
            out.push(n.trim().to_string());
        }
    }
    out
}

fn person_fields(p: &Profile) -> serde_json::Map<String, Value> {
    let mut o = serde_json::Map::new();
    o.insert("timezone".into(), json!(p.timezone.name()));
    o.insert(
        "availability".into(),
        json!(p.availability.iter().map(|w| w.to_string()).collect::<Vec<_>>()),
    );
    o.insert(
        "methods".into(),
        json!(p.methods.iter().map(|m| m.as_str()).collect::<Vec<_>>()),
    );
    o
}

/// Groups of 3 to 5 open peer requests that share the most topics. Greedy and explainable: the
/// two people sharing the most topics (ties: lowest ids) start a group; the person sharing the
/// most of the group's common topics joins next (ties: lowest id) while at least one topic stays
/// common to all, up to five, except that a group of three or four stops growing when exactly
/// three others share its topics (they can then form a group of their own, e.g. seven people
/// make 4 + 3, not 5 and two left over). A start that cannot reach three is skipped. Repeats
/// until no group can form; the rest are returned with why.
pub fn form_peer_groups(candidates: &[PeerCandidate]) -> (Vec<PeerGroup>, Vec<LeftOut>) {
    let mut people: Vec<&PeerCandidate> = candidates.iter().collect();
    people.sort_by_key(|c| c.user);
    people.dedup_by_key(|c| c.user);
    let sets: Vec<BTreeSet<String>> = people
        .iter()
        .map(|c| c.topics.iter().map(|t| norm(t)).collect())
        .collect();
    let spelling: HashMap<String, String> = people
        .iter()
        .flat_map(|c| c.topics.iter())
        .rev()
        .map(|t| (norm(t), t.trim().to_string()))
        .collect();
    let mut free: Vec<bool> = vec![true; people.len()];
    let mut groups = Vec::new();
    loop {
        let open: Vec<usize> = (0..people.len()).filter(|&i| free[i]).collect();
        if open.len() < PEER_GROUP_MIN {
            break;
        }
        let mut starts: Vec<(usize, usize, usize)> = Vec::new();
        for (x, &a) in open.iter().enumerate() {
            for &b in &open[x + 1..] {
                let shared = sets[a].intersection(&sets[b]).count();
                if shared > 0 {
                    starts.push((shared, a, b));
                }
            }
        }
        starts.sort_by(|p, q| q.0.cmp(&p.0).then((p.1, p.2).cmp(&(q.1, q.2))));
        let mut formed = None;
        for &(_, a, b) in &starts {
            let mut members = vec![a, b];
            let mut common: BTreeSet<String> = sets[a].intersection(&sets[b]).cloned().collect();
            while members.len() < PEER_GROUP_MAX {
                if members.len() >= PEER_GROUP_MIN {
                    let others = open
                        .iter()
                        .filter(|&&i| !members.contains(&i) && sets[i].intersection(&common).next().is_some())
                        .count();
                    if others == PEER_GROUP_MIN {
                        break;
                    }
                }
                let next = open
                    .iter()
                    .filter(|&&i| !members.contains(&i))
                    .map(|&i| (sets[i].intersection(&common).count(), i))
                    .filter(|&(n, _)| n > 0)
                    .max_by(|p, q| p.0.cmp(&q.0).then(q.1.cmp(&p.1)));
                let Some((_, i)) = next else { break };
                common = common.intersection(&sets[i]).cloned().collect();
                members.push(i);
            }
            if members.len() >= PEER_GROUP_MIN {
                formed = Some((members, common));
                break;
            }
        }
        let Some((mut members, common)) = formed else { break };
        members.sort_unstable();
        for &i in &members {
            free[i] = false;
        }
        groups.push(PeerGroup {
            members: members.iter().map(|&i| people[i].user).collect(),
            topics: common
                .iter()
                .map(|t| spelling.get(t).cloned().unwrap_or_else(|| t.clone()))
                .collect(),
        });
    }
    let left = (0..people.len())
        .filter(|&i| free[i])
        .map(|i| LeftOut {
            user: people[i].user,
            reason: "no peer group: too few others seek a peer group on a shared topic".into(),
            mentor: false,
        })
        .collect();
    (groups, left)
}

impl Engine {
    /// The bonus for people the last publish left unplaced.
    pub async fn unplaced_bonus(&self, guild: GuildId) -> Result<f64> {
        Ok(self
            .store
            .matching_bonus(guild)
            .await?
            .unwrap_or(DEFAULT_UNPLACED_BONUS))
    }

    /// The server's matching weights, in the order of [`CRITERIA`] (the default table unless
    /// an organiser set others).
    pub async fn matching_weights(&self, guild: GuildId) -> Result<[f64; 7]> {
        Ok(match self.store.matching_weights(guild).await? {
            Some(text) => parse_weights(&text).unwrap_or(DEFAULT_WEIGHTS),
            None => DEFAULT_WEIGHTS,
        })
    }

    /// The server's weights of profession and level (issue 13), in the order of
    /// [`EXTRA_CRITERIA`].
    pub async fn matching_extra_weights(&self, guild: GuildId) -> Result<[f64; 2]> {
        Ok(match self.store.matching_weights(guild).await? {
            Some(text) => parse_all_weights(&text)
                .map(|(_, e)| e)
                .unwrap_or(DEFAULT_EXTRA_WEIGHTS),
            None => DEFAULT_EXTRA_WEIGHTS,
        })
    }

    /// Sets the server's weights (see [`parse_weights`]); organisers only, checked here.
    pub async fn set_matching_weights(
        &self,
        guild: GuildId,
        is_admin: bool,
        roles: &[u64],
        text: &str,
    ) -> Result<[f64; 7]> {
        self.require_matching_organiser(guild, is_admin, roles).await?;
        let (weights, extra) = parse_all_weights(text)?;
        let stored = if weights == DEFAULT_WEIGHTS && extra == DEFAULT_EXTRA_WEIGHTS {
            None
        } else {
            Some(
                CRITERIA
                    .iter()
                    .zip(weights)
                    .chain(EXTRA_CRITERIA.iter().zip(extra))
                    .map(|(c, w)| format!("{c}={w}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        };
        self.store.set_matching_weights(guild, stored.as_deref()).await?;
        Ok(weights)
    }

    /// Sets the bonus (0 to 1); organisers only, checked here.
    pub async fn set_unplaced_bonus(&self, guild: GuildId, is_admin: bool, roles: &[u64], bonus: f64) -> Result<f64> {
        self.require_matching_organiser(guild, is_admin, roles).await?;
        check_unplaced_bonus(bonus)?;
        self.store.set_matching_bonus(guild, bonus).await?;
        Ok(bonus)
    }

    async fn require_matching_organiser(&self, guild: GuildId, is_admin: bool, roles: &[u64]) -> Result<()> {
        self.require_organiser(
            guild,
            is_admin,
            roles,
            "only server admins and the program's coordinators can run the program's matching",
        )
        .await
    }

    /// The server's open offers and requests as a program file. For a program run
    /// (`waiting_blocks`), requests waiting for an answer to a proposal stay out, and places
    /// promised in unanswered proposals count as taken, so a second publish repeats nothing.
    pub async fn program_file(&self, guild: GuildId, waiting_blocks: bool) -> Result<ProgramFile> {
        let now = self.now();
        let history = self.store.relationship_links(guild).await?;
        let waiting: Vec<&RelationshipLink> = history.iter().filter(|r| r.state == State::Proposed).collect();
        let waiting_requests: HashSet<RequestId> = waiting.iter().filter_map(|r| r.request).collect();
        let mut promised: HashMap<OfferId, u32> = HashMap::new();
        for r in &waiting {
            if let Some(o) = r.offer {
                *promised.entry(o).or_default() += 1;
            }
        }
        let mut ever_paired = HashSet::new();
        let mut past: HashSet<(UserId, UserId)> = HashSet::new();
        for r in &history {
            for &(a, _) in &r.members {
                ever_paired.insert(a);
                for &(b, _) in &r.members {
                    if a < b {
                        past.insert((a, b));
                    }
                }
            }
        }
        let in_peer_group: HashSet<UserId> = history
            .iter()
            .filter(|r| r.kind == Kind::Peer && r.state.is_live())
            .flat_map(|r| r.members.iter().filter(|m| m.1 != MemberStatus::Declined))
            .map(|m| m.0)
            .collect();

        let mut profiles: HashMap<UserId, Option<Profile>> = HashMap::new();
        let mut left_out = Vec::new();
        let mut left_seen = HashSet::new();
        let mut usable =
            |user: UserId, mentor: bool, profile: Option<Profile>, left_out: &mut Vec<LeftOut>| -> Option<Profile> {
                let why = match &profile {
                    None => Some("no profile yet (time zone unknown)".to_string()),
                    Some(p) if p.is_paused(now) => Some("paused".to_string()),
                    Some(_) => None,
                };
                match why {
                    Some(reason) => {
                        if left_seen.insert((user, mentor)) {
                            left_out.push(LeftOut { user, reason, mentor });
                        }
                        None
                    }
                    None => profile,
                }
            };

        // Mentors: open offers merged per person, with the places left.
        let mut by_mentor: BTreeMap<UserId, Vec<OfferLoad>> = BTreeMap::new();
        for load in self.store.open_offers(guild).await? {
            by_mentor.entry(load.offer.user).or_default().push(load);
        }
        let mut mentors = Vec::new();
        let mut mentor_json = Vec::new();
        for (user, loads) in by_mentor {
            let offers: Vec<(Offer, u32)> = loads
                .into_iter()
                .map(|l| {
                    let taken = l.seats_taken
                        + if waiting_blocks {
                            promised.get(&l.offer.id).copied().unwrap_or(0)
                        } else {
                            0
                        };
                    let left = u32::from(l.offer.capacity).saturating_sub(taken);
                    (l.offer, left)
                })
                .collect();
            let free: u32 = offers.iter().map(|o| o.1).sum();
            if free == 0 {
                continue;
            }
            let found = self.cached_profile(&mut profiles, guild, user).await?;
            let Some(profile) = usable(user, true, found, &mut left_out) else {
                continue;
            };
            let mut o = person_fields(&profile);
            o.insert("id".into(), json!(id(user)));
            o.insert("capacity".into(), json!(free));
            o.insert(
                "topics".into(),
                json!(union_names(offers.iter().flat_map(|x| &x.0.topics))),
            );
            o.insert(
                "skills".into(),
                json!(union_names(offers.iter().flat_map(|x| &x.0.skills))),
            );
            o.insert("styles".into(), json!(profile.mentoring_styles));
            let kinds: BTreeSet<Kind> = offers.iter().flat_map(|x| x.0.kinds.iter().copied()).collect();
            o.insert(
                "kinds".into(),
                json!(kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>()),
            );
            mentor_json.push(Value::Object(o));
            mentors.push(MentorEntry { user, offers, free });
        }

        // Mentees: one entry per person, their oldest open classic or reverse request.
        let requests = self.store.open_requests(guild).await?;
        let mut mentees = Vec::new();
        let mut mentee_json = Vec::new();
        let mut seen = HashSet::new();
        let mut peers = Vec::new();
        let mut peer_seen = HashSet::new();
        for q in &requests {
            if q.kinds.contains(&Kind::Peer) && !in_peer_group.contains(&q.user) && peer_seen.insert(q.user) {
                peers.push(PeerCandidate {
                    user: q.user,
                    request: q.id,
                    topics: q.goals.clone(),
                });
            }
            let kind = if q.kinds.contains(&Kind::Classic) {
                Kind::Classic
            } else if q.kinds.contains(&Kind::Reverse) {
                Kind::Reverse
            } else {
                continue;
            };
            if seen.contains(&q.user) {
                continue;
            }
            if waiting_blocks && waiting_requests.contains(&q.id) {
                // Waiting for an answer to a proposal: not offered to anyone else meanwhile.
                seen.insert(q.user);
                continue;
            }
            let found = self.cached_profile(&mut profiles, guild, q.user).await?;
            let Some(profile) = usable(q.user, false, found, &mut left_out) else {
                continue;
            };
            seen.insert(q.user);
            let mut o = person_fields(&profile);
            o.insert("id".into(), json!(id(q.user)));
            o.insert("goals".into(), json!(q.goals));
            let styles = if q.styles.is_empty() {
                &profile.learning_styles
            } else {
                &q.styles
            };
            o.insert("styles".into(), json!(styles));
            o.insert("kind".into(), json!(kind.as_str()));
            mentee_json.push(Value::Object(o));
            mentees.push(MenteeEntry {
                user: q.user,
                request: q.clone(),
                kind,
            });
        }
        peers.retain(|p| {
            profiles
                .get(&p.user)
                .is_none_or(|p| p.as_ref().is_none_or(|p| !p.is_paused(now)))
        });

        let mentee_ids: HashSet<UserId> = mentees.iter().map(|m| m.user).collect();
        let mentor_ids: HashSet<UserId> = mentors.iter().map(|m| m.user).collect();
        let mut exclude: Vec<(UserId, UserId)> = past
            .into_iter()
            .filter(|(a, b)| {
                (mentee_ids.contains(a) && mentor_ids.contains(b)) || (mentee_ids.contains(b) && mentor_ids.contains(a))
            })
            .collect();
        exclude.sort_unstable();
        let weights: serde_json::Map<String, Value> = CRITERIA
            .iter()
            .zip(self.matching_weights(guild).await?)
            .map(|(c, w)| (c.to_string(), json!(w)))
            .collect();
        let mut json = json!({
            "at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "weights": weights,
            "mentors": mentor_json,
            "mentees": mentee_json,
            "exclude": exclude.iter().map(|(a, b)| json!([id(*a), id(*b)])).collect::<Vec<_>>(),
        });
        self.add_criteria_to_file(guild, &mut json, &mentees, &mentors).await?;
        Ok(ProgramFile {
            json,
            mentees,
            mentors,
            left_out,
            peers,
            ever_paired,
        })
    }

    async fn cached_profile(
        &self,
        cache: &mut HashMap<UserId, Option<Profile>>,
        guild: GuildId,
        user: UserId,
    ) -> Result<Option<Profile>> {
        if let Some(p) = cache.get(&user) {
            return Ok(p.clone());
        }
        let p = self.store.profile(guild, user).await?;
        cache.insert(user, p.clone());
        Ok(p)
    }

    /// The program file for offline runs (`mentorbot match --input`); organisers only.
    pub async fn export_program(&self, guild: GuildId, is_admin: bool, roles: &[u64]) -> Result<ProgramFile> {
        self.require_matching_organiser(guild, is_admin, roles).await?;
        self.program_file(guild, true).await
    }

    /// What the assignment would do now; changes nothing. Organisers only.
    pub async fn match_preview(&self, guild: GuildId, is_admin: bool, roles: &[u64]) -> Result<MatchRun> {
        self.require_matching_organiser(guild, is_admin, roles).await?;
        self.match_run(guild).await
    }

    async fn match_run(&self, guild: GuildId) -> Result<MatchRun> {
        let file = self.program_file(guild, true).await?;
        let program = file.parse()?;
        let bonus = self.unplaced_bonus(guild).await?;
        let last: HashSet<UserId> = self.store.unplaced(guild).await?.into_iter().collect();
        let boost: Vec<f64> = file
            .mentees
            .iter()
            .map(|m| if last.contains(&m.user) { bonus } else { 0.0 })
            .collect();
        let boosted = file
            .mentees
            .iter()
            .filter(|m| last.contains(&m.user))
            .map(|m| m.user)
            .collect();
        let result = matching::solve_with_bonus(&program, &|i| boost[i]);
        let placed: HashSet<UserId> = result
            .pairs
            .iter()
            .filter_map(|p| p.mentee.parse().ok().map(UserId))
            .collect();
        let peers: Vec<PeerCandidate> = file
            .peers
            .iter()
            .filter(|p| !placed.contains(&p.user))
            .cloned()
            .collect();
        let (groups, peers_left) = form_peer_groups(&peers);
        // Someone who seeks both a pair and a peer group and got neither is counted once.
        let mut counted: HashSet<String> = result.unmatched.iter().map(|u| u.mentee.clone()).collect();
        counted.extend(file.left_out.iter().filter(|l| !l.mentor).map(|l| id(l.user)));
        let peers_left = peers_left
            .into_iter()
            .filter(|l| !counted.contains(&id(l.user)))
            .collect();
        Ok(MatchRun {
            file,
            program,
            result,
            bonus,
            boosted,
            groups,
            peers_left,
        })
    }

    /// Runs the assignment and proposes every pair and peer group it forms; records who is
    /// left unplaced for the next run's bonus. Organisers only.
    pub async fn match_publish(
        &self,
        guild: GuildId,
        organiser: UserId,
        is_admin: bool,
        roles: &[u64],
    ) -> Result<Published> {
        self.require_matching_organiser(guild, is_admin, roles).await?;
        let run = self.match_run(guild).await?;
        let mut pairs = Vec::new();
        let mut refused = Vec::new();
        let mut unplaced: Vec<UserId> = run.unplaced_mentees();
        for p in &run.result.pairs {
            let (Some(e), Some(m)) = (run.mentee(&p.mentee), run.mentor(&p.mentor)) else {
                continue;
            };
            let offer = m
                .offers
                .iter()
                .find(|(o, left)| *left > 0 && o.kinds.contains(&e.kind))
                .or_else(|| m.offers.iter().find(|(_, left)| *left > 0))
                .map(|(o, _)| o.id);
            match self
                .propose_match(
                    guild,
                    organiser,
                    m.user,
                    e.user,
                    e.kind,
                    &e.request.purpose,
                    offer,
                    Some(e.request.id),
                )
                .await
            {
                Ok(rel) => pairs.push((rel, p.reasons.clone())),
                Err(err) if err.is_user_error() => {
                    refused.push((e.user, err.user_message()));
                    unplaced.push(e.user);
                }
                Err(err) => return Err(err),
            }
        }
        let mut groups = Vec::new();
        for g in &run.groups {
            let explanation = g.explanation();
            let purpose = format!("A peer mentoring group: {explanation}.");
            match self.propose_peer_match(guild, organiser, &g.members, &purpose).await {
                Ok(rel) => groups.push((rel, explanation)),
                Err(err) if err.is_user_error() => {
                    for &u in &g.members {
                        refused.push((u, err.user_message()));
                    }
                }
                Err(err) => return Err(err),
            }
        }
        // In a peer group now: no longer waiting for a place.
        let grouped: HashSet<UserId> = groups
            .iter()
            .flat_map(|(r, _)| r.members.iter().map(|m| m.user))
            .collect();
        unplaced.retain(|u| !grouped.contains(u));
        unplaced.sort_unstable();
        unplaced.dedup();
        self.store.replace_unplaced(guild, &unplaced, self.now()).await?;
        Ok(Published {
            run,
            pairs,
            groups,
            refused,
            unplaced,
        })
    }

    /// The organisers invite a peer group; every member must accept.
    pub async fn propose_peer_match(
        &self,
        guild: GuildId,
        organiser: UserId,
        members: &[UserId],
        purpose: &str,
    ) -> Result<Relationship> {
        let proposal = Proposal {
            guild,
            proposer: organiser,
            kind: Kind::Peer,
            origin: Origin::ProgramMatch,
            purpose: purpose.to_string(),
            members: members.iter().map(|&u| (u, Role::Peer)).collect(),
            offer: None,
            request: None,
        };
        self.insert_proposal(proposal).await
    }

    /// The best people for the caller's open request (or, without one, their open offer), by
    /// the table's score, with the reasons in plain words. Only people who said they may be
    /// suggested, are members and are not paused are listed, and the reasons tell how many hours
    /// a week both are free, never when (that would show someone's local free time). What was
    /// shown is recorded: the list's buttons work for those people only.
    pub async fn suggest(&self, guild: GuildId, user: UserId) -> Result<(SuggestFor, Vec<Suggestion>)> {
        let profile = self.store.profile(guild, user).await?;
        if profile.is_none() {
            return Err(ValidationError::new(
                "profile",
                "you have no profile in this server yet; set one up with /mentor profile first (the time zone and \
                 when you are free are what suggestions are made of)",
            )
            .into());
        }
        let file = self.program_file(guild, false).await?;
        let program = file.parse()?;
        let me = id(user);
        let consenting = self.store.suggestable(guild).await?;
        let mut listable: HashMap<UserId, bool> = HashMap::new();
        for u in file
            .mentors
            .iter()
            .map(|m| m.user)
            .chain(file.mentees.iter().map(|m| m.user))
        {
            if listable.contains_key(&u) {
                continue;
            }
            let ok = u != user
                && consenting.contains(&u)
                && self.store.guild_member(guild, u).await?.is_some_and(|m| !m.bot);
            listable.insert(u, ok);
        }
        let may_list = |u: &UserId| listable.get(u).copied().unwrap_or(false);
        let pick = |mut list: Vec<Suggestion>| {
            list.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.user.cmp(&b.user)));
            list.truncate(SUGGESTIONS);
            list
        };
        let found = if let Some(i) = program.mentee_index(&me) {
            let kind = file.mentees[i].kind;
            let list = (0..program.mentors.len())
                .filter(|&j| !program.is_forbidden(i, j) && program.mentors[j].capacity > 0)
                .filter(|&j| may_list(&file.mentors[j].user))
                .map(|j| {
                    let s = matching::score_pair(&program, i, j);
                    Suggestion {
                        user: file.mentors[j].user,
                        score: s.score,
                        reasons: shared_hours_only(matching::reasons::pair_reasons(&program, i, j, &s)),
                        kind,
                    }
                })
                .collect();
            Some((SuggestFor::Request, pick(list)))
        } else if let Some(j) = program.mentor_index(&me) {
            let list = (0..program.mentees.len())
                .filter(|&i| !program.is_forbidden(i, j))
                .filter(|&i| may_list(&file.mentees[i].user))
                .map(|i| {
                    let s = matching::score_pair(&program, i, j);
                    let reasons = shared_hours_only(matching::reasons::pair_reasons(&program, i, j, &s))
                        .into_iter()
                        .map(|r| mentor_view(&r))
                        .collect();
                    Suggestion {
                        user: file.mentees[i].user,
                        score: s.score,
                        reasons,
                        kind: file.mentees[i].kind,
                    }
                })
                .collect();
            Some((SuggestFor::Offer, pick(list)))
        } else {
            None
        };
        if let Some((target, list)) = found {
            let shown: Vec<(UserId, String)> = list.iter().map(|s| (s.user, suggestion_key(target, s.kind))).collect();
            self.store.replace_suggestions(guild, user, &shown, self.now()).await?;
            return Ok((target, list));
        }
        let has_offer = !self.store.open_offers_of(guild, user).await?.is_empty();
        if has_offer {
            return Err(ValidationError::new("offer", "your offers have no free place left right now").into());
        }
        Err(ValidationError::new(
            "request",
            "you have no open request or offer for classic or reverse mentoring; open one with /mentor seek or \
             /mentor offer first",
        )
        .into())
    }

    /// A suggestion's button: a direct proposal with the purpose of the caller's own request
    /// or offer, to someone the caller was shown (for this kind and direction) within the last
    /// day and who still may be suggested.
    pub async fn propose_suggested(
        &self,
        guild: GuildId,
        user: UserId,
        other: UserId,
        kind: Kind,
        direction: Direction,
    ) -> Result<Relationship> {
        let target = match direction {
            Direction::Request => SuggestFor::Request,
            Direction::Offer => SuggestFor::Offer,
        };
        let since = self.now() - chrono::Duration::hours(super::presses::SUGGESTIONS_VALID_HOURS);
        let shown = other != user
            && self
                .store
                .was_suggested(guild, user, other, &suggestion_key(target, kind), since)
                .await?;
        if !shown || !self.store.is_suggestable(guild, other).await? {
            return Err(Error::Limit(
                "that person is not among your current suggestions; run /mentor suggest again".into(),
            ));
        }
        let purpose = match direction {
            Direction::Request => self
                .store
                .open_requests_of(guild, user)
                .await?
                .into_iter()
                .find(|q| q.kinds.contains(&kind))
                .map(|q| q.purpose),
            Direction::Offer => self
                .store
                .open_offers_of(guild, user)
                .await?
                .into_iter()
                .find(|l| l.offer.kinds.contains(&kind))
                .map(|l| l.offer.purpose),
        };
        let purpose = purpose.ok_or_else(|| {
            Error::from(ValidationError::new(
                "request",
                "your open request or offer is no longer open; run /mentor suggest again",
            ))
        })?;
        self.propose_direct(guild, user, other, kind, direction, &purpose).await
    }
}

/// What a suggestion's button is for, as recorded: its direction and kind.
fn suggestion_key(target: SuggestFor, kind: Kind) -> String {
    let dir = match target {
        SuggestFor::Request => "request",
        SuggestFor::Offer => "offer",
    };
    format!("{dir}:{kind}")
}

/// A suggestion says how many hours a week both are free, not when: the example of a shared
/// time would be the other person's free time in the reader's clock.
fn shared_hours_only(reasons: Vec<String>) -> Vec<String> {
    reasons
        .into_iter()
        .map(|r| match r.split_once(" h a week you are both free") {
            Some((hours, _)) => {
                let unit = if hours == "1" { "hour" } else { "hours" };
                format!("you share {hours} {unit} a week")
            }
            None => r,
        })
        .collect()
}

/// The reasons are written to the mentee; the mentor reads them the other way round.
pub fn mentor_view(reason: &str) -> String {
    if let Some(view) = matching::criteria::mentor_view(reason) {
        return view;
    }
    if let Some(rest) = reason.strip_prefix("the mentor has skills for ") {
        return format!("you have skills for {}", rest.replace("of your", "of their"));
    }
    if let Some(rest) = reason.strip_prefix("the mentor offers ") {
        return format!("you offer {rest}");
    }
    if let Some(rest) = reason.strip_prefix("the mentor does not list ") {
        return format!("you do not list {rest}");
    }
    reason.replace("your time", "their time")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(user: u64, topics: &[&str]) -> PeerCandidate {
        PeerCandidate {
            user: UserId(user),
            request: RequestId(user as i64),
            topics: topics.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn peer_groups_share_the_most_topics() {
        let people = [
            cand(1, &["Rust", "databases"]),
            cand(2, &["rust", "Databases", "career"]),
            cand(3, &["rust", "databases"]),
            cand(4, &["go"]),
            cand(5, &["rust"]),
            cand(6, &["go", "career"]),
            cand(7, &["go"]),
            cand(8, &["painting"]),
        ];
        let (groups, left) = form_peer_groups(&people);
        assert_eq!(groups.len(), 2, "{groups:?}");
        // 1, 2 and 3 share two topics; 5 shares only rust, and joins after them.
        assert_eq!(groups[0].members, vec![UserId(1), UserId(2), UserId(3), UserId(5)]);
        assert_eq!(groups[0].topics, vec!["Rust".to_string()]);
        assert_eq!(groups[0].explanation(), "you all want to work on Rust");
        assert_eq!(groups[1].members, vec![UserId(4), UserId(6), UserId(7)]);
        assert_eq!(groups[1].explanation(), "you all want to work on go");
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].user, UserId(8));
    }

    #[test]
    fn peer_groups_keep_every_shared_topic_and_leave_nobody_stranded() {
        let sizes = |n: u64| {
            let people: Vec<PeerCandidate> = (1..=n).map(|u| cand(u, &["rust", "wasm"])).collect();
            let (groups, left) = form_peer_groups(&people);
            for g in &groups {
                assert_eq!(g.explanation(), "you all want to work on rust and wasm");
            }
            (groups.iter().map(|g| g.members.len()).collect::<Vec<_>>(), left.len())
        };
        assert_eq!(sizes(3), (vec![3], 0));
        assert_eq!(sizes(5), (vec![5], 0));
        assert_eq!(sizes(6), (vec![3, 3], 0));
        assert_eq!(sizes(7), (vec![4, 3], 0));
        assert_eq!(sizes(8), (vec![5, 3], 0));
        assert_eq!(sizes(10), (vec![5, 5], 0));
        assert_eq!(sizes(11), (vec![5, 3, 3], 0));
    }

    #[test]
    fn peer_groups_need_three_and_a_shared_topic() {
        let (groups, left) = form_peer_groups(&[cand(1, &["a"]), cand(2, &["a"])]);
        assert!(groups.is_empty());
        assert_eq!(left.len(), 2);
        let (groups, _) = form_peer_groups(&[cand(1, &["a"]), cand(2, &["b"]), cand(3, &["c"])]);
        assert!(groups.is_empty());
        // The same input, in any order, gives the same groups.
        let mut people: Vec<PeerCandidate> = (1..=9).map(|u| cand(u, &[["x", "y", "z"][u as usize % 3]])).collect();
        let (a, _) = form_peer_groups(&people);
        people.reverse();
        let (b, _) = form_peer_groups(&people);
        assert_eq!(a, b);
        assert_eq!(a.len(), 3);
    }

    #[test]
    fn the_mentor_reads_the_reasons_the_other_way_round() {
        assert_eq!(
            mentor_view("the mentor has skills for 1 of your 2 goals"),
            "you have skills for 1 of their 2 goals"
        );
        assert_eq!(
            mentor_view("3 h a week you are both free, e.g. Tue 18:00-20:00 your time"),
            "3 h a week you are both free, e.g. Tue 18:00-20:00 their time"
        );
        assert_eq!(
            mentor_view("the mentor offers classic mentoring"),
            "you offer classic mentoring"
        );
    }
}
