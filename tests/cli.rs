//! The `guild` command line against a real database: creating accounts and communities that
//! WebFinger then finds, resolving a remote community, and clear refusals.

mod common;

use common::{TestDatabase, TestInstance, listen};
use std::process::{Command, Output};

const GUILD: &str = env!("CARGO_BIN_EXE_guild");

fn guild(domain: &str, database_url: &str, args: &[&str]) -> Output {
    Command::new(GUILD)
        .args(args)
        .env("GUILD_DATABASE_URL", database_url)
        .env("GUILD_DOMAIN", domain)
        .env("GUILD_ALLOW_INSECURE_LOCALHOST", "true")
        .env("GUILD_LOG", "warn")
        .env_remove("GUILD_CONFIG")
        .output()
        .expect("guild runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn help_names_every_command() {
    let output = Command::new(GUILD)
        .arg("--help")
        .output()
        .expect("guild runs");
    assert!(output.status.success());
    let help = stdout(&output);
    for command in ["serve", "migrate", "user", "community", "resolve"] {
        assert!(
            help.contains(command),
            "--help does not mention {command}: {help}"
        );
    }
    let output = Command::new(GUILD)
        .args(["user", "create", "--help"])
        .output()
        .expect("guild runs");
    let help = stdout(&output);
    assert!(
        help.contains("--admin") && help.contains("--password-stdin"),
        "{help}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_accounts_and_communities_are_found_by_webfinger() {
    let (listener, domain) = listen().await;
    let database = TestDatabase::create().await;
    let url = database.url.clone();

    let output = guild(&domain, &url, &["user", "create", "dana", "--admin"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("Created dana (admin)"), "{text}");
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("Password (shown once): "))
        .expect("a generated password is printed");
    assert!(password.len() >= 20);

    let output = guild(
        &domain,
        &url,
        &[
            "community",
            "create",
            "leadership",
            "--title",
            "Leadership",
            "--description",
            "Leading *well*",
            "--moderator",
            "dana",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));

    // Refusals: a taken name, a bad name, an unknown moderator; each exits non-zero with
    // a sentence that says why.
    let taken = guild(&domain, &url, &["user", "create", "dana"]);
    assert!(!taken.status.success());
    assert!(stderr(&taken).contains("taken"), "{}", stderr(&taken));
    let bad = guild(
        &domain,
        &url,
        &["community", "create", "No Spaces", "--title", "x"],
    );
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("3 to 30 characters"),
        "{}",
        stderr(&bad)
    );
    let unknown = guild(
        &domain,
        &url,
        &[
            "community",
            "create",
            "events",
            "--title",
            "Events",
            "--moderator",
            "zed",
        ],
    );
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("zed"), "{}", stderr(&unknown));
    // The database refuses a different domain: every stored id would be wrong.
    let wrong = guild("localhost:1", &url, &["user", "create", "eve"]);
    assert!(!wrong.status.success());
    assert!(stderr(&wrong).contains("domain"), "{}", stderr(&wrong));

    let status = guild(&domain, &url, &["queue", "status"]);
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(
        stdout(&status).contains("The delivery queue is empty."),
        "{}",
        stdout(&status)
    );

    let instance = TestInstance::start_on(listener, domain.clone(), database).await;
    for (name, kind) in [("dana", "Person"), ("leadership", "Group")] {
        let webfinger: serde_json::Value = common::http()
            .get(instance.url(&format!(
                "/.well-known/webfinger?resource=acct:{name}@{domain}"
            )))
            .send()
            .await
            .expect("GET")
            .json()
            .await
            .expect("JSON");
        let link = &webfinger["links"][1];
        assert_eq!(link["rel"], "self");
        assert_eq!(
            link["properties"]["https://www.w3.org/ns/activitystreams#type"],
            kind
        );
    }
    let group = common::get_activity_json(&instance.url("/c/leadership")).await;
    assert_eq!(group["summary"], "<p>Leading <em>well</em></p>\n");
    instance.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_fetches_and_stores_a_remote_community() {
    let remote = TestInstance::start().await;
    remote.create_community("gis", "Mapping & GIS", None).await;

    let (_listener, domain) = listen().await;
    let database = TestDatabase::create().await;
    let output = guild(
        &domain,
        &database.url,
        &["resolve", &format!("!gis@{}", remote.domain)],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("Community gis \"Mapping & GIS\""),
        "{}",
        stdout(&output)
    );

    let unknown = guild(
        &domain,
        &database.url,
        &["resolve", &format!("nobody@{}", remote.domain)],
    );
    assert!(!unknown.status.success());
    let garbage = guild(&domain, &database.url, &["resolve", "not a handle"]);
    assert!(!garbage.status.success());
    assert!(
        stderr(&garbage).contains("name@domain"),
        "{}",
        stderr(&garbage)
    );

    database.drop_database().await;
    remote.stop().await;
}
