//! The binary as a person runs it: check-config, migrate, and run without a token.
use crate::common;

use std::process::{Command, Output};

fn mentorbot(args: &[&str], env: &[(&str, &str)], dir: &std::path::Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mentorbot"));
    cmd.args(args).current_dir(dir);
    // The test's own environment must not leak settings in.
    for (k, _) in std::env::vars() {
        if k.starts_with("MENTORBOT") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn check_config_prints_effective_settings_with_the_token_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.toml");
    std::fs::write(
        &file,
        "[program]\nproposal_expiry_days = 3\n[database]\nurl = \"sqlite://from-file.db\"\n",
    )
    .unwrap();
    let out = mentorbot(
        &["check-config", "--config", file.to_str().unwrap()],
        &[
            ("MENTORBOT__DISCORD__TOKEN", "MTIz.very-secret.token"),
            ("MENTORBOT__DATABASE__URL", "sqlite://from-env.db"),
        ],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!stdout.contains("very-secret") && !text(&out.stderr).contains("very-secret"));
    assert!(stdout.contains("token = \"[redacted]\""), "{stdout}");
    assert!(
        stdout.contains("proposal_expiry_days = 3"),
        "the file overrides the defaults: {stdout}"
    );
    assert!(
        stdout.contains("url = \"sqlite://from-env.db\""),
        "the environment overrides the file: {stdout}"
    );
    assert!(
        stdout.contains("max_connections = 5"),
        "defaults fill the rest: {stdout}"
    );

    // MENTORBOT_CONFIG names the file too.
    let out = mentorbot(
        &["check-config"],
        &[("MENTORBOT_CONFIG", file.to_str().unwrap())],
        dir.path(),
    );
    assert!(text(&out.stdout).contains("url = \"sqlite://from-file.db\""));
    assert!(text(&out.stdout).contains("token = \"[not set]\""));
}

fn refused(args: &[&str], env: &[(&str, &str)], file: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    if let Some(contents) = file {
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, contents).unwrap();
        args.push("--config".into());
        args.push(path.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let out = mentorbot(&args, env, dir.path());
    assert!(!out.status.success(), "accepted: {args:?} {env:?}");
    assert!(out.stdout.is_empty(), "nothing printed as if it worked");
    let stderr = text(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn bad_settings_stop_with_one_line_naming_the_key() {
    let e = refused(&["check-config"], &[("MENTORBOT__DATABASE__URL", "mysql://db/x")], None);
    assert!(
        e.contains("database.url") && e.contains("sqlite:") && e.contains("postgres:"),
        "{e}"
    );
    let e = refused(&["check-config"], &[("MENTORBOT__DISCORD__TOKN", "x")], None);
    assert!(
        e.contains("discord.tokn") && e.contains("unknown") && e.contains("MENTORBOT__DISCORD__TOKN"),
        "{e}"
    );
    let e = refused(
        &["check-config"],
        &[("MENTORBOT__PROGRAM__PROPOSAL_EXPIRY_DAYS", "soon")],
        None,
    );
    assert!(
        e.contains("program.proposal_expiry_days") && e.contains("wrong type"),
        "{e}"
    );
    let e = refused(&["check-config"], &[], Some("[databse]\nurl = \"sqlite://x.db\"\n"));
    assert!(e.contains("databse") && e.contains("unknown"), "{e}");
    let e = refused(&["check-config"], &[], Some("[database]\nmax_connections = \"many\"\n"));
    assert!(e.contains("database.max_connections") && e.contains("bad.toml"), "{e}");
    let e = refused(
        &["check-config"],
        &[("MENTORBOT__PROGRAM__PROPOSAL_EXPIRY_DAYS", "0")],
        None,
    );
    assert!(e.contains("program.proposal_expiry_days"), "{e}");
    let e = refused(&["check-config", "--config", "/nonexistent/mentorbot.toml"], &[], None);
    assert!(e.contains("/nonexistent/mentorbot.toml"), "{e}");
    // `run` and `migrate` refuse the same way before touching anything.
    let e = refused(&["migrate"], &[("MENTORBOT__DATABASE__URL", "redis://x")], None);
    assert!(e.contains("database.url"), "{e}");
}

#[test]
fn run_without_a_token_says_how_to_give_one() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&[][..], &["run"][..]] {
        let out = mentorbot(args, &[], dir.path());
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("MENTORBOT__DISCORD__TOKEN"), "{stderr}");
    }
    assert!(
        !dir.path().join("data").exists(),
        "nothing created before the settings are complete"
    );
}

#[test]
fn migrate_creates_the_sqlite_file_and_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = mentorbot(&["migrate"], &[], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        dir.path().join("data/mentorbot.db").is_file(),
        "the default sqlite://data/mentorbot.db"
    );
    // Applying again is a no-op that still succeeds.
    let out = mentorbot(&["migrate"], &[], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("sqlite"));
}

#[tokio::test]
async fn migrate_on_postgres() {
    let Some(url) = common::pg_url() else { return };
    let (_, schema) = common::fresh_pg_schema(&url).await;
    let sep = if url.contains('?') { '&' } else { '?' };
    let schema_url = format!("{url}{sep}options=-c%20search_path%3D{schema}");
    let dir = tempfile::tempdir().unwrap();
    let out = mentorbot(&["migrate"], &[("MENTORBOT__DATABASE__URL", &schema_url)], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("postgres"));
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let (tables,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1")
        .bind(&schema)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert!(tables >= 12, "the engine's tables exist in the schema: {tables}");
    let sql = format!("DROP SCHEMA {schema} CASCADE");
    sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await.unwrap();
}

#[test]
fn schedule_prints_occurrences_and_refuses_bad_input_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "schedule",
        "--start",
        "2026-03-16T18:30",
        "--timezone",
        "Europe/Berlin",
        "--frequency",
        "every 2 weeks",
        "--count",
        "2",
    ];
    let out = mentorbot(&args, &[], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Berlin moves to summer time on 2026-03-29: the local time stays, the UTC time moves.
    assert_eq!(
        text(&out.stdout),
        "2026-03-16T17:30:00Z  2026-03-16T18:30:00+01:00\n2026-03-30T16:30:00Z  2026-03-30T18:30:00+02:00\n"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let out = mentorbot(&json_args, &[], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["occurrences"][1]["utc"], "2026-03-30T16:30:00Z");
    assert_eq!(v["occurrences"][1]["local"], "2026-03-30T18:30:00+02:00");
    for (flag, bad) in [
        ("--frequency", "fortnightly"),
        ("--timezone", "Mars/Base"),
        ("--start", "2026-02-30T10:00"),
    ] {
        let mut bad_args = args.to_vec();
        let i = bad_args.iter().position(|a| *a == flag).unwrap();
        bad_args[i + 1] = bad;
        let out = mentorbot(&bad_args, &[], dir.path());
        assert_eq!(out.status.code(), Some(2), "{flag} {bad}");
        assert!(out.stdout.is_empty());
        assert!(!text(&out.stderr).trim().is_empty());
    }
}

#[test]
fn match_pairs_a_program_file_and_refuses_a_malformed_one_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("program.json");
    std::fs::write(
        &program,
        r#"{"at": "2026-01-15T12:00:00Z",
            "mentors": [{"id": "m1", "capacity": 1, "topics": ["rust"], "timezone": "Europe/Berlin",
                         "availability": ["tue 18:00-20:00"], "kinds": ["classic"]},
                        {"id": "m2", "capacity": 1, "topics": ["go"], "timezone": "Asia/Tokyo", "kinds": ["classic"]}],
            "mentees": [{"id": "e1", "goals": ["rust"], "timezone": "Europe/Paris",
                         "availability": ["tue 18:00-19:00"], "kind": "classic"},
                        {"id": "e2", "goals": ["go"], "timezone": "Asia/Tokyo", "kind": "classic"}],
            "exclude": [["m2", "e2"]]}"#,
    )
    .unwrap();
    let result = dir.path().join("result.json");
    let out = mentorbot(
        &[
            "match",
            "--input",
            program.to_str().unwrap(),
            "--output",
            result.to_str().unwrap(),
        ],
        &[],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
    assert_eq!(v["optimal"], true);
    let pairs = v["pairs"].as_array().unwrap();
    // Placing both comes first: e2 may not have m2 (excluded), so e2 gets m1 and e1 gets m2,
    // though e1 alone would score higher with m1.
    assert_eq!(pairs.len(), 2, "{v}");
    let by_mentee = |id: &str| pairs.iter().find(|p| p["mentee"] == id).unwrap().clone();
    assert_eq!(by_mentee("e1")["mentor"], "m2");
    assert_eq!(by_mentee("e2")["mentor"], "m1");
    assert_eq!(by_mentee("e1")["criteria"]["topic"], 0.0);
    assert!(v["unmatched"].as_array().unwrap().is_empty());

    std::fs::write(
        &program,
        r#"{"mentors": [{"id": "m1", "capacity": 1, "timezone": "Mars/Base"}], "mentees": []}"#,
    )
    .unwrap();
    let out = mentorbot(&["match", "--input", program.to_str().unwrap()], &[], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("mentors[0]") && stderr.contains("timezone"), "{stderr}");
}
