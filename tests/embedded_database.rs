//! `guild serve` with no database URL runs its own PostgreSQL in the data directory, keeps
//! data across restarts, shares it with CLI commands, and leaves nothing running.

mod common;

use nix::{sys::signal, unistd::Pid};
use std::{os::unix::fs::PermissionsExt, path::Path, process::Stdio, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::{Child, Command},
};

const GUILD: &str = env!("CARGO_BIN_EXE_guild");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

fn guild(data_dir: &Path, port: u16) -> Command {
    let mut command = Command::new(GUILD);
    command
        .env_remove("GUILD_DATABASE_URL")
        .env_remove("GUILD_CONFIG")
        .env("GUILD_DATA_DIR", data_dir)
        .env("GUILD_BIND", format!("127.0.0.1:{port}"))
        .env("GUILD_DOMAIN", format!("localhost:{port}"))
        .env("GUILD_ALLOW_INSECURE_LOCALHOST", "true")
        .env("GUILD_LOG", "warn")
        .current_dir(data_dir)
        .kill_on_drop(true);
    command
}

/// Starts `guild serve` and waits until it says it is listening.
async fn serve(data_dir: &Path, port: u16) -> Child {
    let mut child = guild(data_dir, port)
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .expect("guild serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            if line.contains("Guild is listening") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(ready, Ok(true), "guild serve did not start");
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

/// Sends SIGTERM and waits for a clean exit.
async fn stop(mut child: Child) {
    let pid = Pid::from_raw(child.id().expect("running") as i32);
    signal::kill(pid, signal::Signal::SIGTERM).expect("SIGTERM");
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("guild serve exits after SIGTERM")
        .expect("exit status");
    assert!(status.success(), "guild serve exited with {status}");
}

async fn run_cli(data_dir: &Path, port: u16, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = guild(data_dir, port)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("guild runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.expect("write stdin");
    }
    drop(input);
    let output = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the command finishes")
        .expect("output");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "guild {args:?} failed: {stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The postmaster's pid while the cluster runs.
fn postmaster_pid(data_dir: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(data_dir.join("postgres/postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// Whether a process runs; an exited process that its parent has not reaped yet (a zombie)
/// does not count.
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

fn assert_no_postgres_running(data_dir: &Path, pid: i32) {
    assert!(!running(pid), "PostgreSQL (pid {pid}) is still running");
    assert_eq!(
        postmaster_pid(data_dir),
        None,
        "postmaster.pid is still there"
    );
}

async fn webfinger_status(port: u16, name: &str) -> (u16, serde_json::Value) {
    let url = format!(
        "http://127.0.0.1:{port}/.well-known/webfinger?resource=acct:{name}@localhost:{port}"
    );
    let response = common::http().get(url).send().await.expect("GET");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_database_survives_restarts_and_stops_with_guild() {
    let dir = tempfile::tempdir().expect("temp dir");
    // When tests run as root, the cluster runs as the postgres user, who must reach it.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let data_dir = dir.path();
    let port = free_port();

    // First start creates the cluster; a CLI command uses it while the server runs.
    let server = serve(data_dir, port).await;
    let pid = postmaster_pid(data_dir).expect("the embedded cluster runs");
    let output = run_cli(
        data_dir,
        port,
        &["user", "create", "carol", "--password-stdin"],
        Some("a long enough password\n"),
    )
    .await;
    assert!(output.contains("Created carol"), "{output}");
    assert!(
        !output.contains("Password"),
        "a given password is not printed"
    );
    let (status, _) = webfinger_status(port, "carol").await;
    assert_eq!(status, 200);
    let health = run_cli(data_dir, port, &["healthcheck"], None).await;
    assert!(health.contains("healthy"), "{health}");
    stop(server).await;
    assert_no_postgres_running(data_dir, pid);

    // With the server stopped, a CLI command starts the cluster for its own run only.
    let output = run_cli(
        data_dir,
        port,
        &[
            "community",
            "create",
            "writing",
            "--title",
            "Writing",
            "--moderator",
            "carol",
        ],
        None,
    )
    .await;
    assert!(output.contains("Created community writing"), "{output}");
    assert_eq!(
        postmaster_pid(data_dir),
        None,
        "the CLI left PostgreSQL running"
    );

    // Second start reuses the same cluster and data.
    let server = serve(data_dir, port).await;
    let pid = postmaster_pid(data_dir).expect("the embedded cluster runs again");
    let (status, carol) = webfinger_status(port, "carol").await;
    assert_eq!(status, 200, "the user survived the restart");
    assert_eq!(
        carol["links"][1]["href"],
        format!("http://localhost:{port}/u/carol")
    );
    let (status, writing) = webfinger_status(port, "writing").await;
    assert_eq!(status, 200);
    assert_eq!(
        writing["links"][1]["properties"]["https://www.w3.org/ns/activitystreams#type"],
        "Group"
    );
    stop(server).await;
    assert_no_postgres_running(data_dir, pid);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_server_starting_together_share_the_cluster() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let data_dir = dir.path();
    let port = free_port();

    // Two commands at once on a fresh data directory, no server: one creates and starts the
    // cluster, both use it, the last one out stops it.
    let (first, second) = tokio::join!(
        run_cli(
            data_dir,
            port,
            &["user", "create", "erin", "--password-stdin"],
            Some("erin's long password\n")
        ),
        run_cli(
            data_dir,
            port,
            &["community", "create", "events", "--title", "Event planning"],
            None
        ),
    );
    assert!(first.contains("Created erin"), "{first}");
    assert!(second.contains("Created community events"), "{second}");
    assert_eq!(
        postmaster_pid(data_dir),
        None,
        "the commands left PostgreSQL running"
    );

    // The server and a command starting at the same moment.
    let (server, output) = tokio::join!(
        serve(data_dir, port),
        run_cli(
            data_dir,
            port,
            &["user", "create", "finn", "--password-stdin"],
            Some("finn's long password\n")
        ),
    );
    assert!(output.contains("Created finn"), "{output}");
    let pid = postmaster_pid(data_dir).expect("the server keeps the cluster running");
    for name in ["erin", "finn", "events"] {
        assert_eq!(webfinger_status(port, name).await.0, 200, "{name}");
    }
    stop(server).await;
    assert_no_postgres_running(data_dir, pid);
}
