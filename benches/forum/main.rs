//! Forum-scale benchmark: `cargo bench --bench forum -- [--scale small|large] [seed|inbox|feeds|all]`.
//!
//! - `seed` fills a database (`guild_bench_<scale>` unless `--database-url` names another
//!   `guild_bench_*` one) with communities, people, posts, comments and votes in bulk SQL,
//!   then recomputes every stored counter and rank the way the application keeps them;
//! - `inbox` starts `guild serve` as a child process and POSTs pre-signed `Create(Note)` and
//!   `Like` activities from many remote actors to community inboxes over loopback;
//! - `feeds` loads the front page, a community page, a post with 500 comments and the API's
//!   post list in every sort, under concurrent HTTP load;
//! - `all` does the three in turn.
//!
//! Figures are printed and written as JSON (`--json`, default `target/bench-forum.json`).
//! The run fails (exit code 1) when anything is incorrect: a refused inbox POST, a feed
//! answer other than 200 or without the expected items, a counter that does not match.
//! See docs/performance.md.

mod load;
mod seed;
mod server;

use clap::{Parser, ValueEnum};
use serde_json::{Value, json};
use server::Server;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Step {
    Seed,
    Inbox,
    Feeds,
    All,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ScaleName {
    Small,
    Large,
}

#[derive(Debug, Parser)]
#[command(about = "Guild at forum scale: bulk seeding, inbox throughput, feed reads")]
struct Args {
    /// What to run.
    #[arg(value_enum, default_value = "all")]
    step: Step,
    #[arg(long, value_enum, default_value = "small")]
    scale: ScaleName,
    /// The bench database; its name must start with `guild_bench_` (`seed` drops and
    /// recreates it). Default: `guild_bench_<scale>` on the server of
    /// `GUILD_BENCH_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
    #[arg(long)]
    database_url: Option<String>,
    /// The loopback port of the bench instance, fixed at seeding (its ids contain it).
    #[arg(long, default_value_t = 18181)]
    port: u16,
    /// Where the JSON summary goes.
    #[arg(long, default_value = "target/bench-forum.json")]
    json: PathBuf,
    /// Seconds of load per feed endpoint (default: 2 at small scale, 10 at large).
    #[arg(long)]
    seconds: Option<u64>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Inbox activities to send (default: 2,000 at small scale, 20,000 at large).
    #[arg(long)]
    activities: Option<usize>,
    /// Send the inbox activities at this many per second (whatever the answers take), for
    /// the latency at a load the server sustains; left out, `concurrency` are kept in flight
    /// for the throughput.
    #[arg(long)]
    inbox_rate: Option<u64>,
    /// Requests per second for the fixed-rate runs of the hot front and community pages
    /// (the targets' 2,000/s); 0 leaves them out.
    #[arg(long, default_value_t = 2000)]
    rate: u64,
    /// Write each measured inbox POST (due time, latency, kind) to this CSV file.
    #[arg(long)]
    inbox_trace: Option<PathBuf>,
    /// The server's database pool size (`database_pool_size`; its default when left out).
    #[arg(long)]
    pool_size: Option<usize>,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let ok = runtime.block_on(run(args));
    if !ok {
        eprintln!("guild forum bench: FAILED (see above)");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> bool {
    guild::context::install_crypto_provider();
    let mut scale = match args.scale {
        ScaleName::Small => Scale::small(),
        ScaleName::Large => Scale::large(),
    };
    if let Some(n) = args.activities {
        scale.inbox_activities = n;
    }
    if let Some(s) = args.seconds {
        scale.feed_seconds = s;
    }
    let database_url = args.database_url.clone().unwrap_or_else(|| {
        let server = std::env::var("GUILD_BENCH_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let mut url = url::Url::parse(&server).expect("GUILD_BENCH_DATABASE_URL is a URL");
        url.set_path(&format!("/guild_bench_{}", scale.name));
        url.to_string()
    });
    let database_name = url::Url::parse(&database_url)
        .expect("--database-url is a URL")
        .path()
        .trim_start_matches('/')
        .to_string();
    assert!(
        database_name.starts_with("guild_bench_")
            && database_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "the bench database must be named guild_bench_*, not {database_name:?}"
    );

    let mut report = Report::new(&scale, &database_name);
    report.set(
        "server_database_pool_size",
        args.pool_size.map_or(Value::Null, Value::from),
    );
    let mut ok = true;
    let step = args.step;
    if matches!(step, Step::Seed | Step::All) {
        match seed::seed(&database_url, &database_name, &scale, args.port).await {
            Ok(figures) => report.set("seed", figures),
            Err(problem) => {
                eprintln!("seed: {problem}");
                report.set("seed", serde_json::json!({ "error": problem }));
                report.write(&args.json);
                return false;
            }
        }
    }
    if matches!(step, Step::Inbox | Step::Feeds | Step::All) {
        let server = Server::start(&database_url, args.pool_size).await;
        report.set("idle_rss_kib", server.memory().rss_kib.into());
        println!(
            "server idle after start: RSS {:.1} MiB",
            server.memory().rss_kib as f64 / 1024.0
        );
        if matches!(step, Step::Inbox | Step::All) {
            let (figures, passed) = load::inbox(
                &server,
                &database_url,
                &scale,
                args.concurrency,
                args.inbox_rate.filter(|rate| *rate > 0),
                args.inbox_trace.as_deref(),
            )
            .await;
            report.set("inbox", figures);
            ok &= passed;
        }
        if matches!(step, Step::Feeds | Step::All) {
            let (figures, passed) =
                load::feeds(&server, &database_url, &scale, args.concurrency, args.rate).await;
            report.set("feeds", figures);
            ok &= passed;
        }
        let memory = server.memory();
        report.set("final_rss_kib", memory.rss_kib.into());
        report.set("peak_rss_kib", memory.peak_rss_kib.into());
        server.stop().await;
    }
    report.set("passed", ok.into());
    report.write(&args.json);
    ok
}

/// How much to seed and how hard to load.
#[derive(Debug, Clone)]
pub struct Scale {
    pub name: &'static str,
    pub communities: i64,
    pub people: i64,
    pub posts: i64,
    pub comments: i64,
    pub votes: i64,
    pub inbox_activities: usize,
    pub feed_seconds: u64,
}

impl Scale {
    fn small() -> Scale {
        Scale {
            name: "small",
            communities: 20,
            people: 2_000,
            posts: 10_000,
            comments: 50_000,
            votes: 200_000,
            inbox_activities: 2_000,
            feed_seconds: 2,
        }
    }

    fn large() -> Scale {
        Scale {
            name: "large",
            communities: 2_000,
            people: 100_000,
            posts: 1_000_000,
            comments: 5_000_000,
            votes: 20_000_000,
            inbox_activities: 20_000,
            feed_seconds: 10,
        }
    }
}

/// The JSON summary, written after every run (also a failed one).
pub struct Report {
    root: serde_json::Map<String, Value>,
}

impl Report {
    fn new(scale: &Scale, database: &str) -> Report {
        let mut root = serde_json::Map::new();
        root.insert("started_at".into(), chrono::Utc::now().to_rfc3339().into());
        root.insert("scale".into(), scale.name.into());
        root.insert("database".into(), database.into());
        root.insert(
            "build".into(),
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .into(),
        );
        root.insert(
            "cpus".into(),
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .into(),
        );
        root.insert(
            "sizes".into(),
            json!({
                "communities": scale.communities, "people": scale.people, "posts": scale.posts,
                "comments": scale.comments, "votes": scale.votes,
                "inbox_activities": scale.inbox_activities, "feed_seconds": scale.feed_seconds,
            }),
        );
        Report { root }
    }

    fn set(&mut self, key: &str, value: Value) {
        self.root.insert(key.into(), value);
    }

    fn write(&self, path: &Path) {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).expect("create the JSON summary's folder");
        }
        let text = serde_json::to_string_pretty(&self.root).expect("JSON");
        std::fs::write(path, text + "\n").expect("write the JSON summary");
        println!("summary written to {}", path.display());
    }
}
