//! Queries on `communities`, their moderators and their followers.

use super::{
    Connection, DbResult, lower,
    models::{Community, CommunityForm, Person},
    schema::instances,
    schema::{communities, community_follows, community_moderators, people},
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub async fn insert(conn: &mut Connection, form: &CommunityForm) -> DbResult<Community> {
    super::memo::forget_all();
    Ok(diesel::insert_into(communities::table)
        .values(form)
        .returning(Community::as_returning())
        .get_result(conn)
        .await?)
}

/// Stores or refreshes a remote community; `None` when `ap_id` is a local community.
pub async fn upsert_remote(
    conn: &mut Connection,
    form: &CommunityForm,
) -> DbResult<Option<Community>> {
    let existing_local = communities::table
        .filter(communities::ap_id.eq(&form.ap_id))
        .select(communities::local)
        .first::<bool>(conn)
        .await
        .optional()?;
    if existing_local == Some(true) {
        return Ok(None);
    }
    super::memo::forget_all();
    Ok(diesel::insert_into(communities::table)
        .values(form)
        .on_conflict(communities::ap_id)
        .do_update()
        .set(form)
        .returning(Community::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn by_ap_id(conn: &mut Connection, ap_id: &str) -> DbResult<Option<Community>> {
    Ok(communities::table
        .filter(communities::ap_id.eq(ap_id))
        .select(Community::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A local community by name, ignoring case.
pub async fn local_by_name(conn: &mut Connection, name: &str) -> DbResult<Option<Community>> {
    Ok(communities::table
        // The bare column lets a generic plan use the partial index (see db::batch).
        .filter(communities::local)
        .filter(lower(communities::name).eq(lower(name)))
        .select(Community::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn add_moderator(
    conn: &mut Connection,
    community_id: i64,
    person_id: i64,
) -> DbResult<()> {
    diesel::insert_into(community_moderators::table)
        .values((
            community_moderators::community_id.eq(community_id),
            community_moderators::person_id.eq(person_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Moderators in the order they were added; the first is the founder.
pub async fn moderators(conn: &mut Connection, community_id: i64) -> DbResult<Vec<Person>> {
    Ok(community_moderators::table
        .inner_join(people::table)
        .filter(community_moderators::community_id.eq(community_id))
        .order(community_moderators::added_at.asc())
        .select(Person::as_select())
        .load(conn)
        .await?)
}

/// Followers whose follow was accepted.
pub async fn follower_count(conn: &mut Connection, community_id: i64) -> DbResult<i64> {
    Ok(community_follows::table
        .filter(community_follows::community_id.eq(community_id))
        .filter(community_follows::pending.eq(false))
        .count()
        .get_result(conn)
        .await?)
}

pub async fn mark_deleted(conn: &mut Connection, id: i64) -> DbResult<()> {
    super::memo::forget_all();
    diesel::update(communities::table.find(id))
        .set(communities::deleted.eq(true))
        .execute(conn)
        .await?;
    Ok(())
}

/// A stored remote community by name and instance domain (`host[:port]`).
pub async fn remote_by_name(
    conn: &mut Connection,
    name: &str,
    domain: &str,
) -> DbResult<Option<Community>> {
    Ok(communities::table
        .inner_join(instances::table)
        .filter(communities::local.eq(false))
        .filter(lower(communities::name).eq(lower(name)))
        .filter(instances::domain.eq(domain.to_ascii_lowercase()))
        .select(Community::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Local communities by name, for the home page and directory.
pub async fn list_local(conn: &mut Connection, limit: i64) -> DbResult<Vec<Community>> {
    Ok(communities::table
        .filter(communities::local.eq(true))
        .filter(communities::deleted.eq(false))
        .order(communities::name.asc())
        .limit(limit)
        .select(Community::as_select())
        .load(conn)
        .await?)
}

/// The ids of a community's featured (pinned) posts, newest first.
pub async fn featured_post_ids(conn: &mut Connection, community_id: i64) -> DbResult<Vec<String>> {
    use super::schema::posts;
    Ok(posts::table
        .filter(posts::community_id.eq(community_id))
        .filter(posts::featured.eq(true))
        .filter(posts::deleted.eq(false))
        .filter(posts::removed.eq(false))
        .order(posts::published_at.desc())
        .select(posts::ap_id)
        .load(conn)
        .await?)
}

pub async fn by_id(conn: &mut Connection, id: i64) -> DbResult<Option<Community>> {
    Ok(communities::table
        .find(id)
        .select(Community::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Which communities a directory page lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommunityFilter<'a> {
    pub local_only: bool,
    /// Only those this person follows (pending or not).
    pub followed_by: Option<i64>,
    /// Full-text search over name, title and description.
    pub text: Option<&'a str>,
    /// Only this topic (case ignored).
    pub topic: Option<&'a str>,
}

/// How a directory page is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunitySort {
    /// Most followers first.
    Popular,
    New,
    Old,
    Name,
}

/// A page of undeleted communities.
pub async fn list(
    conn: &mut Connection,
    filter: CommunityFilter<'_>,
    sort: CommunitySort,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Community>> {
    use diesel::{
        dsl::sql,
        sql_types::{Bool, Text},
    };
    let mut query = communities::table
        .filter(communities::deleted.eq(false))
        .select(Community::as_select())
        .into_boxed();
    if filter.local_only {
        query = query.filter(communities::local.eq(true));
    }
    if let Some(person_id) = filter.followed_by {
        query = query.filter(
            communities::id.eq_any(
                community_follows::table
                    .filter(community_follows::person_id.eq(person_id))
                    .select(community_follows::community_id),
            ),
        );
    }
    if let Some(topic) = filter.topic {
        query = query.filter(lower(communities::topic.assume_not_null()).eq(topic.to_lowercase()));
    }
    if let Some(text) = filter.text {
        // The expression `communities_search_idx` indexes.
        query = query.filter(
            sql::<Bool>(
                "to_tsvector('simple', communities.name || ' ' || communities.title || ' ' || \
                 coalesce(communities.description_source, communities.description_html, '')) \
                 @@ plainto_tsquery('simple', ",
            )
            .bind::<Text, _>(text.to_string())
            .sql(")"),
        );
    }
    query = match sort {
        CommunitySort::Popular => {
            query.order((communities::subscribers.desc(), communities::id.asc()))
        }
        CommunitySort::New => query.order(communities::published_at.desc()),
        CommunitySort::Old => query.order(communities::published_at.asc()),
        CommunitySort::Name => query.order(communities::name.asc()),
    };
    Ok(query.limit(limit).offset(offset).load(conn).await?)
}

/// The counts a directory shows beside a community.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommunityCounts {
    pub subscribers: i64,
    pub subscribers_local: i64,
    pub posts: i64,
    pub comments: i64,
}

/// Counts for many communities at once (two grouped queries, whatever their number).
pub async fn counts(
    conn: &mut Connection,
    ids: &[i64],
) -> DbResult<std::collections::HashMap<i64, CommunityCounts>> {
    use super::schema::posts;
    let mut result: std::collections::HashMap<i64, CommunityCounts> = ids
        .iter()
        .map(|id| (*id, CommunityCounts::default()))
        .collect();
    // The total is kept on the community (a trigger follows every change of a follow);
    // the local followers are counted, which only reads the follows of local people.
    let followers: Vec<(i64, i64, i64)> = communities::table
        .filter(communities::id.eq_any(ids))
        .select((
            communities::id,
            communities::subscribers,
            diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT count(*) FROM community_follows f JOIN people p ON p.id = f.person_id \
                 WHERE f.community_id = communities.id AND NOT f.pending AND p.local)",
            ),
        ))
        .load(conn)
        .await?;
    for (id, all, local) in followers {
        let entry = result.entry(id).or_default();
        entry.subscribers = all;
        entry.subscribers_local = local;
    }
    // Both from `posts` alone: a post's comment count is kept as its comments neither
    // deleted nor removed, so their sum over the community's posts is the count of its
    // comments, without reading them. `posts_community_counts_idx` covers the query; it
    // holds the folded `sort_comment_count`, so the sum is a few seconds behind the posts.
    let post_counts: Vec<(i64, i64, i64)> = posts::table
        .filter(posts::community_id.eq_any(ids))
        .group_by(posts::community_id)
        .select((
            posts::community_id,
            diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "count(*) FILTER (WHERE NOT posts.deleted AND NOT posts.removed)",
            ),
            diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "coalesce(sum(posts.sort_comment_count), 0)::bigint",
            ),
        ))
        .load(conn)
        .await?;
    for (id, posts, comments) in post_counts {
        let entry = result.entry(id).or_default();
        entry.posts = posts;
        entry.comments = comments;
    }
    Ok(result)
}

/// The communities a person moderates.
pub async fn moderated_by(conn: &mut Connection, person_id: i64) -> DbResult<Vec<Community>> {
    Ok(community_moderators::table
        .inner_join(communities::table)
        .filter(community_moderators::person_id.eq(person_id))
        .order(communities::name.asc())
        .select(Community::as_select())
        .load(conn)
        .await?)
}

/// Whether a person moderates a community.
pub async fn is_moderator(
    conn: &mut Connection,
    community_id: i64,
    person_id: i64,
) -> DbResult<bool> {
    Ok(diesel::select(diesel::dsl::exists(
        community_moderators::table
            .filter(community_moderators::community_id.eq(community_id))
            .filter(community_moderators::person_id.eq(person_id)),
    ))
    .get_result(conn)
    .await?)
}

pub async fn set_topic(conn: &mut Connection, id: i64, topic: Option<&str>) -> DbResult<()> {
    super::memo::forget_all();
    diesel::update(communities::table.find(id))
        .set(communities::topic.eq(topic))
        .execute(conn)
        .await?;
    Ok(())
}

/// The topics in use, most used first.
pub async fn topics(conn: &mut Connection, limit: i64) -> DbResult<Vec<String>> {
    use diesel::dsl::count_star;
    Ok(communities::table
        .filter(communities::deleted.eq(false))
        .filter(communities::topic.is_not_null())
        .group_by(communities::topic)
        .order((count_star().desc(), communities::topic.asc()))
        .select(communities::topic.assume_not_null())
        .limit(limit)
        .load(conn)
        .await?)
}

/// The community whose moderators or featured collection is `url`, and which one it is.
pub async fn by_collection_url(
    conn: &mut Connection,
    url: &str,
) -> DbResult<Option<(Community, CommunityCollection)>> {
    let found = communities::table
        .filter(
            communities::moderators_url
                .eq(url)
                .or(communities::featured_url.eq(url)),
        )
        .select(Community::as_select())
        .first(conn)
        .await
        .optional()?;
    Ok(found.map(|community| {
        let kind = if community.moderators_url.as_deref() == Some(url) {
            CommunityCollection::Moderators
        } else {
            CommunityCollection::Featured
        };
        (community, kind)
    }))
}

/// The collections of a community that moderators add to and remove from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommunityCollection {
    Moderators,
    Featured,
}
