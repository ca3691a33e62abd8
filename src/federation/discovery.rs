//! How other servers find us: WebFinger, NodeInfo and host-meta.

use super::{
    ACTIVITY_JSON, FederationError, FederationResult, objects::instance_actor::InstanceActor,
};
use crate::{context::Context, db};
use activitypub_federation::{
    config::Data,
    fetch::webfinger::{Webfinger, WebfingerLink},
};
use axum::{
    Json,
    extract::Query,
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use url::Url;

const AS_TYPE: &str = "https://www.w3.org/ns/activitystreams#type";
const NODEINFO_SCHEMA: &str = "http://nodeinfo.diaspora.software/ns/schema/2.1";

#[derive(Deserialize)]
pub struct WebfingerQuery {
    resource: String,
}

/// `GET /.well-known/webfinger?resource=acct:NAME@DOMAIN` (or the actor's URL). When a person
/// and a community share a name, both are listed, each link marked with its type, community
/// first: Guild is about communities, and Mastodon takes the first `self` link.
pub async fn webfinger(
    Query(query): Query<WebfingerQuery>,
    data: Data<Context>,
) -> FederationResult<Response> {
    let name = local_name(&query.resource, &data)
        .ok_or(FederationError::NotFound("account on this instance"))?;
    let urls = &data.urls;
    let mut conn = data.pool.get().await?;
    let mut found: Vec<(Url, &str)> = Vec::new();
    if let Some(community) = db::communities::local_by_name(&mut conn, &name).await? {
        found.push((urls.community(&community.name), "Group"));
    }
    if let Some(person) = db::people::local_by_name(&mut conn, &name).await? {
        found.push((urls.person(&person.name), "Person"));
    }
    if name == InstanceActor::preferred_username(urls) {
        found.push((urls.instance_actor(), "Application"));
    }
    if found.is_empty() {
        return Err(FederationError::NotFound("account on this instance"));
    }
    let links = found
        .iter()
        .flat_map(|(url, kind)| {
            [
                WebfingerLink {
                    rel: Some("http://webfinger.net/rel/profile-page".into()),
                    kind: Some("text/html".into()),
                    href: Some(url.clone()),
                    ..Default::default()
                },
                WebfingerLink {
                    rel: Some("self".into()),
                    kind: Some(ACTIVITY_JSON.into()),
                    href: Some(url.clone()),
                    properties: HashMap::from([(
                        Url::parse(AS_TYPE).expect("constant URL"),
                        kind.to_string(),
                    )]),
                    ..Default::default()
                },
            ]
        })
        .collect();
    let document = Webfinger {
        subject: format!("acct:{name}@{}", data.domain()),
        links,
        aliases: found.into_iter().map(|(url, _)| url).collect(),
        properties: HashMap::new(),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/jrd+json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        Json(document),
    )
        .into_response())
}

/// The local name a WebFinger resource asks for: `acct:name@our-domain`, or the URL of one
/// of our actors.
fn local_name(resource: &str, data: &Data<Context>) -> Option<String> {
    if let Some(handle) = resource.strip_prefix("acct:") {
        let (name, domain) = handle.trim_start_matches('@').rsplit_once('@')?;
        return domain
            .eq_ignore_ascii_case(data.domain())
            .then(|| name.to_string());
    }
    let url = Url::parse(resource).ok()?;
    if !super::same_origin(&url, data.urls.base()) {
        return None;
    }
    if url == data.urls.instance_actor() {
        return Some(InstanceActor::preferred_username(&data.urls));
    }
    let mut segments = url.path_segments()?;
    match (segments.next(), segments.next(), segments.next()) {
        (Some("u" | "c"), Some(name), None) if !name.is_empty() => Some(name.to_string()),
        _ => None,
    }
}

/// `GET /.well-known/nodeinfo`: where the NodeInfo document is.
pub async fn nodeinfo_links(data: Data<Context>) -> Json<serde_json::Value> {
    Json(json!({
        "links": [{ "rel": NODEINFO_SCHEMA, "href": data.urls.nodeinfo() }]
    }))
}

/// `GET /nodeinfo/2.1`: software, protocols and usage counted from the database.
pub async fn nodeinfo(data: Data<Context>) -> FederationResult<Response> {
    let mut conn = data.pool.get().await?;
    let usage = db::stats::local_usage(&mut conn).await?;
    let site = db::site::get(&mut conn).await?;
    let open_registrations = site
        .as_ref()
        .map(|site| crate::service::site::registration_open(&data, site))
        .unwrap_or(data.settings.registration_open);
    let site_name = site
        .map(|site| site.name)
        .unwrap_or_else(|| data.settings.site_name.clone());
    let document = json!({
        "version": "2.1",
        "software": {
            "name": "guild",
            "version": env!("CARGO_PKG_VERSION"),
            "homepage": data.urls.base(),
        },
        "protocols": ["activitypub"],
        "services": { "inbound": [], "outbound": [] },
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": usage.users,
                "activeMonth": usage.active_month,
                "activeHalfyear": usage.active_halfyear,
            },
            "localPosts": usage.posts,
            "localComments": usage.comments,
        },
        "metadata": {
            "nodeName": site_name,
            "localCommunities": usage.communities,
        },
    });
    Ok((
        [(
            header::CONTENT_TYPE,
            format!("application/json; profile=\"{NODEINFO_SCHEMA}#\""),
        )],
        Json(document),
    )
        .into_response())
}

/// `GET /.well-known/host-meta`: the WebFinger template, for clients that look here first.
pub async fn host_meta(data: Data<Context>) -> Response {
    let template = format!("{}.well-known/webfinger?resource={{uri}}", data.urls.base());
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" type=\"application/jrd+json\" template=\"{}\"/>\n</XRD>\n",
        xml_escape(&template)
    );
    ([(header::CONTENT_TYPE, "application/xrd+xml")], xml).into_response()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
