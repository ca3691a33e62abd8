//! Shared test helpers: real Guild instances on loopback, each with its own domain
//! (`localhost:PORT`) and its own fresh database.
//!
//! Databases are created in the PostgreSQL server named by `TEST_DATABASE_URL`; when it is
//! unset, in a private cluster that this test process starts with Guild's own embedded
//! database code and stops when it exits.
#![allow(dead_code)]

pub mod api;
pub mod mastodon;
pub mod signing;
pub mod web;

use activitypub_federation::config::Data;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use guild::{
    config::Settings,
    context::Context,
    db::{
        PooledConnection,
        models::{Community, Person, Post},
    },
    embedded_pg::EmbeddedPostgres,
    server::{self, RunningServer},
    service::{
        accounts::{NewAccount, create_account},
        communities::{NewCommunity, create_community},
        posts::{PostInput, create_post},
    },
};
use std::sync::OnceLock;
use tokio::net::TcpListener;
use url::Url;

/// Where test databases are created.
enum DatabaseServer {
    /// A URL such as `postgres://postgres@127.0.0.1:5432/test`.
    External(Url),
    /// The private cluster of this test process.
    Private(EmbeddedPostgres),
}

impl DatabaseServer {
    fn url_for(&self, database: &str) -> String {
        match self {
            DatabaseServer::External(url) => {
                let mut url = url.clone();
                url.set_path(&format!("/{database}"));
                url.to_string()
            }
            DatabaseServer::Private(cluster) => cluster
                .database_url()
                .replace("dbname=guild", &format!("dbname={database}")),
        }
    }
}

static SERVER: OnceLock<DatabaseServer> = OnceLock::new();
static SERVER_INIT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn database_server() -> &'static DatabaseServer {
    if let Some(server) = SERVER.get() {
        return server;
    }
    let _guard = SERVER_INIT.lock().await;
    if let Some(server) = SERVER.get() {
        return server;
    }
    let server = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            DatabaseServer::External(Url::parse(&url).expect("TEST_DATABASE_URL must be a URL"))
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("guild-test-pg-{}", std::process::id()));
            let cluster = EmbeddedPostgres::new(&dir).expect("PostgreSQL programs for tests");
            cluster.start().await.expect("private test cluster starts");
            // Stopped by the exit hook below, once every test of this process has run.
            extern "C" fn stop_private_cluster() {
                if let Some(DatabaseServer::Private(cluster)) = SERVER.get() {
                    let _ = cluster.stop_blocking();
                    if let Some(dir) = cluster.cluster_dir().parent() {
                        let _ = std::fs::remove_dir_all(dir);
                    }
                }
            }
            // SAFETY: registers a plain function with the C runtime's exit hooks; it only
            // runs external programs and removes files.
            unsafe {
                libc::atexit(stop_private_cluster);
            }
            DatabaseServer::Private(cluster)
        }
    };
    let _ = SERVER.set(server);
    SERVER.get().expect("just set")
}

/// A fresh, empty database for one instance.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        let server = database_server().await;
        let name = format!("guild_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = AsyncPgConnection::establish(&server.url_for("postgres"))
            .await
            .expect("connect to the test PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create a test database");
        TestDatabase {
            url: server.url_for(&name),
            name,
        }
    }

    pub async fn drop_database(self) {
        let server = database_server().await;
        let Ok(mut admin) = AsyncPgConnection::establish(&server.url_for("postgres")).await else {
            return;
        };
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await;
    }
}

/// A listener on an ephemeral loopback port, and the domain that goes with it.
pub async fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let port = listener.local_addr().expect("local address").port();
    (listener, format!("localhost:{port}"))
}

/// The settings of a test instance: development mode (plain http, loopback peers).
pub fn test_settings(domain: &str, database_url: &str) -> Settings {
    Settings {
        domain: domain.to_string(),
        bind: "127.0.0.1:0".parse().expect("address"),
        database_url: Some(database_url.to_string()),
        data_dir: std::env::temp_dir().join(format!("guild-test-data-{domain}")),
        allow_insecure_localhost: true,
        registration_open: true,
        site_name: format!("Guild at {domain}"),
        database_pool_size: 4,
        require_signed_fetch: false,
        // Tests write fast from one address; the rate limit tests lower these.
        write_rate_per_minute: 100_000,
        inbox_rate_per_minute: 100_000,
        ..Settings::default()
    }
    .validated()
    .expect("valid test settings")
}

/// A Guild instance serving real HTTP on loopback.
pub struct TestInstance {
    pub domain: String,
    pub base: Url,
    pub data: Data<Context>,
    pub database: TestDatabase,
    config: activitypub_federation::config::FederationConfig<Context>,
    server: Option<RunningServer>,
}

impl TestInstance {
    pub async fn start() -> TestInstance {
        TestInstance::start_named("localhost").await
    }

    /// An instance whose domain is `host:PORT`; `host` must resolve to loopback.
    pub async fn start_named(host: &str) -> TestInstance {
        init_logging();
        let (listener, domain) = listen().await;
        let domain = domain.replacen("localhost", host, 1);
        TestInstance::start_on(listener, domain, TestDatabase::create().await).await
    }

    /// An instance with settings changed by `configure`.
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> TestInstance {
        init_logging();
        let (listener, domain) = listen().await;
        let database = TestDatabase::create().await;
        let mut settings = test_settings(&domain, &database.url);
        configure(&mut settings);
        TestInstance::start_settings(listener, domain, database, settings).await
    }

    /// Starts an instance on a listener and database prepared by the caller.
    pub async fn start_on(
        listener: TcpListener,
        domain: String,
        database: TestDatabase,
    ) -> TestInstance {
        let settings = test_settings(&domain, &database.url);
        TestInstance::start_settings(listener, domain, database, settings).await
    }

    async fn start_settings(
        listener: TcpListener,
        domain: String,
        database: TestDatabase,
        settings: Settings,
    ) -> TestInstance {
        let base = settings.base_url();
        let config = server::prepare(settings, &database.url)
            .await
            .expect("instance prepares");
        let data = config.to_request_data();
        let server = RunningServer::spawn(config.clone(), listener).expect("instance serves");
        TestInstance {
            domain,
            base,
            data,
            database,
            config,
            server: Some(server),
        }
    }

    /// Stops serving HTTP (as if the server were down) but keeps its data; see `resume`.
    pub async fn suspend(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("server stops");
        }
    }

    /// Serves HTTP again on the same port.
    pub async fn resume(&mut self) {
        let port = self.base.port().expect("test instances have ports");
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the same port again");
        self.server =
            Some(RunningServer::spawn(self.config.clone(), listener).expect("serves again"));
    }

    pub async fn stop(self) {
        if let Some(server) = self.server {
            server.stop().await.expect("server stops cleanly");
        }
        drop(self.data);
        self.database.drop_database().await;
    }

    /// The absolute URL of `path` on this instance.
    pub fn url(&self, path: &str) -> Url {
        self.base
            .join(path.trim_start_matches('/'))
            .expect("valid path")
    }

    pub async fn conn(&self) -> PooledConnection {
        self.data.pool.get().await.expect("database connection")
    }

    pub async fn create_user(&self, name: &str) -> Person {
        create_account(
            &self.data,
            NewAccount {
                name: name.into(),
                password: Some("correct horse battery".into()),
                is_admin: false,
            },
        )
        .await
        .expect("user created")
    }

    pub async fn create_community(
        &self,
        name: &str,
        title: &str,
        moderator: Option<&Person>,
    ) -> Community {
        create_community(
            &self.data,
            NewCommunity {
                name: name.into(),
                title: title.into(),
                description: Some(format!("The {title} community of practice.")),
                moderator_id: moderator.map(|p| p.id),
                topic: None,
            },
        )
        .await
        .expect("community created")
    }

    /// A post with a title and nothing else, written by `author` here.
    pub async fn create_post(&self, author: &Person, community: &Community, title: &str) -> Post {
        create_post(
            &self.data,
            author,
            community,
            PostInput {
                title: title.into(),
                ..Default::default()
            },
        )
        .await
        .expect("post created")
    }

    /// Counts the rows of a table, for "nothing was stored" checks.
    pub async fn count_rows(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            count: i64,
        }
        let mut conn = self.conn().await;
        let count: Count = diesel::sql_query(format!("SELECT count(*) AS count FROM {table}"))
            .get_result(&mut conn)
            .await
            .expect("count rows");
        count.count
    }
}

/// Starts `n` instances at once.
pub async fn start_instances(n: usize) -> Vec<TestInstance> {
    futures::future::join_all((0..n).map(|_| TestInstance::start())).await
}

/// A plain HTTP client for tests (no signatures).
pub fn http() -> reqwest::Client {
    guild::context::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// GETs `url` as a federating server would and parses the JSON.
pub async fn get_activity_json(url: &Url) -> serde_json::Value {
    let response = http()
        .get(url.as_str())
        .header("Accept", "application/activity+json")
        .send()
        .await
        .expect("GET");
    assert!(
        response.status().is_success(),
        "GET {url}: {}",
        response.status()
    );
    response.json().await.expect("JSON body")
}

/// Runs one SQL statement on `conn`; fails the test, naming the statement, if it errs.
pub async fn exec(conn: &mut guild::db::Connection, statement: &str) {
    diesel::sql_query(statement)
        .execute(conn)
        .await
        .unwrap_or_else(|err| panic!("{statement}: {err}"));
}

#[derive(diesel::QueryableByName)]
struct Scans {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    scans: i64,
}

/// Scans of `index` by this backend in its current transaction.
pub async fn index_scans(conn: &mut guild::db::Connection, index: &str) -> i64 {
    let scans: Scans = diesel::sql_query(format!(
        "SELECT pg_stat_get_xact_numscans('{index}'::regclass) AS scans"
    ))
    .get_result(conn)
    .await
    .unwrap_or_else(|err| panic!("scans of {index}: {err}"));
    scans.scans
}

/// Polls `check` until it yields a value, for what crosses between instances
/// asynchronously; fails the test with `what` after 20 seconds.
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    eventually_within(std::time::Duration::from_secs(20), what, check).await
}

/// [`eventually`], with a deadline of the caller's choosing (for load tests).
pub async fn eventually_within<T, F, Fut>(limit: std::time::Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for: {what}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

impl TestInstance {
    /// `GET /api/v3/{path}` as JSON; panics unless it answers 200.
    pub async fn api(&self, path: &str) -> serde_json::Value {
        let url = self.url(&format!("/api/v3/{path}"));
        let response = http().get(url.as_str()).send().await.expect("GET");
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        assert_eq!(status, 200, "GET {url}: {body}");
        body
    }

    /// The posts of a community as this instance lists them (newest first).
    pub async fn community_posts(&self, community: &str) -> Vec<serde_json::Value> {
        let body = self
            .api(&format!(
                "post/list?community_name={community}&sort=New&limit=50"
            ))
            .await;
        body["posts"].as_array().cloned().unwrap_or_default()
    }

    /// A stored local person.
    pub async fn local_person(&self, name: &str) -> Person {
        let mut conn = self.conn().await;
        guild::db::people::local_by_name(&mut conn, name)
            .await
            .expect("query")
            .expect("local person exists")
    }

    /// Resolves a community handle (`name@domain`) to its stored copy here.
    pub async fn resolve_community(&self, handle: &str) -> Community {
        match guild::federation::resolve::resolve_actor(&format!("!{handle}"), &self.data)
            .await
            .expect("community resolves")
        {
            guild::federation::resolve::ResolvedActor::Community(community) => community.row,
            guild::federation::resolve::ResolvedActor::Person(_) => panic!("{handle} is a person"),
        }
    }

    /// A local person follows a community and the test waits until the follow is accepted.
    pub async fn follow_and_wait(&self, person: &Person, community: &Community) {
        guild::service::follows::follow_community(&self.data, person, community)
            .await
            .expect("follow");
        let (community_id, person_id) = (community.id, person.id);
        eventually("the follow to be accepted", || async move {
            let mut conn = self.conn().await;
            let follow = guild::db::follows::get(&mut conn, community_id, person_id)
                .await
                .expect("query")?;
            (!follow.pending).then_some(())
        })
        .await;
    }

    /// A stored post by its ActivityPub id.
    pub async fn post_by_ap_id(&self, ap_id: &str) -> Option<guild::db::models::Post> {
        let mut conn = self.conn().await;
        guild::db::posts::by_ap_id(&mut conn, ap_id)
            .await
            .expect("query")
    }

    /// A stored comment by its ActivityPub id.
    pub async fn comment_by_ap_id(&self, ap_id: &str) -> Option<guild::db::models::Comment> {
        let mut conn = self.conn().await;
        guild::db::comments::by_ap_id(&mut conn, ap_id)
            .await
            .expect("query")
    }
}

/// Logs to the test output when `GUILD_TEST_LOG` holds a filter, e.g.
/// `GUILD_TEST_LOG=guild::wire=debug` to see every activity that crosses between instances.
pub fn init_logging() {
    if let Ok(filter) = std::env::var("GUILD_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

impl TestInstance {
    /// A signer for a local person, with their real key, as their server would sign.
    pub async fn person_signer(&self, name: &str) -> signing::Signer {
        let person = self.local_person(name).await;
        signing::Signer::new(
            format!("{}#main-key", person.ap_id),
            person.private_key.expect("local key"),
        )
    }

    /// A signer for a local community.
    pub async fn community_signer(&self, name: &str) -> signing::Signer {
        let mut conn = self.conn().await;
        let community = guild::db::communities::local_by_name(&mut conn, name)
            .await
            .expect("query")
            .expect("local community exists");
        signing::Signer::new(
            format!("{}#main-key", community.ap_id),
            community.private_key.expect("local key"),
        )
    }
}

/// `host:port` of a URL (the port always written).
pub fn host_and_port(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// Runs a Node script (a path under the crate root) with the given environment and returns
/// what it printed; panics unless it finishes within `limit`, exits 0 and says "all steps
/// passed". Its output is printed for the record.
pub async fn run_node_script(
    script: &str,
    env: &[(&str, String)],
    limit: std::time::Duration,
) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = tokio::process::Command::new("node");
    command.arg(script).current_dir(root).kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = tokio::time::timeout(limit, command.output())
        .await
        .unwrap_or_else(|_| panic!("{script} did not finish within {limit:?}"))
        .expect("node runs (Node 20 or later must be on PATH)");
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}{stderr}");
    assert!(
        output.status.success() && stdout.contains("all steps passed"),
        "{script} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

impl TestInstance {
    /// A local administrator with the test password.
    pub async fn create_admin(&self, name: &str) -> Person {
        create_account(
            &self.data,
            NewAccount {
                name: name.into(),
                password: Some(api::PASSWORD.into()),
                is_admin: true,
            },
        )
        .await
        .expect("admin created")
    }
}
