//! Joined reads for pages and the API: posts and comments with their authors and
//! communities, feeds in every sort, in one query each.

use super::{
    Connection, DbResult,
    models::{Comment, Community, Person, Post},
    schema::{comments, communities, community_follows, people, post_reads, post_saves, posts},
};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel::{
    dsl::sql,
    sql_types::{BigInt, Bool, Text},
};
use diesel_async::RunQueryDsl;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct PostView {
    #[diesel(embed)]
    pub post: Post,
    #[diesel(embed)]
    pub author: Person,
    #[diesel(embed)]
    pub community: Community,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct CommentView {
    #[diesel(embed)]
    pub comment: Comment,
    #[diesel(embed)]
    pub author: Person,
}

/// Which posts a feed shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedScope {
    /// Everything this instance knows.
    All,
    /// Posts in this instance's communities.
    Local,
    /// Posts in the communities a person follows.
    Subscribed(i64),
    Community(i64),
    /// Posts by one person.
    Author(i64),
}

/// How a feed is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostSort {
    /// Score decayed by age.
    Hot,
    /// Score decayed by the age of the newest comment.
    Active,
    New,
    Old,
    TopDay,
    TopWeek,
    TopMonth,
    TopAll,
    MostComments,
}

/// What a sort column holds, for reading a cursor's value back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortValue {
    Float,
    Time,
    Integer,
}

impl SortValue {
    fn sql_type(self) -> &'static str {
        match self {
            SortValue::Float => "double precision",
            SortValue::Time => "timestamptz",
            SortValue::Integer => "bigint",
        }
    }

    fn is_valid(self, text: &str) -> bool {
        match self {
            SortValue::Float => text.parse::<f64>().is_ok_and(f64::is_finite),
            SortValue::Time => DateTime::parse_from_rfc3339(text).is_ok(),
            SortValue::Integer => text.parse::<i64>().is_ok(),
        }
    }
}

impl PostSort {
    /// The column a listing is ordered by (after `featured` in a community, before `id`),
    /// and what it holds.
    fn column(self) -> (&'static str, SortValue) {
        match self {
            PostSort::Hot => ("posts.hot_rank", SortValue::Float),
            PostSort::Active => ("posts.active_rank", SortValue::Float),
            PostSort::New | PostSort::Old => ("posts.published_at", SortValue::Time),
            PostSort::TopDay | PostSort::TopWeek | PostSort::TopMonth | PostSort::TopAll => {
                ("posts.sort_score", SortValue::Integer)
            }
            PostSort::MostComments => ("posts.sort_comment_count", SortValue::Integer),
        }
    }
}

/// Where the previous page of a listing ended: its last post's place in the order. The next
/// page starts right after it, found by index however deep it is, where an OFFSET reads and
/// drops every row before the page (545 ms for page 5,000 of "New" at the large scale).
/// Written as text in links and the API's `page_cursor`: `featured_value_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct PostCursor {
    featured: bool,
    /// The sort column's value, as PostgreSQL reads it back exactly.
    value: String,
    id: i64,
}

impl PostCursor {
    /// The place of `view` in a listing sorted by `sort`.
    pub fn of(view: &PostView, sort: PostSort) -> PostCursor {
        let post = &view.post;
        let value = match sort {
            PostSort::Hot => post.hot_rank.to_string(),
            PostSort::Active => post.active_rank.to_string(),
            PostSort::New | PostSort::Old => post
                .published_at
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            PostSort::TopDay | PostSort::TopWeek | PostSort::TopMonth | PostSort::TopAll => {
                post.sort_score.to_string()
            }
            PostSort::MostComments => post.sort_comment_count.to_string(),
        };
        PostCursor {
            featured: post.featured,
            value,
            id: post.id,
        }
    }

    pub fn encode(&self) -> String {
        format!("{}_{}_{}", u8::from(self.featured), self.value, self.id)
    }

    /// Reads a cursor written by [`PostCursor::encode`] for the same sort; `None` if it is
    /// not one.
    pub fn decode(text: &str, sort: PostSort) -> Option<PostCursor> {
        let mut parts = text.splitn(3, '_');
        let featured = match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        let value = parts.next()?;
        let id = parts.next()?.parse::<i64>().ok()?;
        sort.column().1.is_valid(value).then(|| PostCursor {
            featured,
            value: value.to_string(),
            id,
        })
    }
}

pub async fn post(conn: &mut Connection, post_id: i64) -> DbResult<Option<PostView>> {
    Ok(posts::table
        .inner_join(people::table)
        .inner_join(communities::table)
        .filter(posts::id.eq(post_id))
        .select(PostView::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// What a page of posts holds beyond its scope and order.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostFilter<'a> {
    /// Full-text search over title and body (PostgreSQL's `simple` configuration).
    pub text: Option<&'a str>,
    /// Only posts this person saved.
    pub saved_by: Option<i64>,
    /// Leave out posts this person read.
    pub unread_by: Option<i64>,
    /// Start after this place in the order (the offset is then 0).
    pub after: Option<&'a PostCursor>,
}

/// A page of a feed. Deleted and removed posts are left out.
pub async fn posts(
    conn: &mut Connection,
    scope: FeedScope,
    sort: PostSort,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<PostView>> {
    filtered_posts(conn, scope, sort, PostFilter::default(), limit, offset).await
}

pub async fn filtered_posts(
    conn: &mut Connection,
    scope: FeedScope,
    sort: PostSort,
    filter: PostFilter<'_>,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<PostView>> {
    let mut query = posts::table
        .inner_join(people::table)
        .inner_join(communities::table)
        .filter(posts::deleted.eq(false))
        .filter(posts::removed.eq(false))
        .select(PostView::as_select())
        .into_boxed();
    query = match scope {
        FeedScope::All => query,
        FeedScope::Local => query.filter(communities::local.eq(true)),
        FeedScope::Community(id) => query.filter(posts::community_id.eq(id)),
        FeedScope::Author(id) => query.filter(posts::author_id.eq(id)),
        FeedScope::Subscribed(person_id) => query.filter(
            posts::community_id.eq_any(
                community_follows::table
                    .filter(community_follows::person_id.eq(person_id))
                    .filter(community_follows::pending.eq(false))
                    .select(community_follows::community_id),
            ),
        ),
    };
    if let Some(text) = filter.text {
        // The expression is the one `posts_search_idx` indexes, so the index serves it.
        query = query.filter(
            sql::<Bool>(
                "to_tsvector('simple', posts.title || ' ' || \
                 coalesce(posts.body_source, posts.body_html, '')) @@ plainto_tsquery('simple', ",
            )
            .bind::<Text, _>(text.to_string())
            .sql(")"),
        );
    }
    if let Some(person_id) = filter.saved_by {
        query = query.filter(
            posts::id.eq_any(
                post_saves::table
                    .filter(post_saves::person_id.eq(person_id))
                    .select(post_saves::post_id),
            ),
        );
    }
    if let Some(person_id) = filter.unread_by {
        query = query.filter(
            posts::id.ne_all(
                post_reads::table
                    .filter(post_reads::person_id.eq(person_id))
                    .select(post_reads::post_id),
            ),
        );
    }
    if matches!(scope, FeedScope::Community(_)) {
        // Featured (pinned) posts open their community's page, as on Lemmy.
        query = query.order(posts::featured.desc());
    }
    if let Some(cursor) = filter.after {
        // Rows after the cursor in the listing's order. Descending in a community, the row
        // comparison (featured, column, id) is answered by the community's sort index; "Old"
        // there goes up after featured posts going down, which no row comparison says.
        // Elsewhere there is no `featured` in the order.
        let (column, kind) = sort.column();
        let op = if sort == PostSort::Old { ">" } else { "<" };
        let value_end = format!(" AS {})", kind.sql_type());
        let in_community = matches!(scope, FeedScope::Community(_));
        query = if !in_community {
            query.filter(
                sql::<Bool>(&format!("({column}, posts.id) {op} (CAST("))
                    .bind::<Text, _>(cursor.value.clone())
                    .sql(&format!("{value_end}, "))
                    .bind::<BigInt, _>(cursor.id)
                    .sql(")"),
            )
        } else if sort != PostSort::Old {
            query.filter(
                sql::<Bool>(&format!("(posts.featured, {column}, posts.id) < ("))
                    .bind::<Bool, _>(cursor.featured)
                    .sql(", CAST(")
                    .bind::<Text, _>(cursor.value.clone())
                    .sql(&format!("{value_end}, "))
                    .bind::<BigInt, _>(cursor.id)
                    .sql(")"),
            )
        } else {
            query.filter(
                sql::<Bool>("(posts.featured < ")
                    .bind::<Bool, _>(cursor.featured)
                    .sql(" OR (posts.featured = ")
                    .bind::<Bool, _>(cursor.featured)
                    .sql(&format!(" AND ({column}, posts.id) > (CAST("))
                    .bind::<Text, _>(cursor.value.clone())
                    .sql(&format!("{value_end}, "))
                    .bind::<BigInt, _>(cursor.id)
                    .sql(")))"),
            )
        };
    }
    let top_since = |days: i64| Utc::now() - Duration::days(days);
    query = match sort {
        PostSort::Hot => query.then_order_by((posts::hot_rank.desc(), posts::id.desc())),
        PostSort::Active => query.then_order_by((posts::active_rank.desc(), posts::id.desc())),
        PostSort::New => query.then_order_by((posts::published_at.desc(), posts::id.desc())),
        PostSort::Old => query.then_order_by((posts::published_at.asc(), posts::id.asc())),
        PostSort::MostComments => {
            query.then_order_by((posts::sort_comment_count.desc(), posts::id.desc()))
        }
        PostSort::TopAll => query.then_order_by((posts::sort_score.desc(), posts::id.desc())),
        PostSort::TopDay | PostSort::TopWeek | PostSort::TopMonth => {
            let days = match sort {
                PostSort::TopDay => 1,
                PostSort::TopWeek => 7,
                _ => 30,
            };
            query
                .filter(posts::published_at.gt(top_since(days)))
                .then_order_by((posts::sort_score.desc(), posts::id.desc()))
        }
    };
    Ok(query.limit(limit).offset(offset).load(conn).await?)
}

/// A post's comments with their authors, in thread order (each reply after its parent).
pub async fn comments_of_post(conn: &mut Connection, post_id: i64) -> DbResult<Vec<CommentView>> {
    Ok(comments::table
        .inner_join(people::table)
        .filter(comments::post_id.eq(post_id))
        .order(diesel::dsl::sql::<
            diesel::sql_types::Array<diesel::sql_types::BigInt>,
        >("comments.ancestors || comments.id"))
        .select(CommentView::as_select())
        .load(conn)
        .await?)
}

pub async fn comment(conn: &mut Connection, comment_id: i64) -> DbResult<Option<CommentView>> {
    Ok(comments::table
        .inner_join(people::table)
        .filter(comments::id.eq(comment_id))
        .select(CommentView::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A comment with everything a listing shows beside it: author, post and community.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct CommentInContext {
    #[diesel(embed)]
    pub comment: Comment,
    #[diesel(embed)]
    pub author: Person,
    #[diesel(embed)]
    pub post: Post,
    #[diesel(embed)]
    pub community: Community,
}

/// Which comments a listing outside a thread shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommentFilter<'a> {
    pub ids: Option<&'a [i64]>,
    pub author: Option<i64>,
    pub community: Option<i64>,
    pub text: Option<&'a str>,
    /// Only comments in this instance's communities.
    pub local_only: bool,
}

/// Comments newest first, each with its post and community. Deleted and removed comments
/// are left out unless asked for by id.
pub async fn comments_in_context(
    conn: &mut Connection,
    filter: CommentFilter<'_>,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<CommentInContext>> {
    let mut query = comments::table
        .inner_join(people::table)
        .inner_join(posts::table.inner_join(communities::table))
        .select(CommentInContext::as_select())
        .into_boxed();
    match filter.ids {
        Some(ids) => query = query.filter(comments::id.eq_any(ids)),
        None => {
            query = query
                .filter(comments::deleted.eq(false))
                .filter(comments::removed.eq(false))
        }
    }
    if let Some(author) = filter.author {
        query = query.filter(comments::author_id.eq(author));
    }
    if let Some(community) = filter.community {
        query = query.filter(posts::community_id.eq(community));
    }
    if filter.local_only {
        query = query.filter(communities::local.eq(true));
    }
    if let Some(text) = filter.text {
        // The expression `comments_search_idx` indexes.
        query = query.filter(
            sql::<Bool>(
                "to_tsvector('simple', coalesce(comments.body_source, comments.body_html)) \
                 @@ plainto_tsquery('simple', ",
            )
            .bind::<Text, _>(text.to_string())
            .sql(")"),
        );
    }
    Ok(query
        .order((comments::published_at.desc(), comments::id.desc()))
        .limit(limit)
        .offset(offset)
        .load(conn)
        .await?)
}
