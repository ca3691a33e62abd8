//! The people and communities read while one inbox activity is handled, kept until it is.
//!
//! Handling one activity reads the same few rows again and again: its signer is its actor
//! and usually its object's author, and its community is named by the inbox path, by the
//! object, and again by the rules and audience checks. Those reads happen in code the
//! federation library calls (`Object::read_from_id`), which takes no per-request state, so
//! the rows are kept in a task-local memo that [`scope`] opens around the handling of one
//! activity. Nothing in it outlives that handling, so it never serves a row older than the
//! request; and every write to a person or community row in this layer empties it (see
//! [`forget_all`]), so the activity's own changes are read back. Outside a scope (the API,
//! the pages, the delivery worker) every lookup goes to the database.

use super::{
    Connection, DbResult,
    models::{Community, Person},
};
use std::{cell::RefCell, collections::HashMap, future::Future};

#[derive(Default)]
struct Rows {
    /// By `ap_id`.
    people: HashMap<String, Person>,
    /// By id; one activity names one or two communities, so a scan finds one by `ap_id`.
    communities: HashMap<i64, Community>,
}

tokio::task_local! {
    static MEMO: RefCell<Rows>;
}

/// Runs `work` with a fresh memo.
pub async fn scope<F: Future>(work: F) -> F::Output {
    MEMO.scope(RefCell::new(Rows::default()), work).await
}

fn kept<T>(read: impl FnOnce(&Rows) -> Option<T>) -> Option<T> {
    MEMO.try_with(|rows| read(&rows.borrow())).ok().flatten()
}

fn keep(write: impl FnOnce(&mut Rows)) {
    // Outside a scope there is nothing to keep.
    let _ = MEMO.try_with(|rows| write(&mut rows.borrow_mut()));
}

/// Empties the memo: called by every write to `people` or `communities`.
pub(super) fn forget_all() {
    keep(|rows| *rows = Rows::default());
}

fn remember_person(person: &Person) {
    keep(|rows| {
        rows.people.insert(person.ap_id.clone(), person.clone());
    });
}

/// Keeps `community` as it now is, for the rest of the scope.
pub fn remember_community(community: &Community) {
    keep(|rows| {
        rows.communities.insert(community.id, community.clone());
    });
}

pub async fn person_by_ap_id(conn: &mut Connection, ap_id: &str) -> DbResult<Option<Person>> {
    if let Some(person) = kept(|rows| rows.people.get(ap_id).cloned()) {
        return Ok(Some(person));
    }
    let person = super::people::by_ap_id(conn, ap_id).await?;
    if let Some(person) = &person {
        remember_person(person);
    }
    Ok(person)
}

pub async fn community_by_id(conn: &mut Connection, id: i64) -> DbResult<Option<Community>> {
    if let Some(community) = kept(|rows| rows.communities.get(&id).cloned()) {
        return Ok(Some(community));
    }
    let community = super::communities::by_id(conn, id).await?;
    if let Some(community) = &community {
        remember_community(community);
    }
    Ok(community)
}

pub async fn community_by_ap_id(conn: &mut Connection, ap_id: &str) -> DbResult<Option<Community>> {
    let found = kept(|rows| {
        rows.communities
            .values()
            .find(|community| community.ap_id == ap_id)
            .cloned()
    });
    if let Some(community) = found {
        return Ok(Some(community));
    }
    let community = super::communities::by_ap_id(conn, ap_id).await?;
    if let Some(community) = &community {
        remember_community(community);
    }
    Ok(community)
}
