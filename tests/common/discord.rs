//! The real bot against the Discord stand-in: a stand-in per test, the bot on the test's own
//! database and clock.
use std::sync::Arc;
use std::time::Duration;

use fake_discord::{FakeConfig, FakeDiscord, FakeGuild, FakeRole, FakeUser, InteractionHandle, Place, SlashCommand};
use mentorbot::app::App;
use mentorbot::config::{Secret, Settings};
use mentorbot::discord::bot::Bot;
use mentorbot::discord::{start, BotHandle, DiscordOptions};

use super::fixtures::*;
use super::World;

pub const OWNER: u64 = 900_000_000_000_000_050;
pub const COORDINATOR_ROLE: u64 = 1_000_000_000_000_777;
pub const A_BOT: u64 = 900_000_000_000_000_060;
/// A member with the coordinator role and no admin rights.
pub const COORDINATOR: u64 = 900_000_000_000_000_070;
/// The first id of the extra members of a crowded server.
pub const CROWD: u64 = 910_000_000_000_000_000;
pub const WAIT: Duration = Duration::from_secs(20);
/// The job lease of the tests' bots.
pub const LEASE_SECONDS: u64 = 2;

pub struct Harness {
    pub fake: FakeDiscord,
    pub world: World,
    pub bot: Arc<Bot>,
    pub app: App,
    handle: Option<BotHandle>,
}

pub fn channel() -> u64 {
    GUILD.0 + 1
}

pub fn here() -> Place {
    Place::Guild {
        guild_id: GUILD.0,
        channel_id: channel(),
    }
}

/// The stand-in as these tests use it. Discord's 3-second deadline for the first answer runs on
/// the wall clock, and the whole suite runs in parallel on two cores, so a bot that answers at
/// once can still be scheduled late; the deadline here is wider. How fast the bot answers is
/// measured by the load benchmark, and the deadline itself is tested in the stand-in's own tests
/// (on its clock); which commands defer first is asserted where they are tested.
pub fn config() -> FakeConfig {
    FakeConfig {
        interaction_deadline: Some(Duration::from_secs(15)),
        ..FakeConfig::default()
    }
}

impl Harness {
    pub async fn start(world: World) -> Harness {
        Self::start_with(world, config()).await
    }

    pub async fn start_with(world: World, config: FakeConfig) -> Harness {
        Self::start_with_crowd(world, config, 0).await
    }

    /// Like [`Harness::start_with`], with `crowd` more members in the server (ids from
    /// [`CROWD`], named `member<i>`): over 250 makes it a large server.
    pub async fn start_with_crowd(world: World, config: FakeConfig, crowd: u64) -> Harness {
        let fake = FakeDiscord::start(config.clone()).await;
        let mut guild = FakeGuild::new(GUILD.0, "Mentors", OWNER);
        guild.roles.push(FakeRole::new(COORDINATOR_ROLE, "coordinators", 0));
        fake.add_guild(guild);
        for (id, name) in [
            (OWNER, "owner"),
            (MENTOR.0, "ada"),
            (MENTEE.0, "grace"),
            (PEER3.0, "linus"),
            (PEER4.0, "margaret"),
            (STRANGER.0, "mallory"),
        ] {
            fake.add_member(GUILD.0, FakeUser::new(id, name));
        }
        fake.add_member(GUILD.0, FakeUser::bot(A_BOT, "otherbot"));
        fake.add_member_with_roles(GUILD.0, FakeUser::new(COORDINATOR, "cora"), vec![COORDINATOR_ROLE]);
        for i in 0..crowd {
            fake.add_member(GUILD.0, FakeUser::new(CROWD + i, format!("member{i}")));
        }
        // The bot is set to the global limit the stand-in enforces, as it is to Discord's.
        let global = config.global_limit;
        let global_rate_limit = ((f64::from(global.limit) / global.window.as_secs_f64()).floor() as u32).max(1);
        let (app, handle, bot) = Self::boot(&fake, &world, 0, global_rate_limit).await;
        Harness {
            fake,
            world,
            bot,
            app,
            handle: Some(handle),
        }
    }

    /// The bot's settings for this stand-in.
    pub fn settings(fake: &FakeDiscord) -> Settings {
        let mut settings = Settings::defaults();
        settings.discord.token = Secret::new(fake.bot_token());
        // A process that crashed gives its share of the global limit back within seconds.
        settings.discord.rate_share_lease_ms = 3000;
        // Leases run on the database's clock: a crashed holder's jobs come back in seconds.
        settings.jobs.lease_seconds = LEASE_SECONDS;
        settings
    }

    async fn boot(
        fake: &FakeDiscord,
        world: &World,
        identified_before: u64,
        global_rate_limit: u32,
    ) -> (App, BotHandle, Arc<Bot>) {
        let mut settings = Self::settings(fake);
        settings.discord.global_rate_limit = global_rate_limit;
        let app = App::with_store(settings, world.store.clone(), world.clock.clone());
        let handle = start(
            &app,
            DiscordOptions {
                http_client: Some(fake.http_client()),
                background_sweeps: false,
                job_poll: None,
            },
        )
        .await
        .expect("the bot starts");
        assert!(
            fake.wait_gateway(WAIT, |s| s.live && s.identifies > identified_before)
                .await,
            "the bot connected"
        );
        let bot = tokio::time::timeout(WAIT, handle.bot())
            .await
            .expect("the bot finished its setup");
        // Tests act on the plan the start's catch-up made (the bot answers before it is done).
        tokio::time::timeout(WAIT, handle.caught_up())
            .await
            .expect("the start's catch-up finished");
        // The members the gateway listed (GUILD_CREATE) are recorded before the test acts: the
        // owner is one only the gateway tells of.
        let deadline = tokio::time::Instant::now() + WAIT;
        while world
            .store
            .guild_member(GUILD, mentorbot::domain::UserId(OWNER))
            .await
            .unwrap()
            .is_none()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the server's members were recorded"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        (app, handle, bot)
    }

    /// Stops the bot (as a crash would with `crash`, else gracefully) and starts a new one on
    /// the same database, clock and stand-in.
    pub async fn restart(&mut self, crash: bool) {
        let before = self.fake.gateway_stats().identifies;
        if let Some(h) = self.handle.take() {
            if crash {
                h.kill().await;
            } else {
                h.shutdown().await;
            }
        }
        let global = self.app.settings.discord.global_rate_limit;
        let (app, handle, bot) = Self::boot(&self.fake, &self.world, before, global).await;
        self.app = app;
        self.bot = bot;
        self.handle = Some(handle);
    }

    /// Runs every job due by the test's clock.
    pub async fn run_jobs(&self) -> mentorbot::jobs::TickReport {
        self.handle.as_ref().expect("running").run_jobs().await
    }

    /// Runs the due jobs until none is held any more: a dead holder's leases run out on the
    /// database's clock, in a few seconds.
    pub async fn run_jobs_until_none_held(&self) -> mentorbot::jobs::TickReport {
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut total = mentorbot::jobs::TickReport::default();
        loop {
            let r = self.run_jobs().await;
            total.claimed += r.claimed;
            total.done += r.done;
            total.retried += r.retried;
            total.failed += r.failed;
            total.lost += r.lost;
            total.errors += r.errors;
            let running = self.world.jobs.counts(None).await.unwrap().running;
            if running == 0 || tokio::time::Instant::now() > deadline {
                return total;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Moves the clock on and runs what fell due.
    pub async fn advance(&self, by: chrono::Duration) -> mentorbot::jobs::TickReport {
        self.world.clock.advance(by);
        self.run_jobs().await
    }

    pub fn slash(&self, user: mentorbot::domain::UserId, command: SlashCommand) -> InteractionHandle {
        self.fake.interaction_slash(here(), user.0, command)
    }

    /// Runs a slash command and returns the text of its (ephemeral) answer.
    pub async fn say(&self, user: mentorbot::domain::UserId, command: SlashCommand) -> String {
        let handle = self.slash(user, command);
        let response = handle.wait_response().await;
        assert!(
            response.is_ephemeral(),
            "answers about one's own data are ephemeral: {response:?}"
        );
        if response.is_deferred() {
            return deferred_answer(&handle).await.text();
        }
        response.content().unwrap_or_default().to_string()
    }

    /// Runs a command whose ephemeral answer comes after a deferral; returns that answer.
    pub async fn answer_deferred(
        &self,
        user: mentorbot::domain::UserId,
        command: SlashCommand,
    ) -> fake_discord::SentMessage {
        let handle = self.slash(user, command);
        let response = handle.wait_response().await;
        assert!(response.is_ephemeral() && response.is_deferred(), "{response:?}");
        let answer = handle.wait_followups(1, WAIT).await;
        let answer = answer.into_iter().next().expect("the answer follows the deferral");
        assert!(answer.is_ephemeral(), "{answer:?}");
        answer
    }

    /// Runs a slash command that opens a form, fills it in, and returns the form's answer.
    pub async fn form(
        &self,
        user: mentorbot::domain::UserId,
        command: SlashCommand,
        fields: &[(&str, &str)],
    ) -> String {
        let handle = self.slash(user, command);
        let response = handle.wait_response().await;
        assert!(response.is_modal(), "expected a form, got {:?}", response.content());
        let submitted = self.fake.submit_modal(&handle, fields);
        let answer = submitted.wait_response().await;
        assert!(answer.is_ephemeral(), "{answer:?}");
        answer.content().unwrap_or_default().to_string()
    }

    /// Presses a button of a message, as `user`; returns the answer.
    pub async fn press(
        &self,
        message_id: u64,
        user: mentorbot::domain::UserId,
        custom_id: &str,
    ) -> fake_discord::InteractionResponse {
        self.fake
            .interaction_button(message_id, user.0, custom_id)
            .wait_response()
            .await
    }

    /// Presses a custom id the message does not carry (a forged press); returns the answer.
    pub async fn press_forged(
        &self,
        message_id: u64,
        user: mentorbot::domain::UserId,
        custom_id: &str,
    ) -> fake_discord::InteractionResponse {
        self.fake
            .interaction_button_forged(message_id, user.0, custom_id)
            .wait_response()
            .await
    }

    pub async fn shutdown(mut self) {
        self.fake.assert_no_violations();
        if let Some(h) = self.handle.take() {
            h.shutdown().await;
        }
    }
}

pub fn cmd(path: &str) -> SlashCommand {
    let mut parts = path.split(' ');
    let mut c = SlashCommand::new(parts.next().unwrap());
    for p in parts {
        c = c.subcommand(p);
    }
    c
}

/// The last DM to `user` with a button whose custom id starts with `prefix`: (message id, custom id).
pub fn button(h: &Harness, user: mentorbot::domain::UserId, prefix: &str) -> (u64, String) {
    h.fake
        .dms_to(user.0)
        .iter()
        .rev()
        .find_map(|m| {
            m.custom_ids()
                .into_iter()
                .find(|c| c.starts_with(prefix))
                .map(|c| (m.id, c))
        })
        .unwrap_or_else(|| panic!("no DM to {user} with a {prefix} button: {:#?}", h.fake.dms_to(user.0)))
}

impl Harness {
    /// Waits for a DM to `user` with a button whose custom id starts with `prefix`.
    pub async fn wait_button(&self, user: mentorbot::domain::UserId, prefix: &str) -> (u64, String) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let dms = self.fake.dms_to(user.0);
            if dms.iter().any(|m| m.custom_ids().iter().any(|c| c.starts_with(prefix))) {
                return button(self, user, prefix);
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(!left.is_zero(), "no DM to {user} with a {prefix} button: {dms:#?}");
            // Returns as soon as one more DM arrives.
            self.fake.wait_for_dms(user.0, dms.len() + 1, left).await;
        }
    }

    /// Presses the retrospective button `user` got for `rel` and fills in the form.
    pub async fn retrospective(&self, user: mentorbot::domain::UserId, rel: mentorbot::domain::RelationshipId) {
        let (msg, id) = self.wait_button(user, &format!("mb:retro:{}:{}", GUILD.0, rel.0)).await;
        let handle = self.fake.interaction_button(msg, user.0, &id);
        assert!(handle.wait_response().await.is_modal());
        // The fields every retrospective form has (one that was not a fit asks nothing to celebrate).
        let fields = [("learned", "Practice"), ("differently", "Start sooner")];
        let answer = self.fake.submit_modal(&handle, &fields).wait_response().await;
        assert!(
            answer.content().unwrap().contains("Thank you"),
            "{:?}",
            answer.content()
        );
        let retro = self
            .world
            .engine
            .my_retrospective(GUILD, rel, user)
            .await
            .unwrap()
            .expect("stored");
        assert_eq!(retro.learned, "Practice");
    }

    /// Fills in a retrospective form opened by `handle` and answers the celebration question
    /// with its button (issue 16, item 13); returns the answer to that button.
    pub async fn retrospective_celebrating(
        &self,
        handle: &InteractionHandle,
        user: mentorbot::domain::UserId,
        fields: &[(&str, &str)],
        celebrate: bool,
    ) -> String {
        let submitted = self.fake.submit_modal(handle, fields);
        let answer = submitted.wait_response().await;
        assert!(
            answer
                .content()
                .unwrap_or_default()
                .contains("Celebrate it in the program channel?"),
            "{answer:?}"
        );
        let button = answer
            .custom_ids()
            .into_iter()
            .find(|c| c.starts_with("mb:celeb:") && c.ends_with(if celebrate { ":1" } else { ":0" }))
            .expect("the Yes / No buttons");
        let message = submitted.original().expect("the answer is a message");
        let pressed = self.press(message.id, user, &button).await;
        pressed.content().unwrap_or_default().to_string()
    }

    /// `/mentorship end` and its confirmation (issue 16, item 6): the command changes nothing
    /// until its End it (or Leave the group) button is pressed; returns that button's answer.
    pub async fn end(&self, user: mentorbot::domain::UserId, rel: i64, reason: i64) -> String {
        let handle = self.slash(user, cmd("mentorship end").int("mentorship", rel).int("reason", reason));
        let asked = handle.wait_response().await;
        assert!(asked.is_ephemeral(), "{asked:?}");
        let Some(button) = asked
            .custom_ids()
            .into_iter()
            .find(|c| c.starts_with("mb:endok:") || c.starts_with("mb:leave:"))
        else {
            return asked.content().unwrap_or_default().to_string();
        };
        let message = handle.original().expect("the confirmation is a message");
        let pressed = self.press(message.id, user, &button).await;
        pressed.content().unwrap_or_default().to_string()
    }

    /// Waits for a DM to `user` that contains `needle`; returns its text.
    pub async fn wait_dm(&self, user: mentorbot::domain::UserId, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let dms = self.fake.dms_to(user.0);
            if let Some(m) = dms.iter().find(|m| m.content.contains(needle)) {
                return m.content.clone();
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            assert!(!left.is_zero(), "no DM to {user} with {needle:?}: {dms:#?}");
            self.fake.wait_for_dms(user.0, dms.len() + 1, left).await;
        }
    }

    /// Waits until `user` has received at least `count` DMs.
    pub async fn dms(&self, user: mentorbot::domain::UserId, count: usize) -> Vec<fake_discord::SentMessage> {
        self.fake.wait_for_dms(user.0, count, WAIT).await
    }
}

/// The answer that follows a deferral: a follow-up, or the deferred message edited.
pub async fn deferred_answer(handle: &InteractionHandle) -> fake_discord::SentMessage {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(m) = handle.followups().into_iter().next() {
            return m;
        }
        if let Some(m) = handle.original().filter(|m| !m.text().is_empty()) {
            return m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no answer followed the deferral of interaction {}",
            handle.id
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
