//! Local communities: creating them and naming their first moderator.

use super::{ServiceError, ServiceResult, generate_keypair, validate_actor_name};
use crate::{
    context::Context,
    db::{
        self,
        models::{Community, CommunityForm},
    },
    text,
};
use chrono::Utc;
use diesel_async::AsyncConnection;

const MAX_TITLE_LEN: usize = 100;
const MAX_DESCRIPTION_LEN: usize = 10_000;

#[derive(Debug, Clone)]
pub struct NewCommunity {
    pub name: String,
    pub title: String,
    /// Markdown.
    pub description: Option<String>,
    /// The local person who becomes the first moderator, if any.
    pub moderator_id: Option<i64>,
    /// What the practice is about, for the directory ("Writing", "Data & maps").
    pub topic: Option<String>,
}

const MAX_TOPIC_CHARS: usize = 40;

pub async fn create_community(ctx: &Context, input: NewCommunity) -> ServiceResult<Community> {
    let name = input.name.trim().to_ascii_lowercase();
    validate_actor_name(&name, "a community name", false)?;
    let title = input.title.trim().to_string();
    if title.is_empty() || title.chars().count() > MAX_TITLE_LEN {
        return Err(ServiceError::field(
            "title",
            format!("the title must be 1 to {MAX_TITLE_LEN} characters"),
        ));
    }
    let description = input
        .description
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.len() > MAX_DESCRIPTION_LEN)
    {
        return Err(ServiceError::field(
            "description",
            format!("the description must be at most {MAX_DESCRIPTION_LEN} bytes"),
        ));
    }
    let topic = input
        .topic
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    if topic
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_TOPIC_CHARS)
    {
        return Err(ServiceError::field(
            "topic",
            format!("the topic must be at most {MAX_TOPIC_CHARS} characters"),
        ));
    }
    let keys = generate_keypair().await?;
    let now = Utc::now();
    let urls = &ctx.urls;
    let form = CommunityForm {
        ap_id: urls.community(&name).to_string(),
        instance_id: 0, // set inside the transaction
        local: true,
        name: name.clone(),
        title,
        description_html: description.as_deref().map(text::markdown_to_html),
        description_source: description,
        icon_url: None,
        banner_url: None,
        inbox_url: urls.community_inbox(&name).to_string(),
        shared_inbox_url: Some(urls.shared_inbox().to_string()),
        outbox_url: Some(urls.community_outbox(&name).to_string()),
        followers_url: Some(urls.community_followers(&name).to_string()),
        moderators_url: Some(urls.community_moderators(&name).to_string()),
        featured_url: Some(urls.community_featured(&name).to_string()),
        public_key: keys.public_key,
        private_key: Some(keys.private_key),
        posting_restricted_to_mods: false,
        sensitive: false,
        published_at: now,
        updated_at: None,
        last_refreshed_at: now,
    };
    let domain = ctx.settings.domain.clone();
    let mut conn = ctx.pool.get().await?;
    let result = conn
        .transaction::<_, db::DbError, _>(async |conn| {
            let instance = db::instances::get_or_create(conn, &domain).await?;
            let community = db::communities::insert(
                conn,
                &CommunityForm {
                    instance_id: instance.id,
                    ..form
                },
            )
            .await?;
            if let Some(person_id) = input.moderator_id {
                db::communities::add_moderator(conn, community.id, person_id).await?;
            }
            db::communities::set_topic(conn, community.id, topic.as_deref()).await?;
            Ok(Community { topic, ..community })
        })
        .await;
    match result {
        Ok(community) => Ok(community),
        Err(err) if err.unique_violation().is_some() => Err(ServiceError::Conflict(format!(
            "the community name {name} is taken"
        ))),
        Err(err) => Err(err.into()),
    }
}
