//! One whole mentorship, from offer to retrospective, told as a transcript.
//!
//! ```text
//! cargo run --example walkthrough
//! ```
//!
//! The real bot (serenity, poise, the engine, SQLite in a temporary file) runs against
//! `fake-discord`, the stand-in for Discord's REST API and gateway that the end-to-end tests use.
//! People's commands, button presses and forms are injected as Discord would send them; every
//! answer printed below is what the bot really sent, read back from what the stand-in recorded.
//! Nothing needs a Discord account or a network. `RUST_LOG=info` shows the bot's logs on stderr.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use fake_discord::{
    ChannelKind, FakeChannel, FakeConfig, FakeDiscord, FakeGuild, FakeRole, FakeUser, InteractionHandle,
    InteractionResponse, MessageSource, Place, SentMessage, SlashCommand,
};
use mentorbot::app::App;
use mentorbot::clock::ManualClock;
use mentorbot::config::{Secret, Settings};
use mentorbot::discord::{start, DiscordOptions};
use mentorbot::domain::{GuildId, UserId};
use mentorbot::engine::Engine;
use mentorbot::store::sqlite::SqliteStore;
use mentorbot::store::Store;
use serde_json::Value;

// ----- the cast and the place --------------------------------------------------------------

const GUILD: u64 = 1_000_000_000_000_001;
/// Where people type their commands (the stand-in's default channel, `GUILD + 1`).
const GENERAL: u64 = GUILD + 1;
/// The program's channel: each mentorship gets a private thread under it.
const MENTORING: u64 = GUILD + 2;
const COORDINATORS: u64 = 1_000_000_000_000_777;

/// The organiser, who owns the server.
const OLIVIA: u64 = 900_000_000_000_000_050;
/// The mentor, in Berlin.
const ADA: u64 = 900_000_000_000_000_001;
/// The mentee, in New York.
const GRACE: u64 = 900_000_000_000_000_002;
/// The cohort Olivia imports from her spreadsheet: two mentors and two mentees.
const LINUS: u64 = 900_000_000_000_000_011;
const MARGARET: u64 = 900_000_000_000_000_012;
const KEN: u64 = 900_000_000_000_000_013;
const BARBARA: u64 = 900_000_000_000_000_014;

const WAIT: Duration = Duration::from_secs(20);
/// The bot is done with a step when it has made no request for this long.
const QUIET: Duration = Duration::from_millis(250);

fn person(id: u64) -> Option<&'static str> {
    match id {
        OLIVIA => Some("Olivia"),
        ADA => Some("Ada"),
        GRACE => Some("Grace"),
        LINUS => Some("Linus"),
        MARGARET => Some("Margaret"),
        KEN => Some("Ken"),
        BARBARA => Some("Barbara"),
        _ => None,
    }
}

/// Each person's own time zone: Discord shows timestamps to each reader in theirs.
fn zone(id: u64) -> Option<Tz> {
    match id {
        OLIVIA => Some(chrono_tz::Europe::London),
        ADA => Some(chrono_tz::Europe::Berlin),
        GRACE => Some(chrono_tz::America::New_York),
        LINUS => Some(chrono_tz::Europe::Helsinki),
        MARGARET => Some(chrono_tz::America::Chicago),
        KEN => Some(chrono_tz::Asia::Tokyo),
        BARBARA => Some(chrono_tz::Europe::Paris),
        _ => None,
    }
}

fn start_time() -> DateTime<Utc> {
    // Monday 2 March 2026, 10:00 in Berlin, 04:00 in New York.
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

// ----- a slash command, as the person types it ---------------------------------------------

/// A slash command for the stand-in, and how it looks in Discord's message box.
struct Cmd {
    slash: SlashCommand,
    shown: String,
}

fn cmd(path: &str) -> Cmd {
    let mut parts = path.split(' ');
    let mut slash = SlashCommand::new(parts.next().unwrap_or_default());
    for p in parts {
        slash = slash.subcommand(p);
    }
    Cmd {
        slash,
        shown: format!("/{path}"),
    }
}

impl Cmd {
    fn shown(mut self, name: &str, value: &str) -> Self {
        self.shown += &format!(" {name}:{value}");
        self
    }

    fn str(mut self, name: &str, value: &str) -> Self {
        self.slash = self.slash.str(name, value);
        self.shown(name, value)
    }

    fn int(mut self, name: &str, value: i64) -> Self {
        self.slash = self.slash.int(name, value);
        self.shown(name, &value.to_string())
    }

    /// A choice option: Discord sends its index, the message box shows its name.
    fn choice(mut self, name: &str, index: i64, label: &str) -> Self {
        self.slash = self.slash.int(name, index);
        self.shown(name, label)
    }

    fn bool(mut self, name: &str, value: bool) -> Self {
        self.slash = self.slash.bool(name, value);
        // Discord's message box shows a boolean as True or False.
        self.shown(name, if value { "True" } else { "False" })
    }

    fn user(mut self, name: &str, id: u64) -> Self {
        self.slash = self.slash.user(name, id);
        self.shown(name, &format!("@{}", person(id).unwrap_or("someone")))
    }

    /// An attached file.
    fn file(mut self, name: &str, filename: &str, content: &str) -> Self {
        self.slash = self.slash.attachment(
            name,
            fake_discord::FakeAttachment::new(filename, Some("text/csv"), content.as_bytes().to_vec()),
        );
        self.shown(name, filename)
    }

    fn channel(mut self, name: &str, id: u64, label: &str) -> Self {
        self.slash = self.slash.channel(name, id);
        self.shown(name, &format!("#{label}"))
    }

    fn role(mut self, name: &str, id: u64, label: &str) -> Self {
        self.slash = self.slash.role(name, id);
        self.shown(name, &format!("@{label}"))
    }
}

// ----- the walkthrough ---------------------------------------------------------------------

struct Walk {
    fake: FakeDiscord,
    engine: Engine,
    clock: Arc<ManualClock>,
    /// Messages already shown (an index into the stand-in's record).
    seen_messages: usize,
    /// Threads already shown.
    seen_threads: Vec<u64>,
    /// Whether the guide's overview (each newcomer's welcome) was printed once already.
    guide_shown: std::cell::Cell<bool>,
    /// The bot's latest answer (only its person sees it), for pressing one of its buttons.
    last_answer: Option<SentMessage>,
}

fn name(id: u64) -> String {
    person(id).map(str::to_string).unwrap_or_else(|| format!("user {id}"))
}

fn heading(number: u32, title: &str, what: &str) {
    let line = "=".repeat(78);
    println!("\n{line}\n Phase {number}: {title}\n {what}\n{line}");
}

fn quote(text: &str) {
    for line in text.lines() {
        println!("      | {line}");
    }
}

/// The labels of the buttons in a components tree, depth first.
fn button_labels(components: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(m) => {
                if m.get("type").and_then(Value::as_u64) == Some(2) {
                    if let Some(label) = m.get("label").and_then(Value::as_str) {
                        out.push(label.to_string());
                    }
                }
                if let Some(c) = m.get("components") {
                    walk(c, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(components, &mut out);
    out
}

fn button_label(components: &Value, custom_id: &str) -> Option<String> {
    fn walk(v: &Value, id: &str) -> Option<String> {
        match v {
            Value::Array(a) => a.iter().find_map(|x| walk(x, id)),
            Value::Object(m) => {
                if m.get("custom_id").and_then(Value::as_str) == Some(id) {
                    return m.get("label").and_then(Value::as_str).map(str::to_string);
                }
                m.get("components").and_then(|c| walk(c, id))
            }
            _ => None,
        }
    }
    walk(components, custom_id)
}

/// A form's text fields: (custom id, label, prefilled value).
fn form_fields(response: &InteractionResponse) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for row in response.components().as_array().into_iter().flatten() {
        for c in row.get("components").and_then(Value::as_array).into_iter().flatten() {
            let get = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            out.push((get("custom_id"), get("label"), get("value")));
        }
    }
    out
}

impl Walk {
    /// The bot's text as a Discord client shows it to `reader`: mentions as names, timestamps
    /// in the reader's time zone, bold markers dropped.
    fn show(&self, text: &str, reader: Option<u64>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('<') {
            out.push_str(&rest[..open]);
            let tail = &rest[open..];
            match tail
                .find('>')
                .and_then(|close| Some((self.markup(&tail[1..close], reader)?, close)))
            {
                Some((shown, close)) => {
                    out.push_str(&shown);
                    rest = &tail[close + 1..];
                }
                None => {
                    out.push('<');
                    rest = &tail[1..];
                }
            }
        }
        out.push_str(rest);
        out.replace("**", "")
    }

    fn markup(&self, inner: &str, reader: Option<u64>) -> Option<String> {
        if let Some(id) = inner.strip_prefix("@&") {
            let id: u64 = id.parse().ok()?;
            return Some(if id == COORDINATORS {
                "@coordinators".into()
            } else {
                format!("@role {id}")
            });
        }
        if let Some(id) = inner.strip_prefix("@!").or_else(|| inner.strip_prefix('@')) {
            return Some(format!("@{}", name(id.parse().ok()?)));
        }
        if let Some(id) = inner.strip_prefix('#') {
            let channel = self.fake.channel(id.parse().ok()?)?;
            return Some(format!("#{}", channel.name));
        }
        if let Some(t) = inner.strip_prefix("t:") {
            let secs: i64 = t.split(':').next()?.parse().ok()?;
            let at = DateTime::from_timestamp(secs, 0)?;
            let tz = reader.and_then(zone).unwrap_or(Tz::UTC);
            return Some(format!(
                "{} ({})",
                at.with_timezone(&tz).format("%A %-d %B %Y, %H:%M"),
                tz.name()
            ));
        }
        None
    }

    fn now_for(&self, who: u64) -> String {
        let tz = zone(who).unwrap_or(Tz::UTC);
        let now: DateTime<Utc> = mentorbot::clock::Clock::now(self.clock.as_ref());
        let city = tz.name().rsplit('/').next().unwrap_or_default().replace('_', " ");
        format!(
            "{} in {city} ({})",
            now.with_timezone(&tz).format("%a %-d %b, %H:%M"),
            name(who)
        )
    }

    /// Time passes (the bot's clock is a manual one).
    fn pass_time(&self, to: DateTime<Utc>, what: &str) {
        self.clock.set(to);
        println!(
            "\n  ... time passes: it is now {} and {}. {what}",
            self.now_for(ADA),
            self.now_for(GRACE)
        );
    }

    /// Weeks pass: the bot runs its jobs day by day (reminders, did-you-meet and nudges for the
    /// meetings in between), which the transcript counts instead of printing.
    async fn fast_forward(&mut self, handle: &mentorbot::discord::BotHandle, to: DateTime<Utc>) {
        let mut jobs = 0;
        loop {
            let now: DateTime<Utc> = mentorbot::clock::Clock::now(self.clock.as_ref());
            if now + chrono::Duration::days(1) >= to {
                break;
            }
            self.clock.set(now + chrono::Duration::days(1));
            jobs += handle.run_jobs().await.done;
        }
        self.clock.set(to);
        jobs += handle.run_jobs().await.done;
        // Let the last sends land before counting.
        loop {
            let before = self.fake.requests().len();
            tokio::time::sleep(QUIET).await;
            if self.fake.requests().len() == before {
                break;
            }
        }
        let all = self.fake.messages();
        let skipped = all
            .iter()
            .skip(self.seen_messages)
            .filter(|m| m.source != MessageSource::Test)
            .count();
        self.seen_messages = all.len();
        println!(
            "\n  ... weeks pass: it is now {} and {}. The pair keeps meeting every two weeks; the bot ran {jobs} \
             scheduled jobs (reminders before each meeting, \"Did you meet?\" after it, a nudge when nobody \
             answered) and sent {skipped} messages, not shown here.",
            self.now_for(ADA),
            self.now_for(GRACE)
        );
    }

    fn narrate(&self, text: &str) {
        println!("\n  ({text})");
    }

    /// Someone types `partial` into an option that autocompletes: the choices Discord shows
    /// them. Returns the first choice's value.
    async fn autocomplete(&self, who: u64, cmd: Cmd, option: &str, partial: &str) -> anyhow::Result<Value> {
        println!(
            "\n{} starts typing {}, option {option}: \"{partial}\"",
            name(who),
            cmd.shown
        );
        let place = Place::Guild {
            guild_id: GUILD,
            channel_id: GENERAL,
        };
        let choices = self
            .fake
            .interaction_autocomplete(place, who, cmd.slash.focus(option, partial))
            .wait_response()
            .await
            .choices();
        println!("  Discord offers (only to {}):", name(who));
        for (label, _) in &choices {
            println!("      {label}");
        }
        choices
            .into_iter()
            .next()
            .map(|(_, v)| v)
            .ok_or_else(|| anyhow!("no choice offered"))
    }

    fn slash(&self, who: u64, cmd: Cmd) -> InteractionHandle {
        println!("\n{} types in #general:  {}", name(who), cmd.shown);
        let place = Place::Guild {
            guild_id: GUILD,
            channel_id: GENERAL,
        };
        self.fake.interaction_slash(place, who, cmd.slash)
    }

    async fn response(&self, handle: &InteractionHandle) -> anyhow::Result<InteractionResponse> {
        handle.try_wait_response(WAIT).await.ok_or_else(|| {
            anyhow!(
                "the bot did not answer interaction {} within {WAIT:?}; requests: {:#?}",
                handle.id,
                self.fake
                    .requests()
                    .iter()
                    .map(|r| format!("{} {} -> {}", r.method, r.path, r.status))
                    .collect::<Vec<_>>()
            )
        })
    }

    /// Prints the bot's answer to an interaction (not a form).
    async fn print_answer(&self, who: u64, handle: &InteractionHandle, response: &InteractionResponse) {
        let mut text = response.content().unwrap_or_default().to_string();
        if response.is_deferred() {
            if let Some(m) = handle.wait_original(|m| !m.text().is_empty(), WAIT).await {
                text = m.text();
            }
        }
        let audience = if response.is_ephemeral() {
            format!("only {} sees this", name(who))
        } else {
            "everyone in the channel sees this".into()
        };
        println!("  mentorbot answers ({audience}):");
        quote(&self.show(&text, Some(who)));
        let buttons = button_labels(response.components());
        if !buttons.is_empty() {
            println!("      buttons: [{}]", buttons.join("] ["));
        }
    }

    /// A command that the bot answers with a message.
    async fn say(&mut self, who: u64, cmd: Cmd, expect_messages: usize) -> anyhow::Result<()> {
        let handle = self.slash(who, cmd);
        let response = self.response(&handle).await?;
        if response.is_modal() {
            bail!("expected an answer, the bot opened a form");
        }
        self.print_answer(who, &handle, &response).await;
        self.last_answer = handle.original();
        self.aftermath(expect_messages).await
    }

    /// Presses a button of the bot's latest answer (say the confirmation of an ending).
    async fn press_on_answer(&mut self, who: u64, prefix: &str, expect_messages: usize) -> anyhow::Result<()> {
        let message = self
            .last_answer
            .clone()
            .ok_or_else(|| anyhow!("the last answer is not a message"))?;
        let custom_id = message
            .custom_ids()
            .into_iter()
            .find(|c| c.starts_with(prefix))
            .ok_or_else(|| anyhow!("the last answer has no {prefix} button"))?;
        let label = button_label(&message.components, &custom_id).unwrap_or_else(|| custom_id.clone());
        println!("\n{} presses [{label}] on that answer.", name(who));
        let handle = self.fake.interaction_button(message.id, who, &custom_id);
        let response = self.response(&handle).await?;
        self.print_answer(who, &handle, &response).await;
        self.last_answer = handle.original();
        self.aftermath(expect_messages).await
    }

    /// A command that opens a form; `answers` are what the person types, by field id.
    async fn form(
        &mut self,
        who: u64,
        cmd: Cmd,
        answers: &[(&str, &str)],
        expect_messages: usize,
    ) -> anyhow::Result<()> {
        let handle = self.slash(who, cmd);
        let response = self.response(&handle).await?;
        self.fill(who, &handle, &response, answers, expect_messages).await
    }

    async fn fill(
        &mut self,
        who: u64,
        handle: &InteractionHandle,
        response: &InteractionResponse,
        answers: &[(&str, &str)],
        expect_messages: usize,
    ) -> anyhow::Result<()> {
        if !response.is_modal() {
            self.print_answer(who, handle, response).await;
            bail!("expected a form, the bot answered with a message");
        }
        let title = response.data.get("title").and_then(Value::as_str).unwrap_or_default();
        println!("  mentorbot opens a form, \"{title}\" (only {} sees it).", name(who));
        println!("  {} fills it in and presses Submit:", name(who));
        let mut submitted: Vec<(String, String)> = Vec::new();
        for (id, label, prefilled) in form_fields(response) {
            let value = answers
                .iter()
                .find(|(k, _)| *k == id)
                .map(|(_, v)| v.to_string())
                .unwrap_or(prefilled);
            println!("      {label}");
            if value.is_empty() {
                println!("        (left empty)");
            } else {
                println!("        > {value}");
            }
            submitted.push((id, value));
        }
        let fields: Vec<(&str, &str)> = submitted.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let submit = self.fake.submit_modal(handle, &fields);
        let answer = self.response(&submit).await?;
        self.print_answer(who, &submit, &answer).await;
        self.last_answer = submit.original();
        self.aftermath(expect_messages).await
    }

    /// The latest DM to `who` with a button whose custom id starts with `prefix`.
    fn dm_with_button(&self, who: u64, prefix: &str) -> anyhow::Result<(SentMessage, String)> {
        self.fake
            .dms_to(who)
            .into_iter()
            .rev()
            .find_map(|m| {
                let id = m.custom_ids().into_iter().find(|c| c.starts_with(prefix))?;
                Some((m, id))
            })
            .ok_or_else(|| anyhow!("no DM to {} has a {prefix} button", name(who)))
    }

    /// Presses a button of the bot's latest DM that has one of this kind; a form it opens is
    /// filled in with `answers`.
    async fn press(
        &mut self,
        who: u64,
        prefix: &str,
        answers: &[(&str, &str)],
        expect_messages: usize,
    ) -> anyhow::Result<()> {
        let (message, custom_id) = self.dm_with_button(who, prefix)?;
        let label = button_label(&message.components, &custom_id).unwrap_or_else(|| custom_id.clone());
        println!("\n{} presses [{label}] on the bot's DM.", name(who));
        let handle = self.fake.interaction_button(message.id, who, &custom_id);
        let response = self.response(&handle).await?;
        if response.is_modal() {
            self.fill(who, &handle, &response, answers, expect_messages).await
        } else {
            self.print_answer(who, &handle, &response).await;
            self.aftermath(expect_messages).await
        }
    }

    /// Opens `/mentor profile`, presses its button for the matching questions and picks choice
    /// `pick` in the first question's menu.
    async fn answer_first_question(&mut self, who: u64, pick: usize) -> anyhow::Result<()> {
        let handle = self.slash(who, cmd("mentor profile"));
        let response = self.response(&handle).await?;
        self.print_answer(who, &handle, &response).await;
        let profile = handle
            .original()
            .ok_or_else(|| anyhow!("the profile is not a message"))?;
        let open = profile
            .custom_ids()
            .into_iter()
            .find(|c| c.starts_with("mb:qpage:"))
            .ok_or_else(|| anyhow!("the profile has no button for the questions"))?;
        println!(
            "\n{} presses [{}].",
            name(who),
            button_label(&profile.components, &open).unwrap_or_default()
        );
        let handle = self.fake.interaction_button(profile.id, who, &open);
        let response = self.response(&handle).await?;
        self.print_answer(who, &handle, &response).await;
        let page = handle
            .original()
            .ok_or_else(|| anyhow!("the questions are not a message"))?;
        let menu = page
            .components
            .as_array()
            .and_then(|rows| rows.first())
            .and_then(|row| row["components"].get(0))
            .cloned()
            .ok_or_else(|| anyhow!("no menu"))?;
        let labels: Vec<&str> = menu["options"]
            .as_array()
            .map(|o| o.iter().filter_map(|x| x["label"].as_str()).collect())
            .unwrap_or_default();
        println!(
            "      menus: {} ... the first, \"{}\": [{}]",
            page.custom_ids().iter().filter(|c| c.starts_with("mb:qans:")).count(),
            menu["placeholder"].as_str().unwrap_or_default(),
            labels.join("] [")
        );
        println!(
            "\n{} picks \"{}\" in the first menu.",
            name(who),
            labels.get(pick).copied().unwrap_or("?")
        );
        let id = menu["custom_id"].as_str().unwrap_or_default().to_string();
        let handle = self.fake.interaction_select(page.id, who, &id, &[&pick.to_string()]);
        let response = self.response(&handle).await?;
        println!("  mentorbot updates the questions (only {} sees this):", name(who));
        let text = response.content().unwrap_or_default().to_string();
        let saved = text.lines().last().unwrap_or_default();
        quote(&self.show(saved, Some(who)));
        self.aftermath(0).await
    }

    /// Everything else the bot did after a step: threads it opened, DMs and posts it sent.
    async fn aftermath(&mut self, expect_messages: usize) -> anyhow::Result<()> {
        let seen = self.seen_messages;
        let deadline = Instant::now() + WAIT;
        loop {
            let new = self
                .fake
                .messages()
                .iter()
                .skip(seen)
                .filter(|m| m.source != MessageSource::Test)
                .count();
            if new >= expect_messages {
                break;
            }
            if Instant::now() > deadline {
                bail!("the bot sent {new} message(s) after this step, fewer than the {expect_messages} expected");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Then wait until the bot is quiet.
        loop {
            let before = self.fake.requests().len();
            tokio::time::sleep(QUIET).await;
            if self.fake.requests().len() == before {
                break;
            }
        }
        for thread in self.fake.threads_in(MENTORING) {
            if self.seen_threads.contains(&thread.id) {
                continue;
            }
            self.seen_threads.push(thread.id);
            let members: Vec<String> = thread
                .thread_members
                .iter()
                .filter(|u| person(**u).is_some())
                .map(|u| name(*u))
                .collect();
            let private = if thread.kind == ChannelKind::PrivateThread {
                "a private"
            } else {
                "a"
            };
            println!(
                "  mentorbot opens {private} thread #{} under #mentoring and adds {}.",
                thread.name,
                members.join(" and ")
            );
        }
        let all = self.fake.messages();
        self.seen_messages = all.len();
        for m in all.iter().skip(seen) {
            self.print_message(m);
        }
        Ok(())
    }

    fn print_message(&self, m: &SentMessage) {
        let channel = self.fake.channel(m.channel_id);
        match (m.source, &channel) {
            (MessageSource::InteractionResponse { .. } | MessageSource::Test, _) => return,
            // Each newcomer's first command is followed by the guide's overview: shown once here.
            (MessageSource::Followup { .. }, _)
                if m.text().contains("Welcome to the mentorship program") && self.guide_shown.replace(true) =>
            {
                println!(
                    "  mentorbot adds the same welcome with the guide's overview (only the person sees it, once)."
                );
                return;
            }
            (MessageSource::Followup { .. }, _) => {
                let audience = if m.is_ephemeral() {
                    "only the person sees this"
                } else {
                    "public"
                };
                println!("  mentorbot adds ({audience}):");
                quote(&self.show(&m.text(), None));
            }
            (MessageSource::Channel, Some(c)) if c.kind == ChannelKind::Dm => {
                let to = c.recipient_id.unwrap_or_default();
                println!("  mentorbot sends {} a DM:", name(to));
                quote(&self.show(&m.text(), Some(to)));
            }
            (MessageSource::Channel, Some(c)) if c.kind.is_thread() => {
                println!("  mentorbot posts in the thread #{}:", c.name);
                quote(&self.show(&m.text(), None));
            }
            (MessageSource::Channel, c) => {
                let where_ = c
                    .as_ref()
                    .map(|c| c.name.clone())
                    .unwrap_or_else(|| m.channel_id.to_string());
                println!("  mentorbot posts in #{where_}:");
                quote(&self.show(&m.text(), None));
            }
        }
        let buttons = button_labels(&m.components);
        if !buttons.is_empty() {
            println!("      buttons: [{}]", buttons.join("] ["));
        }
        for a in &m.attachments {
            println!("      attached file: {} ({} bytes):", a.filename, a.data.len());
            let text = String::from_utf8_lossy(&a.data);
            for line in text.lines().take(24) {
                println!("        : {line}");
            }
            if text.lines().count() > 24 {
                println!("        : ...");
            }
        }
    }
}

async fn walkthrough() -> anyhow::Result<()> {
    let started = Instant::now();

    // The stand-in: one server with #general, #mentoring and a coordinators role.
    let fake = FakeDiscord::start(FakeConfig::default()).await;
    let mut guild = FakeGuild::new(GUILD, "Rust Learners", OLIVIA);
    guild.channels.push(FakeChannel::text(MENTORING, GUILD, "mentoring"));
    guild.roles.push(FakeRole::new(COORDINATORS, "coordinators", 0));
    fake.add_guild(guild);
    for id in [OLIVIA, ADA, GRACE] {
        fake.add_member(GUILD, FakeUser::new(id, name(id)));
    }

    // The real bot, on a fresh SQLite database and a clock that moves only when told to.
    let dir = tempfile::tempdir().context("cannot make a temporary directory")?;
    let url = format!("sqlite://{}/walkthrough.db", dir.path().display());
    let store = SqliteStore::connect(&url, 4).await?;
    store.migrate().await?;
    let clock = Arc::new(ManualClock::new(start_time()));
    let mut settings = Settings::defaults();
    settings.discord.token = Secret::new(fake.bot_token());
    let app = App::with_store(settings, Arc::new(store), clock.clone());
    let handle = start(
        &app,
        DiscordOptions {
            http_client: Some(fake.http_client()),
            background_sweeps: false,
            job_poll: None,
        },
    )
    .await?;
    fake.wait_ready(WAIT).await;
    tokio::time::timeout(WAIT, handle.bot())
        .await
        .context("the bot did not finish its setup")?;
    tokio::time::timeout(WAIT, handle.caught_up())
        .await
        .context("the start's catch-up did not finish")?;

    let commands: Vec<String> = fake
        .global_commands()
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(|n| format!("/{n}")))
        .collect();
    println!("mentorbot walkthrough: one whole mentorship, from offer to retrospective");
    println!();
    println!("The real bot runs here against a stand-in for Discord. Every answer below is what the bot");
    println!("really sent; mentions and timestamps are shown as Discord would show them to the reader.");
    println!();
    println!("Server: \"Rust Learners\", with the channels #general and #mentoring.");
    println!("People: Olivia, who organises the program (she owns the server);");
    println!("        Ada, an experienced engineer in Berlin (Europe/Berlin), who will mentor;");
    println!("        Grace, a platform engineer in New York (America/New_York), who wants a mentor.");
    println!(
        "The bot connected to the gateway and registered its commands: {}.",
        commands.join(", ")
    );

    let mut walk = Walk {
        fake: fake.clone(),
        engine: app.engine.clone(),
        clock,
        seen_messages: fake.messages().len(),
        seen_threads: Vec::new(),
        guide_shown: std::cell::Cell::new(false),
        last_answer: None,
    };
    let g = GuildId(GUILD);

    // ----- 1 ------------------------------------------------------------------------------
    heading(
        1,
        "Purpose",
        "The program is set up; each person says who they are and why they take part.",
    );
    walk.say(
        OLIVIA,
        cmd("program setup").channel("channel", MENTORING, "mentoring").role(
            "coordinator_role",
            COORDINATORS,
            "coordinators",
        ),
        0,
    )
    .await?;
    walk.narrate("Olivia adds the program's own agreement template to the guide's scope phase");
    walk.say(
        OLIVIA,
        cmd("program resources add")
            .choice("phase", 2, "scope")
            .str("title", "Our agreement template")
            .str("link", "https://example.org/mentoring/agreement-template"),
        0,
    )
    .await?;
    walk.say(
        ADA,
        cmd("mentor profile")
            .str("timezone", "Europe/Berlin")
            .str("availability", "tue 18:00-20:00, sat 10:00-14:00")
            .str("methods", "video, voice")
            .str("role", "backend engineer")
            .str("experience", "8 years of Rust and databases")
            .str("mentoring_styles", "coaching"),
        0,
    )
    .await?;
    walk.say(
        GRACE,
        cmd("mentor profile")
            .str("timezone", "America/New_York")
            .str("availability", "tue 12:00-15:00")
            .str("methods", "video")
            .str("role", "platform engineer")
            .str("learning_styles", "hands-on"),
        0,
    )
    .await?;
    walk.narrate(
        "Olivia turns on the ready-made matching questions on working and communication styles; Ada and Grace \
         answer the first one from their profile",
    );
    walk.say(OLIVIA, cmd("program question ready-made"), 0).await?;
    walk.answer_first_question(ADA, 0).await?;
    walk.answer_first_question(GRACE, 0).await?;
    walk.form(
        ADA,
        cmd("mentor offer")
            .str("topics", "rust, career")
            .int("capacity", 1)
            .str("skills", "code review")
            .str("hopes_to_learn", "How newcomers see our tooling")
            .bool("suggest_me", true),
        &[("purpose", "Help newer engineers grow into confident Rust developers.")],
        0,
    )
    .await?;
    walk.form(
        GRACE,
        cmd("mentor seek")
            .str("goals", "rust, leadership")
            .str("styles", "coaching"),
        &[(
            "purpose",
            "I want to lead the migration of our services to Rust within a year.",
        )],
        0,
    )
    .await?;

    // ----- 2 ------------------------------------------------------------------------------
    heading(
        2,
        "Find the right relationship",
        "Grace looks at who fits, asks Ada directly; Ada accepts, and the pair gets a private thread.",
    );
    walk.say(GRACE, cmd("mentor suggest"), 0).await?;
    walk.form(
        GRACE,
        cmd("mentor request").user("user", ADA),
        &[(
            "purpose",
            "Learn Rust well enough to lead our migration, with someone who has done it.",
        )],
        // The answer, and the invitation's DM to Ada (it reads about Grace first, so it may
        // come a moment after the answer).
        2,
    )
    .await?;
    let rel = walk
        .engine
        .relationships(g, UserId(GRACE))
        .await?
        .first()
        .map(|r| (r.id, r.number))
        .ok_or_else(|| anyhow!("the request made no mentorship"))?;
    // Buttons carry the id; people read and type the number in the server.
    let (rel, number) = rel;
    walk.press(ADA, "mb:acc:", &[], 2).await?;

    // ----- 3 ------------------------------------------------------------------------------
    heading(
        3,
        "Define the scope",
        "The pair agrees on expectations, issue handling and meetings, then on a plan.",
    );
    walk.say(
        GRACE,
        cmd("mentor guide")
            .choice("phase", 2, "scope")
            .choice("role", 1, "mentee"),
        0,
    )
    .await?;
    walk.say(GRACE, cmd("mentorship list"), 0).await?;
    walk.form(
        GRACE,
        cmd("mentorship agreement")
            .int("mentorship", number)
            .str("frequency", "every 2 weeks")
            .str("time", "18:30")
            .str("timezone", "Europe/Berlin")
            .str("start", "2026-03-03")
            .int("length", 45)
            .str("method", "video")
            .str("day", "tue")
            .str("end", "2026-09-01"),
        &[
            (
                "expectations",
                "I come with one question per meeting and try things out between meetings; Ada answers messages \
                 within two days.",
            ),
            (
                "issue_handling",
                "If we miss two meetings in a row, we talk openly about the pace, or end kindly.",
            ),
        ],
        2,
    )
    .await?;
    walk.press(ADA, "mb:conf:", &[], 1).await?;
    // Ada changes one thing: only the option she types changes, the rest is kept.
    walk.narrate("Ada wants a video link in the agreement: she types only that option");
    walk.form(
        ADA,
        cmd("mentorship agreement").str("place", "https://meet.example.org/ada-grace"),
        &[
            (
                "expectations",
                "Grace brings one question per meeting; I answer messages within two days.",
            ),
            (
                "issue_handling",
                "If we miss two meetings in a row, we talk openly about the pace, or end kindly.",
            ),
        ],
        2,
    )
    .await?;
    walk.press(GRACE, "mb:conf:", &[], 1).await?;
    // Grace picks the mentorship by typing a name: the value is its number.
    let picked = walk
        .autocomplete(GRACE, cmd("mentorship plan add"), "mentorship", "ada")
        .await?
        .as_i64()
        .ok_or_else(|| anyhow!("the choice is not a number"))?;
    walk.say(
        GRACE,
        cmd("mentorship plan add")
            .int("mentorship", picked)
            .str("goal", "Ship a small Rust service to production"),
        0,
    )
    .await?;
    // Goals count within the mentorship: this is goal 1 (the goal option autocompletes too).
    walk.say(
        ADA,
        cmd("mentorship plan step")
            .int("goal", 1)
            .str("step", "Pick the service and sketch its design")
            .user("owner", GRACE)
            .str("due", "2026-03-17"),
        0,
    )
    .await?;
    walk.say(
        ADA,
        cmd("mentorship plan step")
            .int("goal", 1)
            .str("step", "Review the first pull request together")
            .user("owner", ADA),
        0,
    )
    .await?;

    // ----- 4 ------------------------------------------------------------------------------
    heading(
        4,
        "Implement and evaluate",
        "The pair meets, keeps the plan up to date and reflects in a private journal.",
    );

    // The schedule: the bot's clock moves; every message below is a job the bot ran when due.
    let first_meeting = Utc.with_ymd_and_hms(2026, 3, 3, 17, 30, 0).unwrap();
    walk.pass_time(
        first_meeting - chrono::Duration::hours(24),
        "The first meeting is tomorrow.",
    );
    handle.run_jobs().await;
    walk.aftermath(2).await?;
    walk.pass_time(
        first_meeting - chrono::Duration::hours(1),
        "The first meeting is in an hour.",
    );
    handle.run_jobs().await;
    walk.aftermath(2).await?;
    walk.pass_time(
        first_meeting + chrono::Duration::minutes(45),
        "Ada and Grace have just had their first video call.",
    );
    handle.run_jobs().await;
    walk.aftermath(2).await?;
    walk.press(
        GRACE,
        "mb:met:",
        &[
            ("q0", "Ownership finally clicked when Ada drew who owns each buffer."),
            ("q1", "Write a small CLI that parses our service logs."),
            ("q2", "Picked the service; the borrow checker still slows me down."),
            ("q3", "How do we share a database pool across tasks?"),
        ],
        0,
    )
    .await?;
    walk.press(
        ADA,
        "mb:met:",
        &[
            ("q0", "Good pace; Grace prepares well."),
            ("q1", "How little the error messages helped her."),
            ("q2", "Her log-parsing CLI."),
        ],
        0,
    )
    .await?;

    walk.say(GRACE, cmd("mentorship plan done").int("step", 1), 0).await?;
    walk.say(ADA, cmd("mentorship plan list").int("mentorship", number), 0)
        .await?;
    walk.say(ADA, cmd("mentorship journal list").int("mentorship", number), 0)
        .await?;
    // Journal entries count within each person's own journal: Grace's reflection is her entry 1.
    walk.say(GRACE, cmd("mentorship journal share").int("entry", 1), 0)
        .await?;
    walk.say(ADA, cmd("mentorship journal list").int("mentorship", number), 0)
        .await?;
    walk.say(GRACE, cmd("mentorship journal export"), 1).await?;
    // The organiser looks in on the pair (finding it by typing a name), and nudges it: she sees
    // members, phase, check-ins and health, never their words; both of them get a DM.
    println!();
    println!("Olivia, the organiser, looks in on the pair (typing \"grace\" in the option lists it; its value is the number).");
    walk.say(
        OLIVIA,
        cmd("program mentorship view").str("mentorship", &number.to_string()),
        0,
    )
    .await?;
    walk.say(
        OLIVIA,
        cmd("program mentorship nudge").str("mentorship", &number.to_string()),
        2,
    )
    .await?;

    // A busy week: Grace pauses the mentorship (Ada's notice has a Resume button), and Ada
    // resumes it with that button.
    walk.say(GRACE, cmd("mentorship pause").int("mentorship", number), 1)
        .await?;
    walk.say(GRACE, cmd("mentorship list"), 0).await?;
    walk.press(ADA, "mb:resume:", &[], 1).await?;

    // ----- 5 ------------------------------------------------------------------------------
    heading(
        5,
        "End",
        "The agreement's end date comes: the mentorship ends and each of them looks back.",
    );
    let planned_end = Utc.with_ymd_and_hms(2026, 9, 1, 22, 45, 0).unwrap();
    let midpoint = first_meeting + (planned_end - first_meeting) / 2;
    walk.fast_forward(&handle, midpoint - chrono::Duration::hours(1)).await;
    walk.pass_time(midpoint, "The mentorship is half way through.");
    handle.run_jobs().await;
    walk.aftermath(2).await?;
    walk.narrate("Each answers the fit check in their own DM; neither sees the other's answer");
    walk.press(GRACE, &format!("mb:fit:{GUILD}:{}:1", rel.0), &[], 0)
        .await?;
    walk.press(ADA, &format!("mb:fit:{GUILD}:{}:2", rel.0), &[], 0).await?;
    walk.fast_forward(&handle, planned_end - chrono::Duration::minutes(1))
        .await;
    walk.pass_time(
        planned_end,
        "The agreement's end date is over; Grace's service has been in production since June.",
    );
    handle.run_jobs().await;
    walk.aftermath(2).await?;
    walk.press(
        GRACE,
        "mb:retro:",
        &[
            (
                "learned",
                "To design around ownership instead of fighting it, and to ask early.",
            ),
            ("differently", "Start pairing on real code from the first meeting."),
            ("celebrate", "Our first Rust service went live in June."),
        ],
        0,
    )
    .await?;
    walk.press_on_answer(GRACE, &format!("mb:celeb:{GUILD}:{}:1", rel.0), 0)
        .await?;
    walk.press(
        ADA,
        "mb:retro:",
        &[
            ("learned", "How confusing our build tooling looks to a newcomer."),
            ("differently", "Write the agenda into the plan before each meeting."),
            ("celebrate", "Grace now reviews Rust code for her whole team."),
        ],
        0,
    )
    .await?;
    walk.press_on_answer(ADA, &format!("mb:celeb:{GUILD}:{}:1", rel.0), 0)
        .await?;
    walk.narrate("Both agreed to celebrate in public: the bot posts it in the program channel.");
    handle.run_jobs().await;
    walk.aftermath(1).await?;
    walk.narrate("Each rates the mentorship from the end message; the organisers only ever see counts");
    walk.press(GRACE, &format!("mb:rate:{GUILD}:{}:5", rel.0), &[], 0)
        .await?;
    walk.press(GRACE, &format!("mb:again:{GUILD}:{}:1", rel.0), &[], 0)
        .await?;
    walk.press(ADA, &format!("mb:rate:{GUILD}:{}:4", rel.0), &[], 0).await?;
    walk.say(OLIVIA, cmd("program stats"), 0).await?;
    walk.say(GRACE, cmd("mentorship list"), 0).await?;

    // ----- 6 ------------------------------------------------------------------------------
    heading(
        6,
        "A cohort",
        "Olivia enrols the next cohort from her spreadsheet, matches it, and pairs by hand.",
    );
    // They joined the server (the gateway tells the bot, as Discord does).
    for id in [LINUS, MARGARET, KEN, BARBARA] {
        fake.send_member_add(GUILD, FakeUser::new(id, name(id).to_lowercase()));
    }
    // A username is the person's Discord username, an id their user id; the bot finds both.
    let cohort = format!(
        "user,role,topics,skills,capacity,timezone,availability,purpose\n\
         {LINUS},mentor,rust|systems,code review,2,Europe/Helsinki,wed 17:00-19:00,Help a newcomer ship their first crate\n\
         margaret,mentor,rust|testing,testing,1,America/Chicago,thu 12:00-14:00,\"Share how we test, and learn how others do\"\n\
         {KEN},mentee,rust|systems,,,Asia/Tokyo,mon 20:00-22:00,Write my first systems tool in Rust\n\
         barbara,mentee,rust|testing,,,Europe/Paris,thu 18:00-20:00,Test our Rust services properly\n\
         {KEN},mentee,rust,,,Mars/Olympus,,Learn\n"
    );
    println!(
        "\nOlivia's spreadsheet, saved as cohort.csv (the last row repeats Ken, with a time zone that does not exist):"
    );
    quote(cohort.trim_end());
    let import = walk.slash(OLIVIA, cmd("program import").file("file", "cohort.csv", &cohort));
    let response = walk.response(&import).await?;
    walk.print_answer(OLIVIA, &import, &response).await;
    walk.aftermath(0).await?;
    let dry_run = import
        .wait_original(|m| m.custom_ids().iter().any(|c| c.starts_with("mb:impapply:")), WAIT)
        .await
        .ok_or_else(|| anyhow!("the dry run has no Apply button"))?;
    let apply = dry_run
        .custom_ids()
        .into_iter()
        .find(|c| c.starts_with("mb:impapply:"))
        .unwrap_or_default();
    println!("      buttons: [Apply]   (the check of every row is attached as import-check.csv)");
    println!("\nOlivia presses [Apply] under the dry run.");
    let press = fake.interaction_button(dry_run.id, OLIVIA, &apply);
    let response = walk.response(&press).await?;
    walk.print_answer(OLIVIA, &press, &response).await;
    walk.narrate("Each person enrolled gets one DM, sent by the job queue");
    handle.run_jobs().await;
    walk.aftermath(4).await?;
    walk.press(KEN, "mb:impsug:", &[], 0).await?;

    walk.say(OLIVIA, cmd("program match preview"), 0).await?;
    walk.say(OLIVIA, cmd("program match publish"), 2).await?;
    // Barbara says no to the match she got; the organisers hear of it.
    walk.press(BARBARA, "mb:dec:", &[], 0).await?;
    handle.run_jobs().await;
    walk.aftermath(1).await?;
    // Olivia pairs her by hand with a mentor who has a place and no proposal waiting.
    let engine = app.engine.clone();
    let declined: Vec<u64> = engine
        .store()
        .relationships_of(GuildId(GUILD), UserId(BARBARA))
        .await?
        .iter()
        .flat_map(|r| r.members.iter().map(|m| m.user.0))
        .collect();
    let mut mentor = None;
    for m in [LINUS, MARGARET, ADA] {
        let places: u32 = engine
            .offers_of(GuildId(GUILD), UserId(m))
            .await?
            .iter()
            .filter(|o| o.status == mentorbot::domain::listing::ListingStatus::Open)
            .map(|o| u32::from(o.capacity))
            .sum();
        let taken = engine
            .store()
            .relationships_of(GuildId(GUILD), UserId(m))
            .await?
            .iter()
            .filter(|r| r.mentor() == Some(UserId(m)))
            .filter(|r| r.state.is_live() || r.state == mentorbot::domain::relationship::State::Proposed)
            .count() as u32;
        if places > taken && !declined.contains(&m) {
            mentor = Some(m);
            break;
        }
    }
    let mentor = mentor.ok_or_else(|| anyhow!("no mentor with a free place is left for Barbara"))?;
    walk.say(
        OLIVIA,
        cmd("program pair").user("mentee", BARBARA).user("mentor", mentor),
        2,
    )
    .await?;
    walk.say(OLIVIA, cmd("program invitations"), 0).await?;
    let by_hand = engine
        .store()
        .relationships_of(GuildId(GUILD), UserId(BARBARA))
        .await?
        .into_iter()
        .find(|r| r.state == mentorbot::domain::relationship::State::Proposed)
        .ok_or_else(|| anyhow!("Barbara's pair by hand is not waiting"))?;
    walk.narrate("Nobody has answered the pair by hand yet: Olivia nudges it");
    walk.say(
        OLIVIA,
        cmd("program mentorship nudge").str("mentorship", &by_hand.number.to_string()),
        2,
    )
    .await?;

    // ----- summary ------------------------------------------------------------------------
    handle.shutdown().await;
    let requests = fake.requests();
    let mut by_route: BTreeMap<String, usize> = BTreeMap::new();
    for r in &requests {
        let route = r.route.clone().unwrap_or_else(|| r.path.clone());
        *by_route.entry(format!("{} {route}", r.method)).or_default() += 1;
    }
    let line = "=".repeat(78);
    println!("\n{line}\n Summary\n{line}");
    println!("The bot made {} REST requests to the stand-in:", requests.len());
    let mut routes: Vec<(String, usize)> = by_route.into_iter().collect();
    routes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for (route, n) in routes {
        println!("  {n:>4}  {route}");
    }
    // Two judges look at every request: Discord's OpenAPI description, and Discord's own rules
    // that the file does not state (the stand-in's, with twilight-validate as a second opinion).
    let violations = fake.spec_violations();
    let count = |judge: &str| violations.iter().filter(|v| v.judge() == judge).count();
    let (openapi, rules, twilight) = (count("openapi"), count("stand-in"), count("twilight-validate"));
    if !violations.is_empty() {
        println!(
            "{} request(s) broke Discord's rules: {openapi} by the OpenAPI description, {rules} by the stand-in's \
             rules, {twilight} by twilight-validate:",
            violations.len()
        );
        for v in &violations {
            println!("  - {v}");
        }
        bail!("{} request(s) broke Discord's rules", violations.len());
    }
    if fake.validates() {
        println!(
            "0 requests broke Discord's rules, by both judges: 0 by Discord's OpenAPI description, 0 by Discord's \
             documented limits (the stand-in's rules, with twilight-validate as a second opinion; {} refusal(s) \
             of twilight's overruled by Discord's documentation).",
            fake.overruled().len()
        );
    } else {
        println!(
            "0 requests broke Discord's documented limits (the stand-in's rules, with twilight-validate as a second \
             opinion); requests were NOT checked against Discord's OpenAPI description: the file was not found \
             (see the warning above)."
        );
    }
    for v in fake.overruled() {
        println!("  (twilight-validate refused, Discord's documentation allows: {v})");
    }
    println!("Done in {:.1} s.", started.elapsed().as_secs_f64());
    drop(dir);
    Ok(())
}

#[tokio::main]
async fn main() {
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    if let Err(e) = walkthrough().await {
        eprintln!("walkthrough failed: {e:#}");
        std::process::exit(1);
    }
}
