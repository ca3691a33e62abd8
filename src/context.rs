//! What every handler, service and federation call shares: the pool, the settings, the URLs
//! and the HTTP client. Cheap to clone (everything inside is shared).

use crate::{
    config::Settings,
    db::DbPool,
    federation::delivery::FollowerInboxes,
    metrics::Metrics,
    page_cache::PageCache,
    rate_limit::RateLimits,
    service::{policy::PolicyCache, sessions::LoginLimits},
    urls::Urls,
};
use reqwest_middleware::ClientWithMiddleware;
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;

/// The context of a request, as the federation middleware (the outermost layer) hands it to
/// every request; for middleware, which cannot take it as an extractor.
pub fn of_request(
    request: &axum::extract::Request,
) -> Option<activitypub_federation::config::Data<Context>> {
    request
        .extensions()
        .get::<activitypub_federation::config::FederationConfig<Context>>()
        .map(|config| config.to_request_data())
}

/// Timeouts for every outgoing request; a slow peer must not hold a worker for long.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Context {
    pub pool: DbPool,
    pub settings: Arc<Settings>,
    pub urls: Urls,
    pub http: ClientWithMiddleware,
    /// Rung after a transaction queued deliveries, so the delivery worker starts at once
    /// instead of at its next poll.
    pub delivery_wakeup: Arc<Notify>,
    pub metrics: Arc<Metrics>,
    /// Signs login tokens: the site's secret, loaded by `server::prepare`. Empty until then,
    /// and `service::sessions` refuses to sign or check with an empty one.
    pub session_secret: Arc<[u8]>,
    pub login_limits: Arc<LoginLimits>,
    pub federation_policy: Arc<PolicyCache>,
    pub rate_limits: Arc<RateLimits>,
    pub follower_inboxes: Arc<FollowerInboxes>,
    pub page_cache: Arc<PageCache>,
    /// People and communities the inbox read lately (see `db::memo`).
    pub recent_rows: Arc<crate::db::memo::Recent>,
    /// The inbox's lookups and writes of the moment, many per statement (see `db::batch`).
    pub inbox_batches: Arc<crate::db::batch::InboxBatches>,
}

impl Context {
    /// `batch_pool` serves the inbox's batched statements (`db::batch_pool`).
    pub fn new(
        settings: Settings,
        pool: DbPool,
        batch_pool: DbPool,
    ) -> Result<Context, reqwest::Error> {
        let http = http_client(&settings)?;
        let rate_limits = Arc::new(RateLimits::new(&settings));
        let metrics = Arc::new(Metrics::default());
        Ok(Context {
            rate_limits,
            inbox_batches: Arc::new(crate::db::batch::InboxBatches::new(
                &batch_pool,
                |statement| metrics.inbox_batch_size(statement),
            )),
            pool,
            urls: Urls::new(settings.base_url()),
            settings: Arc::new(settings),
            http,
            delivery_wakeup: Arc::new(Notify::new()),
            metrics,
            session_secret: Arc::from(Vec::new()),
            login_limits: Arc::new(LoginLimits::default()),
            federation_policy: Arc::new(PolicyCache::default()),
            follower_inboxes: Arc::new(FollowerInboxes::default()),
            page_cache: Arc::new(PageCache::default()),
            recent_rows: Arc::default(),
        })
    }
}

/// The client for every request Guild makes to other servers. It follows no redirects by
/// itself, and refuses private and loopback addresses at DNS resolution time unless the
/// development setting allows them.
fn http_client(settings: &Settings) -> Result<ClientWithMiddleware, reqwest::Error> {
    install_crypto_provider();
    let resolver = activitypub_federation::resolver::ValidatingDnsResolver::new(
        Vec::new(),
        !settings.allow_insecure_localhost,
    );
    let client = reqwest::Client::builder()
        .user_agent(format!(
            "Guild/{} (+{})",
            env!("CARGO_PKG_VERSION"),
            settings.base_url()
        ))
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(resolver))
        .build()?;
    Ok(client.into())
}

/// Chooses ring as the TLS crypto provider. reqwest is built without a default provider (ring
/// builds fast, aws-lc does not), and panics if none is installed before a client is built.
/// Installing twice is harmless: the second call only reports the first.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
