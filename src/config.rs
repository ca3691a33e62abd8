//! Settings: a TOML file overridden by `GUILD_*` environment variables.
//!
//! Every setting has a default, so an empty configuration runs a local instance on the
//! embedded database. `docs/configuration.md` documents each one.

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};
use url::Url;

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "guild.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl From<figment::Error> for ConfigError {
    fn from(err: figment::Error) -> Self {
        ConfigError::Invalid(err.to_string())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Public host name of this instance, with the port when it is not the default one.
    pub domain: String,
    /// Address and port the HTTP server listens on.
    pub bind: SocketAddr,
    /// PostgreSQL connection URL; when unset, Guild runs its own PostgreSQL in `data_dir`.
    pub database_url: Option<String>,
    /// Where Guild keeps its files (the embedded database among them).
    pub data_dir: PathBuf,
    /// Development and tests only: plain http, explicit ports and loopback peers.
    pub allow_insecure_localhost: bool,
    /// Whether anyone may sign up.
    pub registration_open: bool,
    /// Name shown for the instance until an admin changes it.
    pub site_name: String,
    /// Connections kept to PostgreSQL.
    pub database_pool_size: usize,
    /// Answer ActivityPub GETs only when signed by an actor ("secure mode", as Mastodon's
    /// authorized fetch).
    pub require_signed_fetch: bool,
    /// Deliveries in flight at once to one peer.
    pub delivery_concurrency_per_instance: usize,
    /// Delay before the first retry of a failed delivery; each further retry doubles it (up
    /// to an hour).
    pub delivery_first_retry_seconds: u64,
    /// How long a failing delivery is retried before it is given up; a peer failing that
    /// long is marked unreachable and probed once a day.
    pub delivery_retry_horizon_hours: u64,
    /// How long delivered (or given-up) activities are kept.
    pub delivery_retention_days: u64,
    /// How long received activity ids are kept to recognise replays.
    pub received_retention_days: u64,
    /// Writes (POST, PUT, DELETE to the API and the pages) allowed per minute from one
    /// address, and separately for one signed-in account, after a burst of as many; 0
    /// turns the limit off.
    pub write_rate_per_minute: u32,
    /// Inbox POSTs allowed per minute from one peer instance (by the domain of the signing
    /// key), after a burst of as many; 0 turns the limit off.
    pub inbox_rate_per_minute: u32,
    /// Reverse proxies in front of Guild (addresses or ranges, e.g. `127.0.0.1/32`). A
    /// request from one of them is taken to come from the address its `X-Forwarded-For`
    /// names; from anyone else, that header is ignored, so it cannot be forged.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            domain: "localhost:8080".into(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            data_dir: PathBuf::from("guild-data"),
            allow_insecure_localhost: false,
            registration_open: true,
            site_name: "Guild".into(),
            database_pool_size: 8,
            require_signed_fetch: false,
            delivery_concurrency_per_instance: 16,
            delivery_first_retry_seconds: 30,
            delivery_retry_horizon_hours: 72,
            delivery_retention_days: 7,
            received_retention_days: 7,
            write_rate_per_minute: 120,
            inbox_rate_per_minute: 6_000,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Settings {
    /// Reads the settings: defaults, then the TOML file, then `GUILD_*` variables.
    ///
    /// `explicit_file` is the `--config` argument; it must exist. Without it,
    /// `guild.toml` in the working directory is read when present.
    pub fn load(explicit_file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match explicit_file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.into())),
            Some(path) => figment = figment.merge(Toml::file(path)),
            None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE))
            }
            None => {}
        }
        // GUILD_CONFIG and GUILD_LOG are read by the command line, not here.
        figment = figment.merge(Env::prefixed("GUILD_").ignore(&["config", "log"]));
        let settings: Settings = figment.extract()?;
        settings.validated()
    }

    /// Checks and normalises values that serde cannot check alone.
    pub fn validated(mut self) -> Result<Settings, ConfigError> {
        self.domain = self.domain.trim().to_ascii_lowercase();
        let parsed = Url::parse(&format!("http://{}/", self.domain))
            .map_err(|e| ConfigError::Invalid(format!("domain {:?}: {e}", self.domain)))?;
        let host_port = match parsed.port() {
            Some(port) => format!("{}:{port}", parsed.host_str().unwrap_or_default()),
            None => parsed.host_str().unwrap_or_default().to_string(),
        };
        if self.domain.is_empty() || host_port != self.domain {
            return Err(ConfigError::Invalid(format!(
                "domain {:?} must be a host name with an optional port, such as guild.example.org",
                self.domain
            )));
        }
        if matches!(parsed.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_))) {
            return Err(ConfigError::Invalid(format!(
                "domain {:?} is an IP address; federation needs a host name (use localhost:PORT for tests)",
                self.domain
            )));
        }
        if self
            .database_url
            .as_deref()
            .is_some_and(|u| u.trim().is_empty())
        {
            self.database_url = None;
        }
        if self.delivery_concurrency_per_instance == 0 || self.delivery_first_retry_seconds == 0 {
            return Err(ConfigError::Invalid(
                "delivery_concurrency_per_instance and delivery_first_retry_seconds must be at least 1".into(),
            ));
        }
        if self.database_pool_size == 0 {
            return Err(ConfigError::Invalid(
                "database_pool_size must be at least 1".into(),
            ));
        }
        Ok(self)
    }

    /// The root of every URL this instance publishes: `https://DOMAIN/`, or `http://` in
    /// development mode.
    pub fn base_url(&self) -> Url {
        let scheme = if self.allow_insecure_localhost {
            "http"
        } else {
            "https"
        };
        // The domain was validated as a host with an optional port, so this cannot fail.
        Url::parse(&format!("{scheme}://{}/", self.domain)).expect("validated domain")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_must_be_a_bare_host() {
        for bad in ["https://x.org", "x.org/path", "", "127.0.0.1:80", "a b"] {
            let settings = Settings {
                domain: bad.into(),
                ..Settings::default()
            };
            assert!(settings.validated().is_err(), "{bad:?} accepted");
        }
        let settings = Settings {
            domain: "Guild.Example.org:8443".into(),
            ..Settings::default()
        };
        assert_eq!(
            settings.validated().unwrap().domain,
            "guild.example.org:8443"
        );
    }

    #[test]
    fn base_url_scheme_follows_development_mode() {
        let mut settings = Settings::default();
        assert_eq!(settings.base_url().as_str(), "https://localhost:8080/");
        settings.allow_insecure_localhost = true;
        assert_eq!(settings.base_url().as_str(), "http://localhost:8080/");
    }

    #[test]
    // The closure's error type is figment's own, whatever its size.
    #[allow(clippy::result_large_err)]
    fn trusted_proxies_read_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "GUILD_TRUSTED_PROXIES",
                r#"["172.16.0.0/12", "10.0.0.1/32"]"#,
            );
            let settings = Settings::load(None).map_err(|e| e.to_string())?;
            let expected: Vec<ipnet::IpNet> = vec![
                "172.16.0.0/12".parse().expect("range"),
                "10.0.0.1/32".parse().expect("range"),
            ];
            assert_eq!(settings.trusted_proxies, expected);
            Ok(())
        });
    }
}
