//! The instance under test: `guild serve` as a child process, so its memory and CPU time
//! are its own and not mixed with the load generator's.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use std::{
    process::Stdio,
    time::{Duration, Instant},
};
use tokio::process::{Child, Command};
use url::Url;

/// The environment every `guild` command of the bench runs with.
pub fn guild_command(database_url: &str, domain: &str) -> Command {
    let port = domain.rsplit(':').next().unwrap_or("18181");
    // Another build can be measured on the same data, for before/after comparisons.
    let binary = std::env::var_os("GUILD_BENCH_SERVER_BINARY")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_guild").into());
    let mut command = Command::new(binary);
    // The server reads every GUILD_* variable as a setting and refuses unknown ones (such
    // as GUILD_BENCH_DATABASE_URL); it gets only the ones set here.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GUILD_") {
            command.env_remove(name);
        }
    }
    command
        .env("GUILD_DOMAIN", domain)
        .env("GUILD_BIND", format!("127.0.0.1:{port}"))
        .env("GUILD_DATABASE_URL", database_url)
        .env("GUILD_ALLOW_INSECURE_LOCALHOST", "true")
        .env(
            "GUILD_DATA_DIR",
            std::env::temp_dir().join("guild-bench-data"),
        )
        // The load comes from one address and, per peer, faster than any real peer sends:
        // the limits would measure themselves, not the server.
        .env("GUILD_INBOX_RATE_PER_MINUTE", "0")
        .env("GUILD_WRITE_RATE_PER_MINUTE", "0")
        .env(
            "GUILD_LOG",
            std::env::var("GUILD_LOG").unwrap_or("warn".into()),
        )
        .kill_on_drop(true);
    command
}

pub struct Server {
    child: Child,
    pid: u32,
    pub base: Url,
}

#[derive(Debug, Clone, Copy)]
pub struct Memory {
    pub rss_kib: u64,
    pub peak_rss_kib: u64,
}

impl Server {
    /// Starts `guild serve --no-delivery` on the database's own domain and waits until it
    /// answers. Without delivery: Announces are still queued as in production, but the
    /// seeded peers do not exist, and sending to them would only measure failing connects.
    pub async fn start(database_url: &str, pool_size: Option<usize>) -> Server {
        let domain = instance_domain(database_url).await;
        let base = Url::parse(&format!("http://{domain}/")).expect("base URL");
        let mut command = guild_command(database_url, &domain);
        if let Some(size) = pool_size {
            command.env("GUILD_DATABASE_POOL_SIZE", size.to_string());
        }
        let child = command
            .args(["serve", "--no-delivery"])
            .stdin(Stdio::null())
            .spawn()
            .expect("start guild serve");
        let pid = child.id().expect("child pid");
        let server = Server { child, pid, base };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = client
                .get(server.base.join("nodeinfo/2.1").expect("URL"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "guild serve did not answer within 2 minutes"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Let start-up work (first rank refresh, pool warm-up) settle before "idle".
        tokio::time::sleep(Duration::from_secs(2)).await;
        server
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path.trim_start_matches('/')).expect("URL")
    }

    pub fn memory(&self) -> Memory {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .expect("read /proc/PID/status");
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0)
        };
        Memory {
            rss_kib: field("VmRSS:"),
            peak_rss_kib: field("VmHWM:"),
        }
    }

    /// CPU time (user + system) the server has used so far, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
            .expect("read /proc/PID/stat");
        // Fields after the command name, which is in parentheses and may hold spaces.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after ')'.
        let ticks: u64 = [11, 12]
            .iter()
            .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
            .sum();
        // SAFETY: sysconf only reads a system constant.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        ticks as f64 / per_second
    }

    pub async fn stop(mut self) {
        // SIGTERM, so the server shuts down as it would in production; it is this child only.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// The domain the database was seeded for (its ids contain it).
pub async fn instance_domain(database_url: &str) -> String {
    use diesel::{dsl::sql, sql_types::Text};
    use diesel_async::RunQueryDsl;
    let mut conn = AsyncPgConnection::establish(database_url)
        .await
        .expect("connect to the bench database (run the seed step first)");
    diesel::select(sql::<Text>(
        "(SELECT i.domain FROM site s JOIN instances i ON i.id = s.instance_id)",
    ))
    .get_result(&mut conn)
    .await
    .expect("the bench database has a site (run the seed step first)")
}
