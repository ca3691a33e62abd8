//! Which instances this one federates with. Blocklist mode (the default) refuses the
//! instances an admin blocked; allowlist mode accepts only those an admin allowed.
//!
//! The policy is read on every inbox POST, fetch and delivery, so it is cached in memory;
//! the cache is dropped at once when this process changes the policy, and reloaded after a
//! few seconds otherwise, so that `guild federation …` run from another process takes effect
//! without a restart.

use super::{ServiceError, ServiceResult};
use crate::{context::Context, db};
use std::{
    collections::HashSet,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

/// How long another process's change may take to be seen here.
const RELOAD_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Default)]
pub struct FederationPolicy {
    pub allowlist: bool,
    pub blocked: HashSet<String>,
    pub allowed: HashSet<String>,
}

impl FederationPolicy {
    /// Whether `domain` (`host[:port]`, as ids carry it) may federate with us.
    pub fn permits(&self, domain: &str) -> bool {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        if self.allowlist {
            self.allowed.contains(&domain)
        } else {
            !self.blocked.contains(&domain)
        }
    }
}

/// The cached policy of this process.
#[derive(Default)]
pub struct PolicyCache {
    current: RwLock<Option<(Instant, Arc<FederationPolicy>)>>,
}

impl PolicyCache {
    fn fresh(&self) -> Option<Arc<FederationPolicy>> {
        let current = self.current.read().ok()?;
        current
            .as_ref()
            .filter(|(loaded, _)| loaded.elapsed() < RELOAD_AFTER)
            .map(|(_, policy)| policy.clone())
    }

    fn store(&self, policy: Arc<FederationPolicy>) {
        if let Ok(mut current) = self.current.write() {
            *current = Some((Instant::now(), policy));
        }
    }

    fn forget(&self) {
        if let Ok(mut current) = self.current.write() {
            *current = None;
        }
    }
}

/// The policy in force.
pub async fn current(ctx: &Context) -> ServiceResult<Arc<FederationPolicy>> {
    if let Some(policy) = ctx.federation_policy.fresh() {
        return Ok(policy);
    }
    let mut conn = ctx.pool.get().await?;
    let allowlist = db::site::get(&mut conn)
        .await?
        .is_some_and(|site| site.federation_allowlist);
    let (blocked, allowed) = db::instances::policy_lists(&mut conn).await?;
    let policy = Arc::new(FederationPolicy {
        allowlist,
        blocked: blocked.into_iter().collect(),
        allowed: allowed.into_iter().collect(),
    });
    ctx.federation_policy.store(policy.clone());
    Ok(policy)
}

/// Whether the instance of `domain` may federate with us. Our own domain always may.
pub async fn permits(ctx: &Context, domain: &str) -> ServiceResult<bool> {
    if domain.eq_ignore_ascii_case(&ctx.settings.domain) {
        return Ok(true);
    }
    Ok(current(ctx).await?.permits(domain))
}

/// What an admin may do to one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstanceRule {
    Block,
    Allow,
    /// Neither blocked nor allowed.
    Clear,
}

/// Blocks, allows or clears an instance. `domain` is `host` or `host:port`.
pub async fn set_rule(ctx: &Context, domain: &str, rule: InstanceRule) -> ServiceResult<()> {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = !domain.is_empty()
        && domain.len() <= 253
        && url::Url::parse(&format!("https://{domain}/"))
            .ok()
            .is_some_and(|url| url.path() == "/" && url.host_str().is_some());
    if !valid {
        return Err(ServiceError::field(
            "domain",
            format!("{domain:?} is not a domain name"),
        ));
    }
    if domain == ctx.settings.domain.to_ascii_lowercase() {
        return Err(ServiceError::field("domain", "this is our own domain"));
    }
    let (blocked, allowed) = match rule {
        InstanceRule::Block => (true, false),
        InstanceRule::Allow => (false, true),
        InstanceRule::Clear => (false, false),
    };
    let mut conn = ctx.pool.get().await?;
    db::instances::set_policy(&mut conn, &domain, blocked, allowed).await?;
    ctx.federation_policy.forget();
    Ok(())
}

/// Switches between blocklist and allowlist mode.
pub async fn set_allowlist_mode(ctx: &Context, allowlist: bool) -> ServiceResult<()> {
    let mut conn = ctx.pool.get().await?;
    db::site::set_federation_allowlist(&mut conn, allowlist).await?;
    ctx.federation_policy.forget();
    Ok(())
}
