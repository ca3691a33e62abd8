//! Storage: the schema, the connection pool and every query. Knows nothing of HTTP or
//! ActivityPub; the layers above call the functions of its submodules.

pub mod activities;
pub mod batch;
pub mod comments;
pub mod communities;
pub mod deliveries;
pub mod follows;
pub mod instances;
pub mod memo;
pub mod models;
pub mod moderation;
pub mod modlog;
pub mod notifications;
pub mod people;
pub mod personal;
pub mod posts;
pub mod query_count;
pub mod reports;
pub mod schema;
pub mod sessions;
pub mod site;
pub mod stats;
pub mod views;
pub mod votes;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{
    AsyncPgConnection,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{
        AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
        deadpool::{Object, Pool, PoolError},
    },
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub type DbPool = Pool<AsyncPgConnection>;
pub type PooledConnection = Object<AsyncPgConnection>;
pub type Connection = AsyncPgConnection;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");
/// The advisory lock key that serialises migrations ("guild" in ASCII).
const MIGRATION_LOCK: i64 = 0x67_7569_6c64;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database query failed: {0}")]
    Query(#[from] DieselError),
    #[error("no database connection available: {0}")]
    Pool(#[from] PoolError),
    #[error("could not set up the database: {0}")]
    Setup(String),
    /// A stored value that should be valid is not (say, an id that is not a URL).
    #[error("unusable stored value: {0}")]
    Corrupt(String),
    /// A statement run for many requests at once (`batch`) failed with this error.
    #[error("{0}")]
    Batch(std::sync::Arc<DbError>),
}

impl DbError {
    /// The name of the unique constraint a write collided with, if that is what failed.
    pub fn unique_violation(&self) -> Option<&str> {
        match self {
            DbError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                info,
            )) => Some(info.constraint_name().unwrap_or("unique")),
            _ => None,
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// How long a request waits for a free connection before it fails: a saturated pool must
/// answer "unavailable", not hang.
const POOL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Builds the connection pool. Connections open lazily, on first use.
pub fn pool(database_url: &str, size: usize) -> DbResult<DbPool> {
    build_pool(database_url, size, ManagerConfig::default())
}

/// Builds the pool of the inbox's batched statements (`batch`), whose connections keep one
/// generic plan per statement instead of planning it again at each run.
///
/// A batch passes its values as arrays of a size that changes from run to run; a plan made
/// for the values at hand (PostgreSQL's custom plan) then always looks cheaper than the
/// generic one, so PostgreSQL planned these statements afresh at every run: 7 % of the
/// machine's CPU at 1,000 activities/s on the large bench (docs/performance.md, items 18
/// and 19). Their generic plans were checked one by one there. The setting does not reach
/// into our PL/pgSQL functions, which set the default mode for their own statements
/// (migration 000024); nor the server's other statements, whose generic plans were not all
/// checked.
pub fn batch_pool(database_url: &str, size: usize) -> DbResult<DbPool> {
    let mut config = ManagerConfig::default();
    config.custom_setup = Box::new(|url| Box::pin(connect_with_generic_plans(url)));
    build_pool(database_url, size, config)
}

async fn connect_with_generic_plans(url: &str) -> diesel::ConnectionResult<AsyncPgConnection> {
    use diesel_async::{AsyncConnection as _, SimpleAsyncConnection as _};
    let mut conn = AsyncPgConnection::establish(url).await?;
    conn.batch_execute("SET plan_cache_mode = force_generic_plan")
        .await
        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

fn build_pool(
    database_url: &str,
    size: usize,
    mut config: ManagerConfig<AsyncPgConnection>,
) -> DbResult<DbPool> {
    query_count::install();
    // The default recycling runs `SELECT 1` every time a connection is taken from the pool:
    // a round trip before each use, a third of all statements on the inbox path. A
    // connection that failed is marked broken and thrown away without it, and one whose
    // server went away fails its next query, which the caller's retry gets past.
    config.recycling_method = RecyclingMethod::Fast;
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(database_url, config);
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(POOL_WAIT))
        .create_timeout(Some(POOL_WAIT))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Setup(e.to_string()))
}

/// Applies pending migrations. Diesel's migration runner is synchronous, so it runs on a
/// blocking thread with a connection of its own.
pub async fn run_migrations(database_url: &str) -> DbResult<()> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection as _;
        use diesel::RunQueryDsl as _;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .map_err(|e| DbError::Setup(format!("cannot connect to PostgreSQL: {e}")))?;
        // Several processes may start at once on one database (a server and a CLI command,
        // or several servers): one migrates, the others wait, then find nothing to do.
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .execute(&mut conn)?;
        let result = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|_| ())
            .map_err(|e| DbError::Setup(format!("migration failed: {e}")));
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .execute(&mut conn)?;
        result
    })
    .await
    .map_err(|e| DbError::Setup(e.to_string()))?
}

/// Reverts every migration; used by the test that proves the migrations are reversible.
pub async fn revert_all_migrations(database_url: &str) -> DbResult<()> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection as _;
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .map_err(|e| DbError::Setup(format!("cannot connect to PostgreSQL: {e}")))?;
        conn.revert_all_migrations(MIGRATIONS)
            .map_err(|e| DbError::Setup(format!("revert failed: {e}")))?;
        Ok(())
    })
    .await
    .map_err(|e| DbError::Setup(e.to_string()))?
}

diesel::define_sql_function! {
    /// SQL `lower()`, for names that compare without regard to case.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// SQL `coalesce()` of an optional inbox and the one that is always there. Unlike the
    /// same text as a `sql` literal, it leaves the query preparable once (diesel prepares a
    /// query holding a literal again every time it runs).
    #[sql_name = "coalesce"]
    fn inbox_or(
        preferred: diesel::sql_types::Nullable<diesel::sql_types::Text>,
        fallback: diesel::sql_types::Text,
    ) -> diesel::sql_types::Text;
}
