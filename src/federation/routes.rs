//! The federation's HTTP surface: actors, their collections, activities, inboxes and
//! discovery. Actor URLs are shared with the HTML pages: a browser gets the page, a server
//! gets the JSON.

use super::{
    ACTIVITY_JSON, FederationError, FederationResult, PUBLIC, discovery, inbox, local_community,
    local_person,
    objects::{
        comment::note_json, context, group::GroupJson, instance_actor::InstanceActor,
        person::PersonJson, post::page_json,
    },
};
use crate::{
    context::Context,
    db::{
        self,
        models::{Community, Post},
    },
    web,
};
use activitypub_federation::{config::Data, protocol::context::WithContext, traits::Object};
use axum::{
    Router,
    extract::{Path, Query},
    http::{HeaderMap, HeaderValue, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Serialize;
use serde_json::{Value, json};
use url::Url;

/// How many activities an outbox page shows.
const OUTBOX_PAGE: i64 = 20;

pub fn router() -> Router {
    Router::new()
        .route("/actor", get(instance_actor))
        .route("/inbox", post(inbox::shared_inbox))
        .route("/u/{name}", get(person))
        .route("/u/{name}/inbox", post(inbox::person_inbox))
        .route("/u/{name}/outbox", get(person_outbox))
        .route("/c/{name}", get(community))
        .route("/c/{name}/inbox", post(inbox::community_inbox))
        .route("/c/{name}/outbox", get(community_outbox))
        .route("/c/{name}/followers", get(community_followers))
        .route("/c/{name}/moderators", get(community_moderators))
        .route("/c/{name}/featured", get(community_featured))
        .route("/post/{id}", get(post_object))
        .route("/comment/{id}", get(comment_object))
        .route("/activities/{kind}/{id}", get(activity))
        .route("/.well-known/webfinger", get(discovery::webfinger))
        .route("/.well-known/nodeinfo", get(discovery::nodeinfo_links))
        .route("/.well-known/host-meta", get(discovery::host_meta))
        .route("/nodeinfo/2.1", get(discovery::nodeinfo))
        .route_layer(axum::middleware::from_fn(require_signed_fetch))
}

/// Secure mode (the `require_signed_fetch` setting): ActivityPub documents are served only to
/// GETs signed by an actor whose key verifies. The instance actor, discovery and pages for
/// browsers stay open, so that a peer can always fetch the key it needs without a loop.
async fn require_signed_fetch(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(config) = request
        .extensions()
        .get::<activitypub_federation::config::FederationConfig<Context>>()
        .cloned()
    else {
        return next.run(request).await;
    };
    let data = config.to_request_data();
    let path = request.uri().path();
    let exempt = request.method() != http::Method::GET
        || !data.settings.require_signed_fetch
        || wants_html(request.headers())
        || path == "/actor"
        || path.starts_with("/.well-known/")
        || path.starts_with("/nodeinfo/");
    if exempt {
        return next.run(request).await;
    }
    match inbox::verify_signed_get(request.method(), request.uri(), request.headers(), &data).await
    {
        Ok(()) => next.run(request).await,
        Err(err) => err.into_response(),
    }
}

/// Whether the client wants a page rather than ActivityPub JSON: browsers ask for
/// `text/html`; servers ask for `application/activity+json` or `application/ld+json`; a
/// request that names neither gets JSON.
pub fn wants_html(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    accept.contains("text/html")
        && !accept.contains("application/activity+json")
        && !accept.contains("application/ld+json")
}

/// An ActivityPub document with our `@context`, served as `application/activity+json`.
pub fn activity_json<T: Serialize>(document: T) -> Response {
    let body = WithContext::new(document, context());
    let mut response = axum::Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(ACTIVITY_JSON),
    );
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

async fn instance_actor(data: Data<Context>) -> FederationResult<Response> {
    let actor = InstanceActor::read_from_id(data.urls.instance_actor(), &data)
        .await?
        .ok_or(FederationError::NotFound("instance actor"))?;
    Ok(activity_json(actor.into_json(&data).await?))
}

async fn person(
    Path(name): Path<String>,
    mut parts: Parts,
    data: Data<Context>,
) -> FederationResult<Response> {
    if wants_html(&parts.headers) {
        return Ok(web::actors::person_page(&mut parts, &name).await);
    }
    let mut conn = data.pool.get().await?;
    let person = local_person(&mut conn, &name).await?;
    drop(conn);
    Ok(activity_json(PersonJson::local(&person, &data.urls)))
}

async fn community(
    Path(name): Path<String>,
    mut parts: Parts,
    data: Data<Context>,
) -> FederationResult<Response> {
    if wants_html(&parts.headers) {
        return Ok(web::actors::community_page(&mut parts, &name).await);
    }
    let community = local_community(&data, &name).await?;
    Ok(activity_json(GroupJson::local(&community, &data.urls)))
}

async fn person_outbox(
    Path(name): Path<String>,
    data: Data<Context>,
) -> FederationResult<Response> {
    let mut conn = data.pool.get().await?;
    let person = local_person(&mut conn, &name).await?;
    let (items, total) =
        db::activities::sent_by_actor(&mut conn, &person.ap_id, OUTBOX_PAGE).await?;
    Ok(activity_json(ordered_collection(
        data.urls.person_outbox(&person.name).as_str(),
        total,
        items,
    )))
}

#[derive(serde::Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

/// The community's recent posts as the Announces that brought them, newest first, in pages
/// of twenty. The root carries the first page too, for readers that look no further (Lemmy).
async fn community_outbox(
    Path(name): Path<String>,
    Query(query): Query<PageQuery>,
    data: Data<Context>,
) -> FederationResult<Response> {
    let community = local_community(&data, &name).await?;
    let mut conn = data.pool.get().await?;
    let total = db::posts::count_in_community(&mut conn, community.id).await?;
    let page = query.page.unwrap_or(1).max(1);
    let posts = db::posts::newest_in_community(
        &mut conn,
        community.id,
        OUTBOX_PAGE,
        (page - 1) * OUTBOX_PAGE,
    )
    .await?;
    drop(conn);
    let mut items = Vec::with_capacity(posts.len());
    for post in &posts {
        items.push(announced_post(post, &community, &data).await?);
    }
    let root = data.urls.community_outbox(&community.name);
    let page_url = |n: i64| format!("{root}?page={n}");
    let has_next = page * OUTBOX_PAGE < total;
    let document = if query.page.is_none() {
        json!({
            "id": root,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": page_url(1),
            "orderedItems": items,
        })
    } else {
        let mut page_document = json!({
            "id": page_url(page),
            "type": "OrderedCollectionPage",
            "partOf": root,
            "orderedItems": items,
        });
        if has_next {
            page_document["next"] = json!(page_url(page + 1));
        }
        page_document
    };
    Ok(activity_json(document))
}

/// A post as `Announce{Create{Page}}`, the form a follower receives it in. Like Lemmy, the
/// ids of these two wrappers are made afresh on each read.
async fn announced_post(
    post: &Post,
    community: &Community,
    data: &Data<Context>,
) -> FederationResult<Value> {
    let page = page_json(post, data).await?;
    let community_id =
        Url::parse(&community.ap_id).map_err(|e| FederationError::BadRequest(e.to_string()))?;
    let create = json!({
        "id": data.urls.new_activity("create"),
        "type": "Create",
        "actor": page.attributed_to,
        "to": [PUBLIC],
        "cc": [community_id],
        "audience": community_id,
        "object": page,
    });
    Ok(json!({
        "id": data.urls.new_activity("announce"),
        "type": "Announce",
        "actor": community_id,
        "to": [PUBLIC],
        "cc": [data.urls.community_followers(&community.name)],
        "object": create,
    }))
}

/// A post at its id: the `Page` for a server, the page for a browser; a tombstone once
/// deleted, and a redirect to its origin when it is a copy of another server's post.
async fn post_object(
    Path(id): Path<i64>,
    mut parts: Parts,
    data: Data<Context>,
) -> FederationResult<Response> {
    if wants_html(&parts.headers) {
        return Ok(web::posts::post_page(&mut parts, id).await);
    }
    let mut conn = data.pool.get().await?;
    let post = db::posts::by_id(&mut conn, id)
        .await?
        .ok_or(FederationError::NotFound("post"))?;
    drop(conn);
    if !post.local {
        return Ok(Redirect::to(&post.ap_id).into_response());
    }
    if post.deleted || post.removed {
        return Ok(tombstone(&post.ap_id));
    }
    Ok(activity_json(page_json(&post, &data).await?))
}

async fn comment_object(
    Path(id): Path<i64>,
    headers: HeaderMap,
    data: Data<Context>,
) -> FederationResult<Response> {
    let mut conn = data.pool.get().await?;
    let comment = db::comments::by_id(&mut conn, id)
        .await?
        .ok_or(FederationError::NotFound("comment"))?;
    drop(conn);
    if wants_html(&headers) {
        return Ok(
            Redirect::to(&format!("/post/{}#comment-{}", comment.post_id, comment.id))
                .into_response(),
        );
    }
    if !comment.local {
        return Ok(Redirect::to(&comment.ap_id).into_response());
    }
    if comment.deleted || comment.removed {
        return Ok(tombstone(&comment.ap_id));
    }
    Ok(activity_json(note_json(&comment, &data).await?))
}

/// What a deleted object's id answers: 410 Gone with a Tombstone.
fn tombstone(id: &str) -> Response {
    let mut response = activity_json(json!({ "id": id, "type": "Tombstone" }));
    *response.status_mut() = http::StatusCode::GONE;
    response
}

/// The count of followers; like Lemmy, the members themselves are not listed.
async fn community_followers(
    Path(name): Path<String>,
    data: Data<Context>,
) -> FederationResult<Response> {
    let community = local_community(&data, &name).await?;
    let mut conn = data.pool.get().await?;
    let total = db::communities::follower_count(&mut conn, community.id).await?;
    Ok(activity_json(json!({
        "id": data.urls.community_followers(&community.name),
        "type": "Collection",
        "totalItems": total,
        "items": [],
    })))
}

async fn community_moderators(
    Path(name): Path<String>,
    data: Data<Context>,
) -> FederationResult<Response> {
    let community = local_community(&data, &name).await?;
    let mut conn = data.pool.get().await?;
    let moderators: Vec<Value> = db::communities::moderators(&mut conn, community.id)
        .await?
        .into_iter()
        .map(|person| Value::String(person.ap_id))
        .collect();
    let total = moderators.len() as i64;
    Ok(activity_json(ordered_collection(
        data.urls.community_moderators(&community.name).as_str(),
        total,
        moderators,
    )))
}

/// Pinned posts, by id.
async fn community_featured(
    Path(name): Path<String>,
    data: Data<Context>,
) -> FederationResult<Response> {
    let community = local_community(&data, &name).await?;
    let mut conn = data.pool.get().await?;
    let featured: Vec<Value> = db::communities::featured_post_ids(&mut conn, community.id)
        .await?
        .into_iter()
        .map(Value::String)
        .collect();
    let total = featured.len() as i64;
    Ok(activity_json(ordered_collection(
        data.urls.community_featured(&community.name).as_str(),
        total,
        featured,
    )))
}

/// An activity this instance published, at its id.
async fn activity(
    Path((kind, id)): Path<(String, String)>,
    headers: HeaderMap,
    data: Data<Context>,
) -> FederationResult<Response> {
    let ap_id = data
        .urls
        .base()
        .join(&format!("activities/{kind}/{id}"))
        .map_err(|_| FederationError::NotFound("activity"))?;
    let mut conn = data.pool.get().await?;
    let activity = db::activities::sent_by_ap_id(&mut conn, ap_id.as_str())
        .await?
        .ok_or(FederationError::NotFound("activity"))?;
    if wants_html(&headers) {
        return Ok(web::actors::activity_page(&data, &activity));
    }
    Ok(activity_json(activity))
}

fn ordered_collection(id: &str, total: i64, items: Vec<Value>) -> Value {
    json!({
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
        "orderedItems": items,
    })
}
