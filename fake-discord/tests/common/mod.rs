//! Shared set-up for the stand-in's own tests.
#![allow(dead_code)]

use fake_discord::{permissions, FakeConfig, FakeDiscord, FakeGuild, FakeRole, FakeUser};

pub const GUILD: u64 = 900_000_000_000_000_000;
pub const TEXT: u64 = GUILD + 1;
pub const COORDINATOR_ROLE: u64 = GUILD + 10;
pub const OWNER: u64 = 800_000_000_000_000_001;
pub const ALICE: u64 = 800_000_000_000_000_042;
pub const BOB: u64 = 800_000_000_000_000_043;
pub const CAROL: u64 = 800_000_000_000_000_044;

/// A stand-in with one guild (`TEXT` channel), its owner, alice, bob (coordinator) and carol.
pub async fn setup(config: FakeConfig) -> FakeDiscord {
    let fake = FakeDiscord::start(config).await;
    let mut guild = FakeGuild::new(GUILD, "Mentors", OWNER);
    guild.roles.push(FakeRole::new(
        COORDINATOR_ROLE,
        "coordinator",
        permissions::MANAGE_GUILD,
    ));
    fake.add_guild(guild);
    fake.add_member(GUILD, FakeUser::new(OWNER, "owner"));
    fake.add_member(GUILD, FakeUser::new(ALICE, "alice"));
    fake.add_member_with_roles(GUILD, FakeUser::new(BOB, "bob"), vec![COORDINATOR_ROLE]);
    fake.add_member(GUILD, FakeUser::new(CAROL, "carol"));
    assert!(
        fake.validates(),
        "these tests need Discord's OpenAPI description (set DISCORD_OPENAPI_SPEC)"
    );
    fake
}
