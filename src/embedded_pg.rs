//! The embedded default database: a private PostgreSQL cluster in the data directory.
//!
//! No crate fits this job without downloading binaries, so this module drives the
//! PostgreSQL programs installed on the machine: `initdb` once, `pg_ctl start` listening on a
//! Unix socket inside the cluster directory only (no TCP port), and `pg_ctl stop` on the way
//! out. PostgreSQL refuses to run as root; when Guild runs as root, the cluster belongs to
//! the `postgres` system user and its programs run under that user.
//!
//! Several Guild processes may use one cluster at once (`guild serve` and a CLI command).
//! Each takes a [`ClusterLease`]: the first starts the cluster, the last one out stops it.
//! Two lock files in the data directory keep that honest: `postgres.start.lock` serialises
//! starting and stopping, and every user holds a shared lock on `postgres.users.lock`.

use nix::fcntl::{Flock, FlockArg};
use std::{
    ffi::OsStr,
    fs::File,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

/// The name of the database, and of the cluster's superuser.
const DATABASE: &str = "guild";
/// Only names the socket file (`.s.PGSQL.5432`): the cluster listens on no TCP port.
const PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH: usize = 107;
const START_LOCK: &str = "postgres.start.lock";
const USERS_LOCK: &str = "postgres.users.lock";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedPgError {
    #[error(
        "Guild found no PostgreSQL programs (initdb, pg_ctl). Either install PostgreSQL \
         (for example `apt-get install postgresql` on Debian or Ubuntu, `dnf install \
         postgresql-server` on Fedora, `brew install postgresql` on macOS) so that Guild can \
         run its own private database, or point Guild at an existing server by setting \
         GUILD_DATABASE_URL (or `database_url` in guild.toml), for example \
         postgres://guild:secret@localhost/guild."
    )]
    NoBinaries,
    #[error(
        "PostgreSQL refuses to run as root and this machine has no `postgres` user to run it \
         as. Run Guild as an ordinary user, or set GUILD_DATABASE_URL to an existing server."
    )]
    NoUnprivilegedUser,
    #[error(
        "the database directory {0} is too long a path for PostgreSQL's socket; choose a \
         shorter GUILD_DATA_DIR"
    )]
    PathTooLong(PathBuf),
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("cannot prepare {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

type Result<T> = std::result::Result<T, EmbeddedPgError>;

/// Whether [`EmbeddedPostgres::start`] started the cluster or found it running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOutcome {
    Started,
    AlreadyRunning,
}

/// A private PostgreSQL cluster kept in `<data_dir>/postgres`.
#[derive(Debug, Clone)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    cluster_dir: PathBuf,
    /// Set when Guild runs as root: the uid and gid the cluster's programs run as.
    run_as: Option<(nix::unistd::Uid, nix::unistd::Gid)>,
}

impl EmbeddedPostgres {
    /// Finds the PostgreSQL programs and prepares (but does not touch) `<data_dir>/postgres`.
    pub fn new(data_dir: &Path) -> Result<Self> {
        let bin_dir = find_bin_dir().ok_or(EmbeddedPgError::NoBinaries)?;
        let data_dir = std::path::absolute(data_dir).map_err(|source| EmbeddedPgError::Io {
            path: data_dir.into(),
            source,
        })?;
        let cluster_dir = data_dir.join("postgres");
        let socket = cluster_dir.join(format!(".s.PGSQL.{PORT}"));
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(EmbeddedPgError::PathTooLong(cluster_dir));
        }
        let run_as = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .ok_or(EmbeddedPgError::NoUnprivilegedUser)?;
            Some((user.uid, user.gid))
        } else {
            None
        };
        Ok(EmbeddedPostgres {
            bin_dir,
            data_dir,
            cluster_dir,
            run_as,
        })
    }

    /// Starts the cluster unless it runs already, and registers this process as one of its
    /// users until the lease is released.
    pub async fn acquire(&self) -> Result<ClusterLease> {
        let this = self.clone();
        let start_lock = blocking(move || this.lock(START_LOCK, FlockArg::LockExclusive)).await?;
        let outcome = self.start().await?;
        let this = self.clone();
        let users = blocking(move || this.lock(USERS_LOCK, FlockArg::LockShared)).await?;
        drop(start_lock);
        Ok(ClusterLease {
            cluster: self.clone(),
            users,
            outcome,
        })
    }

    fn lock(&self, name: &str, kind: FlockArg) -> Result<Flock<File>> {
        let path = self.data_dir.join(name);
        let io_err = |source| EmbeddedPgError::Io {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.data_dir).map_err(io_err)?;
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err)?;
        Flock::lock(file, kind).map_err(|(_, errno)| io_err(errno.into()))
    }

    /// The connection string for the cluster's Guild database, over its Unix socket.
    pub fn database_url(&self) -> String {
        self.url_for(DATABASE)
    }

    fn url_for(&self, database: &str) -> String {
        format!(
            "host={} port={PORT} user={DATABASE} dbname={database}",
            self.cluster_dir.display()
        )
    }

    pub fn cluster_dir(&self) -> &Path {
        &self.cluster_dir
    }

    /// Whether a server is running on this cluster (`pg_ctl status`).
    pub fn is_running(&self) -> Result<bool> {
        if !self.cluster_dir.join("PG_VERSION").exists() {
            return Ok(false);
        }
        let output = self.run("pg_ctl", ["status", "-D"], [&self.cluster_dir])?;
        Ok(output.status.success())
    }

    /// Creates the cluster on first use, starts it unless it already runs, and makes sure
    /// the Guild database exists. Prefer [`EmbeddedPostgres::acquire`] when other processes
    /// may use the cluster too.
    pub async fn start(&self) -> Result<StartOutcome> {
        let this = self.clone();
        let outcome = blocking(move || this.start_blocking()).await?;
        self.create_database().await?;
        Ok(outcome)
    }

    fn start_blocking(&self) -> Result<StartOutcome> {
        if !self.cluster_dir.join("PG_VERSION").exists() {
            self.init_cluster()?;
        }
        if self.is_running()? {
            return Ok(StartOutcome::AlreadyRunning);
        }
        let log = self.cluster_dir.join("server.log");
        let output = self.run(
            "pg_ctl",
            ["start", "--wait", "--timeout=60", "--silent", "-D"],
            [
                self.cluster_dir.as_os_str(),
                OsStr::new("-l"),
                log.as_os_str(),
            ],
        )?;
        if !output.status.success() {
            // Another process may have started it between our check and our start.
            if self.is_running()? {
                return Ok(StartOutcome::AlreadyRunning);
            }
            let tail = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            return Err(command_error("pg_ctl start", &output, &tail.join(" | ")));
        }
        tracing::info!(cluster = %self.cluster_dir.display(), "embedded PostgreSQL started");
        Ok(StartOutcome::Started)
    }

    fn init_cluster(&self) -> Result<()> {
        let io_err = |source| EmbeddedPgError::Io {
            path: self.cluster_dir.clone(),
            source,
        };
        std::fs::create_dir_all(&self.cluster_dir).map_err(io_err)?;
        if let Some((uid, gid)) = self.run_as {
            nix::unistd::chown(&self.cluster_dir, Some(uid), Some(gid))
                .map_err(|e| io_err(std::io::Error::from(e)))?;
        }
        let output = self.run(
            "initdb",
            [
                "--username",
                DATABASE,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-instructions",
                "-D",
            ],
            [&self.cluster_dir],
        )?;
        if !output.status.success() {
            return Err(command_error(
                "initdb",
                &output,
                "the PostgreSQL user must be able to reach the data directory",
            ));
        }
        // Unix socket only, in the cluster directory itself ('.' is relative to it), which
        // initdb made private to its owner: trust authentication reaches no one else.
        let conf = self.cluster_dir.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).map_err(io_err)?;
        text.push_str(&format!(
            "\n# Set by Guild's embedded database.\nlisten_addresses = ''\n\
             unix_socket_directories = '.'\nport = {PORT}\n"
        ));
        std::fs::write(&conf, text).map_err(io_err)?;
        tracing::info!(cluster = %self.cluster_dir.display(), "embedded PostgreSQL cluster created");
        Ok(())
    }

    async fn create_database(&self) -> Result<()> {
        use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
        let fail = |e: &dyn std::fmt::Display| EmbeddedPgError::Command {
            what: "creating the guild database".into(),
            detail: e.to_string(),
        };
        let mut conn = AsyncPgConnection::establish(&self.url_for("postgres"))
            .await
            .map_err(|e| fail(&e))?;
        #[derive(diesel::QueryableByName)]
        struct Exists {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            exists: bool,
        }
        let found: Exists = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'guild') AS exists",
        )
        .get_result(&mut conn)
        .await
        .map_err(|e| fail(&e))?;
        if !found.exists {
            diesel::sql_query(format!("CREATE DATABASE {DATABASE}"))
                .execute(&mut conn)
                .await
                .map_err(|e| fail(&e))?;
        }
        Ok(())
    }

    /// Stops the server with `pg_ctl stop -m fast`: sessions are closed, data is flushed.
    pub async fn stop(&self) -> Result<()> {
        let this = self.clone();
        blocking(move || this.stop_blocking()).await
    }

    pub fn stop_blocking(&self) -> Result<()> {
        if !self.is_running()? {
            return Ok(());
        }
        let output = self.run(
            "pg_ctl",
            [
                "stop",
                "--wait",
                "--timeout=60",
                "--silent",
                "-m",
                "fast",
                "-D",
            ],
            [&self.cluster_dir],
        )?;
        if !output.status.success() && self.is_running()? {
            return Err(command_error("pg_ctl stop", &output, ""));
        }
        tracing::info!(cluster = %self.cluster_dir.display(), "embedded PostgreSQL stopped");
        Ok(())
    }

    fn run<A, B>(
        &self,
        program: &str,
        args: impl IntoIterator<Item = A>,
        more: impl IntoIterator<Item = B>,
    ) -> Result<Output>
    where
        A: AsRef<OsStr>,
        B: AsRef<OsStr>,
    {
        let mut command = Command::new(self.bin_dir.join(program));
        command
            .args(args)
            .args(more)
            // The server must not hold our stdout or stderr open: callers may be waiting
            // for them to close (a test harness, a CI pipe).
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Paths are absolute; and the postgres user may not be able to enter ours.
            .current_dir("/");
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid.as_raw()).gid(gid.as_raw());
        }
        command.output().map_err(|e| EmbeddedPgError::Command {
            what: program.into(),
            detail: e.to_string(),
        })
    }
}

/// One process's use of the cluster (see the module documentation).
#[derive(Debug)]
pub struct ClusterLease {
    cluster: EmbeddedPostgres,
    users: Flock<File>,
    outcome: StartOutcome,
}

impl ClusterLease {
    pub fn cluster(&self) -> &EmbeddedPostgres {
        &self.cluster
    }

    /// Whether acquiring the lease started the cluster.
    pub fn outcome(&self) -> StartOutcome {
        self.outcome
    }

    /// Gives up this process's use; stops the cluster when no other process uses it.
    /// Returns whether it stopped. A process that dies without releasing leaves the cluster
    /// running, and the next user adopts it.
    pub async fn release(self) -> Result<bool> {
        let ClusterLease { cluster, users, .. } = self;
        blocking(move || {
            drop(users);
            let _start = cluster.lock(START_LOCK, FlockArg::LockExclusive)?;
            match cluster.lock(USERS_LOCK, FlockArg::LockExclusiveNonblock) {
                Ok(_last) => cluster.stop_blocking().map(|()| true),
                Err(EmbeddedPgError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::WouldBlock =>
                {
                    Ok(false)
                }
                Err(err) => Err(err),
            }
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| EmbeddedPgError::Command {
            what: "PostgreSQL management".into(),
            detail: e.to_string(),
        })?
}

fn command_error(what: &str, output: &Output, hint: &str) -> EmbeddedPgError {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut detail = format!("{} {}", stderr.trim(), stdout.trim())
        .trim()
        .to_string();
    if !hint.is_empty() {
        detail = format!("{detail} ({hint})");
    }
    EmbeddedPgError::Command {
        what: what.into(),
        detail,
    }
}

/// Where `initdb` and `pg_ctl` live: on PATH, or in Debian's versioned directories (newest
/// version first).
fn find_bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(dir) = std::env::split_paths(&path).find(|d| has_tools(d)) {
            return Some(dir);
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_tools(&bin).then_some((version, bin))
        })
        .collect();
    versioned.sort();
    versioned.pop().map(|(_, dir)| dir)
}
