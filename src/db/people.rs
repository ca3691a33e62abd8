//! Queries on `people` and `local_accounts`.

use super::{
    Connection, DbResult, lower,
    models::{LocalAccount, Person, PersonForm},
    schema::instances,
    schema::{local_accounts, people},
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

pub async fn insert(conn: &mut Connection, form: &PersonForm) -> DbResult<Person> {
    super::memo::forget_all();
    Ok(diesel::insert_into(people::table)
        .values(form)
        .returning(Person::as_returning())
        .get_result(conn)
        .await?)
}

/// Stores or refreshes a remote person. Returns `None` when `ap_id` belongs to a local
/// person, which a remote document must never overwrite.
pub async fn upsert_remote(conn: &mut Connection, form: &PersonForm) -> DbResult<Option<Person>> {
    let existing_local = people::table
        .filter(people::ap_id.eq(&form.ap_id))
        .select(people::local)
        .first::<bool>(conn)
        .await
        .optional()?;
    if existing_local == Some(true) {
        return Ok(None);
    }
    super::memo::forget_all();
    Ok(diesel::insert_into(people::table)
        .values(form)
        .on_conflict(people::ap_id)
        .do_update()
        .set(form)
        .returning(Person::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn by_id(conn: &mut Connection, id: i64) -> DbResult<Option<Person>> {
    Ok(people::table
        .find(id)
        .select(Person::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn by_ap_id(conn: &mut Connection, ap_id: &str) -> DbResult<Option<Person>> {
    Ok(people::table
        .filter(people::ap_id.eq(ap_id))
        .select(Person::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A local person by name, ignoring case as WebFinger and URLs do.
pub async fn local_by_name(conn: &mut Connection, name: &str) -> DbResult<Option<Person>> {
    Ok(people::table
        // The bare column lets a generic plan use the partial index (see db::batch).
        .filter(people::local)
        .filter(lower(people::name).eq(lower(name)))
        .select(Person::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn insert_account(conn: &mut Connection, account: &LocalAccount) -> DbResult<()> {
    diesel::insert_into(local_accounts::table)
        .values(account)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn account(conn: &mut Connection, person_id: i64) -> DbResult<Option<LocalAccount>> {
    Ok(local_accounts::table
        .find(person_id)
        .select(LocalAccount::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Marks a person gone (their server answered 410 Gone, or they deleted themselves).
pub async fn mark_deleted(conn: &mut Connection, id: i64) -> DbResult<()> {
    super::memo::forget_all();
    diesel::update(people::table.find(id))
        .set(people::deleted.eq(true))
        .execute(conn)
        .await?;
    Ok(())
}

/// A stored remote person by name and instance domain (`host[:port]`).
pub async fn remote_by_name(
    conn: &mut Connection,
    name: &str,
    domain: &str,
) -> DbResult<Option<Person>> {
    Ok(people::table
        .inner_join(instances::table)
        .filter(people::local.eq(false))
        .filter(lower(people::name).eq(lower(name)))
        .filter(instances::domain.eq(domain.to_ascii_lowercase()))
        .select(Person::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// A local person and their account, by name (any case).
pub async fn local_account_by_name(
    conn: &mut Connection,
    name: &str,
) -> DbResult<Option<(Person, LocalAccount)>> {
    Ok(people::table
        .inner_join(local_accounts::table)
        .filter(people::local)
        .filter(lower(people::name).eq(lower(name)))
        .select((Person::as_select(), LocalAccount::as_select()))
        .first(conn)
        .await
        .optional()?)
}

pub async fn set_password(
    conn: &mut Connection,
    person_id: i64,
    password_hash: &str,
) -> DbResult<()> {
    diesel::update(local_accounts::table.find(person_id))
        .set(local_accounts::password_hash.eq(password_hash))
        .execute(conn)
        .await?;
    Ok(())
}

/// The administrators of this instance.
pub async fn admins(conn: &mut Connection) -> DbResult<Vec<Person>> {
    Ok(people::table
        .inner_join(local_accounts::table)
        .filter(local_accounts::is_admin.eq(true))
        .order(people::id)
        .select(Person::as_select())
        .load(conn)
        .await?)
}

/// How many (undeleted) posts and comments a person wrote.
pub async fn content_counts(conn: &mut Connection, person_id: i64) -> DbResult<(i64, i64)> {
    use super::schema::{comments, posts};
    let posts: i64 = posts::table
        .filter(posts::author_id.eq(person_id))
        .filter(posts::deleted.eq(false))
        .count()
        .get_result(conn)
        .await?;
    let comments: i64 = comments::table
        .filter(comments::author_id.eq(person_id))
        .filter(comments::deleted.eq(false))
        .count()
        .get_result(conn)
        .await?;
    Ok((posts, comments))
}

/// People whose name or display name matches a full-text search, local first.
pub async fn search(
    conn: &mut Connection,
    text: &str,
    local_only: bool,
    limit: i64,
    offset: i64,
) -> DbResult<Vec<Person>> {
    use diesel::{
        dsl::sql,
        sql_types::{Bool, Text},
    };
    let mut query = people::table
        .filter(people::deleted.eq(false))
        // The expression `people_search_idx` indexes.
        .filter(
            sql::<Bool>(
                "to_tsvector('simple', people.name || ' ' || coalesce(people.display_name, '')) \
                 @@ plainto_tsquery('simple', ",
            )
            .bind::<Text, _>(text.to_string())
            .sql(")"),
        )
        .select(Person::as_select())
        .into_boxed();
    if local_only {
        query = query.filter(people::local.eq(true));
    }
    Ok(query
        .order((people::local.desc(), people::name.asc()))
        .limit(limit)
        .offset(offset)
        .load(conn)
        .await?)
}

/// Which of `person_ids` are administrators of this instance.
pub async fn admins_among(conn: &mut Connection, person_ids: &[i64]) -> DbResult<Vec<i64>> {
    Ok(local_accounts::table
        .filter(local_accounts::person_id.eq_any(person_ids))
        .filter(local_accounts::is_admin.eq(true))
        .select(local_accounts::person_id)
        .load(conn)
        .await?)
}

pub async fn update_profile(
    conn: &mut Connection,
    id: i64,
    display_name: Option<&str>,
    bio_source: Option<&str>,
    bio_html: Option<&str>,
) -> DbResult<Person> {
    super::memo::forget_all();
    Ok(diesel::update(people::table.find(id))
        .set((
            people::display_name.eq(display_name),
            people::bio_source.eq(bio_source),
            people::bio_html.eq(bio_html),
            people::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Person::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn by_ids(conn: &mut Connection, ids: &[i64]) -> DbResult<Vec<Person>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(people::table
        .filter(people::id.eq_any(ids))
        .select(Person::as_select())
        .load(conn)
        .await?)
}
