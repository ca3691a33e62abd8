//! The `guild` command line.

use crate::{
    config::Settings,
    db,
    error::GuildError,
    federation::resolve::{ResolvedActor, resolve_actor},
    server::{self, Database},
    service::{
        accounts::{self, NewAccount},
        communities::{self, NewCommunity},
    },
};
use clap::{Parser, Subcommand};
use std::{io::Read, path::PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "guild",
    version,
    about = "Guild: a federated home for communities of practice",
    long_about = "Guild runs communities of practice (writing, leadership, mapping, public \
                  speaking…) that people on any ActivityPub server can follow and join.\n\n\
                  With no database configured, Guild keeps its own PostgreSQL in the data \
                  directory (./guild-data by default). Settings come from guild.toml (or \
                  --config) and GUILD_* environment variables; see docs/configuration.md."
)]
pub struct Cli {
    /// The settings file to read (default: guild.toml, if it exists).
    #[arg(long, global = true, env = "GUILD_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server until interrupted (Ctrl-C or SIGTERM).
    Serve {
        /// Do not deliver activities from this process (run `guild deliver` elsewhere).
        #[arg(long)]
        no_delivery: bool,
        /// Fill a new instance with example communities, people, posts and comments first
        /// (as `guild demo`); an instance that has them already starts as it is.
        #[arg(long)]
        demo: bool,
    },
    /// Fill the instance with example communities of practice (Writing, Leadership, Mapping
    /// & GIS, Public Speaking, …), a few people, posts and comments. Prints the people's
    /// password.
    Demo,
    /// Only deliver queued activities, until interrupted (beside `guild serve --no-delivery`,
    /// or to add delivery workers; they share the queue safely).
    Deliver,
    /// Which instances this one federates with; changes take effect in a running server
    /// within seconds.
    Federation {
        #[command(subcommand)]
        command: FederationCommand,
    },
    /// Inspect the outgoing delivery queue.
    Queue {
        #[command(subcommand)]
        command: QueueCommand,
    },
    /// Apply pending database migrations and exit (serve applies them too).
    Migrate,
    /// Manage local accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage local communities.
    Community {
        #[command(subcommand)]
        command: CommunityCommand,
    },
    /// Fetch and store a remote person or community: name@domain, !community@domain,
    /// @person@domain, or the actor's URL.
    Resolve {
        /// The handle or URL to look up.
        handle: String,
    },
    /// Exit successfully when the server on the configured bind address answers and reaches
    /// its database (for container health checks).
    Healthcheck,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a local account. Without --password-stdin a random password is made and
    /// printed once.
    Create {
        /// The user name: 3 to 30 letters, digits or _.
        name: String,
        /// Make the account an administrator of this instance.
        #[arg(long)]
        admin: bool,
        /// Read the password from standard input (the first line).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FederationCommand {
    /// Refuse an instance: its activities get 403, nothing is fetched from or sent to it.
    Block {
        /// Its domain, with the port if it has one (`example.org`, `localhost:8081`).
        domain: String,
    },
    /// Accept an instance in allowlist mode.
    Allow { domain: String },
    /// Neither block nor allow an instance.
    Unblock { domain: String },
    /// `blocklist` (everyone but the blocked) or `allowlist` (only the allowed).
    Mode {
        #[arg(value_parser = ["blocklist", "allowlist"])]
        mode: String,
    },
    /// Show the mode and the blocked and allowed instances.
    List,
}

#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Per peer: backlog, oldest pending delivery, failures and next retry.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum CommunityCommand {
    /// Create a local community.
    Create {
        /// The community's name in its address: 3 to 30 lowercase letters, digits or _.
        name: String,
        /// The title people see.
        #[arg(long)]
        title: String,
        /// What the community is for (Markdown).
        #[arg(long)]
        description: Option<String>,
        /// A local user who becomes its first moderator.
        #[arg(long, value_name = "USER")]
        moderator: Option<String>,
    },
}

/// Runs a parsed command line to completion.
pub async fn run(cli: Cli) -> Result<(), GuildError> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { no_delivery, demo } => {
            if demo {
                let database = Database::open(&settings).await?;
                let result = run_command(Command::Demo, settings.clone(), &database, None).await;
                database.close().await?;
                match result {
                    Ok(()) => {}
                    Err(GuildError::Service(crate::service::ServiceError::Conflict(_))) => {
                        println!("The demo content is here already.");
                    }
                    Err(err) => return Err(err),
                }
            }
            let roles = if no_delivery {
                server::Roles::NoDelivery
            } else {
                server::Roles::All
            };
            return server::serve(settings, roles).await;
        }
        Command::Deliver => return server::deliver(settings).await,
        Command::Healthcheck => return healthcheck(&settings).await,
        _ => {}
    }
    // Read the password before touching the database, so a broken pipe fails fast.
    let password = match &cli.command {
        Command::User {
            command:
                UserCommand::Create {
                    password_stdin: true,
                    ..
                },
        } => Some(read_password()?),
        _ => None,
    };
    let database = Database::open(&settings).await?;
    let result = run_command(cli.command, settings, &database, password).await;
    database.close().await?;
    result
}

async fn run_command(
    command: Command,
    settings: Settings,
    database: &Database,
    password: Option<String>,
) -> Result<(), GuildError> {
    if let Command::Migrate = command {
        db::run_migrations(&database.url).await?;
        println!("Migrations are up to date.");
        return Ok(());
    }
    let federation = server::prepare(settings, &database.url).await?;
    let data = federation.to_request_data();
    match command {
        Command::User {
            command: UserCommand::Create { name, admin, .. },
        } => {
            let generated = password.is_none();
            let password = password.unwrap_or_else(generate_password);
            let person = accounts::create_account(
                &data,
                NewAccount {
                    name,
                    password: Some(password.clone()),
                    is_admin: admin,
                },
            )
            .await?;
            println!(
                "Created {}{}: {}",
                person.name,
                if admin { " (admin)" } else { "" },
                person.ap_id
            );
            if generated {
                println!("Password (shown once): {password}");
            }
        }
        Command::Community {
            command:
                CommunityCommand::Create {
                    name,
                    title,
                    description,
                    moderator,
                },
        } => {
            let moderator_id = match moderator {
                Some(user) => {
                    let mut conn = data.pool.get().await.map_err(db::DbError::from)?;
                    let person = db::people::local_by_name(&mut conn, &user)
                        .await?
                        .ok_or_else(|| GuildError::Usage(format!("no local user named {user}")))?;
                    Some(person.id)
                }
                None => None,
            };
            let community = communities::create_community(
                &data,
                NewCommunity {
                    name,
                    title,
                    description,
                    moderator_id,
                    topic: None,
                },
            )
            .await?;
            println!("Created community {}: {}", community.name, community.ap_id);
        }
        Command::Resolve { handle } => match resolve_actor(&handle, &data).await? {
            ResolvedActor::Person(person) => {
                println!(
                    "Person {} ({}), stored as #{}",
                    person.row.name, person.row.ap_id, person.row.id
                )
            }
            ResolvedActor::Community(community) => println!(
                "Community {} \"{}\" ({}), stored as #{}",
                community.row.name, community.row.title, community.row.ap_id, community.row.id
            ),
        },
        Command::Queue {
            command: QueueCommand::Status,
        } => {
            let mut conn = data.pool.get().await.map_err(db::DbError::from)?;
            print_queue_status(&db::deliveries::status(&mut conn).await?);
        }
        Command::Federation { command } => {
            use crate::service::policy::{self, InstanceRule};
            match command {
                FederationCommand::Block { domain } => {
                    policy::set_rule(&data, &domain, InstanceRule::Block).await?;
                    println!("Blocked {domain}.");
                }
                FederationCommand::Allow { domain } => {
                    policy::set_rule(&data, &domain, InstanceRule::Allow).await?;
                    println!("Allowed {domain}.");
                }
                FederationCommand::Unblock { domain } => {
                    policy::set_rule(&data, &domain, InstanceRule::Clear).await?;
                    println!("{domain} is neither blocked nor allowed now.");
                }
                FederationCommand::Mode { mode } => {
                    policy::set_allowlist_mode(&data, mode == "allowlist").await?;
                    println!("Federation mode: {mode}.");
                }
                FederationCommand::List => {
                    let current = policy::current(&data).await?;
                    let mut blocked: Vec<_> = current.blocked.iter().collect();
                    let mut allowed: Vec<_> = current.allowed.iter().collect();
                    blocked.sort();
                    allowed.sort();
                    println!(
                        "Mode: {}",
                        if current.allowlist {
                            "allowlist"
                        } else {
                            "blocklist"
                        }
                    );
                    println!("Blocked: {}", join_or_none(&blocked));
                    println!("Allowed: {}", join_or_none(&allowed));
                }
            }
        }
        Command::Demo => {
            let password = generate_password();
            let seeded = crate::service::demo::seed(&data, &password).await?;
            println!(
                "Added {} communities, {} posts and {} comments.",
                seeded.communities, seeded.posts, seeded.comments
            );
            if let Some(password) = seeded.password {
                println!("The demo people ada, ben, chidi and dora log in with: {password}");
            }
        }
        Command::Serve { .. } | Command::Deliver | Command::Migrate | Command::Healthcheck => {}
    }
    Ok(())
}

fn join_or_none(domains: &[&String]) -> String {
    if domains.is_empty() {
        "none".into()
    } else {
        domains
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn print_queue_status(queues: &[db::deliveries::InstanceQueue]) {
    if queues.is_empty() {
        println!("The delivery queue is empty.");
        return;
    }
    println!(
        "{:<32} {:>8} {:>12} {:>9} {:>9} {:>10}  next attempt",
        "peer", "pending", "oldest (s)", "retrying", "failed/d", "sent/d"
    );
    let now = chrono::Utc::now();
    for q in queues {
        let oldest = q
            .oldest_pending
            .map(|t| (now - t).num_seconds().to_string())
            .unwrap_or("-".into());
        let next = q
            .next_attempt
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or("-".into());
        let flag = if q.unreachable { "  (unreachable)" } else { "" };
        println!(
            "{:<32} {:>8} {:>12} {:>9} {:>9} {:>10}  {next}{flag}",
            q.instance, q.pending, oldest, q.retrying, q.failed_last_day, q.delivered_last_day
        );
        if let Some(error) = &q.last_error {
            println!(
                "{:<32} last error: {}",
                "",
                error.chars().take(100).collect::<String>()
            );
        }
    }
}

async fn healthcheck(settings: &Settings) -> Result<(), GuildError> {
    let mut addr = settings.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let url = format!("http://{addr}/healthz");
    crate::context::install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| GuildError::Startup(e.to_string()))?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|e| GuildError::Startup(format!("{url}: {e}")))?;
    if response.status().is_success() {
        println!("healthy");
        Ok(())
    } else {
        Err(GuildError::Startup(format!(
            "{url} answered {}",
            response.status()
        )))
    }
}

fn read_password() -> Result<String, GuildError> {
    let mut input = String::new();
    std::io::stdin().take(4096).read_to_string(&mut input)?;
    let password = input.lines().next().unwrap_or_default().to_string();
    if password.is_empty() {
        return Err(GuildError::Usage("no password on standard input".into()));
    }
    Ok(password)
}

/// 20 random letters and digits (about 119 bits).
fn generate_password() -> String {
    use rand::{Rng, distributions::Alphanumeric};
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}
