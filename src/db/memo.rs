//! The people, communities and community bans read while inbox activities are handled,
//! kept in two layers.
//!
//! Handling one activity reads the same few rows again and again: its signer is its actor
//! and usually its object's author, and its community is named by the inbox path, by the
//! object, and again by the rules and audience checks. Those reads happen in code the
//! federation library calls (`Object::read_from_id`), which takes no per-request state, so
//! the rows are kept in a task-local memo that [`scope`] opens around the handling of one
//! activity. Nothing in it outlives that handling, and every write to a person, community
//! or ban in this layer empties it (see [`forget_all`]), so the activity's own changes are
//! read back.
//!
//! Behind it, [`Recent`] keeps the rows that the inbox activities of this process read in the
//! last [`RECENT_FOR`], so that the next activity of a busy community or peer does not read
//! them again. Any write to a person, community or ban made by this process, through this layer,
//! makes every row in it stale at once (a process-wide generation); a write made by another
//! process (the CLI, a second server on the same database) is seen within [`RECENT_FOR`],
//! as the federation policy is. Only inbox handling looks here: outside a scope (the API,
//! the pages, the delivery worker) every lookup goes to the database.

use super::{
    Connection, DbResult,
    models::{Community, Person},
};
use chrono::{DateTime, Utc};
use std::{
    cell::RefCell,
    collections::HashMap,
    future::Future,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// How long a row read by one inbox activity serves the next ones, unless this process
/// writes to people or communities first.
pub const RECENT_FOR: Duration = Duration::from_secs(2);

/// Past this many rows, [`Recent`] drops the stale ones, or all if they are fresh, rather
/// than grow (5,000 people rows are a few MiB).
const RECENT_MAX: usize = 5_000;

/// Bumped by every write to people, communities or bans in this process.
static GENERATION: AtomicU64 = AtomicU64::new(0);

#[derive(Default)]
struct Rows {
    /// By `ap_id`.
    people: HashMap<String, Person>,
    /// By id; one activity names one or two communities, so a scan finds one by `ap_id`.
    communities: HashMap<i64, Community>,
    /// By community id.
    bans: HashMap<i64, CommunityBans>,
}

/// The people banned from one community, each with the end of the ban (`None`: no end).
/// Nearly always empty: reading it once per community spares a query per activity.
type CommunityBans = Arc<HashMap<i64, Option<DateTime<Utc>>>>;

struct Memo {
    rows: RefCell<Rows>,
    recent: Arc<Recent>,
}

tokio::task_local! {
    static MEMO: Memo;
}

/// A row, the generation it was read in and when.
struct Kept<T> {
    row: T,
    generation: u64,
    read_at: Instant,
}

impl<T: Clone> Kept<T> {
    fn fresh(&self) -> Option<T> {
        (self.generation == GENERATION.load(Ordering::Acquire)
            && self.read_at.elapsed() < RECENT_FOR)
            .then(|| self.row.clone())
    }
}

#[derive(Default)]
struct RecentRows {
    people: HashMap<String, Kept<Person>>,
    communities: HashMap<i64, Kept<Community>>,
    community_by_ap_id: HashMap<String, i64>,
    /// Lowercased names of local communities, as the inbox paths name them.
    local_community_by_name: HashMap<String, i64>,
    /// By community id; not counted against [`RECENT_MAX`] (a community's bans go with its
    /// row), so that they do not crowd the people and communities out.
    bans: HashMap<i64, Kept<CommunityBans>>,
}

/// The rows inbox activities of this process read lately (see the module's text). One per
/// instance, in its `Context`.
#[derive(Default)]
pub struct Recent {
    rows: RwLock<RecentRows>,
}

impl Recent {
    fn read<T>(&self, look: impl FnOnce(&RecentRows) -> Option<T>) -> Option<T> {
        self.rows.read().ok().and_then(|rows| look(&rows))
    }

    fn write(&self, change: impl FnOnce(&mut RecentRows)) {
        if let Ok(mut rows) = self.rows.write() {
            if rows.people.len() + rows.communities.len() >= RECENT_MAX {
                rows.people.retain(|_, kept| kept.fresh().is_some());
                rows.communities.retain(|_, kept| kept.fresh().is_some());
                let RecentRows {
                    communities,
                    community_by_ap_id,
                    local_community_by_name,
                    bans,
                    ..
                } = &mut *rows;
                community_by_ap_id.retain(|_, id| communities.contains_key(id));
                local_community_by_name.retain(|_, id| communities.contains_key(id));
                bans.retain(|id, kept| communities.contains_key(id) && kept.fresh().is_some());
                if rows.people.len() + rows.communities.len() >= RECENT_MAX {
                    *rows = RecentRows::default();
                }
            }
            // Kept with their communities' rows, and bounded by them; this only guards
            // against bans read for communities whose rows were read elsewhere.
            if rows.bans.len() >= RECENT_MAX {
                rows.bans.clear();
            }
            change(&mut rows);
        }
    }

    fn community(&self, id: i64) -> Option<Community> {
        self.read(|rows| rows.communities.get(&id)?.fresh())
    }
}

/// Runs `work` with a fresh memo, backed by `recent`.
pub async fn scope<F: Future>(recent: Arc<Recent>, work: F) -> F::Output {
    let memo = Memo {
        rows: RefCell::new(Rows::default()),
        recent,
    };
    MEMO.scope(memo, work).await
}

fn kept<T>(read: impl FnOnce(&Rows, &Recent) -> Option<T>) -> Option<T> {
    MEMO.try_with(|memo| read(&memo.rows.borrow(), &memo.recent))
        .ok()
        .flatten()
}

fn keep(write: impl FnOnce(&mut Rows, &Recent)) {
    // Outside a scope there is nothing to keep.
    let _ = MEMO.try_with(|memo| write(&mut memo.rows.borrow_mut(), &memo.recent));
}

/// Empties the memo and makes every recent row stale: called by every write to `people`,
/// `communities` or `community_bans`.
pub(super) fn forget_all() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
    keep(|rows, _| *rows = Rows::default());
}

/// The generation to tag a row with, taken before it is read: a write that lands while it
/// is read leaves the row stale.
fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

fn remember_person(person: &Person, generation: u64) {
    keep(|rows, recent| {
        rows.people.insert(person.ap_id.clone(), person.clone());
        recent.write(|recent| {
            recent.people.insert(
                person.ap_id.clone(),
                Kept {
                    row: person.clone(),
                    generation,
                    read_at: Instant::now(),
                },
            );
        });
    });
}

fn remember_community_read(community: &Community, generation: u64) {
    keep(|rows, recent| {
        rows.communities.insert(community.id, community.clone());
        recent.write(|recent| {
            recent
                .community_by_ap_id
                .insert(community.ap_id.clone(), community.id);
            if community.local {
                recent
                    .local_community_by_name
                    .insert(community.name.to_lowercase(), community.id);
            }
            recent.communities.insert(
                community.id,
                Kept {
                    row: community.clone(),
                    generation,
                    read_at: Instant::now(),
                },
            );
        });
    });
}

/// Keeps `community` as it now is, for the rest of the scope.
fn remember_community_in_scope(community: &Community) {
    keep(|rows, _| {
        rows.communities.insert(community.id, community.clone());
    });
}

/// A person by `ap_id`: kept, or else read with the other inbox lookups of the moment
/// (`batch`), holding no connection while the batch gathers.
pub async fn person_by_ap_id(
    batches: &super::batch::InboxBatches,
    ap_id: &str,
) -> DbResult<Option<Person>> {
    let found = kept(|rows, recent| {
        rows.people
            .get(ap_id)
            .cloned()
            .or_else(|| recent.read(|recent| recent.people.get(ap_id)?.fresh()))
    });
    if let Some(person) = found {
        remember_person_in_scope(&person);
        return Ok(Some(person));
    }
    // Taken before the read, as in `kept_or_read`.
    let generation = generation();
    let person = batches.person_by_ap_id(ap_id).await?;
    if let Some(person) = &person {
        remember_person(person, generation);
    }
    Ok(person)
}

fn remember_person_in_scope(person: &Person) {
    keep(|rows, _| {
        rows.people.insert(person.ap_id.clone(), person.clone());
    });
}

/// `found`, if the memo had it, or else what `read` gets from the database; kept either way.
async fn kept_or_read(
    found: Option<Community>,
    read: impl Future<Output = DbResult<Option<Community>>>,
) -> DbResult<Option<Community>> {
    if let Some(community) = found {
        remember_community_in_scope(&community);
        return Ok(Some(community));
    }
    // Taken before the read runs (a future does nothing until awaited), so that a write
    // landing during the read leaves the row stale.
    let generation = generation();
    let community = read.await?;
    if let Some(community) = &community {
        remember_community_read(community, generation);
    }
    Ok(community)
}

pub async fn community_by_id(conn: &mut Connection, id: i64) -> DbResult<Option<Community>> {
    let found = kept(|rows, recent| {
        rows.communities
            .get(&id)
            .cloned()
            .or_else(|| recent.community(id))
    });
    kept_or_read(found, super::communities::by_id(conn, id)).await
}

pub async fn community_by_ap_id(conn: &mut Connection, ap_id: &str) -> DbResult<Option<Community>> {
    let found = kept(|rows, recent| {
        rows.communities
            .values()
            .find(|community| community.ap_id == ap_id)
            .cloned()
            .or_else(|| {
                let id = recent.read(|recent| recent.community_by_ap_id.get(ap_id).copied())?;
                recent.community(id).filter(|c| c.ap_id == ap_id)
            })
    });
    kept_or_read(found, super::communities::by_ap_id(conn, ap_id)).await
}

/// The local community called `name` (in any case), as the inbox paths name it: kept, or
/// else read with the other lookups of the moment (`batch`).
pub async fn local_community_by_name(
    batches: &super::batch::InboxBatches,
    name: &str,
) -> DbResult<Option<Community>> {
    let lower = name.to_lowercase();
    let found = kept(|_, recent| {
        let id = recent.read(|recent| recent.local_community_by_name.get(&lower).copied())?;
        recent
            .community(id)
            .filter(|c| c.local && c.name.to_lowercase() == lower)
    });
    kept_or_read(found, batches.local_community_by_name(&lower)).await
}

/// Whether `person_id` is banned from `community_id` now. In a scope, the community's bans
/// are read once and kept like its row; outside one, the database answers.
pub async fn is_banned(conn: &mut Connection, community_id: i64, person_id: i64) -> DbResult<bool> {
    if MEMO.try_with(|_| ()).is_err() {
        return super::moderation::is_banned(conn, community_id, person_id).await;
    }
    let found = kept(|rows, recent| {
        rows.bans
            .get(&community_id)
            .cloned()
            .or_else(|| recent.read(|recent| recent.bans.get(&community_id)?.fresh()))
    });
    let bans = match found {
        Some(bans) => bans,
        None => {
            let generation = generation();
            let bans: CommunityBans = Arc::new(
                super::moderation::bans_in_force(conn, community_id)
                    .await?
                    .into_iter()
                    .collect(),
            );
            keep(|_, recent| {
                recent.write(|recent| {
                    recent.bans.insert(
                        community_id,
                        Kept {
                            row: bans.clone(),
                            generation,
                            read_at: Instant::now(),
                        },
                    );
                });
            });
            bans
        }
    };
    keep(|rows, _| {
        rows.bans.insert(community_id, bans.clone());
    });
    // A ban that ends while it is kept ends here too.
    Ok(bans
        .get(&person_id)
        .is_some_and(|until| until.is_none_or(|until| until > Utc::now())))
}
