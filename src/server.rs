//! Starting an instance: the database (given or embedded), migrations, the site row, the
//! federation configuration, the router, and a graceful stop.

use crate::{
    api,
    config::Settings,
    context::Context,
    db,
    embedded_pg::{ClusterLease, EmbeddedPostgres},
    error::GuildError,
    federation,
    service::site::ensure_site,
    web,
};
use activitypub_federation::config::{FederationConfig, FederationMiddleware};
use axum::{Router, routing::get};
use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};
use tokio::{
    net::TcpListener,
    sync::{oneshot, watch},
    task::JoinHandle,
};

/// The database an instance uses, and its use of the embedded cluster when there is one.
pub struct Database {
    pub url: String,
    pub embedded: Option<ClusterLease>,
}

impl Database {
    /// The configured database URL, or else the embedded cluster in the data directory,
    /// created and started as needed.
    pub async fn open(settings: &Settings) -> Result<Database, GuildError> {
        if let Some(url) = &settings.database_url {
            return Ok(Database {
                url: url.clone(),
                embedded: None,
            });
        }
        let lease = EmbeddedPostgres::new(&settings.data_dir)?.acquire().await?;
        Ok(Database {
            url: lease.cluster().database_url(),
            embedded: Some(lease),
        })
    }

    /// Gives up the embedded cluster; the last process using it stops it.
    pub async fn close(self) -> Result<(), GuildError> {
        if let Some(lease) = self.embedded {
            lease.release().await?;
        }
        Ok(())
    }
}

/// Everything between an open database and a router: pool, migrations, the site row and the
/// federation configuration.
pub async fn prepare(
    settings: Settings,
    database_url: &str,
) -> Result<FederationConfig<Context>, GuildError> {
    db::run_migrations(database_url).await?;
    let pool = db::pool(database_url, settings.database_pool_size)?;
    let batch_pool = db::batch_pool(database_url, db::batch::InboxBatches::CONNECTIONS)?;
    let mut ctx = Context::new(settings, pool, batch_pool)
        .map_err(|e| GuildError::Startup(format!("HTTP client: {e}")))?;
    let site = ensure_site(&ctx).await?;
    ctx.session_secret = Arc::from(site.jwt_secret.as_bytes());
    federation::config(ctx, &site)
        .await
        .map_err(|e| GuildError::Startup(format!("federation settings: {e}")))
}

/// The whole HTTP surface of an instance.
pub fn app(config: FederationConfig<Context>) -> Router {
    Router::new()
        .merge(federation::routes::router())
        .merge(web::router())
        .merge(api::router())
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .layer(axum::middleware::from_fn(crate::page_cache::serve))
        .layer(axum::middleware::from_fn(count_queries))
        .layer(axum::middleware::from_fn(crate::rate_limit::limit))
        // Every HTML page gives its browser a CSRF cookie for the forms on it.
        .layer(axum::middleware::from_fn(web::session::csrf_cookie))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        // Must be the outermost layer: it hands the federation config to every handler.
        .layer(FederationMiddleware::new(config))
}

/// Answers how many SQL statements a request ran, in `X-Db-Queries`, so tests (and curious
/// admins) can see that a page's queries do not grow with its items.
async fn count_queries(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (mut response, queries) = db::query_count::counted(next.run(request)).await;
    if let Ok(value) = axum::http::HeaderValue::from_str(&queries.to_string()) {
        response.headers_mut().insert("x-db-queries", value);
    }
    response
}

/// Prometheus metrics; the per-peer backlog is read from the database at each scrape.
async fn metrics(data: activitypub_federation::config::Data<Context>) -> axum::response::Response {
    use axum::{http::StatusCode, response::IntoResponse};
    let status = match data.pool.get().await {
        Ok(mut conn) => db::deliveries::status(&mut conn).await.ok(),
        Err(_) => None,
    };
    let metrics = &data.metrics;
    for queue in status.unwrap_or_default() {
        let label = crate::metrics::InstanceLabel {
            instance: queue.instance,
        };
        metrics.backlog.get_or_create(&label).set(queue.pending);
        let age = queue
            .oldest_pending
            .map(|at| (chrono::Utc::now() - at).num_seconds())
            .unwrap_or(0);
        metrics
            .oldest_pending_seconds
            .get_or_create(&label)
            .set(age);
    }
    match metrics.encode() {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn health(data: activitypub_federation::config::Data<Context>) -> axum::response::Response {
    use axum::{http::StatusCode, response::IntoResponse};
    match data.pool.get().await {
        Ok(_) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ok" })),
        )
            .into_response(),
        Err(err) => {
            tracing::warn!(%err, "health check: no database connection");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({ "status": "database unavailable" })),
            )
                .into_response()
        }
    }
}

/// How often post ranks, which decay with time, are recomputed.
const RANK_REFRESH: Duration = Duration::from_secs(10 * 60);

/// How often the counters that votes and comments moved are folded into the posts' sort
/// keys: as long as the page cache keeps a page, so listings lag no more than they already
/// may.
const COUNT_FOLD: Duration = Duration::from_secs(5);

/// The work an instance does besides answering requests: delivering activities and keeping
/// ranks fresh.
pub struct BackgroundTasks {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Which background work a process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roles {
    /// Everything: the default of `guild serve`.
    All,
    /// Everything but delivery (`guild serve --no-delivery`).
    NoDelivery,
    /// Delivery and the queue's upkeep only (`guild deliver`).
    DeliveryOnly,
}

impl BackgroundTasks {
    pub fn spawn(ctx: Context, roles: Roles) -> BackgroundTasks {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        if roles != Roles::NoDelivery {
            tasks.push(tokio::spawn(federation::delivery::run_worker(
                ctx.clone(),
                stopped.clone(),
            )));
            tasks.push(tokio::spawn(purge_old_activities(
                ctx.clone(),
                stopped.clone(),
            )));
        }
        if roles != Roles::DeliveryOnly {
            tasks.push(tokio::spawn(fold_post_counts(ctx.clone(), stopped.clone())));
            tasks.push(tokio::spawn(refresh_ranks(ctx, stopped)));
        }
        BackgroundTasks { stop, tasks }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// How often old activities and received ids are purged.
const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Keeps the queue tables bounded: delivered activities and received ids are deleted once
/// older than their retention (Lemmy's sent-activity table reached 22 GB before it did this).
async fn purge_old_activities(ctx: Context, mut stop: watch::Receiver<bool>) {
    loop {
        let purged = async {
            let mut conn = ctx.pool.get().await?;
            let days = |n: u64| chrono::Utc::now() - chrono::Duration::days(n as i64);
            let sent = db::deliveries::purge(&mut conn, days(ctx.settings.delivery_retention_days))
                .await?;
            let received = db::deliveries::purge_received(
                &mut conn,
                days(ctx.settings.received_retention_days),
            )
            .await?;
            Ok::<_, db::DbError>((sent, received))
        }
        .await;
        match purged {
            Ok(((deliveries, activities), received)) => {
                tracing::debug!(deliveries, activities, received, "old activities purged")
            }
            Err(err) => tracing::warn!(%err, "old activities not purged"),
        }
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(PURGE_EVERY) => {}
        }
    }
}

async fn fold_post_counts(ctx: Context, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(COUNT_FOLD) => {}
        }
        let folded = match ctx.pool.get().await {
            Ok(mut conn) => db::posts::fold_counts(&mut conn).await,
            Err(err) => Err(err.into()),
        };
        match folded {
            Ok(count) => tracing::debug!(count, "post counts folded into sort keys"),
            Err(err) => tracing::warn!(%err, "post counts not folded"),
        }
    }
}

async fn refresh_ranks(ctx: Context, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(RANK_REFRESH) => {}
        }
        let refreshed = match ctx.pool.get().await {
            Ok(mut conn) => db::posts::refresh_ranks(&mut conn).await,
            Err(err) => Err(err.into()),
        };
        match refreshed {
            Ok(count) => tracing::debug!(count, "post ranks refreshed"),
            Err(err) => tracing::warn!(%err, "post ranks not refreshed"),
        }
    }
}

/// A server running in the background, as tests start them.
pub struct RunningServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    background: BackgroundTasks,
}

impl RunningServer {
    /// Serves `config` on `listener` until [`RunningServer::stop`].
    pub fn spawn(
        config: FederationConfig<Context>,
        listener: TcpListener,
    ) -> std::io::Result<RunningServer> {
        let addr = listener.local_addr()?;
        let background = BackgroundTasks::spawn((*config).clone(), Roles::All);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_until(config, listener, async {
            let _ = stopped.await;
        }));
        Ok(RunningServer {
            addr,
            stop: Some(stop),
            task,
            background,
        })
    }

    /// Stops accepting requests, lets those in flight finish, and waits.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let served = (&mut self.task).await.map_err(std::io::Error::other)?;
        self.background.stop().await;
        served
    }
}

async fn serve_until(
    config: FederationConfig<Context>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address feeds the login rate limit.
    axum::serve(
        listener,
        app(config).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// `guild deliver`: a process that only delivers (and purges), until SIGINT or SIGTERM.
pub async fn deliver(settings: Settings) -> Result<(), GuildError> {
    let database = Database::open(&settings).await?;
    let result = async {
        let config = prepare(settings, &database.url).await?;
        let background = BackgroundTasks::spawn((*config).clone(), Roles::DeliveryOnly);
        println!("Guild is delivering");
        shutdown_signal().await;
        background.stop().await;
        Ok(())
    }
    .await;
    if let Err(err) = database.close().await {
        tracing::error!(%err, "could not stop the embedded PostgreSQL");
    }
    result
}

/// `guild serve`: runs until SIGINT or SIGTERM, then gives up the embedded database (which
/// stops unless a CLI command still uses it). Returns once everything is down.
pub async fn serve(settings: Settings, roles: Roles) -> Result<(), GuildError> {
    let database = Database::open(&settings).await?;
    let result = serve_on(settings, &database, roles).await;
    if let Err(err) = database.close().await {
        tracing::error!(%err, "could not stop the embedded PostgreSQL");
    }
    result
}

async fn serve_on(settings: Settings, database: &Database, roles: Roles) -> Result<(), GuildError> {
    let bind = settings.bind;
    let base_url = settings.base_url();
    let config = prepare(settings, &database.url).await?;
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| GuildError::Startup(format!("cannot listen on {bind}: {e}")))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, public = %base_url, "Guild is listening");
    println!("Guild is listening on http://{addr} (public address {base_url})");
    let background = BackgroundTasks::spawn((*config).clone(), roles);
    let served = serve_until(config, listener, shutdown_signal()).await;
    background.stop().await;
    served?;
    tracing::info!("Guild stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, stopping"),
        () = terminate => tracing::info!("SIGTERM received, stopping"),
    }
}
