//! Activities: what each one means when it arrives, and how Guild builds the ones it sends.
//!
//! Every received activity goes through [`handle`]: its own checks ([`ReceiveActivity::verify`]),
//! the community it happens in, then its effect. When it happens in a local community and
//! arrived directly from its author's server, the community relays it to its followers
//! (FEP-1b12): [`handle`] returns that relay so the inbox can queue it in the same transaction
//! that records the activity as received.
//!
//! The federation library's `Activity` trait is not used: it cannot say how an activity
//! arrived (signed by its actor, or relayed by a community), nor hand back a relay to queue.

pub mod announce;
pub mod block;
pub mod collection;
pub mod create_or_update;
pub mod delete;
pub mod flag;
pub mod follow;
pub mod lock;
pub mod undo;
pub mod vote;

use super::{
    FederationError, FederationResult, PUBLIC, delivery,
    inbox::InboxOutcome,
    objects::{group::CommunityActor, person::PersonActor},
    verify_same_origin,
};
use crate::{
    context::Context,
    db::{
        self, Connection, DbResult,
        deliveries::{Batch, Outgoing},
    },
    urls::Urls,
};
use activitypub_federation::{
    config::Data, fetch::object_id::ObjectId, kinds::activity::AnnounceType,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;
use url::Url;

#[async_trait::async_trait]
pub trait ReceiveActivity: Serialize + DeserializeOwned + Send + Sync {
    /// Whether a local community relays this activity to its followers.
    fn relayed(&self) -> bool;

    fn id(&self) -> &Url;
    fn actor(&self) -> &Url;

    /// The community the activity happens in, when it can be told (an activity about an
    /// unknown object may have none).
    async fn community(&self, data: &Data<Context>) -> FederationResult<Option<CommunityActor>>;

    /// Checks that hold however the activity arrived.
    async fn verify(&self, data: &Data<Context>) -> FederationResult<()>;

    /// Applies the activity. `announcer` is the community that relayed it, if it came in an
    /// Announce (already checked to be the community the activity happens in).
    async fn receive(
        self,
        data: &Data<Context>,
        announcer: Option<&CommunityActor>,
    ) -> FederationResult<InboxOutcome>;
}

/// What must happen to an activity after it is applied here.
#[derive(Debug)]
pub enum Relay {
    /// It happened in a local community: the community announces it to its followers,
    /// except the host it came from, which already has it.
    Announce {
        community: CommunityActor,
        activity: Value,
        origin_domain: Option<String>,
    },
    /// It happened in a remote community but reached us instead (Mastodon sends replies and
    /// likes to the author's server): this instance forwards it to the community, which
    /// checks it again (see `inbox::receive_forwarded`) and relays it to everyone.
    Forward {
        community: CommunityActor,
        activity: Value,
    },
}

/// Checks and applies one activity. `announcer` is the community that relayed it, if it came
/// inside an Announce.
pub async fn handle<A: ReceiveActivity>(
    activity: A,
    data: &Data<Context>,
    announcer: Option<&CommunityActor>,
) -> FederationResult<(InboxOutcome, Option<Relay>)> {
    verify_same_origin(activity.id(), activity.actor())?;
    activity.verify(data).await?;
    let community = activity.community(data).await?;
    if let Some(announcer) = announcer {
        match &community {
            Some(community) if community.row.id == announcer.row.id => {}
            _ => {
                return Err(FederationError::Forbidden(format!(
                    "{} relayed an activity that is not about its own community",
                    announcer.row.ap_id
                )));
            }
        }
    }
    let relay = match community {
        Some(community) if activity.relayed() && announcer.is_none() => {
            let json = serde_json::to_value(&activity)
                .map_err(|e| FederationError::BadRequest(e.to_string()))?;
            let origin_domain = Urls::domain_of(activity.actor());
            if community.row.local {
                Some(Relay::Announce {
                    community,
                    activity: json,
                    origin_domain,
                })
            } else if origin_domain.is_some() && origin_domain == community_domain(&community) {
                // The community's own server has it already.
                None
            } else {
                Some(Relay::Forward {
                    community,
                    activity: json,
                })
            }
        }
        _ => None,
    };
    let outcome = activity.receive(data, announcer).await?;
    Ok((outcome, relay))
}

/// Parses `json` as the activity its `type` names and handles it.
pub async fn dispatch(
    kind: &str,
    json: Value,
    data: &Data<Context>,
    announcer: Option<&CommunityActor>,
) -> FederationResult<(InboxOutcome, Option<Relay>)> {
    fn parse<A: DeserializeOwned>(json: Value) -> FederationResult<A> {
        serde_json::from_value(json)
            .map_err(|e| FederationError::BadRequest(format!("malformed activity: {e}")))
    }
    match kind {
        "Follow" => handle(parse::<follow::Follow>(json)?, data, announcer).await,
        "Accept" => handle(parse::<follow::Accept>(json)?, data, announcer).await,
        "Create" | "Update" => {
            handle(
                parse::<create_or_update::CreateOrUpdate>(json)?,
                data,
                announcer,
            )
            .await
        }
        "Delete" => handle(parse::<delete::Delete>(json)?, data, announcer).await,
        "Lock" => handle(parse::<lock::Lock>(json)?, data, announcer).await,
        "Add" | "Remove" => {
            handle(
                parse::<collection::CollectionChange>(json)?,
                data,
                announcer,
            )
            .await
        }
        "Block" => handle(parse::<block::Block>(json)?, data, announcer).await,
        "Flag" => handle(parse::<flag::Flag>(json)?, data, announcer).await,
        "Like" | "Dislike" => handle(parse::<vote::Vote>(json)?, data, announcer).await,
        "Undo" => handle(parse::<undo::Undo>(json)?, data, announcer).await,
        "Announce" if announcer.is_none() => {
            handle(parse::<announce::Announce>(json)?, data, None).await
        }
        "Announce" => Err(FederationError::BadRequest(
            "an Announce inside an Announce".into(),
        )),
        other => {
            tracing::info!(kind = other, "activity of an unhandled type acknowledged");
            Ok((InboxOutcome::Ignored, None))
        }
    }
}

/// The Announce by which `community` relays `activity` (FEP-1b12).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnounceOut {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: AnnounceType,
    pub actor: Url,
    pub to: Vec<Url>,
    pub cc: Vec<Url>,
    pub object: Value,
}

/// Queues the Announce of `activity` by a local community to its followers' inboxes,
/// leaving out `except_domain`. Call inside the transaction of the change.
pub async fn announce(
    conn: &mut Connection,
    ctx: &Context,
    community: &db::models::Community,
    activity: Value,
    except_domain: Option<&str>,
) -> DbResult<()> {
    let batch = announcements(conn, ctx, community, activity, except_domain).await?;
    db::deliveries::enqueue_batch(conn, &batch).await
}

/// The Announces by which a local community relays `activity` to its followers' inboxes,
/// leaving out `except_domain`; built, not yet stored.
///
/// Microblogs (Mastodon) do not understand `Announce{Create}`: they boost a bare object,
/// and forget a boost only on `Undo{Announce}`. So, as Lemmy does, a new post or comment is
/// also announced bare, and its deletion also undoes that bare Announce; a restored one is
/// announced bare again.
async fn announcements(
    conn: &mut Connection,
    ctx: &Context,
    community: &db::models::Community,
    mut activity: Value,
    except_domain: Option<&str>,
) -> DbResult<Batch> {
    if let Some(object) = activity.as_object_mut() {
        object.remove("@context");
    }
    let inboxes = ctx
        .follower_inboxes
        .of(conn, community.id, except_domain)
        .await?;
    let kind = activity["type"].as_str().unwrap_or_default().to_string();
    let inner = &activity["object"];
    let inner_kind = inner["type"].as_str().unwrap_or_default().to_string();
    let object_id = inner
        .as_str()
        .or_else(|| inner["id"].as_str())
        .unwrap_or_default()
        .to_string();
    let bare = (kind == "Create" && is_content(inner)).then(|| inner.clone());
    let inner_object_id = inner["object"]
        .as_str()
        .or_else(|| inner["object"]["id"].as_str())
        .unwrap_or_default()
        .to_string();
    let mut activities = vec![announce_of(ctx, community, activity)?];
    if let Some(bare) = bare {
        activities.push(announce_of(ctx, community, bare)?);
    }
    if kind == "Delete" {
        undo_announces(conn, ctx, community, &object_id, &mut activities).await?;
    }
    if (kind.as_str(), inner_kind.as_str()) == ("Undo", "Delete") {
        if let Some(bare) = stored_content_json(conn, &inner_object_id).await? {
            activities.push(announce_of(ctx, community, bare)?);
        }
    }
    Ok(Batch {
        activities,
        inboxes: delivery::remote_inboxes(ctx, inboxes),
    })
}

/// Whether `object` is a post or comment (as opposed to an activity or an id).
fn is_content(object: &Value) -> bool {
    matches!(
        object["type"].as_str(),
        Some("Page" | "Note" | "Article" | "Video" | "Event" | "Question")
    )
}

fn announce_of(
    ctx: &Context,
    community: &db::models::Community,
    object: Value,
) -> DbResult<Outgoing> {
    let community_id = stored_url(&community.ap_id)?;
    let followers = match community.followers_url.as_deref() {
        Some(url) => stored_url(url)?,
        None => ctx.urls.community_followers(&community.name),
    };
    let announce = AnnounceOut {
        id: ctx.urls.new_activity("announce"),
        kind: AnnounceType::Announce,
        actor: community_id,
        to: vec![public()],
        cc: vec![followers],
        object,
    };
    delivery::outgoing(&announce.id, &announce.actor, "Announce", &announce)
}

/// Adds an `Undo{Announce}` of every bare Announce the community made of `object_id`.
async fn undo_announces(
    conn: &mut Connection,
    ctx: &Context,
    community: &db::models::Community,
    object_id: &str,
    activities: &mut Vec<Outgoing>,
) -> DbResult<()> {
    let community_id = stored_url(&community.ap_id)?;
    for announce_id in
        db::deliveries::announces_of_object(conn, &community.ap_id, object_id).await?
    {
        let id = ctx.urls.new_activity("undo");
        let undo = serde_json::json!({
            "id": id,
            "type": "Undo",
            "actor": community_id,
            "to": [PUBLIC],
            "object": {
                "id": announce_id,
                "type": "Announce",
                "actor": community_id,
                "object": object_id,
            },
        });
        activities.push(delivery::outgoing(&id, &community_id, "Undo", &undo)?);
    }
    Ok(())
}

/// The JSON of a stored post or comment, to announce it again once restored.
async fn stored_content_json(conn: &mut Connection, ap_id: &str) -> DbResult<Option<Value>> {
    use super::objects::{comment::note_json_of, post::page_json_of};
    let Some(object) = StoredObject::find(conn, ap_id).await? else {
        return Ok(None);
    };
    let Some(author) = db::people::by_id(conn, object.author_id()).await? else {
        return Ok(None);
    };
    let Some(community) = object.community(conn).await? else {
        return Ok(None);
    };
    let json = match &object {
        StoredObject::Post(post) => page_json_of(post, &author.ap_id, &community.ap_id)
            .ok()
            .and_then(|page| serde_json::to_value(page).ok()),
        StoredObject::Comment(comment) => {
            let in_reply_to = match comment.parent_id {
                Some(parent) => db::comments::by_id(conn, parent).await?.map(|c| c.ap_id),
                None => db::posts::by_id(conn, comment.post_id)
                    .await?
                    .map(|p| p.ap_id),
            };
            in_reply_to.and_then(|in_reply_to| {
                note_json_of(comment, &author.ap_id, &in_reply_to, &community.ap_id)
                    .ok()
                    .and_then(|note| serde_json::to_value(note).ok())
            })
        }
    };
    Ok(json)
}

/// What `relay` (see [`handle`]) sends: built, not yet stored, so that the inbox can store
/// it together with the activity's received id.
pub async fn relay_batch(conn: &mut Connection, ctx: &Context, relay: Relay) -> DbResult<Batch> {
    match relay {
        Relay::Announce {
            community,
            activity,
            origin_domain,
        } => {
            announcements(
                conn,
                ctx,
                &community.row,
                activity,
                origin_domain.as_deref(),
            )
            .await
        }
        Relay::Forward {
            community,
            activity,
        } => delivery::forward(ctx, &activity, community.row.inbox_url.clone()),
    }
}

pub fn public() -> Url {
    Url::parse(PUBLIC).expect("constant URL")
}

/// A URL read from the database.
pub(crate) fn stored_url(url: &str) -> DbResult<Url> {
    Url::parse(url).map_err(|e| db::DbError::Corrupt(format!("{url}: {e}")))
}

/// `object` as an id: a string, or an object with an `id`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum IdOrObject {
    Id(Url),
    Object { id: Url },
}

impl IdOrObject {
    pub fn id(&self) -> &Url {
        match self {
            IdOrObject::Id(id) | IdOrObject::Object { id } => id,
        }
    }
}

/// The community of a stored post or comment, found by the object's id; `None` when the
/// object is not stored here.
pub(super) async fn community_of_stored(
    data: &Data<Context>,
    object: &Url,
) -> FederationResult<Option<CommunityActor>> {
    let mut conn = data.pool.get().await?;
    let Some(object) = StoredObject::find(&mut conn, object.as_str()).await? else {
        return Ok(None);
    };
    object
        .community(&mut conn)
        .await?
        .map(CommunityActor::new)
        .transpose()
}

/// The moderator behind a moderation activity, and the community it acts in. Taken only
/// when that community relayed it from its own instance, the one that knows its moderators
/// (`handle` checked that the announcer is the activity's community). Moderators of local
/// communities act here, through `service::moderation`, never through the inbox.
pub(super) async fn announced_moderator<'a>(
    data: &Data<Context>,
    actor: &Url,
    announcer: Option<&'a CommunityActor>,
) -> FederationResult<(PersonActor, &'a CommunityActor)> {
    match announcer {
        Some(community) if !community.row.local => {
            let moderator = ObjectId::<PersonActor>::from(actor.clone())
                .dereference(data)
                .await?;
            Ok((moderator, community))
        }
        _ => Err(FederationError::Forbidden(format!(
            "{actor} may not moderate here; moderators act on their community's instance"
        ))),
    }
}

/// A post or comment stored here, found by its ActivityPub id.
#[derive(Debug, Clone)]
pub enum StoredObject {
    Post(db::models::Post),
    Comment(db::models::Comment),
}

impl StoredObject {
    pub async fn find(conn: &mut Connection, ap_id: &str) -> DbResult<Option<StoredObject>> {
        if let Some(post) = db::posts::by_ap_id(conn, ap_id).await? {
            return Ok(Some(StoredObject::Post(post)));
        }
        Ok(db::comments::by_ap_id(conn, ap_id)
            .await?
            .map(StoredObject::Comment))
    }

    pub fn author_id(&self) -> i64 {
        match self {
            StoredObject::Post(post) => post.author_id,
            StoredObject::Comment(comment) => comment.author_id,
        }
    }

    pub fn ap_id(&self) -> &str {
        match self {
            StoredObject::Post(post) => &post.ap_id,
            StoredObject::Comment(comment) => &comment.ap_id,
        }
    }

    /// The community the object is in.
    pub async fn community(
        &self,
        conn: &mut Connection,
    ) -> DbResult<Option<db::models::Community>> {
        let post_id = match self {
            StoredObject::Post(post) => {
                return db::memo::community_by_id(conn, post.community_id).await;
            }
            StoredObject::Comment(comment) => comment.post_id,
        };
        match db::posts::by_id(conn, post_id).await? {
            Some(post) => db::memo::community_by_id(conn, post.community_id).await,
            None => Ok(None),
        }
    }
}

fn community_domain(community: &CommunityActor) -> Option<String> {
    Url::parse(&community.row.ap_id)
        .ok()
        .as_ref()
        .and_then(Urls::domain_of)
}
